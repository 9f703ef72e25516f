"""A draft plant from traffic, for a brownfield site with no model yet (design §5, discovery).

Every host becomes an asset with a guessed function; private subnets (/24 for IPv4, /64 for IPv6)
become zones named after what they hold; public addresses share one untrusted `external` zone;
and what crosses between zones becomes conduits with one flow rule per initiator, responder,
application and port, its `ops` the operation classes seen. Each guess keeps its evidence, which
the draft prints as a comment beside it. The draft is a start for people to correct, not a verdict.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from ..model.vocabulary import PROTOCOLS
from ..standard.oui import vendor_of
from .policy import address_key, classify

CONTROLLER_APPS = {"modbus": "plc", "s7comm": "plc", "s7comm-plus": "plc", "enip": "plc", "fins": "plc",
                   "melsec": "plc", "ads": "plc", "dnp3": "rtu", "iec104": "rtu", "bacnet": "dcs_controller",
                   "hart-ip": "io_module", "c37.118": "sensor", "mms": "dcs_controller"}
HISTORIAN_PORTS = {5450, 5457, 5459}  # OSIsoft PI
SCADA_MIN_CONTROLLERS = 3  # a client polling this many controllers is a SCADA server, fewer an HMI
ZONE_OF_FUNCTION = {"plc": ("control", 1), "rtu": ("control", 1), "dcs_controller": ("control", 1),
                    "io_module": ("field", 0), "sensor": ("field", 0), "ews": ("engineering", 2),
                    "hmi": ("supervisory", 2), "scada_server": ("supervisory", 2), "historian": ("supervisory", 2),
                    "opc_server": ("supervisory", 2)}


@dataclass
class Host:
    address: str
    id: str
    function: str = "other"
    type: str = "host_device"
    evidence: str = "talks, but shows no telling role"
    zone: str = ""
    mac: str | None = None
    vendor: str | None = None


@dataclass
class DraftZone:
    id: str
    name: str
    kind: str
    level: float
    trust: str
    networks: list[str]
    evidence: str


@dataclass
class DraftRule:
    src: str
    dst: str
    protocol: str | None
    port: int
    ops: list[str]
    evidence: str


@dataclass
class Draft:
    zones: dict[str, DraftZone] = field(default_factory=dict)
    hosts: dict[str, Host] = field(default_factory=dict)  # by address
    conduits: dict[str, tuple[str, str, list[DraftRule]]] = field(default_factory=dict)
    flows: int = 0
    broadcast_nets: set[str] = field(default_factory=set)  # /24s seen only as a broadcast destination


def host_id(address: str) -> str:
    """`host-10-31-1-10`; IPv6 written out in full, so that fd00::1:10 and fd00:1::10 stay apart."""
    ip = ipaddress.ip_address(address)
    text = ip.exploded if ip.version == 6 else address
    return "host-" + re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def _subnet(address: str) -> tuple[str, bool]:
    """The draft zone's network of an address, and whether it is private (a plant network)."""
    ip = ipaddress.ip_address(address)
    net = ipaddress.ip_network(f"{address}/{24 if ip.version == 4 else 64}", strict=False)
    return str(net), ip.is_private and not ip.is_loopback


def discover(flows: pa.Table) -> Draft:
    draft = Draft(flows=len(flows))
    every = flows.select(["src", "dst", "dport", "l4", "app", "ops", "packets", "src_mac", "dst_mac"]).to_pylist()
    hosts: set[str] = set()
    for r in every:  # hosts from all IP traffic (a host seen only in ICMP is still a host)
        for end in ("src", "dst"):
            key, special = address_key(r[end])
            if key is None or special:
                continue
            if _broadcast24(r[end]):
                draft.broadcast_nets.add(_subnet(r[end])[0])
            else:
                hosts.add(r[end])
    rows = [r for r in every if r["l4"] in ("tcp", "udp")]
    macs_of: dict[str, set[str]] = defaultdict(set)  # address -> MACs its frames carried
    ips_of: dict[str, set[str]] = defaultdict(set)  # MAC -> addresses (many: a router's)
    for r in every:
        for end in ("src", "dst"):
            mac = r[f"{end}_mac"]
            if mac and r[end] in hosts:
                macs_of[r[end]].add(mac)
                ips_of[mac].add(r[end])
    served: dict[str, Counter] = defaultdict(Counter)  # host -> (app) -> clients
    clients_of: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    programs: dict[str, Counter] = defaultdict(Counter)
    historian: dict[str, set[str]] = defaultdict(set)
    opc_servers: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        src, dst, app = r["src"], r["dst"], r["app"]
        if dst in hosts and app in CONTROLLER_APPS:
            served[dst][app] += 1
            clients_of[src][app].add(dst)
        if app == "opcua" and dst in hosts:
            opc_servers[dst].add(src)
            historian[src].add(f"reads OPC UA from {dst}")
        if r["dport"] in HISTORIAN_PORTS:
            historian[src].add(f"PI port {r['dport']} to {dst}")
            historian[dst].add(f"PI port {r['dport']} from {src}")
        for op, _ in r["ops"] or ():
            if classify(app, op) == "program":
                programs[src][f"{op} to {dst}"] += 1
    for address in sorted(hosts, key=lambda a: address_key(a)[0] or b""):
        h = Host(address, host_id(address))
        controllers = {d for apps in clients_of[address].values() for d in apps}
        if programs[address]:
            h.function, h.type = "ews", "host_device"
            h.evidence = "issues program operations: " + ", ".join(sorted(programs[address])[:3])
        elif served[address]:
            app, n = served[address].most_common(1)[0]
            h.function, h.type = CONTROLLER_APPS[app], "embedded_device"
            h.evidence = f"serves {app} ({n} conversations)"
        elif address in opc_servers:
            h.function, h.type = "opc_server", "host_device"
            h.evidence = f"serves OPC UA to {len(opc_servers[address])} client(s)"
        elif len(controllers) >= SCADA_MIN_CONTROLLERS:
            h.function = "scada_server"
            h.evidence = f"polls {len(controllers)} controllers"
        elif historian[address]:
            h.function = "historian"
            h.evidence = "; ".join(sorted(historian[address])[:2])
        elif controllers:
            h.function = "hmi"
            h.evidence = f"polls {', '.join(sorted(controllers)[:3])}"
        macs = macs_of.get(address, set())
        if len(macs) == 1 and len(ips_of[next(iter(macs))]) == 1:  # a MAC shared by many addresses is a router's
            h.mac = next(iter(macs))
            h.vendor = vendor_of(h.mac)
        draft.hosts[address] = h
    _zones(draft)
    _conduits(draft, rows)
    return draft


def _broadcast24(address: str) -> bool:
    """x.y.z.255 is the broadcast of the /24 the draft makes of it, so not a host."""
    return "." in address and address.endswith(".255")


def _zones(draft: Draft) -> None:
    members: dict[str, list[Host]] = defaultdict(list)
    external_nets: set[str] = set()
    for h in draft.hosts.values():
        net, private = _subnet(h.address)
        members[net if private else "external"].append(h)
        if not private:
            external_nets.add(net)
    for net in draft.broadcast_nets:  # a network known only by its broadcast still holds it
        if _subnet(net.split("/")[0])[1]:
            members.setdefault(net, [])
        else:
            external_nets.add(net)
            members.setdefault("external", [])
    for net, hs in sorted(members.items()):
        if net == "external":
            zid = "external"
            zone = DraftZone(zid, "Outside the plant (public addresses)", "external", 5, "untrusted",
                             sorted(external_nets, key=_net_order), f"{len(hs)} host(s) with public addresses")
        else:
            zid = "net-" + re.sub(r"[^A-Za-z0-9]+", "-", net).strip("-")
            functions = Counter(h.function for h in hs)
            ranked = [f for f, _ in functions.most_common() if f in ZONE_OF_FUNCTION]
            kind, level = ZONE_OF_FUNCTION[ranked[0]] if ranked else ("operations", 3)
            seen = ", ".join(f"{n} {f}" for f, n in functions.most_common()) or "only broadcasts seen"
            zone = DraftZone(zid, f"Network {net}", kind, level, "trusted", [net],
                             f"subnet {net}: {seen}; {kind} by its most telling hosts")
        draft.zones[zid] = zone
        for h in hs:
            h.zone = zid


def _net_order(net: str) -> tuple[int, int]:
    n = ipaddress.ip_network(net)
    return n.version, int(n.network_address)


def _conduits(draft: Draft, rows: list[dict[str, Any]]) -> None:
    rules: dict[tuple[str, str], dict[tuple[str, str, str, int], dict[str, Any]]] = defaultdict(dict)
    for r in rows:
        s, d = draft.hosts.get(r["src"]), draft.hosts.get(r["dst"])
        if s is None or d is None or s.zone == d.zone or r["dport"] is None:
            continue
        protocol = r["app"] if r["app"] in PROTOCOLS else r["l4"]
        pair = tuple(sorted((s.zone, d.zone)))
        rule = rules[pair].setdefault((s.id, d.id, protocol, r["dport"]),
                                      {"ops": set(), "packets": 0, "flows": 0, "seen": Counter()})
        rule["packets"] += r["packets"] or 0
        rule["flows"] += 1
        for op, n in r["ops"] or ():
            cls = classify(r["app"], op)
            rule["seen"][op] += n
            if cls is not None:
                rule["ops"].add(op if cls == "unknown" else cls)
    for (za, zb), found in sorted(rules.items()):
        cid = f"{za}--{zb}"
        draft.conduits[cid] = (za, zb, [
            DraftRule(src, dst, protocol, port, sorted(info["ops"]),
                      f"seen: {info['flows']} flow(s), {info['packets']} packets"
                      + ("; ops " + ", ".join(f"{op} x{n}" for op, n in info["seen"].most_common(4))
                         if info["seen"] else ""))
            for (src, dst, protocol, port), info in sorted(found.items())])


@dataclass
class Additions:
    """What traffic shows that a plant lacks: hosts no asset claims, and flows no rule allows."""

    zones: dict[str, DraftZone] = field(default_factory=dict)  # new zones, for hosts in no zone's networks
    assets: list[Host] = field(default_factory=list)
    conduits: dict[str, tuple[str, str, list[DraftRule]]] = field(default_factory=dict)  # new conduits
    rules: dict[tuple[str, str], list[DraftRule]] = field(default_factory=dict)  # (conduits|zones, id) -> rules


def additions(plant: Any, flows: pa.Table) -> Additions:
    """The additions that would make `plant` describe `flows`: new assets (in the zone whose networks hold
    them, else in a new subnet zone), and rules for every flow that no conduit or rule allows. Operations
    outside a rule's `ops` are left to people: widening a rule is a decision, not a discovery."""
    from .conformance import conformance
    from .policy import compile_policy

    draft = discover(flows)
    policy = compile_policy(plant)
    claimed = set(policy.hosts.column("address").to_pylist())
    ranges = [(z, lo, hi, prefix) for z, lo, hi, prefix in zip(*(policy.networks.column(c).to_pylist()
                                                                 for c in ("zone", "lo", "hi", "prefix")),
                                                              strict=True)]
    out = Additions()
    names: dict[str, str] = {}  # address -> the endpoint name rules use (asset id, or untrusted zone id)
    for aid, asset in plant.assets.items():
        for addr in asset.addresses:
            names[str(addr)] = aid
    for h in draft.hosts.values():
        if h.address in claimed:
            continue
        key, _ = address_key(h.address)
        holders = sorted((r for r in ranges if r[1] <= key <= r[2]), key=lambda r: -r[3])
        if holders:
            zone = holders[0][0]
            if plant.zones[zone].trust == "untrusted":
                names[h.address] = zone  # the plant does not inventory untrusted zones
                continue
            h.zone = zone
        else:
            dz = draft.zones[h.zone]
            if dz.id not in out.zones:
                overlap = any(_overlaps(net, r) for net in dz.networks for r in ranges)
                out.zones[dz.id] = DraftZone(dz.id, dz.name, dz.kind, dz.level, dz.trust,
                                             [] if overlap else dz.networks, dz.evidence)
        out.assets.append(h)
        names[h.address] = h.id
    ops: dict[tuple[str, str, str | None, int | None], set[str]] = defaultdict(set)
    for r in flows.select(["src", "dst", "app", "dport", "ops"]).to_pylist():
        for op, _ in r["ops"] or ():
            cls = classify(r["app"], op)
            if cls is not None:
                ops[(names.get(r["src"], r["src"]), names.get(r["dst"], r["dst"]), r["app"], r["dport"])].add(
                    op if cls == "unknown" else cls)
    zone_of = {h.id: h.zone for h in out.assets}
    for v in conformance(plant, flows).verdicts:
        if v.kind not in ("no_conduit", "not_allowed") or v.dport is None:
            continue
        src, dst = names.get(v.src or "", v.src_asset), names.get(v.dst or "", v.dst_asset)
        if dst is None and v.dst and address_key(v.dst)[1] and v.zones[0]:
            dst = v.zones[0]  # a broadcast or multicast inside a deny zone: the rule names the zone
        if src is None or dst is None:
            continue
        protocol = v.app if v.app in PROTOCOLS else None  # an application outside the vocabulary: the port alone
        rule = DraftRule(src, dst, protocol, v.dport, sorted(ops.get((src, dst, v.app, v.dport), ())),
                         f"seen: {v.flows} flow(s), {v.packets} packets, {v.first_seen:%Y-%m-%d} .. "
                         f"{v.last_seen:%Y-%m-%d}")
        if v.kind == "not_allowed" and v.conduit:
            out.rules.setdefault(("conduits", v.conduit), []).append(rule)
        elif v.kind == "not_allowed":
            out.rules.setdefault(("zones", v.zones[0] or ""), []).append(rule)
        else:
            za, zb = sorted((zone_of.get(src, v.zones[0]) or "", zone_of.get(dst, v.zones[1]) or ""))
            out.conduits.setdefault(f"{za}--{zb}", (za, zb, []))[2].append(rule)
    # hosts in new zones: the plant could not place them, so no verdict names their flows; take them as seen
    new_zone = {h.id: h.zone for h in out.assets if h.zone in out.zones}
    seen: dict[tuple[str, str, str, int], DraftRule] = {}
    for r in flows.select(["src", "dst", "l4", "app", "dport", "packets"]).to_pylist():
        src, dst = names.get(r["src"]), names.get(r["dst"])
        if r["l4"] not in ("tcp", "udp") or r["dport"] is None or src is None or dst is None \
                or (src not in new_zone and dst not in new_zone):
            continue
        zs, zd = (new_zone.get(n) or (plant.assets[n].zone if n in plant.assets else n) for n in (src, dst))
        if zs == zd:
            continue
        protocol = r["app"] if r["app"] in PROTOCOLS else r["l4"]
        key = (src, dst, protocol, r["dport"])
        if key not in seen:
            seen[key] = DraftRule(src, dst, protocol, r["dport"], sorted(ops.get((src, dst, r["app"], r["dport"]), ())),
                                  "seen between a new zone and the plant")
            za, zb = sorted((zs, zd))
            out.conduits.setdefault(f"{za}--{zb}", (za, zb, []))[2].append(seen[key])
    return out


def _overlaps(net: str, r: tuple[str, bytes, bytes, int]) -> bool:
    lo, _ = address_key(str(ipaddress.ip_network(net).network_address))
    hi, _ = address_key(str(ipaddress.ip_network(net).broadcast_address))
    return lo is not None and hi is not None and not (hi < r[1] or lo > r[2])
