#!/usr/bin/env python3
"""Write the example plant's capture: every allowed flow once, plus one planted violation of each kind.

Deterministic (same bytes on every run). Each flow rule of every conduit and zone of
examples/fill-finish is exercised with the operations its `ops` allow, from an address of its
`from` to one of its `to`, except the rule left unused on purpose. Then the planted ones, which
`zonewarden traffic` must find, and nothing else (tests/analysis/test_conformance.py checks):

- no_conduit: AGV agv-01 polls plc-capper over Modbus (no conduit joins agv and cell-2);
- not_allowed: operator station hmi-op-01 talks S7comm-plus to plc-filler (only the SCADA servers may);
- op_not_allowed: scada-srv-a sends a PLC STOP to plc-capper (its rule allows read, write), and
  hist-srv writes a register (fc6) on particle-mon (its rule allows fc3, fc4);
- cleartext_remote_access: ews-01 views hmi-filler over VNC, and ews-02 configures cam-insp-1 over
  HTTP (both allowed by rules, but clear text into a control zone);
- uninventoried: 10.31.1.99 in cell 1's network, no asset, reads plc-filler;
- outside_zones: 192.168.100.7, in no zone, opens RDP to jump-01;
- unused_rule: ews-02 -> cam-insp-1 on TCP 1069 is never used.

    python scripts/gen_example_traffic.py [OUT]   (default: the example's traffic.pcap)
"""

from __future__ import annotations

import ipaddress
import random
import struct
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "src"))

import synth  # noqa: E402

from zonewarden.model.load import load_plant  # noqa: E402
from zonewarden.model.plant import FlowRule, Plant  # noqa: E402

EXAMPLE = ROOT / "src" / "zonewarden" / "examples" / "fill-finish"
START_US = 1_793_606_400_000_000  # 2026-11-02T08:00:00Z
UNUSED = ("ews-02", "cam-insp-1", 1069)
ROUNDS = 40
Exchange = list[tuple[bool, bytes]]


def modbus(fc: int) -> Exchange:
    body = bytes([1, fc]) + struct.pack("!HH", 100, 2)
    reply = bytes([1, fc]) + (bytes([4, 0, 1, 0, 2]) if fc in (3, 4) else struct.pack("!HH", 100, 2))
    return [(True, struct.pack("!HHH", 7, 0, len(body)) + body), (False, struct.pack("!HHH", 7, 0, len(reply)) + reply)]


def s7(function: int) -> Exchange:
    param = bytes([function, 1]) + bytes([0x12, 0x0A, 0x10, 0x02, 0, 4, 0, 1, 0x84, 0, 0, 8]) if function in (4, 5) \
        else bytes([function]) + bytes(9)
    job = synth._tpkt_s7(1, 1, param, b"")
    ack = synth._tpkt_s7(3, 1, bytes([function, 1]), bytes([0xFF, 0x04, 0, 16]) + bytes(2))
    return [(True, job), (False, ack)]


def s7plus() -> Exchange:
    pdu = bytes([0x72, 0x02, 0x00, 0x10]) + bytes(16) + bytes([0x72, 0x02, 0x00, 0x00])
    frame = struct.pack("!BBH", 3, 0, 7 + len(pdu)) + b"\x02\xf0\x80" + pdu
    return [(True, frame), (False, frame)]


def enip() -> Exchange:
    return synth.enip(random.Random(1), 1)


def opcua() -> Exchange:
    return synth.opcua(random.Random(1), 1)


def text(request: bytes, reply: bytes) -> Exchange:
    return [(True, request), (False, reply)]


def payload_for(protocol: str | None, ops: list[str] | None) -> Exchange:
    """One exchange of `protocol`, using only operations `ops` allows."""
    allowed = set(ops or ("read", "write"))
    if protocol == "modbus":
        codes = [int(o[2:]) for o in allowed if o.startswith("fc")] or [3]
        return [seg for code in sorted(codes) for seg in modbus(code)]
    if protocol == "s7comm":
        return s7(4) + (s7(5) if "write" in allowed else [])
    if protocol == "s7comm-plus":
        return s7plus()
    if protocol == "enip":
        return enip()
    if protocol == "opcua":
        return opcua()
    if protocol in ("https", "tls"):
        return text(bytes([0x16, 3, 3, 0, 40]) + bytes(40), bytes([0x16, 3, 3, 0, 60]) + bytes(60))
    if protocol == "rdp":
        return text(b"\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x03\x00\x00\x00",
                    b"\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x00\x08\x00\x01\x00\x00\x00")
    if protocol == "vnc":
        return text(b"RFB 003.008\n", b"RFB 003.008\n")
    if protocol == "smb":
        return text(b"\x00\x00\x00\x2f\xfeSMB" + bytes(43), b"\x00\x00\x00\x2f\xfeSMB" + bytes(43))
    if protocol == "dns":
        return synth.dns(random.Random(1), 1)
    if protocol == "snmp":
        return text(bytes.fromhex("302602010104067075626c6963a019020101020100020100300e300c06082b060102010101000500"),
                    bytes.fromhex("302602010104067075626c6963a219020101020100020100300e300c06082b060102010101000500"))
    return text(b"zonewarden example request", b"zonewarden example reply")


def l4_of(rule: FlowRule) -> str:
    return "udp" if rule.protocol in ("ntp", "syslog", "dns", "snmp", "udp") else "tcp"


def address_of(plant: Plant, name: str) -> bytes:
    """An address of an asset, or of a zone: its first host device with one, else a fresh address in
    its first network (untrusted zones, whose hosts the plant does not list)."""
    if name in plant.assets:
        return ipaddress.ip_address(plant.assets[name].addresses[0]).packed
    members = sorted((a.type != "host_device", aid) for aid, a in plant.assets.items()
                     if a.zone == name and a.addresses)
    zone = plant.zones[name]
    if members and zone.trust == "trusted":
        return ipaddress.ip_address(plant.assets[members[0][1]].addresses[0]).packed
    net = zone.networks[0]
    return (net.network_address + 77).packed


def conversations(plant: Plant) -> list[tuple[bytes, bytes, int, str, Callable[[], Exchange]]]:
    out = []
    scopes = [(c.flows) for c in plant.conduits.values()] + [z.flows for z in plant.zones.values()]
    for rules in scopes:
        for rule in rules:
            for port in rule.ports:
                if (rule.from_, rule.to, port) == UNUSED:
                    continue
                src, dst = address_of(plant, rule.from_), address_of(plant, rule.to)
                out.append((src, dst, port, l4_of(rule), lambda r=rule: payload_for(r.protocol, r.ops)))
    a = {aid: ipaddress.ip_address(asset.addresses[0]).packed for aid, asset in plant.assets.items() if asset.addresses}
    out += [
        (a["agv-01"], a["plc-capper"], 502, "tcp", lambda: modbus(3)),
        (a["hmi-op-01"], a["plc-filler"], 102, "tcp", s7plus),
        (a["scada-srv-a"], a["plc-capper"], 102, "tcp", lambda: s7(4) + s7(0x29)),
        (a["hist-srv"], a["particle-mon"], 502, "tcp", lambda: modbus(3) + modbus(6)),
        (ipaddress.ip_address("10.31.1.99").packed, a["plc-filler"], 102, "tcp", s7plus),
        (ipaddress.ip_address("192.168.100.7").packed, a["jump-01"], 3389, "tcp", lambda: payload_for("rdp", None)),
    ]
    return out


def write(out: Path) -> int:
    plant = load_plant(EXAMPLE)
    rng = random.Random(62443)
    convs = []
    for i, (src, dst, port, l4, make) in enumerate(conversations(plant)):
        c = synth.Conversation(src, dst, 40000 + i, port, l4, lambda _rng, _n, m=make: m())
        convs.append(c)
    frames = []
    ts = START_US
    for _ in range(ROUNDS):  # conversations last, and their exchanges interleave
        for c in convs:
            for frame in synth.packets(c, rng):
                ts += 1500
                frames.append((ts, frame))
    data = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for t, frame in frames:
        data.append(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(frame), len(frame)) + frame)
    tmp = out.with_suffix(".part")
    tmp.write_bytes(b"".join(data))
    tmp.replace(out)
    return len(frames)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else EXAMPLE / "traffic.pcap"
    n = write(target)
    print(f"wrote {target}: {n} packets, {target.stat().st_size} bytes")
