"""Which 3-3 requirements apply to each zone and conduit (design §3 and §4, applicability).

A requirement is not applicable (N/A) where the asset owner decided so (`applicability:` on a zone
or conduit, with a justification and an approval), or where the model shows it cannot arise:
wireless requirements in a zone with no wireless asset; untrusted-network requirements in a zone
(or conduit) that no conduit joins to an external or remote-access zone. An inferred N/A is shown
with its reason and yields to a declared decision (`not_applicable: false` makes it apply). A
declared N/A counts only when an asset owner approved it and the model does not contradict it.
N/A requirements leave SL-A alone and raise no gap. docs/assessment.md#applicability.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from ..model.plant import Applicability, Plant, Zone
from ..standard.catalog import Catalog, normalize_id
from .findings import Finding, Rule

# Requirement families the model can judge by itself (a base SR stands for its REs).
WIRELESS = ("SR 1.6", "SR 2.2")
UNTRUSTED = ("SR 1.13", "SR 4.1 RE 1")
BOUNDARY_FAMILIES = ("SR 5.1", "SR 5.2", "SR 5.3")  # a zone with a conduit has a boundary to protect
WIRELESS_FUNCTIONS = ("wireless_ap",)
WIRELESS_ZONE_KINDS = ("wireless",)

RULES = {r.id: r for r in (
    Rule("not-applicable-refused", "medium", "N/A decision does not count",
         "A requirement declared not applicable lacks an asset owner's approval, or the model contradicts the "
         "decision; the requirement stays applicable.", "ZCR 5.12"),
)}


@dataclass(frozen=True)
class NotApplicable:
    """Why one requirement does not apply at one zone or conduit."""

    requirement: str
    source: str  # declared | inferred
    reason: str
    approved_by: str | None = None
    approved_on: str | None = None
    evidence: str | None = None

    def why(self) -> str:
        if self.source == "inferred":
            return f"not applicable (inferred: {self.reason})"
        who = f"approved by {self.approved_by}" + (f" on {self.approved_on}" if self.approved_on else "")
        return f"not applicable ({who}: {self.reason})"

    def as_dict(self) -> dict[str, str | None]:
        return {"requirement": self.requirement, "source": self.source, "reason": self.reason,
                "approved_by": self.approved_by, "approved_on": self.approved_on, "evidence": self.evidence}


@lru_cache(maxsize=1024)
def family(base: str, catalog: Catalog) -> tuple[str, ...]:
    """A 3-3 id and, for a base SR, its enhancements."""
    rid = normalize_id(base)
    out = [rid] if rid in catalog else []
    if " RE " not in rid:
        out += [r.id for r in catalog.select(part="3-3") if r.parent == rid]
    return tuple(out)


@lru_cache(maxsize=64)
def _families(bases: tuple[str, ...], catalog: Catalog) -> tuple[str, ...]:
    return tuple(r for b in bases for r in family(b, catalog))


def reaches_untrusted(z: Zone) -> bool:
    """Is the zone itself an untrusted network for its neighbours: external, untrusted, or remote access?"""
    return z.external or z.trust == "untrusted" or z.kind == "remote_access"


class Index:
    """What the inferences read, gathered in one pass over the plant (linear in its size)."""

    def __init__(self, plant: Plant) -> None:
        self.wireless: set[str] = {zid for zid, z in plant.zones.items() if z.kind in WIRELESS_ZONE_KINDS}
        self.reachable: dict[str, str] = {}
        for aid, a in plant.assets.items():
            if a.function in WIRELESS_FUNCTIONS:
                self.wireless.add(a.zone)
            if a.reachable_from_outside:
                self.reachable.setdefault(a.zone, aid)
        self.outward = {zid for zid, z in plant.zones.items() if reaches_untrusted(z)}
        self.conduits: dict[str, list[str]] = {}
        for cid, c in plant.conduits.items():
            for zid in dict.fromkeys(c.zones):
                self.conduits.setdefault(zid, []).append(cid)
        self.plant = plant

    def untrusted_reach(self, zid: str) -> str | None:
        """Why untrusted networks reach a zone (it is remote access, a conduit joins it to an external or
        remote-access zone, an asset in it is reachable from outside), or None."""
        z = self.plant.zones[zid]
        if z.kind == "remote_access":
            return "the zone is a remote-access zone"
        if z.trust == "untrusted":
            return "the zone is untrusted"
        for cid in self.conduits.get(zid, []):
            others = [z for z in self.plant.conduits[cid].zones if z != zid]
            if any(z in self.outward for z in others):
                return f"conduit {cid} joins it to {', '.join(others)}"
        if zid in self.reachable:
            return f"asset {self.reachable[zid]} is reachable from outside"
        return None

    def conduit_outward(self, cid: str) -> bool:
        return any(z in self.outward for z in self.plant.conduits[cid].zones)


def _inferred_zone(ix: Index, zid: str, catalog: Catalog) -> dict[str, NotApplicable]:
    out: dict[str, NotApplicable] = {}
    if zid not in ix.wireless:
        for r in _families(WIRELESS, catalog):
            out[r] = NotApplicable(r, "inferred", "no wireless asset in the zone")
    if ix.untrusted_reach(zid) is None:
        for r in _families(UNTRUSTED, catalog):
            out[r] = NotApplicable(r, "inferred", "no conduit joins the zone to an external, untrusted or "
                                   "remote-access zone")
    return out


def _inferred_conduit(ix: Index, cid: str, catalog: Catalog) -> dict[str, NotApplicable]:
    if ix.conduit_outward(cid):
        return {}
    return {r: NotApplicable(r, "inferred", "the conduit joins no external, untrusted or remote-access zone")
            for r in _families(UNTRUSTED, catalog)}


def contradiction(plant: Plant, where: str, zid_or_cid: str, requirement: str, catalog: Catalog,
                  ix: Index | None = None) -> str | None:
    """What in the model contradicts a declared N/A of `requirement`, or None."""
    ix = ix or Index(plant)
    rid = normalize_id(requirement)
    if where == "zone":
        if rid in _families(WIRELESS, catalog) and zid_or_cid in ix.wireless:
            return "the zone holds wireless equipment"
        if rid in _families(UNTRUSTED, catalog) and (why := ix.untrusted_reach(zid_or_cid)) is not None:
            return why
        if rid in _families(BOUNDARY_FAMILIES, catalog) and ix.conduits.get(zid_or_cid):
            return f"conduit {ix.conduits[zid_or_cid][0]} crosses its boundary"
    elif rid in _families(UNTRUSTED, catalog) and ix.conduit_outward(zid_or_cid):
        return "the conduit joins an external, untrusted or remote-access zone"
    return None


def refusal(plant: Plant, where: str, owner_id: str, d: Applicability, catalog: Catalog,
            ix: Index | None = None) -> str | None:
    """Why a declared N/A does not count, or None."""
    if not d.not_applicable:
        return None
    if (why := plant.owner_approval_missing(d.approved_by)) is not None:
        return why
    if (why := contradiction(plant, where, owner_id, d.requirement, catalog, ix)) is not None:
        return f"the model contradicts it: {why}"
    return None


@dataclass
class Applicable:
    """N/A requirements per zone and per conduit, and the declared decisions that do not count."""

    zones: dict[str, dict[str, NotApplicable]]
    conduits: dict[str, dict[str, NotApplicable]]
    findings: list[Finding]


def _apply(declared: list[Applicability], inferred: dict[str, NotApplicable], where: str, owner_id: str,
           plant: Plant, catalog: Catalog, path: tuple[str, str], ix: Index) -> Iterator[Finding]:
    rule = RULES["not-applicable-refused"]
    ordered = sorted(enumerate(declared), key=lambda x: " RE " in normalize_id(x[1].requirement))
    for i, d in ordered:  # base SRs first: a decision on an RE overrides its SR's, whatever the file's order
        if normalize_id(d.requirement) not in catalog or not normalize_id(d.requirement).startswith("SR "):
            continue  # `check` reports it (unknown-requirement)
        ids = family(d.requirement, catalog)
        if not d.not_applicable:
            for r in ids:
                inferred.pop(r, None)
            continue
        why = refusal(plant, where, owner_id, d, catalog, ix)
        if why is not None:
            yield Finding(f"not-applicable:{owner_id}:{normalize_id(d.requirement)}", rule.id, rule.severity,
                          f"{where} {owner_id!r} declares {normalize_id(d.requirement)} not applicable, which does "
                          f"not count: {why}", None, (*path, "applicability", i), rule.requirement)
            continue  # the inference, if any, stands on its own
        for r in ids:
            inferred[r] = NotApplicable(r, "declared", d.justification, d.approved_by,
                                        d.approved_on.isoformat() if d.approved_on else None, d.evidence)


def applicability(plant: Plant, catalog: Catalog) -> Applicable:
    """N/A per zone of the SuC and per conduit: inferred, then declared decisions on top."""
    findings: list[Finding] = []
    ix = Index(plant)
    zones: dict[str, dict[str, NotApplicable]] = {}
    for zid, z in plant.zones.items():
        na = _inferred_zone(ix, zid, catalog)
        findings += _apply(z.applicability, na, "zone", zid, plant, catalog, ("zones", zid), ix)
        zones[zid] = na
    conduits: dict[str, dict[str, NotApplicable]] = {}
    for cid, c in plant.conduits.items():
        na = _inferred_conduit(ix, cid, catalog)
        findings += _apply(c.applicability, na, "conduit", cid, plant, catalog, ("conduits", cid), ix)
        conduits[cid] = na
    return Applicable(zones, conduits, findings)
