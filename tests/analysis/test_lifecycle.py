"""Lifecycle states drive the analyses: every asset by state with what its state still requires, on copies
of the example plant changed the way a plant changes (a PLC taken out of service, a review date coming up)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zonewarden.analysis.assess import assess
from zonewarden.analysis.checks import check_plant
from zonewarden.analysis.lifecycle import lifecycle
from zonewarden.cli import app
from zonewarden.model.load import load_plant
from zonewarden.model.tracking import load_tracking

from ..conftest import EXAMPLE, ROOT

DAY = dt.date(2026, 11, 22)
CAPPER = "    hostname: c2-plc-capper\n"
# the capper PLC is being taken out of service: credentials done, no certificates, the rest still to do
RETIRING = CAPPER + ('    lifecycle: decommissioning\n    decommission: {credentials_revoked: "2026-11-01", '
                     "certificates_revoked: n/a, by: helvion-ot}\n")


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the example plant that a test may edit."""
    target = tmp_path / "plant"
    shutil.copytree(EXAMPLE, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def by_asset(result) -> dict:
    return {a.asset: a for g in result.states for a in g.assets}


def test_example_assets_by_state_in_lifecycle_order():
    plant = load_plant(EXAMPLE)
    result = lifecycle(plant, as_of=DAY)
    assert [(g.state, [a.asset for a in g.assets]) for g in result.states if g.state != "operating"] == [
        ("planned", ["ews-03"]),
        ("commissioning", ["agv-03", "hmi-isolator"]),
        ("maintenance", ["hmi-labeller"]),
        ("decommissioning", ["hmi-washer"]),
        ("decommissioned", ["plc-stopper-old", "vpn-asa-old"]),
    ]
    assert len(result.states[2].assets) == 61 and result.states[2].state == "operating"
    assets = by_asset(result)
    assert [(r.id, r.severity) for r in assets["ews-03"].requires] == [("lifecycle:ews-03:sl-c", "medium")]
    assert assets["ews-03"].requires[0].text == (
        "its SL-C {2 2 2 1 2 1 2} falls short of zone engineering's SL-T {3 3 3 2 3 2 2} on IAC, UC, SI, DC, RDF, "
        "TRE: it would open gaps once commissioned")
    assert assets["ews-03"].requires[0].command_line("my plant") == (
        "zonewarden procure 'my plant' --zone engineering --type host_device")
    assert not assets["ews-03"].counted and assets["hmi-washer"].counted and not assets["vpn-asa-old"].counted
    # the example's checklists are complete: what a decommissioned asset still owes is staying out of traffic
    assert [r.id.removeprefix("lifecycle:vpn-asa-old:") for r in assets["vpn-asa-old"].requires] == ["traffic"]
    assert [r.what for r in assets["hmi-washer"].requires if r.what.startswith("decommission")] == []
    assert assets["vpn-asa-old"].requires[-1].text == (
        "must not appear in traffic: judge a capture (it lists no address, so traffic to its former ones reads as "
        "uninventoried: keep them listed)")
    labeller = assets["hmi-labeller"].requires
    assert labeller[-1].id == "lifecycle:hmi-labeller:reverify" and {r.what for r in labeller[:-1]} == {"gap"}


def test_a_plc_taken_out_of_service_owes_the_rest_of_its_checklist(example):
    edit(example / "assets" / "cell-2.yaml", CAPPER, RETIRING)
    plant = load_plant(example)
    capper = by_asset(lifecycle(plant, as_of=DAY))["plc-capper"]
    assert (capper.lifecycle, capper.counted) == ("decommissioning", True)  # still in place: still counted in SL-A
    assert [(r.id, r.severity, r.text) for r in capper.requires] == [
        ("lifecycle:plc-capper:decommission:data_erased", "medium", "still to do: data erased"),
        ("lifecycle:plc-capper:decommission:addresses_released", "medium", "still to do: addresses released"),
        ("lifecycle:plc-capper:decommission:flow_rules", "medium",
         "still to do: removed from every flow rule (conduit eng-cell2 flows[0]: ews-01 -> plc-capper s7comm/102; "
         "conduit sup-cell2 flows[0]: scada-srv-a -> plc-capper s7comm/102)"),
    ]
    [finding] = [f for f in check_plant(plant) if f.rule == "decommission-incomplete" and "capper" in f.id]
    assert finding.message == "asset 'plc-capper' is decommissioning; still to do: " + "; ".join(
        r.text.removeprefix("still to do: ") for r in capper.requires)


def test_once_decommissioned_its_rules_and_traffic_are_what_is_left(example):
    done = RETIRING.replace("decommissioning", "decommissioned").replace(
        "by: helvion-ot", 'data_erased: "2026-11-20", erasure_method: factory reset, addresses_released: n/a, '
        "by: helvion-ot")
    edit(example / "assets" / "cell-2.yaml", CAPPER, done)
    for rule in ("      - {from: ews-01, to: plc-capper, protocol: s7comm, port: 102, ops: [read, write, program, "
                 "diagnostics]}\n",
                 "      - {from: scada-srv-a, to: plc-capper, protocol: s7comm, port: 102, ops: [read, write]}\n"):
        edit(example / "plant.yaml", rule, "")
    plant = load_plant(example)
    capper = by_asset(lifecycle(plant, as_of=DAY))["plc-capper"]
    assert (capper.counted, [r.id for r in capper.requires]) == (False, ["lifecycle:plc-capper:traffic"])
    assert capper.requires[0].text == "must not appear in traffic: judge a capture"
    assert not [f for f in check_plant(plant) if "plc-capper" in f.id]


def test_compensations_due_for_review_are_named_on_their_asset():
    plant = load_plant(EXAMPLE)  # plc-capper's CR 1.1 compensation is due for review on 2027-03-02
    soon = by_asset(lifecycle(plant, as_of=dt.date(2027, 2, 20)))["plc-capper"].requires
    assert [(r.severity, r.text) for r in soon if r.what == "compensation"] == [
        ("low", "compensation of CR 1.1 is due for review by 2027-03-02")]
    late = by_asset(lifecycle(plant, as_of=dt.date(2027, 3, 3)))["plc-capper"].requires
    assert [(r.id, r.severity, r.text) for r in late if r.what == "compensation"] == [
        ("lifecycle:plc-capper:compensation:CR 1.1", "high",
         "compensation of CR 1.1 was due for review on 2027-03-02: it no longer counts")]
    assert not [r for r in by_asset(lifecycle(plant, as_of=DAY))["plc-capper"].requires if r.what == "compensation"]


def test_gaps_the_tracking_file_closes_are_not_requirements():
    plant = load_plant(EXAMPLE)
    tracking, _ = load_tracking(EXAMPLE / "tracking.yaml")  # accepts gap:cell-2:SR 1.*
    bare = by_asset(lifecycle(plant, as_of=DAY))["plc-capper"].requires
    tracked = by_asset(lifecycle(plant, assess(plant, tracking, as_of=DAY), DAY))["plc-capper"].requires
    assert "lifecycle:plc-capper:gap:cell-2:SR 1.1 RE 1" in {r.id for r in bare}
    assert not [r for r in tracked if (r.ref or "").startswith("gap:cell-2:SR 1.")]
    assert {r.id for r in tracked} < {r.id for r in bare}


def test_worked_example_in_lifecycle_doc(tmp_path):
    from zonewarden.analysis.conformance import conformance
    from zonewarden.analysis.procurement import procurement
    from zonewarden.standard.catalog import load_catalog
    from zonewarden.traffic.csvflows import read_csv_flows

    text = (ROOT / "docs" / "lifecycle.md").read_text().split("## Worked example", 1)[1]
    path = tmp_path / "plant.yaml"
    path.write_text(text.split("```yaml\n", 1)[1].split("```", 1)[0])
    listed = text.split("```text\n", 1)[1].split("```", 1)[0].splitlines()
    # ids hold single spaces (`CR 1.1 RE 1`): an id ends at the first double space, the severity follows
    expected = [(line.split("  ", 1)[0], line.split("  ", 1)[1].split()[0]) for line in listed]
    plant = load_plant(path)
    assert [(r.id, r.severity) for r in lifecycle(plant, as_of=DAY).requirements] == expected
    assert sorted(f.id for f in check_plant(plant)) == [
        "check:decommission-incomplete:assets/plc-old", "check:flow-unsendable:conduits/sup-ctl/flows/1/to"]
    catalog = load_catalog()
    pack = procurement(assess(plant, catalog=catalog, as_of=DAY), catalog, "ctl", "embedded_device")
    assert pack.for_assets == ["plc-spare"]
    csv = tmp_path / "flows.csv"
    csv.write_text("first_seen,src,dst,sport,dport,l4,app,ops,packets,bytes\n"
                   "1,10.5.2.10,10.5.1.10,40000,502,tcp,modbus,fc3=1,10,600\n")
    assert not [v for v in conformance(plant, read_csv_flows(csv)).verdicts if v.kind != "unused_rule"]


def test_lifecycle_command(example):
    edit(example / "assets" / "cell-2.yaml", CAPPER, RETIRING)
    runner = CliRunner()
    res = runner.invoke(app, ["lifecycle", str(example), "--format", "json", "--as-of", "2026-11-22"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert [s["state"] for s in doc["states"]] == ["planned", "commissioning", "operating", "maintenance",
                                                    "decommissioning", "decommissioned"]
    assert doc["summary"]["assets"] == {"planned": 1, "commissioning": 2, "operating": 60, "maintenance": 1,
                                        "decommissioning": 2, "decommissioned": 2}
    [capper] = [a for s in doc["states"] for a in s["assets"] if a["asset"] == "plc-capper"]
    assert capper["requires"][0] == {"id": "lifecycle:plc-capper:decommission:data_erased", "what": "decommission",
                                     "severity": "medium", "text": "still to do: data erased", "ref": "data_erased",
                                     "command": None}
    [ews] = doc["states"][0]["assets"]
    assert ews["requires"][0]["command"] == f"zonewarden procure {example} --zone engineering --type host_device"

    from ..cli.test_cli import zw

    table = zw("lifecycle", str(example), "--as-of", "2026-11-22")  # a shell's terminal width: COLUMNS=200
    assert table.returncode == 0, table.stderr
    assert "decommissioning (2): being taken out of service; counted in SL-A until it is gone" in table.stdout
    assert "still to do: removed from every flow rule (conduit eng-cell2 flows[0]: ews-01 -> plc-capper s7comm/102;" \
        in table.stdout
    assert "as of 2026-11-22: 1 planned, 2 commissioning, 60 operating, 1 maintenance, 2 decommissioning, " \
           "2 decommissioned;" in table.stdout

    # the gate: critical gaps name operating PLCs of cell 2; nothing is above critical
    assert runner.invoke(app, ["lifecycle", str(example), "--as-of", "2026-11-22", "--fail-on", "critical",
                               "--format", "json"]).exit_code == 1
    assert runner.invoke(app, ["lifecycle", str(example), "--as-of", "2026-11-22", "--fail-on", "never"]).exit_code == 0


def test_lifecycle_gate_on_a_small_plant(plant_file):
    path = plant_file("""\
        zones:
          z: {name: Z, level: 1, kind: control, networks: [10.0.0.0/24], sl_target: 0}
        assets:
          plc: {zone: z, type: embedded_device, addresses: [10.0.0.1]}
          old: {zone: z, type: embedded_device, addresses: [10.0.0.2], lifecycle: decommissioned}
          spare: {zone: z, type: embedded_device, lifecycle: planned}
        """)
    runner = CliRunner()
    assert runner.invoke(app, ["lifecycle", str(path), "--fail-on", "low"]).exit_code == 1  # old's checklist: medium
    assert runner.invoke(app, ["lifecycle", str(path), "--fail-on", "high"]).exit_code == 0
    done = path.read_text().replace("lifecycle: decommissioned}", "lifecycle: decommissioned, decommission: "
                                    "{credentials_revoked: n/a, certificates_revoked: n/a, data_erased: n/a, "
                                    'addresses_released: "2026-01-02"}}')
    path.write_text(done)
    assert runner.invoke(app, ["lifecycle", str(path), "--fail-on", "low"]).exit_code == 0  # only info is left
    assert runner.invoke(app, ["lifecycle", str(path), "--fail-on", "info"]).exit_code == 1


@pytest.mark.parametrize(("args", "expect"), [
    (["--as-of", "yesterday"], "--as-of 'yesterday': expected a date"),
    (["--fail-on", "bad"], "Invalid value"),
])
def test_lifecycle_bad_input_exits_2_without_a_traceback(args, expect):
    from ..cli.test_cli import zw

    res = zw("lifecycle", str(EXAMPLE), *args)
    assert res.returncode == 2 and expect in res.stderr and "Traceback" not in res.stderr + res.stdout


def test_lifecycle_of_an_invalid_plant_exits_2(plant_file):
    from ..cli.test_cli import zw

    path = plant_file("assets:\n  a: {zone: nowhere, type: embedded_device, decommission: {data_erased: soon}}\n")
    res = zw("lifecycle", str(path))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "expected the date the step was done" in res.stderr
