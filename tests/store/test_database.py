"""The schema comes from the Alembic migrations and matches the ORM tables on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from zonewarden.store.database import DatabaseError, migrate, open_database, resolve_url
from zonewarden.store.tables import Base


def test_migrations_build_exactly_the_orm_schema(db_url):
    db = open_database(db_url)
    with db.engine.connect() as c:
        diffs = compare_metadata(MigrationContext.configure(c), Base.metadata)
    assert diffs == []
    assert "audit" in db.tables() and "alembic_version" in db.tables()
    db.engine.dispose()


def test_downgrade_to_nothing_and_up_again(db_url):
    db = open_database(db_url)
    migrate(db.engine, "base", down=True)
    assert db.tables() == ["alembic_version"]
    migrate(db.engine)
    assert "versions" in db.tables()
    db.engine.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path):
    db = open_database(str(tmp_path / "z.db"))  # a bare path is an SQLite file
    with db.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    db.engine.dispose()


def test_url_order_and_errors(monkeypatch, tmp_path):
    monkeypatch.setenv("ZONEWARDEN_DATABASE_URL", "postgresql://u@h/d")
    assert resolve_url(None) == "postgresql+psycopg://u@h/d"
    assert resolve_url("sqlite:///x.db") == "sqlite:///x.db"
    with pytest.raises(DatabaseError, match="does not exist"):
        open_database(f"sqlite:///{tmp_path}/missing/z.db")
    with pytest.raises(DatabaseError, match="expected sqlite"):
        open_database("mysql://u@h/d")
    with pytest.raises(DatabaseError, match="postgresql"):
        open_database("postgresql://nobody:wrong@127.0.0.1:1/none")
