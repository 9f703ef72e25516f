"""The server stays up for everyone while one request is hostile: a crafted plant is checked in a limited child
process while `/healthz` keeps answering, a body is refused before it is read (no session, or too large), and
the login limit keys on the address that connects unless the operator names the proxy."""

from __future__ import annotations

import json
import select
import socket
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest

from zonewarden.store.plants import MAX_UPLOAD
from zonewarden.web.auth import MAX_PER_CLIENT

from .conftest import EXAMPLE, example_zip
from .served import Served

CORPUS = Path(__file__).resolve().parents[1] / "fuzz" / "corpus" / "web"
HOSTILE = sorted(CORPUS.glob("*.yaml"))


@pytest.fixture
def served(tmp_path):
    s = Served(tmp_path)
    yield s
    s.close()


class HealthWatch:
    """Asks /healthz every 50 ms on a connection of its own and keeps each answer's time."""

    def __init__(self, base: str) -> None:
        self.base, self.times, self.failures = base, [], []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as c:
            while not self._stop.is_set():
                t = time.perf_counter()
                r = c.get("/healthz")
                self.times.append(time.perf_counter() - t)
                if r.status_code != 200:
                    self.failures.append(r.status_code)
                time.sleep(0.05)

    def __enter__(self) -> HealthWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def test_healthz_answers_promptly_while_hostile_plants_are_checked(served):
    c = served.client("integ")
    for path in HOSTILE:
        with HealthWatch(served.base) as watch:
            started = time.perf_counter()
            r = c.post("/plants", data={"message": "x", "csrf_token": c.csrf},
                       files={"file": ("plant.yaml", path.read_bytes(), "application/x-yaml")})
            took = time.perf_counter() - started
        assert r.status_code in (413, 422), f"{path.name}: {r.status_code}"
        assert "plant.yaml:" in r.text or "limit" in r.text, path.name
        assert took < 130, f"{path.name}: answered after {took:.0f} s"
        assert watch.times and not watch.failures
        assert max(watch.times) < 1.0, f"{path.name}: /healthz took {max(watch.times):.2f} s during the upload"
    assert served.client("integ").get("/plants").status_code == 200  # and the server is still there


def test_a_check_that_runs_out_of_time_is_refused_with_the_limit(tmp_path):
    s = Served(tmp_path, "--check-seconds", "0.001")
    try:
        c = s.client("integ")
        r = c.post("/plants", data={"message": "x", "csrf_token": c.csrf},
                   files={"file": ("fill-finish.zip", example_zip(), "application/zip")})
        assert r.status_code == 422 and "limit of 0.001 seconds" in r.text and "--check-seconds" in r.text
        assert c.get("/api/plants").json() == []
    finally:
        s.close()


FILE_PART = b'--zw\r\nContent-Disposition: form-data; name="file"; filename="p.yaml"\r\n\r\n'


def raw_post(port: int, path: str, headers: dict[str, str], total: int, chunked: bool = False,
             on_the_way=None) -> tuple[int, dict[str, str], int]:
    """POST `total` bytes to the server over a socket (a multipart file part that never ends), a megabyte at a
    time, stopping as soon as it answers: (status, headers, bytes sent). `on_the_way()` runs between chunks."""
    head = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", *(f"{k}: {v}" for k, v in headers.items())]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}")
    chunk = FILE_PART + b"x" * (1024 * 1024 - len(FILE_PART))
    sent = 0
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        sock.setblocking(False)
        pending = b""
        while True:
            if on_the_way is not None:
                on_the_way()
            readable, writable, _ = select.select([sock], [sock] if sent < total or pending else [], [], 30)
            if readable:
                data = sock.recv(65536)
                answer += data
                if not data or b"\r\n\r\n" in answer:
                    break
                continue
            if not writable:
                raise AssertionError(f"after {sent:,} bytes the server neither reads nor answers")
            if not pending:
                part = chunk[:min(len(chunk), total - sent)]
                chunk = b"x" * len(chunk)
                pending = (f"{len(part):x}\r\n".encode() + part + b"\r\n") if chunked else part
                sent += len(part)
            try:
                n = sock.send(pending)
            except (BrokenPipeError, ConnectionResetError):
                sock.setblocking(True)
                answer += sock.recv(65536)
                break
            pending = pending[n:]
    status_line, *lines = answer.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")
    return int(status_line.split()[1]), dict(line.split(": ", 1) for line in lines), sent


GIGABYTE = 1024 ** 3
MULTIPART = {"Content-Type": "multipart/form-data; boundary=zw"}


def test_a_stranger_is_sent_to_the_login_form_before_a_byte_of_the_upload_is_read(served):
    seen: list[str] = []
    status, headers, sent = raw_post(served.port, "/plants", MULTIPART, GIGABYTE,
                                     on_the_way=lambda: seen.extend(served.spooled_files()))
    assert status == 303 and headers["location"].startswith("/login")
    assert sent < 64 * 1024 * 1024, f"{sent:,} bytes went out before the answer"  # what the socket buffers hold
    assert not seen, f"the server spooled the stranger's body: {seen[:3]}"
    api, _, sent = raw_post(served.port, "/plants/x/traffic", {**MULTIPART, "Accept": "application/json"},
                            GIGABYTE, chunked=True)
    assert api == 303 and sent < 64 * 1024 * 1024


def test_a_body_above_the_route_limit_is_refused_declared_or_chunked(served):
    c = served.client("integ")
    auth = {**MULTIPART, "Cookie": f"zw_session={c.cookies['zw_session']}", "X-CSRF-Token": c.csrf}
    seen: list[str] = []
    status, _, sent = raw_post(served.port, "/plants", auth, GIGABYTE,
                               on_the_way=lambda: seen.extend(served.spooled_files()))
    assert status == 413 and sent < 64 * 1024 * 1024 and not seen  # declared: refused before reading
    status, _, sent = raw_post(served.port, "/plants", auth, GIGABYTE, chunked=True)
    assert status == 413 and sent < MAX_UPLOAD + 64 * 1024 * 1024  # chunked: read up to the limit, then refused
    assert served.spooled_files() == []
    form = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": auth["Cookie"], "X-CSRF-Token": c.csrf}
    status, _, _ = raw_post(served.port, "/plants/fill-finish-line-3/tracking", form, 2 * 1024 * 1024, chunked=True)
    assert status == 413  # a form without a file: at most 1 MiB
    assert c.get("/healthz").status_code == 200


def test_a_role_without_the_action_is_refused_before_its_upload_is_read(served):
    c = served.client("audit")
    auth = {**MULTIPART, "Cookie": f"zw_session={c.cookies['zw_session']}", "X-CSRF-Token": c.csrf}
    status, _, sent = raw_post(served.port, "/plants", auth, GIGABYTE)
    assert status == 403 and sent < 64 * 1024 * 1024


def failed_logins(served: Served, count: int) -> list[int]:
    """`count` wrong passwords, each for another name and from another X-Forwarded-For address."""
    from .served import login

    codes = []
    for i in range(count):
        with served.client(headers={"X-Forwarded-For": f"203.0.113.{i + 1}"}) as c:
            codes.append(login(c, f"nobody-{i}", "not the password").status_code)
    return codes


def login_clients(served: Served) -> list[str]:
    with sqlite3.connect(served.db_file) as db:
        rows = db.execute("SELECT detail FROM audit WHERE action = 'login.failed' ORDER BY seq").fetchall()
    return [json.loads(d)["client"] for (d,) in rows]


def test_rotating_x_forwarded_for_does_not_get_past_the_login_limit(served):
    codes = failed_logins(served, MAX_PER_CLIENT + 2)
    assert codes[:MAX_PER_CLIENT] == [401] * MAX_PER_CLIENT and codes[MAX_PER_CLIENT:] == [429, 429]
    assert set(login_clients(served)) == {"127.0.0.1"}


def test_x_forwarded_for_is_believed_from_the_proxy_the_operator_names(tmp_path):
    s = Served(tmp_path, "--forwarded-allow-ips", "127.0.0.1")
    try:
        assert failed_logins(s, MAX_PER_CLIENT + 2) == [401] * (MAX_PER_CLIENT + 2)  # each its own client
        assert login_clients(s) == [f"203.0.113.{i + 1}" for i in range(MAX_PER_CLIENT + 2)]
    finally:
        s.close()


def test_the_example_traffic_upload_is_judged_in_the_child(served):
    c = served.client("integ")
    assert c.post("/plants", data={"message": "x", "csrf_token": c.csrf},
                  files={"file": ("fill-finish.zip", example_zip(), "application/zip")}).status_code == 303
    r = c.post("/plants/fill-finish-line-3/traffic", data={"csrf_token": c.csrf},
               files={"file": ("traffic.pcap", (EXAMPLE / "traffic.pcap").read_bytes(), "application/octet-stream")})
    assert r.status_code == 303 and "/traffic?run=" in r.headers["location"]
    bad = c.post("/plants/fill-finish-line-3/traffic", data={"csrf_token": c.csrf},
                 files={"file": ("broken.pcap", b"\xd4\xc3\xb2\xa1" + b"\x00" * 10, "application/octet-stream")})
    assert bad.status_code == 422 and "broken.pcap" in bad.text and str(served.spool) not in bad.text


@pytest.mark.parametrize("option", [["--check-seconds", "0"], ["--check-seconds", "nan"], ["--check-memory", "10"]])
def test_limits_out_of_range_exit_2_with_one_line(tmp_path, option):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "zonewarden.cli", "serve", "--db", str(tmp_path / "z.db"), *option],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and option[0] in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "z.db").exists()  # refused before anything was opened
