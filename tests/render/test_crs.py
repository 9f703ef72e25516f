"""The CRS: the sections of 62443-3-2 ZCR 6.1-6.9 and 7.1, filled from the plant, with what is missing named."""

from __future__ import annotations

import re

from zonewarden.render.crs import SECTIONS, crs_html, crs_markdown, missing_fields
from zonewarden.render.documents import fingerprint

from ..cli.test_cli import zw


def sheet(html: str, attr: str, oid: str) -> str:
    """The HTML of one zone, conduit or external-zone sheet."""
    return html.split(f'{attr}="{oid}"', 1)[1].split("</details>", 1)[0]


def rows(part: str) -> dict[str, str]:
    """Requirement id -> state (met, gap, N/A) of a sheet's requirement table."""
    return dict(re.findall(r'data-requirement="([^"]+)" data-state="([^"]+)"', part))


def test_crs_html_has_every_zcr_section_and_every_zone(example_review):
    html = crs_html(example_review)
    a = example_review.assessment
    found = re.findall(r'data-section="([\w-]+)"', html)
    assert found[:1 + len(SECTIONS)] == ["document"] + [s[0] for s in SECTIONS]
    assert set(re.findall(r'data-zone-sheet="([\w-]+)"', html)) == {z.id for z in a.zones}
    assert re.findall(r'data-external-zone="([\w-]+)"', html) == a.external == ["enterprise"]
    for cid in example_review.plant.conduits:
        assert f'data-conduit-sheet="{cid}"' in html and f'id="conduit-{cid}"' in html  # sheet and drawing
    # ZCR 6.4: the requirements a zone's SL-T asks, with their state; N/A ones marked N/A, not "gap"
    sis = next(z for z in a.zones if z.id == "sis")
    needed = {s.requirement: s for s in sis.states.values() if s.level <= sis.sl_target[s.fr]}
    part = sheet(html, "data-zone-sheet", "sis")
    assert rows(part) == {rid: "N/A" if not s.applicable else "met" if s.satisfied else "gap"
                          for rid, s in needed.items()}
    assert rows(part)["SR 2.6"] == "N/A"  # the asset owner's approved decision, with its record
    for text in ("No remote sessions reach the SIS", "Helvion Pharma AG - OT Security", "2026-02-16",
                 "SIS safety requirements specification rev. 4"):
        assert text in part, text
    assert "Safety cabinet SC-14" in part and "safety-related" in part
    # enterprise is an entry point with its assumptions, and has no SL-T and no requirement table
    ent = sheet(html, "data-external-zone", "enterprise")
    assert "Corporate laptops may be compromised" in ent and "entry point" in ent
    assert 'class="vec"' not in ent and "<dt>SL-T" not in ent and "data-requirement" not in ent
    assert 'data-threat-source="enterprise"' in html
    assert fingerprint(example_review.plant) in html.split('data-section="approval"', 1)[1]
    assert 'data-signatory="helvion-ot"' in html and 'data-signatory="alpenauto"' in html
    assert "SAF-POL-11 v4.2" in html and "21 CFR Part 11" in html


def test_crs_markdown_has_the_same_sections(example_review):
    md = crs_markdown(example_review)
    heads = re.findall(r"^## (.+)$", md, flags=re.M)
    assert heads[0] == "Document (ZCR 6.1)"
    assert heads[1:1 + len(SECTIONS)] == [f"{title} ({zcr})" for _, zcr, title in SECTIONS]
    assert "To complete" not in md  # the example records every field the CRS needs
    assert md.count("### Zone ") == len(example_review.assessment.zones) == len(example_review.plant.zones) - 1
    assert md.count("### External zone ") == 1 and "### External zone Enterprise IT (`enterprise`)" in md
    assert "| SR 2.6 | Remote session termination | UC | 2 | N/A |" in md


# -- a small plant checked by hand (tests/render/conftest.py SMALL) -------------------------------------------


def test_external_zones_are_entry_points_with_no_sl_or_requirements(small_review):
    html = crs_html(small_review)
    assert set(re.findall(r'data-zone-sheet="([\w-]+)"', html)) == {"scada", "control"}
    assert re.findall(r'data-external-zone="([\w-]+)"', html) == ["corp", "partner"]
    corp, partner = sheet(html, "data-external-zone", "corp"), sheet(html, "data-external-zone", "partner")
    assert "trust untrusted, so outside by default" in corp and "kind external, so outside by default" in partner
    assert "Office laptops may be compromised." in corp and "<code>phish</code>" in corp
    for part in (corp, partner):
        assert 'class="vec"' not in part and "<dt>SL-" not in part and "data-requirement" not in part
        assert "no SL-T, SL-A, gaps or requirements" in part
    # corp-partner joins only zones outside the SuC: no conduit sheet, named on both external sheets
    assert 'data-conduit-sheet="corp-partner"' not in html
    assert "<code>corp-partner</code> to partner" in corp and "<code>corp-partner</code> to corp" in partner
    # a conduit from the SuC to corp says so, and corp's threat-source row names the way in
    scada = sheet(html, "data-zone-sheet", "scada")
    assert re.search(r"<code>corp-scada</code> to corp <span class=\"outside\">\(outside the SuC\)", scada)
    source = html.split('data-threat-source="corp"', 1)[1].split("</tr>", 1)[0]
    assert "<code>corp-scada</code> to scada" in source and "corp-partner" not in source and "phish" in source
    md = crs_markdown(small_review)
    assert "- Size: 2 zones, 2 conduits, 2 assets in the SuC" in md
    assert "- Outside the SuC: `corp` Corporate IT; `partner` Partner WAN" in md
    # ZCR 6.4 asks the physical boundary and owner of zones in the SuC only
    assert "zones.corp.physical" not in missing_fields(small_review)
    assert "zones.scada.physical" in missing_fields(small_review)


def test_sl_t_basis_names_the_scenarios_that_ask_each_fr(small_review):
    # phish: 16 is high (high from 13 = ceil(25 / 2), critical from 20) -> SL 3 on RDF, the only FR of T0883;
    # insider: 8 is medium -> SL 2 on all seven FRs (no technique). Baseline 1.
    scada = next(z for z in small_review.assessment.zones if z.id == "scada")
    assert str(scada.sl_target) == "{2 2 2 2 3 2 2}" and scada.sl_target_source == "derived"
    part = sheet(crs_html(small_review), "data-zone-sheet", "scada")
    basis = part.split('data-sl-basis="scada"', 1)[1].split("</table>", 1)[0]
    cells = {fr: row for fr, row in re.findall(r'<tr data-fr="(\w+)">(.*?)</tr>', basis)}
    assert list(cells) == ["IAC", "UC", "SI", "DC", "RDF", "TRE", "RA"]
    assert "<code>phish</code> risk 16 (high) asks SL 3" in cells["RDF"] and "insider" not in cells["RDF"]
    for fr in ("IAC", "UC", "SI", "DC", "TRE", "RA"):
        assert "<code>insider</code> risk 8 (medium) asks SL 2" in cells[fr] and "phish" not in cells[fr], fr
    # a declared SL-T says so, per FR
    control = sheet(crs_html(small_review), "data-zone-sheet", "control")
    assert control.split('data-sl-basis="control"', 1)[1].split("</table>", 1)[0].count(">declared<") == 7


def test_na_decisions_declared_inferred_and_refused(small_review):
    html = crs_html(small_review)
    scada, control = sheet(html, "data-zone-sheet", "scada"), sheet(html, "data-zone-sheet", "control")
    na = scada.split('data-na="zone"', 1)[1].split("</table>", 1)[0]
    declared = na.split('data-na-source="declared"', 1)[1].split("</tr>", 1)[0]
    for text in ("<code>SR 2.3</code>, <code>SR 2.3 RE 1</code>", "No portable device is allowed in the plant.",
                 "Water OT", "2026-03-01", "Site rule R-7"):
        assert text in declared, text
    inferred = na.split('data-na-source="inferred"', 1)[1].split("</tr>", 1)[0]
    assert "<code>SR 1.6</code>" in inferred and "no wireless asset in the zone" in inferred
    refused = na.split('data-na-source="refused"', 1)[1].split("</tr>", 1)[0]
    assert "<code>SR 7.5</code>" in refused and "&#39;integ&#39; is not an asset_owner role" in refused
    # the requirement table: N/A rows are N/A, the refused decision leaves SR 7.5 a gap
    assert rows(scada)["SR 2.3"] == "N/A" and rows(scada)["SR 1.6"] == "N/A" and rows(scada)["SR 7.5"] == "gap"
    assert rows(scada)["SR 1.13"] == "gap"  # corp-scada reaches an external zone: SR 1.13 applies in scada
    assert rows(control)["SR 1.13"] == "N/A" and rows(control)["SR 4.1 RE 1"] == "N/A"  # inferred there
    # gap rows say their state
    assert re.search(r'data-requirement="SR 5.2" data-state="gap">.*?gap \(partly bounded\).*?met on '
                     r"scada-control but not on corp-scada", scada)


def test_compensations_counted_or_refused_with_the_reason(small_review):
    control = sheet(crs_html(small_review), "data-zone-sheet", "control")
    got = dict(re.findall(r'data-compensation="plc (SR [\d.]+)" data-counted="(\w+)"', control))
    assert got == {"SR 2.1": "yes", "SR 2.4": "no"}
    row = control.split('data-compensation="plc SR 2.4"', 1)[1].split("</tr>", 1)[0]
    assert "refused: it is not approved" in row
    assert "compensations" not in sheet(crs_html(small_review), "data-zone-sheet", "scada")  # none for srv


def test_each_conduit_lists_its_requirements_with_their_states(small_review):
    html = crs_html(small_review)
    conduits = {c.id: c for c in small_review.assessment.conduits}
    assert set(conduits) == {"corp-scada", "scada-control"}
    for cid, c in conduits.items():
        part = sheet(html, "data-conduit-sheet", cid)
        # SL-T: the highest of its SuC zones, scada {2 2 2 2 3 2 2}; rows: the conduit's requirements at it
        assert str(c.sl_target) == "{2 2 2 2 3 2 2}"
        assert rows(part) == {s.requirement: "N/A" if not s.applicable else "met" if s.satisfied else "gap"
                              for s in c.states.values() if s.level <= c.sl_target[s.fr]}
        assert "the highest of its zones in the SuC" in part
    inner = rows(sheet(html, "data-conduit-sheet", "scada-control"))
    outer = rows(sheet(html, "data-conduit-sheet", "corp-scada"))
    # fw-sc meets SR 5.1 and SR 5.2 on scada-control only; SR 1.13 is inferred N/A where no external zone is joined
    assert inner["SR 5.1"] == inner["SR 5.2"] == "met" and outer["SR 5.1"] == outer["SR 5.2"] == "gap"
    assert inner["SR 1.13"] == "N/A" and outer["SR 1.13"] == "gap"
    na = sheet(html, "data-conduit-sheet", "scada-control").split('data-na="conduit"', 1)[1].split("</table>", 1)[0]
    inferred = conduits["scada-control"].not_applicable["SR 1.13"]
    assert inferred.source == "inferred" and f"<td>{inferred.reason}</td>" in na


def test_a_bare_plant_gets_a_crs_that_names_what_to_record(plant_file, tmp_path):
    path = plant_file("""\
        zones:
          z: {name: Z, level: 1, kind: control, networks: [10.0.0.0/24], sl_target: 2}
        assets:
          a: {zone: z, type: embedded_device, addresses: [10.0.0.1]}
        """)
    out = tmp_path / "crs.md"
    res = zw("crs", str(path), "-o", str(out))
    assert res.returncode == 0, res.stderr
    md = out.read_text()
    for field in ("plant.description", "crs.perimeter", "crs.environment", "crs.threats", "crs.policies",
                  "crs.regulations", "zones.z.physical", "zones.z.owner"):
        assert f"`{field}`" in md.split("## To complete", 1)[1], field
    assert "not recorded (`crs.environment`)" in md
    # the asset owner signs even when the plant lists no approvals
    assert "| asset owner | Plant owner |" in md
    assert "field(s) of the CRS are not recorded" in res.stderr


def test_missing_fields_of_the_example_are_none(example_review):
    assert missing_fields(example_review) == []


def test_a_zone_policy_must_name_a_crs_policy(plant_file):
    path = plant_file("""\
        zones:
          z: {name: Z, level: 1, kind: control, policies: [pol-x]}
        crs:
          policies: {pol-a: {title: Access}}
          approvals: [{role: nobody}]
        """)
    res = zw("check", str(path))
    assert res.returncode == 1
    assert "zones.z.policies[0]: no policy (crs.policies) 'pol-x' is defined" in res.stdout
    assert "crs.approvals[0].role: no role 'nobody' is defined" in res.stdout
