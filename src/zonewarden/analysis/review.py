"""Everything the documents show, computed once: the assessment, the attack paths and, when traffic is
given, its verdicts, each with the tracking file's statuses applied.

The report, the CRS and the web pages render this one object (design §2: one computation, every face).
The traffic part needs Arrow and DuckDB, so it is imported only when a flow table is given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..model.plant import Plant
from ..model.tracking import Tracking
from ..standard.catalog import Catalog, load_catalog
from .assess import Assessment, assess
from .paths import PathsResult, analyse
from .tracking import apply_tracking

if TYPE_CHECKING:
    from .conformance import Conformance
    from .crosswalk import Coverage


@dataclass
class Review:
    plant: Plant
    assessment: Assessment
    paths: PathsResult
    traffic: Conformance | None
    traffic_inputs: list[str]
    as_of: dt.date
    catalog: Catalog
    _coverage: dict[str, Coverage] = field(default_factory=dict, repr=False, compare=False)

    def coverage(self, framework: str) -> Coverage:
        """Crosswalk coverage towards one framework (analysis.crosswalk), computed once per review."""
        if framework not in self._coverage:
            from ..standard.crosswalk import load_crosswalk
            from .crosswalk import coverage

            self._coverage[framework] = coverage(self.assessment, load_crosswalk(), framework, self.catalog)
        return self._coverage[framework]


def review(plant: Plant, tracking: Tracking | None = None, *, tracking_file: str | None = None,
           flows: Any = None, traffic_inputs: list[str] | None = None, catalog: Catalog | None = None,
           as_of: dt.date | None = None) -> Review:
    """Assess the plant, analyse its attack paths (with the flows no rule allows, when traffic is given)
    and judge its traffic; `flows` is a flow table (traffic.table.FLOW_SCHEMA) or None."""
    catalog = catalog or load_catalog()
    day = as_of or dt.date.today()
    a = assess(plant, tracking, tracking_file=tracking_file, catalog=catalog, as_of=day)
    verdicts = None
    observed: list[tuple[str, str, str]] = []
    if flows is not None:
        from .conformance import conformance

        verdicts = conformance(plant, flows)
        applied = apply_tracking(tracking, [v.id for v in verdicts.verdicts], tracking_file, kind="traffic")
        for v in verdicts.verdicts:
            v.status, v.tracking = applied.status(v.id), applied.details(v.id)
            if v.kind in ("no_conduit", "not_allowed") and v.zones[0] and v.zones[1] and v.zones[0] != v.zones[1]:
                observed.append((v.zones[0], v.zones[1], f"observed:{v.src}>{v.dst}:{v.app}/{v.dport}"))
    found = analyse(plant, {z.id: z.sl_target.as_list() for z in a.zones}, observed, a.proofs)
    applied = apply_tracking(tracking, [f["id"] for f in found.findings()], tracking_file, kind="paths")
    found.statuses = {fid: applied.status(fid) for fid in applied.matched}
    return Review(plant, a, found, verdicts, list(traffic_inputs or []), day, catalog)
