"""Log in and out. Public routes: the login form, its POST, and the root redirect."""

from __future__ import annotations

import hmac
import secrets
import threading
from contextlib import contextmanager

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from ..store import audit
from ..store.users import authenticate, clear_failures, recent_failures, record_failure, sweep_failures
from .app import page
from .auth import (
    LOGIN_COOKIE,
    MAX_PER_CLIENT,
    MAX_PER_NAME,
    WINDOW,
    Viewer,
    client_address,
    cookie_name,
    end_session,
    is_secure,
    require,
    start_session,
)

router = APIRouter()
_GUARD = threading.Lock()
_LOCKS: dict[str, threading.Lock] = {}


@contextmanager
def _serialized(*keys: str):
    """Logins for one account name, and from one address, one at a time in this worker: each sees the
    failures of the one before, so concurrent guesses cannot slip under the limit (with N workers, at most
    N times the limit)."""
    with _GUARD:
        if len(_LOCKS) > 10000:
            _LOCKS.clear()
        locks = [_LOCKS.setdefault(k, threading.Lock()) for k in sorted(keys)]
    for lock in locks:
        lock.acquire()
    try:
        yield
    finally:
        for lock in reversed(locks):
            lock.release()
PUBLIC = {"/", "/login", "/healthz"}  # the routes without an action (the authorization test knows them)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never //host or a scheme): no open redirect through ?next=."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/plants"


@router.get("/", include_in_schema=False)
def root() -> RedirectResponse:
    return RedirectResponse("/plants", status_code=303)


@router.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _login_form(request: Request, status: int = 200, message: str | None = None, name: str = ""):
    token = secrets.token_urlsafe(24)
    resp = page(request, "login.html.j2", status, login_token=token, message=message, name=name,
                next=_safe_next(request.query_params.get("next") or request.headers.get("x-next")))
    resp.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=is_secure(request), path="/login")
    return resp


@router.get("/login", include_in_schema=False)
def login_form(request: Request):
    return _login_form(request)


@router.post("/login", include_in_schema=False)
def login(request: Request, name: str = Form(..., max_length=64), password: str = Form(..., max_length=1024),
          login_token: str = Form(""), next: str = Form("/plants")):
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, login_token):
        return _login_form(request, 403, "The form had expired; please log in again.", name)
    client = client_address(request)
    db = request.app.state.db
    with _serialized(f"name:{name}", f"client:{client}"), db.session() as s:
        by_name, by_client = recent_failures(s, name, client, WINDOW)
        if by_name >= MAX_PER_NAME or by_client >= MAX_PER_CLIENT:
            if by_name == MAX_PER_NAME or by_client == MAX_PER_CLIENT:  # audited once per window, not per guess
                record_failure(s, name, client)
                audit.append(s, name[:64], "login.throttled", detail={"client": client})
            resp = _login_form(request, 429, f"Too many failed logins; try again in {WINDOW.seconds // 60} "
                               "minutes.", name)
            resp.headers["Retry-After"] = str(WINDOW.seconds)
            return resp
        user = authenticate(s, name, password)
        if user is None:
            record_failure(s, name, client)
            sweep_failures(s, WINDOW)
            audit.append(s, name[:64], "login.failed", detail={"client": client})
            failed = True
        else:
            clear_failures(s, name)
            token, _csrf = start_session(request, s, user)
            audit.append(s, user.name, "login", detail={"client": client})
            failed = False
    if failed:
        return _login_form(request, 401, "Wrong name or password.", name)
    resp = RedirectResponse(_safe_next(next), status_code=303)
    secure = is_secure(request)
    resp.set_cookie(cookie_name(secure), token, httponly=True, samesite="strict", secure=secure, path="/")
    resp.delete_cookie(LOGIN_COOKIE, path="/login")
    return resp


@router.post("/logout", include_in_schema=False)
def logout(request: Request, v: Viewer = Depends(require("plant.read"))):
    end_session(request)
    with request.app.state.db.session() as s:
        audit.append(s, v.name, "logout")
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(cookie_name(is_secure(request)), path="/")
    return resp
