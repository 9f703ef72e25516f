"""62443-3-2 risk (ZCR 2, 4, 5): scenario risk, its band, the SL-T it asks for, and residual risk.

risk = likelihood x worst consequence. At or below tolerable the band is `tolerable`; above it,
`medium`, `high` from `bands.high`, `critical` from `bands.critical`. A scenario asks of the FRs it
touches the highest of: its band's `band_sl`; its threat actor's SL (the 62443-3-3 SL whose attacker
profile the actor's capability matches); and the safety floor when its safety consequence is at the
top of the matrix. The FRs it touches are those its ATT&CK techniques touch (technique -> mitigations
-> 62443 SRs -> FR), or all seven for a scenario without techniques (or whose techniques carry no
62443 label). Residual (ZCR 5.8-5.11): likelihood drops by `residual_credit` times the share of the
scenario's techniques on whose every FR the zone's SL-A reaches the scenario's SL; no credit for a
technique with an FR short, nor for one no 62443 requirement mitigates. docs/assessment.md#risk.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..model.plant import Plant, Risk, Scenario
from ..model.sl import FRS, SLVector
from ..standard.attack import Attack

BANDS = ("tolerable", "medium", "high", "critical")
SAFETY_FUNCTIONS = ("sis",)  # asset functions that make their zone a safety zone for the floor
# 62443-3-3's SL definitions, by the attacker each must withstand: SL 1 casual or coincidental violation;
# SL 2 simple means, low resources, generic skills; SL 3 sophisticated means, moderate resources, IACS-specific
# skills; SL 4 the same with extended resources and high motivation.
CAPABILITY_SL = {"casual": 1, "simple": 2, "sophisticated": 3, "extended": 4}
# the capability assumed for an actor kind when the scenario gives none (docs/assessment.md#threat-actors)
KIND_CAPABILITY = {"casual": "casual", "hacktivist": "simple", "criminal": "simple", "insider": "sophisticated",
                   "competitor": "sophisticated", "terrorist": "sophisticated", "nation_state": "extended",
                   "other": None}


@dataclass(frozen=True)
class Thresholds:
    tolerable: int
    high: int
    critical: int

    def band(self, risk: int) -> str:
        if risk <= self.tolerable:
            return "tolerable"
        if risk >= self.critical:
            return "critical"
        return "high" if risk >= self.high else "medium"


def thresholds(risk: Risk) -> Thresholds:
    top = risk.matrix.likelihood * risk.matrix.consequence
    high = risk.bands.high or max(risk.tolerable + 1, math.ceil(top / 2))
    critical = risk.bands.critical or max(high, math.ceil(top * 0.8))
    return Thresholds(risk.tolerable, high, critical)


@dataclass(frozen=True)
class Target:
    """What one scenario asks: the SL, why, and of which FRs."""

    risk: int
    band: str
    band_sl: int
    actor_sl: int | None
    floor: int | None  # the safety floor, when the scenario's safety consequence is at the top of the matrix
    sl: int
    frs: tuple[str, ...]
    fr_basis: str
    basis: tuple[str, ...]  # one line per reason the SL is what it is


@dataclass(frozen=True)
class ScenarioRisk:
    id: str
    zone: str
    source: str | None
    techniques: tuple[str, ...]
    likelihood: int
    consequence: int  # the worst category
    worst: tuple[str, ...]  # the categories at that value
    risk: int
    band: str
    sl: int
    frs: tuple[str, ...]
    fr_basis: str  # techniques | all (no techniques) | all (no 62443 label)
    residual_likelihood: int
    residual_risk: int
    residual_band: str
    mitigated: tuple[str, ...]  # techniques credited (or the FRs, for a scenario counted as one unit)
    band_sl: int = 0
    actor: dict | None = None
    actor_sl: int | None = None
    floor: int | None = None
    sl_basis: tuple[str, ...] = ()
    short: dict[str, list[str]] = field(default_factory=dict)  # technique (or "all") -> FRs below the SL

    @property
    def open(self) -> tuple[str, ...]:
        """The techniques the zone leaves open: no credit for them."""
        return tuple(t for t in self.techniques if t not in self.mitigated)

    def as_dict(self) -> dict:
        return {
            "id": self.id, "source": self.source, "techniques": list(self.techniques),
            "likelihood": self.likelihood, "consequence": self.consequence, "worst": list(self.worst),
            "risk": self.risk, "band": self.band, "sl": self.sl, "band_sl": self.band_sl, "actor": self.actor,
            "actor_sl": self.actor_sl, "floor": self.floor, "sl_basis": list(self.sl_basis),
            "frs": list(self.frs), "fr_basis": self.fr_basis,
            "residual_likelihood": self.residual_likelihood, "residual_risk": self.residual_risk,
            "residual_band": self.residual_band, "mitigated": list(self.mitigated), "open": list(self.open),
            "short": self.short,
        }


def touched_frs(s: Scenario, attack: Attack) -> tuple[tuple[str, ...], str]:
    if not s.techniques:
        return FRS, "all (no techniques)"
    frs = set().union(*(attack.frs(t) for t in s.techniques))
    if not frs:
        return FRS, "all (no 62443 label on the techniques' mitigations)"
    return tuple(fr for fr in FRS if fr in frs), "techniques"


def actor_sl(s: Scenario) -> tuple[int | None, str | None]:
    """The SL whose attacker profile the scenario's actor matches, and the capability it was read from."""
    if s.actor is None:
        return None, None
    capability = s.actor.capability or KIND_CAPABILITY[s.actor.kind]
    return (CAPABILITY_SL[capability], capability) if capability else (None, None)


def scenario_target(s: Scenario, risk: Risk, th: Thresholds, attack: Attack) -> Target:
    value = s.likelihood * max(s.consequence.values())
    band = th.band(value)
    band_level = getattr(risk.band_sl, band)
    basis = [f"risk {value} ({band}) asks SL {band_level}"]
    by_actor, capability = actor_sl(s)
    if by_actor is not None and s.actor is not None:
        basis.append(f"actor {s.actor.kind} ({capability} means) asks SL {by_actor}")
    floor = None
    if risk.floors.safety_consequence and s.consequence.get("safety") == risk.matrix.consequence:
        floor = risk.floors.safety_consequence
        basis.append(f"safety consequence {risk.matrix.consequence}, the top of the matrix: floor SL {floor}")
    sl = max(band_level, by_actor or 0, floor or 0)
    frs, fr_basis = touched_frs(s, attack)
    return Target(value, band, band_level, by_actor, floor, sl, frs, fr_basis, tuple(basis))


def derived_targets(plant: Plant, attack: Attack) -> dict[str, SLVector]:
    """SL-T each zone's scenarios ask for: per FR the max over scenarios touching it, else the baseline."""
    risk = plant.risk
    if risk is None:
        return {}
    th = thresholds(risk)
    out: dict[str, list[int]] = {}
    for s in risk.scenarios:
        t = scenario_target(s, risk, th, attack)
        levels = out.setdefault(s.zone, list(risk.baseline))
        for fr in t.frs:
            i = FRS.index(fr)
            levels[i] = max(levels[i], t.sl)
    return {z: SLVector(v) for z, v in out.items()}


def reaching(plant: Plant, zone: str) -> dict[str, list[str]]:
    """The zones whose flow rules let them open conversations into `zone`, each with the conduits that do."""
    out: dict[str, list[str]] = {}
    for cid, c in plant.conduits.items():
        if zone in c.zones:
            for a, _ in sorted(d for d in plant.conduit_directions(c) if d[1] == zone):
                out.setdefault(a, []).append(cid)
    return out


def safety_floors(plant: Plant, targets: dict[str, SLVector], auto: set[str]
                  ) -> tuple[dict[str, SLVector], dict[str, list[str]], dict[str, list[tuple[str, SLVector]]]]:
    """Raise each safety zone (safety-related, or holding a safety system) with an `auto` SL-T to the SL-T of
    every zone of the system under consideration that reaches it (to a fixed point, for chains of safety zones).
    Returns the raised targets,
    one line per raise, and, for safety zones with a declared SL-T, the reaching zones it falls short of."""
    if plant.risk is not None and not plant.risk.floors.safety_zone:
        return targets, {}, {}
    out = dict(targets)
    why: dict[str, list[str]] = {}
    short: dict[str, list[tuple[str, SLVector]]] = {}
    holding = {a.zone for a in plant.assets.values()
               if a.function in SAFETY_FUNCTIONS and a.lifecycle != "decommissioned"}
    safety = [z for z in out if plant.zones[z].safety_related or z in holding]
    reach = {z: {o: cs for o, cs in reaching(plant, z).items() if o in out} for z in safety}
    changed = True
    while changed:  # values only grow, each bounded by 4: at most 7 x 4 x zones passes
        changed = False
        for z in safety:
            for other, cids in sorted(reach[z].items()):
                if z not in auto or out[z].meets(out[other]):
                    continue
                raised = out[z].max(out[other])
                why.setdefault(z, []).append(f"zone {other} reaches it through {', '.join(cids)} with SL-T "
                                             f"{out[other]}: raised to {raised}")
                out[z] = raised
                changed = True
    for z in safety:
        if z not in auto:
            short[z] = [(o, out[o]) for o in sorted(reach[z]) if not out[z].meets(out[o])]
    return out, why, short


def assess_scenarios(plant: Plant, attack: Attack, achieved: Mapping[str, SLVector]) -> list[ScenarioRisk]:
    """Every scenario's risk before and after the zone's countermeasures: credit per technique only where the
    zone's SL-A on each FR the technique touches reaches the scenario's SL (design §4 residual risk)."""
    risk = plant.risk
    if risk is None:
        return []
    th = thresholds(risk)
    out = []
    for s in risk.scenarios:
        t = scenario_target(s, risk, th, attack)
        worst_value = max(s.consequence.values())
        sla = achieved.get(s.zone, SLVector.uniform(0))
        units = {tech: sorted(attack.frs(tech), key=FRS.index) for tech in dict.fromkeys(s.techniques)} \
            if t.fr_basis == "techniques" else {"all": list(t.frs)}
        short = {u: [fr for fr in frs if sla[fr] < t.sl] or ([] if frs else ["no 62443 requirement mitigates it"])
                 for u, frs in units.items()}
        credited = [u for u, missing in short.items() if not missing]
        share = len(credited) / len(units)
        mitigated = tuple(credited) if t.fr_basis == "techniques" else (t.frs if credited else ())
        residual_l = max(1, s.likelihood - math.floor(risk.residual_credit * share + 1e-9))  # only credit earned
        residual = residual_l * worst_value
        actor = None if s.actor is None else {"kind": s.actor.kind, "capability": s.actor.capability}
        out.append(ScenarioRisk(
            s.id, s.zone, s.source, tuple(dict.fromkeys(s.techniques)), s.likelihood, worst_value,
            tuple(c for c, v in s.consequence.items() if v == worst_value), t.risk, t.band, t.sl, t.frs, t.fr_basis,
            residual_l, residual, th.band(residual), mitigated, t.band_sl, actor, t.actor_sl, t.floor, t.basis,
            {u: m for u, m in short.items() if m}))
    return out
