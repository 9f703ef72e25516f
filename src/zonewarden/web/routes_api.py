"""The JSON API: the same analyses as the pages and the CLI's `--format json`, under /api.

Every route needs a session (401 without one) and the same action as its page; scripts log in with
the form and keep the cookie. The OpenAPI document is /api/openapi.json.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from sqlalchemy import select

from ..render.assessment import assessment_json, summary_json
from ..store.tables import Version
from .app import analysed, plant_or_404
from .auth import Viewer, require
from .routes_plants import plant_list

router = APIRouter(prefix="/api", tags=["api"])


@router.get("/me")
def me(v: Viewer = Depends(require("plant.read"))) -> dict[str, Any]:
    """The logged-in account."""
    return {"name": v.name, "role": v.role, "supplier": v.supplier}


@router.get("/plants")
def plants(request: Request, v: Viewer = Depends(require("plant.read"))) -> list[dict[str, Any]]:
    """Every plant with its newest version."""
    return plant_list(request)


@router.get("/plants/{slug}/versions")
def versions(request: Request, slug: str, v: Viewer = Depends(require("plant.read"))) -> list[dict[str, Any]]:
    with request.app.state.db.session() as s:
        p = plant_or_404(s, slug)
        return [{"number": x.number, "hash": x.hash, "author": x.author.name, "message": x.message,
                 "saved": x.created.isoformat(timespec="seconds")}
                for x in s.scalars(select(Version).where(Version.plant_id == p.id).order_by(Version.number))]


@router.get("/plants/{slug}/zones")
def zones(request: Request, slug: str, v: Viewer = Depends(require("plant.read"))) -> list[dict[str, Any]]:
    """Zones with SL-T, SL-C and SL-A (no gaps: those are findings)."""
    _, _, a = analysed(request, slug)
    return [{"id": z.id, "name": z.name, "level": z.level, "sl_target": z.sl_target.as_list(),
             "sl_target_source": z.sl_target_source,
             "sl_capability": z.sl_capability.as_list() if z.sl_capability else None,
             "sl_achieved": z.sl_achieved.as_list(), "assets": len(z.assets)} for z in a.review.assessment.zones]


@router.get("/plants/{slug}/assessment")
def assessment(request: Request, slug: str, version: int | None = None,
               v: Viewer = Depends(require("findings.read"))) -> dict[str, Any]:
    """The same JSON as `zonewarden assess --format json` for the version (newest by default)."""
    _, ver, a = analysed(request, slug, version)
    data = a.extra("assessment_json", lambda: assessment_json(a.review.assessment))
    return {"version": ver.number, "hash": ver.hash, **data}


@router.get("/plants/{slug}/gaps")
def gaps(request: Request, response: Response, slug: str, role: str | None = None, status: str | None = None,
         zone: str | None = None, limit: int = Query(1000, ge=1, le=20000), offset: int = Query(0, ge=0),
         v: Viewer = Depends(require("findings.read"))) -> list[dict[str, Any]]:
    """Gaps filtered by owner role, status and zone or conduit, `limit` from `offset` (the total is in the
    X-Total-Count header)."""
    _, _, a = analysed(request, slug)
    chosen = [g for g in a.extra("gaps", lambda: a.review.assessment.gaps)
              if (not role or g.owner_role == role) and (not status or g.status == status)
              and (not zone or g.where == zone)]
    response.headers["X-Total-Count"] = str(len(chosen))
    return [{"id": g.id, "scope": g.scope, "where": g.where, "requirement": g.requirement, "title": g.title,
             "severity": g.severity, "owner_role": g.owner_role, "status": g.status, "assets": g.assets}
            for g in chosen[offset:offset + limit]]


@router.get("/plants/{slug}/paths")
def paths(request: Request, slug: str, v: Viewer = Depends(require("findings.read"))) -> dict[str, Any]:
    _, _, a = analysed(request, slug)
    return a.review.paths.as_dict()


@router.get("/plants/{slug}/zones/{zone}")
def zone(request: Request, slug: str, zone: str, v: Viewer = Depends(require("findings.read"))) -> dict[str, Any]:
    _, _, a = analysed(request, slug)
    if zone not in a.plant.zones:
        raise HTTPException(404, f"no zone {zone!r}")
    return assessment_json(a.review.assessment, zone=zone,
                           summary=a.extra("summary", lambda: summary_json(a.review.assessment)))
