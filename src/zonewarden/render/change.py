"""Change impact and the management-of-change record, for a person (table, Markdown, HTML, PDF) and for tools
(JSON): `zonewarden diff` and `zonewarden change` render the one `Impact` here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.console import Console
from rich.table import Table

from .. import __version__
from ..analysis.change_record import ChangeRecord
from ..analysis.diff import Change
from ..analysis.impact import Impact, ScopeDelta
from ..model.sl import SLVector
from .documents import ROLE_TITLES, environment, fingerprint

RECORD_FORMATS = ("md", "html", "pdf", "json")
STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def _vec(v: SLVector | None) -> str:
    return "-" if v is None else str(v)


def _table(title: str, columns: tuple[str, ...]) -> Table:
    """A titled table whose columns fold long text, as every table of the impact is."""
    t = Table(title=title, title_justify="left")
    for col in columns:
        t.add_column(col, overflow="fold")
    return t


def _pair(a: Any, b: Any, show: Any = str) -> str:
    x, y = ("-" if a is None else show(a)), ("-" if b is None else show(b))
    return x if x == y else f"{x} -> {y}"


def describe_change(c: Change) -> str:
    """One line for a diff row: the fields that changed, or what an added or removed element is."""
    if c.fields:
        return "; ".join(f.describe() for f in c.fields)
    side = c.new if c.action == "added" else c.old
    if not side:
        return ""
    if c.kind == "conduit":
        cms = ", ".join(side.get("countermeasures") or []) or "-"
        return f"zones {' - '.join(side.get('zones', []))}; countermeasures {cms}"
    if c.kind == "flow":
        ops = side.get("ops")
        return f"on {c.parent}" + (f", ops {', '.join(ops)}" if ops else "") + (
            f", {side['direction']}" if side.get("direction") == "both" else "")
    if c.kind == "asset":
        return ", ".join(str(x) for x in (side.get("zone"), side.get("function"), side.get("product"),
                                           side.get("firmware"), side.get("lifecycle")) if x)
    if c.kind == "countermeasure":
        at = {k: v for k, v in (side.get("at") or {}).items() if v}
        where = " ".join(f"{k} {v}" for k, v in at.items())
        return f"{side.get('kind')} at {where}; meets {', '.join(side.get('meets') or []) or '-'}"
    if c.kind == "compensation":
        return f"by {', '.join(side.get('by') or [])}"
    if c.kind == "applicability":
        decision = "not applicable" if side.get("not_applicable", True) else "applicable against the inference"
        who = f", approved by {side['approved_by']}" if side.get("approved_by") else ", not approved"
        when = f" on {side['approved_on']}" if side.get("approved_on") else ""
        return f"{side.get('at')} {c.parent}: {decision}{who}{when}: {side.get('justification')}"
    if c.kind == "scenario":
        return f"zone {side.get('zone')}, likelihood {side.get('likelihood')}"
    return ""


def context(impact: Impact) -> dict[str, Any]:
    """What the Markdown and HTML views show, computed once."""
    scopes = []
    for d in [*impact.zones, *impact.conduits]:
        if not d.changed:
            continue
        scopes.append({"scope": d.scope, "id": d.id, "presence": d.presence,
                       "sl_target": _pair(*d.sl_target, show=_vec), "sl_achieved": _pair(*d.sl_achieved, show=_vec),
                       "opened": len(d.gaps_opened), "closed": len(d.gaps_closed), "changed": len(d.gaps_changed),
                       "risk": _pair(*d.risk) if d.scope == "zone" else "",
                       "applicability": _na_counts(d)})
    effects = [e for e in impact.effects if e.kind != "reverify"]
    return {
        "changes": [{"kind": c.kind, "id": c.id, "action": c.action, "details": describe_change(c)}
                    for c in impact.diff.changes],
        "scopes": scopes,
        "effects": [e for e in effects if e.severity != "info"],
        "info": [e for e in effects if e.severity == "info"],
        "counts": impact.counts(),
        "compensations": impact.compensations,
        "applicability": [(d, n) for d in [*impact.zones, *impact.conduits] for n in d.applicability],
        "capabilities": impact.capabilities,
        "reverify": impact.reverify,
    }


def _na_counts(d: ScopeDelta) -> str:
    """Requirements that apply now (+) and that no longer apply (-) at a zone or conduit."""
    more = sum(1 for n in d.applicability if n.change == "now-applicable")
    fewer = sum(1 for n in d.applicability if n.change == "now-not-applicable")
    return " ".join(x for x in (f"+{more}" if more else "", f"-{fewer}" if fewer else "") if x)


def impact_json(impact: Impact, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    return {"from": old, "to": new, "changes": impact.diff.as_dict(), "impact": impact.as_dict()}


def impact_markdown(impact: Impact, old: str, new: str) -> str:
    return environment().get_template("change.md.j2").render(
        record=None, title=f"Change impact: {old} -> {new}", old=old, new=new, **context(impact))


def print_impact(console: Console, impact: Impact, old: str, new: str) -> None:
    console.print(f"[bold]{old} -> {new}[/]: {len(impact.diff.changes)} change(s)", highlight=False)
    if not impact.diff.changes:
        return
    ctx = context(impact)
    t = _table("changes", ("kind", "id", "action", "details"))
    for c in ctx["changes"]:
        t.add_row(c["kind"], c["id"], c["action"], c["details"])
    console.print(t)
    if ctx["scopes"]:
        t = _table("zones and conduits", ("scope", "id", "SL-T", "SL-A", "gaps +", "gaps -", "gaps ~", "applies +/-",
                                          "residual risk"))
        for s in ctx["scopes"]:
            t.add_row(s["scope"], s["id"] + ("" if s["presence"] == "both" else f" ({s['presence']})"), s["sl_target"],
                      s["sl_achieved"], str(s["opened"]), str(s["closed"]), str(s["changed"]), s["applicability"],
                      s["risk"])
        console.print(t)
    if ctx["applicability"]:
        t = _table("applicability (N/A)", ("at", "requirement", "before", "after", "gaps"))
        for d, n in ctx["applicability"]:
            gaps = ", ".join([f"+{g.id}" for g in n.gaps_opened] + [f"-{g.id}" for g in n.gaps_closed])
            t.add_row(f"{d.scope} {d.id}", n.requirement, n.before.why() if n.before else "applies",
                      n.after.why() if n.after else f"applies: {n.why}", gaps)
        console.print(t)
    if ctx["capabilities"]:
        t = _table("capability (SL-C)", ("asset", "SL-C", "source", "why"))
        for c in ctx["capabilities"]:
            why = c.reopened or ("certificate counts again" if c.restored else "")
            t.add_row(c.asset, _pair(*c.sl), _pair(*c.source), why)
        console.print(t)
    if ctx["effects"]:
        t = _table("effects", ("severity", "kind", "status", "what"))
        for e in ctx["effects"]:
            t.add_row(f"[{STYLE[e.severity]}]{e.severity}[/]", e.kind, e.status, e.message)
        console.print(t)
    if impact.reverify:
        t = _table("verify again", ("on", "requirements", "why"))
        for r in impact.reverify:
            t.add_row(f"{r.scope} {r.where}", ", ".join(r.requirements), r.reason)
        console.print(t)
    counts = ", ".join(f"{n} {s}" for s, n in impact.counts().items() if n)
    console.print(f"effects: {counts or 'none'}", highlight=False)


def _record_context(rec: ChangeRecord) -> dict[str, Any]:
    p = rec.impact.new.plant
    owner = p.roles.get(p.plant.owner or "")
    return {"record": rec, "title": rec.title, "plant": rec.plant, "site": p.plant.site,
            "owner": owner.name if owner else None, "date": dt.date.today().isoformat(), "version": __version__,
            "fingerprint": rec.fingerprints.get("to", fingerprint(p)), "role_titles": ROLE_TITLES,
            "old": rec.base.get("spec"), "new": rec.head.get("spec"), "for_print": False,
            **context(rec.impact)}


def record_markdown(rec: ChangeRecord) -> str:
    return environment().get_template("change.md.j2").render(**_record_context(rec))


def record_html(rec: ChangeRecord, *, for_print: bool = False) -> str:
    ctx = _record_context(rec)
    ctx["for_print"] = for_print
    return environment().get_template("change.html.j2").render(**ctx)


def record_pdf(rec: ChangeRecord) -> bytes:
    from .documents import html_to_pdf

    return html_to_pdf(record_html(rec, for_print=True))
