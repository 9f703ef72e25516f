"""TCP reassembly per direction: order, retransmissions, holes, sequence wrap-around."""

from __future__ import annotations

from zonewarden.traffic.tcp import Direction


def collect():
    got: list[tuple[bytes, bool]] = []
    return got, Direction(lambda d, gap, _side: got.append((bytes(d), gap)))


def test_in_order_after_syn_and_retransmission_dropped():
    got, d = collect()
    d.segment(100, 0x02, b"")
    d.segment(101, 0x18, b"abc")
    d.segment(101, 0x18, b"abc")  # retransmission
    d.segment(102, 0x18, b"bcdef")  # overlaps: only "def" is new
    assert got == [(b"abc", False), (b"def", False)] and d.retransmitted == 5


def test_out_of_order_waits_for_the_hole():
    got, d = collect()
    d.segment(0, 0x18, b"aa")
    d.segment(4, 0x18, b"cc")
    assert got == [(b"aa", False)]
    d.segment(2, 0x18, b"bb")
    assert got == [(b"aa", False), (b"bb", False), (b"cc", False)]


def test_a_hole_that_never_fills_is_skipped_and_counted():
    got, d = collect()
    d.segment(0, 0x18, b"aa")
    d.segment(10, 0x18, b"zz")
    d.flush()
    assert got == [(b"aa", False), (b"zz", True)] and d.missing == 8


def test_sequence_numbers_wrap():
    got, d = collect()
    d.segment(0xFFFFFFFE, 0x18, b"ab")
    d.segment(0, 0x18, b"cd")
    assert b"".join(x for x, _ in got) == b"abcd"
