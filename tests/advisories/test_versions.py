"""Firmware versions and advisory ranges, on forms taken from the CISA corpus."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zonewarden.advisories.versions import compare, contains, parse_range, parse_version


def v(text: str):
    out = parse_version(text)
    assert out is not None, text
    return out


@pytest.mark.parametrize(("older", "newer"), [
    ("V5.2", "V5.2 HF1"), ("V5.2 HF1", "V5.2 SP1"), ("V5.2 SP1", "V5.2 SP1 HF1"), ("V5.2 SP1 HF1", "V5.2 SP2"),
    ("V5.2 SP2", "V5.3"), ("V7.5 SP2 Upd 14", "V7.5 SP2 Update 15"), ("2.9.7", "2.10"), ("09.0.06", "HiOS 09.1.00"),
    ("2016", "2016 R2"), ("A11_U04", "A11_U05"), ("1.0 beta 2", "1.0"), ("1.0 rc1", "1.0"), ("SV2.80", "SV4.10"),
    ("2013-12-01", "January 31 2014"), ("2.1.76_build230204", "2.1.76_build230301"),
])
def test_order(older: str, newer: str) -> None:
    assert compare(v(older), v(newer)) == -1
    assert compare(v(newer), v(older)) == 1


@pytest.mark.parametrize(("a", "b"), [("V4.2", "4.2.0"), ("09.1.00", "9.1"), ("v.32.011", "32.11"), ("V 3.2", "3.2")])
def test_equal(a: str, b: str) -> None:
    assert compare(v(a), v(b)) == 0


@pytest.mark.parametrize(("a", "b"), [
    ("V7.5 SP2 Upd 14", "V7.5.2.13"),  # service packs as words against dotted numbers: not one scale
    ("1.29F", "1.29"), ("2014-01-01", "2.1"), ("A11_U05", "11.5"),
])
def test_incomparable(a: str, b: str) -> None:
    assert compare(v(a), v(b)) is None


@pytest.mark.parametrize(("rng", "version", "inside"), [
    ("vers:all/<V4.2", "V4.1", True), ("vers:all/<V4.2", "V4.2", False), ("vers:all/*", "V1", True),
    ("vers:all/<V5.2 SP 3 HF 13", "V5.2 SP3", True), ("vers:all/<V5.2 SP 3 HF 13", "V5.2 SP3 HF13", False),
    ("< A11_U05", "A11_U04", True), ("<= 1.29F", "1.29F", True), ("<V4.1.8", "V4.1.10", False),
    (">= 6.02 | <= 6.05", "6.01", False), (">= 6.02 | <= 6.05", "6.03", True), (">= 6.02 | <= 6.05", "6.06", False),
    (">=1.220|<=1.281", "1.250", True), ("< 1.99 | 2.20 | 2.40", "1.5", True), ("< 1.99 | 2.20 | 2.40", "2.20", True),
    ("< 1.99 | 2.20 | 2.40", "2.30", False), (">= V7.80 < V9.30", "V8.0", True), (">= V7.80 < V9.30", "V9.30", False),
    ("All versions < V2.0 SP1", "V2.0", True), ("All versions < V2.0 SP1", "V2.0 SP1", False),
    ("< 2016 R2", "2016", True), ("< 2016 R2", "2016 R2", False), ("< January 31 2014", "2013-12-01", True),
    ("All BIOS versions < V26.01.07", "BIOS V26.01.06", True), ("All versions >V1.1 and <V2.0.1", "V2.0", True),
    ("All versions >V1.1 and <V2.0.1", "V1.1", False), ("V15, V15.1, V16 and V17", "V17 Upd 7", True),
    ("V15, V15.1 and V16", "V17 Upd 7", False), ("2.x", "2.5", True), ("2.x", "3.0", False),
    ("<V33.017_V34.014_V35.013_V36.011", "33.011", True), ("<V33.017_V34.014_V35.013_V36.011", "34.011", True),
    ("<V33.017_V34.014_V35.013_V36.011", "35.013", False), ("<V7.5_SP2_Update_15", "V7.5 SP2 Upd 14", True),
    ("versions 2017 and prior", "2017", True), ("4.0 and later", "3.9", False),
    ("Versions 21 and later", "33.01", True),
])
def test_contains(rng: str, version: str, inside: bool) -> None:
    assert contains(parse_range(rng), v(version)) is inside


@pytest.mark.parametrize("text", ["All versions installed in conjunction with SIMATIC WinCC < V7.3 Update",
                                  "All_versions_with_installed_WebRH",
                                  "<= 5.12.2 | all microsoft windows operating systems (except windows server)",
                                  ">= V5.2.0 < V5.3 only when running on ROX II V2.14.0"])
def test_free_text_that_is_no_constraint(text: str) -> None:
    r = parse_range(text)
    assert r.kind == "unparseable" and r.reason


def test_exact_versions() -> None:
    assert contains(parse_range("1.0.26", exact=True), v("1.0.26")) is True
    assert contains(parse_range("1.0.26", exact=True), v("1.0.27")) is False


@given(st.lists(st.integers(0, 40), min_size=1, max_size=4), st.lists(st.integers(0, 40), min_size=1, max_size=4))
def test_numeric_order_matches_tuples(a: list[int], b: list[int]) -> None:
    n = max(len(a), len(b))
    pa, pb = tuple(a) + (0,) * (n - len(a)), tuple(b) + (0,) * (n - len(b))
    expect = (pa > pb) - (pa < pb)
    assert compare(v(".".join(map(str, a))), v(".".join(map(str, b)))) == expect
    assert contains(parse_range("<" + ".".join(map(str, b))), v(".".join(map(str, a)))) is (expect < 0)


def test_no_version() -> None:
    assert parse_version(None) is None and parse_version("") is None and parse_version("unknown") is None
