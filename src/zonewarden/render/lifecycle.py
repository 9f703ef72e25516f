"""`zonewarden lifecycle` for people (a table per state, in lifecycle order) and for scripts (JSON)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..analysis.findings import severity_rank
from ..analysis.lifecycle import Lifecycle, Requirement, StateGroup

STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}
MAX_ROWS = 40  # per state; --format json carries every asset


def lifecycle_json(result: Lifecycle, plant: str) -> dict[str, Any]:
    """The JSON contract of docs/lifecycle.md; commands are spelled with the plant path given."""
    return result.as_dict(plant)


def print_lifecycle(console: Console, result: Lifecycle, plant: str) -> None:
    for group in result.states:
        if group.assets:
            console.print(f"[bold]{group.state}[/] ({len(group.assets)}): {group.meaning}", highlight=False)
            console.print(_state_table(group, plant))
    counts = ", ".join(f"{len(g.assets)} {g.state}" for g in result.states if g.assets) or "no assets"
    reqs = result.requirements
    worst = ", ".join(f"{n} {s}" for s, n in result.by_severity().items())
    console.print(f"{result.plant} as of {result.as_of}: {counts}; {len(reqs)} open requirement(s)"
                  + (f" ({worst})" if worst else ""), highlight=False)


def _state_table(group: StateGroup, plant: str) -> Table:
    assets = sorted(group.assets, key=lambda a: not a.requires)  # stable: those with something to do first
    shown = assets[:MAX_ROWS]
    hidden = len(assets) - len(shown)
    table = Table(caption=f"{hidden} more; --format json lists every asset" if hidden else None)
    for col in ("asset", "zone", "type", "requires"):
        table.add_column(col, overflow="fold")
    for a in shown:
        lines = [_gaps_line(a.zone, [r for r in a.requires if r.what == "gap"])]
        for r in a.requires:
            if r.what != "gap":
                lines.append(f"{_sev(r.severity)} {escape(r.text)}"
                             + (f"\n  [bold]{escape(r.command_line(plant) or '')}[/]" if r.command else ""))
        table.add_row(a.asset, a.zone, a.type, "\n".join(x for x in lines if x) or "[dim]nothing[/]")
    return table


def _sev(severity: str) -> str:
    return f"[{STYLE[severity]}]{severity}[/]"


def _gaps_line(zone: str, gaps: list[Requirement]) -> str:
    """An asset's open gaps in one line (a zone's gaps name many assets; JSON lists each with its id)."""
    if not gaps:
        return ""
    worst = max((g.severity for g in gaps), key=severity_rank)
    names = ", ".join(escape((g.ref or "").split(":", 2)[-1]) for g in gaps)  # gap:ZONE:REQUIREMENT
    plural = "s" if len(gaps) > 1 else ""
    return f"{_sev(worst)} {len(gaps)} open gap{plural} of zone {zone} name it: {names}"
