"""Captures crafted to hurt the readers: blocks shorter than their own fields, timestamps that are no
date, nested CIP packets whose naive walk grows as count^depth, COTP data units that never end, DNP3
fragments that never end, IP fragments that never complete. Each ends in a located error or in
bounded work and memory, never in an unexpected exception."""

from __future__ import annotations

import datetime as dt
import os
import struct
import subprocess
import sys
import time
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zonewarden.traffic.capture import CaptureError, frames
from zonewarden.traffic.decoders.dnp3 import MAX_FRAGMENTS, Dnp3
from zonewarden.traffic.decoders.enip import cip_services
from zonewarden.traffic.decoders.s7comm import PDU_HEAD, S7comm
from zonewarden.traffic.flows import read_flows
from zonewarden.traffic.packet import MAX_FRAGMENT_BYTES, MAX_PARTS, Decoder

from . import pcapgen as gen
from .pcapgen import block, eth, ipv4, pcap, pcapng, tcp, tcp_stream

GOOD = eth(ipv4("10.0.0.1", "10.0.0.2", 6, tcp(40000, 502, 0x02)))
YEAR_20000_US = (dt.datetime(9999, 12, 31, tzinfo=dt.UTC) - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)).days \
    * 86400 * 1_000_000 * 2  # microseconds: about the year 20000


def one_good_packet(tmp_path, name: str = "a.pcapng") -> bytes:
    return pcapng(tmp_path / name, [(1, None)], [(0, 1_700_000_000_000_000, GOOD)]).read_bytes()


# --- pcapng: blocks shorter than their own fields, timestamps that are no date ------------------------------

SHORT_BLOCKS = {
    "enhanced packet, no fields": block(6, b""),
    "enhanced packet, half its fields": block(6, struct.pack("<III", 0, 0, 1)),
    "interface description, no fields": block(1, b""),
    "simple packet, no fields": block(3, b""),
    "obsolete packet, no fields": block(2, b"\0" * 8),
    "section header, no version": struct.pack("<III", 0x0A0D0D0A, 24, 0x1A2B3C4D) + bytes(8) + struct.pack("<I", 24),
}


@pytest.mark.parametrize("tail", list(SHORT_BLOCKS.values()), ids=list(SHORT_BLOCKS))
def test_a_block_shorter_than_its_fields_at_the_end_is_a_located_error(tmp_path, tail):
    head = one_good_packet(tmp_path)
    path = tmp_path / "short.pcapng"
    path.write_bytes(head + tail)
    table = read_flows([path])
    [e] = table.errors
    assert isinstance(e, CaptureError) and e.offset == len(head) and str(path) in str(e)
    assert sum(f.packets for f in table.flows.values()) == 1  # what came before stands


@pytest.mark.parametrize(("resolution", "ticks"), [
    (None, YEAR_20000_US),  # microseconds: the year 20000
    (None, 2**64 - 1),  # the largest 64-bit count of microseconds
    (0, 2**40),  # if_tsresol 0: seconds
    (0x80 | 0, 2**63),  # 2^0: seconds too
])
def test_a_timestamp_that_is_no_date_is_a_located_error(tmp_path, resolution, ticks):
    path = pcapng(tmp_path / "t.pcapng", [(1, resolution)], [(0, 1_700_000_000, GOOD), (0, ticks, GOOD)])
    first_packet = 28 + 20 + (12 if resolution is not None else 0)  # section header, interface description
    second_packet = first_packet + 32 + len(GOOD) + -len(GOOD) % 4
    table = read_flows([path])
    [e] = table.errors
    assert isinstance(e, CaptureError) and e.offset == second_packet
    assert sum(f.packets for f in table.flows.values()) == 1
    [flow] = table.flows.values()
    flow.as_dict()  # the packet that was read has a date


@pytest.mark.parametrize(("resolution", "ticks", "ns"), [
    (9, 2**64 - 1, 2**64 - 1),  # nanoseconds: a 64-bit count is the year 2554, a date
    (12, 2**64 - 1, (2**64 - 1) // 1000),  # picoseconds: finer than we keep
    (0x80 | 20, 3 << 20, 3 * 10**9),  # 2^-20 seconds
    (0, 1_700_000_000, 1_700_000_000 * 10**9),  # seconds
])
def test_pcapng_timestamp_resolutions(tmp_path, resolution, ticks, ns):
    path = pcapng(tmp_path / "r.pcapng", [(1, resolution)], [(0, ticks, GOOD)])
    assert [f.ts_ns for f in frames(path)] == [ns]
    table = read_flows([path])
    assert not table.errors
    [flow] = table.flows.values()
    assert flow.as_dict()["first_seen"].startswith(
        dt.datetime.fromtimestamp(ns // 10**9, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"))


def test_an_option_longer_than_its_block_is_ignored(tmp_path):
    idb = block(1, struct.pack("<HHI", 1, 0, 0) + struct.pack("<HHB3x", 9, 200, 9))  # if_tsresol claims 200 bytes
    data = pcapng(tmp_path / "a.pcapng", [], []).read_bytes() + idb + block(
        6, struct.pack("<IIIII", 0, 0, 5, len(GOOD), len(GOOD)) + GOOD)
    path = tmp_path / "o.pcapng"
    path.write_bytes(data)
    assert [f.ts_ns for f in frames(path)] == [5000]  # the default resolution, microseconds


@pytest.mark.parametrize("case", ["short block", "year 20000"])
def test_the_cli_says_one_line_and_exits_2(tmp_path, case):
    if case == "short block":
        path = tmp_path / "short.pcapng"
        path.write_bytes(one_good_packet(tmp_path) + block(6, b""))
    else:
        path = pcapng(tmp_path / "y.pcapng", [(1, None)], [(0, YEAR_20000_US, GOOD)])
    res = subprocess.run([sys.executable, "-m", "zonewarden.cli", "flows", str(path), "--format", "json"],
                         capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "300"})
    assert res.returncode == 2, res.stderr
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and str(path) in lines[0] and "at byte" in lines[0] and "Traceback" not in res.stderr


# --- EtherNet/IP: nested Multiple Service Packets ----------------------------------------------------------

def enip_capture(tmp_path, cip: bytes):
    stream = tcp_stream("10.0.0.1", "10.0.0.2", 40000, 44818, [(True, gen.enip_rr_data(cip))])
    return pcap(tmp_path / "enip.pcap", stream)


def test_a_790_byte_frame_of_nested_multiple_service_packets_reads_in_well_under_a_second(tmp_path):
    """67 offsets per packet, all pointing at one nested packet, five deep: the naive walk visits
    67^5 (1.35 billion) messages, about 27 minutes; the walk is bounded by the message's size."""
    path = enip_capture(tmp_path, gen.nested_msp(67, size=696))
    assert max(len(f.data) for f in frames(path)) == 790
    t = time.process_time()
    table = read_flows([path])
    elapsed = time.process_time() - t
    assert elapsed < 0.5, elapsed
    [flow] = table.flows.values()
    assert flow.ops["send_rr_data"] == 1 and flow.ops["cip_0x0a"] >= 1
    assert sum(flow.ops.values()) <= 696


def naive(msg: bytes, depth: int = 0) -> list[int]:
    """Every service of a well-formed (request) packet, walked without a bound: what the bound must keep."""
    if len(msg) < 2 or depth > 4:
        return []
    out = [msg[0] & 0x7F]
    data = msg[2 + 2 * msg[1]:]
    if msg[0] == 0x0A and len(data) >= 2:
        count = struct.unpack_from("<H", data)[0]
        offsets = [*struct.unpack_from(f"<{count}H", data, 2), len(data)]
        for i in range(count):
            out += naive(data[offsets[i]:offsets[i + 1] if offsets[i + 1] > offsets[i] else len(data)], depth + 1)
    return out


def msp(services: list[bytes]) -> bytes:
    """A Multiple Service Packet (request, empty path) as an encoder writes one: each service once, in order."""
    offsets, at = [], 2 + 2 * len(services)
    for service in services:
        offsets.append(at)
        at += len(service)
    return b"\x0a\x00" + struct.pack(f"<{len(services) + 1}H", len(services), *offsets) + b"".join(services)


LEAVES = st.sampled_from([b"\x4c\x00\x01\x00", b"\x4d\x02\x20\x6b\x24\x01\x00\x00", b"\x0e\x00", b"\x52\x00"])


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.recursive(LEAVES, lambda inner: st.lists(inner, min_size=1, max_size=12).map(msp), max_leaves=120))
def test_well_formed_multiple_service_packets_are_counted_in_full(msg):
    assert sorted(cip_services(msg)) == sorted(naive(msg))


# --- S7comm: COTP data units that never mark the end of their TSDU --------------------------------------------

S7_READ_JOB = bytes([0x32, 1, 0, 0, 0, 1, 0, 2, 0, 0, 0x04, 0x01])  # header, param length 2, read_var, one item


def test_a_cotp_stream_without_end_of_tsdu_stays_within_a_bounded_buffer():
    ops: dict[str, int] = {}
    s7 = S7comm(ops)
    unit = gen.cotp_data(b"\x00" * 1900, last=False)
    tracemalloc.start()
    try:
        s7.feed(gen.cotp_data(S7_READ_JOB, last=False), False, True)
        for _ in range(5000):  # 9.5 MB of one TSDU that never ends
            s7.feed(unit, False, True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 256 * 1024, peak
    assert len(s7.tsdu[True].head) == PDU_HEAD and s7.tsdu[True].size == len(S7_READ_JOB) + 5000 * 1900
    assert not s7.buffers[True] and ops == {}
    s7.feed(gen.cotp_data(b"\x00" * 10, last=True), False, True)  # the end, at last: the PDU counts once
    assert ops == {"read_var": 1} and s7.tsdu[True].size == 0


def test_a_tsdu_in_several_data_units_is_read_from_its_head(tmp_path):
    parts = [gen.cotp_data(S7_READ_JOB[:5], False), gen.cotp_data(S7_READ_JOB[5:] + bytes(20), False),
             gen.cotp_data(bytes(30), True)]
    path = pcap(tmp_path / "s7.pcap", tcp_stream("10.0.0.1", "10.0.0.2", 40000, 102, [(True, p) for p in parts]))
    [flow] = read_flows([path]).flows.values()
    assert flow.ops == {"read_var": 1}


# --- DNP3: fragments that never end ------------------------------------------------------------------------

def test_dnp3_fragments_that_never_end_stay_bounded():
    ops: dict[str, int] = {}
    dnp3 = Dnp3(ops)
    for i in range(3000):  # a first segment for each of 3000 address pairs, none ever final
        dnp3.feed(gen.dnp3_link(0x40, b"\xc0\x01" + bytes(200), dst=i), False, True)
        for _ in range(3):
            dnp3.feed(gen.dnp3_link(0x00, bytes(240), dst=i), False, True)
    assert len(dnp3.fragments) <= MAX_FRAGMENTS and all(len(f) <= 2 for f in dnp3.fragments.values())
    dnp3.feed(gen.dnp3_link(0x80, bytes(10), dst=2999), False, True)  # the last pair's final segment
    assert ops == {"fc1": 1}


# --- IP fragments that never complete ----------------------------------------------------------------------

def raw_fragment(ident: int, offset: int, more: bool, payload: bytes) -> memoryview:
    return memoryview(ipv4("10.0.0.1", "10.0.0.2", 17, payload, ident=ident, frag=(0x2000 if more else 0) | offset))


def test_ip_fragments_that_never_complete_stay_within_their_budget():
    decoder = Decoder()
    for ident in range(15000):  # 21 MB of first fragments whose datagrams never complete
        decoder.decode(101, raw_fragment(ident, 0, True, bytes(1400)))
        assert decoder.fragment_bytes <= MAX_FRAGMENT_BYTES
    assert decoder.stats["dropped fragmented datagrams"] >= 15000 - MAX_FRAGMENT_BYTES // 1400


def test_a_datagram_past_64k_or_in_too_many_pieces_is_dropped():
    decoder = Decoder()
    assert decoder.decode(101, raw_fragment(1, 8190, False, bytes(100))) is None  # ends past 65535
    for i in range(MAX_PARTS + 5):  # tiny fragments with holes between them
        decoder.decode(101, raw_fragment(2, 2 * i, True, bytes(8)))
    assert decoder.stats["dropped fragmented datagrams"] == 2 and decoder.fragment_bytes < MAX_PARTS * 8
    whole = gen.udp(5000, 20000, bytes(range(40)))  # what is within bounds still reassembles
    decoder.decode(101, raw_fragment(3, 3, False, whole[24:]))
    packet = decoder.decode(101, raw_fragment(3, 0, True, whole[:24]))
    assert packet is not None and bytes(packet.payload) == bytes(range(40))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "live.pcap"
    os.mkfifo(fifo)
    with pytest.raises(CaptureError) as e:
        list(frames(fifo))
    assert e.value.path == str(fifo) and e.value.offset is None


def test_flows_of_a_fifo_is_an_error_not_a_wait(tmp_path):
    """Telling a file's kind opens it; a FIFO named as traffic must be refused before that open blocks."""
    import os

    from zonewarden.traffic.sources import read_traffic

    fifo = tmp_path / "live.pcap"
    os.mkfifo(fifo)
    read = read_traffic([fifo])
    assert len(read.errors) == 1 and "not a regular file" in str(read.errors[0])
