"""zonewarden: IEC 62443 zones, conduits and security levels as code.

The names below are the public API for scripts; `tests/test_public_api.py` locks them.
"""

__version__ = "0.1.0"

from .analysis.checks import CheckResult, check_plant, check_raw
from .analysis.findings import Finding
from .model.diagnostics import Location, PlantInvalid, PlantReadError, Problem
from .model.load import load_plant, read_raw
from .model.plant import Plant, json_schema
from .model.sl import FRS, SLVector
from .standard.catalog import Catalog, Requirement, load_catalog

__all__ = [
    "FRS",
    "Catalog",
    "CheckResult",
    "Finding",
    "Location",
    "Plant",
    "PlantInvalid",
    "PlantReadError",
    "Problem",
    "Requirement",
    "SLVector",
    "__version__",
    "check_plant",
    "check_raw",
    "json_schema",
    "load_catalog",
    "load_plant",
    "read_raw",
]
