"""The flow table as Arrow: one schema for every source (captures, Zeek logs, CSV flows, parquet).

Its columns are those of the `flows --format json` contract, typed: timestamps in microseconds UTC,
ports as integers (null for non-IP traffic), `ops` as a map from operation to PDU count, and the
MAC addresses of each side where the source shows them. Saved as
parquet, it is what `traffic` (and the fleet engine) reads back without re-reading the captures.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
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


class FlowTableError(ValueError):
    """A file that should hold a flow table does not: the message names the file and what is wrong."""


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
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as e:
        raise FlowTableError(f"{path}: not a readable parquet file ({e})") from None
    missing = [name for name in COLUMNS if name not in table.column_names and name not in OPTIONAL]
    if missing:
        raise FlowTableError(f"{path}: not a zonewarden flow table: no column {', '.join(missing)}")
    for name in OPTIONAL:
        if name not in table.column_names:
            table = table.append_column(name, pa.nulls(len(table), pa.string()))
    try:
        return table.select(COLUMNS).cast(FLOW_SCHEMA)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
        raise FlowTableError(f"{path}: a column has the wrong type ({e})") from None
