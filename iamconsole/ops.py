"""What every operation shares: the wrapper, audit events, pagination, arguments.

An operation is a plain keyword-only function taking ``actor=``. ``@operation``
runs it in one transaction; if it fails (``AccessDenied`` included) the work is
rolled back and the failure is audited after the rollback, so denied attempts
show in the event history while nothing half-done survives.
"""

from __future__ import annotations

import base64
import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.errors import IamError
from accounts.principal import Principal

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

# Request parameters never written to the audit trail.
_SECRET_PARAMS = {
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
) -> None:
    """Write one audit event (who, what, on which resource, when, from where)."""
    from policies.models import AuditEvent

    params = {k: v for k, v in (request or {}).items() if k not in _SECRET_PARAMS}
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
    )


def operation(
    event_name: str, *, event_source: str = "iam.amazonaws.com"
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run an operation atomically and audit its failures after rolling back."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            actor = kwargs.get("actor")
            try:
                with transaction.atomic():
                    return fn(*args, **kwargs)
            except IamError as exc:
                if isinstance(actor, Principal):
                    try:
                        with transaction.atomic():
                            record_event(
                                actor,
                                event_name,
                                getattr(exc, "resource", ""),
                                allowed=exc.code != "AccessDenied",
                                error=exc,
                                event_source=event_source,
                            )
                    except Exception:  # auditing a failure must not mask it
                        log.exception("could not audit failed %s", event_name)
                raise

        wrapper.event_name = event_name  # type: ignore[attr-defined]
        return wrapper

    return decorate


def save_unique(obj: Any, error: IamError) -> None:
    """Insert ``obj``; a unique-constraint race becomes ``error`` (EntityAlreadyExists)."""
    try:
        with transaction.atomic():
            obj.save(force_insert=True)
    except IntegrityError as exc:
        raise error from exc


@dataclass(frozen=True)
class Page:
    """One page of a list operation, with AWS's Marker/IsTruncated."""

    items: Sequence[Any]
    is_truncated: bool
    marker: str | None


def encode_marker(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode()


def decode_marker(marker: str | None) -> str | None:
    if not marker:
        return None
    try:
        return base64.urlsafe_b64decode(marker.encode()).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        from accounts.errors import ValidationError

        raise ValidationError("Invalid Marker.") from exc


def paginate(
    queryset: Any, *, key: str, marker: str | None, max_items: int | None, default: int = 100
) -> Page:
    """Keyset pagination over ``queryset`` ordered by ``key`` (a unique text column).

    MaxItems is 1..1000 (IAM's documented range); the marker is opaque to clients.
    """
    from accounts.errors import ValidationError

    limit = default if max_items is None else max_items
    if not 1 <= limit <= 1000:
        raise ValidationError(
            f"1 validation error detected: Value '{limit}' at 'maxItems' failed to satisfy "
            "constraint: Member must have value between 1 and 1000"
        )
    qs = queryset.order_by(key)
    after = decode_marker(marker)
    if after is not None:
        qs = qs.filter(**{f"{key}__gt": after})
    rows = list(qs[: limit + 1])
    truncated = len(rows) > limit
    rows = rows[:limit]
    next_marker = encode_marker(str(getattr(rows[-1], key))) if truncated and rows else None
    return Page(items=rows, is_truncated=truncated, marker=next_marker)
