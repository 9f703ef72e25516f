"""SL-A of zones and conduits (design §4), with the reason behind every requirement's state.

A 3-3 requirement is satisfied in a zone when an implemented countermeasure at the zone or on one
of its conduits meets it; or when every counted asset meets it (it lists the requirement, or its
SL-C for the FR reaches the requirement's level and 4-2 defines that requirement for its
component type); or when each asset that falls short is covered by a valid compensation. SL-A per
FR is the highest level whose requirements, at or below it, are all satisfied. A conduit is judged
on its own countermeasures and on CONDUIT_SRS.
Worked example: docs/assessment.md.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..model.plant import Plant
from ..model.sl import FRS, SLVector
from ..standard.catalog import Catalog, Requirement, component_content, system_counterparts
from .capability import AssetCapability

# Requirements about what crosses a boundary: the ones a conduit's own countermeasures can satisfy
# (our choice; 62443-3-3 rates conduits per FR without listing their requirements separately).
CONDUIT_SRS = ("1.2", "1.13", "3.1", "3.8", "4.1", "4.3", "5.1", "5.2", "5.3", "6.2", "7.1", "7.6", "7.7")


@dataclass(frozen=True)
class RequirementState:
    """Why one requirement is, or is not, satisfied in one zone or conduit."""

    requirement: str
    fr: str
    level: int
    satisfied: bool
    by: str  # countermeasure | assets | compensation | "" (not satisfied)
    countermeasures: tuple[str, ...] = ()
    short: tuple[str, ...] = ()  # assets that fall short by themselves
    compensated: tuple[str, ...] = ()  # of those, covered by a valid compensation
    pending: tuple[str, ...] = ()  # of those, named by a compensation that only lacks an asset owner's approval
    awaiting: tuple[str, ...] = ()  # of those, named by an approved compensation whose countermeasure is not in place
    uncovered: tuple[str, ...] = ()  # short, and covered by nothing
    scope: str = "zone"

    def why(self) -> str:
        if self.by == "countermeasure":
            return "met by " + ", ".join(self.countermeasures)
        if self.by == "assets":
            return "every asset meets it"
        if self.by == "compensation":
            return "assets short, compensated: " + ", ".join(self.compensated)
        if not self.short and not self.uncovered:
            if self.scope == "conduit":
                return "no countermeasure on the conduit meets it"
            return "no countermeasure meets it and the zone holds no counted asset"
        parts = [f"falls short: {', '.join(self.uncovered)}"] if self.uncovered else []
        if self.pending:
            parts.append(f"compensation awaits approval: {', '.join(self.pending)}")
        if self.awaiting:
            parts.append(f"compensation awaits its countermeasure: {', '.join(self.awaiting)}")
        return "; ".join(parts)


@dataclass
class Coverage:
    """Who meets what, computed once per plant: countermeasures per zone/conduit, compensations per asset."""

    zone_cms: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # zone -> 3-3 id -> countermeasure ids
    conduit_cms: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    valid_comp: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (asset, 3-3 id) -> indexes
    pending_comp: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # only an approval missing
    awaiting_comp: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # only a countermeasure missing


def coverage(plant: Plant, catalog: Catalog, valid: Iterable[int], pending: Iterable[int] = (),
             awaiting: Iterable[int] = ()) -> Coverage:
    """Index implemented countermeasures and compensations: `valid` count, `pending` lack only an approval,
    `awaiting` lack only an implemented countermeasure."""
    cov = Coverage()
    for mid, m in plant.countermeasures.items():
        if m.status != "implemented":
            continue
        ids = {sr for r in m.meets for sr in system_counterparts(r, catalog)}
        if m.at.zone:
            targets = [cov.zone_cms.setdefault(m.at.zone, {})]
        elif m.at.conduit and m.at.conduit in plant.conduits:
            targets = [cov.conduit_cms.setdefault(m.at.conduit, {})]
            targets += [cov.zone_cms.setdefault(z, {}) for z in set(plant.conduits[m.at.conduit].zones)]
        else:
            continue
        for t in targets:
            for sr in ids:
                t.setdefault(sr, []).append(mid)
    tables = [(set(valid), cov.valid_comp), (set(pending), cov.pending_comp), (set(awaiting), cov.awaiting_comp)]
    for i, comp in enumerate(plant.compensations):
        for sr in system_counterparts(comp.requirement, catalog):
            for members, table in tables:
                if i in members:
                    table.setdefault((comp.asset, sr), []).append(i)
    return cov


class Members:
    """A zone's counted assets by component type, per FR sorted by SL-C: the assets below a level are a prefix."""

    def __init__(self, assets: list[AssetCapability]) -> None:
        self.count = len(assets)
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

    def short(self, fr_index: int, level: int, number: str, content: frozenset[str]) -> list[str]:
        """Assets that do not list the requirement and whose SL-C cannot stand for it: below `level` on the FR,
        or of a component type for which 4-2 defines no counterpart (`content`)."""
        out = []
        for t, per_fr in self.groups.items():
            levels, rows = per_fr[fr_index]
            cut = bisect_left(levels, level) if t in content else len(rows)
            out.extend((n, aid) for n, aid, claims in rows[:cut] if not claims or number not in claims)
        return [aid for _, aid in sorted(out)]  # in plant order


def requirement_state(req: Requirement, cms: Mapping[str, list[str]], members: Members, cov: Coverage,
                      catalog: Catalog, scope: str = "zone") -> RequirementState:
    fr, level = req.fr or "", req.level or 0
    base = dict(requirement=req.id, fr=fr, level=level, scope=scope)
    if req.id in cms:
        return RequirementState(**base, satisfied=True, by="countermeasure", countermeasures=tuple(sorted(cms[req.id])))
    short = members.short(FRS.index(fr), level, req.id[3:], component_content(req.id, catalog))
    assets = members.count
    if assets and not short:
        return RequirementState(**base, satisfied=True, by="assets")
    compensated = [a for a in short if (a, req.id) in cov.valid_comp]
    pending = [a for a in short if a not in compensated and (a, req.id) in cov.pending_comp]
    awaiting = [a for a in short if a not in compensated and (a, req.id) in cov.awaiting_comp]
    uncovered = [a for a in short if a not in compensated]
    ok = bool(assets) and not uncovered
    return RequirementState(**base, satisfied=ok, by="compensation" if ok else "", short=tuple(short),
                            compensated=tuple(compensated), pending=tuple(pending), awaiting=tuple(awaiting),
                            uncovered=tuple(uncovered))


def achieved(states: Mapping[str, RequirementState], fallback: SLVector | None = None) -> SLVector:
    """Per FR, the highest level L whose requirements at or below L are all satisfied.

    `fallback` gives the level of an FR with no requirement in `states` (a conduit's FRs that no
    boundary requirement belongs to take the weaker of its zones' SL-A).
    """
    out = []
    for fr in FRS:
        judged = [s for s in states.values() if s.fr == fr]
        failing = [s.level for s in judged if not s.satisfied]
        if not judged and fallback is not None:
            out.append(fallback[fr])
        else:
            out.append(min(4, min(failing) - 1) if failing else 4)
    return SLVector(out)


def system_requirements(catalog: Catalog) -> list[Requirement]:
    return [r for r in catalog.select(part="3-3") if r.level is not None]


def conduit_requirements(catalog: Catalog) -> list[Requirement]:
    return [r for r in system_requirements(catalog) if r.id.split(" RE ")[0][3:] in CONDUIT_SRS]
