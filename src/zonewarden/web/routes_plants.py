"""Plants and versions: the list, uploads, the overview, a zone, the diagram, version history and diff."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from ..analysis.priorities import where_to_act
from ..model.tracking import CLOSED
from ..render import registers
from ..store.plants import MAX_UPLOAD, UploadError, read_upload
from ..store.tables import PlantRow, TrafficRun, Version
from .analyses import PlantRejected
from .app import analysed, page, plant_or_404
from .auth import Viewer, require
from .isolation import LimitExceeded
from .routes_review import SEVERITY_ORDER, register_index
from .scope import diagram_input, is_supplier, suppliers, version_message, zone_counts
from .versions import store_upload

router = APIRouter()


def plant_list(request: Request, v: Viewer) -> list[dict]:
    """Every plant with its newest version; for a supplier, only those holding one of its components."""
    with request.app.state.db.session() as s:
        newest = (select(Version.plant_id, func.max(Version.number).label("n")).group_by(Version.plant_id)
                  .subquery())
        rows = s.execute(select(PlantRow, Version).join(newest, newest.c.plant_id == PlantRow.id)
                         .join(Version, (Version.plant_id == PlantRow.id) & (Version.number == newest.c.n))
                         .order_by(PlantRow.slug)).all()
        listed = [{"slug": p.slug, "name": p.name, "version": x.number, "hash": x.hash, "author": x.author.name,
                   "saved": x.created.isoformat(timespec="seconds"), "message": version_message(v, x.message)}
                  for p, x in rows]
    if is_supplier(v):
        listed = [p for p in listed if v.supplier in suppliers(request, p["slug"])]
    return listed


@router.get("/plants", include_in_schema=False)
def plants_page(request: Request, v: Viewer = Depends(require("plant.read"))):
    return page(request, "plants.html.j2", plants=plant_list(request, v), max_upload=MAX_UPLOAD)


def _read(file: UploadFile) -> tuple[str, bytes]:
    return file.filename or "upload", file.file.read(MAX_UPLOAD + 1)


def _rejected(request: Request, e: Exception, slug: str | None = None):
    errors = e.errors if isinstance(e, PlantRejected) else [str(e)]
    status = e.status if isinstance(e, LimitExceeded) else 422
    return page(request, "upload_error.html.j2", status, errors=errors[:50], more=max(0, len(errors) - 50), slug=slug)


# Upload routes are plain functions: FastAPI runs them in its thread pool, so the check of a big plant never
# holds the event loop (and the untrusted part of it runs in the isolated child, web/isolation.py).
@router.post("/plants", include_in_schema=False)
def upload_plant(request: Request, file: UploadFile = File(...), message: str = Form("first upload", max_length=2000),
                 v: Viewer = Depends(require("plant.upload"))):
    name, data = _read(file)
    try:
        version = store_upload(request, v, read_upload(name, data), message)
    except (UploadError, PlantRejected, LimitExceeded) as e:
        return _rejected(request, e)
    with request.app.state.db.session() as s:
        slug = s.get(PlantRow, version.plant_id).slug
    return RedirectResponse(f"/plants/{slug}", status_code=303)


@router.post("/plants/{slug}/versions", include_in_schema=False)
def upload_version(request: Request, slug: str, file: UploadFile = File(...), message: str = Form(..., max_length=2000),
                   v: Viewer = Depends(require("plant.upload"))):
    name, data = _read(file)
    try:
        store_upload(request, v, read_upload(name, data), message, slug)
    except (UploadError, PlantRejected, LimitExceeded) as e:
        return _rejected(request, e, slug)
    return RedirectResponse(f"/plants/{slug}", status_code=303)


def overview_context(request: Request, v: Viewer, slug: str, number: int | None = None) -> dict:
    plant, version, a = analysed(request, slug, number)
    r = a.review
    ordered, _, _ = a.extra("gap-register", lambda: register_index(r.assessment.gaps))
    open_gaps = [g for g in ordered if g.status not in CLOSED]
    by_sev = Counter(g.severity for g in open_gaps)
    order = SEVERITY_ORDER
    top = open_gaps[:10]
    below = [t for t in r.paths.targets if t.below_policy]
    with request.app.state.db.session() as s:
        run = s.scalar(select(TrafficRun).where(TrafficRun.plant_id == plant.id).order_by(TrafficRun.id.desc())
                       .limit(1))
        traffic = None if run is None else {"name": run.name, "at": run.at.isoformat(timespec="seconds"),
                                            "by": run.user.name, "id": run.id, "summary": _traffic_summary(run)}
    counts = zone_counts(v, a.plant)
    return {"plant": plant, "version": version, "message": version_message(v, version.message), "a": a, "r": r,
            "assets": sum(counts.values()), "zone_assets": counts, "open_count": len(open_gaps),
            "by_severity": [(s_, by_sev[s_]) for s_ in order if by_sev[s_]], "top_gaps": top, "below": below,
            "unproven": [c for c in r.paths.compensations if not c.proven], "traffic": traffic,
            "act_first": where_to_act(r.assessment, r.paths)[:5]}


def _traffic_summary(run: TrafficRun) -> dict:
    import json

    data = json.loads(run.result)
    return data.get("summary") or {}


@router.get("/plants/{slug}", include_in_schema=False)
def overview(request: Request, slug: str, v: Viewer = Depends(require("plant.read"))):
    return page(request, "overview.html.j2", **overview_context(request, v, slug))


def diagram(v: Viewer, a) -> str:
    """The version's diagram as the viewer may see it (a supplier's: its own assets, no gaps), drawn once."""
    from ..render.diagram import zone_diagram

    key = f"diagram:supplier:{v.supplier}" if is_supplier(v) else "diagram"
    return a.extra(key, lambda: zone_diagram(*diagram_input(v, a.plant, a.review.assessment)))


@router.get("/plants/{slug}/diagram", include_in_schema=False)
def diagram_page(request: Request, slug: str, v: Viewer = Depends(require("plant.read"))):
    plant, version, a = analysed(request, slug)
    return page(request, "diagram.html.j2", plant=plant, version=version, svg=diagram(v, a))


@router.get("/plants/{slug}/diagram.svg", include_in_schema=False)
def diagram_svg(request: Request, slug: str, v: Viewer = Depends(require("plant.read"))):
    _plant, _version, a = analysed(request, slug)
    return Response(diagram(v, a), media_type="image/svg+xml")


@router.get("/plants/{slug}/versions", include_in_schema=False)
def versions_page(request: Request, slug: str, v: Viewer = Depends(require("plant.read"))):
    with request.app.state.db.session() as s:
        plant = plant_or_404(s, slug)
        rows = s.scalars(select(Version).where(Version.plant_id == plant.id).order_by(Version.number.desc())).all()
        versions = [{"number": x.number, "hash": x.hash, "author": x.author.name,
                     "message": version_message(v, x.message), "saved": x.created.isoformat(timespec="seconds"),
                     "files": len(x.files)} for x in rows]
    return page(request, "versions.html.j2", plant=plant, versions=versions)


@router.get("/plants/{slug}/diff", include_in_schema=False)
def diff_page(request: Request, slug: str, old: int, new: int, v: Viewer = Depends(require("findings.read"))):
    from ..render.change import describe_change, impact_markdown

    plant, vold, a_old = analysed(request, slug, old)
    _, vnew, a_new = analysed(request, slug, new)
    imp = a_new.impact_from(a_old)
    return page(request, "diff.html.j2", plant=plant, old=vold, new=vnew,
                changes=[describe_change(c) for c in imp.diff.changes],
                markdown=impact_markdown(imp, f"version {old}", f"version {new}"))


@router.get("/plants/{slug}/registers/{key}", include_in_schema=False)
def register_page(request: Request, slug: str, key: str, v: Viewer = Depends(require("findings.read"))):
    """Any of the report's registers (zones, conduits, risks, compensations, depth, findings, assets, ...)."""
    plant, version, a = analysed(request, slug)
    makers = {"zones": registers.zones, "conduits": registers.conduits, "risks": registers.risks,
              "compensations": registers.compensations, "depth": registers.depth, "findings": registers.findings,
              "assets": registers.assets, "tracking": registers.tracking}
    if key not in makers:
        raise HTTPException(404, f"no register {key!r}; registers: {', '.join(makers)}")
    return page(request, "register.html.j2", plant=plant, version=version, reg=makers[key](a.review))
