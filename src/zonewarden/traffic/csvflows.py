"""CSV flows: the flow table as a spreadsheet or a NetFlow/IPFIX export can hold it.

Columns (header row required, any order, names as in `flows --format json`):

| column | required | value |
|---|---|---|
| `first_seen` | yes | ISO 8601 (`2026-11-22T08:00:00Z`, an offset, or none for UTC) or epoch seconds |
| `last_seen` | no | as `first_seen`; defaults to it |
| `src`, `dst` | yes | IPv4 or IPv6 address (`src` initiated the conversation); non-IP: a link address or empty |
| `sport`, `dport` | no | 0-65535, empty for non-IP |
| `l4` | yes | `tcp`, `udp`, or the protocol's name (`icmp`, `goose`, ...) |
| `app` | no | application (design §5 vocabulary); empty: `l4` |
| `ops` | no | `name=count` pairs joined by `;` (`fc3=120;fc16=2`) |
| `packets`, `bytes` | yes | non-negative integers, both directions |
| `packets_fwd`, `packets_rev`, `bytes_fwd`, `bytes_rev` | no | per direction; empty if unknown |
| `src_mac`, `dst_mac` | no | MAC address of each side, `02:00:5e:10:00:01`; empty if unknown |

A bad cell is one error naming the file, the line and the column; nothing is read from such a file.
Times run from 1970 to the year 9999, counts up to 2^62, a cell holds at most 64 KiB and a line at most
4 MiB; the file is read line by line. Cells are checked in Python, not vectorised as Zeek's conn.log is:
their formats vary per cell (a time is ISO 8601 or epoch seconds, `ops` has its own syntax), and a CSV
export is a spreadsheet's or a NetFlow tool's size.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import ipaddress
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from .table import COLUMNS, FLOW_SCHEMA, MAX_COUNT, MAX_FIELD, MAX_TIME, FlowTableError, rows

REQUIRED = ("first_seen", "src", "dst", "l4", "packets", "bytes")
OPTIONAL_COUNTS = ("packets_fwd", "packets_rev", "bytes_fwd", "bytes_rev")
LINE_LIMIT = 1 << 22
NUMBER = re.compile(r"[0-9]{1,19}")  # not int(): it takes '+5', '1_000' and other scripts' digits
EPOCH = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
NAME = re.compile(r"[^\s;=,\x00-\x1f\x7f]{1,64}")  # l4, app, an operation: a word of up to 64 characters
MAC = re.compile(r"[0-9a-f]{2}([:-][0-9a-f]{2}){5}")
HEX_LINK = re.compile(r"(?:[0-9a-f]{2}){1,8}")  # another link address, as the flow table writes it


def looks_like_csv_flows(head: bytes) -> bool:
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace").lstrip("\ufeff").strip().lower()
    names = {c.strip() for c in first.split(",")}
    return set(REQUIRED) <= names


def _time(text: str) -> int:
    """Microseconds since the epoch from ISO 8601 or epoch seconds, 1970 to the year 9999."""
    if EPOCH.fullmatch(text):
        seconds = float(text)
        if not 0 <= seconds < MAX_TIME:
            raise ValueError("out of range")
        return round(seconds * 1_000_000)
    t = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    micros = (t - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
    if not 0 <= micros < MAX_TIME * 1_000_000:
        raise ValueError("out of range")
    return micros


def _count(text: str) -> int:
    if not NUMBER.fullmatch(text) or int(text) > MAX_COUNT:
        raise ValueError("not a count")
    return int(text)


def _port(text: str) -> int | None:
    if not text:
        return None
    if not NUMBER.fullmatch(text) or int(text) > 65535:
        raise ValueError("out of range")
    return int(text)


def _name(text: str) -> str:
    if not NAME.fullmatch(text):
        raise ValueError("not a name")
    return text


def _ops(text: str) -> list[tuple[str, int]]:
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, sep, count = part.partition("=")
        name = name.strip()
        if not sep or not NAME.fullmatch(name):
            raise ValueError(f"{part[:80]!r} is not name=count")
        if name in out:
            raise ValueError(f"{name!r} twice")
        out[name] = _count(count.strip())
    return list(out.items())


def _address(text: str, l4: str) -> str | None:
    """An IP address; for traffic that is not TCP or UDP also a link address (MAC, other hex) or none, as
    the flow table of a capture holds them."""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        if l4 in ("tcp", "udp"):
            raise
    if not text:
        return None
    if MAC.fullmatch(text.lower()):
        return text.lower().replace("-", ":")
    if HEX_LINK.fullmatch(text.lower()):
        return text.lower()
    raise ValueError("not an address")


def _mac(text: str) -> str | None:
    if not text:
        return None
    if not MAC.fullmatch(text.lower()):
        raise ValueError("expected six hex pairs")
    return text.lower().replace("-", ":")


TIME_TEXT = "an ISO 8601 time or epoch seconds, from 1970 to the year 9999"
ADDRESS_TEXT = "an IP address (for non-IP traffic: a MAC or hex link address, or empty)"
EXPECTED = {
    "first_seen": TIME_TEXT, "last_seen": TIME_TEXT, "src": ADDRESS_TEXT, "dst": ADDRESS_TEXT,
    "sport": "a port 0-65535", "dport": "a port 0-65535", "l4": "a protocol name (one word, up to 64 characters)",
    "app": "an application name (one word, up to 64 characters) or empty",
    "packets": f"a non-negative integer up to {MAX_COUNT}", "bytes": f"a non-negative integer up to {MAX_COUNT}",
    "ops": "name=count pairs joined by ';', each name once",
    **{c: f"a non-negative integer up to {MAX_COUNT} or empty" for c in OPTIONAL_COUNTS},
    "src_mac": "a MAC address or empty", "dst_mac": "a MAC address or empty",
}


def _bounded_lines(fh: io.TextIOBase, path: Path) -> Iterator[str]:
    """The file's lines for the csv module, each at most LINE_LIMIT characters: a longer one is refused
    before it is held whole."""
    number = 0
    while line := fh.readline(LINE_LIMIT + 1):
        number += 1
        if len(line) > LINE_LIMIT:
            raise FlowTableError(f"{path}: line {number}: a line longer than {LINE_LIMIT >> 20} MiB")
        yield line


def _first_bad_utf8(path: Path) -> int:
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 0


def read_csv_flows(path: str | os.PathLike[str]) -> pa.Table:
    p = Path(path)
    try:
        with open(p, encoding="utf-8-sig", newline="") as fh:
            return _read(p, csv.reader(_bounded_lines(fh, p)))
    except OSError as e:
        raise FlowTableError(f"{p}: cannot read ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise FlowTableError(f"{p}: line {_first_bad_utf8(p)}: not UTF-8 text") from None


def _read(p: Path, reader: Any) -> pa.Table:
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as e:
        raise FlowTableError(f"{p}: line 1: not CSV ({e})") from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FlowTableError(f"{p}: line 1: the header lacks the column(s) {', '.join(missing)} "
                             "(see docs/traffic.md for CSV flows)")
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:
        raise FlowTableError(f"{p}: line 1: the header names {', '.join(twice)} twice")
    cols: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            raise FlowTableError(f"{p}: line {reader.line_num}: not CSV ({e})") from None
        if not cells:
            continue
        line = reader.line_num
        if len(cells) != len(header):
            raise FlowTableError(f"{p}: line {line}: {len(cells)} cells, the header has {len(header)}")
        row = dict(zip(header, (c.strip() for c in cells), strict=True))
        for column, cell in row.items():
            if len(cell) > MAX_FIELD:
                raise FlowTableError(f"{p}: line {line}: column {column}: longer than {MAX_FIELD} characters")
        for name, value in _row(p, line, row).items():
            cols[name].append(value)
    return pa.table([pa.array(cols[n], type=FLOW_SCHEMA.field(n).type) for n in COLUMNS], schema=FLOW_SCHEMA)


def _row(p: Path, line: int, row: dict[str, str]) -> dict[str, Any]:
    """One row in the flow table's columns; a bad cell is a FlowTableError naming its line and column."""
    column = ""
    try:
        column = "l4"
        l4 = _name(row["l4"].lower())
        column = "first_seen"
        first = _time(row["first_seen"])
        column = "last_seen"
        last = _time(row["last_seen"]) if row.get("last_seen") else first
        column = "src"
        src = _address(row["src"], l4)
        column = "dst"
        dst = _address(row["dst"], l4)
        column = "sport"
        sport = _port(row.get("sport", ""))
        column = "dport"
        dport = _port(row.get("dport", ""))
        column = "app"
        app = _name(row["app"].lower()) if row.get("app") else (l4 if l4 in ("tcp", "udp") else None)
        column = "ops"
        ops = _ops(row.get("ops", ""))
        column = "packets"
        packets = _count(row["packets"])
        column = "bytes"
        size = _count(row["bytes"])
        extra: dict[str, Any] = {}
        for column in OPTIONAL_COUNTS:
            extra[column] = _count(row[column]) if row.get(column) else None
        for column in ("src_mac", "dst_mac"):
            extra[column] = _mac(row.get(column, ""))
    except (ValueError, OverflowError) as e:
        raise FlowTableError(f"{p}: line {line}: column {column}: {row.get(column, '')[:80]!r} is not "
                             f"{EXPECTED.get(column, 'valid')} ({e})") from None
    if last < first:
        raise FlowTableError(f"{p}: line {line}: last_seen is before first_seen")
    return {"first_seen": first, "last_seen": last, "src": src, "dst": dst, "sport": sport, "dport": dport,
            "l4": l4, "app": app, "ops": ops, "packets": packets, "bytes": size, **extra}


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
