"""Shared test helpers: tiny plants written inline, and paths to the shared data beside the project."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EXAMPLE = ROOT / "examples" / "fill-finish"

HEADER = """\
zonewarden: 1
plant: {name: Test plant, owner: owner}
roles:
  owner: {kind: asset_owner, name: Plant owner}
  integ: {kind: integrator, name: Integrator}
  vend: {kind: product_supplier, name: Vendor}
"""


@pytest.fixture
def plant_file(tmp_path: Path):
    """Write a plant (dedented) to a file and return its path; `header=True` prepends HEADER."""

    def write(text: str, name: str = "plant.yaml", header: bool = True) -> Path:
        body = textwrap.dedent(text)
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text((HEADER if header else "") + body, encoding="utf-8")
        return path

    return write
