"""`zonewarden crs`: the Cybersecurity Requirements Specification, in the sections of 62443-3-2 ZCR 6.1-6.9
with the asset owner's approval block of ZCR 7.1, filled from the plant and its assessment.

Zones of the system under consideration get their SL-T with its basis per FR, their N/A decisions,
compensations and requirement table; conduits the requirements they hold; zones outside the SuC
appear as entry points and threat sources with their assumptions, never with an SL or requirements.

What the plant does not hold yet is shown in place as "not recorded" with the field that would hold it,
and listed again at the end, so the CRS doubles as the checklist for completing it.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from ..analysis.review import Review
from ..standard.attack import load_attack
from .diagram import zone_diagram
from .documents import ROLE_TITLES, conduit_sheets, environment, external_sheets, meta, zone_sheets

FORMATS = ("html", "pdf", "md")
SECTIONS = (  # id, ZCR, title: the document's outline, also what the structure test checks
    ("suc", "ZCR 6.2", "System under consideration"),
    ("drawings", "ZCR 6.3", "Zone and conduit drawings"),
    ("characteristics", "ZCR 6.4", "Zone and conduit characteristics"),
    ("environment", "ZCR 6.5", "Operating environment assumptions"),
    ("threats", "ZCR 6.6", "Threat environment"),
    ("policies", "ZCR 6.7", "Organisational security policies"),
    ("tolerable-risk", "ZCR 6.8", "Tolerable risk"),
    ("regulations", "ZCR 6.9", "Regulatory requirements"),
    ("approval", "ZCR 7.1", "Asset owner approval"),
)


def missing_fields(r: Review) -> list[str]:
    """Fields a complete CRS needs that this plant leaves empty, as paths into the plant file."""
    p, crs = r.plant, r.plant.crs
    out = [] if p.plant.description else ["plant.description"]
    for key in ("perimeter", "access_points", "environment", "threats", "policies", "regulations"):
        if crs is None or not getattr(crs, key):
            out.append(f"crs.{key}")
    suc = [(zid, z) for zid, z in p.zones.items() if zid not in r.assessment.external]  # ZCR 6.4 is of the SuC
    out += [f"zones.{zid}.physical" for zid, z in suc if not z.physical]
    out += [f"zones.{zid}.owner" for zid, z in suc if not z.owner]
    if p.risk is None:
        out.append("risk (tolerable risk and scenarios)")
    return out


def _approvals(r: Review) -> list[dict[str, Any]]:
    p = r.plant
    signs = list(p.crs.approvals) if p.crs else []
    rows = [{"role": s.role, "kind": p.roles[s.role].kind if s.role in p.roles else "",
             "organisation": p.roles[s.role].name if s.role in p.roles else s.role, "person": s.person,
             "date": s.date.isoformat() if s.date else None} for s in signs]
    owners = {r_["role"] for r_ in rows if r_["kind"] == "asset_owner"}
    if not owners and p.plant.owner in p.roles:  # the asset owner always signs (ZCR 7.1)
        rows.insert(0, {"role": p.plant.owner, "kind": "asset_owner", "organisation": p.roles[p.plant.owner].name,
                        "person": None, "date": None})
    return rows


def _threats(r: Review) -> list[dict[str, Any]]:
    attack = load_attack()
    rows = []
    for z in r.assessment.zones:
        for s in z.scenarios:
            scenario = next(x for x in r.plant.risk.scenarios if x.id == s.id) if r.plant.risk else None
            rows.append({"id": s.id, "zone": s.zone, "source": s.source, "risk": s.risk, "band": s.band,
                         "description": scenario.description if scenario else None,
                         "techniques": [(t, attack.techniques[t].name if t in attack.techniques else "")
                                        for t in s.techniques]})
    return rows


def _policy_scope(r: Review) -> dict[str, list[str]]:
    scope: dict[str, list[str]] = {}
    for zid, z in r.plant.zones.items():
        for pid in z.policies:
            scope.setdefault(pid, []).append(f"zone {zid}")
    for cid, c in r.plant.conduits.items():
        for pid in c.policies:
            scope.setdefault(pid, []).append(f"conduit {cid}")
    return scope


def context(r: Review) -> dict[str, Any]:
    p = r.plant
    crs = p.crs
    risk = p.risk
    return {
        **meta(r, f"Cybersecurity Requirements Specification: {p.plant.name}"),
        "sections": SECTIONS, "crs_version": crs.version if crs else None, "description": p.plant.description,
        "perimeter": crs.perimeter if crs else None, "access_points": crs.access_points if crs else [],
        "roles": [{"id": k, "kind": ROLE_TITLES.get(v.kind, v.kind), "name": v.name, "contact": v.contact}
                  for k, v in p.roles.items()],
        "counts": {"zones": len(r.assessment.zones), "conduits": len(r.assessment.conduits),
                   "assets": sum(1 for a in p.assets.values() if a.zone not in r.assessment.external)},
        "zones": zone_sheets(r), "conduits": conduit_sheets(r), "external": external_sheets(r),
        "environment": crs.environment if crs else [],
        "zone_assumptions": [(zid, a) for zid, z in p.zones.items() for a in z.assumptions]
        + [(cid, a) for cid, c in p.conduits.items() for a in c.assumptions],
        "threats": crs.threats if crs else [], "scenarios": _threats(r),
        "policies": [{"id": k, "title": v.title, "reference": v.reference, "scope": _policy_scope(r).get(k, [])}
                     for k, v in (crs.policies if crs else {}).items()],
        "regulations": [{"id": k, **v.model_dump()} for k, v in (crs.regulations if crs else {}).items()],
        "risk": None if risk is None else {
            "likelihood": risk.matrix.likelihood, "consequence": risk.matrix.consequence,
            "tolerable": risk.tolerable, "baseline": str(risk.baseline),
            "band_sl": risk.band_sl.model_dump(), "high": risk.bands.high, "critical": risk.bands.critical,
            "residual_credit": risk.residual_credit, "depth": risk.depth.model_dump()},
        "approvals": _approvals(r), "to_complete": missing_fields(r), "for_print": False,
    }


def crs_html(r: Review, *, for_print: bool = False) -> str:
    ctx = context(r)
    ctx["for_print"] = for_print
    ctx["diagram"] = Markup(zone_diagram(r.plant, r.assessment))
    return environment().get_template("crs.html.j2").render(**ctx)


def crs_pdf(r: Review) -> bytes:
    from .documents import html_to_pdf

    return html_to_pdf(crs_html(r, for_print=True))


def crs_markdown(r: Review) -> str:
    """The same sections as Markdown, for a repository or a wiki; the drawing is referred to, not embedded."""
    return environment().get_template("crs.md.j2").render(**context(r))
