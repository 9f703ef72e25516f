"""Design §4 risk, compensations and depth (issue 22), each rule on a small plant with its numbers by hand.

ATT&CK facts used (the bundled extract): T0803 is mitigated only through SR 7.7 (FR RA); T0867 only
through FR TRE requirements. Default 5x5 matrix: tolerable 6 (set here), high from 13, critical from 20;
band SL medium 2, high 3, critical 4; residual credit 2 likelihood levels.
"""

from __future__ import annotations

from zonewarden.analysis.assess import assess
from zonewarden.analysis.checks import check_plant
from zonewarden.analysis.paths import analyse, describe, prove_compensations
from zonewarden.analysis.priorities import where_to_act
from zonewarden.analysis.review import review
from zonewarden.model.load import load_plant
from zonewarden.model.sl import SLVector

ONE = """\
zones:
  z: {name: Z, level: 1, kind: control, networks: [10.0.0.0/24], sl_target: auto}
assets:
  p: {zone: z, type: embedded_device, addresses: [10.0.0.1], capability: {sl: 1}}
"""


def assessed(plant_file, text):
    return assess(load_plant(plant_file(text)))


def zone(a, zid="z"):
    return next(z for z in a.zones if z.id == zid)


# --- residual risk ------------------------------------------------------------------------------------------

def test_a_scenario_keeps_its_risk_while_sl_a_is_short(plant_file):
    # 4 x 3 = 12: medium -> SL 2 on RA (T0803) and TRE (T0867). p has SL-C 1, so SL-A is at most 1 on both:
    # neither technique is credited, residual = 12, however many requirements p meets at level 1.
    text = ONE + "risk:\n  tolerable: 6\n  scenarios:\n" \
        "    - {id: s, zone: z, techniques: [T0803, T0867], likelihood: 4, consequence: {production: 3}}\n"
    s = zone(assessed(plant_file, text)).scenarios[0]
    assert (s.risk, s.band, s.sl, s.frs) == (12, "medium", 2, ("TRE", "RA"))
    assert (s.residual_likelihood, s.residual_risk, s.residual_band, s.mitigated) == (4, 12, "medium", ())
    assert s.short == {"T0803": ["RA"], "T0867": ["TRE"]} and s.open == ("T0803", "T0867")


def test_credit_is_pro_rata_per_technique_whose_frs_reach_the_scenario_sl(plant_file):
    # a log collector at the zone meets SR 6.1 and SR 6.2, every TRE requirement up to level 2: SL-A TRE 2 >= 2,
    # T0867 credited; RA stays short. Credit 2 x 1/2 = 1 level: 4 -> 3, residual 3 x 3 = 9 (medium).
    text = ONE + "countermeasures:\n  logs: {kind: log_collection, at: {zone: z}, meets: [SR 6.1, SR 6.2]}\n" \
        "risk:\n  tolerable: 6\n  scenarios:\n" \
        "    - {id: s, zone: z, techniques: [T0803, T0867], likelihood: 4, consequence: {production: 3}}\n"
    z = zone(assessed(plant_file, text))
    assert z.sl_achieved["TRE"] == 2 and z.sl_achieved["RA"] < 2
    s = z.scenarios[0]
    assert (s.mitigated, s.open, s.residual_likelihood, s.residual_risk) == (("T0867",), ("T0803",), 3, 9)


def test_a_scenario_without_techniques_is_credited_only_when_all_seven_frs_reach(plant_file):
    # 4 x 3 = 12 -> SL 2 on all seven; SL-A 1 at most: no credit at all (it was pro rata per FR before)
    text = ONE + "risk:\n  tolerable: 6\n  scenarios:\n" \
        "    - {id: s, zone: z, likelihood: 4, consequence: {production: 3}}\n"
    s = zone(assessed(plant_file, text)).scenarios[0]
    assert (s.residual_risk, s.mitigated) == (12, ()) and set(s.short["all"]) <= {"IAC", "UC", "SI", "DC", "RDF",
                                                                                    "TRE", "RA"}


def test_a_paper_policy_earns_no_sl_a_and_no_credit(plant_file):
    # the same plant, but the "log collection" is a policy: a procedure carries only SR 2.3, 5.4, 7.4 and 7.5,
    # so SR 6.1 and 6.2 stay unmet, TRE stays below 2 and nothing is credited: residual 12, not 9
    text = ONE + "countermeasures:\n  logs: {kind: policy, at: {zone: z}, meets: [SR 6.1, SR 6.2]}\n" \
        "risk:\n  tolerable: 6\n  scenarios:\n" \
        "    - {id: s, zone: z, techniques: [T0803, T0867], likelihood: 4, consequence: {production: 3}}\n"
    plant = load_plant(plant_file(text))
    z = zone(assess(plant))
    assert z.sl_achieved["TRE"] < 2 and z.scenarios[0].residual_risk == 12
    warned = [f for f in check_plant(plant) if f.rule == "requirement-without-effect"]
    assert len(warned) == 2 and "a policy or procedure alone carries only" in warned[0].message


def test_credit_counts_only_what_is_earned(plant_file):
    # residual_credit 1, one of two techniques credited: 1 x 1/2 rounds down to no level (not up to a full one)
    text = ONE + "countermeasures:\n  logs: {kind: log_collection, at: {zone: z}, meets: [SR 6.1, SR 6.2]}\n" \
        "risk:\n  tolerable: 6\n  residual_credit: 1\n  scenarios:\n" \
        "    - {id: s, zone: z, techniques: [T0803, T0867], likelihood: 4, consequence: {production: 3}}\n"
    s = zone(assessed(plant_file, text)).scenarios[0]
    assert (s.mitigated, s.residual_likelihood, s.residual_risk) == (("T0867",), 4, 12)


def test_gaps_carry_the_techniques_they_leave_open_and_the_scenarios_they_hold_back(plant_file):
    # 4 x 3 = 12 -> SL 2 on RA. p (SL-C 1) meets SR 7.7, but SR 7.5 (level 1, system level) is unmet: SL-A RA 0.
    # Every RA gap at or below SL 2 holds s back; each lists the techniques its own SR family mitigates.
    text = ONE + "risk:\n  tolerable: 6\n  scenarios:\n" \
        "    - {id: s, zone: z, techniques: [T0803], likelihood: 4, consequence: {production: 3}}\n"
    gaps = {g.requirement: g for g in zone(assessed(plant_file, text)).gaps}
    assert gaps["SR 7.5"].scenarios == ["s"] and gaps["SR 7.5"].techniques == []  # no mitigation maps to SR 7.5
    assert gaps["SR 7.3 RE 1"].scenarios == ["s"] and "T0809" in gaps["SR 7.3 RE 1"].techniques  # family 7.3
    assert gaps["SR 5.4"].scenarios == [] and "T0866" in gaps["SR 5.4"].techniques  # RDF: not what s asks


def test_gap_severity_is_weighted_by_the_zones_worst_consequence(plant_file):
    # SL 2 on RA; SR 7.5 (level 1) costs 2 levels: high; SR 7.8 (level 2) costs 1: medium. Consequence 3 of 5
    # leaves them; 5 (the top of the matrix) raises one step; 2 (at most 40% of 5) lowers one.
    def severities(likelihood, consequence):
        text = ONE + "risk:\n  tolerable: 6\n  scenarios:\n" \
            f"    - {{id: s, zone: z, techniques: [T0803], likelihood: {likelihood}, " \
            f"consequence: {{production: {consequence}}}}}\n"
        gaps = {g.requirement: g for g in zone(assessed(plant_file, text)).gaps}
        return [(gaps[r].lost, gaps[r].consequence, gaps[r].severity) for r in ("SR 7.5", "SR 7.8")]

    assert severities(4, 3) == [(2, 3, "high"), (1, 3, "medium")]  # 12: medium band, SL 2
    assert severities(2, 5) == [(2, 5, "critical"), (1, 5, "high")]  # 10: medium band, SL 2
    assert severities(4, 2) == [(2, 2, "medium"), (1, 2, "low")]  # 8: medium band, SL 2


# --- SL-T: actor and floors ---------------------------------------------------------------------------------

def test_the_threat_actor_raises_the_sl_to_its_attacker_profile(plant_file):
    def sl(actor):
        text = ONE + "risk:\n  tolerable: 6\n  scenarios:\n" \
            f"    - {{id: s, zone: z, techniques: [T0803], likelihood: 1, consequence: {{production: 2}}, {actor}}}\n"
        z = zone(assessed(plant_file, text))
        return z.scenarios[0].sl, z.sl_target["RA"], z.sl_target["IAC"]

    assert sl("source: z") == (1, 1, 1)  # 1 x 2 = 2, tolerable: SL 1
    assert sl("actor: {kind: nation_state}") == (4, 4, 1)  # extended means: SL 4, on RA only
    assert sl("actor: {kind: criminal}") == (2, 2, 1)  # simple means by default
    assert sl("actor: {kind: criminal, capability: sophisticated}") == (3, 3, 1)
    assert sl("actor: {kind: other}") == (1, 1, 1)  # no capability known: no raise


def test_a_top_safety_consequence_has_a_floor_whatever_its_likelihood(plant_file):
    text = ONE + "risk:\n  tolerable: 6\n  scenarios:\n" \
        "    - {id: s, zone: z, techniques: [T0803], likelihood: 1, consequence: {safety: 5}}\n"
    s = zone(assessed(plant_file, text)).scenarios[0]
    assert (s.risk, s.band, s.band_sl, s.floor, s.sl) == (5, "tolerable", 1, 3, 3)
    assert zone(assessed(plant_file, text)).sl_target == SLVector([1, 1, 1, 1, 1, 1, 3])
    off = text.replace("risk:\n", "risk:\n  floors: {safety_consequence: 0}\n")
    assert zone(assessed(plant_file, off)).scenarios[0].sl == 1


SAFETY = """\
zones:
  c: {name: Control, level: 1, kind: control, networks: [10.1.0.0/24], sl_target: [3, 2, 2, 2, 2, 1, 2]}
  s: {name: SIS, level: 1, kind: safety, networks: [10.9.0.0/24], sl_target: auto}
conduits:
  c-s: {zones: [c, s], flows: [{from: plc, to: sis, protocol: modbus, port: 502}]}
assets:
  plc: {zone: c, type: embedded_device, addresses: [10.1.0.1]}
  sis: {zone: s, type: embedded_device, function: sis, addresses: [10.9.0.1]}
"""


def test_a_safety_zone_is_never_weaker_than_a_zone_that_reaches_it(plant_file):
    # s has no scenario: baseline {1 ...}; c reaches it (plc -> sis) with {3 2 2 2 2 1 2}: raised to that
    z = zone(assessed(plant_file, SAFETY), "s")
    assert (z.sl_target, z.sl_target_source) == (SLVector([3, 2, 2, 2, 2, 1, 2]), "derived")
    assert "zone c reaches it through c-s" in z.sl_floor[0]
    # only the SIS opens conversations (sis -> plc): c does not reach s, no floor
    back = SAFETY.replace("{from: plc, to: sis,", "{from: sis, to: plc,")
    assert zone(assessed(plant_file, back), "s").sl_target == SLVector.uniform(1)
    # declared weaker: a finding, the declared value stays
    declared = SAFETY.replace("sl_target: auto", "sl_target: 2")
    a = assessed(plant_file, declared)
    f = next(f for f in a.findings if f.rule == "sl-target-below-safety-floor")
    assert f.id == "sl-target-floor:s" and "c has SL-T {3 2 2 2 2 1 2}" in f.message
    assert zone(a, "s").sl_target == SLVector.uniform(2)
    off = SAFETY + "risk:\n  tolerable: 6\n  floors: {safety_zone: false}\n"
    assert zone(assessed(plant_file, off), "s").sl_target == SLVector.uniform(1)


# --- compensations ------------------------------------------------------------------------------------------

COMP = """\
zones:
  it: {name: IT, level: 4, kind: enterprise, trust: untrusted, networks: [10.20.0.0/16]}
  dmz: {name: DMZ, level: 3.5, kind: dmz, networks: [10.35.0.0/24]}
  eng: {name: Engineering, level: 2, kind: engineering, networks: [10.2.0.0/24]}
  ctl: {name: Control, level: 1, kind: control, networks: [10.1.0.0/24], sl_target: 2}
conduits:
  it-dmz: {zones: [it, dmz], flows: [{from: it, to: jump, protocol: rdp, port: 3389}]}
  dmz-ctl: {zones: [dmz, ctl], flows: [{from: jump, to: plc, protocol: s7comm, port: 102}]}
  dmz-eng: {zones: [dmz, eng], flows: [{from: jump, to: ews, protocol: rdp, port: 3389}]}
  eng-ctl: {zones: [eng, ctl], flows: [{from: ews, to: plc, protocol: s7comm, port: 102}]}
assets:
  jump: {zone: dmz, type: host_device, function: jump_host, addresses: [10.35.0.20]}
  ews: {zone: eng, type: host_device, function: ews, addresses: [10.2.0.5]}
  plc: {zone: ctl, type: embedded_device, legacy: true, criticality: high, addresses: [10.1.0.10]}
countermeasures:
  fw-it: {kind: firewall, at: {conduit: it-dmz}, device: fw-it}
  jh: {kind: jump_host, at: {zone: dmz}, meets: [SR 1.1]}
  poster: {name: awareness poster, kind: policy, at: {zone: ctl}}
  rules: {name: access rules, kind: policy, at: {zone: ctl}, meets: [SR 1.1]}
  ids-dmz-ctl: {kind: ids, at: {conduit: dmz-ctl}}
  ids-eng-ctl: {kind: ids, at: {conduit: eng-ctl}}
  ids-ctl: {kind: ids, at: {zone: ctl}}
  ids-dmz: {kind: ids, at: {zone: dmz}}
compensations:
"""


def proofs(plant_file, *comps, extra=""):
    text = COMP + "".join(f"  - {{asset: plc, requirement: {r}, by: [{', '.join(by)}], approved_by: owner, "
                          "justification: x}\n" for r, by in comps)
    plant = load_plant(plant_file(text.replace("countermeasures:\n", "countermeasures:\n" + extra)))
    return plant, prove_compensations(plant)


def test_a_poster_compensates_nothing(plant_file):
    plant, (poster, rules) = proofs(plant_file, ("CR 1.1 RE 1", ["poster"]), ("CR 1.1", ["rules"]))
    # the poster's kind stands in for no SR family, and it lists nothing: it does not meet CR 1.1 RE 1 at all,
    # although at the PLC's own zone it lies on every path
    assert not poster.proven and [r["code"] for r in poster.reasons] == ["does-not-meet"]
    # listing SR 1.1 is not enough for a policy: it stands on no path and sees nothing
    assert not rules.proven and [r["code"] for r in rules.reasons] == ["procedural-only"]
    a = assess(plant)
    f = next(f for f in a.findings if f.id == "compensation:plc:CR 1.1 RE 1")
    assert [r["code"] for r in f.data["reasons"]] == ["does-not-meet"] and f.reasons[0]["countermeasures"] == ["poster"]
    assert f.as_dict()["data"]["reasons"][0]["code"] == "does-not-meet"


def test_access_control_needs_every_path_and_every_flow_rule_through_it(plant_file):
    # jh stands in the DMZ: the path it -> dmz -> ctl crosses it, but it -> dmz -> eng -> ctl enters dmz too,
    # so every path crosses the DMZ. Flow rules into plc: jump -> plc (through jh: jump is the DMZ's jump host)
    # and ews -> plc (not through it): refused for the flow.
    _, [p] = proofs(plant_file, ("CR 1.1", ["jh"]))
    assert not p.proven and [r["code"] for r in p.reasons] == ["flow-bypass"]
    flows = p.reasons[0]["flows"]
    assert [(f["where"], f["rule"], f["from"], f["to"]) for f in flows] == [("eng-ctl", 1, "ews", "plc")]
    # the engineering conduit removed, the jump host carries every flow in: proven by the preventive test
    text = COMP.replace("  eng-ctl: {zones: [eng, ctl], flows: [{from: ews, to: plc, protocol: s7comm, port: 102}]}\n",
                        "").replace("  ids-eng-ctl: {kind: ids, at: {conduit: eng-ctl}}\n", "")
    text += "  - {asset: plc, requirement: CR 1.1, by: [jh], approved_by: owner, justification: x}\n"
    [p] = prove_compensations(load_plant(plant_file(text)))
    assert (p.proven, p.tested, p.meeting) == (True, "preventive", {"jh": "meets SR 1.1"})


def test_an_ids_is_proven_by_what_it_sees(plant_file):
    # CR 3.4 (software and information integrity): an IDS stands in by its kind. ctl has two conduits in.
    _, [one, both, inside, elsewhere] = proofs(
        plant_file, ("CR 3.4", ["ids-dmz-ctl"]), ("CR 3.4", ["ids-dmz-ctl", "ids-eng-ctl"]), ("CR 3.4", ["ids-ctl"]),
        ("CR 3.4", ["ids-dmz"]))
    assert not one.proven and one.reasons[0]["code"] == "not-seen" and one.reasons[0]["conduits"] == ["eng-ctl"]
    assert (both.proven, both.tested) == (True, "detective")
    assert (inside.proven, inside.tested) == (True, "detective")
    assert not elsewhere.proven and elsewhere.reasons[0]["conduits"] == ["dmz-ctl", "eng-ctl"]


def test_a_supporting_countermeasure_that_meets_nothing_adds_nothing(plant_file):
    # the firewall on it-dmz is named too, but its kind does not stand in for SR 1.1: support only
    _, [p] = proofs(plant_file, ("CR 1.1", ["jh", "fw-it"]))
    assert p.supporting == ["fw-it"] and list(p.meeting) == ["jh"] and not p.proven


# --- depth --------------------------------------------------------------------------------------------------

DEPTH = """\
zones:
  vr: {name: Vendor remote access, level: 3.5, kind: remote_access, networks: [10.40.0.0/24]}
  dmz: {name: DMZ, level: 3.5, kind: dmz, networks: [10.35.0.0/24]}
  ctl: {name: Control, level: 1, kind: control, networks: [10.1.0.0/24], sl_target: 3}
conduits:
  vr-dmz: {zones: [vr, dmz], flows: [{from: gw, to: jump, protocol: rdp, port: 3389}]}
  dmz-ctl: {zones: [dmz, ctl], flows: [{from: jump, to: plc, protocol: s7comm, port: 102}]}
assets:
  gw: {zone: vr, type: network_device, function: vpn_gateway, addresses: [10.40.0.1]}
  jump: {zone: dmz, type: host_device, function: jump_host, addresses: [10.35.0.20]}
  plc: {zone: ctl, type: embedded_device, criticality: high, addresses: [10.1.0.10]}
countermeasures:
  mfa-gw: {kind: remote_access_gateway, at: {zone: vr}}
  ids-vr: {kind: ids, at: {zone: vr}}
  tls: {kind: encryption, at: {conduit: dmz-ctl}}
  rules: {kind: procedure, at: {zone: ctl}}
"""


def depth_of(plant_file, text):
    plant = load_plant(plant_file(text))
    return analyse(plant, {"vr": [1] * 7, "dmz": [2] * 7, "ctl": [3] * 7}).targets


def test_a_vendor_path_starts_outside_the_remote_access_zone(plant_file):
    # (outside) vr [mfa-gw: 1] -> vr-dmz -> dmz -> dmz-ctl [tls: not a layer] -> ctl [rules: not a layer] -> plc
    t = next(t for t in depth_of(plant_file, DEPTH) if t.asset == "plc")
    assert (t.depth, t.policy, t.layers) == (1, 2, ["mfa-gw"])
    assert describe(t.weakest) == "(outside) vr -> vr-dmz -> dmz -> dmz-ctl -> ctl -> plc"
    assert t.beside == {"detective": ["ids-vr"], "supporting": ["tls"], "procedural": ["rules"]}


def test_two_layers_on_one_device_count_once(plant_file):
    two = DEPTH.replace("countermeasures:\n", "countermeasures:\n"
                        "  fw: {kind: firewall, at: {conduit: dmz-ctl}}\n"
                        "  acl: {kind: router_acl, at: {conduit: dmz-ctl}}\n")
    t = next(t for t in depth_of(plant_file, two) if t.asset == "plc")
    assert (t.depth, t.layers) == (2, ["mfa-gw", "fw"])  # no device named: one box per conduit
    warned = [d for d in check_plant(load_plant(plant_file(two))) if d.rule == "countermeasure-device-missing"]
    assert len(warned) == 1 and "fw, acl" in warned[0].message
    apart = two.replace("at: {conduit: dmz-ctl}}\n  acl", "at: {conduit: dmz-ctl}, device: fw1}\n  acl") \
        .replace("kind: router_acl, at: {conduit: dmz-ctl}}", "kind: router_acl, at: {conduit: dmz-ctl}, device: sw1}")
    assert next(t for t in depth_of(plant_file, apart) if t.asset == "plc").depth == 3
    same = apart.replace("device: sw1", "device: fw1")
    assert next(t for t in depth_of(plant_file, same) if t.asset == "plc").depth == 2
    assert not [d for d in check_plant(load_plant(plant_file(apart))) if d.rule == "countermeasure-device-missing"]


SHARED = """\
zones:
  ext: {name: Ext, level: 4, kind: enterprise, trust: untrusted, networks: [10.9.0.0/24]}
  a: {name: A, level: 3, kind: dmz, networks: [10.1.0.0/24]}
  b: {name: B, level: 2, kind: supervisory, networks: [10.2.0.0/24]}
  x: {name: X, level: 2, kind: supervisory, networks: [10.4.0.0/24]}
  t: {name: T, level: 1, kind: control, networks: [10.3.0.0/24], sl_target: 1}
assets:
  plc: {zone: t, type: embedded_device, addresses: [10.3.0.1], criticality: high}
conduits:
  c1: {zones: [ext, a], flows: [{from: ext, to: a, protocol: tcp, port: 1}]}
  c2: {zones: [a, b], flows: [{from: a, to: b, protocol: tcp, port: 1}]}
  c3: {zones: [b, t], flows: [{from: b, to: t, protocol: tcp, port: 1}]}
  c4: {zones: [ext, x], flows: [{from: ext, to: x, protocol: tcp, port: 1}]}
  c5: {zones: [x, t], flows: [{from: x, to: t, protocol: tcp, port: 1}]}
countermeasures:
  f1: {kind: firewall, at: {conduit: c1}, device: D}
  f2: {kind: firewall, at: {conduit: c2}, device: D}
  f3: {kind: firewall, at: {conduit: c3}, device: D}
  f4: {kind: firewall, at: {conduit: c4}, device: D1}
  f5: {kind: firewall, at: {conduit: c5}, device: D2}
"""


def test_depth_finds_the_path_whose_steps_share_one_device(plant_file):
    # ext -> a -> b -> t crosses f1, f2, f3, all on box D: 1 layer; ext -> x -> t crosses D1 and D2: 2. Adding up
    # layers step by step (3 against 2) would pick the second path and report 2.
    [t] = analyse(load_plant(plant_file(SHARED)), {"t": [1] * 7}).targets
    assert (t.depth, t.layers, describe(t.weakest)) == (1, ["f1"], "ext -> c1 -> a -> c2 -> b -> c3 -> t -> plc")


def test_a_box_is_no_layer_in_front_of_itself_and_a_relay_only_for_what_it_relays(plant_file):
    text = """\
zones:
  ext: {name: Ext, level: 4, kind: enterprise, trust: untrusted, networks: [10.9.0.0/24]}
  ops: {name: Ops, level: 2, kind: supervisory, networks: [10.2.0.0/24]}
  cell: {name: Cell, level: 1, kind: control, networks: [10.3.0.0/24]}
assets:
  scada: {zone: ops, type: host_device, addresses: [10.2.0.1]}
  jump: {zone: ops, type: host_device, function: jump_host, addresses: [10.2.0.9], criticality: high}
  cellfw: {zone: cell, type: network_device, function: firewall, addresses: [10.3.0.254], criticality: high}
conduits:
  c1: {zones: [ext, ops], flows: [{from: ext, to: jump, protocol: rdp, port: 3389},
                                  {from: ext, to: scada, protocol: https, port: 443}]}
  c2: {zones: [ops, cell], flows: [{from: scada, to: cellfw, protocol: https, port: 443}]}
countermeasures:
  fw1: {kind: firewall, at: {conduit: c1}, device: F1}
  fw2: {kind: firewall, at: {conduit: c2}, device: cellfw}
  jh: {kind: jump_host, at: {zone: ops}, device: jump}
"""
    found = {t.asset: t for t in analyse(load_plant(plant_file(text)), {"ops": [1] * 7, "cell": [1] * 7}).targets}
    # jump: F1 only (jh runs on jump itself); cellfw: F1 only (fw2 runs on cellfw; jh relays nothing into c2)
    assert (found["jump"].depth, found["jump"].layers) == (1, ["fw1"])
    assert (found["cellfw"].depth, found["cellfw"].layers) == (1, ["fw1"])


def test_a_host_measure_of_the_zone_does_not_stand_on_a_plc(plant_file):
    # antivirus across the control zone's hosts: the PLC runs none of it, so a path to the PLC does not meet it
    _, [p] = proofs(plant_file, ("CR 3.2", ["av"]), extra="  av: {kind: antivirus, at: {zone: ctl}}\n")
    assert not p.proven and [r["code"] for r in p.reasons] == ["path-bypass"]


def test_a_supporting_measure_cannot_prove_access_control(plant_file):
    _, [p] = proofs(plant_file, ("CR 1.1", ["dir"]),
                    extra="  dir: {kind: directory_service, at: {zone: ctl}, meets: [SR 1.1]}\n")
    assert not p.proven and [r["code"] for r in p.reasons] == ["supporting-only"]


def test_a_zone_holding_a_safety_system_gets_the_safety_floor(plant_file):
    text = SAFETY.replace("kind: safety,", "kind: control,")  # the zone is not marked; it holds an SIS
    assert zone(assessed(plant_file, text), "s").sl_target == SLVector([3, 2, 2, 2, 2, 1, 2])


def test_a_conduit_declared_below_its_zones_is_a_finding(plant_file):
    text = SAFETY.replace("c-s: {zones: [c, s],", "c-s: {zones: [c, s], sl_target: [1, 1, 1, 1, 1, 1, 1],")
    f = next(f for f in assessed(plant_file, text).findings if f.rule == "conduit-sl-target-below-zones")
    assert f.id == "sl-target:c-s" and "short on IAC, UC, SI, DC, RDF, RA" in f.message


def test_entries_an_access_point_and_a_modem_open(plant_file):
    # an access point in the control zone: the attacker on the radio meets the zone's perimeter (none here), not
    # the antivirus of its hosts: 0 layers. Decommissioned, the access point opens nothing.
    ap = DEPTH.replace("  plc: {zone: ctl,", "  ap: {zone: ctl, type: network_device, function: wireless_ap, "
                       "addresses: [10.1.0.2]}\n  plc: {zone: ctl,") \
        .replace("countermeasures:\n", "countermeasures:\n  av: {kind: antivirus, at: {zone: ctl}}\n")
    t = next(t for t in depth_of(plant_file, ap) if t.asset == "plc")
    assert (t.depth, describe(t.weakest)) == (0, "(outside) ctl -> plc")
    gone = ap.replace("function: wireless_ap,", "function: wireless_ap, lifecycle: decommissioned,")
    assert analyse(load_plant(plant_file(gone)), {}).entries == ["vr"]
    # a cellular modem reachable from outside in the remote-access zone: the attacker starts inside vr, past the
    # gateway's door; only the gateway's relaying of what leaves vr (every vr-dmz flow starts on gw) still counts
    modem = DEPTH.replace("  gw: {zone: vr,", "  modem: {zone: vr, type: network_device, reachable_from_outside: true, "
                          "addresses: [10.40.0.9], criticality: high}\n  gw: {zone: vr,")
    found = {t.asset: t for t in depth_of(plant_file, modem)}
    assert (found["plc"].depth, describe(found["plc"].weakest)) == (1, "vr -> vr-dmz -> dmz -> dmz-ctl -> ctl -> plc")
    assert (found["modem"].depth, found["modem"].layers) == (0, [])  # outside, the gateway does not count


def test_access_control_flows_count_without_any_entry_point(plant_file):
    # no entry point reaches the PLC, but its zone peer does, unfiltered: the flow test still refuses
    text = """\
zones:
  ops: {name: Ops, level: 2, kind: supervisory, networks: [10.2.0.0/24]}
  cell: {name: Cell, level: 1, kind: control, networks: [10.3.0.0/24], sl_target: 2}
assets:
  scada: {zone: ops, type: host_device, addresses: [10.2.0.1]}
  hmi: {zone: cell, type: host_device, addresses: [10.3.0.2]}
  plc: {zone: cell, type: embedded_device, legacy: true, addresses: [10.3.0.1]}
conduits:
  c: {zones: [ops, cell], flows: [{from: scada, to: plc, protocol: modbus, port: 502}]}
countermeasures:
  fw: {kind: firewall, at: {conduit: c}, meets: [SR 2.1]}
compensations:
  - {asset: plc, requirement: CR 2.1, by: [fw], approved_by: owner, justification: x}
"""
    [p] = prove_compensations(load_plant(plant_file(text)))
    assert not p.proven and [(f["where"], f["from"]) for f in p.reasons[0]["flows"]] == [
        ("zone cell (internal allow)", "hmi")]
    # internal deny with a zone-wide rule: every host of the zone may write; the rule is the bypass
    deny = text.replace("sl_target: 2}", "sl_target: 2, internal: deny,\n"
                        "        flows: [{from: cell, to: plc, protocol: modbus, port: 502}]}")
    [p] = prove_compensations(load_plant(plant_file(deny)))
    assert not p.proven and [(f["where"], f["rule"], f["from"]) for f in p.reasons[0]["flows"]] == [
        ("zone cell", 1, "cell")]
    # the zone's own perimeter firewall carries every conduit flow into it
    perimeter = text.replace("at: {conduit: c}, meets", "at: {zone: cell}, meets").replace(
        "  hmi: {zone: cell, type: host_device, addresses: [10.3.0.2]}\n", "")
    [p] = prove_compensations(load_plant(plant_file(perimeter)))
    assert p.proven, p.reasons


def test_a_planned_countermeasure_proves_nothing_yet(plant_file):
    _, [p] = proofs(plant_file, ("CR 3.4", ["ids-new"]),
                    extra="  ids-new: {kind: ids, at: {zone: ctl}, status: planned}\n")
    assert not p.proven and [r["code"] for r in p.reasons] == ["not-implemented"]


def test_targets_are_the_safety_systems_and_never_outside_the_system(plant_file):
    # the SIS in a zone of kind control is a target (medium criticality); a high-criticality ERP server in the
    # untrusted corporate zone is an entry point, not a target
    corp = "  corp: {name: Corp, level: 4, kind: enterprise, trust: untrusted, networks: [10.8.0.0/24]}\n"
    erp = "  erp: {zone: corp, type: host_device, criticality: high, addresses: [10.8.0.1]}\n"
    text = SAFETY.replace("kind: safety,", "kind: control,").replace("zones:\n", "zones:\n" + corp) \
        .replace("assets:\n", "assets:\n" + erp)
    assert [t.asset for t in analyse(load_plant(plant_file(text)), {}).targets] == ["sis"]


# --- where to act first -------------------------------------------------------------------------------------

def test_where_to_act_first_ranks_by_residual_risk_and_consequence_not_gap_count(plant_file):
    # big: SL-T 3 declared, 6 assets with no capability: many gaps, no scenario. sis: one asset, a scenario
    # 3 x 5 = 15 (high) with safety 5 that nothing mitigates: first, though it has fewer gaps.
    text = """\
zones:
  big: {name: Gateway zone, level: 3, kind: remote_access, networks: [10.3.0.0/24], sl_target: 3}
  sis: {name: Chlorine SIS, level: 1, kind: safety, networks: [10.9.0.0/24], sl_target: auto}
assets:
""" + "".join(f"  g{i}: {{zone: big, type: host_device, addresses: [10.3.0.{i + 1}]}}\n" for i in range(6)) + """\
  s1: {zone: sis, type: embedded_device, function: sis, addresses: [10.9.0.1], capability: {sl: 1}}
risk:
  tolerable: 6
  scenarios:
    - {id: dosing, zone: sis, techniques: [T0803], likelihood: 3, consequence: {safety: 5}}
"""
    r = review(load_plant(plant_file(text)))
    big, sis = zone(r.assessment, "big"), zone(r.assessment, "sis")
    assert len([g for g in big.gaps]) > len(sis.gaps)
    first, second = where_to_act(r.assessment, r.paths)
    assert (first.zone, second.zone) == ("sis", "big")
    assert first.why.startswith("scenario dosing keeps residual risk 15 (high; 1 of 1 techniques open)")
    assert "worst consequence 5 (safety)" in first.why
