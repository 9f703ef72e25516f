"""TCP payload reassembly, one direction at a time, for the protocol decoders.

Bytes reach a decoder once and in order: retransmitted bytes are dropped, segments that arrive
early wait (up to MAX_PENDING bytes per direction), and a hole that never fills is skipped and
counted as missing, with the decoder told so it can find its footing again. Sequence numbers
compare modulo 2^32.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MAX_PENDING = 1 << 20
SYN, FIN, RST = 0x02, 0x01, 0x04


class Direction:
    """One direction of a TCP conversation; calls `deliver(data, after_gap, side)` with in-order bytes
    (`side` is handed back as given, so one decoder method can serve both directions)."""

    __slots__ = ("deliver", "missing", "next_seq", "pending", "pending_bytes", "retransmitted", "side")

    def __init__(self, deliver: Callable[[Any, bool, Any], None], side: Any = None) -> None:
        self.deliver = deliver
        self.side = side
        self.next_seq: int | None = None
        self.pending: dict[int, bytes] = {}
        self.pending_bytes = 0
        self.missing = 0
        self.retransmitted = 0

    def segment(self, seq: int, flags: int, payload: Any) -> None:
        if seq == self.next_seq and payload and not self.pending and not flags & SYN:  # in order: the common case
            self.next_seq = (seq + len(payload)) & 0xFFFFFFFF
            self.deliver(payload, False, self.side)
            return
        if flags & SYN:
            self.next_seq = (seq + 1) & 0xFFFFFFFF
            seq = self.next_seq
            if not payload:
                return
        if not payload:
            return
        if self.next_seq is None:  # the capture starts mid-stream
            self.next_seq = seq
        ahead = (seq - self.next_seq) & 0xFFFFFFFF
        if ahead >= 1 << 31:  # starts before what was delivered: a retransmission, maybe with new bytes
            behind = (1 << 32) - ahead
            if behind >= len(payload):
                self.retransmitted += len(payload)
                return
            self.retransmitted += behind
            payload, seq = payload[behind:], self.next_seq
            ahead = 0
        if ahead:
            if seq not in self.pending:
                self.pending[seq] = bytes(payload)
                self.pending_bytes += len(payload)
            if self.pending_bytes > MAX_PENDING:
                self.flush()
            return
        self._take(bytes(payload), False)
        self._drain()

    def _take(self, data: bytes, after_gap: bool) -> None:
        self.next_seq = (self.next_seq + len(data)) & 0xFFFFFFFF  # type: ignore[operator]
        self.deliver(data, after_gap, self.side)

    def _drain(self) -> None:
        while self.pending:
            progressed = False
            for seq in list(self.pending):
                ahead = (seq - self.next_seq) & 0xFFFFFFFF  # type: ignore[operator]
                if ahead == 0 or ahead >= 1 << 31:
                    data = self.pending.pop(seq)
                    self.pending_bytes -= len(data)
                    behind = 0 if ahead == 0 else (1 << 32) - ahead
                    if behind < len(data):
                        self._take(data[behind:], False)
                    else:
                        self.retransmitted += len(data)
                    progressed = True
            if not progressed:
                return

    def flush(self) -> None:
        """Give up on the holes: deliver what waits, in order, each jump counted as missing bytes."""
        while self.pending:
            seq = min(self.pending, key=lambda s: (s - self.next_seq) & 0xFFFFFFFF)  # type: ignore[operator]
            gap = (seq - self.next_seq) & 0xFFFFFFFF  # type: ignore[operator]
            self.missing += gap
            data = self.pending.pop(seq)
            self.pending_bytes -= len(data)
            self.next_seq = seq
            self._take(data, True)
            self._drain()
