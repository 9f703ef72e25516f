"""62443-3-2 risk (ZCR 2, 4, 5): scenario risk, its band, the SL-T it asks for, and residual risk.

risk = likelihood x worst consequence. At or below tolerable the band is `tolerable`; above it,
`medium`, `high` from `bands.high`, `critical` from `bands.critical`. A band asks `band_sl` of
the FRs the scenario touches: those its ATT&CK techniques touch (technique -> mitigations -> 62443
labels -> FR), or all seven for a scenario without techniques (or whose techniques carry no 62443
label). Residual (ZCR 5.8-5.11): likelihood drops by `residual_credit` times the share of the
scenario's techniques that requirements satisfied in the zone mitigate. docs/assessment.md#risk.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..model.plant import Plant, Risk, Scenario
from ..model.sl import FRS, SLVector
from ..standard.attack import Attack

BANDS = ("tolerable", "medium", "high", "critical")


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
    mitigated: tuple[str, ...]  # techniques (or FRs, for a scenario without techniques) counted as mitigated

    def as_dict(self) -> dict:
        return {
            "id": self.id, "source": self.source, "techniques": list(self.techniques),
            "likelihood": self.likelihood, "consequence": self.consequence, "worst": list(self.worst),
            "risk": self.risk, "band": self.band, "sl": self.sl, "frs": list(self.frs), "fr_basis": self.fr_basis,
            "residual_likelihood": self.residual_likelihood, "residual_risk": self.residual_risk,
            "residual_band": self.residual_band, "mitigated": list(self.mitigated),
        }


def touched_frs(s: Scenario, attack: Attack) -> tuple[tuple[str, ...], str]:
    if not s.techniques:
        return FRS, "all (no techniques)"
    frs = set().union(*(attack.frs(t) for t in s.techniques))
    if not frs:
        return FRS, "all (no 62443 label on the techniques' mitigations)"
    return tuple(fr for fr in FRS if fr in frs), "techniques"


def scenario_target(s: Scenario, risk: Risk, th: Thresholds, attack: Attack) -> tuple[int, str, int, tuple, str]:
    worst_value = max(s.consequence.values())
    value = s.likelihood * worst_value
    band = th.band(value)
    sl = getattr(risk.band_sl, band)
    frs, basis = touched_frs(s, attack)
    return value, band, sl, frs, basis


def derived_targets(plant: Plant, attack: Attack) -> dict[str, SLVector]:
    """SL-T each zone's scenarios ask for: per FR the max over scenarios touching it, else the baseline."""
    risk = plant.risk
    if risk is None:
        return {}
    th = thresholds(risk)
    out: dict[str, list[int]] = {}
    for s in risk.scenarios:
        _, _, sl, frs, _ = scenario_target(s, risk, th, attack)
        levels = out.setdefault(s.zone, list(risk.baseline))
        for fr in frs:
            i = FRS.index(fr)
            levels[i] = max(levels[i], sl)
    return {z: SLVector(v) for z, v in out.items()}


def assess_scenarios(plant: Plant, attack: Attack, satisfied: Callable[[str, str], bool],
                     achieved: Mapping[str, SLVector]) -> list[ScenarioRisk]:
    """Every scenario's risk before and after the zone's countermeasures.

    `satisfied(zone, requirement)` says whether a 3-3 requirement is satisfied in a zone.
    """
    risk = plant.risk
    if risk is None:
        return []
    th = thresholds(risk)
    out = []
    for s in risk.scenarios:
        value, band, sl, frs, basis = scenario_target(s, risk, th, attack)
        worst_value = max(s.consequence.values())
        labelled = [t for t in s.techniques if attack.requirements(t)]
        if labelled:
            mitigated = tuple(t for t in labelled if any(satisfied(s.zone, r) for r in attack.requirements(t)))
            share = len(mitigated) / len(labelled)
        else:
            sla = achieved.get(s.zone, SLVector.uniform(0))
            mitigated = tuple(fr for fr in frs if sla[fr] >= sl)
            share = len(mitigated) / len(frs)
        residual_l = max(1, s.likelihood - math.floor(risk.residual_credit * share + 0.5))
        residual = residual_l * worst_value
        out.append(ScenarioRisk(
            s.id, s.zone, s.source, tuple(s.techniques), s.likelihood, worst_value,
            tuple(c for c, v in s.consequence.items() if v == worst_value), value, band, sl, tuple(frs), basis,
            residual_l, residual, th.band(residual), mitigated))
    return out
