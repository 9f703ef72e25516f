#!/usr/bin/env python3
"""Attack paths on the 20,000-asset plant: depth of every target and proof of every compensation.

Uses the plant of gen_plant.py (20,000 assets, 500 zones, 2,000 conduits) with every 25th zone
made an entry point (untrusted), and times, in one run, `analysis.paths.analyse` against the
baseline of one Dijkstra per (entry point, target) pair, the obvious way, on a sample of targets.

    python benchmarks/bench_paths.py
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import time

import networkx as nx
from common import HERE, PLANT, ensure_plant

from zonewarden.analysis.paths import AttackGraph, analyse, targets
from zonewarden.model.load import load_plant

ENTRIES = HERE / "out" / "plant-20k-entries.yaml"
SAMPLE = 200


def main() -> int:
    text = ensure_plant(PLANT).read_text()
    ENTRIES.write_text(re.sub(r"(  z\d\d[02468]0: \{name: Zone \d+, level: \d, kind: \w+, )",
                              r"\1trust: untrusted, ", text))
    plant = load_plant(ENTRIES)
    sl = {zid: [3] * 7 for zid in plant.zones}
    t = time.perf_counter()
    found = analyse(plant, sl)
    ours = time.perf_counter() - t
    graph = AttackGraph(plant)
    sample = targets(plant)[:SAMPLE]
    t = time.perf_counter()
    for aid in sample:
        zone = plant.assets[aid].zone
        for entry in graph.entries:
            with contextlib.suppress(nx.NetworkXNoPath):
                nx.dijkstra_path(graph.graph, ("zone", entry), ("zone", zone), weight=graph._weight)
    naive = (time.perf_counter() - t) / len(sample) * len(found.targets)
    below = sum(t.below_policy for t in found.targets)
    print(f"{len(plant.assets):,} assets, {len(plant.zones)} zones ({len(graph.entries)} entry points), "
          f"{len(plant.conduits):,} conduits, {len(found.targets):,} targets, "
          f"{len(found.compensations):,} compensations")
    print(f"analyse: {ours:.2f} s ({below} targets below policy, "
          f"{sum(not c.proven for c in found.compensations)} compensations unproven)")
    print(f"one Dijkstra per entry and target: {naive:.1f} s (from {len(sample)} targets); ratio {naive / ours:.1f}x; "
          "goal: under 5 s")
    print(json.dumps({"assets": len(plant.assets), "targets": len(found.targets), "seconds": round(ours, 2),
                      "naive_seconds": round(naive, 1), "ratio": round(naive / ours, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
