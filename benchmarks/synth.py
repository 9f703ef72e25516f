"""A deterministic synthetic capture with a realistic OT mix, written fast enough to make 500 MB.

Thousands of conversations run interleaved, each with its handshake and true sequence numbers:
Modbus/TCP polling with several requests (and responses) per segment and responses split across
segments, S7comm read jobs, EtherNet/IP SendRRData with CIP Read Tag, DNP3 class polls with real
link CRCs, IEC 60870-5-104 interrogations and measurements, OPC UA Read, and IT traffic (TLS bulk
transfers, SSH, DNS over UDP). Every message is well formed, so tshark, dpkt and zonewarden all
read the same packets.

    python benchmarks/synth.py OUT.pcap [--mb 500] [--seed 62443]
"""

from __future__ import annotations

import argparse
import random
import struct
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

Exchange = list[tuple[bool, bytes]]  # (from_client, TCP or UDP payload) in order

_REC = struct.Struct("<IIII")
_ETH_IP = struct.Struct("!6s6sHBBHHHBBH4s4s")
_TCP = struct.Struct("!HHIIBBHHH")
_UDP = struct.Struct("!HHHH")
MAC_A, MAC_B = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")


def _dnp3_crc_table() -> list[int]:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA6BC if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC = _dnp3_crc_table()


def dnp3_crc(data: bytes) -> bytes:
    crc = 0
    for b in data:
        crc = (crc >> 8) ^ _CRC[(crc ^ b) & 0xFF]
    return struct.pack("<H", ~crc & 0xFFFF)


def dnp3_frame(dst: int, src: int, control: int, user: bytes) -> bytes:
    header = struct.pack("<BBBBHH", 0x05, 0x64, 5 + len(user), control, dst, src)
    out = header + dnp3_crc(header)
    for i in range(0, len(user), 16):
        block = user[i:i + 16]
        out += block + dnp3_crc(block)
    return out


def modbus(rng: random.Random, tid: int) -> Exchange:
    def req(t: int, fc: int) -> bytes:
        body = bytes([1, fc]) + struct.pack("!HH", 100 + t % 50, 10)
        if fc == 16:
            body += bytes([20]) + bytes(20)
        return struct.pack("!HHH", t & 0xFFFF, 0, len(body)) + body

    def resp(t: int, fc: int) -> bytes:
        body = bytes([1, fc]) + (bytes([20]) + bytes(range(20)) if fc == 3 else struct.pack("!HH", 100, 10))
        return struct.pack("!HHH", t & 0xFFFF, 0, len(body)) + body

    fcs = [3, 3, 16 if rng.random() < 0.2 else 3]
    requests = b"".join(req(tid + i, fc) for i, fc in enumerate(fcs))
    responses = b"".join(resp(tid + i, fc) for i, fc in enumerate(fcs))
    if rng.random() < 0.3:  # a response split across two segments
        return [(True, requests), (False, responses[:20]), (False, responses[20:])]
    return [(True, requests), (False, responses)]


def _tpkt_s7(rosctr: int, ref: int, param: bytes, data: bytes) -> bytes:
    s7 = struct.pack("!BBHHHH", 0x32, rosctr, 0, ref, len(param), len(data))
    if rosctr in (2, 3):
        s7 += b"\x00\x00"
    s7 += param + data
    return struct.pack("!BBH", 3, 0, 7 + len(s7)) + b"\x02\xf0\x80" + s7


def s7comm(rng: random.Random, ref: int) -> Exchange:
    item = bytes([0x12, 0x0A, 0x10, 0x02]) + struct.pack("!HHB", 4, 1, 0x84) + (8).to_bytes(3, "big")
    job = _tpkt_s7(1, ref & 0xFFFF, bytes([0x04, 1]) + item, b"")
    ack = _tpkt_s7(3, ref & 0xFFFF, bytes([0x04, 1]), bytes([0xFF, 0x04]) + struct.pack("!H", 64) + bytes(8))
    return [(True, job), (False, ack)]


def _enip(command: int, session: int, body: bytes) -> bytes:
    return struct.pack("<HHII8sI", command, len(body), session, 0, b"bench\x00\x00\x00", 0) + body


def enip(rng: random.Random, n: int) -> Exchange:
    tag = b"Line1_Speed"
    path = bytes([0x91, len(tag)]) + tag + (b"\x00" if len(tag) % 2 else b"")
    request = bytes([0x4C, len(path) // 2]) + path + struct.pack("<H", 1)
    response = bytes([0xCC, 0, 0, 0]) + struct.pack("<Hf", 0xCA, 42.0 + n % 7)

    def cpf(cip: bytes) -> bytes:
        return struct.pack("<IHHHHHH", 0, 10, 2, 0, 0, 0xB2, len(cip)) + cip

    return [(True, _enip(0x6F, 0x1234, cpf(request))), (False, _enip(0x6F, 0x1234, cpf(response)))]


def dnp3(rng: random.Random, seq: int) -> Exchange:
    app_req = bytes([0xC0 | (seq & 0x0F), 1, 60, 1, 6])  # read class 0
    app_resp = bytes([0xC0 | (seq & 0x0F), 129, 0, 0, 30, 1, 0, 0, 9]) + bytes(range(20))
    req = dnp3_frame(10, 1, 0xC4, bytes([0xC0 | (seq & 0x3F)]) + app_req)
    resp = dnp3_frame(1, 10, 0x44, bytes([0xC0 | (seq & 0x3F)]) + app_resp)
    return [(True, req), (False, resp)]


def iec104(rng: random.Random, n: int) -> Exchange:
    def i_frame(tx: int, rx: int, asdu: bytes) -> bytes:
        return bytes([0x68, 4 + len(asdu)]) + struct.pack("<HH", (tx << 1) & 0xFFFF, (rx << 1) & 0xFFFF) + asdu

    interrogation = bytes([100, 1, 6, 0, 1, 0, 0, 0, 0, 20])
    measured = bytes([13, 3, 3, 0, 1, 0]) + b"".join(struct.pack("<I", 1000 + i)[:3] + struct.pack("<fB", 1.5, 0)
                                                     for i in range(3))
    answer = i_frame(n, n, measured) + i_frame(n + 1, n, measured)
    return [(True, i_frame(n, n, interrogation)), (False, answer), (True, bytes([0x68, 4, 1, 0]) +
                                                                   struct.pack("<H", ((n + 2) << 1) & 0xFFFF))]


def opcua(rng: random.Random, n: int) -> Exchange:
    def msg(service: int, body: bytes) -> bytes:
        payload = struct.pack("<IIII", 1, 1, n & 0xFFFFFFFF, n & 0xFFFFFFFF) + bytes([1, 0]) + struct.pack(
            "<H", service) + body
        return b"MSGF" + struct.pack("<I", 8 + len(payload)) + payload

    return [(True, msg(631, bytes(60))), (False, msg(634, bytes(80)))]


def tls(rng: random.Random, n: int) -> Exchange:
    record = bytes([0x17, 3, 3]) + struct.pack("!H", 1455)
    return [(True, bytes([0x17, 3, 3, 0, 180]) + bytes(180))] + [(False, record + bytes(1455))] * rng.randint(2, 6)


def ssh(rng: random.Random, n: int) -> Exchange:
    return [(True, bytes(rng.choice((52, 84, 100)))), (False, bytes(rng.choice((52, 116, 300))))]


def dns(rng: random.Random, n: int) -> Exchange:
    name = b"\x07historian\x04site\x05local\x00"
    q = struct.pack("!HHHHHH", n & 0xFFFF, 0x0100, 1, 0, 0, 0) + name + b"\x00\x01\x00\x01"
    a = struct.pack("!HHHHHH", n & 0xFFFF, 0x8180, 1, 1, 0, 0) + name + b"\x00\x01\x00\x01" + \
        b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\x0a\x00\x00\x05"
    return [(True, q), (False, a)]


# protocol: (l4, server port, message maker, share of conversations)
MIX: dict[str, tuple[str, int, Callable[[random.Random, int], Exchange], float]] = {
    "modbus": ("tcp", 502, modbus, 0.30), "s7comm": ("tcp", 102, s7comm, 0.15), "enip": ("tcp", 44818, enip, 0.12),
    "dnp3": ("tcp", 20000, dnp3, 0.10), "iec104": ("tcp", 2404, iec104, 0.08), "opcua": ("tcp", 4840, opcua, 0.08),
    "https": ("tcp", 443, tls, 0.07), "ssh": ("tcp", 22, ssh, 0.05), "dns": ("udp", 53, dns, 0.05),
}


class Conversation:
    __slots__ = ("client", "cport", "l4", "make", "n", "seq", "server", "sport", "started")

    def __init__(self, client: bytes, server: bytes, cport: int, sport: int, l4: str, make) -> None:
        self.client, self.server, self.cport, self.sport, self.l4, self.make = client, server, cport, sport, l4, make
        self.seq = {True: 1000, False: 900000}
        self.n = 0
        self.started = False


def _frame(c: Conversation, from_client: bool, flags: int, payload: bytes) -> bytes:
    src, dst = (c.client, c.server) if from_client else (c.server, c.client)
    sport, dport = (c.cport, c.sport) if from_client else (c.sport, c.cport)
    if c.l4 == "udp":
        l4 = _UDP.pack(sport, dport, 8 + len(payload), 0) + payload
        proto = 17
    else:
        l4 = _TCP.pack(sport, dport, c.seq[from_client], c.seq[not from_client], 0x50, flags, 65535, 0, 0) + payload
        proto = 6
    return _ETH_IP.pack(MAC_B if from_client else MAC_A, MAC_A if from_client else MAC_B, 0x0800, 0x45, 0,
                        20 + len(l4), 1, 0x4000, 64, proto, 0, src, dst) + l4


def packets(conv: Conversation, rng: random.Random) -> Iterator[bytes]:
    """The next frames of one conversation: its handshake first, then one request/response exchange."""
    if conv.l4 == "tcp" and not conv.started:
        yield _frame(conv, True, 0x02, b"")
        conv.seq[True] += 1
        yield _frame(conv, False, 0x12, b"")
        conv.seq[False] += 1
        yield _frame(conv, True, 0x10, b"")
    conv.started = True
    last = None
    for from_client, payload in conv.make(rng, conv.n):
        yield _frame(conv, from_client, 0x18, payload)
        if conv.l4 == "tcp":
            conv.seq[from_client] = (conv.seq[from_client] + len(payload)) & 0xFFFFFFFF
        last = from_client
    if conv.l4 == "tcp" and last is not None:
        yield _frame(conv, not last, 0x10, b"")  # the pure ACK after the last segment
    conv.n += 3


def conversations(rng: random.Random, count: int) -> list[Conversation]:
    names = list(MIX)
    weights = [MIX[n][3] for n in names]
    out = []
    for i in range(count):
        l4, port, make, _ = MIX[rng.choices(names, weights)[0]]
        client = bytes([10, 10, (i // 250) % 250, 1 + i % 250])
        server = bytes([10, 20, rng.randrange(4), 1 + rng.randrange(200)])
        out.append(Conversation(client, server, 21000 + i % 40000, port, l4, make))
    return out


def write_capture(path: Path, megabytes: float, seed: int = 62443, count: int = 5000) -> int:
    """Write the capture (pcap, microseconds); returns the number of packets written."""
    rng = random.Random(seed)
    convs = conversations(rng, count)
    target = int(megabytes * 1_000_000)
    written, n = 24, 0
    ts_us = 1_700_000_000_000_000
    tmp = path.with_suffix(path.suffix + ".part")
    with open(tmp, "wb") as fh:
        fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        chunk: list[bytes] = []
        while written < target:
            for frame in packets(convs[rng.randrange(count)], rng):
                ts_us += 137
                chunk.append(_REC.pack(ts_us // 1_000_000, ts_us % 1_000_000, len(frame), len(frame)))
                chunk.append(frame)
                written += 16 + len(frame)
                n += 1
            if len(chunk) > 20000:
                fh.write(b"".join(chunk))
                chunk.clear()
        fh.write(b"".join(chunk))
    tmp.replace(path)
    return n


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--mb", type=float, default=500)
    ap.add_argument("--seed", type=int, default=62443)
    args = ap.parse_args(argv)
    n = write_capture(args.out, args.mb, args.seed)
    print(f"wrote {args.out}: {n} packets, {args.out.stat().st_size / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
