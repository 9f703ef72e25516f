"""All 2,379 CISA CSAF advisories against a 5,000-asset inventory (goal: under 10 s in all).

The inventory: 4,000 assets made from real advisory products (vendor spelled as inventories do, product
name, model number when the advisory gives one, a firmware near the affected range) and 1,000 assets of
products no advisory names. Baselines measured in the same run: reading the JSON files alone, and a naive
matcher that compares every asset with every advisory product (timed on 100 assets, scaled to 5,000).
Run: .venv/bin/python benchmarks/bench_advisories.py [CSAF_DIR]
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

from zonewarden.advisories.csaf import read_folder
from zonewarden.advisories.match import Item, Matcher, judge
from zonewarden.advisories.names import name_tokens, vendor_keys

CSAF = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared/data/csaf"


def inventory(corpus, n: int = 5000, seed: int = 7) -> list[Item]:
    rnd = random.Random(seed)
    entries = [e for a in corpus.advisories for e in a.products]
    items = []
    for i in range(n * 4 // 5):
        e = rnd.choice(entries)
        vendor = e.vendor.split(",")[0].strip().title() if rnd.random() < 0.5 else e.vendor
        fw = rnd.choice(["V1.0", "2.4.1", "V3.2 SP1", "5.0", None, "V4.1.8", "2019"])
        items.append(Item(f"a{i}", vendor, e.product, e.model_numbers[0] if e.model_numbers else None, fw))
    for i in range(n - len(items)):
        items.append(Item(f"b{i}", rnd.choice(["Acme", "Contoso", "Initech"]), f"Widget {i}", f"W-{i:05d}", "1.0"))
    return items


def naive(corpus, items: list[Item]) -> int:
    """Every asset against every product entry: vendor keys, then name tokens, then the range."""
    hits = 0
    flat = [(e, vendor_keys(e.vendor), name_tokens(e.product, e.vendor)) for a in corpus.advisories for e in a.products]
    for it in items:
        keys, tokens = vendor_keys(it.vendor), name_tokens(it.product, it.vendor)
        for e, ek, et in flat:
            if keys & ek and et == tokens[: len(et)]:
                judge(e, "affected", it.firmware)
                hits += 1
    return hits


def main() -> int:
    t = time.perf_counter()
    for p in sorted(CSAF.rglob("*.json")):
        json.loads(p.read_bytes())
    t_json = time.perf_counter() - t
    t = time.perf_counter()
    corpus = read_folder(CSAF)
    t_read = time.perf_counter() - t
    items = inventory(corpus)
    t = time.perf_counter()
    matcher = Matcher(corpus.advisories)
    t_index = time.perf_counter() - t
    t = time.perf_counter()
    matches = matcher.match_all(items)
    t_match = time.perf_counter() - t
    t = time.perf_counter()
    naive(corpus, items[:100])
    t_naive = (time.perf_counter() - t) * len(items) / 100
    total = t_read + t_index + t_match
    outcomes = Counter(m.outcome for m in matches)
    print(f"{len(corpus.advisories)} advisories, {sum(len(a.products) for a in corpus.advisories)} products; "
          f"{len(items)} assets; {len(matches)} (asset, advisory) matches: {dict(outcomes)}")
    print(f"baseline json.loads of every file      {t_json:6.2f} s")
    print(f"read CSAF (parse + flatten)            {t_read:6.2f} s  {t_read / t_json:5.2f}x the baseline")
    print(f"index products                         {t_index:6.2f} s  {t_index / t_json:5.2f}x")
    print(f"match 5,000 assets                     {t_match:6.2f} s  {t_match / t_json:5.2f}x")
    print(f"total                                  {total:6.2f} s  (goal < 10 s: {'met' if total < 10 else 'NOT met'})")
    print(f"naive all-pairs matcher (scaled)       {t_naive:6.2f} s  the index is {t_naive / t_match:,.0f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
