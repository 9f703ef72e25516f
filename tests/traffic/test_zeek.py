"""Zeek logs into the flow table: conn.log (TSV and JSON) and the operation logs of Zeek and ICSNPP,
written as Zeek writes them (header lines, unset '-', epoch or ISO timestamps)."""

from __future__ import annotations

import gzip
import json

import pytest

from zonewarden.traffic.sources import read_traffic
from zonewarden.traffic.table import FlowTableError, rows
from zonewarden.traffic.zeek import read_zeek

CONN_FIELDS = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service", "duration",
               "orig_bytes", "resp_bytes", "conn_state", "local_orig", "local_resp", "missed_bytes", "history",
               "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes", "tunnel_parents"]
CONN_TYPES = ["time", "string", "addr", "port", "addr", "port", "enum", "string", "interval", "count", "count",
              "string", "bool", "bool", "count", "string", "count", "count", "count", "count", "set[string]"]
CONNS = [
    ["1700000000.123456", "CAbc1", "10.0.0.5", "50000", "10.0.0.9", "502", "tcp", "modbus", "2.500000", "120", "200",
     "SF", "T", "T", "0", "ShADadFf", "10", "640", "8", "620", "-"],
    ["1700000001.000000", "CDef2", "10.0.0.5", "50001", "10.0.1.7", "443", "tcp", "ssl", "-", "-", "-", "S0", "T",
     "F", "0", "S", "1", "60", "0", "0", "-"],
    ["1700000002.5", "CGhi3", "fe80::1", "5353", "ff02::fb", "5353", "udp", "-", "0.1", "40", "0", "S0", "T", "F",
     "0", "D", "2", "136", "0", "0", "-"],
    ["1700000003.0", "CJkl4", "10.0.0.6", "61000", "10.0.0.10", "20000", "tcp", "dnp3_tcp", "1.0", "10", "10", "SF",
     "T", "T", "0", "ShADadFf", "6", "400", "6", "420", "-"],
]


def tsv(path, kind, fields, types, lines):
    head = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", f"#path\t{kind}",
            "#open\t2026-11-22-08-00-00", "#fields\t" + "\t".join(fields), "#types\t" + "\t".join(types)]
    path.write_text("\n".join(head + ["\t".join(line) for line in lines] + ["#close\t2026-11-22-09-00-00"]) + "\n")
    return path


def jsonl(path, fields, lines, iso=False):
    out = []
    for line in lines:
        row = {}
        for f, v in zip(fields, line, strict=True):
            if v == "-":
                continue
            row[f] = float(v) if f in ("ts", "duration") else int(v) if f.endswith("_p") or f.endswith(
                ("pkts", "bytes")) else v
        if iso:
            import datetime as dt
            row["ts"] = dt.datetime.fromtimestamp(row["ts"], dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        out.append(json.dumps(row))
    path.write_text("\n".join(out) + "\n")
    return path


def by_uid_port(table):
    return {r["dport"]: r for r in rows(table)}


def test_conn_log_tsv_rows_become_flows(tmp_path):
    read = read_zeek([tsv(tmp_path / "conn.log", "conn", CONN_FIELDS, CONN_TYPES, CONNS)])
    flows = by_uid_port(read.table)
    m = flows[502]
    assert (m["src"], m["sport"], m["dst"], m["l4"], m["app"]) == ("10.0.0.5", 50000, "10.0.0.9", "tcp", "modbus")
    assert (m["first_seen"], m["last_seen"]) == ("2023-11-14T22:13:20.123456Z", "2023-11-14T22:13:22.623456Z")
    assert (m["packets"], m["bytes"], m["packets_fwd"], m["bytes_rev"]) == (18, 1260, 10, 620)
    assert flows[443]["app"] == "https" and flows[443]["last_seen"] == flows[443]["first_seen"]
    assert flows[5353]["src"] == "fe80::1" and flows[5353]["app"] == "udp"
    assert flows[20000]["app"] == "dnp3"


@pytest.mark.parametrize("iso", [False, True])
def test_json_logs_give_the_same_table(tmp_path, iso):
    a = read_zeek([tsv(tmp_path / "conn.log", "conn", CONN_FIELDS, CONN_TYPES, CONNS)]).table
    b = read_zeek([jsonl(tmp_path / "conn.json.log", CONN_FIELDS, CONNS, iso=iso)]).table
    assert list(rows(a)) == list(rows(b))


def test_operations_from_zeek_and_icsnpp_logs_join_on_uid(tmp_path):
    conn = tsv(tmp_path / "conn.log", "conn", CONN_FIELDS, CONN_TYPES, CONNS)
    base = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"]
    ids = ["10.0.0.5", "50000", "10.0.0.9", "502"]
    modbus = tsv(tmp_path / "modbus.log", "modbus", [*base, "func", "exception"],
                 ["time", "string", "addr", "port", "addr", "port", "string", "string"],
                 [["1700000000.2", "CAbc1", *ids, "READ_HOLDING_REGISTERS", "-"],
                  ["1700000000.3", "CAbc1", *ids, "WRITE_SINGLE_REGISTER", "ILLEGAL_DATA_ADDRESS"],
                  ["1700000000.4", "CAbc1", *ids, "unknown-90", "-"]])
    dnp3 = tsv(tmp_path / "dnp3.log", "dnp3", [*base, "fc_request", "fc_reply", "iin"],
               ["time", "string", "addr", "port", "addr", "port", "string", "string", "count"],
               [["1700000003.1", "CJkl4", "10.0.0.6", "61000", "10.0.0.10", "20000", "READ", "RESPONSE", "0"],
                ["1700000003.2", "CJkl4", "10.0.0.6", "61000", "10.0.0.10", "20000", "DIRECT_OPERATE", "RESPONSE",
                 "0"]])
    # ICSNPP writes one row per PDU, requests and responses, with codes as hex text
    s7 = jsonl(tmp_path / "s7comm.log", ["ts", "uid", "is_orig", "rosctr_code", "rosctr_name", "function_code"],
               [["1700000000.5", "CAbc1", "T", "1", "JOB", "0x29"], ["1700000000.6", "CAbc1", "F", "3", "ACK_DATA",
                                                                      "0x29"]])
    cip = jsonl(tmp_path / "cip.log", ["ts", "uid", "cip_service_code", "cip_service"],
                [["1700000000.7", "CAbc1", "0x4c", "Read Tag"], ["1700000000.8", "CAbc1", "0xcc", "Read Tag"]])
    enip = jsonl(tmp_path / "enip.log", ["ts", "uid", "enip_command_code"], [["1700000000.9", "CAbc1", "0x006f"]])
    orphan = tsv(tmp_path / "modbus_detailed.log", "modbus_detailed", [*base, "func"],
                 ["time", "string", "addr", "port", "addr", "port", "string"],
                 [["1700000009.0", "CZzz9", *ids, "READ_COILS"]])
    read = read_zeek([conn, modbus, dnp3, s7, cip, enip, orphan])
    flows = by_uid_port(read.table)
    assert flows[502]["ops"] == {"fc3": 1, "fc6": 1, "exception": 1, "fc90": 1, "plc_stop": 2, "cip_0x4c": 2,
                                 "send_rr_data": 1}
    assert flows[20000]["ops"] == {"fc1": 1, "fc129": 2, "fc5": 1}
    assert read.warnings == ["1 connection(s) in the protocol logs are not in any conn.log given; their operations "
                             "are not counted (pass the conn.log of the same Zeek run)"]


def test_gzip_and_detection_by_content(tmp_path):
    plain = tsv(tmp_path / "x.log", "conn", CONN_FIELDS, CONN_TYPES, CONNS)
    packed = tmp_path / "conn.09:00:00-10:00:00.log.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    plain.unlink()
    read = read_traffic([tmp_path])
    assert not read.errors and len(read.table) == 4 and read.kinds == {"zeek": [packed]}


def test_bad_rows_name_the_file_and_line(tmp_path):
    bad = [*CONNS[:2], ["1700000009.0", "CBad", "10.0.0.1", "not-a-port", "10.0.0.2", "80", "tcp", "-", "-", "-",
                        "-", "S0", "T", "F", "0", "S", "1", "60", "0", "0", "-"]]
    path = tsv(tmp_path / "conn.log", "conn", CONN_FIELDS, CONN_TYPES, bad)
    with pytest.raises(FlowTableError, match=r"conn.log: line 11: field id.orig_p: 'not-a-port' is not a port"):
        read_zeek([path])
    (tmp_path / "c2.log").write_text("#separator \\x09\n#path\tconn\n#fields\tts\tuid\n1\tx\n")
    with pytest.raises(FlowTableError, match=r"c2.log: line 3: #fields lacks id.orig_h, id.orig_p"):
        read_zeek([tmp_path / "c2.log"])
