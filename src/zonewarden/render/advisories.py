"""Terminal rendering of the advisories on a plant: per asset its advisories, then findings and risk."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..analysis.vulnerabilities import VulnerabilityReview

_STYLE = {"affected": "bold red", "unknown": "yellow", "fixed": "green", "not_affected": "dim"}


def _remedy(rem: list[dict]) -> str:
    if not rem:
        return ""
    first = rem[0]
    text = f"{first['category']}: {first['details']}" if first["details"] else first["category"]
    return text[:90] + ("..." if len(text) > 90 else "")


def print_review(console: Console, plant_name: str, review: VulnerabilityReview, corpus_size: int,
                 items: int) -> None:
    table = Table(title=f"{plant_name}: advisories on the inventory", title_justify="left", show_lines=False)
    for col in ("asset", "advisory", "CVEs", "CVSS", "outcome", "patch", "why", "remediation"):
        table.add_column(col, overflow="fold")
    for r in review.rows:
        m = r.match
        cves = ", ".join(m.cves[:2]) + (f" +{len(m.cves) - 2}" if len(m.cves) > 2 else "")
        asset = m.asset + (f"\n  {m.item.component}" if m.item.component else "")
        patch = r.patch.state if r.patch else ("-" if m.outcome != "affected" else "[red]none[/]")
        table.add_row(asset, m.advisory.id, cves, "" if m.cvss is None else f"{m.cvss:.1f}",
                      f"[{_STYLE[m.outcome]}]{m.outcome}[/]", patch, m.reason, _remedy(m.remediation))
    console.print(table)
    c = review.counts()
    assets = len({r.match.asset for r in review.rows if r.match.outcome == "affected"})
    console.print(f"{items} inventory items x {corpus_size} advisories: {c['affected']} affected "
                  f"({assets} assets), {c['unknown']} unknown, {c['fixed']} fixed, {c['not_affected']} not affected",
                  highlight=False)
    if review.findings:
        console.print(f"\n[bold]Findings[/] ({len(review.findings)})")
        for f in review.findings:
            console.print(f"  {f['severity']:<8} {f['id']}: {f['message']}", highlight=False, soft_wrap=True)
    if review.raises:
        console.print("\n[bold]Risk[/]: likelihood raised for scenarios of zones with affected, unpatched assets")
        for r in review.raises:
            console.print(f"  {r.scenario} ({r.zone}): likelihood {r.before} -> {r.after}, because "
                          f"{'; '.join(r.because[:3])}{' ...' if len(r.because) > 3 else ''}", highlight=False,
                          soft_wrap=True)
