#!/usr/bin/env python3
"""Conformance at scale: 10 million flows against a 5,000-asset plant, the SQL query vs a plain Python loop.

Writes (once, in benchmarks/out/) the synthetic plant of gen_plant.py with 5,000 assets, 250 zones
and 1,000 conduits, builds a flow table of --flows flows (--distinct conversations, 100,000 by
default, repeated with shifted timestamps; the judging groups flows that share src, dst, port and
application, so fewer distinct ones make it faster): allowed flows of every conduit, operations past read-only rules,
cross-zone flows with no conduit, zone-internal flows, uninventoried and outside addresses. Then it
times, in one run, `analysis.conformance` (policy compiled, DuckDB query, verdicts built) and a plain
Python loop doing the same judging with dictionaries, and prints both, their ratio, the verdicts
(grouped) and the loop's per-flow counts.

    python benchmarks/bench_conformance.py [--flows 10000000]
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
import sys
import time
from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc
from common import HERE
from gen_plant import generate

from zonewarden.analysis.conformance import conformance
from zonewarden.analysis.policy import classify
from zonewarden.model.load import load_plant
from zonewarden.traffic.table import FLOW_SCHEMA

PLANT = HERE / "out" / "plant-5k.yaml"
DISTINCT = 100_000


def ensure_plant():
    if not PLANT.exists():
        PLANT.parent.mkdir(parents=True, exist_ok=True)
        PLANT.write_text(generate(5_000, 250, 1_000))
    return load_plant(PLANT)


def flow_patterns(plant, n: int, seed: int = 5) -> pa.Table:
    rng = random.Random(seed)
    addr = {aid: str(a.addresses[0]) for aid, a in plant.assets.items() if a.addresses}
    rules = [(c, r) for c in plant.conduits.values() for r in c.flows]
    zone_assets: dict[str, list[str]] = {}
    for aid, a in plant.assets.items():
        zone_assets.setdefault(a.zone, []).append(aid)
    zones = sorted(zone_assets)
    joined = {tuple(sorted(c.zones)) for c in plant.conduits.values()}
    cols: dict[str, list] = {k: [] for k in ("src", "dst", "sport", "dport", "l4", "app", "ops", "packets")}

    def add(src: str, dst: str, dport: int, app: str, ops: list[tuple[str, int]]) -> None:
        for k, v in (("src", src), ("dst", dst), ("sport", rng.randrange(20000, 60000)), ("dport", dport),
                     ("l4", "udp" if app == "ntp" else "tcp"), ("app", app), ("ops", ops),
                     ("packets", rng.randrange(2, 500))):
            cols[k].append(v)

    read_op = {"modbus": "fc3", "s7comm": "read_var", "opcua": "read", "enip": "cip_0x4c", "dnp3": "fc1"}
    write_op = {"modbus": "fc16", "s7comm": "write_var", "opcua": "write", "enip": "cip_0x4d", "dnp3": "fc2"}
    for i in range(n):
        kind = i % 20
        if kind < 12:  # an allowed flow of some conduit rule
            _, r = rules[rng.randrange(len(rules))]
            src = addr[r.from_] if r.from_ in addr else addr[rng.choice(zone_assets[r.from_])]
            dst = addr[r.to] if r.to in addr else addr[rng.choice(zone_assets[r.to])]
            add(src, dst, r.ports[0], r.protocol, [(read_op[r.protocol], 4)] if r.protocol in read_op else [])
        elif kind < 14:  # a write past a rule that allows reads
            _, r = rules[rng.randrange(len(rules))]
            if r.protocol not in write_op or r.from_ not in addr:
                continue
            add(addr[r.from_], addr[r.to], r.ports[0], r.protocol, [(write_op[r.protocol], 1)])
        elif kind < 16:  # between two zones no conduit joins
            a, b = rng.sample(zones, 2)
            if tuple(sorted((a, b))) in joined:
                continue
            add(addr[zone_assets[a][0]], addr[zone_assets[b][0]], 502, "modbus", [("fc3", 2)])
        elif kind < 18:  # inside a zone
            z = rng.choice(zones)
            add(addr[zone_assets[z][0]], addr[zone_assets[z][-1]], 445, "smb", [])
        elif kind == 18:  # an uninventoried address in a zone's network
            z = rng.randrange(250)
            add(f"10.{z // 250}.{z % 250}.{200 + rng.randrange(50)}", addr[zone_assets[zones[z]][0]], 22, "ssh", [])
        else:  # from outside every zone
            add(f"172.16.{rng.randrange(256)}.{rng.randrange(1, 255)}", addr[rng.choice(list(addr))], 3389, "rdp", [])
    m = len(cols["src"])
    base = 1_793_606_400_000_000
    first = [base + rng.randrange(3_600_000_000) for _ in range(m)]
    return pa.table({
        "first_seen": pa.array(first, pa.timestamp("us", tz="UTC")),
        "last_seen": pa.array([f + 5_000_000 for f in first], pa.timestamp("us", tz="UTC")),
        "src": cols["src"], "dst": cols["dst"], "sport": pa.array(cols["sport"], pa.int32()),
        "dport": pa.array(cols["dport"], pa.int32()), "l4": cols["l4"], "app": cols["app"],
        "ops": pa.array(cols["ops"], FLOW_SCHEMA.field("ops").type), "packets": pa.array(cols["packets"], pa.int64()),
        "bytes": pa.array([p * 80 for p in cols["packets"]], pa.int64()),
        **{k: pa.nulls(m, pa.int64()) for k in ("packets_fwd", "packets_rev", "bytes_fwd", "bytes_rev")},
    }, schema=FLOW_SCHEMA)


def repeat(patterns: pa.Table, total: int) -> pa.Table:
    parts, n, shift = [], 0, 0
    while n < total:
        part = patterns.slice(0, min(len(patterns), total - n))
        if shift:
            for col in ("first_seen", "last_seen"):
                moved = pc.cast(pc.add(pc.cast(part.column(col), pa.int64()), shift), FLOW_SCHEMA.field(col).type)
                part = part.set_column(part.schema.get_field_index(col), col, moved)
        parts.append(part)
        n += len(part)
        shift += 3_600_000_000
    return pa.concat_tables(parts)


def python_loop(plant, flows: pa.Table) -> Counter:
    """The same judging, written the obvious way: dictionaries, one flow at a time."""
    host = {str(a): (aid, asset.zone) for aid, asset in plant.assets.items() for a in asset.addresses}
    nets = [(ipaddress.ip_network(n), zid) for zid, z in plant.zones.items() for n in z.networks]
    by24 = {str(n.network_address).rsplit(".", 1)[0]: zid for n, zid in nets if n.prefixlen == 24}
    rules: dict[tuple[str, str], list] = {}
    for cid, c in plant.conduits.items():
        for r in c.flows:
            rules.setdefault(tuple(sorted(c.zones)), []).append((cid, r))
    counts: Counter = Counter()
    stray: set[str] = set()
    used: set[int] = set()

    def locate(address: str) -> tuple[str | None, str | None]:
        if address in host:
            return host[address]
        zone = by24.get(address.rsplit(".", 1)[0])
        stray.add(address)
        return None, zone

    for batch in flows.to_batches(max_chunksize=100_000):
        for f in batch.to_pylist():
            (sa, sz), (da, dz) = locate(f["src"]), locate(f["dst"])
            if sz is None or dz is None or sz == dz:
                continue
            candidates = rules.get(tuple(sorted((sz, dz))))
            if candidates is None:
                counts["no_conduit"] += 1
                continue
            matched = [r for cid, r in candidates
                       if (r.from_ == sa or r.from_ == sz) and (r.to == da or r.to == dz)
                       and r.protocol in (f["app"], f["l4"]) and (not r.ports or f["dport"] in r.ports)]
            if not matched:
                counts["not_allowed"] += 1
                continue
            used.update(id(r) for r in matched)
            for op, _ in f["ops"] or ():
                cls = classify(f["app"], op)
                if cls and not any(r.ops is None or op in r.ops or cls in r.ops for r in matched):
                    counts["op_not_allowed"] += 1
    counts["stray_addresses"] = len(stray)
    return counts


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flows", type=int, default=10_000_000)
    ap.add_argument("--distinct", type=int, default=DISTINCT,
                    help="distinct conversations (src, dst, port, application) among the flows")
    ap.add_argument("--loop-flows", type=int, default=1_000_000,
                    help="the Python loop reads this many of the flows (the same mix); its rate gives the ratio")
    args = ap.parse_args(argv)
    plant = ensure_plant()
    t = time.perf_counter()
    flows = repeat(flow_patterns(plant, args.distinct), args.flows)
    print(f"{len(flows):,} flows ({args.distinct:,} distinct conversations) against {len(plant.assets):,} assets, "
          f"{len(plant.zones)} zones, {len(plant.conduits)} conduits; built in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    result = conformance(plant, flows)
    sql = time.perf_counter() - t
    kinds = Counter(v.kind for v in result.verdicts)
    sample = flows.slice(0, min(args.loop_flows, len(flows)))
    t = time.perf_counter()
    loop = python_loop(plant, sample)
    naive = time.perf_counter() - t
    sql_rate, loop_rate = len(flows) / sql, len(sample) / naive
    print(f"conformance (DuckDB): {sql:6.1f} s for {len(flows):,} flows, {sql_rate:12,.0f} flows/s; "
          f"verdicts {dict(kinds)}")
    print(f"plain Python loop:    {naive:6.1f} s for {len(sample):,} flows, {loop_rate:12,.0f} flows/s "
          f"(all {len(flows):,}: about {len(flows) / loop_rate:,.0f} s); per-flow counts {dict(loop)}")
    print(f"ratio: {sql_rate / loop_rate:.1f}x the loop's rate; goal: 10M flows in under 20 s")
    print(json.dumps({"flows": len(flows), "sql_s": round(sql, 2), "sql_flows_per_s": round(sql_rate),
                      "loop_flows": len(sample), "loop_s": round(naive, 2), "loop_flows_per_s": round(loop_rate),
                      "ratio": round(sql_rate / loop_rate, 1), "verdicts": dict(kinds)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
