"""Writing what we render: atomically, so a crash never leaves half a report or schema behind."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write to a temporary file beside `path`, then rename it over `path`."""
    write_atomic_chunks(path, (data,))


def write_atomic_chunks(path: str | os.PathLike[str], chunks: Iterable[str | bytes]) -> None:
    """`write_atomic` for output produced piece by piece."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            for data in chunks:
                fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_NUMBER_LIST = re.compile(r"\[\s+(-?\d+(?:\.\d+)?(?:,\s+-?\d+(?:\.\d+)?)*)\s+\]")


def to_json(obj: Any, *, compact: bool = False) -> str:
    """Indented JSON with lists of numbers (SL vectors) kept on one line; `compact`: one line, for big documents
    (Python's fast C encoder does not indent)."""
    if compact:
        return json.dumps(obj, ensure_ascii=False, default=str, separators=(",", ":")) + "\n"
    text = json.dumps(obj, indent=2, ensure_ascii=False, default=str)
    return _NUMBER_LIST.sub(lambda m: "[" + ", ".join(m.group(1).split(",")).replace(",  ", ", ").replace(
        "\n", "").replace("  ", "") + "]", text) + "\n"
