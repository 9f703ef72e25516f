"""The packaged catalogs: complete, matching the reference facts, guidance of our own on every item."""

from __future__ import annotations

import re

import pytest

from zonewarden.standard.catalog import load_catalog, normalize_id

from ..conftest import SHARED

FACTS = SHARED / "reference" / "catalog-facts.md"


@pytest.mark.parametrize(("part", "count"), [("3-3", 100), ("4-1", 47), ("2-1", 87), ("2-4", 12), ("3-2", 32)])
def test_part_sizes(part, count):
    assert len(load_catalog().select(part=part)) == count


def test_3_3_has_51_srs_and_49_res():
    items = load_catalog().select(part="3-3")
    assert sum(1 for r in items if r.kind == "SR") == 51
    assert sum(1 for r in items if r.kind == "RE") == 49
    assert all(r.parent in {x.id for x in items} for r in items if r.kind == "RE")


def test_every_item_has_our_own_one_line_guidance():
    for r in load_catalog().items:
        assert r.guidance and "\n" not in r.guidance and len(r.guidance) <= 200, r.id
        assert not re.search(r"\bshall\b", r.guidance), r.id


def test_ids_are_unique_across_parts():
    ids = [r.id for r in load_catalog().items]
    assert len(ids) == len(set(ids))


@pytest.mark.skipif(not FACTS.exists(), reason="shared reference facts not beside the project")
def test_3_3_levels_match_the_reference_table():
    adopted = {}
    for line in FACTS.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 6 and re.fullmatch(r"SR \d+\.\d+( RE \d+)?", cells[0]):
            adopted[cells[0]] = (cells[1], next(i + 1 for i, m in enumerate(cells[2:6]) if m == "X"))
    ours = {r.id: (r.title, r.level) for r in load_catalog().select(part="3-3")}
    assert ours == adopted


def test_4_2_component_variants():
    cat = load_catalog()
    assert cat.get("CR 2.4").level is None and set(cat.get("CR 2.4").variants) == {"SAR 2.4", "EDR 2.4",
                                                                                    "HDR 2.4", "NDR 2.4"}
    assert cat.get("EDR 3.14").types == ("embedded_device",)
    assert cat.get("NDR 5.2 RE 1").level == 2
    assert cat.get("CR 7.8").confidence == "low"


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("SR 1.1(1)", "SR 1.1 RE 1"), ("SR 1.1 RE1", "SR 1.1 RE 1"), ("sr 1.1 re 1", "SR 1.1 RE 1"),
     ("CR 1.1 RE(2)", "CR 1.1 RE 2"), ("NDR1.6RE1", "NDR 1.6 RE 1"), ("SM.1", "SM-1"), ("SVV 3", "SVV-3"),
     ("ZCR 5.6", "ZCR 5.6"), ("SP.03", "SP.03"), ("SP03.10RE4", "SP03.10RE4"), ("SP 3", "SP.03")],
)
def test_id_spellings_normalise(text, canonical):
    assert normalize_id(text) == canonical


def test_2_4_requirement_ids_resolve_to_their_area():
    cat = load_catalog()
    hit = cat.find("SP03.10RE4")
    assert hit is not None and hit.parent == "SP.03"
    assert cat.find("SP13.01BR") is None
    assert cat.find("SR 9.9") is None


def test_level_overrides_let_a_licensee_flip_a_flagged_cell():
    cat = load_catalog()
    flipped = cat.with_levels({"SR 4.1 RE 2": 4})
    assert len(flipped.select(part="3-3", level=3)) == 90
    assert cat.get("SR 4.1 RE 2").alternative_level == 4 and cat.get("SR 4.1 RE 2").flag == "D6"
