"""The audit trail's chain: any altered, removed or cut-off row is found, and the first one is named."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from zonewarden.store import audit
from zonewarden.store.database import open_database
from zonewarden.store.tables import AuditRow


@pytest.fixture
def db(db_url):
    d = open_database(db_url)
    with d.session() as s:
        for i in range(1, 11):
            audit.append(s, "alice", "plant.upload", plant="demo", subject=f"v{i}", detail={"n": i, "message": "é"})
    yield d
    d.engine.dispose()


def verify(db, head=None):
    with db.session() as s:
        return audit.verify(s, head)


def test_an_untouched_chain_verifies_and_gives_its_head(db):
    v = verify(db)
    assert v.ok and v.rows == 10 and v.first_bad is None
    with db.session() as s:
        assert v.head == s.scalar(select(AuditRow.hash).where(AuditRow.seq == 10))
        assert s.scalar(select(AuditRow.prev_hash).where(AuditRow.seq == 1)) == audit.GENESIS


def test_altered_detail_is_found_at_its_row(db):
    with db.session() as s:
        s.execute(update(AuditRow).where(AuditRow.seq == 4).values(detail='{"message":"é","n":40}'))
    v = verify(db)
    assert not v.ok and v.first_bad == 4 and "altered" in v.reason and v.rows == 3


def test_altered_actor_with_its_hash_recomputed_breaks_the_next_link(db):
    with db.session() as s:
        r = s.get(AuditRow, 6)
        r.actor = "mallory"
        r.hash = audit.row_hash(r.prev_hash, r.seq, r.at, r.actor, r.action, r.plant, r.subject, r.detail)
    v = verify(db)
    assert not v.ok and v.first_bad == 7 and "does not link" in v.reason


def test_removed_row_is_found(db):
    with db.session() as s:
        s.execute(delete(AuditRow).where(AuditRow.seq == 5))
    v = verify(db)
    assert not v.ok and v.first_bad == 5 and "missing" in v.reason


def test_removed_first_row_is_found(db):
    with db.session() as s:
        s.execute(delete(AuditRow).where(AuditRow.seq == 1))
    assert verify(db).first_bad == 1


def test_rows_cut_off_the_end_are_found_with_the_head_written_down(db):
    head = verify(db).head
    with db.session() as s:
        s.execute(delete(AuditRow).where(AuditRow.seq > 8))
    assert verify(db).ok  # the chain alone cannot tell ...
    v = verify(db, head)  # ... the head written down earlier can
    assert not v.ok and "cut off" in v.reason


def test_a_head_written_down_stays_valid_as_rows_are_added(db):
    head = verify(db).head
    with db.session() as s:
        audit.append(s, "bob", "gap.status", plant="demo", subject="gap:z:SR 1.1")
    v = verify(db, head)
    assert v.ok and v.rows == 11


def test_appends_from_two_sessions_keep_one_chain(db):
    with db.session() as a, db.session() as b:
        audit.append(a, "a", "x")
    with db.session() as b:
        audit.append(b, "b", "y")
    v = verify(db)
    assert v.ok and v.rows == 12
