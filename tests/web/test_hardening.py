"""What a security review found, each kept found: escaping, YAML that means what was typed, includes that
stay inside the upload, a rate limit that holds under concurrency, headers on cached answers, and bad
input that gets a 4xx instead of a 500."""

from __future__ import annotations

import io
import threading
import zipfile

from fastapi.testclient import TestClient

from .conftest import SLUG, login


def post(client, url, data=None, files=None):
    return client.post(url, data={**(data or {}), "csrf_token": client.csrf}, files=files, follow_redirects=False)


MARKUP = '<b hx-post="/admin/users/owner/disable" hx-trigger="load">x</b>'


def test_markup_in_a_login_name_is_shown_as_text_on_the_audit_page(web_sqlite):
    login(TestClient(web_sqlite.app), MARKUP[:64], "wrong password!!")
    page = web_sqlite.client("admin").get("/audit").text
    assert "<b hx-post" not in page and "&lt;b hx-post" in page


def test_markup_in_evidence_subjects_and_reflected_errors_is_escaped(web_sqlite):
    c = web_sqlite.client("integ")
    post(c, f"/plants/{SLUG}/evidence", {"subject": MARKUP}, {"file": ("n.txt", b"note\n", "text/plain")})
    assert "<b hx-post" not in c.get(f"/plants/{SLUG}/evidence").text
    r = c.get(f"/plants/{SLUG}/crosswalk", params={"framework": MARKUP})
    assert r.status_code == 404 and "<b hx-post" not in r.text and "&lt;b" in r.text
    assert '"allowEval": false' in r.text  # htmx evaluates no expressions from attributes


def test_a_justification_of_yes_stays_text_and_keeps_the_decisions(web_sqlite):
    c = web_sqlite.client("integ")
    before = len(c.get(f"/api/plants/{SLUG}/gaps?status=accepted").json())
    r = post(c, f"/plants/{SLUG}/tracking", {"finding": "gap:cell-1:SR 1.1", "status": "accepted",
                                             "justification": "yes", "owner": "1:30"})
    assert r.status_code == 303
    accepted = c.get(f"/api/plants/{SLUG}/gaps?status=accepted").json()
    assert len(accepted) == before + 1


def test_include_outside_the_upload_is_refused(web_sqlite, tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("database: {password: hunter2}\n")
    plant = f"zonewarden: 1\ninclude: [{secret}]\nplant: {{name: Sneaky}}\n".encode()
    r = post(web_sqlite.client("integ"), "/plants", {"message": "x"}, {"file": ("p.yaml", plant, "application/x-yaml")})
    assert r.status_code == 422 and "is outside the plant" in r.text and "database" not in r.text
    folder = f"zonewarden: 1\ninclude: [{tmp_path}]\nplant: {{name: Sneaky}}\n".encode()  # no listing of it either
    r = post(web_sqlite.client("integ"), "/plants", {"message": "x"},
             {"file": ("p.yaml", folder, "application/x-yaml")})
    assert r.status_code == 422 and "is outside the plant" in r.text and "secret.yaml" not in r.text


def test_concurrent_guesses_do_not_slip_under_the_limit(web_sqlite):
    codes: list[int] = []

    def guess() -> None:
        codes.append(login(TestClient(web_sqlite.app), "admin", "not the password").status_code)

    threads = [threading.Thread(target=guess) for _ in range(15)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes.count(401) <= 5 and codes.count(429) >= 10


def test_cached_answers_keep_their_headers(web_sqlite):
    c = web_sqlite.client("owner")
    first = c.get(f"/api/plants/{SLUG}/gaps?limit=5")
    again = c.get(f"/api/plants/{SLUG}/gaps?limit=5")
    assert again.headers.get("x-cache") == "hit"
    assert again.headers["x-total-count"] == first.headers["x-total-count"] and len(again.json()) == 5
    assert again.headers["x-frame-options"] == "DENY"


def test_bad_input_gets_4xx_not_500(web_sqlite):
    c = web_sqlite.client("owner")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("plant.yaml", "zonewarden: 1\nplant: {name: A}\n")
        z.writestr("tracking.yaml", "x")
        z.writestr("tracking.yaml/x.yaml", "y")
    r = post(c, "/plants", {"message": "x"}, {"file": ("p.zip", buf.getvalue(), "application/zip")})
    assert r.status_code == 422 and "both a file and a folder" in r.text
    deflated = io.BytesIO()
    with zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("plant.yaml", "zonewarden: 1\nplant: {name: A}\n" * 20)
    broken = bytearray(deflated.getvalue())
    broken[40:48] = b"\x00" * 8
    r = post(c, "/plants", {"message": "x"}, {"file": ("p.zip", bytes(broken), "application/zip")})
    assert r.status_code == 422
    huge = str(2**70)
    for url in (f"/plants/{SLUG}/diff?old=1&new={huge}", f"/plants/{SLUG}/evidence/{huge}",
                f"/api/plants/{SLUG}/assessment?version={huge}", f"/audit?before={huge}"):
        assert c.get(url).status_code in (200, 404, 422), url
    r = post(c, f"/plants/{SLUG}/approvals", {"kind": "change-record", "subject": "v1..v1"})
    assert r.status_code == 422


def test_a_supplier_sees_zones_but_not_the_findings_or_other_suppliers_assets(web_sqlite):
    c = web_sqlite.client("vitrea")
    overview = c.get(f"/plants/{SLUG}").text
    assert "open gaps" not in overview and "Top open gaps" not in overview and "cell-1" in overview
    zone = c.get(f"/plants/{SLUG}/zones/cell-1").text
    assert "<td>plc-filler</td>" in zone and "<td>fw-cell1</td>" not in zone


def test_many_people_logging_in_at_once_are_not_throttled(web_sqlite):
    codes: list[int] = []

    def good() -> None:
        codes.append(login(TestClient(web_sqlite.app), "audit").status_code)

    threads = [threading.Thread(target=good) for _ in range(25)]  # more than both limits, same account and address
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [303] * 25


def test_every_answer_but_a_static_file_is_no_store(web_sqlite):
    from .test_authorization import QUERY, routes, url

    c = web_sqlite.client("owner")
    checked = 0
    for method, path, _action in routes(web_sqlite.app):
        if method != "GET" or path.startswith(("/api/docs", "/docs")):
            continue
        r = c.get(url(path) + QUERY.get(path, ""), follow_redirects=False)
        assert r.headers.get("cache-control") == "no-store", f"GET {path}: {r.status_code} {r.headers}"
        checked += 1
    assert checked >= 30
    c.get(f"/api/plants/{SLUG}/gaps?limit=5")
    again = c.get(f"/api/plants/{SLUG}/gaps?limit=5")
    assert again.headers.get("x-cache") == "hit" and again.headers["cache-control"] == "no-store"
    assert post(c, f"/plants/{SLUG}/tracking", {"finding": "x", "status": "nonsense"}).headers["cache-control"] \
        == "no-store"
    assert TestClient(web_sqlite.app).get("/api/me").headers["cache-control"] == "no-store"  # a 401 too
    assert "cache-control" not in c.get("/static/app.css").headers


def test_the_openapi_document_lists_the_errors_each_route_answers(web_sqlite):
    c = web_sqlite.client("owner")
    doc = c.get("/api/openapi.json").json()
    assert len(doc["paths"]) >= 8
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            codes = set(op["responses"])
            assert {"200", "401", "403"} <= codes, f"{method} {path}: {sorted(codes)}"
            if "{slug}" in path:
                assert {"404", "422"} <= codes, f"{method} {path}: {sorted(codes)}"
                schema = op["responses"]["404"]["content"]["application/json"]["schema"]
                assert schema["$ref"].endswith("/ErrorAnswer")
                answer = c.get(path.replace("{slug}", "no-such-plant").replace("{zone}", "z"))
                assert answer.status_code == 404 and set(answer.json()) == {"error"}
