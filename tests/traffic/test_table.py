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


H = "src,dst,l4,first_seen,packets,bytes"


@pytest.mark.parametrize(("text", "message"), [
    (f"{H}\n10.0.0.1,10.0.0.2,tcp,inf,1,1\n", "line 2: column first_seen: 'inf' is not an ISO 8601 time"),
    (f"{H}\n10.0.0.1,10.0.0.2,tcp,nan,1,1\n", "line 2: column first_seen: 'nan' is not"),
    (f"{H}\n10.0.0.1,10.0.0.2,tcp,1e300,1,1\n", "line 2: column first_seen: '1e300' is not"),
    (f"{H}\n10.0.0.1,10.0.0.2,tcp,-5,1,1\n", "line 2: column first_seen: '-5' is not"),
    (f"{H}\n10.0.0.1,10.0.0.2,tcp,0001-01-01T00:00:00,1,1\n", "line 2: column first_seen: '0001-01-01T00:00:00'"),
    (f"{H}\n10.0.0.1,10.0.0.2,tcp,1,99999999999999999999,1\n", "line 2: column packets: '99999999999999999999'"),
    (f"{H}\n10.0.0.1,10.0.0.2,tcp,1,+5,1\n", "line 2: column packets: '+5' is not a non-negative integer"),
    (f"{H}\n10.0.0.1,10.0.0.2,tcp,1,1_000,1\n", "line 2: column packets: '1_000' is not"),
    (f"{H},sport\n10.0.0.1,10.0.0.2,tcp,1,1,1,\u0665\n", "line 2: column sport: '\u0665' is not a port"),
    (f"{H},ops\n10.0.0.1,10.0.0.2,tcp,1,1,1,fc3=1;fc3=2\n", "line 2: column ops: 'fc3=1;fc3=2' is not"),
    (f"{H}\nzzz,10.0.0.2,tcp,1,1,1\n", "line 2: column src: 'zzz' is not an IP address"),
    (f"{H}\n00:11:22:33:44:55,10.0.0.2,tcp,1,1,1\n", "line 2: column src: '00:11:22:33:44:55' is not"),
    (f"{H},src\n10.0.0.1,10.0.0.2,tcp,1,1,1,10.0.0.3\n", "line 1: the header names src twice"),
    (f"{H}\n10.0.0.1,10.0.0.2,tcp,1,1\n", "line 2: 5 cells, the header has 6"),
    (f"{H}\n10.0.0.1,10.0.0.2,{'x' * 70000},1,1,1\n", "line 2: column l4: longer than 65536 characters"),
    (f"{H}\n10.0.0.1,10.0.0.2,t cp,1,1,1\n", "line 2: column l4: 't cp' is not a protocol name"),
    (f"{H}\n10.0.0.1,10.0.0.2,tcp,1,1,1\n{'x' * (5 << 20)}\n", "line 3: a line longer than 4 MiB"),
])
def test_every_csv_cell_is_checked(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(FlowTableError) as caught:
        read_csv_flows(path)
    assert str(caught.value).startswith(f"{path}: {message}"), str(caught.value)


def test_csv_that_is_not_utf8_or_not_csv(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(f"{H}\n10.0.0.1,10.0.0.2,tcp,1,1,1\n10.0.0.1,10.0.0.2,t\xffcp,1,1,1\n".encode("latin-1"))
    with pytest.raises(FlowTableError, match=r"bad.csv: line 3: not UTF-8 text"):
        read_csv_flows(path)
    path.write_text(f'{H}\n10.0.0.1,10.0.0.2,tcp,1,1,"{"x" * 200_000}"\n')
    with pytest.raises(FlowTableError, match=r"bad.csv: line 2: not CSV"):
        read_csv_flows(path)


def test_csv_of_non_ip_flows_reads_back(tmp_path):
    """A capture's flow table holds link addresses (or none) for traffic that is not IP: CSV keeps them."""
    path = tmp_path / "goose.csv"
    path.write_text(f"{H},sport,dport\n01:0C:CD:01:00:01,01-0c-cd-01-00-02,goose,1,3,300,,\n"
                    ",,link:147,1,1,60,,\n0a0b,0c0d,eth:0x88b6,1,1,60,,\n")
    got = list(rows(read_csv_flows(path)))
    assert [(r["src"], r["dst"], r["l4"], r["app"]) for r in got] == [
        ("01:0c:cd:01:00:01", "01:0c:cd:01:00:02", "goose", None), (None, None, "link:147", None),
        ("0a0b", "0c0d", "eth:0x88b6", None)]


def test_parquet_values_are_checked(tmp_path, table):
    arrow, _ = table
    for column, value, message in (("dport", 70000, "column dport: 70000 is not a port 0-65535"),
                                   ("packets", -1, "column packets: -1 is not a count"),
                                   ("first_seen", None, "column first_seen: null is not set")):
        bad = arrow.slice(0, 3)
        col = bad.column(column).to_pylist()
        col[1] = value
        typ = pa.int64() if column != "first_seen" else bad.schema.field(column).type
        bad = bad.set_column(bad.schema.get_field_index(column), column, pa.array(col, typ))
        pq.write_table(bad, tmp_path / "bad.parquet")
        with pytest.raises(FlowTableError) as caught:
            read_parquet(tmp_path / "bad.parquet")
        assert str(caught.value) == f"{tmp_path / 'bad.parquet'}: row 2: {message}" or \
            str(caught.value).startswith(f"{tmp_path / 'bad.parquet'}: row 2: {message}"), str(caught.value)


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
