"""Event history: the audit trail of the caller's account, newest first.

Like CloudTrail's event history (LookupEvents,
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html):
reading it needs ``cloudtrail:LookupEvents`` on ``*``; root always may in its own
account. Only the events recorded *in* the caller's account show (for a role
session, the role's account), never another account's. Allowed calls, denied
attempts and errors are all there.

Filters: identity (the actor ARN contains…), action (event name contains…),
resource (ARN contains…), result (allowed / denied / error) and a time range
(UTC). Pages use a keyset cursor on (time, id), so a page costs the same few
queries however deep it is and new events never shift the pages being read.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from accounts.errors import IamError, ValidationError
from accounts.principal import Principal
from iamconsole.console import console_login_required, principal_of, render_console_error
from iamconsole.ops import operation
from policies.authorization import authorize
from policies.models import AuditEvent

PAGE_SIZE = 50
CLOUDTRAIL = "cloudtrail.amazonaws.com"
RESULTS = [("", "Any result"), ("allowed", "Allowed"), ("denied", "Denied"), ("error", "Error")]
TEXT = {"class": "filter-text", "autocomplete": "off"}
FILTER_KEYS = ("identity", "action", "resource", "result", "start", "end")


@dataclass(frozen=True)
class EventPage:
    events: list[AuditEvent]
    next_cursor: str | None


def encode_cursor(event: AuditEvent) -> str:
    raw = f"{event.time.isoformat()}|{event.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, int]:
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
    start: datetime | None = None,
    end: datetime | None = None,
    cursor: str | None = None,
    max_items: int = PAGE_SIZE,
) -> EventPage:
    """LookupEvents over this installation's audit trail, for the caller's account only.

    Reads are not recorded (as the trail's own page views would drown it); refusals
    are, by ``@operation``.
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


class EventFilterForm(forms.Form):
    identity = forms.CharField(
        label="User name or ARN",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "alice, assumed-role/Admin, root…", **TEXT}),
    )
    action = forms.CharField(
        label="Event name",
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": "CreateUser, ConsoleLogin…", **TEXT}),
    )
    resource = forms.CharField(
        label="Resource",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "ARN contains…", **TEXT}),
    )
    result = forms.ChoiceField(label="Result", required=False, choices=RESULTS)
    start = forms.DateTimeField(
        label="From (UTC)",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    end = forms.DateTimeField(
        label="To (UTC)",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def filters(self) -> dict[str, Any]:
        """The valid filters (an invalid one is left out and shown as an error)."""
        data = self.cleaned_data if self.is_valid() else {}
        out: dict[str, Any] = {}
        for key in ("identity", "action", "resource", "result"):
            value = (data.get(key) or "").strip()
            if value:
                out[key] = value
        for key in ("start", "end"):
            moment = data.get(key)
            if moment is not None:
                out[key] = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        return out


@console_login_required
@require_GET
@vary_on_headers("HX-Request")
def event_history(request: HttpRequest) -> HttpResponse:
    """The event history page (or, for htmx, just the table)."""
    form = EventFilterForm(request.GET)
    filters = form.filters()
    cursor = request.GET.get("cursor", "")[:200] or None
    if cursor:
        try:
            decode_cursor(cursor)
        except ValidationError:
            cursor = None  # a mangled link: start from the newest events
    try:
        page = lookup_events(actor=principal_of(request), cursor=cursor, **filters)
    except IamError as exc:
        return render_console_error(request, exc)
    params = {k: request.GET[k] for k in FILTER_KEYS if request.GET.get(k)}
    next_query = urlencode({**params, "cursor": page.next_cursor}) if page.next_cursor else None
    template = "accounts/events/list.html"
    if getattr(request, "htmx", False):
        template += "#table"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "next_query": next_query,
            "first_query": urlencode(params),
            "paged": bool(cursor),
        },
    )


urlpatterns = [
    path("events/", event_history, name="events"),
]
