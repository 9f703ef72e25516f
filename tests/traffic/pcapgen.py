"""A small capture writer for tests: pcap and pcapng files built byte by byte from frames we describe."""

from __future__ import annotations

import struct
from pathlib import Path


def mac(n: int) -> bytes:
    return bytes([0x02, 0, 0, 0, 0, n])


def ipv4(src: str, dst: str, proto: int, payload: bytes, ident: int = 1, frag: int = 0, version: int = 4) -> bytes:
    s = bytes(int(x) for x in src.split("."))
    d = bytes(int(x) for x in dst.split("."))
    return struct.pack("!BBHHHBBH4s4s", (version << 4) | 5, 0, 20 + len(payload), ident, frag, 64, proto, 0, s, d) \
        + payload


def ipv6(src: int, dst: int, nxt: int, payload: bytes) -> bytes:
    s = bytes(15) + bytes([src])
    d = bytes(15) + bytes([dst])
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nxt, 64, s, d) + payload


def tcp(sport: int, dport: int, flags: int = 0x18, data: bytes = b"") -> bytes:
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 1, 5 << 4, flags, 1024, 0, 0) + data


def udp(sport: int, dport: int, data: bytes = b"") -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def eth(payload: bytes, ethertype: int = 0x0800, src: int = 1, dst: int = 2, vlans: tuple[int, ...] = ()) -> bytes:
    out = mac(dst) + mac(src)
    for i, v in enumerate(vlans):
        out += struct.pack("!HH", 0x88A8 if i == 0 and len(vlans) > 1 else 0x8100, v)
    return out + struct.pack("!H", ethertype) + payload


def pcap(path: Path, frames: list[tuple[float, bytes]], linktype: int = 1, nano: bool = False,
         big_endian: bool = False) -> Path:
    e = ">" if big_endian else "<"
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = [struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, 65535, linktype)]
    for ts, data in frames:
        sec = int(ts)
        frac = round((ts - sec) * (1e9 if nano else 1e6))
        out += (struct.pack(e + "IIII", sec, frac, len(data), len(data)), data)
    path.write_bytes(b"".join(out))
    return path


def block(btype: int, body: bytes) -> bytes:
    """One pcapng block (little-endian): type, length, body padded to 4 bytes, length again."""
    body += bytes(-len(body) % 4)
    n = len(body) + 12
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def pcapng(path: Path, interfaces: list[tuple[int, int | None]], packets: list[tuple[int, int, bytes]]) -> Path:
    """interfaces: (linktype, if_tsresol or None); packets: (interface, ticks, frame) as EPBs."""
    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    for linktype, tsresol in interfaces:
        opts = b""
        if tsresol is not None:
            opts = struct.pack("<HHB3x", 9, 1, tsresol) + struct.pack("<HH", 0, 0)
        out += block(1, struct.pack("<HHI", linktype, 0, 0) + opts)
    for iface, ticks, data in packets:
        out += block(6, struct.pack("<IIIII", iface, ticks >> 32, ticks & 0xFFFFFFFF, len(data), len(data)) + data)
    path.write_bytes(out)
    return path


def tcp_stream(client: str, server: str, cport: int, sport: int, segments: list[tuple[bool, bytes]],
               start: float = 1.0) -> list[tuple[float, bytes]]:
    """Frames of one TCP conversation: the handshake, then each (from_client, payload) segment with its
    true sequence number, so reassembly sees a stream exactly as a network would carry it."""
    def seg(from_client: bool, seq: int, ack: int, flags: int, data: bytes = b"") -> bytes:
        src, dst, sp, dp = (client, server, cport, sport) if from_client else (server, client, sport, cport)
        return eth(ipv4(src, dst, 6, struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0) + data))

    seq = {True: 1000, False: 5000}
    out = [(start, seg(True, seq[True], 0, 0x02)), (start + 0.001, seg(False, seq[False], seq[True] + 1, 0x12))]
    seq = {True: seq[True] + 1, False: seq[False] + 1}
    for i, (from_client, data) in enumerate(segments):
        out.append((start + 0.01 * (i + 1), seg(from_client, seq[from_client], seq[not from_client], 0x18, data)))
        seq[from_client] += len(data)
    return out


def enip_rr_data(cip: bytes) -> bytes:
    """An EtherNet/IP SendRRData whose unconnected data item carries one CIP message."""
    cpf = struct.pack("<IHHHHHH", 0, 0, 2, 0, 0, 0xB2, len(cip)) + cip
    return struct.pack("<HHII8sI", 0x006F, len(cpf), 1, 0, bytes(8), 0) + cpf


def nested_msp(count: int, levels: int = 5, size: int | None = None) -> bytes:
    """A CIP Multiple Service Packet whose `count` offsets all point at one nested Multiple Service
    Packet built the same way, `levels` deep: naive walking visits count^levels messages. Padded at
    the innermost message to `size` bytes when given."""
    inner = b"\x0e\x00"  # get_attribute_single, empty path
    for _ in range(levels):
        inner = b"\x0a\x00" + struct.pack("<H", count) + struct.pack("<H", 2 + 2 * count) * count + inner
    return inner if size is None else inner + bytes(size - len(inner))


def cotp_data(payload: bytes, last: bool) -> bytes:
    """A TPKT carrying one COTP data unit (DT), with or without its end-of-TSDU mark."""
    cotp = bytes([2, 0xF0, 0x80 if last else 0x00]) + payload
    return struct.pack("!BBH", 3, 0, 4 + len(cotp)) + cotp


def dnp3_link(transport: int, app: bytes, dst: int = 1, src: int = 2) -> bytes:
    """A DNP3 link frame (user data, CRC bytes left zero: the decoder does not check them)."""
    user = bytes([transport]) + app
    out = struct.pack("<BBBBHH", 0x05, 0x64, 5 + len(user), 0x44, dst, src) + bytes(2)
    for i in range(0, len(user), 16):
        out += user[i:i + 16] + bytes(2)
    return out


def capture_prefix(path: Path, count: int) -> tuple[bytes, list[int]]:
    """The bytes of a real capture up to the end of its `count`th record, and where each record (pcap) or
    block (pcapng) starts: a small seed whose fields a fuzzer can aim at."""
    from zonewarden.traffic.capture import PCAPNG_MAGIC, records

    starts, end = [], 0
    for i, (*_, offset) in enumerate(records(path)):
        starts.append(end)
        end = offset
        if i + 1 == count:
            break
    data = path.read_bytes()
    if data[:4] == PCAPNG_MAGIC:  # blocks before the first packet too: section header, interfaces
        starts, at = [], 0
        while at < end:
            starts.append(at)
            at += struct.unpack_from("<I" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">I", data, at + 4)[0]
    else:
        starts[0] = 24
    return data[:end], starts
