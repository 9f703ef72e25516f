"""Plant files as hostile input: what is not a regular file, too big, looping or oddly tagged is one located
read error (exit 2), never a hang, a traceback or gigabytes of memory."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from zonewarden.model import files, source
from zonewarden.model.diagnostics import PlantReadError
from zonewarden.model.load import read_raw
from zonewarden.model.tracking import load_tracking

HEAD = "zonewarden: 1\nplant: {name: Hostile}\n"


def _including(tmp_path, target: str):
    root = tmp_path / "plant.yaml"
    root.write_text(HEAD + f"include: [{target!r}]\n")
    return root


def _refused_at_include(root, *words: str) -> PlantReadError:
    with pytest.raises(PlantReadError) as e:
        read_raw(root)
    assert e.value.location is not None and e.value.location.line == 3, "the error points at the include line"
    for word in words:
        assert word in e.value.message
    return e.value


def test_included_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    _refused_at_include(_including(tmp_path, "pipe.yaml"), "not a regular file")


def test_included_device_is_refused_before_reading_it(tmp_path):
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    _refused_at_include(_including(tmp_path, "zero.yaml"), "not a regular file")


def test_fifo_named_on_the_command_line_is_refused(tmp_path):
    os.mkfifo(tmp_path / "plant.yaml")
    with pytest.raises(PlantReadError, match="not a regular file"):
        read_raw(tmp_path / "plant.yaml")


def test_symlink_loop_is_a_located_error(tmp_path):
    (tmp_path / "a.yaml").symlink_to("b.yaml")
    (tmp_path / "b.yaml").symlink_to("a.yaml")
    _refused_at_include(_including(tmp_path, "a.yaml"), "loop")


def test_overlong_name_is_a_located_error(tmp_path):
    _refused_at_include(_including(tmp_path, "n" * 300 + ".yaml"), "longer than the system allows")


def test_file_over_the_size_limit_is_refused_unread(tmp_path):
    big = tmp_path / "big.yaml"
    with big.open("wb") as fh:  # sparse: costs no disk
        fh.truncate(files.MAX_FILE_BYTES + 1)
    _refused_at_include(_including(tmp_path, "big.yaml"), "MiB")


def test_tracking_file_that_is_a_fifo_is_refused(tmp_path):
    os.mkfifo(tmp_path / "tracking.yaml")
    with pytest.raises(PlantReadError, match="tracking file"):
        load_tracking(tmp_path / "tracking.yaml")


@pytest.mark.parametrize("value", ["!!timestamp not-a-date", "!!timestamp 20000-01-01", "!!bool maybe",
                                   "!!int twelve", "!!float x", "!!int " + "9" * 5000])
def test_explicit_tags_that_do_not_fit_are_located_errors(plant_file, value):
    with pytest.raises(PlantReadError) as e:
        read_raw(plant_file(f"extra: {{name: x, site: {value}}}\n"))
    assert e.value.location is not None and e.value.location.line == 7
    assert len(e.value.message) < 200, "a long value is cut short in the message"


def test_implicit_invalid_date_stays_text_for_the_model_to_name(plant_file):
    raw = read_raw(plant_file("extra: {name: x, site: 2024-13-01}\n"))
    assert raw.data["extra"]["site"] == "2024-13-01"


def test_node_bound_is_an_upper_bound():
    """The byte-count bound that lets ordinary files skip the exact count must never be below the real count."""
    import yaml

    texts = ["a", "{a, b, c, d}", "[a: b, c: d]", "? a\n? b\n? c", "- - - a", "a:\nb:\n", "{\"a\":1,\"b\":[1,2]}",
             "x: [[[[]]]]", textwrap.dedent("""\
                zones:
                  z: {name: Z, networks: [10.0.0.0/24]}
                list:
                  - {a: 1}
                  -
                  - [1, 2, {b: c}]
             """)]
    for text in texts:
        nodes = sum(1 for ev in yaml.parse(text, Loader=yaml.SafeLoader)
                    if isinstance(ev, yaml.ScalarEvent | yaml.SequenceStartEvent | yaml.MappingStartEvent))
        assert source.node_bound(text.encode()) >= nodes, text


def test_flat_list_of_millions_is_refused_in_flat_memory(tmp_path):
    """22 MB of `[0,0,...]` composes to 11 million nodes (about 2 GB); it must be refused before composing."""
    path = tmp_path / "flat.yaml"
    with path.open("w") as fh:
        fh.write("x: [")
        fh.write("0," * 11_000_000)
        fh.write("0]\n")
    code = textwrap.dedent(f"""
        import sys
        from zonewarden.model.diagnostics import PlantReadError
        from zonewarden.model.load import read_raw
        try:
            read_raw({str(path)!r})
        except PlantReadError as e:
            print("refused:", e.message)
        # VmHWM: this process's own peak (ru_maxrss would also count the forking pytest's pages)
        print(next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")) // 1024)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    first, peak_mb = out.stdout.strip().splitlines()
    assert first.startswith("refused:") and "5,000,000" in first
    assert int(peak_mb) < 400, f"peak {peak_mb} MB: the list was composed before it was refused"
