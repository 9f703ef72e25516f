"""The names scripts may import from `zonewarden`; changing them is a deliberate act."""

import zonewarden

EXPECTED = [
    "FRS", "Assessment", "Catalog", "CheckResult", "Finding", "FlowTable", "Impact", "Lifecycle", "Location",
    "Plant", "PlantDiff", "PlantInvalid", "PlantReadError", "Problem", "Requirement", "SLVector", "__version__",
    "assess", "check_plant", "check_raw", "diff", "impact", "json_schema", "lifecycle", "load_catalog",
    "load_plant", "load_tracking", "read_flows", "read_raw",
]


def test_public_api_is_locked():
    assert zonewarden.__all__ == EXPECTED
    for name in EXPECTED:
        assert hasattr(zonewarden, name), name
