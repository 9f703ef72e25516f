"""OPC UA binary (UA TCP, UA Secure Conversation): each chunk starts with a three-letter message type,
a chunk flag and its own size. Chunks count by type (`hel`, `ack`, `opn`, `msg`, `clo`, `err`, `rhe`);
the first chunk of each OPN, MSG or CLO message also counts its service by the binary encoding id of
its request or response (`read`, `write`, `call`, `browse`, ...; `service_<id>` for the others),
requests and responses alike. A service is read only where it can be: on a channel whose security
policy is None (seen in its OPN), or, when the capture starts after the OPN, where the id is one of
the services below (an encrypted body yields noise, which rarely names a service)."""

from __future__ import annotations

import struct

from . import FramedDecoder, register

MESSAGE_TYPES = {b"HEL": "hel", b"ACK": "ack", b"OPN": "opn", b"MSG": "msg", b"CLO": "clo", b"ERR": "err",
                 b"RHE": "rhe"}
# service name -> binary encoding ids of its request and response (namespace 0, Opc.Ua.NodeIds)
_SERVICES = {
    "find_servers": 422, "get_endpoints": 428, "register_server": 437, "open_secure_channel": 446,
    "close_secure_channel": 452, "create_session": 461, "activate_session": 467, "close_session": 473,
    "cancel": 479, "add_nodes": 488, "add_references": 494, "delete_nodes": 500, "delete_references": 506,
    "browse": 527, "browse_next": 533, "translate_browse_paths": 554, "register_nodes": 560,
    "unregister_nodes": 566, "query_first": 615, "query_next": 621, "read": 631, "history_read": 664,
    "write": 673, "history_update": 700, "call": 712, "create_monitored_items": 751,
    "modify_monitored_items": 763, "set_monitoring_mode": 769, "set_triggering": 775,
    "delete_monitored_items": 781, "create_subscription": 787, "modify_subscription": 793,
    "set_publishing_mode": 799, "publish": 826, "republish": 832, "transfer_subscriptions": 841,
    "delete_subscriptions": 847,
}
SERVICES = {**{req: name for name, req in _SERVICES.items()}, **{req + 3: name for name, req in _SERVICES.items()},
            397: "service_fault", 12208: "find_servers_on_network", 12209: "find_servers_on_network",
            12211: "register_server2", 12212: "register_server2"}
OP_CLASSES = {
    "read": "read", "browse": "read", "browse_next": "read", "history_read": "read", "translate_browse_paths": "read",
    "query_first": "read", "query_next": "read", "create_monitored_items": "read", "publish": "read",
    "write": "write", "history_update": "write", "add_nodes": "write", "add_references": "write",
    "delete_nodes": "write", "delete_references": "write", "call": "control",
    "get_endpoints": "diagnostics", "find_servers": "diagnostics", "find_servers_on_network": "diagnostics",
}
MAX_CHUNK = 16 * 1024 * 1024  # beyond any negotiated buffer size: not a chunk header
NONE_POLICY = b"http://opcfoundation.org/UA/SecurityPolicy#None"
_header = struct.Struct("<3scI").unpack_from
_i32 = struct.Struct("<i").unpack_from


def looks_like_opcua(data: bytes | memoryview) -> bool:
    """A UA TCP Hello (or Acknowledge) chunk whose size field covers exactly what follows."""
    return len(data) >= 32 and bytes(data[:4]) in (b"HELF", b"ACKF") and _header(data, 0)[2] == len(data)


def service_id(chunk: bytes | bytearray, pos: int, end: int | None = None) -> int | None:
    """The numeric id of the expanded NodeId that starts the message body at `pos` (before `end`)."""
    end = len(chunk) if end is None else end
    if pos >= end:
        return None
    kind = chunk[pos]
    if kind == 0x00 and pos + 2 <= end:  # two-byte
        return chunk[pos + 1]
    if kind == 0x01 and pos + 4 <= end and chunk[pos + 1] == 0:  # four-byte, namespace 0
        return chunk[pos + 2] | chunk[pos + 3] << 8
    if kind == 0x02 and pos + 7 <= end and chunk[pos + 1] == chunk[pos + 2] == 0:  # numeric, namespace 0
        return struct.unpack_from("<I", chunk, pos + 3)[0]
    return None


def _skip_string(chunk: bytes, pos: int) -> tuple[bytes | None, int]:
    """An OPC UA String or ByteString (int32 length, -1 for null) and the position after it."""
    if pos + 4 > len(chunk):
        return None, len(chunk) + 1
    n = _i32(chunk, pos)[0]
    if n < 0:
        return b"", pos + 4
    return bytes(chunk[pos + 4:pos + 4 + n]), pos + 4 + n


@register("opcua")
class OpcUa(FramedDecoder):
    def __init__(self, ops: dict[str, int]) -> None:
        super().__init__(ops)
        self.plain: bool | None = None  # the channel's policy is None (True), another (False), unseen (None)
        self.continuing = {True: False, False: False}  # the last chunk per direction was an intermediate one

    def parse(self, buf: bytearray, from_client: bool) -> int:
        pos, n = 0, len(buf)
        while n - pos >= 8:
            mtype, flag, size = _header(buf, pos)
            name = MESSAGE_TYPES.get(mtype)
            if name is None or size < 8 or size > MAX_CHUNK or flag not in b"FCA":
                return n  # not a chunk boundary: drop what waits, start afresh with the next segment
            if n - pos < size:
                break
            self.count(name)
            if name in ("opn", "msg", "clo"):
                first = not self.continuing[from_client]
                self.continuing[from_client] = flag == b"C"
                if first and flag != b"A":
                    self._service(buf, pos, pos + size, name)
            pos += size
        return pos

    def _service(self, buf: bytes | bytearray, at: int, end: int, name: str) -> None:
        """The service of the chunk in buf[at:end], where it can be read."""
        if name == "opn":  # channel id, asymmetric security header, sequence header
            chunk = bytes(buf[at:end])
            policy, pos = _skip_string(chunk, 12)
            _, pos = _skip_string(chunk, pos)  # sender certificate
            _, pos = _skip_string(chunk, pos)  # receiver certificate thumbprint
            if policy is None or pos > len(chunk):
                return
            self.plain = policy == NONE_POLICY
            pos, end = pos + 8, len(chunk)
        else:  # channel id, token id, sequence header
            if self.plain is False:
                return
            chunk, pos = buf, at + 24
        if self.plain is False:
            return
        sid = service_id(chunk, pos, end)
        if sid is None:
            return
        op = SERVICES.get(sid)
        if op is None and self.plain:
            op = f"service_{sid}"
        if op is not None:
            self.count(op)
