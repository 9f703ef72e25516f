"""SL-A of zones and conduits (design §4), with the true reason behind every requirement's state.

A 3-3 requirement R that applies to a zone is satisfied there when a countermeasure at the zone
meets it; or, for a boundary requirement, a countermeasure on every conduit of the zone meets it;
or every counted asset meets it (it lists R or its 4-2 counterpart, or its SL-C on R's FR reaches
the 4-2 level of R's counterpart for its component type), each asset short of it covered by a valid
compensation. R with no counterpart for an asset's type is system level there: no asset can meet
it. Conduit countermeasures never satisfy a zone's other requirements. An unmet requirement is in
one of three states: assets short, system level, partly bounded. A conduit is judged on its own
countermeasures and CONDUIT_SRS, capped by its zones where it holds part of an FR.
Worked example and clauses: docs/assessment.md.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..model.plant import Plant
from ..model.sl import FRS, SLVector
from ..standard.catalog import Catalog, Requirement, counterpart_levels, system_counterparts
from .applicability import NotApplicable
from .capability import AssetCapability
from .measures import PROCEDURAL, PROCEDURAL_FAMILIES, family

# Requirements about what crosses a boundary: the ones a conduit's own countermeasures can satisfy
# (our choice; 62443-3-3 rates conduits per FR without listing their requirements separately).
CONDUIT_SRS = ("1.2", "1.13", "3.1", "3.8", "4.1", "4.3", "5.1", "5.2", "5.3", "6.2", "7.1", "7.6", "7.7")
# Boundary requirements (design §4): met for a zone by countermeasures on every one of its conduits.
# Base SRs stand for their REs; SR 4.1 counts only through its two REs about untrusted networks and zone
# boundaries (its base is about information held in the zone).
BOUNDARY_SRS = ("1.13", "5.1", "5.2", "5.3")
BOUNDARY_RES = ("4.1 RE 1", "4.1 RE 2")
# System-level requirements the asset owner answers for (a use rule, the plant's facility), not the integrator.
POLICY_REQUIREMENTS = ("SR 2.3", "SR 7.5")

ASSETS_SHORT, SYSTEM_LEVEL, PARTLY_BOUNDED = "assets_short", "system_level", "partly_bounded"


def is_boundary(rid: str) -> bool:
    number = rid[3:]
    return number.split(" RE ")[0] in BOUNDARY_SRS or number in BOUNDARY_RES


@dataclass(frozen=True)
class RequirementState:
    """Why one requirement is, or is not, satisfied in one zone or conduit."""

    requirement: str
    fr: str
    level: int
    satisfied: bool
    by: str  # countermeasure | conduits | assets | compensation | not_applicable | "" (not satisfied)
    countermeasures: tuple[str, ...] = ()
    short: tuple[str, ...] = ()  # assets that fall short by themselves (their type has the counterpart)
    compensated: tuple[str, ...] = ()  # of those, covered by a valid compensation
    pending: tuple[str, ...] = ()  # of those, named by a compensation that only lacks an asset owner's approval
    awaiting: tuple[str, ...] = ()  # of those, named by an approved compensation whose countermeasure is not in place
    uncovered: tuple[str, ...] = ()  # short, and covered by nothing
    scope: str = "zone"
    state: str = ""  # when not satisfied: assets_short | system_level | partly_bounded
    system_types: tuple[str, ...] = ()  # component types in the zone with no 4-2 counterpart of the requirement
    bounded: tuple[str, ...] = ()  # conduits of the zone whose countermeasures meet the boundary requirement
    unbounded: tuple[str, ...] = ()  # conduits of the zone that lack it
    asked: tuple[tuple[str, int], ...] = ()  # (component type, 4-2 level) asked of the short assets
    refused: tuple[tuple[str, str], ...] = ()  # (asset, why its compensation does not count)
    bypass: tuple[str, ...] = ()  # assets reachable from outside: they cross the zone's boundary past every conduit
    na: NotApplicable | None = None

    @property
    def applicable(self) -> bool:
        return self.na is None

    def why(self) -> str:
        if self.na is not None:
            return self.na.why()
        if self.by == "countermeasure":
            return "met by " + ", ".join(self.countermeasures)
        if self.by == "conduits":
            return f"met on every conduit of the zone ({', '.join(self.bounded)}) by {', '.join(self.countermeasures)}"
        if self.by == "assets":
            if self.system_types:
                return (f"every asset with a 4-2 counterpart meets it (none for {', '.join(self.system_types)}: "
                        "system level for those)")
            return "every asset meets it"
        if self.by == "compensation":
            return "assets short, compensated: " + ", ".join(self.compensated)
        past = (f"; {', '.join(self.bypass)} reachable from outside bypass every conduit" if self.bypass else "")
        if self.state == PARTLY_BOUNDED:
            lacking = f" but not on {', '.join(self.unbounded)}" if self.unbounded else ""
            return (f"partly bounded: met on {', '.join(self.bounded)}{lacking}{past}; a boundary requirement "
                    f"must hold on every conduit of the zone")
        if self.state == SYSTEM_LEVEL:
            if self.scope == "conduit":
                return "no countermeasure on the conduit meets it"
            if self.system_types:
                where = "at the zone or on every conduit" if is_boundary(self.requirement) else "at the zone"
                return (f"system level: 4-2 has no counterpart for {', '.join(self.system_types)}, and no asset in "
                        f"the zone has one; only a countermeasure {where} or an N/A decision can meet it{past}")
            return "no countermeasure meets it and the zone holds no counted asset"
        asked = "; ".join(f"4-2 asks SL-C {self.fr} {lv} of {t}" for t, lv in self.asked)
        parts = [f"falls short: {', '.join(self.uncovered)}" + (f" ({asked})" if asked else "")] \
            if self.uncovered else []
        if self.bypass:
            parts.append(f"{', '.join(self.bypass)} reachable from outside bypass every conduit")
        if self.pending:
            parts.append(f"compensation awaits the asset owner (approval or review): {', '.join(self.pending)}")
        if self.awaiting:
            parts.append(f"compensation awaits its countermeasure: {', '.join(self.awaiting)}")
        for aid, reason in self.refused:
            parts.append(f"compensation of {aid} refused: {reason}")
        return "; ".join(parts)


@dataclass
class Coverage:
    """Who meets what, computed once per plant: countermeasures per zone/conduit, compensations per asset."""

    zone_cms: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # zone -> 3-3 id -> countermeasure ids
    conduit_cms: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    valid_comp: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (asset, 3-3 id) -> indexes
    pending_comp: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # only an approval missing
    awaiting_comp: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # only a countermeasure missing
    refused_comp: dict[tuple[str, str], str] = field(default_factory=dict)  # (asset, 3-3 id) -> why not
    zone_conduits: dict[str, list[str]] = field(default_factory=dict)  # zone -> its conduits, in plant order
    conduit_na: Mapping[str, Mapping[str, NotApplicable]] = field(default_factory=dict)  # conduit -> N/A there

    @property
    def any_compensation(self) -> bool:
        return bool(self.valid_comp or self.pending_comp or self.awaiting_comp or self.refused_comp)


def coverage(plant: Plant, catalog: Catalog, valid: Iterable[int], pending: Iterable[int] = (),
             awaiting: Iterable[int] = (), refused: Mapping[int, str] | None = None) -> Coverage:
    """Index implemented countermeasures and compensations: `valid` count, `pending` lack only an approval,
    `awaiting` lack only an implemented countermeasure, `refused` maps the others to why they do not count."""
    cov = Coverage()
    for mid, m in plant.countermeasures.items():
        if m.status != "implemented":
            continue
        ids = {sr for r in m.meets for sr in system_counterparts(r, catalog)}
        if m.kind in PROCEDURAL:  # paper carries only what a procedure can (measures.PROCEDURAL_FAMILIES)
            ids = {sr for sr in ids if family(sr) in PROCEDURAL_FAMILIES}
        if m.at.zone:
            table = cov.zone_cms.setdefault(m.at.zone, {})
        elif m.at.conduit and m.at.conduit in plant.conduits:
            table = cov.conduit_cms.setdefault(m.at.conduit, {})
        else:
            continue
        for sr in ids:
            table.setdefault(sr, []).append(mid)
    for cid, c in plant.conduits.items():
        for z in dict.fromkeys(c.zones):
            cov.zone_conduits.setdefault(z, []).append(cid)
    tables = [(set(valid), cov.valid_comp), (set(pending), cov.pending_comp), (set(awaiting), cov.awaiting_comp)]
    for i, comp in enumerate(plant.compensations):
        for sr in system_counterparts(comp.requirement, catalog):
            for members, table in tables:
                if i in members:
                    table.setdefault((comp.asset, sr), []).append(i)
            if refused and i in refused:
                cov.refused_comp.setdefault((comp.asset, sr), refused[i])
    return cov


class Members:
    """A zone's counted assets by component type, per FR sorted by SL-C: the assets below a level are a prefix."""

    def __init__(self, assets: list[AssetCapability]) -> None:
        self.count = len(assets)
        self.legacy: set[str] = set()
        self.groups: dict[str, list[tuple[list[int], list[tuple[int, str, frozenset[str]]]]]] = {}
        by_type: dict[str, list[tuple[int, AssetCapability]]] = {}
        for n, a in enumerate(assets):
            by_type.setdefault(a.type, []).append((n, a))
        for t, group in sorted(by_type.items()):
            per_fr = []
            for i in range(len(FRS)):
                rows = sorted((a.sl.as_list()[i], n, a.asset, a.claims_33) for n, a in group)
                per_fr.append(([r[0] for r in rows], [(r[1], r[2], r[3]) for r in rows]))
            self.groups[t] = per_fr

    def short(self, fr_index: int, number: str, levels: Mapping[str, int]
              ) -> tuple[list[str], list[str], list[tuple[str, int]], int]:
        """For one requirement: the assets that do not list it and whose SL-C is below the 4-2 level of its
        counterpart for their type (`levels`); the component types present with no counterpart (the requirement
        is system level for those assets: they are neither short nor counted for it, unless they list it); the
        (type, level) asked of the short ones; and how many assets are judged on it."""
        out, system, asked, judged = [], [], [], 0
        for t, per_fr in self.groups.items():
            values, rows = per_fr[fr_index]
            if t not in levels:
                listing = sum(1 for _, _, claims in rows if claims and number in claims)
                judged += listing
                if listing < len(rows):
                    system.append(t)
                continue
            judged += len(rows)
            cut = bisect_left(values, levels[t])
            below = [(n, aid) for n, aid, claims in rows[:cut] if not claims or number not in claims]
            if below:
                out.extend(below)
                asked.append((t, levels[t]))
        return [aid for _, aid in sorted(out)], system, asked, judged  # assets in plant order


def requirement_state(req: Requirement, cms: Mapping[str, list[str]], members: Members, cov: Coverage,
                      catalog: Catalog, scope: str = "zone", na: Mapping[str, NotApplicable] | None = None,
                      conduits: list[str] | None = None, outside: tuple[str, ...] = ()) -> RequirementState:
    """The state of one requirement in one zone (`conduits`: the zone's; `outside`: its assets reachable from
    outside, which bypass every conduit) or conduit (`scope` conduit)."""
    fr, level = req.fr or "", req.level or 0
    base = dict(requirement=req.id, fr=fr, level=level, scope=scope)
    if na and req.id in na:
        return RequirementState(**base, satisfied=False, by="not_applicable", na=na[req.id])
    if req.id in cms:
        return RequirementState(**base, satisfied=True, by="countermeasure", countermeasures=tuple(sorted(cms[req.id])))
    if scope == "conduit":
        return RequirementState(**base, satisfied=False, by="", state=SYSTEM_LEVEL)
    bounded: list[str] = []
    unbounded: list[str] = []
    if conduits and is_boundary(req.id):
        for cid in conduits:
            if req.id in cov.conduit_na.get(cid, {}):
                continue  # not applicable on that conduit (it reaches no untrusted network): nothing to bound
            (bounded if req.id in cov.conduit_cms.get(cid, {}) else unbounded).append(cid)
        if bounded and not unbounded and not outside:
            ids = sorted({m for cid in bounded for m in cov.conduit_cms[cid][req.id]})
            return RequirementState(**base, satisfied=True, by="conduits", countermeasures=tuple(ids),
                                    bounded=tuple(bounded))
    short, system, asked, judged = members.short(FRS.index(fr), req.id[3:],
                                                 counterpart_levels(catalog).get(req.id, {}))
    bypass = outside if is_boundary(req.id) else ()
    if judged and not short:
        return RequirementState(**base, satisfied=True, by="assets", system_types=tuple(system))
    if cov.any_compensation and short:
        rid = req.id
        compensated = [a for a in short if (a, rid) in cov.valid_comp]
        done = set(compensated)
        pending = [a for a in short if a not in done and (a, rid) in cov.pending_comp]
        awaiting = [a for a in short if a not in done and (a, rid) in cov.awaiting_comp]
        waiting = done.union(pending, awaiting)
        refused = [(a, cov.refused_comp[(a, rid)]) for a in short if a not in waiting and (a, rid) in cov.refused_comp]
        uncovered = [a for a in short if a not in done]
    else:
        compensated, pending, awaiting, refused, uncovered = [], [], [], [], short
    if judged and not uncovered:
        return RequirementState(**base, satisfied=True, by="compensation", short=tuple(short),
                                compensated=tuple(compensated), system_types=tuple(system))
    if bounded:
        state = PARTLY_BOUNDED
    elif not judged:
        state = SYSTEM_LEVEL
    else:
        state = ASSETS_SHORT
    keep = state == ASSETS_SHORT
    return RequirementState(**base, satisfied=False, by="", short=tuple(short) if keep else (),
                            compensated=tuple(compensated) if keep else (), pending=tuple(pending) if keep else (),
                            awaiting=tuple(awaiting) if keep else (), uncovered=tuple(uncovered) if keep else (),
                            state=state, system_types=tuple(system), bounded=tuple(bounded),
                            unbounded=tuple(unbounded), asked=tuple(asked) if keep else (),
                            refused=tuple(refused) if keep else (), bypass=tuple(bypass))


def achieved(states: Mapping[str, RequirementState], fallback: SLVector | None = None) -> SLVector:
    """Per FR, the highest level L whose requirements at or below L are all satisfied.

    `fallback` caps every FR (a conduit holds only part of each FR's requirements: it is no stronger
    than the weaker of its zones). Requirements not applicable leave SL-A alone.
    """
    out = []
    for fr in FRS:
        judged = [s for s in states.values() if s.fr == fr and s.na is None]
        failing = [s.level for s in judged if not s.satisfied]
        level = min(4, min(failing) - 1) if failing else 4
        out.append(level if fallback is None else min(level, fallback[fr]))
    return SLVector(out)


def system_requirements(catalog: Catalog) -> list[Requirement]:
    return [r for r in catalog.select(part="3-3") if r.level is not None]


def conduit_requirements(catalog: Catalog) -> list[Requirement]:
    return [r for r in system_requirements(catalog) if r.id.split(" RE ")[0][3:] in CONDUIT_SRS]
