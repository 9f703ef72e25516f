"""What the signed documents share: the Jinja2 environment, the zone and conduit sheets of 62443-3-2
ZCR 6.4, the plant fingerprint that a signature refers to, and HTML to PDF.

The report and the CRS are HTML first; the PDF is the same HTML paginated by WeasyPrint, so the two
never differ in content.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from .. import __version__
from ..analysis.findings import SEVERITIES
from ..analysis.review import Review
from ..model.plant import Plant
from ..model.tracking import CLOSED
from .charts import sl_chart
from .diagram import status_of
from .registers import open_count, sl

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


def zone_sheets(r: Review) -> list[dict[str, Any]]:
    """Per zone, the characteristics of ZCR 6.4, filled from the plant and its assessment."""
    p = r.plant
    results = {z.id: z for z in r.assessment.zones}
    links: dict[str, list[dict[str, Any]]] = {z: [] for z in p.zones}
    for cid, c in p.conduits.items():
        for end, other in ((c.zones[0], c.zones[1]), (c.zones[1], c.zones[0])):
            if end in links:
                links[end].append({"id": cid, "to": other, "countermeasures": c.countermeasures,
                                   "flows": [f.model_dump(by_alias=True, exclude_none=True) for f in c.flows]})
    cms_at: dict[str, list[str]] = {}
    for mid, m in p.countermeasures.items():
        zone = m.at.zone or (p.assets[m.at.asset].zone if m.at.asset in p.assets else None)
        if zone:
            cms_at.setdefault(zone, []).append(mid)
    policies = p.crs.policies if p.crs else {}
    sheets = []
    for zid, z in p.zones.items():
        res = results[zid]
        members = [(aid, a) for aid, a in p.assets.items() if a.zone == zid]
        sheets.append({
            "id": zid, "name": z.name, "description": z.description, "level": res.level, "kind": z.kind,
            "trust": z.trust, "owner": p.roles[z.owner].name if z.owner in p.roles else z.owner,
            "networks": [str(n) for n in z.networks], "physical": z.physical,
            "safety": z.safety if z.safety is not None else z.kind == "safety",
            "internal": z.internal, "internal_flows": [f.model_dump(by_alias=True, exclude_none=True) for f in z.flows],
            "sl_target": res.sl_target, "sl_target_source": res.sl_target_source, "sl_derived": res.sl_derived,
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
            "status": status_of(res.gaps),
            "requirements": [{"requirement": s.requirement, "title": r.catalog.get(s.requirement).title, "fr": s.fr,
                              "level": s.level, "satisfied": s.satisfied, "why": s.why()}
                             for s in res.states.values() if s.level <= res.sl_target[s.fr]],
            "scenarios": res.scenarios,
        })
    return sheets


def conduit_sheets(r: Review) -> list[dict[str, Any]]:
    p = r.plant
    policies = p.crs.policies if p.crs else {}
    sheets = []
    for res in r.assessment.conduits:
        c = p.conduits[res.id]
        sheets.append({
            "id": res.id, "name": c.name, "description": c.description, "zones": c.zones,
            "owner": p.roles[c.owner].name if c.owner in p.roles else c.owner, "physical": c.physical,
            "safety": c.safety if c.safety is not None else any(
                p.zones[z].kind == "safety" or bool(p.zones[z].safety) for z in c.zones if z in p.zones),
            "countermeasures": [{"id": m, "kind": p.countermeasures[m].kind, "status": p.countermeasures[m].status,
                                 "meets": p.countermeasures[m].meets} for m in c.countermeasures
                                if m in p.countermeasures],
            "flows": [f.model_dump(by_alias=True, exclude_none=True) for f in c.flows],
            "sl_target": res.sl_target, "sl_achieved": res.sl_achieved,
            "chart": Markup(sl_chart(res.sl_target, res.sl_achieved, label=res.id)),
            "policies": [{"id": pid, **(policies[pid].model_dump() if pid in policies else {"title": pid})}
                         for pid in c.policies],
            "assumptions": c.assumptions, "dependencies": c.dependencies,
            "gaps": res.gaps, "open_gaps": open_count(res.gaps), "status": status_of(res.gaps),
        })
    return sheets


def html_to_pdf(html: str) -> bytes:
    """Paginate the HTML with WeasyPrint (imported here: it takes ~0.5 s to load and only PDFs need it)."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # CSS it ignores (screen-only rules) is not news
    return HTML(string=html).write_pdf()
