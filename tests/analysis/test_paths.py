"""Attack paths on small plants drawn by hand, with depths counted by hand, and on the example."""

from __future__ import annotations

from zonewarden.analysis.paths import analyse, prove_compensations
from zonewarden.model.load import load_plant

from ..conftest import EXAMPLE

# it (untrusted) -> dmz -> ctl, and a second, parallel conduit dmz -> ctl; wifi (wireless) -> ctl directly
BASE = """\
zones:
  it: {name: IT, level: 4, kind: enterprise, trust: untrusted, networks: [10.20.0.0/16]}
  dmz: {name: DMZ, level: 3.5, kind: dmz, networks: [10.35.0.0/24]}
  ctl: {name: Control, level: 1, kind: control, networks: [10.1.0.0/24], sl_target: 3}
conduits:
  it-dmz: {zones: [it, dmz], flows: [{from: it, to: jump, protocol: rdp, port: 3389}]}
  dmz-ctl: {zones: [dmz, ctl], flows: [{from: jump, to: plc, protocol: s7comm, port: 102}]}
  dmz-ctl-2: {zones: [dmz, ctl], flows: [{from: jump, to: plc, protocol: modbus, port: 502}]}
assets:
  jump: {zone: dmz, type: host_device, addresses: [10.35.0.20]}
  plc: {zone: ctl, type: embedded_device, criticality: high, addresses: [10.1.0.10]}
countermeasures:
  fw-a: {kind: firewall, at: {conduit: it-dmz}, device: fortigate}
  ips-a: {kind: ids, at: {conduit: it-dmz}, device: fortigate}
  fw-b: {kind: firewall, at: {conduit: dmz-ctl}}
  fw-c: {kind: firewall, at: {conduit: dmz-ctl-2}}
  acl-c: {kind: router_acl, at: {conduit: dmz-ctl-2}}
  jump-mfa: {kind: mfa, at: {zone: dmz}}
  backups: {kind: backup, at: {zone: ctl}}
"""


def run(plant_file, text=BASE):
    plant = load_plant(plant_file(text))
    return plant, analyse(plant, {"it": [1] * 7, "dmz": [2] * 7, "ctl": [3] * 7})


def test_depth_counts_one_layer_per_device_and_takes_the_weaker_parallel_conduit(plant_file):
    _, found = run(plant_file)
    [t] = found.targets
    # it -> [fortigate: fw-a + ips-a = 1] -> dmz [jump-mfa = 1] -> dmz-ctl [fw-b = 1] (not dmz-ctl-2: 2) -> ctl
    # [backups: not a layer] -> plc: 3 layers, against a policy of 2 (SL-T 3)
    assert (t.asset, t.depth, t.policy, t.below_policy) == ("plc", 3, 2, False)
    assert [h.id for h in t.weakest] == ["it", "it-dmz", "dmz", "dmz-ctl", "ctl", "plc"]


def test_a_wireless_bypass_is_the_weakest_path(plant_file):
    wifi = "  wifi: {name: WiFi, level: 1, kind: wireless, networks: [10.33.0.0/24]}\n"
    text = BASE.replace("zones:\n", "zones:\n" + wifi)
    text = text.replace("conduits:\n", "conduits:\n  wifi-ctl: {zones: [wifi, ctl], flows: [{from: wifi, to: plc, "
                                     "protocol: modbus, port: 502}]}\n")
    _, found = run(plant_file, text)
    [t] = found.targets
    # the attacker starts outside the wireless zone and enters it (no measure there): 0 layers
    assert (t.depth, t.below_policy, [h.id for h in t.weakest]) == (0, True, ["wifi", "wifi", "wifi-ctl", "ctl", "plc"])
    assert found.findings()[0]["id"] == "depth:plc"


def test_a_compensation_on_one_of_two_paths_is_not_proven(plant_file):
    # fw-b meets SR 2.1 (use control) but stands on dmz-ctl only: the path through dmz-ctl-2 and the flow rule
    # there escape it. jump-mfa stands in for CR 1.1 by its kind, across the DMZ's hosts: every path enters the
    # DMZ and both flow rules into plc start on jump, a DMZ host: proven.
    text = BASE.replace("fw-b: {kind: firewall, at: {conduit: dmz-ctl}}",
                        "fw-b: {kind: firewall, at: {conduit: dmz-ctl}, meets: [SR 2.1]}") + """\
compensations:
  - {asset: plc, requirement: CR 2.1, by: [fw-b], approved_by: owner, justification: only the jump host reaches it}
  - {asset: plc, requirement: CR 1.1, by: [jump-mfa], approved_by: owner,
     justification: every path passes the jump host}
"""
    plant, _ = run(plant_file, text)
    unproven, proven = prove_compensations(plant)
    assert (unproven.requirement, unproven.proven) == ("CR 2.1", False)
    assert [r["code"] for r in unproven.reasons] == ["path-bypass", "flow-bypass"]
    assert [h.id for h in unproven.bypass] == ["it", "it-dmz", "dmz", "dmz-ctl-2", "ctl", "plc"]  # around fw-b
    assert [(f["where"], f["from"]) for f in unproven.reasons[1]["flows"]] == [("dmz-ctl-2", "jump")]
    assert (proven.requirement, proven.proven, proven.bypass, proven.tested) == ("CR 1.1", True, [], "preventive")


def test_single_points_of_failure_at_exactly_the_policy(plant_file):
    _, found = run(plant_file, BASE.replace("  jump-mfa: {kind: mfa, at: {zone: dmz}}\n", ""))
    [t] = found.targets
    assert (t.depth, t.policy) == (2, 2)
    # losing fw-b drops plc to 1; so does losing fw-a: ips-a on the same FortiGate detects, it is no layer
    assert found.single_points == {"plc": ["fw-a", "fw-b"]}
    assert "single-point:plc" in {f["id"] for f in found.findings()}


def test_the_example_has_proven_and_unproven_compensations():
    proofs = {(c.asset, c.requirement): c for c in prove_compensations(load_plant(EXAMPLE))}
    # the cell firewall's load limits stand on both conduits into cell 1 (the only ways in)
    assert (proofs[("plc-washer", "CR 7.1 RE 1")].proven, proofs[("plc-washer", "CR 7.1 RE 1")].tested) == (
        True, "preventive")
    assert proofs[("plc-washer", "CR 3.4")].tested == "detective"  # ids-cell1 listens in the cell
    capper = proofs[("plc-capper", "CR 1.1")]  # the jump host stands in front of neither the EWS nor the SCADA
    assert not capper.proven and [r["code"] for r in capper.reasons] == ["path-bypass", "flow-bypass"]
    assert [h.id for h in capper.bypass][:3] == ["agv", "agv", "sup-agv"]
    tunnel = proofs[("plc-tunnel", "CR 2.1")]  # cell 1 allows internal traffic: its HMIs and PLCs write past it
    assert [r["code"] for r in tunnel.reasons] == ["flow-bypass"]
    assert {f["from"] for f in tunnel.reasons[0]["flows"]} >= {"hmi-filler", "plc-filler"}
    crimper = proofs[("plc-crimper", "CR 3.4")]  # ids-ot listens in supervisory
    assert [r["code"] for r in crimper.reasons] == ["not-seen"] and crimper.reasons[0]["conduits"] == ["eng-cell2",
                                                                                                      "sup-cell2"]


def test_fewest_conduits_to_harden_cut_every_path_to_targets_below_policy(plant_file):
    wifi = "  wifi: {name: WiFi, level: 1, kind: wireless, networks: [10.33.0.0/24]}\n"
    text = BASE.replace("zones:\n", "zones:\n" + wifi).replace(
        "conduits:\n", "conduits:\n  wifi-ctl: {zones: [wifi, ctl], flows: [{from: wifi, to: plc, "
                       "protocol: modbus, port: 502}]}\n")
    _, found = run(plant_file, text)
    # it -> dmz (one conduit) and wifi -> ctl (one) beat dmz -> ctl (two parallel conduits)
    assert found.harden == ["it-dmz", "wifi-ctl"]
