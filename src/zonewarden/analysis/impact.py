"""Change impact: what a change to the plant does to its security levels, gaps, risk, depth and evidence.

Both plants are reviewed in full (assessment and attack paths) and compared element by element; the
semantic diff then says which requirements must be verified again, because a computation cannot know
whether the new firmware still does what the old one's certificate said. Every effect carries a stable
id and a severity on the one scale, so `--fail-on` can gate a merge request. docs/change.md.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from ..model.plant import Plant
from ..model.sl import FRS, SLVector
from ..model.tracking import CLOSED, Tracking
from ..standard.catalog import Catalog, load_catalog
from .achieved import system_requirements
from .assess import Assessment
from .checks import check_plant
from .diff import Change, PlantDiff, diff
from .findings import severity_rank
from .gaps import Gap
from .paths import AttackGraph, PathsResult, describe, targets
from .review import Review, review
from .tracking import apply_tracking

BOUNDARY_SRS = ("5.1", "5.2", "7.7")  # what a flow rule decides: segmentation, boundary protection, least function
UNTRUSTED_SRS = ("1.13",)  # ... and access from untrusted networks, when one end is untrusted


@dataclass
class Effect:
    """One consequence of the change, on the findings' severity scale."""

    id: str  # stable: `gap-opened:gap:cell-1:SR 1.1`
    kind: str  # gap-opened | gap-closed | finding-opened | finding-closed | sl-achieved | sl-target | risk | depth
    #            | scope | attack-path | compensation | check | tracking-stale | reverify
    severity: str
    message: str
    where: str | None = None
    status: str = "open"  # from the new tracking file, for opened gaps and findings

    @property
    def blocking(self) -> bool:
        return self.status not in CLOSED

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "severity": self.severity, "message": self.message,
                "where": self.where, "status": self.status}


@dataclass
class ScopeDelta:
    """A zone or conduit before and after."""

    scope: str  # zone | conduit
    id: str
    presence: str  # both | added | removed
    sl_target: tuple[SLVector | None, SLVector | None]
    sl_achieved: tuple[SLVector | None, SLVector | None]
    gaps_opened: list[Gap] = field(default_factory=list)
    gaps_closed: list[Gap] = field(default_factory=list)
    gaps_changed: list[tuple[Gap, Gap]] = field(default_factory=list)  # same requirement, other assets short
    risk: tuple[int | None, int | None] = (None, None)  # highest residual risk of its scenarios
    inherent: tuple[int | None, int | None] = (None, None)  # highest risk before countermeasures

    @property
    def changed(self) -> bool:
        gaps = bool(self.gaps_opened or self.gaps_closed or self.gaps_changed)
        return (self.presence != "both" or gaps or self.sl_target[0] != self.sl_target[1]
                or self.sl_achieved[0] != self.sl_achieved[1]
                or self.risk[0] != self.risk[1] or self.inherent[0] != self.inherent[1])

    def as_dict(self) -> dict[str, Any]:
        def vec(v: SLVector | None) -> list[int] | None:
            return v.as_list() if v is not None else None

        d: dict[str, Any] = {
            "id": self.id, "presence": self.presence,
            "sl_target": {"before": vec(self.sl_target[0]), "after": vec(self.sl_target[1])},
            "sl_achieved": {"before": vec(self.sl_achieved[0]), "after": vec(self.sl_achieved[1])},
            "gaps_opened": [g.as_dict() | {"id": g.id} for g in self.gaps_opened],
            "gaps_closed": [g.as_dict() | {"id": g.id} for g in self.gaps_closed],
            "gaps_changed": [{"id": b.id, "assets_before": a.assets, "assets_after": b.assets}
                             for a, b in self.gaps_changed],
        }
        if self.scope == "zone":
            d["risk"] = {"before": self.risk[0], "after": self.risk[1]}
            d["inherent_risk"] = {"before": self.inherent[0], "after": self.inherent[1]}
        return d


@dataclass
class DepthDelta:
    asset: str
    zone: str
    before: int | None  # layers on the weakest path; None: unreachable (or not a target)
    after: int | None
    policy: int
    path_before: str
    path_after: str

    def as_dict(self) -> dict[str, Any]:
        return {"asset": self.asset, "zone": self.zone, "before": self.before, "after": self.after,
                "policy": self.policy, "weakest_path_before": self.path_before, "weakest_path_after": self.path_after}


@dataclass
class AttackPath:
    """A way in that the change opens: an entry point now reaches a target it did not, or reaches it
    through a conduit the change added."""

    entry: str
    target: str
    layers: int
    policy: int
    path: str
    via: list[str]  # the added conduits it uses

    def as_dict(self) -> dict[str, Any]:
        return {"entry": self.entry, "target": self.target, "layers": self.layers, "policy": self.policy,
                "path": self.path, "via_added_conduits": self.via}


@dataclass
class CompensationDelta:
    asset: str
    requirement: str
    before: str  # counts | does not count: ... | absent
    after: str

    def as_dict(self) -> dict[str, Any]:
        return {"asset": self.asset, "requirement": self.requirement, "before": self.before, "after": self.after}


@dataclass
class Reverify:
    """Requirements whose evidence the change makes stale: verify them again before and after."""

    scope: str  # asset | zone | conduit | countermeasure
    where: str
    requirements: list[str]
    reason: str
    change: str  # the diff entry behind it: `asset plc-washer`

    def as_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "where": self.where, "requirements": self.requirements, "reason": self.reason,
                "change": self.change}


@dataclass
class Impact:
    diff: PlantDiff
    zones: list[ScopeDelta]
    conduits: list[ScopeDelta]
    depth: list[DepthDelta]
    attack_paths: list[AttackPath]
    compensations: list[CompensationDelta]
    reverify: list[Reverify]
    effects: list[Effect]
    old: Review
    new: Review

    def at_or_above(self, severity: str) -> list[Effect]:
        """Effects at or above a severity that the new tracking file has not closed: what `--fail-on` counts."""
        return [e for e in self.effects if e.blocking and severity_rank(e.severity) >= severity_rank(severity)]

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in ("critical", "high", "medium", "low", "info")}
        for e in self.effects:
            out[e.severity] += 1
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts(),
            "zones": [z.as_dict() for z in self.zones if z.changed],
            "conduits": [c.as_dict() for c in self.conduits if c.changed],
            "depth": [d.as_dict() for d in self.depth],
            "attack_paths": [p.as_dict() for p in self.attack_paths],
            "compensations": [c.as_dict() for c in self.compensations],
            "reverify": [r.as_dict() for r in self.reverify],
            "effects": [e.as_dict() for e in self.effects],
        }


def impact(old: Plant, new: Plant, *, old_tracking: Tracking | None = None, new_tracking: Tracking | None = None,
           catalog: Catalog | None = None, as_of: dt.date | None = None) -> Impact:
    """Review both plants, compare them, and list every effect; the new tracking file closes effects."""
    catalog = catalog or load_catalog()
    day = as_of or dt.date.today()
    before = review(old, old_tracking, catalog=catalog, as_of=day)
    after = review(new, new_tracking, catalog=catalog, as_of=day)
    changes = diff(old, new)
    effects: list[Effect] = []
    zones = _scopes("zone", before.assessment, after.assessment, effects)
    conduits = _scopes("conduit", before.assessment, after.assessment, effects)
    _findings(before, after, effects)
    depth = _depth(before.paths, after.paths, effects)
    paths = _attack_paths(old, new, before, after, changes, effects)
    comps = _compensations(before.assessment, after.assessment, effects)
    _checks(old, new, catalog, effects)
    _stale(before, after, new_tracking, effects)
    again = reverify(changes, old, new, before.assessment, after.assessment, catalog)
    effects += [Effect(f"reverify:{r.scope}:{r.where}:{r.change}", "reverify", "info",
                       f"verify again on {r.scope} {r.where}: {', '.join(r.requirements)} ({r.reason})", r.where)
                for r in again]
    effects.sort(key=lambda e: (-severity_rank(e.severity), e.kind, e.id))
    return Impact(changes, zones, conduits, depth, paths, comps, again, effects, before, after)


def _scopes(scope: str, a: Assessment, b: Assessment, effects: list[Effect]) -> list[ScopeDelta]:
    olds = {r.id: r for r in (a.zones if scope == "zone" else a.conduits)}
    news = {r.id: r for r in (b.zones if scope == "zone" else b.conduits)}
    out = []
    for key in [*news, *(k for k in olds if k not in news)]:
        x, y = olds.get(key), news.get(key)
        presence = "both" if x and y else "added" if y else "removed"
        gx = {g.id: g for g in x.gaps} if x else {}
        gy = {g.id: g for g in y.gaps} if y else {}
        d = ScopeDelta(scope, key, presence, (x.sl_target if x else None, y.sl_target if y else None),
                       (x.sl_achieved if x else None, y.sl_achieved if y else None),
                       [g for gid, g in gy.items() if gid not in gx], [g for gid, g in gx.items() if gid not in gy])
        d.gaps_changed = [(gx[gid], g) for gid, g in gy.items()
                          if gid in gx and set(gx[gid].assets) != set(g.assets)]
        if scope == "zone":
            d.risk = (_max(x, "residual_risk"), _max(y, "residual_risk"))
            d.inherent = (_max(x, "risk"), _max(y, "risk"))
            for s_id, (r0, r1, band) in _scenario_risks(x, y).items():
                if r0 != r1:
                    up = r1 is not None and (r0 is None or r1 > r0)
                    sev = ("low" if band == "tolerable" else band) if up else "info"
                    effects.append(Effect(f"risk:{key}:{s_id}", "risk", sev, f"scenario {s_id} on zone {key}: residual "
                                          f"risk {_show(r0)} -> {_show(r1)}", key))
        out.append(d)
        for g in d.gaps_opened:
            effects.append(Effect(f"gap-opened:{g.id}", "gap-opened", g.severity,
                                  f"{g.where}: {g.requirement} {g.title} now unmet ({g.why}); {g.owner_role} acts",
                                  g.where, g.status))
        for was, g in d.gaps_changed:
            more = [x for x in g.assets if x not in was.assets]
            effects.append(Effect(f"gap-changed:{g.id}", "gap-changed", g.severity if more else "info",
                                  f"{g.where}: {g.requirement} {g.title}: assets short {', '.join(was.assets) or '-'} "
                                  f"-> {', '.join(g.assets) or '-'}", g.where, g.status))
        for g in d.gaps_closed:
            effects.append(Effect(f"gap-closed:{g.id}", "gap-closed", "info",
                                  f"{g.where}: {g.requirement} {g.title} now met", g.where))
        if presence == "both":
            effects += _sl_effects(scope, key, d)
        else:
            effects.append(Effect(f"{scope}-{presence}:{key}", "scope", "info", f"{scope} {key} {presence}", key))
    return out


def _sl_effects(scope: str, key: str, d: ScopeDelta) -> list[Effect]:
    out = []
    (t0, t1), (a0, a1) = d.sl_target, d.sl_achieved
    assert t0 and t1 and a0 and a1
    if t0 != t1:
        out.append(Effect(f"sl-target:{scope}:{key}", "sl-target", "info",
                          f"{scope} {key}: SL-T {t0} -> {t1}", key))
    if a0 != a1:
        lowered = [fr for fr in FRS if a1[fr] < a0[fr]]
        short = [fr for fr in lowered if a1[fr] < t1[fr]]
        sev = "high" if short else "low" if lowered else "info"
        why = f"; below SL-T on {', '.join(short)}" if short else ""
        out.append(Effect(f"sl-achieved:{scope}:{key}", "sl-achieved", sev,
                          f"{scope} {key}: SL-A {a0} -> {a1}{why}", key))
    return out


def _max(zone: Any, attr: str) -> int | None:
    if zone is None:
        return None
    return max((getattr(s, attr) for s in zone.scenarios), default=None)


def _scenario_risks(x: Any, y: Any) -> dict[str, tuple[int | None, int | None, str]]:
    out: dict[str, tuple[int | None, int | None, str]] = {}
    for s in x.scenarios if x else ():
        out[s.id] = (s.residual_risk, None, "tolerable")
    for s in y.scenarios if y else ():
        out[s.id] = (out.get(s.id, (None,))[0], s.residual_risk, s.residual_band)
    return out


def _show(v: Any) -> str:
    return "-" if v is None else str(v)


def _all_findings(r: Review) -> dict[str, tuple[str, str, str]]:
    """id -> (severity, message, status) of the assessment's and the attack paths' findings."""
    out = {f.id: (f.severity, f.message, r.assessment.status(f.id)) for f in r.assessment.findings}
    out |= {f["id"]: (f["severity"], f["message"], r.paths.statuses.get(f["id"], "open")) for f in r.paths.findings()}
    return out


def _findings(before: Review, after: Review, effects: list[Effect]) -> None:
    was, now = _all_findings(before), _all_findings(after)
    for fid, (sev, message, status) in now.items():
        if fid not in was:
            effects.append(Effect(f"finding-opened:{fid}", "finding-opened", sev, message, status=status))
    for fid, (_, message, _) in was.items():
        if fid not in now:
            effects.append(Effect(f"finding-closed:{fid}", "finding-closed", "info", f"resolved: {message}"))


def _depth(a: PathsResult, b: PathsResult, effects: list[Effect]) -> list[DepthDelta]:
    was = {t.asset: t for t in a.targets}
    out = []
    for t in b.targets:
        o = was.get(t.asset)
        before = o.depth if o else None
        if o is not None and before == t.depth:
            continue
        d = DepthDelta(t.asset, t.zone, before, t.depth, t.policy, describe(o.weakest) if o else "",
                       describe(t.weakest))
        out.append(d)
        if t.depth is None:
            continue
        lower = before is None or t.depth < before
        sev = ("high" if t.below_policy else "low") if lower else "info"
        effects.append(Effect(f"depth:{t.asset}", "depth", sev, f"{t.asset} ({t.zone}): {_show(before)} -> "
                              f"{t.depth} layer(s) on its weakest path, policy {t.policy}: {describe(t.weakest)}",
                              t.zone))
    return out


def _routes(plant: Plant, rv: Review) -> dict[tuple[str, str], tuple[int, str, list[str], int]]:
    """(entry, target) -> (layers, path, conduits used, policy) of the weakest path from that entry."""
    graph = AttackGraph(plant)
    policy = {t.asset: t.policy for t in rv.paths.targets}
    out = {}
    for entry in graph.entries:
        dist, nodes = nx.single_source_dijkstra(graph.graph, ("zone", entry), weight=graph._weight)
        for aid in targets(plant):
            zone = ("zone", plant.assets[aid].zone)
            if zone in dist and aid in policy:
                hops = graph.hops(entry, nodes[zone], aid)
                out[(entry, aid)] = (graph._layers(hops), describe(hops), [h.id for h in hops if h.kind == "conduit"],
                                     policy[aid])
    return out


def _attack_paths(old: Plant, new: Plant, before: Review, after: Review, changes: PlantDiff,
                  effects: list[Effect]) -> list[AttackPath]:
    was, now = _routes(old, before), _routes(new, after)
    added = {c.id for c in changes.of("conduit", "added")}
    out = []
    for (entry, aid), (layers, path, used, policy) in now.items():
        via = [c for c in used if c in added]
        if (entry, aid) in was and not via:
            continue
        p = AttackPath(entry, aid, layers, policy, path, via)
        out.append(p)
        lower = (entry, aid) not in was or layers < was[(entry, aid)][0]
        sev = "high" if layers < policy else "low" if lower else "info"
        how = f" through new conduit {', '.join(via)}" if via else ""
        effects.append(Effect(f"attack-path:{entry}>{aid}", "attack-path", sev,
                              f"{entry} reaches {aid}{how} with {layers} layer(s), policy {policy}: {path}",
                              new.assets[aid].zone))
    return out


def _comp_states(a: Assessment) -> dict[tuple[str, str], str]:
    refused = {f.id: f.message.split("does not count: ", 1)[-1] for f in a.findings
               if f.rule == "compensation-refused"}
    plant = a.source
    assert plant is not None
    return {(c.asset, c.requirement): (f"does not count: {refused[k]}" if (k := f"compensation:{c.asset}:"
                                       f"{c.requirement}") in refused else "counts") for c in plant.compensations}


def _compensations(a: Assessment, b: Assessment, effects: list[Effect]) -> list[CompensationDelta]:
    was, now = _comp_states(a), _comp_states(b)
    out = []
    for key in [*was, *(k for k in now if k not in was)]:
        s0, s1 = was.get(key, "absent"), now.get(key, "absent")
        if s0 == s1:
            continue
        out.append(CompensationDelta(key[0], key[1], s0, s1))
        if s0 == "counts":
            sev = "medium" if s1 == "absent" else "high"
            text = "removed" if s1 == "absent" else s1.removeprefix("does not count: ")
            effects.append(Effect(f"compensation:{key[0]}:{key[1]}", "compensation", sev,
                                  f"compensation of {key[1]} for {key[0]} no longer counts: {text}", key[0]))
        else:
            effects.append(Effect(f"compensation:{key[0]}:{key[1]}", "compensation", "info",
                                  f"compensation of {key[1]} for {key[0]}: {s0} -> {s1}", key[0]))
    return out


def _checks(old: Plant, new: Plant, catalog: Catalog, effects: list[Effect]) -> None:
    """Warnings of `zonewarden check` that the change brings (a flow rule that names a decommissioned asset);
    known by rule and message, since their data paths hold list positions."""
    was = {(f.rule, f.message) for f in check_plant(old, catalog)}
    for f in check_plant(new, catalog):
        if (f.rule, f.message) not in was:
            effects.append(Effect(f"check:{f.rule}:{f.message}", "check", "low" if f.severity == "warning" else "high",
                                  f"{f.rule}: {f.message}"))


def _stale(before: Review, after: Review, tracking: Tracking | None, effects: list[Effect]) -> None:
    """Entries of the new tracking file that matched a finding before the change and match none after."""
    if tracking is None:
        return
    def assessed(r: Review) -> list[str]:
        return [g.id for g in r.assessment.gaps] + [f.id for f in r.assessment.findings]

    for kind, ids_of in (("assess", assessed), ("paths", lambda r: [f["id"] for f in r.paths.findings()])):
        then = apply_tracking(tracking, ids_of(before), kind=kind)
        now = apply_tracking(tracking, ids_of(after), kind=kind)
        stale_then = {e.id for e in then.stale}
        for e in now.stale:
            if e.id not in stale_then:
                effects.append(Effect(f"tracking-stale:{e.id}", "tracking-stale", "low",
                                      f"tracking entry {e.id} ({e.status}) no longer matches any finding"))


# --- what to verify again -------------------------------------------------------------------------------------

def _boundary(conduit: str, plant: Plant, a: Assessment, catalog: Catalog) -> list[str]:
    """The conduit's boundary requirements at or below its SL-T."""
    result = next((c for c in a.conduits if c.id == conduit), None)
    if result is None:
        return []
    c = plant.conduits[conduit]
    numbers = BOUNDARY_SRS + (UNTRUSTED_SRS if any(plant.zones[z].trust == "untrusted" for z in c.zones
                                                   if z in plant.zones) else ())
    return [r.id for r in system_requirements(catalog) if r.id.split(" RE ")[0][3:] in numbers
            and r.level is not None and r.fr and r.level <= result.sl_target[r.fr]]


def _resting_on(aid: str, zone: str, a: Assessment) -> list[str]:
    """Zone requirements (at or below SL-T) that are satisfied partly because of this asset."""
    z = next((z for z in a.zones if z.id == zone), None)
    if z is None:
        return []
    return [rid for rid, st in z.states.items() if st.satisfied and st.level <= z.sl_target[st.fr]
            and ((st.by == "assets" and aid in z.assets) or aid in st.compensated)]


def _capability_items(aid: str, plant: Plant, a: Assessment, catalog: Catalog) -> list[str]:
    """The 4-2 items the asset's capability claim covers: its `meets` list, or every item of its type up to
    its SL-C."""
    asset = plant.assets[aid]
    if asset.capability is not None and asset.capability.meets:
        return list(asset.capability.meets)
    cap = a.capabilities.get(aid)
    if cap is None:
        return []
    return [r.id for r in catalog.select(part="4-2", component_type=asset.type)
            if r.level is not None and r.fr and r.level <= cap.sl[r.fr]]


def reverify(changes: PlantDiff, old: Plant, new: Plant, a: Assessment, b: Assessment,
             catalog: Catalog) -> list[Reverify]:
    """Requirements to verify again, from what changed: a firmware change re-opens the asset's capability
    evidence, a flow rule its conduit's boundary, a countermeasure what it claims to meet."""
    out: list[Reverify] = []

    def add(scope: str, where: str, reqs: list[str], reason: str, change: Change) -> None:
        if reqs:
            out.append(Reverify(scope, where, sorted(dict.fromkeys(reqs), key=_order), reason,
                                f"{change.kind} {change.id}"))

    touched_conduits: dict[str, list[str]] = {}
    for c in changes.changes:
        if c.kind == "asset" and c.action == "changed":
            asset = new.assets[c.id]
            if fw := c.find("firmware"):
                add("asset", c.id, _capability_items(c.id, new, b, catalog),
                    f"firmware {_show(fw.old)} -> {_show(fw.new)}: the capability evidence was for the old firmware",
                    c)
                add("zone", asset.zone, _resting_on(c.id, asset.zone, b),
                    f"met partly through {c.id}, whose firmware changed", c)
            if cap := c.find("capability"):
                add("asset", c.id, _capability_items(c.id, new, b, catalog) if asset.capability else [],
                    f"capability claims changed ({cap.describe()})", c)
            if c.find("addresses"):
                for cid, conduit in new.conduits.items():
                    if any(c.id in (r.from_, r.to) or asset.zone in (r.from_, r.to) for r in conduit.flows):
                        touched_conduits.setdefault(cid, []).append(f"addresses of {c.id} changed")
            if z := c.find("zone"):
                for zone, side in ((z.old, a), (z.new, b)):
                    zr = next((r for r in side.zones if r.id == zone), None)
                    if zr is not None:
                        add("zone", zone, [rid for rid, st in zr.states.items() if st.level <= zr.sl_target[st.fr]],
                            f"{c.id} moved from zone {z.old} to {z.new}", c)
            if (lc := c.find("lifecycle")) and lc.new in ("operating", "commissioning") and lc.old == "planned":
                add("zone", asset.zone, _capability_items(c.id, new, b, catalog),
                    f"{c.id} enters service ({lc.old} -> {lc.new}): verify its capability in place", c)
        elif c.kind == "asset" and c.action == "added" and new.assets[c.id].lifecycle not in ("planned",):
            add("asset", c.id, _capability_items(c.id, new, b, catalog), "new asset: verify its capability claim", c)
        elif c.kind == "flow" and c.parent in new.conduits and not changes.get("conduit", c.parent):
            touched_conduits.setdefault(c.parent, []).append(f"flow rule {c.action}: {c.id.split(':', 1)[1]}")
        elif c.kind == "conduit" and c.action == "added":
            result = next((r for r in b.conduits if r.id == c.id), None)
            if result is not None:
                add("conduit", c.id, [rid for rid, st in result.states.items() if st.level <= result.sl_target[st.fr]],
                    "new conduit: every requirement its SL-T asks", c)
        elif c.kind == "conduit" and c.action == "changed":
            touched_conduits.setdefault(c.id, []).append("conduit changed (" + ", ".join(f.field for f in c.fields)
                                                         + ")")
        elif c.kind == "countermeasure" and c.action != "removed":
            m = new.countermeasures[c.id]
            if m.at.conduit and (cc := changes.get("conduit", m.at.conduit)) and cc.action == "added":
                continue  # a new conduit's every requirement is verified already
            meets = list(m.meets)
            if c.action == "changed" and (f := c.find("meets")) and f.removed:
                meets += f.removed
            add(m.at.kind, m.at.target, meets, f"countermeasure {c.id} {c.action}" + (
                f" ({', '.join(f.field for f in c.fields)})" if c.fields else ""), c)
        elif c.kind == "compensation" and c.action != "removed":
            asset, _, requirement = c.id.partition(":")
            add("asset", asset, [requirement], f"compensation {c.action}: show that its countermeasures stand in", c)
    for cid, reasons in touched_conduits.items():
        reqs = _boundary(cid, new, b, catalog)
        if reqs:
            out.append(Reverify("conduit", cid, sorted(reqs, key=_order), "; ".join(dict.fromkeys(reasons)),
                                f"conduit {cid}"))
    return out


def _order(rid: str) -> tuple[Any, ...]:
    return tuple(int(n) if n.isdigit() else n for n in re.split(r"(\d+)", rid))
