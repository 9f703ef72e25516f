"""Attack paths and defense in depth over the graph of zones and conduits (design §4 depth).

The graph: a node per zone; an edge from zone A to zone B for each conduit whose flow rules let A
open conversations into B (`direction: both` counts both ways), so parallel conduits are parallel
edges; and an entry node per entry point. An attacker starts inside an external or untrusted zone,
or on an asset reachable from outside; but outside a remote-access or wireless zone (and outside the
zone of a wireless access point), so the gateway that admits them there is a layer. From a zone it
has reached it may use any rule of that zone. The layers of a path are the implemented preventive
countermeasures (analysis.measures.PREVENTIVE) it crosses: on each conduit, on each zone it enters,
and on the target asset; measures on one device count once, and a measure that names no `device`
shares one with the others of its conduit (or zone). Detective, procedural and supporting measures
on the path are listed beside the depth. Depth of a target: the fewest layers on any path to it.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from ..model.plant import Countermeasure, Plant
from .applicability import WIRELESS_FUNCTIONS
from .measures import HOST_KINDS, PREVENTIVE, RELAY_FUNCTIONS, RELAY_KINDS, kind_class

OUTSIDE_KINDS = ("remote_access", "wireless")  # an attacker starts outside these, at their gateway


def device_of(cid: str, cm: Countermeasure) -> str:
    """The box a countermeasure runs on: its `device`, else the asset it sits on, else one shared box per
    conduit or zone (two measures on one conduit with no device are not two layers)."""
    if cm.device:
        return cm.device
    if cm.at.asset:
        return cm.at.asset
    return f"conduit:{cm.at.conduit}" if cm.at.conduit else f"zone:{cm.at.zone}"


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
    layers: list[str] = field(default_factory=list)  # the preventive measures counted, one per device
    beside: dict[str, list[str]] = field(default_factory=dict)  # detective | procedural | supporting -> measures
    exact: bool = True  # False: the search for a path sharing devices ran out of budget; depth is an upper bound

    @property
    def below_policy(self) -> bool:
        return self.depth is not None and self.depth < self.policy

    def as_dict(self) -> dict[str, Any]:
        return {"asset": self.asset, "zone": self.zone, "depth": self.depth, "policy": self.policy,
                "below_policy": self.below_policy, "layers": self.layers, "beside": self.beside, "exact": self.exact,
                "weakest_path": [h.as_dict() for h in self.weakest]}


class AttackGraph:
    """The zones-and-conduits graph of one plant, with the countermeasures at each element."""

    def __init__(self, plant: Plant, observed: list[tuple[str, str, str]] = ()) -> None:
        """`observed`: (from zone, to zone, label) of flows seen in traffic that no rule allows: edges with no
        layer, since the traffic got through (the paths an attacker really has today)."""
        self.plant = plant
        live = {cid: cm for cid, cm in plant.countermeasures.items() if cm.status == "implemented"}
        self.layer = {cid for cid, cm in live.items() if cm.kind in PREVENTIVE}
        self.device = {cid: device_of(cid, cm) for cid, cm in live.items()}
        self.named_device = {cid: cm.device for cid, cm in live.items() if cm.device and not cm.at.asset}
        self.at_zone: dict[str, list[str]] = {}
        self.relays: dict[str, list[str]] = {}  # zone -> its relay measures (jump host, gateway): not its perimeter
        self.hosts: dict[str, list[str]] = {}  # zone -> measures enforced on its hosts (MFA, antivirus, hardening)
        self.at_conduit: dict[str, list[str]] = {}
        self.at_asset: dict[str, list[str]] = {}
        for cid, cm in live.items():
            if cm.at.zone and cm.kind in RELAY_KINDS:
                self.relays.setdefault(cm.at.zone, []).append(cid)
            elif cm.at.zone and cm.kind in HOST_KINDS:
                self.hosts.setdefault(cm.at.zone, []).append(cid)
            for where, table in ((cm.at.zone, self.at_zone), (cm.at.conduit, self.at_conduit),
                                 (cm.at.asset, self.at_asset)):
                if where:
                    table.setdefault(where, []).append(cid)
        self.graph = nx.MultiDiGraph()
        self.graph.add_node(SOURCE)
        for zid in plant.zones:
            self.graph.add_node(("zone", zid))
        self.relayed: set[tuple[str, str]] = set()  # (conduit, zone): all it lets out of the zone starts on a relay
        self.hosted: set[tuple[str, str]] = set()  # (conduit, zone): ... starts on a host device
        for cid, conduit in plant.conduits.items():
            for a, b in plant.conduit_directions(conduit):
                self.graph.add_edge(("zone", a), ("zone", b), key=cid, conduit=cid)
            for z in dict.fromkeys(conduit.zones):
                starts = [plant.assets.get(x) for x in self._starts(conduit, z)]
                if starts and all(x is not None and x.function in RELAY_FUNCTIONS for x in starts):
                    self.relayed.add((cid, z))
                if starts and all(x is not None and x.type == "host_device" for x in starts):
                    self.hosted.add((cid, z))
        for a, b, label in observed:
            self.graph.add_edge(("zone", a), ("zone", b), key=label, conduit=label)
        live_assets = [a for a in plant.assets.values() if a.lifecycle != "decommissioned"]
        inside = {zid for zid, z in plant.zones.items()
                  if (z.external or z.trust == "untrusted" or z.kind == "external") and z.kind not in OUTSIDE_KINDS}
        inside |= {a.zone for a in live_assets if a.reachable_from_outside}  # past any gateway of its zone
        outside = {zid for zid, z in plant.zones.items() if z.kind in OUTSIDE_KINDS}
        outside |= {a.zone for a in live_assets if a.function in WIRELESS_FUNCTIONS}
        self.entries = sorted(inside | outside)
        self.outside = sorted(outside - inside)  # entries whose own zone measures an attacker must pass
        for zid in self.entries:
            self.graph.add_edge(("entry", zid), ("zone", zid), key="entry", conduit=None, outside=zid in self.outside)
            self.graph.add_edge(SOURCE, ("entry", zid), key="start", conduit=None)
        # the same graph as plain adjacency with each step's measures and layer devices, for the searches
        self.adj: dict[Any, list[tuple[Any, str, frozenset[str], frozenset[str], int]]] = {}
        for u, v, k in self.graph.edges(keys=True):
            step = frozenset(self._step(u, v, k))
            layers = frozenset(c for c in step if c in self.layer)
            self.adj.setdefault(u, []).append((v, k, step, layers, len({self.device[c] for c in layers})))
        self.steps = {(u, v, k): layers for u, out in self.adj.items() for v, k, _, layers, _ in out}
        self.boxes = set(self.named_device.values())  # targets some measure runs on
        self.members: dict[str, list[str]] = {}  # zone -> its assets
        for aid, a in plant.assets.items():
            self.members.setdefault(a.zone, []).append(aid)
        self._conduits: dict[str, list[str]] = {}
        for cid, c in plant.conduits.items():
            for z in dict.fromkeys(c.zones):
                self._conduits.setdefault(z, []).append(cid)

    def conduits_of(self, zone: str) -> list[str]:
        """The conduits joining a zone."""
        return self._conduits.get(zone, [])

    def _starts(self, conduit: Any, zone: str) -> list[str]:
        """The endpoints in `zone` that open the conduit's flows out of it."""
        out = []
        for rule in conduit.flows:
            pairs = [(rule.from_, rule.to)] + ([(rule.to, rule.from_)] if rule.direction == "both" else [])
            out += [a for a, b in pairs if self.plant.zone_of(a) == zone and self.plant.zone_of(b) not in (zone, None)]
        return out

    def _on_conduit(self, conduit: str, leaving: str) -> list[str]:
        """The measures an attacker crosses on a conduit out of zone `leaving`: the conduit's own; the zone's
        relays when every flow the conduit lets out of the zone starts on a relay; the zone's host measures when
        every such flow starts on a host device (the attacker must first own one of them)."""
        return (self.at_conduit.get(conduit, [])
                + (self.relays.get(leaving, []) if (conduit, leaving) in self.relayed else [])
                + (self.hosts.get(leaving, []) if (conduit, leaving) in self.hosted else []))

    def _entering(self, zone: str, outside: bool = False) -> list[str]:
        """The measures an attacker crosses entering a zone: its perimeter (not its relays nor its host measures,
        which stand only on what leaves through them or runs on them); and its relays too when coming from outside
        into a remote-access or wireless zone (the gateway admits them). Host measures never stand at the door."""
        gated = set(self.hosts.get(zone, [])) | (set() if outside else set(self.relays.get(zone, [])))
        return [c for c in self.at_zone.get(zone, []) if c not in gated]

    def _on_target(self, asset: str) -> list[str]:
        """The measures on the target: its own, and its zone's host measures when it is a host device."""
        a = self.plant.assets[asset]
        return list(self.at_asset.get(asset, [])) + (self.hosts.get(a.zone, []) if a.type == "host_device" else [])

    def count(self, countermeasures: list[str], target: str | None = None) -> int:
        """Independent layers among some countermeasures: preventive kinds only, one per device; a measure that
        runs on the target itself (its `device`) stands in front of other assets, not of it."""
        return len({self.device[c] for c in countermeasures if c in self.layer
                    and (target is None or self.named_device.get(c) != target)})

    def counted(self, countermeasures: list[str], target: str | None = None) -> list[str]:
        """The preventive measures that count, the first of each device."""
        seen: dict[str, str] = {}
        for c in countermeasures:
            if c in self.layer and (target is None or self.named_device.get(c) != target):
                seen.setdefault(self.device[c], c)
        return list(seen.values())

    def beside(self, countermeasures: list[str]) -> dict[str, list[str]]:
        """The measures that are no layer, by class: detective, procedural, supporting."""
        out: dict[str, list[str]] = {}
        for c in dict.fromkeys(countermeasures):
            if c not in self.layer:
                out.setdefault(kind_class(self.plant.countermeasures[c].kind), []).append(c)
        return out

    def _layers(self, hops: list[Hop], target: str | None = None) -> int:
        return self.count([c for h in hops for c in h.layers], target)

    def _step(self, u: Any, v: Any, key: str) -> list[str]:
        """The measures crossed on one step along one edge."""
        if u[0] == "source":
            return []
        if u[0] == "entry":
            return self._entering(v[1], outside=v[1] in self.outside) if v[1] in self.outside else []
        return self._on_conduit(key, u[1]) + self._entering(v[1])

    def _weight(self, u: Any, v: Any, edges: dict) -> int:
        """Dijkstra's cost of stepping u -> v: the cheapest parallel conduit, with the zone it enters."""
        return min(self.count(self._step(u, v, k)) for k in edges)

    def tree(self, entry: str, graph: Any = None) -> tuple[dict, dict]:
        """Distances and node paths from one entry point (networkx single_source_dijkstra)."""
        return nx.single_source_dijkstra(self.graph if graph is None else graph, ("entry", entry), weight=self._weight)

    def hops(self, start: str, nodes: list[Any], target: str | None = None, graph: Any = None,
             keys: list[str] | None = None) -> list[Hop]:
        """The hops of a node path, choosing at each step the conduit (of `graph`) with the fewest layers, or the
        conduits `keys` when given."""
        hops = [Hop("entry", start, [])]
        steps = [(u, v) for u, v in itertools.pairwise(nodes) if u[0] != "source"]
        for i, (u, v) in enumerate(steps):
            if u[0] == "entry":
                if v[1] in self.outside:
                    hops.append(Hop("zone", v[1], self._step(u, v, "entry")))
                continue
            if keys is not None:
                cid = keys[i]
            else:
                edges = (graph if graph is not None else self.graph).get_edge_data(u, v)
                cid = min(edges, key=lambda k: (self.count(self._on_conduit(k, u[1])), k))
            hops.append(Hop("conduit", cid, self._on_conduit(cid, u[1])))
            hops.append(Hop("zone", v[1], self._entering(v[1])))
        if target is not None:
            hops.append(Hop("asset", target, self._on_target(target)))
        return hops

    def _search(self, goal: Any | None, blocked: frozenset[str] = frozenset(), target: str | None = None
                ) -> tuple[list[Any], list[str]] | dict[Any, tuple[Any, str]] | None:
        """Dijkstra from the source to `goal` over steps that cross none of `blocked`, a step costing its layer
        devices (not counting those that run on `target`): the node path and the edge keys, or None. With no
        goal: the whole tree, as each node's predecessor and edge key."""
        own = target if target in self.boxes else None
        dist = {SOURCE: 0}
        prev: dict[Any, tuple[Any, str]] = {}
        heap: list[tuple[int, int, Any]] = [(0, 0, SOURCE)]
        tie = 0
        while heap:
            d, _, u = heapq.heappop(heap)
            if u == goal:
                return self._unwind(u, prev)
            if d > dist[u]:
                continue
            for v, k, step, layers, cost in self.adj.get(u, ()):
                if blocked and blocked & step:
                    continue
                if own is not None:
                    cost = len({self.device[c] for c in layers if self.named_device.get(c) != own})
                nd = d + cost
                if nd < dist.get(v, nd + 1):
                    dist[v], prev[v] = nd, (u, k)
                    tie += 1
                    heapq.heappush(heap, (nd, tie, v))
        return prev if goal is None else None

    @staticmethod
    def _unwind(u: Any, prev: dict[Any, tuple[Any, str]]) -> tuple[list[Any], list[str]]:
        nodes, keys = [u], []
        while u in prev:
            u, k = prev[u]
            nodes.append(u)
            keys.append(k)
        return nodes[::-1], keys[::-1]

    def reaches(self, zone: str) -> bool:
        """Some entry point reaches the zone."""
        if not hasattr(self, "_reached"):
            seen, todo = {SOURCE}, [SOURCE]
            while todo:
                for v, *_ in self.adj.get(todo.pop(), ()):
                    if v not in seen:
                        seen.add(v)
                        todo.append(v)
            self._reached = seen
        return ("zone", zone) in self._reached

    def weakest(self, asset: str, blocked: set[str] | None = None) -> list[Hop] | None:
        """The path with the fewest layers from any entry point to `asset`; `blocked`: countermeasures
        whose elements the path may not cross (to look for a bypass)."""
        zone = self.plant.assets[asset].zone
        blocked = frozenset(blocked or ())
        if blocked & set(self._on_target(asset)) or not self.reaches(zone):
            return None
        found = self._search(("zone", zone), blocked)
        if found is None:
            return None
        nodes, keys = found  # type: ignore[misc]
        return self.hops(nodes[1][1], nodes, asset, keys=keys[1:])

    def fewest(self, zone: str, target: str | None, budget: int = 4000
               ) -> tuple[int, list[Any], list[str], bool] | None:
        """The path into `zone` with the fewest distinct layer devices: Dijkstra (which adds devices step by
        step, so a device met twice costs twice) gives a bound, then a bounded depth-first search over simple
        paths looks for one that shares devices. Returns (layers, nodes, conduit keys) or None."""
        goal = ("zone", zone)
        if not self.reaches(zone):
            return None
        if target in self.boxes:
            found = self._search(goal, target=target)
            if found is None:
                return None
            nodes, keys = found  # type: ignore[misc]
        else:
            if not hasattr(self, "_tree"):
                self._tree = self._search(None)
            nodes, keys = self._unwind(goal, self._tree)  # type: ignore[arg-type]

        def devices(layers: frozenset[str]) -> set[str]:
            return {self.device[c] for c in layers if self.named_device.get(c) != target}

        steps = self.steps
        best_devices: set[str] = set()
        for (u, v), k in zip(itertools.pairwise(nodes), keys, strict=True):
            best_devices |= devices(steps[(u, v, k)])
        best = (len(best_devices), nodes, keys)
        stack: list[tuple[Any, list[Any], list[str], frozenset[str]]] = [(SOURCE, [SOURCE], [], frozenset())]
        while stack and budget > 0 and best[0] > 1:
            u, path, ks, have = stack.pop()
            budget -= 1
            for v, k, _, layers, _ in self.adj.get(u, ()):
                if v in path:
                    continue
                more = have | devices(layers)
                if len(more) >= best[0]:
                    continue
                if v == goal:
                    best = (len(more), [*path, v], [*ks, k])
                else:
                    stack.append((v, [*path, v], [*ks, k], more))
        layers, nodes, keys = best
        return layers, nodes, keys[1:], not (stack and budget <= 0 and best[0] > 1)


SOURCE = ("source", "*")


def describe(hops: list[Hop]) -> str:
    """A path in one line: `agv -> sup-agv -> supervisory -> sup-cell1 -> cell-1 -> plc-washer`; an attacker who
    starts outside a remote-access or wireless zone shows as `(outside) agv -> sup-agv ...`."""
    if len(hops) > 1 and hops[0].kind == "entry" and hops[1].kind == "zone" and hops[1].id == hops[0].id:
        return " -> ".join([f"(outside) {hops[0].id}"] + [h.id for h in hops[2:]])
    return " -> ".join(h.id for h in hops)


def targets(plant: Plant) -> list[str]:
    """Assets of high criticality (or the policy's `target_criticality`), every safety system and every asset of
    a safety-related zone, and the policy's own `targets`; a decommissioned asset is gone, and an asset outside
    the system under consideration is an entry point, not a target."""
    from .risk import SAFETY_FUNCTIONS

    policy = plant.risk.depth if plant.risk else None
    order = ("low", "medium", "high")
    floor = order.index(policy.target_criticality if policy else "high")
    extra = set(policy.targets) if policy else set()
    return sorted(aid for aid, a in plant.assets.items()
                  if a.lifecycle != "decommissioned" and not plant.zones[a.zone].external
                  and (order.index(a.criticality) >= floor or plant.zones[a.zone].safety_related
                       or a.function in SAFETY_FUNCTIONS or aid in extra))


def depths(plant: Plant, sl_targets: dict[str, list[int]], graph: AttackGraph | None = None,
           assets: list[str] | None = None) -> list[TargetDepth]:
    """Depth of every target (or of the given assets) against the plant's policy (`risk.depth`), given each
    zone's SL-T: one shortest-path tree per entry point, then each target reads its zone's distance."""
    graph = graph or AttackGraph(plant)
    policy = plant.risk.depth if plant.risk else None
    high_sl, layers_high, layers = (policy.high_sl, policy.layers_high, policy.layers) if policy else (3, 2, 1)
    zone_paths: dict[tuple[str, str | None], Any] = {}
    out = []
    for aid in targets(plant) if assets is None else assets:
        zone = plant.assets[aid].zone
        need = layers_high if max(sl_targets.get(zone, [0])) >= high_sl else layers
        own = aid if any(d == aid for d in graph.named_device.values()) else None  # a box running measures
        if (zone, own) not in zone_paths:
            zone_paths[(zone, own)] = graph.fewest(zone, own)
        found = zone_paths[(zone, own)]
        best = None if found is None else graph.hops(found[1][1][1], found[1], aid, keys=found[2])
        on_path = [c for h in best or [] for c in h.layers]
        out.append(TargetDepth(aid, zone, None if best is None else graph._layers(best, aid), need, best or [],
                               graph.counted(on_path, aid), graph.beside(on_path), found is None or found[3]))
    return out


def prove_compensations(plant: Plant, graph: AttackGraph | None = None, known: dict[int, Any] | None = None
                        ) -> list[Any]:
    """Every compensation's proof (analysis.compensation.prove): what meets it, and the path, flow or conduit
    that escapes it. `known`: proofs already made on the same graph, by compensation index."""
    from .compensation import prove

    graph = graph or AttackGraph(plant)
    known = known or {}
    return [known[i] if i in known else prove(plant, graph, comp) for i, comp in enumerate(plant.compensations)
            if comp.asset in plant.assets]


def single_points(graph: AttackGraph, found: list[TargetDepth]) -> dict[str, list[str]]:
    """Per target exactly at its policy, the boxes (devices) whose loss alone drops it below, each named by the
    first layer it carries on the weakest path: losing a box removes every measure on it, so each box counted
    on that path shortens it by one, and nothing else gets longer."""
    out: dict[str, list[str]] = {}
    for t in found:
        if t.depth is None or t.depth != t.policy or t.policy == 0:
            continue
        if t.layers:
            out[t.asset] = sorted(t.layers)
    return out


def conduits_to_harden(graph: AttackGraph, found: list[TargetDepth]) -> list[str]:
    """The fewest conduits whose hardening (one more layer each) puts a layer on every path from an entry
    point to a target below policy: a minimum edge cut, parallel conduits counted one each. Targets inside
    an entry zone have no conduit to harden and are left out."""
    sinks = {t.zone for t in found if t.below_policy and t.zone not in graph.entries}
    if not sinks or not graph.entries:
        return []
    cut = nx.DiGraph()
    for u, v in graph.graph.edges():
        if u[0] != "zone":
            continue
        cap = cut.get_edge_data(u, v, {}).get("capacity", 0) + 1
        cut.add_edge(u, v, capacity=cap)
    for entry in graph.entries:
        cut.add_edge("source", ("zone", entry))  # no capacity: unlimited
    for zone in sinks:
        cut.add_edge(("zone", zone), "sink")
    _, (reach, _) = nx.minimum_cut(cut, "source", "sink")
    return sorted(k for u, v, k in graph.graph.edges(keys=True) if u[0] == "zone" and u in reach and v not in reach
                  and k in graph.plant.conduits)  # an observed flow is no conduit to harden


@dataclass
class PathsResult:
    targets: list[TargetDepth]
    compensations: list[Any]  # analysis.compensation.CompensationProof
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
                                       + "; ".join(r["message"] for r in c.reasons),
                            "reasons": c.reasons})
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"entries": self.entries, "targets": [t.as_dict() for t in self.targets],
                "compensations": [c.as_dict() for c in self.compensations], "single_points": self.single_points,
                "conduits_to_harden": self.harden,
                "findings": [{**f, "status": self.statuses.get(f["id"], "open")} for f in self.findings()]}


def analyse(plant: Plant, sl_targets: dict[str, list[int]],
            observed: list[tuple[str, str, str]] = (), proofs: dict[int, Any] | None = None) -> PathsResult:
    """Depths, compensation proofs (reusing `proofs` made on the model's graph when no traffic adds edges),
    single points of failure and the conduits to harden."""
    graph = AttackGraph(plant, observed)
    found = depths(plant, sl_targets, graph)
    return PathsResult(found, prove_compensations(plant, graph, None if observed else proofs), graph.entries,
                       single_points(graph, found), conduits_to_harden(graph, found))
