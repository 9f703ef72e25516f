"""Shared by the benchmarks: the synthetic plant on disk, and best-of-n timing."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path

from gen_plant import generate

HERE = Path(__file__).resolve().parent
PLANT = HERE / "out" / "plant-20k.yaml"


def ensure_plant(path: Path) -> Path:
    """Write the 20,000-asset plant if it is not there yet (benchmarks/out is not in git)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(generate(20_000, 500, 2_000))
    return path


def best_of(n: int, fn: Callable[[], object], keep: dict | None = None) -> float:
    """Best wall time of n runs; the previous run's result (in `keep`) is freed first, outside the timing."""
    times = []
    for _ in range(n):
        if keep is not None:
            keep.clear()
        gc.collect()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)
