"""Crosswalk coverage of the 20,000-asset plant towards all five frameworks, against the assess + JSON baseline.

The crosswalk reads the one assessment; what it adds is the per-requirement states (4-2 items walk every
component) and one pass over each framework's items. Run: .venv/bin/python benchmarks/bench_crosswalk.py
"""

from __future__ import annotations

import json
import sys

from common import PLANT, best_of, ensure_plant

from zonewarden.analysis.assess import assess
from zonewarden.analysis.crosswalk import coverage
from zonewarden.model.load import load_plant
from zonewarden.render.assessment import assessment_json
from zonewarden.render.crosswalk import crosswalk_json
from zonewarden.standard.catalog import load_catalog
from zonewarden.standard.crosswalk import FRAMEWORKS, load_crosswalk


def main() -> int:
    plant = load_plant(ensure_plant(PLANT))
    catalog = load_catalog()
    t_load = best_of(1, lambda: (load_crosswalk.cache_clear(), load_crosswalk()))
    cw = load_crosswalk()
    keep: dict = {}
    base = best_of(2, lambda: keep.__setitem__("a", assess(plant, catalog=catalog)))
    a = keep["a"]
    base += best_of(2, lambda: json.dumps(assessment_json(a)))
    print(f"{len(plant.assets):,} assets, {len(plant.zones)} zones, {len(plant.conduits):,} conduits; "
          f"crosswalk of {len(cw.edges):,} edges (loaded and composed in {t_load:.2f} s)")
    print(f"baseline: assess + JSON {base:.2f} s")
    for fw in FRAMEWORKS:
        secs = best_of(2, lambda fw=fw: json.dumps(crosswalk_json(coverage(a, cw, fw, catalog))))
        print(f"crosswalk --to {fw:10} {secs:6.2f} s  {secs / base:5.2f}x baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
