"""Gaps and compensation verdicts: what stands between each zone (or conduit) and its SL-T.

A gap is a 3-3 requirement needed for the SL-T (its level at or below SL-T for its FR) that is
not satisfied. It names the assets that fall short and the role that must act: the asset owner
when only an approval is missing, the product supplier when components lack a capability 4-2
defines, the integrator otherwise (a countermeasure is needed). Its severity is the number of
levels it costs: 1 medium, 2 high, 3 or more critical. docs/assessment.md#gaps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..model.plant import Plant
from ..model.sl import SLVector
from ..standard.catalog import Catalog, system_counterpart
from .achieved import RequirementState
from .capability import AssetCapability, number_of
from .findings import Finding, Rule

GAP_RULE = Rule("gap", "high", "Requirement not satisfied",
                "A requirement the SL-T asks for is not satisfied in the zone or conduit.")
RULES = {r.id: r for r in (
    GAP_RULE,
    Rule("sl-target-below-risk", "high", "Declared SL-T below what risk asks",
         "The declared SL-T is lower, on some FR, than the SL-T the zone's risk scenarios derive.", "ZCR 5.6"),
    Rule("residual-risk", "high", "Residual risk above tolerable",
         "After the zone's countermeasures, a scenario's risk is still above tolerable.", "ZCR 5.11"),
    Rule("compensation-refused", "medium", "Compensation does not count",
         "A compensation is not approved by an asset owner, or names countermeasures that are missing or not "
         "implemented; the requirement stays unmet.", "ZCR 5.12"),
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

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "requirement": self.requirement, "title": self.title, "fr": self.fr,
                "level": self.level, "severity": self.severity, "assets": self.assets, "owner_role": self.owner_role,
                "suppliers": self.suppliers, "techniques": self.techniques, "why": self.why, "status": self.status,
                **({"tracking": self.tracking} if self.tracking else {})}


def gap_severity(target_level: int, requirement_level: int) -> str:
    lost = target_level - requirement_level + 1
    return "medium" if lost <= 1 else "high" if lost == 2 else "critical"


def find_gaps(scope: str, where: str, target: SLVector, states: dict[str, RequirementState], plant: Plant,
              catalog: Catalog, caps: dict[str, AssetCapability], techniques: dict[str, list[str]]) -> list[Gap]:
    out = []
    for rid, st in states.items():
        if st.satisfied or st.level > target[st.fr]:
            continue
        req = catalog.get(rid)
        if st.pending and not [a for a in st.uncovered if a not in st.pending]:
            role, suppliers = "asset_owner", []
        elif st.awaiting and not [a for a in st.uncovered if a not in st.pending + st.awaiting]:
            role, suppliers = "integrator", []
        elif st.uncovered and _component_content(rid, [plant.assets[a].type for a in st.uncovered], catalog):
            role = "product_supplier"
            suppliers = sorted({s for a in st.uncovered if (s := plant.assets[a].supplier)})
        else:
            role, suppliers = "integrator", []
        out.append(Gap(f"gap:{where}:{rid}", scope, where, rid, req.title, st.fr, st.level,
                       gap_severity(target[st.fr], st.level), list(st.uncovered), role, suppliers,
                       sorted(techniques.get(rid, [])), st.why()))
    return out


def _component_content(rid: str, types: list[str], catalog: Catalog) -> bool:
    """Does 4-2 define a component requirement of this number for one of these component types?"""
    have = _content_index(catalog).get(number_of(rid) or "", frozenset())
    return any(t in have for t in types)


@lru_cache(maxsize=8)
def _content_index(catalog: Catalog) -> dict[str, frozenset[str]]:
    """Requirement number -> the component types 4-2 gives content for under that number."""
    index: dict[str, set[str]] = {}
    for r in catalog.select(part="4-2"):
        if r.level is not None and (num := number_of(r.id)):
            index.setdefault(num, set()).update(r.types)
    return {k: frozenset(v) for k, v in index.items()}


def judge_compensations(plant: Plant, catalog: Catalog) -> tuple[list[int], list[int], list[int], list[Finding]]:
    """Which compensations count, which lack only an approval, which only an implemented countermeasure;
    and a finding for each that does not count."""
    rule = RULES["compensation-refused"]
    valid, approval_only, implementation_only, findings = [], [], [], []
    for i, comp in enumerate(plant.compensations):
        reasons = []
        role = plant.roles.get(comp.approved_by or "")
        if comp.approved_by is None:
            reasons.append("it is not approved")
        elif role is None or role.kind != "asset_owner":
            reasons.append(f"{comp.approved_by!r} is not an asset_owner role")
        approval_reasons = len(reasons)
        not_in_place = 0
        for mid in comp.by:
            m = plant.countermeasures.get(mid)
            if m is None:
                reasons.append(f"countermeasure {mid!r} does not exist")
            elif m.status != "implemented":
                reasons.append(f"countermeasure {mid!r} is {m.status}")
                not_in_place += 1
        if system_counterpart(comp.requirement, catalog) is None:
            reasons.append(f"{comp.requirement} has no 3-3 counterpart to stand in for")
        if comp.asset not in plant.assets:
            reasons.append(f"asset {comp.asset!r} does not exist")
        if reasons and len(reasons) == approval_reasons:
            approval_only.append(i)
        elif reasons and not approval_reasons and len(reasons) == not_in_place:
            implementation_only.append(i)
        if reasons:
            fid = f"compensation:{comp.asset}:{comp.requirement}"
            findings.append(Finding(fid, rule.id, rule.severity, f"compensation of {comp.requirement} for asset "
                                    f"{comp.asset!r} does not count: " + "; ".join(reasons), None,
                                    ("compensations", i), rule.requirement))
        else:
            valid.append(i)
    return valid, approval_only, implementation_only, findings


def unneeded_compensations(plant: Plant, catalog: Catalog, caps: dict[str, AssetCapability],
                           valid: list[int]) -> list[Finding]:
    rule = RULES["compensation-unneeded"]
    out = []
    for i in valid:
        comp = plant.compensations[i]
        sr = system_counterpart(comp.requirement, catalog)
        cap = caps[comp.asset]
        req = catalog.get(sr) if sr else None
        if req is None or req.fr is None or req.level is None:
            continue
        if cap.sl[req.fr] >= req.level or number_of(sr) in cap.numbers:
            out.append(Finding(f"compensation:{comp.asset}:{comp.requirement}", rule.id, rule.severity,
                               f"asset {comp.asset!r} already meets {sr} (SL-C {cap.sl}); the compensation of "
                               f"{comp.requirement} is not needed", None, ("compensations", i), rule.requirement))
    return out
