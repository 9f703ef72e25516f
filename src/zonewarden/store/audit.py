"""The audit trail: every change appended as a row chained to the one before by sha256.

Row n's hash covers its own fields and row n-1's hash, and sequence numbers have no gaps, so editing a
row breaks its hash, deleting one breaks the sequence or the chain, and re-hashing the rest after an
edit needs the whole tail rewritten. Only cutting the newest rows off the end leaves a valid chain:
`verify` prints the head hash so it can be written down elsewhere, and `--head` checks that it is still
in the chain. Two writers
racing for the same sequence number collide on the primary key; the loser retries. docs/web.md#audit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .tables import AuditRow, now

GENESIS = "0" * 64


def canonical(detail: Any) -> str:
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def row_hash(prev: str, seq: int, at: dt.datetime, actor: str, action: str, plant: str | None, subject: str | None,
             detail: str) -> str:
    body = canonical([seq, at.astimezone(dt.UTC).isoformat(timespec="microseconds"), actor, action, plant, subject,
                      detail])
    return hashlib.sha256((prev + body).encode()).hexdigest()


def append(session: Session, actor: str, action: str, *, plant: str | None = None, subject: str | None = None,
           detail: dict[str, Any] | None = None, attempts: int = 5) -> AuditRow:
    """Append one row in its own savepoint; a concurrent writer that took the same `seq` makes us retry."""
    text = canonical(detail or {})
    actor, action = actor[:64], action[:64]  # the columns' widths (PostgreSQL refuses longer text)
    plant = plant[:64] if plant else plant
    subject = subject[:255] if subject else subject
    for attempt in range(attempts):
        last = session.execute(select(AuditRow.seq, AuditRow.hash).order_by(AuditRow.seq.desc()).limit(1)).first()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        at = now()
        row = AuditRow(seq=seq, at=at, actor=actor, action=action, plant=plant, subject=subject, detail=text,
                       prev_hash=prev, hash=row_hash(prev, seq, at, actor, action, plant, subject, text))
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            if attempt == attempts - 1:
                raise
            continue
        return row
    raise AssertionError("unreachable")


@dataclass
class Verdict:
    ok: bool
    rows: int
    head: str
    first_bad: int | None = None
    reason: str | None = None


def verify(session: Session, head: str | None = None, batch: int = 5000) -> Verdict:
    """Walk the chain from the first row; the first row whose sequence, link or hash is wrong, and why."""
    prev, expected, count = GENESIS, 1, 0
    last_seq = 0
    head_seen = head is None or head == GENESIS
    while True:
        rows = session.scalars(select(AuditRow).where(AuditRow.seq > last_seq).order_by(AuditRow.seq)
                               .limit(batch)).all()
        if not rows:
            break
        for r in rows:
            if r.seq != expected:
                return Verdict(False, count, prev, expected,
                               f"row {expected} is missing (the next row is {r.seq}): removed")
            if r.prev_hash != prev:
                return Verdict(False, count, prev, r.seq, f"row {r.seq} does not link to row {r.seq - 1}'s hash: "
                               "a row before it was altered or removed")
            if row_hash(prev, r.seq, r.at, r.actor, r.action, r.plant, r.subject, r.detail) != r.hash:
                return Verdict(False, count, prev, r.seq, f"row {r.seq}'s content does not match its hash: altered")
            prev, expected, count = r.hash, r.seq + 1, count + 1
            last_seq = r.seq
            head_seen = head_seen or r.hash == head
    if not head_seen:
        return Verdict(False, count, prev, None, f"no row has the head hash {head} written down earlier: rows "
                       "were cut off the end, or the head is of another database")
    return Verdict(True, count, prev)
