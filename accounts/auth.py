"""Authentication backend: console sign-in for root (email) and IAM users.

The views do the checking (throttling, login profile, MFA); the backend only
maps a session back to its ConsoleUser and ends sessions that were invalidated.

Also the Query API's signing-key lookup (:func:`find_signing_key`): one query per
request for the key, its user and its account's authorization generation.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

from accounts.models import AccessKey, ConsoleUser, IamUser


class ConsoleBackend(BaseBackend):
    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> ConsoleUser | None:
        if not username or password is None:
            return None
        user = ConsoleUser.objects.filter(username=username).first()
        if user is None:
            # Hash anyway so unknown names take as long as wrong passwords.
            ConsoleUser().set_password(password)
            return None
        if not user.has_login_profile:
            # No console password: refuse, after the same hashing work as a wrong one.
            ConsoleUser().set_password(password)
            return None
        if not user.check_password(password):
            return None
        return user

    def get_user(self, user_id: Any) -> ConsoleUser | None:
        return ConsoleUser.objects.filter(pk=user_id).first()


# ---------------------------------------------------------------------------
# The API's signing-key lookup (api/views.py), once per request


_PARAM = "\x00access-key-id\x00"  # a placeholder no real key id equals
_KEY_FIELDS = [f.attname for f in AccessKey._meta.concrete_fields]
_USER_FIELDS = [f.attname for f in IamUser._meta.concrete_fields]


def _signing_key_query() -> QuerySet[Any]:
    """An active key, its user (if any) and its account's authorization generation."""
    user_fields = [f"user__{name}" for name in _USER_FIELDS]
    return (
        AccessKey.objects.filter(access_key_id=_PARAM, status="Active")
        .order_by()
        .values_list(*_KEY_FIELDS, *user_fields, "account__authz_generation")
    )


def _prepared(conn: Any) -> tuple[str, list[Any], int, Any, list[Any]]:
    """The lookup compiled once per connection: SQL, parameters, the placeholder's
    index and the columns' converters (Django's own, for the backend in use)."""
    prepared = conn.__dict__.get("_iamconsole_signing_key")
    if prepared is None:
        compiler = _signing_key_query().query.get_compiler(connection=conn)
        sql, params = compiler.as_sql()
        params = list(params)
        converters = compiler.get_converters([col for col, _, _ in compiler.select])
        prepared = (sql, params, params.index(_PARAM), compiler, converters)
        conn.__dict__["_iamconsole_signing_key"] = prepared
    return prepared


def find_signing_key(access_key_id: str) -> tuple[AccessKey, int] | None:
    """The active access key ``access_key_id`` (its user loaded) and the current
    ``authz_generation`` of its account, in one query whose SQL is compiled once per
    connection (an ORM ``.first()`` costs more to compile than to run). None when no
    active key has that id: a deleted or deactivated key is never found, whatever any
    process remembers, because this runs on every request."""
    conn = connections[DEFAULT_DB_ALIAS]
    sql, params, index, compiler, converters = _prepared(conn)
    params = list(params)
    params[index] = access_key_id
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    if converters:
        row = next(iter(compiler.apply_converters([row], converters)))
    n_key, n_user = len(_KEY_FIELDS), len(_USER_FIELDS)
    key = AccessKey.from_db(DEFAULT_DB_ALIAS, _KEY_FIELDS, row[:n_key])
    user_values = row[n_key : n_key + n_user]
    if key.user_id is not None:
        key.user = IamUser.from_db(DEFAULT_DB_ALIAS, _USER_FIELDS, user_values)
    else:
        key.user = None
    return key, int(row[-1] or 0)
