"""Procurement sets: what a new component for a zone must be able to do, and what to ask of its supplier.

A component bought for a zone needs a capability SL that reaches the zone's SL-T on every FR, so the set
is every 62443-4-2 item for its component type (CRs, REs and the EDR/HDR/NDR/SAR variants) required at
or below SL-T for its FR. The supplier's development process is asked at a 4-1 maturity level chosen by
a documented rule (docs/report.md#procurement). Items the zone already meets through its own
countermeasures stay in the set (the standard asks the capability of the component) but are marked,
so a buyer can weigh them. The pack names the planned assets it is for: those of its zone and component
type whose lifecycle is `planned` (they count for no SL-A until commissioned; docs/lifecycle.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model.sl import SLVector
from ..standard.catalog import Catalog, system_counterparts
from .assess import Assessment

HIGH_SL_MATURITY = 3  # ML asked when the zone's SL-T reaches 3 on some FR (defined and practiced)
BASE_MATURITY = 2  # otherwise (managed: written, repeatable, by trained people)
RESPONSES = ("meets", "partly", "no")


@dataclass
class ProcurementItem:
    id: str
    title: str
    fr: str
    level: int
    kind: str  # CR | RE | EDR | HDR | NDR | SAR
    parent: str | None
    guidance: str
    covered_by: list[str] = field(default_factory=list)  # zone countermeasures meeting the 3-3 counterpart

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "fr": self.fr, "level": self.level, "kind": self.kind,
                "parent": self.parent, "guidance": self.guidance, "covered_by_zone": self.covered_by}


@dataclass
class ProcurementPack:
    plant: str
    zone: str
    zone_name: str
    component_type: str
    sl_target: SLVector
    items: list[ProcurementItem]
    maturity: int
    practices: list[dict[str, Any]]
    certificates: list[str]
    for_assets: list[str] = field(default_factory=list)  # planned assets of the zone and type

    def as_dict(self) -> dict[str, Any]:
        return {"plant": self.plant, "zone": self.zone, "zone_name": self.zone_name,
                "component_type": self.component_type, "for_assets": self.for_assets,
                "sl_target": self.sl_target.as_list(),
                "requirements": [i.as_dict() for i in self.items], "maturity": self.maturity,
                "practices": self.practices, "certificates": self.certificates}


def maturity_for(target: SLVector) -> int:
    return HIGH_SL_MATURITY if max(target) >= 3 else BASE_MATURITY


def procurement(assessment: Assessment, catalog: Catalog, zone: str, component_type: str,
                maturity: int | None = None) -> ProcurementPack:
    """The procurement set for a component of `component_type` joining `zone` (a zone of the assessment)."""
    z = next(x for x in assessment.zones if x.id == zone)
    target = z.sl_target
    items = []
    for r in catalog.select(part="4-2", component_type=component_type):
        if r.level is None or r.fr is None or r.level > target[r.fr]:
            continue
        covered = sorted({m for sr in system_counterparts(r.id, catalog) if (st := z.states.get(sr)) is not None
                          for m in st.countermeasures})
        items.append(ProcurementItem(r.id, r.title, r.fr, r.level, r.kind, r.parent, r.guidance, covered))
    ml = maturity or maturity_for(target)
    practices = [{"id": p.id, "title": p.title, "practice": p.group, "maturity": ml, "guidance": p.guidance}
                 for p in catalog.select(part="4-1")]
    sl_c = max(target)
    certificates = [
        f"ISASecure CSA certificate for this {component_type.replace('_', ' ')} at capability SL {sl_c} or higher "
        "(covers 62443-4-2 and the supplier's 62443-4-1 process)",
        f"IECEE CB scheme certificate against IEC 62443-4-2 for the product, capability SL-C {target}",
        f"ISASecure SDLA certificate, or an IECEE CB certificate against IEC 62443-4-1 at ML {ml} or higher, for "
        "the supplier's development lifecycle",
        "Test report of an accredited laboratory (ISO/IEC 17025) naming the product, its firmware version and each "
        "requirement tested",
    ]
    plant = assessment.source
    planned = [aid for aid, a in (plant.assets.items() if plant else ())
               if a.zone == zone and a.type == component_type and a.lifecycle == "planned"]
    return ProcurementPack(assessment.plant, z.id, z.name, component_type, target, items, ml, practices,
                           certificates, planned)
