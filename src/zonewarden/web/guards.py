"""What only the asset owner may change, whatever the route: approvals (of a compensation, of an
applicability decision) and patch states.

The analysis counts a compensation, and a requirement declared not applicable, when the plant says the asset
owner approved it (`approved_by`, `approved_on`), and reads IEC TR 62443-2-3 patch states from `patches:`.
These are the asset owner's decisions, so a new version from anyone else (an upload or a form) may clear an
approval or drop a decision but not set or change an approved one, and may not touch patch entries. The
first upload of a plant is its baseline, whoever makes it; the audit row names who that was. docs/web.md#approvals.
"""

from __future__ import annotations

from typing import Any

from ..model.plant import Plant
from ..standard.catalog import normalize_id


def _approval(c) -> tuple:
    return (c.approved_by, c.approved_on)


def owner_only_changes(old: Plant, new: Plant) -> list[str]:
    """Each change from `old` to `new` that only an asset owner may make, in words."""
    out: list[str] = []
    before = {(c.asset, c.requirement): c for c in old.compensations}
    for c in new.compensations:
        was = before.get((c.asset, c.requirement))
        if (c.approved_by or c.approved_on) and (was is None or _approval(was) != _approval(c)):
            out.append(f"the approval of compensation {c.asset}:{c.requirement}")
    before_d = _decisions(old)
    for key, d in _decisions(new).items():
        if (d["approved_by"] or d["approved_on"]) and before_d.get(key) != d:
            out.append(f"the approved applicability decision on {key[2]} of {key[0]} {key[1]}")
    for aid, asset in new.assets.items():
        was = old.assets.get(aid)
        now = [p.model_dump(mode="json") for p in asset.patches]
        then = [p.model_dump(mode="json") for p in was.patches] if was is not None else []
        if now != then:
            out.append(f"the patch states of {aid}")
    for aid, was in old.assets.items():
        if aid not in new.assets and was.patches:
            out.append(f"the patch states of {aid} (asset removed)")
    return out


def _decisions(plant: Plant) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Every applicability decision by (zone|conduit, id, requirement): an approval covers all its fields."""
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for where, items in (("zone", plant.zones), ("conduit", plant.conduits)):
        for oid, x in items.items():
            for d in x.applicability:
                out[(where, oid, normalize_id(d.requirement))] = d.model_dump(mode="json")
    return out
