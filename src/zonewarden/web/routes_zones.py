"""Zones and conduits: their pages, and the asset owner's applicability decisions on them.

A zone of the system under consideration shows its SL-T, SL-C and SL-A, its gaps with their state, and the
requirements that do not apply there, declared (with the approval) or inferred (with the reason). A zone
outside it (`scope: external`, design §4) is shown as an entry point, with no SL and no gaps. An asset owner
records an N/A decision (`applicability:` in the plant file: justification, approval by the plant's asset-owner
role, date, evidence) or withdraws one; either is a new plant version, checked first: a decision the checks
refuse (not a 62443-3-3 requirement, contradicted by the model) is not saved, and its message is shown beside
the field. docs/web.md#applicability.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from ..analysis.applicability import refusal
from ..model.plant import Plant
from ..render.plant_edit import remove_applicability, set_applicability
from ..standard.catalog import Catalog, normalize_id
from .analyses import Analysed
from .app import analysed, page
from .auth import Viewer, require
from .routes_review import rewrite
from .scope import visible_asset
from .versions import edit_version

router = APIRouter()
TABLES = {"zone": "zones", "conduit": "conduits"}


def requirement_order(rid: str) -> tuple[int, ...]:
    """SR 1.13 after SR 1.2, its REs after it."""
    return tuple(int(n) for n in re.findall(r"\d+", rid))


def approver(plant: Plant) -> str | None:
    """The asset-owner role an approval given here is recorded under: the plant's owner when that is an
    asset-owner role, else the plant's first asset-owner role."""
    owner = plant.plant.owner
    if owner in plant.roles and plant.roles[owner].kind == "asset_owner":
        return owner
    return next((rid for rid, r in plant.roles.items() if r.kind == "asset_owner"), None)


def not_applicable_rows(na: dict, catalog: Catalog) -> list[dict[str, Any]]:
    """The N/A requirements of one zone or conduit, in catalog order, with their titles and levels."""
    rows = []
    for rid in sorted(na, key=requirement_order):
        n, req = na[rid], catalog.find(rid)
        rows.append({"requirement": rid, "title": req.title if req else "", "level": req.level if req else None,
                     "source": n.source, "reason": n.reason, "approved_by": n.approved_by,
                     "approved_on": n.approved_on, "evidence": n.evidence})
    return rows


def decision_rows(plant: Plant, where: str, oid: str, catalog: Catalog) -> list[dict[str, Any]]:
    """The decisions recorded in the plant for one zone or conduit, each with whether it counts and why not."""
    owner = getattr(plant, TABLES[where])[oid]
    rows = []
    for d in owner.applicability:
        rid = normalize_id(d.requirement)
        if not d.not_applicable:
            status, counts = "applies here, against the model's inference", True
        elif rid not in catalog or not rid.startswith("SR "):
            status, counts = "does not count: not a 62443-3-3 requirement", False
        else:
            why = refusal(plant, where, oid, d, catalog)
            status, counts = ("counts", True) if why is None else (f"does not count: {why}", False)
        rows.append({"requirement": rid, "not_applicable": d.not_applicable, "justification": d.justification,
                     "approved_by": d.approved_by, "approved_on": d.approved_on.isoformat() if d.approved_on else None,
                     "evidence": d.evidence, "status": status, "counts": counts})
    return rows


def _context(request: Request, v: Viewer, slug: str, where: str, oid: str) -> dict[str, Any]:
    """What a zone's or conduit's page shows; 404 when the plant has none of that id."""
    plant, version, a = analysed(request, slug)
    table = getattr(a.plant, TABLES[where])
    if oid not in table:
        raise HTTPException(404, f"plant {slug!r} has no {where} {oid!r}")
    r = a.review.assessment
    catalog = a.review.catalog
    ctx: dict[str, Any] = {"plant": plant, "version": version, "a": a, "where": where, "oid": oid,
                           "model": table[oid], "external": r.external, "approver": approver(a.plant),
                           "form": {}, "error": None, "withdraw_error": None}
    if where == "zone":
        result = next((z for z in r.zones if z.id == oid), None)
        ctx["conduits"] = [c for c in r.conduits if oid in c.zones]
        ctx["outside"] = [cid for cid, c in a.plant.conduits.items() if oid in c.zones
                          and not any(x.id == cid for x in r.conduits)]
        ctx["assets"] = [aid for aid, x in a.plant.assets.items() if x.zone == oid and visible_asset(v, x)]
        if result is not None:
            from ..render.charts import sl_chart

            ctx["chart"] = sl_chart(result.sl_target, result.sl_achieved, result.sl_capability, label=result.id)
    else:
        result = next((c for c in r.conduits if c.id == oid), None)
    ctx["result"] = result
    ctx["na"] = not_applicable_rows(result.not_applicable, catalog) if result is not None else []
    ctx["decisions"] = decision_rows(a.plant, where, oid, catalog)
    return ctx


def _page(request: Request, ctx: dict[str, Any], status_code: int = 200):
    return page(request, f"{ctx['where']}.html.j2", status_code, **ctx)


@router.get("/plants/{slug}/zones/{zone}", include_in_schema=False)
def zone_page(request: Request, slug: str, zone: str, v: Viewer = Depends(require("plant.read"))):
    return _page(request, _context(request, v, slug, "zone", zone))


@router.get("/plants/{slug}/conduits/{conduit}", include_in_schema=False)
def conduit_page(request: Request, slug: str, conduit: str, v: Viewer = Depends(require("plant.read"))):
    return _page(request, _context(request, v, slug, "conduit", conduit))


def _refusal_of(where: str, oid: str, rid: str):
    """A `verify` for edit_version: refuse the new files when the checks warn about the decision just written
    (not approved, or contradicted by the model), with the check's own message."""
    table = TABLES[where]

    def verify(new: Analysed) -> None:
        decisions = getattr(new.plant, table)[oid].applicability
        index = next((i for i, d in enumerate(decisions) if normalize_id(d.requirement) == rid), None)
        here = (table, oid, "applicability", index)
        for f in new.warnings:
            if f.rule.startswith("not-applicable") and f.path and tuple(f.path[:4]) == here:
                raise HTTPException(422, f"{f.message} ({f.rule}); the decision was not saved")

    return verify


def _decide(request: Request, v: Viewer, slug: str, where: str, oid: str, requirement: str, justification: str,
            evidence: str, base: int | None):
    ctx_values = {"requirement": requirement, "justification": justification, "evidence": evidence}
    _plant, _version, a = analysed(request, slug)
    table = TABLES[where]
    if oid not in getattr(a.plant, table):
        raise HTTPException(404, f"plant {slug!r} has no {where} {oid!r}")
    rid = normalize_id(requirement) if requirement.strip() else ""
    role = approver(a.plant)
    r = a.review.assessment
    inside = any(x.id == oid for x in (r.zones if where == "zone" else r.conduits))
    problem = (f"{where} {oid!r} lies outside the system under consideration: no requirement applies there"
               if not inside else
               "enter the 62443-3-3 requirement, e.g. SR 1.6 or SR 4.1 RE 1" if not rid else
               "a justification is needed: why the requirement cannot arise here" if not justification.strip() else
               "the plant names no asset-owner role (plant.owner or roles) to record as approver" if role is None
               else None)
    try:
        if problem is not None:
            raise HTTPException(422, problem)
        entry = {"requirement": rid, "not_applicable": True, "justification": justification.strip(),
                 "approved_by": role, "approved_on": dt.date.today().isoformat(), "evidence": evidence.strip()}
        edit = rewrite(a.file_of((table, oid), key=True),
                       lambda text: set_applicability(text, (table, oid), entry))
        edit_version(request, v, slug, base, edit, f"{where} {oid}: {rid} not applicable, approved by {v.name}",
                     "applicability.decide", f"{where}:{oid}:{rid}",
                     {"requirement": rid, "approved_by": role, "justification": justification.strip(),
                      "evidence": evidence.strip() or None}, verify=_refusal_of(where, oid, rid))
    except HTTPException as e:
        if e.status_code != 422:
            raise
        ctx = _context(request, v, slug, where, oid)
        ctx.update(form=ctx_values, error=e.detail)
        return _page(request, ctx, 422)
    return RedirectResponse(f"/plants/{slug}/{table}/{oid}#applicability", status_code=303)


def _withdraw(request: Request, v: Viewer, slug: str, where: str, oid: str, requirement: str, base: int | None):
    _plant, _version, a = analysed(request, slug)
    table = TABLES[where]
    if oid not in getattr(a.plant, table):
        raise HTTPException(404, f"plant {slug!r} has no {where} {oid!r}")
    rid = normalize_id(requirement)
    if not any(normalize_id(d.requirement) == rid for d in getattr(a.plant, table)[oid].applicability):
        raise HTTPException(404, f"{where} {oid!r} records no applicability decision on {rid!r}")
    edit = rewrite(a.file_of((table, oid), key=True), lambda text: remove_applicability(text, (table, oid), rid))
    try:
        edit_version(request, v, slug, base, edit, f"{where} {oid}: N/A decision on {rid} withdrawn by {v.name}",
                     "applicability.withdraw", f"{where}:{oid}:{rid}", {"requirement": rid})
    except HTTPException as e:
        if e.status_code != 422:
            raise
        ctx = _context(request, v, slug, where, oid)
        ctx.update(withdraw_error=f"{rid}: {e.detail}")
        return _page(request, ctx, 422)
    return RedirectResponse(f"/plants/{slug}/{table}/{oid}#applicability", status_code=303)


@router.post("/plants/{slug}/zones/{zone}/applicability", include_in_schema=False)
def decide_zone(request: Request, slug: str, zone: str, requirement: str = Form("", max_length=40),
                justification: str = Form("", max_length=2000), evidence: str = Form("", max_length=500),
                base: int | None = Form(None), v: Viewer = Depends(require("applicability.decide"))):
    return _decide(request, v, slug, "zone", zone, requirement, justification, evidence, base)


@router.post("/plants/{slug}/conduits/{conduit}/applicability", include_in_schema=False)
def decide_conduit(request: Request, slug: str, conduit: str, requirement: str = Form("", max_length=40),
                   justification: str = Form("", max_length=2000), evidence: str = Form("", max_length=500),
                   base: int | None = Form(None), v: Viewer = Depends(require("applicability.decide"))):
    return _decide(request, v, slug, "conduit", conduit, requirement, justification, evidence, base)


@router.post("/plants/{slug}/zones/{zone}/applicability/withdraw", include_in_schema=False)
def withdraw_zone(request: Request, slug: str, zone: str, requirement: str = Form(..., max_length=40),
                  base: int | None = Form(None), v: Viewer = Depends(require("applicability.decide"))):
    return _withdraw(request, v, slug, "zone", zone, requirement, base)


@router.post("/plants/{slug}/conduits/{conduit}/applicability/withdraw", include_in_schema=False)
def withdraw_conduit(request: Request, slug: str, conduit: str, requirement: str = Form(..., max_length=40),
                     base: int | None = Form(None), v: Viewer = Depends(require("applicability.decide"))):
    return _withdraw(request, v, slug, "conduit", conduit, requirement, base)
