#!/usr/bin/env python3
"""Write a synthetic plant of 20,000 assets, 500 zones and 2,000 conduits (deterministic, check-clean).

    python benchmarks/gen_plant.py [OUT.yaml] [--assets N --zones N --conduits N]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

KINDS = ["control", "supervisory", "engineering", "safety", "operations", "field"]
FUNCS = [("plc", "embedded_device"), ("hmi", "host_device"), ("rtu", "embedded_device"),
         ("switch", "network_device"), ("historian", "host_device"), ("io_module", "embedded_device")]
PROTOS = [("modbus", 502, "[read]"), ("s7comm", 102, "[read, write]"), ("opcua", 4840, "[read]"),
          ("enip", 44818, "[read]"), ("dnp3", 20000, "[read, control]")]


def generate(assets: int, zones: int, conduits: int, seed: int = 62443) -> str:
    rnd = random.Random(seed)
    per_zone = max(1, assets // zones)
    lines = ["# Synthetic plant for benchmarks/bench_check.py (generated; do not edit).", "zonewarden: 1",
             "plant: {name: Synthetic fleet plant, site: Benchmark, owner: owner}", "roles:",
             "  owner: {kind: asset_owner, name: Owner}", "  integ: {kind: integrator, name: Integrator}"]
    lines += [f"  vendor-{v}: {{kind: product_supplier, name: Vendor {v}}}" for v in range(10)]
    lines.append("zones:")
    for z in range(zones):
        kind = KINDS[z % len(KINDS)]
        lvl = {"control": 1, "field": 0, "safety": 1, "supervisory": 2, "engineering": 2, "operations": 3}[kind]
        target = "auto" if z % 3 == 0 else f"[{rnd.randint(1, 3)}, 2, 2, 1, {rnd.randint(1, 3)}, 1, 2]"
        lines.append(f"  z{z:04d}: {{name: Zone {z}, level: {lvl}, kind: {kind}, "
                     f"networks: [10.{z // 250}.{z % 250}.0/24], sl_target: {target}, owner: owner}}")
    lines.append("assets:")
    legacy = []
    for a in range(assets):
        z = a % zones
        host = 10 + a // zones
        func, typ = FUNCS[a % len(FUNCS)]
        is_legacy = func == "plc" and a % 7 == 0
        if is_legacy:
            legacy.append(a)
        cap = (f", capability: {{sl: [{rnd.randint(0, 2)}, 1, 1, 0, 1, 1, 1], source: datasheet}}"
               if a % 4 == 0 else "")
        lines.append(
            f"  a{a:05d}: {{zone: z{z:04d}, type: {typ}, function: {func}, vendor: Vendor {a % 10}, "
            f"product: P-{a % 97}, firmware: 'V{a % 5}.{a % 13}.{a % 3}', addresses: [10.{z // 250}.{z % 250}.{host}], "
            f"supplier: vendor-{a % 10}, criticality: {('low', 'medium', 'high')[a % 3]}"
            f"{', legacy: true' if is_legacy else ''}{cap}}}")
    lines.append("conduits:")
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < conduits:
        a = rnd.randrange(zones)
        b = (a + rnd.randint(1, 12)) % zones
        if a != b:
            pairs.add((min(a, b), max(a, b)))
    for i, (a, b) in enumerate(sorted(pairs)):
        proto, port, ops = PROTOS[i % len(PROTOS)]
        src = f"a{(b + zones * rnd.randrange(per_zone)):05d}"
        dst = f"a{(a + zones * rnd.randrange(per_zone)):05d}"
        lines += [f"  c{i:04d}:", f"    zones: [z{a:04d}, z{b:04d}]", f"    countermeasures: [fw{i:04d}]",
                  "    flows:",
                  f"      - {{from: {src}, to: {dst}, protocol: {proto}, port: {port}, ops: {ops}}}",
                  f"      - {{from: z{b:04d}, to: z{a:04d}, protocol: ntp, port: 123}}"]
    lines.append("countermeasures:")
    for i in range(len(pairs)):
        lines.append(f"  fw{i:04d}: {{kind: firewall, at: {{conduit: c{i:04d}}}, meets: [SR 5.1, SR 5.2, SR 5.2 RE 1], "
                     "owner: integ}")
    for z in range(zones):
        lines.append(f"  jump{z:04d}: {{kind: jump_host, at: {{zone: z{z:04d}}}, meets: [SR 1.1, SR 1.13]}}")
    lines.append("compensations:")
    for a in legacy:
        lines.append(f"  - {{asset: a{a:05d}, requirement: CR 1.1, by: [jump{a % zones:04d}], approved_by: owner, "
                     "justification: no accounts on the PLC; access only through the jump host}")
    lines += ["risk:", "  matrix: {likelihood: 5, consequence: 5}", "  tolerable: 6", "  scenarios:"]
    for z in range(zones):
        lines.append(f"    - {{id: s{z:04d}, zone: z{z:04d}, source: z{(z + 1) % zones:04d}, "
                     "techniques: [T0866, T0886], "
                     f"likelihood: {rnd.randint(1, 5)}, consequence: {{safety: {rnd.randint(1, 5)}, "
                     f"production: {rnd.randint(1, 5)}}}}}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", default=str(Path(__file__).parent / "out" / "plant-20k.yaml"))
    ap.add_argument("--assets", type=int, default=20_000)
    ap.add_argument("--zones", type=int, default=500)
    ap.add_argument("--conduits", type=int, default=2_000)
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(generate(args.assets, args.zones, args.conduits))
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
