#!/usr/bin/env python3
"""Load the web app (`zonewarden serve`) with concurrent clients reading the 20,000-asset plant's pages.

The server runs as a separate process on a scratch database and data folder. The plant is uploaded once
over HTTP (timed), each page is requested once to warm it (the first request computes the analysis: its
time is printed on its own and is not part of the percentiles), then every client logs in with its own
session and reads the pages round-robin. Baseline, measured in the same run under the same load: the
same clients requesting `/healthz` (a trivial route through the same server); each page's p95 is printed
as a ratio to it (and `/api/me`, the session lookup alone, is shown too). "alone" is a page's best of
3 with nothing else running. Any answer other than 200 is an error.

Goal (issue 11, item 10): 50 concurrent clients, p95 under 200 ms, no error. With no pause between a
client's requests (the default) the load is a closed loop: each request waits behind the other clients'
ones, so p95 is about clients x the mean time the server spends per request; --think S adds a pause of
S on average between a client's requests (spread over 0.5 S to 1.5 S, as people do not click in step).

    python benchmarks/bench_web.py [--clients 50] [--requests 20 | --seconds S] [--think S] [--workers 1]
                                   [--plant F] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import httpx  # noqa: E402
from common import PLANT, ensure_plant  # noqa: E402

USER, PASSWORD = "bench-owner", "bench-password-62443"
GOAL_P95_MS = 200.0
ERROR_NOTES = 5  # how many distinct error descriptions to print


# --- the server ---------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def zonewarden_exe() -> str:
    exe = Path(sys.executable).parent / "zonewarden"
    return str(exe) if exe.exists() else (shutil.which("zonewarden") or "zonewarden")


def start_server(tmp: Path, port: int, workers: int) -> tuple[subprocess.Popen, Path]:
    db = f"sqlite:///{tmp / 'z.db'}"
    subprocess.run([zonewarden_exe(), "user", "add", USER, "--role", "asset_owner", "--password-stdin", "--db", db],
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    log = tmp / "serve.log"
    with log.open("wb") as f:
        proc = subprocess.Popen([zonewarden_exe(), "serve", "--host", "127.0.0.1", "--port", str(port), "--db", db,
                                 "--data", str(tmp / "data"), "--workers", str(workers)],
                                stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, log


def wait_healthy(base: str, proc: subprocess.Popen, log: Path, timeout: float = 60.0) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"zonewarden serve exited ({proc.returncode}):\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return time.perf_counter() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"zonewarden serve did not answer /healthz in {timeout:.0f} s:\n{log.read_text(errors='replace')}")


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM to the server's own process group (uvicorn workers included), then SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


# --- a client -----------------------------------------------------------------------------------------------
def login(base: str, timeout: float) -> tuple[httpx.Client, str]:
    """A client with its own session cookie, and that session's CSRF token."""
    c = httpx.Client(base_url=base, timeout=timeout)
    form = c.get("/login")
    m = re.search(r'name="login_token" value="([^"]+)"', form.text)
    if form.status_code != 200 or not m:
        raise RuntimeError(f"GET /login: {form.status_code}, no login_token")
    r = c.post("/login", data={"name": USER, "password": PASSWORD, "login_token": m.group(1), "next": "/plants"})
    if r.status_code != 303 or "zw_session" not in c.cookies:
        raise RuntimeError(f"POST /login: {r.status_code}, expected 303 and a session cookie")
    page = c.get("/plants")
    m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if page.status_code != 200 or not m:
        raise RuntimeError(f"GET /plants after login: {page.status_code}, no csrf_token")
    return c, m.group(1)


def upload(c: httpx.Client, csrf: str, path: Path) -> tuple[str, float]:
    data = path.read_bytes()
    t = time.perf_counter()
    r = c.post("/plants", files={"file": (path.name, data, "application/x-yaml")},
               data={"message": "bench_web upload", "csrf_token": csrf})
    dt = time.perf_counter() - t
    loc = r.headers.get("location", "")
    if r.status_code != 303 or not loc.startswith("/plants/"):
        raise SystemExit(f"upload of {path.name}: {r.status_code} {loc!r}\n{r.text[:2000]}")
    return loc.removeprefix("/plants/"), dt


# --- the pages ----------------------------------------------------------------------------------------------
@dataclass
class Page:
    label: str
    path: Callable[[int], str]  # the i-th request's path (zone pages rotate through the zones)


def plant_pages(slug: str, zones: list[str]) -> list[Page]:
    p = f"/plants/{slug}"
    api = f"/api/plants/{slug}"
    # the synthetic plant's gaps belong to the integrator and the product suppliers (none to the asset owner)
    fixed = [("overview", p), ("gaps", f"{p}/gaps"), ("gaps?role=product_supplier", f"{p}/gaps?role=product_supplier"),
             ("components", f"{p}/components"), ("api zones", f"{api}/zones"),
             ("api gaps?status=open", f"{api}/gaps?status=open")]
    pages = [Page(label, lambda i, u=url: u) for label, url in fixed]
    pages.insert(1, Page("zone (rotating)", lambda i: f"{p}/zones/{zones[i % len(zones)]}"))
    pages.insert(4, Page("gaps?zone= (rotating)", lambda i: f"{p}/gaps?zone={zones[(i * 3) % len(zones)]}"))
    pages.insert(7, Page("api zone (rotating)", lambda i: f"{api}/zones/{zones[(i * 7) % len(zones)]}"))
    return pages


def warm_workers(base: str, cookies: httpx.Cookies, pages: list[Page], workers: int, timeout: float) -> float:
    """With several worker processes each computes its own analysis: read every page on fresh connections
    (which the workers share out) until a whole round answers fast, so that is not in the percentiles."""
    def one(k: int, slowest: list[float]) -> None:
        with httpx.Client(base_url=base, cookies=cookies, timeout=timeout) as c:
            for p in pages:
                t = time.perf_counter()
                c.get(p.path(0))
                slowest[k] = max(slowest[k], time.perf_counter() - t)

    t0 = time.perf_counter()
    for _ in range(8):
        slowest = [0.0] * (2 * workers)
        threads = [threading.Thread(target=one, args=(k, slowest), daemon=True) for k in range(2 * workers)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        if max(slowest) < 1.5:
            break
    return time.perf_counter() - t0


def tree_rss_mb(pid: int) -> float | None:
    """Resident memory of a process and its descendants (Linux /proc), MB; None elsewhere."""
    try:
        kb = 0
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                kb = int(line.split()[1])
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return kb / 1024 + sum(tree_rss_mb(int(k)) or 0 for k in kids)
    except (OSError, ValueError):
        return None


# --- load ---------------------------------------------------------------------------------------------------
@dataclass
class Sample:
    label: str
    ms: float
    status: int  # 0: no answer (timeout, connection error)
    size: int
    note: str = ""


@dataclass
class Run:
    samples: list[Sample] = field(default_factory=list)
    seconds: float = 0.0


def log_in_all(base: str, clients: int, timeout: float) -> tuple[list[httpx.Client], float]:
    """`clients` clients, each logged in on its own session (concurrently, as 50 people arriving would)."""
    out: list[httpx.Client | BaseException | None] = [None] * clients

    def one(k: int) -> None:
        try:
            out[k] = login(base, timeout)[0]
        except BaseException as e:
            out[k] = e

    t = time.perf_counter()
    threads = [threading.Thread(target=one, args=(k,), daemon=True) for k in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    seconds = time.perf_counter() - t
    bad = [x for x in out if not isinstance(x, httpx.Client)]
    if bad:
        for x in out:
            if isinstance(x, httpx.Client):
                x.close()
        raise SystemExit(f"{len(bad)} of {clients} clients could not log in: {bad[0]!r}")
    return [x for x in out if isinstance(x, httpx.Client)], seconds


def load(sessions: list[httpx.Client], pages: list[Page], requests: int, seconds: float | None,
         think: float) -> Run:
    """Every client reads `pages` round-robin (each from its own offset), all starting together."""
    run = Run()
    ready = threading.Barrier(len(sessions) + 1)
    lock = threading.Lock()
    deadline: list[float] = [0.0]

    def client(k: int, c: httpx.Client) -> None:
        mine: list[Sample] = []
        pause = random.Random(k)  # people do not click in step: each pause is think x [0.5, 1.5), per-client seed
        ready.wait()
        i, n = k, 0
        while (n < requests) if seconds is None else (time.perf_counter() < deadline[0]):
            page = pages[i % len(pages)]
            url = page.path(i // len(pages))
            t = time.perf_counter()
            try:
                with c.stream("GET", url) as r:  # the body is counted, not kept (some pages are ~20 MB)
                    if r.status_code == 200:
                        size, note = sum(len(chunk) for chunk in r.iter_raw()), ""
                    else:
                        size, note = len(r.read()), f"{r.status_code} {url}: {r.text[:120]!r}"
                s = Sample(page.label, (time.perf_counter() - t) * 1000, r.status_code, size, note)
            except httpx.HTTPError as e:
                s = Sample(page.label, (time.perf_counter() - t) * 1000, 0, 0, f"{type(e).__name__} {url}")
            mine.append(s)
            i += 1
            n += 1
            if think:
                time.sleep(think * (0.5 + pause.random()))
        with lock:
            run.samples.extend(mine)

    threads = [threading.Thread(target=client, args=(k, c), daemon=True) for k, c in enumerate(sessions)]
    for th in threads:
        th.start()
    deadline[0] = time.perf_counter() + (seconds or 0)
    start = time.perf_counter()
    ready.wait()
    for th in threads:
        th.join()
    run.seconds = time.perf_counter() - start
    return run


# --- figures ------------------------------------------------------------------------------------------------
def pct(sorted_ms: list[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation between the closest ranks."""
    if not sorted_ms:
        return float("nan")
    x = q * (len(sorted_ms) - 1)
    lo = int(x)
    hi = min(lo + 1, len(sorted_ms) - 1)
    return sorted_ms[lo] + (sorted_ms[hi] - sorted_ms[lo]) * (x - lo)


def stats(samples: list[Sample]) -> dict:
    ms = sorted(s.ms for s in samples)
    return {"n": len(samples), "errors": sum(1 for s in samples if s.status != 200),
            "p50": pct(ms, 0.50), "p95": pct(ms, 0.95), "p99": pct(ms, 0.99), "max": ms[-1] if ms else float("nan"),
            "kb": (sum(s.size for s in samples) / len(samples) / 1024) if samples else 0.0}


def alone(c: httpx.Client, url: str, repeat: int = 3) -> tuple[float, int, int]:
    """Best-of-n latency of one request with nothing else running: (ms, status, bytes)."""
    best, status, size = float("inf"), 0, 0
    for _ in range(repeat):
        t = time.perf_counter()
        r = c.get(url)
        best = min(best, (time.perf_counter() - t) * 1000)
        status, size = r.status_code, len(r.content)
    return best, status, size


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=20, help="requests per client in each phase (default 20)")
    ap.add_argument("--seconds", type=float, default=None, help="run each phase for this long instead")
    ap.add_argument("--think", type=float, default=0.0,
                    help="mean pause of each client between its requests, seconds, spread over [0.5, 1.5) of it "
                         "(default 0: back to back)")
    ap.add_argument("--workers", type=int, default=1, help="passed to `zonewarden serve --workers`")
    ap.add_argument("--timeout", type=float, default=60.0, help="per-request client timeout, seconds")
    ap.add_argument("--plant", default=str(PLANT))
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder (database, data, server log)")
    args = ap.parse_args(argv)
    path = ensure_plant(Path(args.plant))
    tmp = Path(tempfile.mkdtemp(prefix="bench-web-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    t_all = time.perf_counter()
    proc, log = start_server(tmp, port, args.workers)
    try:
        t_start = wait_healthy(base, proc, log)
        admin, csrf = login(base, args.timeout)
        slug, t_upload = upload(admin, csrf, path)
        # warm: the first page computes the version's analysis; the others may compute their own views
        first: dict[str, tuple[float, int, int]] = {}
        zones_url = f"/api/plants/{slug}/zones"
        for label, url in (("overview", f"/plants/{slug}"), ("api zones", zones_url)):
            t = time.perf_counter()
            r = admin.get(url)
            first[label] = ((time.perf_counter() - t) * 1000, r.status_code, len(r.content))
        zones = [z["id"] for z in admin.get(zones_url).json()]
        pages = plant_pages(slug, zones)
        for p in pages:
            if p.label not in first:
                t = time.perf_counter()
                r = admin.get(p.path(0))
                first[p.label] = ((time.perf_counter() - t) * 1000, r.status_code, len(r.content))
        t_warm_workers = warm_workers(base, admin.cookies, pages, args.workers, args.timeout) \
            if args.workers > 1 else 0.0
        quiet = {p.label: alone(admin, p.path(1)) for p in pages}
        quiet["healthz"] = alone(admin, "/healthz")
        quiet["api me"] = alone(admin, "/api/me")

        sessions, t_logins = log_in_all(base, args.clients, args.timeout)
        try:
            base_run = load(sessions, [Page("healthz", lambda i: "/healthz")], args.requests, args.seconds, args.think)
            me_run = load(sessions, [Page("api me", lambda i: "/api/me")], args.requests, args.seconds, args.think)
            page_run = load(sessions, pages, args.requests, args.seconds, args.think)
        finally:
            for c in sessions:
                c.close()
        server_alive = proc.poll() is None
        rss = tree_rss_mb(proc.pid)
    finally:
        stop_server(proc)
        server_log = log.read_text(errors="replace") if log.exists() else ""
        if args.keep:
            print(f"scratch folder kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    hz = stats(base_run.samples)
    me = stats(me_run.samples)
    by_page = {p.label: stats([s for s in page_run.samples if s.label == p.label]) for p in pages}
    total = stats(page_run.samples)
    per_s = len(page_run.samples) / page_run.seconds if page_run.seconds else 0.0
    hz_per_s = len(base_run.samples) / base_run.seconds if base_run.seconds else 0.0
    mode = (f"{args.seconds:g} s" if args.seconds else f"{args.requests} requests each") + \
        (f", {args.think:g} s between requests" if args.think else ", back to back")

    print(f"plant: {path.name} ({path.stat().st_size / 1e6:.1f} MB), {len(zones)} zones; server: "
          f"--workers {args.workers}, {os.cpu_count()} cores; {args.clients} clients, {mode}")
    print(f"server up:  {t_start:.2f} s    upload (POST /plants, checked): {t_upload:.2f} s")
    print(f"first requests (warm-up, not in the percentiles): overview {first['overview'][0]:.0f} ms "
          f"(computes the analysis)")
    if args.workers > 1:
        print(f"the other workers warmed (every page on fresh connections until a round is fast): "
              f"{t_warm_workers:.1f} s")
    if rss is not None:
        print(f"server memory at the end (all processes): {rss:.0f} MB")
    print(f"logins of {args.clients} clients (argon2, concurrent): {t_logins:.2f} s")
    print()
    head = (f"{'page':<28}{'first':>8}{'alone':>8}{'KB':>8}{'n':>6}{'err':>5}{'p50':>8}{'p95':>8}{'p99':>8}"
            f"{'max':>8}{'p95/hz':>8}")
    print(head + "   (ms)")
    print("-" * len(head))

    def row(label: str, s: dict, first_ms: float | None, quiet_one: tuple[float, int, int] | None) -> str:
        f = f"{first_ms:>8.0f}" if first_ms is not None else f"{'':>8}"
        a = f"{quiet_one[0]:>8.1f}{quiet_one[2] / 1024:>8.1f}" if quiet_one else f"{'':>8}{s['kb']:>8.1f}"
        if not s["n"]:
            return f"{label:<28}{f}{a}{0:>6}{0:>5}" + f"{'-':>8}" * 4 + f"{'-':>8}"
        ratio = s["p95"] / hz["p95"] if hz["p95"] > 0 else float("nan")
        return (f"{label:<28}{f}{a}{s['n']:>6}{s['errors']:>5}{s['p50']:>8.1f}{s['p95']:>8.1f}"
                f"{s['p99']:>8.1f}{s['max']:>8.1f}{ratio:>7.1f}x")

    print(row("healthz (baseline)", hz, None, quiet["healthz"]) + f"   {hz_per_s:.0f} req/s")
    print(row("api me (session only)", me, None, quiet["api me"]))
    for p in pages:
        flag = "  > goal" if by_page[p.label]["p95"] >= GOAL_P95_MS else ""
        print(row(p.label, by_page[p.label], first[p.label][0], quiet[p.label]) + flag)
    print("-" * len(head))
    print(row("all pages", total, None, None) + f"   {per_s:.1f} req/s over {page_run.seconds:.1f} s")
    print()
    errors = [s for s in page_run.samples + base_run.samples + me_run.samples if s.status != 200]
    warm_errors = [f"{k}: {v[1]}" for k, v in first.items() if v[1] != 200]
    if warm_errors:
        print("warm-up answers other than 200: " + ", ".join(warm_errors))
    if errors:
        notes = sorted({s.note for s in errors})
        print(f"errors: {len(errors)}; first kinds: " + " | ".join(notes[:ERROR_NOTES]))
    if not server_alive:
        print("the server had exited before the end of the run; its log:\n" + server_log[-3000:])
    ok = total["p95"] < GOAL_P95_MS and not errors and not warm_errors
    print(f"goal: p95 < {GOAL_P95_MS:.0f} ms over all pages and no error: "
          f"{'met' if ok else 'NOT met'} (p95 {total['p95']:.0f} ms, {len(errors)} errors); "
          f"p95 ratio to /healthz {total['p95'] / hz['p95']:.1f}x")
    slow = [label for label, s in by_page.items() if s["p95"] >= GOAL_P95_MS]
    if slow:
        print("pages with p95 over the goal: " + ", ".join(slow))
    print(f"total bench time: {time.perf_counter() - t_all:.1f} s")
    report = {"clients": args.clients, "workers": args.workers, "think_s": args.think, "upload_s": round(t_upload, 2),
              "first_overview_ms": round(first["overview"][0]),
              "server_rss_mb": round(rss) if rss is not None else None, "req_per_s": round(per_s, 1),
              "p95_ms": round(total["p95"], 1), "healthz_p95_ms": round(hz["p95"], 1),
              "ratio": round(total["p95"] / hz["p95"], 1), "errors": len(errors),
              "pages": {k: {"p95_ms": round(v["p95"], 1) if v["n"] else None, "kb": round(quiet[k][2] / 1024, 1)}
                        for k, v in by_page.items()}}
    print(json.dumps(report))
    return 1 if errors or warm_errors else 0  # slow is reported above; an error is a failure


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
