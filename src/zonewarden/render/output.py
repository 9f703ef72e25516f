"""Writing what we render: atomically, so a crash never leaves half a report or schema behind, and through
what is not a regular file (`-o /dev/null`, a FIFO), which a rename would replace."""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write to a temporary file beside `path`, then rename it over `path` (see `open_output`)."""
    write_atomic_chunks(path, (data,))


def write_atomic_chunks(path: str | os.PathLike[str], chunks: Iterable[str | bytes]) -> None:
    """`write_atomic` for output produced piece by piece."""
    with open_output(path) as fh:
        for data in chunks:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)


@contextmanager
def open_output(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A binary file to write `path` through, as a shell's `>` would but atomic for regular files.

    - a regular file (or none yet): written beside it and renamed over it on success, so a reader never sees
      half of it and a failure leaves the old one; created with the mode the umask gives (0644 under 022), an
      existing file keeps its mode;
    - a symbolic link: followed, its target replaced (the link stays a link);
    - a character device, a FIFO or a socket (`/dev/null`, `/dev/stdout`, a named pipe): written through,
      never replaced by a regular file;
    - a folder: IsADirectoryError.
    """
    target = Path(os.path.realpath(path))
    try:
        mode: int | None = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder", str(path))
    if mode is not None and not stat.S_ISREG(mode):
        with open(target, "wb") as fh:
            yield fh
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp, fd = _temporary_beside(target)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, stat.S_IMODE(mode))
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _temporary_beside(target: Path) -> tuple[Path, int]:
    """A new file beside `target`, opened for writing with mode 0666 less the umask (mkstemp would give 0600)."""
    for _ in range(100):
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
                                | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(target))  # pragma: no cover


_NUMBER_LIST = re.compile(r"\[\s+(-?\d+(?:\.\d+)?(?:,\s+-?\d+(?:\.\d+)?)*)\s+\]")


def to_json(obj: Any, *, compact: bool = False) -> str:
    """Indented JSON with lists of numbers (SL vectors) kept on one line; `compact`: one line, for big documents
    (Python's fast C encoder does not indent)."""
    if compact:
        return json.dumps(obj, ensure_ascii=False, default=str, separators=(",", ":")) + "\n"
    text = json.dumps(obj, indent=2, ensure_ascii=False, default=str)
    return _NUMBER_LIST.sub(lambda m: "[" + ", ".join(m.group(1).split(",")).replace(",  ", ", ").replace(
        "\n", "").replace("  ", "") + "]", text) + "\n"
