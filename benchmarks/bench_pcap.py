#!/usr/bin/env python3
"""Capture reading against tshark and dpkt, and Zeek conn.log reading, on synthetic files of our own.

One run: writes (once, cached in benchmarks/out/) a synthetic capture of --mb megabytes with a
realistic OT mix (benchmarks/synth.py) and a Zeek conn.log of --zeek-rows rows, then times, each in
its own process so that its peak RSS is its own:

- zonewarden, full pipeline: conversations, TCP reassembly and every protocol decoder;
- zonewarden, conversations only (the decoders switched off): the work dpkt's loop below does;
- tshark -T fields extracting the same fields (addresses, ports, frame length and the operation
  fields of Modbus, S7comm, DNP3, CIP, IEC 104 and OPC UA), on a prefix of --baseline-mb MB;
- dpkt: Ethernet, IP, TCP/UDP parsed and conversations counted (no protocol decoding), on the same prefix;
- zonewarden reading the conn.log into the flow table.

It prints packets/s, MB/s, peak RSS and the ratios, then one JSON line.

    python benchmarks/bench_pcap.py [--mb 500] [--baseline-mb 100] [--zeek-rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from synth import write_capture

OUT = Path(__file__).resolve().parent / "out"
TSHARK_FIELDS = ["frame.time_epoch", "frame.len", "ip.src", "ip.dst", "tcp.srcport", "tcp.dstport", "udp.srcport",
                 "udp.dstport", "modbus.func_code", "s7comm.param.func", "dnp3.al.func", "cip.sc",
                 "iec60870_asdu.typeid", "opcua.servicenodeid.numeric"]

OURS = """
import json, sys, time
from zonewarden.traffic import flows as F
if sys.argv[2] == "conversations":
    F.DECODERS.clear()
t = time.perf_counter()
table = F.read_flows([sys.argv[1]])
elapsed = time.perf_counter() - t
print(json.dumps({"packets": table.frames, "seconds": elapsed, "flows": len(table.flows),
                  "errors": [str(e) for e in table.errors]}))
"""

DPKT = """
import json, sys, time
import dpkt
t = time.perf_counter()
convs, n = {}, 0
with open(sys.argv[1], "rb") as fh:
    for ts, buf in dpkt.pcap.Reader(fh):
        n += 1
        eth = dpkt.ethernet.Ethernet(buf)
        ip = eth.data
        if not isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)):
            continue
        l4 = ip.data
        if isinstance(l4, (dpkt.tcp.TCP, dpkt.udp.UDP)):
            a, b = (ip.src, l4.sport), (ip.dst, l4.dport)
            key = (ip.p, a, b) if a <= b else (ip.p, b, a)
            c = convs.get(key)
            if c is None:
                c = convs[key] = [ts, ts, 0, 0]
            c[1] = ts
            c[2] += 1
            c[3] += len(buf)
print(json.dumps({"packets": n, "seconds": time.perf_counter() - t, "flows": len(convs)}))
"""

ZEEK = """
import json, sys, time
from zonewarden.traffic.zeek import read_zeek
t = time.perf_counter()
read = read_zeek([sys.argv[1]])
print(json.dumps({"rows": len(read.table), "seconds": time.perf_counter() - t}))
"""


def run(cmd: list[str]) -> tuple[str, float, int]:
    """Run a command; its stdout, wall seconds, and its own peak RSS in MB (from wait4)."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.exit(f"{cmd[0]} failed with status {proc.returncode}")
    return out, time.perf_counter() - t, usage.ru_maxrss // 1024


def prefix(src: Path, dst: Path | None, megabytes: float) -> int:
    """Copy the first records of a pcap up to `megabytes` (or only count them, without `dst`); returns
    the packets. Streamed: this process must stay small, since a child's peak RSS starts at its parent's."""
    limit = int(megabytes * 1_000_000)
    n, size = 0, 24
    with open(src, "rb") as fh, (open(dst, "wb") if dst else open(os.devnull, "wb")) as out:
        out.write(fh.read(24))
        while True:
            head = fh.read(16)
            if len(head) < 16:
                break
            caplen = struct.unpack_from("<I", head, 8)[0]
            if size + 16 + caplen > limit:
                break
            out.write(head + fh.read(caplen))
            size += 16 + caplen
            n += 1
    return n


def conn_log(path: Path, rows: int, seed: int = 7) -> None:
    """A Zeek conn.log (TSV) as Zeek writes it, `rows` connections of an OT network."""
    rng = random.Random(seed)
    services = [("tcp", 502, "modbus"), ("tcp", 102, "s7comm"), ("tcp", 44818, "enip"), ("tcp", 20000, "dnp3"),
                ("tcp", 443, "ssl"), ("udp", 53, "dns"), ("tcp", 22, "ssh"), ("udp", 123, "ntp")]
    fields = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service", "duration",
              "orig_bytes", "resp_bytes", "conn_state", "local_orig", "local_resp", "missed_bytes", "history",
              "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes", "tunnel_parents"]
    types = ["time", "string", "addr", "port", "addr", "port", "enum", "string", "interval", "count", "count",
             "string", "bool", "bool", "count", "string", "count", "count", "count", "count", "set[string]"]
    tmp = path.with_suffix(".part")
    with open(tmp, "w") as fh:
        fh.write("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
                 "#open\t2026-11-22-08-00-00\n#fields\t" + "\t".join(fields) + "\n#types\t" + "\t".join(types) + "\n")
        ts = 1_763_800_000.0
        lines = []
        for i in range(rows):
            proto, port, service = services[rng.randrange(len(services))]
            ts += rng.random() * 0.01
            op, rp = rng.randrange(1, 40), rng.randrange(1, 40)
            lines.append(f"{ts:.6f}\tC{i:017x}\t10.10.{i % 200}.{1 + i % 250}\t{20000 + i % 40000}\t10.20.0."
                         f"{1 + i % 200}\t{port}\t{proto}\t{service}\t{rng.random() * 5:.6f}\t{op * 60}\t{rp * 80}\tSF"
                         f"\tT\tT\t0\tShADadFf\t{op}\t{op * 100}\t{rp}\t{rp * 120}\t-\n")
            if len(lines) >= 50000:
                fh.write("".join(lines))
                lines.clear()
        fh.write("".join(lines) + "#close\t2026-11-22-09-00-00\n")
    tmp.replace(path)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=500, help="size of the synthetic capture (default 500)")
    ap.add_argument("--baseline-mb", type=float, default=100,
                    help="tshark and dpkt read this prefix of the capture (0: all of it; tshark needs minutes)")
    ap.add_argument("--zeek-rows", type=int, default=1_000_000)
    args = ap.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    capture = OUT / f"synth-{args.mb:g}mb.pcap"
    if not capture.exists():
        t = time.perf_counter()
        n = write_capture(capture, args.mb)
        print(f"wrote {capture.name}: {n:,} packets in {time.perf_counter() - t:.0f} s")
    size_mb = capture.stat().st_size / 1e6
    base = capture
    if args.baseline_mb and args.baseline_mb < size_mb:
        base = OUT / f"synth-{args.mb:g}mb-first-{args.baseline_mb:g}mb.pcap"
        if not base.exists():
            prefix(capture, base, args.baseline_mb)
    base_mb = base.stat().st_size / 1e6
    py = sys.executable
    results: dict[str, dict] = {}

    def record(name: str, packets: int, seconds: float, mb: float, rss: int) -> None:
        results[name] = {"packets": packets, "seconds": round(seconds, 2), "pps": round(packets / seconds),
                         "mb_per_s": round(mb / seconds, 1), "peak_rss_mb": rss}

    for mode in ("full", "conversations"):
        out, _, rss = run([py, "-c", OURS, str(capture), mode])
        r = json.loads(out)
        if r["errors"]:
            sys.exit(f"zonewarden could not read {capture}: {r['errors']}")
        record(f"zonewarden_{mode}", r["packets"], r["seconds"], size_mb, rss)
    tshark = shutil.which("tshark")
    if tshark:
        fields = [a for f in TSHARK_FIELDS for a in ("-e", f)]
        _, seconds, rss = run([tshark, "-n", "-r", str(base), "-T", "fields", *fields])
        packets = prefix(base, None, base_mb + 1)
        record("tshark_fields", packets, seconds, base_mb, rss)
    try:
        import dpkt  # noqa: F401
        out, _, rss = run([py, "-c", DPKT, str(base)])
        r = json.loads(out)
        record("dpkt_conversations", r["packets"], r["seconds"], base_mb, rss)
    except ImportError:
        print("dpkt is not installed: pip install -e '.[bench]'")
    log = OUT / f"conn-{args.zeek_rows}.log"
    if not log.exists():
        conn_log(log, args.zeek_rows)
    out, _, rss = run([py, "-c", ZEEK, str(log)])
    z = json.loads(out)
    zeek = {"rows": z["rows"], "seconds": round(z["seconds"], 2), "rows_per_s": round(z["rows"] / z["seconds"]),
            "mb_per_s": round(log.stat().st_size / 1e6 / z["seconds"], 1), "peak_rss_mb": rss}

    full = results["zonewarden_full"]
    print(f"capture: {capture.name}, {size_mb:.0f} MB, {full['packets']:,} packets; "
          f"tshark and dpkt read its first {base_mb:.0f} MB")
    for name, r in results.items():
        print(f"  {name:24} {r['pps']:>10,} packets/s {r['mb_per_s']:>7} MB/s  peak RSS {r['peak_rss_mb']:>4} MB"
              f"  ({r['seconds']} s)")
    ratios = {}
    if "tshark_fields" in results:
        ratios["full_vs_tshark"] = round(full["pps"] / results["tshark_fields"]["pps"], 1)
    if "dpkt_conversations" in results:
        dp = results["dpkt_conversations"]["pps"]
        ratios["full_vs_dpkt"] = round(full["pps"] / dp, 2)
        ratios["conversations_vs_dpkt"] = round(results["zonewarden_conversations"]["pps"] / dp, 2)
    print("  ratios: " + ", ".join(f"{k} {v}x" for k, v in ratios.items()))
    print(f"zeek conn.log: {zeek['rows']:,} rows in {zeek['seconds']} s = {zeek['rows_per_s']:,} rows/s "
          f"({zeek['mb_per_s']} MB/s), peak RSS {zeek['peak_rss_mb']} MB")
    print(textwrap.shorten("goals: 10x tshark, 3x dpkt, 300k packets/s, RSS < 300 MB, Zeek 1M rows/s", 200))
    print(json.dumps({"capture_mb": round(size_mb), "results": results, "ratios": ratios, "zeek": zeek}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
