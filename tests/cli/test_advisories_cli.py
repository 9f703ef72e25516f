"""`zonewarden advisories`, `export --cyclonedx` and `import-sbom` on the example plant against CISA's real
CSAF advisories: the outcomes explained, patch states, findings, risk, the CycloneDX schema, bad input."""

from __future__ import annotations

import json
import shutil

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from ..advisories.conftest import CSAF
from ..conftest import EXAMPLE
from .test_cli import zw

pytestmark = pytest.mark.skipif(not CSAF.is_dir(), reason="the CSAF corpus is not here")


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    res = zw("advisories", str(EXAMPLE), "--csaf", str(CSAF), "--format", "json")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def _row(rows, asset, advisory):
    return next(r for r in rows if r["asset"] == asset and r["advisory"] == advisory)


def test_json_contract(rows) -> None:
    assert rows and all({"asset", "advisory", "cves", "cvss", "outcome", "evidence", "remediation"} <= set(r)
                        for r in rows)
    assert {r["outcome"] for r in rows} == {"affected", "not_affected", "fixed", "unknown"}


def test_affected_by_model_number(rows) -> None:
    # the 1516F's order number is listed in ICSA-22-349-03 for all versions
    r = _row(rows, "plc-filler", "ICSA-22-349-03")
    assert r["outcome"] == "affected" and r["reason"] == "all versions are affected (vers:all/*)"
    assert r["evidence"][0]["on"] == "model number" and r["evidence"][0]["matched"] == "6ES7516-3FN01-0AB0"
    assert r["cves"] == ["CVE-2021-40365", "CVE-2021-44693", "CVE-2021-44694", "CVE-2021-44695"]
    assert r["cvss"] == 7.5  # the highest of 7.5, 4.9, 5.5, 4.9
    assert r["patch"]["state"] == "deferred" and r["patch"]["compensated_by"] == ["fw-cell1-sup", "fw-cell1-eng"]
    assert r["raises_likelihood"] is False  # deferred with compensation in force


def test_affected_in_a_range_with_a_service_pack(rows) -> None:
    r = _row(rows, "drive-filler", "ICSA-23-348-05")  # SINAMICS S120 'All versions < V5.2 SP3 HF15'
    assert r["outcome"] == "affected" and "V5.2 SP3 is in" in r["reason"]
    assert r["remediation"][0]["category"] == "vendor_fix"


def test_fixed_and_not_affected(rows) -> None:
    fixed = _row(rows, "plc-filler", "ICSA-23-222-07")  # 'vers:all/<V2.9.7' and the PLC runs V2.9.7
    assert fixed["outcome"] == "fixed" and "past the affected 'vers:all/<V2.9.7'" in fixed["reason"]
    na = _row(rows, "plc-vhp", "ICSA-24-163-01")  # only V34.011 is listed; the CompactLogix runs 33.011
    assert na["outcome"] == "not_affected" and "outside 'V34.011'" in na["reason"]


def test_unknown_outcomes_say_why(rows) -> None:
    sw = _row(rows, "sw-cell2", "ICSA-20-056-04")  # EDS-510E '<= 5.2', firmware not recorded
    assert sw["outcome"] == "unknown" and sw["reason"].startswith("version unknown")
    wincc = _row(rows, "wincc", "ICSA-23-166-07")  # 'V7.5 SP2 Upd 14' against '<V7.5.2.13'
    assert wincc["outcome"] == "unknown" and wincc["reason"].startswith("cannot compare")
    assert wincc["patch"]["state"] == "installed"  # found through its CVE entry


def test_findings_and_risk() -> None:
    res = zw("advisories", str(EXAMPLE), "--csaf", str(CSAF))
    assert res.returncode == 0, res.stderr
    text = res.stdout
    # CVSS 9.0, evaluating, on the remote access gateway an entry point reaches with no layer
    assert "critical advisory:rag-01:ICSA-23-257-06" in text
    assert "patch-deferred:plc-tunnel:ICSA-20-105-08" in text and "names no compensating countermeasure" in text
    assert "advisory:plc-vhp:ICSA-24-226-10" in text and "has no patch entry" in text
    assert "advisory:plc-filler:ICSA-22-349-03" not in text  # it has a patch entry
    assert "ransomware-it (supervisory): likelihood 3 -> 4" in text
    assert zw("advisories", str(EXAMPLE), "--csaf", str(CSAF), "--fail-on", "critical").returncode == 1


def test_since_and_outcome_filters() -> None:
    res = zw("advisories", str(EXAMPLE), "--csaf", str(CSAF), "--since", "2024-06-01", "--outcome", "affected",
             "-f", "json")
    rows = json.loads(res.stdout)
    assert rows and all(r["outcome"] == "affected" and r["updated"] >= "2024-06-01" for r in rows)


def test_bad_input_exits_2(tmp_path) -> None:
    for args, words in [(["--csaf", str(tmp_path / "nope")], "not a folder"), (["--csaf", str(CSAF), "--since",
                        "yesterday"], "--since 'yesterday'"), (["--csaf", str(CSAF), "--outcome", "bad"], "--outcome")]:
        res = zw("advisories", str(EXAMPLE), *args)
        assert res.returncode == 2 and words in res.stderr and "Traceback" not in res.stderr


def test_cyclonedx_export_is_valid_with_vex(tmp_path) -> None:
    out = tmp_path / "bom.json"
    res = zw("export", str(EXAMPLE), "--cyclonedx", str(out), "--csaf", str(CSAF))
    assert res.returncode == 0, res.stderr
    text = out.read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    doc = json.loads(text)
    filler = next(c for c in doc["components"] if c["bom-ref"] == "asset:plc-filler")
    assert filler["type"] == "device" and filler["manufacturer"]["name"] == "Siemens"
    assert {"name": "zonewarden:model_number", "value": "6ES7516-3FN01-0AB0"} in filler["properties"]
    assert filler["components"][0] == {"type": "firmware", "bom-ref": "firmware:plc-filler",
                                       "name": "SIMATIC S7-1500F CPU 1516F-3 PN/DP firmware", "version": "V2.9.7"}
    vex = {(v["affects"][0]["ref"], v["id"]): v["analysis"] for v in doc["vulnerabilities"]}
    assert vex[("firmware:plc-filler", "CVE-2021-40365")]["response"] == ["workaround_available"]
    assert vex[("asset:wincc", "CVE-2023-30897")]["state"] == "resolved"  # installed
    assert vex[("firmware:plc-filler", "CVE-2023-0286")]["state"] == "resolved"  # fixed release (ICSA-23-222-07)
    assert vex[("asset:studio5000", "CVE-2021-22681")] == {"state": "exploitable", "response": ["update"],
                                                           "detail": "patch approved since 2024-09-30"}
    # a CycloneDX validator that accepts anything would prove nothing
    doc["vulnerabilities"][0]["analysis"]["state"] = "patched"
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(doc)) is not None


def test_export_without_advisories_states_the_patch_entries(tmp_path) -> None:
    res = zw("export", str(EXAMPLE), "--cyclonedx", "-")
    doc = json.loads(res.stdout)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(res.stdout) is None
    ids = sorted(v["id"] for v in doc["vulnerabilities"])
    assert ids == sorted(["ICSA-22-349-03", "ICSA-24-284-10", "ICSA-20-105-08", "ICSA-21-056-03", "ICSA-23-257-06",
                          "ICSA-24-256-14", "CVE-2023-30897"])


SBOM = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [
    {"type": "library", "name": "TCP/IP stack IPv6", "version": "6.0.1.66", "supplier": {"name": "Treck Inc."}},
    {"type": "application", "name": "CODESYS Runtime Toolkit 32-bit full", "version": "2.4.7.56",
     "supplier": {"name": "CODESYS GmbH"}},
]}


def test_import_sbom_joins_the_matching(tmp_path) -> None:
    plant = tmp_path / "plant"
    shutil.copytree(EXAMPLE, plant)
    sbom = tmp_path / "supplier.cdx.json"
    sbom.write_text(json.dumps(SBOM))
    res = zw("import-sbom", "printer-label", str(sbom), "--plant", str(plant))
    assert res.returncode == 0, res.stderr
    assert "2 components for printer-label" in res.stdout
    assert (plant / "assets" / "sbom" / "printer-label.cdx.json").is_file()
    assert "sbom: sbom/printer-label.cdx.json" in (plant / "assets" / "cell-2.yaml").read_text()
    rows = json.loads(zw("advisories", str(plant), "--csaf", str(CSAF), "-f", "json").stdout)
    mine = {(r["advisory"], r["component"], r["outcome"]) for r in rows if r["asset"] == "printer-label"}
    assert ("ICSA-20-353-01", "TCP/IP stack IPv6 6.0.1.66", "affected") in mine  # <= 6.0.1.67
    assert ("ICSA-21-173-03", "CODESYS Runtime Toolkit 32-bit full 2.4.7.56", "fixed") in mine  # < 2.4.7.55
    bom = json.loads(zw("export", str(plant), "--cyclonedx", "-", "--csaf", str(CSAF)).stdout)
    label = next(c for c in bom["components"] if c["bom-ref"] == "asset:printer-label")
    assert [c["name"] for c in label["components"][1:]] == ["TCP/IP stack IPv6", "CODESYS Runtime Toolkit 32-bit full"]


def test_import_sbom_bad_input(tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"spdxVersion": "SPDX-2.3"}))
    xml = tmp_path / "bom.xml"
    xml.write_text("<bom/>")
    for asset, f, words in [("printer-label", bad, "not a CycloneDX SBOM"), ("nope", bad, "no such asset"),
                            ("printer-label", xml, "CycloneDX XML is not read")]:
        res = zw("import-sbom", asset, str(f), "--plant", str(EXAMPLE))
        assert res.returncode == 2 and words in res.stderr and "Traceback" not in res.stderr
