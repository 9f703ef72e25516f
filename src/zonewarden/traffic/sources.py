"""Every kind of traffic input to one Arrow flow table: captures, Zeek logs, CSV flows, parquet.

Files are told apart by their first bytes, not their names: pcap and pcapng magic numbers,
parquet's `PAR1`, Zeek's `#separator` header or JSON lines with Zeek's fields, a CSV header with
our columns. Folders are walked for those files. All captures share one conversation table (a
conversation split across rotated files is one flow); the other sources add their rows as they are.
"""

from __future__ import annotations

import gzip
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from .capture import CAPTURE_SUFFIXES, READERS, CaptureError
from .csvflows import looks_like_csv_flows, read_csv_flows
from .flows import FlowTable
from .table import FLOW_SCHEMA, FlowTableError, flows_to_arrow, read_parquet
from .zeek import looks_like_zeek, read_zeek

FOLDER_SUFFIXES = (*CAPTURE_SUFFIXES, ".log", ".json", ".csv", ".parquet", ".gz")


@dataclass
class TrafficRead:
    """The flow table of all inputs, what the captures held, and what could not be read."""

    table: pa.Table
    frames: int = 0
    errors: list[CaptureError | FlowTableError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    kinds: dict[str, list[Path]] = field(default_factory=dict)


def kind_of(path: Path) -> str | None:
    """`capture`, `zeek`, `csv`, `parquet`, or None, from the file's first bytes."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return None
    if head[:4] in READERS:
        return "capture"
    if head[:4] == b"PAR1":
        return "parquet"
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as fh:
                head = fh.read(4096)
        except (OSError, EOFError):
            return None
    if looks_like_zeek(head):
        return "zeek"
    if looks_like_csv_flows(head):
        return "csv"
    return None


def expand(inputs: Iterable[Path]) -> list[Path]:
    """Files as given, and the traffic files inside folders (sorted; hidden files skipped)."""
    files: list[Path] = []
    for item in inputs:
        if item.is_dir():
            files += sorted(p for p in item.rglob("*") if p.is_file() and p.suffix.lower() in FOLDER_SUFFIXES
                            and not any(part.startswith(".") for part in p.relative_to(item).parts))
        else:
            files.append(item)
    return files


def read_traffic(inputs: Iterable[Path], progress: Callable[[Path, int], None] | None = None) -> TrafficRead:
    """Read every input into one flow table. A damaged file keeps what was read before the damage;
    a file of no known kind is an error naming it; `progress(file, bytes_read)` reports long reads."""
    result = TrafficRead(FLOW_SCHEMA.empty_table())
    kinds: dict[str, list[Path]] = {"capture": [], "zeek": [], "csv": [], "parquet": []}
    for path in expand(inputs):
        try:
            mode = path.stat().st_mode
        except (OSError, ValueError, RuntimeError) as e:
            why = "no such file or folder" if isinstance(e, FileNotFoundError) else f"cannot read ({e})"
            result.errors.append(FlowTableError(f"{path}: {why}"))
            continue
        if not stat.S_ISREG(mode):  # opening a FIFO waits for a writer; a device never ends
            result.errors.append(FlowTableError(f"{path}: not a regular file (a FIFO, socket or device); "
                                                "expected a capture, Zeek log, CSV flows or parquet file"))
            continue
        kind = kind_of(path)
        if kind is None:
            result.errors.append(FlowTableError(
                f"{path}: not a capture (pcap, pcapng), Zeek log, CSV flows or parquet flow table"))
            continue
        kinds[kind].append(path)
    result.kinds = {k: v for k, v in kinds.items() if v}
    tables = []
    if kinds["capture"]:
        flows = FlowTable()
        for path in kinds["capture"]:
            flows.read(path, None if progress is None else (lambda done, p=path: progress(p, done)))
        result.frames, result.errors = flows.frames, [*result.errors, *flows.errors]
        tables.append(flows_to_arrow(flows))
    if kinds["zeek"]:
        try:
            zeek = read_zeek(kinds["zeek"])
            tables.append(zeek.table)
            result.warnings += zeek.warnings
        except FlowTableError as e:
            result.errors.append(e)
    for path in kinds["csv"]:
        try:
            tables.append(read_csv_flows(path))
        except FlowTableError as e:
            result.errors.append(e)
    for path in kinds["parquet"]:
        try:
            tables.append(read_parquet(path))
        except FlowTableError as e:
            result.errors.append(e)
    if tables:
        result.table = pa.concat_tables(tables)
    return result


def input_size(inputs: Iterable[Path]) -> int:
    return sum(os.path.getsize(p) for p in expand(inputs) if p.is_file())
