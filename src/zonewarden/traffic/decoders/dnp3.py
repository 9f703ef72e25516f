"""DNP3 (TCP or UDP port 20000): link frames (0x05 0x64, a CRC after the header and after every
16-byte data block) carry transport segments; segments from FIR to FIN make an application
fragment, counted by its function code as `fc<decimal>` (`fc1` read, `fc2` write, `fc3` select,
`fc4` operate, `fc5` direct operate, `fc13` cold restart, `fc14` warm restart, `fc129` response,
`fc130` unsolicited response). Bytes before a start sequence are skipped."""

from __future__ import annotations

from . import FramedDecoder, register

NAMES = {0: "confirm", 1: "read", 2: "write", 3: "select", 4: "operate", 5: "direct_operate",
         6: "direct_operate_nr", 13: "cold_restart", 14: "warm_restart", 20: "enable_unsolicited",
         21: "disable_unsolicited", 129: "response", 130: "unsolicited_response"}
OP_CLASSES = {"fc1": "read", "fc2": "write", "fc3": "control", "fc4": "control", "fc5": "control", "fc6": "control",
              "fc13": "control", "fc14": "control", "fc18": "control", "fc19": "control", "fc20": "diagnostics",
              "fc21": "diagnostics", "fc25": "program", "fc26": "program", "fc27": "program", "fc28": "program",
              "fc29": "program", "fc30": "program", "fc31": "program"}
START = b"\x05\x64"


def frame_size(length: int) -> int:
    """Bytes on the wire of a link frame whose length octet is `length` (header + CRC-interleaved data)."""
    data = length - 5
    return 10 + data + 2 * ((data + 15) // 16)


@register("dnp3")
class Dnp3(FramedDecoder):
    def __init__(self, ops: dict[str, int]) -> None:
        super().__init__(ops)
        self.fragments: dict[tuple[bool, bytes], bytearray] = {}

    def parse(self, buf: bytearray, from_client: bool) -> int:
        pos, n = 0, len(buf)
        while n - pos >= 10:
            if buf[pos] != 0x05 or buf[pos + 1] != 0x64 or buf[pos + 2] < 5:
                start = buf.find(START, pos + 1)
                pos = n if start < 0 else start
                continue
            size = frame_size(buf[pos + 2])
            if n - pos < size:
                break
            self._frame(bytes(buf[pos:pos + size]), from_client)
            pos += size
        return pos

    def _frame(self, frame: bytes, from_client: bool) -> None:
        # a frame's data goes to the transport layer whatever its link function (conformance tests use
        # non-standard ones), except under the primary functions that carry none by definition: reset link
        # (0), reset user process (1), request link status (9); as tshark does
        control = frame[3]
        if control & 0x40 and control & 0x0F in (0, 1, 9):
            return
        user = bytearray()
        pos = 10
        while pos < len(frame):
            block = frame[pos:pos + 16]
            user += block[: max(0, len(frame) - pos - 2) if len(block) < 16 else 16]
            pos += 18
        user = user[: frame[2] - 5]
        if not user:
            return
        transport = user[0]
        key = (from_client, frame[4:8])  # direction, destination and source addresses
        if transport & 0x40:  # FIR
            self.fragments[key] = bytearray()
        fragment = self.fragments.get(key)
        if fragment is None:
            return
        fragment += user[1:]
        if transport & 0x80:  # FIN
            del self.fragments[key]
            if len(fragment) >= 2:
                self.count(f"fc{fragment[1]}")
