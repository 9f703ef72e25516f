"""The review pages: gap register and status edits, compensations and approvals, component declarations,
attack paths, traffic, crosswalk, advisories and patch states, evidence, and the document downloads."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from ..model.tracking import STATUSES
from ..render import registers
from ..render.plant_edit import edit_mapping, upsert_tracking
from ..store.evidence import EvidenceError, check
from ..store.tables import Approval, Evidence, TrafficRun, Version
from .app import GAP_STATES, MAX_ID, analysed, page, plant_or_404, record
from .approvals import change_fingerprint, fingerprint
from .auth import Viewer, require
from .isolation import LimitExceeded
from .limits import MAX_CAPTURE, MAX_WORKBOOK
from .scope import of_supplier, visible_asset
from .versions import edit_version

router = APIRouter()
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


# --- gap register ------------------------------------------------------------------------------------------
@router.get("/plants/{slug}/gaps", include_in_schema=False)
def gaps_page(request: Request, slug: str, role: str | None = None, status: str | None = None,
              zone: str | None = None, state: str | None = None, v: Viewer = Depends(require("findings.read"))):
    plant, version, a = analysed(request, slug)
    ordered, by_where, roles = a.extra("gap-register", lambda: register_index(a.review.assessment.gaps))
    shown = [g for g in (by_where.get(zone, []) if zone else ordered)
             if (not role or g.owner_role == role) and (not status or g.status == status)
             and (not state or g.state == state)]
    na = [n for n in a.extra("na-register", lambda: na_register(a)) if not zone or n["where"] == zone]
    with request.app.state.db.session() as s:
        counts: dict[str, int] = {}
        for subject in s.scalars(select(Evidence.subject).where(Evidence.plant_id == plant.id)):
            counts[subject] = counts.get(subject, 0) + 1
    return page(request, "gaps.html.j2", plant=plant, version=version, gaps=shown[:500], total=len(shown),
                roles=roles, role=role, status=status, zone=zone, state=state, states=GAP_STATES, statuses=STATUSES,
                evidence=counts, na=na[:500], na_total=len(na), external=a.review.assessment.external)


def register_index(gaps: list) -> tuple[list, dict[str, list], list[str]]:
    """Once per version: the gaps worst first, the same by zone or conduit, and the owner roles."""
    ordered = sorted(gaps, key=lambda g: (SEVERITY_ORDER.get(g.severity, 9), g.where, g.requirement))
    by_where: dict[str, list] = {}
    for g in ordered:
        by_where.setdefault(g.where, []).append(g)
    return ordered, by_where, sorted({g.owner_role for g in gaps})


def na_register(a) -> list[dict]:
    """Once per version: every requirement that does not apply at a zone or conduit of the system under
    consideration, declared or inferred, in plant order."""
    from .routes_zones import not_applicable_rows

    r = a.review.assessment
    places = [("zone", z.id, z.not_applicable) for z in r.zones] + [("conduit", c.id, c.not_applicable)
                                                                      for c in r.conduits]
    return [{"scope": scope, "where": where, **row} for scope, where, na in places
            for row in not_applicable_rows(na, a.review.catalog)]


@router.post("/plants/{slug}/tracking", include_in_schema=False)
def set_status(request: Request, slug: str, finding: str = Form(..., max_length=255),
               status: str = Form(...), justification: str = Form("", max_length=2000),
               owner: str = Form("", max_length=64), base: int | None = Form(None),
               v: Viewer = Depends(require("tracking.edit"))):
    if status not in STATUSES:
        raise HTTPException(422, f"status {status!r}: expected one of {', '.join(STATUSES)}")
    if status in ("accepted", "false-positive") and not justification.strip():
        raise HTTPException(422, f"a finding marked {status} needs a justification")

    def edit(files: dict[str, bytes], entry: str) -> dict[str, bytes]:
        tpath = str(Path(entry).parent / "tracking.yaml").removeprefix("./")
        old = files[tpath].decode() if tpath in files else None
        files[tpath] = upsert_tracking(old, finding, {"status": status, "justification": justification.strip(),
                                                      "owner": owner.strip(), "date": dt.date.today()}).encode()
        return files

    ver = edit_version(request, v, slug, base, edit, f"{finding}: {status}", "tracking.status", finding,
                       {"status": status, "justification": justification.strip()})
    if request.headers.get("hx-request"):
        return Response(f'<span class="status status-{status}">{status}</span> '
                        f'<small>saved as version {ver.number}</small>', media_type="text/html")
    return RedirectResponse(request.headers.get("referer") or f"/plants/{slug}/gaps", status_code=303)


# --- compensations, approvals -----------------------------------------------------------------------------
def _approvals(request: Request, plant_id: int, a) -> list[dict]:
    """Every approval of the plant with whether it still holds for the newest version."""
    with request.app.state.db.session() as s:
        rows = s.scalars(select(Approval).where(Approval.plant_id == plant_id).order_by(Approval.id.desc())).all()
        out = []
        for r in rows:
            if r.kind == "change-record":
                valid, why = True, ""
            else:
                now_fp = fingerprint(r.kind, r.subject, a.plant, a.tracking)
                valid = now_fp == r.fingerprint
                why = "" if valid else ("no longer in the plant" if now_fp is None else "changed since")
            out.append({"id": r.id, "kind": r.kind, "subject": r.subject, "user": r.user.name,
                        "at": r.at.isoformat(timespec="seconds"), "version": r.version.number,
                        "version_hash": r.version_hash, "fingerprint": r.fingerprint, "valid": valid, "why": why,
                        "comment": r.comment})
        return out


@router.get("/plants/{slug}/compensations", include_in_schema=False)
def compensations_page(request: Request, slug: str, v: Viewer = Depends(require("findings.read"))):
    plant, version, a = analysed(request, slug)
    approvals = _approvals(request, plant.id, a)
    held = {(x["kind"], x["subject"]) for x in approvals if x["valid"]}
    accepted = [e for e in (a.tracking.entries if a.tracking else []) if e.status == "accepted"]
    return page(request, "compensations.html.j2", plant=plant, version=version,
                reg=registers.compensations(a.review), comps=a.plant.compensations, accepted=accepted,
                held=held, approvals=approvals, countermeasures=sorted(a.plant.countermeasures))


@router.post("/plants/{slug}/approvals", include_in_schema=False)
def approve(request: Request, slug: str, kind: str = Form(...), subject: str = Form(..., max_length=255),
            comment: str = Form("", max_length=2000), base: int | None = Form(None),
            v: Viewer = Depends(require("approve"))):
    plant, version, a = analysed(request, slug)
    if base is not None and base != version.number:
        raise HTTPException(409, f"version {version.number} was saved since you opened version {base}; review it "
                            "before approving")
    if kind == "change-record":
        m = re.fullmatch(r"v(\d{1,9})\.\.v(\d{1,9})", subject)
        if m is None or int(m[1]) >= int(m[2]):
            raise HTTPException(422, f"change record {subject!r}: expected vOLD..vNEW with OLD before NEW")
        _, vold, _ = analysed(request, slug, int(m[1]))
        _, vnew, _ = analysed(request, slug, int(m[2]))
        fp, on = change_fingerprint(vold.hash, vnew.hash), vnew
    elif kind in ("compensation", "accepted-finding"):
        fp, on = fingerprint(kind, subject, a.plant, a.tracking), version
        if fp is not None and kind == "compensation":
            on = _record_in_plant(request, v, slug, version, a, subject)
        if fp is None:
            raise HTTPException(404, f"version {version.number} has no {kind.replace('-', ' ')} {subject!r}"
                                + (" marked accepted" if kind == "accepted-finding" else ""))
    else:
        raise HTTPException(422, f"kind {kind!r}: expected compensation, accepted-finding or change-record")
    with request.app.state.db.session() as s:
        row = Approval(plant_id=plant.id, kind=kind, subject=subject, version_id=on.id, version_hash=on.hash,
                       fingerprint=fp, user_id=v.id, comment=comment.strip() or None)
        s.add(row)
        s.flush()
        record(request, v, "approve", plant=slug, subject=f"{kind}:{subject}",
               detail={"version": on.number, "version_hash": on.hash, "fingerprint": fp}, session=s)
    return RedirectResponse(request.headers.get("referer") or f"/plants/{slug}/compensations", status_code=303)


def _record_in_plant(request: Request, v: Viewer, slug: str, version, a, subject: str):
    """The approval written into the plant too (`approved_by`: the plant's asset-owner role, `approved_on`:
    today) as a new version, since that is what the assessment counts; the version the approval stands on."""
    asset, _, req = subject.partition(":")
    index = next(i for i, c in enumerate(a.plant.compensations) if c.asset == asset and c.requirement == req)
    owner = a.plant.plant.owner or next((rid for rid, r in a.plant.roles.items() if r.kind == "asset_owner"), None)
    if owner is None:
        raise HTTPException(422, "the plant names no asset-owner role (plant.owner) to record as approver")
    comp = a.plant.compensations[index]
    if comp.approved_by == owner and comp.approved_on == dt.date.today():
        return version
    edit = _compensation_edit(a, index, {"approved_by": owner, "approved_on": dt.date.today()})
    return edit_version(request, v, slug, version.number, edit, f"compensation {subject} approved by {v.name}",
                        "compensation.approve", subject, {"approved_by": owner})


@router.post("/plants/{slug}/compensations", include_in_schema=False)
def edit_compensation(request: Request, slug: str, index: int = Form(...), justification: str = Form(..., min_length=1,
                      max_length=2000), by: list[str] = Form(...), review_by: str = Form(""),
                      base: int | None = Form(None), v: Viewer = Depends(require("compensation.edit"))):
    _plant, _version, a = analysed(request, slug)
    if not 0 <= index < len(a.plant.compensations):
        raise HTTPException(404, f"no compensation number {index}")
    comp = a.plant.compensations[index]
    try:
        review = dt.date.fromisoformat(review_by) if review_by else None
    except ValueError:
        raise HTTPException(422, f"review by {review_by!r}: expected YYYY-MM-DD") from None
    fields: dict[str, object] = {"justification": justification.strip(), "by": by, "review_by": review}
    if v.role != "asset_owner":  # changed by someone else, the compensation waits for the asset owner again
        fields.update(approved_by=None, approved_on=None)
    edit = _compensation_edit(a, index, fields)
    subject = f"{comp.asset}:{comp.requirement}"
    edit_version(request, v, slug, base, edit, f"compensation {subject} edited", "compensation.edit", subject,
                 {"by": by, "review_by": review_by})
    return RedirectResponse(f"/plants/{slug}/compensations", status_code=303)


def rewrite(rel: str, change: Callable[[str], str]) -> Callable[[dict[str, bytes], str], dict[str, bytes]]:
    """An edit for edit_version: the version's file `rel` (relative to the plant folder) passed through `change`."""

    def edit(files: dict[str, bytes], entry: str) -> dict[str, bytes]:
        files[rel] = change(files[rel].decode()).encode()
        return files

    return edit


def _compensation_edit(a, index: int, fields: dict[str, object]):
    """An edit (for edit_version) setting `fields` on compensation `index`, in the file that holds it."""
    try:
        rel = a.file_of(("compensations", index))
    except KeyError:
        raise HTTPException(500, "cannot find the file that holds this compensation") from None
    # an included file numbers its own list from 0: count the compensations before this one in the same file
    before = sum(1 for i in range(index) if a.file_of(("compensations", i)) == rel)
    return rewrite(rel, lambda text: edit_mapping(text, ("compensations", before), fields))


# --- components: a supplier declares its own --------------------------------------------------------------
PER_PAGE = 200


@router.get("/plants/{slug}/components", include_in_schema=False)
def components_page(request: Request, slug: str, zone: str | None = None, p: int = 1,
                    v: Viewer = Depends(require("plant.read"))):
    plant, version, a = analysed(request, slug)
    mine = [aid for aid, x in a.plant.assets.items()
            if (v.role != "supplier" or x.supplier == v.supplier) and (not zone or x.zone == zone)]
    pages = max(1, -(-len(mine) // PER_PAGE))
    p = min(max(1, p), pages)
    assets = {aid: a.plant.assets[aid] for aid in mine[(p - 1) * PER_PAGE:p * PER_PAGE]}
    caps = a.review.assessment.capabilities
    return page(request, "components.html.j2", plant=plant, version=version, assets=assets, caps=caps,
                total=len(mine), p=p, pages=pages, zone=zone, zones=sorted(a.plant.zones))


@router.post("/plants/{slug}/components/{asset}", include_in_schema=False)
def declare(request: Request, slug: str, asset: str, sl: str = Form(""), meets: str = Form(""),
            certificate: str = Form("", max_length=200), source: str = Form("", max_length=200),
            base: int | None = Form(None), v: Viewer = Depends(require("component.declare"))):
    _plant, _version, a = analysed(request, slug)
    x = a.plant.assets.get(asset)
    if x is None or not visible_asset(v, x):
        raise HTTPException(404, f"no asset {asset!r}" + of_supplier(v))
    vec = None
    if sl.strip():
        parts = [p for p in sl.replace(",", " ").split() if p]
        if len(parts) != 7 or any(p not in "01234" or len(p) != 1 for p in parts):
            raise HTTPException(422, f"capability SL {sl!r}: expected seven levels 0-4, one per FR, e.g. 2 2 1 1 2 1 1")
        vec = [int(p) for p in parts]
    reqs = [m.strip() for m in meets.split(",") if m.strip()]
    fields = {"sl": vec, "meets": reqs or None, "certificate": certificate.strip() or None,
              "source": source.strip() or None}
    edit = rewrite(a.file_of(("assets", asset), key=True),
                   lambda text: edit_mapping(text, ("assets", asset, "capability"), fields))

    edit_version(request, v, slug, base, edit, f"{asset}: capability declared by {v.name}", "component.declare",
                 asset, {"sl": vec, "meets": reqs, "certificate": certificate.strip() or None})
    return RedirectResponse(f"/plants/{slug}/components", status_code=303)


# --- evidence -----------------------------------------------------------------------------------------------
@router.post("/plants/{slug}/evidence", include_in_schema=False)
def add_evidence(request: Request, slug: str, subject: str = Form(..., min_length=1, max_length=255),
                 file: UploadFile = File(...), v: Viewer = Depends(require("evidence.add"))):
    from ..store.evidence import MAX_EVIDENCE

    data = file.file.read(MAX_EVIDENCE + 1)
    name = (file.filename or "evidence").replace("\\", "/").rsplit("/", 1)[-1][:255] or "evidence"
    try:
        ctype = check(name, file.content_type, data)
    except EvidenceError as e:
        raise HTTPException(422, str(e)) from None
    digest = request.app.state.evidence.put(data)
    with request.app.state.db.session() as s:
        p = plant_or_404(s, slug)
        row = Evidence(plant_id=p.id, subject=subject, sha256=digest, name=name, content_type=ctype,
                       size=len(data), user_id=v.id)
        s.add(row)
        s.flush()
        record(request, v, "evidence.add", plant=slug, subject=subject,
               detail={"sha256": digest, "name": name, "type": ctype, "size": len(data)}, session=s)
    return RedirectResponse(f"/plants/{slug}/evidence?subject={quote(subject, safe='')}", status_code=303)


@router.get("/plants/{slug}/evidence", include_in_schema=False)
def evidence_page(request: Request, slug: str, subject: str | None = None,
                  v: Viewer = Depends(require("documents.read"))):
    with request.app.state.db.session() as s:
        p = plant_or_404(s, slug)
        q = select(Evidence).where(Evidence.plant_id == p.id).order_by(Evidence.id.desc())
        if subject:
            q = q.where(Evidence.subject == subject)
        rows = [{"id": e.id, "subject": e.subject, "name": e.name, "type": e.content_type, "size": e.size,
                 "sha256": e.sha256, "by": e.user.name, "at": e.at.isoformat(timespec="seconds")}
                for e in s.scalars(q)]
    return page(request, "evidence.html.j2", plant=p, rows=rows, subject=subject)


@router.get("/plants/{slug}/evidence/{eid}", include_in_schema=False)
def evidence_file(request: Request, slug: str, eid: int, v: Viewer = Depends(require("documents.read"))):
    with request.app.state.db.session() as s:
        p = plant_or_404(s, slug)
        e = s.get(Evidence, eid) if 0 < eid <= MAX_ID else None
        if e is None or e.plant_id != p.id:
            raise HTTPException(404, f"no evidence {eid} in plant {slug!r}")
        sha, name, ctype = e.sha256, e.name, e.content_type
    try:
        data = request.app.state.evidence.get(sha)
    except FileNotFoundError:
        raise HTTPException(500, f"evidence {eid}: its file is missing from the evidence folder") from None
    except EvidenceError as e:
        raise HTTPException(500, str(e)) from None
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    return Response(data, media_type=ctype, headers={"Content-Disposition": f'attachment; filename="{safe}"'})


# --- attack paths, crosswalk --------------------------------------------------------------------------------
@router.get("/plants/{slug}/paths", include_in_schema=False)
def paths_page(request: Request, slug: str, v: Viewer = Depends(require("findings.read"))):
    plant, version, a = analysed(request, slug)
    return page(request, "paths.html.j2", plant=plant, version=version, depth=registers.depth(a.review),
                comps=registers.compensations(a.review), r=a.review)


@router.get("/plants/{slug}/crosswalk", include_in_schema=False)
def crosswalk_page(request: Request, slug: str, framework: str = "csf",
                   v: Viewer = Depends(require("findings.read"))):
    from ..render.crosswalk import coverage_rows, rollup_text
    from ..standard.crosswalk import FRAMEWORKS

    if framework not in FRAMEWORKS:
        raise HTTPException(404, f"framework {framework!r}: expected one of {', '.join(FRAMEWORKS)}")
    plant, version, a = analysed(request, slug)
    cov = a.extra(f"crosswalk:{framework}", lambda: a.review.coverage(framework))
    cols, rows = coverage_rows(cov)
    return page(request, "crosswalk.html.j2", plant=plant, version=version, framework=framework,
                frameworks=FRAMEWORKS, cols=cols, rows=rows, rollup=rollup_text(cov.rollup()))


# --- traffic ------------------------------------------------------------------------------------------------
@router.get("/plants/{slug}/traffic", include_in_schema=False)
def traffic_page(request: Request, slug: str, run: int | None = None,
                 v: Viewer = Depends(require("findings.read"))):
    with request.app.state.db.session() as s:
        p = plant_or_404(s, slug)
        runs = s.scalars(select(TrafficRun).where(TrafficRun.plant_id == p.id).order_by(TrafficRun.id.desc())
                         .limit(50)).all()
        listed = [{"id": r.id, "name": r.name, "by": r.user.name, "at": r.at.isoformat(timespec="seconds"),
                   "version": s.get(Version, r.version_id).number} for r in runs]
        chosen = next((r for r in runs if r.id == run), runs[0] if runs and run is None else None)
        result = json.loads(chosen.result) if chosen is not None else None
    return page(request, "traffic.html.j2", plant=p, runs=listed, result=result,
                chosen=chosen.id if chosen is not None else None)


@router.post("/plants/{slug}/traffic", include_in_schema=False)
def upload_traffic(request: Request, slug: str, file: UploadFile = File(...),
                   v: Viewer = Depends(require("traffic.upload"))):
    """The capture is copied to a file of its own (hashed on the way, never whole in memory) and read, and its
    flows judged, in the isolated child (web/isolation.py)."""
    import hashlib
    import tempfile

    from . import untrusted

    name = (file.filename or "capture").replace("\\", "/").rsplit("/", 1)[-1] or "capture"
    suffix = "".join(c for c in Path(name).suffix.lower() if c.isalnum() or c == ".")[:10]
    plant, version, a = analysed(request, slug)
    digest = hashlib.sha256()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        size = 0
        with path.open("wb") as out:
            while chunk := file.file.read(1024 * 1024):
                size += len(chunk)
                if size > MAX_CAPTURE:
                    raise HTTPException(413, f"captures are limited to {MAX_CAPTURE:,} bytes here; run "
                                        "`zonewarden traffic` locally for larger ones")
                digest.update(chunk)
                out.write(chunk)
        try:
            body = request.app.state.isolation.run(untrusted.judge_capture, str(a.folder), version.entry, str(path),
                                                   name, what=name)
        except LimitExceeded as e:
            raise HTTPException(e.status, str(e)) from None
    if isinstance(body, str):
        raise HTTPException(422, body)
    with request.app.state.db.session() as s:
        run = TrafficRun(plant_id=plant.id, version_id=version.id, name=name[:255],
                         sha256=digest.hexdigest(), user_id=v.id, result=json.dumps(body, default=str))
        s.add(run)
        s.flush()
        rid = run.id
        record(request, v, "traffic.upload", plant=slug, subject=name,
               detail={"sha256": run.sha256, "version": version.number, "summary": body.get("summary")}, session=s)
    return RedirectResponse(f"/plants/{slug}/traffic?run={rid}", status_code=303)


# --- downloads ------------------------------------------------------------------------------------------------
DOCUMENTS = {
    "report.html": "text/html; charset=utf-8", "report.pdf": "application/pdf",
    "report.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "crs.html": "text/html; charset=utf-8", "crs.pdf": "application/pdf", "crs.md": "text/markdown; charset=utf-8",
    "bom.cdx.json": "application/vnd.cyclonedx+json", "plant.zip": "application/zip",
}


@router.get("/plants/{slug}/documents", include_in_schema=False)
def documents_page(request: Request, slug: str, v: Viewer = Depends(require("documents.read"))):
    plant, version, a = analysed(request, slug)
    zones = sorted(z.id for z in a.review.assessment.zones)  # an external zone has no SL-T to procure against
    return page(request, "documents.html.j2", plant=plant, version=version, documents=list(DOCUMENTS), zones=zones)


def render_document(a, name: str) -> bytes | str:
    r = a.review
    if name.startswith("report."):
        from ..render.report import report_html, report_pdf, report_xlsx

        return {"html": report_html, "pdf": report_pdf, "xlsx": report_xlsx}[name.split(".")[1]](r)
    if name.startswith("crs."):
        from ..render.crs import crs_html, crs_markdown, crs_pdf

        return {"html": crs_html, "pdf": crs_pdf, "md": crs_markdown}[name.split(".")[1]](r)
    if name == "bom.cdx.json":
        from ..render.cyclonedx import bom

        comps, errors = a.sboms()
        if errors:
            raise HTTPException(422, errors[0])
        return json.dumps(bom(a.plant, comps), indent=2)
    raise KeyError(name)


@router.get("/plants/{slug}/documents/{name}", include_in_schema=False)
def download(request: Request, slug: str, name: str, v: Viewer = Depends(require("documents.read"))):
    if name not in DOCUMENTS:
        raise HTTPException(404, f"no document {name!r}; documents: {', '.join(DOCUMENTS)}")
    _plant, version, a = analysed(request, slug)
    if name == "plant.zip":
        import io
        import zipfile

        from ..store.plants import files_of

        with request.app.state.db.session() as s:
            files = files_of(s, s.get(Version, version.id))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for path, body in sorted(files.items()):
                z.writestr(f"{slug}/{path}", body)
        body: bytes | str = buf.getvalue()
    else:
        body = a.extra(f"doc:{name}", lambda: render_document(a, name))
    filename = f"{slug}-v{version.number}-{name}"
    return Response(body, media_type=DOCUMENTS[name],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


PACK_TYPES = {"md": "text/markdown; charset=utf-8", "json": "application/json",
              "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _supplier_zone(v: Viewer, plant, zone: str) -> None:
    if v.role == "supplier" and not any(x.zone == zone and x.supplier == v.supplier for x in plant.assets.values()):
        raise HTTPException(403, f"supplier {v.supplier!r} has no component in zone {zone!r}")


@router.get("/plants/{slug}/procurement/{zone}", include_in_schema=False)
def procurement_pack(request: Request, slug: str, zone: str, component_type: str = "embedded_device",
                     format: str = "md", v: Viewer = Depends(require("procurement.read"))):
    """The procurement pack (`zonewarden procure`) for a component of `component_type` joining `zone`; the
    XLSX is the supplier's response workbook."""
    from ..analysis.procurement import procurement
    from ..model.vocabulary import COMPONENT_TYPES
    from ..render.output import to_json
    from ..render.procurement import pack_markdown, pack_xlsx

    _, _, a = analysed(request, slug)
    if zone not in a.plant.zones:
        raise HTTPException(404, f"no zone {zone!r}")
    _supplier_zone(v, a.plant, zone)
    if zone in a.review.assessment.external:
        raise HTTPException(404, f"zone {zone!r} lies outside the system under consideration: it has no SL-T to "
                            "procure against")
    if component_type not in COMPONENT_TYPES:
        raise HTTPException(422, f"component_type {component_type!r}: expected one of {', '.join(COMPONENT_TYPES)}")
    if format not in PACK_TYPES:
        raise HTTPException(404, f"format {format!r}: expected {', '.join(PACK_TYPES)}")
    pack = a.extra(f"pack:{zone}:{component_type}",
                   lambda: procurement(a.review.assessment, a.review.catalog, zone, component_type, None))
    body = {"md": pack_markdown, "xlsx": pack_xlsx, "json": lambda p: to_json(p.as_dict())}[format](pack)
    return Response(body, media_type=PACK_TYPES[format], headers={
        "Content-Disposition": f'attachment; filename="{slug}-{zone}-{component_type}.{format}"'})


@router.post("/plants/{slug}/procurement/{zone}/response", include_in_schema=False)
def procurement_response(request: Request, slug: str, zone: str, asset: str = Form(..., max_length=255),
                         file: UploadFile = File(...), base: int | None = Form(None),
                         v: Viewer = Depends(require("component.declare"))):
    """A supplier's filled response workbook: its `meets` answers go into the asset's capability (a new version);
    every row that could not be used is listed back. The workbook is read in the isolated child."""
    import tempfile

    from ..render.plant_edit import edit_asset_meets
    from . import untrusted

    _, _, a = analysed(request, slug)
    x = a.plant.assets.get(asset)
    if x is None or x.zone != zone or not visible_asset(v, x):
        raise HTTPException(404, f"zone {zone!r} has no asset {asset!r}" + of_supplier(v))
    data = file.file.read(MAX_WORKBOOK + 1)
    if len(data) > MAX_WORKBOOK:
        raise HTTPException(413, f"response workbooks are limited to {MAX_WORKBOOK:,} bytes")
    shown = (file.filename or "workbook").replace("\\", "/").rsplit("/", 1)[-1][:255] or "workbook"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "response.xlsx"
        path.write_bytes(data)
        try:
            response = request.app.state.isolation.run(untrusted.read_workbook, str(path), x.type, shown, what=shown)
        except LimitExceeded as e:
            raise HTTPException(e.status, str(e)) from None
    if isinstance(response, str):
        raise HTTPException(422, response)
    meets = [r for r, (resp, _) in response.answers.items() if resp == "meets"]
    other = [r for r, (resp, _) in response.answers.items() if resp != "meets"]
    changed: dict[str, list[str]] = {}

    def answer(text: str) -> str:
        text, added, removed = edit_asset_meets(text, asset, meets, other)
        changed.update(added=added, removed=removed)
        return text

    edit = rewrite(a.file_of(("assets", asset), key=True), answer)

    ver = edit_version(request, v, slug, base, edit, f"{asset}: procurement response from {v.name}",
                       "procurement.response", asset, {"rows": response.rows, "meets": len(meets),
                                                       "problems": response.problems[:20]})
    return page(request, "response.html.j2", slug=slug, asset=asset, version=ver.number, rows=response.rows,
                meets=len(meets), added=changed.get("added", []), removed=changed.get("removed", []),
                problems=response.problems)


# --- advisories and patch states ----------------------------------------------------------------------------
@router.get("/plants/{slug}/advisories", include_in_schema=False)
def advisories_page(request: Request, slug: str, v: Viewer = Depends(require("findings.read"))):
    from .advisories import plant_advisories

    plant, version, a = analysed(request, slug)
    folder = request.app.state.settings.csaf
    result = plant_advisories(request.app, a) if folder else None
    return page(request, "advisories.html.j2", plant=plant, version=version, result=result, csaf=folder,
                assets=a.plant.assets)


@router.post("/plants/{slug}/patches", include_in_schema=False)
def set_patch(request: Request, slug: str, asset: str = Form(...), ref: str = Form(..., max_length=64),
              state: str = Form(...), note: str = Form("", max_length=500), compensated_by: list[str] = Form([]),
              base: int | None = Form(None), v: Viewer = Depends(require("patch.edit"))):
    from ..model.vocabulary import PATCH_STATES

    if state not in PATCH_STATES:
        raise HTTPException(422, f"state {state!r}: expected one of {', '.join(PATCH_STATES)}")
    _plant, _version, a = analysed(request, slug)
    x = a.plant.assets.get(asset)
    if x is None:
        raise HTTPException(404, f"no asset {asset!r}")
    key = "cve" if ref.upper().startswith("CVE-") else "advisory"
    index = next((i for i, p in enumerate(x.patches) if (p.advisory or p.cve) == ref), None)
    fields = {"state": state, "date": dt.date.today(), "note": note.strip() or None,
              "compensated_by": compensated_by or None}
    if index is None:
        from ..render.plant_edit import append_patch

        entry = {key: ref, **{k: v_ for k, v_ in fields.items() if v_}}
        edit = rewrite(a.file_of(("assets", asset), key=True), lambda text: append_patch(text, asset, entry))
    else:
        edit = rewrite(a.file_of(("assets", asset), key=True),
                       lambda text: edit_mapping(text, ("assets", asset, "patches", index), fields))

    edit_version(request, v, slug, base, edit, f"{asset}: {ref} {state}", "patch.state", f"{asset}:{ref}",
                 {"state": state})
    return RedirectResponse(f"/plants/{slug}/advisories", status_code=303)



# --- change records between two versions --------------------------------------------------------------------
RECORD_TYPES = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8", "pdf": "application/pdf",
                "json": "application/json"}


@router.get("/plants/{slug}/change-record", include_in_schema=False)
def change_record(request: Request, slug: str, old: int, new: int, format: str = "md",
                  v: Viewer = Depends(require("documents.read"))):
    """The management-of-change record from version `old` to `new`: the versions between them stand for the
    commits of `zonewarden change`, and going back means restoring version `old`."""
    from ..analysis.change_record import ChangeRecord, Commit, approvals, rollback, verification
    from ..render.change import record_html, record_markdown, record_pdf
    from ..render.documents import fingerprint as plant_fingerprint
    from ..render.output import to_json

    if format not in RECORD_TYPES:
        raise HTTPException(404, f"format {format!r}: expected {', '.join(RECORD_TYPES)}")
    if old >= new:
        raise HTTPException(422, f"old version {old} must come before new version {new}")
    plant, vold, a_old = analysed(request, slug, old)
    _, vnew, a_new = analysed(request, slug, new)
    imp = a_new.impact_from(a_old)
    with request.app.state.db.session() as s:
        between = s.scalars(select(Version).where(Version.plant_id == plant.id, Version.number > old,
                                                  Version.number <= new).order_by(Version.number)).all()
        commits = [Commit(x.hash[:12], x.author.name, x.created.isoformat(timespec="seconds"),
                          f"version {x.number}: {x.message}") for x in between]
    back = rollback(imp, f"version {old}", vnew.entry)
    back[0] = (f"Model: restore version {old} (download its plant files and upload them as a new version), then "
               f"compare it with the newest version on the versions page to confirm nothing is left.")
    rec = ChangeRecord(f"Change record: {a_new.plant.plant.name}, version {old} to {new}", a_new.plant.plant.name,
                       a_new.plant.plant.validated, {"spec": f"version {old}", "commit": vold.hash, "path": vold.entry},
                       {"spec": f"version {new}", "commit": vnew.hash, "path": vnew.entry}, commits, [], imp,
                       approvals(imp, a_old.plant, a_new.plant), *verification(imp, a_new.plant, slug), back,
                       {"from": plant_fingerprint(a_old.plant), "to": plant_fingerprint(a_new.plant)})
    body: str | bytes = {"md": record_markdown, "html": record_html, "pdf": record_pdf,
                         "json": lambda r: to_json(r.as_dict())}[format](rec)
    return Response(body, media_type=RECORD_TYPES[format],
                    headers={"Content-Disposition": f'attachment; filename="{slug}-v{old}-v{new}-change.{format}"'})
