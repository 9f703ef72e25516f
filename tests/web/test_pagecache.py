"""Rendered pages are served again until the plant changes, each with the reader's own CSRF token."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import SLUG, csrf_of, login


def test_second_session_gets_the_cached_page_with_its_own_token(web_sqlite):
    a = web_sqlite.client("owner")
    first = a.get(f"/plants/{SLUG}/gaps")
    assert first.status_code == 200 and "x-cache" not in first.headers
    b = TestClient(web_sqlite.app)
    login(b, "owner")
    b_csrf = csrf_of(b)
    again = b.get(f"/plants/{SLUG}/gaps")
    assert again.headers.get("x-cache") == "hit"
    assert b_csrf in again.text and a.csrf not in again.text
    assert a.get(f"/plants/{SLUG}/gaps").text.count(a.csrf) == first.text.count(a.csrf) > 1


def test_a_change_to_the_plant_is_seen_at_once(web_sqlite):
    a = web_sqlite.client("owner")
    a.get(f"/plants/{SLUG}/gaps?status=mitigated")
    assert a.get(f"/plants/{SLUG}/gaps?status=mitigated").headers.get("x-cache") == "hit"
    r = a.post(f"/plants/{SLUG}/tracking", data={"finding": "gap:cell-1:SR 1.1", "status": "mitigated",
                                                 "csrf_token": a.csrf}, follow_redirects=False)
    assert r.status_code == 303
    after = a.get(f"/plants/{SLUG}/gaps?status=mitigated")
    assert "x-cache" not in after.headers and 'data-gap="gap:cell-1:SR 1.1"' in after.text


def test_other_roles_do_not_get_each_others_pages(web_sqlite):
    owner, auditor = web_sqlite.client("owner"), web_sqlite.client("audit")
    owner.get(f"/plants/{SLUG}/gaps")
    page = auditor.get(f"/plants/{SLUG}/gaps")
    assert page.headers.get("x-cache") != "hit" and 'name="status"' not in page.text.split("<table", 1)[1]
    assert web_sqlite.client("vitrea").get(f"/plants/{SLUG}/gaps").status_code == 403


def test_a_new_day_is_a_new_analysis(web_sqlite, monkeypatch):
    import datetime as dt

    from zonewarden.web import analyses

    a = web_sqlite.client("owner")
    a.get(f"/plants/{SLUG}")
    assert a.get(f"/plants/{SLUG}").headers.get("x-cache") == "hit"
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    monkeypatch.setattr(analyses, "today", lambda: tomorrow)
    assert "x-cache" not in a.get(f"/plants/{SLUG}").headers
    cached = web_sqlite.app.state.analyses._items
    assert any(k.endswith(tomorrow.isoformat()) for k in cached)
