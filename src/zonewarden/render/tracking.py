"""Write a tracking file seeded from an assessment: one entry per gap and finding, status open."""

from __future__ import annotations

import json

from ..analysis.assess import Assessment


def seed_tracking(a: Assessment) -> str:
    lines = [
        "# zonewarden tracking file: one entry per finding id (or a pattern with * wildcards).",
        "# status: open | in-progress | accepted | mitigated | false-positive; add justification, owner,",
        "# ticket and date (YYYY-MM-DD) as decisions are made. Entries that match no finding are reported",
        "# as stale by `zonewarden assess`.",
        "zonewarden-tracking: 1",
        "entries:",
    ]
    for g in a.gaps:
        lines.append(f"  - {{id: {json.dumps(g.id)}, status: open}}  # {g.severity}, {g.owner_role}: {g.title}")
    for f in a.findings:
        lines.append(f"  - {{id: {json.dumps(f.id)}, status: open}}  # {f.severity}, {f.rule}")
    return "\n".join(lines) + "\n"
