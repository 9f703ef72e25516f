"""Zone and conduit conformance: the flows a network carried, judged against the plant (design §5).

The judging is one SQL statement (conformance.sql) over the flow table and the policy tables,
run in-process by DuckDB; this module compiles the inputs, runs it, and gives each verdict its
stable id, severity, requirement and message. The same statement runs on Spark for fleets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import duckdb
import pyarrow as pa

from ..model.plant import Plant
from .policy import address_table, compile_policy

SQL = resources.files(__package__).joinpath("conformance.sql").read_text()


@dataclass(frozen=True)
class VerdictKind:
    kind: str
    severity: str
    requirements: tuple[str, ...]
    title: str


KINDS = {k.kind: k for k in (
    VerdictKind("no_conduit", "high", ("SR 5.1", "SR 5.2"), "flow between two zones that no conduit joins"),
    VerdictKind("not_allowed", "high", ("SR 5.2",), "flow that no rule of its conduit (or zone) allows"),
    VerdictKind("op_not_allowed", "high", ("SR 5.2", "SR 2.1"), "operation outside the rule's ops"),
    VerdictKind("cleartext_remote_access", "high", ("SR 4.1", "SR 3.1"),
                "clear-text remote access into a more trusted zone"),
    VerdictKind("uninventoried", "medium", ("SR 7.8",), "address inside a zone's networks that no asset claims"),
    VerdictKind("outside_zones", "medium", ("SR 5.1", "SR 7.8"), "address outside every zone"),
    VerdictKind("decommissioned", "high", ("SR 7.8", "SR 4.2"), "traffic to or from a decommissioned asset"),
    VerdictKind("unused_rule", "info", ("SR 7.7",), "allowed flow never seen in the capture window"),
)}
CRITICAL_OP_CLASSES = ("program", "control")
# kind -> (stable id after "traffic:", message); fields: the query's row, and src, dst, service, where, scope
TEXTS = {
    "no_conduit": ("no_conduit:{src}>{dst}:{service}",
                   "{src} ({src_zone}) -> {dst} ({dst_zone}) {service}: no conduit joins these zones"),
    "not_allowed": ("not_allowed:{scope}:{src}>{dst}:{service}", "{src} -> {dst} {service} on {where}: no flow rule "
                    "allows it"),
    "op_not_allowed": ("op_not_allowed:{src}>{dst}:{service}:{op}", "{src} -> {dst} {service} on {where}: operation "
                       "{op} ({op_class}, {pdus} PDUs) is outside the rule's ops"),
    "cleartext_remote_access": ("cleartext_remote_access:{src}>{dst}:{service}", "{src} ({src_zone}) -> {dst} "
                                "({dst_zone}) {service}: clear-text remote access into a more trusted zone"),
    "uninventoried": ("uninventoried:{src}", "{src} talks inside zone {src_zone}'s networks, but no asset has this "
                      "address"),
    "outside_zones": ("outside_zones:{src}", "{src} is in no zone's networks and no asset has it"),
    "decommissioned": ("decommissioned:{src}", "{src} belongs to decommissioned asset {src_asset} (zone {src_zone}), "
                       "yet it carries traffic ({flows} flows)"),
    "unused_rule": ("unused_rule:{rule_id}", "rule {src} -> {dst} {service} on {where} was never used in the capture "
                    "window"),
}  # a PLC stop or a download past a read-only rule


@dataclass
class Verdict:
    id: str
    kind: str
    severity: str
    requirements: tuple[str, ...]
    message: str
    conduit: str | None
    zones: tuple[str | None, str | None]
    src: str | None
    dst: str | None
    src_asset: str | None
    dst_asset: str | None
    app: str | None
    dport: int | None
    op: str | None = None
    op_class: str | None = None
    rule: str | None = None
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    packets: int = 0
    flows: int = 0
    pdus: int | None = None
    status: str = "open"
    tracking: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        def iso(t: dt.datetime | None) -> str | None:
            return None if t is None else t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

        return {"id": self.id, "kind": self.kind, "severity": self.severity, "status": self.status,
                "requirements": list(self.requirements), "message": self.message, "conduit": self.conduit,
                "src_zone": self.zones[0], "dst_zone": self.zones[1], "src": self.src, "dst": self.dst,
                "src_asset": self.src_asset, "dst_asset": self.dst_asset, "app": self.app, "dport": self.dport,
                "op": self.op, "op_class": self.op_class, "rule": self.rule, "first_seen": iso(self.first_seen),
                "last_seen": iso(self.last_seen), "packets": self.packets, "flows": self.flows, "pdus": self.pdus,
                **({"tracking": self.tracking} if self.tracking else {})}


@dataclass
class Conformance:
    verdicts: list[Verdict]
    flows: int
    rules: int

    def by_kind(self) -> dict[str, list[Verdict]]:
        out: dict[str, list[Verdict]] = {k: [] for k in KINDS}
        for v in self.verdicts:
            out[v.kind].append(v)
        return out


def _service(app: str | None, dport: int | None) -> str:
    return f"{app or 'any'}" + (f"/{dport}" if dport is not None else "")


def _verdict(row: dict[str, Any]) -> Verdict:
    kind = KINDS[row["kind"]]
    src, dst = row["src_end"], row["dst_end"]
    service = _service(row["app"], row["dport"])
    severity = kind.severity
    if row["kind"] == "op_not_allowed" and row["op_class"] in CRITICAL_OP_CLASSES:
        severity = "critical"
    fields = {**row, "src": src, "dst": dst, "service": service,
              "where": f"conduit {row['conduit']}" if row["conduit"] else f"zone {row['src_zone']}",
              "scope": row["conduit"] or row["src_zone"]}
    id_template, message_template = TEXTS[row["kind"]]
    vid = "traffic:" + id_template.format(**fields)
    message = message_template.format(**fields)
    return Verdict(
        id=vid, kind=row["kind"], severity=severity, requirements=kind.requirements, message=message,
        conduit=row["conduit"], zones=(row["src_zone"], row["dst_zone"]), src=row["src"], dst=row["dst"],
        src_asset=row["src_asset"], dst_asset=row["dst_asset"], app=row["app"], dport=row["dport"], op=row["op"],
        op_class=row["op_class"], rule=row["rule_id"], first_seen=row["first_seen"], last_seen=row["last_seen"],
        packets=int(row["packets"] or 0), flows=int(row["flows"] or 0),
        pdus=None if row["pdus"] is None else int(row["pdus"]))


def conformance(plant: Plant, flows: pa.Table, threads: int | None = None) -> Conformance:
    """Judge a flow table (traffic.table.FLOW_SCHEMA) against a plant."""
    policy = compile_policy(plant)
    con = duckdb.connect(config={"threads": threads} if threads else {})
    try:
        for name, table in policy.tables().items():
            con.register(name, table)
        con.register("flows", flows)
        con.register("addresses", address_table(flows, policy.broadcasts))
        rows = con.sql(SQL).to_arrow_table().to_pylist()
    finally:
        con.close()
    verdicts = [_verdict(r) for r in rows]
    return Conformance(verdicts, flows=len(flows), rules=len(policy.rules))
