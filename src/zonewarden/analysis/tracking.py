"""Apply a tracking file to findings: each finding takes the status of the entry that matches it.

An exact id wins over a pattern; among patterns, the longest (most specific) wins; an id given twice
keeps its first entry (the second is reported). Entries that match no finding at all are stale:
the finding they were written for is gone, or the id has a typo.
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
    repeated: list[TrackEntry] = field(default_factory=list)  # same id as an earlier entry: ignored

    def status(self, finding_id: str) -> str:
        e = self.matched.get(finding_id)
        return e.status if e else "open"

    def details(self, finding_id: str) -> dict[str, Any]:
        e = self.matched.get(finding_id)
        if e is None:
            return {}
        return {k: (str(v) if k == "date" else v) for k, v in e.model_dump().items() if v is not None and k != "id"}


# The one tracking file holds the findings of several commands; an entry is matched, and reported stale,
# only among its own command's ids (an assessment entry is not stale because a capture lacks its gap).
FAMILIES = {"traffic": ("traffic:",), "paths": ("depth:", "single-point:", "compensation-path:")}


def family(finding_id: str) -> str:
    return next((name for name, prefixes in FAMILIES.items() if finding_id.startswith(prefixes)), "assess")


def apply_tracking(tracking: Tracking | None, finding_ids: list[str], file: str | None = None,
                   traffic: bool = False, kind: str | None = None) -> TrackingResult:
    """`kind` (or `traffic=True`): whose ids these are: `assess` (default), `traffic` or `paths`."""
    kind = kind or ("traffic" if traffic else "assess")
    result = TrackingResult(file)
    if tracking is None:
        return result
    tracking = Tracking.model_validate({"zonewarden-tracking": 1, "entries": [
        e for e in tracking.entries if family(e.id) == kind]})
    exact: dict[str, TrackEntry] = {}
    patterns: list[TrackEntry] = []
    seen: set[str] = set()
    for e in tracking.entries:
        if e.id in seen:
            result.repeated.append(e)
            continue
        seen.add(e.id)
        if any(ch in e.id for ch in "*?["):
            patterns.append(e)
        else:
            exact[e.id] = e
    patterns.sort(key=lambda e: -len(e.id))
    ids = set(finding_ids)
    for fid in finding_ids:
        entry = exact.get(fid) or next((e for e in patterns if fnmatchcase(fid, e.id)), None)
        if entry is not None:
            result.matched[fid] = entry
    result.stale = [e for e in exact.values() if e.id not in ids]
    result.stale += [e for e in patterns if not any(fnmatchcase(f, e.id) for f in finding_ids)]
    return result
