"""The writer of the audit trail: one event per console or API call.

Every operation records its success with :func:`record_event`; ``@operation``
(``iamconsole/ops.py``) records failures and denials after rolling back.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import sql
from django.utils import timezone

from accounts.errors import IamError
from accounts.principal import Principal
from audit.models import AuditEvent

__all__ = ["SECRET_PARAMS", "insert_row", "record_event", "record_failure", "record_refusal"]

log = logging.getLogger(__name__)

# Request parameters never written to the audit trail.
SECRET_PARAMS = frozenset(
    {
        "Password",
        "NewPassword",
        "OldPassword",
        "SecretAccessKey",
        "AuthenticationCode1",
        "AuthenticationCode2",
        "TokenCode",
        "PolicyDocument",
        "AssumeRolePolicyDocument",
    }
)


# Every call writes an event: its INSERT is compiled once per connection (bench/api.py,
# issue 15; ``AuditEvent.objects.create`` cost as much again as the call's own query).
# Here rather than in iamconsole.ops (which re-exports it), since that module imports
# this one.


def _insert_compiled(conn: Any, model: Any, returning: bool) -> tuple[str, list[Any], bool]:
    key = f"_iamconsole_insert_{model._meta.label_lower}_{int(returning)}"
    prepared = conn.__dict__.get(key)
    if prepared is None:
        meta = model._meta
        fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
        if any(getattr(f, "get_placeholder", None) for f in fields):
            raise AssertionError(f"{meta.label}: a field with its own placeholder")
        query = sql.InsertQuery(model)
        query.insert_values(fields, [model()])
        compiler = query.get_compiler(connection=conn)
        compiler.returning_fields = meta.db_returning_fields if returning else None
        [(text, _)] = compiler.as_sql()
        returned = bool(returning and conn.features.can_return_columns_from_insert)
        # Text columns take a str as it is (CharField/TextField.get_db_prep_save returns
        # it unchanged); every other value goes through its field.
        plain = [type(f) in (models.CharField, models.TextField) for f in fields]
        prepared = (text, list(zip(fields, plain, strict=True)), returned)
        conn.__dict__[key] = prepared
    return prepared


def insert_row(obj: Any, *, returning: bool = True) -> None:
    """``obj.save(force_insert=True)`` for a plain model with an auto primary key and no
    save signals or overridden ``save()`` in play: one INSERT whose SQL is compiled once
    per connection; the values are prepared by each field as Django's insert prepares
    them (``pre_save``, ``get_db_prep_save``). ``returning``: set ``obj.pk`` from the
    row (RETURNING, or the backend's last insert id)."""
    conn = connections[DEFAULT_DB_ALIAS]
    model = type(obj)
    text, fields, returned = _insert_compiled(conn, model, returning)
    params = []
    for field, plain in fields:
        value = field.pre_save(obj, True)
        if not (plain and type(value) is str):
            value = field.get_db_prep_save(value, connection=conn)
        params.append(value)
    with conn.cursor() as cursor:
        cursor.execute(text, params)
        if returning:
            meta = model._meta
            if returned:
                value = cursor.fetchone()[0]
            else:
                value = conn.ops.last_insert_id(cursor, meta.db_table, meta.pk.column)
            obj.pk = value
    obj._state.adding = False
    obj._state.db = DEFAULT_DB_ALIAS


def record_event(
    actor: Principal,
    event_name: str,
    resource_arn: str = "",
    *,
    request: dict[str, Any] | None = None,
    allowed: bool = True,
    error: IamError | None = None,
    event_source: str = "iam.amazonaws.com",
    account_id: str | None = None,
    read_only: bool = False,
) -> None:
    """Write one audit event (who, what, on which resource, when, from where)."""
    params = {k: v for k, v in (request or {}).items() if k not in SECRET_PARAMS}
    event = AuditEvent(
        account_id=account_id or actor.account_id,
        time=timezone.now(),
        event_name=event_name,
        event_source=event_source,
        actor_arn=actor.arn,
        actor_account=actor.account_id,
        access_key_id=actor.access_key_id,
        resource_arn=resource_arn[:1200],
        allowed=allowed and error is None,
        error_code=error.code if error else "",
        error_message=error.message[:2000] if error else "",
        source_ip=actor.source_ip,
        user_agent=actor.user_agent,
        via=actor.via,
        request=params,
        read_only=read_only,
    )
    insert_row(event, returning=False)


def record_failure(
    actor: Principal, event_name: str, error: IamError, *, event_source: str = "iam.amazonaws.com"
) -> None:
    """The one rule for what a failed operation records, after its work was rolled back.

    A refusal (``AccessDenied``) is a denied event, any other error an allowed call
    that failed; the resource is the one the error names. Called outside the failed
    transaction; a failure to audit is logged and never masks the original error.
    The error is marked ``audited`` so the console's net (``record_refusal``) does not
    write it twice.
    """
    error.audited = True  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            record_event(
                actor,
                event_name,
                getattr(error, "resource", ""),
                allowed=error.code != "AccessDenied",
                error=error,
                event_source=event_source,
            )
    except Exception:  # auditing a failure must not mask it
        log.exception("could not audit failed %s", event_name)


def record_refusal(actor: Principal, error: IamError) -> None:
    """Audit a refusal that no operation recorded: a console page's own up-front check
    (``authorize`` called before any operation, as the create wizards' gate does).

    Recorded as the refused action's event (``iam:CreateUser`` -> ``CreateUser`` from
    ``iam.amazonaws.com``), exactly as ``@operation`` records a denied call, so every
    refusal, console or API, is in the event history. An error already recorded, or an
    AccessDenied that names no action, is left alone.
    """
    action = getattr(error, "action", "")
    if error.code != "AccessDenied" or getattr(error, "audited", False) or ":" not in action:
        return
    service, event_name = action.split(":", 1)
    record_failure(actor, event_name, error, event_source=f"{service.lower()}.amazonaws.com")
