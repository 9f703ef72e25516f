"""The flow table as Arrow: one schema for every source (captures, Zeek logs, CSV flows, parquet).

Its columns are those of the `flows --format json` contract, typed: timestamps in microseconds UTC,
ports as integers (null for non-IP traffic), `ops` as a map from operation to PDU count, and the
MAC addresses of each side where the source shows them. Saved as
parquet, it is what `traffic` (and the fleet engine) reads back without re-reading the captures.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .flows import Flow, address

COUNTS = ("packets", "bytes", "packets_fwd", "packets_rev", "bytes_fwd", "bytes_rev")
FLOW_SCHEMA = pa.schema([
    ("first_seen", pa.timestamp("us", tz="UTC")), ("last_seen", pa.timestamp("us", tz="UTC")),
    ("src", pa.string()), ("dst", pa.string()), ("sport", pa.int32()), ("dport", pa.int32()),
    ("l4", pa.string()), ("app", pa.string()), ("ops", pa.map_(pa.string(), pa.int64())),
    *((name, pa.int64()) for name in COUNTS), ("src_mac", pa.string()), ("dst_mac", pa.string()),
], metadata={b"zonewarden": b"flow table v1"})
COLUMNS = FLOW_SCHEMA.names
OPTIONAL = ("src_mac", "dst_mac")  # added in a later version: older saved tables lack them
MAX_TIME = 253402300800.0  # 10000-01-01 in epoch seconds: later times have no ISO 8601 form in the JSON contract
MAX_COUNT = 1 << 62  # the largest packet or byte count of one direction: the two directions still add up
MAX_FIELD = 1 << 16  # the longest text of one field (an address, an application, a uid) that a reader takes


class FlowTableError(ValueError):
    """A file that should hold a flow table does not: the message names the file and what is wrong."""


def outside(col: pa.ChunkedArray | pa.Array, low: float, high: float) -> pa.ChunkedArray | pa.Array | None:
    """Vectorised: None when every value lies in [low, high) (nulls aside; NaN does not), else the mask of the
    rows outside. One pass (min and max) when all is well, which is nearly always."""
    lo, hi = (v.as_py() for v in pc.min_max(col).values())
    nan = pa.types.is_floating(col.type) and not math.isfinite(pc.sum(col).as_py() or 0.0)
    if not nan and (lo is None or (lo >= low and hi < high)):
        return None
    return pc.invert(pc.fill_null(pc.and_(pc.greater_equal(col, low), pc.less(col, high)), True))


def first_row(mask: pa.ChunkedArray | pa.Array) -> int:
    """The first row where a mask is true, -1 if none."""
    return pc.index(pc.fill_null(mask, False), True).as_py()


def invalid_value(table: pa.Table) -> str | None:
    """'row N: column C: value is not ...' for the first bad value of a flow table, vectorised; None if all hold:
    times from 1970 to the year 9999, ports 0-65535, counts 0-2^62, text up to MAX_FIELD bytes."""
    found: list[tuple[int, str, str]] = []

    def note(mask: pa.ChunkedArray | pa.Array | None, column: str, expected: str) -> None:
        row = -1 if mask is None else first_row(mask)
        if row >= 0:
            found.append((row, column, expected))

    for name in ("first_seen", "last_seen", "l4", "packets", "bytes"):  # src, dst: none for some link layers
        if table.column(name).null_count:
            note(pc.is_null(table.column(name)), name, "set")
    micros = {name: pc.cast(table.column(name), pa.int64()) for name in ("first_seen", "last_seen")}
    for name, col in micros.items():
        note(outside(col, 0, MAX_TIME * 1_000_000), name, "a time from 1970 to the year 9999")
    note(pc.less(micros["last_seen"], micros["first_seen"]), "last_seen", "at or after first_seen")
    for name in ("sport", "dport"):
        note(outside(table.column(name), 0, 65536), name, "a port 0-65535")
    for name in COUNTS:
        note(outside(table.column(name), 0, MAX_COUNT + 1), name, f"a count 0-{MAX_COUNT}")
    for name in ("src", "dst", "l4", "app", "src_mac", "dst_mac"):
        lengths = pc.binary_length(table.column(name))
        note(outside(lengths, 0, MAX_FIELD + 1), name, f"text of at most {MAX_FIELD} bytes")
    ops = table.column("ops")
    for offset, chunk in zip(_offsets(ops), ops.chunks, strict=True):
        if chunk.items.null_count or outside(chunk.items, 0, MAX_COUNT + 1) is not None or \
                outside(pc.binary_length(chunk.keys), 1, MAX_FIELD + 1) is not None:
            row = next(i for i, m in enumerate(chunk.to_pylist()) if any(
                not 0 <= (v if v is not None else -1) <= MAX_COUNT or not k or len(k.encode()) > MAX_FIELD
                for k, v in m or ()))
            found.append((offset + row, "ops", f"operation names with counts 0-{MAX_COUNT}"))
    if not found:
        return None
    row, column, expected = min(found)
    value = table.column(column)[row].as_py()
    shown = "null" if value is None else repr(value if not isinstance(value, str) else value[:80])
    return f"row {row + 1}: column {column}: {shown} is not {expected}"


def _offsets(col: pa.ChunkedArray) -> list[int]:
    out, total = [], 0
    for chunk in col.chunks:
        out.append(total)
        total += len(chunk)
    return out


def flows_to_arrow(flows: Iterable[Flow]) -> pa.Table:
    """The conversations of a capture reading, in first-seen order, as an Arrow table."""
    cols: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    for f in flows:
        cols["first_seen"].append(f.first_ns // 1000)
        cols["last_seen"].append(f.last_ns // 1000)
        cols["src"].append(address(f.src))
        cols["dst"].append(address(f.dst))
        cols["sport"].append(f.sport)
        cols["dport"].append(f.dport)
        cols["l4"].append(f.l4)
        cols["app"].append(f.app_name)
        cols["ops"].append(list(f.ops.items()))
        cols["packets"].append(f.packets_fwd + f.packets_rev)
        cols["bytes"].append(f.bytes_fwd + f.bytes_rev)
        cols["packets_fwd"].append(f.packets_fwd)
        cols["packets_rev"].append(f.packets_rev)
        cols["bytes_fwd"].append(f.bytes_fwd)
        cols["bytes_rev"].append(f.bytes_rev)
        cols["src_mac"].append(f.src_mac and address(f.src_mac))
        cols["dst_mac"].append(f.dst_mac and address(f.dst_mac))
    return pa.table([pa.array(cols[name], type=FLOW_SCHEMA.field(name).type) for name in COLUMNS], schema=FLOW_SCHEMA)


def iso(ts: dt.datetime | None) -> str | None:
    """The contract's timestamp: ISO 8601 UTC with microseconds and a Z."""
    return None if ts is None else ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def rows(table: pa.Table) -> Iterator[dict[str, Any]]:
    """The flows as the `flows --format json` objects, batch by batch (memory stays flat)."""
    for batch in table.to_batches(max_chunksize=65536):
        for row in batch.to_pylist():
            row["first_seen"], row["last_seen"] = iso(row["first_seen"]), iso(row["last_seen"])
            row["ops"] = dict(row["ops"] or ())
            yield row


def write_parquet(table: pa.Table, path: str | os.PathLike[str]) -> None:
    """Write atomically: a reader never sees half a file, and a failed write leaves the old one."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def read_parquet(path: str | os.PathLike[str]) -> pa.Table:
    """A saved flow table; a parquet file without our columns is refused, naming what is missing."""
    try:
        with pq.ParquetFile(path) as parquet:  # not read_table's dataset scanner, whose threads may outlive it
            table = parquet.read()
    except (OSError, pa.ArrowException) as e:
        raise FlowTableError(f"{path}: not a readable parquet file ({e})") from None
    missing = [name for name in COLUMNS if name not in table.column_names and name not in OPTIONAL]
    if missing:
        raise FlowTableError(f"{path}: not a zonewarden flow table: no column {', '.join(missing)}")
    for name in OPTIONAL:
        if name not in table.column_names:
            table = table.append_column(name, pa.nulls(len(table), pa.string()))
    try:
        table = table.select(COLUMNS).cast(FLOW_SCHEMA)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as e:
        raise FlowTableError(f"{path}: a column has the wrong type ({e})") from None
    bad = invalid_value(table)
    if bad:
        raise FlowTableError(f"{path}: {bad}")
    return table
