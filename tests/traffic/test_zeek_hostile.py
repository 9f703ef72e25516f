"""Zeek logs that are not what Zeek writes: every value the flow table takes is checked, and a bad header
line, value, line or nesting is one error naming the file, the line and the field, never a crash."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import pytest

from zonewarden.traffic.table import FlowTableError, rows
from zonewarden.traffic.zeek import read_zeek

from .test_zeek import CONN_FIELDS, CONN_TYPES, CONNS, jsonl, tsv

HEADER_LINES = 8  # tsv() writes 8 header lines: the first row is line 9


def with_cell(row: int, field: str, value: str) -> list[list[str]]:
    rows_ = [list(r) for r in CONNS]
    rows_[row][CONN_FIELDS.index(field)] = value
    return rows_


def refused(path, pattern: str) -> str:
    with pytest.raises(FlowTableError) as caught:
        read_zeek([path])
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    assert pattern in message, message
    assert "\n" not in message
    return message


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("id.orig_h", "zzz", "field id.orig_h: 'zzz' is not an IP address"),
    ("id.resp_h", "10.0.0.256", "field id.resp_h: '10.0.0.256' is not an IP address"),
    ("id.resp_h", "-", "field id.resp_h: unset, expected an IP address"),
    ("id.orig_p", "70000", "field id.orig_p: 70000 is not a port 0-65535"),
    ("id.resp_p", "-1", "field id.resp_p: -1 is not a port 0-65535"),
    ("orig_pkts", "-5", "field orig_pkts: -5 is not a count"),
    ("resp_ip_bytes", "99999999999999999999", "field resp_ip_bytes: 99999999999999999999 is not a count"),
    ("ts", "nan", "field ts: nan is not epoch seconds"),
    ("ts", "-1", "field ts: -1.0 is not epoch seconds"),
    ("ts", "1e300", "field ts: 1e+300 is not epoch seconds"),
    ("duration", "-2.5", "field duration: -2.5 is not a duration"),
    ("duration", "253402300000", "field duration: 253402300000.0 ends the connection after"),
    ("proto", "sctp", "field proto: 'sctp' is not a transport protocol"),
    ("uid", "C" * 70000, "field uid: 70000 bytes, longer than 65536"),
])
def test_a_bad_value_is_refused_with_its_line_and_field(tmp_path, field, value, expected):
    for row in (0, 3):
        path = tsv(tmp_path / f"conn{row}.log", "conn", CONN_FIELDS, CONN_TYPES, with_cell(row, field, value))
        refused(path, f"line {HEADER_LINES + 1 + row}: {expected}")


def test_json_values_are_checked_like_tsv(tmp_path):
    for field, value, expected in (("id.orig_h", "zzz", "field id.orig_h: 'zzz' is not an IP address"),
                                   ("id.orig_p", "80", 'field id.orig_p: "80" is not a port 0-65535'),
                                   ("orig_pkts", -1, "field orig_pkts: -1 is not a count"),
                                   ("uid", 5, "field uid: 5 is not text"),
                                   ("ts", "yesterday", 'field ts: "yesterday" is not epoch seconds')):
        path = jsonl(tmp_path / "conn.json.log", CONN_FIELDS, CONNS)
        lines = path.read_text().splitlines()
        record = json.loads(lines[2])
        record[field] = value
        lines[2] = json.dumps(record)
        path.write_text("\n".join(lines) + "\n")
        refused(path, f"line 3: {expected}")


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda t: t.replace("#separator \\x09", "#separator \\xZZ"), "line 1: '#separator \\\\xZZ': expected"),
    (lambda t: t.replace("#separator \\x09", "#separator \\x0a"), "line 1: '#separator \\\\x0a': expected"),
    (lambda t: "\n".join(x for x in t.splitlines() if not x.startswith("#fields")) + "\n",
     "a Zeek TSV log needs its '#fields' header"),
    (lambda t: t.replace("\tset[string]\n", "\n"), "line 8: #types has 20 entries for 21 fields"),
    (lambda t: t.replace("\ttunnel_parents", "\tuid"), "line 7: #fields: 'uid' appears twice"),
    (lambda t: t.replace("#path\tconn", "#path\t" + "x" * (5 << 20)), "line 5: a header line longer than 4 MiB"),
])
def test_a_bad_header_line_is_located(tmp_path, edit, expected):
    path = tsv(tmp_path / "conn.log", "conn", CONN_FIELDS, CONN_TYPES, CONNS)
    path.write_text(edit(path.read_text()))
    refused(path, expected)


def test_bad_lines_are_located(tmp_path):
    path = tsv(tmp_path / "conn.log", "conn", CONN_FIELDS, CONN_TYPES, CONNS)
    lines = path.read_text().splitlines()
    cases = [
        ("a\tb", "line 10: 2 fields, expected 21"),
        ("x" * (5 << 20), "line 10: a line longer than 4 MiB"),
        ("#fields\tts\tuid", "line 10: a '#fields' line that differs from the header's"),
        (lines[9].replace("CDef2", "CD\ref2"), "line 10: a carriage return inside the line"),
    ]
    for line, expected in cases:
        path.write_text("\n".join([*lines[:9], line, *lines[10:]]) + "\n")
        refused(path, expected)
    path.write_bytes("\n".join(lines).replace("CAbc1", "C\udcff").encode("utf-8", "surrogateescape"))
    refused(path, "line 9: field uid: not UTF-8")


def test_what_zeek_may_write_is_read(tmp_path):
    """Windows line ends, blank lines, a log appended to a log of the same kind, an empty log, gzip."""
    path = tsv(tmp_path / "conn.log", "conn", CONN_FIELDS, CONN_TYPES, CONNS)
    expected = list(rows(read_zeek([path]).table))
    text = path.read_text()
    lines = text.splitlines()
    variants = {
        "crlf.log": text.replace("\n", "\r\n"),
        "blank.log": "\n".join([*lines[:10], "", "", *lines[10:]]) + "\n",
        "twice.log": "\n".join([*lines[:10], "#close\t2026", *lines[:8], *lines[10:]]) + "\n",
    }
    for name, content in variants.items():
        (tmp_path / name).write_text(content)
        assert list(rows(read_zeek([tmp_path / name]).table)) == expected, name
    (tmp_path / "packed.log").write_bytes(gzip.compress(text.encode()))
    assert list(rows(read_zeek([tmp_path / "packed.log"]).table)) == expected
    (tmp_path / "empty.log").write_text("\n".join(lines[:8]) + "\n#close\t2026\n")
    assert len(read_zeek([tmp_path / "empty.log"]).table) == 0


def test_a_gzip_log_is_checked_and_a_cut_one_refused(tmp_path):
    path = tmp_path / "conn.log"
    tsv(path, "conn", CONN_FIELDS, CONN_TYPES, with_cell(2, "id.orig_h", "1.2.3.999"))
    packed = gzip.compress(path.read_bytes())
    path.write_bytes(packed)
    refused(path, "line 11: field id.orig_h: '1.2.3.999' is not an IP address")
    path.write_bytes(packed[:-30])
    refused(path, "cannot read")


def deep(levels: int) -> str:
    """A conn record with a field nested `levels` deep (one the flow table does not take)."""
    return ('{"ts":1700000000.5,"uid":"CDeep","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2",'
            '"id.resp_p":2,"proto":"tcp","deep":' + "[" * levels + "]" * levels + "}")


def test_json_nested_deep_is_refused_before_arrow_sees_it(tmp_path):
    """Arrow's JSON parser recurses: 100,000 levels overflow its stack (SIGSEGV). Lines short enough to nest
    only a few thousand levels, which it parses safely, are let through; longer ones are measured."""
    path = jsonl(tmp_path / "conn.json.log", CONN_FIELDS, CONNS)
    lines = path.read_text().splitlines()
    for levels in (100, 1000):
        path.write_text("\n".join([*lines[:2], deep(levels), *lines[2:]]) + "\n")
        assert len(read_zeek([path]).table) == 5
    for levels in (2100, 100_000):
        path.write_text("\n".join([*lines[:2], deep(levels), *lines[2:]]) + "\n")
        refused(path, "line 3: JSON nested more than 64 levels deep")
    path.write_bytes(gzip.compress(path.read_bytes()))
    refused(path, "line 3: JSON nested more than 64 levels deep")


def test_json_lines_that_are_not_records(tmp_path):
    path = jsonl(tmp_path / "conn.json.log", CONN_FIELDS, CONNS)
    lines = path.read_text().splitlines()
    for line, expected in (("[1,2]", "line 2: not a JSON object"), ('{"ts": 1,', "line 2: not JSON"),
                           (lines[0].replace("1700000000.123456", "NaN"), "line 2: not JSON")):
        path.write_text("\n".join([lines[0], line, *lines[1:]]) + "\n")
        refused(path, expected)
    path.write_bytes(b"\n".join([lines[0].encode(), lines[1].encode().replace(b"CDef2", b"C\xff")]) + b"\n")
    refused(path, "line 2: not UTF-8")


def test_json_times_agree_with_the_first_record(tmp_path):
    path = jsonl(tmp_path / "conn.json.log", CONN_FIELDS, CONNS, iso=True)
    assert len(read_zeek([path]).table) == 4
    lines = path.read_text().splitlines()
    record = json.loads(lines[1])
    record["ts"] = "2026-01-01T00:00:00"  # no zone
    path.write_text("\n".join([lines[0], json.dumps(record), *lines[2:]]) + "\n")
    refused(path, "line 2: field ts: \"2026-01-01T00:00:00\" is not ISO 8601 text with a zone")


def test_protocol_logs_refuse_bad_codes_and_missing_uids(tmp_path):
    conn = tsv(tmp_path / "conn.log", "conn", CONN_FIELDS, CONN_TYPES, CONNS)
    cip = jsonl(tmp_path / "cip.log", ["ts", "uid", "cip_service_code"],
                [["1700000000.7", "CAbc1", "0x4c"], ["1700000000.8", "CAbc1", "zz"]])
    with pytest.raises(FlowTableError, match=r"cip.log: line 2: field cip_service_code: 'zz' is not a code"):
        read_zeek([conn, cip])
    modbus = tsv(tmp_path / "modbus.log", "modbus", ["ts", "uid", "func"], ["time", "string", "string"],
                 [["1700000000.2", "-", "READ_COILS"]])
    with pytest.raises(FlowTableError, match=r"modbus.log: line 9: field uid: unset is not a connection uid"):
        read_zeek([conn, modbus])
    modbus.write_text(modbus.read_text().replace("\t-\t", "\tCAbc1\t").replace("READ_COILS", "unknown-zz"))
    with pytest.raises(FlowTableError, match=r"modbus.log: line 9: field func: 'unknown-zz' is not a code"):
        read_zeek([conn, modbus])


def test_the_cli_says_it_in_one_line_with_exit_2(tmp_path):
    path = jsonl(tmp_path / "conn.json.log", CONN_FIELDS, CONNS)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], deep(100_000), *lines[1:]]) + "\n")
    done = subprocess.run([sys.executable, "-m", "zonewarden.cli", "flows", str(path)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [f"error: {path}: line 2: JSON nested more than 64 levels deep"]


def test_an_abandoned_readahead_never_waits_for_its_thread():
    """A reader that stops early leaves `_ahead` to the garbage collector, which may finalise it inside another
    thread's start while threading holds its locks: the finaliser must not join (it deadlocked the test suite)."""
    import threading
    import time

    from zonewarden.traffic.zeek import _ahead

    release = threading.Event()

    def pieces():
        yield b"first"
        release.wait(30)  # the read ahead blocks here until the test lets it go
        yield b"second"

    reader = _ahead(pieces())
    assert next(reader) == b"first"
    started = time.monotonic()
    reader.close()  # what the collector does to an abandoned generator
    assert time.monotonic() - started < 2
    release.set()
