"""Is a compensation proven? (design §4 compensations; 62443-3-3 §4.3.4 compensating countermeasures.)

A countermeasure of a compensation counts for it only when it meets the requirement's SR family
(its `meets` list, or its kind by analysis.measures.PLAUSIBLE); the others merely support it. Then,
by class of the countermeasures that meet it:
- preventive: they lie on every path from every entry point to the asset; and for access control
  (FR 1, SR 2.1-2.7) every allowed flow into the asset comes through one of them: each flow rule,
  and each peer of a zone that allows internal traffic;
- detective: together they see every way into the asset's zone: each conduit (placed on it, or in the
  zone), and the zone itself when it is an entry point (placed in the zone);
- supporting (encryption, backup, directory, vault, ...): only outside access control, and only where
  they cover the asset: on it, at its zone, or on every conduit into the zone;
- procedural: only for the families a procedure can carry (measures.PROCEDURAL_FAMILIES).
A host-enforced kind placed at a zone (MFA, antivirus, hardening, allowlisting) runs on its hosts: it
stands on the asset only when the asset is a host device. The compensation is proven when one class
that meets it passes its test, and an asset no entry point reaches is proven only by measures that
stand on the asset, its zone or its conduits. A refusal is data: each reason has a code, a message and
what it names (the path, the flow rules, the conduits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model.plant import Compensation, Plant
from ..standard.catalog import Catalog, load_catalog, system_counterparts
from .measures import (
    ACCESS_CONTROL,
    HOST_KINDS,
    PROCEDURAL_FAMILIES,
    RELAY_FUNCTIONS,
    RELAY_KINDS,
    family,
    kind_class,
    meets_family,
)
from .paths import AttackGraph, Hop, describe


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
    return {f for r in [requirement, *system_counterparts(requirement, catalog)] if (f := family(r))}


def prove(plant: Plant, graph: AttackGraph, comp: Compensation, catalog: Catalog | None = None) -> CompensationProof:
    """The proof of one compensation whose asset exists; countermeasures that do not exist are left to the
    caller's refusal (gaps.judge_compensations)."""
    catalog = catalog or load_catalog()
    fams = families(comp.requirement, catalog)
    proof = CompensationProof(comp.asset, comp.requirement, list(comp.by), False)
    if not fams:  # no 3-3 requirement to stand in for: the caller refuses it (no-counterpart)
        return proof
    present = [m for m in dict.fromkeys(comp.by) if m in plant.countermeasures]
    for mid in [m for m in present if plant.countermeasures[m].status != "implemented"]:
        proof.reasons.append({"code": "not-implemented", "countermeasure": mid,
                              "status": plant.countermeasures[mid].status,
                              "message": f"countermeasure {mid!r} is {plant.countermeasures[mid].status}"})
    present = [m for m in present if plant.countermeasures[m].status == "implemented"]
    for mid in present:
        m = plant.countermeasures[mid]
        how = meets_family(m.kind, m.meets, fams)
        if how is None:
            proof.supporting.append(mid)
        else:
            proof.meeting[mid] = how
    if not proof.meeting and not present:  # nothing in place to judge: the not-implemented reasons say it
        return proof
    if not proof.meeting:
        named = ", ".join(f"{mid} ({plant.countermeasures[mid].kind})" for mid in present) or "nothing"
        proof.reasons.append({
            "code": "does-not-meet", "countermeasures": present,
            "message": f"none of {named} meets {comp.requirement} or its SR family ({', '.join(sorted(fams))}): "
                       "no `meets` entry of the family, and no kind that can stand in for it"})
        return proof
    by_class: dict[str, list[str]] = {}
    for mid in proof.meeting:
        by_class.setdefault(kind_class(plant.countermeasures[mid].kind), []).append(mid)
    tests = {"preventive": _preventive, "detective": _detective, "supporting": _supporting,
             "procedural": _procedural}
    pending = list(proof.reasons)  # countermeasures not in place: whatever the rest proves, it is not proven yet
    for cls in ("preventive", "detective", "supporting", "procedural"):
        if cls not in by_class:
            continue
        reasons, bypass = tests[cls](plant, graph, comp, by_class[cls], fams)
        if not reasons and not pending:
            proof.proven, proof.tested, proof.reasons, proof.bypass = True, cls, [], []
            return proof
        proof.reasons += reasons
        proof.bypass = proof.bypass or bypass
    return proof


def _related(plant: Plant, asset: str, mid: str) -> bool:
    """The countermeasure stands on the asset, its zone or one of its zone's conduits."""
    at = plant.countermeasures[mid].at
    zone = plant.assets[asset].zone
    return at.asset == asset or at.zone == zone or (at.conduit is not None and at.conduit in plant.conduits
                                                      and zone in plant.conduits[at.conduit].zones)


def _unreached(plant: Plant, graph: AttackGraph, comp: Compensation, ms: list[str]) -> list[dict[str, Any]] | None:
    """None when an entry point reaches the asset; else a refusal unless a measure stands by the asset."""
    if graph.reaches(plant.assets[comp.asset].zone):
        return None
    if any(_related(plant, comp.asset, m) for m in ms):
        return []
    return [{"code": "no-path", "countermeasures": ms,
             "message": f"no entry point reaches {comp.asset}, and {', '.join(ms)} stand(s) on neither it, its zone "
                        "nor its conduits: what protects it is its isolation, not them"}]


def _preventive(plant: Plant, graph: AttackGraph, comp: Compensation, ms: list[str], fams: set[str]
                ) -> tuple[list[dict[str, Any]], list[Hop]]:
    unreached = _unreached(plant, graph, comp, ms)
    if unreached:
        return unreached, []
    reasons: list[dict[str, Any]] = []
    # a host kind at the asset's own zone stands on the zone's hosts: on a path into the zone only when the asset
    # is one of them (AttackGraph counts it on the target then, and on conduits out of the zone otherwise)
    bypass = graph.weakest(comp.asset, blocked=set(ms)) or []
    if bypass:
        reasons.append({"code": "path-bypass", "path": [h.id for h in bypass],
                        "message": f"{describe(bypass)} meets none of {', '.join(ms)}"})
    if fams & ACCESS_CONTROL:
        escaped = _flows_around(plant, comp.asset, ms, graph)
        if escaped:
            shown = "; ".join(f"{f['where']}{' #' + str(f['rule']) if f['rule'] else ''} {f['from']} -> {f['to']}"
                              for f in escaped[:5])
            more = f" and {len(escaped) - 5} more" if len(escaped) > 5 else ""
            reasons.append({"code": "flow-bypass", "flows": escaped,
                            "message": f"{len(escaped)} allowed flow(s) into {comp.asset} do not come through "
                                       f"{', '.join(ms)}: {shown}{more}"})
    return reasons, bypass


def _through(plant: Plant, mid: str, asset: str, graph: AttackGraph) -> tuple[set[str], set[str], bool]:
    """Where flows pass a countermeasure: the initiators that have passed it (the asset it stands on or its
    device; a relay zone's relays; every host of a zone it is enforced across), the conduits it is on, and
    whether it stands on the asset itself (placed on it, its device, or a host kind across a host's zone)."""
    m = plant.countermeasures[mid]
    a = plant.assets[asset]
    senders = {x for x in (m.at.asset, m.device) if x and x in plant.assets}
    conduits = {m.at.conduit} if m.at.conduit else set()
    on_asset = asset in (m.at.asset, m.device) or (m.kind in HOST_KINDS and m.at.zone == a.zone
                                                    and a.type == "host_device")
    if m.at.zone and m.kind in RELAY_KINDS:  # a relay in a zone: only what starts on the relay passes it
        senders |= {aid for aid in graph.members.get(m.at.zone, []) if plant.assets[aid].function in RELAY_FUNCTIONS}
    elif m.at.zone and m.kind in HOST_KINDS:  # enforced on the zone's hosts: whatever starts on one has passed it
        senders |= {aid for aid in graph.members.get(m.at.zone, []) if plant.assets[aid].type == "host_device"}
    elif m.at.zone and m.at.zone != a.zone:  # a perimeter device of another zone: every flow out of it crosses it
        senders |= {m.at.zone, *graph.members.get(m.at.zone, [])}
    elif m.at.zone:  # the perimeter of the asset's own zone: every conduit flow into the zone crosses it
        conduits |= set(graph.conduits_of(a.zone))
    return senders, conduits, on_asset


def _flows_around(plant: Plant, asset: str, ms: list[str], graph: AttackGraph) -> list[dict[str, Any]]:
    """The allowed flow rules into the asset (conduit rules, and the zone's own when internal is deny) that no
    countermeasure of `ms` carries."""
    zone = plant.assets[asset].zone
    senders: set[str] = set()
    conduits: set[str] = set()
    for mid in ms:
        s, c, on_asset = _through(plant, mid, asset, graph)
        if on_asset:
            return []
        senders |= s
        conduits |= c
    rules: list[tuple[str, int, Any]] = [(cid, i, r) for cid in graph.conduits_of(zone)
                                         for i, r in enumerate(plant.conduits[cid].flows)]
    out = []
    if plant.zones[zone].internal == "deny":
        rules += [(f"zone {zone}", i, r) for i, r in enumerate(plant.zones[zone].flows)]
    else:  # every peer of the zone may open a conversation to the asset
        for aid in graph.members.get(zone, []):
            peer = plant.assets[aid]
            if aid != asset and peer.lifecycle != "decommissioned" and aid not in senders:
                out.append({"where": f"zone {zone} (internal allow)", "rule": None, "from": aid, "to": asset,
                            "protocol": None, "port": None})
    for where, i, r in rules:
        for src, dst in ((r.from_, r.to), (r.to, r.from_)) if r.direction == "both" else ((r.from_, r.to),):
            if dst not in (asset, zone) or src == asset or (src == zone and not where.startswith("zone ")):
                continue
            if where in conduits or src in senders:
                continue
            out.append({"where": where, "rule": i + 1, "from": src, "to": dst,
                        "protocol": r.protocol, "port": r.port})
    return sorted(out, key=lambda f: (f["rule"] is None, f["where"], f["rule"] or 0, f["from"]))


def _detective(plant: Plant, graph: AttackGraph, comp: Compensation, ms: list[str], fams: set[str]
               ) -> tuple[list[dict[str, Any]], list[Hop]]:
    zone = plant.assets[comp.asset].zone
    placed = [plant.countermeasures[m].at for m in ms]
    if any(p.zone == zone or p.asset == comp.asset for p in placed):
        return [], []
    unreached = _unreached(plant, graph, comp, ms)
    if unreached is not None:
        return unreached, []
    return _seen(plant, graph, zone, ms, "see(s)"), []


def _seen(plant: Plant, graph: AttackGraph, zone: str, ms: list[str], verb: str) -> list[dict[str, Any]]:
    """What none of the conduit-placed measures covers: conduits into the zone, and the zone's own entry."""
    seen = {plant.countermeasures[m].at.conduit for m in ms}
    into = sorted(graph.conduits_of(zone))
    unseen = [cid for cid in into if cid not in seen]
    reasons: list[dict[str, Any]] = []
    if unseen:
        reasons.append({"code": "not-seen", "conduits": unseen,
                        "message": f"{', '.join(ms)} {verb} neither zone {zone} nor its conduit(s) "
                                   f"{', '.join(unseen)}"})
    if zone in graph.entries:
        entry = sorted(aid for aid in graph.members.get(zone, []) if plant.assets[aid].reachable_from_outside)
        what = f"{', '.join(entry)} reachable from outside" if entry else f"zone {zone} is an entry point itself"
        reasons.append({"code": "not-seen", "assets": entry, "zone": zone,
                        "message": f"{what}: attackers come in past every conduit; only a measure in the zone "
                                   f"covers them"})
    return reasons


def _supporting(plant: Plant, graph: AttackGraph, comp: Compensation, ms: list[str], fams: set[str]
                ) -> tuple[list[dict[str, Any]], list[Hop]]:
    if fams & ACCESS_CONTROL:
        return [{"code": "supporting-only", "countermeasures": ms,
                 "message": f"{', '.join(ms)} support(s) access control but stop(s) no one: a directory, vault, "
                            f"encryption or backup cannot prove {comp.requirement} without a preventive measure "
                            "on the way in"}], []
    zone = plant.assets[comp.asset].zone
    if any(plant.countermeasures[m].at.zone == zone or comp.asset in (plant.countermeasures[m].at.asset,
                                                                        plant.countermeasures[m].device)
           for m in ms):
        return [], []
    unreached = _unreached(plant, graph, comp, ms)
    if unreached is not None:
        return unreached, []
    return _seen(plant, graph, zone, ms, "cover(s)"), []


def _procedural(plant: Plant, graph: AttackGraph, comp: Compensation, ms: list[str], fams: set[str]
                ) -> tuple[list[dict[str, Any]], list[Hop]]:
    if fams & PROCEDURAL_FAMILIES:
        return [], []
    return [{"code": "procedural-only", "countermeasures": ms,
             "message": f"{', '.join(ms)} {'is a' if len(ms) == 1 else 'are'} policy or procedure: it stands on no "
                        f"path and sees nothing, so it cannot prove {comp.requirement}"}], []
