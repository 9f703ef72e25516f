"""The jobs web/isolation.py runs in a limited child process: each reads one untrusted file and returns plain data.

The forkserver imports this module before any job, so its imports are the heavy ones a check needs and a
child starts with them loaded. What the user should read comes back as a value (a list of messages, a
string), never as an exception, so nothing depends on how an exception pickles.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..analysis.conformance import conformance
from ..render.procurement import Response, ResponseUnreadable, read_response
from ..render.traffic import traffic_json
from ..standard.catalog import load_catalog
from ..traffic.sources import read_traffic
from .analyses import PlantRejected, analyse, load_checked


def check_plant(folder: str, entry: str, version_hash: str) -> list[str]:
    """The errors that refuse the plant in `folder` (none when it loads, passes the checks and is assessed)."""
    try:
        analyse(Path(folder), entry, version_hash)
    except PlantRejected as e:
        return e.errors
    return []


def judge_capture(folder: str, entry: str, capture: str, name: str) -> dict[str, Any] | str:
    """The traffic verdicts of the capture against the stored version in `folder` (the body of a traffic run),
    or why the capture cannot be read, naming it as the user did."""
    plant, _ = load_checked(Path(folder), entry)
    read = read_traffic([Path(capture)])
    if read.errors and not read.frames:
        return f"{name}: " + "; ".join(str(e).replace(capture, name) for e in read.errors)
    return traffic_json(conformance(plant, read.table), plant.plant.name, [name])


def read_workbook(path: str, component_type: str, name: str) -> Response | str:
    """A supplier's filled response workbook, or why it cannot be read (naming it as the user did)."""
    try:
        return read_response(Path(path), load_catalog(), component_type)
    except ResponseUnreadable as e:
        return f"{name}: {str(e).replace(path, 'the workbook')}"
