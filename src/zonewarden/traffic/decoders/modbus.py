"""Modbus/TCP: MBAP headers (transaction, protocol 0, length, unit) delimit each PDU; the function
code is counted as `fc<decimal>` for requests and responses alike, `exception` for exception replies.
Bytes that do not start a valid header are dropped and decoding resumes with the next segment."""

from __future__ import annotations

import struct

from . import FramedDecoder, register

MBAP = 7  # transaction id, protocol id, length, unit id
FC_NAMES = [f"fc{code}" for code in range(128)]
OP_CLASSES = {
    **{f"fc{c}": "read" for c in (1, 2, 3, 4, 20, 24)}, **{f"fc{c}": "write" for c in (5, 6, 15, 16, 21, 22, 23)},
    **{f"fc{c}": "diagnostics" for c in (7, 8, 11, 12, 17, 43)},
    "fc90": "program",  # Schneider UMAS: program download and upload, PLC start and stop ride on it
    "fc125": "program",  # firmware replacement
}
_HEADER = struct.Struct("!2xHH1xB").unpack_from  # protocol id, length, function code (after the unit id)


@register("modbus")
class Modbus(FramedDecoder):
    def parse(self, buf: bytearray, from_client: bool) -> int:
        pos, n, ops = 0, len(buf), self.ops
        while n - pos >= MBAP + 1:
            proto, length, fc = _HEADER(buf, pos)
            # not an MBAP header: drop what waits, start again with the next segment; lengths above the
            # 253-byte Modbus PDU occur (Schneider UMAS, function 90), so only the 16-bit field bounds them
            if proto != 0 or length < 2:
                pos = n
                break
            if n - pos < 6 + length:
                break
            name = FC_NAMES[fc & 0x7F]
            ops[name] = ops.get(name, 0) + 1  # self.count, inlined: Modbus is the busiest decoder
            if fc & 0x80:
                self.count("exception")
            pos += 6 + length
        return pos
