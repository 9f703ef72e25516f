"""`zonewarden crosswalk` on the example plant: the five views, three items checked by hand, the formats,
`catalog --map`, and bad input."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from zonewarden.analysis.assess import assess
from zonewarden.analysis.crosswalk import coverage
from zonewarden.model.load import load_plant
from zonewarden.standard.catalog import load_catalog
from zonewarden.standard.crosswalk import load_crosswalk

from ..conftest import EXAMPLE
from .test_cli import zw

runner = CliRunner()


def _view(framework: str, *extra: str) -> dict:
    res = zw("crosswalk", str(EXAMPLE), "--to", framework, "--format", "json", *extra)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def _item(doc: dict, tid: str) -> dict:
    return next(i for i in doc["items"] if i["id"] == tid)


@pytest.mark.parametrize(("framework", "units"), [("csf", 106), ("iso27001", 93), ("800-53", None),
                                                  ("nis2", 10), ("cra", 22)])
def test_five_views_on_the_example(framework, units):
    doc = _view(framework)
    counted = [i for i in doc["items"] if i["kind"] in {"subcategory", "control", "enhancement", "measure",
                                                         "requirement"}]
    assert sum(doc["rollup"].values()) == len(counted)
    if units:
        assert len(counted) == units
    assert set(doc["rollup"]) == {"covered", "partly", "not", "outside"}
    assert doc["rollup"]["covered"] > 0 and doc["rollup"]["partly"] > 0  # the example has both
    for g in doc["groups"]:
        assert sum(g["rollup"].values()) > 0
    table = zw("crosswalk", str(EXAMPLE), "--to", framework)
    assert table.returncode == 0 and "covered" in table.stdout and "Traceback" not in table.stderr


def test_nis2_training_measure_is_covered_by_the_programme_record():
    """By hand: 21(2)(g) hygiene and training is reached through CIR 8.1 (ORG 1.4) and CIR 8.2 (ORG 1.5); the
    example's `prog-training` countermeasure meets both, so the measure is covered, and no more than that."""
    item = _item(_view("nis2"), "21(2)(g)")
    assert item["coverage"] == "covered"
    reqs = {(r["id"], r["mapped_to"]): r for r in item["requirements"]}
    assert set(reqs) == {("ORG 1.4", "CIR 8.1"), ("ORG 1.5", "CIR 8.2")}
    assert all(r["state"] == "met" and r["met_in"] == ["prog-training"] for r in reqs.values())
    assert item["beyond_62443"] is True  # both edges are intersects_with


def test_iso_segregation_of_networks_is_partly_covered():
    """By hand: A.8.22 is reached from SR 5.1 and SR 5.4 (met in every zone and conduit where they apply: the
    example's firewalls and cabinet designs), NET 1.1 (met by the IT/OT firewall), and NET 1.3, NET 2.2 (the
    example records no programme evidence for segmentation from safety systems and for wireless)."""
    item = _item(_view("iso27001"), "A.8.22")
    states = {r["id"]: r["state"] for r in item["requirements"]}
    assert states == {"SR 5.1": "met", "SR 5.4": "met", "NET 1.1": "met", "NET 1.3": "not_evidenced",
                      "NET 2.2": "not_evidenced"}
    assert item["coverage"] == "partly"
    plant = load_plant(EXAMPLE)
    a = assess(plant, catalog=load_catalog())
    for sr in ("SR 5.1", "SR 5.4"):  # independent: no zone or conduit has a gap on them
        assert not [g for s in (*a.zones, *a.conduits) for g in s.gaps if g.requirement == sr]


def test_csf_authorization_lists_the_zones_with_gaps_and_their_tracking_status():
    """By hand: PR.AA-05 (access permissions) rests on SR 2.1, SR 1.13 (met where it applies) and SR 2.7
    (concurrent session control); the gaps of each are exactly the assessment's gaps of that requirement."""
    item = _item(_view("csf"), "PR.AA-05")
    reqs = {r["id"]: r for r in item["requirements"]}
    assert reqs["SR 1.13"]["state"] == "met"
    a = assess(load_plant(EXAMPLE), catalog=load_catalog())
    for rid in ("SR 2.1", "SR 2.7"):
        expected = sorted(g.where for s in (*a.zones, *a.conduits) for g in s.gaps if g.requirement == rid)
        assert sorted(g["where"] for g in reqs[rid]["gaps"]) == expected
        assert reqs[rid]["state"] in (("gap", "partly") if expected else ("met",))
    expected = sorted(g.where for s in (*a.zones, *a.conduits) for g in s.gaps if g.requirement == "SR 2.7")
    assert expected and sorted(g["where"] for g in reqs["SR 2.7"]["gaps"]) == expected
    assert reqs["SR 2.7"]["state"] in ("gap", "partly")
    assert item["coverage"] == "partly"


def test_tracking_status_reaches_the_crosswalk(tmp_path):
    plant = load_plant(EXAMPLE)
    a = assess(plant, catalog=load_catalog())
    gap = next(g for s in a.zones for g in s.gaps if g.requirement == "SR 2.7")
    tracking = tmp_path / "tracking.yaml"
    tracking.write_text(f"zonewarden-tracking: 1\nentries:\n  - {{id: '{gap.id}', status: accepted, owner: helvion-ot, "
                        "justification: vendor sessions are single by procedure}\n")
    item = _item(_view("csf", "--tracking", str(tracking)), "PR.AA-05")
    sr = next(r for r in item["requirements"] if r["id"] == "SR 2.7")
    assert {"where": gap.where, "status": "accepted"} in sr["gaps"]


def test_cra_vulnerability_handling_is_not_evidenced_in_an_owner_plant():
    item = _item(_view("cra"), "II(1)")
    assert item["coverage"] == "not"
    assert {r["state"] for r in item["requirements"]} == {"not_evidenced"}
    assert "SM-9" in {r["id"] for r in item["requirements"]}
    outside = _item(_view("cra"), "I(2)(g)")
    assert outside["coverage"] == "outside" and "62443" in outside["why"]


def test_min_confidence_low_adds_the_compositions():
    default, wide = _view("800-53"), _view("800-53", "--min-confidence", "low")
    assert wide["rollup"]["outside"] < default["rollup"]["outside"]
    derived = [r for i in wide["items"] for r in i["requirements"] if r["derived"]]
    assert derived and all(r["confidence"] == "low" and r["via"] for r in derived)


def test_markdown_and_xlsx(tmp_path):
    md = tmp_path / "nis2.md"
    res = zw("crosswalk", str(EXAMPLE), "--to", "nis2", "-o", str(md))
    assert res.returncode == 0, res.stderr
    text = md.read_text()
    assert text.startswith("# Crosswalk: Fill-Finish Line 3 -> NIS2")
    assert "No official crosswalk" in text and "| 21(2)(g) |" in text and "## Detail items" in text
    assert "| CIR 8.1 |" in text and "## Edges" in text
    xlsx = tmp_path / "iso.xlsx"
    res = zw("crosswalk", str(EXAMPLE), "--to", "iso27001", "--format", "xlsx", "-o", str(xlsx))
    assert res.returncode == 0, res.stderr
    wb = load_workbook(io.BytesIO(xlsx.read_bytes()))
    assert wb.sheetnames == ["coverage", "edges", "about"]
    rows = list(wb["coverage"].iter_rows(values_only=True))
    assert len(rows) == 94 and rows[0][:4] == ("id", "kind", "title", "coverage")
    a822 = next(r for r in rows if r[0] == "A.8.22")
    assert a822[3] == "partly"


def test_report_has_the_crosswalk_section_and_sheet(tmp_path):
    html, xlsx = tmp_path / "r.html", tmp_path / "r.xlsx"
    assert zw("report", str(EXAMPLE), "-o", str(html)).returncode == 0
    assert zw("report", str(EXAMPLE), "-o", str(xlsx)).returncode == 0
    text = html.read_text()
    assert "What this 62443 work gives towards other frameworks" in text
    assert "NIST Cybersecurity Framework 2.0" in text and "Cyber Resilience Act" in text
    wb = load_workbook(io.BytesIO(xlsx.read_bytes()))
    rows = list(wb["crosswalk"].iter_rows(values_only=True))
    assert rows[0][:5] == ("framework", "id", "kind", "title", "coverage")
    cov = coverage(assess(load_plant(EXAMPLE), catalog=load_catalog()), load_crosswalk(), "nis2", load_catalog())
    nis2 = {r[1]: r[4] for r in rows if r[0] == "nis2"}
    assert nis2 == {c.item.id: c.coverage for c in cov.units()}


def test_catalog_map_both_ways():
    res = zw("catalog", "--map", "SR 5.1", "--format", "json")
    assert res.returncode == 0, res.stderr
    [doc] = json.loads(res.stdout)
    assert doc["id"] == "SR 5.1" and {e["framework"] for e in doc["edges"]} >= {"csf", "iso27001", "800-53"}
    back = json.loads(zw("catalog", "--map", "a.8.22", "--format", "json").stdout)
    assert back[0]["id"] == "A.8.22" and "SR 5.1" in {e["source"] for e in back[0]["edges"]}
    both = json.loads(zw("catalog", "--map", "SR-3", "--format", "json").stdout)
    assert {d["framework"] for d in both} == {"iec62443", "800-53"}  # the 4-1 practice and the 800-53 control
    one = json.loads(zw("catalog", "--map", "800-53:SR-3", "--format", "json").stdout)
    assert [d["framework"] for d in one] == ["800-53"]
    why = json.loads(zw("catalog", "--map", "cra:I(2)(g)", "--format", "json").stdout)
    assert why[0]["edges"] == [] and "62443" in why[0]["not_covered"]
    table = zw("catalog", "--map", "21(2)(d)")
    assert table.returncode == 0 and "supply" in table.stdout.lower()


@pytest.mark.parametrize(("args", "needle"), [
    (["--to", "cobit"], "--to"),
    (["--to", "csf", "--format", "xlsx"], "give --output"),
    (["--to", "csf", "-o", "out.txt"], "name a .json, .md or .xlsx"),
    (["--to", "csf", "--min-confidence", "sure"], "--min-confidence"),
])
def test_bad_input_exits_2_with_one_clear_line(args, needle, tmp_path):
    res = zw("crosswalk", str(EXAMPLE), *args, cwd=tmp_path)
    assert res.returncode == 2
    assert needle in res.stderr and "Traceback" not in res.stderr


def test_catalog_map_unknown_id_exits_2():
    res = zw("catalog", "--map", "XX-99")
    assert res.returncode == 2 and "no 62443 requirement" in res.stderr
