#!/usr/bin/env python3
"""Set up and run zonewarden from a fresh clone with nothing but Python 3.11+.

    python3 dev.py demo    # check, assess and judge the traffic of the bundled example plant
    python3 dev.py test    # the whole test suite (ruff + pytest), as CI runs it
    python3 dev.py lock    # refresh requirements.lock after a change of pyproject.toml (--upgrade: newest of all)

Each command creates `.venv` on first use and installs the exact versions of requirements.lock (checked
against their hashes), reinstalling only when pyproject.toml or the lock changed. pyproject.toml keeps
ranges for people who install zonewarden into an environment of their own.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCK = ROOT / "requirements.lock"
UV = "uv==0.13.10"  # the resolver that writes requirements.lock (a universal lock with hashes)
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def run(*cmd: str | os.PathLike[str]) -> int:
    print("$", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.call([str(c) for c in cmd], cwd=ROOT)


def ensure_env() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script must run (and explain) on older Pythons
        sys.exit(f"zonewarden needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    stamp = VENV / ".installed"
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + LOCK.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == want:
        return
    if not (BIN / "python").exists():
        print(f"creating {VENV.name} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    pip = [BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    # the locked versions first (every file checked against its hash), then zonewarden itself on top of them
    if run(*pip, "--require-hashes", "--no-deps", "-r", LOCK.name) != 0:
        sys.exit(f"installing the locked dependencies of {LOCK.name} failed (see pip's message above)")
    if run(*pip, "--no-deps", "--no-build-isolation", "-e", ".") != 0:
        sys.exit("installing zonewarden failed (see pip's message above)")
    if run(BIN / "python", "-m", "pip", "check") != 0:
        sys.exit(f"{LOCK.name} does not satisfy pyproject.toml: run `python3 dev.py lock`")
    stamp.write_text(want)


def lock(args: list[str]) -> int:
    """Resolve pyproject.toml (with the test, postgresql and bench extras) and requirements.in to exact versions
    with hashes, for every platform and Python from 3.11 (uv's universal resolution). Versions already locked are
    kept where they still fit; `--upgrade` takes the newest of everything."""
    if not (BIN / "python").exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    if run(BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", UV) != 0:
        sys.exit(f"installing {UV} failed (see pip's message above)")
    return run(BIN / "uv", "pip", "compile", "pyproject.toml", "requirements.in", "--extra", "test",
               "--extra", "postgresql", "--extra", "bench", "--universal", "--python-version", "3.11",
               "--generate-hashes", "--no-header", "--annotation-style", "line", "-o", LOCK.name, *args)


def main(argv: list[str]) -> int:
    what = argv[0] if argv else "help"
    if what == "demo":
        ensure_env()
        return run(BIN / "zonewarden", "demo", *argv[1:])
    if what == "lock":
        return lock(argv[1:])
    if what == "test":
        ensure_env()
        rc = run(BIN / "ruff", "check", "src", "tests", "benchmarks", "scripts", "dev.py")
        return rc or run(BIN / "python", "-m", "pytest", *argv[1:])
    print(__doc__)
    return 0 if what in ("help", "-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
