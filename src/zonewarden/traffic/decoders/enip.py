"""EtherNet/IP: 24-byte encapsulation headers delimit each message, counted by command
(`register_session`, `send_rr_data`, `send_unit_data`, ...); the CIP messages inside the common
packet format's data items are counted by service code as `cip_0x4c` (requests and responses
alike, the response bit dropped), including those nested in a Multiple Service Packet (0x0A) or an
Unconnected Send (0x52 to the Connection Manager). UDP port 2222 carries I/O data: `io`."""

from __future__ import annotations

import struct

from . import FramedDecoder, register

COMMANDS = {0x0001: "nop", 0x0004: "list_services", 0x0063: "list_identity", 0x0064: "list_interfaces",
            0x0065: "register_session", 0x0066: "unregister_session", 0x006F: "send_rr_data",
            0x0070: "send_unit_data", 0x0072: "indicate_status", 0x0073: "cancel"}
CIP_SERVICES = {0x05: "reset", 0x06: "start", 0x07: "stop", 0x4D: "write_tag", 0x4C: "read_tag",
                0x10: "set_attribute_single", 0x0E: "get_attribute_single", 0x01: "get_attributes_all"}
OP_CLASSES = {"cip_0x05": "control", "cip_0x06": "control", "cip_0x07": "control", "cip_0x4c": "read",
              "cip_0x4d": "write", "cip_0x4e": "write", "cip_0x10": "write", "cip_0x02": "write", "cip_0x04": "write",
              "cip_0x0e": "read", "cip_0x01": "read", "cip_0x03": "read", "list_identity": "diagnostics",
              "list_services": "diagnostics", "list_interfaces": "diagnostics"}
_u16 = struct.Struct("<H").unpack_from
_u16_u16 = struct.Struct("<HH").unpack_from
CIP_NAMES = [f"cip_{code:#04x}" for code in range(128)]


def cip_services(msg: bytes | memoryview, depth: int = 0, budget: list[int] | None = None) -> list[int]:
    """Service codes (response bit dropped) of a CIP message and of the messages nested in it.

    Nested offsets may point anywhere, at one message many times over, so the work could grow as
    count^depth: `budget` (a one-item list) counts the messages and offsets walked, and the walk stops
    when it is spent. It starts at the message's size, which messages that do not overlap (each takes
    2 bytes or more, and its offset 2 more) never reach: the work is linear in the bytes."""
    if budget is None:
        budget = [len(msg) + 1]
    if len(msg) < 2 or depth > 4 or budget[0] <= 0:
        return []
    budget[0] -= 1
    service = msg[0]
    code = service & 0x7F
    out = [code]
    if service & 0x80:  # response: service, reserved, general status, additional status size (words)
        if len(msg) < 4:
            return out
        data = msg[4 + 2 * msg[3]:]
        if code == 0x0A:
            out += _multiple(data, depth, budget)
        return out
    path_words = msg[1]
    path = msg[2:2 + 2 * path_words]
    data = msg[2 + 2 * path_words:]
    if code == 0x0A:
        out += _multiple(data, depth, budget)
    elif code == 0x52 and len(path) >= 2 and path[0] == 0x20 and path[1] == 0x06 and len(data) >= 4:
        size = _u16(data, 2)[0]
        out += cip_services(data[4:4 + size], depth + 1, budget)
    return out


def _multiple(data: bytes | memoryview, depth: int, budget: list[int]) -> list[int]:
    if len(data) < 2:
        return []
    count = _u16(data, 0)[0]
    if 2 + 2 * count > len(data):
        return []
    count = min(count, budget[0])
    budget[0] -= count
    offsets = [_u16(data, 2 + 2 * i)[0] for i in range(count)] + [len(data)]
    out = []
    for i in range(count):
        start, end = offsets[i], offsets[i + 1] if offsets[i + 1] > offsets[i] else len(data)
        out += cip_services(data[start:end], depth + 1, budget)
    return out


@register("enip")
class Enip(FramedDecoder):
    def parse(self, buf: bytearray, from_client: bool) -> int:
        pos, n = 0, len(buf)
        while n - pos >= 24:
            command, length = _u16_u16(buf, pos)
            if command not in COMMANDS:
                if pos == 0 and self.io_candidate(buf):
                    self.count("io")
                pos = n
                break
            if n - pos < 24 + length:
                break
            self.count(COMMANDS[command])
            if command in (0x006F, 0x0070):
                self._items(memoryview(buf)[pos + 24:pos + 24 + length])
            pos += 24 + length
        return pos

    @staticmethod
    def io_candidate(data: bytes | bytearray) -> bool:
        """Class 0/1 I/O on UDP 2222: a common packet format without encapsulation header."""
        return len(data) >= 6 and _u16(data, 2)[0] in (0x8002, 0x00A1)

    def _items(self, body: memoryview) -> None:
        if len(body) < 8:
            return
        count, pos = _u16(body, 6)[0], 8
        for _ in range(count):
            if pos + 4 > len(body):
                return
            itype, ilen = _u16_u16(body, pos)
            item = body[pos + 4:pos + 4 + ilen]
            if itype == 0x00B2:
                self._cip(item)
            elif itype == 0x00B1 and len(item) > 2:
                self._cip(item[2:])  # connected data: a sequence count, then the CIP message
            pos += 4 + ilen

    def _cip(self, msg: memoryview) -> None:
        for code in cip_services(msg):
            self.count(CIP_NAMES[code])
