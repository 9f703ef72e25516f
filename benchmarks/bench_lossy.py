#!/usr/bin/env python3
"""A lossy capture against a clean one of the same packet count: what a SPAN port that drops packets
costs the reader (issue 20: at most twice a clean capture per packet).

Both captures hold the same conversations (Modbus/TCP, S7comm and EtherNet/IP polling, each with its
handshake and true sequence numbers, interleaved). The lossy one loses --drop of the data segments
for good (holes that never fill), carries as many extra packets (retransmissions stretched back over
the segment before: overlaps), and swaps --swap of neighbouring segments (out of order). Both are
read in interleaved rounds in this process; it prints min/median/max CPU seconds, packets/s, the ratio
of the medians, and one JSON line. With --compare REV, the reassembler of that git revision
(src/zonewarden/traffic/tcp.py) is timed the same way, in the same rounds.

    python benchmarks/bench_lossy.py [--packets 200000] [--flows 30] [--rounds 5] [--compare HEAD~1]
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from zonewarden.traffic import flows as flow_module
from zonewarden.traffic.flows import FlowTable

_REC = struct.Struct("<IIII")
_ETH_IP = struct.Struct("!6s6sHBBHHHBBH4s4s")
_TCP = struct.Struct("!HHIIBBHHH")
Segment = tuple[bool, int, bytes]  # from_client, sequence offset in its direction, payload


def modbus(rng: random.Random, i: int) -> tuple[bytes, bytes]:
    count = rng.randrange(1, 20)
    request = struct.pack("!HHHBBHH", i & 0xFFFF, 0, 6, 1, 3, rng.randrange(1000), count)
    response = struct.pack("!HHHBBB", i & 0xFFFF, 0, 3 + 2 * count, 1, 3, 2 * count) + bytes(2 * count)
    return request, response


def s7comm(rng: random.Random, i: int) -> tuple[bytes, bytes]:
    def tpkt(pdu: bytes) -> bytes:
        return struct.pack("!BBHBBB", 3, 0, 7 + len(pdu), 2, 0xF0, 0x80) + pdu
    item = b"\x12\x0a\x10\x02\x00\x10\x00\x01\x84\x00\x00\x00"
    request = tpkt(struct.pack("!BBHHHH", 0x32, 1, 0, i & 0xFFFF, 14, 0) + b"\x04\x01" + item)
    data = b"\xff\x04\x00\x80" + bytes(16)
    response = tpkt(struct.pack("!BBHHHHBB", 0x32, 3, 0, i & 0xFFFF, 2, len(data), 0, 0) + b"\x04\x01" + data)
    return request, response


def enip(rng: random.Random, i: int) -> tuple[bytes, bytes]:
    def rr(cip: bytes) -> bytes:
        cpf = struct.pack("<IHHHHHH", 0, 0, 2, 0, 0, 0xB2, len(cip)) + cip
        return struct.pack("<HHII8sI", 0x006F, len(cpf), 1, 0, i.to_bytes(8, "little"), 0) + cpf
    return rr(b"\x4c\x03\x91\x03tag\x00\x01\x00"), rr(b"\xcc\x00\x00\x00\xc4\x00" + bytes(4 * rng.randrange(1, 8)))


KINDS = [(502, modbus), (102, s7comm), (44818, enip)]


def conversation(rng: random.Random, index: int, exchanges: int) -> tuple[int, list[Segment]]:
    port, make = KINDS[index % len(KINDS)]
    segments: list[Segment] = []
    offset = {True: 0, False: 0}
    for i in range(exchanges):
        for from_client, payload in zip((True, False), make(rng, i), strict=True):
            segments.append((from_client, offset[from_client], payload))
            offset[from_client] += len(payload)
    return port, segments


def lossy(rng: random.Random, segments: list[Segment], drop: float, swap: float) -> list[Segment]:
    """Drop some segments for good, add as many retransmissions stretched back over the segment before
    (overlaps), swap some neighbours: the same number of packets, in a worse state."""
    out: list[Segment] = []
    owed = 0
    for k, seg in enumerate(segments):
        if k > 2 and rng.random() < drop:
            owed += 1
            continue
        out.append(seg)
        if owed and k > 2:
            before = next((s for s in reversed(segments[:k]) if s[0] == seg[0]), None)
            if before is not None:
                out.append((seg[0], before[1] + len(before[2]) // 2, before[2][len(before[2]) // 2:] + seg[2]))
                owed -= 1
    for _ in range(owed):  # the rest, at the end: retransmissions of the last segment
        out.append(out[-1])
    for k in range(2, len(out) - 1):
        if rng.random() < swap:
            out[k], out[k + 1] = out[k + 1], out[k]
    return out


def frames_of(index: int, port: int, segments: list[Segment]) -> list[bytes]:
    client = bytes([10, 1, index >> 8 & 0xFF, index & 0xFF])
    server = bytes([10, 2, 0, 1 + index % 50])
    cport = 20000 + index
    isn = {True: 1000 + index, False: 900_000 + index}
    acked = {True: 0, False: 0}

    def frame(from_client: bool, seq: int, ack: int, flags: int, payload: bytes) -> bytes:
        src, dst, sp, dp = (client, server, cport, port) if from_client else (server, client, port, cport)
        eth_ip = _ETH_IP.pack(b"\x02\0\0\0\0\x02", b"\x02\0\0\0\0\x01", 0x0800, 0x45, 0, 40 + len(payload), 0, 0, 64,
                              6, 0, src, dst)
        return eth_ip + _TCP.pack(sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50, flags, 65535, 0, 0) + payload

    out = [frame(True, isn[True], 0, 0x02, b""), frame(False, isn[False], isn[True] + 1, 0x12, b"")]
    for from_client, offset, payload in segments:
        acked[not from_client] = max(acked[not from_client], offset + len(payload))
        out.append(frame(from_client, isn[from_client] + 1 + offset, isn[not from_client] + 1 + acked[from_client],
                         0x18, payload))
    return out


def write_pcap(path: Path, conversations: list[list[bytes]]) -> int:
    """Conversations interleaved round robin, one microsecond apart; returns the packet count."""
    n = 0
    with open(path, "wb") as fh:
        fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        cursors = [iter(c) for c in conversations]
        while cursors:
            alive = []
            for it in cursors:
                data = next(it, None)
                if data is None:
                    continue
                n += 1
                fh.write(_REC.pack(1_700_000_000 + n // 1_000_000, n % 1_000_000, len(data), len(data)) + data)
                alive.append(it)
            cursors = alive
    return n


def make_captures(folder: Path, packets: int, flows: int, drop: float, swap: float, seed: int) -> tuple[Path, Path]:
    rng = random.Random(seed)
    exchanges = max(1, (packets // flows - 2) // 2)
    clean, bad = [], []
    for index in range(flows):
        port, segments = conversation(rng, index, exchanges)
        clean.append(frames_of(index, port, segments))
        bad.append(frames_of(index, port, lossy(rng, segments, drop, swap)))
    paths = folder / "clean.pcap", folder / "lossy.pcap"
    counts = [write_pcap(p, c) for p, c in zip(paths, (clean, bad), strict=True)]
    assert counts[0] == counts[1], counts
    return paths


def old_direction(rev: str) -> type:
    """The Direction class of src/zonewarden/traffic/tcp.py at git revision `rev`."""
    root = Path(__file__).resolve().parents[1]
    source = subprocess.run(["git", "show", f"{rev}:src/zonewarden/traffic/tcp.py"], cwd=root, check=True,
                            capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "tcp_old.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("tcp_old", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.Direction


def read_once(path: Path, direction: type) -> tuple[float, FlowTable]:
    flow_module.Direction = direction  # the reassembler under test; the flow table builds one per direction
    gc.collect()
    t = time.process_time()  # CPU seconds: on a shared machine, what other processes take does not count
    table = FlowTable()
    table.read(path)
    return time.process_time() - t, table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--packets", type=int, default=200_000)
    ap.add_argument("--flows", type=int, default=30, help="conversations: plant polling is few and long-lived")
    ap.add_argument("--drop", type=float, default=0.05, help="share of data segments lost for good")
    ap.add_argument("--swap", type=float, default=0.10, help="share of segments swapped with the next")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=62443)
    ap.add_argument("--compare", metavar="REV", help="also time the reassembler of this git revision")
    args = ap.parse_args()

    new = flow_module.Direction
    runs = {"new": new}
    if args.compare:
        runs[args.compare] = old_direction(args.compare)
    with tempfile.TemporaryDirectory() as tmp:
        clean, bad = make_captures(Path(tmp), args.packets, args.flows, args.drop, args.swap, args.seed)
        times: dict[tuple[str, str], list[float]] = {(r, k): [] for r in runs for k in ("clean", "lossy")}
        results: dict[tuple[str, str], FlowTable] = {}
        for round_ in range(args.rounds):
            for name, direction in runs.items():
                kinds = (("clean", clean), ("lossy", bad))
                for kind, path in kinds if round_ % 2 == 0 else kinds[::-1]:  # neither always goes first
                    elapsed, table = read_once(path, direction)
                    times[(name, kind)].append(elapsed)
                    results[(name, kind)] = table
        flow_module.Direction = new
    packets = results[("new", "clean")].frames
    summary = {"packets": packets, "flows": args.flows, "drop": args.drop, "swap": args.swap}
    print(f"{packets} packets per capture, {args.flows} conversations, {args.rounds} interleaved rounds")
    for name in runs:
        med = {}
        for kind in ("clean", "lossy"):
            t = times[(name, kind)]
            med[kind] = statistics.median(t)
            table = results[(name, kind)]
            ops = sum(sum(f.ops.values()) for f in table.flows.values())
            missing = sum(d.missing for f in table.flows.values() if f.session for d in f.session.directions)
            print(f"  {name:>8} {kind}: min {min(t):.3f} s, median {med[kind]:.3f} s, max {max(t):.3f} s, "
                  f"{packets / med[kind]:,.0f} packets/s; {ops} operations decoded, {missing} bytes missing")
            summary[f"{name}_{kind}_median_s"] = round(med[kind], 4)
            summary[f"{name}_{kind}_packets_per_s"] = round(packets / med[kind])
        ratio = med["lossy"] / med["clean"]
        summary[f"{name}_ratio"] = round(ratio, 3)
        print(f"  {name:>8} lossy/clean per packet: {ratio:.2f}" + ("" if name != "new" else " (limit 2)"))
    print(json.dumps(summary))
    if summary["new_ratio"] > 2:
        sys.exit(1)


if __name__ == "__main__":
    main()
