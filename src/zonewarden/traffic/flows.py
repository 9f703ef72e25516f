"""The flow table: one row per conversation, as tshark's `conv,tcp` and `conv,udp` count them.

A conversation is keyed by its l4 and both endpoints (address and port), in either direction; its
`src` is the initiator: the sender of a TCP SYN; without one (a capture that starts mid-conversation),
the side that is not on a well-known service port; else the sender of the first packet seen. Packets and bytes
(original frame lengths) are counted per direction. Memory grows with conversations, not packets.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .capture import CaptureError, frames
from .decoders import DECODERS, StreamDecoder
from .decoders.opcua import looks_like_opcua
from .packet import Decoder, Packet
from .tcp import Direction

SYN, ACK = 0x02, 0x10
HTTP_STARTS = (b"GET ", b"POST ", b"PUT ", b"HEAD ", b"DELETE ", b"OPTIONS ", b"PATCH ", b"HTTP/1.")
SNIFF_PACKETS = 10  # payload sniffing for a conversation's application stops after this many packets

# Identification by well-known port, the first cut before the payload decoders (design §5 names).
PORT_APPS: dict[tuple[str, int], str] = {
    **{("tcp", p): a for p, a in ((502, "modbus"), (102, "s7comm"), (20000, "dnp3"), (44818, "enip"),
                                  (2404, "iec104"), (4840, "opcua"), (5094, "hart-ip"), (9600, "fins"),
                                  (4712, "c37.118"), (48898, "ads"), (1911, "fox"), (4911, "fox"),
                                  (5007, "melsec"), (22, "ssh"), (3389, "rdp"), (23, "telnet"), (21, "ftp"),
                                  (80, "http"), (443, "https"), (445, "smb"), (139, "smb"), (5900, "vnc"),
                                  (53, "dns"), (514, "syslog"))},
    **{("udp", p): a for p, a in ((20000, "dnp3"), (2222, "enip"), (44818, "enip"), (47808, "bacnet"),
                                  (5094, "hart-ip"), (9600, "fins"), (4713, "c37.118"), (48899, "ads"),
                                  (5006, "melsec"), (53, "dns"), (123, "ntp"), (161, "snmp"), (162, "snmp"),
                                  (514, "syslog"))},
}


def sniff(p: Packet) -> str | None:
    """Name an application off its well-known port by its first bytes: HTTP requests and responses, OPC UA
    Hello and Acknowledge, and HART-IP, whose header states its own length (version 1-2, message type
    and id in range)."""
    head = bytes(p.payload[:8])
    if p.l4 == "tcp" and head.startswith(HTTP_STARTS):
        return "http"
    if p.l4 == "tcp" and looks_like_opcua(p.payload):
        return "opcua"
    if len(head) == 8 and head[0] in (1, 2) and head[1] in (0, 1, 2, 3, 15) and head[2] <= 4 \
            and int.from_bytes(head[6:8], "big") == len(p.payload):
        return "hart-ip"
    return None


@dataclass
class Flow:
    l4: str
    src: bytes
    dst: bytes
    sport: int | None
    dport: int | None
    first_ns: int
    last_ns: int
    packets_fwd: int = 0
    packets_rev: int = 0
    bytes_fwd: int = 0
    bytes_rev: int = 0
    app: str | None = None
    ops: dict[str, int] = field(default_factory=dict)

    @property
    def packets(self) -> int:
        return self.packets_fwd + self.packets_rev

    def as_dict(self) -> dict[str, Any]:
        return {
            "first_seen": _iso(self.first_ns), "last_seen": _iso(self.last_ns),
            "src": address(self.src), "dst": address(self.dst), "sport": self.sport, "dport": self.dport,
            "l4": self.l4, "app": self.app or (self.l4 if self.l4 in ("tcp", "udp") else None), "ops": self.ops,
            "packets": self.packets, "bytes": self.bytes_fwd + self.bytes_rev,
            "packets_fwd": self.packets_fwd, "packets_rev": self.packets_rev,
            "bytes_fwd": self.bytes_fwd, "bytes_rev": self.bytes_rev,
        }


def address(raw: bytes) -> str | None:
    if len(raw) in (4, 16):
        return str(ipaddress.ip_address(raw))
    if len(raw) == 6:
        return ":".join(f"{b:02x}" for b in raw)
    return raw.hex() or None


def _iso(ns: int) -> str:
    t = dt.datetime.fromtimestamp(ns // 1_000_000_000, tz=dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{(ns % 1_000_000_000) // 1000:06d}Z"


class Session:
    """A decoded conversation: the protocol decoder and, for TCP, one reassembler per direction."""

    __slots__ = ("decoder", "directions")

    def __init__(self, decoder: StreamDecoder, tcp: bool) -> None:
        self.decoder = decoder
        self.directions = (Direction(lambda d, gap: decoder.feed(d, gap, True)),
                           Direction(lambda d, gap: decoder.feed(d, gap, False))) if tcp else ()


@dataclass
class FlowTable:
    """Conversations keyed by (l4, endpoint, endpoint) in a canonical order."""

    flows: dict[tuple, Flow] = field(default_factory=dict)
    decoder: Decoder = field(default_factory=Decoder)
    frames: int = 0
    errors: list[CaptureError] = field(default_factory=list)
    sessions: dict[tuple, Session] = field(default_factory=dict)

    def add(self, ts_ns: int, orig_len: int, p: Packet) -> None:
        a, b = (p.src, p.sport or 0), (p.dst, p.dport or 0)
        key = (p.l4, a, b) if a <= b else (p.l4, b, a)
        flow = self.flows.get(key)
        if flow is None:
            syn = p.tcp_flags & (SYN | ACK) if p.l4 == "tcp" else 0
            from_server = syn == SYN | ACK or (syn != SYN and (p.l4, p.sport) in PORT_APPS
                                              and (p.l4, p.dport) not in PORT_APPS)
            if from_server:
                flow = Flow(p.l4, p.dst, p.src, p.dport, p.sport, ts_ns, ts_ns)
            else:
                flow = Flow(p.l4, p.src, p.dst, p.sport, p.dport, ts_ns, ts_ns)
            port = (flow.dport or 0, flow.sport or 0)
            flow.app = PORT_APPS.get((p.l4, port[0])) or PORT_APPS.get((p.l4, port[1]))
            self.flows[key] = flow
        if ts_ns < flow.first_ns:
            flow.first_ns = ts_ns
        if ts_ns > flow.last_ns:
            flow.last_ns = ts_ns
        forward = p.src == flow.src and p.sport == flow.sport
        if forward:
            flow.packets_fwd += 1
            flow.bytes_fwd += orig_len
        else:
            flow.packets_rev += 1
            flow.bytes_rev += orig_len
        if flow.app is None and p.payload and flow.packets <= SNIFF_PACKETS:
            flow.app = sniff(p)
        if flow.app in DECODERS and (p.payload or p.tcp_flags & 0x02):
            session = self.sessions.get(key)
            if session is None:
                session = self.sessions[key] = Session(DECODERS[flow.app](flow.ops), p.l4 == "tcp")
            if session.directions:
                session.directions[0 if forward else 1].segment(p.seq, p.tcp_flags, p.payload)
            else:
                session.decoder.feed(bytes(p.payload), False, forward)

    def read(self, path: str | os.PathLike[str]) -> None:
        """Add a capture's packets; a damaged file keeps what was read and records the error."""
        decode = self.decoder.decode
        try:
            for f in frames(path):
                self.frames += 1
                p = decode(f.linktype, f.data)
                if p is not None:
                    self.add(f.ts_ns, f.orig_len, p)
        except CaptureError as e:
            self.errors.append(e)
        self.finish()

    def finish(self) -> None:
        """Deliver what waits behind holes that will not fill (end of the captures)."""
        for key, session in self.sessions.items():
            for direction in session.directions:
                direction.flush()
            if session.decoder.app:
                self.flows[key].app = session.decoder.app

    def __iter__(self) -> Iterator[Flow]:
        return iter(sorted(self.flows.values(), key=lambda f: (f.first_ns, f.l4)))


def read_flows(paths: Iterable[str | os.PathLike[str]]) -> FlowTable:
    """The flow table of one or more captures (public API)."""
    table = FlowTable()
    for p in paths:
        table.read(p)
    return table
