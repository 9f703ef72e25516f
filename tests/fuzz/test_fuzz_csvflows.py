"""Fuzz target: CSV flows, read as `flows` and `traffic` read them, on mutations of the flow tables of real
captures (Modbus, S7comm, GOOSE and MMS from the shared data: IP and Ethernet-only conversations, ops)
written by `flows --format csv`, and of the hand-written CSV of the tests (epoch seconds, ISO 8601
with offsets, empty ports).

Whatever the bytes, the read ends with a flow table whose rows render, or with one error naming the
file and the line, within bounded time; never another exception. Inputs that once broke the reader
are kept in corpus/csvflows/ and replayed. A longer campaign:
`ZONEWARDEN_FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest tests/fuzz/test_fuzz_csvflows.py`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zonewarden.traffic.csvflows import csv_text
from zonewarden.traffic.flows import read_flows
from zonewarden.traffic.sources import read_traffic
from zonewarden.traffic.table import flows_to_arrow

from ..conftest import SHARED
from .flowcheck import read_cleanly
from .mutate import CAMPAIGN, budget, mutated

PCAPS = SHARED / "data" / "pcaps"
CAPTURES = ["ModbusTCP/ModbusTCP.pcap", "s7/s7comm_reading_plc_status.pcap", "IEC61850/GOOSE/GOOSE.pcap",
            "IEC61850/Sample_File_MMS_and_GOOSE.pcap"]
CORPUS = Path(__file__).parent / "corpus" / "csvflows"
HAND = [b"src,dst,l4,first_seen,packets,bytes,dport\n10.0.0.1,10.0.0.2,tcp,1700000000.5,3,180,502\n"
        b"10.0.0.1,2001:db8::1,UDP,2026-11-22T09:00:00+01:00,1,60,\n",
        b"\xef\xbb\xbffirst_seen,last_seen,src,dst,sport,dport,l4,app,ops,packets,bytes\r\n"
        b"2026-11-22T08:00:00Z,2026-11-22T08:00:05Z,10.0.0.5,10.0.0.9,50000,502,tcp,modbus,fc3=10;fc16=2,20,1500\r\n"
        b'"2026-11-22T08:00:01Z",,"10.0.0.5","10.0.0.7",,,icmp,,,1,98\r\n']
TOKENS = [b",", b'"', b'""', b"\n", b"\r\n", b"\r", b";", b"=", b"fc3=1", b"-1", b"65536", b"1e308", b"inf",
          b"nan", b"9999-12-31T23:59:59.999999Z", b"10000-01-01", b"1969-12-31T23:59:59Z", b"+01:00", b"::ffff:",
          b"255.255.255.255", b"00:00:5e:00:53:01", b"\xef\xbb\xbf", b"\xff", b"\x00", b"tcp", b"udp", b"goose",
          b"9223372036854775807", b"4611686018427387905", b"first_seen", b"src", b" ", b"\t", b"x" * 300]


def outcome(path: Path) -> None:
    """Read as `flows` does; see flowcheck.read_cleanly."""
    read_cleanly(path, unlocated=("not a capture (pcap, pcapng), Zeek log",))


@pytest.fixture(scope="module")
def seeds() -> list[bytes]:
    """The first conversations of each capture as `flows --format csv` writes them, and the hand-written CSV."""
    out = list(HAND)
    for name in CAPTURES:
        table = flows_to_arrow(read_flows([PCAPS / name])).slice(0, 12)
        out.append("".join(csv_text(table)).encode())
    return out


def fuzz(examples: int) -> settings:
    return settings(max_examples=budget(examples), deadline=None, derandomize=not CAMPAIGN, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


def test_the_seeds_read_and_hold_ip_and_ethernet_conversations(seeds, tmp_path):
    l4s = set()
    for i, data in enumerate(seeds):
        path = tmp_path / f"{i}.csv"
        path.write_bytes(data)
        read = read_traffic([path])
        assert not read.errors and len(read.table), (i, read.errors)
        l4s.update(read.table.column("l4").to_pylist())
    assert {"tcp", "udp", "goose"} <= l4s


@fuzz(1200)
@given(data=st.data())
def test_mutated_csv_flows_read_or_fail_cleanly(tmp_path_factory, seeds, data):
    path = tmp_path_factory.getbasetemp() / "flows.csv"
    path.write_bytes(data.draw(mutated(seeds, TOKENS)))
    outcome(path)


@pytest.mark.parametrize("case", sorted(CORPUS.glob("*")), ids=lambda p: p.name)
def test_regression_corpus(case, tmp_path):
    """Each file once crashed the reader or was read with a bad value in it; now it fails cleanly, saying where."""
    path = tmp_path / case.name
    path.write_bytes(case.read_bytes())
    outcome(path)
    assert read_traffic([path]).errors
