"""The CRS: the sections of 62443-3-2 ZCR 6.1-6.9 and 7.1, filled from the plant, with what is missing named."""

from __future__ import annotations

import re

from zonewarden.render.crs import SECTIONS, crs_html, crs_markdown, missing_fields
from zonewarden.render.documents import fingerprint

from ..cli.test_cli import zw


def test_crs_html_has_every_zcr_section_and_every_zone(example_review):
    html = crs_html(example_review)
    found = re.findall(r'data-section="([\w-]+)"', html)
    assert found[:1 + len(SECTIONS)] == ["document"] + [s[0] for s in SECTIONS]
    for zid in example_review.plant.zones:
        assert f'data-zone-sheet="{zid}"' in html
    for cid in example_review.plant.conduits:
        assert f'data-conduit-sheet="{cid}"' in html and f'id="conduit-{cid}"' in html  # sheet and drawing
    # ZCR 6.4: the requirements a zone's SL-T asks, with their state; ZCR 7.1: the owner signs this content
    sis = next(z for z in example_review.assessment.zones if z.id == "sis")
    needed = [s for s in sis.states.values() if s.level <= sis.sl_target[s.fr]]
    sheet = html.split('data-zone-sheet="sis"', 1)[1].split("</details>", 1)[0]
    assert sheet.count("<td>SR ") == len(needed)
    assert "Safety cabinet SC-14" in sheet and "safety-related" in sheet
    assert fingerprint(example_review.plant) in html.split('data-section="approval"', 1)[1]
    assert 'data-signatory="helvion-ot"' in html and 'data-signatory="alpenauto"' in html
    assert "SAF-POL-11 v4.2" in html and "21 CFR Part 11" in html


def test_crs_markdown_has_the_same_sections(example_review):
    md = crs_markdown(example_review)
    heads = re.findall(r"^## (.+)$", md, flags=re.M)
    assert heads[0] == "Document (ZCR 6.1)"
    assert heads[1:1 + len(SECTIONS)] == [f"{title} ({zcr})" for _, zcr, title in SECTIONS]
    assert "To complete" not in md  # the example records every field the CRS needs
    assert md.count("### Zone ") == len(example_review.plant.zones)


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
