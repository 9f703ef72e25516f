"""Reading a plant's files as untrusted input: regular files only, of bounded size, never a hang.

A path in a plant (`include:`) or on the command line may name a FIFO (open blocks until a writer
comes), a device such as /dev/zero (reads until memory runs out), a symbolic-link loop or a name
longer than the system allows. Each becomes one PlantReadError naming the file and what was expected.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from .diagnostics import Location, PlantReadError

MAX_FILE_BYTES = 32 * 2**20  # an 80,000-asset plant is 19 MB of YAML
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def os_reason(e: OSError) -> str:
    """An OSError as a plant author reads it."""
    if e.errno == errno.ELOOP:
        return "a loop of symbolic links"
    if e.errno == errno.ENAMETOOLONG:
        return "the name is longer than the system allows"
    return e.strerror or str(e)


def path_kind(path: Path, display: str, via: Location | None = None) -> str:
    """'dir', 'file' (anything else that exists) or 'missing'; a path that cannot even be looked at is an error."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "missing"
    except NotADirectoryError:
        return "missing"
    except OSError as e:
        raise PlantReadError(f"{display}: cannot read ({os_reason(e)})", via) from None
    except (RuntimeError, ValueError) as e:  # a symlink loop on older Pythons, a NUL byte in the name
        raise PlantReadError(f"{display}: cannot read ({e})", via) from None
    return "dir" if stat.S_ISDIR(mode) else "file"


def resolved(path: Path, display: str, via: Location | None = None) -> Path:
    """`path.resolve()`, with loops and over-long names as located errors (Python 3.11 raises RuntimeError)."""
    try:
        return path.resolve()
    except OSError as e:
        raise PlantReadError(f"{display}: cannot read ({os_reason(e)})", via) from None
    except (RuntimeError, ValueError) as e:
        raise PlantReadError(f"{display}: cannot read ({e})", via) from None


def read_regular(path: Path, display: str, via: Location | None = None, *, what: str = "file",
                 limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes. Opened without blocking (a FIFO does not hang)
    and checked on the open descriptor, so the file cannot be swapped between the check and the read."""
    prefix = f"{what} {display}" if what != "file" else display
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise PlantReadError(f"{prefix}: no such file", via) from None
    except PermissionError:
        raise PlantReadError(f"{prefix}: permission denied", via) from None
    except OSError as e:
        raise PlantReadError(f"{prefix}: cannot read ({os_reason(e)})", via) from None
    except (RuntimeError, ValueError) as e:
        raise PlantReadError(f"{prefix}: cannot read ({e})", via) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise PlantReadError(f"{prefix}: is a folder, expected a YAML file", via)
        if not stat.S_ISREG(st.st_mode):
            raise PlantReadError(f"{prefix}: not a regular file (a FIFO, socket or device); expected a YAML file",
                                 via)
        if st.st_size > limit:
            raise PlantReadError(f"{prefix}: {st.st_size:,} bytes, more than the {limit // 2**20} MiB a plant "
                                 "file may hold", via)
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if size > limit:
                raise PlantReadError(f"{prefix}: more than the {limit // 2**20} MiB a plant file may hold", via)
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as e:
        raise PlantReadError(f"{prefix}: cannot read ({os_reason(e)})", via) from None
    finally:
        os.close(fd)
