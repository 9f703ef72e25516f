"""Zeek logs as a flow table: conn.log gives the conversations, the protocol logs their operations.

Both of Zeek's writers are read, gzip or not: TSV (the `#fields` header) and JSON lines. conn.log is
parsed by Arrow's C++ CSV and JSON readers (a million connections in about a second), and every value
the flow table takes is then checked on the Arrow columns, vectorised: times between 1970 and 9999,
durations, ports 0-65535, counts not negative, addresses, protocols, MAC addresses, field sizes. Any
fault (a bad value, a bad header line, an oversized line, JSON nested too deep) refuses the log with
one error naming the file, the line and the field; only then is the log read again line by line, in
Python, to say where. The protocol logs are read line by line: each row is handled in Python anyway.

No Python object ever reaches Arrow's threads (no `invalid_row_handler`, no Python file, no buffer
that Python owns): the last native worker to drop one must take the GIL, and when that happens while
the interpreter shuts down the process aborts with "terminate called without an active exception"
(exit 134) or hangs in Arrow's thread-pool teardown. So Zeek's `#` lines are cut out here, and Arrow
gets native streams of data lines, or copies of them in its own memory.

One Zeek connection is one flow: `src` is Zeek's originator, packets are `orig_pkts`/`resp_pkts`, and
bytes are IP bytes (`orig_ip_bytes`/`resp_ip_bytes`; Zeek does not see link headers, so they are
smaller than frame lengths). The application comes from Zeek's `service` in our vocabulary, else
from the port.

Operations come from the logs of Zeek's own analyzers and of CISA's ICSNPP parsers, joined on the
connection `uid`, named as our decoders name them: modbus.log (replies only, as Zeek logs them) and
ICSNPP modbus_detailed.log (`fc3`, `exception`), dnp3.log (`fc1`, `fc129`), ICSNPP s7comm.log
(`read_var`, `plc_stop`, ...), enip.log (`send_rr_data`, ...) and cip.log (`cip_0x4c`).
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import os
import re
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson

from .decoders.dnp3 import NAMES as DNP3_NAMES
from .decoders.enip import COMMANDS as ENIP_COMMANDS
from .decoders.s7comm import s7_op
from .flows import PORT_APPS
from .table import FLOW_SCHEMA, MAX_COUNT, MAX_FIELD, MAX_TIME, FlowTableError, first_row, outside

# Zeek's Modbus function names (base/protocols/modbus/consts.zeek) -> function code
MODBUS_FUNCTIONS = {
    "READ_COILS": 1, "READ_DISCRETE_INPUTS": 2, "READ_HOLDING_REGISTERS": 3, "READ_INPUT_REGISTERS": 4,
    "WRITE_SINGLE_COIL": 5, "WRITE_SINGLE_REGISTER": 6, "READ_EXCEPTION_STATUS": 7, "DIAGNOSTICS": 8,
    "PROGRAM_484": 9, "POLL_484": 10, "GET_COMM_EVENT_COUNTER": 11, "GET_COMM_EVENT_LOG": 12,
    "PROGRAM_584_984": 13, "POLL_584_984": 14, "WRITE_MULTIPLE_COILS": 15, "WRITE_MULTIPLE_REGISTERS": 16,
    "REPORT_SLAVE_ID": 17, "PROGRAM_884_U84": 18, "RESET_COMM_LINK_884_U84": 19, "READ_FILE_RECORD": 20,
    "WRITE_FILE_RECORD": 21, "MASK_WRITE_REGISTER": 22, "READ_WRITE_MULTIPLE_REGISTERS": 23,
    "READ_FIFO_QUEUE": 24, "PROGRAM_CONCEPT": 40, "MULTIPLE_FUNCTION_CODES": 41, "ENCAP_INTERFACE_TRANSPORT": 43,
    "PROGRAM_UNITY": 90, "OBJECT_MESSAGING": 91, "FIRMWARE_REPLACEMENT": 125, "PROGRAM_584_984_2": 126,
    "REPORT_LOCAL_ADDRESS": 127,
}
DNP3_FUNCTIONS = {name.upper(): code for code, name in DNP3_NAMES.items()}
# Zeek (and ICSNPP) service names -> our application vocabulary (design §5); others fall back to the port
SERVICES = {
    "modbus": "modbus", "dnp3": "dnp3", "dnp3_tcp": "dnp3", "dnp3_udp": "dnp3", "s7comm": "s7comm",
    "s7comm_plus": "s7comm-plus", "s7comm-plus": "s7comm-plus", "enip": "enip", "cip": "enip", "cip_io": "enip",
    "bacnet": "bacnet", "opcua_binary": "opcua", "opcua-binary": "opcua", "synchrophasor": "c37.118",
    "synchrophasor_tcp": "c37.118", "synchrophasor_udp": "c37.118", "hart_ip": "hart-ip", "iec104": "iec104",
    "iec60870_5_104": "iec104", "ssh": "ssh", "rdp": "rdp", "rdpeudp": "rdp", "ftp": "ftp", "ftp-data": "ftp",
    "http": "http", "smb": "smb", "dns": "dns", "ntp": "ntp", "snmp": "snmp", "syslog": "syslog", "vnc": "vnc",
    "telnet": "telnet", "profinet": "profinet", "profinet_io_cm": "profinet",
}
PROTOS = frozenset({"tcp", "udp", "icmp", "unknown_transport"})  # Zeek's transport_proto enum
BLOCK = 1 << 22  # Arrow's parse block, and the longest line a log may have
CHUNK = 1 << 25  # what one Arrow call reads when the data is handed over in pieces
JSON_MAX_DEPTH = 64  # Zeek writes flat records; Arrow's recursive JSON parser overflows its stack near 100,000
JSON_SHORT = 4096  # a line this short cannot nest deep enough to hurt Arrow: only longer ones are measured
CONN_FIELDS = ("ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto")


@dataclass(frozen=True)
class Kind:
    """What a field holds: its Arrow type, the phrase an error uses, and its checks, one for a Python
    value (locating an error line by line) and one vectorised (the fast path)."""

    expected: str
    arrow: pa.DataType
    ok: Callable[[Any], bool]
    bad: Callable[[pa.ChunkedArray], pa.ChunkedArray | None]


def _between(low: float, high: float) -> Callable[[pa.ChunkedArray], pa.ChunkedArray | None]:
    return lambda col: outside(col, low, high)


def _distinct(ok: Callable[[str], bool]) -> Callable[[pa.ChunkedArray], pa.ChunkedArray | None]:
    """Vectorised for text with few distinct values (addresses, protocols): each distinct value checked once."""

    def bad(col: pa.ChunkedArray) -> pa.ChunkedArray | None:
        wrong = [v for v in pc.unique(col).to_pylist() if v is not None and not ok(v)]
        return pc.is_in(col, value_set=pa.array(wrong, pa.string())) if wrong else None
    return bad


def _sized(col: pa.ChunkedArray) -> pa.ChunkedArray | None:
    if not len(col) or (pc.max(pc.binary_length(col)).as_py() or 0) <= MAX_FIELD:
        return None
    return pc.greater(pc.binary_length(col), MAX_FIELD)


IPV4 = re.compile(r"((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])")


def _is_address(text: str) -> bool:
    if IPV4.fullmatch(text):
        return True
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


MAC = re.compile(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}")
TIME = Kind("epoch seconds from 1970 to the year 9999", pa.float64(),
            lambda v: 0 <= v < MAX_TIME, _between(0, MAX_TIME))
INTERVAL = Kind("a duration in seconds, not negative", pa.float64(), lambda v: 0 <= v < MAX_TIME,
                _between(0, MAX_TIME))
PORT = Kind("a port 0-65535", pa.int64(), lambda v: 0 <= v <= 65535, _between(0, 65536))
COUNT = Kind(f"a count 0-{MAX_COUNT}", pa.int64(), lambda v: 0 <= v <= MAX_COUNT, _between(0, MAX_COUNT + 1))
ADDRESS = Kind("an IP address", pa.string(), _is_address, _distinct(_is_address))
MAC_ADDRESS = Kind("a MAC address (six hex pairs)", pa.string(), lambda v: bool(MAC.fullmatch(v)),
                   _distinct(lambda v: bool(MAC.fullmatch(v))))
PROTO = Kind("a transport protocol (tcp, udp, icmp, unknown_transport)", pa.string(), lambda v: v in PROTOS,
             _distinct(lambda v: v in PROTOS))
TEXT = Kind("text", pa.string(), lambda v: True, lambda col: None)
# conn.log: the fields the flow table takes, their kinds, and whether a row must set them
CONN: dict[str, tuple[Kind, bool]] = {
    "ts": (TIME, True), "uid": (TEXT, False), "id.orig_h": (ADDRESS, True), "id.orig_p": (PORT, True),
    "id.resp_h": (ADDRESS, True), "id.resp_p": (PORT, True), "proto": (PROTO, True), "service": (TEXT, False),
    "duration": (INTERVAL, False), "orig_pkts": (COUNT, False), "resp_pkts": (COUNT, False),
    "orig_ip_bytes": (COUNT, False), "resp_ip_bytes": (COUNT, False), "orig_l2_addr": (MAC_ADDRESS, False),
    "resp_l2_addr": (MAC_ADDRESS, False),
}


class Fault(ValueError):
    """A fault found on the fast path; `where` says where when known (a line, else a record number)."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.where = where


@dataclass
class ZeekRead:
    table: pa.Table
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- reading bytes

def _gzipped(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _stream(path: Path) -> pa.NativeFile:
    """The log as Arrow reads it, decompressed on the fly: never whole in memory."""
    return pa.input_stream(str(path), compression="gzip" if _gzipped(path) else None)


def _head(path: Path, size: int = BLOCK) -> bytes:
    with _stream(path) as fh:
        return fh.read(size)


def _lines(path: Path) -> Iterator[tuple[int, bytes | None]]:
    """Each line with its number and without its line end, for locating a fault; a line longer than
    BLOCK comes as None (and ends the walk: nothing after it is read into memory)."""
    opener = gzip.open if _gzipped(path) else open
    with opener(path, "rb") as fh:
        number = 0
        while line := fh.readline(BLOCK + 1):
            number += 1
            if len(line) > BLOCK:
                yield number, None
                return
            yield number, line.rstrip(b"\n").removesuffix(b"\r")


def _chunks(path: Path, start: int) -> Iterator[tuple[int, bytes, int]]:
    """The log from byte `start` in pieces of about CHUNK bytes cut after a line end: (offset, buffer, end),
    the piece being buffer[:end]. A line longer than BLOCK is refused before it is held whole."""
    with _stream(path) as fh:
        fh.read(start)
        offset, carry = start, b""
        while True:
            data = fh.read(CHUNK)
            buf = carry + data if carry else data
            if not buf:
                return
            end = buf.rfind(b"\n") + 1 if data else len(buf)
            if not end:
                if len(buf) > BLOCK:
                    raise Fault(f"a line longer than {BLOCK >> 20} MiB", _line_at(path, offset))
                carry = buf
                continue
            yield offset, buf, end
            offset, carry = offset + end, buf[end:]


def _arrow_owned(buf: bytes, start: int, end: int) -> pa.Buffer:
    """buf[start:end] copied into Arrow's memory. Not pa.py_buffer: a buffer that Python owns is released by
    whichever Arrow worker drops it last, and releasing it takes the GIL (see the module's docstring)."""
    out = pa.allocate_buffer(end - start)
    memoryview(out).cast("B")[:] = memoryview(buf)[start:end]
    return out


def _line_at(path: Path, offset: int) -> str:
    """'line N: ' for a byte offset of the (decompressed) log."""
    count = 0
    with _stream(path) as fh:
        while offset > 0:
            block = fh.read(min(offset, 1 << 20))
            if not block:
                break
            count += block.count(b"\n")
            offset -= len(block)
    return f"line {count + 1}: "


# ---------------------------------------------------------------- one log

@dataclass
class ZeekLog:
    """One log file: its kind (Zeek's `#path`, else the file name: conn, modbus, ...) and how to read it."""

    path: Path
    kind: str
    tsv: TsvHeader | None = None  # None: JSON lines


@dataclass
class TsvHeader:
    separator: str
    fields: list[str]
    nulls: list[str]  # Zeek's unset and empty markers
    fields_line: int  # where `#fields` is
    lines: int  # header lines
    size: int  # header bytes


def looks_like_zeek(head: bytes) -> bool:
    """A Zeek TSV log (its header) or a JSON-lines log with Zeek's connection fields."""
    if head.startswith(b"#separator"):
        return True
    line = head.split(b"\n", 1)[0].strip()
    return line.startswith(b"{") and (b'"uid"' in line or b'"id.orig_h"' in line)


def open_log(path: str | os.PathLike[str]) -> ZeekLog:
    """A log's kind and format from its first bytes; a bad TSV header is a located error."""
    p = Path(path)
    try:
        head = _head(p)
    except (OSError, pa.ArrowException) as e:
        raise FlowTableError(f"{p}: cannot read ({e})") from None
    if head.startswith(b"#separator"):
        header, kind = _tsv_header(p, head)
        return ZeekLog(p, kind or _kind_from_name(p), header)
    if head.lstrip()[:1] == b"{":
        return ZeekLog(p, _json_kind(p, head))
    raise FlowTableError(f"{p}: not a Zeek log (expected a '#separator' header or JSON lines)")


def _tsv_header(p: Path, head: bytes) -> tuple[TsvHeader, str | None]:
    """Zeek's header lines: `#separator \\x09` first, then `#key<separator>value`; `#fields` is required,
    `#types` (if given) has one type per field."""
    values: dict[str, tuple[int, str]] = {}
    pos = number = 0
    separator = "\t"
    while head.startswith(b"#", pos):
        end = head.find(b"\n", pos)
        if end < 0:
            if len(head) >= BLOCK:
                raise FlowTableError(f"{p}: line {number + 1}: a header line longer than {BLOCK >> 20} MiB")
            end = len(head)
        number += 1
        try:
            line = head[pos:end].removesuffix(b"\r").decode("utf-8")
        except UnicodeDecodeError:
            raise FlowTableError(f"{p}: line {number}: a header line that is not UTF-8") from None
        if number == 1:
            m = re.fullmatch(r"#separator (\\x[0-9a-fA-F]{2}|[^\\\s])", line)
            separator = m and (chr(int(m.group(1)[2:], 16)) if m.group(1).startswith("\\x") else m.group(1))
            if not separator or separator in "\r\n#\"" or ord(separator) > 127:
                raise FlowTableError(f"{p}: line 1: {line[:60]!r}: expected '#separator \\x09', one ASCII "
                                     "character other than a line end, '#' or '\"' (as Zeek writes it)")
        else:
            key, found, value = line[1:].partition(separator)
            if key in values and key in ("fields", "types"):
                raise FlowTableError(f"{p}: line {number}: a second '#{key}' line in the header")
            values[key] = (number, value if found else "")
        pos = end + 1
    if "fields" not in values:
        raise FlowTableError(f"{p}: line {number + 1}: a Zeek TSV log needs its '#fields' header")
    at, text = values["fields"]
    fields = text.split(separator)
    for name in fields:
        if not name or len(name) > 256:
            raise FlowTableError(f"{p}: line {at}: #fields: {name[:60]!r} is not a field name")
        if fields.count(name) > 1:
            raise FlowTableError(f"{p}: line {at}: #fields: {name!r} appears twice")
    if "types" in values:
        at, text = values["types"]
        if len(text.split(separator)) != len(fields):
            raise FlowTableError(f"{p}: line {at}: #types has {len(text.split(separator))} entries for "
                                 f"{len(fields)} fields")
    nulls = [values.get("unset_field", (0, "-"))[1], values.get("empty_field", (0, "(empty)"))[1]]
    kind = values.get("path", (0, ""))[1] or None
    return TsvHeader(separator, fields, nulls, values["fields"][0], number, pos), kind


def _json_kind(p: Path, head: bytes) -> str:
    """`_path` of the first record when it has one, else the file name."""
    first = head.lstrip().split(b"\n", 1)[0]
    try:
        record = json.loads(first)
    except (ValueError, RecursionError):
        return _kind_from_name(p)  # the read says what is wrong, where
    return str(record.get("_path") or _kind_from_name(p)) if isinstance(record, dict) else _kind_from_name(p)


def _kind_from_name(p: Path) -> str:
    return p.name.split(".", 1)[0]


# ---------------------------------------------------------------- conn.log: the fast path

def conn_table(log: ZeekLog) -> pa.Table:
    """conn.log as Arrow, the fields the flow table takes, every value checked; a fault is located."""
    try:
        table = _conn_tsv(log) if log.tsv else _conn_json(log)
        _check(table)
        return table
    except (OSError, EOFError, zlib.error) as e:
        if not isinstance(e, pa.ArrowException):
            raise FlowTableError(f"{log.path}: cannot read ({e})") from None
        fault: Exception = e
    except (Fault, pa.ArrowException, UnicodeDecodeError) as e:
        fault = e
    if isinstance(fault, Fault) and fault.where.startswith("line"):
        raise FlowTableError(f"{log.path}: {fault.where}{fault}")
    where = _locate(log)  # the slow walk, only now
    if where:
        raise FlowTableError(f"{log.path}: {where}")
    if isinstance(fault, Fault):
        raise FlowTableError(f"{log.path}: {fault.where}{fault}")
    raise FlowTableError(f"{log.path}: not a well-formed Zeek log ({str(fault).splitlines()[0][:200]})")


def _conn_tsv(log: ZeekLog) -> pa.Table:
    header = log.tsv
    assert header is not None
    missing = [f for f in CONN_FIELDS if f not in header.fields]
    if missing:
        raise FlowTableError(f"{log.path}: line {header.fields_line}: #fields lacks {', '.join(missing)} (a conn.log "
                             "needs them)")
    used = {f: CONN[f][0].arrow for f in header.fields if f in CONN}
    read = pacsv.ReadOptions(column_names=header.fields, block_size=BLOCK)
    parse = pacsv.ParseOptions(delimiter=header.separator, quote_char=False)
    convert = pacsv.ConvertOptions(column_types=used, include_columns=list(used), null_values=header.nulls,
                                   strings_can_be_null=True, quoted_strings_can_be_null=False)
    if not _gzipped(log.path):
        # the data lines between the header and the closing '#' lines, streamed by Arrow itself
        start, length = _data_region(log.path, header.size)
        try:
            with pa.OSFile(str(log.path)) as fh:
                return pacsv.read_csv(fh.get_stream(start, length), read, parse, convert) if length else \
                    _empty(used)
        except pa.ArrowInvalid:
            pass  # a '#' line inside, or a fault: the pieces say which
    tables = [pacsv.read_csv(pa.BufferReader(piece), read, parse, convert)
              for piece in _ahead(_tsv_pieces(log.path, header))]
    return pa.concat_tables(tables) if tables else _empty(used)


def _tsv_pieces(path: Path, header: TsvHeader) -> Iterator[pa.Buffer]:
    """The data lines, in pieces between '#' lines (each '#' line checked), copied into Arrow's memory."""
    for offset, buf, end in _chunks(path, header.size):
        for a, b in _data_spans(buf, end):
            if b - a > 1024 or buf[a:b].strip():
                yield _arrow_owned(buf, a, b)
            if b < end:
                _comment(buf[b:buf.find(b"\n", b, end)], header, path, offset + b)


def _ahead(pieces: Iterator[pa.Buffer]) -> Iterator[pa.Buffer]:
    """The pieces, each next one read (decompressed, scanned, copied) by a Python thread while Arrow parses
    this one: Arrow's own readahead, which that work replaces, overlapped them too. The thread ends with the
    read; it holds no Arrow worker.

    Its end never waits for the thread: a reader that stops early (bad input) leaves this generator to the
    garbage collector, which may finalise it anywhere, even inside another thread's start while threading holds
    its own locks; joining there deadlocked. The thread finishes its one pending read and exits by itself."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="zeek-read")
    try:
        coming = pool.submit(next, pieces, None)
        while (piece := coming.result()) is not None:
            coming = pool.submit(next, pieces, None)
            yield piece
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _empty(columns: dict[str, pa.DataType]) -> pa.Table:
    return pa.schema(list(columns.items())).empty_table()


def _data_region(path: Path, start: int) -> tuple[int, int]:
    """(offset, length) of the data lines: the log after its header, without its closing '#' lines."""
    with open(path, "rb") as fh:
        size = fh.seek(0, 2)
        take = min(size - start, 1 << 16)
        fh.seek(size - take)
        tail = fh.read(take)
    end = len(tail)
    while end:
        line = tail.rfind(b"\n", 0, end - 1) + 1
        if tail[line:line + 1] != b"#" or (line == 0 and take < size - start):
            break
        end = line
    return start, size - take + end - start


def _data_spans(buf: bytes, end: int) -> Iterator[tuple[int, int]]:
    """The spans of buf[:end] between lines that start with '#': a span that ends before `end` ends where
    such a line starts. (A one-byte find is a memchr, several times faster than finding b"\\n#".)"""
    pos = 0
    while pos < end:
        hit = buf.find(b"#", pos, end)
        while hit > 0 and buf[hit - 1] != 0x0A:
            hit = buf.find(b"#", hit + 1, end)
        if hit < 0:
            yield pos, end
            return
        yield pos, hit
        line_end = buf.find(b"\n", hit, end)
        pos = end if line_end < 0 else line_end + 1


def _comment(line: bytes, header: TsvHeader, path: Path, offset: int) -> None:
    """A '#' line among the data (Zeek's '#close', or the header of a log appended to this one): a
    '#fields' line that differs from the header's would change what the columns mean."""
    if line.startswith(b"#fields") and line.removesuffix(b"\r").decode("utf-8", "replace") != \
            "#fields" + header.separator + header.separator.join(header.fields):
        raise Fault("a '#fields' line that differs from the header's (logs of different kinds in one file?)",
                    _line_at(path, offset))


def _conn_json(log: ZeekLog) -> pa.Table:
    ts_type = _json_ts_type(log.path)
    schema = pa.schema([(f, ts_type if f == "ts" else kind.arrow) for f, (kind, _) in CONN.items()])
    read = pajson.ReadOptions(block_size=BLOCK)
    parse = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    tables = [pajson.read_json(pa.BufferReader(piece), read, parse) for piece in _ahead(_json_pieces(log.path))]
    table = pa.concat_tables(tables) if tables else schema.empty_table()
    for name, (kind, _) in CONN.items():
        if kind is TEXT:  # Arrow's JSON reader leaves UTF-8 to us (the other texts' distinct values decode)
            table.column(name).validate(full=True)
    if pa.types.is_string(ts_type):
        table = table.set_column(table.schema.get_field_index("ts"), "ts", _iso_seconds(table.column("ts")))
    return table


def _json_pieces(path: Path) -> Iterator[pa.Buffer]:
    """The lines in pieces copied into Arrow's memory, once none nests too deep for Arrow's parser."""
    for offset, buf, end in _chunks(path, 0):
        deep = _too_deep(buf, end)
        if deep is not None:
            raise Fault(f"JSON nested more than {JSON_MAX_DEPTH} levels deep", _line_at(path, offset + deep))
        if end > 1024 or buf[:end].strip():
            yield _arrow_owned(buf, 0, end)


def _json_ts_type(path: Path) -> pa.DataType:
    """Zeek's JSON writer gives ts as epoch seconds (the default) or ISO 8601 text (JSON::TS_ISO8601): the
    first record says which, and every record must agree."""
    first = _head(path).lstrip().split(b"\n", 1)[0]
    try:
        ts = json.loads(first).get("ts")
    except (ValueError, RecursionError, AttributeError):
        return pa.float64()  # the read locates what is wrong
    return pa.string() if isinstance(ts, str) else pa.float64()


def _iso_seconds(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """ISO 8601 text as epoch seconds (Arrow's parser takes the Z and the fractions)."""
    micros = pc.cast(pc.cast(col, pa.timestamp("us", tz="UTC")), pa.int64())
    return pc.divide(pc.cast(micros, pa.float64()), 1e6)


TOKENS = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"|[\[{\]}]')


def _depth(line: bytes) -> int:
    """How deep a JSON text nests (strings skipped), counted until it passes JSON_MAX_DEPTH."""
    depth = deepest = 0
    for m in TOKENS.finditer(line):
        c = line[m.start()]
        if c in b"[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > JSON_MAX_DEPTH:
                    break
        elif c in b"]}":
            depth -= 1
    return deepest


def _too_deep(buf: bytes, end: int) -> int | None:
    """The offset of the first line of buf[:end] nested deeper than JSON_MAX_DEPTH. Only lines longer than
    JSON_SHORT are measured: they are found by looking for the last line end in each window of that size."""
    pos = 0
    while pos < end:
        stop = min(pos + JSON_SHORT + 1, end)
        newline = buf.rfind(b"\n", pos, stop)
        if newline >= 0:
            pos = newline + 1
            continue
        if stop == end:
            return None
        line_end = buf.find(b"\n", pos, end)
        line_end = end if line_end < 0 else line_end
        if _depth(buf[pos:line_end]) > JSON_MAX_DEPTH:
            return pos
        pos = line_end + 1
    return None


def _check(table: pa.Table) -> None:
    """Every value by its kind, vectorised; a Fault names the first record that breaks a rule."""
    first: tuple[int, str, Any, str] | None = None
    for name, (kind, required) in CONN.items():
        if name not in table.column_names:
            continue
        col = table.column(name)
        masks = [pc.is_null(col)] if required and col.null_count else []
        for check in (kind.bad, _sized if kind.arrow == pa.string() else None):
            mask = check and check(col)
            if mask is not None:
                masks.append(mask)
        if name == "duration" and "ts" in table.column_names:
            end = _between(0, MAX_TIME)(pc.add(table.column("ts"), pc.fill_null(col, 0.0)))
            if end is not None:
                masks.append(end)
        for mask in masks:
            row = first_row(mask)
            if row >= 0 and (first is None or row < first[0]):
                first = (row, name, col[row].as_py(), kind.expected)
    if first is not None:
        row, name, value, expected = first
        shown = "unset" if value is None else repr(value if not isinstance(value, str) else value[:80])
        raise Fault(f"field {name}: {shown} is not {expected}", f"record {row + 1}: ")


# ---------------------------------------------------------------- locating a fault, line by line

def _locate(log: ZeekLog) -> str | None:
    """'line N: field F: what is wrong' for the first line that breaks a rule, or None if none does."""
    try:
        return _locate_tsv(log) if log.tsv else _locate_json(log)
    except (OSError, EOFError, zlib.error) as e:
        return f"cannot read ({e})"


INTEGER = re.compile(r"(-?)(?:0[xX]([0-9a-fA-F]+)|([0-9]+))")
FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?i:inf|infinity|nan)")


def _number(text: str, kind: Kind) -> float | int:
    """A TSV cell as Arrow converts it: integers (decimal or 0x hex) or floats, surrounding spaces allowed."""
    text = text.strip(" ")
    if kind.arrow == pa.int64():
        m = INTEGER.fullmatch(text)
        if not m:
            raise ValueError(text)
        value = int(m.group(2), 16) if m.group(2) else int(m.group(3))
        return -value if m.group(1) else value
    if not FLOAT.fullmatch(text):
        raise ValueError(text)
    return float(text)


def _problem(name: str, value: Any, kind: Kind, required: bool) -> str | None:
    """What is wrong with one converted value, or None."""
    if value is None:
        return f"field {name}: unset, expected {kind.expected}" if required else None
    if isinstance(value, str) and len(value.encode()) > MAX_FIELD:
        return f"field {name}: {len(value.encode())} bytes, longer than {MAX_FIELD} (expected {kind.expected})"
    if not kind.ok(value):
        return f"field {name}: {value if not isinstance(value, str) else value[:80]!r} is not {kind.expected}"
    return None


def _locate_tsv(log: ZeekLog) -> str | None:
    header = log.tsv
    assert header is not None
    sep = header.separator.encode()
    index = {f: i for i, f in enumerate(header.fields) if f in CONN}
    for number, line in _lines(log.path):
        if number <= header.lines:
            continue
        if line is None:
            return f"line {number}: a line longer than {BLOCK >> 20} MiB"
        if not line:
            continue
        if line.startswith(b"#"):
            try:
                _comment(line, header, log.path, 0)
            except Fault as e:
                return f"line {number}: {e}"
            continue
        if b"\r" in line:
            return f"line {number}: a carriage return inside the line (Zeek writes it as \\x0d)"
        cells = line.split(sep)
        if len(cells) != len(header.fields):
            return (f"line {number}: {len(cells)} fields, expected {len(header.fields)} as '#fields' says "
                    f"(separated by {header.separator!r})")
        values: dict[str, Any] = {}
        for name, i in index.items():
            kind, required = CONN[name]
            try:
                text = cells[i].decode("utf-8")
            except UnicodeDecodeError:
                return f"line {number}: field {name}: not UTF-8"
            try:
                values[name] = None if text in header.nulls else \
                    text if kind.arrow == pa.string() else _number(text, kind)
            except (ValueError, OverflowError):
                return f"line {number}: field {name}: {text[:80]!r} is not {kind.expected}"
            if (problem := _problem(name, values[name], kind, required)) is not None:
                return f"line {number}: {problem}"
        if (problem := _end_problem(values)) is not None:
            return f"line {number}: {problem}"
    return None


def _end_problem(values: dict[str, Any]) -> str | None:
    ts, duration = values.get("ts"), values.get("duration")
    if isinstance(ts, float) and isinstance(duration, float) and not ts + duration < MAX_TIME:
        return f"field duration: {duration!r} ends the connection after {MAX_TIME:.0f} (year 9999)"
    return None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


class _Record(dict):
    """A JSON object, and the names it gives twice (Arrow refuses those it reads)."""

    twice: frozenset[str] = frozenset()


def _pairs(pairs: list[tuple[str, Any]]) -> _Record:
    record = _Record(pairs)
    if len(record) < len(pairs):
        record.twice = frozenset(k for k, _ in pairs if sum(1 for k2, _ in pairs if k2 == k) > 1)
    return record


def _json_record(line: bytes) -> _Record:
    """One line as a JSON object (Python's parser: it stops deep nesting with an exception, not a crash);
    ValueError saying what the line is instead."""
    try:
        record = json.loads(line, parse_constant=_refuse_constant, object_pairs_hook=_pairs)
    except UnicodeDecodeError:
        raise ValueError("not UTF-8") from None
    except RecursionError:
        raise ValueError("JSON nested too deep") from None
    except ValueError as e:
        raise ValueError(f"not JSON ({str(e)[:80]})") from None
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    if SURROGATE.search(line):  # a pair escaped as two \u codes is a character; half of one is not text
        try:
            json.dumps(record, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            raise ValueError("a lone UTF-16 surrogate escape: not Unicode text") from None
    return record


def _json_value(name: str, value: Any, kind: Kind, ts_text: bool) -> Any:
    """A JSON value as the fast path reads it; ValueError when its JSON type is not the kind's."""
    if value is None:
        return None
    if kind.arrow == pa.string():
        if isinstance(value, str):
            return value
    elif name == "ts" and ts_text:
        if isinstance(value, str):
            try:  # Arrow's own parser, as on the fast path
                return _iso_seconds(pa.chunked_array([[value]], pa.string()))[0].as_py()
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise ValueError("ISO 8601 text with a zone, like the first record's") from None
        raise ValueError("ISO 8601 text with a zone, like the first record's")
    elif kind.arrow == pa.int64():
        if isinstance(value, int) and not isinstance(value, bool) and -(1 << 63) <= value < 1 << 63:
            return value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise ValueError(kind.expected)


def _locate_json(log: ZeekLog) -> str | None:
    ts_text = pa.types.is_string(_json_ts_type(log.path))
    for number, line in _lines(log.path):
        if line is None:
            return f"line {number}: a line longer than {BLOCK >> 20} MiB"
        if not line.strip():
            continue
        if len(line) > JSON_SHORT and _depth(line) > JSON_MAX_DEPTH:
            return f"line {number}: JSON nested more than {JSON_MAX_DEPTH} levels deep"
        try:
            record = _json_record(line)
        except ValueError as e:
            return f"line {number}: {e}"
        twice = sorted(record.twice & CONN.keys())
        if twice:
            return f"line {number}: field {twice[0]} given twice"
        values: dict[str, Any] = {}
        for name, (kind, required) in CONN.items():
            try:
                values[name] = _json_value(name, record.get(name), kind, ts_text)
            except ValueError as e:
                return f"line {number}: field {name}: {json.dumps(record.get(name))[:80]} is not {e}"
            if (problem := _problem(name, values[name], kind, required)) is not None:
                return f"line {number}: {problem}"
        if (problem := _end_problem(values)) is not None:
            return f"line {number}: {problem}"
    return None


# ---------------------------------------------------------------- conn.log as flows

def _micros(seconds: pa.ChunkedArray) -> pa.ChunkedArray:
    """Epoch seconds as integer microseconds, rounded (floor(x + 0.5): a sixth of pc.round's cost)."""
    return pc.cast(pc.floor(pc.add(pc.multiply(seconds, 1e6), 0.5)), pa.int64())


def _app(service: str | None, proto: str, resp_p: int) -> str | None:
    for name in (service or "").split(","):
        name = name.strip().lower()
        if name == "ssl":
            return "https" if resp_p == 443 else "tls"
        if name in SERVICES:
            return SERVICES[name]
    return PORT_APPS.get((proto, resp_p)) or (proto if proto in ("tcp", "udp") else None)


def _apps(service: pa.ChunkedArray, proto: pa.ChunkedArray, resp_p: pa.ChunkedArray) -> pa.ChunkedArray:
    """The application per row: `_app` once per distinct (service, proto, port), found as one integer key per
    row (string takes and joins over a million rows cost a third of the read)."""
    if not len(proto):
        return pa.chunked_array([], pa.string())
    services = pc.dictionary_encode(service).combine_chunks()
    protos = pc.dictionary_encode(proto).combine_chunks()
    width = len(protos.dictionary)
    service_index = pc.cast(pc.fill_null(services.indices, -1), pa.int64())
    key = pc.add(pc.multiply(pc.add(pc.multiply(pc.add(service_index, 1), width), protos.indices), 65536), resp_p)
    distinct = pc.unique(key)
    names, l4s = services.dictionary.to_pylist(), protos.dictionary.to_pylist()
    apps = []
    for k in distinct.to_pylist():
        rest, port = divmod(k, 65536)
        s_, p_ = divmod(rest, width)
        apps.append(_app(names[s_ - 1] if s_ else None, l4s[p_], port))
    dictionary = pa.array(apps, pa.string())
    indices = pc.index_in(key, value_set=distinct)
    return pa.chunked_array([pa.DictionaryArray.from_arrays(c, dictionary) for c in indices.chunks],
                            pa.dictionary(pa.int32(), pa.string())).cast(pa.string())


def _ops_column(uid: pa.ChunkedArray | None, ops: dict[str, dict[str, int]], n: int) -> pa.Array:
    """Each row's operations, looked up by uid (vectorised); an empty map where the protocol logs say nothing."""
    map_type = FLOW_SCHEMA.field("ops").type
    if not ops or uid is None:
        return pa.MapArray.from_arrays(pa.repeat(pa.scalar(0, pa.int32()), n + 1), pa.array([], pa.string()),
                                       pa.array([], pa.int64()), type=map_type)
    uids = list(ops)
    values = pa.array([list(ops[u].items()) for u in uids] + [[]], map_type)
    return pc.take(values, pc.fill_null(pc.index_in(uid, value_set=pa.array(uids, pa.string())), len(uids)))


def conn_flows(path: Path, table: pa.Table, ops: dict[str, dict[str, int]]) -> pa.Table:
    """conn.log rows (checked by conn_table) as flow-table rows, with the operations counted per uid."""
    missing = [f for f in CONN_FIELDS if f not in table.column_names]
    if missing:
        raise FlowTableError(f"{path}: a conn.log needs the fields {', '.join(missing)}")
    n = len(table)

    def column(name: str, kind: Kind) -> pa.ChunkedArray:
        if name in table.column_names:
            return table.column(name)
        return pa.chunked_array([pa.nulls(n, kind.arrow)], kind.arrow)

    first = _micros(table.column("ts"))
    last = pc.add(first, pc.fill_null(_micros(column("duration", INTERVAL)), 0))
    proto = table.column("proto")
    resp_p = pc.cast(table.column("id.resp_p"), pa.int32())
    pf, pr = column("orig_pkts", COUNT), column("resp_pkts", COUNT)
    bf, br = column("orig_ip_bytes", COUNT), column("resp_ip_bytes", COUNT)
    stamp = pa.timestamp("us", tz="UTC")
    return pa.table({
        "first_seen": pc.cast(first, stamp), "last_seen": pc.cast(last, stamp),
        "src": table.column("id.orig_h"), "dst": table.column("id.resp_h"),
        "sport": pc.cast(table.column("id.orig_p"), pa.int32()), "dport": resp_p, "l4": proto,
        "app": _apps(column("service", TEXT), proto, resp_p),
        "ops": _ops_column(table.column("uid") if "uid" in table.column_names else None, ops, n),
        "packets": pc.add(pc.fill_null(pf, 0), pc.fill_null(pr, 0)),
        "bytes": pc.add(pc.fill_null(bf, 0), pc.fill_null(br, 0)),
        "packets_fwd": pf, "packets_rev": pr, "bytes_fwd": bf, "bytes_rev": br,
        "src_mac": column("orig_l2_addr", TEXT), "dst_mac": column("resp_l2_addr", TEXT),  # Zeek's mac-logging
    }, schema=FLOW_SCHEMA)


# ---------------------------------------------------------------- the protocol logs: operations

CODE = re.compile(r"0[xX][0-9a-fA-F]{1,8}|[0-9]{1,10}")


def _code(row: dict[str, Any], key: str, value: Any = None) -> int | None:
    """The code in row[key] as ICSNPP writes it ("0x4c", "0x006f", "4", or an integer): a Fault naming the
    field for anything else. `value`: a part of the field's text that holds the code."""
    value = row.get(key) if value is None else value
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1 << 32:
        return value
    text = str(value).strip()
    if not isinstance(value, str) or not CODE.fullmatch(text):
        raise Fault(f"field {key}: {str(row.get(key))[:80]!r} is not a code (a number such as 76 or 0x4c)")
    return int(text, 16) if text[:2] in ("0x", "0X") else int(text)


def _modbus(row: dict[str, Any]) -> Iterator[str]:
    func = str(row.get("func") or "")
    name = func.removesuffix("_EXCEPTION")
    code = MODBUS_FUNCTIONS.get(name)
    if code is None and name.startswith("unknown-"):
        code = _code(row, "func", name[8:])
    if code is not None:
        yield f"fc{code & 0x7F}"
    if row.get("exception") or func.endswith("_EXCEPTION"):
        yield "exception"


def _dnp3(row: dict[str, Any]) -> Iterator[str]:
    for key in ("fc_request", "fc_reply"):
        name = row.get(key)
        if name:
            code = DNP3_FUNCTIONS.get(str(name).upper())
            yield f"fc{code}" if code is not None else str(name).lower()


def _s7comm(row: dict[str, Any]) -> Iterator[str]:
    rosctr = _code(row, "rosctr_code")
    if rosctr is None:
        rosctr = {"JOB": 1, "ACK": 2, "ACK_DATA": 3, "USERDATA": 7}.get(str(row.get("rosctr_name") or "").upper())
    if rosctr is not None and (op := s7_op(rosctr, _code(row, "function_code"))):
        yield op


def _enip(row: dict[str, Any]) -> Iterator[str]:
    code = _code(row, "enip_command_code")
    if code is not None:
        yield ENIP_COMMANDS.get(code, f"command_{code:#06x}")


def _cip(row: dict[str, Any]) -> Iterator[str]:
    code = _code(row, "cip_service_code")
    if code is not None:
        yield f"cip_{code & 0x7F:#04x}"


OPERATION_LOGS: dict[str, Callable[[dict[str, Any]], Iterator[str]]] = {
    "modbus": _modbus, "modbus_detailed": _modbus, "dnp3": _dnp3, "s7comm": _s7comm, "enip": _enip, "cip": _cip,
}
OPERATION_FIELDS = {"modbus": ("func", "exception"), "modbus_detailed": ("func", "exception"),
                    "dnp3": ("fc_request", "fc_reply"), "s7comm": ("rosctr_code", "rosctr_name", "function_code"),
                    "enip": ("enip_command_code",), "cip": ("cip_service_code",)}
KNOWN_LOGS = {"conn", *OPERATION_LOGS}


def _records(log: ZeekLog) -> Iterator[tuple[int, dict[str, Any]]]:
    """A protocol log's rows, line by line, with only the fields the operations need."""
    wanted = ("uid", *OPERATION_FIELDS[log.kind])
    header = log.tsv
    if header is not None:
        sep = header.separator.encode()
        index = {f: i for i, f in enumerate(header.fields) if f in wanted}
        if "uid" not in index:
            raise FlowTableError(f"{log.path}: line {header.fields_line}: #fields lacks uid (a Zeek {log.kind}.log "
                                 "needs it to join conn.log)")
    for number, line in _lines(log.path):
        if line is None:
            raise FlowTableError(f"{log.path}: line {number}: a line longer than {BLOCK >> 20} MiB")
        if header is not None:
            if number <= header.lines or not line or line.startswith(b"#"):
                continue
            cells = line.split(sep)
            if len(cells) != len(header.fields):
                raise FlowTableError(f"{log.path}: line {number}: {len(cells)} fields, expected "
                                     f"{len(header.fields)} as '#fields' says")
            text = {f: cells[i].decode("utf-8", "replace") for f, i in index.items()}
            yield number, {f: None if v in header.nulls else v for f, v in text.items()}
            continue
        if not line.strip():
            continue
        if len(line) > JSON_SHORT and _depth(line) > JSON_MAX_DEPTH:
            raise FlowTableError(f"{log.path}: line {number}: JSON nested more than {JSON_MAX_DEPTH} levels deep")
        try:
            record = _json_record(line)
        except ValueError as e:
            raise FlowTableError(f"{log.path}: line {number}: {e}") from None
        yield number, {f: record.get(f) for f in wanted}


def _count_operations(log: ZeekLog, ops: dict[str, dict[str, int]]) -> None:
    to_ops = OPERATION_LOGS[log.kind]
    for number, row in _records(log):
        uid = row["uid"]
        if not isinstance(uid, str) or not uid or len(uid) > MAX_FIELD:
            shown = "unset" if uid is None else repr(str(uid)[:80])
            raise FlowTableError(f"{log.path}: line {number}: field uid: {shown} is not a connection uid (the "
                                 "text that joins conn.log)")
        counter = ops.setdefault(uid, {})
        try:
            for op in to_ops(row):
                counter[op] = counter.get(op, 0) + 1
        except Fault as e:
            raise FlowTableError(f"{log.path}: line {number}: {e}") from None


def read_zeek(paths: list[str | os.PathLike[str]]) -> ZeekRead:
    """The flow table of a set of Zeek logs: conn.log files, plus any protocol logs of the same run."""
    logs = [open_log(p) for p in paths]
    warnings = [f"{log.path}: Zeek {log.kind}.log carries nothing for the flow table; skipped"
                for log in logs if log.kind not in KNOWN_LOGS]
    ops: dict[str, dict[str, int]] = {}
    for log in logs:
        if log.kind in OPERATION_LOGS:
            try:
                _count_operations(log, ops)
            except (OSError, EOFError, zlib.error) as e:
                raise FlowTableError(f"{log.path}: cannot read ({e})") from None
    conns = [(log.path, conn_table(log)) for log in logs if log.kind == "conn"]
    if ops:
        known: set[str] = set()
        for _, table in conns:
            if "uid" in table.column_names:
                known.update(u for u in pc.unique(table.column("uid")).to_pylist() if u is not None)
        orphans = len(set(ops) - known)
        if orphans:
            warnings.append(f"{orphans} connection(s) in the protocol logs are not in any conn.log given; "
                            "their operations are not counted (pass the conn.log of the same Zeek run)")
    flows = [conn_flows(path, table, ops) for path, table in conns]
    return ZeekRead(pa.concat_tables(flows) if flows else FLOW_SCHEMA.empty_table(), warnings)
