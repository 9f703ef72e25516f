"""The assessment for people (rich tables) and scripts (the JSON contract of docs/assessment.md)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Table

from .. import __version__
from ..analysis.achieved import RequirementState
from ..analysis.assess import Assessment, ZoneResult
from ..analysis.findings import SEVERITIES, Finding
from ..model.sl import FRS, SLVector
from ..model.tracking import CLOSED
from ..standard.catalog import Catalog

_SEV = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}
MAX_ROWS = 40  # a summary a person reads; --format json carries every row


def _worst_first(items: list, key, what: str) -> tuple[list, str]:
    """All items in plant order when few; else the MAX_ROWS with the largest key, and a note saying so."""
    if len(items) <= MAX_ROWS:
        return items, ""
    shown = sorted(items, key=key, reverse=True)[:MAX_ROWS]
    return shown, f"showing the {MAX_ROWS} of {len(items)} {what} with the most open gaps; --format json lists all"


def _open(gaps: list) -> int:
    return sum(1 for g in gaps if g.status not in CLOSED)


def _vec(v: SLVector | None) -> list[int] | None:
    return v.as_list() if v is not None else None


def state_dict(s: RequirementState) -> dict[str, Any]:
    return {"requirement": s.requirement, "fr": s.fr, "level": s.level, "satisfied": s.satisfied, "by": s.by or None,
            "why": s.why(), "countermeasures": list(s.countermeasures), "short": list(s.short),
            "compensated": list(s.compensated), "pending": list(s.pending), "awaiting": list(s.awaiting),
            "applicable": s.applicable, "state": s.state or None, "not_applicable": s.na.as_dict() if s.na else None,
            "system_types": list(s.system_types), "bounded": list(s.bounded), "unbounded": list(s.unbounded)}


def zone_dict(a: Assessment, z: ZoneResult, *, detail: bool = False) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": z.id, "name": z.name, "level": int(z.level) if z.level.is_integer() else z.level,
        "sl_target": z.sl_target.as_list(), "sl_target_source": z.sl_target_source, "sl_derived": _vec(z.sl_derived),
        "sl_capability": _vec(z.sl_capability), "sl_achieved": z.sl_achieved.as_list(),
        "meets_target": z.sl_achieved.meets(z.sl_target), "assets": z.assets,
        "risk": z.risk_dict(a.tolerable), "gaps": [g.as_dict() for g in z.gaps], "scope": "suc",
        "not_applicable": [n.as_dict() for n in z.not_applicable.values()],
    }
    if detail:
        d["requirements"] = [state_dict(s) for s in z.states.values()]
    return d


def _finding_dict(a: Assessment, f: Finding) -> dict[str, Any]:
    details = a.tracking.details(f.id)
    return {**f.as_dict(), "status": a.status(f.id), **({"tracking": details} if details else {})}


def summary_json(a: Assessment) -> dict[str, Any]:
    """The plant-wide counts of `assessment_json` (the same whichever zone is asked for)."""
    gaps = a.gaps
    return {
        "zones": len(a.zones), "conduits": len(a.conduits),
        "zones_meeting_target": sum(1 for z in a.zones if z.sl_achieved.meets(z.sl_target)),
        "gaps": len(gaps), "open_gaps": sum(1 for g in gaps if g.status not in CLOSED),
        "gaps_by_role": dict(sorted(Counter(g.owner_role for g in gaps).items())),
        "gaps_by_state": dict(sorted(Counter(g.state for g in gaps).items())),
        "external_zones": len(a.external),
        "not_applicable": sum(len(z.not_applicable) for z in a.zones),
        "gaps_by_severity": {s: n for s in SEVERITIES if (n := sum(1 for g in gaps if g.severity == s))},
        "gaps_by_status": dict(sorted(Counter(g.status for g in gaps).items())),
        "findings_by_severity": {s: n for s in SEVERITIES if (n := sum(1 for f in a.findings if f.severity == s))},
    }


def assessment_json(a: Assessment, *, zone: str | None = None, summary: dict[str, Any] | None = None
                    ) -> dict[str, Any]:
    """`summary`: summary_json(a) computed once by a caller that asks for many zones (the web app)."""
    zones = [z for z in a.zones if zone is None or z.id == zone]
    return {
        "plant": a.plant,
        "zonewarden": __version__,
        "zones": [zone_dict(a, z, detail=zone is not None) for z in zones],
        "conduits": [] if zone is not None else [{
            "id": c.id, "name": c.name, "zones": c.zones, "sl_target": c.sl_target.as_list(),
            "sl_target_source": c.sl_target_source, "sl_achieved": c.sl_achieved.as_list(),
            "meets_target": c.sl_achieved.meets(c.sl_target), "countermeasures": c.countermeasures,
            "gaps": [g.as_dict() for g in c.gaps],
            "not_applicable": [n.as_dict() for n in c.not_applicable.values()]} for c in a.conduits],
        "external_zones": [] if zone is not None else _external(a),
        "assets": [] if zone is not None else [
            {"id": k, "sl_capability": v.sl.as_list(), "source": v.source, "counted": v.counted,
             "sl_declared": _vec(v.declared), "sl_certificate": _vec(v.certified), "certificate_reopened": v.reopened}
            for k, v in a.capabilities.items()],
        "findings": [_finding_dict(a, f) for f in a.located_findings()],
        "tracking": {"file": a.tracking.file, "matched": len(a.tracking.matched),
                     "stale": [{"id": e.id, "status": e.status} for e in a.tracking.stale],
                     "repeated": [{"id": e.id, "status": e.status} for e in a.tracking.repeated]},
        "summary": summary if summary is not None else summary_json(a),
    }


def _external(a: Assessment) -> list[dict[str, Any]]:
    """Zones outside the system under consideration: entry points with their assumptions, nothing computed."""
    if a.source is None:
        return [{"id": z} for z in a.external]
    out = []
    for zid in a.external:
        z = a.source.zones[zid]
        out.append({"id": zid, "name": z.name, "level": int(z.level) if float(z.level).is_integer() else z.level,
                    "kind": z.kind, "trust": z.trust, "scope": "external", "assumptions": list(z.assumptions)})
    return out


def _sl_cell(v: SLVector | None, target: SLVector | None = None) -> str:
    if v is None:
        return "-"
    if target is None:
        return str(v)
    parts = [f"[red]{x}[/]" if x < t else str(x) for x, t in zip(v, target, strict=True)]
    return "{" + " ".join(parts) + "}"


def print_summary(console: Console, a: Assessment) -> None:
    t = Table(title=f"zonewarden assess: {a.plant}",
              caption=f"FR order {' '.join(FRS)}; * SL-T derived from risk, (b) the risk baseline; red: below SL-T")
    for col in ("zone", "SL-T", "least SL-C", "SL-A", "gaps", "risk -> residual"):
        t.add_column(col, no_wrap=True)
    zones, note = _worst_first(a.zones, lambda z: _open(z.gaps), "zones")
    if note:
        t.caption += f"\n{note}"
    for z in zones:
        open_gaps = _open(z.gaps)
        risk = "-"
        if z.scenarios:
            worst = max(z.scenarios, key=lambda s: s.risk)
            res = max(s.residual_risk for s in z.scenarios)
            risk = f"{worst.risk} {worst.band} -> {res}"
        src = {"declared": "", "derived": "*"}.get(z.sl_target_source, " (b)")
        t.add_row(z.id, f"{z.sl_target}{src}", _sl_cell(z.sl_capability), _sl_cell(z.sl_achieved, z.sl_target),
                  f"{open_gaps}" + (f" [dim](+{len(z.gaps) - open_gaps} closed)[/]" if open_gaps < len(z.gaps) else ""),
                  risk)
    console.print(t)
    conduits, note = _worst_first(a.conduits, lambda c: _open(c.gaps), "conduits")
    ct = Table(title="conduits", caption=note or None)
    for col in ("conduit", "zones", "SL-T", "SL-A", "gaps", "countermeasures"):
        ct.add_column(col, no_wrap=col in ("conduit", "SL-T", "SL-A"), overflow="fold")
    for c in conduits:
        open_gaps = _open(c.gaps)
        ct.add_row(c.id, " - ".join(c.zones), str(c.sl_target), _sl_cell(c.sl_achieved, c.sl_target),
                   str(open_gaps), ", ".join(c.countermeasures) or "[red]none[/]")
    console.print(ct)
    if a.findings:
        rank = {s: i for i, s in enumerate(SEVERITIES)}
        findings = sorted(a.findings, key=lambda f: -rank.get(f.severity, 0))[:MAX_ROWS]
        more = len(a.findings) - len(findings)
        ft = Table(title="findings", caption=f"and {more} more; --format json lists all" if more else None)
        for col in ("severity", "id", "status", "what"):
            ft.add_column(col, overflow="fold")
        for f in findings:
            ft.add_row(f"[{_SEV.get(f.severity, '')}]{f.severity}[/]", f.id, a.status(f.id), f.message)
        console.print(ft)
    roles = Counter(g.owner_role for g in a.gaps if g.status not in CLOSED)
    console.print("open gaps by role: " + (", ".join(f"{r} {n}" for r, n in sorted(roles.items())) or "none"))
    states = Counter(g.state for g in a.gaps if g.status not in CLOSED)
    if states:
        shown = ", ".join(f"{s.replace('_', ' ')} {n}" for s, n in sorted(states.items()))
        console.print(f"open gaps by state: {shown}")
    if a.external:
        console.print(f"outside the system under consideration (no SL-T, SL-A or gaps): {', '.join(a.external)}")
    for e in a.tracking.stale:
        console.print(f"[yellow]stale tracking entry[/] {e.id!r} ({e.status}) matches no finding")
    for e in a.tracking.repeated:
        console.print(f"[yellow]repeated tracking entry[/] {e.id!r} ({e.status}) is ignored; the first entry counts")
    console.print("detail: zonewarden assess PLANT --zone ZONE, or --explain 'SR 1.1'")


def print_zone(console: Console, a: Assessment, z: ZoneResult, catalog: Catalog) -> None:
    console.print(f"[bold]{z.id}[/] {z.name}: SL-T {z.sl_target} ({z.sl_target_source}), "
                  f"least SL-C {_sl_cell(z.sl_capability)}, SL-A {_sl_cell(z.sl_achieved, z.sl_target)}")
    if z.sl_derived is not None:
        console.print(f"risk derives SL-T {z.sl_derived}")
    t = Table(title=f"requirements in {z.id}")
    for col in ("requirement", "FR", "level", "needed", "state", "why"):
        t.add_column(col, overflow="fold", no_wrap=col in ("requirement", "state"))
    for s in z.states.values():
        needed = s.level <= z.sl_target[s.fr]
        if not s.applicable:
            needed, state = False, "[dim]N/A[/]"
        else:
            state = "[green]met[/]" if s.satisfied else ("[red]gap[/]" if needed else "[dim]not met[/]")
        t.add_row(s.requirement, s.fr, str(s.level), "yes" if needed else "", state, s.why())
    console.print(t)
    for sc in z.scenarios:
        left = "; ".join(f"{u}: SL-A below SL {sc.sl} on {', '.join(frs)}" for u, frs in sc.short.items())
        console.print(f"scenario {sc.id}: risk {sc.likelihood}x{sc.consequence}={sc.risk} ({sc.band}), asks SL {sc.sl} "
                      f"of {' '.join(sc.frs)} ({'; '.join(sc.sl_basis)}), residual {sc.residual_likelihood}x"
                      f"{sc.consequence}={sc.residual_risk} ({sc.residual_band}); credited: "
                      f"{', '.join(sc.mitigated) or 'nothing'}" + (f"; open: {left}" if left else ""),
                      highlight=False, markup=False)
    for line in z.sl_floor:
        console.print(f"SL-T floor: {line}", highlight=False, markup=False)
    for g in z.gaps:
        console.print(f"[{_SEV[g.severity]}]{g.severity}[/] {g.id} [{g.status}] -> {g.owner_role}"
                      + (f" ({', '.join(g.suppliers)})" if g.suppliers else "")
                      + (f"; techniques {', '.join(g.techniques)}" if g.techniques else ""), highlight=False)


def explain_json(a: Assessment, rid: str, catalog: Catalog) -> dict[str, Any]:
    req = catalog.get(rid)
    rows = []
    for z in a.zones:
        s = z.states.get(req.id)
        if s is not None:
            rows.append({"zone": z.id, "needed": s.applicable and s.level <= z.sl_target[s.fr], **state_dict(s)})
    crows = []
    for c in a.conduits:
        s = c.states.get(req.id)
        if s is not None:
            crows.append({"conduit": c.id, "needed": s.applicable and s.level <= c.sl_target[s.fr], **state_dict(s)})
    return {"requirement": req.id, "title": req.title, "fr": req.fr, "level": req.level, "guidance": req.guidance,
            "zones": rows, "conduits": crows}


def print_explain(console: Console, a: Assessment, rid: str, catalog: Catalog) -> None:
    d = explain_json(a, rid, catalog)
    console.print(f"[bold]{d['requirement']}[/] {d['title']} (FR {d['fr']}, from SL {d['level']})")
    console.print(f"[dim]{d['guidance']}[/]")
    t = Table()
    for col in ("zone or conduit", "needed", "state", "why"):
        t.add_column(col, overflow="fold")
    for r in d["zones"] + d["conduits"]:
        if not r["applicable"]:
            state = "[dim]N/A[/]"
        else:
            state = "[green]met[/]" if r["satisfied"] else ("[red]gap[/]" if r["needed"] else "[dim]not met[/]")
        t.add_row(r.get("zone") or f"conduit {r['conduit']}", "yes" if r["needed"] else "", state, r["why"])
    console.print(t)
