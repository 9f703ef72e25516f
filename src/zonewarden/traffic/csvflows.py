"""CSV flows: the flow table as a spreadsheet or a NetFlow/IPFIX export can hold it.

Columns (header row required, any order, names as in `flows --format json`):

| column | required | value |
|---|---|---|
| `first_seen` | yes | ISO 8601 (`2026-11-22T08:00:00Z`, an offset, or none for UTC) or epoch seconds |
| `last_seen` | no | as `first_seen`; defaults to it |
| `src`, `dst` | yes | IPv4 or IPv6 address (`src` initiated the conversation) |
| `sport`, `dport` | no | 0-65535, empty for non-IP |
| `l4` | yes | `tcp`, `udp`, or the protocol's name (`icmp`, `goose`, ...) |
| `app` | no | application (design §5 vocabulary); empty: `l4` |
| `ops` | no | `name=count` pairs joined by `;` (`fc3=120;fc16=2`) |
| `packets`, `bytes` | yes | non-negative integers, both directions |
| `packets_fwd`, `packets_rev`, `bytes_fwd`, `bytes_rev` | no | per direction; empty if unknown |
| `src_mac`, `dst_mac` | no | MAC address of each side, `02:00:5e:10:00:01`; empty if unknown |

A bad cell is one error naming the file, the line and the column; nothing is read from such a file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import ipaddress
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa

from .table import COLUMNS, FLOW_SCHEMA, FlowTableError, rows

REQUIRED = ("first_seen", "src", "dst", "l4", "packets", "bytes")
OPTIONAL_COUNTS = ("packets_fwd", "packets_rev", "bytes_fwd", "bytes_rev")


def looks_like_csv_flows(head: bytes) -> bool:
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace").lstrip("\ufeff").strip().lower()
    names = {c.strip() for c in first.split(",")}
    return set(REQUIRED) <= names


def _time(text: str) -> int:
    """Microseconds since the epoch from ISO 8601 or epoch seconds."""
    try:
        return round(float(text) * 1_000_000)
    except ValueError:
        pass
    t = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return (t - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("negative")
    return value


def _port(text: str) -> int | None:
    if not text:
        return None
    value = int(text)
    if not 0 <= value <= 65535:
        raise ValueError("out of range")
    return value


def _ops(text: str) -> list[tuple[str, int]]:
    out = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, sep, count = part.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"{part!r} is not name=count")
        out.append((name.strip(), _count(count.strip())))
    return out


def _address(text: str) -> str:
    return str(ipaddress.ip_address(text))


MAC = re.compile(r"^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$")


def _mac(text: str) -> str | None:
    if not text:
        return None
    if not MAC.match(text.lower()):
        raise ValueError("expected six hex pairs")
    return text.lower().replace("-", ":")


EXPECTED = {
    "first_seen": "an ISO 8601 time or epoch seconds", "last_seen": "an ISO 8601 time or epoch seconds",
    "src": "an IP address", "dst": "an IP address", "sport": "a port 0-65535", "dport": "a port 0-65535",
    "packets": "a non-negative integer", "bytes": "a non-negative integer", "ops": "name=count pairs joined by ';'",
    **{c: "a non-negative integer or empty" for c in OPTIONAL_COUNTS},
    "src_mac": "a MAC address or empty", "dst_mac": "a MAC address or empty",
}


def read_csv_flows(path: str | os.PathLike[str]) -> pa.Table:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise FlowTableError(f"{p}: cannot read ({e})") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FlowTableError(f"{p}: line 1: the header lacks the column(s) {', '.join(missing)} "
                             "(see docs/traffic.md for CSV flows)")
    cols: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    for row in reader:
        line = reader.line_num
        column = ""
        try:
            column = "first_seen"
            first = _time(row["first_seen"].strip())
            column = "last_seen"
            last = _time(row["last_seen"].strip()) if (row.get("last_seen") or "").strip() else first
            column = "src"
            src = _address(row["src"].strip())
            column = "dst"
            dst = _address(row["dst"].strip())
            column = "sport"
            sport = _port((row.get("sport") or "").strip())
            column = "dport"
            dport = _port((row.get("dport") or "").strip())
            column = "l4"
            l4 = (row["l4"] or "").strip().lower()
            if not l4:
                raise ValueError("empty")
            column = "ops"
            ops = _ops(row.get("ops") or "")
            column = "packets"
            packets = _count(row["packets"].strip())
            column = "bytes"
            size = _count(row["bytes"].strip())
            extra: dict[str, Any] = {}
            for column in OPTIONAL_COUNTS:
                cell = (row.get(column) or "").strip()
                extra[column] = _count(cell) if cell else None
            for column in ("src_mac", "dst_mac"):
                extra[column] = _mac((row.get(column) or "").strip())
        except (ValueError, AttributeError) as e:
            cell = row.get(column)
            raise FlowTableError(f"{p}: line {line}: column {column}: {cell!r} is not "
                                 f"{EXPECTED.get(column, 'valid')} ({e})") from None
        if last < first:
            raise FlowTableError(f"{p}: line {line}: last_seen is before first_seen")
        app = (row.get("app") or "").strip().lower() or (l4 if l4 in ("tcp", "udp") else None)
        for name, value in (("first_seen", first), ("last_seen", last), ("src", src), ("dst", dst),
                            ("sport", sport), ("dport", dport), ("l4", l4), ("app", app), ("ops", ops),
                            ("packets", packets), ("bytes", size), *extra.items()):
            cols[name].append(value)
    return pa.table([pa.array(cols[n], type=FLOW_SCHEMA.field(n).type) for n in COLUMNS], schema=FLOW_SCHEMA)


def csv_text(table: pa.Table) -> Iterable[str]:
    """The flow table as CSV flows (the columns above, in their order), chunk by chunk."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows(table):
        row["ops"] = ";".join(f"{k}={v}" for k, v in row["ops"].items())
        writer.writerow(["" if row[c] is None else row[c] for c in COLUMNS])
        if out.tell() > 1 << 20:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
