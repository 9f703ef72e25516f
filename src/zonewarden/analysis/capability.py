"""SL-C of each asset (design §4): the declared vector, else its certificate, else its `meets:` list.

From a `meets:` list, per FR the highest level whose every 4-2 requirement for the asset's
component type is met; requirements match by number, so `SR 2.4`, `CR 2.4` and `EDR 2.4` all
count for an embedded device's EDR 2.4. An asset that declares nothing is SL-C 0: unknown
capability is no capability. See docs/assessment.md#capability-sl-c.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..model.plant import Asset, Plant
from ..model.sl import FRS, SLVector
from ..standard.catalog import Catalog, normalize_id

COUNTED_LIFECYCLE = ("commissioning", "operating", "maintenance", "decommissioning")
_CERT_SL = re.compile(r"(?<![A-Za-z])SL\s*-?\s*([0-4])(?!\d)", re.IGNORECASE)
_NUMBER = re.compile(r"^(?:SR|CR|SAR|EDR|HDR|NDR) (\d+\.\d+(?: RE \d+)?)$")


@lru_cache(maxsize=8192)
def number_of(rid: str) -> str | None:
    """'EDR 2.4 RE 1' -> '2.4 RE 1': the FR.SR[RE] number that 3-3 and 4-2 ids share."""
    m = _NUMBER.match(normalize_id(rid))
    return m.group(1) if m else None


@dataclass(frozen=True)
class AssetCapability:
    asset: str
    sl: SLVector
    source: str  # declared | certificate | meets | none
    numbers: frozenset[str]  # requirement numbers the asset meets by itself or by a countermeasure placed on it
    counted: bool  # counts towards its zone's SL-A (lifecycle between commissioning and decommissioning)


@lru_cache(maxsize=4096)  # many assets share one datasheet: compute each distinct claim once
def _from_meets(numbers: frozenset[str], component_type: str, catalog: Catalog) -> SLVector:
    levels = []
    for fr in FRS:
        items = [r for r in catalog.select(part="4-2", fr=fr, component_type=component_type) if r.level is not None]
        level = 0
        for candidate in range(1, 5):
            if all(number_of(r.id) in numbers for r in items if r.level is not None and r.level <= candidate):
                level = candidate
            else:
                break
        levels.append(level)
    return SLVector(levels)


def asset_capability(aid: str, asset: Asset, catalog: Catalog, extra_meets: tuple[str, ...] = ()) -> AssetCapability:
    cap = asset.capability
    listed = [*(cap.meets if cap else ()), *extra_meets]
    numbers = frozenset(n for n in (number_of(r) for r in listed) if n)
    counted = asset.lifecycle in COUNTED_LIFECYCLE
    if cap is not None and cap.sl is not None:
        return AssetCapability(aid, cap.sl, "declared", numbers, counted)
    if cap is not None and cap.certificate and (m := _CERT_SL.search(cap.certificate)):
        return AssetCapability(aid, SLVector.uniform(int(m.group(1))), "certificate", numbers, counted)
    if cap is not None and cap.meets:
        return AssetCapability(aid, _from_meets(numbers, asset.type, catalog), "meets", numbers, counted)
    return AssetCapability(aid, SLVector.uniform(0), "none", numbers, counted)


def capabilities(plant: Plant, catalog: Catalog) -> dict[str, AssetCapability]:
    """SL-C of every asset; countermeasures placed at an asset add to what that asset meets."""
    on_asset: dict[str, list[str]] = {}
    for m in plant.countermeasures.values():
        if m.at.asset and m.status == "implemented":
            on_asset.setdefault(m.at.asset, []).extend(m.meets)
    return {aid: asset_capability(aid, a, catalog, tuple(on_asset.get(aid, ()))) for aid, a in plant.assets.items()}
