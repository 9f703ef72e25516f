"""Conformance of traffic to the plant: the example capture's planted violations, and each rule of
the judging on small plants with flows written as CSV (one line per flow, so every field is known)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from zonewarden.analysis.conformance import conformance
from zonewarden.model.load import load_plant
from zonewarden.traffic.csvflows import read_csv_flows
from zonewarden.traffic.sources import read_traffic

from ..conftest import EXAMPLE, HEADER, ROOT

PLANTED = {
    "traffic:no_conduit:agv-01>plc-capper:modbus/502",
    "traffic:not_allowed:sup-cell1:hmi-op-01>plc-filler:s7comm-plus/102",
    "traffic:op_not_allowed:scada-srv-a>plc-capper:s7comm/102:plc_stop",
    "traffic:op_not_allowed:hist-srv>particle-mon:modbus/502:fc6",
    "traffic:cleartext_remote_access:ews-01>hmi-filler:vnc/5900",
    "traffic:cleartext_remote_access:ews-02>cam-insp-1:http/80",
    "traffic:uninventoried:10.31.1.99",
    "traffic:outside_zones:192.168.100.7",
    "traffic:unused_rule:eng-cell2/ews-02>cam-insp-1/tcp/1069",
}


def test_example_capture_shows_every_planted_violation_and_nothing_else():
    plant = load_plant(EXAMPLE)
    read = read_traffic([EXAMPLE / "traffic.pcap"])
    assert not read.errors
    result = conformance(plant, read.table)
    assert {v.id for v in result.verdicts} == PLANTED
    stop = next(v for v in result.verdicts if v.op == "plc_stop")
    assert (stop.severity, stop.conduit, stop.src, stop.dst_asset, stop.requirements) == (
        "critical", "sup-cell2", "10.32.0.11", "plc-capper", ("SR 5.2", "SR 2.1"))


def test_example_capture_is_what_the_generator_writes(tmp_path):
    out = tmp_path / "again.pcap"
    res = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_example_traffic.py"), str(out)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert out.read_bytes() == (EXAMPLE / "traffic.pcap").read_bytes()


PLANT = """\
zones:
  ctl: {name: Control, level: 1, kind: control, networks: [10.1.0.0/24, "fd00:1::/64"]}
  sup: {name: Supervisory, level: 2, kind: supervisory, networks: [10.2.0.0/24]}
  sis: {name: Safety, level: 1, kind: safety, networks: [10.9.0.0/24], internal: deny,
        flows: [{from: sis-a, to: sis-b, protocol: udp, port: 8000, direction: both}]}
  it: {name: IT, level: 4, kind: enterprise, trust: untrusted, networks: [10.20.0.0/16]}
conduits:
  sup-ctl:
    zones: [sup, ctl]
    flows:
      - {from: scada, to: plc, protocol: modbus, port: 502, ops: [read, fc6]}
      - {from: scada, to: ctl, protocol: https, port: 443, direction: both}
      - {from: scada, to: plc6, protocol: s7comm, port: 102}
  it-sup:
    zones: [it, sup]
    flows: [{from: it, to: scada, protocol: rdp, port: 3389}]
assets:
  plc: {zone: ctl, type: embedded_device, addresses: [10.1.0.10]}
  plc6: {zone: ctl, type: embedded_device, addresses: ["fd00:1::10"]}
  scada: {zone: sup, type: host_device, addresses: [10.2.0.5]}
  sis-a: {zone: sis, type: embedded_device, addresses: [10.9.0.1]}
  sis-b: {zone: sis, type: embedded_device, addresses: [10.9.0.2]}
"""


def judge(plant_file, tmp_path, flows: str, plant: str = PLANT) -> set[str]:
    csv = tmp_path / "flows.csv"
    csv.write_text("first_seen,src,dst,sport,dport,l4,app,ops,packets,bytes\n" + textwrap.dedent(flows))
    result = conformance(load_plant(plant_file(plant)), read_csv_flows(csv))
    return {v.id for v in result.verdicts if v.kind != "unused_rule"}


def test_allowed_flows_in_every_form_give_no_verdict(plant_file, tmp_path):
    assert judge(plant_file, tmp_path, """\
        1,10.2.0.5,10.1.0.10,40000,502,tcp,modbus,fc3=4;fc4=2;fc6=1;exception=1,10,600
        2,10.1.0.10,10.2.0.5,40001,443,tcp,https,,4,300
        3,10.2.0.5,10.1.0.77,40002,443,tcp,tls,,4,300
        4,10.20.3.3,10.2.0.5,50000,3389,tcp,rdp,,4,300
        5,10.9.0.2,10.9.0.1,8000,8000,udp,udp,,2,120
        6,10.1.0.10,10.1.0.255,5000,5000,udp,udp,,1,60
        7,10.1.0.10,224.0.0.251,5353,5353,udp,udp,,1,60
        8,10.2.0.5,fd00:1::10,40003,102,tcp,s7comm,read_var=2;ack=1,4,300
        9,10.20.3.3,10.20.4.4,1,2,tcp,tcp,,1,60
        """) == {"traffic:uninventoried:10.1.0.77"}  # 10.1.0.77 has no asset; untrusted 10.20/16 is not listed


def test_each_violation_kind(plant_file, tmp_path):
    got = judge(plant_file, tmp_path, """\
        1,10.2.0.5,10.1.0.10,40000,502,tcp,modbus,fc3=1;fc16=2;fc100=1,10,600
        2,10.1.0.10,10.2.0.5,40001,502,tcp,modbus,fc3=1,4,300
        3,10.9.0.1,10.9.0.2,40002,22,tcp,ssh,,4,300
        4,10.9.0.1,10.1.0.10,40003,502,tcp,modbus,fc3=1,4,300
        5,10.2.0.5,10.1.0.10,40004,23,tcp,telnet,,4,300
        6,10.20.3.3,10.2.0.5,40005,80,tcp,http,,4,300
        8,10.20.3.3,10.2.0.5,40007,21,tcp,ftp,,4,300
        7,172.16.0.1,10.2.0.5,40006,3389,tcp,rdp,,4,300
        """)
    assert got == {
        "traffic:op_not_allowed:scada>plc:modbus/502:fc16",  # write, not listed
        "traffic:op_not_allowed:scada>plc:modbus/502:fc100",  # a non-standard code must be named
        "traffic:not_allowed:sup-ctl:plc>scada:modbus/502",  # wrong direction
        "traffic:not_allowed:sis:sis-a>sis-b:ssh/22",  # a deny zone's inside
        "traffic:no_conduit:sis-a>plc:modbus/502",
        "traffic:not_allowed:sup-ctl:scada>plc:telnet/23",
        "traffic:cleartext_remote_access:scada>plc:telnet/23",
        "traffic:not_allowed:it-sup:10.20.3.3>scada:http/80",  # HTTP to a host: not counted as device admin
        "traffic:not_allowed:it-sup:10.20.3.3>scada:ftp/21",
        "traffic:cleartext_remote_access:10.20.3.3>scada:ftp/21",  # untrusted -> trusted
        "traffic:outside_zones:172.16.0.1",
    }


def test_unused_rules_are_per_port_and_verdict_ids_are_stable(plant_file, tmp_path):
    flows = "1,10.2.0.5,10.1.0.10,40000,502,tcp,modbus,fc3=1,10,600\n"
    csv = tmp_path / "flows.csv"
    csv.write_text("first_seen,src,dst,sport,dport,l4,app,ops,packets,bytes\n" + flows)
    plant = load_plant(plant_file(PLANT))
    first = conformance(plant, read_csv_flows(csv))
    unused = {v.rule for v in first.verdicts if v.kind == "unused_rule"}
    assert unused == {"sup-ctl/scada<>ctl/https/443", "sup-ctl/scada>plc6/s7comm/102", "it-sup/it>scada/rdp/3389",
                      "sis/sis-a<>sis-b/udp/8000"}
    assert [v.id for v in conformance(plant, read_csv_flows(csv)).verdicts] == [v.id for v in first.verdicts]


@pytest.mark.parametrize("n", [1, 3])
def test_verdicts_group_flows_and_sum_their_packets(plant_file, tmp_path, n):
    lines = "".join(f"{i},10.2.0.5,10.1.0.10,{40000 + i},502,tcp,modbus,fc16=1,10,600\n" for i in range(n))
    csv = tmp_path / "flows.csv"
    csv.write_text("first_seen,src,dst,sport,dport,l4,app,ops,packets,bytes\n" + lines)
    [v] = [v for v in conformance(load_plant(plant_file(PLANT)), read_csv_flows(csv)).verdicts
           if v.kind == "op_not_allowed"]
    assert (v.flows, v.packets, v.pdus, v.severity) == (n, 10 * n, n, "high")


LAB = """\
  lab: {name: Lab, level: 1, kind: control, networks: [10.5.0.0/24],
        flows: [{from: hmi, to: plc5, protocol: modbus, port: 502, ops: [read]}]}
"""


def test_an_allow_zone_restricts_nothing_even_with_flows_listed(plant_file, tmp_path):
    plant = PLANT.replace("  it: {name: IT,", LAB + "  it: {name: IT,") + (
        "  hmi: {zone: lab, type: host_device, addresses: [10.5.0.2]}\n"
        "  plc5: {zone: lab, type: embedded_device, addresses: [10.5.0.3]}\n")
    assert judge(plant_file, tmp_path, "1,10.5.0.2,10.5.0.3,40000,502,tcp,modbus,fc6=3,10,600\n", plant) == set()


def test_ipv6_hosts_get_distinct_ids_in_a_draft():
    from zonewarden.analysis.discover import host_id

    assert host_id("fd00::1:10") != host_id("fd00:1::10")
    assert host_id("10.31.1.10") == "host-10-31-1-10"


def test_an_ipv4_mapped_address_is_the_ipv4_asset(plant_file, tmp_path):
    assert judge(plant_file, tmp_path, "1,::ffff:10.2.0.5,10.1.0.10,40000,502,tcp,modbus,fc3=1,10,600\n") == set()


# plc-gone held 10.1.0.10 before plc; it comes first, so the live asset must win by state, not by order
RETIRED = PLANT.replace("assets:\n", "assets:\n  plc-gone: {zone: ctl, type: embedded_device, addresses: [10.1.0.10], "
                        "lifecycle: decommissioned}\n") + """\
  plc-old: {zone: ctl, type: embedded_device, addresses: [10.1.0.20], lifecycle: decommissioned}
"""


def test_traffic_of_a_decommissioned_asset_is_a_verdict_unless_a_live_asset_reuses_the_address(plant_file, tmp_path):
    assert judge(plant_file, tmp_path, """\
        1,10.2.0.5,10.1.0.20,40000,502,tcp,modbus,fc3=1,10,600
        2,10.1.0.20,10.1.0.11,40001,44818,tcp,enip,,4,300
        3,10.2.0.5,10.1.0.10,40002,502,tcp,modbus,fc3=1,10,600
        """, RETIRED) == {
        "traffic:decommissioned:10.1.0.20",  # either side, inside its zone or across: one verdict per address
        "traffic:not_allowed:sup-ctl:scada>plc-old:modbus/502",  # judged as usual too: no rule names plc-old
        "traffic:uninventoried:10.1.0.11",
    }  # 10.1.0.10 was plc-gone's and is now plc's, which the rule allows: nothing


def test_decommissioned_verdict_from_a_capture(plant_file, tmp_path):
    import struct

    from ..traffic.pcapgen import eth, ipv4, pcap, tcp_stream

    request = struct.pack("!HHHBBHH", 1, 0, 6, 1, 3, 0, 1)
    reply = struct.pack("!HHHBBBH", 1, 0, 5, 1, 3, 2, 42)
    frames = tcp_stream("10.2.0.5", "10.1.0.20", 40000, 502, [(True, request), (False, reply)])
    frames.append((2.0, eth(ipv4("10.2.0.5", "10.1.0.20", 1, bytes(8)))))  # a ping counts too
    read = read_traffic([pcap(tmp_path / "old.pcap", frames)])
    result = conformance(load_plant(plant_file(RETIRED)), read.table)
    [v] = [v for v in result.verdicts if v.kind == "decommissioned"]
    assert (v.id, v.severity, v.requirements, v.src, v.src_asset, v.zones, v.flows, v.packets) == (
        "traffic:decommissioned:10.1.0.20", "high", ("SR 7.8", "SR 4.2"), "10.1.0.20", "plc-old", ("ctl", None),
        2, 5)
    assert v.message == "10.1.0.20 belongs to decommissioned asset plc-old (zone ctl), yet it carries traffic (2 flows)"
    from zonewarden.render.traffic import traffic_sarif

    plant = load_plant(plant_file(RETIRED))
    sarif = traffic_sarif(conformance(plant, read.table), plant)
    [hit] = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "decommissioned"]
    assert hit["locations"][0]["physicalLocation"]["region"]["startLine"] == RETIRED.count("\n", 0, RETIRED.index(
        "plc-old:")) + HEADER.count("\n") + 1  # at the asset, not its zone
