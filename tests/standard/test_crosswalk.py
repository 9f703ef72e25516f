"""The packaged crosswalk: integrity of every edge, the coverage promises of issue 9, and the composition."""

from __future__ import annotations

import json
import re
from collections import Counter
from importlib import resources

import pytest

from zonewarden.standard.catalog import load_catalog
from zonewarden.standard.crosswalk import (
    CURATION,
    FRAMEWORKS,
    RELATIONSHIPS,
    Crosswalk,
    Edge,
    canon_target,
    compose,
    load_crosswalk,
)

from ..conftest import SHARED

BASE = resources.files("zonewarden.standard") / "crosswalks"
FACTS = (SHARED / "reference" / "crosswalk-facts.md").read_text(encoding="utf-8")


def _doc(folder: str, name: str) -> dict:
    return json.loads((BASE / folder / name).read_text(encoding="utf-8"))


def test_integrity_every_id_exists_relationships_valid_no_duplicates():
    cw, cat = load_crosswalk(), load_catalog()
    assert cw.integrity(cat) == []
    assert len(cw.edges) > 500
    assert {e.framework for e in cw.edges} == set(FRAMEWORKS)
    assert {e.relationship for e in cw.edges} <= set(RELATIONSHIPS)


def test_integrity_check_catches_each_kind_of_error():
    """The integrity check is not vacuous: every kind of bad edge is reported."""
    cw, cat = load_crosswalk(), load_catalog()
    good = next(e for e in cw.edges if e.provenance == CURATION)
    bad = [Edge("SR 9.9", "csf", "PR.AA-01", "intersects_with", CURATION, "high", "x"),
           Edge("SR 1.1", "csf", "PR.ZZ-01", "intersects_with", CURATION, "high", "x"),
           Edge("SR 1.1", "csf", "PR.AA-01", "overlaps", CURATION, "high", "x"),
           Edge("SR 1.1", "csf", "PR.AA-01", "equal", CURATION, "certain", "x"),
           Edge("SR 1.1", "csf", "PR.AA-01", "equal", "NIST", "high", "x", derived=True),
           good]
    problems = Crosswalk(cw.frameworks, [*cw.edges, *bad], []).integrity(cat)
    text = "\n".join(problems)
    for needle in ("'SR 9.9' is not a catalog id", "'PR.ZZ-01' is not in the csf catalog",
                   "relationship 'overlaps'", "confidence 'certain'", "derived edges name what",
                   f"duplicate edge {good.source} -> {good.framework}:{good.target}"):
        assert needle in text


def test_curated_files_hold_no_duplicate_edges():
    for f in (BASE / "edges").iterdir():
        keys = Counter((e["source"], e["framework"], e["target"]) for e in json.loads(f.read_text())["edges"])
        assert [k for k, n in keys.items() if n > 1] == [], f.name


@pytest.mark.parametrize(("framework", "kind", "count"), [
    ("csf", "function", 6), ("csf", "category", 22), ("csf", "subcategory", 106),
    ("iso27001", "control", 93), ("nis2", "measure", 10), ("nis2", "section", 13),
    ("cra", "requirement", 22)])
def test_target_catalogs_are_complete(framework, kind, count):
    items = load_crosswalk().framework(framework).items
    assert sum(1 for i in items if i.kind == kind) == count


def test_cra_and_nis2_ids_match_the_reference_headings():
    cra = {i.id for i in load_crosswalk().framework("cra").items}
    assert {f"I(2)({c})" for c in "abcdefghijklm"} | {f"II({n})" for n in range(1, 9)} | {"I(1)"} <= cra
    nis2 = {i.id for i in load_crosswalk().framework("nis2").items}
    assert {f"21(2)({c})" for c in "abcdefghij"} | {f"CIR {n}" for n in range(1, 14)} <= nis2
    assert "Annex I Part II" in FACTS and "(a) risk analysis" in FACTS  # the headings these ids come from


def test_titles_are_short_and_our_own():
    for fw in load_crosswalk().frameworks.values():
        for item in fw.items:
            assert item.title and len(item.title) <= 80 and "\n" not in item.title, (fw.key, item.id)
    for e in load_crosswalk().edges:
        if e.provenance == CURATION:
            assert 10 <= len(e.rationale) <= 200, e.key


def test_every_3_3_sr_reaches_csf_and_iso27001():
    cw = load_crosswalk()
    srs = [r.id for r in load_catalog().select(part="3-3") if r.kind == "SR"]
    assert len(srs) == 51
    for fw in ("csf", "iso27001", "800-53"):
        missing = [sr for sr in srs if not [e for e in cw.edges_from(sr, fw) if e.confidence != "low"]]
        assert missing == [], (fw, missing)


@pytest.mark.parametrize("framework", ["nis2", "cra"])
def test_every_measure_and_cra_item_is_reached_or_explained(framework):
    cw = load_crosswalk()
    units = cw.framework(framework).units()
    assert units
    for item in units:
        assert cw.edges_to(framework, item.id, below=True) or cw.why_not(framework, item.id), item.id


def test_composition_marks_derived_edges_and_names_the_path():
    cw = load_crosswalk()
    derived = [e for e in cw.edges if e.derived]
    assert derived and all(e.via and e.provenance != CURATION for e in derived)
    assert all(not e.via for e in cw.edges if not e.derived)
    # NIST's CSF 1.1 table cites SR 7.8 for ID.AM-1 (inventory), which CSF 2.0 kept as ID.AM-01
    refs = _doc("sources", "csf-1.1-62443.json")["references"]
    assert "SR 7.8" in refs["ID.AM-1"]["62443-3-3:2013"]
    carried = [e for e in cw.edges_from("SR 7.8", "csf") if e.target == "ID.AM-01"]
    assert carried and (carried[0].derived or carried[0].provenance == CURATION)
    official = [e for e in cw.edges if e.provenance.startswith("NIST CSF 1.1")]
    assert official and all(e.via[0].startswith("CSF 1.1 ") for e in official)
    # an edge through two official tables is never better than low confidence
    two_hop = [e for e in cw.edges if e.provenance.startswith("composition")]
    assert all(e.confidence == "low" and any(v.startswith("CSF 2.0 ") for v in e.via) for e in two_hop)


def test_every_csf11_reference_is_carried_or_taken_by_curation():
    """No official reference is lost on the way to CSF 2.0."""
    cw = load_crosswalk()
    refs = _doc("sources", "csf-1.1-62443.json")["references"]
    trans = _doc("sources", "csf-1.1-to-2.0.json")["transitions"]
    for sub11, r in refs.items():
        for sr in r.get("62443-3-3:2013", []):
            for step in trans[sub11]:
                hit = [e for e in cw.edges_from(sr, "csf") if e.target == step["to"]]
                assert hit, (sr, sub11, step)


def test_relationship_composition():
    assert compose("equal", "subset_of") == "subset_of"
    assert compose("subset_of", "equal") == "subset_of"
    assert compose("subset_of", "subset_of") == "subset_of"
    assert compose("superset_of", "superset_of") == "superset_of"
    assert compose("subset_of", "superset_of") == "intersects_with"
    assert compose("intersects_with", "equal") == "intersects_with"


def test_target_ids_are_read_tolerantly():
    assert canon_target("800-53", "ac-02") == "AC-2"
    assert canon_target("800-53", "IA-02(01)") == "IA-2(1)"
    assert canon_target("csf", "pr.aa-01") == "PR.AA-01"
    assert canon_target("iso27001", "8.22") == "A.8.22"
    assert canon_target("nis2", "Art. 21(2)(d)") == "21(2)(d)"
    assert canon_target("nis2", "cir 6.10") == "CIR 6.10"
    assert canon_target("cra", "i(2)(A)") == "I(2)(a)"


def test_data_files_carry_their_source_and_licence():
    for folder in ("frameworks", "sources"):
        for f in (BASE / folder).iterdir():
            doc = json.loads(f.read_text())
            assert doc["source"] and doc["licence"] and doc["publisher"], f.name
            assert re.search(r"https?://|doi", doc["source"]), f.name
