"""Zeek logs as a flow table: conn.log gives the conversations, the protocol logs their operations.

Both of Zeek's writers are read: TSV (the `#fields` header) and JSON lines. conn.log is parsed by
Arrow's C++ CSV and JSON readers, so a million connections take about a second. One Zeek connection
is one flow: `src` is Zeek's originator, packets are `orig_pkts`/`resp_pkts`, and bytes are IP bytes
(`orig_ip_bytes`/`resp_ip_bytes`; Zeek does not see link headers, so they are smaller than frame
lengths). The application comes from Zeek's `service` in our vocabulary, else from the port.

Operations come from the logs of Zeek's own analyzers and of CISA's ICSNPP parsers, joined on the
connection `uid`, named as our decoders name them: modbus.log (replies only, as Zeek logs them) and
ICSNPP modbus_detailed.log (`fc3`, `exception`), dnp3.log (`fc1`, `fc129`), ICSNPP s7comm.log
(`read_var`, `plc_stop`, ...), enip.log (`send_rr_data`, ...) and cip.log (`cip_0x4c`).
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Callable, Iterator
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
from .table import FLOW_SCHEMA, FlowTableError

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
NL = b"\n"
CONN_FIELDS = ("ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto")
CONN_USED = {*CONN_FIELDS, "uid", "service", "duration", "orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes",
             "orig_l2_addr", "resp_l2_addr"}


@dataclass
class ZeekLog:
    """One log file: its kind (Zeek's `#path`: conn, modbus, cip, ...) and its rows as Arrow."""

    path: str
    kind: str
    table: pa.Table


@dataclass
class ZeekRead:
    table: pa.Table
    warnings: list[str] = field(default_factory=list)


def _open(path: Path) -> bytes:
    """The whole log, decompressed: only to locate an error."""
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _gzipped(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _stream(path: Path) -> pa.NativeFile:
    """The log as Arrow reads it, decompressed on the fly: never whole in memory."""
    return pa.input_stream(str(path), compression="gzip" if _gzipped(path) else None)


def _head(path: Path, size: int = 1 << 16) -> bytes:
    with _stream(path) as fh:
        return fh.read(size)


def looks_like_zeek(head: bytes) -> bool:
    """A Zeek TSV log (its header) or a JSON-lines log with Zeek's connection fields."""
    if head.startswith(b"#separator"):
        return True
    line = head.split(b"\n", 1)[0].strip()
    return line.startswith(b"{") and (b'"uid"' in line or b'"id.orig_h"' in line)


def read_log(path: str | os.PathLike[str]) -> ZeekLog:
    """Parse one Zeek log (TSV or JSON, gzip or not) into Arrow; errors name the file and line."""
    p = Path(path)
    try:
        head = _head(p)
    except (OSError, pa.ArrowException) as e:
        raise FlowTableError(f"{p}: cannot read ({e})") from None
    if head.startswith(b"#separator"):
        return _read_tsv(p, head)
    if head.lstrip()[:1] == b"{":
        return _read_json(p)
    raise FlowTableError(f"{p}: not a Zeek log (expected a '#separator' header or JSON lines)")


def _read_tsv(p: Path, head: bytes) -> ZeekLog:
    header: dict[str, str] = {}
    pos = lines = 0
    while head.startswith(b"#", pos):
        end = head.find(b"\n", pos)
        end = len(head) if end < 0 else end
        line = head[pos:end].decode("utf-8", "replace")
        key, _, value = line[1:].partition("\t" if not line.startswith("#separator") else " ")
        header[key] = value
        pos, lines = end + 1, lines + 1
    sep = header.get("separator", "\\x09").encode().decode("unicode_escape")
    fields = header.get("fields", "").split(sep)
    if not fields or fields == [""]:
        raise FlowTableError(f"{p}: line {lines + 1}: a Zeek TSV log needs its '#fields' header")
    kind = header.get("path") or _kind_from_name(p)
    unset = header.get("unset_field", "-")
    types = dict(zip(fields, header.get("types", "").split(sep), strict=False))
    column_types = {f: pa.string() for f in fields}
    for f, t in types.items():
        if t in ("count", "port", "int"):
            column_types[f] = pa.int64()
        elif t in ("time", "interval", "double"):
            column_types[f] = pa.float64()
    # conn.log: convert only the fields the flow table uses (Arrow still checks every row's shape)
    include = [f for f in fields if f in CONN_USED] if kind == "conn" else []

    def skip_comments(row: Any) -> str:
        return "skip" if row.text.startswith("#") else "error"

    try:
        table = pacsv.read_csv(
            _stream(p),
            read_options=pacsv.ReadOptions(column_names=fields, skip_rows=lines, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(delimiter=sep, quote_char=False, invalid_row_handler=skip_comments),
            convert_options=pacsv.ConvertOptions(column_types=column_types, null_values=[unset, "(empty)"],
                                                 strings_can_be_null=True, quoted_strings_can_be_null=False,
                                                 include_columns=include))
    except pa.ArrowInvalid as e:
        raise FlowTableError(f"{p}: {_locate(e, _open(p), pos, sep, fields, types)}") from None
    return ZeekLog(str(p), kind, table)


def _read_json(p: Path) -> ZeekLog:
    try:
        table = pajson.read_json(_stream(p), read_options=pajson.ReadOptions(block_size=1 << 22))
    except pa.ArrowInvalid as e:
        raise FlowTableError(f"{p}: {_json_error(e, _open(p))}") from None
    kind = _kind_from_name(p)
    if "_path" in table.column_names and len(table):
        kind = str(table.column("_path")[0].as_py() or kind)
    return ZeekLog(str(p), kind, table)


def _locate(e: Exception, data: bytes, pos: int, sep: str, fields: list[str], types: dict[str, str]) -> str:
    """Arrow's parse error as one located message: the line and field of the first bad value."""
    text = str(e).splitlines()[0]
    m = re.search(r"column #(\d+): .*invalid value '(.*)'", text)
    if m and int(m.group(1)) < len(fields):
        index, value = int(m.group(1)), m.group(2)
        line_no = data.count(NL, 0, pos)
        for raw in data[pos:].split(NL):
            line_no += 1
            cells = raw.decode("utf-8", "replace").split(sep)
            if len(cells) > index and cells[index] == value:
                name = fields[index]
                return f"line {line_no}: field {name}: {value!r} is not a {types.get(name, 'value')}"
    m = re.search(r"[Rr]ow #(\d+)", text)
    where = f"line {int(m.group(1)) + data.count(NL, 0, pos)}: " if m else ""
    return f"{where}not a well-formed Zeek log ({text})"


def _json_error(e: Exception, data: bytes) -> str:
    """The first line that is not a JSON object, or Arrow's message when every line is (a type clash)."""
    for number, raw in enumerate(data.split(NL), 1):
        if raw.strip():
            try:
                if not isinstance(json.loads(raw), dict):
                    return f"line {number}: not a JSON object"
            except ValueError as bad:
                return f"line {number}: not JSON ({bad})"
    return f"not a well-formed Zeek JSON log ({str(e).splitlines()[0]})"


def _kind_from_name(p: Path) -> str:
    return p.name.split(".", 1)[0]


def _column(table: pa.Table, name: str, *alternatives: str) -> pa.ChunkedArray | None:
    for n in (name, *alternatives):
        if n in table.column_names:
            return table.column(n)
    return None


def _timestamps(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Zeek's ts: epoch seconds (the default) or ISO 8601 text (JSON::TS_ISO8601)."""
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return pc.cast(col, pa.timestamp("us", tz="UTC"))  # Arrow's ISO 8601 parser takes the Z and fractions
    if pa.types.is_timestamp(col.type):
        return pc.cast(col, pa.timestamp("us", tz="UTC"))
    micros = pc.cast(pc.round(pc.multiply(pc.cast(col, pa.float64()), 1e6)), pa.int64())
    return pc.cast(micros, pa.timestamp("us", tz="UTC"))


def _app(service: str | None, proto: str | None, resp_p: int | None) -> str | None:
    for name in (service or "").split(","):
        name = name.strip().lower()
        if name == "ssl":
            return "https" if resp_p == 443 else "tls"
        if name in SERVICES:
            return SERVICES[name]
    return PORT_APPS.get((proto or "", resp_p or 0)) or (proto if proto in ("tcp", "udp") else None)


def conn_flows(log: ZeekLog, ops: dict[str, dict[str, int]]) -> pa.Table:
    """conn.log rows as flow-table rows, with the operations counted per uid."""
    t = log.table
    missing = [f for f in CONN_FIELDS if f not in t.column_names]
    if missing:
        raise FlowTableError(f"{log.path}: a conn.log needs the fields {', '.join(missing)}")
    n = len(t)
    first = _timestamps(t.column("ts"))
    duration = _column(t, "duration")
    if duration is None:
        last = first
    else:
        micros = pc.cast(pc.round(pc.multiply(pc.fill_null(pc.cast(duration, pa.float64()), 0.0), 1e6)), pa.int64())
        last = pc.cast(pc.add(pc.cast(first, pa.int64()), micros), pa.timestamp("us", tz="UTC"))
    proto = pc.cast(t.column("proto"), pa.string())
    resp_p = pc.cast(t.column("id.resp_p"), pa.int32())
    service = _column(t, "service")
    service = pa.chunked_array([pa.nulls(n, pa.string())]) if service is None else pc.cast(service, pa.string())
    # the application per distinct (service, proto, port), then looked up per row: vectorised, order kept
    key = pc.binary_join_element_wise(pc.fill_null(service, ""), pc.fill_null(proto, ""),
                                      pc.fill_null(pc.cast(resp_p, pa.string()), ""), "|")
    distinct = pc.unique(key)
    apps = []
    for k in distinct.to_pylist():
        s_, pr_, rp_ = k.split("|")
        apps.append(_app(s_ or None, pr_ or None, int(rp_) if rp_ else None))
    app = pc.take(pa.array(apps, pa.string()), pc.index_in(key, value_set=distinct))
    uid = _column(t, "uid")
    if ops and uid is not None:
        op_list = [ops.get(u) for u in uid.to_pylist()]
        ops_array = pa.array([list(o.items()) if o else [] for o in op_list], FLOW_SCHEMA.field("ops").type)
    else:
        ops_array = pa.array([[]] * n, FLOW_SCHEMA.field("ops").type)

    def count(name: str) -> pa.ChunkedArray:
        col = _column(t, name)
        return pa.chunked_array([pa.nulls(n, pa.int64())]) if col is None else pc.cast(col, pa.int64())

    def text(name: str) -> pa.ChunkedArray:
        col = _column(t, name)
        return pa.chunked_array([pa.nulls(n, pa.string())]) if col is None else pc.cast(col, pa.string())

    pf, pr, bf, br = count("orig_pkts"), count("resp_pkts"), count("orig_ip_bytes"), count("resp_ip_bytes")
    return pa.table({
        "first_seen": first, "last_seen": last,
        "src": pc.cast(t.column("id.orig_h"), pa.string()), "dst": pc.cast(t.column("id.resp_h"), pa.string()),
        "sport": pc.cast(t.column("id.orig_p"), pa.int32()), "dport": resp_p, "l4": proto, "app": app,
        "ops": ops_array, "packets": pc.add(pc.fill_null(pf, 0), pc.fill_null(pr, 0)),
        "bytes": pc.add(pc.fill_null(bf, 0), pc.fill_null(br, 0)),
        "packets_fwd": pf, "packets_rev": pr, "bytes_fwd": bf, "bytes_rev": br,
        "src_mac": text("orig_l2_addr"), "dst_mac": text("resp_l2_addr"),  # Zeek's mac-logging policy
    }, schema=FLOW_SCHEMA)


def _code(value: Any) -> int | None:
    """A code as ICSNPP writes it: "0x4c", "0x006f", "4", or an integer."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value), 0)
    except ValueError:
        return None


def _modbus(row: dict[str, Any]) -> Iterator[str]:
    func = str(row.get("func") or "")
    name = func.removesuffix("_EXCEPTION")
    code = MODBUS_FUNCTIONS.get(name)
    if code is None and name.startswith("unknown-"):
        code = _code(name[8:])
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
    rosctr = _code(row.get("rosctr_code"))
    if rosctr is None:
        rosctr = {"JOB": 1, "ACK": 2, "ACK_DATA": 3, "USERDATA": 7}.get(str(row.get("rosctr_name") or "").upper())
    if rosctr is not None and (op := s7_op(rosctr, _code(row.get("function_code")))):
        yield op


def _enip(row: dict[str, Any]) -> Iterator[str]:
    code = _code(row.get("enip_command_code"))
    if code is not None:
        yield ENIP_COMMANDS.get(code, f"command_{code:#06x}")


def _cip(row: dict[str, Any]) -> Iterator[str]:
    code = _code(row.get("cip_service_code"))
    if code is not None:
        yield f"cip_{code & 0x7F:#04x}"


OPERATION_LOGS: dict[str, Callable[[dict[str, Any]], Iterator[str]]] = {
    "modbus": _modbus, "modbus_detailed": _modbus, "dnp3": _dnp3, "s7comm": _s7comm, "enip": _enip, "cip": _cip,
}
KNOWN_LOGS = {"conn", *OPERATION_LOGS}


def read_zeek(paths: list[str | os.PathLike[str]]) -> ZeekRead:
    """The flow table of a set of Zeek logs: conn.log files, plus any protocol logs of the same run."""
    logs = [read_log(p) for p in paths]
    warnings = [f"{log.path}: Zeek {log.kind}.log carries nothing for the flow table; skipped"
                for log in logs if log.kind not in KNOWN_LOGS]
    ops: dict[str, dict[str, int]] = {}
    for log in logs:
        to_ops = OPERATION_LOGS.get(log.kind)
        if to_ops is None:
            continue
        if "uid" not in log.table.column_names:
            raise FlowTableError(f"{log.path}: a Zeek {log.kind}.log needs its 'uid' field to join conn.log")
        for row in log.table.to_pylist():
            counter = ops.setdefault(row["uid"], {})
            for op in to_ops(row):
                counter[op] = counter.get(op, 0) + 1
    conns = [conn_flows(log, ops) for log in logs if log.kind == "conn"]
    if ops:
        known = set()
        for log in logs:
            if log.kind == "conn" and "uid" in log.table.column_names:
                known.update(log.table.column("uid").to_pylist())
        orphans = len(set(ops) - known)
        if orphans:
            warnings.append(f"{orphans} connection(s) in the protocol logs are not in any conn.log given; "
                            "their operations are not counted (pass the conn.log of the same Zeek run)")
    table = pa.concat_tables(conns) if conns else FLOW_SCHEMA.empty_table()
    return ZeekRead(table, warnings)
