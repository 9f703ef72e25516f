"""Logins, sessions and CSRF: what a browser and an attacker each get."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from zonewarden.store.tables import AuditRow, WebSession
from zonewarden.web.auth import MAX_PER_NAME

from .conftest import PASSWORD, SLUG, csrf_of, login


def test_login_sets_a_strict_httponly_cookie_and_stores_only_its_hash(web_sqlite):
    c = TestClient(web_sqlite.app)
    r = login(c, "owner")
    assert r.status_code == 303 and r.headers["location"] == "/plants"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    token = re.search(r"zw_session=([^;]+)", cookie).group(1)
    with web_sqlite.db.session() as s:
        hashes = list(s.scalars(select(WebSession.token_hash)))
    assert token not in hashes and len(hashes) == 1 and len(hashes[0]) == 64


def test_cookie_is_secure_with_the_host_prefix_over_https(web_sqlite):
    c = TestClient(web_sqlite.app, base_url="https://zonewarden.example")
    r = login(c, "owner")
    assert r.status_code == 303
    assert r.headers["set-cookie"].startswith("__Host-zw_session=") and "Secure" in r.headers["set-cookie"]
    assert c.get("/plants").status_code == 200


def test_wrong_password_and_unknown_name_look_the_same(web_sqlite):
    c = TestClient(web_sqlite.app)
    a, b = login(c, "owner", "wrong password!"), login(c, "nobody", PASSWORD)
    assert a.status_code == b.status_code == 401
    assert "Wrong name or password" in a.text and "Wrong name or password" in b.text


def test_failed_logins_are_rate_limited_per_account(web_sqlite):
    c = TestClient(web_sqlite.app)
    for _ in range(MAX_PER_NAME):
        assert login(c, "owner", "not the password").status_code == 401
    r = login(c, "owner", PASSWORD)  # even the right password waits out the window
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert login(c, "integ").status_code == 303  # other accounts are not locked out
    with web_sqlite.db.session() as s:
        actions = list(s.scalars(select(AuditRow.action)))
    assert actions.count("login.failed") == MAX_PER_NAME and "login.throttled" in actions


def test_login_form_needs_its_own_token(web_sqlite):
    c = TestClient(web_sqlite.app)
    r = c.post("/login", data={"name": "owner", "password": PASSWORD, "login_token": "forged"})
    assert r.status_code == 403


def test_posts_without_or_with_a_wrong_csrf_token_are_refused(web_sqlite):
    c = web_sqlite.client("owner")
    form = {"finding": "gap:cell-1:SR 1.1", "status": "mitigated"}
    assert c.post(f"/plants/{SLUG}/tracking", data=form).status_code == 403
    assert c.post(f"/plants/{SLUG}/tracking", data={**form, "csrf_token": "x" * 43}).status_code == 403
    other = web_sqlite.client("integ")  # another session's token does not do either
    assert c.post(f"/plants/{SLUG}/tracking", data={**form, "csrf_token": other.csrf}).status_code == 403
    ok = c.post(f"/plants/{SLUG}/tracking", data=form, headers={"X-CSRF-Token": c.csrf}, follow_redirects=False)
    assert ok.status_code == 303


def test_next_cannot_send_a_user_off_site(web_sqlite):
    c = TestClient(web_sqlite.app)
    page = c.get("/login?next=//evil.example/x")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
    r = c.post("/login", data={"name": "owner", "password": PASSWORD, "login_token": token,
                               "next": "https://evil.example/"}, follow_redirects=False)
    assert r.headers["location"] == "/plants"


def test_logout_ends_the_session_and_idle_sessions_expire(web_sqlite):
    c = TestClient(web_sqlite.app)
    login(c, "owner")
    csrf = csrf_of(c)
    assert c.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert c.get("/api/me").status_code == 401
    c2 = TestClient(web_sqlite.app)
    login(c2, "owner")
    assert c2.get("/api/me").json()["role"] == "asset_owner"
    with web_sqlite.db.session() as s:
        s.execute(update(WebSession).values(seen=dt.datetime.now(dt.UTC) - dt.timedelta(hours=13)))
    web_sqlite.app.state.sessions.clear()  # what the worker forgets RECHECK seconds after it last read the session
    assert c2.get("/api/me").status_code == 401


def test_security_headers(web_sqlite):
    r = web_sqlite.client("owner").get("/plants")
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    assert "script-src" not in r.headers["content-security-policy"]  # default-src 'self': no inline script
    assert "default-src 'self'" in r.headers["content-security-policy"]


def test_disabled_accounts_lose_their_sessions(web_sqlite):
    victim = web_sqlite.client("integ")
    admin = web_sqlite.client("admin")
    assert admin.post("/admin/users/integ/disable", data={"csrf_token": admin.csrf},
                      follow_redirects=False).status_code == 303
    assert victim.get("/api/me").status_code == 401
    assert login(TestClient(web_sqlite.app), "integ").status_code == 401
