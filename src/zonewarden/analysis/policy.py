"""The plant compiled into policy tables for the conformance query (design §5).

Addresses become 16-byte keys (IPv4 mapped into IPv6) so that zone networks are plain byte ranges
that compare the same way in DuckDB, Spark or Python. Flow rules are resolved to the asset or zone
at each end, one row per port, keyed by the pair of zones they connect, so the query joins flows to
rules on equality and filters the few rules of one conduit.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa

from ..model.plant import FlowRule, Plant
from ..traffic.decoders import OP_CLASSES
from ..traffic.decoders.modbus import FC_NAMES

# Modbus function codes with no class stay unclassified, but unknown (non-standard) ones are not
# "neutral": a rule must name them (fc100) to allow them.
UNKNOWN_OPS = {("modbus", name) for name in FC_NAMES if name not in OP_CLASSES.get("modbus", {})}


def classify(app: str | None, op: str) -> str | None:
    """An operation's class as conformance judges it: the decoder's, `unknown` for a non-standard Modbus
    function code (a rule must name it), or None for a neutral one (acks, responses)."""
    if (app, op) in UNKNOWN_OPS:
        return "unknown"
    return OP_CLASSES.get(app or "", {}).get(op)


def address_key(text: str, broadcasts: frozenset[str] = frozenset()) -> tuple[bytes | None, bool]:
    """(16-byte key, special) of an address: special for multicast, broadcast (limited, or a zone
    network's directed broadcast) and unspecified, which are not hosts. (None, False) for what is not
    an IP address (the MACs of non-IP flows)."""
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None, False
    special = ip.is_multicast or ip.is_unspecified or text in broadcasts or text == "255.255.255.255"
    if ip.version == 4:
        return b"\x00" * 10 + b"\xff\xff" + ip.packed, special
    return ip.packed, special


def network_range(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> tuple[bytes, bytes, int]:
    lo, _ = address_key(str(net.network_address))
    hi, _ = address_key(str(net.broadcast_address))
    prefix = net.prefixlen + (96 if net.version == 4 else 0)
    return lo, hi, prefix  # type: ignore[return-value]


@dataclass
class Policy:
    """The plant as tables (Arrow), named as the SQL reads them."""

    hosts: pa.Table
    networks: pa.Table
    zones: pa.Table
    conduits: pa.Table
    rules: pa.Table
    op_classes: pa.Table
    broadcasts: frozenset[str]

    def tables(self) -> dict[str, pa.Table]:
        return {"hosts": self.hosts, "networks": self.networks, "zones": self.zones, "conduits": self.conduits,
                "rules": self.rules, "op_classes": self.op_classes}


def rule_id(scope: str, rule: FlowRule, port: int | None) -> str:
    """Stable id of one rule and port: what it allows, not where it sits in the file (direction and ops
    included, so two rules that differ only there keep apart)."""
    what = rule.protocol or "any"
    return (f"{scope}/{rule.from_}{'<>' if rule.direction == 'both' else '>'}{rule.to}/{what}"
            + (f"/{port}" if port is not None else "") + (f"/{'+'.join(rule.ops)}" if rule.ops else ""))


def _hosts(plant: Plant) -> dict[str, list]:
    """One row per address: its live asset's; else (the first) decommissioned asset's, whose address a new asset
    may reuse, so `retired` says the address should carry no traffic at all."""
    chosen: dict[bytes | None, tuple[str, str, bool]] = {}  # key -> (address, asset, retired)
    for aid, asset in plant.assets.items():
        retired = asset.lifecycle == "decommissioned"
        for addr in asset.addresses:
            key = address_key(str(addr))[0]
            held = chosen.get(key)
            if held is None or (held[2] and not retired):  # a live asset wins over a decommissioned one
                chosen[key] = (str(addr), aid, retired)
    hosts: dict[str, list] = {"address": [], "key": [], "asset": [], "zone": [], "type": [], "retired": []}
    for key, (addr, aid, retired) in chosen.items():
        asset = plant.assets[aid]
        for column, value in (("address", addr), ("key", key), ("asset", aid), ("zone", asset.zone),
                              ("type", asset.type), ("retired", retired)):
            hosts[column].append(value)
    return hosts


def compile_policy(plant: Plant) -> Policy:
    hosts = _hosts(plant)
    networks: dict[str, list] = {"zone": [], "lo": [], "hi": [], "prefix": []}
    broadcasts = {str(net.broadcast_address) for zone in plant.zones.values() for net in zone.networks
                  if net.version == 4 and net.prefixlen < 31}
    zones: dict[str, list] = {"zone": [], "level": [], "trust": [], "internal": []}
    for zid, zone in plant.zones.items():
        zones["zone"].append(zid)
        zones["level"].append(float(zone.level))
        zones["trust"].append(zone.trust)
        zones["internal"].append(zone.internal)
        for net in zone.networks:
            lo, hi, prefix = network_range(net)
            networks["zone"].append(zid)
            networks["lo"].append(lo)
            networks["hi"].append(hi)
            networks["prefix"].append(prefix)
    conduits: dict[str, list] = {"conduit": [], "za": [], "zb": []}
    for cid, conduit in plant.conduits.items():
        za, zb = sorted(conduit.zones)
        conduits["conduit"].append(cid)
        conduits["za"].append(za)
        conduits["zb"].append(zb)
    rules: dict[str, list] = {k: [] for k in ("rule_id", "conduit", "za", "zb", "from_asset", "from_zone",
                                              "to_asset", "to_zone", "protocol", "port", "both", "ops")}

    def add_rules(scope: str, conduit: str | None, za: str, zb: str, flow_rules: Iterable[FlowRule]) -> None:
        for rule in flow_rules:
            for port in rule.ports or [None]:
                rules["rule_id"].append(rule_id(scope, rule, port))
                rules["conduit"].append(conduit)
                rules["za"].append(za)
                rules["zb"].append(zb)
                for end, name in (("from", rule.from_), ("to", rule.to)):
                    is_asset = name in plant.assets
                    rules[f"{end}_asset"].append(name if is_asset else None)
                    rules[f"{end}_zone"].append(plant.assets[name].zone if is_asset else name)
                rules["protocol"].append(rule.protocol)
                rules["port"].append(port)
                rules["both"].append(rule.direction == "both")
                rules["ops"].append(rule.ops)

    for cid, conduit in plant.conduits.items():
        za, zb = sorted(conduit.zones)
        add_rules(cid, cid, za, zb, conduit.flows)
    for zid, zone in plant.zones.items():
        add_rules(zid, None, zid, zid, zone.flows)
    classes: dict[str, list] = {"app": [], "op": [], "class": []}
    for app, mapping in OP_CLASSES.items():
        for op, cls in mapping.items():
            classes["app"].append(app)
            classes["op"].append(op)
            classes["class"].append(cls)
    for app, op in sorted(UNKNOWN_OPS):
        classes["app"].append(app)
        classes["op"].append(op)
        classes["class"].append("unknown")
    string, blob = pa.string(), pa.binary()
    return Policy(
        hosts=pa.table(hosts, schema=pa.schema([("address", string), ("key", blob), ("asset", string),
                                                ("zone", string), ("type", string), ("retired", pa.bool_())])),
        networks=pa.table(networks, schema=pa.schema([("zone", string), ("lo", blob), ("hi", blob),
                                                      ("prefix", pa.int32())])),
        zones=pa.table(zones, schema=pa.schema([("zone", string), ("level", pa.float64()), ("trust", string),
                                                ("internal", string)])),
        conduits=pa.table(conduits, schema=pa.schema([("conduit", string), ("za", string), ("zb", string)])),
        rules=pa.table(rules, schema=pa.schema([
            ("rule_id", string), ("conduit", string), ("za", string), ("zb", string), ("from_asset", string),
            ("from_zone", string), ("to_asset", string), ("to_zone", string), ("protocol", string),
            ("port", pa.int32()), ("both", pa.bool_()), ("ops", pa.list_(string))])),
        op_classes=pa.table(classes, schema=pa.schema([("app", string), ("op", string), ("class", string)])),
        broadcasts=frozenset(broadcasts),
    )


def address_table(flows: pa.Table, broadcasts: frozenset[str] = frozenset()) -> pa.Table:
    """Every distinct address of the flows with its key: the only per-address Python work."""
    import pyarrow.compute as pc

    distinct = pc.unique(pa.chunked_array([*flows.column("src").chunks, *flows.column("dst").chunks]))
    texts, keys, special = [], [], []
    for text in distinct.to_pylist():
        if text is None:
            continue
        key, is_special = address_key(text, broadcasts)
        texts.append(text)
        keys.append(key)
        special.append(is_special)
    return pa.table({"address": pa.array(texts, pa.string()), "key": pa.array(keys, pa.binary()),
                     "special": pa.array(special, pa.bool_())})
