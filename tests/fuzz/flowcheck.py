"""The contract every flow-log fuzz target checks: a table whose rows render, or one error naming the file and
a line, in bounded CPU time."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from zonewarden.traffic.capture import CaptureError
from zonewarden.traffic.sources import read_traffic
from zonewarden.traffic.table import FlowTableError, rows

SECONDS = 3.0  # CPU time one input may take: a log of a few kilobytes reads in milliseconds


def read_cleanly(path: Path, *others: Path, unlocated: tuple[str, ...]) -> None:
    """Read `path` (with `others`, unchanged) as `flows` does; an error without a line must start with one of
    `unlocated` (the file as a whole is refused)."""
    t = time.process_time()
    read = read_traffic([path, *others])
    for row in rows(read.table):
        json.dumps(row)
    elapsed = time.process_time() - t
    assert elapsed < SECONDS, f"{path.name}: {elapsed:.1f} s"
    assert len(read.errors) <= 1, read.errors
    for e in read.errors:
        if isinstance(e, CaptureError):  # the mutation wrote a capture's magic number: the capture reader's turn
            assert e.message and str(path) in str(e)
            continue
        assert isinstance(e, FlowTableError), repr(e)
        message = str(e)
        assert message.startswith(f"{path}: ") and "\n" not in message, message
        rest = message[len(f"{path}: "):]
        assert re.match(r"line \d+: \S", rest) or rest.startswith(unlocated), message
