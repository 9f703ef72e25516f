"""Gaps and compensation verdicts: what stands between each zone (or conduit) and its SL-T.

A gap is an applicable 3-3 requirement needed for the SL-T (its level at or below SL-T for its FR)
that is not satisfied, in one of three states (design §4): assets short (it names the assets; the
product suppliers of their component types act, the asset owner when only an approval is missing
or a legacy asset's compensation was refused), system level (no asset named; the integrator acts,
the asset owner for POLICY_REQUIREMENTS), partly bounded (it names the conduits that lack the
boundary measure; the integrator acts). Its severity is the number of levels it costs: 1 medium,
2 high, 3 or more critical. docs/assessment.md#gaps.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..model.plant import Plant
from ..model.sl import SLVector
from ..standard.catalog import Catalog, counterpart_levels, system_counterparts
from .achieved import ASSETS_SHORT, PARTLY_BOUNDED, POLICY_REQUIREMENTS, SYSTEM_LEVEL, RequirementState
from .capability import AssetCapability
from .findings import Finding, Rule
from .paths import AttackGraph, describe

RULES = {r.id: r for r in (
    Rule("sl-target-below-risk", "high", "Declared SL-T below what risk asks",
         "The declared SL-T is lower, on some FR, than the SL-T the zone's risk scenarios derive.", "ZCR 5.6"),
    Rule("residual-risk", "high", "Residual risk above tolerable",
         "After the zone's countermeasures, a scenario's risk is still above tolerable.", "ZCR 5.11"),
    Rule("compensation-refused", "medium", "Compensation does not count",
         "A compensation is not approved by an asset owner, is past its review date, or names countermeasures "
         "that are missing or not implemented; the requirement stays unmet.", "ZCR 5.12"),
    Rule("compensation-unneeded", "low", "Compensation for a requirement the asset meets",
         "The asset already meets the requirement its compensation names.", "ZCR 5.12"),
)}


@dataclass
class Gap:
    id: str
    scope: str  # zone | conduit
    where: str
    requirement: str
    title: str
    fr: str
    level: int
    severity: str
    assets: list[str]
    owner_role: str
    suppliers: list[str]
    techniques: list[str]
    why: str
    status: str = "open"
    tracking: dict[str, Any] = field(default_factory=dict)
    state: str = ASSETS_SHORT
    conduits: list[str] = field(default_factory=list)  # partly bounded: the conduits that lack the measure

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "requirement": self.requirement, "title": self.title, "fr": self.fr,
                "level": self.level, "severity": self.severity, "assets": self.assets, "owner_role": self.owner_role,
                "suppliers": self.suppliers, "techniques": self.techniques, "why": self.why, "status": self.status,
                "state": self.state, "conduits": self.conduits,
                **({"tracking": self.tracking} if self.tracking else {})}


def gap_severity(target_level: int, requirement_level: int) -> str:
    lost = target_level - requirement_level + 1
    return "medium" if lost <= 1 else "high" if lost == 2 else "critical"


def find_gaps(scope: str, where: str, target: SLVector, states: dict[str, RequirementState], plant: Plant,
              catalog: Catalog, caps: dict[str, AssetCapability], techniques: dict[str, list[str]]) -> list[Gap]:
    out = []
    for rid, st in states.items():
        if st.satisfied or st.na is not None or st.level > target[st.fr]:
            continue
        req = catalog.get(rid)
        role, suppliers = _owner(st, plant)
        out.append(Gap(f"gap:{where}:{rid}", scope, where, rid, req.title, st.fr, st.level,
                       gap_severity(target[st.fr], st.level), list(st.uncovered), role, suppliers,
                       sorted(techniques.get(rid, [])), st.why(), state=st.state, conduits=list(st.unbounded)))
    return out


def _owner(st: RequirementState, plant: Plant) -> tuple[str, list[str]]:
    """The role that must act on an unmet requirement, and the suppliers named (design §4 gap states)."""
    if st.state == SYSTEM_LEVEL:
        return ("asset_owner" if st.requirement in POLICY_REQUIREMENTS else "integrator"), []
    if st.state == PARTLY_BOUNDED:
        return "integrator", []
    if not (st.pending or st.awaiting or st.refused):
        return "product_supplier", sorted({s for a in st.uncovered if (s := plant.assets[a].supplier)})
    uncovered = list(st.uncovered)
    if st.pending and not [a for a in uncovered if a not in st.pending]:
        return "asset_owner", []
    if st.awaiting and not [a for a in uncovered if a not in st.pending + st.awaiting]:
        return "integrator", []
    refused_legacy = {a for a, _ in st.refused if plant.assets[a].legacy}
    rest = [a for a in uncovered if a not in refused_legacy]
    if refused_legacy and not rest:
        return "asset_owner", []
    return "product_supplier", sorted({s for a in rest if (s := plant.assets[a].supplier)})


def judge_compensations(plant: Plant, catalog: Catalog, today: dt.date, why_not: dict[int, str] | None = None
                        ) -> tuple[list[int], list[int], list[int], list[Finding]]:
    """Which compensations count, which lack only an approval, which only an implemented countermeasure;
    and a finding for each that does not count (its reasons also in `why_not`, by index)."""
    rule = RULES["compensation-refused"]
    valid, approval_only, implementation_only, findings = [], [], [], []
    graph = AttackGraph(plant)
    for i, comp in enumerate(plant.compensations):
        reasons = [why] if (why := plant.owner_approval_missing(comp.approved_by)) is not None else []
        if comp.review_by is not None and comp.review_by < today:
            reasons.append(f"its review date {comp.review_by} has passed")
        approval_reasons = len(reasons)
        not_in_place = 0
        for mid in comp.by:
            m = plant.countermeasures.get(mid)
            if m is None:
                reasons.append(f"countermeasure {mid!r} does not exist")
            elif m.status == "planned":
                reasons.append(f"countermeasure {mid!r} is planned")
                not_in_place += 1
            elif m.status != "implemented":
                reasons.append(f"countermeasure {mid!r} is {m.status}")  # retired: refused, not awaited
        if not system_counterparts(comp.requirement, catalog):
            reasons.append(f"{comp.requirement} has no 3-3 counterpart to stand in for")
        if comp.asset not in plant.assets:
            reasons.append(f"asset {comp.asset!r} does not exist")
        elif not not_in_place and all(mid in plant.countermeasures for mid in comp.by):
            bypass = graph.weakest(comp.asset, blocked=set(comp.by))
            if bypass is not None:  # not proven: some path from an entry point meets none of its countermeasures
                reasons.append("it is not proven: " + describe(bypass) + f" meets none of {', '.join(comp.by)}")
        if reasons and len(reasons) == approval_reasons:
            approval_only.append(i)
        elif reasons and not approval_reasons and len(reasons) == not_in_place:
            implementation_only.append(i)
        if reasons and why_not is not None:
            why_not[i] = "; ".join(reasons)
        if reasons:
            fid = f"compensation:{comp.asset}:{comp.requirement}"
            findings.append(Finding(fid, rule.id, rule.severity, f"compensation of {comp.requirement} for asset "
                                    f"{comp.asset!r} does not count: " + "; ".join(reasons), None,
                                    ("compensations", i), rule.requirement))
        else:
            valid.append(i)
    return valid, approval_only, implementation_only, findings


def _asset_meets(cap: AssetCapability, req: Any, catalog: Catalog) -> bool:
    """The asset meets a 3-3 requirement by itself: it lists it, or its SL-C reaches the 4-2 level of the
    counterpart for its component type."""
    level = counterpart_levels(catalog).get(req.id, {}).get(cap.type)
    return (level is not None and cap.sl[req.fr] >= level) or req.id[3:] in cap.claims_33


def unneeded_compensations(plant: Plant, catalog: Catalog, caps: dict[str, AssetCapability],
                           valid: list[int]) -> list[Finding]:
    rule = RULES["compensation-unneeded"]
    out = []
    for i in valid:
        comp = plant.compensations[i]
        cap = caps[comp.asset]
        reqs = [catalog.get(sr) for sr in system_counterparts(comp.requirement, catalog)]
        if not reqs:
            continue

        if all(_asset_meets(cap, r, catalog) for r in reqs):
            sr = ", ".join(r.id for r in reqs)
            out.append(Finding(f"compensation:{comp.asset}:{comp.requirement}", rule.id, rule.severity,
                               f"asset {comp.asset!r} already meets {sr} (SL-C {cap.sl}); the compensation of "
                               f"{comp.requirement} is not needed", None, ("compensations", i), rule.requirement))
    return out
