"""The registers of a review as plain tables: the rows the HTML report, its PDF and its XLSX all show.

One function per register, each returning a `Register` (title, column headers, rows of plain
values), so the three formats cannot disagree: XLSX writes each register to a sheet, HTML to a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


def sl(v: SLVector | None) -> str:
    return "-" if v is None else str(v)


def _join(items: Any) -> str:
    return ", ".join(str(i) for i in items)


def open_count(gaps: list) -> int:
    return sum(1 for g in gaps if g.status not in CLOSED)


def zones(r: Review) -> Register:
    p = r.plant
    rows = []
    for z in r.assessment.zones:
        zone = p.zones[z.id]
        rows.append([z.id, z.name, z.level, zone.kind, zone.trust, zone.owner, sl(z.sl_target), z.sl_target_source,
                     sl(z.sl_capability), sl(z.sl_achieved), "yes" if z.sl_achieved.meets(z.sl_target) else "no",
                     open_count(z.gaps), len(z.gaps), len(z.assets)])
    return Register("zones", "Zones", ["zone", "name", "level", "kind", "trust", "owner", "SL-T", "SL-T from",
                                       "least SL-C", "SL-A", "meets SL-T", "open gaps", "gaps", "assets"], rows,
                    "SL vectors in FR order IAC UC SI DC RDF TRE RA.")


def conduits(r: Review) -> Register:
    p = r.plant
    rows = []
    for c in r.assessment.conduits:
        protocols = sorted({f.protocol or f"port {f.port}" for f in p.conduits[c.id].flows})
        rows.append([c.id, c.name, " - ".join(c.zones), sl(c.sl_target), sl(c.sl_achieved),
                     "yes" if c.sl_achieved.meets(c.sl_target) else "no", _join(c.countermeasures),
                     _join(protocols), len(p.conduits[c.id].flows), open_count(c.gaps)])
    return Register("conduits", "Conduits", ["conduit", "name", "zones", "SL-T", "SL-A", "meets SL-T",
                                             "countermeasures", "protocols", "flow rules", "open gaps"], rows)


def risks(r: Review) -> Register:
    rows = []
    for z in r.assessment.zones:
        for s in z.scenarios:
            rows.append([s.id, s.zone, s.source, _join(s.techniques), s.likelihood, s.consequence, s.risk, s.band,
                         s.sl, _join(s.frs), _join(s.mitigated), s.residual_likelihood, s.residual_risk,
                         s.residual_band])
    tolerable = r.assessment.tolerable
    return Register("risk", "Risk register", ["scenario", "zone", "threat from", "techniques", "likelihood",
                                              "consequence", "risk", "band", "SL asked", "FRs raised", "mitigated",
                                              "residual likelihood", "residual risk", "residual band"], rows,
                    f"Risk = likelihood x worst consequence; tolerable {tolerable}. Residual: after the "
                    "countermeasures that cover the scenario's techniques.")


def gaps(r: Review) -> Register:
    rows = [[g.owner_role, g.id, g.scope, g.where, g.requirement, g.title, g.fr, g.level, g.severity, g.status,
             _join(g.suppliers), _join(g.assets), _join(g.techniques), g.why]
            for g in sorted(r.assessment.gaps, key=lambda g: (g.owner_role, g.where, g.requirement))]
    return Register("gaps", "Gap register by owner role", ["owner role", "id", "scope", "zone or conduit",
                                                           "requirement", "title", "FR", "level", "severity",
                                                           "status", "suppliers", "assets", "techniques", "why"],
                    rows)


def compensations(r: Review) -> Register:
    refused = {f.path[1]: f.message for f in r.assessment.findings
               if f.rule == "compensation-refused" and len(f.path) == 2}
    proofs = {(c.asset, c.requirement): c for c in r.paths.compensations}
    rows = []
    for i, c in enumerate(r.plant.compensations):
        proof = proofs.get((c.asset, c.requirement))
        counted = "no: " + refused[i].split("does not count: ", 1)[-1] if i in refused else "yes"
        rows.append([c.asset, c.requirement, _join(c.by), c.approved_by, str(c.approved_on or ""),
                     str(c.review_by or ""), counted,
                     "-" if proof is None else ("yes" if proof.proven else "no"),
                     describe(proof.bypass) if proof is not None and not proof.proven else "", c.justification])
    return Register("compensations", "Compensations and their proof",
                    ["asset", "requirement", "by", "approved by", "approved on", "review by", "counted",
                     "on every path", "bypass path", "justification"], rows,
                    "A compensation counts only when approved by the asset owner, in review, implemented, and "
                    "when its countermeasures lie on every path from an entry point to the asset.")


def depth(r: Review) -> Register:
    rows = [[t.asset, t.zone, "unreachable" if t.depth is None else t.depth, t.policy,
             "yes" if t.below_policy else "no", _join(r.paths.single_points.get(t.asset, [])), describe(t.weakest)]
            for t in r.paths.targets]
    note = f"Entry points: {_join(r.paths.entries) or 'none'}."
    if r.paths.harden:
        note += f" Fewest conduits to harden for the targets below policy: {_join(r.paths.harden)}."
    return Register("depth", "Defense in depth", ["target", "zone", "layers on weakest path", "policy",
                                                  "below policy", "single points of failure", "weakest path"],
                    rows, note)


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
    regs = [zones(r), conduits(r), risks(r), gaps(r), compensations(r), depth(r), findings(r), traffic(r),
            assets(r), tracking(r), crosswalk(r)]
    return [g for g in regs if g is not None]
