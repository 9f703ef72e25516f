"""A supplier sees only the plants that hold its components, and in them only its own components: every route
of the app is walked as each of two suppliers, and no answer (page, API, diagram, procurement pack in every
format, error) names an asset of anyone else by id, name or host name."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from zonewarden.store.users import add_user

from .conftest import PASSWORD, SLUG
from .test_authorization import FILES, FORMS, QUERY, routes

OTHER_PLANT = b"""zonewarden: 1
plant: {name: Other Line, owner: own}
roles:
  own: {kind: asset_owner, name: Owner}
  kessler: {kind: product_supplier, name: Kessler Netzwerktechnik AG}
zones:
  z1: {name: Zone 1, level: 1, kind: control, networks: [10.9.0.0/24], sl_target: 1, owner: own}
assets:
  secret-plc: {name: Secret PLC, zone: z1, type: embedded_device, function: plc, supplier: kessler,
               hostname: secret-host}
"""
OWN = {"vitrea": {"asset": "plc-filler", "zone": "cell-1"}, "kessler": {"asset": "fw-cell1", "zone": "cell-1"}}


def other_assets(web, supplier: str) -> list[str]:
    """Ids, names and host names of every asset, in any plant, that is not `supplier`'s."""
    found = []
    for slug in ("fill-finish-line-3", "other-line"):
        with web.db.session() as s:
            from zonewarden.web.app import plant_or_404, version_or_404

            version = version_or_404(s, plant_or_404(s, slug))
            h, entry = version.hash, version.entry
        a = web.app.state.analyses.get(h, entry, lambda: {})
        for aid, x in a.plant.assets.items():
            if x.supplier != supplier:
                found += [t for t in (aid, x.name, x.hostname) if t]
    return found


def leaks(body: bytes, content_type: str, names: list[str]) -> list[str]:
    if content_type.startswith("application/vnd.openxmlformats"):
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            text = " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    else:
        text = body.decode("utf-8", "replace")
    return [n for n in names if re.search(r"(?<![\w-])" + re.escape(n) + r"(?![\w-])", text)]


@pytest.fixture
def plants(web_sqlite):
    """The example plant with a version whose message names another supplier's asset, and a second plant that
    holds none of vitrea's components."""
    with web_sqlite.db.session() as s:
        add_user(s, "kessler", "supplier", PASSWORD, "kessler")
        add_user(s, "acme", "supplier", PASSWORD, "acme")
    integ = web_sqlite.client("integ")
    r = integ.post(f"/plants/{SLUG}/components/sw-cell1", data={"certificate": "lab report", "csrf_token": integ.csrf},
                   follow_redirects=False)
    assert r.status_code == 303
    r = integ.post("/plants", data={"message": "secret-plc added", "csrf_token": integ.csrf},
                   files={"file": ("plant.yaml", OTHER_PLANT, "application/x-yaml")}, follow_redirects=False)
    assert r.status_code == 303, r.text[-400:]
    return web_sqlite


def target(path: str, supplier: str, slug: str) -> str:
    params = {"slug": slug, "name": "victim", "eid": "1", "key": "depth", "conduit": "eng-cell1", **OWN[supplier]}
    out = path.replace("/documents/{name}", "/documents/crs.md")
    for k, v in params.items():
        out = out.replace("{" + k + "}", v)
    return out + QUERY.get(path, "")


def answers(web, supplier: str, slug: str):
    """(method, url, response) for every route of the app, as `supplier`, on plant `slug`."""
    c = web.client(supplier)
    for method, path, action in routes(web.app):
        if action is None or path == "/logout":
            continue
        url = target(path, supplier, slug)
        if method == "GET":
            yield method, url, c.get(url, follow_redirects=False)
            continue
        data = {**(FORMS.get(path) or {}), "csrf_token": c.csrf}
        if "asset" in data:
            data["asset"] = OWN[supplier]["asset"]
        files = {"file": FILES[path]} if path in FILES else None
        yield method, url, c.post(url, data=data, files=files, follow_redirects=False)
    for fmt in ("md", "json", "xlsx"):  # the supplier's own documents, in every format
        url = f"/plants/{slug}/procurement/{OWN[supplier]['zone']}?format={fmt}"
        yield "GET", url, c.get(url)


@pytest.mark.parametrize("supplier", ["vitrea", "kessler"])
def test_no_answer_names_another_suppliers_asset(plants, supplier):
    names = other_assets(plants, supplier)
    assert "fw-cell1" in names or "plc-filler" in names
    found, checked = [], 0
    for method, url, r in answers(plants, supplier, SLUG):
        assert r.status_code < 500, f"{method} {url}: {r.status_code}"
        checked += 1
        bad = leaks(r.content, r.headers.get("content-type", ""), names)
        if bad:
            found.append(f"{method} {url} ({r.status_code}): {', '.join(bad[:5])}")
    assert not found, "\n".join(found)
    assert checked >= 40
    c = plants.client(supplier)
    own = OWN[supplier]["asset"]
    assert own in c.get(f"/plants/{SLUG}/diagram.svg").text  # its own components are drawn
    assert own in c.get(f"/plants/{SLUG}/components").text


def test_a_plant_without_the_suppliers_components_is_not_listed_and_answers_404(plants):
    c = plants.client("vitrea")
    assert [p["slug"] for p in c.get("/api/plants").json()] == [SLUG]
    assert "other-line" not in c.get("/plants").text
    for method, url, r in answers(plants, "vitrea", "other-line"):
        if not url.startswith(("/plants/other-line", "/api/plants/other-line")):
            continue
        assert r.status_code in (403, 404), f"{method} {url}: {r.status_code}"
        assert not leaks(r.content, r.headers.get("content-type", ""), ["secret-plc", "Secret PLC", "Other Line"])
    nothing = plants.client("acme")  # a supplier with no component anywhere sees no plant at all
    assert nothing.get("/api/plants").json() == []
    assert nothing.get(f"/api/plants/{SLUG}/zones").status_code == 404
    kessler = plants.client("kessler")
    assert {p["slug"] for p in kessler.get("/api/plants").json()} == {SLUG, "other-line"}


def test_a_supplier_sees_no_version_message_and_counts_only_its_own_assets(plants):
    c = plants.client("vitrea")
    assert all(v["message"] is None for v in c.get(f"/api/plants/{SLUG}/versions").json())
    zones = {z["id"]: z["assets"] for z in c.get(f"/api/plants/{SLUG}/zones").json()}
    owner = {z["id"]: z["assets"] for z in plants.client("owner").get(f"/api/plants/{SLUG}/zones").json()}
    assert zones["cell-1"] == 12 and owner["cell-1"] == 14 and zones["enterprise"] == 0
    assert any(v["message"] for v in plants.client("owner").get(f"/api/plants/{SLUG}/versions").json())
