"""`-o PATH` as a shell's `>` would write it, but atomically: through devices and FIFOs (never replacing them),
following symbolic links, with the mode the umask gives, and never half a file."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zonewarden.cli import app
from zonewarden.render.output import open_output, write_atomic

from ..conftest import EXAMPLE

runner = CliRunner()
CAPTURE = EXAMPLE / "traffic.pcap"

# every command that takes -o (or --cyclonedx), with arguments that make it write; {out} is the output path
COMMANDS = [
    ("check", [str(EXAMPLE), "--format", "json", "-o", "{out}"]),
    ("schema", ["-o", "{out}"]),
    ("assess", [str(EXAMPLE), "--zone", "cell-1", "-o", "{out}"]),
    ("lifecycle", [str(EXAMPLE), "-o", "{out}"]),
    ("paths", [str(EXAMPLE), "-o", "{out}"]),
    ("flows-json", [str(CAPTURE), "--format", "json", "-o", "{out}"]),
    ("flows-csv", [str(CAPTURE), "--format", "csv", "-o", "{out}"]),
    ("flows-parquet", [str(CAPTURE), "--format", "parquet", "-o", "{out}"]),
    ("traffic", [str(EXAMPLE), str(CAPTURE), "--format", "json", "-o", "{out}"]),
    ("discover", [str(CAPTURE), "-o", "{out}"]),
    ("diff", [str(EXAMPLE), str(EXAMPLE), "--format", "json", "-o", "{out}"]),
    ("crosswalk", [str(EXAMPLE), "--to", "csf", "--format", "json", "-o", "{out}"]),
    ("crs", [str(EXAMPLE), "-o", "{out}.md"]),
    ("procure", [str(EXAMPLE), "--zone", "cell-1", "--type", "embedded_device", "-o", "{out}.md"]),
    ("report", [str(EXAMPLE), "-o", "{out}.html"]),
    ("export", [str(EXAMPLE), "--cyclonedx", "{out}"]),
]


def _run(name: str, args: list[str], out: Path) -> tuple[int, str]:
    command = name.split("-")[0]
    argv = [command, *(a.replace("{out}", str(out)) for a in args)]
    res = runner.invoke(app, argv)
    return res.exit_code, res.output


def _drain(fifo: Path, into: list[int]) -> threading.Thread:
    def read() -> None:
        with fifo.open("rb") as fh:
            into.append(len(fh.read()))

    t = threading.Thread(target=read, daemon=True)
    t.start()
    return t


@pytest.mark.parametrize(("name", "args"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_command_writes_through_a_fifo_without_replacing_it(tmp_path, name, args):
    out = tmp_path / "out"
    suffixed = any("{out}." in a for a in args)
    fifo = tmp_path / ("out" + next((a.split("{out}")[1] for a in args if "{out}." in a), "")) if suffixed else out
    os.mkfifo(fifo)
    got: list[int] = []
    reader = _drain(fifo, got)
    code, output = _run(name, args, out)
    reader.join(timeout=60)
    assert code in (0, 1), output
    assert stat.S_ISFIFO(fifo.lstat().st_mode), "the FIFO was replaced by a regular file"
    assert got and got[0] > 0, "nothing came through the FIFO"
    assert [p.name for p in tmp_path.iterdir()] == [fifo.name], "a temporary file was left behind"


def test_dev_null_stays_a_device():
    before = os.stat("/dev/null")
    try:
        code, output = _run("schema", ["-o", "{out}"], Path("/dev/null"))
        assert code == 0, output
    finally:
        after = os.stat("/dev/null")
        if not stat.S_ISCHR(after.st_mode) and os.geteuid() == 0:  # put the machine right before failing
            os.unlink("/dev/null")
            os.mknod("/dev/null", 0o666 | stat.S_IFCHR, before.st_rdev)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


def test_new_file_has_the_mode_the_umask_gives(tmp_path):
    old = os.umask(0o022)
    try:
        code, output = _run("schema", ["-o", "{out}"], tmp_path / "schema.json")
        assert code == 0, output
        assert stat.S_IMODE((tmp_path / "schema.json").stat().st_mode) == 0o644
        os.umask(0o077)
        write_atomic(tmp_path / "private.json", "{}")
        assert stat.S_IMODE((tmp_path / "private.json").stat().st_mode) == 0o600
    finally:
        os.umask(old)


def test_replaced_file_keeps_its_mode(tmp_path):
    target = tmp_path / "kept.json"
    target.write_text("old")
    target.chmod(0o640)
    write_atomic(target, "new")
    assert target.read_text() == "new" and stat.S_IMODE(target.stat().st_mode) == 0o640


def test_symlink_is_followed_and_its_target_replaced(tmp_path):
    (tmp_path / "real").mkdir()
    link = tmp_path / "schema.json"
    link.symlink_to(tmp_path / "real" / "schema.json")
    code, output = _run("schema", ["-o", "{out}"], link)
    assert code == 0, output
    assert link.is_symlink(), "the link was replaced"
    assert (tmp_path / "real" / "schema.json").read_text().startswith("{")


def test_a_folder_is_refused_with_exit_2(tmp_path):
    code, output = _run("schema", ["-o", "{out}"], tmp_path)
    assert code == 2 and "cannot write" in output


def test_failure_while_writing_keeps_the_old_file(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("old")

    def chunks():
        yield "half"
        raise RuntimeError("renderer failed")

    with pytest.raises(RuntimeError), open_output(target) as fh:
        for c in chunks():
            fh.write(c.encode())
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
