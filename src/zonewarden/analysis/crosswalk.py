"""What a plant's 62443 work gives it towards another framework: coverage of each target item.

Each 62443 requirement behind a target item gets its state in this plant, from the one assessment:
- 3-3 SRs and REs: per zone and conduit, met (how: countermeasure, assets, compensation), an open or
  tracked gap where SL-T asks for it, or not targeted (above every SL-T and met nowhere); where a
  requirement is not applicable it is neither met nor a gap;
- 4-2 CRs: per counted component of a type the item applies to, met by its SL-C or `meets` list, short
  where its zone's SL-T asks for it;
- programme and process items (2-1, 2-4, 3-2, 4-1): met when an implemented countermeasure lists them in
  `meets`, else not evidenced (the plant model records no programme otherwise).
A target item is covered when every requirement behind it that the plant targets is met, partly when some
are, not when none is, outside 62443 when no edge reaches it. `beyond_62443` says the target asks for more
than its met 62443 requirements (no met edge is `equal` or `superset_of`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..model.plant import Plant
from ..standard.catalog import Catalog, split_id
from ..standard.crosswalk import CONFIDENCE, UNIT_KINDS, Crosswalk, Edge, Framework, TargetItem
from .assess import Assessment

COVERAGE = ("covered", "partly", "not", "outside")
OPEN = ("gap", "partly", "not_evidenced")


@dataclass
class RequirementInPlant:
    """One 62443 requirement's state in this plant: where it is met, where it is a gap (with tracking status)."""

    id: str
    title: str
    part: str
    state: str  # met | partly | gap | not_targeted | not_evidenced
    met_in: list[str] = field(default_factory=list)
    compensated_in: list[str] = field(default_factory=list)
    gaps: list[dict[str, str]] = field(default_factory=list)  # {"where", "status"}
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "part": self.part, "state": self.state, "met_in": self.met_in,
                "compensated_in": self.compensated_in, "gaps": self.gaps, "detail": self.detail}


@dataclass
class ItemCoverage:
    item: TargetItem
    coverage: str
    beyond_62443: bool
    why: str
    edges: list[Edge]
    requirements: dict[str, RequirementInPlant]

    def as_dict(self) -> dict[str, Any]:
        return {**self.item.as_dict(), "coverage": self.coverage, "beyond_62443": self.beyond_62443,
                "why": self.why,
                "requirements": [{**self.requirements[e.source].as_dict(),
                                  **{k: v for k, v in e.as_dict().items() if k not in ("source", "framework")},
                                  "mapped_to": e.target}
                                 for e in self.edges]}


@dataclass
class Coverage:
    plant: str
    framework: Framework
    min_confidence: str
    items: list[ItemCoverage]  # every item of the framework, edges of the items below it included

    def units(self) -> list[ItemCoverage]:
        return [c for c in self.items if c.item.kind in UNIT_KINDS[self.framework.key]]

    def rollup(self, items: list[ItemCoverage] | None = None) -> dict[str, int]:
        counts = dict.fromkeys(COVERAGE, 0)
        for c in self.units() if items is None else items:
            counts[c.coverage] += 1
        return counts

    def groups(self) -> list[tuple[TargetItem, dict[str, int]]]:
        """Roll-up per top-level item (CSF function, ISO theme, 800-53 family, NIS2 measure, CRA part)."""
        by_id = {c.item.id: c for c in self.items}
        units = self.units()
        out = []
        for top in (i for i in self.framework.items if not i.parents):
            below = set(self.framework.descendants(top.id)) | {top.id}
            members = [c for c in units if c.item.id in below]
            if members:
                out.append((by_id[top.id].item, self.rollup(members)))
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"plant": self.plant, "framework": self.framework.info(), "min_confidence": self.min_confidence,
                "rollup": self.rollup(),
                "groups": [{**g.as_dict(), "rollup": r} for g, r in self.groups()],
                "items": [c.as_dict() for c in self.items]}


def coverage(assessment: Assessment, crosswalk: Crosswalk, framework: str, catalog: Catalog, *,
             min_confidence: str = "medium") -> Coverage:
    """Coverage of every item of `framework` from this assessment, counting edges of `min_confidence` or better."""
    fw = crosswalk.framework(framework)
    floor = CONFIDENCE.index(min_confidence)
    states = _States(assessment, catalog)
    items = []
    for item in fw.items:
        edges = [e for e in crosswalk.edges_to(framework, item.id, below=True)
                 if CONFIDENCE.index(e.confidence) >= floor]
        reqs = {e.source: states.of(e.source) for e in edges}
        items.append(_judge(item, edges, reqs, crosswalk.why_not(framework, item.id)))
    return Coverage(assessment.plant, fw, min_confidence, items)


def _judge(item: TargetItem, edges: list[Edge], reqs: dict[str, RequirementInPlant],
           not_covered: str | None) -> ItemCoverage:
    if not edges:
        why = not_covered or "no 62443 requirement maps here"
        return ItemCoverage(item, "outside", True, why, [], {})
    met = [r for r in reqs.values() if r.state == "met"]
    open_ = [r for r in reqs.values() if r.state in OPEN]
    partly = [r for r in reqs.values() if r.state == "partly"]
    if met and not open_:
        cov = "covered"
        why = f"{len(met)} of {len(reqs)} requirements met" + (
            f"; {len(reqs) - len(met)} above this plant's SL-T" if len(met) < len(reqs) else "")
    elif met or partly:
        cov = "partly"
        counts = Counter(r.state for r in open_)
        words = {"partly": "met in part", "gap": "with gaps", "not_evidenced": "not evidenced"}
        why = ", ".join([f"{len(met)} met"] + [f"{counts[k]} {w}" for k, w in words.items() if counts[k]]) + ": " + (
            ", ".join(r.id for r in open_[:6]) + (" ..." if len(open_) > 6 else ""))
    else:
        cov = "not"
        targeted = [r for r in reqs.values() if r.state != "not_targeted"]
        why = ("not met: " + ", ".join(r.id for r in targeted[:6]) + (" ..." if len(targeted) > 6 else "")
               if targeted else "the 62443 requirements behind it are above this plant's SL-T and met nowhere")
    full = any(e.relationship in ("equal", "superset_of") and reqs[e.source].state == "met" for e in edges)
    order = sorted(edges, key=lambda e: (-CONFIDENCE.index(e.confidence), e.derived, e.source))
    return ItemCoverage(item, cov, not full, why, order, reqs)


class _States:
    """Each 62443 requirement's state in the plant, computed on first use."""

    def __init__(self, assessment: Assessment, catalog: Catalog) -> None:
        self.a = assessment
        self.catalog = catalog
        self.cache: dict[str, RequirementInPlant] = {}
        self.gap_status = {g.id: g.status for s in (*assessment.zones, *assessment.conduits) for g in s.gaps}
        self.zone_of = {}
        plant: Plant | None = assessment.source
        if plant is not None:
            self.zone_of = {aid: a.zone for aid, a in plant.assets.items()}
        self.targets = {z.id: z.sl_target for z in assessment.zones}

    def of(self, rid: str) -> RequirementInPlant:
        if rid not in self.cache:
            req = self.catalog.get(rid)
            part = req.part
            fn = self._system if part == "3-3" else self._component if part == "4-2" else self._programme
            self.cache[rid] = fn(req)
        return self.cache[rid]

    def _system(self, req: Any) -> RequirementInPlant:
        r = RequirementInPlant(req.id, req.title, req.part, "")
        na, seen = [], 0
        for scope in (*self.a.zones, *self.a.conduits):
            st = scope.states.get(req.id)
            if st is None:
                continue
            seen += 1
            if not st.applicable:  # N/A there: neither met nor a gap (design §4 applicability)
                na.append(scope.id)
                continue
            if st.satisfied:
                r.met_in.append(scope.id)
                if st.by == "compensation" or st.compensated:
                    r.compensated_in.append(scope.id)
            elif st.level <= scope.sl_target[st.fr]:
                r.gaps.append({"where": scope.id, "status": self.gap_status.get(f"gap:{scope.id}:{req.id}", "open")})
        r.state = _state(r)
        if r.state == "not_targeted":
            r.detail = "above every zone's and conduit's SL-T, met nowhere"
            if na:
                r.detail = f"not applicable in {', '.join(na)}" + (
                    "" if len(na) == seen else "; elsewhere above the SL-T and met nowhere")
        return r

    def _component(self, req: Any) -> RequirementInPlant:
        r = RequirementInPlant(req.id, req.title, req.part, "")
        parts = split_id(req.id)
        if (req.level is None or parts is None) and req.variants:  # a generic CR met through EDR/HDR/NDR/SAR
            for v in (self.of(x) for x in req.variants):
                r.met_in += v.met_in
                r.gaps += v.gaps
            r.state = _state(r)
            r.detail = f"through its per-type variants {', '.join(req.variants)}"
            return r
        if req.level is None or parts is None:
            r.state, r.detail = "not_targeted", "no component content of its own"
            return r
        number = parts[1]
        for cap in self.a.capabilities.values():
            if not cap.counted or cap.type not in req.types:
                continue
            if number in cap.claims_42 or cap.sl[req.fr] >= req.level:
                r.met_in.append(cap.asset)
                continue
            target = self.targets.get(self.zone_of.get(cap.asset, ""))
            if target is not None and req.level <= target[req.fr]:
                r.gaps.append({"where": cap.asset, "status": "short"})
        r.state = _state(r)
        r.detail = {"met": "every component it applies to meets it",
                    "not_targeted": "no component it applies to needs it at its zone's SL-T"}.get(
            r.state, f"{len(r.gaps)} components short where their zone's SL-T asks for it")
        return r

    def _programme(self, req: Any) -> RequirementInPlant:
        r = RequirementInPlant(req.id, req.title, req.part, "")
        plant = self.a.source
        cms = [] if plant is None else [mid for mid, m in plant.countermeasures.items()
                                        if m.status == "implemented" and req.id in self._ids(m.meets)]
        if cms:
            r.state, r.met_in, r.detail = "met", cms, "implemented countermeasures list it in meets"
        else:
            r.state = "not_evidenced"
            r.detail = "no implemented countermeasure lists it in meets (the plant holds no other programme record)"
        return r

    def _ids(self, meets: list[str]) -> set[str]:
        return {req.id for x in meets if (req := self.catalog.find(x)) is not None}


def _state(r: RequirementInPlant) -> str:
    if r.gaps:
        return "partly" if r.met_in else "gap"
    return "met" if r.met_in else "not_targeted"
