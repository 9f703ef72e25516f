"""The authorization matrix: every route of the app, for every role, is allowed or refused (403) exactly as
web/permissions.py says; without a session, pages redirect to the login form and the API answers 401."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from zonewarden.store.tables import Version
from zonewarden.web.admission import action_of, api_routes
from zonewarden.web.permissions import ACTIONS
from zonewarden.web.routes_auth import PUBLIC

from .conftest import ACCOUNTS, EXAMPLE, PASSWORD, SLUG, example_zip, login

PARAMS = {"slug": SLUG, "zone": "cell-1", "conduit": "eng-cell1", "asset": "plc-filler", "name": "victim", "eid": "1",
          "key": "depth"}
QUERY = {"/plants/{slug}/diff": "?old=1&new=1", "/plants/{slug}/change-record": "?old=1&new=2",
         "/plants/{slug}/procurement/{zone}": "?component_type=embedded_device"}
FORMS = {  # a form each route accepts, so an allowed role gets past validation to the action itself
    "/plants": None,  # an upload: files below
    "/plants/{slug}/versions": {"message": "matrix"},
    "/plants/{slug}/tracking": {"finding": "gap:cell-1:SR 1.1", "status": "in-progress", "justification": "matrix"},
    "/plants/{slug}/approvals": {"kind": "compensation", "subject": "plc-washer:CR 1.1"},
    "/plants/{slug}/compensations": {"index": "0", "justification": "matrix", "by": ["fw-cell1-eng", "jump-host"]},
    "/plants/{slug}/components/{asset}": {"sl": "2 2 1 1 2 1 1"},
    "/plants/{slug}/evidence": {"subject": "gap:cell-1:SR 1.1"},
    "/plants/{slug}/traffic": {},
    "/plants/{slug}/patches": {"asset": "plc-filler", "ref": "ICSA-22-349-03", "state": "deferred"},
    "/plants/{slug}/procurement/{zone}/response": {"asset": "plc-filler"},
    "/plants/{slug}/zones/{zone}/applicability": {"requirement": "SR 2.6", "justification": "matrix"},
    "/plants/{slug}/conduits/{conduit}/applicability": {"requirement": "SR 3.1", "justification": "matrix"},
    "/plants/{slug}/zones/{zone}/applicability/withdraw": {"requirement": "SR 2.6"},
    "/plants/{slug}/conduits/{conduit}/applicability/withdraw": {"requirement": "SR 3.1"},
    "/admin/users": {"name": "newbie", "role": "auditor", "password": PASSWORD},
    "/admin/users/{name}/disable": {},
    "/logout": {},
}
FILES = {"/plants": ("p.yaml", b"zonewarden: 1\nplant: {name: Matrix plant}\n", "application/x-yaml"),
         "/plants/{slug}/versions": ("fill-finish.zip", example_zip(), "application/zip"),
         "/plants/{slug}/procurement/{zone}/response": ("answers.xlsx", b"not a workbook", "application/octet-stream"),
         "/plants/{slug}/evidence": ("note.txt", b"signed off on paper\n", "text/plain"),
         "/plants/{slug}/traffic": ("traffic.pcap", (EXAMPLE / "traffic.pcap").read_bytes(),
                                    "application/vnd.tcpdump.pcap")}


def routes(app) -> list[tuple[str, str, str | None]]:
    out = [(method, r.path, action_of(r)) for r in api_routes(app) for method in sorted(r.methods - {"HEAD"})]
    assert len(out) >= 40, f"only {len(out)} routes found: the walk over the app's routers misses some"
    return out


def url(path: str) -> str:
    path = path.replace("/documents/{name}", "/documents/crs.md")
    for k, v in PARAMS.items():
        path = path.replace("{" + k + "}", v)
    return path


def call(client, method: str, path: str):
    target = url(path) + QUERY.get(path, "")
    if method == "GET":
        return client.get(target, follow_redirects=False)
    data = dict(FORMS.get(path) or {})
    data["csrf_token"] = getattr(client, "csrf", "")
    files = {"file": FILES[path]} if path in FILES else None
    return client.post(target, data=data, files=files, follow_redirects=False)


def test_every_route_names_an_action_the_table_knows(web_sqlite):
    for method, path, action in routes(web_sqlite.app):
        if path in PUBLIC or path.startswith(("/static", "/api/docs", "/api/openapi")):
            continue
        assert action is not None, f"{method} {path} has no require(action) dependency"
        assert action in ACTIONS
        if method == "POST":
            assert path in FORMS, f"{method} {path}: add a form to FORMS so the matrix exercises it"


def test_authorization_matrix(web):
    from zonewarden.store.users import add_user

    with web.db.session() as s:
        add_user(s, "victim", "auditor", PASSWORD)
    owner = web.client("owner")
    owner.post(f"/plants/{SLUG}/evidence", data={"subject": "gap:cell-1:SR 1.1", "csrf_token": owner.csrf},
               files={"file": FILES["/plants/{slug}/evidence"]})
    wrong: list[str] = []
    checked = 0
    for method, path, action in routes(web.app):
        if action is None:
            continue
        for name, (role, _) in ACCOUNTS.items():
            client = web.client(name)
            if path == "/logout":  # would end the shared session: use a fresh one
                from fastapi.testclient import TestClient

                client = TestClient(web.app)
                login(client, name)
                from .conftest import csrf_of

                client.csrf = csrf_of(client)
            with web.db.session() as s:
                versions = s.scalar(select(func.count()).select_from(Version))
            r = call(client, method, path)
            checked += 1
            expect_ok = role in ACTIONS[action]
            if expect_ok and r.status_code in (401, 403):
                wrong.append(f"{role:12} {method} {path}: {r.status_code}, expected allowed ({action})")
            elif expect_ok and r.status_code >= 500:
                wrong.append(f"{role:12} {method} {path}: {r.status_code} server error")
            elif not expect_ok:
                if r.status_code != 403:
                    wrong.append(f"{role:12} {method} {path}: {r.status_code}, expected 403 ({action})")
                with web.db.session() as s:
                    if s.scalar(select(func.count()).select_from(Version)) != versions:
                        wrong.append(f"{role:12} {method} {path}: refused, yet a version was written")
    assert not wrong, "\n".join(wrong)
    assert checked >= 5 * 40


def test_without_a_session_pages_redirect_and_the_api_answers_401(web_sqlite):
    anon = web_sqlite.client()
    for method, path, action in routes(web_sqlite.app):
        if action is None:
            continue
        r = call(anon, method, path)
        if path.startswith("/api/"):
            assert r.status_code == 401, f"{method} {path}"
        else:
            assert r.status_code == 303 and r.headers["location"].startswith("/login"), f"{method} {path}"


def test_supplier_declares_only_its_own_components(web_sqlite):
    c = web_sqlite.client("vitrea")
    own = c.post(f"/plants/{SLUG}/components/plc-filler", data={"sl": "2 2 1 1 2 1 1", "csrf_token": c.csrf},
                 follow_redirects=False)
    assert own.status_code == 303
    other = c.post(f"/plants/{SLUG}/components/fw-cell1", data={"sl": "2 2 2 2 2 2 2", "csrf_token": c.csrf},
                   follow_redirects=False)
    assert other.status_code == 404 and "among the components of supplier" in other.text  # as if absent
    page = c.get(f"/plants/{SLUG}/components").text
    assert 'data-asset="plc-filler"' in page and 'data-asset="fw-cell1"' not in page
    assert c.get(f"/plants/{SLUG}/procurement/cell-1").status_code == 200
    assert c.get(f"/plants/{SLUG}/procurement/site-dmz").status_code == 403


@pytest.mark.parametrize("name", ["vitrea", "audit"])
def test_refused_roles_cannot_change_statuses(web_sqlite, name):
    c = web_sqlite.client(name)
    r = c.post(f"/plants/{SLUG}/tracking", data={"finding": "gap:cell-1:SR 1.1", "status": "accepted",
                                                 "justification": "no", "csrf_token": c.csrf})
    assert r.status_code == 403
