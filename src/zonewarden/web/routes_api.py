"""The JSON API: the same analyses as the pages and the CLI's `--format json`, under /api.

Every route needs a session (401 without one) and the same action as its page; scripts log in with
the form and keep the cookie. The OpenAPI document is /api/openapi.json; it lists every answer a route
gives, errors included (`{"error": ...}`), which the schemathesis run of tests/fuzz/test_fuzz_web.py holds
it to.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import select

from ..render.assessment import _external as external_json
from ..render.assessment import assessment_json, summary_json
from ..store.tables import Version
from .app import analysed, plant_or_404
from .auth import Viewer, require
from .routes_plants import plant_list
from .scope import version_message, zone_counts


class ErrorAnswer(BaseModel):
    error: str


class BadRequest(BaseModel):
    error: str
    problems: list[str]


router = APIRouter(prefix="/api", tags=["api"], responses={
    401: {"model": ErrorAnswer, "description": "Not logged in."},
    403: {"model": ErrorAnswer, "description": "The account's role may not read this."}})
PLANT = {404: {"model": ErrorAnswer, "description": "No such plant (for a supplier: none that holds one of its "
                                                    "components), version or zone."},
         422: {"model": BadRequest, "description": "A parameter that is not of the expected type or range."}}


@router.get("/me")
def me(v: Viewer = Depends(require("plant.read"))) -> dict[str, Any]:
    """The logged-in account."""
    return {"name": v.name, "role": v.role, "supplier": v.supplier}


@router.get("/plants")
def plants(request: Request, v: Viewer = Depends(require("plant.read"))) -> list[dict[str, Any]]:
    """Every plant with its newest version (a supplier: the plants that hold one of its components)."""
    return plant_list(request, v)


@router.get("/plants/{slug}/versions", responses=PLANT)
def versions(request: Request, slug: str, v: Viewer = Depends(require("plant.read"))) -> list[dict[str, Any]]:
    with request.app.state.db.session() as s:
        p = plant_or_404(s, slug)
        return [{"number": x.number, "hash": x.hash, "author": x.author.name,
                 "message": version_message(v, x.message), "saved": x.created.isoformat(timespec="seconds")}
                for x in s.scalars(select(Version).where(Version.plant_id == p.id).order_by(Version.number))]


@router.get("/plants/{slug}/zones", responses=PLANT)
def zones(request: Request, slug: str, v: Viewer = Depends(require("plant.read"))) -> list[dict[str, Any]]:
    """Zones with SL-T, SL-C and SL-A (no gaps: those are findings); `assets` counts those the account may see.
    Zones outside the system under consideration come last, with `scope` external and no SL."""
    _, _, a = analysed(request, slug)
    counts = zone_counts(v, a.plant)
    suc = [{"id": z.id, "name": z.name, "level": z.level, "scope": "suc", "sl_target": z.sl_target.as_list(),
            "sl_target_source": z.sl_target_source,
            "sl_capability": z.sl_capability.as_list() if z.sl_capability else None,
            "sl_achieved": z.sl_achieved.as_list(), "assets": counts.get(z.id, 0)} for z in a.review.assessment.zones]
    outside = [{"id": zid, "name": a.plant.zones[zid].name, "level": a.plant.zones[zid].level, "scope": "external",
                "sl_target": None, "sl_target_source": None, "sl_capability": None, "sl_achieved": None,
                "assets": counts.get(zid, 0)} for zid in a.review.assessment.external]
    return suc + outside


@router.get("/plants/{slug}/assessment", responses=PLANT)
def assessment(request: Request, slug: str, version: int | None = None,
               v: Viewer = Depends(require("findings.read"))) -> dict[str, Any]:
    """The same JSON as `zonewarden assess --format json` for the version (newest by default)."""
    _, ver, a = analysed(request, slug, version)
    data = a.extra("assessment_json", lambda: assessment_json(a.review.assessment))
    return {"version": ver.number, "hash": ver.hash, **data}


@router.get("/plants/{slug}/gaps", responses=PLANT)
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
             "severity": g.severity, "owner_role": g.owner_role, "status": g.status, "state": g.state, "why": g.why,
             "assets": g.assets, "conduits": g.conduits}
            for g in chosen[offset:offset + limit]]


@router.get("/plants/{slug}/paths", responses=PLANT)
def paths(request: Request, slug: str, v: Viewer = Depends(require("findings.read"))) -> dict[str, Any]:
    _, _, a = analysed(request, slug)
    return a.review.paths.as_dict()


@router.get("/plants/{slug}/zones/{zone}", responses=PLANT)
def zone(request: Request, slug: str, zone: str, v: Viewer = Depends(require("findings.read"))) -> dict[str, Any]:
    _, _, a = analysed(request, slug)
    if zone not in a.plant.zones:
        raise HTTPException(404, f"no zone {zone!r}")
    data = assessment_json(a.review.assessment, zone=zone,
                           summary=a.extra("summary", lambda: summary_json(a.review.assessment)))
    if zone in a.review.assessment.external:  # no SL or gaps: the zone as an entry point, with its assumptions
        data["external_zones"] = [x for x in external_json(a.review.assessment) if x["id"] == zone]
    return data
