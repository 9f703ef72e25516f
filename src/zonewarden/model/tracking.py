"""The tracking file: decisions about findings that survive re-runs (design §2, stable ids).

`tracking.yaml` beside the plant (or `--tracking FILE`) lists, per finding id or wildcard
pattern (`gap:cell-1:*`), a status with justification, owner, ticket and date. Read with the same
located loader as plants, so a typo names its line. docs/assessment.md#tracking.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from .diagnostics import PlantInvalid, PlantReadError, Problem
from .files import read_regular
from .load import TRACKING_FILENAME, _problem_from_error, display_path
from .plant import Strict
from .source import SourceMap, build, compose

STATUSES = ("open", "in-progress", "accepted", "mitigated", "false-positive")
CLOSED = ("accepted", "mitigated", "false-positive")  # statuses that take a finding off the open list
FILENAME = TRACKING_FILENAME


class TrackEntry(Strict):
    id: str = Field(min_length=1, description="A finding id, or a pattern with * wildcards.")
    status: Literal[STATUSES] = "open"  # type: ignore[valid-type]
    justification: str | None = None
    owner: str | None = None
    ticket: str | None = None
    date: dt.date | None = None


class Tracking(Strict):
    version: Literal[1] = Field(alias="zonewarden-tracking", description="Format version of the tracking file.")
    entries: list[TrackEntry] = Field(default_factory=list)

    model_config = Strict.model_config | {"populate_by_name": True}


def default_path(plant: str | os.PathLike[str]) -> Path:
    """tracking.yaml inside a plant folder, or beside a plant file."""
    p = Path(plant)
    return (p if p.is_dir() else p.parent) / FILENAME


def load_tracking(path: str | os.PathLike[str]) -> tuple[Tracking, SourceMap]:
    """Read and validate a tracking file; PlantReadError or PlantInvalid (with positions) otherwise."""
    p = Path(path)
    display = display_path(p)
    text = read_regular(p, display, what="tracking file")
    sources = SourceMap(files=[display], texts={display: text})
    node = compose(text, display)
    if node is None:
        return Tracking.model_validate({"zonewarden-tracking": 1}), sources
    problems: list[Problem] = []
    data = build(node, display, problems)
    sources.root = data
    if not isinstance(data, dict):
        raise PlantReadError("a tracking file is a mapping with `zonewarden-tracking: 1` and `entries:`",
                             sources.locate([]))
    try:
        tracking = Tracking.model_validate(data)
    except ValidationError as e:
        problems += [_problem_from_error(err, sources) for err in e.errors(include_url=False)]
    if problems:
        raise PlantInvalid(problems)
    return tracking, sources
