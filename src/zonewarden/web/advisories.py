"""Advisories in the web app: the CSAF folder is read and indexed once per server, then matched per version.

The same computation as `zonewarden advisories` (advisories.match, analysis.vulnerabilities); the server
reads the folder given by `--csaf` or $ZONEWARDEN_CSAF at the first request that needs it.
"""

from __future__ import annotations

import threading
from typing import Any

from .analyses import Analysed

_LOCK = threading.Lock()


def matcher(app) -> Any:
    """The server's matcher over the CSAF folder (built once, under a lock)."""
    with _LOCK:
        m = getattr(app.state, "matcher", None)
        if m is None:
            from ..advisories.csaf import read_folder
            from ..advisories.match import Matcher

            corpus = read_folder(app.state.settings.csaf, None)
            m = app.state.matcher = (Matcher(corpus.advisories), len(corpus.advisories), corpus.problems)
        return m


def plant_advisories(app, a: Analysed) -> dict[str, Any]:
    def compute() -> dict[str, Any]:
        from ..advisories.sbom import inventory
        from ..analysis.vulnerabilities import review

        match, size, problems = matcher(app)
        comps, errors = a.sboms()
        result = review(a.plant, match.match_all(inventory(a.plant, comps)),
                        {z.id: z.sl_target.as_list() for z in a.review.assessment.zones})
        return {"review": result, "corpus": size, "problems": len(problems), "errors": errors}

    return a.extra("advisories", compute)
