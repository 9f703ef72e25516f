"""The web app's tables (SQLAlchemy 2 ORM). The Alembic migrations in `store/migrations` create them.

A plant version is a set of files, each stored once by content hash (`blobs`): editing a status writes a
new version whose only new blob is tracking.yaml. Approvals name the version hash and a fingerprint of the
thing approved, so a later version that changes it shows the approval as no longer valid. The audit table
is append-only and hash-chained (store/audit.py). Evidence bytes live on disk by content hash
(store/evidence.py); the table holds their metadata only.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime, TypeDecorator

ROLES = ("admin", "asset_owner", "integrator", "supplier", "auditor")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out, on SQLite (which stores naive text) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def now() -> dt.datetime:
    """The current time in UTC, to the microsecond (what every timestamp column holds)."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    supplier: Mapped[str | None] = mapped_column(String(64), doc="For a supplier: the plant role id it speaks for.")
    password_hash: Mapped[str] = mapped_column(String(255))
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)
    disabled: Mapped[bool] = mapped_column(default=False)


class WebSession(Base):
    """A login. The cookie holds a random token; only its sha256 is stored, so the table cannot be replayed."""

    __tablename__ = "sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf: Mapped[str] = mapped_column(String(64))
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)
    seen: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)
    user: Mapped[User] = relationship(lazy="joined")


class LoginAttempt(Base):
    """Failed logins, by account name and client address, for rate limiting across workers."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now, index=True)


class Blob(Base):
    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class PlantRow(Base):
    __tablename__ = "plants"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)


class Version(Base):
    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("plant_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plant_id: Mapped[int] = mapped_column(ForeignKey("plants.id", ondelete="CASCADE"))
    number: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64), doc="sha256 over the sorted (path, file sha256) pairs.")
    entry: Mapped[str] = mapped_column(String(255), doc="The file the plant is loaded from, e.g. plant.yaml.")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(Text)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)
    author: Mapped[User] = relationship(lazy="joined")
    files: Mapped[list[VersionFile]] = relationship(lazy="selectin", order_by="VersionFile.path")


class VersionFile(Base):
    __tablename__ = "version_files"
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True)
    path: Mapped[str] = mapped_column(String(255), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    size: Mapped[int]


class Approval(Base):
    """The asset owner's sign-off of one subject (a compensation, an accepted finding, a change record)."""

    __tablename__ = "approvals"
    id: Mapped[int] = mapped_column(primary_key=True)
    plant_id: Mapped[int] = mapped_column(ForeignKey("plants.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(255))
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"))
    version_hash: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64), doc="sha256 of the approved subject's content.")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)
    comment: Mapped[str | None] = mapped_column(Text)
    user: Mapped[User] = relationship(lazy="joined")
    version: Mapped[Version] = relationship(lazy="joined")


class Evidence(Base):
    __tablename__ = "evidence"
    id: Mapped[int] = mapped_column(primary_key=True)
    plant_id: Mapped[int] = mapped_column(ForeignKey("plants.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(255), doc="A finding id (gap:...) or a requirement id.")
    sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255), doc="The uploaded name, shown only; never used as a path.")
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)
    user: Mapped[User] = relationship(lazy="joined")


class TrafficRun(Base):
    """An uploaded capture's verdicts against one version (the file itself is not kept)."""

    __tablename__ = "traffic_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    plant_id: Mapped[int] = mapped_column(ForeignKey("plants.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"))
    name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)
    result: Mapped[str] = mapped_column(Text, doc="traffic_json of the conformance, as text.")
    user: Mapped[User] = relationship(lazy="joined")


class AuditRow(Base):
    """One change. `hash` = sha256(prev_hash + canonical JSON of the row); `seq` has no gaps (store/audit.py)."""

    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_plant_seq", "plant", "seq"),)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    plant: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[str] = mapped_column(Text, doc="Canonical JSON.")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

