"""The flow table for people: the busiest conversations first."""

from __future__ import annotations

import pyarrow as pa
from rich.console import Console
from rich.table import Table

from ..traffic.table import rows

MAX_ROWS = 50


def print_flows(console: Console, table: pa.Table, frames: int) -> None:
    busiest = table.sort_by([("packets", "descending")]).slice(0, MAX_ROWS) if len(table) else table
    source = f" in {frames} frames" if frames else ""
    t = Table(title=f"{len(table)} conversations{source}",
              caption=f"the {MAX_ROWS} busiest; --format json lists all" if len(table) > MAX_ROWS else None)
    for col in ("src", "dst", "l4", "app", "ops", "packets", "bytes", "first seen", "last seen"):
        t.add_column(col, no_wrap=col not in ("src", "dst", "ops"))
    for d in rows(busiest):
        src = f"{d['src']}:{d['sport']}" if d["sport"] is not None else str(d["src"] or "-")
        dst = f"{d['dst']}:{d['dport']}" if d["dport"] is not None else str(d["dst"] or "-")
        top = sorted(d["ops"].items(), key=lambda kv: -kv[1])[:3]
        ops = " ".join(f"{k}×{v}" for k, v in top) + (" …" if len(d["ops"]) > 3 else "")
        t.add_row(src, dst, d["l4"], d["app"] or "", ops, str(d["packets"]), str(d["bytes"]),
                  d["first_seen"][:19], d["last_seen"][:19])
    console.print(t)
