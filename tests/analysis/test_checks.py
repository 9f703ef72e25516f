"""One tiny plant per check rule: the rule fires, at the file, line and column a reader expects.

Each case names an anchor: the text (and which occurrence of it) the finding must point at.
A meta-test fails when a rule in RULES has no case here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zonewarden.analysis.checks import RULES, check_raw
from zonewarden.cli import app
from zonewarden.model.load import read_raw

Z12 = """\
zones:
  z1: {name: Z1, level: 1, kind: control, networks: [10.0.1.0/24]}
  z2: {name: Z2, level: 2, kind: supervisory, networks: [10.0.2.0/24]}
"""
A1 = """\
assets:
  a1: {zone: z1, type: embedded_device, addresses: [10.0.1.10]}
  a2: {zone: z2, type: host_device, addresses: [10.0.2.10]}
"""

CASES: dict[str, tuple[str, str | tuple[str, int]]] = {
    "format-version": ("zonewarden: 2\nplant: {name: X}\n", "2\n"),
    "unknown-key": (Z12.replace("networks: [10.0.1.0/24]}", "networks: [10.0.1.0/24], colour: red}") + A1,
                    "colour"),
    "missing-field": ("zones:\n  z1: {name: Z1, level: 1}\n", "{name: Z1"),
    "invalid-value": (Z12 + A1.replace("type: embedded_device", "type: robot_arm"), "robot_arm"),
    "sl-range": (Z12.replace("networks: [10.0.1.0/24]}", "networks: [10.0.1.0/24], sl_target: [1, 1, 1, 1, 1, 1, 6]}")
                 + A1, "[1, 1, 1"),
    "duplicate-id": (Z12 + A1 + "  a1: {zone: z1, type: embedded_device, addresses: [10.0.1.11]}\n", ("a1:", 2)),
    "asset-in-two-zones": (Z12 + A1 + "  a1: {zone: z2, type: embedded_device, addresses: [10.0.2.11]}\n",
                           ("a1:", 2)),
    "dangling-ref": (Z12 + A1.replace("a2: {zone: z2", "a2: {zone: nowhere"), "nowhere"),
    "conduit-unknown-zone": (Z12 + A1 + "conduits:\n  c1: {zones: [z1, zz], flows: []}\n", "zz"),
    "conduit-self": (Z12 + A1 + "conduits:\n  c1: {zones: [z1, z1]}\n", "[z1, z1]"),
    "countermeasure-placement": (
        Z12 + A1 + "conduits:\n  c1: {zones: [z1, z2], countermeasures: [fw]}\n"
        "countermeasures:\n  fw: {kind: firewall, at: {zone: z1}}\n", "fw]"),
    "ambiguous-id": (Z12 + A1 + "  z1: {zone: z2, type: host_device, addresses: [10.0.2.11]}\n", "z1: {zone"),
    "address-outside-zone": (Z12 + A1.replace("[10.0.2.10]", "[10.0.2.10, 10.9.9.9]"), "10.9.9.9"),
    "address-duplicate": (Z12 + A1 + "  a3: {zone: z2, type: host_device, addresses: [10.0.2.10]}\n",
                          ("10.0.2.10", 2)),
    "network-overlap": (Z12.replace("[10.0.2.0/24]", "[10.0.2.0/24, 10.0.1.128/25]") + A1, "10.0.1.128/25"),
    "flow-endpoint-outside": (
        Z12 + "  z3: {name: Z3, level: 3, kind: operations, networks: [10.0.3.0/24]}\n" + A1
        + "  a3: {zone: z3, type: host_device, addresses: [10.0.3.10]}\n"
        + "conduits:\n  c1:\n    zones: [z1, z2]\n    flows:\n      - {from: a3, to: a1, protocol: modbus}\n",
        "a3, to"),
    "flow-unsendable": (Z12 + A1 + "  a4: {zone: z1, type: host_device, addresses: [10.0.1.12]}\n"
                        "conduits:\n  c1:\n    zones: [z1, z2]\n    flows:\n"
                        "      - {from: a4, to: a1, protocol: modbus}\n", "{from: a4"),
    "unknown-requirement": (Z12 + A1 + "countermeasures:\n  hard: {kind: hardening, at: {asset: a1}, "
                            "meets: [SR 1.1, SR 9.9]}\n", "SR 9.9"),
    "compensation-approver": (
        Z12 + A1 + "countermeasures:\n  j: {kind: jump_host, at: {zone: z2}}\n"
        "compensations:\n  - {asset: a1, requirement: CR 1.1, by: [j], approved_by: integ, justification: x}\n",
        "integ, justification"),
    "compensation-unapproved": (
        Z12 + A1 + "countermeasures:\n  j: {kind: jump_host, at: {zone: z2}}\n"
        "compensations:\n  - {asset: a1, requirement: CR 1.1, by: [j], justification: x}\n", "{asset: a1, req"),
    "compensation-duplicate": (
        Z12 + A1 + "countermeasures:\n  j: {kind: jump_host, at: {zone: z2}}\ncompensations:\n"
        "  - {asset: a1, requirement: CR 1.1, by: [j], approved_by: owner, justification: x}\n"
        "  - {asset: a1, requirement: CR  1.1, by: [j], approved_by: owner, justification: y}\n",
        "{asset: a1, requirement: CR  1.1"),
    "compensation-dates": (
        Z12 + A1 + "countermeasures:\n  j: {kind: jump_host, at: {zone: z2}}\ncompensations:\n"
        "  - {asset: a1, requirement: CR 1.1, by: [j], approved_by: owner, justification: x,\n"
        "     approved_on: 2026-03-01, review_by: 2025-03-01}\n", "2025-03-01"),
    "requirement-type-mismatch": (Z12 + A1.replace("type: host_device,", "type: host_device, capability: "
                                                   "{meets: [CR 1.1, EDR 3.14]},"), "EDR 3.14"),
    "requirement-without-effect": (Z12 + A1 + "countermeasures:\n  hard: {kind: hardening, at: {zone: z1}, "
                                   "meets: [SR 7.7, CR 3.14]}\n", "CR 3.14"),
    "certificate-without-sl": (Z12 + A1.replace("type: host_device,", "type: host_device, capability: "
                                                "{certificate: vendor self-declaration},"), "vendor self"),
    "zone-flows-unused": (Z12.replace("networks: [10.0.1.0/24]}", "networks: [10.0.1.0/24],\n"
                                      "       flows: [{from: a1, to: a1, protocol: modbus}]}") + A1, "[{from"),
    "unknown-technique": (Z12 + A1 + "risk:\n  tolerable: 6\n  scenarios:\n"
                          "    - {id: s1, zone: z1, techniques: [T0803, T0999], likelihood: 2,\n"
                          "       consequence: {safety: 3}}\n",
                          "T0999"),
    "risk-scale": (Z12 + A1 + "risk:\n  tolerable: 6\n  scenarios:\n"
                   "    - {id: s1, zone: z1, likelihood: 7, consequence: {safety: 3}}\n", "7,"),
    "supplier-role": (Z12 + A1.replace("type: host_device,", "type: host_device, supplier: integ,"), "integ,"),
    "asset-no-address": (Z12 + A1 + "  a5: {zone: z1, type: embedded_device}\n", "{zone: z1, type: embedded_device}\n"),
    "zone-empty": (Z12 + "  z3: {name: Z3, level: 3, kind: operations}\n" + A1, "{name: Z3"),
    "untrusted-unprotected": (
        Z12.replace("kind: supervisory,", "kind: supervisory, trust: untrusted,") + A1
        + "conduits:\n  c1: {zones: [z1, z2]}\n", "{zones: [z1, z2]}"),
    "legacy-uncompensated": (Z12 + A1.replace("addresses: [10.0.1.10]", "addresses: [10.0.1.10], legacy: true"),
                             "true"),
    "decommission-incomplete": (Z12 + A1.replace("addresses: [10.0.1.10]}",
                                                 "addresses: [10.0.1.10], lifecycle: decommissioning}"),
                                "decommissioning}"),
    "countermeasure-device-missing": (
        Z12 + A1 + "conduits:\n  c: {zones: [z1, z2]}\ncountermeasures:\n  f1: {kind: firewall, at: {conduit: c}}\n"
        "  f2: {kind: router_acl, at: {conduit: c}}\n", "f2:"),
    "decommission-early": (Z12 + A1.replace("addresses: [10.0.1.10]}",
                                            'addresses: [10.0.1.10], decommission: {data_erased: "2026-01-05"}}'),
                           "decommission:"),
    "external-zone-target": (Z12.replace("kind: supervisory,", "kind: supervisory, trust: untrusted, "
                                         "sl_target: [2, 2, 2, 2, 2, 2, 3],") + A1, "[2, 2, 2"),
    "not-applicable-unapproved": (Z12.replace("networks: [10.0.1.0/24]}", "networks: [10.0.1.0/24],\n"
                                              "       applicability: [{requirement: SR 5.4, justification: x}]}") + A1,
                                  "{requirement: SR 5.4"),
    "not-applicable-contradicted": (
        Z12.replace("networks: [10.0.1.0/24]}", "networks: [10.0.1.0/24],\n       applicability: [{requirement: "
                    "SR 1.6, justification: x, approved_by: owner}]}") + A1
        + "  ap: {zone: z1, type: network_device, function: wireless_ap, addresses: [10.0.1.20]}\n",
        "{requirement: SR 1.6"),
    "not-applicable-not-3-3": (Z12.replace("networks: [10.0.1.0/24]}", "networks: [10.0.1.0/24],\n"
                                           "       applicability: [{requirement: CR 1.1, justification: x}]}") + A1,
                               "CR 1.1"),
    "zone-mixes-business": (Z12 + A1.replace("embedded_device,", "embedded_device, function: plc,")
                            + "  mes: {zone: z1, type: host_device, function: mes, addresses: [10.0.1.30]}\n",
                            "{name: Z1"),
    "zone-mixes-safety": (Z12 + A1.replace("embedded_device,", "embedded_device, function: plc,")
                          + "  sis: {zone: z1, type: embedded_device, function: sis, addresses: [10.0.1.30]}\n",
                          "{name: Z1"),
    "zone-mixes-temporary": (Z12 + A1 + "  lap: {zone: z1, type: host_device, temporary: true, "
                             "addresses: [10.0.1.30]}\n", "{name: Z1"),
    "zone-mixes-wireless": (Z12 + A1.replace("embedded_device,", "embedded_device, function: plc,")
                            + "  ap: {zone: z1, type: network_device, function: wireless_ap, addresses: [10.0.1.30]}\n",
                            "{name: Z1"),
    "zone-mixes-external": (Z12 + A1.replace("embedded_device,", "embedded_device, function: plc,")
                            + "  modem: {zone: z1, type: network_device, reachable_from_outside: true, "
                            "addresses: [10.0.1.30]}\n", "{name: Z1"),
    "zone-mixes-criticality": (Z12 + A1.replace("embedded_device,", "embedded_device, criticality: high,")
                               + "  s: {zone: z1, type: embedded_device, criticality: low, addresses: [10.0.1.30]}\n",
                               "{name: Z1"),
}


def _anchor_location(path: Path, anchor: str | tuple[str, int]) -> tuple[int, int]:
    text, nth = (anchor, 1) if isinstance(anchor, str) else anchor
    content = path.read_text()
    at = -1
    for _ in range(nth):
        at = content.index(text, at + 1)
    line = content.count("\n", 0, at) + 1
    column = at - (content.rfind("\n", 0, at) + 1) + 1
    return line, column


def test_every_rule_has_a_fixture():
    # `unreadable` is proven in tests/cli/test_cli.py: it is what check says when read_raw fails
    assert set(CASES) == set(RULES) - {"unreadable"}, set(RULES) ^ set(CASES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fires_at_the_right_place(rule, plant_file):
    body, anchor = CASES[rule]
    path = plant_file(body, header=rule != "format-version")
    result = check_raw(read_raw(path))
    hits = [f for f in result.findings if f.rule == rule]
    assert hits, f"{rule} did not fire; got {[(f.rule, f.message) for f in result.findings]}"
    line, column = _anchor_location(path, anchor)
    assert any(f.location and (f.location.line, f.location.column) == (line, column) for f in hits), \
        [(str(f.location), f.message) for f in hits]
    assert all(f.severity == RULES[rule].severity for f in hits)


@pytest.mark.parametrize("rule", sorted(r for r in CASES if RULES[r].severity == "error"))
def test_error_rule_fails_the_cli_with_file_line_column(rule, plant_file):
    body, anchor = CASES[rule]
    path = plant_file(body, header=rule != "format-version")
    line, column = _anchor_location(path, anchor)
    res = CliRunner().invoke(app, ["check", str(path)])
    assert res.exit_code == 1, res.output
    assert f"{path}:{line}:{column}" in res.output
    assert "Traceback" not in res.output


@pytest.mark.parametrize("rule", sorted(r for r in CASES if RULES[r].severity == "warning"))
def test_warning_rule_passes_by_default_and_fails_on_warning(rule, plant_file):
    body, _ = CASES[rule]
    path = plant_file(body)
    runner = CliRunner()
    assert runner.invoke(app, ["check", str(path)]).exit_code == 0
    res = runner.invoke(app, ["check", str(path), "--fail-on", "warning", "--format", "json"])
    assert res.exit_code == 1
    assert rule in {f["rule"] for f in json.loads(res.output)["findings"]}


def test_finding_ids_are_stable_and_path_based(plant_file):
    path = plant_file(CASES["address-outside-zone"][0])
    ids = [f.id for f in check_raw(read_raw(path)).findings]
    assert "check:address-outside-zone:assets/a2/addresses/1" in ids
    assert ids == [f.id for f in check_raw(read_raw(path)).findings]


def test_clean_small_plant_has_no_findings(plant_file):
    path = plant_file(Z12 + A1)
    assert check_raw(read_raw(path)).findings == []


def test_programme_ids_in_meets_do_not_warn_but_process_ids_do(plant_file):
    """2-1 and 2-4 ids record the asset owner's programme (the crosswalk counts them); a 4-1 practice on a
    countermeasure of the plant is still a claim SL-A cannot use."""
    cms = "countermeasures:\n  prog: {kind: procedure, at: {zone: z1}, meets: [ORG 1.4, CM 1.4, SP.01, SM-1]}\n"
    found = check_raw(read_raw(plant_file(Z12 + A1 + cms))).findings
    assert [f.message.split(" meets ")[1].split(",")[0] for f in found if f.rule == "requirement-without-effect"] \
        == ["SM-1"]


def test_address_in_another_zones_network_is_an_error_even_without_own_networks(plant_file):
    path = plant_file(Z12 + "  z3: {name: Z3, level: 3, kind: operations}\n" + A1
                      + "  a3: {zone: z3, type: host_device, addresses: [10.0.1.77]}\n")
    [f] = [f for f in check_raw(read_raw(path)).findings if f.rule == "address-outside-zone"]
    assert "lies in network 10.0.1.0/24 of zone 'z1', not in its zone 'z3'" in f.message


def test_same_address_twice_on_one_asset(plant_file):
    path = plant_file(Z12 + A1.replace("[10.0.1.10]", "[10.0.1.10, 10.0.1.10]"))
    [f] = check_raw(read_raw(path)).findings
    assert f.rule == "address-duplicate" and "listed twice by the same asset" in f.message


def test_union_errors_give_one_finding_with_a_clean_stable_id(plant_file):
    path = plant_file(Z12 + A1 + "conduits:\n  c1:\n    zones: [z1, z2]\n    flows:\n"
                      "      - {from: a1, to: a2, port: abc}\n")
    findings = check_raw(read_raw(path)).findings
    assert [f.id for f in findings] == ["check:invalid-value:conduits/c1/flows/0/port"]


def test_legacy_warning_stays_when_the_approver_is_not_an_owner(plant_file):
    path = plant_file(CASES["compensation-approver"][0].replace("addresses: [10.0.1.10]}",
                                                                 "addresses: [10.0.1.10], legacy: true}"))
    rules = {f.rule for f in check_raw(read_raw(path)).findings}
    assert {"compensation-approver", "legacy-uncompensated"} <= rules


def test_risk_bands_must_rise(plant_file):
    path = plant_file(Z12 + A1 + "risk:\n  tolerable: 6\n  bands: {high: 20, critical: 10}\n")
    assert [f.rule for f in check_raw(read_raw(path)).findings] == ["risk-scale"]


RETIRED = Z12 + """\
conduits:
  c1:
    zones: [z1, z2]
    flows:
      - {from: a2, to: a1, protocol: modbus, port: 502}
      - {from: z2, to: z1, protocol: https}
      - {from: a1, to: a2, protocol: opcua, port: 4840, direction: both}
assets:
  a1:
    zone: z1
    type: embedded_device
    addresses: [10.0.1.10]
    lifecycle: decommissioning
    decommission:
      credentials_revoked: "2026-01-05"
      certificates_revoked: n/a
      by: owner
  a2: {zone: z2, type: host_device, addresses: [10.0.2.10]}
"""


def test_decommission_incomplete_names_each_missing_step_and_every_rule_that_names_the_asset(plant_file):
    path = plant_file(RETIRED)
    [f] = check_raw(read_raw(path)).findings
    assert f.rule == "decommission-incomplete" and f.requirement == "SR 4.2"
    assert f.message == ("asset 'a1' is decommissioning; still to do: data erased; addresses released; removed from "
                         "every flow rule (conduit c1 flows[0]: a2 -> a1 modbus/502; "
                         "conduit c1 flows[2]: a1 <> a2 opcua/4840)")  # the zone-level rule names no asset
    assert f.id == "check:decommission-incomplete:assets/a1"
    assert (f.location.line, f.location.column) == _anchor_location(path, "decommission:")


def test_a_complete_checklist_and_no_rule_left_is_clean(plant_file):
    done = RETIRED.replace('      by: owner\n', '      data_erased: "2026-01-09"\n      erasure_method: factory reset\n'
                           '      addresses_released: n/a\n      by: owner\n      notes: ticket OT-12\n')
    done = done.replace("      - {from: a2, to: a1, protocol: modbus, port: 502}\n", "").replace(
        "      - {from: a1, to: a2, protocol: opcua, port: 4840, direction: both}\n", "")
    assert check_raw(read_raw(plant_file(done))).findings == []


def test_decommission_finding_keeps_its_id_before_and_after_the_block_is_written(plant_file):
    bare = RETIRED.split("    decommission:\n")[0] + "  a2: {zone: z2, type: host_device, addresses: [10.0.2.10]}\n"
    path = plant_file(bare)
    [f] = check_raw(read_raw(path)).findings
    assert f.id == "check:decommission-incomplete:assets/a1"
    assert f.message.startswith("asset 'a1' is decommissioning; still to do: credentials revoked; certificates "
                                "revoked; data erased; addresses released; removed from every flow rule")
    assert (f.location.line, f.location.column) == _anchor_location(path, "decommissioning")


def test_decommission_by_is_a_checked_role_and_steps_are_dates_or_n_a(plant_file):
    bad_role = check_raw(read_raw(plant_file(RETIRED.replace("by: owner", "by: nobody")))).findings
    assert [(f.rule, f.message) for f in bad_role if f.rule == "dangling-ref"] == [
        ("dangling-ref", "assets.a1.decommission.by: no role 'nobody' is defined")]
    path = plant_file(RETIRED.replace('credentials_revoked: "2026-01-05"', "credentials_revoked: last week"))
    [f] = check_raw(read_raw(path)).findings
    assert f.rule == "invalid-value" and "expected the date the step was done" in f.message
    assert (f.location.line, f.location.column) == _anchor_location(path, "last week")
    unknown = check_raw(read_raw(plant_file(RETIRED.replace("by: owner", "by: owner\n      wiped: true"))))
    assert [f.rule for f in unknown.findings] == ["unknown-key"]


def test_a_decommissioned_assets_address_may_be_reused(plant_file):
    reuse = Z12 + A1 + ("  old: {zone: z1, type: embedded_device, addresses: [10.0.1.10], lifecycle: decommissioned,\n"
                        "        decommission: {credentials_revoked: n/a, certificates_revoked: n/a, "
                        'data_erased: "2026-01-02", addresses_released: "2026-01-03"}}\n'
                        "  older: {zone: z1, type: embedded_device, addresses: [10.0.1.10], lifecycle: decommissioned,"
                        "\n          decommission: {credentials_revoked: n/a, certificates_revoked: n/a, "
                        'data_erased: n/a, addresses_released: "2019-05-01"}}\n')
    assert check_raw(read_raw(plant_file(reuse))).findings == []
    # still an error between two assets in service, or within one asset's own list
    live = reuse.replace("lifecycle: decommissioned,\n        decommission", "lifecycle: decommissioning,\n"
                         "        decommission")
    assert [f.message for f in check_raw(read_raw(plant_file(live))).findings] == [
        "address 10.0.1.10 of asset 'old' is also claimed by asset 'a1'"]
    twice = reuse.replace("addresses: [10.0.1.10], lifecycle: decommissioned,\n        decommission",
                          "addresses: [10.0.1.10, 10.0.1.10], lifecycle: decommissioned,\n        decommission")
    assert [f.message for f in check_raw(read_raw(plant_file(twice))).findings] == [
        "address 10.0.1.10 of asset 'old' is listed twice by the same asset"]


def test_the_check_and_the_lifecycle_view_share_the_missing_steps(plant_file):
    from zonewarden.analysis.lifecycle import lifecycle

    path = plant_file(RETIRED)
    result = check_raw(read_raw(path))
    [a1] = [a for g in lifecycle(result.plant).states for a in g.assets if a.asset == "a1"]
    steps = [r.text.removeprefix("still to do: ") for r in a1.requires]
    assert result.findings[0].message.endswith("still to do: " + "; ".join(steps))


def test_patch_entries_are_checked(plant_file):
    text = Z12 + A1.replace(
        "a1: {zone: z1, type: embedded_device, addresses: [10.0.1.10]}",
        "a1: {zone: z1, type: embedded_device, addresses: [10.0.1.10],\n"
        "       patches: [{advisory: ICSA-22-349-03, state: deferred, compensated_by: [fw-missing]}]}")
    found = check_raw(read_raw(plant_file(text))).findings
    assert [(f.rule, f.message) for f in found if f.rule == "dangling-ref"] == [
        ("dangling-ref", "assets.a1.patches[0].compensated_by[0]: no countermeasure 'fw-missing' is defined")]
    both = text.replace("advisory: ICSA-22-349-03,", "advisory: ICSA-22-349-03, cve: CVE-2021-40365,")
    [f] = [f for f in check_raw(read_raw(plant_file(both))).findings if f.severity == "error"]
    assert "exactly one of `advisory` or `cve`" in f.message
    bad = text.replace("state: deferred", "state: parked")
    [f] = [f for f in check_raw(read_raw(plant_file(bad))).findings if f.severity == "error"]
    assert f.rule == "invalid-value" and "parked" in f.message
