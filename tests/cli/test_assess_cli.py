"""`zonewarden assess` and `zonewarden track` as a user runs them, and the example plant's reviewed result."""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from zonewarden.cli import app

from ..conftest import ROOT

runner = CliRunner()
SNAPSHOT = ROOT / "tests" / "snapshots" / "fill-finish.assess.json"


@pytest.fixture
def at_root():
    cwd = os.getcwd()
    os.chdir(ROOT)
    yield
    os.chdir(cwd)


def test_example_assessment_matches_the_reviewed_snapshot(at_root):
    res = runner.invoke(app, ["assess", "examples/fill-finish", "--format", "json", "--as-of", "2026-11-22"])
    assert res.exit_code == 0, res.output
    if os.environ.get("ZONEWARDEN_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(res.output)
    assert json.loads(res.output) == json.loads(SNAPSHOT.read_text())


def test_contract_keys(at_root):
    d = json.loads(runner.invoke(app, ["assess", "examples/fill-finish", "--format", "json"]).output)
    z = d["zones"][0]
    assert {"id", "sl_target", "sl_capability", "sl_achieved", "risk", "gaps"} <= set(z)
    assert all(len(z[k]) == 7 for k in ("sl_target", "sl_achieved"))
    gap = next(g for z in d["zones"] for g in z["gaps"])
    assert {"id", "requirement", "fr", "level", "assets", "owner_role", "techniques", "status", "state",
            "conduits"} <= set(gap)
    assert {"plant", "zones", "conduits", "summary", "external_zones"} <= set(d)
    assert [x["id"] for x in d["external_zones"]] == ["enterprise"] and "not_applicable" in z
    assert {g["state"] for z in d["zones"] for g in z["gaps"]} == {"assets_short", "system_level", "partly_bounded"}


def test_zone_detail_and_explain(at_root):
    res = runner.invoke(app, ["assess", "examples/fill-finish", "--zone", "cell-1", "--format", "json"])
    d = json.loads(res.output)
    assert [z["id"] for z in d["zones"]] == ["cell-1"] and len(d["zones"][0]["requirements"]) == 100
    res = runner.invoke(app, ["assess", "examples/fill-finish", "--explain", "SR 5.2 RE 1", "--format", "json"])
    d = json.loads(res.output)
    # the enterprise zone is outside the system under consideration: 8 zones of 9 are assessed
    assert d["requirement"] == "SR 5.2 RE 1" and len(d["zones"]) == 8 and len(d["conduits"]) == 11
    table = runner.invoke(app, ["assess", "examples/fill-finish", "--zone", "cell-1"])
    assert table.exit_code == 0 and "SR 1.1" in table.output


def test_fail_on_counts_only_open_items(at_root):
    assert runner.invoke(app, ["assess", "examples/fill-finish"]).exit_code == 0
    assert runner.invoke(app, ["assess", "examples/fill-finish", "--fail-on", "critical"]).exit_code == 1


def test_bad_arguments_exit_2(at_root, tmp_path):
    assert runner.invoke(app, ["assess", "examples/fill-finish", "--zone", "nope"]).exit_code == 2
    assert runner.invoke(app, ["assess", "examples/fill-finish", "--explain", "CR 1.1"]).exit_code == 2
    bad = tmp_path / "t.yaml"
    bad.write_text("zonewarden-tracking: 1\nentries:\n  - {id: x, status: done}\n")
    res = runner.invoke(app, ["assess", "examples/fill-finish", "--tracking", str(bad)])
    assert res.exit_code == 2 and f"{bad}:3:" in res.output.replace("\n", "")


def test_plant_with_errors_is_not_assessed(plant_file):
    path = plant_file("zones:\n  z: {name: Z, level: 1, kind: control}\nassets:\n  a: {zone: nowhere, "
                      "type: embedded_device}\n")
    res = runner.invoke(app, ["assess", str(path)])
    assert res.exit_code == 2 and "dangling-ref" in res.output


def test_track_init_seeds_a_file_that_assess_reads_back(tmp_path, plant_file):
    path = plant_file("zones:\n  z: {name: Z, level: 1, kind: control, sl_target: 1}\nassets:\n"
                      "  a: {zone: z, type: embedded_device, addresses: [10.0.0.1]}\n")
    res = runner.invoke(app, ["track", "init", str(path)])
    assert res.exit_code == 0, res.output
    text = (tmp_path / "tracking.yaml").read_text()
    assert '"gap:z:SR 1.1"' in text
    assert runner.invoke(app, ["track", "init", str(path)]).exit_code == 2
    d = json.loads(runner.invoke(app, ["assess", str(path), "--format", "json"]).output)
    assert d["tracking"]["stale"] == [] and d["tracking"]["matched"] == d["summary"]["gaps"]


def test_explain_shows_not_applicable_as_not_needed(at_root):
    d = json.loads(runner.invoke(app, ["assess", "examples/fill-finish", "--explain", "SR 1.6", "--format",
                                       "json"]).output)
    rows = {r["zone"]: r for r in d["zones"]}
    assert rows["cell-1"]["applicable"] is False and rows["cell-1"]["needed"] is False
    assert rows["cell-1"]["not_applicable"]["source"] == "inferred" and rows["agv"]["applicable"] is True
    table = runner.invoke(app, ["assess", "examples/fill-finish", "--explain", "SR 1.6"]).output
    assert "N/A" in table and "gap" not in table


def test_three_zone_plant_from_the_command_line():
    # tests/analysis/test_assessor_rules.py works these numbers out by hand
    plant = ROOT / "tests" / "analysis" / "plants" / "three-zones.yaml"
    res = runner.invoke(app, ["assess", str(plant), "--format", "json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert {z["id"]: z["sl_achieved"] for z in d["zones"]} == {"scada": [1, 0, 1, 1, 0, 2, 0],
                                                              "control": [2, 0, 1, 2, 0, 2, 0]}
    scada = d["zones"][0]
    assert all(g["assets"] == [] for g in scada["gaps"]) and len(scada["gaps"]) == 10
    assert {n["requirement"] for n in scada["not_applicable"]} == {"SR 1.6", "SR 1.6 RE 1", "SR 2.2", "SR 2.2 RE 1"}
    assert d["external_zones"][0]["id"] == "corp"
    table = runner.invoke(app, ["assess", str(plant)]).output
    assert "system level" in table and "outside the system under consideration" in table


def test_zone_outside_the_suc_is_refused_clearly():
    plant = ROOT / "tests" / "analysis" / "plants" / "three-zones.yaml"
    for extra in ([], ["--format", "json"]):
        res = runner.invoke(app, ["assess", str(plant), "--zone", "corp", *extra])
        assert res.exit_code == 2 and "outside the system under consideration" in res.output
