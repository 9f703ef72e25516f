#!/usr/bin/env python3
"""Set up and run zonewarden from a fresh clone with nothing but Python 3.11+.

    python3 dev.py demo    # check, assess and judge the traffic of the bundled example plant
    python3 dev.py test    # the whole test suite (ruff + pytest), as CI runs it

Each command creates `.venv` on first use and reinstalls only when pyproject.toml changed.
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
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def run(*cmd: str | os.PathLike[str]) -> int:
    print("$", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.call([str(c) for c in cmd], cwd=ROOT)


def ensure_env() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script must run (and explain) on older Pythons
        sys.exit(f"zonewarden needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    stamp = VENV / ".installed"
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == want:
        return
    if not (BIN / "python").exists():
        print(f"creating {VENV.name} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    pip = [BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if run(*pip, "-e", ".[test]") != 0:
        sys.exit("installing zonewarden and its test dependencies failed (see pip's message above)")
    stamp.write_text(want)


def main(argv: list[str]) -> int:
    what = argv[0] if argv else "help"
    if what == "demo":
        ensure_env()
        return run(BIN / "zonewarden", "demo", *argv[1:])
    if what == "test":
        ensure_env()
        rc = run(BIN / "ruff", "check", "src", "tests", "benchmarks", "scripts", "dev.py")
        return rc or run(BIN / "python", "-m", "pytest", *argv[1:])
    print(__doc__)
    return 0 if what in ("help", "-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
