"""IEC 60870-5-104: each APDU starts with 0x68 and its length. I-format APDUs carry an ASDU, counted
by its type id (`type45` is a single command); S-format acknowledgements count as `s_frame`; the
U-format functions as `startdt_act`, `startdt_con`, `stopdt_act`, `stopdt_con`, `testfr_act`,
`testfr_con`. Bytes before a start octet (0x68) are skipped, as tshark does."""

from __future__ import annotations

from . import FramedDecoder, register

U_FUNCTIONS = {0x07: "startdt_act", 0x0B: "startdt_con", 0x13: "stopdt_act", 0x23: "stopdt_con",
               0x43: "testfr_act", 0x83: "testfr_con"}
COMMANDS = set(range(45, 52)) | set(range(58, 65)) | {105, 107}  # single/double/step/setpoint/bitstring, reset
OP_CLASSES = {**{f"type{t}": "control" for t in COMMANDS}, "type100": "read", "type101": "read", "type102": "read",
              "type103": "write", **{f"type{t}": "program" for t in range(120, 128)},
              **{name: "diagnostics" for name in U_FUNCTIONS.values()}}


def apdu_op(control0: int, typeid: int | None) -> str:
    """The op of one APDU from its first control octet (and its ASDU type id, for I-format)."""
    if control0 & 0x01 == 0:
        return f"type{typeid}" if typeid is not None else "i_frame"
    if control0 & 0x03 == 0x01:
        return "s_frame"
    return U_FUNCTIONS.get(control0, f"u_{control0:#04x}")


@register("iec104")
class Iec104(FramedDecoder):
    def parse(self, buf: bytearray, from_client: bool) -> int:
        pos, n = 0, len(buf)
        while n - pos >= 6:
            if buf[pos] != 0x68 or buf[pos + 1] < 4:
                start = buf.find(0x68, pos + 1)
                pos = n if start < 0 else start
                continue
            length = buf[pos + 1]
            if n - pos < 2 + length:
                break
            control0 = buf[pos + 2]
            typeid = buf[pos + 6] if control0 & 0x01 == 0 and length > 4 else None
            self.count(apdu_op(control0, typeid))
            pos += 2 + length
        return pos
