"""`diff` and `change` on a plant repository with a history (tests/change/history.py): each of the four commits
(new conduit, firmware update, decommissioned PLC, withdrawn compensation) reports exactly its impacts."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from zonewarden import vcs
from zonewarden.analysis.assess import assess
from zonewarden.model.load import load_plant
from zonewarden.standard.catalog import load_catalog

from ..cli.test_cli import zw
from .history import STEPS, build, git

AS_OF = "2026-11-22"
SUBJECTS = [message.split("\n")[0] for _, message in STEPS]


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> tuple[Path, list[str]]:
    return build(tmp_path_factory.mktemp("history"))


def diff_json(repo: Path, old: str, new: str, *extra: str) -> tuple[dict, subprocess.CompletedProcess[str]]:
    res = zw("diff", f"git:{old}:plant", f"git:{new}", "--format", "json", "--as-of", AS_OF, *extra, cwd=repo)
    assert res.returncode in (0, 1), res.stderr
    return json.loads(res.stdout), res


def changes(doc: dict) -> set[tuple[str, str, str]]:
    return {(c["kind"], c["id"], c["action"]) for c in doc["changes"]["changes"]}


def effects(doc: dict, *, at_least: str = "low") -> set[tuple[str, str]]:
    order = ["info", "low", "medium", "high", "critical"]
    floor = order.index(at_least)
    return {(e["kind"], e["id"]) for e in doc["impact"]["effects"] if order.index(e["severity"]) >= floor}


def plant_at(repo: Path, rev: str):
    side = vcs.export(repo, vcs.Spec(rev, None), "plant", rev)
    try:
        return load_plant(side.path)
    finally:
        side.close()


def test_new_conduit(history):
    repo, shas = history
    doc, res = diff_json(repo, shas[0], shas[1], "--fail-on", "high")
    assert res.returncode == 1  # a high effect gates the merge request
    assert "effect(s) at or above high" in res.stderr
    assert changes(doc) == {("conduit", "dmz-cell1", "added"), ("countermeasure", "fw-dmz-cell1", "added"),
                            ("flow", "dmz-cell1:pi-dmz>plc-filler/opcua/4840", "added")}
    new = assess(plant_at(repo, shas[1]), as_of=dt.date.fromisoformat(AS_OF))
    conduit_gaps = {g.id for g in new.gaps if g.where == "dmz-cell1"}
    impact = doc["impact"]
    plant = plant_at(repo, shas[1])
    # Boundary requirements hold for a zone on every one of its conduits, or by its assets (design §4):
    # fw-dmz-cell1 meets SR 5.1, 5.2 and 5.2 RE 1 but not SR 5.3 or 5.1 RE 1, which every other conduit of
    # site-dmz and cell-1 meets. SR 5.3 stays met by the zones' firewalls and switches (network devices of
    # SL-C RDF 2 reach NDR 5.3 at SL 1); SR 5.1 RE 1 has no 4-2 counterpart: a gap in both zones, partly
    # bounded on dmz-cell1, and RDF falls to 1 (SR 5.1 RE 1 is level 2).
    zones = {z["id"]: z for z in impact["zones"]}
    assert set(zones) == {"site-dmz", "cell-1"}
    # cell-1 asks SL 3 (its insider scenario's actor): the level-3 boundary REs its other conduits meet open too
    expected = {"site-dmz": {"SR 5.1 RE 1"},
                "cell-1": {"SR 5.1 RE 1", "SR 5.1 RE 2", "SR 5.2 RE 2", "SR 5.2 RE 3", "SR 5.3 RE 1"}}
    for zid in zones:
        opened = {g["requirement"]: g for g in zones[zid]["gaps_opened"]}
        assert set(opened) == expected[zid]
        assert all((g["state"], g["conduits"], g["assets"], g["owner_role"]) == (
            "partly_bounded", ["dmz-cell1"], [], "integrator") for g in opened.values())
        before, after = zones[zid]["sl_achieved"]["before"], zones[zid]["sl_achieved"]["after"]
        assert after == [*before[:4], 1, *before[5:]] and before[4] > 1
    # site-dmz's SR 4.1 RE 1 (untrusted networks) does not apply on dmz-cell1, which reaches none: unchanged
    assert zones["site-dmz"]["gaps_changed"] == []
    assert "SR 4.1 RE 1" in next(c for c in new.conduits if c.id == "dmz-cell1").not_applicable
    # every conduit of the two zones holds part of RDF only, so it is capped by its weaker zone: those above RDF 1
    # before fall to 1 (the others were at 1 or below already, and do not move)
    conduits = {c["id"]: c for c in impact["conduits"]}
    touching = {cid for cid, c in plant.conduits.items() if {"site-dmz", "cell-1"} & set(c.zones)}
    assert set(conduits) <= touching and conduits["dmz-cell1"]["presence"] == "added"
    assert {g["id"] for g in conduits["dmz-cell1"]["gaps_opened"]} == conduit_gaps
    assert "ent-dmz" in conduits
    for cid in set(conduits) - {"dmz-cell1"}:
        before, after = conduits[cid]["sl_achieved"]["before"], conduits[cid]["sl_achieved"]["after"]
        assert after == [*before[:4], 1, *before[5:]] and before[4] > 1 and conduits[cid]["gaps_opened"] == []
    capped = next(e for e in impact["effects"] if e["id"] == "sl-achieved:conduit:ent-dmz")
    assert "capped by its weaker zone (RDF by site-dmz)" in capped["message"]
    # the new conduit bypasses the cell 1 firewall's load limits that the washer PLC's CR 7.1 RE 1 compensation
    # relies on
    comp = {(c["asset"], c["requirement"]): c for c in impact["compensations"]}
    assert comp[("plc-washer", "CR 7.1 RE 1")]["before"] == "counts"
    assert comp[("plc-washer", "CR 7.1 RE 1")]["after"].startswith("does not count: it is not proven: enterprise -> "
                                                                  "ent-dmz -> site-dmz -> dmz-cell1 -> cell-1")
    high = effects(doc, at_least="high")
    assert ("compensation", "compensation:plc-washer:CR 7.1 RE 1") in high
    assert ("finding-opened", "finding-opened:compensation-path:plc-washer:CR 7.1 RE 1") in high
    # every new way in runs through the new conduit, and the cell 1 targets lose layers
    assert impact["attack_paths"] and all(p["via_added_conduits"] == ["dmz-cell1"] for p in impact["attack_paths"])
    depth = {d["asset"]: (d["before"], d["after"]) for d in impact["depth"]}
    # before: (outside) agv [WPA3] -> sup-agv [core switch] -> supervisory -> sup-cell1 [EAGLE40, SCADA hosts]: 4;
    # after: from the enterprise through the new dmz-cell1, one layer fewer: 3
    assert depth["plc-filler"] == (4, 3)
    assert {d["zone"] for d in impact["depth"]} == {"cell-1", "sis"}
    requirements = {r.id for r in load_catalog().items if r.part == "3-3"}
    (again,) = impact["reverify"]  # the new conduit: every requirement its SL-T asks, verified once
    assert again["where"] == "dmz-cell1" and set(again["requirements"]) <= requirements
    assert {"SR 5.1", "SR 5.2", "SR 7.7"} <= set(again["requirements"])


def test_firmware_update(history):
    repo, shas = history
    doc, res = diff_json(repo, shas[1], shas[2], "--fail-on", "low")
    assert res.returncode == 0  # nothing to gate: the change re-opens evidence, it opens no gap
    assert changes(doc) == {("asset", "plc-tunnel", "changed")}
    (change,) = doc["changes"]["changes"]
    assert change["fields"] == [{"field": "firmware", "old": "V3.2.17", "new": "V3.2.18"}]
    assert effects(doc) == set()
    assert doc["impact"]["zones"] == doc["impact"]["conduits"] == []
    again = {(r["scope"], r["where"]): r for r in doc["impact"]["reverify"]}
    assert set(again) == {("asset", "plc-tunnel"), ("zone", "cell-1")}
    # the capability evidence re-opened is every 4-2 item of an embedded device up to its SL-C {0 0 1 0 1 0 1}
    sl = {"IAC": 0, "UC": 0, "SI": 1, "DC": 0, "RDF": 1, "TRE": 0, "RA": 1}
    expected = {r.id for r in load_catalog().select(part="4-2", component_type="embedded_device")
                if r.level is not None and r.fr and r.level <= sl[r.fr]}
    assert set(again[("asset", "plc-tunnel")]["requirements"]) == expected
    assert "V3.2.17 -> V3.2.18" in again[("asset", "plc-tunnel")]["reason"]


def test_decommissioned_plc(history):
    repo, shas = history
    doc, _ = diff_json(repo, shas[2], shas[3])
    assert changes(doc) == {("asset", "plc-vhp", "changed"), ("flow", "eng-cell1:ews-02>plc-vhp/enip/44818", "removed")}
    assert effects(doc) == {("check", next(e["id"] for e in doc["impact"]["effects"] if e["kind"] == "check"))}
    (check,) = [e for e in doc["impact"]["effects"] if e["kind"] == "check"]
    assert check["message"].startswith("decommission-incomplete: asset 'plc-vhp'")
    # the PLC stops counting: gaps in cell 1 no longer name it, and it is no depth target any more
    changed = [e for e in doc["impact"]["effects"] if e["kind"] == "gap-changed"]
    assert changed and all(e["severity"] == "info" and "plc-vhp" in e["message"].split("->")[0]
                           and "plc-vhp" not in e["message"].split("->")[1] for e in changed)
    assert not [d for d in doc["impact"]["depth"] if d["asset"] == "plc-vhp"]
    (again,) = doc["impact"]["reverify"]
    assert (again["scope"], again["where"]) == ("conduit", "eng-cell1")
    assert {"SR 5.1", "SR 5.2", "SR 7.7"} <= set(again["requirements"])


def test_withdrawn_compensation(history):
    # The washer PLC (SL-C SI 1) meets SR 3.4 by itself: 4-2 asks CR 3.4 of an embedded device from SL 1, though
    # 3-3 asks SR 3.4 from SL 2. Its compensation was not needed, so withdrawing it changes no gap: an
    # informational effect, and the "compensation-unneeded" finding closes. Nothing gates the merge.
    repo, shas = history
    doc, res = diff_json(repo, shas[3], shas[4], "--fail-on", "low")
    assert res.returncode == 0, res.stderr
    assert changes(doc) == {("compensation", "plc-washer:CR 3.4", "removed")}
    assert effects(doc) == set()
    assert doc["impact"]["zones"] == []
    by_id = {e["id"]: e for e in doc["impact"]["effects"]}
    comp = by_id["compensation:plc-washer:CR 3.4"]
    assert comp["severity"] == "info" and "it was not needed (asset 'plc-washer' already meets SR 3.4" in \
        comp["message"]
    assert by_id["finding-closed:compensation:plc-washer:CR 3.4"]["severity"] == "info"
    (delta,) = doc["impact"]["compensations"]
    assert delta["before"].startswith("counts, not needed: ") and delta["after"] == "absent"


def test_change_record(history, tmp_path):
    repo, shas = history
    res = zw("change", "plant", "--from", shas[0], "-o", str(tmp_path / "moc.json"), "--as-of", AS_OF, cwd=repo)
    assert res.returncode == 0, res.stderr
    rec = json.loads((tmp_path / "moc.json").read_text())
    assert [c["subject"] for c in rec["commits"]] == SUBJECTS
    assert rec["to"]["commit"] == shas[-1] and rec["from"]["commit"] == shas[0]
    assert rec["uncommitted"] == []
    assert [(a["role"], a["kind"]) for a in rec["approvals"]] == [
        ("helvion-ot", "asset_owner"), ("alpenauto", "integrator"), ("vitrea", "product_supplier")]
    assert "plc-tunnel (firmware V3.2.17 -> V3.2.18)" in rec["approvals"][2]["why"]
    # the whole history's changes are the union of the steps'
    assert {(c["kind"], c["id"]) for c in rec["changes"]["changes"]} == {
        ("conduit", "dmz-cell1"), ("flow", "dmz-cell1:pi-dmz>plc-filler/opcua/4840"),
        ("countermeasure", "fw-dmz-cell1"),
        ("asset", "plc-tunnel"), ("asset", "plc-vhp"), ("flow", "eng-cell1:ews-02>plc-vhp/enip/44818"),
        ("compensation", "plc-washer:CR 3.4")}
    after = "\n".join(rec["verification"]["after"])
    assert "decommissioning checklist of plc-vhp" in after and "firmware V3.2.18" in after
    assert any("Reinstall firmware V3.2.17 on plc-tunnel" in s for s in rec["rollback"])
    assert any("Restore the compensation of CR 3.4 for plc-washer" in s for s in rec["rollback"])
    assert not any("dmz-cell1 for" in s for s in rec["rollback"])  # the conduit goes as a whole
    assert rec["fingerprints"]["from"] != rec["fingerprints"]["to"]


def test_change_record_markdown_and_pdf(history, tmp_path):
    repo, shas = history
    res = zw("change", "plant", "--from", shas[2], "--as-of", AS_OF, cwd=repo)
    assert res.returncode == 0, res.stderr
    md = res.stdout
    headings = [line for line in md.splitlines() if line.startswith("## ")]
    assert headings == ["## Why: the commits", "## What changes", "## Impact", "## Verify again",
                        "## Approvals required", "## Verification before the change",
                        "## Verification after the change", "## Rollback"]
    assert SUBJECTS[2] in md and SUBJECTS[3] in md and SUBJECTS[1] not in md
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is installed by .ci/run")
    res = zw("change", "plant", "--from", shas[2], "-o", str(tmp_path / "moc.pdf"), "--as-of", AS_OF, cwd=repo)
    assert res.returncode == 0, res.stderr
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "moc.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    for needle in ("Approvals required", "Rollback", "plc-vhp", "Withdraw the washer"):
        assert needle in text


def test_uncommitted_edits_are_part_of_the_record(history, tmp_path):
    repo, _ = history
    work = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(work)], check=True)
    cell2 = work / "plant" / "assets" / "cell-2.yaml"
    cell2.write_text(cell2.read_text().replace("    criticality: medium\n", "    criticality: high\n", 1))
    res = zw("change", "plant", "--from", "HEAD", "-o", str(tmp_path / "moc.json"), "--as-of", AS_OF, cwd=work)
    assert res.returncode == 0, res.stderr
    rec = json.loads((tmp_path / "moc.json").read_text())
    assert rec["commits"] == [] and rec["uncommitted"] == ["plant/assets/cell-2.yaml"]
    assert rec["to"]["commit"] is None
    (c,) = rec["changes"]["changes"]
    assert c["kind"] == "asset" and c["fields"][0]["field"] == "criticality"


def test_folders_and_reordering(tmp_path):
    """Two folders without git; moving a definition between files and reordering keys is no change."""
    root = Path(__file__).parents[2] / "src" / "zonewarden" / "examples" / "fill-finish"
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    cell2 = (copy / "assets" / "cell-2.yaml").read_text()
    head, body = cell2.split("assets:\n", 1)
    first, rest = body.split("\n  sw-cell2:", 1)  # fw-cell2 moves to a file of its own, the rest is reordered
    (copy / "assets" / "cell-2.yaml").write_text(head + "assets:\n  sw-cell2:" + rest)
    (copy / "assets" / "moved.yaml").write_text("assets:\n" + first + "\n")
    res = zw("diff", str(root), str(copy), "--format", "json", "--as-of", AS_OF)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["changes"]["changes"] == [] and doc["impact"]["effects"] == []
    res = zw("diff", str(root), str(copy), "--as-of", AS_OF)
    assert "0 change(s)" in res.stdout


def test_meets_compare_as_sets_and_tracking_goes_stale(tmp_path):
    root = Path(__file__).parents[2] / "src" / "zonewarden" / "examples" / "fill-finish"
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    text = (copy / "plant.yaml").read_text()
    text = text.replace("  inventory-sup:\n", "  inventory-dmz:\n    kind: monitoring\n    at: {zone: site-dmz}\n"
                        "    meets: [SR 7.8]\n  inventory-sup:\n", 1)
    (copy / "plant.yaml").write_text(text)
    cell1 = copy / "assets" / "cell-1.yaml"
    cell1.write_text(cell1.read_text().replace("meets: [CR 1.1, CR 2.1, CR 3.1, CR 3.4, EDR 3.10]",
                                               "meets: [EDR 3.10, CR 1.1, CR 2.1, CR 3.4, CR 7.1]", 1))
    res = zw("diff", str(root), str(copy), "--format", "json", "--as-of", AS_OF)
    doc = json.loads(res.stdout)
    iso = next(c for c in doc["changes"]["changes"] if c["id"] == "plc-isolator")
    assert iso["fields"] == [{"field": "capability.meets", "old": ["CR 1.1", "CR 2.1", "CR 3.1", "CR 3.4", "EDR 3.10"],
                              "new": ["EDR 3.10", "CR 1.1", "CR 2.1", "CR 3.4", "CR 7.1"], "added": ["CR 7.1"],
                              "removed": ["CR 3.1"]}]
    ids = {e["id"] for e in doc["impact"]["effects"]}
    assert "gap-closed:gap:site-dmz:SR 7.8" in ids
    assert "tracking-stale:gap:site-dmz:SR 7.8" in ids  # its tracking entry now matches nothing
    res = zw("diff", str(root), str(copy), "--format", "json", "--as-of", AS_OF, "--fail-on", "low")
    assert res.returncode == 1


@pytest.mark.parametrize(("args", "message"), [
    (("diff", "git:no-such-rev:plant", "git:HEAD"), "git:no-such-rev: no such revision"),
    (("diff", "git:HEAD:nowhere", "git:HEAD"), "nowhere does not exist at revision HEAD"),
    (("diff", "git:HEAD", "git:HEAD"), "name the plant inside the repository"),
    (("diff", "missing-folder", "git:HEAD"), "missing-folder: no such file or folder"),
    (("change", "plant", "--from", "no-such-rev"), "no such revision"),
    (("change", "plant", "--from", "HEAD", "-o", "moc.docx"), "must end in .md, .html, .pdf, .json"),
])
def test_bad_input_exits_2(history, args, message):
    repo, _ = history
    res = zw(*args, cwd=repo)
    assert res.returncode == 2, res.stdout + res.stderr
    assert message in res.stderr and "Traceback" not in res.stderr


def test_change_outside_git(tmp_path):
    root = Path(__file__).parents[2] / "src" / "zonewarden" / "examples" / "fill-finish"
    shutil.copytree(root, tmp_path / "plant")
    res = zw("change", str(tmp_path / "plant"), "--from", "HEAD", cwd=tmp_path)
    assert res.returncode == 2 and "is not inside a git repository" in res.stderr


def test_history_helper_commits(history):
    repo, shas = history
    assert len(shas) == 5 and git(repo, "log", "--format=%s", "-1") == SUBJECTS[-1]
