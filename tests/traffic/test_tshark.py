"""Truth: on every real capture in ../shared/data/pcaps, our conversations (l4, both endpoints) and
packets per conversation equal what tshark dissects. Differences we accept are listed, with their
reason, in tests/traffic/tshark_differences.md (today: none)."""

from __future__ import annotations

import collections
import ipaddress
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from zonewarden.traffic.capture import CAPTURE_SUFFIXES
from zonewarden.traffic.decoders.enip import COMMANDS
from zonewarden.traffic.decoders.iec104 import apdu_op
from zonewarden.traffic.decoders.opcua import MESSAGE_TYPES, SERVICES
from zonewarden.traffic.decoders.s7comm import s7_op
from zonewarden.traffic.flows import address, read_flows

from ..conftest import SHARED

PCAPS = SHARED / "data" / "pcaps"
CAPTURES = sorted(p for p in PCAPS.rglob("*") if p.suffix in CAPTURE_SUFFIXES)
TSHARK = shutil.which("tshark")

if TSHARK is None and os.environ.get("CI"):
    pytest.fail("tshark is missing in CI: .ci/run installs it from Debian's packages", pytrace=False)
pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark not installed (CI installs it)")


def _key(l4: str, a: tuple[str, int], b: tuple[str, int]) -> tuple:
    ends = sorted([a, b], key=lambda x: (ipaddress.ip_address(x[0]).packed, x[1]))
    return (l4, *ends)


# tshark finds OPC UA on its registered port only; this capture runs it on 12001
DECODE_AS = {"OPC/opc-ua-ap-method-wireshark-freeze.pcap": ["-d", "tcp.port==12001,opcua"]}
BASE_FIELDS = ["frame.protocols", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport",
               "udp.srcport", "udp.dstport"]


def _protocol_fields() -> list[str]:
    return [f for spec in PROTOCOLS.values() for f in spec[1]]


@pytest.fixture(scope="module")
def truth() -> dict:
    """Per capture: tshark's rows (every field any comparison needs) and our flow table; read once."""
    fields = BASE_FIELDS + _protocol_fields()

    def read(path):
        args = [TSHARK, "-n", "-r", str(path), "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
                "-E", "aggregator=,", *DECODE_AS.get(path.relative_to(PCAPS).as_posix(), [])]
        for f in fields:
            args += ["-e", f]
        out = subprocess.run(args, capture_output=True, text=True, check=False).stdout
        rows = [dict(zip(fields, (line.split("\t") + [""] * len(fields))[: len(fields)], strict=True))
                for line in out.splitlines()]
        return path, rows, read_flows([path])

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return {path: (rows, table) for path, rows, table in pool.map(read, CAPTURES)}


def _first(value: str) -> str:
    return value.split(",")[0]


def tshark_conversations(rows: list[dict]) -> collections.Counter:
    """tcp/udp conversations of packets whose transport sits directly on the first IP layer."""
    convs: collections.Counter = collections.Counter()
    for r in rows:
        protos = r["frame.protocols"].split(":")
        first_ip = next((i for i, p in enumerate(protos) if p in ("ip", "ipv6")), None)
        if first_ip is None or first_ip + 1 >= len(protos) or protos[first_ip + 1] not in ("tcp", "udp"):
            continue
        l4 = protos[first_ip + 1]
        sport, dport = _first(r[f"{l4}.srcport"]), _first(r[f"{l4}.dstport"])
        if sport:
            src = _first(r["ip.src"]) or _first(r["ipv6.src"])
            dst = _first(r["ip.dst"]) or _first(r["ipv6.dst"])
            convs[_key(l4, (src, int(sport)), (dst, int(dport)))] += 1
    return convs


def our_conversations(table) -> collections.Counter:
    convs: collections.Counter = collections.Counter()
    for fl in table.flows.values():
        if fl.l4 in ("tcp", "udp"):
            convs[_key(fl.l4, (address(fl.src), fl.sport), (address(fl.dst), fl.dport))] += fl.packets
    return convs


def test_every_capture_matches_tshark(truth):
    assert len(CAPTURES) >= 280, f"expected the shared captures at {PCAPS}"
    differences = []
    for path, (rows, table) in truth.items():
        theirs, ours = tshark_conversations(rows), our_conversations(table)
        if theirs != ours:
            keys = set(theirs) ^ set(ours) | {k for k in theirs if theirs[k] != ours.get(k)}
            differences.append(f"{path.relative_to(PCAPS)}: " + "; ".join(
                f"{k}: tshark {theirs.get(k, 0)}, ours {ours.get(k, 0)}" for k in sorted(keys)[:3]))
    assert not differences, "\n".join(differences)


def _modbus_ops(fields: list[str]) -> list[str]:
    return [f"fc{int(code)}" for code in fields[0].split(",") if code]


def _s7_ops(fields: list[str]) -> list[str]:
    rosctrs, funcs = fields
    functions = [int(f, 16) for f in funcs.split(",") if f]
    ops = []
    for rosctr in (int(r) for r in rosctrs.split(",") if r):
        function = functions.pop(0) if rosctr in (1, 3) and functions else None
        if op := s7_op(rosctr, function):
            ops.append(op)
    return ops


def _iec104_ops(fields: list[str]) -> list[str]:
    types, utypes, typeids = fields
    u_functions = [(int(u, 16) << 2) | 3 for u in utypes.split(",") if u]  # the field is masked 0xfc
    tids = [int(t) for t in typeids.split(",") if t]
    ops = []
    for t in (int(x, 16) for x in types.split(",") if x):
        if t == 0:
            ops.append(apdu_op(0, tids.pop(0) if tids else None))
        else:
            ops.append(apdu_op(1 if t == 1 else u_functions.pop(0), None))
    return ops


def _enip_ops(fields: list[str]) -> list[str]:
    commands, services = fields
    ops = [COMMANDS.get(int(c, 16), f"command_{c}") for c in commands.split(",") if c]
    return ops + [f"cip_{int(s, 16):#04x}" for s in services.split(",") if s]


def _bacnet_ops(fields: list[str]) -> list[str]:
    kinds, confirmed, unconfirmed = fields
    names = {0: "confirmed", 2: "simple_ack", 3: "complex_ack", 5: "error"}
    services = [int(s) for s in confirmed.split(",") if s]
    ops = []
    for kind in (int(k) for k in kinds.split(",") if k):
        if kind == 1:
            ops.append(f"unconfirmed_{int(unconfirmed.split(',')[0])}")
        elif kind in names and services:
            ops.append(f"{names[kind]}_{services.pop(0)}")
        else:
            ops.append({4: "segment_ack", 6: "reject", 7: "abort"}.get(kind, f"type{kind}"))
    return ops


def _opcua_ops(fields: list[str]) -> list[str]:
    types, services = fields
    ops = [MESSAGE_TYPES[t.encode()] for t in types.split(",") if t]
    return ops + [SERVICES.get(int(s), f"service_{s}") for s in services.split(",") if s]


# protocol: (its name in tshark's frame.protocols, tshark fields, tshark fields -> ops, our app names,
#            {capture: why it may differ} as tshark_differences.md explains)
PROTOCOLS = {
    "modbus": ("modbus", ["modbus.func_code"], _modbus_ops, {"modbus"}, {
        "bro/modbus/modbusBig.pcap": "one PDU in a segment tshark calls a spurious retransmission",
        "bro/modbus/fuzz-72.pcap": "fuzzed sequence numbers: tshark decodes in arrival order, we by sequence"}),
    "s7comm": ("s7comm", ["s7comm.header.rosctr", "s7comm.param.func"], _s7_ops, {"s7comm"}, {
        "s7/S7Comm/s7comm_clean.pcap": "12 read_var PDUs in segments tshark calls spurious retransmissions"}),
    "bacnet": ("bacapp", ["bacapp.type", "bacapp.confirmed_service", "bacapp.unconfirmed_service"], _bacnet_ops,
               {"bacnet"}, {}),
    "dnp3": ("dnp3", ["dnp3.al.func"], lambda f: [f"fc{int(c)}" for c in f[0].split(",") if c], {"dnp3"}, {}),
    "enip": ("enip", ["enip.command", "cip.sc"], _enip_ops, {"enip"}, {
        "openics/EIP-ControlProtocolChangeAttempt.pcap": "tshark 4.0 leaves every segment undissected"}),
    "opcua": ("opcua", ["opcua.transport.type", "opcua.servicenodeid.numeric"], _opcua_ops, {"opcua"}, {}),
    "iec104": ("iec60870_104", ["iec60870_104.type", "iec60870_104.utype", "iec60870_asdu.typeid"], _iec104_ops,
               {"iec104"}, {}),
}


def tshark_ops(rows: list[dict], marker: str, fields: list[str], to_ops) -> dict[tuple, collections.Counter]:
    """Per conversation, the ops of the rows whose protocol path holds `marker`."""
    convs: dict[tuple, collections.Counter] = collections.defaultdict(collections.Counter)
    for r in rows:
        if marker not in r["frame.protocols"].split(":"):
            continue
        l4 = "tcp" if r["tcp.srcport"] else "udp"
        sport, dport = _first(r[f"{l4}.srcport"]), _first(r[f"{l4}.dstport"])
        if sport:
            key = _key(l4, (_first(r["ip.src"]), int(sport)), (_first(r["ip.dst"]), int(dport)))
            convs[key].update(to_ops([r[f] for f in fields]))
    return {k: v for k, v in convs.items() if v}


def our_ops(table, apps: set[str]) -> dict[tuple, collections.Counter]:
    skip = {"exception", "s7comm-plus", "mms", "io"}  # ops tshark 4.0 does not report in the compared fields
    out = {}
    for fl in table.flows.values():
        ops = collections.Counter({k: v for k, v in fl.ops.items() if k not in skip})
        if fl.app in apps and ops:
            out[_key(fl.l4, (address(fl.src), fl.sport), (address(fl.dst), fl.dport))] = ops
    return out


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_operations_match_tshark(protocol, truth):
    marker, fields, to_ops, apps, accepted = PROTOCOLS[protocol]
    differing, seen = {}, 0
    for path, (rows, table) in truth.items():
        theirs, ours = tshark_ops(rows, marker, fields, to_ops), our_ops(table, apps)
        seen += bool(theirs)
        if theirs != ours:
            differing[str(path.relative_to(PCAPS))] = (theirs, ours)
    assert seen >= (1 if protocol in ("bacnet", "opcua") else 3), f"too little {protocol} traffic found by tshark"
    assert set(differing) == set(accepted), {k: v for k, v in differing.items() if k not in accepted}


# tshark's dissector name -> our application name, for conversations tshark identifies
IDENTIFIED = {"mbtcp": "modbus", "s7comm": "s7comm", "mms": "mms", "dnp3": "dnp3", "enip": "enip",
              "iec60870_104": "iec104", "bvlc": "bacnet", "synphasor": "c37.118", "ams": "ads", "hart_ip": "hart-ip",
              "omron": "fins", "opcua": "opcua",
              "http": "http", "dns": "dns", "ntp": "ntp", "snmp": "snmp", "nbss": "smb"}


def test_applications_are_identified_as_tshark_identifies_them(truth):
    wrong = []
    for path, (rows, table) in truth.items():
        ours = {_key(fl.l4, (address(fl.src), fl.sport), (address(fl.dst), fl.dport)): fl.app
                for fl in table.flows.values() if fl.l4 in ("tcp", "udp")}
        for r in rows:
            protos = r["frame.protocols"].split(":")
            app = next((IDENTIFIED[p] for p in protos if p in IDENTIFIED), None)
            l4 = "tcp" if r["tcp.srcport"] else "udp"
            if app is None or "icmp" in protos or not _first(r[f"{l4}.srcport"]) or not _first(r["ip.src"]):
                continue
            key = _key(l4, (_first(r["ip.src"]), int(_first(r[f"{l4}.srcport"]))),
                       (_first(r["ip.dst"]), int(_first(r[f"{l4}.dstport"]))))
            if ours.get(key) != app:
                wrong.append(f"{path.relative_to(PCAPS)} {key}: tshark {app}, ours {ours.get(key)}")
    assert not wrong, "\n".join(sorted(set(wrong))[:20])
