"""The Arrow flow table and its file forms: CSV flows and parquet round-trip the JSON contract, and
bad files are refused with the file, line and column."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from zonewarden.traffic.csvflows import csv_text, read_csv_flows
from zonewarden.traffic.flows import read_flows
from zonewarden.traffic.sources import read_traffic
from zonewarden.traffic.table import FlowTableError, flows_to_arrow, read_parquet, rows, write_parquet

from ..conftest import SHARED

MODBUS = SHARED / "data" / "pcaps" / "ModbusTCP"


@pytest.fixture(scope="module")
def table():
    flows = read_flows(sorted(MODBUS.rglob("*.pcap")))
    return flows_to_arrow(flows), flows


def test_arrow_rows_are_the_json_contract(table):
    arrow, flows = table
    assert [r for r in rows(arrow)] == [f.as_dict() for f in flows]


def test_csv_and_parquet_round_trip(tmp_path, table):
    arrow, _ = table
    csv_path = tmp_path / "flows.csv"
    csv_path.write_text("".join(csv_text(arrow)))
    assert list(rows(read_csv_flows(csv_path))) == list(rows(arrow))
    write_parquet(arrow, tmp_path / "flows.parquet")
    assert list(rows(read_parquet(tmp_path / "flows.parquet"))) == list(rows(arrow))
    assert not list(tmp_path.glob(".*tmp")), "the atomic write leaves no temporary file"


def test_minimal_csv_with_epoch_seconds_and_offsets(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("src,dst,l4,first_seen,packets,bytes,dport\n"
                    "10.0.0.1,10.0.0.2,tcp,1700000000.5,3,180,502\n"
                    "10.0.0.1,2001:db8::1,UDP,2026-11-22T09:00:00+01:00,1,60,\n")
    a, b = rows(read_csv_flows(path))
    assert (a["first_seen"], a["last_seen"], a["dport"], a["app"], a["ops"]) == (
        "2023-11-14T22:13:20.500000Z", "2023-11-14T22:13:20.500000Z", 502, "tcp", {})
    assert (b["first_seen"], b["l4"], b["dport"], b["packets_fwd"]) == (
        "2026-11-22T08:00:00.000000Z", "udp", None, None)


@pytest.mark.parametrize(("text", "message"), [
    ("src,dst,l4,packets\n", "line 1: the header lacks the column(s) first_seen, bytes"),
    ("src,dst,l4,first_seen,packets,bytes\n10.0.0.1,10.0.0.2,tcp,1,1,1\n10.0.0.1,10.0.0.x,tcp,1,1,1\n",
     "line 3: column dst: '10.0.0.x' is not an IP address"),
    ("src,dst,l4,first_seen,packets,bytes,sport\n10.0.0.1,10.0.0.2,tcp,1,1,1,70000\n",
     "line 2: column sport: '70000' is not a port 0-65535"),
    ("src,dst,l4,first_seen,packets,bytes,ops\n10.0.0.1,10.0.0.2,tcp,1,1,1,fc3\n",
     "line 2: column ops: 'fc3' is not name=count pairs"),
    ("src,dst,l4,first_seen,packets,bytes\n10.0.0.1,10.0.0.2,tcp,yesterday,1,1\n",
     "line 2: column first_seen: 'yesterday' is not an ISO 8601 time"),
])
def test_bad_csv_is_one_located_error(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(FlowTableError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_csv_flows(path)


def test_foreign_parquet_is_refused_by_name(tmp_path):
    pq.write_table(pa.table({"src": ["10.0.0.1"], "packets": [1]}), tmp_path / "other.parquet")
    with pytest.raises(FlowTableError, match="not a zonewarden flow table: no column first_seen"):
        read_parquet(tmp_path / "other.parquet")


def test_mixed_inputs_and_unknown_files(tmp_path, table):
    arrow, _ = table
    write_parquet(arrow, tmp_path / "saved.parquet")
    (tmp_path / "notes.csv").write_text("just,some,text\n")
    capture = next(MODBUS.rglob("*.pcap"))
    read = read_traffic([tmp_path / "saved.parquet", capture, tmp_path / "notes.csv"])
    assert [str(e) for e in read.errors] == [
        f"{tmp_path / 'notes.csv'}: not a capture (pcap, pcapng), Zeek log, CSV flows or parquet flow table"]
    assert len(read.table) == len(arrow) + len(read_flows([capture]).flows)
