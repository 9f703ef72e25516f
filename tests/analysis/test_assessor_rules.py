"""The assessor's rules of design §4 (issue 21), each on a small plant whose numbers were worked out by hand.

Catalog facts the expectations rest on (3-3 and 4-2 as catalogued, 2013+COR1:2014): for embedded and
host devices, 4-2 has no counterpart of SR 1.6, 1.13, 2.3, 5.2, 5.3, 5.4, 7.5 (level 1), SR 3.2 RE 1,
4.1 RE 1, 5.1 RE 1, 5.2 RE 1 (level 2); their other level-1/2 requirements have counterparts at level 1
or 2, except SR 1.13 RE 1 (level 2), whose counterpart NDR 1.13 RE 1 is level 3 for network devices.
Every FR has a requirement whose counterpart is at level 3 (SR 1.1 RE 2, 2.1 RE 3, 4.2 RE 1, 6.1 RE 1)
or one with no counterpart at level 3 (SR 3.2 RE 2 ... ), so SL-C 2 never reaches SL-A 3 by assets.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from zonewarden.analysis.assess import assess
from zonewarden.analysis.checks import check_plant
from zonewarden.model.load import load_plant
from zonewarden.model.sl import SLVector
from zonewarden.standard.catalog import counterpart_levels, load_catalog

THREE_ZONES = Path(__file__).parent / "plants" / "three-zones.yaml"


def run(plant_file, text: str, **kw):
    return assess(load_plant(plant_file(text, header=False)), **kw)


def zone(a, zid):
    return next(z for z in a.zones if z.id == zid)


def gaps_of(z) -> dict[str, object]:
    return {g.requirement: g for g in z.gaps}


# -- the three-zone plant (tests/analysis/plants/three-zones.yaml), all assets SL-C 2 --------------------


def test_three_zone_plant_sl_a_and_gaps_by_hand():
    a = assess(load_plant(THREE_ZONES))
    # corp is untrusted: outside the SuC, no result, no gaps
    assert [z.id for z in a.zones] == ["scada", "control"] and a.external == ["corp"]
    scada, control = zone(a, "scada"), zone(a, "control")
    # scada (host devices, SL-C 2; corp-scada reaches an external zone, so SR 1.13 and 4.1 RE 1 apply there and
    # in the zone, but not on scada-control, which reaches no untrusted network):
    #   IAC 1: fw-corp meets SR 1.13 on every conduit where it applies; SR 1.13 RE 1 (2) has no host counterpart
    #   UC 0: SR 2.3 (1) system level     SI 1: SR 3.2 RE 1 (2)     DC 1: SR 4.1 RE 1 (2)
    #   RDF 0: SR 5.2 on corp-scada only (partly bounded), 5.3, 5.4 (1)
    #   TRE 2: SR 6.1 RE 1 needs SL-C 3      RA 0: SR 7.5 (1)
    assert scada.sl_achieved == SLVector([1, 0, 1, 1, 0, 2, 0])
    assert scada.states["SR 1.13"].by == "conduits" and scada.states["SR 1.13"].bounded == ("corp-scada",)
    g = gaps_of(scada)
    assert set(g) == {"SR 1.13 RE 1", "SR 2.3", "SR 3.2 RE 1", "SR 4.1 RE 1", "SR 5.1 RE 1",
                      "SR 5.2", "SR 5.2 RE 1", "SR 5.3", "SR 5.4", "SR 7.5"}
    assert all(gap.assets == [] and gap.suppliers == [] for gap in g.values())  # system level: no asset named
    assert (g["SR 5.2"].state, g["SR 5.2"].conduits) == ("partly_bounded", ["scada-control"])
    assert "met on corp-scada but not on scada-control" in g["SR 5.2"].why
    assert (g["SR 4.1 RE 1"].state, g["SR 4.1 RE 1"].conduits) == ("system_level", ["corp-scada"])
    assert {r for r, gap in g.items() if gap.owner_role == "asset_owner"} == {"SR 2.3", "SR 7.5"}
    assert g["SR 5.4"].state == "system_level" and g["SR 5.4"].owner_role == "integrator"
    # control (embedded; rtu-1 UC 1; only scada-control, so SR 1.13 and 4.1 RE 1 are inferred N/A):
    #   IAC 2   UC 0 (SR 2.3)   SI 1   DC 2 (SR 4.1 RE 2 at 3 is system level)   RDF 0   TRE 2   RA 0
    assert control.sl_achieved == SLVector([2, 0, 1, 2, 0, 2, 0])
    g = gaps_of(control)
    assert set(g) == {"SR 2.1 RE 1", "SR 2.1 RE 2", "SR 2.6", "SR 2.3", "SR 3.2 RE 1", "SR 5.1 RE 1", "SR 5.2",
                      "SR 5.2 RE 1", "SR 5.3", "SR 5.4", "SR 7.5"}
    for rid in ("SR 2.1 RE 1", "SR 2.1 RE 2", "SR 2.6"):  # counterparts at level 2: rtu-1's UC 1 falls short
        assert (g[rid].state, g[rid].assets, g[rid].owner_role, g[rid].suppliers) == (
            "assets_short", ["rtu-1"], "product_supplier", ["vend"])
    # wireless requirements inferred N/A in both zones; untrusted ones in control only
    for z in (scada, control):
        assert {"SR 1.6", "SR 1.6 RE 1", "SR 2.2", "SR 2.2 RE 1"} <= set(z.not_applicable)
        assert z.not_applicable["SR 1.6"].source == "inferred"
    assert "SR 1.13" in control.not_applicable and "SR 1.13" not in scada.not_applicable
    # conduit SL-T: the max of its SuC zones only (corp has none)
    conduit = {c.id: c for c in a.conduits}
    assert conduit["corp-scada"].sl_target == SLVector.uniform(2)


def test_counterpart_level_not_the_3_3_level():
    # The nine rows where 4-2 asks the counterpart at another level than 3-3 asks the requirement (issue 21)
    levels = counterpart_levels(load_catalog())
    cat = load_catalog()
    expected = {"SR 1.1 RE 3": 3, "SR 2.4 RE 1": 2, "SR 2.11": 1, "SR 2.11 RE 1": 2, "SR 2.12": 1,
                "SR 3.1 RE 1": 2, "SR 3.4": 1, "SR 3.7": 1}
    for rid, lv in expected.items():
        assert levels[rid]["embedded_device"] == lv < cat.get(rid).level, rid
    assert levels["SR 1.13 RE 1"] == {"network_device": 3} and cat.get("SR 1.13 RE 1").level == 2


def test_rtu_with_uc_1_meets_sr_2_11(plant_file):
    a = assess(load_plant(THREE_ZONES))
    st = zone(a, "control").states
    assert st["SR 2.11"].by == "assets"  # CR 2.11 from SL 1 stands for SR 2.11 (3-3 level 2)
    assert st["SR 2.11 RE 1"].uncovered == ("rtu-1",) and st["SR 2.11 RE 1"].asked == (("embedded_device", 2),)


# -- gap states and why -------------------------------------------------------------------------------------

ROLES = """\
zonewarden: 1
plant: {name: P}
roles:
  owner: {kind: asset_owner, name: Owner}
  vend: {kind: product_supplier, name: Vendor}
"""
LEGACY = ROLES + """\
zones:
  w: {name: W, level: 4, kind: enterprise, trust: untrusted, networks: [10.9.0.0/24]}
  dmz: {name: DMZ, level: 3.5, kind: dmz, networks: [10.5.0.0/24], sl_target: 1}
  z: {name: Z, level: 1, kind: control, networks: [10.0.0.0/24], sl_target: 1}
conduits:
  w-dmz: {zones: [w, dmz], flows: [{from: w, to: j, protocol: rdp}]}
  dmz-z: {zones: [dmz, z], flows: [{from: j, to: p, protocol: s7comm}]}
  w-z: {zones: [w, z], flows: [{from: w, to: p, protocol: s7comm}]}
assets:
  p: {zone: z, type: embedded_device, addresses: [10.0.0.1], supplier: vend, legacy: true,
      capability: {sl: [0, 1, 1, 1, 1, 1, 1]}}
  q: {zone: z, type: embedded_device, addresses: [10.0.0.2], supplier: vend, capability: {sl: [0, 1, 1, 1, 1, 1, 1]}}
  j: {zone: dmz, type: host_device, addresses: [10.5.0.1], capability: {sl: 1}}
countermeasures:
  jump: {kind: jump_host, at: {zone: dmz}, meets: [SR 1.1]}
compensations:
  - {asset: p, requirement: CR 1.1, by: [jump], approved_by: owner, justification: engineering only via the jump host}
"""


def test_legacy_asset_whose_compensation_was_refused_sends_the_gap_to_the_asset_owner(plant_file):
    # w-z bypasses the jump host: the compensation is not proven. p is legacy -> the asset owner acts, with the
    # refusal in the why; q (not legacy, no compensation) keeps the supplier on the hook.
    a = run(plant_file, LEGACY)
    g = gaps_of(zone(a, "z"))["SR 1.1"]
    assert (g.state, g.assets, g.owner_role, g.suppliers) == ("assets_short", ["p", "q"], "product_supplier", ["vend"])
    assert "compensation of p refused: it is not proven" in g.why
    only_p = run(plant_file, LEGACY.replace("capability: {sl: [0, 1, 1, 1, 1, 1, 1]}}\n  j:",
                                            "capability: {sl: 1}}\n  j:"))
    g = gaps_of(zone(only_p, "z"))["SR 1.1"]
    assert (g.assets, g.owner_role, g.suppliers) == (["p"], "asset_owner", [])
    assert "w -> w-z -> z -> p meets none of jump" in g.why


def test_tls_on_one_conduit_does_not_protect_the_zone(plant_file):
    # SR 5.1 RE 1 (a boundary requirement that applies on every conduit) met on corp-scada only: partly
    # bounded, names scada-control. SR 4.1 RE 1 applies only on corp-scada (scada-control reaches no
    # untrusted network), so TLS there is enough.
    text = THREE_ZONES.read_text().replace("owner: integ}", "owner: integ}\n"
                                           "  tls: {kind: encryption, at: {conduit: corp-scada}, meets: [SR 4.1 RE 1, "
                                           "SR 5.1 RE 1]}")
    scada = zone(run(plant_file, text), "scada")
    g = gaps_of(scada)["SR 5.1 RE 1"]
    assert (g.state, g.conduits) == ("partly_bounded", ["scada-control"])
    st = scada.states["SR 4.1 RE 1"]
    assert (st.by, st.bounded) == ("conduits", ("corp-scada",))
    both = text.replace("  scada-control:\n    zones: [scada, control]\n",
                        "  scada-control:\n    zones: [scada, control]\n    countermeasures: [tls2]\n") + \
        "  tls2: {kind: encryption, at: {conduit: scada-control}, meets: [SR 5.1 RE 1]}\n"
    st = zone(run(plant_file, both), "scada").states["SR 5.1 RE 1"]
    assert (st.by, st.bounded) == ("conduits", ("corp-scada", "scada-control"))


def test_ips_on_a_conduit_does_not_lift_it_above_its_zones(plant_file):
    # SR 6.2 is the conduit's only TRE requirement; it holds part of TRE, so its TRE is capped at its zones' (2)
    text = THREE_ZONES.read_text().replace("owner: integ}", "owner: integ}\n"
                                           "  ips: {kind: ids, at: {conduit: corp-scada}, meets: [SR 6.1, SR 6.1 RE 1, "
                                           "SR 6.2]}")
    a = run(plant_file, text)
    c = next(c for c in a.conduits if c.id == "corp-scada")
    assert c.states["SR 6.2"].satisfied and c.sl_achieved["TRE"] == zone(a, "scada").sl_achieved["TRE"] == 2
    assert zone(a, "scada").states["SR 6.1 RE 1"].satisfied is False  # and never in the zone


# -- applicability ------------------------------------------------------------------------------------------

ONE = ROLES + """\
zones:
  z:
    name: Z
    level: 1
    kind: control
    networks: [10.0.0.0/24]
    sl_target: 1
assets:
  p: {zone: z, type: embedded_device, addresses: [10.0.0.1], capability: {sl: 1}}
countermeasures:
  site: {kind: other, at: {zone: z}, meets: [SR 2.3, SR 5.2, SR 5.3, SR 7.5]}
"""


def decide(text: str, entry: str) -> str:
    return text.replace("    sl_target: 1\n", "    sl_target: 1\n    applicability:\n      - " + entry + "\n", 1)


def test_declared_not_applicable_leaves_sl_a_alone(plant_file):
    # SR 5.4 (level 1, system level) is the only RDF requirement at 1 that nothing meets: RDF 0 -> 1 once N/A
    before = zone(run(plant_file, ONE), "z")
    assert before.sl_achieved["RDF"] == 0 and "SR 5.4" in gaps_of(before)
    a = run(plant_file, decide(ONE, "{requirement: SR 5.4, justification: one function per controller, "
                                     "approved_by: owner, approved_on: 2026-01-05, evidence: drawing E-12}"))
    z = zone(a, "z")
    assert z.sl_achieved["RDF"] == 1 and "SR 5.4" not in gaps_of(z)
    na = z.not_applicable["SR 5.4"]
    assert (na.source, na.approved_by, na.approved_on, na.evidence) == ("declared", "owner", "2026-01-05",
                                                                         "drawing E-12")
    assert z.states["SR 5.4"].why().startswith("not applicable (approved by owner on 2026-01-05")
    assert a.findings == []


def test_unapproved_not_applicable_does_not_count(plant_file):
    text = decide(ONE, "{requirement: SR 5.4, justification: one function per controller}")
    a = run(plant_file, text)
    assert zone(a, "z").sl_achieved["RDF"] == 0
    [f] = a.findings
    assert f.rule == "not-applicable-refused" and "not approved" in f.message
    assert [x.rule for x in check_plant(load_plant(plant_file(text, header=False)))] == ["not-applicable-unapproved"]


def test_not_applicable_the_model_contradicts_does_not_count(plant_file):
    text = decide(ONE, "{requirement: SR 1.6, justification: no wireless, approved_by: owner}").replace(
        "countermeasures:", "  ap: {zone: z, type: network_device, function: wireless_ap, addresses: [10.0.0.9], "
        "capability: {sl: 1}}\ncountermeasures:")
    a = run(plant_file, text)
    z = zone(a, "z")
    assert "SR 1.6" not in z.not_applicable and z.states["SR 1.6"].applicable
    assert any(f.rule == "not-applicable-refused" and "holds wireless equipment" in f.message for f in a.findings)
    rules = [x.rule for x in check_plant(load_plant(plant_file(text, header=False)))]
    assert "not-applicable-contradicted" in rules


def test_inferred_not_applicable_can_be_overridden(plant_file):
    # no conduit to an external zone: SR 1.13 inferred N/A; `not_applicable: false` makes it (and its RE) apply
    z = zone(run(plant_file, decide(ONE, "{requirement: SR 1.13, not_applicable: false, justification: modem in "
                                         "the cabinet}")), "z")
    assert "SR 1.13" not in z.not_applicable and "SR 1.13 RE 1" not in z.not_applicable
    assert gaps_of(z)["SR 1.13"].state == "system_level" and z.sl_achieved["IAC"] == 0


def test_not_applicable_on_a_requirement_outside_3_3_is_an_error(plant_file):
    text = decide(ONE, "{requirement: CR 1.1, justification: x, approved_by: owner}")
    assert [(f.rule, f.severity) for f in check_plant(load_plant(plant_file(text, header=False)))] == [
        ("not-applicable-not-3-3", "error")]


# -- scope --------------------------------------------------------------------------------------------------


def test_untrusted_zone_is_outside_the_suc_unless_declared_in_scope(plant_file):
    text = THREE_ZONES.read_text()
    a = assess(load_plant(THREE_ZONES))
    assert "corp" not in {z.id for z in a.zones} and not any(g.where == "corp" for g in a.gaps)
    inside = run(plant_file, text.replace("    trust: untrusted ", "    trust: untrusted\n    scope: suc "))
    assert "corp" in {z.id for z in inside.zones} and inside.external == []
    targeted = text.replace("    networks: [10.1.0.0/24]", "    networks: [10.1.0.0/24]\n    sl_target: 1")
    [f] = [f for f in check_plant(load_plant(plant_file(targeted, header=False))) if f.rule == "external-zone-target"]
    assert "sl_target is ignored" in f.message


# -- evidence precedence ------------------------------------------------------------------------------------


def test_certificate_caps_a_higher_declared_vector(plant_file):
    text = ONE.replace("capability: {sl: 1}", "firmware: V2.9, capability: {sl: 2, certificate: ISASecure CSA SL1 "
                       "ref 7, certificate_firmware: V2.9}")
    a = run(plant_file, text)
    cap = a.capabilities["p"]
    assert (cap.sl, cap.source, cap.declared, cap.certified) == (SLVector.uniform(1), "certificate",
                                                                 SLVector.uniform(2), SLVector.uniform(1))
    [f] = a.findings
    assert f.rule == "capability-above-certificate" and "counted at {1 1 1 1 1 1 1}" in f.message


def test_firmware_change_reopens_the_certificate(plant_file):
    text = ONE.replace("capability: {sl: 1}", "firmware: V3.0, capability: {meets: [CR 1.1], certificate: ISASecure "
                       "CSA SL2 ref 7, certificate_firmware: V2.9}")
    a = run(plant_file, text)
    cap = a.capabilities["p"]
    assert cap.source == "meets" and cap.certified is None and "covers firmware V2.9" in cap.reopened
    assert [f.rule for f in a.findings] == ["certificate-reopened"]
    same = run(plant_file, text.replace("V3.0", "V2.9"))
    assert same.capabilities["p"].sl == SLVector.uniform(2) and same.findings == []


# -- partitioning (62443-3-2 ZCR 3) ---------------------------------------------------------------------------


@pytest.mark.parametrize(("extra", "rule"), [
    ("  ap: {zone: z, type: network_device, function: wireless_ap, addresses: [10.0.0.9]}\n", "zone-mixes-wireless"),
    ("  sis: {zone: z, type: embedded_device, function: sis, addresses: [10.0.0.8]}\n", "zone-mixes-safety"),
    ("  mes: {zone: z, type: host_device, function: mes, addresses: [10.0.0.7]}\n", "zone-mixes-business"),
    ("  lap: {zone: z, type: host_device, function: ews, temporary: true, addresses: [10.0.0.6]}\n",
     "zone-mixes-temporary"),
    ("  m: {zone: z, type: network_device, reachable_from_outside: true, addresses: [10.0.0.4]}\n",
     "zone-mixes-external"),
    ("  low: {zone: z, type: embedded_device, function: sensor, criticality: low, addresses: [10.0.0.5]}\n",
     "zone-mixes-criticality"),
])
def test_partitioning_checks(plant_file, extra, rule):
    base = ONE.replace("capability: {sl: 1}}", "function: plc, criticality: high, capability: {sl: 1}}")
    assert check_plant(load_plant(plant_file(base, header=False))) == []
    text = base.replace("countermeasures:", extra + "countermeasures:")
    found = [f for f in check_plant(load_plant(plant_file(text, header=False))) if f.rule.startswith("zone-mixes")]
    assert [f.rule for f in found] == [rule] and found[0].severity == "warning"


def test_example_has_no_countermeasure_posing_as_a_decision():
    from importlib import resources

    plant = load_plant(Path(str(resources.files("zonewarden") / "examples" / "fill-finish" / "plant.yaml")))
    wireless = {"SR 1.6", "SR 1.6 RE 1", "SR 2.2", "SR 2.2 RE 1"}
    for mid, m in plant.countermeasures.items():
        if m.kind in ("policy", "procedure"):
            assert not wireless & set(m.meets), mid
    a = assess(plant, as_of=dt.date(2026, 6, 1))
    assert zone(a, "sis").not_applicable["SR 2.6"].source == "declared"
    assert zone(a, "cell-1").not_applicable["SR 1.6"].source == "inferred"


# -- the assessor review's cases (issue 21) -------------------------------------------------------------------

PAIR = ROLES + """\
zones:
  dmz: {name: DMZ, level: 3.5, kind: dmz, trust: untrusted, scope: suc, networks: [10.5.0.0/24], sl_target: 1}
  cell: {name: Cell, level: 1, kind: control, networks: [10.0.0.0/24], sl_target: 1}
conduits:
  dmz-cell: {zones: [dmz, cell], flows: [{from: h, to: p, protocol: modbus}]}
assets:
  h: {zone: dmz, type: host_device, addresses: [10.5.0.1], capability: {sl: 1}}
  p: {zone: cell, type: embedded_device, function: plc, addresses: [10.0.0.1], capability: {sl: 1}}
"""


def test_an_untrusted_zone_in_scope_is_an_untrusted_network_for_its_neighbours(plant_file):
    a = run(plant_file, PAIR)
    for zid in ("dmz", "cell"):
        assert "SR 1.13" not in zone(a, zid).not_applicable, zid
    assert "SR 1.13" in gaps_of(zone(a, "cell"))
    assert "SR 1.13" not in next(c for c in a.conduits if c.id == "dmz-cell").not_applicable


def test_an_asset_reachable_from_outside_bypasses_every_conduit(plant_file):
    text = PAIR.replace("  dmz-cell: {zones: [dmz, cell],",
                        "  dmz-cell: {zones: [dmz, cell], countermeasures: [fw],") + \
        "  modem: {zone: cell, type: embedded_device, addresses: [10.0.0.9], reachable_from_outside: true, " \
        "capability: {sl: 1}}\ncountermeasures:\n  fw: {kind: firewall, at: {conduit: dmz-cell}, meets: [SR 1.13]}\n"
    st = zone(run(plant_file, text), "cell").states["SR 1.13"]
    assert not st.satisfied and st.state == "partly_bounded" and st.bypass == ("modem",)
    assert "modem reachable from outside bypass every conduit" in st.why()


def test_a_bare_conduit_has_sl_a_0_where_it_holds_requirements(plant_file):
    # the zones reach IAC 0 but SI, DC, TRE 1 by their assets; nothing on the conduit meets its SI, DC or TRE
    # requirements, so it has 0 there; UC, which holds no conduit requirement, takes its zones' (0: SR 2.3)
    a = run(plant_file, PAIR)
    c = a.conduits[0]
    assert [z.sl_achieved["SI"] for z in a.zones] == [1, 1]
    assert c.countermeasures == [] and c.sl_achieved == SLVector.uniform(0)


def test_a_network_device_meets_what_4_2_asks_only_of_network_devices(plant_file):
    # SR 1.6 has a counterpart for network devices only (NDR 1.6): the access point stands for it; the PLC is not
    # judged on it (system level for embedded devices) and is named nowhere
    text = ROLES + """\
zones:
  w: {name: W, level: 1, kind: wireless, networks: [10.0.0.0/24], sl_target: 1}
assets:
  ap: {zone: w, type: network_device, function: wireless_ap, addresses: [10.0.0.2], capability: {sl: 1}}
  p: {zone: w, type: embedded_device, function: plc, addresses: [10.0.0.1], capability: {sl: 1}}
"""
    z = zone(run(plant_file, text), "w")
    st = z.states["SR 1.6"]
    assert (st.satisfied, st.by, st.system_types) == (True, "assets", ("embedded_device",))
    assert "none for embedded_device" in st.why()
    short = zone(run(plant_file, text.replace("function: wireless_ap, addresses: [10.0.0.2], capability: {sl: 1}",
                                              "function: wireless_ap, addresses: [10.0.0.2], capability: {sl: 0}")),
                 "w")
    g = gaps_of(short)["SR 1.6"]
    assert (g.state, g.assets) == ("assets_short", ["ap"])


def test_decisions_on_a_requirement_and_its_enhancement_do_not_depend_on_their_order(plant_file):
    base = "{requirement: SR 3.2, justification: x, approved_by: owner}"
    re_ = "{requirement: SR 3.2 RE 1, not_applicable: false, justification: y}"
    one = ONE.replace("    sl_target: 1\n", "    sl_target: 1\n    applicability:\n      - " + base + "\n      - "
                      + re_ + "\n", 1)
    two = ONE.replace("    sl_target: 1\n", "    sl_target: 1\n    applicability:\n      - " + re_ + "\n      - "
                      + base + "\n", 1)
    for text in (one, two):
        z = zone(run(plant_file, text), "z")
        assert "SR 3.2" in z.not_applicable and "SR 3.2 RE 1" not in z.not_applicable


def test_certificate_evidence_bounds_every_weaker_claim(plant_file):
    def cap(c: str, firmware: str = "") -> object:
        text = ONE.replace("capability: {sl: 1}", f"{firmware}capability: {c}")
        a = run(plant_file, text)
        return a.capabilities["p"], [f.rule for f in a.findings], check_plant(load_plant(plant_file(text,
                                                                                                  header=False)))
    c, rules, _ = cap("{sl: 3, certificate: 'TUV 968/CSL 1'}")
    assert c.sl == SLVector.uniform(1) and rules == ["capability-above-certificate"]
    c, _, checked = cap("{sl: 2, certificate: ISASecure CSA Level 1}")  # no level we can read: check says so
    assert c.sl == SLVector.uniform(2) and [f.rule for f in checked] == ["certificate-without-sl"]
    c, rules, _ = cap("{certificate: ISASecure CSA SL1, meets: [CR 1.1, CR 1.1 RE 1, CR 1.2]}")
    assert c.above_certificate == ("CR 1.1 RE 1", "CR 1.2") and "1.1 RE 1" not in c.claims_33
    assert "capability-above-certificate" in rules
    c, rules, _ = cap("{sl: 3, certificate: ISASecure CSA SL2, certificate_firmware: '2.0'}", "firmware: '3.0', ")
    assert c.reopened and c.sl == SLVector.uniform(2) and c.source == "declared"  # never above the old certificate


def test_a_retired_countermeasure_refuses_the_compensation(plant_file):
    text = LEGACY.replace("  jump: {kind: jump_host, at: {zone: dmz}, meets: [SR 1.1]}",
                          "  jump: {kind: jump_host, at: {zone: dmz}, meets: [SR 1.1], status: retired}")
    text = text.replace("capability: {sl: [0, 1, 1, 1, 1, 1, 1]}}\n  j:", "capability: {sl: 1}}\n  j:")
    g = gaps_of(zone(run(plant_file, text), "z"))["SR 1.1"]
    assert (g.owner_role, g.assets) == ("asset_owner", ["p"]) and "countermeasure 'jump' is retired" in g.why


def test_a_scenario_on_an_external_zone_raises_nothing_and_check_warns(plant_file):
    text = THREE_ZONES.read_text() + ("risk:\n  tolerable: 4\n  scenarios:\n    - {id: s, zone: corp, likelihood: 5, "
                                      "consequence: {production: 5}}\n")
    a = run(plant_file, text)
    assert not [f for f in a.findings if f.rule == "residual-risk"]
    assert [f.rule for f in check_plant(load_plant(plant_file(text, header=False)))
            if f.rule == "external-zone-target"] == ["external-zone-target"]


def test_not_applicable_approved_by_a_non_owner_is_flagged_by_check(plant_file):
    text = decide(ONE, "{requirement: SR 5.4, justification: x, approved_by: vend}")
    [f] = check_plant(load_plant(plant_file(text, header=False)))
    assert f.rule == "not-applicable-unapproved" and "only an asset_owner role" in f.message


def test_boundary_requirements_cannot_be_declared_away_on_a_zone_with_conduits(plant_file):
    text = PAIR.replace("scope: suc, networks: [10.5.0.0/24], sl_target: 1}", "scope: suc, networks: [10.5.0.0/24], "
                        "sl_target: 1,\n        applicability: [{requirement: SR 5.2, justification: x, "
                        "approved_by: owner}]}")
    a = run(plant_file, text)
    assert "SR 5.2" not in zone(a, "dmz").not_applicable
    assert any(f.rule == "not-applicable-refused" and "crosses its boundary" in f.message for f in a.findings)
