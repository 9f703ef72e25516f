"""zonewarden: IEC 62443 zones, conduits and security levels as code.

The names below are the public API for scripts; `tests/test_public_api.py` locks them.
"""

__version__ = "0.1.0"

from .analysis.assess import Assessment, assess
from .analysis.checks import CheckResult, check_plant, check_raw
from .analysis.diff import PlantDiff, diff
from .analysis.findings import Finding
from .analysis.impact import Impact, impact
from .analysis.lifecycle import Lifecycle, lifecycle
from .model.diagnostics import Location, PlantInvalid, PlantReadError, Problem
from .model.load import load_plant, read_raw
from .model.plant import Plant, json_schema
from .model.sl import FRS, SLVector
from .model.tracking import load_tracking
from .standard.catalog import Catalog, Requirement, load_catalog
from .traffic.flows import FlowTable, read_flows

__all__ = [
    "FRS",
    "Assessment",
    "Catalog",
    "CheckResult",
    "Finding",
    "FlowTable",
    "Impact",
    "Lifecycle",
    "Location",
    "Plant",
    "PlantDiff",
    "PlantInvalid",
    "PlantReadError",
    "Problem",
    "Requirement",
    "SLVector",
    "__version__",
    "assess",
    "check_plant",
    "check_raw",
    "diff",
    "impact",
    "json_schema",
    "lifecycle",
    "load_catalog",
    "load_plant",
    "load_tracking",
    "read_flows",
    "read_raw",
]
