"""BACnet/IP (UDP 47808): BVLC, then the NPDU (its optional addresses walked), then the APDU, counted
by PDU type and service: `confirmed_12` (12 is readProperty), `complex_ack_12`, `unconfirmed_8`
(who-is), `simple_ack_15`, `error_12`, and `segment_ack`, `reject`, `abort`. Network-layer messages
count as `network`."""

from __future__ import annotations

from . import StreamDecoder, register

OP_CLASSES = {"confirmed_12": "read", "confirmed_14": "read", "confirmed_15": "write", "confirmed_16": "write",
              "confirmed_17": "control", "confirmed_20": "control", "confirmed_6": "program", "confirmed_7": "program",
              "confirmed_8": "program", "confirmed_9": "program", "confirmed_10": "program",
              "unconfirmed_8": "diagnostics", "unconfirmed_0": "diagnostics"}


def apdu_op(apdu: bytes) -> str | None:
    """The op of one APDU: its type and, where it has one, its service choice."""
    if not apdu:
        return None
    kind = apdu[0] >> 4
    if kind == 0:  # confirmed request: flags, max segments/APDU, invoke id, [sequence, window], service
        at = 5 if apdu[0] & 0x08 else 3
        return f"confirmed_{apdu[at]}" if len(apdu) > at else None
    if kind == 1:
        return f"unconfirmed_{apdu[1]}" if len(apdu) > 1 else None
    if kind in (2, 5):  # simple ack, error: type, invoke id, service
        return f"{'simple_ack' if kind == 2 else 'error'}_{apdu[2]}" if len(apdu) > 2 else None
    if kind == 3:  # complex ack: type, invoke id, [sequence, window], service
        at = 4 if apdu[0] & 0x08 else 2
        return f"complex_ack_{apdu[at]}" if len(apdu) > at else None
    return {4: "segment_ack", 6: "reject", 7: "abort"}.get(kind)


@register("bacnet")
class Bacnet(StreamDecoder):
    def feed(self, data: bytes, after_gap: bool, from_client: bool) -> None:
        if len(data) < 6 or data[0] != 0x81:
            return
        npdu = data[4:] if data[1] != 0x04 else data[10:]  # forwarded-NPDU carries the original address
        if len(npdu) < 2 or npdu[0] != 0x01:
            return
        control, pos = npdu[1], 2
        if control & 0x20:  # destination: network, address length, address
            pos += 3 + npdu[pos + 2] if len(npdu) > pos + 2 else len(npdu)
        if control & 0x08:  # source: network, address length, address
            pos += 3 + npdu[pos + 2] if len(npdu) > pos + 2 else len(npdu)
        if control & 0x20:
            pos += 1  # hop count
        if control & 0x80:
            self.count("network")
            return
        if op := apdu_op(npdu[pos:]):
            self.count(op)
