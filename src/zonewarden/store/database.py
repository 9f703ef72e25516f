"""Which database, opened how: an SQLite file by default (WAL, foreign keys on), PostgreSQL by URL.

`--db URL` wins over `ZONEWARDEN_DATABASE_URL`, which wins over `sqlite:///zonewarden.db` in the working
folder. `open_database` brings the schema to the newest Alembic revision before anything else touches it,
so a fresh file and an old one both come up ready. docs/web.md#storage.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

ENV = "ZONEWARDEN_DATABASE_URL"
DEFAULT = "sqlite:///zonewarden.db"


class DatabaseError(Exception):
    """The database cannot be opened or migrated; the message says which URL and why."""


def resolve_url(url: str | None) -> str:
    """`--db`, else $ZONEWARDEN_DATABASE_URL, else zonewarden.db here; a bare path means an SQLite file."""
    url = url or os.environ.get(ENV) or DEFAULT
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser()}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]  # psycopg 3, the maintained driver
    return url


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers do not wait for the writer
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: a power cut loses at most the last commits
    cur.close()


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise DatabaseError(f"database URL {url!r}: {e}") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).expanduser().resolve().parent
            if not folder.is_dir():
                raise DatabaseError(f"database {parsed.database}: the folder {folder} does not exist")
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise DatabaseError(f"database URL {parsed.render_as_string(hide_password=True)}: expected sqlite:///FILE "
                            "or postgresql://USER@HOST/NAME")
    try:
        return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    except ModuleNotFoundError:
        raise DatabaseError("PostgreSQL needs its driver: pip install 'zonewarden[postgresql]' (psycopg 3)") from None


def migrate(engine: Engine, revision: str = "head", *, down: bool = False) -> None:
    """Bring the schema up (or `down`) to `revision` with the packaged Alembic scripts (no alembic.ini)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("zonewarden.store") / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


@dataclass
class Database:
    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends normally, rolled back when it raises."""
        with self.sessions.begin() as s:
            yield s

    @property
    def display(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    def tables(self) -> list[str]:
        return sorted(inspect(self.engine).get_table_names())


def open_database(url: str | None = None, *, upgrade: bool = True) -> Database:
    """Open (and by default migrate) the database `url` names; DatabaseError with the reason otherwise."""
    resolved = resolve_url(url)
    engine = make_engine(resolved)
    shown = make_url(resolved).render_as_string(hide_password=True)
    try:
        if upgrade:
            migrate(engine)
        else:
            with engine.connect():
                pass
    except OperationalError as e:
        engine.dispose()
        reason = str(e.orig).strip().splitlines()[0] if e.orig else str(e)
        raise DatabaseError(f"database {shown}: {reason}") from None
    return Database(resolved, engine, sessionmaker(engine, expire_on_commit=False))
