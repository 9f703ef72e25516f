"""`diff` and `change` follow the assessment of design §4 (issue 21): N/A decisions and inferred N/A, the scope
of the system under consideration, gap states, and a firmware change that re-opens a certificate. Each test
compares two versions of a small plant whose figures were worked out by hand.

Catalog facts used (3-3 and 4-2 as catalogued): SR 1.6 (IAC 1) and SR 5.3 (RDF 1) have a 4-2 counterpart for
network devices only (at SL 1); SR 2.2 (UC 1) has one for every component type at SL 1; SR 1.13 (IAC 1) for
network devices only; SR 2.3, 5.4 and 7.5 (level 1) have none (system level, SR 2.3 and 7.5 the asset owner's).
"""

from __future__ import annotations

import json

from zonewarden.analysis.change_record import approvals, rollback, verification
from zonewarden.analysis.impact import Impact, impact
from zonewarden.model.load import load_plant
from zonewarden.model.sl import SLVector
from zonewarden.standard.catalog import load_catalog

from ..cli.test_cli import zw
from .history import git

HEAD = """\
zonewarden: 1
plant: {name: Small line, owner: ao}
roles:
  ao: {kind: asset_owner, name: Plant owner}
  si: {kind: integrator, name: Integrator}
  vend: {kind: product_supplier, name: Vendor}
"""
# ctl at SL-T 1: plc (SL-C 1) meets every level-1 requirement with an embedded counterpart; fw meets the
# boundary ones on ctl's only conduit; SR 1.6 and 2.2 are inferred N/A (no wireless asset). Gaps: SR 2.3, 5.4,
# 7.5 (system level). SL-A {1 0 1 1 0 1 0}.
BASE = HEAD + """\
zones:
  corp: {name: Corporate, level: 4, kind: enterprise, trust: untrusted, networks: [10.9.0.0/24]}
  ctl: {name: Control, level: 1, kind: control, networks: [10.0.0.0/24], sl_target: 1}
conduits:
  corp-ctl:
    zones: [corp, ctl]
    countermeasures: [fw]
    owner: si
    flows: [{from: corp, to: plc, protocol: opcua, port: 4840, ops: [read]}]
assets:
  plc: {zone: ctl, type: embedded_device, function: plc, addresses: [10.0.0.1], supplier: vend, firmware: "1.0",
        capability: {sl: 1}}
countermeasures:
  fw: {kind: firewall, at: {conduit: corp-ctl}, meets: [SR 1.13, SR 5.1, SR 5.2, SR 5.3, SR 4.1 RE 1], owner: si}
"""
AP = """\
  ap: {zone: ctl, type: network_device, function: wireless_ap, addresses: [10.0.0.5], supplier: vend,
       capability: {sl: [0, 1, 1, 1, 1, 1, 1]}}
countermeasures:
"""


def two(plant_file, old: str, new: str) -> tuple[Impact, object, object]:
    a = load_plant(plant_file(old, name="old/plant.yaml", header=False))
    b = load_plant(plant_file(new, name="new/plant.yaml", header=False))
    return impact(a, b), a, b


def by_id(im: Impact) -> dict[str, object]:
    return {e.id: e for e in im.effects}


def zone_delta(im: Impact, zid: str):
    return next(d for d in im.zones if d.id == zid)


def test_wireless_ap_makes_wireless_requirements_apply_with_the_gaps_they_open(plant_file):
    im, _, _ = two(plant_file, BASE, BASE.replace("countermeasures:\n  fw:", AP + "  fw:"))
    d = zone_delta(im, "ctl")
    na = {n.requirement: n for n in d.applicability}
    wireless = {"SR 1.6", "SR 1.6 RE 1", "SR 2.2", "SR 2.2 RE 1"}
    assert set(na) == wireless
    assert all(n.change == "now-applicable" and n.before.source == "inferred" and n.why == "wireless asset ap in the "
               "zone" for n in na.values())
    # SR 1.6: only the AP's type has a counterpart (NDR 1.6 at SL 1), and its IAC 0 falls short: assets short,
    # naming the AP alone (1 level: medium); SR 2.2: both meet their counterpart at SL 1 (UC 1); the REs (levels
    # 2 and 3) are above SL-T 1
    (gap,) = na["SR 1.6"].gaps_opened
    assert (gap.id, gap.state, gap.assets, gap.severity) == ("gap:ctl:SR 1.6", "assets_short", ["ap"], "medium")
    assert na["SR 2.2"].gaps_opened == [] and na["SR 2.2"].state == "every asset meets it"
    assert na["SR 1.6 RE 1"].state.startswith("not asked: SL-T IAC 1 is below its level 2")
    assert d.sl_achieved == (SLVector([1, 0, 1, 1, 0, 1, 0]), SLVector([0, 0, 1, 1, 0, 1, 0]))
    e = by_id(im)
    assert e["applicability:zone:ctl:SR 1.6"].severity == "low"
    assert "applies now (wireless asset ap in the zone); was not applicable (inferred: no wireless asset in the " \
           "zone); opens gap:ctl:SR 1.6 (medium, assets short" in e["applicability:zone:ctl:SR 1.6"].message
    assert e["applicability:zone:ctl:SR 1.6 RE 1"].severity == "info"
    assert "it applies now: wireless asset ap in the zone" in e["gap-opened:gap:ctl:SR 1.6"].message
    again = {(r.scope, r.where): r for r in im.reverify}
    assert again[("zone", "ctl")].requirements == ["SR 1.6", "SR 2.2"]
    assert again[("zone", "ctl")].change == "asset ap"


def test_wireless_ap_in_the_json_and_table_faces(plant_file):
    old = plant_file(BASE, name="old/plant.yaml", header=False)
    new = plant_file(BASE.replace("countermeasures:\n  fw:", AP + "  fw:"), name="new/plant.yaml", header=False)
    res = zw("diff", str(old), str(new), "--format", "json")
    assert res.returncode == 0, res.stderr
    (ctl,) = [z for z in json.loads(res.stdout)["impact"]["zones"] if z["id"] == "ctl"]
    row = next(n for n in ctl["applicability"] if n["requirement"] == "SR 1.6")
    assert (row["change"], row["before"]["source"], row["gaps_opened"]) == ("now-applicable", "inferred",
                                                                            ["gap:ctl:SR 1.6"])
    res = zw("diff", str(old), str(new))
    assert res.returncode == 0, res.stderr
    assert "applicability (N/A)" in res.stdout and "+gap:ctl:SR 1.6" in res.stdout


NA_OLD = BASE.replace("""  ctl: {name: Control, level: 1, kind: control, networks: [10.0.0.0/24], sl_target: 1}
""", """  ctl:
    name: Control
    level: 1
    kind: control
    networks: [10.0.0.0/24]
    sl_target: 1
    applicability:
      - {requirement: SR 5.4, justification: one application runs in the zone, approved_by: ao,
         approved_on: "2026-01-10"}
      - {requirement: SR 2.3, justification: no portable devices are admitted, approved_by: ao,
         approved_on: "2026-01-10"}
""")
SR_5_4 = """      - {requirement: SR 5.4, justification: one application runs in the zone, approved_by: ao,
         approved_on: "2026-01-10"}
"""
SR_7_5 = """      - {requirement: SR 7.5, justification: the UPS belongs to the building, approved_by: ao,
         approved_on: "2026-02-01", evidence: facility drawing E-12}
"""
NA_NEW = NA_OLD.replace(SR_5_4, SR_7_5).replace("no portable devices are admitted",
                                                 '"USB ports sealed; no portable devices admitted"')


def test_na_decisions_added_withdrawn_and_changed(plant_file):
    im, old, new = two(plant_file, NA_OLD, NA_NEW)
    assert {(c.kind, c.id, c.action) for c in im.diff.changes} == {
        ("applicability", "ctl:SR 5.4", "removed"), ("applicability", "ctl:SR 7.5", "added"),
        ("applicability", "ctl:SR 2.3", "changed")}  # the zone itself did not change
    d = zone_delta(im, "ctl")
    # SL-A before {1 1 1 1 1 1 0} (SR 7.5 open); after: SR 5.4 applies (RDF 0), SR 7.5 is N/A (RA 1)
    assert d.sl_achieved == (SLVector([1, 1, 1, 1, 1, 1, 0]), SLVector([1, 1, 1, 1, 0, 1, 1]))
    na = {n.requirement: n for n in d.applicability}
    assert {r: n.change for r, n in na.items()} == {"SR 5.4": "now-applicable", "SR 7.5": "now-not-applicable",
                                                    "SR 2.3": "basis-changed", "SR 2.3 RE 1": "basis-changed"}
    assert na["SR 5.4"].why == "its N/A decision was withdrawn"
    assert [g.id for g in na["SR 5.4"].gaps_opened] == ["gap:ctl:SR 5.4"]
    e = by_id(im)
    # a gap closed by a decision is not "met": it says why
    assert e["gap-closed:gap:ctl:SR 7.5"].message == ("ctl: SR 7.5 Emergency power now not applicable (approved by ao "
                                                      "on 2026-02-01: the UPS belongs to the building)")
    assert e["applicability:zone:ctl:SR 7.5"].severity == "low"  # a declared N/A that closes a gap: approvers see it
    assert "no portable devices are admitted) -> not applicable (approved by ao on 2026-01-10: USB ports sealed" in \
        e["applicability:zone:ctl:SR 2.3"].message
    (again,) = im.reverify
    assert (again.where, again.requirements, again.change) == ("ctl", ["SR 5.4"], "applicability ctl:SR 5.4")
    # the change record: the asset owner decides, files the new decision, and can roll back
    (owner,) = approvals(im, old, new)
    assert "decides: N/A decision ctl:SR 5.4 removed, N/A decision ctl:SR 2.3 changed, N/A decision ctl:SR 7.5 " \
           "added" in owner.why
    _, after = verification(im, new, "plant.yaml")
    assert any(s.startswith("File the N/A decision of SR 7.5 at zone ctl with its justification (the UPS belongs to "
                            "the building), approved by ao on 2026-02-01, and its evidence (facility drawing E-12)")
               for s in after)
    assert "Verify on zone ctl: SR 5.4 (applies now: its N/A decision was withdrawn)." in after
    back = rollback(im, "base", "plant.yaml")
    assert "Restore the N/A decision of SR 5.4 at zone ctl; the asset owner approves it again." in back
    assert "Withdraw the N/A decision of SR 7.5 at zone ctl." in back


SCOPE_OLD = HEAD + """\
zones:
  lab: {name: Lab, level: 2, kind: supervisory, networks: [10.2.0.0/24], sl_target: 1}
  ctl: {name: Control, level: 1, kind: control, networks: [10.0.0.0/24], sl_target: 1}
conduits:
  lab-ctl:
    zones: [lab, ctl]
    countermeasures: [fw]
    flows: [{from: pc, to: plc, protocol: s7comm, ops: [read]}]
assets:
  plc: {zone: ctl, type: embedded_device, function: plc, addresses: [10.0.0.1], capability: {sl: 1}}
  pc: {zone: lab, type: host_device, function: ews, addresses: [10.2.0.1], firmware: "22H2", capability: {sl: 1}}
countermeasures:
  fw: {kind: firewall, at: {conduit: lab-ctl}, meets: [SR 5.1, SR 5.2, SR 5.3], owner: si}
"""
SCOPE_NEW = SCOPE_OLD.replace("networks: [10.2.0.0/24], sl_target: 1}", "networks: [10.2.0.0/24], scope: external}"
                              ).replace('"22H2"', '"23H2"')


def test_zone_leaves_the_system_under_consideration(plant_file):
    im, old, new = two(plant_file, SCOPE_OLD, SCOPE_NEW)
    lab = zone_delta(im, "lab")
    # lab had SR 2.3, 5.4, 7.5 open (system level); they are not met, they leave the assessment
    assert lab.presence == "left-suc" and len(lab.gaps_closed) == 3
    assert set(lab.closed_because.values()) == {"no longer assessed: its zone is outside the system under "
                                                "consideration"}
    e = by_id(im)
    assert not [x for x in e if x.startswith("gap-closed:gap:lab:")]
    scope = e["scope:zone:lab"]
    assert scope.severity == "medium" and "leaves the system under consideration (scope external)" in scope.message
    assert "3 gap(s) no longer assessed" in scope.message
    # ctl and lab-ctl now border a zone outside the SuC: SR 1.13 applies (no longer inferred N/A) and is unmet
    ctl = {n.requirement: n for n in zone_delta(im, "ctl").applicability}
    assert ctl["SR 1.13"].why == "conduit lab-ctl joins it to lab"
    assert [(g.id, g.state) for g in ctl["SR 1.13"].gaps_opened] == [("gap:ctl:SR 1.13", "system_level")]
    conduit = {n.requirement: n for n in im.conduits[0].applicability}
    assert conduit["SR 1.13"].why == "the conduit joins lab (external)"
    # pc's firmware changed, but pc is outside the SuC now: no evidence of the SuC rests on it
    assert {(r.scope, r.where, r.change) for r in im.reverify} == {("zone", "ctl", "zone lab"),
                                                                   ("conduit", "lab-ctl", "zone lab")}
    before, _ = verification(im, new, "plant.yaml")
    assert any("confirms that zone lab lies outside the system under consideration" in s for s in before)
    assert "zone lab leaves the system under consideration" in approvals(im, old, new)[0].why
    assert ("Set back scope, sl_target of zone lab to their values at base (it returns to the system under "
            "consideration).") in rollback(im, "base", "plant.yaml")


def test_untrusted_zone_leaves_the_suc_and_becomes_an_entry_point(plant_file):
    im, _, _ = two(plant_file, SCOPE_OLD, SCOPE_OLD.replace("sl_target: 1}\n  ctl", "trust: untrusted}\n  ctl", 1))
    assert zone_delta(im, "lab").presence == "left-suc"
    assert "it is an entry point for the attack paths" in by_id(im)["scope:zone:lab"].message


def test_zone_joins_the_system_under_consideration(plant_file):
    im, _, new = two(plant_file, SCOPE_NEW, SCOPE_OLD)
    lab = zone_delta(im, "lab")
    assert lab.presence == "joined-suc" and {g.requirement for g in lab.gaps_opened} == {"SR 2.3", "SR 5.4", "SR 7.5"}
    e = by_id(im)
    assert e["scope:zone:lab"].severity == "info" and "joins the system under consideration" in \
        e["scope:zone:lab"].message
    assert {"gap-opened:gap:lab:SR 2.3", "gap-opened:gap:lab:SR 5.4", "gap-opened:gap:lab:SR 7.5"} <= set(e)
    assert e["gap-closed:gap:ctl:SR 1.13"].message.endswith("now not applicable (inferred: no conduit joins the zone "
                                                            "to an external, untrusted or remote-access zone)")
    _, after = verification(im, new, "plant.yaml")
    assert any(s.startswith("Assess zone lab as part of the system under consideration") for s in after)


STATES = HEAD + """\
zones:
  corp: {name: Corporate, level: 4, kind: enterprise, trust: untrusted, networks: [10.9.0.0/24]}
  ctl: {name: Control, level: 1, kind: control, networks: [10.0.0.0/24], sl_target: 1}
conduits:
  corp-ctl: {zones: [corp, ctl], countermeasures: [fw], flows: [{from: corp, to: ctl, protocol: https}]}
assets:
  sw: {zone: ctl, type: network_device, function: switch, addresses: [10.0.0.2], supplier: vend, capability: {sl: 0}}
countermeasures:
  fw: {kind: firewall, at: {conduit: corp-ctl}, meets: [SR 1.13, SR 5.1, SR 5.2]}
"""
# the switch replaced by a PLC: no asset of ctl has a counterpart of SR 5.3 any more
WITH_PLC = STATES.replace("  sw: {zone: ctl, type: network_device, function: switch, addresses: [10.0.0.2], supplier: "
                          "vend, capability: {sl: 0}}\n", "  plc: {zone: ctl, type: embedded_device, function: plc, "
                          "addresses: [10.0.0.1], capability: {sl: 1}}\n")
WITH_CELL = WITH_PLC.replace(
    "sl_target: 1}\nconduits:\n",
    "sl_target: 1}\n  cell: {name: Cell, level: 1, kind: control, networks: [10.1.0.0/24], sl_target: 1}\nconduits:\n"
).replace("assets:\n", "  ctl-cell: {zones: [ctl, cell], countermeasures: [fw2], flows: [{from: ctl, to: cell, "
          "protocol: modbus}]}\nassets:\n").replace(
    "countermeasures:\n  fw:", "countermeasures:\n  fw2: {kind: firewall, at: {conduit: ctl-cell}, meets: [SR 5.1, "
    "SR 5.2, SR 5.3]}\n  fw:")


def test_gap_state_changes(plant_file):
    # SR 5.3 in ctl, no conduit meeting it: the switch (SL-C 0) falls short of NDR 5.3 (SL 1): assets short
    im, _, _ = two(plant_file, STATES, WITH_PLC)
    d = zone_delta(im, "ctl")
    (was, now) = next((a, b) for a, b in d.gaps_changed if b.requirement == "SR 5.3")
    assert (was.state, was.assets, was.owner_role) == ("assets_short", ["sw"], "product_supplier")
    # a PLC replaces it: its type has no counterpart of SR 5.3, so no asset can meet it: system level
    assert (now.state, now.assets, now.owner_role) == ("system_level", [], "integrator")
    e = by_id(im)["gap-changed:gap:ctl:SR 5.3"]
    assert e.severity == "low" and e.message.endswith("assets short sw -> system level (no asset can meet it); "
                                                      "product_supplier -> integrator acts")
    row = next(g for g in d.as_dict()["gaps_changed"] if g["id"] == "gap:ctl:SR 5.3")
    assert (row["state_before"], row["state_after"]) == ("assets_short", "system_level")
    # a second conduit whose firewall meets SR 5.3: met on ctl-cell, not on corp-ctl: partly bounded
    im, _, _ = two(plant_file, WITH_PLC, WITH_CELL)
    (was, now) = next((a, b) for a, b in zone_delta(im, "ctl").gaps_changed if b.requirement == "SR 5.3")
    assert (now.state, now.conduits) == ("partly_bounded", ["corp-ctl"])
    assert by_id(im)["gap-changed:gap:ctl:SR 5.3"].message.endswith(
        "system level (no asset can meet it) -> partly bounded (lacking on corp-ctl)")


CERT = BASE.replace("capability: {sl: 1}}",
                    'capability: {certificate: "ISASecure CSA SL1 (ref EX-1)", certificate_firmware: "1.0"}}')


def test_firmware_change_reopens_the_certificate(plant_file):
    im, old, new = two(plant_file, CERT, CERT.replace('firmware: "1.0",', 'firmware: "1.1",'))
    # the certificate (SL 1) covered 1.0; on 1.1 nothing else is declared: SL-C falls back to 0 (none)
    (cap,) = im.capabilities
    assert (cap.asset, cap.sl, cap.source) == ("plc", (SLVector.uniform(1), SLVector.uniform(0)),
                                               ("certificate", "none"))
    assert cap.reopened == "certificate 'ISASecure CSA SL1 (ref EX-1)' covers firmware 1.0, the asset runs 1.1"
    e = by_id(im)
    assert e["finding-opened:capability:plc:firmware"].severity == "medium"
    assert e["capability:plc"].severity == "low"
    again = {(r.scope, r.where): r for r in im.reverify}
    # the items the certificate stood for: every 4-2 item of an embedded device up to SL 1
    certified = {r.id for r in load_catalog().select(part="4-2", component_type="embedded_device")
                 if r.level is not None and r.level <= 1}
    assert set(again[("asset", "plc")].requirements) == certified
    assert "re-certify firmware 1.1 or re-assess the asset against these items; until then its SL-C falls back from " \
           "{1 1 1 1 1 1 1} (certificate) to {0 0 0 0 0 0 0} (none)" in again[("asset", "plc")].reason
    before, after = verification(im, new, "plant.yaml")
    assert "Ask Vendor whether the certificate of plc covers firmware 1.1, or plan its re-certification or a " \
           "re-assessment." in before
    assert any(s.startswith("Required: re-certify plc for firmware 1.1, or re-assess it against the capability items")
               and s.endswith("until then it counts at SL-C {0 0 0 0 0 0 0} (none) instead of {1 1 1 1 1 1 1} "
                              "(certificate).") for s in after)
    vendor = next(a for a in approvals(im, old, new) if a.role == "vend")
    assert "plc (firmware 1.0 -> 1.1; its certificate does not cover 1.1)" in vendor.why
    # and back: the certificate counts again
    im, _, _ = two(plant_file, CERT.replace('firmware: "1.0",', 'firmware: "1.1",'), CERT)
    (cap,) = im.capabilities
    assert cap.restored and by_id(im)["capability:plc"].severity == "info"


def test_change_record_lists_the_certificate_step(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "plant.yaml").write_text(CERT)
    git(repo, "add", "plant.yaml")
    git(repo, "commit", "-q", "-m", "Line as certified")
    (repo / "plant.yaml").write_text(CERT.replace('firmware: "1.0",', 'firmware: "1.1",'))
    git(repo, "commit", "-q", "-am", "PLC firmware 1.1")
    res = zw("change", "plant.yaml", "--from", "HEAD~1", cwd=repo)
    assert res.returncode == 0, res.stderr
    after = res.stdout.split("## Verification after the change", 1)[1].split("## Rollback")[0]
    assert "- [ ] Required: re-certify plc for firmware 1.1, or re-assess it" in after
    assert "until then it counts at SL-C {0 0 0 0 0 0 0} (none) instead of {1 1 1 1 1 1 1} (certificate)." in after
