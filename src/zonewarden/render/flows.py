"""The flow table for people: the busiest conversations first."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..traffic.flows import FlowTable

MAX_ROWS = 50


def print_flows(console: Console, table: FlowTable) -> None:
    flows = sorted(table, key=lambda f: -f.packets)
    t = Table(title=f"{len(flows)} conversations in {table.frames} frames",
              caption=f"the {MAX_ROWS} busiest; --format json lists all" if len(flows) > MAX_ROWS else None)
    for col in ("src", "dst", "l4", "app", "packets", "bytes", "first seen", "last seen"):
        t.add_column(col, no_wrap=col not in ("src", "dst"))
    for f in flows[:MAX_ROWS]:
        d = f.as_dict()
        src = f"{d['src']}:{d['sport']}" if d["sport"] is not None else str(d["src"] or "-")
        dst = f"{d['dst']}:{d['dport']}" if d["dport"] is not None else str(d["dst"] or "-")
        t.add_row(src, dst, d["l4"], d["app"] or "", str(d["packets"]), str(d["bytes"]), d["first_seen"][:19],
                  d["last_seen"][:19])
    console.print(t)
