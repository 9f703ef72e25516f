"""docs/ci.md and .pre-commit-hooks.yaml work as written: every zonewarden command in them runs in a plant
repository (tests/change/history.py) with the exit status the pipeline relies on."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from ..cli.test_cli import zw
from .history import build, git

ROOT = Path(__file__).parents[2]
CI = (ROOT / "docs" / "ci.md").read_text()
BLOCKS = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", CI, re.S)]


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """A clone of the history repository (so origin/main exists) with one more, uncommitted change: a conduit
    into cell 2 with no countermeasure."""
    root = tmp_path_factory.mktemp("ci")
    repo, _ = build(root)
    work = root / "work"
    subprocess.run(["git", "clone", "-q", str(repo), str(work)], check=True)
    plant = work / "plant" / "plant.yaml"
    extra = ("  dmz-cell2:\n    zones: [site-dmz, cell-2]\n    flows:\n"
             "      - {from: pi-dmz, to: plc-capper, protocol: opcua, port: 4840, ops: [read]}\n")
    plant.write_text(plant.read_text().replace("  sup-cell2:\n", extra + "  sup-cell2:\n", 1))
    return work


def run(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    args = shlex.split(command)
    assert args[0] == "zonewarden", command
    return zw(*args[1:], cwd=cwd)


def test_hook_definitions(clone):
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == ["zonewarden-check", "zonewarden-impact"]
    for h in hooks:
        assert {"id", "name", "entry", "language"} <= set(h) and h["pass_filenames"] is False
    check, impact = hooks
    assert run(" ".join([check["entry"], *check["args"]]), clone).returncode == 0
    res = run(" ".join([impact["entry"], *map(shlex.quote, impact["args"])]), clone)
    assert res.returncode == 1 and "at or above high" in res.stderr  # the uncommitted conduit has no firewall
    git(clone, "stash")
    try:
        assert run(" ".join([impact["entry"], *map(shlex.quote, impact["args"])]), clone).returncode == 0
    finally:
        git(clone, "stash", "pop")


def test_local_hooks_in_the_docs(clone):
    (config,) = [b for b in BLOCKS if isinstance(b, dict) and b.get("repos", [{}])[0].get("repo") == "local"]
    entries = {h["id"]: h["entry"] for h in config["repos"][0]["hooks"]}
    assert run(entries["zonewarden-check"], clone).returncode == 0
    assert run(entries["zonewarden-impact"], clone).returncode == 1


def _commands(block: object) -> list[str]:
    if isinstance(block, dict) and "jobs" in block:
        steps = [s for job in block["jobs"].values() for s in job["steps"]]
        lines = [line for s in steps if "run" in s for line in s["run"].splitlines()]
    elif isinstance(block, dict) and "plant" in block:
        lines = block["plant"]["script"]
    else:
        return []
    return [line.strip() for line in lines if line.strip().startswith("zonewarden")]


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_pipelines_in_the_docs(clone, ci):
    block = next(b for b in BLOCKS if isinstance(b, dict) and ("jobs" in b if ci == "github" else "plant" in b))
    commands = _commands(block)
    assert [c.split()[1] for c in commands] == (["check", "diff", "change"] if ci == "github"
                                                 else ["check", "change", "diff"])
    base = git(clone, "merge-base", "origin/main", "HEAD")
    outcomes = {}
    for command in commands:
        command = command.replace("$base", base).replace("$BASE", base)
        res = run(command, clone)
        outcomes[command.split()[1]] = res.returncode
    assert outcomes == {"check": 0, "diff": 1, "change": 0}  # the new conduit's high gaps fail the diff
    for name in ("zonewarden.sarif", "impact.md", "change-record.pdf"):
        assert (clone / name).stat().st_size > 0
    assert "dmz-cell2" in (clone / "impact.md").read_text()
