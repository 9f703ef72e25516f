"""`zonewarden assess`: risk to SL-T, capability SL-C, achieved SL-A, gaps and findings, in one object.

The steps of design §4 in order: scope (external zones get no SL-T, SL-A or gaps); judge
compensations; SL-C of every asset; applicability; which 3-3 requirement is satisfied where, and
SL-A; SL-T (declared, or derived from risk); gaps; residual risk; the tracking file's statuses on
every finding. Every face renders this one `Assessment`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..model.plant import Plant
from ..model.sl import FRS, SLVector
from ..model.source import paused_gc
from ..model.tracking import CLOSED, Tracking
from ..standard.attack import Attack, load_attack
from ..standard.catalog import Catalog, load_catalog
from .achieved import (
    Members,
    RequirementState,
    achieved,
    conduit_requirements,
    coverage,
    requirement_state,
    system_requirements,
)
from .applicability import NotApplicable, applicability
from .capability import AssetCapability, capabilities, capability_findings
from .findings import Finding, severity_rank
from .gaps import RULES, Gap, find_gaps, judge_compensations, unneeded_compensations
from .measures import family
from .risk import ScenarioRisk, assess_scenarios, derived_targets, safety_floors
from .tracking import TrackingResult, apply_tracking


@dataclass
class ZoneResult:
    id: str
    name: str
    level: float
    sl_target: SLVector
    sl_target_source: str  # declared | derived | baseline
    sl_derived: SLVector | None
    sl_capability: SLVector | None
    sl_achieved: SLVector
    assets: list[str]
    states: dict[str, RequirementState]
    gaps: list[Gap] = field(default_factory=list)
    scenarios: list[ScenarioRisk] = field(default_factory=list)
    not_applicable: dict[str, NotApplicable] = field(default_factory=dict)
    sl_floor: list[str] = field(default_factory=list)  # why a floor raised the derived SL-T
    worst_consequence: int | None = None  # the worst consequence of the zone's scenarios

    def risk_dict(self, tolerable: int | None) -> dict[str, Any]:
        return {
            "tolerable": tolerable,
            "worst_consequence": self.worst_consequence,
            "sl_floor": self.sl_floor,
            "max_risk": max((s.risk for s in self.scenarios), default=None),
            "max_residual_risk": max((s.residual_risk for s in self.scenarios), default=None),
            "scenarios": [s.as_dict() for s in self.scenarios],
        }


@dataclass
class ConduitResult:
    id: str
    name: str | None
    zones: list[str]
    sl_target: SLVector
    sl_target_source: str  # declared | zones
    sl_achieved: SLVector
    countermeasures: list[str]
    states: dict[str, RequirementState]
    gaps: list[Gap] = field(default_factory=list)
    not_applicable: dict[str, NotApplicable] = field(default_factory=dict)


@dataclass
class Assessment:
    plant: str
    zones: list[ZoneResult]
    conduits: list[ConduitResult]
    capabilities: dict[str, AssetCapability]
    findings: list[Finding]
    tracking: TrackingResult
    tolerable: int | None
    source: Plant | None = None
    external: list[str] = field(default_factory=list)  # zones outside the system under consideration
    proofs: dict[int, Any] = field(default_factory=dict)  # compensation index -> its path proof (analysis.compensation)

    def located_findings(self) -> list[Finding]:
        """The findings with their file positions; computed on first use (it may re-read the plant's YAML)."""
        sources = self.source._sources if self.source is not None else None
        if sources is None or all(f.location for f in self.findings):
            return self.findings
        self.findings = [f if f.location else Finding(f.id, f.rule, f.severity, f.message,
                                                      sources.locate(_data_path(self.source, f.path)), f.path,
                                                      f.requirement, f.related, f.data) for f in self.findings]
        return self.findings

    @property
    def gaps(self) -> list[Gap]:
        return [g for z in self.zones for g in z.gaps] + [g for c in self.conduits for g in c.gaps]

    def status(self, finding_id: str) -> str:
        return self.tracking.status(finding_id)

    def open_at_or_above(self, severity: str) -> int:
        """Gaps and findings at or above a severity that the tracking file has not closed."""
        n = sum(1 for g in self.gaps if severity_rank(g.severity) >= severity_rank(severity) and g.status not in CLOSED)
        return n + sum(1 for f in self.findings if severity_rank(f.severity) >= severity_rank(severity)
                       and self.status(f.id) not in CLOSED)


def assess(plant: Plant, tracking: Tracking | None = None, *, tracking_file: str | None = None,
           catalog: Catalog | None = None, attack: Attack | None = None, as_of: dt.date | None = None) -> Assessment:
    """The whole assessment of a valid plant, as of a date (compensations past their review date do not
    count; default today); see the module docstring for the steps."""
    with paused_gc():  # ~10^5 short-lived state objects; a GC pass would re-scan the whole loaded plant
        return _assess(plant, tracking, tracking_file, catalog or load_catalog(), attack or load_attack(),
                       as_of or dt.date.today())


def _assess(plant: Plant, tracking: Tracking | None, tracking_file: str | None, catalog: Catalog,
            attack: Attack, as_of: dt.date) -> Assessment:
    findings: list[Finding] = []

    why_not: dict[int, str] = {}
    proofs: dict[int, Any] = {}
    valid, approval_only, implementation_only, refused = judge_compensations(plant, catalog, as_of, why_not, proofs)
    findings += refused
    caps = capabilities(plant, catalog)
    findings += capability_findings(caps)
    findings += unneeded_compensations(plant, catalog, caps, valid)
    cov = coverage(plant, catalog, valid, approval_only, implementation_only, why_not)
    app = applicability(plant, catalog)
    cov.conduit_na = app.conduits
    suc = [zid for zid, z in plant.zones.items() if not z.external]
    external = [zid for zid, z in plant.zones.items() if z.external]
    findings += [f for f in app.findings if f.path[:2] not in {("zones", z) for z in external}]

    reqs = system_requirements(catalog)
    members: dict[str, list[AssetCapability]] = {z: [] for z in suc}
    outside: dict[str, list[str]] = {}
    for aid, a in plant.assets.items():
        if caps[aid].counted and a.zone in members:
            members[a.zone].append(caps[aid])
            if a.reachable_from_outside:
                outside.setdefault(a.zone, []).append(aid)
    indexed = {z: Members(m) for z, m in members.items()}
    states = {z: {r.id: requirement_state(r, cov.zone_cms.get(z, {}), indexed[z], cov, catalog,
                                          na=app.zones.get(z), conduits=cov.zone_conduits.get(z, []),
                                          outside=tuple(outside.get(z, ())))
                  for r in reqs}
              for z in suc}
    sla = {z: achieved(states[z]) for z in suc}

    derived = {z: v for z, v in derived_targets(plant, attack).items() if z in sla}
    scenarios = assess_scenarios(plant, attack, sla)
    worst = {z: max((s.consequence for s in scenarios if s.zone == z), default=None) for z in suc}
    top = plant.risk.matrix.consequence if plant.risk else None
    technique_index = _techniques_by_family(attack)

    baseline = plant.risk.baseline if plant.risk else SLVector.uniform(1)
    targets: dict[str, SLVector] = {}
    sources: dict[str, str] = {}
    for zid in suc:
        z = plant.zones[zid]
        if z.sl_target is None or z.sl_target == "auto":
            targets[zid], sources[zid] = (derived[zid], "derived") if zid in derived else (baseline, "baseline")
        else:
            targets[zid], sources[zid] = z.sl_target, "declared"
            if zid in derived and not z.sl_target.meets(derived[zid]):
                rule = RULES["sl-target-below-risk"]
                findings.append(Finding(f"sl-target:{zid}", rule.id, rule.severity,
                                        f"zone {zid!r} declares SL-T {z.sl_target} but its risk scenarios derive "
                                        f"{derived[zid]}; short on {', '.join(z.sl_target.shortfall(derived[zid]))}",
                                        None, ("zones", zid, "sl_target"), rule.requirement))
    auto = {zid for zid in suc if sources[zid] != "declared"}
    targets, raised, short = safety_floors(plant, targets, auto)
    for zid in raised:
        sources[zid] = "derived"
    for zid, reaching_zones in short.items():
        if reaching_zones:
            rule = RULES["sl-target-below-safety-floor"]
            named = "; ".join(f"{o} has SL-T {v}" for o, v in reaching_zones)
            findings.append(Finding(f"sl-target-floor:{zid}", rule.id, rule.severity,
                                    f"safety zone {zid!r} declares SL-T {targets[zid]}, weaker than a zone that "
                                    f"reaches it through a conduit: {named}", None, ("zones", zid, "sl_target"),
                                    rule.requirement))

    zones = []
    for zid in suc:
        z = plant.zones[zid]
        zone_caps = members[zid]
        zone_scenarios = [s for s in scenarios if s.zone == zid]
        zr = ZoneResult(zid, z.name, z.level, targets[zid], sources[zid], derived.get(zid),
                        SLVector.combine_min(c.sl for c in zone_caps), sla[zid], [c.asset for c in zone_caps],
                        states[zid], scenarios=zone_scenarios, not_applicable=app.zones.get(zid, {}),
                        sl_floor=raised.get(zid, []), worst_consequence=worst[zid])
        zr.gaps = find_gaps("zone", zid, targets[zid], states[zid], plant, catalog,
                            technique_index, zone_scenarios, (worst[zid], top))
        zones.append(zr)

    creqs = conduit_requirements(catalog)
    partial = _partial_frs(catalog)
    no_assets = Members([])
    zone_target = {z.id: z.sl_target for z in zones}
    conduits = []
    for cid, c in plant.conduits.items():
        inside = [z for z in dict.fromkeys(c.zones) if z in sla]
        if not inside:
            continue  # between zones outside the system under consideration
        na = app.conduits.get(cid, {})
        cstates = {r.id: requirement_state(r, cov.conduit_cms.get(cid, {}), no_assets, cov, catalog, "conduit", na)
                   for r in creqs}
        if c.sl_target is not None:
            ctarget, csource = c.sl_target, "declared"
            zones_max = SLVector.combine_max(zone_target[z] for z in inside)
            if zones_max is not None and not ctarget.meets(zones_max):
                rule = RULES["conduit-sl-target-below-zones"]
                findings.append(Finding(f"sl-target:{cid}", rule.id, rule.severity,
                                        f"conduit {cid!r} declares SL-T {ctarget} but its zones ask {zones_max}; "
                                        f"short on {', '.join(ctarget.shortfall(zones_max))}", None,
                                        ("conduits", cid, "sl_target"), rule.requirement))
        else:
            ctarget = SLVector.combine_max(zone_target[z] for z in inside) or baseline
            csource = "zones"
        cms = sorted({m for ids in cov.conduit_cms.get(cid, {}).values() for m in ids})
        weaker = SLVector.combine_min(sla[z] for z in inside) or SLVector.uniform(0)
        cap = SLVector([weaker[fr] if fr in partial else 4 for fr in FRS])
        own = achieved(cstates, cap).as_list()
        for i, fr in enumerate(FRS):  # nothing on the conduit: no level on the FRs it holds requirements of
            if not cms and any(st.fr == fr and st.na is None for st in cstates.values()):
                own[i] = 0
        cr = ConduitResult(cid, c.name, list(c.zones), ctarget, csource, SLVector(own), cms, cstates,
                           not_applicable=na)
        cworst = max((worst[z] for z in inside if worst[z] is not None), default=None)
        cr.gaps = find_gaps("conduit", cid, ctarget, cstates, plant, catalog, technique_index, [], (cworst, top))
        conduits.append(cr)

    for s in scenarios:
        if s.residual_band != "tolerable" and s.zone in sla:  # a scenario on an external zone: `check` warns
            rule = RULES["residual-risk"]
            sev = {"medium": "medium", "high": "high", "critical": "critical"}[s.residual_band]
            findings.append(Finding(f"risk:{s.zone}:{s.id}", rule.id, sev,
                                    f"scenario {s.id!r} on zone {s.zone!r}: residual risk {s.residual_risk} "
                                    f"(likelihood {s.residual_likelihood} x consequence {s.consequence}) is above "
                                    f"tolerable {plant.risk.tolerable if plant.risk else '-'}",
                                    None, ("risk", "scenarios", s.id), rule.requirement))

    gaps = [g for z in zones for g in z.gaps] + [g for c in conduits for g in c.gaps]
    tr = apply_tracking(tracking, [g.id for g in gaps] + [f.id for f in findings], tracking_file)
    for g in gaps:
        g.status = tr.status(g.id)
        g.tracking = tr.details(g.id)
    return Assessment(plant.plant.name, zones, conduits, caps, findings, tr,
                      plant.risk.tolerable if plant.risk else None, plant, external, proofs)


def _techniques_by_family(attack: Attack) -> dict[str, list[str]]:
    """SR family (`1.1`) -> the ATT&CK for ICS techniques whose mitigations map into it."""
    out: dict[str, set[str]] = {}
    for t in attack.techniques:
        for r in attack.requirements(t):
            if (f := family(r)) is not None:
                out.setdefault(f, set()).add(t)
    return {f: sorted(ts) for f, ts in out.items()}


def _partial_frs(catalog: Catalog) -> set[str]:
    """FRs of which a conduit holds only part of the requirements (CONDUIT_SRS): there it is capped by its zones."""
    every = {fr: {r.id for r in system_requirements(catalog) if r.fr == fr} for fr in FRS}
    held = {r.id for r in conduit_requirements(catalog)}
    return {fr for fr, ids in every.items() if not ids <= held}


def _data_path(plant: Plant, path: tuple[Any, ...]) -> tuple[Any, ...]:
    """Scenario findings carry the scenario id; the source map wants its list index."""
    if len(path) == 3 and path[:2] == ("risk", "scenarios") and plant.risk:
        for i, s in enumerate(plant.risk.scenarios):
            if s.id == path[2]:
                return ("risk", "scenarios", i)
    return path
