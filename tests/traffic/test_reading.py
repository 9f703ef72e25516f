"""Capture readers and packet layers on captures we write byte by byte, so every field is known."""

from __future__ import annotations

import struct

import pytest

from zonewarden.traffic.capture import CaptureError, frames
from zonewarden.traffic.flows import read_flows

from .pcapgen import eth, ipv4, ipv6, pcap, pcapng, tcp, udp

SYN, SYNACK, ACK = 0x02, 0x12, 0x10


def one_flow(path):
    table = read_flows([path])
    assert not table.errors, table.errors
    [flow] = table.flows.values()
    return flow.as_dict()


@pytest.mark.parametrize(("nano", "big_endian"), [(False, False), (True, False), (False, True), (True, True)])
def test_pcap_variants_give_the_same_timestamps(tmp_path, nano, big_endian):
    data = eth(ipv4("10.0.0.1", "10.0.0.2", 17, udp(1000, 2000)))
    path = pcap(tmp_path / "a.pcap", [(1700000000.25, data), (1700000001.5, data)], nano=nano, big_endian=big_endian)
    ts = [f.ts_ns for f in frames(path)]
    assert ts == [1_700_000_000_250_000_000, 1_700_000_001_500_000_000]


def test_pcapng_interfaces_with_their_own_link_type_and_resolution(tmp_path):
    e = eth(ipv4("10.0.0.1", "10.0.0.2", 6, tcp(40000, 502)))
    raw = ipv4("10.0.0.1", "10.0.0.2", 6, tcp(40000, 502))
    path = pcapng(tmp_path / "a.pcapng", [(1, None), (101, 9)],  # microseconds; nanoseconds (10^-9)
                  [(0, 1_700_000_000_000_000, e), (1, 1_700_000_000_500_000_000, raw)])
    got = [(f.linktype, f.ts_ns) for f in frames(path)]
    assert got == [(1, 1_700_000_000_000_000_000), (101, 1_700_000_000_500_000_000)]
    flow = one_flow(path)
    assert (flow["packets"], flow["app"], flow["src"], flow["dport"]) == (2, "modbus", "10.0.0.1", 502)


def test_vlan_qinq_cooked_loopback_and_raw_ip_all_reach_the_transport(tmp_path):
    ip = ipv4("10.0.0.1", "10.0.0.2", 17, udp(1000, 47808))
    sll1 = struct.pack("!HHH8sH", 0, 1, 6, bytes(8), 0x0800) + ip
    sll2 = struct.pack("!HHIHBB8s", 0x0800, 0, 1, 1, 0, 6, bytes(8)) + ip
    cases = [(1, eth(ip, vlans=(10,))), (1, eth(ip, vlans=(100, 10))), (113, sll1), (276, sll2),
             (0, struct.pack("<I", 2) + ip), (0, struct.pack(">I", 2) + ip), (108, struct.pack(">I", 2) + ip),
             (101, ip), (228, ip)]
    for i, (linktype, frame) in enumerate(cases):
        flow = one_flow(pcap(tmp_path / f"{i}.pcap", [(1.0, frame)], linktype=linktype))
        assert (flow["l4"], flow["sport"], flow["dport"], flow["app"]) == ("udp", 1000, 47808, "bacnet"), linktype


def test_ipv4_fragments_are_reassembled_and_counted_once(tmp_path):
    payload = udp(5000, 20000, bytes(range(40)))  # 48 bytes: 24 + 24
    first = ipv4("10.0.0.1", "10.0.0.2", 17, payload[:24], ident=7, frag=0x2000)
    last = ipv4("10.0.0.1", "10.0.0.2", 17, payload[24:], ident=7, frag=3)  # offset 24 = 3 * 8
    flow = one_flow(pcap(tmp_path / "f.pcap", [(1.0, eth(last)), (1.1, eth(first))]))  # out of order
    assert (flow["packets"], flow["dport"], flow["app"]) == (1, 20000, "dnp3")
    table = read_flows([pcap(tmp_path / "g.pcap", [(1.0, eth(first))])])  # the rest never comes
    assert table.flows == {}


def test_ipv6_extension_headers_are_walked(tmp_path):
    hop = bytes([6, 0]) + bytes(6)  # hop-by-hop options, next header TCP
    frame = eth(ipv6(1, 2, 0, hop + tcp(40000, 4840)), ethertype=0x86DD)
    flow = one_flow(pcap(tmp_path / "v6.pcap", [(1.0, frame)]))
    assert (flow["src"], flow["dst"], flow["l4"], flow["app"]) == ("::1", "::2", "tcp", "opcua")


def test_non_ip_traffic_is_keyed_by_mac_and_named_by_ethertype(tmp_path):
    flow = one_flow(pcap(tmp_path / "goose.pcap", [(1.0, eth(bytes(20), ethertype=0x88B8, src=5, dst=9))]))
    assert (flow["l4"], flow["src"], flow["dst"], flow["sport"]) == ("goose", "02:00:00:00:00:05",
                                                                     "02:00:00:00:00:09", None)


def test_initiator_is_the_syn_sender_or_the_client_side(tmp_path):
    syn_ack_first = [(1.0, eth(ipv4("10.0.0.2", "10.0.0.1", 6, tcp(502, 40000, SYNACK)))),
                     (1.1, eth(ipv4("10.0.0.1", "10.0.0.2", 6, tcp(40000, 502, ACK))))]
    f = one_flow(pcap(tmp_path / "a.pcap", syn_ack_first))
    assert (f["src"], f["sport"], f["dport"], f["packets_fwd"], f["packets_rev"]) == ("10.0.0.1", 40000, 502, 1, 1)
    mid_stream = [(1.0, eth(ipv4("10.0.0.2", "10.0.0.1", 6, tcp(102, 40001, ACK))))]
    f = one_flow(pcap(tmp_path / "b.pcap", mid_stream))
    assert (f["src"], f["dport"], f["app"]) == ("10.0.0.1", 102, "s7comm")


def test_bogus_ip_version_is_not_a_packet(tmp_path):
    table = read_flows([pcap(tmp_path / "x.pcap", [(1.0, eth(ipv4("1.1.1.1", "2.2.2.2", 6, tcp(1, 2), version=2)))])])
    assert table.flows == {} and table.decoder.stats == {"bogus IPv4 header": 1}


GOOD = eth(ipv4("10.0.0.1", "10.0.0.2", 6, tcp(40000, 502, SYN)))


def test_truncated_mid_record_keeps_what_was_read(tmp_path):
    path = pcap(tmp_path / "t.pcap", [(1.0, GOOD), (2.0, GOOD)])
    path.write_bytes(path.read_bytes()[:-10])
    table = read_flows([path])
    [e] = table.errors
    assert "truncated record" in str(e) and e.offset == 24 + 16 + len(GOOD)
    assert sum(f.packets for f in table.flows.values()) == 1


@pytest.mark.parametrize(("content", "message"), [
    (b"", "the file is empty"),
    (b"NOTAPCAPFILE" + bytes(40), "not a pcap or pcapng file"),
    (b"\xd4\xc3\xb2\xa1" + bytes(10), "file header is 24 bytes"),
])
def test_unreadable_files_say_why(tmp_path, content, message):
    path = tmp_path / "bad.pcap"
    path.write_bytes(content)
    with pytest.raises(CaptureError, match=message):
        list(frames(path))


def test_a_record_claiming_2_gb_is_corruption_not_an_allocation(tmp_path):
    path = pcap(tmp_path / "big.pcap", [(1.0, GOOD)])
    path.write_bytes(path.read_bytes() + struct.pack("<IIII", 3, 0, 2**31, 2**31))
    table = read_flows([path])
    [e] = table.errors
    assert "claims 2147483648 bytes" in str(e)
    assert sum(f.packets for f in table.flows.values()) == 1


def test_truncated_pcapng_block(tmp_path):
    path = pcapng(tmp_path / "t.pcapng", [(1, None)], [(0, 1, GOOD), (0, 2, GOOD)])
    path.write_bytes(path.read_bytes()[:-8])
    table = read_flows([path])
    assert "truncated block" in str(table.errors[0]) and sum(f.packets for f in table.flows.values()) == 1


def test_modbus_pdus_split_and_joined_across_segments(tmp_path):
    def pdu(tid: int, fc: int, data: bytes = b"\x00\x01\x00\x02") -> bytes:
        body = bytes([1, fc]) + data
        return struct.pack("!HHH", tid, 0, len(body)) + body

    two = pdu(1, 3) + pdu(2, 16)  # two requests in one segment
    split = pdu(3, 6)
    syn = struct.pack("!HHIIBBHHH", 40000, 502, 0, 0, 0x50, SYN, 1024, 0, 0)  # data then starts at sequence 1
    frames_ = [(1.0, eth(ipv4("10.0.0.1", "10.0.0.2", 6, syn))),
               (1.1, eth(ipv4("10.0.0.1", "10.0.0.2", 6, struct.pack("!HHIIBBHHH", 40000, 502, 1, 1, 0x50, 0x18,
                                                                       1024, 0, 0) + two))),
               (1.2, eth(ipv4("10.0.0.1", "10.0.0.2", 6, struct.pack("!HHIIBBHHH", 40000, 502, 1 + len(two), 1, 0x50,
                                                                       0x18, 1024, 0, 0) + split[:5]))),
               (1.3, eth(ipv4("10.0.0.1", "10.0.0.2", 6, struct.pack("!HHIIBBHHH", 40000, 502, 6 + len(two), 1, 0x50,
                                                                       0x18, 1024, 0, 0) + split[5:])))]
    flow = one_flow(pcap(tmp_path / "m.pcap", frames_))
    assert flow["ops"] == {"fc3": 1, "fc16": 1, "fc6": 1}


def test_progress_reports_growing_offsets_on_long_reads(tmp_path):
    from zonewarden.traffic.flows import PROGRESS_EVERY
    from zonewarden.traffic.sources import read_traffic

    frame = eth(ipv4("10.0.0.1", "10.0.0.2", 17, udp(1000, 2000, b"x" * 10)))
    path = pcap(tmp_path / "long.pcap", [(1.0 + i / 1e5, frame) for i in range(2 * PROGRESS_EVERY + 5)])
    seen: list[tuple[str, int]] = []
    read = read_traffic([path], lambda p, done: seen.append((p.name, done)))
    assert not read.errors and read.frames == 2 * PROGRESS_EVERY + 5
    record = 16 + len(frame)
    assert seen == [("long.pcap", 24 + record * PROGRESS_EVERY), ("long.pcap", 24 + record * 2 * PROGRESS_EVERY)]
