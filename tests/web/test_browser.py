"""The web app in a real browser: Debian's Chromium, headless, driven by Playwright, against a real server
(uvicorn in a thread) on SQLite and on PostgreSQL. Log in, upload the example, read the gaps, change a status,
approve a compensation, and be refused as a supplier and as an auditor. Screenshots of the main pages go to
$ZONEWARDEN_SCREENSHOTS when set (else the test's temporary folder)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from .conftest import ACCOUNTS, PASSWORD, example_zip

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def server(db_url, tmp_path):
    if CHROMIUM is None:
        if os.environ.get("ZONEWARDEN_REQUIRE_BROWSER"):
            pytest.fail("$ZONEWARDEN_REQUIRE_BROWSER is set but Chromium is not installed")
        pytest.skip("no Chromium (Debian package chromium; .ci/run installs it)")
    import uvicorn

    from zonewarden.store.database import open_database
    from zonewarden.store.users import add_user
    from zonewarden.web.app import Settings, create_app

    db = open_database(db_url)
    with db.session() as s:
        for name, (role, supplier) in ACCOUNTS.items():
            add_user(s, name, role, PASSWORD, supplier)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(db, Settings(data=tmp_path / "data")), host="127.0.0.1", port=port,
                                        log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)
    db.engine.dispose()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def shots(tmp_path: Path, db_url: str) -> Path:
    base = Path(os.environ["ZONEWARDEN_SCREENSHOTS"]) if os.environ.get("ZONEWARDEN_SCREENSHOTS") else tmp_path
    folder = base / ("postgresql" if db_url.startswith("postgresql") else "sqlite")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def log_in(page, base: str, name: str) -> None:
    page.goto(f"{base}/plants")
    assert "/login" in page.url
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/plants")


def test_a_day_in_the_web_app(server, browser, tmp_path, db_url):
    out = shots(tmp_path, db_url)
    zipped = tmp_path / "fill-finish.zip"
    zipped.write_bytes(example_zip())
    owner = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = owner.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    log_in(page, server, "owner")
    page.set_input_files("input[name=file]", str(zipped))
    page.click("button:has-text(\"Upload\")")
    page.wait_for_url(f"{server}/plants/fill-finish-line-3")
    assert page.locator("h1").inner_text().lower() == "fill-finish line 3"
    assert page.locator(".card", has_text="open gaps").count() == 1
    page.screenshot(path=str(out / "overview.png"), full_page=True)

    page.click("nav.plant >> text=Gaps")
    rows = page.locator("#gaps tr[data-gap]")
    assert rows.count() > 20
    row = page.locator('tr[data-gap="gap:cell-1:SR 1.1"]')
    assert row.count() == 1 and "open" in row.locator("select").input_value()
    assert "assets short" in row.locator("td.state").inner_text()
    na = page.locator('#na tr[data-na="sis:SR 2.6"]')  # the SIS zone's approved N/A decision, and an inferred one
    assert "N/A, declared" in na.inner_text() and "helvion-ot" in na.inner_text()
    assert "no wireless asset" in page.locator('#na tr[data-na="cell-1:SR 1.6"]').inner_text()
    assert page.locator("#external", has_text="enterprise").count() == 1
    page.screenshot(path=str(out / "gaps.png"))
    row.locator("select").select_option("in-progress")
    row.locator("input[name=justification]").fill("Jump host accounts are being rolled out (browser test).")
    row.locator("button", has_text="Save").click()
    page.wait_for_selector('tr[data-gap="gap:cell-1:SR 1.1"] >> text=saved as version 2')
    page.reload()
    assert page.locator('tr[data-gap="gap:cell-1:SR 1.1"] select').input_value() == "in-progress"

    page.click("nav.plant >> text=Compensations")
    comp = page.locator('#compensations tr[data-subject="plc-washer:CR 1.1"]')
    comp.locator("button", has_text="Approve").click()
    page.wait_for_load_state()
    comp = page.locator('#compensations tr[data-subject="plc-washer:CR 1.1"]')
    assert "approved" in comp.inner_text()
    assert page.locator("#approvals", has_text="plc-washer:CR 1.1").count() == 1
    assert "owner" in page.locator("#approvals").inner_text()
    page.screenshot(path=str(out / "compensations.png"), full_page=True)

    page.click("nav.plant >> text=Diagram")
    assert page.locator(".diagram svg").count() == 1
    page.screenshot(path=str(out / "diagram.png"))
    page.goto(f"{server}/plants/fill-finish-line-3/versions")
    assert page.locator("#versions tr").count() == 4  # header + 3 versions: upload, status, approval
    assert "approved by owner" in page.locator("#versions tr").nth(1).inner_text()
    page.goto(f"{server}/audit")
    assert "chain of" in page.locator("main").inner_text() and "verifies" in page.locator("main").inner_text()
    page.screenshot(path=str(out / "audit.png"))
    owner.close()

    supplier = browser.new_context().new_page()
    log_in(supplier, server, "vitrea")
    supplier.goto(f"{server}/plants/fill-finish-line-3/gaps")
    assert "Not allowed" in supplier.locator("h1").inner_text()
    supplier.screenshot(path=str(out / "supplier-refused.png"))
    supplier.goto(f"{server}/plants/fill-finish-line-3/components")
    assert supplier.locator('tr[data-asset="plc-filler"]').count() == 1
    assert supplier.locator('tr[data-asset="fw-cell1"]').count() == 0
    supplier.screenshot(path=str(out / "supplier-components.png"))

    auditor = browser.new_context().new_page()
    log_in(auditor, server, "audit")
    auditor.goto(f"{server}/plants/fill-finish-line-3/gaps")
    assert auditor.locator('#gaps tr[data-gap="gap:cell-1:SR 1.1"]', has_text="in-progress").count() == 1
    assert auditor.locator("#gaps select").count() == 0  # reads, no status forms
    csrf = auditor.locator("body").get_attribute("hx-headers")
    token = csrf.split('"')[3]
    r = auditor.request.post(f"{server}/plants/fill-finish-line-3/tracking", headers={"X-CSRF-Token": token},
                             form={"finding": "gap:cell-1:SR 1.1", "status": "accepted", "justification": "no"})
    assert r.status == 403
    r = auditor.request.post(f"{server}/plants/fill-finish-line-3/approvals", headers={"X-CSRF-Token": token},
                             form={"kind": "compensation", "subject": "plc-washer:CR 1.1"})
    assert r.status == 403
    auditor.screenshot(path=str(out / "auditor-gaps.png"))
    assert not [e for e in errors if "Content Security Policy" in e or "htmx" in e.lower()], errors
