"""OPC UA binary on streams we write byte by byte: chunk framing across segments, services by encoding
id, intermediate chunks, and channels whose bodies are encrypted."""

from __future__ import annotations

import struct

from zonewarden.traffic.decoders.opcua import NONE_POLICY
from zonewarden.traffic.flows import read_flows

from .pcapgen import pcap, tcp_stream


def chunk(mtype: bytes, body: bytes, flag: bytes = b"F") -> bytes:
    return mtype + flag + struct.pack("<I", 8 + len(body)) + body


def string(s: bytes | None) -> bytes:
    return struct.pack("<i", -1) if s is None else struct.pack("<i", len(s)) + s


def opn(policy: bytes, service: int) -> bytes:
    body = struct.pack("<I", 0) + string(policy) + string(None) + string(None) + struct.pack("<II", 1, 1)
    return chunk(b"OPN", body + bytes([0x01, 0]) + struct.pack("<H", service) + bytes(20))


def msg(service: int, flag: bytes = b"F", extra: bytes = bytes(16)) -> bytes:
    return chunk(b"MSG", struct.pack("<IIII", 7, 1, 2, 2) + bytes([0x01, 0]) + struct.pack("<H", service) + extra, flag)


HEL = chunk(b"HEL", struct.pack("<IIIII", 0, 65536, 65536, 0, 0) + string(b"opc.tcp://plc:4840"))
ACK = chunk(b"ACK", struct.pack("<IIIII", 0, 65536, 65536, 0, 0))


def ops(tmp_path, segments, port=4840):
    path = pcap(tmp_path / "ua.pcap", tcp_stream("10.0.0.5", "10.0.0.9", 50000, port, segments))
    [flow] = read_flows([path]).flows.values()
    return flow.app, flow.ops


def test_services_counted_once_per_message_across_and_within_segments(tmp_path):
    read_req, write_req = msg(631), msg(673)
    both = read_req + write_req  # two messages in one segment, the second split across two
    segments = [(True, HEL), (False, ACK), (True, opn(NONE_POLICY, 446)), (False, opn(NONE_POLICY, 449)),
                (True, both[:30]), (True, both[30:50]), (True, both[50:]), (False, msg(634)), (False, msg(676))]
    app, counted = ops(tmp_path, segments)
    assert app == "opcua"
    assert counted == {"hel": 1, "ack": 1, "opn": 2, "open_secure_channel": 2, "msg": 4, "read": 2, "write": 2}


def test_intermediate_chunks_carry_the_service_on_the_first_only(tmp_path):
    first = msg(712, b"C")
    rest = chunk(b"MSG", struct.pack("<IIII", 7, 1, 3, 2) + bytes([0x01, 0]) + struct.pack("<H", 631), b"F")
    _, counted = ops(tmp_path, [(True, opn(NONE_POLICY, 446)), (True, first + rest)])
    assert counted == {"opn": 1, "open_secure_channel": 1, "msg": 2, "call": 1}


def test_encrypted_channel_counts_chunks_not_services(tmp_path):
    policy = b"http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256"
    _, counted = ops(tmp_path, [(True, opn(policy, 446)), (True, msg(673)), (True, msg(999))])
    assert counted == {"opn": 1, "msg": 2}


def test_mid_capture_channel_names_known_services_only_and_found_off_port_by_hello(tmp_path):
    _, counted = ops(tmp_path, [(True, msg(631)), (True, msg(12345))])
    assert counted == {"msg": 2, "read": 1}
    app, _ = ops(tmp_path, [(True, HEL), (False, ACK)], port=12001)
    assert app == "opcua"


def test_garbage_is_dropped_and_decoding_resumes(tmp_path):
    _, counted = ops(tmp_path, [(True, b"XYZF\x10\x00\x00\x00" + bytes(8)), (True, msg(631))])
    assert counted == {"msg": 1, "read": 1}

