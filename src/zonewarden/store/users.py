"""Accounts: argon2id password hashes, roles, and the failed-login counts that rate limiting reads.

The supplier role is scoped: `supplier` names the plant role id (e.g. `siemens`) whose components the
account may declare. docs/web.md#roles.
"""

from __future__ import annotations

import datetime as dt
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .tables import ROLES, LoginAttempt, User, now

HASHER = PasswordHasher()  # argon2id with the library's current parameters (RFC 9106 low-memory profile)
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MIN_PASSWORD = 12
# A hash to verify against when the account does not exist, so a wrong name costs as long as a wrong password.
_DUMMY = HASHER.hash("zonewarden-no-such-account")


class UserError(ValueError):
    """An account cannot be made as asked; the message says which field and what is expected."""


def check_new(name: str, role: str, password: str, supplier: str | None) -> None:
    if not NAME.fullmatch(name):
        raise UserError(f"user name {name!r}: expected 1-64 letters, digits, '.', '_', '@' or '-', "
                        "starting with a letter or digit")
    if role not in ROLES:
        raise UserError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    if role == "supplier" and not supplier:
        raise UserError("a supplier account needs --supplier ROLE-ID: the plant role id whose components it declares")
    if role != "supplier" and supplier:
        raise UserError(f"--supplier is for supplier accounts only, not {role}")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password: at least {MIN_PASSWORD} characters")


def add_user(session: Session, name: str, role: str, password: str, supplier: str | None = None) -> User:
    check_new(name, role, password, supplier)
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise UserError(f"user {name!r} already exists")
    user = User(name=name, role=role, supplier=supplier, password_hash=HASHER.hash(password))
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The account when name and password match and it is enabled; None otherwise, in about the same time."""
    user = session.scalar(select(User).where(User.name == name))
    try:
        HASHER.verify(user.password_hash if user else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    return user


def recent_failures(session: Session, name: str, client: str, window: dt.timedelta) -> tuple[int, int]:
    """Failed logins within `window`: (for this account name, from this client address)."""
    since = now() - window
    by_name = session.scalar(select(func.count()).where(LoginAttempt.name == name, LoginAttempt.at >= since))
    by_client = session.scalar(select(func.count()).where(LoginAttempt.client == client, LoginAttempt.at >= since))
    return int(by_name or 0), int(by_client or 0)


def record_failure(session: Session, name: str, client: str) -> None:
    session.add(LoginAttempt(name=name[:64], client=client[:64]))


def clear_failures(session: Session, name: str) -> None:
    """Forget an account's failures after a good login."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.name == name))


def sweep_failures(session: Session, older_than: dt.timedelta) -> None:
    """Forget everyone's failures older than the rate-limiting window (the table stays small under attack)."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now() - older_than))
