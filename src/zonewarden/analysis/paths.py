"""Attack paths and defense in depth over the graph of zones and conduits (issue 6).

The graph: a node per zone, and one per target asset; an edge from zone A to zone B for each
conduit whose flow rules let A open conversations into B (`direction: both` counts both ways), so
parallel conduits are parallel edges. An attacker starts inside an entry zone (untrusted, remote
access, wireless, external, or `scope: external`) or on an asset reachable from outside or a wireless
access point, and may use any rule of a zone
it has reached. The layers of a path are the implemented countermeasures of a layer kind (LAYER_KINDS)
it crosses: on each conduit, on each zone it enters (not the one it starts in), and on the target
asset; those that name the same `device` are one layer. Depth of a target: the fewest layers on any path to it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from ..model.plant import Plant
from .applicability import WIRELESS_FUNCTIONS

ENTRY_KINDS = ("remote_access", "wireless", "external")
# countermeasures that stand on a path (block, filter, authenticate, detect an attacker crossing); records,
# backups, policies and the like protect too, but are not a layer an attacker must get through
LAYER_KINDS = ("firewall", "data_diode", "unidirectional_gateway", "router_acl", "jump_host", "remote_access_gateway",
               "vpn", "mfa", "privileged_access_management", "ids", "application_allowlisting", "hardening",
               "network_access_control", "wireless_security", "encryption")


@dataclass
class Hop:
    kind: str  # entry | conduit | zone | asset
    id: str
    layers: list[str]  # countermeasure ids met at this hop

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "countermeasures": self.layers}


@dataclass
class TargetDepth:
    asset: str
    zone: str
    depth: int | None  # None: no entry point reaches it
    policy: int
    weakest: list[Hop] = field(default_factory=list)

    @property
    def below_policy(self) -> bool:
        return self.depth is not None and self.depth < self.policy

    def as_dict(self) -> dict[str, Any]:
        return {"asset": self.asset, "zone": self.zone, "depth": self.depth, "policy": self.policy,
                "below_policy": self.below_policy, "weakest_path": [h.as_dict() for h in self.weakest]}


@dataclass
class CompensationProof:
    asset: str
    requirement: str
    by: list[str]
    proven: bool
    bypass: list[Hop] = field(default_factory=list)  # a path from an entry point that meets none of `by`

    def as_dict(self) -> dict[str, Any]:
        return {"asset": self.asset, "requirement": self.requirement, "by": self.by, "proven": self.proven,
                "bypass": [h.as_dict() for h in self.bypass]}


class AttackGraph:
    """The zones-and-conduits graph of one plant, with the countermeasures at each element."""

    def __init__(self, plant: Plant, observed: list[tuple[str, str, str]] = ()) -> None:
        """`observed`: (from zone, to zone, label) of flows seen in traffic that no rule allows: edges with no
        layer, since the traffic got through (the paths an attacker really has today)."""
        self.plant = plant
        live = {cid: cm for cid, cm in plant.countermeasures.items() if cm.status == "implemented"}
        self.layer = {cid for cid, cm in live.items() if cm.kind in LAYER_KINDS}
        self.device = {cid: cm.device or cid for cid, cm in live.items()}
        self.at_zone: dict[str, list[str]] = {}
        self.at_conduit: dict[str, list[str]] = {}
        self.at_asset: dict[str, list[str]] = {}
        for cid, cm in live.items():
            for where, table in ((cm.at.zone, self.at_zone), (cm.at.conduit, self.at_conduit),
                                 (cm.at.asset, self.at_asset)):
                if where:
                    table.setdefault(where, []).append(cid)
        self.graph = nx.MultiDiGraph()
        for zid in plant.zones:
            self.graph.add_node(("zone", zid))
        for cid, conduit in plant.conduits.items():
            for a, b in self._directions(conduit):
                self.graph.add_edge(("zone", a), ("zone", b), key=cid, conduit=cid)
        for a, b, label in observed:
            self.graph.add_edge(("zone", a), ("zone", b), key=label, conduit=label)
        self.edges_with: dict[str, list[tuple[Any, Any, str]]] = {}  # countermeasure -> the conduit edges it is on
        for u, v, k in self.graph.edges(keys=True):
            for c in self.at_conduit.get(k, []):
                self.edges_with.setdefault(c, []).append((u, v, k))
        self.entries = sorted({zid for zid, z in plant.zones.items()
                               if z.external or z.trust == "untrusted" or z.kind in ENTRY_KINDS}
                              | {a.zone for a in plant.assets.values()
                                 if a.reachable_from_outside or a.function in WIRELESS_FUNCTIONS})

    def _zone_of(self, endpoint: str) -> str | None:
        if endpoint in self.plant.zones:
            return endpoint
        asset = self.plant.assets.get(endpoint)
        return asset.zone if asset else None

    def _directions(self, conduit: Any) -> set[tuple[str, str]]:
        out = set()
        for rule in conduit.flows:
            a, b = self._zone_of(rule.from_), self._zone_of(rule.to)
            if a and b and a != b:
                out.add((a, b))
                if rule.direction == "both":
                    out.add((b, a))
        return out

    def count(self, countermeasures: list[str]) -> int:
        """Independent layers among some countermeasures: layer kinds only, one per device."""
        return len({self.device[c] for c in countermeasures if c in self.layer})

    def _layers(self, hops: list[Hop]) -> int:
        return self.count([c for h in hops for c in h.layers])

    def _weight(self, u: Any, v: Any, edges: dict) -> int:
        """Dijkstra's cost of stepping u -> v: the cheapest parallel conduit, plus the zone it enters."""
        zone_cost = self.count(self.at_zone.get(v[1], [])) if v[0] == "zone" else 0
        return min(self.count(self.at_conduit.get(d["conduit"], [])) for d in edges.values()) + zone_cost

    def hops(self, start: str, nodes: list[Any], target: str | None = None, graph: Any = None) -> list[Hop]:
        """The hops of a node path, choosing at each step the conduit (of `graph`) with the fewest layers."""
        hops = [Hop("entry", start, [])]
        for u, v in itertools.pairwise(nodes):
            edges = (graph if graph is not None else self.graph).get_edge_data(u, v)
            cid = min(edges, key=lambda k: (self.count(self.at_conduit.get(k, [])), k))
            hops.append(Hop("conduit", cid, list(self.at_conduit.get(cid, []))))
            hops.append(Hop("zone", v[1], list(self.at_zone.get(v[1], []))))
        if target is not None:
            hops.append(Hop("asset", target, list(self.at_asset.get(target, []))))
        return hops

    def weakest(self, asset: str, blocked: set[str] | None = None) -> list[Hop] | None:
        """The path with the fewest layers from any entry point to `asset`; `blocked`: countermeasures
        whose elements the path may not cross (to look for a bypass)."""
        zone = self.plant.assets[asset].zone
        blocked = blocked or set()
        if blocked & set(self.at_asset.get(asset, [])):
            return None
        g = self.graph
        if blocked:
            g = nx.restricted_view(self.graph, [("zone", z) for z, cms in self.at_zone.items() if blocked & set(cms)],
                                   [e for c in blocked for e in self.edges_with.get(c, ())])
        best: list[Hop] | None = None
        for entry in self.entries:
            source = ("zone", entry)
            if source not in g or ("zone", zone) not in g:
                continue
            try:
                nodes = nx.dijkstra_path(g, source, ("zone", zone), weight=self._weight)
            except nx.NetworkXNoPath:
                continue
            hops = self.hops(entry, nodes, asset, g)
            if best is None or self._layers(hops) < self._layers(best):
                best = hops
        return best


def describe(hops: list[Hop]) -> str:
    """A path in one line: `agv -> sup-agv -> supervisory -> sup-cell1 -> cell-1 -> plc-washer`."""
    return " -> ".join(h.id for h in hops)


def targets(plant: Plant) -> list[str]:
    """Assets of high criticality (or the policy's `target_criticality`), every asset of a safety zone, and
    the policy's own `targets`; a decommissioned asset is gone and is no target."""
    policy = plant.risk.depth if plant.risk else None
    order = ("low", "medium", "high")
    floor = order.index(policy.target_criticality if policy else "high")
    extra = set(policy.targets) if policy else set()
    return sorted(aid for aid, a in plant.assets.items() if a.lifecycle != "decommissioned"
                  and (order.index(a.criticality) >= floor or plant.zones[a.zone].kind == "safety" or aid in extra))


def depths(plant: Plant, sl_targets: dict[str, list[int]], graph: AttackGraph | None = None,
           assets: list[str] | None = None) -> list[TargetDepth]:
    """Depth of every target (or of the given assets) against the plant's policy (`risk.depth`), given each
    zone's SL-T: one shortest-path tree per entry point, then each target reads its zone's distance."""
    graph = graph or AttackGraph(plant)
    policy = plant.risk.depth if plant.risk else None
    high_sl, layers_high, layers = (policy.high_sl, policy.layers_high, policy.layers) if policy else (3, 2, 1)
    trees = {e: nx.single_source_dijkstra(graph.graph, ("zone", e), weight=graph._weight) for e in graph.entries}
    out = []
    for aid in targets(plant) if assets is None else assets:
        zone = plant.assets[aid].zone
        need = layers_high if max(sl_targets.get(zone, [0])) >= high_sl else layers
        reach = [(dist[("zone", zone)], entry) for entry, (dist, _) in trees.items() if ("zone", zone) in dist]
        best = None
        if reach:
            entry = min(reach)[1]
            best = graph.hops(entry, trees[entry][1][("zone", zone)], aid)
        out.append(TargetDepth(aid, zone, None if best is None else graph._layers(best), need, best or []))
    return out


def prove_compensations(plant: Plant, graph: AttackGraph | None = None) -> list[CompensationProof]:
    """A compensation is proven when every path from every entry point to its asset meets one of its
    countermeasures; otherwise the bypass is a path that meets none."""
    graph = graph or AttackGraph(plant)
    out = []
    for comp in plant.compensations:
        if comp.asset not in plant.assets:
            continue
        bypass = graph.weakest(comp.asset, blocked=set(comp.by))
        out.append(CompensationProof(comp.asset, comp.requirement, list(comp.by), bypass is None, bypass or []))
    return out


def single_points(graph: AttackGraph, found: list[TargetDepth]) -> dict[str, list[str]]:
    """Per target exactly at its policy, the countermeasures whose loss alone drops it below. No search is
    needed: losing a layer on the weakest path shortens that path by one, unless another countermeasure of
    the same device stays on it, and nothing else gets longer."""
    out: dict[str, list[str]] = {}
    for t in found:
        if t.depth is None or t.depth != t.policy or t.policy == 0:
            continue
        on_path = [c for h in t.weakest for c in h.layers if c in graph.layer]
        per_device: dict[str, set[str]] = {}
        for c in on_path:
            per_device.setdefault(graph.device[c], set()).add(c)
        spof = sorted(c for cms in per_device.values() if len(cms) == 1 for c in cms)
        if spof:
            out[t.asset] = spof
    return out


def conduits_to_harden(graph: AttackGraph, found: list[TargetDepth]) -> list[str]:
    """The fewest conduits whose hardening (one more layer each) puts a layer on every path from an entry
    point to a target below policy: a minimum edge cut, parallel conduits counted one each. Targets inside
    an entry zone have no conduit to harden and are left out."""
    sinks = {t.zone for t in found if t.below_policy and t.zone not in graph.entries}
    if not sinks or not graph.entries:
        return []
    cut = nx.DiGraph()
    for u, v, _ in graph.graph.edges(keys=True):
        cap = cut.get_edge_data(u, v, {}).get("capacity", 0) + 1
        cut.add_edge(u, v, capacity=cap)
    for entry in graph.entries:
        cut.add_edge("source", ("zone", entry))  # no capacity: unlimited
    for zone in sinks:
        cut.add_edge(("zone", zone), "sink")
    _, (reach, _) = nx.minimum_cut(cut, "source", "sink")
    return sorted(k for u, v, k in graph.graph.edges(keys=True) if u in reach and v not in reach)


@dataclass
class PathsResult:
    targets: list[TargetDepth]
    compensations: list[CompensationProof]
    entries: list[str]
    single_points: dict[str, list[str]] = field(default_factory=dict)
    harden: list[str] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)  # finding id -> status, from the tracking file

    def findings(self) -> list[dict[str, Any]]:
        """Stable-id findings: targets below policy and unproven compensations."""
        out = []
        for t in self.targets:
            if t.below_policy:
                out.append({"id": f"depth:{t.asset}", "severity": "high" if t.policy >= 2 else "medium",
                            "message": f"{t.asset} ({t.zone}) has {t.depth} layer(s) on its weakest path; the "
                                       f"policy asks {t.policy}: {describe(t.weakest)}"})
        for asset, cms in self.single_points.items():
            out.append({"id": f"single-point:{asset}", "severity": "medium",
                        "message": f"{asset} is at its depth policy only through {', '.join(cms)}: losing any one "
                                   "drops it below"})
        for c in self.compensations:
            if not c.proven:
                out.append({"id": f"compensation-path:{c.asset}:{c.requirement}", "severity": "high",
                            "message": f"compensation of {c.requirement} for {c.asset} is not proven: "
                                       f"{describe(c.bypass)} meets none of {', '.join(c.by)}"})
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"entries": self.entries, "targets": [t.as_dict() for t in self.targets],
                "compensations": [c.as_dict() for c in self.compensations], "single_points": self.single_points,
                "conduits_to_harden": self.harden,
                "findings": [{**f, "status": self.statuses.get(f["id"], "open")} for f in self.findings()]}


def analyse(plant: Plant, sl_targets: dict[str, list[int]],
            observed: list[tuple[str, str, str]] = ()) -> PathsResult:
    graph = AttackGraph(plant, observed)
    found = depths(plant, sl_targets, graph)
    return PathsResult(found, prove_compensations(plant, graph), graph.entries, single_points(graph, found),
                       conduits_to_harden(graph, found))
