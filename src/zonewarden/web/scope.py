"""What a supplier sees: the plants that hold one of its components, and in them only its own components.

A supplier account speaks for one plant role (`zonewarden user add --supplier vitrea`); its components are
the assets whose `supplier:` is that role id in the plant's newest version. Every route of a plant that
holds none answers 404, word for word as for a plant that does not exist (`require` calls `check_plant`),
and the plant lists leave it out. Within a plant, pages, API answers, the diagram and the procurement packs
show only its own assets (counts included), and no version message, since a message may name any asset.
An asset of someone else answers 404 like one that does not exist. docs/web.md#roles.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import HTTPException, Request

from ..model.plant import Asset, Plant
from .auth import Viewer


def is_supplier(v: Viewer | None) -> bool:
    return v is not None and v.role == "supplier"


def visible_asset(v: Viewer, asset: Asset) -> bool:
    return not is_supplier(v) or asset.supplier == v.supplier


def of_supplier(v: Viewer) -> str:
    """Words for a 404 about an asset: whose components were searched."""
    return f" among the components of supplier {v.supplier!r}" if is_supplier(v) else ""


def suppliers(request: Request, slug: str) -> frozenset[str]:
    """The supplier role ids with a component in the plant's newest version (remembered by version hash, so a
    list of many plants does not analyse each again once the analysis has left the cache)."""
    from .app import analysed, plant_or_404, version_or_404

    with request.app.state.db.session() as s:
        version = version_or_404(s, plant_or_404(s, slug))
        version_hash, number = version.hash, version.number
    known: dict[str, frozenset[str]] = request.app.state.suppliers
    held = known.get(version_hash)
    if held is None:
        a = analysed(request, slug, number)[2]
        held = known[version_hash] = frozenset(x.supplier for x in a.plant.assets.values() if x.supplier)
    return held


def check_plant(request: Request, slug: str, v: Viewer) -> None:
    """404 for a supplier whose components are not in the plant (the same answer as for no such plant)."""
    if is_supplier(v) and v.supplier not in suppliers(request, slug):
        raise HTTPException(404, f"no plant {slug!r}")


def own_assets(v: Viewer, plant: Plant) -> dict[str, Asset]:
    return {aid: x for aid, x in plant.assets.items() if visible_asset(v, x)}


def zone_counts(v: Viewer, plant: Plant) -> dict[str, int]:
    """Assets per zone that the viewer may see."""
    counts = dict.fromkeys(plant.zones, 0)
    for x in own_assets(v, plant).values():
        counts[x.zone] = counts.get(x.zone, 0) + 1
    return counts


def version_message(v: Viewer, message: str | None) -> str | None:
    return None if is_supplier(v) else message


def diagram_input(v: Viewer, plant: Plant, assessment: Any) -> tuple[Plant, Any]:
    """The plant and assessment the viewer's diagram is drawn from: for a supplier, only its own assets,
    countermeasures by id without their names (free text that may name anyone's asset, "HTTPS to the AGV
    fleet manager"), and zones and conduits without their gaps (a supplier sees no findings)."""
    if not is_supplier(v):
        return plant, assessment
    without_gaps = dataclasses.replace(
        assessment, zones=[dataclasses.replace(z, gaps=None) for z in assessment.zones],
        conduits=[dataclasses.replace(c, gaps=None) for c in assessment.conduits])
    unnamed = {k: cm.model_copy(update={"name": None}) for k, cm in plant.countermeasures.items()}
    return plant.model_copy(update={"assets": own_assets(v, plant), "countermeasures": unnamed}), without_gaps
