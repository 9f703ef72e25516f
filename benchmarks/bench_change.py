#!/usr/bin/env python3
"""Change impact on the 20,000-asset plant (500 zones, 2,000 conduits): `zonewarden diff` against the assessment.

A change of the size a change board sees (firmware of 50 PLCs, one new conduit with a rule, one
compensation withdrawn) is applied to a copy of the plant; the run times, in one process, the
baseline `zonewarden assess --format json` work, the semantic diff alone, and the whole impact (both
plants reviewed, checked and compared), each as a ratio to the baseline. The impact reviews two
plants, so about 2x the baseline plus the comparison is the floor.

    python benchmarks/bench_change.py
"""

from __future__ import annotations

import json
import sys

from common import PLANT, best_of, ensure_plant

from zonewarden.analysis.assess import assess
from zonewarden.analysis.diff import diff
from zonewarden.analysis.impact import impact
from zonewarden.model.load import load_plant
from zonewarden.model.plant import Conduit, FlowRule
from zonewarden.render.assessment import assessment_json


def changed(plant):
    new = plant.model_copy()  # shallow: the elements that change are replaced, the rest is shared
    new.assets, new.conduits = dict(plant.assets), dict(plant.conduits)
    plcs = [aid for aid, a in new.assets.items() if a.function == "plc"][:50]
    for aid in plcs:
        new.assets[aid] = new.assets[aid].model_copy(update={"firmware": "V9.9.9"})
    zones = list(new.zones)
    a, b = zones[0], zones[-1]
    new.conduits["bench-new"] = Conduit(zones=[a, b], flows=[FlowRule.model_validate(
        {"from": a, "to": b, "protocol": "modbus", "port": 502, "ops": ["read"]})])
    if new.compensations:
        new.compensations = new.compensations[1:]
    return new, len(plcs)


def main() -> int:
    plant = load_plant(ensure_plant(PLANT))
    new, plcs = changed(plant)
    base = best_of(2, lambda: json.dumps(assessment_json(assess(plant))))
    keep: dict = {}
    t_diff = best_of(2, lambda: keep.__setitem__("d", diff(plant, new)))
    t_impact = best_of(1, lambda: keep.__setitem__("i", impact(plant, new)))
    i = keep["i"]
    print(f"{len(plant.assets):,} assets, {len(plant.zones)} zones, {len(plant.conduits):,} conduits; change: "
          f"firmware of {plcs} PLCs, 1 conduit, 1 compensation withdrawn -> {len(keep['d'].changes)} changes, "
          f"{len(i.effects):,} effects, {len(i.reverify)} to verify again")
    print(f"baseline: assess + JSON {base:.2f} s")
    for name, secs in (("semantic diff", t_diff), ("impact (diff + both reviews)", t_impact)):
        print(f"{name:30} {secs:6.2f} s  {secs / base:5.2f}x baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
