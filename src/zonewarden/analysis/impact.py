"""Change impact: what a change to the plant does to its security levels, gaps, risk, depth and evidence.

Both plants are reviewed in full (assessment and attack paths) and compared element by element; the
semantic diff then says which requirements must be verified again, because a computation cannot know
whether the new firmware still does what the old one's certificate said. Only the system under
consideration is assessed: a zone that crosses its boundary (scope suc <-> external) is reported as such,
never as gaps met. Requirements whose applicability changes (an N/A decision, or an inference such as a
wireless asset) say why they apply now and which gaps they open; a gap that stays open but changes state
(assets short, system level, partly bounded) is reported with its new remedy. Every effect carries a
stable id and a severity on the one scale, so `--fail-on` can gate a merge request. docs/change.md.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from ..model.plant import Plant
from ..model.sl import FRS, SLVector
from ..model.tracking import CLOSED, Tracking
from ..standard.catalog import Catalog, load_catalog
from .achieved import ASSETS_SHORT, PARTLY_BOUNDED, SYSTEM_LEVEL, achieved, system_requirements
from .applicability import UNTRUSTED, WIRELESS, WIRELESS_FUNCTIONS, NotApplicable, contradiction, family, refusal
from .assess import Assessment
from .checks import check_plant
from .diff import Change, PlantDiff, diff
from .findings import severity_rank
from .gaps import Gap
from .paths import AttackGraph, PathsResult, describe, targets
from .review import Review, review
from .tracking import apply_tracking

BOUNDARY_SRS = ("5.1", "5.2", "7.7")  # what a flow rule decides: segmentation, boundary protection, least function
UNTRUSTED_SRS = ("1.13",)  # ... and access from untrusted networks, where it applies to the conduit


@dataclass
class Effect:
    """One consequence of the change, on the findings' severity scale."""

    id: str  # stable: `gap-opened:gap:cell-1:SR 1.1`
    kind: str  # gap-opened | gap-closed | gap-changed | finding-opened | finding-closed | sl-achieved | sl-target
    #            | risk | depth | scope | applicability | capability | attack-path | compensation | check
    #            | tracking-stale | reverify
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


GAP_STATES = {ASSETS_SHORT: "assets short", SYSTEM_LEVEL: "system level", PARTLY_BOUNDED: "partly bounded"}
PRESENCE = ("both", "added", "removed", "left-suc", "joined-suc")  # left-suc / joined-suc: scope suc <-> external


@dataclass
class ApplicabilityDelta:
    """A requirement whose applicability at a zone or conduit changed: it applies now, no longer applies, or
    is not applicable on another basis (an inference replaced by a decision, another justification)."""

    requirement: str
    title: str
    level: int
    before: NotApplicable | None
    after: NotApplicable | None
    why: str  # why it applies now (after is None), else the new N/A's why
    gaps_opened: list[Gap] = field(default_factory=list)  # the gaps it opens (it applies now) ...
    gaps_closed: list[Gap] = field(default_factory=list)  # ... or closes (it no longer applies)
    state: str = ""  # it applies now: how it stands (met by ..., falls short ...)

    @property
    def change(self) -> str:
        if self.after is None:
            return "now-applicable"
        return "now-not-applicable" if self.before is None else "basis-changed"

    def as_dict(self) -> dict[str, Any]:
        return {"requirement": self.requirement, "title": self.title, "change": self.change,
                "before": self.before.as_dict() if self.before else None,
                "after": self.after.as_dict() if self.after else None, "why": self.why, "state": self.state,
                "gaps_opened": [g.id for g in self.gaps_opened], "gaps_closed": [g.id for g in self.gaps_closed]}


@dataclass
class ScopeDelta:
    """A zone or conduit before and after."""

    scope: str  # zone | conduit
    id: str
    presence: str  # one of PRESENCE
    sl_target: tuple[SLVector | None, SLVector | None]
    sl_achieved: tuple[SLVector | None, SLVector | None]
    gaps_opened: list[Gap] = field(default_factory=list)
    gaps_closed: list[Gap] = field(default_factory=list)
    gaps_changed: list[tuple[Gap, Gap]] = field(default_factory=list)  # same requirement: other state, assets
    #                                                                      or conduits short
    risk: tuple[int | None, int | None] = (None, None)  # highest residual risk of its scenarios
    inherent: tuple[int | None, int | None] = (None, None)  # highest risk before countermeasures
    applicability: list[ApplicabilityDelta] = field(default_factory=list)
    closed_because: dict[str, str] = field(default_factory=dict)  # gap id -> why it closed

    @property
    def changed(self) -> bool:
        gaps = bool(self.gaps_opened or self.gaps_closed or self.gaps_changed or self.applicability)
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
            "gaps_closed": [g.as_dict() | {"id": g.id, "closed_because": self.closed_because.get(g.id)}
                            for g in self.gaps_closed],
            "gaps_changed": [{"id": b.id, "state_before": a.state, "state_after": b.state,
                              "assets_before": a.assets, "assets_after": b.assets,
                              "conduits_before": a.conduits, "conduits_after": b.conduits,
                              "owner_before": a.owner_role, "owner_after": b.owner_role}
                             for a, b in self.gaps_changed],
            "applicability": [x.as_dict() for x in self.applicability],
        }
        if self.scope == "zone":
            d["risk"] = {"before": self.risk[0], "after": self.risk[1]}
            d["inherent_risk"] = {"before": self.inherent[0], "after": self.inherent[1]}
        return d


@dataclass
class CapabilityDelta:
    """An asset's SL-C before and after, with its source; `reopened` says why a certificate stopped counting."""

    asset: str
    zone: str
    sl: tuple[SLVector, SLVector]
    source: tuple[str, str]  # certificate | declared | meets | none
    reopened: str | None = None  # the change re-opened the certificate evidence (firmware differs)
    restored: bool = False  # the certificate counts again

    @property
    def lowered(self) -> list[str]:
        return [fr for fr in FRS if self.sl[1][fr] < self.sl[0][fr]]

    def as_dict(self) -> dict[str, Any]:
        return {"asset": self.asset, "zone": self.zone,
                "sl": {"before": self.sl[0].as_list(), "after": self.sl[1].as_list()},
                "source": {"before": self.source[0], "after": self.source[1]}, "reopened": self.reopened,
                "restored": self.restored}


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
    capabilities: list[CapabilityDelta] = field(default_factory=list)

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
            "capabilities": [c.as_dict() for c in self.capabilities],
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
    zones = _scopes("zone", before, after, catalog, effects)
    conduits = _scopes("conduit", before, after, catalog, effects)
    _findings(before, after, effects)
    depth = _depth(before.paths, after.paths, effects)
    paths = _attack_paths(old, new, before, after, changes, effects)
    comps = _compensations(before.assessment, after.assessment, effects)
    caps = _capabilities(old, new, before.assessment, after.assessment, effects)
    _checks(old, new, catalog, effects)
    _stale(before, after, new_tracking, effects)
    again = reverify(changes, old, new, before.assessment, after.assessment, catalog)
    again += _applies_again(zones + conduits, after.assessment, changes)
    effects += [Effect(f"reverify:{r.scope}:{r.where}:{r.change}", "reverify", "info",
                       f"verify again on {r.scope} {r.where}: {', '.join(r.requirements)} ({r.reason})", r.where)
                for r in again]
    effects.sort(key=lambda e: (-severity_rank(e.severity), e.kind, e.id))
    return Impact(changes, zones, conduits, depth, paths, comps, again, effects, before, after, caps)


def _presence(scope: str, key: str, x: Any, y: Any, a: Assessment, b: Assessment) -> str:
    """both | added | removed, or left-suc / joined-suc when the element is in both plants but only one side
    assesses it (the zone's scope changed, or a conduit now joins only external zones, or no longer)."""
    if x is not None and y is not None:
        return "both"
    table = "zones" if scope == "zone" else "conduits"
    in_old = a.source is not None and key in getattr(a.source, table)
    in_new = b.source is not None and key in getattr(b.source, table)
    if y is not None:
        return "joined-suc" if in_old else "added"
    return "left-suc" if in_new else "removed"


def _scopes(scope: str, before: Review, after: Review, catalog: Catalog, effects: list[Effect]) -> list[ScopeDelta]:
    a, b = before.assessment, after.assessment
    olds = {r.id: r for r in (a.zones if scope == "zone" else a.conduits)}
    news = {r.id: r for r in (b.zones if scope == "zone" else b.conduits)}
    out = []
    for key in [*news, *(k for k in olds if k not in news)]:
        x, y = olds.get(key), news.get(key)
        presence = _presence(scope, key, x, y, a, b)
        gx = {g.id: g for g in x.gaps} if x else {}
        gy = {g.id: g for g in y.gaps} if y else {}
        d = ScopeDelta(scope, key, presence, (x.sl_target if x else None, y.sl_target if y else None),
                       (x.sl_achieved if x else None, y.sl_achieved if y else None),
                       [g for gid, g in gy.items() if gid not in gx], [g for gid, g in gx.items() if gid not in gy])
        d.gaps_changed = [(gx[gid], g) for gid, g in gy.items() if gid in gx and _gap_key(gx[gid]) != _gap_key(g)]
        d.closed_because = {g.id: _closed_because(g, y, presence) for g in d.gaps_closed}
        if x is not None and y is not None:
            d.applicability = _applicability(scope, key, x, y, b, catalog, d)
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
        now_applicable = {g.id: n for n in d.applicability for g in n.gaps_opened}
        for g in d.gaps_opened:
            since = f"; it applies now: {now_applicable[g.id].why}" if g.id in now_applicable else ""
            effects.append(Effect(f"gap-opened:{g.id}", "gap-opened", g.severity,
                                  f"{g.where}: {g.requirement} {g.title} now unmet ({g.why}){since}; "
                                  f"{g.owner_role} acts", g.where, g.status))
        for was, g in d.gaps_changed:
            effects.append(_gap_changed(was, g))
        if presence in ("both", "added", "joined-suc"):
            for g in d.gaps_closed:
                effects.append(Effect(f"gap-closed:{g.id}", "gap-closed", "info",
                                      f"{g.where}: {g.requirement} {g.title} {d.closed_because[g.id]}", g.where))
        effects += _applicability_effects(scope, key, d)
        if presence == "both":
            effects += _sl_effects(scope, key, d, y, b)
        else:
            effects.append(_presence_effect(scope, key, d, x, y, after))
    return out


def _gap_key(g: Gap) -> tuple[str, frozenset[str], frozenset[str]]:
    """What a gap names in its state: the assets short, or (partly bounded) the conduits lacking the measure; a
    system-level gap names neither, so another conduit that lacks it too changes nothing."""
    return g.state, frozenset(g.assets), frozenset(g.conduits if g.state == PARTLY_BOUNDED else ())


def _gap_state(g: Gap) -> str:
    """A gap's state in words, with what it names: the assets short, the conduits lacking the measure."""
    if g.state == PARTLY_BOUNDED:
        return f"partly bounded (lacking on {', '.join(g.conduits) or '-'})"
    if g.state == SYSTEM_LEVEL:
        return "system level (no asset can meet it)"
    return f"assets short {', '.join(g.assets) or '-'}"


def _gap_changed(was: Gap, g: Gap) -> Effect:
    """Same gap, other state or other assets or conduits named: worse when more are short, a new remedy (and
    perhaps another role) when the state changes."""
    if was.state == g.state:
        more = [x for x in g.assets if x not in was.assets] + \
            [c for c in g.conduits if c not in was.conduits and g.state == PARTLY_BOUNDED]
        sev = g.severity if more else "info"
    else:
        sev = "low"
    owner = f"; {was.owner_role} -> {g.owner_role} acts" if was.owner_role != g.owner_role else ""
    return Effect(f"gap-changed:{g.id}", "gap-changed", sev, f"{g.where}: {g.requirement} {g.title}: "
                  f"{_gap_state(was)} -> {_gap_state(g)}{owner}", g.where, g.status)


def _closed_because(g: Gap, y: Any, presence: str) -> str:
    """The true reason a gap closed: met, no longer applicable, no longer asked by SL-T, or out of scope."""
    if presence == "removed":
        return f"gone with its {g.scope}"
    if presence == "left-suc":
        return f"no longer assessed: its {g.scope} is outside the system under consideration"
    st = y.states.get(g.requirement) if y is not None else None
    if st is None:
        return "no longer assessed"
    if st.na is not None:
        return f"now {st.na.why()}"
    if st.satisfied:
        return f"now met ({st.why()})"
    if st.level > y.sl_target[st.fr]:
        return f"no longer asked: SL-T {st.fr} {y.sl_target[st.fr]} is below its level {st.level}"
    return "closed"


def _applicability(scope: str, key: str, x: Any, y: Any, b: Assessment, catalog: Catalog, d: ScopeDelta
                   ) -> list[ApplicabilityDelta]:
    """Requirements whose N/A (declared or inferred) came, went or changed basis, with the gaps that follow."""
    plant = b.source
    assert plant is not None
    opened = {g.requirement: g for g in d.gaps_opened}
    closed = {g.requirement: g for g in d.gaps_closed}
    out = []
    for rid in [*x.not_applicable, *(r for r in y.not_applicable if r not in x.not_applicable)]:
        n0, n1 = x.not_applicable.get(rid), y.not_applicable.get(rid)
        if n0 == n1:
            continue
        req = catalog.get(rid)
        st = y.states.get(rid)
        if n1 is None:
            why = _applies_because(plant, scope, key, rid, n0, catalog)
            state = "" if st is None else st.why() if st.satisfied else \
                f"unmet: {st.why()}" if st.level <= y.sl_target[st.fr] else \
                f"not asked: SL-T {st.fr} {y.sl_target[st.fr]} is below its level {st.level}"
            out.append(ApplicabilityDelta(rid, req.title, req.level or 0, n0, None, why,
                                          [opened[rid]] if rid in opened else [], state=state))
        else:
            out.append(ApplicabilityDelta(rid, req.title, req.level or 0, n0, n1, n1.why(),
                                          gaps_closed=[closed[rid]] if rid in closed else []))
    return out


def _applies_because(plant: Plant, scope: str, key: str, rid: str, was: NotApplicable | None,
                     catalog: Catalog) -> str:
    """Why a requirement that was not applicable applies now, from the new plant."""
    owner = plant.zones.get(key) if scope == "zone" else plant.conduits.get(key)
    for decision in owner.applicability if owner is not None else ():
        if rid not in family(decision.requirement, catalog):
            continue
        if not decision.not_applicable:
            return f"declared applicable: {decision.justification}"
        if (refused := refusal(plant, scope, key, decision, catalog)) is not None:
            return f"its N/A decision does not count: {refused}"
    if scope == "zone" and rid in [r for base in WIRELESS for r in family(base, catalog)]:
        aps = [aid for aid, a in plant.assets.items() if a.zone == key and a.function in WIRELESS_FUNCTIONS]
        if aps:
            return f"wireless asset{'s' if len(aps) > 1 else ''} {', '.join(aps)} in the zone"
    if scope == "conduit" and owner is not None and rid in [r for base in UNTRUSTED for r in family(base, catalog)]:
        outward = [f"{z} ({'external' if plant.zones[z].external else 'remote access'})" for z in owner.zones
                   if z in plant.zones and (plant.zones[z].external or plant.zones[z].kind == "remote_access")]
        if outward:
            return f"the conduit joins {', '.join(outward)}"
    if (why := contradiction(plant, scope, key, rid, catalog)) is not None:
        return why
    if was is not None and was.source == "declared":
        return "its N/A decision was withdrawn"
    return "the model no longer infers it not applicable"


def _applicability_effects(scope: str, key: str, d: ScopeDelta) -> list[Effect]:
    """One effect per requirement whose applicability changed. A requirement that applies again asks for
    verification (low; its gap, if any, carries its own severity); a declared N/A that closes a gap is shown
    for the approvers (low); the rest is information."""
    out = []
    for n in d.applicability:
        fid = f"applicability:{scope}:{key}:{n.requirement}"
        head = f"{scope} {key}: {n.requirement} {n.title}"
        if n.change == "now-applicable":
            assert n.before is not None
            gaps = f"; opens {', '.join(f'{g.id} ({g.severity}, {_gap_state(g)})' for g in n.gaps_opened)}" \
                if n.gaps_opened else f"; {n.state}" if n.state else ""
            sev = "low" if n.gaps_opened or not n.state.startswith("not asked") else "info"
            out.append(Effect(fid, "applicability", sev, f"{head} applies now ({n.why}); was {n.before.why()}{gaps}",
                              key))
        elif n.change == "now-not-applicable":
            assert n.after is not None
            closes = f"; closes {', '.join(g.id for g in n.gaps_closed)}" if n.gaps_closed else ""
            sev = "low" if n.gaps_closed and n.after.source == "declared" else "info"
            out.append(Effect(fid, "applicability", sev, f"{head} now {n.after.why()}{closes}", key))
        else:
            assert n.before is not None and n.after is not None
            out.append(Effect(fid, "applicability", "info", f"{head}: {n.before.why()} -> {n.after.why()}", key))
    return out


def _presence_effect(scope: str, key: str, d: ScopeDelta, x: Any, y: Any, after: Review) -> Effect:
    """A zone or conduit that appears, goes, or crosses the boundary of the system under consideration."""
    if d.presence == "left-suc":
        n = len(x.gaps) if x is not None else 0
        if scope == "zone":
            entry = "; it is an entry point for the attack paths" if key in after.paths.entries else \
                "; it is not an entry point for the attack paths (trusted, not of an entry kind)"
            text = (f"zone {key} leaves the system under consideration (scope external): no SL-T, SL-A or gaps; "
                    f"{n} gap(s) no longer assessed{entry}; the asset owner records the assumptions about it")
        else:
            text = f"conduit {key} now joins only zones outside the system under consideration: {n} gap(s) no " \
                   "longer assessed"
        return Effect(f"scope:{scope}:{key}", "scope", "medium" if n else "info", text, key)
    if d.presence == "joined-suc":
        assert y is not None
        return Effect(f"scope:{scope}:{key}", "scope", "info",
                      f"{scope} {key} joins the system under consideration: SL-T {y.sl_target}, SL-A {y.sl_achieved}, "
                      f"{len(y.gaps)} gap(s)", key)
    gone = f" with its {len(x.gaps)} gap(s)" if d.presence == "removed" and x is not None and x.gaps else ""
    return Effect(f"{scope}-{d.presence}:{key}", "scope", "info", f"{scope} {key} {d.presence}{gone}", key)


def _sl_effects(scope: str, key: str, d: ScopeDelta, y: Any, b: Assessment) -> list[Effect]:
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
        if scope == "conduit" and lowered:  # a conduit holding part of an FR is capped by its weaker zone
            own = achieved(y.states)
            capped = [fr for fr in lowered if a1[fr] < own[fr]]
            if capped:
                zones = {z.id: z.sl_achieved for z in b.zones if z.id in y.zones}
                held = ", ".join(f"{fr} by {min(zones, key=lambda z: zones[z][fr])}" for fr in capped if zones)
                why += f"; capped by its weaker zone ({held})"
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
        dist, nodes = graph.tree(entry)
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
    """counts | counts, not needed: ... | does not count: ... for every compensation of the plant."""
    refused = {f.id: "; ".join(x["message"] for x in f.reasons) for f in a.findings
               if f.rule == "compensation-refused"}
    unneeded = {f.id: f.message.split("; the compensation", 1)[0] for f in a.findings
                if f.rule == "compensation-unneeded"}
    plant = a.source
    assert plant is not None
    out = {}
    for c in plant.compensations:
        k = f"compensation:{c.asset}:{c.requirement}"
        out[(c.asset, c.requirement)] = f"does not count: {refused[k]}" if k in refused else \
            f"counts, not needed: {unneeded[k]}" if k in unneeded else "counts"
    return out


def _compensations(a: Assessment, b: Assessment, effects: list[Effect]) -> list[CompensationDelta]:
    """Compensations that start or stop counting; one that was not needed (the asset meets the requirement by
    itself) can go without effect on any gap."""
    was, now = _comp_states(a), _comp_states(b)
    out = []
    for key in [*was, *(k for k in now if k not in was)]:
        s0, s1 = was.get(key, "absent"), now.get(key, "absent")
        if s0 == s1:
            continue
        out.append(CompensationDelta(key[0], key[1], s0, s1))
        fid = f"compensation:{key[0]}:{key[1]}"
        if s0 == "counts" and not s1.startswith("counts"):
            sev = "medium" if s1 == "absent" else "high"
            text = "removed" if s1 == "absent" else s1.removeprefix("does not count: ")
            effects.append(Effect(fid, "compensation", sev,
                                  f"compensation of {key[1]} for {key[0]} no longer counts: {text}", key[0]))
        elif s0.startswith("counts, not needed") and s1 == "absent":
            effects.append(Effect(fid, "compensation", "info", f"compensation of {key[1]} for {key[0]} removed; it "
                                  f"was not needed ({s0.removeprefix('counts, not needed: ')})", key[0]))
        else:
            effects.append(Effect(fid, "compensation", "info",
                                  f"compensation of {key[1]} for {key[0]}: {s0} -> {s1}", key[0]))
    return out


def _capabilities(old: Plant, new: Plant, a: Assessment, b: Assessment, effects: list[Effect]
                  ) -> list[CapabilityDelta]:
    """Assets whose SL-C, or its source, changed: a certificate re-opened by a firmware change falls back to the
    declared vector, the `meets` list or nothing."""
    out = []
    for aid, c1 in b.capabilities.items():
        c0 = a.capabilities.get(aid)
        if c0 is None or (c0.sl, c0.source, c0.reopened) == (c1.sl, c1.source, c1.reopened):
            continue
        d = CapabilityDelta(aid, new.assets[aid].zone, (c0.sl, c1.sl), (c0.source, c1.source),
                            c1.reopened if c1.reopened != c0.reopened else None,
                            c0.reopened is not None and c1.reopened is None and c1.source == "certificate")
        out.append(d)
        text = f"{aid}: SL-C {c0.sl} ({c0.source}) -> {c1.sl} ({c1.source})"
        if d.reopened:
            text += f"; {d.reopened}: re-certify or re-assess it"
        elif d.restored:
            text += "; its certificate counts again"
        effects.append(Effect(f"capability:{aid}", "capability", "low" if d.lowered else "info", text, d.zone))
    return out


def _check_key(f: Any) -> tuple[Any, ...]:
    """What a `check` warning is about: its rule and data path where the path names elements by id (a zone, an
    asset), else its message (paths into lists hold positions, which move when a list is edited). A message
    may change for the same warning (it names assets in plant order, the first five only)."""
    path = tuple(f.path or ())
    if path and not any(isinstance(p, int) for p in path):
        return (f.rule, *path)
    return (f.rule, f.message)


def _checks(old: Plant, new: Plant, catalog: Catalog, effects: list[Effect]) -> None:
    """Warnings of `zonewarden check` that the change brings (a flow rule that names a decommissioned asset)."""
    was = {_check_key(f) for f in check_plant(old, catalog)}
    for f in check_plant(new, catalog):
        if _check_key(f) not in was:
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
    """The conduit's boundary requirements at or below its SL-T that apply to it (access from untrusted
    networks only where it joins an external or remote-access zone: otherwise inferred N/A)."""
    result = next((c for c in a.conduits if c.id == conduit), None)
    if result is None:
        return []
    return [r.id for r in system_requirements(catalog) if r.id.split(" RE ")[0][3:] in BOUNDARY_SRS + UNTRUSTED_SRS
            and r.level is not None and r.fr and r.level <= result.sl_target[r.fr]
            and r.id not in result.not_applicable]


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
    suc = {z.id for z in b.zones}
    for c in changes.changes:
        if c.kind == "asset" and c.action != "removed" and new.assets[c.id].zone not in suc \
                and not ((z := c.find("zone")) and z.old in {r.id for r in a.zones}):
            continue  # an asset outside the system under consideration: no evidence of the SuC rests on it
        if c.kind == "asset" and c.action == "changed":
            asset = new.assets[c.id]
            if fw := c.find("firmware"):
                items = _capability_items(c.id, old, a, catalog) if c.id in old.assets else []
                add("asset", c.id, items + _capability_items(c.id, new, b, catalog),
                    _firmware_reason(c.id, fw.old, fw.new, new, a, b), c)
                add("zone", asset.zone, _resting_on(c.id, asset.zone, a) + _resting_on(c.id, asset.zone, b),
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
                        add("zone", zone, [rid for rid, st in zr.states.items()
                                           if st.na is None and st.level <= zr.sl_target[st.fr]],
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
                add("conduit", c.id, [rid for rid, st in result.states.items()
                                      if st.na is None and st.level <= result.sl_target[st.fr]],
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


def _firmware_reason(aid: str, was: Any, now: Any, new: Plant, a: Assessment, b: Assessment) -> str:
    """Why a firmware change re-opens the capability evidence; for a certificate issued for another firmware,
    the remedy (re-certify or re-assess) and the SL-C the asset falls back to until then."""
    head = f"firmware {_show(was)} -> {_show(now)}"
    c0, c1 = a.capabilities.get(aid), b.capabilities[aid]
    if c1.reopened is not None:
        before = f"{c0.sl} ({c0.source})" if c0 is not None else "-"
        return (f"{head}: {c1.reopened}; re-certify firmware {_show(now)} or re-assess the asset against these "
                f"items; until then its SL-C falls back from {before} to {c1.sl} ({c1.source})")
    cap = new.assets[aid].capability
    if cap is not None and cap.certificate and cap.certificate_firmware is None:
        return (f"{head}: the capability evidence was for the old firmware, and the certificate names no firmware: "
                f"confirm it covers {_show(now)}")
    return f"{head}: the capability evidence was for the old firmware"


def _applies_again(deltas: list[ScopeDelta], b: Assessment, changes: PlantDiff) -> list[Reverify]:
    """Requirements that apply again at a zone or conduit (an N/A decision withdrawn, a wireless asset added):
    verify them where SL-T asks them."""
    out = []
    for d in deltas:
        rids = [n.requirement for n in d.applicability if n.change == "now-applicable"
                and not n.state.startswith("not asked")]
        if not rids:
            continue
        reasons = "; ".join(dict.fromkeys(n.why for n in d.applicability if n.requirement in rids))
        decided = [c for c in changes.of("applicability") if c.parent == d.id
                   and c.id.split(":", 1)[1].split("#")[0] in rids]
        named = [c for c in changes.changes if c.kind in ("asset", "zone", "conduit") and c.action != "removed"
                 and re.search(rf"(?<![\w-]){re.escape(c.id)}(?![\w-])", reasons)]
        origin = f"applicability {decided[0].id}" if decided else f"{named[0].kind} {named[0].id}" if named else \
            f"{d.scope} {d.id}"
        out.append(Reverify(d.scope, d.id, sorted(rids, key=_order), f"applies now: {reasons}", origin))
    return out


def _order(rid: str) -> tuple[Any, ...]:
    return tuple(int(n) if n.isdigit() else n for n in re.split(r"(\d+)", rid))
