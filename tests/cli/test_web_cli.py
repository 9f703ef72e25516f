"""`zonewarden user` and `zonewarden audit verify` through real subprocesses, on an SQLite file."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

ZW = [sys.executable, "-m", "zonewarden.cli"]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*ZW, *args], input=stdin, capture_output=True, text=True, timeout=120)


def test_user_add_then_audit_verify_then_tamper(tmp_path: Path):
    db = tmp_path / "z.db"
    r = run("user", "add", "root-admin", "--role", "admin", "--password-stdin", "--db", str(db),
            stdin="a very long passphrase\n")
    assert r.returncode == 0, r.stderr
    assert "added root-admin (admin)" in r.stdout
    for name in ("ann", "bob", "cy"):
        assert run("user", "add", name, "--role", "auditor", "--password-stdin", "--db", str(db),
                   stdin="another long passphrase\n").returncode == 0
    listed = json.loads(run("user", "list", "--db", str(db), "-f", "json").stdout)
    assert [u["name"] for u in listed] == ["ann", "bob", "cy", "root-admin"]

    ok = run("audit", "verify", "--db", str(db), "-f", "json")
    assert ok.returncode == 0
    head = json.loads(ok.stdout)
    assert head["ok"] and head["rows"] == 4

    with sqlite3.connect(db) as c:
        c.execute("UPDATE audit SET detail = '{\"role\":\"admin\"}' WHERE seq = 3")
    bad = run("audit", "verify", "--db", str(db))
    assert bad.returncode == 1
    assert "row 3's content does not match its hash" in bad.stderr and "first bad row: 3" in bad.stderr


def test_cut_off_rows_are_found_with_the_head(tmp_path: Path):
    db = tmp_path / "z.db"
    for name in ("ann", "bob", "cy"):
        run("user", "add", name, "--role", "auditor", "--password-stdin", "--db", str(db), stdin="x" * 14 + "\n")
    head = json.loads(run("audit", "verify", "--db", str(db), "-f", "json").stdout)["head"]
    with sqlite3.connect(db) as c:
        c.execute("DELETE FROM audit WHERE seq = 3")
    assert run("audit", "verify", "--db", str(db)).returncode == 0  # the chain alone cannot tell
    r = run("audit", "verify", "--db", str(db), "--head", head)
    assert r.returncode == 1 and "cut off the end" in r.stderr


def test_bad_input_exits_2_with_one_line(tmp_path: Path):
    db = tmp_path / "z.db"
    r = run("user", "add", "x", "--role", "root", "--password-stdin", "--db", str(db), stdin="a very long passphrase\n")
    assert r.returncode == 2 and "role 'root'" in r.stderr and "Traceback" not in r.stderr
    r = run("user", "add", "x", "--role", "admin", "--password-stdin", "--db", str(db), stdin="short\n")
    assert r.returncode == 2 and "at least 12" in r.stderr
    r = run("audit", "verify", "--db", f"sqlite:///{tmp_path}/missing/z.db")
    assert r.returncode == 2 and "does not exist" in r.stderr
    r = run("serve", "--db", "mysql://u@h/d")
    assert r.returncode == 2 and "expected sqlite" in r.stderr
