#!/usr/bin/env python3
"""Throughput of the traffic pipeline on the shared real captures, against the bare frame reader.

Measured in one run, best of --repeat, on every capture under ../shared/data/pcaps:
frames read only (the baseline), conversations (link/IP/transport layers and the flow table),
and the full pipeline (TCP reassembly and the protocol decoders). The synthetic 500 MB comparison
with tshark and dpkt is benchmarks/bench_pcap.py (issue 4, to come).

    python benchmarks/bench_flows.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from zonewarden.traffic import flows as F
from zonewarden.traffic.capture import CAPTURE_SUFFIXES, CaptureError, frames

PCAPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "pcaps"


def best_rate(n: int, fn) -> tuple[float, int]:
    best, count = 0.0, 0
    for _ in range(n):
        t = time.perf_counter()
        count = fn()
        best = max(best, count / (time.perf_counter() - t))
    return best, count


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    files = sorted(p for p in PCAPS.rglob("*") if p.suffix in CAPTURE_SUFFIXES)
    if not files:
        sys.exit(f"no captures under {PCAPS}")

    def read_only() -> int:
        n = 0
        for f in files:
            try:
                for _ in frames(f):
                    n += 1
            except CaptureError:
                pass
        return n

    def pipeline() -> int:
        return F.read_flows(files).frames

    base, n = best_rate(args.repeat, read_only)
    full, _ = best_rate(args.repeat, pipeline)
    saved = dict(F.DECODERS)
    F.DECODERS.clear()
    try:
        convs, _ = best_rate(args.repeat, pipeline)
    finally:
        F.DECODERS.update(saved)
    report = {"captures": len(files), "frames": n, "read_only_pps": round(base), "conversations_pps": round(convs),
              "full_pps": round(full), "conversations_ratio": round(convs / base, 2),
              "full_ratio": round(full / base, 2)}
    print(f"{len(files)} captures, {n} frames (best of {args.repeat})")
    print(f"read frames only (baseline): {base:12,.0f} packets/s")
    print(f"conversations:               {convs:12,.0f} packets/s  ({report['conversations_ratio']}x the baseline)")
    print(f"with reassembly and decoders:{full:12,.0f} packets/s  ({report['full_ratio']}x the baseline)")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
