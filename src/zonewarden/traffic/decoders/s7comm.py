"""S7comm on ISO-on-TCP (port 102): TPKT frames COTP, COTP data units are reassembled up to their
end-of-TSDU mark, and each S7 PDU (protocol id 0x32) is counted by its function: `read_var`,
`write_var`, `request_download` ... `plc_stop`; `userdata` and `ack` for the other PDU types.
Of a TSDU only its first PDU_HEAD bytes are kept, all that tells the PDU apart: a stream whose data
units never mark an end costs no memory.
The same port carries S7comm-plus (protocol id 0x72) and IEC 61850 MMS (an ISO session): the
decoder tells them apart and names the flow's application accordingly."""

from __future__ import annotations

from . import FramedDecoder, register

FUNCTIONS = {
    0x04: "read_var", 0x05: "write_var", 0x1A: "request_download", 0x1B: "download_block",
    0x1C: "download_ended", 0x1D: "start_upload", 0x1E: "upload", 0x1F: "end_upload", 0x28: "plc_control",
    0x29: "plc_stop", 0xF0: "setup_communication",
}
OP_CLASSES = {
    "read_var": "read", "write_var": "write", "request_download": "program", "download_block": "program",
    "download_ended": "program", "start_upload": "program", "upload": "program", "end_upload": "program",
    "plc_control": "control", "plc_stop": "control", "setup_communication": "diagnostics", "userdata": "diagnostics",
}
ROSCTR_JOB, ROSCTR_ACK, ROSCTR_ACK_DATA, ROSCTR_USERDATA = 1, 2, 3, 7
PDU_HEAD = 16  # bytes of a PDU that `_pdu` reads: the S7 header (10 or 12) and the function code
ISO_SESSION = (0x0D, 0x0E, 0x01, 0x05, 0x09, 0x0A, 0x0C, 0x19)  # CN, AC, DT/GT, ... SPDU types


def s7_op(rosctr: int, function: int | None) -> str | None:
    """The op name of one S7 PDU (shared with the tshark comparison)."""
    if rosctr in (ROSCTR_JOB, ROSCTR_ACK_DATA) and function is not None:
        return FUNCTIONS.get(function, f"func_{function:#04x}")
    return {ROSCTR_USERDATA: "userdata", ROSCTR_ACK: "ack"}.get(rosctr)


@register("s7comm")
class S7comm(FramedDecoder):
    def __init__(self, ops: dict[str, int]) -> None:
        super().__init__(ops)
        self.tsdu = {True: Tsdu(), False: Tsdu()}
        self.app: str | None = None

    def feed(self, data: bytes, after_gap: bool, from_client: bool) -> None:
        if after_gap:
            self.tsdu[from_client].clear()
        super().feed(data, after_gap, from_client)

    def parse(self, buf: bytearray, from_client: bool) -> int:
        tsdu = self.tsdu[from_client]
        pos, n = 0, len(buf)
        while n - pos >= 4:
            if buf[pos] != 3 or buf[pos + 1] != 0:  # not a TPKT: resume with the next segment
                pos = n
                break
            length = (buf[pos + 2] << 8) | buf[pos + 3]
            if length < 7:
                pos = n
                break
            if n - pos < length:
                break
            li = buf[pos + 4]
            if not tsdu.size and li >= 2 and length >= 5 + li and buf[pos + 5] & 0xF0 == 0xF0 and buf[pos + 6] & 0x80:
                self._pdu(buf, pos + 5 + li, pos + length)  # a whole S7 PDU in one data unit: read it in place
            else:
                self._cotp(bytes(buf[pos + 4:pos + length]), tsdu)
            pos += length
        return pos

    def _cotp(self, tpdu: bytes, tsdu: Tsdu) -> None:
        li = tpdu[0]
        if len(tpdu) < li + 1 or li < 2 or tpdu[1] & 0xF0 != 0xF0:  # only data units carry S7
            return
        tsdu.add(tpdu, 1 + li)
        if tpdu[2] & 0x80:  # end of TSDU
            head, size = bytes(tsdu.head), tsdu.size
            tsdu.clear()
            self._pdu(head, 0, size)

    def _pdu(self, buf: bytes | bytearray, at: int, end: int) -> None:
        """The S7 (or S7comm-plus, or MMS) PDU in buf[at:end]; only its first PDU_HEAD bytes are read."""
        if at >= end:
            return
        first = buf[at]
        if first == 0x72:
            self.count("s7comm-plus")
            self.app = self.app or "s7comm-plus"
            return
        if first in ISO_SESSION or 0x80 <= first <= 0xAF:  # an ISO session, or MMS's BER tags straight on COTP
            self.count("mms")
            self.app = self.app or "mms"
            return
        if first != 0x32 or end - at < 10:
            return
        self.app = "s7comm"
        rosctr = buf[at + 1]
        header = at + (12 if rosctr in (ROSCTR_ACK, ROSCTR_ACK_DATA) else 10)
        param_len = (buf[at + 6] << 8) | buf[at + 7]
        function = buf[header] if param_len and end > header else None
        op = s7_op(rosctr, function)
        if op:
            self.count(op)


class Tsdu:
    """The data units of one TSDU so far: their first PDU_HEAD bytes and how many bytes in all."""

    __slots__ = ("head", "size")

    def __init__(self) -> None:
        self.head = bytearray()
        self.size = 0

    def add(self, tpdu: bytes, at: int) -> None:
        if len(self.head) < PDU_HEAD:
            self.head += tpdu[at:at + PDU_HEAD - len(self.head)]
        self.size += len(tpdu) - at

    def clear(self) -> None:
        self.head.clear()
        self.size = 0
