#!/usr/bin/env python3
"""Time `zonewarden assess` on the 20,000-asset plant; print the ratio to load + check alone.

Goal: the assessment (load + check + assess) in under 5 s on one core.

    python benchmarks/bench_assess.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import PLANT, best_of, ensure_plant  # noqa: E402

from zonewarden.analysis.assess import assess  # noqa: E402
from zonewarden.analysis.checks import check_raw  # noqa: E402
from zonewarden.model.load import read_raw  # noqa: E402


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--plant", default=str(PLANT))
    args = ap.parse_args(argv)
    path = ensure_plant(Path(args.plant))
    keep = {}

    def check() -> None:
        keep["r"] = check_raw(read_raw(path))

    def full() -> None:
        r = check_raw(read_raw(path))
        keep["a"] = assess(r.plant)

    check()
    full()  # warm: imports, catalog and ATT&CK caches
    t_check = best_of(args.repeat, check, keep)
    t_full = best_of(args.repeat, full, keep)
    full()
    a = keep["a"]
    report = {"assets": len(a.capabilities), "zones": len(a.zones), "conduits": len(a.conduits),
              "gaps": len(a.gaps), "load_check_s": round(t_check, 3), "load_check_assess_s": round(t_full, 3),
              "assess_only_s": round(t_full - t_check, 3), "ratio": round(t_full / t_check, 2)}
    print(f"plant: {report['assets']} assets, {report['zones']} zones, {report['conduits']} conduits; "
          f"{report['gaps']} gaps")
    print(f"load + check:          {t_check:.3f} s (best of {args.repeat})")
    print(f"load + check + assess: {t_full:.3f} s (best of {args.repeat})  goal < 5 s")
    print(f"ratio: {report['ratio']}x")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
