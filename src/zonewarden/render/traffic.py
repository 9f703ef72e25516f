"""Conformance verdicts for people (a summary by kind and conduit, then the verdicts) and for scripts."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Table

from ..analysis.conformance import KINDS, Conformance, Verdict
from ..analysis.findings import Finding, Rule, severity_rank
from ..model.plant import Plant
from ..model.tracking import CLOSED
from .findings import sarif

MAX_ROWS = 40
STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def ordered(verdicts: list[Verdict]) -> list[Verdict]:
    return sorted(verdicts, key=lambda v: (v.status in CLOSED, -severity_rank(v.severity), v.kind, v.id))


def place(v: Verdict) -> str:
    if v.conduit:
        return v.conduit
    if v.kind == "no_conduit":
        return f"{v.zones[0]} -> {v.zones[1]}"
    return f"zone {v.zones[0]}" if v.zones[0] else "-"


def print_traffic(console: Console, result: Conformance, plant_name: str, details: bool,
                  filtered: bool = False) -> None:
    verdicts = ordered(result.verdicts)
    counts = Counter((v.kind, place(v)) for v in verdicts)
    worst: dict[tuple[str, str], str] = {}
    for v in verdicts:
        key = (v.kind, place(v))
        if severity_rank(v.severity) > severity_rank(worst.get(key, "info")):
            worst[key] = v.severity
    summary = Table(title=f"{plant_name}: {result.flows} flows against {result.rules} flow rules")
    for col in ("verdict", "severity", "where", "count"):
        summary.add_column(col)
    for key, n in sorted(counts.items(), key=lambda kv: (-severity_rank(worst.get(kv[0], "info")), kv[0])):
        sev = worst.get(key, "info")
        summary.add_row(key[0], f"[{STYLE[sev]}]{sev}[/]", key[1], str(n))
    if not verdicts:
        console.print(f"{plant_name}: {result.flows} flows; no verdict of the kind or conduit asked for" if filtered
                      else f"{plant_name}: {result.flows} flows, every one allowed by the plant; every rule used")
        return
    console.print(summary)
    shown = verdicts if details else [v for v in verdicts if v.kind != "unused_rule" or len(verdicts) < MAX_ROWS]
    table = Table(caption="accepted, mitigated and false-positive verdicts last, as the tracking file says"
                  if any(v.status != "open" for v in verdicts) else None, show_lines=False)
    for col in ("severity", "status", "verdict", "seen", "packets", "id"):
        table.add_column(col, overflow="fold")
    for v in shown[: None if details else MAX_ROWS]:
        seen = f"{v.first_seen:%Y-%m-%d %H:%M} .. {v.last_seen:%H:%M}" if v.first_seen else "never"
        table.add_row(f"[{STYLE[v.severity]}]{v.severity}[/]", v.status, v.message, seen, str(v.packets), v.id)
    console.print(table)
    hidden = len(verdicts) - min(len(shown), MAX_ROWS if not details else len(shown))
    if hidden > 0:
        console.print(f"{hidden} more (unused rules and the rest): --details lists every verdict")


def traffic_json(result: Conformance, plant_name: str, inputs: list[str]) -> dict[str, Any]:
    verdicts = ordered(result.verdicts)
    return {
        "plant": plant_name, "inputs": inputs, "flows": result.flows, "rules": result.rules,
        "summary": {k: sum(1 for v in verdicts if v.kind == k) for k in KINDS},
        "verdicts": [v.as_dict() for v in verdicts],
    }


def traffic_sarif(result: Conformance, plant: Plant) -> dict[str, Any]:
    """SARIF with each verdict located at its conduit (or zone, or rule's scope; a decommissioned asset's verdict at
    the asset) in the plant file."""
    sources = plant._sources
    rules = [Rule(k.kind, k.severity, k.title, k.title, ", ".join(k.requirements)) for k in KINDS.values()]
    findings = []
    for v in ordered(result.verdicts):
        if v.status in CLOSED:
            continue
        path: tuple[Any, ...] = ("conduits", v.conduit) if v.conduit else ("zones", v.zones[0]) if v.zones[0] else ()
        if v.kind == "decommissioned" and v.src_asset:
            path = ("assets", v.src_asset)  # the asset whose state says it is gone
        location = sources.locate(path) if sources is not None and path else None
        findings.append(Finding(v.id, v.kind, v.severity, v.message, location, path, ", ".join(v.requirements)))
    return sarif(findings, rules)
