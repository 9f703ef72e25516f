"""Catalog listings: a table for people, a list of objects for scripts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.table import Table

from ..standard.catalog import Requirement

_TYPE_ABBR = {"embedded_device": "EDR", "host_device": "HDR", "network_device": "NDR",
              "software_application": "SAR"}


def catalog_table(items: Sequence[Requirement], title: str, scale: str) -> Table:
    table = Table(title=title)
    table.add_column("id", no_wrap=True)
    table.add_column("FR")
    table.add_column(scale)
    table.add_column("types")
    table.add_column("title", overflow="fold")
    table.add_column("guidance", overflow="fold")
    for r in items:
        conf = "" if r.confidence == "high" else f" [dim]({r.confidence})[/]"
        types = ",".join(_TYPE_ABBR.get(t, t) for t in r.types) if len(r.types) < 4 else "all"
        table.add_row(r.id, r.fr or r.group or "", "-" if r.level is None else f"{r.level}{conf}", types,
                      r.title, r.guidance)
    return table


def catalog_json(items: Sequence[Requirement]) -> list[dict[str, Any]]:
    return [r.as_dict() for r in items]
