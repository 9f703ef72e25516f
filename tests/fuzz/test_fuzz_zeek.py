"""Fuzz targets: Zeek logs, TSV and JSON lines, conn.log and the protocol logs, read as `flows` reads them.

Seeds: Zeek's own logs of the Modbus and DNP3 captures that the shared data holds under bro/ (from Zeek's
test baselines, in corpus/zeek_tsv/seed-*), the test fixtures' logs, and their JSON forms (epoch and
ISO 8601 times). Whatever the bytes, the read ends with a flow table whose rows render, or with one
error naming the file and the line (the faults that have no line say so: an unreadable gzip, not a Zeek
log), within bounded time; never another exception, never a crash. Inputs that once broke the reader, or
were read with a bad value in them, are kept in corpus/zeek_tsv/ and corpus/zeek_json/ and replayed. A
longer campaign: `ZONEWARDEN_FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest tests/fuzz/test_fuzz_zeek.py`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zonewarden.traffic.sources import read_traffic

from ..traffic.test_zeek import CONN_FIELDS, CONN_TYPES, CONNS, tsv
from .flowcheck import read_cleanly
from .mutate import CAMPAIGN, budget, mutated

CORPUS = Path(__file__).parent / "corpus"
UNLOCATED = ("cannot read (", "not a capture (pcap, pcapng), Zeek log", "not a Zeek log")
TSV_TOKENS = [b"\t", b"-", b"(empty)", b"\n", b"\r", b"\r\n", b"#close\t2026-01-01-00-00-00\n", b"#fields\tts\n",
              b"#separator \\x2c\n", b"0x1f", b"65536", b"-1", b"1e400", b"nan", b"inf", b"::1", b"fe80::",
              b"256.1.1.1", b"9223372036854775808", b"udp", b"icmp", b"ssl,http", b"\xff\xfe", b"\x00",
              b"unknown-", b"0x", b"READ", b"1.5e3", b"  ", b"#"]
JSON_TOKENS = [b"{", b"}", b"[", b"]", b'"', b":", b",", b"null", b"true", b"1e999", b"-0", b"NaN",
               b'"id.orig_p":', b'"id.orig_h":"', b'"ts":', b'"uid":', b"\\u0000", b"\\ud800", b"\xff", b"\n",
               b"[" * 3000, b'{"a":' * 3000, b"99999999999999999999", b'"2026-01-01T00:00:00Z"', b"0.5"]


def outcome(path: Path, *others: Path) -> None:
    """Read as `flows` does; see flowcheck.read_cleanly."""
    read_cleanly(path, *others, unlocated=UNLOCATED)


def json_form(tsv_text: bytes, iso: bool = False) -> bytes:
    """A Zeek TSV log as Zeek's JSON writer writes it (types from `#types`, unset fields left out)."""
    lines = tsv_text.decode().splitlines()
    fields = next(x for x in lines if x.startswith("#fields")).split("\t")[1:]
    types = next(x for x in lines if x.startswith("#types")).split("\t")[1:]
    out = []
    for line in lines:
        if line.startswith("#"):
            continue
        record = {}
        for name, kind, value in zip(fields, types, line.split("\t"), strict=True):
            if value == "-":
                continue
            if kind in ("time", "interval", "double"):
                record[name] = float(value)
            elif kind in ("count", "port", "int"):
                record[name] = int(value)
            elif kind == "bool":
                record[name] = value == "T"
            else:
                record[name] = value
        if iso and "ts" in record:
            record["ts"] = dt.datetime.fromtimestamp(record["ts"], dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        out.append(json.dumps(record))
    return ("\n".join(out) + "\n").encode()


def tsv_seeds(tmp: Path) -> list[tuple[str, bytes]]:
    """(file name, bytes): Zeek's logs of the bro/ captures, and the test fixtures' conn.log and modbus.log."""
    seeds = [(p.name.removeprefix("seed-zeek-").split("-")[-1], p.read_bytes())
             for p in sorted((CORPUS / "zeek_tsv").glob("seed-*"))]
    fixture = tsv(tmp / "conn.log", "conn", CONN_FIELDS, CONN_TYPES, CONNS)
    seeds.append(("conn.log", fixture.read_bytes()))
    modbus = tsv(tmp / "modbus.log", "modbus", ["ts", "uid", "func", "exception"], ["time", "string", "string",
                                                                                      "string"],
                 [["1700000000.2", "CAbc1", "READ_HOLDING_REGISTERS", "-"],
                  ["1700000000.3", "CAbc1", "WRITE_SINGLE_REGISTER", "ILLEGAL_DATA_ADDRESS"]])
    seeds.append(("modbus.log", modbus.read_bytes()))
    return seeds


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, list[tuple[str, bytes]]]:
    tsv_ = tsv_seeds(tmp_path_factory.mktemp("seeds"))
    json_ = [(name.replace(".log", ".json.log"), json_form(data, iso)) for name, data in tsv_ for iso in (False, True)]
    json_.append(("cip.json.log", b'{"ts":1700000000.7,"uid":"CAbc1","cip_service_code":"0x4c"}\n'
                                  b'{"ts":1700000000.8,"uid":"CAbc1","cip_service_code":76}\n'))
    return {"tsv": tsv_, "json": json_}


def fuzz(examples: int) -> settings:
    """Hypothesis settings of a target: `examples` in the suite (about 20 s), a campaign's count outside it."""
    return settings(max_examples=budget(examples), deadline=None, derandomize=not CAMPAIGN, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


def test_the_seeds_are_zeek_logs_that_read(seeds, tmp_path):
    for kind in ("tsv", "json"):
        for name, data in seeds[kind]:
            path = tmp_path / name
            path.write_bytes(data)
            read = read_traffic([path])
            assert not read.errors and read.kinds == {"zeek": [path]}, (name, read.errors)
    assert any(name == "conn.log" and b"10.1.1.234" in data for name, data in seeds["tsv"])  # Zeek's own


def companion(tmp: Path, name: str, seeds: list[tuple[str, bytes]]) -> list[Path]:
    """A protocol log is read with a conn.log of the same run (its operations then join the flows)."""
    if name.startswith("conn"):
        return []
    conn_name, conn = next((n, d) for n, d in seeds if n.startswith("conn"))
    path = tmp / "run" / conn_name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(conn)
    return [path]


def read_mutated(tmp: Path, logs: list, tokens: list[bytes], data: st.DataObject) -> None:
    """One of `logs` mutated with `tokens`, read beside the other logs of its run (unchanged)."""
    name, seed = data.draw(st.sampled_from(logs))
    path = tmp / name
    path.write_bytes(data.draw(mutated([seed], tokens)))
    outcome(path, *companion(tmp, name, logs))


@fuzz(1000)
@given(data=st.data())
def test_mutated_zeek_tsv_logs_read_or_fail_cleanly(tmp_path_factory, seeds, data):
    read_mutated(tmp_path_factory.getbasetemp(), seeds["tsv"], TSV_TOKENS, data)


@fuzz(700)
@given(data=st.data())
def test_mutated_zeek_json_logs_read_or_fail_cleanly(tmp_path_factory, seeds, data):
    read_mutated(tmp_path_factory.getbasetemp(), seeds["json"], JSON_TOKENS, data)


@pytest.mark.parametrize("case", sorted([*(CORPUS / "zeek_tsv").glob("*"), *(CORPUS / "zeek_json").glob("*")]),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_regression_corpus(case, tmp_path):
    """Each file once crashed the reader, or was read with a bad value in it; now it reads or fails cleanly
    (a file named bad-* must fail, and say where)."""
    path = tmp_path / case.name.split("--")[-1]
    path.write_bytes(case.read_bytes())
    outcome(path)
    if case.name.startswith("bad-"):
        assert read_traffic([path]).errors
