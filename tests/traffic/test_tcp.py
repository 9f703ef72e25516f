"""TCP reassembly per direction: order, retransmissions, holes, sequence wrap-around, and lossy streams
(holes, overlaps, reordering) at O(n log n) within a memory budget."""

from __future__ import annotations

import itertools
import random
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from zonewarden.traffic.tcp import MAX_PENDING, SEGMENT_COST, Budget, Direction


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


# --- lossy streams: what a SPAN port that drops packets gives -----------------------------------------------

STREAM = bytes(random.Random(7).randrange(256) for _ in range(4096))


class Receiver:
    """Checks every delivery against the true stream: the stream offset of a delivery is what was
    delivered before plus what was counted missing."""

    def __init__(self, isn: int = 0, budget: Budget | None = None) -> None:
        self.delivered = 0
        self.gaps = 0
        self.covered: list[tuple[int, int]] = []
        self.d = Direction(self.take, budget=budget or Budget())
        self.isn = isn

    def take(self, data, after_gap: bool, _side) -> None:
        at = self.delivered + self.d.missing
        assert bytes(data) == STREAM[at:at + len(data)], (at, len(data))
        assert after_gap == (self.d.missing > self.gaps)
        self.gaps = self.d.missing
        self.covered.append((at, at + len(data)))
        self.delivered += len(data)

    def send(self, start: int, end: int) -> None:
        self.d.segment((self.isn + start) & 0xFFFFFFFF, 0x18, memoryview(STREAM)[start:end])


def lossy(draw_cuts: list[int], drops: list[bool], shuffle_seed: int, overlap: list[int]) -> list[tuple[int, int]]:
    """Segments of STREAM: cut at the given points, some dropped, some stretched back over the one
    before (an overlap), the order shuffled within a window of 8, some sent twice."""
    cuts = sorted({0, len(STREAM), *draw_cuts})
    backs = overlap + [0] * len(cuts)
    segs = [(max(0, a - backs[i]), b) for i, (a, b) in enumerate(itertools.pairwise(cuts))]
    segs = [s for s, drop in zip(segs, drops + [False] * len(segs), strict=False) if not drop]
    rng = random.Random(shuffle_seed)
    out = []
    for i in range(0, len(segs), 8):
        window = segs[i:i + 8] + rng.sample(segs[i:i + 8], k=min(2, len(segs[i:i + 8])))
        rng.shuffle(window)
        out += window
    return out


@settings(max_examples=300, deadline=None, derandomize=True)
@given(cuts=st.lists(st.integers(1, len(STREAM) - 1), max_size=60), drops=st.lists(st.booleans(), max_size=60),
       seed=st.integers(0, 1000), overlap=st.lists(st.integers(0, 40), max_size=60),
       isn=st.sampled_from([0, 0xFFFFFF00, 0x7FFFFFF0, 12345]), tight=st.booleans())
def test_a_lossy_stream_delivers_every_captured_byte_once_in_place(cuts, drops, seed, overlap, isn, tight):
    """Every delivery holds the bytes of its place in the stream, in order, never twice; with room to
    wait, every byte captured is delivered; with little room (`tight`), holes are skipped early."""
    r = Receiver(isn, Budget(per_direction=1500) if tight else None)
    segments = lossy(cuts, drops, seed, overlap)
    r.d.next_seq = isn  # the stream starts at offset 0, as after a SYN
    for start, end in segments:
        r.send(start, end)
    r.d.flush()
    captured = sorted(set(segments))
    want: list[list[int]] = []  # the union of the captured segments
    for a, b in captured:
        if want and a <= want[-1][1]:
            want[-1][1] = max(want[-1][1], b)
        else:
            want.append([a, b])
    got: list[list[int]] = []
    for a, b in r.covered:
        assert not got or a >= got[-1][1]  # in order, never twice
        if got and a == got[-1][1]:
            got[-1][1] = b
        else:
            got.append([a, b])
    if not tight:
        assert got == [w for w in want if w[0] < w[1]]
    assert r.d.pending == {} and r.d.pending_bytes == 0 and r.d.budget.used == 0


def test_segments_waiting_in_reverse_order_cost_n_log_n():
    """50,000 segments arriving last first: the old reassembler scanned every waiting segment per
    delivery (minutes); a heap takes well under a second of work."""
    n, size = 50_000, 8
    got = []
    d = Direction(lambda data, gap, _s: got.append(len(data)), budget=Budget(1 << 30, 1 << 30))
    d.next_seq = 0
    t = time.process_time()
    for i in reversed(range(1, n)):
        d.segment(i * size, 0x18, b"x" * size)
    d.segment(0, 0x18, b"x" * size)
    elapsed = time.process_time() - t
    assert sum(got) == n * size and len(got) == n and d.missing == 0
    assert elapsed < 5, elapsed


def test_waiting_bytes_stay_within_the_direction_budget():
    got, d = collect()
    d.next_seq = 0
    for i in range(5000):  # a hole at 0 that never fills, then 1 MiB and more of 500-byte segments
        d.segment(1 + i * 500, 0x18, b"y" * 500)
        assert d.pending_bytes <= MAX_PENDING
    assert d.missing == 1 and got[0][1] and got[0][0] == b"y" * len(got[0][0])  # one hole, skipped once
    assert sum(len(x) for x, _ in got) + d.pending_bytes - len(d.pending) * SEGMENT_COST == 5000 * 500


def test_waiting_bytes_stay_within_the_budget_of_the_whole_reading():
    budget = Budget(limit=200_000)
    got: list[tuple[int, bytes]] = []
    directions = [Direction(lambda data, gap, side: got.append((side, bytes(data))), i, budget) for i in range(50)]
    for d in directions:
        d.next_seq = 0
    for i in range(100):  # every direction has a hole at 0 and waits; 50 x 100 x 1000 bytes is 5 MB
        for d in directions:
            d.segment(10 + i * 1000, 0x18, b"z" * 1000)
            assert budget.used <= budget.limit
    assert budget.used == sum(d.pending_bytes for d in directions)
    assert got[0][0] == 0  # the direction that waited longest gave up first
    for d in directions:
        d.flush()
    assert budget.used == 0 and not budget.waiting
    assert sum(len(b) for _, b in got) == 50 * 100 * 1000


def test_a_hole_the_peer_acknowledged_is_skipped_at_once():
    got, d = collect()
    d.segment(0, 0x18, b"aa")
    d.segment(4, 0x18, b"cc")  # bytes 2-3 were not captured
    d.acknowledged(3)  # the peer has 0-2 only: byte 3 may still come
    assert got == [(b"aa", False)]
    d.acknowledged(6)  # the peer has them all: they will not be resent
    assert got == [(b"aa", False), (b"cc", True)] and d.missing == 2
    d.segment(2, 0x18, b"bb")  # a spurious retransmission of what was skipped
    assert len(got) == 2 and d.retransmitted == 2
    d.acknowledged(0xFFFFFFF0)  # behind: nothing to do
    assert d.pending == {}


def test_a_new_connection_on_the_same_ports_ends_the_old_stream():
    got, d = collect()
    d.segment(100, 0x02, b"")
    d.segment(101, 0x18, b"ab")
    d.segment(110, 0x18, b"zz")  # waits behind a hole
    d.segment(100, 0x02, b"")  # a retransmitted SYN changes nothing
    assert got == [(b"ab", False)] and len(d.pending) == 1
    d.segment(9000, 0x02, b"")  # a new ISN: a new connection
    d.segment(9001, 0x18, b"cd")
    assert got == [(b"ab", False), (b"zz", True), (b"cd", False)]


def test_segments_in_order_behind_a_hole_wait_as_one_run():
    got, d = collect()
    d.segment(0, 0x18, b"ab")
    for i in range(1000):  # byte 2 was lost; what follows arrives in order
        d.segment(3 + 3 * i, 0x18, b"xyz")
    d.segment(3003, 0x18, b"!")  # a segment sent twice...
    d.segment(3003, 0x18, b"!")
    assert len(d.order) == 1 and d.pending_bytes == 3001 + 1001 * SEGMENT_COST and d.retransmitted == 1
    d.segment(2, 0x18, b"c")
    assert got == [(b"ab", False), (b"c", False)] + [(b"xyz", False)] * 1000 + [(b"!", False)]  # segment by segment
    assert not d.pending and d.pending_bytes == 0


def test_flow_table_skips_a_hole_the_peer_acknowledged():
    """The capture lost the client's second request, but the server's reply acknowledges past it: the third
    request is handed to the decoder at once, not held until the end of the capture."""
    from zonewarden.traffic.flows import FlowTable
    from zonewarden.traffic.packet import ETH_IPV4_TCP

    from .pcapgen import tcp_stream

    def modbus(tid: int) -> bytes:
        return tid.to_bytes(2, "big") + b"\x00\x00\x00\x06\x01\x03\x00\x00\x00\x01"

    frames = tcp_stream("10.0.0.1", "10.0.0.2", 40000, 502, [(True, modbus(1)), (True, modbus(2)),
                                                             (True, modbus(3)), (False, b"\x00\x03")])
    del frames[3]  # the second request never reached the capture
    table = FlowTable()

    def add(data: bytes) -> None:
        _, _, total, _, _, src, dst, sport, dport, seq, doff, flags = ETH_IPV4_TCP(data)
        table.add_fields(0, len(data), "tcp", src, dst, sport, dport, flags, memoryview(data)[34 + (doff >> 4) * 4:
                         14 + total], seq, memoryview(data), 42)

    for _, frame in frames[:-1]:
        add(frame)
    (flow,) = table.flows.values()
    client = flow.session.directions[0]
    assert client.pending, "the third request waits behind the lost second one"
    add(frames[-1][1])  # the server's segment acknowledges all three requests
    assert not client.pending and client.missing == 12
    assert flow.ops.get("fc3") == 2
