"""The FastAPI app: settings, the shared pieces every route uses, and how errors are answered.

Pages are rendered on the server from Jinja2 templates (htmx for the small in-place updates, no
front-end build); `/api/...` answers the same data as JSON and is described by `/api/openapi.json`.
Without a session, pages redirect to the login form and the API answers 401; a role without the
action gets 403 on both, before any request body is read (web/admission.py). Every answer but a static
file is marked `Cache-Control: no-store`. docs/web.md.
"""

from __future__ import annotations

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
from . import analyses
from .analyses import Analysed, AnalysisCache
from .auth import Viewer
from .isolation import Isolation, Limits
from .pagecache import PageCache
from .permissions import allowed

HERE = Path(__file__).resolve().parent


@dataclass
class Settings:
    data: Path = field(default_factory=lambda: Path("zonewarden-data"))
    secure_cookies: bool = False
    csaf: Path | None = None  # CISA CSAF folder for the advisories page ($ZONEWARDEN_CSAF)
    cache_size: int = 8
    limits: Limits = field(default_factory=Limits)  # for the isolated check of uploaded files


GAP_STATES = {"assets_short": "assets short", "system_level": "system level", "partly_bounded": "partly bounded"}


def templates() -> Jinja2Templates:
    """Every template autoescaped (their names end in .html.j2, which Jinja's default would not escape)."""
    from jinja2 import Environment, FileSystemLoader

    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=True)
    t = Jinja2Templates(env=env)
    t.env.globals["version"] = __version__
    t.env.globals["allowed"] = allowed
    t.env.filters["sl"] = lambda v: "–" if v is None else " ".join(str(x) for x in v.as_list())
    t.env.filters["role_title"] = lambda r: (r or "").replace("_", " ")
    t.env.filters["level"] = lambda x: int(x) if float(x).is_integer() else x  # Purdue level 4, or 3.5
    t.env.filters["gap_state"] = lambda s: GAP_STATES.get(s, s or "")
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


MAX_ID = 2**31 - 1  # ids and version numbers beyond this are not ours (and overflow the database's integers)


def version_or_404(session, plant: PlantRow, number: int | None = None) -> Version:
    if number is not None and not 0 < number <= MAX_ID:
        raise HTTPException(404, f"plant {plant.slug!r} has no version {number}")
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
    return (slug, generation, analyses.today(), v.id, request.url.path, request.url.query), v.csrf


NO_STORE = (b"cache-control", b"no-store")  # pages and answers are per account: no shared or disk cache keeps them
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"), (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                 b"frame-ancestors 'none'; form-action 'self'"),
]


class PageCacheMiddleware:
    """Pure ASGI (no per-request task group): the security headers on every answer (and `no-store` on all but
    static files), and GETs of a plant's pages answered from web/pagecache.py while the plant has not changed."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        extra = SECURITY_HEADERS if scope["path"].startswith("/static/") else [*SECURITY_HEADERS, NO_STORE]

        async def send_secure(message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in extra if h[0] not in have)]
            await send(message)

        slug = PageCache.plant_of(scope["path"]) if scope["method"] == "GET" else None
        if slug is None:
            await self.app(scope, receive, send_secure)
            return
        request = Request(scope)  # its .state is the scope's: the route finds the viewer looked up here
        looked = await run_in_threadpool(_cache_key, request, slug)
        if looked is None:
            await self.app(scope, receive, send_secure)
            return
        key, csrf = looked
        pages: PageCache = scope["app"].state.pages
        hit = pages.get(key, csrf)
        if hit is not None:
            await send_secure({"type": "http.response.start", "status": 200, "headers": [
                (b"content-type", hit.media_type.encode()), (b"content-length", str(len(hit.body)).encode()),
                *hit.headers, (b"x-cache", b"hit")]})
            await send({"type": "http.response.body", "body": hit.body})
            return
        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))
            await send_secure(message)
            if message["type"] == "http.response.body" and not message.get("more_body") and start:
                headers = {k.lower(): v for k, v in start.get("headers", [])}
                if start["status"] == 200 and b"content-disposition" not in headers:
                    pages.put(key, b"".join(chunks), headers.get(b"content-type", b"text/html").decode(), csrf,
                              list(start.get("headers", [])))

        await self.app(scope, receive, capture)


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_answer(request: Request, exc: HTTPException) -> Response:
    """The answer to a refusal: the login form for a page without a session, JSON for the API and htmx, else
    the error page."""
    if exc.status_code == 401 and not wants_json(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    if wants_json(request) or request.headers.get("hx-request"):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)
    return page(request, "error.html.j2", exc.status_code, status=exc.status_code, message=exc.detail)


def create_app(db: Database, settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(title="zonewarden", version=__version__, docs_url="/api/docs", redoc_url=None,
                  openapi_url="/api/openapi.json",
                  description="IEC 62443 zones, conduits and security levels: the same analyses as the CLI.")
    app.state.db = db
    app.state.settings = settings
    app.state.isolation = Isolation(settings.limits)
    app.state.isolation.warm()
    app.state.analyses = AnalysisCache(settings.data / "plants", settings.cache_size, app.state.isolation)
    app.state.evidence = EvidenceStore(settings.data / "evidence")
    app.state.pages = PageCache()
    app.state.suppliers = {}  # version hash -> supplier role ids with a component in it: web/scope.py
    app.state.sessions = {}  # sha256(token) -> (Viewer, monotonic time until which it is trusted): web/auth.py
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    from .admission import AdmissionMiddleware

    app.add_middleware(AdmissionMiddleware)  # inside the page cache, so its refusals carry the security headers
    app.add_middleware(PageCacheMiddleware)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return error_answer(request, exc)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        problems = [f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in exc.errors()]
        if wants_json(request):
            return JSONResponse({"error": "bad request", "problems": problems}, status_code=422)
        return page(request, "error.html.j2", 422, status=422, message="; ".join(problems))

    from . import routes_admin, routes_api, routes_auth, routes_plants, routes_review, routes_zones

    for module in (routes_auth, routes_plants, routes_zones, routes_review, routes_admin, routes_api):
        app.include_router(module.router)
    return app


def app_from_env() -> FastAPI:
    """The app as `serve --workers N` starts it in each worker process (settings passed by environment)."""
    import os

    from ..store.database import open_database

    csaf = os.environ.get("ZONEWARDEN_CSAF")
    limits = Limits(float(os.environ.get("ZONEWARDEN_CHECK_SECONDS", Limits.seconds)),
                    int(os.environ.get("ZONEWARDEN_CHECK_MEMORY", Limits.memory_mb)))
    return create_app(open_database(None), Settings(data=Path(os.environ.get("ZONEWARDEN_WEB_DATA", "zonewarden-data")),
                                                    secure_cookies=bool(os.environ.get("ZONEWARDEN_WEB_SECURE")),
                                                    csaf=Path(csaf) if csaf else None, limits=limits))
