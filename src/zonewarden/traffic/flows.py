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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .capture import CaptureError, records
from .decoders import DECODERS, StreamDecoder
from .decoders.opcua import looks_like_opcua
from .packet import ETH_IPV4_TCP, Decoder, Packet
from .tcp import Direction

SYN, ACK = 0x02, 0x10
HTTP_STARTS = (b"GET ", b"POST ", b"PUT ", b"HEAD ", b"DELETE ", b"OPTIONS ", b"PATCH ", b"HTTP/1.")
PROGRESS_EVERY = 1 << 16  # frames between two progress reports
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


def sniff(l4: str, payload: memoryview | bytes) -> str | None:
    """Name an application off its well-known port by its first bytes: HTTP requests and responses, OPC UA
    Hello and Acknowledge, TLS records, and HART-IP, whose header states its own length (version 1-2,
    message type and id in range)."""
    head = bytes(payload[:8])
    if l4 == "tcp" and head.startswith(HTTP_STARTS):
        return "http"
    if l4 == "tcp" and looks_like_opcua(payload):
        return "opcua"
    if l4 == "tcp" and len(head) >= 5 and head[0] in (0x16, 0x17) and head[1] == 3 and head[2] <= 4:
        return "tls"  # a TLS record header: handshake or application data, versions SSL 3.0 to TLS 1.3
    if len(head) == 8 and head[0] in (1, 2) and head[1] in (0, 1, 2, 3, 15) and head[2] <= 4 \
            and int.from_bytes(head[6:8], "big") == len(payload):
        return "hart-ip"
    return None


@dataclass(slots=True)
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
    session: Session | None = field(default=None, repr=False, compare=False)  # the decoder, for decoded apps
    src_mac: bytes | None = None  # Ethernet addresses of the conversation's first frame, by side
    dst_mac: bytes | None = None

    @property
    def app_name(self) -> str | None:
        """The application as the flow table names it: unknown TCP and UDP traffic is `tcp` or `udp`."""
        return self.app or (self.l4 if self.l4 in ("tcp", "udp") else None)

    @property
    def packets(self) -> int:
        return self.packets_fwd + self.packets_rev

    def as_dict(self) -> dict[str, Any]:
        return {
            "first_seen": _iso(self.first_ns), "last_seen": _iso(self.last_ns),
            "src": address(self.src), "dst": address(self.dst), "sport": self.sport, "dport": self.dport,
            "l4": self.l4, "app": self.app_name, "ops": self.ops,
            "packets": self.packets, "bytes": self.bytes_fwd + self.bytes_rev,
            "packets_fwd": self.packets_fwd, "packets_rev": self.packets_rev,
            "bytes_fwd": self.bytes_fwd, "bytes_rev": self.bytes_rev,
            "src_mac": self.src_mac and address(self.src_mac), "dst_mac": self.dst_mac and address(self.dst_mac),
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
        self.directions = (Direction(decoder.feed, True), Direction(decoder.feed, False)) if tcp else ()


@dataclass
class FlowTable:
    """Conversations keyed by (l4, endpoint, endpoint) in a canonical order.

    `ends` finds a packet's conversation from its own direction in one lookup (both directions of every
    conversation are entered), so the hot path never orders endpoints."""

    flows: dict[tuple, Flow] = field(default_factory=dict)
    decoder: Decoder = field(default_factory=Decoder)
    frames: int = 0
    errors: list[CaptureError] = field(default_factory=list)
    ends: dict[tuple, tuple[Flow, bool]] = field(default_factory=dict, repr=False)

    def add(self, ts_ns: int, orig_len: int, p: Packet, ethernet: memoryview | None = None) -> None:
        self.add_fields(ts_ns, orig_len, *p, ethernet)

    def add_fields(self, ts_ns: int, orig_len: int, l4: str, src: bytes, dst: bytes, sport: int | None,
                   dport: int | None, flags: int, payload: memoryview | bytes, seq: int,
                   ethernet: memoryview | None = None, ack_at: int = 0) -> None:
        """`add` with the packet's fields as arguments: the hot path builds no Packet. `ethernet`: the frame,
        when it is Ethernet, for the MAC addresses of a new conversation; `ack_at`: where in it the TCP
        acknowledgement number lies, when known (a hole the peer acknowledged is skipped at once)."""
        hit = self.ends.get((l4, src, sport, dst, dport))
        if hit is None:
            hit = self._new(ts_ns, l4, src, dst, sport, dport, flags, ethernet)
        flow, forward = hit
        if ts_ns > flow.last_ns:
            flow.last_ns = ts_ns
        elif ts_ns < flow.first_ns:
            flow.first_ns = ts_ns
        if forward:
            flow.packets_fwd += 1
            flow.bytes_fwd += orig_len
        else:
            flow.packets_rev += 1
            flow.bytes_rev += orig_len
        session = flow.session
        if session is None:
            if flow.app is not None or not payload or flow.packets_fwd + flow.packets_rev > SNIFF_PACKETS:
                return
            flow.app = sniff(l4, payload)
            if flow.app not in DECODERS:
                return
            session = flow.session = Session(DECODERS[flow.app](flow.ops), l4 == "tcp")
        if session.directions:
            if ack_at and flags & ACK:
                other = session.directions[1 if forward else 0]
                if other.pending:
                    other.acknowledged(int.from_bytes(ethernet[ack_at:ack_at + 4], "big"))  # type: ignore[index]
            if payload or flags & SYN:
                session.directions[0 if forward else 1].segment(seq, flags, payload)
        elif payload:
            session.decoder.feed(bytes(payload), False, forward)

    def _new(self, ts_ns: int, l4: str, src: bytes, dst: bytes, sport: int | None, dport: int | None,
             flags: int, ethernet: memoryview | None = None) -> tuple[Flow, bool]:
        syn = flags & (SYN | ACK) if l4 == "tcp" else 0
        from_server = syn == SYN | ACK or (syn != SYN and (l4, sport) in PORT_APPS and (l4, dport) not in PORT_APPS)
        if from_server:
            flow = Flow(l4, dst, src, dport, sport, ts_ns, ts_ns)
        else:
            flow = Flow(l4, src, dst, sport, dport, ts_ns, ts_ns)
        if ethernet is not None and len(ethernet) >= 12:
            sender, receiver = bytes(ethernet[6:12]), bytes(ethernet[0:6])
            flow.src_mac, flow.dst_mac = (receiver, sender) if from_server else (sender, receiver)
        flow.app = PORT_APPS.get((l4, flow.dport or 0)) or PORT_APPS.get((l4, flow.sport or 0))
        if flow.app in DECODERS:
            flow.session = Session(DECODERS[flow.app](flow.ops), l4 == "tcp")
        a, b = (flow.src, flow.sport or 0), (flow.dst, flow.dport or 0)
        self.flows[(l4, a, b) if a <= b else (l4, b, a)] = flow
        self.ends[(l4, flow.dst, flow.dport, flow.src, flow.sport)] = (flow, False)
        # entered second: for a host talking to itself on one port, every packet is forward
        self.ends[(l4, flow.src, flow.sport, flow.dst, flow.dport)] = (flow, True)
        return self.ends[(l4, src, sport, dst, dport)]

    def read(self, path: str | os.PathLike[str], progress: Callable[[int], None] | None = None) -> None:
        """Add a capture's packets; a damaged file keeps what was read and records the error.
        `progress(bytes_read)` is called every PROGRESS_EVERY frames."""
        decode, add = self.decoder.decode, self.add_fields
        n = 0
        try:
            for ts_ns, linktype, data, orig_len, offset in records(path):
                n += 1
                if progress is not None and not n % PROGRESS_EVERY:
                    progress(offset)
                if linktype == 1 and len(data) >= 54:  # Ethernet, IPv4 without options, TCP or UDP: inline
                    etype, vihl, total, frag, proto, src, dst, sport, dport, seq, doff, flags = ETH_IPV4_TCP(data)
                    if etype == 0x0800 and vihl == 0x45 and not frag & 0x3FFF and total >= 28:
                        end = 14 + total if 14 + total <= len(data) else len(data)
                        if proto == 6:
                            add(ts_ns, orig_len, "tcp", src, dst, sport, dport, flags, data[34 + (doff >> 4) * 4:end],
                                seq, data, 42)
                            continue
                        if proto == 17:
                            add(ts_ns, orig_len, "udp", src, dst, sport, dport, 0, data[42:end], 0, data)
                            continue
                p = decode(linktype, data)
                if p is not None:
                    add(ts_ns, orig_len, *p, data if linktype == 1 else None)
        except CaptureError as e:
            self.errors.append(e)
        finally:
            self.frames += n
        self.finish()

    def finish(self) -> None:
        """Deliver what waits behind holes that will not fill (end of the captures)."""
        for flow in self.flows.values():
            session = flow.session
            if session is None:
                continue
            for direction in session.directions:
                direction.flush()
            if session.decoder.app:
                flow.app = session.decoder.app

    def __iter__(self) -> Iterator[Flow]:
        return iter(sorted(self.flows.values(), key=lambda f: (f.first_ns, f.l4)))


def read_flows(paths: Iterable[str | os.PathLike[str]]) -> FlowTable:
    """The flow table of one or more captures (public API)."""
    table = FlowTable()
    for p in paths:
        table.read(p)
    return table
