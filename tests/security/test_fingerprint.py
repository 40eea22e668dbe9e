"""The DB fingerprint the security tests compare (tests/security/test_console_auth.py):
on SQLite it reuses a table's digest until something touches the table; each case here
checks the reused answer against one computed from scratch."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from accounts.models import IamUser
from accounts.operations.users import create_user
from tests.security import test_console_auth as auth

pytestmark = pytest.mark.django_db


def fresh() -> str:
    auth._SQLITE_DIGESTS.clear()
    return auth._db_fingerprint()


def test_a_write_changes_it_and_its_rollback_restores_it(root):
    create_user(actor=root, name="alice")
    before = auth._db_fingerprint()
    assert auth._db_fingerprint() == before == fresh()
    sid = transaction.savepoint()
    IamUser.objects.filter(name="alice").update(path="/moved/")
    moved = auth._db_fingerprint()
    assert moved != before and moved == fresh()
    transaction.savepoint_rollback(sid)
    assert auth._db_fingerprint() == before == fresh()


def test_two_rolled_back_writes_of_one_table_are_told_apart(root):
    create_user(actor=root, name="alice")
    before = auth._db_fingerprint()
    seen = []
    for path in ("/one/", "/two/"):
        sid = transaction.savepoint()
        with connection.cursor() as cursor:  # raw SQL fires the triggers too
            cursor.execute("UPDATE accounts_iamuser SET path = %s", [path])
        seen.append(auth._db_fingerprint())
        assert seen[-1] == fresh()
        transaction.savepoint_rollback(sid)
    assert len({before, *seen}) == 3
    assert auth._db_fingerprint() == before


def test_inserts_and_deletes_are_seen(root):
    before = auth._db_fingerprint()
    create_user(actor=root, name="bob")
    added = auth._db_fingerprint()
    assert added != before and added == fresh()
    IamUser.objects.filter(name="bob").delete()
    assert auth._db_fingerprint() == fresh() != added
