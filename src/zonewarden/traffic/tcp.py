"""TCP payload reassembly, one direction at a time, for the protocol decoders.

Bytes reach a decoder once and in order: retransmitted bytes are dropped, segments that arrive
early wait, and a hole that never fills is skipped and counted as missing, with the decoder told
so it can find its footing again. A SPAN port that drops packets gives streams full of holes,
overlaps and reordering, so every step costs O(log n) in the n segments waiting (a heap of their
stream offsets), and what waits is bounded twice: per direction (MAX_PENDING) and for every
direction of a capture reading together (a Budget, MAX_PENDING_TOTAL), the oldest waiting
direction giving up on its holes first. A hole the peer has acknowledged will not be resent:
`acknowledged` skips it at once. Sequence numbers compare modulo 2^32.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

MAX_PENDING = 1 << 20  # bytes waiting behind holes, per direction
MAX_PENDING_TOTAL = 64 << 20  # the same for all the directions of one reading
SEGMENT_COST = 128  # bytes a waiting segment costs beyond its payload (object, dict and heap entries)
SYN, FIN, RST = 0x02, 0x01, 0x04
MASK, HALF = 0xFFFFFFFF, 1 << 31


class Budget:
    """Bytes waiting behind holes across directions; over the limit, the direction that has waited
    longest skips its holes. Directions register while they hold bytes (insertion order = age)."""

    __slots__ = ("limit", "per_direction", "used", "waiting")
    _local = threading.local()

    def __init__(self, limit: int = MAX_PENDING_TOTAL, per_direction: int = MAX_PENDING) -> None:
        self.limit = limit
        self.per_direction = per_direction
        self.used = 0
        self.waiting: dict[Direction, None] = {}

    @classmethod
    def default(cls) -> Budget:
        """One budget per thread: a reading runs in one thread, and a budget only ever flushes the
        directions of its own thread."""
        budget = getattr(cls._local, "budget", None)
        if budget is None:
            budget = cls._local.budget = cls()
        return budget

    def enforce(self) -> None:
        while self.used > self.limit and self.waiting:
            next(iter(self.waiting)).flush()


class Direction:
    """One direction of a TCP conversation; calls `deliver(data, after_gap, side)` with in-order bytes
    (`side` is handed back as given, so one decoder method can serve both directions).

    While segments wait, `pos` is the stream offset of `next_seq` counted from when the first one
    started waiting; `pending` maps the stream offset of a run of waiting bytes to the run, and
    `order` is the heap of those offsets. Segments that follow one another behind a hole (a capture
    that lost one packet goes on in order) extend one run: `tail` is the run written last and
    `tail_end` where it ends, so they cost a list append each, not a heap entry."""

    __slots__ = ("budget", "deliver", "isn", "missing", "next_seq", "order", "pending", "pending_bytes", "pos",
                 "retransmitted", "side", "tail", "tail_end")

    def __init__(self, deliver: Callable[[Any, bool, Any], None], side: Any = None,
                 budget: Budget | None = None) -> None:
        self.deliver = deliver
        self.side = side
        self.budget = budget if budget is not None else Budget.default()
        self.next_seq: int | None = None
        self.isn: int | None = None  # the sequence number of the SYN
        self.pos = 0
        self.pending: dict[int, Run] = {}
        self.order: list[int] = []
        self.tail = self.tail_end = -1
        self.pending_bytes = 0  # what waits, SEGMENT_COST included
        self.missing = 0
        self.retransmitted = 0

    def segment(self, seq: int, flags: int, payload: Any) -> None:
        if seq == self.next_seq and payload and not self.pending and not flags & SYN:  # in order: the common case
            self.next_seq = (seq + len(payload)) & MASK
            self.deliver(payload, False, self.side)
            return
        if flags & SYN:
            if seq != self.isn:  # not a retransmitted SYN: a new stream (on reused ports, the old one ends)
                if self.pending:
                    self.flush()
                self.isn, self.next_seq = seq, (seq + 1) & MASK
            seq = (seq + 1) & MASK
            if not payload:
                return
        if not payload:
            return
        if self.next_seq is None:  # the capture starts mid-stream
            self.next_seq = seq
        ahead = (seq - self.next_seq) & MASK
        if ahead >= HALF:  # starts before what was delivered: a retransmission, maybe with new bytes
            behind = (1 << 32) - ahead
            if behind >= len(payload):
                self.retransmitted += len(payload)
                return
            self.retransmitted += behind
            payload = payload[behind:]
            ahead = 0
        if ahead:
            self._wait(ahead, payload)
            return
        self._take(bytes(payload), False)
        if self.pending:
            self._drain()

    def acknowledged(self, ack: int) -> None:
        """The peer has received every byte before `ack`: holes below it were lost by the capture,
        not by the network, and will not be resent; skip them now instead of waiting."""
        if not self.pending:
            return
        upto = (ack - self.next_seq) & MASK  # type: ignore[operator]
        if upto >= HALF:
            return
        upto += self.pos
        while self.order and self.order[0] <= upto:
            self._skip_hole()

    def flush(self) -> None:
        """Give up on the holes: deliver what waits, in order, each jump counted as missing bytes."""
        while self.order:
            self._skip_hole()

    def _wait(self, ahead: int, payload: Any) -> None:
        if not self.pending:
            self.pos = 0
            self.budget.waiting[self] = None
        key = self.pos + ahead
        if self.tail <= key <= self.tail_end and self.tail in self.pending:  # within or right after the last run
            new = key + len(payload) - self.tail_end
            if new <= 0:
                self.retransmitted += len(payload)
                return
            self.retransmitted += len(payload) - new
            run = self.pending[self.tail]
            run.chunks.append(bytes(payload[len(payload) - new:]))
            self.tail_end += new
            cost = new + SEGMENT_COST
            run.size += new
            run.cost += cost
        else:
            old = self.pending.get(key)
            if old is not None and old.size >= len(payload):
                self.retransmitted += len(payload)
                return
            run = self.pending[key] = Run(bytes(payload))
            self.tail, self.tail_end = key, key + len(payload)
            if old is None:
                heappush(self.order, key)
                cost = run.cost
            else:
                self.retransmitted += old.size
                cost = run.cost - old.cost
        self.pending_bytes += cost
        self.budget.used += cost
        while self.pending_bytes > self.budget.per_direction:
            self._skip_hole()
        if self.budget.used > self.budget.limit:
            self.budget.enforce()

    def _take(self, data: bytes, after_gap: bool) -> None:
        self.next_seq = (self.next_seq + len(data)) & MASK  # type: ignore[operator]
        self.pos += len(data)
        self.deliver(data, after_gap, self.side)

    def _pop(self) -> tuple[int, Run]:
        key = heappop(self.order)
        run = self.pending.pop(key)
        self.pending_bytes -= run.cost
        self.budget.used -= run.cost
        if not self.pending:
            self.budget.waiting.pop(self, None)
        return key, run

    def _take_run(self, run: Run, behind: int, after_gap: bool) -> None:
        """Deliver a run segment by segment (decoders find their footing again at a segment's start),
        less its first `behind` bytes, which were delivered already."""
        for chunk in run.chunks:
            if behind >= len(chunk):
                behind -= len(chunk)
                self.retransmitted += len(chunk)
                continue
            self._take(chunk[behind:] if behind else chunk, after_gap)
            behind, after_gap = 0, False

    def _drain(self) -> None:
        """Deliver the runs that now start at or before `pos`."""
        order = self.order
        while order and order[0] <= self.pos:
            key, run = self._pop()
            self._take_run(run, self.pos - key, False)

    def _skip_hole(self) -> None:
        """Jump over the first hole: its bytes count as missing, the run after it is delivered."""
        key, run = self._pop()
        gap = key - self.pos
        if gap > 0:
            self.missing += gap
            self.next_seq = (self.next_seq + gap) & MASK  # type: ignore[operator]
            self.pos = key
        self._take_run(run, max(0, -gap), gap > 0)
        self._drain()


class Run:
    """Bytes waiting behind a hole, in the segments they came in; `cost` counts SEGMENT_COST per segment."""

    __slots__ = ("chunks", "cost", "size")

    def __init__(self, first: bytes) -> None:
        self.chunks = [first]
        self.size = len(first)
        self.cost = len(first) + SEGMENT_COST
