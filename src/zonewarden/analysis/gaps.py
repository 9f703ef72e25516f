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
from .measures import family
from .paths import AttackGraph

RULES = {r.id: r for r in (
    Rule("sl-target-below-risk", "high", "Declared SL-T below what risk asks",
         "The declared SL-T is lower, on some FR, than the SL-T the zone's risk scenarios derive.", "ZCR 5.6"),
    Rule("sl-target-below-safety-floor", "high", "Safety zone weaker than a zone that reaches it",
         "A safety-related zone declares an SL-T below, on some FR, the SL-T of a zone that reaches it through a "
         "conduit; an attacker there would face less in the safety zone than behind them.", "ZCR 5.6"),
    Rule("conduit-sl-target-below-zones", "medium", "Conduit SL-T below its zones'",
         "A conduit declares an SL-T below, on some FR, the SL-T of a zone of the system under consideration it "
         "joins; its gaps are then counted against the weaker target.", "ZCR 5.6"),
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
    scenarios: list[str] = field(default_factory=list)  # the zone's scenarios it withholds residual credit from
    lost: int = 1  # SL levels it costs on its FR
    consequence: int | None = None  # the worst consequence of the zone's (or conduit's zones') scenarios

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "requirement": self.requirement, "title": self.title, "fr": self.fr,
                "level": self.level, "severity": self.severity, "assets": self.assets, "owner_role": self.owner_role,
                "suppliers": self.suppliers, "techniques": self.techniques, "why": self.why, "status": self.status,
                "state": self.state, "conduits": self.conduits, "scenarios": self.scenarios, "lost": self.lost,
                "consequence": self.consequence, **({"tracking": self.tracking} if self.tracking else {})}


GAP_SEVERITIES = ("low", "medium", "high", "critical")


def gap_severity(target_level: int, requirement_level: int, worst: int | None = None, top: int | None = None) -> str:
    """Levels it costs (1 medium, 2 high, 3+ critical), one step up where the worst consequence of the zone's
    scenarios is at the top of the matrix, one down where it is at most 40% of it (design §4 gaps)."""
    lost = target_level - requirement_level + 1
    step = 1 if lost <= 1 else 2 if lost == 2 else 3
    if worst is not None and top:
        step += 1 if worst >= top else -1 if worst <= 0.4 * top else 0
    return GAP_SEVERITIES[max(0, min(3, step))]


def find_gaps(scope: str, where: str, target: SLVector, states: dict[str, RequirementState], plant: Plant,
              catalog: Catalog, techniques: dict[str, list[str]], scenarios: list[Any] = (),
              consequence: tuple[int | None, int | None] = (None, None)) -> list[Gap]:
    """The gaps of one zone or conduit. `techniques`: SR family -> ATT&CK techniques its mitigations map into;
    `scenarios`: the zone's ScenarioRisks; `consequence`: (the zone's worst consequence, the matrix's top)."""
    out = []
    for rid, st in states.items():
        if st.satisfied or st.na is not None or st.level > target[st.fr]:
            continue
        req = catalog.get(rid)
        role, suppliers = _owner(st, plant)
        withheld = [s.id for s in scenarios if st.level <= s.sl and any(st.fr in frs for frs in s.short.values())]
        out.append(Gap(f"gap:{where}:{rid}", scope, where, rid, req.title, st.fr, st.level,
                       gap_severity(target[st.fr], st.level, *consequence), list(st.uncovered), role, suppliers,
                       list(techniques.get(family(rid) or "", [])), st.why(), state=st.state,
                       conduits=list(st.unbounded), scenarios=withheld, lost=target[st.fr] - st.level + 1,
                       consequence=consequence[0]))
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


def judge_compensations(plant: Plant, catalog: Catalog, today: dt.date, why_not: dict[int, str] | None = None,
                        proofs: dict[int, Any] | None = None) -> tuple[list[int], list[int], list[int], list[Finding]]:
    """Which compensations count, which lack only an approval, which only an implemented countermeasure;
    and a finding for each that does not count, its reasons as data (`data.reasons`: code, message and what
    each names) and joined in `why_not`, by index."""
    from .compensation import prove

    rule = RULES["compensation-refused"]
    valid, approval_only, implementation_only, findings = [], [], [], []
    graph = AttackGraph(plant)
    for i, comp in enumerate(plant.compensations):
        reasons: list[dict[str, Any]] = []
        if (why := plant.owner_approval_missing(comp.approved_by)) is not None:
            reasons.append({"code": "not-approved", "message": why})
        if comp.review_by is not None and comp.review_by < today:
            reasons.append({"code": "review-passed", "date": comp.review_by.isoformat(),
                            "message": f"its review date {comp.review_by} has passed"})
        approval_reasons = len(reasons)
        not_in_place = 0
        for mid in comp.by:
            m = plant.countermeasures.get(mid)
            if m is None:
                reasons.append({"code": "missing-countermeasure", "countermeasure": mid,
                                "message": f"countermeasure {mid!r} does not exist"})
            elif m.status != "implemented":  # planned: awaited; retired: refused
                reasons.append({"code": "not-implemented", "countermeasure": mid, "status": m.status,
                                "message": f"countermeasure {mid!r} is {m.status}"})
                not_in_place += m.status == "planned"
        if not system_counterparts(comp.requirement, catalog):
            reasons.append({"code": "no-counterpart", "message": f"{comp.requirement} has no 3-3 counterpart to "
                                                                 "stand in for"})
        if comp.asset not in plant.assets:
            reasons.append({"code": "missing-asset", "message": f"asset {comp.asset!r} does not exist"})
        elif all(mid in plant.countermeasures and plant.countermeasures[mid].status == "implemented"
                 for mid in comp.by):
            proof = prove(plant, graph, comp, catalog)
            if proofs is not None:
                proofs[i] = proof
            if not proof.proven:  # the path, flow or coverage that escapes it; or nothing of it meets R
                reasons += [{**r, "message": ("it is not proven: " if r["code"] != "does-not-meet" else "")
                             + r["message"]} for r in proof.reasons]
        if reasons and len(reasons) == approval_reasons:
            approval_only.append(i)
        elif reasons and not approval_reasons and len(reasons) == not_in_place:
            implementation_only.append(i)
        text = "; ".join(r["message"] for r in reasons)
        if reasons and why_not is not None:
            why_not[i] = text
        if reasons:
            fid = f"compensation:{comp.asset}:{comp.requirement}"
            findings.append(Finding(fid, rule.id, rule.severity, f"compensation of {comp.requirement} for asset "
                                    f"{comp.asset!r} does not count: " + text, None,
                                    ("compensations", i), rule.requirement, data={"reasons": reasons}))
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
