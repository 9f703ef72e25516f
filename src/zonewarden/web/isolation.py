"""Untrusted files are read in a child process with a time and a memory limit, never in the server itself.

A plant upload, a capture or a response workbook is read by code that a crafted file can make slow or
large (a YAML alias bomb, a capture of millions of tiny flows, a zip bomb inside a workbook). A thread
cannot be stopped, and it shares the server's memory and, while it runs C code, its one interpreter lock:
every request, `/healthz` included, would wait for it. A child process can be killed when its time is
up, and `RLIMIT_AS` makes its own allocations fail (MemoryError) long before the server's would. Children
are forked from a forkserver that has the analysis modules imported (web/untrusted.py), so a job starts
in about a tenth of a second; at most `parallel` run at once, the others wait for a slot.
docs/web.md#limits.
"""

from __future__ import annotations

import multiprocessing
import resource
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PRELOAD = ["zonewarden.web.untrusted"]


@dataclass(frozen=True)
class Limits:
    """What one job may use: wall-clock seconds, address space in MiB, and how many run at once."""

    seconds: float = 120.0
    memory_mb: int = 4096
    parallel: int = 2


class LimitExceeded(Exception):
    """The job ran out of time or memory; `status` is the HTTP answer (413 memory, 422 time)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class JobFailed(RuntimeError):
    """The job raised an exception nobody expected; the child's traceback is in the message (for the log)."""


def _child(conn, job: Callable[..., Any], args: tuple, memory: int, seconds: float) -> None:
    """Runs in the child: set the limits, run the job, send ("ok", result), ("memory", None) or ("error", text)."""
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(seconds) + 2  # a second stop that does not depend on the parent: SIGXCPU past the time limit
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    try:
        answer: tuple[str, Any] = ("ok", job(*args))
    except MemoryError:
        answer = ("memory", None)
    except Exception:
        answer = ("error", traceback.format_exc())
    try:
        conn.send(answer)
    except MemoryError:  # the result itself does not fit
        conn.send(("memory", None))
    finally:
        conn.close()


class Isolation:
    """Runs jobs (module-level functions of web/untrusted.py) in limited child processes."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._slots = threading.BoundedSemaphore(self.limits.parallel)
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(PRELOAD)

    def warm(self) -> None:
        """Start the forkserver now (it imports the analysis once, a few seconds), not on the first upload."""
        from multiprocessing import forkserver

        threading.Thread(target=forkserver.ensure_running, name="zonewarden-forkserver", daemon=True).start()

    def run(self, job: Callable[..., Any], *args: Any, what: str = "the file") -> Any:
        """job(*args) in a child process: its result, or LimitExceeded (time, memory) or JobFailed."""
        limits = self.limits
        with self._slots:
            receiver, sender = self._context.Pipe(duplex=False)
            child = self._context.Process(target=_child, daemon=True, name="zonewarden-check",
                                          args=(sender, job, args, limits.memory_mb * 1024 * 1024, limits.seconds))
            started = time.monotonic()
            child.start()
            sender.close()
            try:
                if not receiver.poll(limits.seconds):
                    raise LimitExceeded(f"{what} could not be checked within the server's limit of {limits.seconds:g} "
                                        "seconds (zonewarden serve --check-seconds)", 422)
                kind, value = receiver.recv()
            except EOFError:  # the child ended without an answer: killed by the kernel or SIGXCPU, or a C abort
                child.join(5)
                used = time.monotonic() - started
                raise LimitExceeded(f"{what} could not be checked within the server's limits (the check stopped "
                                    f"after {used:.1f} s with exit status {child.exitcode}; limits "
                                    f"{limits.seconds:g} s, {limits.memory_mb:,} MiB)", 413) from None
            finally:
                receiver.close()
                if child.is_alive():
                    child.kill()
                child.join(5)
                if not child.is_alive():
                    child.close()
        if kind == "memory":
            raise LimitExceeded(f"{what} needs more than the server's limit of {limits.memory_mb:,} MiB to check "
                                "(zonewarden serve --check-memory)", 413)
        if kind == "error":
            print(value, file=sys.stderr)
            raise JobFailed(value)
        return value
