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


# --- databases: every storage and web test runs against SQLite and, where one is given, PostgreSQL ----------
PG_ENV = "ZONEWARDEN_TEST_POSTGRES"  # e.g. postgresql://zonewarden:zonewarden@localhost/zonewarden_test
REQUIRE_PG = "ZONEWARDEN_REQUIRE_POSTGRES"  # set by .ci/run: a missing server fails instead of skipping


def _fresh_pg_database(base: str) -> tuple[str, object]:
    """Create an empty database beside `base` (one per test): (its URL, a function that drops it)."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"zw_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path: Path):
    """The URL of an empty database: an SQLite file, or a new PostgreSQL database when $ZONEWARDEN_TEST_POSTGRES
    names a server (skipped otherwise, failed when $ZONEWARDEN_REQUIRE_POSTGRES is set, as in CI)."""
    import os

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'zonewarden.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        if os.environ.get(REQUIRE_PG):
            pytest.fail(f"${REQUIRE_PG} is set but ${PG_ENV} names no PostgreSQL server")
        pytest.skip(f"no PostgreSQL: set ${PG_ENV}=postgresql://USER:PASSWORD@HOST/DB (.ci/run does)")
    url, drop = _fresh_pg_database(base)
    try:
        yield url
    finally:
        drop()
