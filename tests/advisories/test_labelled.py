"""The matcher against a hand-labelled truth set (labelled.yaml): every (asset, advisory) case was decided by
reading the advisory, not by running the matcher. Precision and recall of `affected` are printed and must
stay at 100%; every other outcome must agree too."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from zonewarden.advisories.match import Item

_DOC = yaml.safe_load((Path(__file__).parent / "labelled.yaml").read_text(encoding="utf-8"))
CASES = _DOC["cases"]
LIMITS = _DOC.get("known_limits") or []
OUTCOMES = ("affected", "not_affected", "fixed", "unknown", "none")


def predict(matcher, case) -> str:
    a = case["asset"]
    item = Item(case["id"], a.get("vendor"), a.get("product"), a.get("model_number"),
                None if a.get("firmware") is None else str(a["firmware"]))
    got = [m for m in matcher.match(item) if m.advisory.id == case["advisory"]]
    return got[0].outcome if got else "none"


def test_the_set_is_broad() -> None:
    assert len(CASES) >= 60
    assert len({c["id"] for c in CASES}) == len(CASES)
    per = Counter(c["expected"] for c in CASES)
    assert set(per) <= set(OUTCOMES) and all(per[o] >= 4 for o in OUTCOMES), per
    forms = Counter(c["form"] for c in CASES)
    for form in ("vers_all_star", "vers", "vers_malformed", "vls", "multi", "exact", "free_text", "date",
                 "firmware_suffix", "model_number", "vendor_alias"):
        assert forms[form] >= 2, f"too few {form} cases: {forms}"


def test_every_advisory_exists(corpus) -> None:
    ids = {a.id for a in corpus.advisories}
    assert [c["advisory"] for c in CASES + LIMITS if c["advisory"] not in ids] == []


def test_precision_and_recall(matcher, capsys) -> None:
    confusion: Counter[tuple[str, str]] = Counter()
    wrong = []
    for case in CASES:
        got = predict(matcher, case)
        confusion[(case["expected"], got)] += 1
        if got != case["expected"]:
            wrong.append(f"{case['id']} ({case['advisory']}): expected {case['expected']}, got {got}; {case['why']}")
    tp = confusion[("affected", "affected")]
    fp = sum(n for (e, g), n in confusion.items() if g == "affected" and e != "affected")
    fn = sum(n for (e, g), n in confusion.items() if e == "affected" and g != "affected")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    agree = sum(n for (e, g), n in confusion.items() if e == g)
    with capsys.disabled():
        print(f"\nlabelled set: {len(CASES)} cases; affected precision {precision:.0%}, recall {recall:.0%}; "
              f"all outcomes agree on {agree}/{len(CASES)}")
        for o in OUTCOMES:
            row = ", ".join(f"{g} {confusion[(o, g)]}" for g in OUTCOMES if confusion[(o, g)])
            print(f"  expected {o:<12} -> {row}")
        passing = [c["id"] for c in LIMITS if predict(matcher, c) == c["expected"]]
        print(f"  known limits: {len(LIMITS)}, not counted; now passing: {', '.join(passing) or 'none'}")
    assert wrong == [], "\n".join(wrong)
    assert precision == recall == 1.0


def test_known_limits_say_why() -> None:
    assert all(c.get("limit") for c in LIMITS) and not {c["id"] for c in LIMITS} & {c["id"] for c in CASES}


@pytest.mark.parametrize("case", [c for c in CASES if c["expected"] != "none"], ids=lambda c: c["id"])
def test_evidence_names_the_product(matcher, case) -> None:
    a = case["asset"]
    item = Item(case["id"], a.get("vendor"), a.get("product"), a.get("model_number"),
                None if a.get("firmware") is None else str(a["firmware"]))
    m = next(m for m in matcher.match(item) if m.advisory.id == case["advisory"])
    assert m.evidence and all(e.product_id and e.on and e.reason for e in m.evidence)
    assert m.reason
