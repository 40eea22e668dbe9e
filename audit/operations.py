"""The reader of the audit trail: CloudTrail's LookupEvents over this installation.

Like CloudTrail's event history (LookupEvents,
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html):
reading it needs ``cloudtrail:LookupEvents`` on ``*``; root always may in its own
account. Only the events recorded *in* the caller's account show (for a role
session, the role's account), never another account's. Allowed calls, denied
attempts and errors are all there.

Pages use a keyset cursor on (time, id), so a page costs the same few queries
however deep it is and new events never shift the pages being read.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Q, QuerySet

from accounts.errors import ValidationError
from accounts.principal import Principal
from audit.models import AuditEvent
from iamconsole.ops import operation
from policies.authorization import authorize

__all__ = [
    "CLOUDTRAIL",
    "PAGE_SIZE",
    "EventPage",
    "decode_cursor",
    "encode_cursor",
    "lookup_events",
]

PAGE_SIZE = 50
CLOUDTRAIL = "cloudtrail.amazonaws.com"


@dataclass(frozen=True)
class EventPage:
    events: list[AuditEvent]
    next_cursor: str | None


def encode_cursor(event: AuditEvent) -> str:
    raw = f"{event.time.isoformat()}|{event.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (time, id) a cursor points after; a mangled cursor is a ValidationError."""
    try:
        when, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        moment = datetime.fromisoformat(when)
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), int(pk)
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise ValidationError("Invalid NextToken.") from exc


@operation("LookupEvents", event_source=CLOUDTRAIL)
def lookup_events(
    *,
    actor: Principal,
    identity: str = "",
    action: str = "",
    resource: str = "",
    result: str = "",
    read_only: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
    cursor: str | None = None,
    max_items: int = PAGE_SIZE,
) -> EventPage:
    """LookupEvents over this installation's audit trail, for the caller's account only.

    Filters: identity (the actor ARN contains…), action (event name contains…),
    resource (ARN contains…), result (allowed / denied / error), read_only (CloudTrail's
    Read-only attribute: "true" successful reads only, "false" everything else, "" all)
    and a time range. Successful reads are recorded by ``@operation(read_only=True)``,
    except this one's own (the history's page views would drown it); refusals are
    recorded for every operation.
    """
    authorize(actor, "cloudtrail:LookupEvents", "*")
    qs: QuerySet[AuditEvent] = AuditEvent.objects.filter(account_id=actor.account_id)
    if identity:
        qs = qs.filter(actor_arn__icontains=identity)
    if action:
        qs = qs.filter(event_name__icontains=action)
    if resource:
        qs = qs.filter(resource_arn__icontains=resource)
    if result == "allowed":
        qs = qs.filter(allowed=True)
    elif result == "denied":
        qs = qs.filter(allowed=False, error_code="AccessDenied")
    elif result == "error":
        qs = qs.filter(allowed=False).exclude(error_code="AccessDenied")
    if read_only in ("true", "false"):
        qs = qs.filter(read_only=read_only == "true")
    if start is not None:
        qs = qs.filter(time__gte=start)
    if end is not None:
        qs = qs.filter(time__lte=end)
    if cursor:
        moment, pk = decode_cursor(cursor)
        qs = qs.filter(Q(time__lt=moment) | Q(time=moment, pk__lt=pk))
    rows = list(qs.order_by("-time", "-pk")[: max_items + 1])
    more = len(rows) > max_items
    rows = rows[:max_items]
    return EventPage(events=rows, next_cursor=encode_cursor(rows[-1]) if more and rows else None)
