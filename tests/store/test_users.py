"""Accounts: argon2id hashes, checked fields, and logins that fail the same way for a wrong name or password."""

from __future__ import annotations

import datetime as dt

import pytest

from zonewarden.store.database import open_database
from zonewarden.store.users import UserError, add_user, authenticate, recent_failures, record_failure


def test_add_and_authenticate(db_url):
    db = open_database(db_url)
    with db.session() as s:
        u = add_user(s, "ann", "asset_owner", "a long passphrase")
        assert u.password_hash.startswith("$argon2id$")
        assert authenticate(s, "ann", "a long passphrase").id == u.id
        assert authenticate(s, "ann", "a long passphrasE") is None
        assert authenticate(s, "nobody", "a long passphrase") is None
        u.disabled = True
        assert authenticate(s, "ann", "a long passphrase") is None
    db.engine.dispose()


@pytest.mark.parametrize(("args", "message"), [
    (("x y", "admin", "a long passphrase"), "user name"),
    (("sam", "root", "a long passphrase"), "role 'root'"),
    (("sam", "admin", "short"), "at least 12"),
    (("sam", "supplier", "a long passphrase"), "needs --supplier"),
])
def test_bad_accounts_are_refused(db_url, args, message):
    db = open_database(db_url)
    with db.session() as s, pytest.raises(UserError, match=message):
        add_user(s, *args)
    db.engine.dispose()


def test_failures_are_counted_by_name_and_client(db_url):
    db = open_database(db_url)
    with db.session() as s:
        for _ in range(3):
            record_failure(s, "ann", "10.0.0.1")
        record_failure(s, "bob", "10.0.0.1")
        s.flush()
        assert recent_failures(s, "ann", "10.0.0.9", dt.timedelta(minutes=15)) == (3, 0)
        assert recent_failures(s, "zed", "10.0.0.1", dt.timedelta(minutes=15)) == (0, 4)
    db.engine.dispose()
