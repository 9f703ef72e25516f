"""SL vectors: parsing in every documented form, and the lattice laws targets and achievements rely on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zonewarden.model.sl import FRS, SLError, SLVector

levels = st.integers(min_value=0, max_value=4)
vectors = st.lists(levels, min_size=7, max_size=7).map(SLVector)


def test_scalar_is_shorthand_for_all_seven():
    assert SLVector.parse(2) == SLVector([2] * 7)


def test_list_mapping_and_braces_agree():
    as_list = SLVector.parse([2, 2, 2, 1, 2, 1, 1])
    as_map = SLVector.parse({"IAC": 2, "UC": 2, "SI": 2, "DC": 1, "RDF": 2, "TRE": 1, "ra": 1})
    assert as_list == as_map == SLVector.parse("{2 2 2 1 2 1 1}")
    assert str(as_list) == "{2 2 2 1 2 1 1}"
    assert as_list["DC"] == 1 and as_list[4] == 2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (5, "outside 0-4"),
        (-1, "outside 0-4"),
        (True, "integer"),
        ("high", "expected"),
        ([1, 2, 3], "7 values"),
        ([1, 2, 3, 4, 1, 2, 9], "RA"),
        ({"IAC": 1}, "lacks"),
        ({"IAC": 1, "XX": 2}, "unknown FR"),
        (2.5, "integer"),
    ],
)
def test_invalid_values_say_what_is_expected(value, message):
    with pytest.raises(SLError, match=message):
        SLVector.parse(value)


@given(vectors)
def test_text_round_trip(v):
    assert SLVector.parse(str(v)) == v
    assert SLVector.parse(v.as_list()) == v
    assert SLVector.parse(v.as_dict()) == v


@given(vectors, vectors)
def test_max_and_min_are_commutative_and_bound_their_inputs(a, b):
    assert a.max(b) == b.max(a)
    assert a.min(b) == b.min(a)
    assert a.max(b).meets(a) and a.max(b).meets(b)
    assert a.meets(a.min(b)) and b.meets(a.min(b))


@given(vectors, vectors, vectors)
def test_max_and_min_are_associative(a, b, c):
    assert a.max(b).max(c) == a.max(b.max(c))
    assert a.min(b).min(c) == a.min(b.min(c))


@given(vectors, vectors)
def test_absorption_and_idempotence(a, b):
    assert a.max(a) == a and a.min(a) == a
    assert a.max(a.min(b)) == a
    assert a.min(a.max(b)) == a


@given(vectors, vectors)
def test_meets_is_the_per_fr_order_and_shortfall_explains_it(a, b):
    assert a.meets(b) == all(x >= y for x, y in zip(a, b, strict=True))
    assert a.meets(b) == (not a.shortfall(b))
    for fr, gap in a.shortfall(b).items():
        assert b[fr] - a[fr] == gap > 0
    if a.meets(b) and b.meets(a):
        assert a == b


@given(st.lists(vectors, min_size=1, max_size=6))
def test_combine_targets_by_max_and_achievements_by_min(vs):
    hi = SLVector.combine_max(vs)
    lo = SLVector.combine_min(vs)
    assert all(hi.meets(v) for v in vs)
    assert all(v.meets(lo) for v in vs)
    for i in range(len(FRS)):
        assert hi[i] == max(v[i] for v in vs)
        assert lo[i] == min(v[i] for v in vs)


def test_combine_of_nothing_is_none():
    assert SLVector.combine_max([]) is None


def test_vectors_are_immutable_and_hashable():
    v = SLVector.uniform(2)
    with pytest.raises(AttributeError):
        v._v = (0,) * 7  # type: ignore[misc]
    assert {v: 1}[SLVector.parse(2)] == 1
