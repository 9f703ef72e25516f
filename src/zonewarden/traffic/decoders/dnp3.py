"""DNP3 (TCP or UDP port 20000): link frames (0x05 0x64, a CRC after the header and after every
16-byte data block) carry transport segments; segments from FIR to FIN make an application
fragment, counted by its function code as `fc<decimal>` (`fc1` read, `fc2` write, `fc3` select,
`fc4` operate, `fc5` direct operate, `fc13` cold restart, `fc14` warm restart, `fc129` response,
`fc130` unsolicited response). Bytes before a start sequence are skipped. A fragment is read for its
function code only, so only its first bytes are kept, and only for MAX_FRAGMENTS address pairs at
a time: a stream of segments that never end costs no memory."""

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
FC_NAMES = [f"fc{code}" for code in range(256)]
MAX_FRAGMENTS = 64  # fragments being reassembled at once per conversation (one per address pair and direction)


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
            self._frame(buf, pos, size, from_client)
            pos += size
        return pos

    def _frame(self, buf: bytes | bytearray, at: int, size: int, from_client: bool) -> None:
        """The link frame in buf[at:at + size]: its user data (CRCs dropped) to the transport layer."""
        # a frame's data goes to the transport layer whatever its link function (conformance tests use
        # non-standard ones), except under the primary functions that carry none by definition: reset link
        # (0), reset user process (1), request link status (9); as tshark does
        control = buf[at + 3]
        if control & 0x40 and control & 0x0F in (0, 1, 9):
            return
        data_len = buf[at + 2] - 5
        if data_len <= 0:
            return
        end = at + size
        if data_len <= 16:  # one block: the common case
            user = bytes(buf[at + 10:at + 10 + data_len])
        else:
            user = b"".join(buf[i:min(i + 16, end - 2)] for i in range(at + 10, end, 18))[:data_len]
        transport = user[0]
        key = (from_client, bytes(buf[at + 4:at + 8]))  # direction, destination and source addresses
        if transport & 0x40:  # FIR
            if transport & 0x80:  # FIN too: a fragment in one segment
                self.fragments.pop(key, None)
                if len(user) >= 3:
                    self.count(FC_NAMES[user[2]])
                return
            self.fragments.pop(key, None)
            if len(self.fragments) >= MAX_FRAGMENTS:  # the oldest one will not end
                del self.fragments[next(iter(self.fragments))]
            self.fragments[key] = bytearray()
        fragment = self.fragments.get(key)
        if fragment is None:
            return
        if len(fragment) < 2:  # application control and function code: all that is read
            fragment += user[1:3 - len(fragment)]
        if transport & 0x80:  # FIN
            del self.fragments[key]
            if len(fragment) >= 2:
                self.count(FC_NAMES[fragment[1]])
