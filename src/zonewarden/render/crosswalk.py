"""`zonewarden crosswalk` and `catalog --map` for people (tables, Markdown), scripts (JSON) and auditors (XLSX)."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..analysis.crosswalk import Coverage, ItemCoverage, RequirementInPlant
from ..standard.crosswalk import DETAIL_KINDS, Crosswalk, Edge

STYLE = {"covered": "green", "partly": "yellow", "not": "red", "outside": "dim"}
MAX_SHOWN = 6  # requirements per item in a table cell; JSON, Markdown and XLSX carry all
HONEST = ("No official crosswalk from IEC 62443 to {name} exists; edges are NIST's published tables "
          "composed where possible, else zonewarden curation, each with its provenance and confidence. "
          "Edges of confidence {conf} or better count. \"Covered\" means the 62443 requirements behind an item "
          "are met; an item marked \"beyond 62443\" asks for more than they do.")


def requirement_text(r: RequirementInPlant) -> str:
    """'SR 1.1 met', 'SR 1.3 gap in cell-1 (accepted)', 'ORG 1.4 not evidenced' ..."""
    if r.state == "met":
        return f"{r.id} met" + (f" (compensated in {', '.join(r.compensated_in)})" if r.compensated_in else "")
    if r.state in ("gap", "partly"):
        where = ", ".join(g["where"] + ("" if g["status"] in ("open", "short") else f" ({g['status']})")
                          for g in r.gaps[:4]) + (f" +{len(r.gaps) - 4}" if len(r.gaps) > 4 else "")
        noun = "short in" if r.part == "4-2" else "gap in"
        return f"{r.id} {noun} {where}" + (f"; met in {len(r.met_in)}" if r.met_in else "")
    return f"{r.id} " + ("above SL-T" if r.state == "not_targeted" else "not evidenced")


def _behind(c: ItemCoverage, limit: int | None = None) -> list[str]:
    seen: list[str] = []
    for e in c.edges:
        if e.source not in seen:
            seen.append(e.source)
    shown = seen if limit is None else seen[:limit]
    lines = [requirement_text(c.requirements[s]) for s in shown]
    if len(shown) < len(seen):
        lines.append(f"+{len(seen) - len(shown)} more")
    return lines


def rollup_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {k}" for k, n in counts.items())


def crosswalk_json(cov: Coverage) -> dict[str, Any]:
    return cov.as_dict()


def print_coverage(console: Console, cov: Coverage) -> None:
    fw = cov.framework
    for group, counts in cov.groups():
        table = Table(title=f"{group.id} {group.title}: {rollup_text(counts)}", title_justify="left")
        for col in ("id", "title", "coverage", "62443 behind it (state in this plant)"):
            table.add_column(col, overflow="fold")
        below = set(fw.descendants(group.id))
        for c in cov.units():
            if c.item.id in below or c.item.id == group.id:
                mark = f"[{STYLE[c.coverage]}]{c.coverage}[/]" + (" [dim]beyond 62443[/]"
                                                                    if c.beyond_62443 and c.edges else "")
                table.add_row(c.item.id, escape(c.item.title), mark,
                              escape("\n".join(_behind(c, MAX_SHOWN))) or f"[dim]{escape(c.why)}[/]")
        console.print(table)
    console.print(f"{cov.plant} -> {fw.name}: {rollup_text(cov.rollup())} "
                  f"({len(cov.units())} items; edges of confidence {cov.min_confidence} or better)", highlight=False)


def coverage_md(cov: Coverage) -> str:
    fw = cov.framework
    out = [f"# Crosswalk: {cov.plant} -> {fw.name}", "",
           HONEST.format(name=fw.name, conf=cov.min_confidence), "",
           f"Target catalog: {fw.publisher}, {fw.version} ({fw.source}); {fw.licence}. Titles are our own.", "",
           f"**Roll-up** ({len(cov.units())} items): {rollup_text(cov.rollup())}", "",
           "| group | title | covered | partly | not | outside |", "|---|---|---|---|---|---|"]
    for g, counts in cov.groups():
        out.append(f"| {g.id} | {_md(g.title)} | " + " | ".join(str(counts[k]) for k in counts) + " |")
    out += ["", "| id | title | coverage | 62443 behind it (state in this plant) | why |", "|---|---|---|---|---|"]
    for c in cov.units():
        mark = c.coverage + (" (beyond 62443)" if c.beyond_62443 and c.edges else "")
        out.append(f"| {c.item.id} | {_md(c.item.title)} | {mark} | {_md('; '.join(_behind(c)))} | {_md(c.why)} |")
    details = [c for c in cov.items if c.item.kind in DETAIL_KINDS.get(fw.key, ())]
    if details:
        out += ["", "## Detail items", "", "| id | kind | title | coverage | 62443 behind it | why |",
                "|---|---|---|---|---|---|"]
        for c in details:
            out.append(f"| {c.item.id} | {c.item.kind} | {_md(c.item.title)} | {c.coverage} | "
                       f"{_md('; '.join(_behind(c)))} | {_md(c.why)} |")
    out += ["", "## Edges", "", "| 62443 | relationship | target | confidence | provenance | derived via | rationale |",
            "|---|---|---|---|---|---|---|"]
    for e in _edges(cov):
        out.append(f"| {e.source} | {e.relationship} | {e.target} | {e.confidence} | {_md(e.provenance)} | "
                   f"{_md(', '.join(e.via))} | {_md(e.rationale)} |")
    return "\n".join(out) + "\n"


def _edges(cov: Coverage) -> list[Edge]:
    seen: dict[tuple[str, str, str], Edge] = {}
    for c in cov.items:
        for e in c.edges:
            seen.setdefault(e.key, e)
    return sorted(seen.values(), key=lambda e: (e.target, e.source))


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def coverage_xlsx(cov: Coverage) -> bytes:
    """Three sheets: coverage per item, every edge with the state of its 62443 end, and where the data is from."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                   "strings_to_urls": False})
    head = wb.add_format({"bold": True, "bg_color": "#263238", "font_color": "#ffffff", "border": 1})
    write_sheet(wb, head, "coverage", *coverage_rows(cov))
    write_sheet(wb, head, "edges", *edge_rows(cov))
    fw = cov.framework
    about = [["plant", cov.plant], ["framework", fw.name], ["version", fw.version], ["source", fw.source],
             ["licence", fw.licence], ["min confidence", cov.min_confidence], ["roll-up", rollup_text(cov.rollup())],
             ["note", HONEST.format(name=fw.name, conf=cov.min_confidence)]]
    write_sheet(wb, head, "about", ["field", "value"], about)
    wb.close()
    return buf.getvalue()


def coverage_rows(cov: Coverage, framework_column: bool = False) -> tuple[list[str], list[list[Any]]]:
    cols = ["id", "kind", "title", "coverage", "beyond 62443", "62443 behind it", "why"]
    rows = [[c.item.id, c.item.kind, c.item.title, c.coverage, "yes" if c.beyond_62443 else "",
             "; ".join(_behind(c)), c.why] for c in cov.units()]
    if framework_column:
        cols, rows = ["framework", *cols], [[cov.framework.key, *r] for r in rows]
    return cols, rows


def edge_rows(cov: Coverage) -> tuple[list[str], list[list[Any]]]:
    states = {s: r for c in cov.items for s, r in c.requirements.items()}
    cols = ["62443", "62443 title", "relationship", "target", "confidence", "provenance", "derived", "via",
            "rationale", "state in plant", "detail"]
    rows = [[e.source, states[e.source].title, e.relationship, e.target, e.confidence, e.provenance,
             "yes" if e.derived else "", ", ".join(e.via), e.rationale, requirement_text(states[e.source]),
             states[e.source].detail] for e in _edges(cov)]
    return cols, rows


def write_sheet(wb: Any, head: Any, name: str, cols: list[str], rows: list[list[Any]]) -> None:
    ws = wb.add_worksheet(name)
    for c, col in enumerate(cols):
        ws.write(0, c, col, head)
        width = max([len(col)] + [len(str(r[c])) for r in rows[:300]])
        ws.set_column(c, c, min(max(width + 2, 8), 60))
    for i, row in enumerate(rows, 1):
        for c, v in enumerate(row):
            if v not in (None, ""):
                ws.write(i, c, v)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(rows), 1), len(cols) - 1)


def print_map(console: Console, crosswalk: Crosswalk, hits: list[tuple[str, str]]) -> None:
    """`catalog --map ID`: one requirement's edges both ways (62443 id -> targets; target id -> 62443)."""
    for kind, ident in hits:
        if kind == "62443":
            edges = crosswalk.edges_from(ident)
            title = f"{ident} -> other frameworks ({len(edges)} edges)"
            cols = ("framework", "target", "title", "relationship", "confidence", "provenance", "rationale")
            rows = [(e.framework, e.target, crosswalk.framework(e.framework).find(e.target).title, e.relationship,
                     e.confidence, e.provenance + (f" via {', '.join(e.via)}" if e.via else ""), e.rationale)
                    for e in edges]
        else:
            fw = crosswalk.framework(kind)
            item = fw.find(ident)
            edges = crosswalk.edges_to(kind, item.id, below=True)
            title = f"{fw.name} {item.id} {item.title} <- IEC 62443 ({len(edges)} edges)"
            why = crosswalk.why_not(kind, item.id)
            if why:
                title += f"; not covered by 62443: {why}"
            cols = ("62443", "mapped to", "relationship", "confidence", "provenance", "rationale")
            rows = [(e.source, e.target, e.relationship, e.confidence,
                     e.provenance + (f" via {', '.join(e.via)}" if e.via else ""), e.rationale) for e in edges]
        table = Table(title=title, title_justify="left")
        for col in cols:
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*(escape(str(x)) for x in row))
        console.print(table)


def map_json(crosswalk: Crosswalk, hits: list[tuple[str, str]]) -> list[dict[str, Any]]:
    out = []
    for kind, ident in hits:
        if kind == "62443":
            edges = [e.as_dict() for e in crosswalk.edges_from(ident)]
            out.append({"id": ident, "framework": "iec62443", "edges": edges})
        else:
            item = crosswalk.framework(kind).find(ident)
            out.append({**item.as_dict(), "not_covered": crosswalk.why_not(kind, item.id),
                        "edges": [e.as_dict() for e in crosswalk.edges_to(kind, item.id, below=True)]})
    return out
