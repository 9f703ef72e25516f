"""The registers of a review as plain tables: the rows the HTML report, its PDF and its XLSX all show.

One function per register, each returning a `Register` (title, column headers, rows of plain
values), so the three formats cannot disagree: XLSX writes each register to a sheet, HTML to a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..analysis.achieved import ASSETS_SHORT, PARTLY_BOUNDED, SYSTEM_LEVEL
from ..analysis.paths import describe
from ..analysis.review import Review
from ..model.sl import SLVector
from ..model.tracking import CLOSED

Cell = str | int | float | None


@dataclass
class Register:
    key: str  # sheet name and HTML anchor
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    note: str = ""


def col_widths(reg: Register, sample: int = 400) -> list[float]:
    """Column widths in percent for a page-wide table with a fixed layout (the PDF): each column gets its mean
    text length, at least its longest word (up to 16) and header word, at most 24 characters' worth (60 for
    the last column, which holds the prose)."""
    raw = []
    for c, name in enumerate(reg.columns):
        texts = [str(row[c]) for row in reg.rows[:sample] if row[c] not in (None, "")]
        typical = sum(map(len, texts)) / min(len(reg.rows), sample) if texts else 0  # empty cells count as 0
        word = max((len(w) for t in texts for w in t.split()), default=0)
        head = max(len(w) for w in name.split())
        cap = 60.0 if c == len(reg.columns) - 1 else 24.0  # the last column is the register's prose (why, what)
        raw.append(min(cap, max(typical, min(word, 16), head, 4)) + 3)  # + 3: the cell's padding
    total = sum(raw)
    return [round(100 * w / total, 2) for w in raw]


def sl(v: SLVector | None) -> str:
    return "-" if v is None else str(v)


def _join(items: Any) -> str:
    return ", ".join(str(i) for i in items)


def open_count(gaps: list) -> int:
    return sum(1 for g in gaps if g.status not in CLOSED)


GAP_STATES = {ASSETS_SHORT: "assets short", SYSTEM_LEVEL: "system level", PARTLY_BOUNDED: "partly bounded"}


def gap_state(state: str) -> str:
    """The words for a gap's state (design §4): who can close it differs by state."""
    return GAP_STATES.get(state, state)


def na_counts(na: dict) -> tuple[int, int]:
    """Requirements not applicable (declared, inferred) at a zone or conduit."""
    declared = sum(1 for n in na.values() if n.source == "declared")
    return declared, len(na) - declared


def outside_why(zone: Any) -> str:
    """Why a zone lies outside the system under consideration (its declared scope, or the default)."""
    if zone.scope == "external":
        return "declared scope: external"
    return "trust untrusted, so outside by default" if zone.trust == "untrusted" else \
        f"kind {zone.kind}, so outside by default"


def zones(r: Review) -> Register:
    p = r.plant
    rows = []
    for z in r.assessment.zones:
        zone = p.zones[z.id]
        declared, inferred = na_counts(z.not_applicable)
        rows.append([z.id, z.name, z.level, zone.kind, zone.trust, zone.owner, sl(z.sl_target), z.sl_target_source,
                     sl(z.sl_capability), sl(z.sl_achieved), "yes" if z.sl_achieved.meets(z.sl_target) else "no",
                     open_count(z.gaps), len(z.gaps), declared, inferred, len(z.assets)])
    return Register("zones", "Zones of the system under consideration",
                    ["zone", "name", "level", "kind", "trust", "owner", "SL-T", "SL-T from", "least SL-C", "SL-A",
                     "meets SL-T", "open gaps", "gaps", "N/A declared", "N/A inferred", "assets"], rows,
                    "SL vectors in FR order IAC UC SI DC RDF TRE RA. N/A: 62443-3-3 requirements not applicable in "
                    "the zone, by an approved decision of the asset owner (declared) or because the model shows "
                    "they cannot arise (inferred); they leave SL-A alone and raise no gap.")


def external(r: Review) -> Register:
    """Zones outside the system under consideration: entry points and threat sources, with no SL or gap."""
    p = r.plant
    scenarios = r.plant.risk.scenarios if r.plant.risk else []
    rows: list[list[Cell]] = []
    for zid in r.assessment.external:
        z = p.zones[zid]
        into = [cid for cid, c in p.conduits.items() if zid in c.zones]
        rows.append([zid, z.name, z.level, z.kind, z.trust, outside_why(z),
                     "yes" if zid in r.paths.entries else "no", _join(into),
                     _join(s.id for s in scenarios if s.source == zid),
                     sum(1 for a in p.assets.values() if a.zone == zid), "; ".join(z.assumptions)])
    return Register("external", "Zones outside the system under consideration",
                    ["zone", "name", "level", "kind", "trust", "why outside", "entry point", "conduits",
                     "threat scenarios from it", "assets", "assumptions"], rows,
                    "Entry points and threat sources (62443-3-2 ZCR 6): no SL-T, SL-A, gaps or requirements; "
                    "their assumptions are part of the CRS.")


def conduits(r: Review) -> Register:
    p = r.plant
    rows = []
    for c in r.assessment.conduits:
        protocols = sorted({f.protocol or f"port {f.port}" for f in p.conduits[c.id].flows})
        rows.append([c.id, c.name, " - ".join(c.zones), sl(c.sl_target), c.sl_target_source, sl(c.sl_achieved),
                     "yes" if c.sl_achieved.meets(c.sl_target) else "no", _join(c.countermeasures),
                     _join(protocols), len(p.conduits[c.id].flows), open_count(c.gaps), len(c.not_applicable)])
    return Register("conduits", "Conduits", ["conduit", "name", "zones", "SL-T", "SL-T from", "SL-A", "meets SL-T",
                                             "countermeasures", "protocols", "flow rules", "open gaps", "N/A"], rows,
                    "SL-T from the zones: the highest of its zones inside the system under consideration.")


def risks(r: Review) -> Register:
    rows = []
    for z in r.assessment.zones:
        for s in z.scenarios:
            actor = f"{s.actor['kind']} ({s.actor['capability'] or 'by kind'})" if s.actor else ""
            rows.append([s.id, s.zone, s.source, actor, _join(s.techniques), s.likelihood, s.consequence, s.risk,
                         s.band, s.sl, "; ".join(s.sl_basis), _join(s.frs), _join(s.mitigated),
                         "; ".join(f"{u}: {', '.join(frs)}" for u, frs in s.short.items()), s.residual_likelihood,
                         s.residual_risk, s.residual_band])
    tolerable = r.assessment.tolerable
    return Register("risk", "Risk register", ["scenario", "zone", "threat from", "actor", "techniques", "likelihood",
                                              "consequence", "risk", "band", "SL asked", "why that SL", "FRs raised",
                                              "credited", "open (FRs short)", "residual likelihood", "residual risk",
                                              "residual band"], rows,
                    f"Risk = likelihood x worst consequence; tolerable {tolerable}. SL asked: the highest of the "
                    "band's SL, the threat actor's and the safety floor. Residual: likelihood drops only for the "
                    "techniques on whose every FR the zone's SL-A reaches the SL asked (pro rata).")


def gaps(r: Review) -> Register:
    rows = [[g.owner_role, g.id, g.scope, g.where, g.requirement, g.title, g.fr, g.level, g.severity, g.status,
             gap_state(g.state), _join(g.suppliers), _join(g.assets), _join(g.conduits), _join(g.scenarios),
             _join(g.techniques), g.why]
            for g in sorted(r.assessment.gaps, key=lambda g: (g.owner_role, g.where, g.requirement))]
    return Register("gaps", "Gap register by owner role", ["owner role", "id", "scope", "zone or conduit",
                                                           "requirement", "title", "FR", "level", "severity",
                                                           "status", "state", "suppliers", "assets",
                                                           "conduits lacking it", "scenarios held back",
                                                           "techniques", "why"], rows,
                    "State: assets short (the assets named fall short; their suppliers act), system level (no "
                    "component can meet it: a countermeasure at the zone or an N/A decision must), partly bounded "
                    "(a boundary requirement met on some conduits of the zone; the conduits named lack it).")


def compensation_rows(r: Review) -> list[dict[str, Any]]:
    """Every compensation with whether it counts and, when refused, why (the CRS and the register share them)."""
    refused = {f.path[1]: f.reasons for f in r.assessment.findings
               if f.rule == "compensation-refused" and len(f.path) == 2}
    proofs = {(c.asset, c.requirement): c for c in r.paths.compensations}
    out = []
    for i, c in enumerate(r.plant.compensations):
        proof = proofs.get((c.asset, c.requirement))
        asset = r.plant.assets.get(c.asset)
        out.append({"asset": c.asset, "zone": asset.zone if asset else None, "requirement": c.requirement,
                    "by": list(c.by), "approved_by": c.approved_by, "approved_on": str(c.approved_on or ""),
                    "review_by": str(c.review_by or ""), "counted": i not in refused,
                    "refused": "; ".join(x["message"] for x in refused[i]) if i in refused else "",
                    "reasons": refused.get(i, []),
                    "proven": None if proof is None else proof.proven,
                    "proven_by": None if proof is None else proof.tested,
                    "meeting": {} if proof is None else proof.meeting,
                    "bypass": describe(proof.bypass) if proof is not None and not proof.proven else "",
                    "justification": c.justification})
    return out


def compensations(r: Review) -> Register:
    rows = []
    for c in compensation_rows(r):
        rows.append([c["asset"], c["requirement"], _join(c["by"]), c["approved_by"], c["approved_on"],
                     c["review_by"], "yes" if c["counted"] else "no: " + c["refused"],
                     "-" if c["proven"] is None else (f"yes ({c['proven_by']})" if c["proven"] else "no"),
                     c["bypass"], c["justification"]])
    return Register("compensations", "Compensations and their proof",
                    ["asset", "requirement", "by", "approved by", "approved on", "review by", "counted",
                     "proven", "bypass path", "justification"], rows,
                    "A compensation counts only when approved by the asset owner, in review, implemented, made of "
                    "countermeasures that meet the requirement's SR family, and proven: preventive ones on every path "
                    "from an entry point (for access control, every flow rule into the asset through them), or "
                    "detective ones seeing every conduit into the zone.")


def depth(r: Review) -> Register:
    rows = [[t.asset, t.zone, "unreachable" if t.depth is None else t.depth, t.policy,
             "yes" if t.below_policy else "no", _join(r.paths.single_points.get(t.asset, [])), describe(t.weakest),
             _join(t.layers), "; ".join(f"{k}: {_join(v)}" for k, v in t.beside.items())]
            for t in r.paths.targets]
    note = f"Entry points: {_join(r.paths.entries) or 'none'}."
    if r.paths.harden:
        note += f" Fewest conduits to harden for the targets below policy: {_join(r.paths.harden)}."
    return Register("depth", "Defense in depth", ["target", "zone", "layers on weakest path", "policy",
                                                  "below policy", "single points of failure", "weakest path",
                                                  "layers counted (one per device)", "beside the depth"],
                    rows, note + " Only preventive countermeasures are layers, one per device; detective, "
                    "procedural and supporting ones on the path are listed beside.")


def findings(r: Review) -> Register:
    a = r.assessment
    rows: list[list[Cell]] = [[f.severity, f.id, a.status(f.id), f.requirement, f.message]
                              for f in a.findings]
    rows += [[f["severity"], f["id"], r.paths.statuses.get(f["id"], "open"), "", f["message"]]
             for f in r.paths.findings()]
    return Register("findings", "Findings", ["severity", "id", "status", "requirement", "what"], rows)


def traffic(r: Review) -> Register | None:
    if r.traffic is None:
        return None
    rows = [[v.severity, v.kind, v.id, v.status, v.conduit, v.src_asset or v.src, v.dst_asset or v.dst,
             f"{v.app or 'any'}/{v.dport}" if v.dport is not None else v.app, v.op, v.packets, _join(v.requirements),
             v.message] for v in r.traffic.verdicts]
    return Register("traffic", "Traffic verdicts", ["severity", "kind", "id", "status", "conduit", "from", "to",
                                                    "service", "operation", "packets", "requirements", "what"],
                    rows, f"{r.traffic.flows} flows from {_join(r.traffic_inputs)} judged against "
                          f"{r.traffic.rules} flow rules.")


def assets(r: Review) -> Register:
    caps = r.assessment.capabilities
    rows = [[aid, a.zone, a.name, a.function, a.type, a.vendor, a.product, a.model_number, a.firmware,
             _join(a.addresses), a.criticality, a.lifecycle, "yes" if a.legacy else "", sl(caps[aid].sl),
             caps[aid].source] for aid, a in r.plant.assets.items()]
    return Register("assets", "Asset inventory", ["asset", "zone", "name", "function", "type", "vendor", "product",
                                                  "model number", "firmware", "addresses", "criticality",
                                                  "lifecycle", "legacy", "SL-C", "SL-C from"], rows)


def tracking(r: Review) -> Register:
    tr = r.assessment.tracking
    rows: list[list[Cell]] = []
    for fid, e in sorted(tr.matched.items()):
        rows.append([fid, e.status, e.owner, e.ticket, str(e.date or ""), e.justification, ""])
    for e in tr.stale:
        rows.append([e.id, e.status, e.owner, e.ticket, str(e.date or ""), e.justification, "stale: matches nothing"])
    return Register("tracking", "Tracking status", ["finding", "status", "owner", "ticket", "date", "justification",
                                                    "note"], rows,
                    f"From {tr.file}." if tr.file else "No tracking file: every finding is open.")


def crosswalk(r: Review) -> Register:
    """Every item of the five target frameworks with the state of the 62443 requirements behind it."""
    from ..standard.crosswalk import FRAMEWORKS
    from .crosswalk import coverage_rows

    rows: list[list[Cell]] = []
    cols: list[str] = []
    for fw in FRAMEWORKS:
        cols, part = coverage_rows(r.coverage(fw), framework_column=True)
        rows += part
    return Register("crosswalk", "Crosswalk to other frameworks", cols, rows,
                    "No official 62443 crosswalk to these frameworks exists: edges are NIST tables composed, else "
                    "zonewarden curation (medium confidence or better). 'zonewarden crosswalk PLANT --to X' lists "
                    "each edge with its provenance.")


def all_registers(r: Review) -> list[Register]:
    """In the order the report shows them; the traffic register only when traffic was given."""
    regs = [zones(r), conduits(r), external(r), risks(r), gaps(r), compensations(r), depth(r), findings(r), traffic(r),
            assets(r), tracking(r), crosswalk(r)]
    return [g for g in regs if g is not None]
