"""Jobs for tests/web/test_isolation.py: module-level, so the isolated child can import them by name."""

from __future__ import annotations

import os
import time


def echo(value: object) -> object:
    return value


def allocate(mib: int) -> int:
    """Touch `mib` MiB one MiB at a time, as a plant that keeps growing would."""
    held = [bytearray(1024 * 1024) for _ in range(mib)]
    return len(held)


def sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def spin(seconds: float) -> int:
    """Burn CPU (as a parser in a loop would) for `seconds`."""
    n, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        n += 1
    return n


def fail() -> None:
    raise ValueError("a bug in the job")


def die(status: int) -> None:
    os._exit(status)
