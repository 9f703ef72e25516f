"""A plant repository with a history: the example plant, then four changes a plant goes through, one commit each.

Each step edits the YAML text as an engineer would (so comments and layout stay), and commits with a message
that says why; the tests then ask `diff` and `change` what each step does.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from zonewarden.model.load import load_plant  # noqa: F401  (re-exported for the tests)

EXAMPLE = Path(__file__).parents[2] / "src" / "zonewarden" / "examples" / "fill-finish"

NEW_CONDUIT = """  dmz-cell1:
    name: Historian direct to cell 1
    zones: [site-dmz, cell-1]
    countermeasures: [fw-dmz-cell1]
    owner: alpenauto
    flows:
      - {from: pi-dmz, to: plc-filler, protocol: opcua, port: 4840, ops: [read]}
"""
NEW_FIREWALL = """  fw-dmz-cell1:
    name: FortiGate DMZ/cell 1 policy
    kind: firewall
    at: {conduit: dmz-cell1}
    meets: [SR 5.1, SR 5.2, SR 5.2 RE 1]
    owner: alpenauto
"""

STEPS = [
    ("conduit", "Let the DMZ historian read the filler PLC directly\n\nBatch records need the filler's OPC UA "
     "data at one-second resolution (CHG-2026-0412)."),
    ("firmware", "Update the tunnel PLC firmware to V3.2.18\n\nSiemens fix for SSA-2026-0001 (CHG-2026-0419)."),
    ("decommission", "Decommission the VHP generator PLC\n\nThe VHP generator is replaced by the isolator's own "
     "unit (CHG-2026-0423)."),
    ("compensation", "Withdraw the washer's CR 3.4 compensation\n\nThe octoplant licence that compared its program "
     "nightly was not renewed (CHG-2026-0431)."),
]


def git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "Ada OT", "GIT_AUTHOR_EMAIL": "ada@helvion.example", "GIT_COMMITTER_NAME": "Ada OT",
           "GIT_COMMITTER_EMAIL": "ada@helvion.example", "GIT_AUTHOR_DATE": "2026-11-20T10:00:00+01:00",
           "GIT_COMMITTER_DATE": "2026-11-20T10:00:00+01:00", "PATH": "/usr/bin:/bin:/usr/local/bin",
           "HOME": str(repo)}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new))


def apply(step: str, plant: Path) -> None:
    if step == "conduit":
        edit(plant / "plant.yaml", "  sup-cell2:\n", NEW_CONDUIT + "  sup-cell2:\n")
        edit(plant / "plant.yaml", "  fw-dmz-eng:\n", NEW_FIREWALL + "  fw-dmz-eng:\n")
    elif step == "firmware":
        cell1 = plant / "assets" / "cell-1.yaml"
        text = cell1.read_text()
        head, tail = text.split("  plc-tunnel:\n", 1)
        cell1.write_text(head + "  plc-tunnel:\n" + tail.replace('firmware: "V3.2.17"', 'firmware: "V3.2.18"', 1))
    elif step == "decommission":
        cell1 = plant / "assets" / "cell-1.yaml"
        edit(cell1, '    hostname: c1-plc-vhp\n', '    hostname: c1-plc-vhp\n    lifecycle: decommissioned\n')
        edit(plant / "plant.yaml", "      - {from: ews-02, to: plc-vhp, protocol: enip, port: 44818, "
             "ops: [read, write, program, diagnostics]}\n", "")
    elif step == "compensation":
        text = (plant / "plant.yaml").read_text()
        start = text.index("  - asset: plc-washer\n    requirement: CR 3.4\n")
        end = text.index("  - asset:", start + 10)
        (plant / "plant.yaml").write_text(text[:start] + text[end:])


def build(root: Path) -> tuple[Path, list[str]]:
    """The repository and its commits, oldest first: the example as it ships, then one commit per step."""
    repo = root / "plant-repo"
    shutil.copytree(EXAMPLE, repo / "plant", ignore=shutil.ignore_patterns("traffic.pcap"))
    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Line 3 plant as validated in 2026")
    shas = [git(repo, "rev-parse", "HEAD")]
    for step, message in STEPS:
        apply(step, repo / "plant")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", message)
        shas.append(git(repo, "rev-parse", "HEAD"))
    return repo, shas
