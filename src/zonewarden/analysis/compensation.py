"""Is a compensation proven? (design §4 compensations; 62443-3-3 §4.3.4 compensating countermeasures.)

A countermeasure of a compensation counts for it only when it meets the requirement's SR family
(its `meets` list, or its kind by analysis.measures.PLAUSIBLE); the others merely support it. Then,
by class of the countermeasures that meet it:
- preventive (and supporting): they lie on every path from every entry point to the asset; and for
  access control (FR 1, SR 2.1-2.7) every flow rule into the asset comes through one of them;
- detective: together they see every conduit into the asset's zone (placed on it, or in the zone);
- procedural: only for the families a procedure can carry (PROCEDURAL_FAMILIES).
The compensation is proven when one class that meets it passes its test. A refusal is data: each
reason has a code, a message and what it names (the path, the flow rules, the conduits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model.plant import Compensation, Plant
from ..standard.catalog import Catalog, load_catalog, system_counterparts
from .measures import ACCESS_CONTROL, family, kind_class, meets_family
from .paths import AttackGraph, Hop, describe

PROCEDURAL_FAMILIES = frozenset({"2.3", "7.4", "7.5"})  # portable media use, recovery, emergency power
GATEWAY_KINDS = frozenset({"jump_host", "remote_access_gateway", "vpn", "privileged_access_management", "firewall",
                           "router_acl", "data_diode", "unidirectional_gateway"})
GATEWAY_FUNCTIONS = frozenset({"jump_host", "vpn_gateway", "firewall", "router", "data_diode"})


@dataclass
class CompensationProof:
    asset: str
    requirement: str
    by: list[str]
    proven: bool
    bypass: list[Hop] = field(default_factory=list)  # a path from an entry point that meets none of them
    reasons: list[dict[str, Any]] = field(default_factory=list)  # why it is not proven: code, message, names
    meeting: dict[str, str] = field(default_factory=dict)  # countermeasure -> how it meets the requirement
    supporting: list[str] = field(default_factory=list)  # named in `by` but meeting nothing of the family
    tested: str | None = None  # preventive | detective | procedural: the class whose test proves it

    def as_dict(self) -> dict[str, Any]:
        return {"asset": self.asset, "requirement": self.requirement, "by": self.by, "proven": self.proven,
                "bypass": [h.as_dict() for h in self.bypass], "reasons": self.reasons, "meeting": self.meeting,
                "supporting": self.supporting, "proven_by": self.tested}


def families(requirement: str, catalog: Catalog) -> set[str]:
    """The SR families a requirement stands in: its own, and those of its 3-3 counterparts."""
    out = {f for r in [requirement, *system_counterparts(requirement, catalog)] if (f := family(r))}
    return out


def prove(plant: Plant, graph: AttackGraph, comp: Compensation, catalog: Catalog | None = None) -> CompensationProof:
    """The proof of one compensation whose asset exists; countermeasures that do not exist are left to the
    caller's refusal (gaps.judge_compensations)."""
    catalog = catalog or load_catalog()
    fams = families(comp.requirement, catalog)
    proof = CompensationProof(comp.asset, comp.requirement, list(comp.by), False)
    present = [m for m in comp.by if m in plant.countermeasures]
    for mid in present:
        m = plant.countermeasures[mid]
        how = meets_family(m.kind, m.meets, fams)
        if how is None:
            proof.supporting.append(mid)
        else:
            proof.meeting[mid] = how
    if not proof.meeting:
        named = ", ".join(f"{mid} ({plant.countermeasures[mid].kind})" for mid in present) or "nothing"
        proof.reasons.append({
            "code": "does-not-meet", "countermeasures": present,
            "message": f"none of {named} meets {comp.requirement} or its SR family ({', '.join(sorted(fams))}): "
                       "no `meets` entry of the family, and no kind that can stand in for it"})
        return proof
    by_class: dict[str, list[str]] = {}
    for mid in proof.meeting:
        cls = kind_class(plant.countermeasures[mid].kind)
        by_class.setdefault("preventive" if cls == "supporting" else cls, []).append(mid)
    tests = {"preventive": _preventive, "detective": _detective, "procedural": _procedural}
    for cls in ("preventive", "detective", "procedural"):
        if cls not in by_class:
            continue
        reasons, bypass = tests[cls](plant, graph, comp, by_class[cls], fams)
        if not reasons:
            proof.proven, proof.tested, proof.reasons, proof.bypass = True, cls, [], []
            return proof
        proof.reasons += reasons
        proof.bypass = proof.bypass or bypass
    return proof


def _preventive(plant: Plant, graph: AttackGraph, comp: Compensation, ms: list[str], fams: set[str]
                ) -> tuple[list[dict[str, Any]], list[Hop]]:
    reasons: list[dict[str, Any]] = []
    bypass = graph.weakest(comp.asset, blocked=set(ms)) or []
    if bypass:
        reasons.append({"code": "path-bypass", "path": [h.id for h in bypass],
                        "message": f"{describe(bypass)} meets none of {', '.join(ms)}"})
    if fams & ACCESS_CONTROL:
        escaped = _flows_around(plant, comp.asset, ms)
        if escaped:
            shown = "; ".join(f"{f['where']} #{f['rule']} {f['from']} -> {f['to']}" for f in escaped[:5])
            more = f" and {len(escaped) - 5} more" if len(escaped) > 5 else ""
            reasons.append({"code": "flow-bypass", "flows": escaped,
                            "message": f"{len(escaped)} allowed flow rule(s) into {comp.asset} do not come through "
                                       f"{', '.join(ms)}: {shown}{more}"})
    return reasons, bypass


def _through(plant: Plant, mid: str, asset: str) -> tuple[set[str], set[str], bool]:
    """Where flows pass a countermeasure: the initiators that have passed it (the asset it stands on or its
    device; a gateway zone's gateways; every host of a zone it is enforced across), the conduits it is on, and
    whether it is enforced on the asset itself (on the asset, or host-based across the asset's zone)."""
    m = plant.countermeasures[mid]
    zone = plant.assets[asset].zone
    senders = {x for x in (m.at.asset, m.device) if x and x in plant.assets}
    conduits = {m.at.conduit} if m.at.conduit else set()
    on_asset = m.at.asset == asset or (m.at.zone == zone and m.kind not in GATEWAY_KINDS)
    if m.at.zone and m.kind in GATEWAY_KINDS:  # a gateway in a zone: only what starts on the gateway passes it
        senders |= {aid for aid, a in plant.assets.items() if a.zone == m.at.zone and a.function in GATEWAY_FUNCTIONS}
    elif m.at.zone:  # enforced on the zone's hosts (MFA, a directory): whatever starts there has passed it
        senders |= {m.at.zone} | {aid for aid, a in plant.assets.items() if a.zone == m.at.zone}
    return senders, conduits, on_asset


def _flows_around(plant: Plant, asset: str, ms: list[str]) -> list[dict[str, Any]]:
    """The allowed flow rules into the asset (conduit rules, and the zone's own when internal is deny) that no
    countermeasure of `ms` carries."""
    zone = plant.assets[asset].zone
    senders: set[str] = set()
    conduits: set[str] = set()
    for mid in ms:
        s, c, on_asset = _through(plant, mid, asset)
        if on_asset:
            return []
        senders |= s
        conduits |= c
    rules: list[tuple[str, int, Any]] = [(cid, i, r) for cid, c in plant.conduits.items() if zone in c.zones
                                         for i, r in enumerate(c.flows)]
    if plant.zones[zone].internal == "deny":
        rules += [(f"zone {zone}", i, r) for i, r in enumerate(plant.zones[zone].flows)]
    out = []
    for where, i, r in rules:
        for src, dst in ((r.from_, r.to), (r.to, r.from_)) if r.direction == "both" else ((r.from_, r.to),):
            if dst not in (asset, zone) or src in (asset, zone):
                continue
            if where in conduits or src in senders:
                continue
            out.append({"where": where, "rule": i + 1, "from": src, "to": dst,
                        "protocol": r.protocol, "port": r.port})
    return out


def _detective(plant: Plant, graph: AttackGraph, comp: Compensation, ms: list[str], fams: set[str]
               ) -> tuple[list[dict[str, Any]], list[Hop]]:
    zone = plant.assets[comp.asset].zone
    placed = [plant.countermeasures[m].at for m in ms]
    if any(p.zone == zone or p.asset == comp.asset for p in placed):
        return [], []
    seen = {p.conduit for p in placed if p.conduit}
    into = sorted(cid for cid, c in plant.conduits.items() if zone in c.zones)
    unseen = [cid for cid in into if cid not in seen]
    entry = sorted(aid for aid, a in plant.assets.items() if a.zone == zone and a.reachable_from_outside)
    reasons: list[dict[str, Any]] = []
    if unseen:
        reasons.append({"code": "not-seen", "conduits": unseen,
                        "message": f"{', '.join(ms)} see(s) neither zone {zone} nor its conduit(s) "
                                   f"{', '.join(unseen)}"})
    if entry:
        reasons.append({"code": "not-seen", "assets": entry,
                        "message": f"{', '.join(entry)} in zone {zone} are reachable from outside, past every "
                                   f"conduit; only a sensor in the zone sees them"})
    return reasons, []


def _procedural(plant: Plant, graph: AttackGraph, comp: Compensation, ms: list[str], fams: set[str]
                ) -> tuple[list[dict[str, Any]], list[Hop]]:
    if fams & PROCEDURAL_FAMILIES:
        return [], []
    return [{"code": "procedural-only", "countermeasures": ms,
             "message": f"{', '.join(ms)} {'is a' if len(ms) == 1 else 'are'} policy or procedure: it stands on no "
                        f"path and sees nothing, so it cannot prove {comp.requirement}"}], []
