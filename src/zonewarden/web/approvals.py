"""What an approval covers, as a fingerprint: when a later version changes it, the approval lapses.

A compensation is fingerprinted with the countermeasures it names (a weakened firewall changes what
was approved); an accepted finding by its tracking entry; a change record by the two versions it
compares. The approval row keeps the fingerprint and the version hash it was given on; `state` compares
it with the newest version. docs/web.md#approvals.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..model.plant import Plant
from ..model.tracking import Tracking

KINDS = ("compensation", "accepted-finding", "change-record")


def _hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def compensation_fingerprint(plant: Plant, subject: str) -> str | None:
    """`subject` is ASSET:REQUIREMENT; None when the plant no longer has that compensation."""
    asset, _, req = subject.partition(":")
    comp = next((c for c in plant.compensations if c.asset == asset and c.requirement == req), None)
    if comp is None:
        return None
    data = comp.model_dump(mode="json", exclude={"approved_by", "approved_on"})
    cms = {cid: plant.countermeasures[cid].model_dump(mode="json") if cid in plant.countermeasures else None
           for cid in comp.by}
    return _hash({"compensation": data, "countermeasures": cms})


def finding_fingerprint(tracking: Tracking | None, subject: str) -> str | None:
    """`subject` is a tracking entry id (a finding id or pattern) whose status is accepted."""
    if tracking is None:
        return None
    entry = next((e for e in tracking.entries if e.id == subject), None)
    if entry is None or entry.status != "accepted":
        return None
    return _hash(entry.model_dump(mode="json"))


def change_fingerprint(old_hash: str, new_hash: str) -> str:
    return _hash({"old": old_hash, "new": new_hash})


def fingerprint(kind: str, subject: str, plant: Plant, tracking: Tracking | None) -> str | None:
    if kind == "compensation":
        return compensation_fingerprint(plant, subject)
    if kind == "accepted-finding":
        return finding_fingerprint(tracking, subject)
    raise ValueError(f"kind {kind!r} is fingerprinted from two versions, not one")
