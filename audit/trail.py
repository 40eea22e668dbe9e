"""The writer of the audit trail: one event per console or API call.

Every operation records its success with :func:`record_event`; ``@operation``
(``iamconsole/ops.py``) records failures and denials after rolling back.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.errors import IamError
from accounts.principal import Principal
from audit.models import AuditEvent

__all__ = ["SECRET_PARAMS", "record_event", "record_failure", "record_refusal"]

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
    AuditEvent.objects.create(
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
