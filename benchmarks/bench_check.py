#!/usr/bin/env python3
"""Time `zonewarden check` (load + every rule) on the 20,000-asset plant against a bare YAML parse.

Baseline, measured in the same run on the same file: `yaml.load(text, Loader=yaml.CSafeLoader)`,
which builds plain Python data with no positions, no validation and no checks. Goal: <= 1.5x.

    python benchmarks/bench_check.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import PLANT, best_of, ensure_plant  # noqa: E402

from zonewarden.analysis.checks import check_raw  # noqa: E402
from zonewarden.model.load import read_raw  # noqa: E402

PEAK = """
import resource, sys, yaml
sys.path.insert(0, {src!r})
if {ours}:
    from zonewarden.analysis.checks import check_raw
    from zonewarden.model.load import read_raw
    r = check_raw(read_raw({path!r}))
else:
    with open({path!r}, "rb") as fh:
        yaml.load(fh, Loader=yaml.CSafeLoader)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss_mb(path: Path, ours: bool) -> float:
    code = PEAK.format(src=str(HERE.parent / "src"), ours=ours, path=str(path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--plant", default=str(PLANT))
    args = ap.parse_args(argv)
    path = ensure_plant(Path(args.plant))
    size = path.stat().st_size

    # Peak memory first, in fresh interpreters: Linux carries ru_maxrss across exec, so a child
    # started after the timing runs would report this (by then large) process's peak.
    rss_bare, rss_ours = peak_rss_mb(path, False), peak_rss_mb(path, True)

    def bare() -> None:
        with open(path, "rb") as fh:
            yaml.load(fh, Loader=yaml.CSafeLoader)

    def bare_gc_paused() -> None:
        gc.disable()
        try:
            bare()
        finally:
            gc.enable()

    result = {}

    def ours() -> None:
        result["r"] = check_raw(read_raw(path))

    ours()  # warm imports and the catalog cache, as a long-lived process would have them
    r = result["r"]
    assert r.plant is not None, [f.message for f in r.findings[:3]]
    t_bare = best_of(args.repeat, bare)
    t_ours = best_of(args.repeat, ours, result)
    ours()
    t_strict = best_of(args.repeat, bare_gc_paused)
    report = {
        "file": str(path), "mb": round(size / 1e6, 2), "assets": len(r.plant.assets), "zones": len(r.plant.zones),
        "conduits": len(r.plant.conduits), "findings": len(r.findings),
        "bare_yaml_load_s": round(t_bare, 3), "zonewarden_check_s": round(t_ours, 3),
        "ratio": round(t_ours / t_bare, 2), "bare_yaml_load_gc_paused_s": round(t_strict, 3),
        "ratio_vs_gc_paused": round(t_ours / t_strict, 2),
        "peak_rss_mb_bare": round(rss_bare), "peak_rss_mb_check": round(rss_ours),
    }
    print(f"plant: {report['mb']} MB, {report['assets']} assets, {report['zones']} zones, "
          f"{report['conduits']} conduits, {report['findings']} findings")
    print(f"bare yaml.load(CSafeLoader): {t_bare:.3f} s   (best of {args.repeat})")
    print(f"zonewarden load + check:     {t_ours:.3f} s   (best of {args.repeat})")
    print(f"ratio: {report['ratio']}x   (goal <= 1.5x)")
    print(f"stricter baseline, bare load with the GC paused as we do: {t_strict:.3f} s -> ratio "
          f"{report['ratio_vs_gc_paused']}x")
    print(f"peak RSS: bare {rss_bare:.0f} MB, check {rss_ours:.0f} MB")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
