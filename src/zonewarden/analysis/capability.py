"""SL-C of each asset (design §4): the declared vector, else its certificate, else its `meets:` list.

From a `meets:` list, per FR the highest level whose every 4-2 requirement for the asset's
component type is met. Ids match through their counterparts (catalog.COMPONENT_TO_SYSTEM), so
`SR 2.4`, `CR 2.4` and `EDR 2.4` all count for an embedded device's EDR 2.4. An asset that
declares nothing is SL-C 0: unknown capability is no capability. A countermeasure placed at an
asset adds its `meets` to the asset's. See docs/assessment.md#capability-sl-c.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..model.plant import Asset, Plant
from ..model.sl import FRS, SLVector
from ..standard.catalog import Catalog, component_numbers, split_id, system_numbers

COUNTED_LIFECYCLE = ("commissioning", "operating", "maintenance", "decommissioning")
CERT_SL = re.compile(r"(?<![A-Za-z])SL\s*-?\s*([0-4])(?!\d)", re.IGNORECASE)


@dataclass(frozen=True)
class AssetCapability:
    asset: str
    type: str
    sl: SLVector
    source: str  # declared | certificate | meets | none
    claims_42: frozenset[str]  # 4-2 numbers the asset meets by itself or by a countermeasure placed on it
    claims_33: frozenset[str]  # the 3-3 numbers those claims stand for
    counted: bool  # counts towards its zone's SL-A (lifecycle between commissioning and decommissioning)


@lru_cache(maxsize=4096)  # many assets share one datasheet: compute each distinct claim once
def _from_meets(numbers: frozenset[str], component_type: str, catalog: Catalog) -> SLVector:
    levels = []
    for fr in FRS:
        items = [r for r in catalog.select(part="4-2", fr=fr, component_type=component_type) if r.level is not None]
        level = 0
        for candidate in range(1, 5):
            if all((p := split_id(r.id)) and p[1] in numbers for r in items if r.level <= candidate):
                level = candidate
            else:
                break
        levels.append(level)
    return SLVector(levels)


def asset_capability(aid: str, asset: Asset, catalog: Catalog, extra_meets: tuple[str, ...] = ()) -> AssetCapability:
    cap = asset.capability
    listed = [*(cap.meets if cap else ()), *extra_meets]
    claims_42 = frozenset(n for r in listed for n in component_numbers(r, catalog))
    claims_33 = frozenset(n for r in listed for n in system_numbers(r, catalog))
    counted = asset.lifecycle in COUNTED_LIFECYCLE

    def made(sl: SLVector, source: str) -> AssetCapability:
        return AssetCapability(aid, asset.type, sl, source, claims_42, claims_33, counted)

    if cap is not None and cap.sl is not None:
        return made(cap.sl, "declared")
    if cap is not None and cap.certificate and (m := CERT_SL.search(cap.certificate)):
        return made(SLVector.uniform(int(m.group(1))), "certificate")
    if listed:
        return made(_from_meets(claims_42, asset.type, catalog), "meets")
    return made(SLVector.uniform(0), "none")


def capabilities(plant: Plant, catalog: Catalog) -> dict[str, AssetCapability]:
    """SL-C of every asset; countermeasures placed at an asset add to what that asset meets."""
    on_asset: dict[str, list[str]] = {}
    for m in plant.countermeasures.values():
        if m.at.asset and m.status == "implemented":
            on_asset.setdefault(m.at.asset, []).extend(m.meets)
    return {aid: asset_capability(aid, a, catalog, tuple(on_asset.get(aid, ()))) for aid, a in plant.assets.items()}
