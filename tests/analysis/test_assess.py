"""The computation of design §4 on tiny plants whose expected vectors were worked out by hand.

Facts the expectations rest on (3-3 catalog, 2013+COR1:2014): every FR has requirements at
level 1 and at level 2; the level-1 RDF requirements are SR 5.1, 5.2, 5.3 and 5.4. 4-2 defines no
component counterpart, for embedded and host devices, of the level-1 SR 1.6, 1.13, 2.3, 5.2, 5.3,
5.4 and 7.5 (network devices only, or system level), so only a countermeasure meets those (SITE).
ATT&CK for ICS 18.1: T0803 (Block Command Message) is mitigated only through SR 7.7: RA alone.
"""

from __future__ import annotations

from zonewarden.analysis.assess import assess
from zonewarden.model.load import load_plant
from zonewarden.model.sl import SLVector
from zonewarden.model.tracking import load_tracking

ONE_ZONE = """\
zones:
  z: {name: Z, level: 1, kind: control, networks: [10.0.0.0/24], sl_target: 1}
assets:
  p: {zone: z, type: embedded_device, addresses: [10.0.0.1], capability: {sl: 1}}
"""
SHORT_ON_RDF = "  q: {zone: z, type: embedded_device, addresses: [10.0.0.2], capability: {sl: [1, 1, 1, 1, 0, 1, 1]}}\n"
SITE = "  site: {kind: other, at: {zone: z}, meets: [SR 1.6, SR 1.13, SR 2.3, SR 5.2, SR 5.3, SR 5.4, SR 7.5]}\n"


def with_site(text: str, cms: str = "", after: str = "") -> str:
    """The plant text, a countermeasures section holding SITE (and `cms`), then `after`."""
    return text + "countermeasures:\n" + SITE + cms + after


def run(plant_file, text, **kw):
    plant = load_plant(plant_file(text))
    return assess(plant, **kw)


def zone(a, zid="z"):
    return next(z for z in a.zones if z.id == zid)


def test_every_asset_meets_gives_its_capability(plant_file):
    # p has SL-C 1 everywhere: every level-1 requirement with an embedded-device counterpart is met by
    # all (one) assets, SITE meets the rest; every FR has a level-2 requirement p falls short of, so
    # SL-A is 1 on each FR; SL-T 1 -> no gap.
    z = zone(run(plant_file, with_site(ONE_ZONE)))
    assert z.sl_capability == SLVector.uniform(1)
    assert z.sl_achieved == SLVector.uniform(1)
    assert z.states["SR 1.1"].by == "assets"
    assert z.gaps == []


def test_one_asset_short_opens_a_gap_naming_it(plant_file):
    # q has RDF 0: SR 5.1 (level 1) falls short on q (SR 5.2-5.4 are SITE's) -> SL-A RDF 0 -> one gap.
    z = zone(run(plant_file, with_site(ONE_ZONE + SHORT_ON_RDF)))
    assert z.sl_achieved == SLVector([1, 1, 1, 1, 0, 1, 1])
    assert z.sl_capability == SLVector([1, 1, 1, 1, 0, 1, 1])
    [g] = z.gaps
    assert (g.id, g.assets, g.severity) == ("gap:z:SR 5.1", ["q"], "medium")
    # 4-2 defines CR 5.1 for every component type: the supplier must act
    assert g.owner_role == "product_supplier"


def test_system_level_requirements_are_met_by_countermeasures_only(plant_file):
    # Without SITE, no embedded device can stand for SR 2.3, 5.2, 5.3, 5.4, 7.5, whatever its SL-C (SR 1.6
    # and 1.13 are inferred N/A: no wireless, no conduit at all): SL-A falls to 0 on UC, RDF and RA; those
    # gaps are system level and name no asset; the integrator acts, the asset owner for SR 2.3 and 7.5.
    z = zone(run(plant_file, ONE_ZONE + SHORT_ON_RDF))
    assert z.sl_achieved == SLVector([1, 0, 1, 1, 0, 1, 0])
    gaps = {g.requirement: g for g in z.gaps}
    assert set(gaps) == {"SR 2.3", "SR 5.1", "SR 5.2", "SR 5.3", "SR 5.4", "SR 7.5"}
    assert (gaps["SR 5.2"].assets, gaps["SR 5.2"].owner_role, gaps["SR 5.2"].state) == ([], "integrator",
                                                                                         "system_level")
    assert "no counterpart for embedded_device" in gaps["SR 5.2"].why and "falls short" not in gaps["SR 5.2"].why
    assert gaps["SR 2.3"].owner_role == gaps["SR 7.5"].owner_role == "asset_owner"
    assert gaps["SR 5.1"].assets == ["q"] and gaps["SR 5.1"].owner_role == "product_supplier"
    assert gaps["SR 5.1"].state == "assets_short"
    assert z.states["SR 1.6"].na is not None and z.states["SR 1.13"].na.source == "inferred"


def test_countermeasure_at_zone_satisfies_what_it_meets(plant_file):
    # fw names the 4-2 id CR 5.1, which stands for SR 5.1 in the zone
    text = with_site(ONE_ZONE + SHORT_ON_RDF, "  fw: {kind: firewall, at: {zone: z}, meets: [CR 5.1]}\n")
    z = zone(run(plant_file, text))
    assert z.states["SR 5.1"].by == "countermeasure" and z.states["SR 5.1"].countermeasures == ("fw",)
    assert z.sl_achieved == SLVector.uniform(1)  # RDF: level 1 all met, SR 5.1 RE 1 (level 2) is not
    assert z.gaps == []


def test_planned_countermeasure_does_not_count(plant_file):
    text = with_site(ONE_ZONE + SHORT_ON_RDF,
                     "  fw: {kind: firewall, at: {zone: z}, status: planned, meets: [SR 5.1]}\n")
    assert zone(run(plant_file, text)).sl_achieved["RDF"] == 0


def test_countermeasure_at_an_asset_adds_to_what_it_meets(plant_file):
    # agent meets CR 5.1 on q: q now lists SR 5.1, so the zone meets it through its assets
    text = with_site(ONE_ZONE + SHORT_ON_RDF, "  agent: {kind: hardening, at: {asset: q}, meets: [CR 5.1]}\n")
    z = zone(run(plant_file, text))
    assert z.states["SR 5.1"].by == "assets" and z.sl_achieved["RDF"] == 1


CONDUIT = """\
zones:
  z: {name: Z, level: 1, kind: control, networks: [10.0.0.0/24], sl_target: 1}
  y: {name: Y, level: 2, kind: supervisory, networks: [10.0.1.0/24], sl_target: [2, 1, 1, 1, 2, 1, 1]}
assets:
  p: {zone: z, type: embedded_device, addresses: [10.0.0.1], capability: {sl: [1, 1, 1, 1, 0, 1, 1]}}
  h: {zone: y, type: host_device, addresses: [10.0.1.1], capability: {sl: [2, 2, 2, 2, 0, 2, 2]}}
conduits:
  c: {zones: [z, y], countermeasures: [fw]}
countermeasures:
  fw: {kind: firewall, at: {conduit: c}, meets: [SR 5.1, SR 5.2, SR 5.3, SR 5.4]}
  site-z: {kind: policy, at: {zone: z}, meets: [SR 2.3, SR 5.4, SR 7.5]}
  site-y: {kind: policy, at: {zone: y}, meets: [SR 2.3, SR 5.4, SR 7.5]}
"""


def test_conduit_countermeasure_satisfies_boundary_srs_in_both_zones(plant_file):
    a = run(plant_file, CONDUIT)
    # c is each zone's only conduit: fw meets the boundary requirements SR 5.1, 5.2, 5.3 on every conduit
    assert zone(a, "z").sl_achieved == SLVector.uniform(1)
    assert zone(a, "z").states["SR 5.2"].by == "conduits"
    # y: h (host) has 2 except RDF 0; fw covers RDF level 1, nothing covers SR 5.1 RE 1 / SR 5.2 RE 1 -> RDF 1;
    # SI stops at 1: SR 3.2 RE 1 (level 2) has no host counterpart in 4-2; DC reaches 2, as SR 4.1 RE 1 is
    # inferred N/A (no conduit to an external zone) and SR 4.1 RE 2 (level 3) has no counterpart;
    # IAC, UC, TRE, RA reach h's 2 (their level-3 items need SL-C 3 or have no host counterpart)
    assert zone(a, "y").sl_achieved == SLVector([2, 2, 1, 2, 1, 2, 2])
    assert [g.requirement for g in zone(a, "y").gaps] == ["SR 5.1 RE 1", "SR 5.2 RE 1"]
    c = a.conduits[0]
    # conduit SL-T: max of z {1..} and y {2 1 1 1 2 1 1}; SL-A RDF 1 from fw (5.1, 5.2, 5.3 at level 1;
    # 5.1 RE 1 at level 2 unmet); UC has no conduit requirement -> the weaker zone's UC (z: 1)
    assert c.sl_target == SLVector([2, 1, 1, 1, 2, 1, 1])
    assert c.sl_achieved["RDF"] == 1 and c.sl_achieved["UC"] == 1
    assert {g.requirement for g in c.gaps} >= {"SR 5.1 RE 1", "SR 5.2 RE 1"}


def test_conduit_device_never_meets_a_zones_other_requirements(plant_file):
    # fw on the conduit claims SR 5.4 and SR 3.2 RE 1 too: neither is a boundary requirement, so neither
    # counts in z or y; without site's SR 5.4, z's RDF falls to 0 (system level)
    text = CONDUIT.replace("meets: [SR 5.1, SR 5.2, SR 5.3, SR 5.4]}", "meets: [SR 5.1, SR 5.2, SR 5.3, SR 5.4, "
                           "SR 3.2 RE 1]}").replace("meets: [SR 2.3, SR 5.4, SR 7.5]}", "meets: [SR 2.3, SR 7.5]}")
    a = run(plant_file, text)
    z = zone(a, "z")
    assert z.states["SR 5.4"].satisfied is False and z.states["SR 5.4"].state == "system_level"
    assert z.sl_achieved["RDF"] == 0 and zone(a, "y").states["SR 3.2 RE 1"].satisfied is False
    # the conduit's own RDF (1) is capped by its zones' (0): it holds only part of RDF's requirements
    assert a.conduits[0].sl_achieved["RDF"] == 0


def test_conduit_declared_target_wins(plant_file):
    a = run(plant_file, CONDUIT.replace("countermeasures: [fw]}", "countermeasures: [fw], sl_target: 3}"))
    assert a.conduits[0].sl_target == SLVector.uniform(3) and a.conduits[0].sl_target_source == "declared"


COMP = with_site(ONE_ZONE.replace("capability: {sl: 1}", "capability: {sl: [0, 1, 1, 1, 1, 1, 1]}"), """\
  jump: {kind: jump_host, at: {zone: z}, meets: [SR 1.3, SR 1.4, SR 1.5, SR 1.7, SR 1.10, SR 1.11, SR 1.12]}
""", """\
compensations:
  - {asset: p, requirement: CR 1.1, by: [jump], approved_by: owner, justification: no accounts on the PLC}
""")


def test_valid_compensation_covers_the_asset(plant_file):
    # p is IAC 0; jump and SITE meet every level-1 IAC SR except SR 1.1, which the compensation covers -> IAC 1
    z = zone(run(plant_file, COMP))
    assert z.states["SR 1.1"].by == "compensation" and z.states["SR 1.1"].compensated == ("p",)
    assert z.sl_achieved["IAC"] == 1
    assert z.gaps == []


def test_unapproved_compensation_is_refused_and_the_owner_must_act(plant_file):
    a = run(plant_file, COMP.replace(" approved_by: owner,", ""))
    z = zone(a)
    assert z.sl_achieved["IAC"] == 0
    [g] = z.gaps
    assert (g.requirement, g.owner_role, g.assets) == ("SR 1.1", "asset_owner", ["p"])
    [f] = a.located_findings()
    assert f.rule == "compensation-refused" and "not approved" in f.message
    assert f.location is not None and f.location.line == 15  # the compensation's list item


def test_compensation_by_a_planned_countermeasure_is_refused_and_the_integrator_must_act(plant_file):
    text = COMP.replace("compensations:", "  later: {kind: mfa, at: {zone: z}, status: planned}\ncompensations:")
    text = text.replace("by: [jump]", "by: [later]")
    a = run(plant_file, text)
    [g] = zone(a).gaps
    assert (g.requirement, g.owner_role) == ("SR 1.1", "integrator")
    assert "countermeasure 'later' is planned" in a.findings[0].message


def test_compensation_for_a_requirement_the_asset_meets_is_flagged(plant_file):
    a = run(plant_file, COMP.replace("capability: {sl: [0, 1, 1, 1, 1, 1, 1]}", "capability: {sl: 1}"))
    assert [f.rule for f in a.findings] == ["compensation-unneeded"]


RISK = """\
zones:
  z: {name: Z, level: 1, kind: control, networks: [10.0.0.0/24], sl_target: auto}
  w: {name: W, level: 4, kind: enterprise, trust: untrusted, networks: [10.9.0.0/16]}
assets:
  p: {zone: z, type: embedded_device, addresses: [10.0.0.1], capability: {sl: 1}}
  o: {zone: w, type: host_device, addresses: [10.9.0.1]}
risk:
  tolerable: 6
  scenarios:
"""


def test_techniques_raise_only_the_frs_they_touch(plant_file):
    # 4 x 5 = 20: critical on a 5x5 matrix (>= 20) -> SL 4, on RA only (T0803 -> SR 7.7 -> RA)
    a = run(plant_file, RISK + "    - {id: s, zone: z, source: w, techniques: [T0803], likelihood: 4, "
                                 "consequence: {production: 5, safety: 2}}\n")
    z = zone(a)
    assert z.sl_target == SLVector([1, 1, 1, 1, 1, 1, 4]) and z.sl_target_source == "derived"
    [s] = z.scenarios
    assert (s.risk, s.band, s.sl, s.frs, s.worst) == (20, "critical", 4, ("RA",), ("production",))


def test_scenario_without_techniques_raises_all_frs_and_bands_follow_the_matrix(plant_file):
    # 3 x 3 = 9: above tolerable 6, below high 13 -> medium -> SL 2 on all seven FRs
    z = zone(run(plant_file, RISK + "    - {id: s, zone: z, likelihood: 3, consequence: {safety: 3}}\n"))
    assert z.sl_target == SLVector.uniform(2)
    # 2 x 3 = 6 is tolerable -> SL 1 (the baseline)
    z = zone(run(plant_file, RISK + "    - {id: s, zone: z, likelihood: 2, consequence: {safety: 3}}\n"))
    assert z.sl_target == SLVector.uniform(1) and z.scenarios[0].band == "tolerable"


def test_targets_of_several_scenarios_combine_by_max(plant_file):
    a = run(plant_file, RISK + "    - {id: a, zone: z, techniques: [T0803], likelihood: 5, consequence: {safety: 5}}\n"
                               "    - {id: b, zone: z, likelihood: 3, consequence: {safety: 3}}\n")
    assert zone(a).sl_target == SLVector([2, 2, 2, 2, 2, 2, 4])


def test_declared_target_below_derived_is_a_finding(plant_file):
    text = RISK.replace("sl_target: auto", "sl_target: 2") + \
        "    - {id: s, zone: z, techniques: [T0803], likelihood: 4, consequence: {production: 5}}\n"
    a = run(plant_file, text)
    assert zone(a).sl_target == SLVector.uniform(2) and zone(a).sl_derived == SLVector([1, 1, 1, 1, 1, 1, 4])
    f = next(f for f in a.findings if f.rule == "sl-target-below-risk")
    assert f.id == "sl-target:z" and "short on RA" in f.message


def test_one_met_requirement_earns_no_residual_credit_while_sl_a_is_short(plant_file):
    # p (SL-C 1) meets SR 7.7, the one requirement that mitigates T0803; but 4 x 5 = 20 asks SL 4 on RA and
    # SL-A RA is 0 (SR 7.5 unmet): no credit, residual = 20 (tests/analysis/test_risk_rules.py has the credit)
    a = run(plant_file, RISK + "    - {id: s, zone: z, techniques: [T0803], likelihood: 4, "
                               "consequence: {production: 5}}\n")
    s = zone(a).scenarios[0]
    assert (s.residual_likelihood, s.residual_risk, s.residual_band, s.mitigated) == (4, 20, "critical", ())
    assert [f.id for f in a.findings if f.rule == "residual-risk"] == ["risk:z:s"]


def test_tracking_statuses_patterns_and_stale_entries(plant_file, tmp_path):
    path = plant_file(ONE_ZONE + SHORT_ON_RDF)  # gaps: SR 2.3, 5.1-5.4, 7.5 (see above)
    tfile = tmp_path / "tracking.yaml"
    tfile.write_text("zonewarden-tracking: 1\nentries:\n"
                     "  - {id: 'gap:z:SR 5.1', status: accepted, justification: vendor patch due, owner: owner}\n"
                     "  - {id: 'gap:z:SR 5.*', status: in-progress, ticket: OT-12}\n"
                     "  - {id: 'gap:gone:SR 1.1', status: mitigated}\n")
    tracking, _ = load_tracking(tfile)
    a = assess(load_plant(path), tracking, tracking_file=str(tfile))
    status = {g.requirement: g.status for g in zone(a).gaps}
    assert status == {"SR 2.3": "open", "SR 5.1": "accepted",
                      "SR 5.2": "in-progress", "SR 5.3": "in-progress", "SR 5.4": "in-progress", "SR 7.5": "open"}
    assert [e.id for e in a.tracking.stale] == ["gap:gone:SR 1.1"]
    assert next(g for g in zone(a).gaps if g.requirement == "SR 5.1").tracking["justification"] == "vendor patch due"
    assert a.open_at_or_above("medium") == 5  # 6 gaps, all medium; the accepted one does not count


def test_capability_from_meets_and_from_certificate(plant_file):
    text = ONE_ZONE.replace("capability: {sl: 1}", "capability: {certificate: ISASecure CSA SL2 cert 42}") + \
        ("  m: {zone: z, type: network_device, addresses: [10.0.0.3], capability: {meets: [CR 5.1, NDR 5.2, "
         "NDR 5.3, SR 5.1 RE 1]}}\n")
    a = run(plant_file, text)
    assert a.capabilities["p"].sl == SLVector.uniform(2) and a.capabilities["p"].source == "certificate"
    # RDF items for a network device: CR 5.1, NDR 5.2, NDR 5.3 (level 1), NDR 5.2 RE 1 (level 2):
    # all level-1 items met, NDR 5.2 RE 1 not -> RDF 1; every other FR misses level-1 items -> 0
    assert a.capabilities["m"].sl == SLVector([0, 0, 0, 0, 1, 0, 0]) and a.capabilities["m"].source == "meets"


def test_planned_and_decommissioned_assets_do_not_count(plant_file):
    text = with_site(ONE_ZONE + SHORT_ON_RDF.replace("capability:", "lifecycle: planned, capability:"))
    z = zone(run(plant_file, text))
    assert z.assets == ["p"] and z.sl_achieved == SLVector.uniform(1)


def test_compensation_past_its_review_date_does_not_count(plant_file):
    import datetime as dt

    text = COMP.replace("justification: no accounts on the PLC}", "justification: no accounts on the PLC,\n"
                        "     approved_on: 2025-01-01, review_by: 2026-01-01}")
    plant = load_plant(plant_file(text))
    assert zone(assess(plant, as_of=dt.date(2025, 6, 1))).gaps == []
    later = assess(plant, as_of=dt.date(2026, 6, 1))
    [g] = zone(later).gaps
    assert (g.requirement, g.owner_role) == ("SR 1.1", "asset_owner")  # the owner must review it again
    assert "review date 2026-01-01 has passed" in later.findings[0].message


def test_gap_lists_the_techniques_of_its_sr_family(plant_file):
    # T0816 is mitigated through SR 1.1, 1.2, 2.1, 3.1, 5.1, 7.7. With SL-C 0, p meets none of them: SR 1.1's gap
    # and its enhancements' list T0816, and hold the scenario back. With SL-C 1, p meets SR 1.1: no SR 1.1 gap.
    text = with_site(RISK.replace("capability: {sl: 1}", "capability: {sl: 0}")
                     .replace("risk:\n", "").replace("  tolerable: 6\n  scenarios:\n", ""),
                     after="risk:\n  tolerable: 6\n  scenarios:\n    - {id: s, zone: z, techniques: [T0816], "
                           "likelihood: 4, consequence: {safety: 4}}\n")
    gap = next(g for g in zone(run(plant_file, text)).gaps if g.requirement == "SR 1.1")
    assert "T0816" in gap.techniques and gap.scenarios == ["s"]
    text = text.replace("capability: {sl: 0}", "capability: {sl: 1}")
    gaps = zone(run(plant_file, text)).gaps
    assert "SR 1.1" not in {g.requirement for g in gaps}
    family = [g for g in gaps if g.requirement.startswith(("SR 1.1 ", "SR 2.1 ")) or g.requirement == "SR 2.1"]
    assert family and all("T0816" in g.techniques for g in family)


def test_baseline_and_custom_bands(plant_file):
    # baseline 2 lifts every FR no scenario raises; bands {high: 9} makes 3 x 3 = 9 high -> band_sl.high 4
    text = RISK.replace("  tolerable: 6\n", "  tolerable: 6\n  baseline: 2\n  bands: {high: 9, critical: 25}\n"
                        "  band_sl: {medium: 2, high: 4, critical: 4}\n")
    z = zone(run(plant_file, text + "    - {id: s, zone: z, techniques: [T0803], likelihood: 3, "
                                    "consequence: {safety: 3}}\n"))
    assert z.sl_target == SLVector([2, 2, 2, 2, 2, 2, 4]) and z.scenarios[0].band == "high"


def test_tracking_repeated_ids_and_shadowed_patterns(plant_file, tmp_path):
    path = plant_file(ONE_ZONE + SHORT_ON_RDF)
    tfile = tmp_path / "t.yaml"
    tfile.write_text("zonewarden-tracking: 1\nentries:\n"
                     "  - {id: 'gap:z:SR 5.1', status: accepted}\n"
                     "  - {id: 'gap:z:SR 5.1', status: open}\n"
                     "  - {id: 'gap:z:SR 5.[12]', status: in-progress}\n")
    a = assess(load_plant(path), load_tracking(tfile)[0])
    status = {g.requirement: g.status for g in zone(a).gaps}
    assert status["SR 5.1"] == "accepted" and status["SR 5.2"] == "in-progress"
    assert [e.status for e in a.tracking.repeated] == ["open"] and a.tracking.stale == []
