"""`zonewarden serve` as a process of its own on a free port, for what only a real HTTP server shows: proxy
headers, bodies streamed over a socket, the temporary files the server writes, and how fast `/healthz`
answers while an upload is checked."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .conftest import ACCOUNTS, PASSWORD


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """The server, its SQLite file, the folder it spools temporary files to ($TMPDIR), and its log."""

    def __init__(self, tmp: Path, *options: str) -> None:
        from zonewarden.store.database import open_database
        from zonewarden.store.users import add_user

        self.db_file = tmp / "z.db"
        db = open_database(f"sqlite:///{self.db_file}")
        with db.session() as s:
            for name, (role, supplier) in ACCOUNTS.items():
                add_user(s, name, role, PASSWORD, supplier)
        db.engine.dispose()
        self.spool = tmp / "spool"
        self.spool.mkdir()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = (tmp / "serve.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "zonewarden.cli", "serve", "--db", str(self.db_file), "--data", str(tmp / "data"),
             "--port", str(self.port), *options], stdout=self.log, stderr=subprocess.STDOUT,
            env={**os.environ, "TMPDIR": str(self.spool)})
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (tmp / "serve.log").read_text()
            try:
                if httpx.get(self.base + "/healthz", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError("zonewarden serve did not answer /healthz within 120 s")

    def client(self, name: str | None = None, headers: dict[str, str] | None = None) -> httpx.Client:
        """An HTTP client, logged in as `name` when given (its CSRF token in `.csrf`)."""
        c = httpx.Client(base_url=self.base, timeout=300, headers=headers or {})
        c.csrf = ""  # type: ignore[attr-defined]
        if name is not None:
            r = login(c, name)
            assert r.status_code == 303, r.text[-500:]
            c.csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/plants").text).group(1)  # type: ignore
        return c

    def spooled_files(self) -> list[str]:
        """Files the server (or a child of it) holds open in its temporary folder, deleted ones included."""
        found = []
        for pid in [self.proc.pid, *children(self.proc.pid)]:
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                continue
            for fd in fds:
                try:
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                except OSError:
                    continue
                if target.startswith(str(self.spool)):
                    found.append(target)
        return found

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()


def children(pid: int) -> list[int]:
    out = []
    for tid in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else []:
        try:
            out += [int(x) for x in Path(f"/proc/{pid}/task/{tid}/children").read_text().split()]
        except OSError:
            continue
    return out + [g for c in out for g in children(c)]


def login(client: httpx.Client, name: str, password: str = PASSWORD) -> httpx.Response:
    page = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"name": name, "password": password, "login_token": token, "next": "/plants"})
