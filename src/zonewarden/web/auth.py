"""Logins, session cookies, CSRF and the role check every route goes through.

The cookie holds 32 random bytes; the database keeps only their sha256 (store.tables.WebSession). The
cookie is HttpOnly and SameSite=Strict, and Secure (with the `__Host-` prefix) whenever the app is
served over HTTPS or told to be (`--secure-cookies`). Every POST carries the session's CSRF token, as a
form field or an `X-CSRF-Token` header (htmx sends it); the login form uses a double-submit cookie,
since there is no session yet. Failed logins are counted per account name and per client address in the
database, so the limit holds across workers. docs/web.md#accounts-and-sessions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request
from sqlalchemy import delete, select
from starlette.concurrency import run_in_threadpool

from ..store.tables import User, WebSession, now
from .permissions import ACTIONS

COOKIE = "zw_session"
LOGIN_COOKIE = "zw_login"
IDLE = dt.timedelta(hours=12)
ABSOLUTE = dt.timedelta(days=7)
TOUCH_EVERY = dt.timedelta(minutes=5)  # how stale `seen` may get before a read writes it (reads stay reads)
WINDOW = dt.timedelta(minutes=15)
MAX_PER_NAME = 5  # failed logins for one account within WINDOW
MAX_PER_CLIENT = 20  # failed logins from one address within WINDOW
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
RECHECK = 2.0  # seconds a worker trusts a session it has just read, before asking the database again


@dataclass(frozen=True)
class Viewer:
    """Who is asking: the account (detached from its database session) and the session's CSRF token."""

    id: int
    name: str
    role: str
    supplier: str | None
    csrf: str


class NotLoggedIn(HTTPException):
    def __init__(self) -> None:
        super().__init__(401, "log in first")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def cookie_name(secure: bool) -> str:
    return f"__Host-{COOKIE}" if secure else COOKIE


def is_secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.app.state.settings.secure_cookies


def start_session(request: Request, db_session, user: User) -> tuple[str, str]:
    """A new session for `user`: (cookie token, CSRF token). Older sessions of the user stay valid."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    db_session.add(WebSession(token_hash=digest(token), user_id=user.id, csrf=csrf))
    db_session.execute(delete(WebSession).where(WebSession.seen < now() - IDLE))  # sweep expired ones
    return token, csrf


def end_session(request: Request) -> None:
    token = request.cookies.get(cookie_name(is_secure(request)))
    if token:
        request.app.state.sessions.pop(digest(token), None)
        with request.app.state.db.session() as s:
            s.execute(delete(WebSession).where(WebSession.token_hash == digest(token)))


def viewer(request: Request) -> Viewer:
    """The logged-in account, or 401. Cached on the request; `seen` is written at most every few minutes."""
    cached = getattr(request.state, "viewer", None)
    if cached is not None:
        return cached
    token = request.cookies.get(cookie_name(is_secure(request)))
    if not token:
        raise NotLoggedIn()
    key = digest(token)
    known = request.app.state.sessions.get(key)  # read within the last RECHECK seconds: a logout in this worker
    if known is not None and time.monotonic() < known[1]:  # drops it at once, a disabled account in another
        request.state.viewer = known[0]  # worker within RECHECK
        return known[0]
    t = now()
    with request.app.state.db.session() as s:
        row = s.scalar(select(WebSession).where(WebSession.token_hash == digest(token)))
        if row is None or row.user.disabled or t - row.seen > IDLE or t - row.created > ABSOLUTE:
            if row is not None:
                s.delete(row)
            raise NotLoggedIn()
        if t - row.seen > TOUCH_EVERY:
            row.seen = t
        v = Viewer(row.user.id, row.user.name, row.user.role, row.user.supplier, row.csrf)
    sessions = request.app.state.sessions
    if len(sessions) > 10000:
        sessions.clear()
    sessions[key] = (v, time.monotonic() + RECHECK)
    request.state.viewer = v
    return v


async def check_csrf(request: Request, v: Viewer) -> None:
    if request.method not in UNSAFE:
        return
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = (await request.form()).get("csrf_token")  # Starlette keeps the parsed form for the route
    if not isinstance(sent, str) or not hmac.compare_digest(sent, v.csrf):
        raise HTTPException(403, "the form's CSRF token is missing or stale: reload the page and try again")


def require(action: str):
    """A dependency: the viewer when their role holds `action` (and the CSRF token matches on a POST); else 401/403.
    A supplier reaches a plant's routes only when the plant holds one of its components (web/scope.py): else 404."""
    if action not in ACTIONS:
        raise KeyError(f"no such action: {action}")

    async def dependency(request: Request, v: Viewer = Depends(viewer)) -> Viewer:
        if v.role not in ACTIONS[action]:
            raise HTTPException(403, f"a {v.role.replace('_', ' ')} may not do this ({action})")
        if v.role == "supplier" and "slug" in request.path_params:
            from .scope import check_plant

            await run_in_threadpool(check_plant, request, request.path_params["slug"], v)
        await check_csrf(request, v)
        return v

    dependency.action = action  # type: ignore[attr-defined]  # read by the authorization test
    return dependency


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
