"""What the signed documents share: the Jinja2 environment, the zone and conduit sheets of 62443-3-2
ZCR 6.4 (zones of the system under consideration; the zones outside it as entry points, with no SL-T
or requirements), the plant fingerprint that a signature refers to, and HTML to PDF.

The report and the CRS are HTML first; the PDF is the same HTML paginated by WeasyPrint, so the two
never differ in content.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from .. import __version__
from ..analysis.achieved import RequirementState
from ..analysis.applicability import NotApplicable
from ..analysis.assess import ZoneResult
from ..analysis.findings import SEVERITIES
from ..analysis.review import Review
from ..model.plant import Plant
from ..model.sl import FRS, SLVector
from ..model.tracking import CLOSED
from .charts import sl_chart
from .diagram import status_of
from .registers import col_widths, compensation_rows, gap_state, na_counts, open_count, outside_why, sl

ROLE_TITLES = {"asset_owner": "asset owner", "integrator": "system integrator",
               "product_supplier": "product supplier", "service_provider": "service provider"}


def fingerprint(plant: Plant) -> str:
    """sha256 of the plant's content (canonical JSON), so a signature names exactly what was signed."""
    data = plant.model_dump(mode="json", by_alias=True, exclude_none=True)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("zonewarden", "render/templates"),
                      autoescape=select_autoescape(["html.j2"], default_for_string=False),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["sl"] = sl
    env.globals["role_title"] = lambda k: ROLE_TITLES.get(k, k)
    env.globals["col_widths"] = col_widths
    env.globals["na_decision"] = lambda source: NA_DECISION.get(source, source)
    return env


def meta(r: Review, title: str) -> dict[str, Any]:
    p = r.plant
    owner = p.roles.get(p.plant.owner or "")
    return {"title": title, "plant": p.plant.name, "site": p.plant.site, "owner": owner.name if owner else None,
            "date": r.as_of.isoformat(), "version": __version__, "fingerprint": fingerprint(p)}


def open_by_severity(gaps: list) -> list[tuple[str, int]]:
    """Open gaps counted by severity, worst first (the counts a zone sheet prints)."""
    counts = Counter(g.severity for g in gaps if g.status not in CLOSED)
    return [(sev, counts[sev]) for sev in reversed(SEVERITIES) if counts[sev]]


def _links(p: Plant, external: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Each zone's conduits (its access points), naming the far zone and whether it lies outside the SuC."""
    links: dict[str, list[dict[str, Any]]] = {z: [] for z in p.zones}
    for cid, c in p.conduits.items():
        for end, other in ((c.zones[0], c.zones[1]), (c.zones[1], c.zones[0])):
            if end in links:
                links[end].append({"id": cid, "to": other, "external": other in external,
                                   "countermeasures": c.countermeasures,
                                   "flows": [f.model_dump(by_alias=True, exclude_none=True) for f in c.flows]})
    return links


def _role(p: Plant, rid: str | None) -> str | None:
    return p.roles[rid].name if rid in p.roles else rid


def na_decisions(r: Review, na: dict[str, NotApplicable], order: Iterable[str], where: tuple[str, str]
                 ) -> list[dict[str, Any]]:
    """N/A requirements grouped by decision (a declared decision on a base SR covers its REs; one inference
    covers a family), declared first, requirements in catalog order; then the declared decisions that do not
    count (refused: the requirement stays applicable) and those that make an inferred N/A apply again."""
    groups: dict[tuple, dict[str, Any]] = {}
    for rid in [x for x in order if x in na] + sorted(set(na) - set(order)):
        n = na[rid]
        key = (n.source, n.reason, n.approved_by, n.approved_on, n.evidence)
        if key not in groups:
            groups[key] = {"source": n.source, "reason": n.reason, "approved_by": _role(r.plant, n.approved_by),
                           "approved_on": n.approved_on, "evidence": n.evidence, "requirements": [], "refused": ""}
        groups[key]["requirements"].append(rid)
    out = sorted(groups.values(), key=lambda g: g["source"] != "declared")
    kind, oid = where
    owner = r.plant.zones.get(oid) if kind == "zones" else r.plant.conduits.get(oid)
    refused = {f.path[3]: f.message.split("does not count: ", 1)[-1] for f in r.assessment.findings
               if f.rule == "not-applicable-refused" and f.path[:3] == (kind, oid, "applicability")}
    for i, d in enumerate(owner.applicability if owner is not None else []):
        if i in refused or not d.not_applicable:
            out.append({"source": "refused" if i in refused else "applies", "reason": d.justification,
                        "approved_by": _role(r.plant, d.approved_by),
                        "approved_on": d.approved_on.isoformat() if d.approved_on else None,
                        "evidence": d.evidence, "requirements": [d.requirement], "refused": refused.get(i, "")})
    return out


NA_DECISION = {"declared": "declared by the asset owner", "inferred": "inferred from the model (overridable)",
               "refused": "declared, does not count (the requirement applies)",
               "applies": "declared applicable, overriding an inference"}


def sl_basis(r: Review, res: ZoneResult) -> list[dict[str, Any]]:
    """Per FR, where the SL-T comes from: the declaration, or the risk scenarios that ask the level (ZCR 5.6),
    or the baseline no scenario raises."""
    baseline = r.plant.risk.baseline if r.plant.risk else SLVector.uniform(1)
    rows = []
    for fr in FRS:
        derived = res.sl_derived[fr] if res.sl_derived is not None else None
        deciding = [{"id": s.id, "sl": s.sl, "band": s.band, "risk": s.risk, "basis": s.fr_basis,
                     "why": "; ".join(s.sl_basis)}
                    for s in res.scenarios if fr in s.frs and s.sl == derived]
        if res.sl_target_source == "declared":
            how = "declared"
            if derived is not None:
                how += f"; risk derives {derived}" + ("" if deciding else " (baseline)") + (
                    " (declared below it)" if res.sl_target[fr] < derived else "")
        elif res.sl_target_source == "derived":
            how = "derived from risk" if deciding else f"baseline {baseline[fr]}: no scenario asks more"
            if res.sl_derived is None or res.sl_target[fr] > (derived or 0):
                how = "safety floor: " + "; ".join(res.sl_floor)
        else:
            how = f"baseline {baseline[fr]}: no risk scenario aims at the zone"
        rows.append({"fr": fr, "target": res.sl_target[fr], "derived": derived, "how": how, "scenarios": deciding})
    return rows


REQ_STATE = {True: "met", False: "gap"}


def requirement_rows(r: Review, states: dict[str, RequirementState], target: SLVector) -> list[dict[str, Any]]:
    """The 62443-3-3 requirements an SL-T asks (level at or below it on the FR): met, gap (with its state) or
    N/A, with the true reason."""
    return [{"requirement": s.requirement, "title": r.catalog.get(s.requirement).title, "fr": s.fr,
             "level": s.level, "satisfied": s.satisfied, "applicable": s.applicable,
             "state": "N/A" if not s.applicable else REQ_STATE[s.satisfied],
             "gap_state": gap_state(s.state) if s.applicable and not s.satisfied else "", "why": s.why()}
            for s in states.values() if s.level <= target[s.fr]]


def zone_sheets(r: Review) -> list[dict[str, Any]]:
    """Per zone of the system under consideration, the characteristics of ZCR 6.4, filled from the plant and
    its assessment: SL-T and its basis per FR, N/A decisions, compensations, the requirements its SL-T asks."""
    p = r.plant
    links = _links(p, set(r.assessment.external))
    cms_at: dict[str, list[str]] = {}
    for mid, m in p.countermeasures.items():
        zone = m.at.zone or (p.assets[m.at.asset].zone if m.at.asset in p.assets else None)
        if zone:
            cms_at.setdefault(zone, []).append(mid)
    policies = p.crs.policies if p.crs else {}
    comps = compensation_rows(r)
    sheets = []
    for res in r.assessment.zones:
        zid, z = res.id, p.zones[res.id]
        members = [(aid, a) for aid, a in p.assets.items() if a.zone == zid]
        declared, inferred = na_counts(res.not_applicable)
        sheets.append({
            "id": zid, "name": z.name, "description": z.description, "level": f"{res.level:g}", "kind": z.kind,
            "trust": z.trust, "owner": _role(p, z.owner),
            "networks": [str(n) for n in z.networks], "physical": z.physical,
            "safety": z.safety if z.safety is not None else z.kind == "safety",
            "internal": z.internal, "internal_flows": [f.model_dump(by_alias=True, exclude_none=True) for f in z.flows],
            "sl_target": res.sl_target, "sl_target_source": res.sl_target_source, "sl_derived": res.sl_derived,
            "sl_basis": sl_basis(r, res),
            "sl_capability": res.sl_capability, "sl_achieved": res.sl_achieved,
            "chart": Markup(sl_chart(res.sl_target, res.sl_achieved, res.sl_capability, label=zid)),
            "conduits": links[zid], "countermeasures": sorted(cms_at.get(zid, [])),
            "assets": [{"id": aid, "name": a.name, "function": a.function, "type": a.type, "vendor": a.vendor,
                        "product": a.product, "firmware": a.firmware, "addresses": [str(x) for x in a.addresses],
                        "criticality": a.criticality, "lifecycle": a.lifecycle, "legacy": a.legacy,
                        "sl_capability": r.assessment.capabilities[aid].sl} for aid, a in members],
            "policies": [{"id": pid, **(policies[pid].model_dump() if pid in policies else {"title": pid})}
                         for pid in z.policies],
            "assumptions": z.assumptions, "dependencies": z.dependencies,
            "gaps": res.gaps, "open_gaps": open_count(res.gaps), "open_by_severity": open_by_severity(res.gaps),
            "gaps_by_state": sorted(Counter(gap_state(g.state) for g in res.gaps).items()),
            "status": status_of(res.gaps),
            "not_applicable": na_decisions(r, res.not_applicable, res.states, ("zones", zid)),
            "na_declared": declared, "na_inferred": inferred,
            "compensations": [{**c, "approved_by": _role(p, c["approved_by"])} for c in comps if c["zone"] == zid],
            "requirements": requirement_rows(r, res.states, res.sl_target),
            "scenarios": res.scenarios,
        })
    return sheets


def external_sheets(r: Review) -> list[dict[str, Any]]:
    """Zones outside the system under consideration: what the CRS records of an entry point and threat
    source (boundary, assumptions, the conduits by which it reaches the SuC, the scenarios it is the source
    of); no SL-T and no requirement table (62443-3-2 ZCR 6, design §4 scope)."""
    p = r.plant
    links = _links(p, set(r.assessment.external))
    scenarios = p.risk.scenarios if p.risk else []
    out = []
    for zid in r.assessment.external:
        z = p.zones[zid]
        out.append({
            "id": zid, "name": z.name, "description": z.description, "level": f"{z.level:g}", "kind": z.kind,
            "trust": z.trust, "owner": _role(p, z.owner), "networks": [str(n) for n in z.networks],
            "physical": z.physical, "why_outside": outside_why(z), "entry_point": zid in r.paths.entries,
            "conduits": links[zid], "assumptions": z.assumptions, "dependencies": z.dependencies,
            "assets": sorted(aid for aid, a in p.assets.items() if a.zone == zid),
            "scenarios": [s.id for s in scenarios if s.source == zid],
        })
    return out


def conduit_sheets(r: Review) -> list[dict[str, Any]]:
    """Per conduit of the SuC, its characteristics and the requirements it holds (after ZCR 6.4): the
    boundary requirements its SL-T asks, met, gap or N/A, and its N/A decisions."""
    p = r.plant
    external = set(r.assessment.external)
    policies = p.crs.policies if p.crs else {}
    sheets = []
    for res in r.assessment.conduits:
        c = p.conduits[res.id]
        sheets.append({
            "id": res.id, "name": c.name, "description": c.description, "zones": c.zones,
            "outside": [z for z in c.zones if z in external],
            "owner": _role(p, c.owner), "physical": c.physical,
            "safety": c.safety if c.safety is not None else any(
                p.zones[z].kind == "safety" or bool(p.zones[z].safety) for z in c.zones if z in p.zones),
            "countermeasures": [{"id": m, "kind": p.countermeasures[m].kind, "status": p.countermeasures[m].status,
                                 "meets": p.countermeasures[m].meets} for m in c.countermeasures
                                if m in p.countermeasures],
            "flows": [f.model_dump(by_alias=True, exclude_none=True) for f in c.flows],
            "sl_target": res.sl_target, "sl_target_source": res.sl_target_source, "sl_achieved": res.sl_achieved,
            "chart": Markup(sl_chart(res.sl_target, res.sl_achieved, label=res.id)),
            "policies": [{"id": pid, **(policies[pid].model_dump() if pid in policies else {"title": pid})}
                         for pid in c.policies],
            "assumptions": c.assumptions, "dependencies": c.dependencies,
            "gaps": res.gaps, "open_gaps": open_count(res.gaps), "status": status_of(res.gaps),
            "not_applicable": na_decisions(r, res.not_applicable, res.states, ("conduits", res.id)),
            "requirements": requirement_rows(r, res.states, res.sl_target),
        })
    return sheets


def html_to_pdf(html: str) -> bytes:
    """Paginate the HTML with WeasyPrint (imported here: it takes ~0.5 s to load and only PDFs need it)."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # CSS it ignores (screen-only rules) is not news
    return HTML(string=html).write_pdf()
