"""The FastAPI app: settings, the shared pieces every route uses, and how errors are answered.

Pages are rendered on the server from Jinja2 templates (htmx for the small in-place updates, no
front-end build); `/api/...` answers the same data as JSON and is described by `/api/openapi.json`.
Without a session, pages redirect to the login form and the API answers 401; a role without the
action gets 403 on both. docs/web.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from .. import __version__
from ..store import audit
from ..store.database import Database
from ..store.evidence import EvidenceStore
from ..store.tables import PlantRow, Version
from .analyses import Analysed, AnalysisCache
from .auth import Viewer
from .pagecache import PageCache
from .permissions import allowed

HERE = Path(__file__).resolve().parent


@dataclass
class Settings:
    data: Path = field(default_factory=lambda: Path("zonewarden-data"))
    secure_cookies: bool = False
    csaf: Path | None = None  # CISA CSAF folder for the advisories page ($ZONEWARDEN_CSAF)
    cache_size: int = 8


def templates() -> Jinja2Templates:
    t = Jinja2Templates(directory=str(HERE / "templates"))
    t.env.globals["version"] = __version__
    t.env.globals["allowed"] = allowed
    t.env.filters["sl"] = lambda v: "–" if v is None else " ".join(str(x) for x in v.as_list())
    t.env.filters["tojson_pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False, default=str)
    t.env.filters["role_title"] = lambda r: (r or "").replace("_", " ")
    return t


TEMPLATES = templates()


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    v: Viewer | None = getattr(request.state, "viewer", None)
    return TEMPLATES.TemplateResponse(request, template, {"viewer": v, "csrf": v.csrf if v else "", **context},
                                      status_code=status_code)


def record(request: Request, v: Viewer, action: str, *, plant: str | None = None, subject: str | None = None,
           detail: dict[str, Any] | None = None, session=None) -> None:
    """Append to the audit trail, in the caller's transaction when given (so the change and its row commit together)."""
    if session is not None:
        audit.append(session, v.name, action, plant=plant, subject=subject, detail=detail)
        return
    with request.app.state.db.session() as s:
        audit.append(s, v.name, action, plant=plant, subject=subject, detail=detail)


def plant_or_404(session, slug: str) -> PlantRow:
    row = session.scalar(select(PlantRow).where(PlantRow.slug == slug))
    if row is None:
        raise HTTPException(404, f"no plant {slug!r}")
    return row


def version_or_404(session, plant: PlantRow, number: int | None = None) -> Version:
    q = select(Version).where(Version.plant_id == plant.id)
    q = q.where(Version.number == number) if number is not None else q.order_by(Version.number.desc()).limit(1)
    v = session.scalar(q)
    if v is None:
        raise HTTPException(404, f"plant {plant.slug!r} has no version {number}" if number else
                            f"plant {plant.slug!r} has no version yet")
    return v


def analysed(request: Request, slug: str, number: int | None = None) -> tuple[PlantRow, Version, Analysed]:
    """The plant row, its version (newest unless `number`) and that version's analysis (cached by hash)."""
    from ..store.plants import files_of

    db: Database = request.app.state.db
    with db.session() as s:
        plant = plant_or_404(s, slug)
        version = version_or_404(s, plant, number)
        vid = version.id

        def files() -> dict[str, bytes]:
            with db.session() as s2:
                return files_of(s2, s2.get(Version, vid))

        return plant, version, request.app.state.analyses.get(version.hash, version.entry, files)


def _cache_key(request: Request, slug: str) -> tuple[tuple, str] | None:
    """(cache key, the session's CSRF token) for a logged-in GET of a plant's page; None without a session."""
    from .auth import viewer

    try:
        v = viewer(request)
    except HTTPException:
        return None
    with request.app.state.db.session() as s:
        generation = PageCache.generation(s, slug)
    return (slug, generation, v.id, request.url.path, request.url.query), v.csrf


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(db: Database, settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(title="zonewarden", version=__version__, docs_url="/api/docs", redoc_url=None,
                  openapi_url="/api/openapi.json",
                  description="IEC 62443 zones, conduits and security levels: the same analyses as the CLI.")
    app.state.db = db
    app.state.settings = settings
    app.state.analyses = AnalysisCache(settings.data / "plants", settings.cache_size)
    app.state.evidence = EvidenceStore(settings.data / "evidence")
    app.state.pages = PageCache()
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def cache_pages(request: Request, call_next):
        """GETs of a plant's pages from web/pagecache.py, when the plant has not changed since they were made."""
        slug = PageCache.plant_of(request.url.path) if request.method == "GET" else None
        if slug is None:
            return await call_next(request)
        looked = await run_in_threadpool(_cache_key, request, slug)
        if looked is None:
            return await call_next(request)
        key, csrf = looked
        pages: PageCache = request.app.state.pages
        hit = pages.get(key, csrf)
        if hit is not None:
            return Response(hit.body, media_type=hit.media_type, headers={"X-Cache": "hit"})
        response = await call_next(request)
        if response.status_code != 200 or "content-disposition" in response.headers:
            return response
        body = b"".join([chunk async for chunk in response.body_iterator])
        pages.put(key, body, response.headers.get("content-type", "text/html"), csrf)
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(body, status_code=200, headers=headers)

    @app.middleware("http")
    async def headers(request: Request, call_next):
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                    "frame-ancestors 'none'; form-action 'self'")
        return response

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        if exc.status_code == 401 and not wants_json(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        if wants_json(request) or request.headers.get("hx-request"):
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return page(request, "error.html.j2", exc.status_code, status=exc.status_code, message=exc.detail)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        problems = [f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in exc.errors()]
        if wants_json(request):
            return JSONResponse({"error": "bad request", "problems": problems}, status_code=422)
        return page(request, "error.html.j2", 422, status=422, message="; ".join(problems))

    from . import routes_admin, routes_api, routes_auth, routes_plants, routes_review

    for module in (routes_auth, routes_plants, routes_review, routes_admin, routes_api):
        app.include_router(module.router)
    return app


def app_from_env() -> FastAPI:
    """The app as `serve --workers N` starts it in each worker process (settings passed by environment)."""
    import os

    from ..store.database import open_database

    csaf = os.environ.get("ZONEWARDEN_CSAF")
    return create_app(open_database(None), Settings(data=Path(os.environ.get("ZONEWARDEN_WEB_DATA", "zonewarden-data")),
                                                    secure_cookies=bool(os.environ.get("ZONEWARDEN_WEB_SECURE")),
                                                    csaf=Path(csaf) if csaf else None))
