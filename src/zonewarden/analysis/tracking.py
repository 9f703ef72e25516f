"""Apply a tracking file to findings: each finding takes the status of the entry that matches it.

An exact id wins over a pattern; among patterns, the longest (most specific) wins. Entries that
match nothing are stale: the finding they were written for is gone, or the id has a typo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from ..model.tracking import TrackEntry, Tracking


@dataclass
class TrackingResult:
    file: str | None = None
    matched: dict[str, TrackEntry] = field(default_factory=dict)  # finding id -> entry
    stale: list[TrackEntry] = field(default_factory=list)

    def status(self, finding_id: str) -> str:
        e = self.matched.get(finding_id)
        return e.status if e else "open"

    def details(self, finding_id: str) -> dict[str, Any]:
        e = self.matched.get(finding_id)
        if e is None:
            return {}
        return {k: (str(v) if k == "date" else v) for k, v in e.model_dump().items() if v is not None and k != "id"}


def apply_tracking(tracking: Tracking | None, finding_ids: list[str], file: str | None = None) -> TrackingResult:
    result = TrackingResult(file)
    if tracking is None:
        return result
    exact = {e.id: e for e in tracking.entries if "*" not in e.id and "?" not in e.id}
    patterns = sorted((e for e in tracking.entries if e.id not in exact), key=lambda e: -len(e.id))
    used: set[int] = set()
    for fid in finding_ids:
        entry = exact.get(fid) or next((e for e in patterns if fnmatchcase(fid, e.id)), None)
        if entry is not None:
            result.matched[fid] = entry
            used.add(id(entry))
    result.stale = [e for e in tracking.entries if id(e) not in used]
    return result
