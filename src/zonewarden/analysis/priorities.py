"""Where to act first: the zones of the system under consideration ranked by what is at stake, not by how
many gaps they list (design §4; shown by `demo`, the report and the web overview).

A zone ranks by, in order: the band of its worst residual risk above tolerable (a scenario whose safety
consequence is at the top of the matrix and whose floor the zone's SL-A falls short of counts as high,
whatever its likelihood); its worst consequence
(safety before the other categories at the same value); how far its critical assets fall below the depth
policy (the missing layers, summed); then its open gaps weighted by severity (critical 8, high 4, medium 2,
low 1). Zones with nothing open are left out. Each item says why it stands where it does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model.tracking import CLOSED
from .assess import Assessment
from .paths import PathsResult
from .risk import BANDS

WEIGHT = {"critical": 8, "high": 4, "medium": 2, "low": 1}


@dataclass
class Priority:
    zone: str
    name: str
    residual: list[Any] = field(default_factory=list)  # ScenarioRisks above tolerable, worst first
    consequence: int | None = None
    categories: tuple[str, ...] = ()  # the categories at the worst consequence
    below: list[Any] = field(default_factory=list)  # TargetDepths below policy
    open_gaps: int = 0
    weighted: int = 0
    by_severity: dict[str, int] = field(default_factory=dict)
    why: str = ""

    safety: list[Any] = field(default_factory=list)  # (scenario, FRs): a safety floor the zone's SL-A falls short of

    def key(self) -> tuple:
        band = BANDS.index(self.residual[0].residual_band) if self.residual else 0
        if self.safety:  # a top safety consequence short of its floor ranks as high, whatever its likelihood
            band = max(band, BANDS.index("high"))
        missing = sum(t.policy - t.depth for t in self.below)
        return (-band, -(self.residual[0].residual_risk if self.residual else 0), -(self.consequence or 0),
                "safety" not in self.categories, -missing, -self.weighted, self.zone)

    def as_dict(self) -> dict[str, Any]:
        return {"zone": self.zone, "name": self.name, "why": self.why,
                "residual": [{"scenario": s.id, "residual_risk": s.residual_risk, "band": s.residual_band}
                             for s in self.residual],
                "consequence": self.consequence, "categories": list(self.categories),
                "below_policy": [{"asset": t.asset, "depth": t.depth, "policy": t.policy} for t in self.below],
                "open_gaps": self.open_gaps, "open_by_severity": self.by_severity}


def where_to_act(a: Assessment, paths: PathsResult | None = None) -> list[Priority]:
    """The zones with something open, most urgent first, each with its reason."""
    below = {}
    for t in paths.targets if paths else []:
        if t.below_policy:
            below.setdefault(t.zone, []).append(t)
    out = []
    for z in a.zones:
        p = Priority(z.id, z.name)
        p.residual = sorted((s for s in z.scenarios if s.residual_band != "tolerable"),
                            key=lambda s: (-BANDS.index(s.residual_band), -s.residual_risk, s.id))
        if z.scenarios:
            p.consequence = max(s.consequence for s in z.scenarios)
            p.categories = tuple(sorted({c for s in z.scenarios if s.consequence == p.consequence for c in s.worst}))
        p.safety = [(s, short) for s in z.scenarios if s.floor is not None
                    and (short := [fr for fr in s.frs if z.sl_achieved[fr] < s.floor])]
        p.below = below.get(z.id, [])
        gaps = [g for g in z.gaps if g.status not in CLOSED]
        p.open_gaps = len(gaps)
        p.weighted = sum(WEIGHT.get(g.severity, 1) for g in gaps)
        p.by_severity = {s: n for s in WEIGHT if (n := sum(1 for g in gaps if g.severity == s))}
        if not (p.residual or p.safety or p.below or p.open_gaps):
            continue
        p.why = _why(p)
        out.append(p)
    return sorted(out, key=Priority.key)


def _why(p: Priority) -> str:
    parts = []
    if p.residual:
        s = p.residual[0]
        left = f"{len(s.open)} of {len(s.techniques)} techniques open" if s.techniques else "SL-A short of SL " \
            f"{s.sl} on {', '.join(s.short.get('all', [])) or 'its FRs'}"
        parts.append(f"scenario {s.id} keeps residual risk {s.residual_risk} ({s.residual_band}; {left})"
                     + (f", and {len(p.residual) - 1} more above tolerable" if len(p.residual) > 1 else ""))
    for s, short in p.safety[:1]:
        parts.append(f"scenario {s.id} has a top safety consequence: SL-A short of its floor SL {s.floor} on "
                     f"{', '.join(short)}")
    if p.consequence is not None:
        parts.append(f"worst consequence {p.consequence} ({', '.join(p.categories)})")
    if p.below:
        shown = ", ".join(f"{t.asset} {t.depth} of {t.policy}" for t in p.below[:3])
        more = f" and {len(p.below) - 3} more" if len(p.below) > 3 else ""
        parts.append(f"{len(p.below)} critical asset(s) below the depth policy (layers: {shown}{more})")
    if p.open_gaps:
        sev = ", ".join(f"{n} {s}" for s, n in p.by_severity.items())
        parts.append(f"{p.open_gaps} open gaps ({sev})")
    return "; ".join(parts)
