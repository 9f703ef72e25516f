"""From a captured frame to what a conversation is keyed by: link layer, IP (v4 and v6), transport.

Link types: Ethernet (with 802.1Q/802.1ad/QinQ tags), BSD and OpenBSD loopback, Linux cooked v1
and v2, raw IP. IPv4 fragments are reassembled (the datagram counts once, on the frame that
completes it, as tshark counts it; fragments wait within MAX_FRAGMENT_BYTES in all, the oldest
datagram given up first, and a datagram longer than an IP length can say or in more than MAX_PARTS
pieces is dropped and counted); IPv6 extension headers are walked. Non-IP Ethernet traffic is
keyed by MAC addresses and named by its ethertype (`arp`, `goose`, `profinet`, ...).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import NamedTuple

ETHERTYPES = {
    0x0806: "arp", 0x88B8: "goose", 0x88BA: "sv", 0x88B9: "gse", 0x8892: "profinet", 0x88CC: "lldp",
    0x88F7: "ptp", 0x8035: "rarp", 0x88E3: "mrp", 0x22F0: "avb", 0x88A4: "ethercat", 0x88AB: "powerlink",
    0x8847: "mpls", 0x8863: "pppoe-discovery", 0x8864: "pppoe", 0x888E: "eapol", 0x88E5: "macsec",
    0x9000: "loopback", 0x893A: "ieee1905", 0x88B5: "local-experimental",
}
IP_PROTOCOLS = {1: "icmp", 2: "igmp", 4: "ipip", 6: "tcp", 17: "udp", 41: "ipv6", 47: "gre", 50: "esp", 51: "ah",
                58: "icmpv6", 89: "ospf", 103: "pim", 112: "vrrp", 132: "sctp"}
VLAN_TAGS = (0x8100, 0x88A8, 0x9100)
IPV6_EXTENSIONS = (0, 43, 60, 51)  # hop-by-hop, routing, destination options, AH (fragment 44 apart)
MAX_DATAGRAM = 65535  # what an IP length field can say (jumbograms aside)
MAX_PARTS = 1024  # fragments of one datagram; at the smallest MTU IPv4 allows (68) a datagram takes 1366
MAX_FRAGMENT_BYTES = 16 << 20  # fragment bytes waiting for the rest of their datagram, all datagrams together
LINK_NAMES = {195: "ieee802.15.4", 215: "ieee802.15.4", 230: "ieee802.15.4", 105: "ieee802.11", 127: "ieee802.11"}


class Packet(NamedTuple):
    """One decoded packet: `l4` names the conversation kind; addresses are raw bytes (4, 16 or 6)."""

    l4: str
    src: bytes
    dst: bytes
    sport: int | None
    dport: int | None
    tcp_flags: int
    payload: memoryview | bytes
    seq: int = 0  # TCP sequence number


_u16 = struct.Struct("!H").unpack_from
_ports = struct.Struct("!HH").unpack_from
_tcp_head = struct.Struct("!HHI").unpack_from
# Ethernet + IPv4 (no options) + TCP in one unpack: ethertype, version/IHL, total length, fragment field,
# protocol, source, destination, ports, sequence number, data offset, flags (offsets 12..47). The flow
# table's fast path for the common case of plant traffic; for UDP the fields after the ports are ignored.
ETH_IPV4_TCP = struct.Struct("!12xHBxH2xH1xB2x4s4sHHI4xBB").unpack_from


@dataclass
class Decoder:
    """Stateful because of IP fragments; one per capture (or per stream of captures)."""

    fragments: dict[tuple, dict] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)
    fragment_bytes: int = 0

    def _count(self, what: str) -> None:
        self.stats[what] = self.stats.get(what, 0) + 1

    def decode(self, linktype: int, data: memoryview) -> Packet | None:
        """The packet, or None when the frame adds no packet (a fragment awaiting the rest, garbage)."""
        try:
            return self._link(linktype, data)
        except (struct.error, IndexError, ValueError):
            self._count("malformed")
            return None

    def _link(self, linktype: int, d: memoryview) -> Packet | None:
        if linktype == 1:  # Ethernet
            etype = _u16(d, 12)[0]
            off = 14
            while etype in VLAN_TAGS:
                etype = _u16(d, off + 2)[0]
                off += 4
            return self._ethertype(etype, d, off, bytes(d[6:12]), bytes(d[0:6]))
        if linktype == 0:  # BSD loopback: address family in the capturing host's byte order
            fam = struct.unpack_from("<I", d, 0)[0]
            if fam > 0xFFFF:
                fam = struct.unpack_from(">I", d, 0)[0]
            return self._ip_by_family(fam, d, 4)
        if linktype == 108:  # OpenBSD loopback: network byte order
            return self._ip_by_family(struct.unpack_from(">I", d, 0)[0], d, 4)
        if linktype in (101, 12, 14, 228, 229):  # raw IP
            return self._ip_version(d, 0)
        if linktype == 113:  # Linux cooked v1
            return self._ethertype(_u16(d, 14)[0], d, 16, bytes(d[6:6 + min(d[5], 8)]), b"")
        if linktype == 276:  # Linux cooked v2
            return self._ethertype(_u16(d, 0)[0], d, 20, bytes(d[12:12 + min(d[11], 8)]), b"")
        self._count(f"linktype {linktype}")
        return Packet(LINK_NAMES.get(linktype, f"link:{linktype}"), b"", b"", None, None, 0, b"")

    def _ip_by_family(self, fam: int, d: memoryview, off: int) -> Packet | None:
        if fam == 2:
            return self._ipv4(d, off)
        if fam in (10, 24, 28, 30):
            return self._ipv6(d, off)
        self._count(f"loopback family {fam}")
        return None

    def _ip_version(self, d: memoryview, off: int) -> Packet | None:
        v = d[off] >> 4
        return self._ipv4(d, off) if v == 4 else self._ipv6(d, off) if v == 6 else None

    def _ethertype(self, etype: int, d: memoryview, off: int, src: bytes, dst: bytes) -> Packet | None:
        if etype == 0x0800:
            return self._ipv4(d, off)
        if etype == 0x86DD:
            return self._ipv6(d, off)
        if etype <= 1500:  # 802.3 length field: LLC
            return Packet("llc", src, dst, None, None, 0, d[off:])
        return Packet(ETHERTYPES.get(etype, f"eth:{etype:#06x}"), src, dst, None, None, 0, d[off:])

    def _ipv4(self, d: memoryview, off: int) -> Packet | None:
        vihl = d[off]
        ihl = (vihl & 0x0F) * 4
        if vihl >> 4 != 4 or ihl < 20:
            self._count("bogus IPv4 header")
            return None
        total = _u16(d, off + 2)[0]
        ident, frag = struct.unpack_from("!HH", d, off + 4)
        proto = d[off + 9]
        src, dst = bytes(d[off + 12:off + 16]), bytes(d[off + 16:off + 20])
        end = off + total if total >= ihl and off + total <= len(d) else len(d)
        body = d[off + ihl:end]
        more, offset = frag & 0x2000, (frag & 0x1FFF) * 8
        if more or offset:
            body = self._reassemble((src, dst, proto, ident), offset, more, body)
            if body is None:
                return None
        return self._transport(proto, src, dst, body)

    def _ipv6(self, d: memoryview, off: int) -> Packet | None:
        if d[off] >> 4 != 6:
            self._count("bogus IPv6 header")
            return None
        plen = _u16(d, off + 4)[0]
        nxt = d[off + 6]
        src, dst = bytes(d[off + 8:off + 24]), bytes(d[off + 24:off + 40])
        end = off + 40 + plen if plen and off + 40 + plen <= len(d) else len(d)
        pos = off + 40
        while True:
            if nxt in IPV6_EXTENSIONS:
                hdr_len = (d[pos + 1] + 2) * 4 if nxt == 51 else (d[pos + 1] + 1) * 8
                nxt, pos = d[pos], pos + hdr_len
            elif nxt == 44:  # fragment header
                frag, ident = struct.unpack_from("!HI", d, pos + 2)
                nxt, pos = d[pos], pos + 8
                more, offset = frag & 1, frag & 0xFFF8
                if more or offset:
                    body = self._reassemble((src, dst, nxt, ident), offset, more, d[pos:end])
                    return None if body is None else self._transport(nxt, src, dst, body)
            else:
                break
        return self._transport(nxt, src, dst, d[pos:end])

    def _reassemble(self, key: tuple, offset: int, more: int, body: memoryview) -> memoryview | None:
        entry = self.fragments.get(key)
        if entry is None:
            entry = self.fragments[key] = {"parts": {}, "total": None, "size": 0}
        parts = entry["parts"]
        if offset + len(body) > MAX_DATAGRAM or (offset not in parts and len(parts) >= MAX_PARTS):
            self._drop(key)
            return None
        old = parts.get(offset)
        parts[offset] = bytes(body)
        grown = len(body) - (len(old) if old is not None else 0)
        entry["size"] += grown
        self.fragment_bytes += grown
        while self.fragment_bytes > MAX_FRAGMENT_BYTES:
            self._drop(next(iter(self.fragments)))
        if key not in self.fragments:
            return None
        if not more:
            entry["total"] = offset + len(body)
        if entry["total"] is None or entry["size"] < entry["total"]:
            return None
        pos, out = 0, bytearray()
        for start in sorted(entry["parts"]):
            if start > pos:
                return None  # a hole: wait for the rest
            part = entry["parts"][start]
            out += part[pos - start:]
            pos = max(pos, start + len(part))
        if pos < entry["total"]:
            return None
        del self.fragments[key]
        self.fragment_bytes -= entry["size"]
        self._count("reassembled datagrams")
        return memoryview(bytes(out[:entry["total"]]))

    def _drop(self, key: tuple) -> None:
        """Give up on a datagram: its fragments are counted as dropped."""
        entry = self.fragments.pop(key)
        self.fragment_bytes -= entry["size"]
        self._count("dropped fragmented datagrams")

    def _transport(self, proto: int, src: bytes, dst: bytes, body: memoryview) -> Packet:
        if proto == 6 and len(body) >= 14:
            sport, dport, seq = _tcp_head(body, 0)
            doff = (body[12] >> 4) * 4
            return Packet("tcp", src, dst, sport, dport, body[13], body[doff:], seq)
        if proto == 17 and len(body) >= 8:
            sport, dport = _ports(body, 0)
            return Packet("udp", src, dst, sport, dport, 0, body[8:])
        return Packet(IP_PROTOCOLS.get(proto, f"ip:{proto}"), src, dst, None, None, 0, body)
