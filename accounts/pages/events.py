"""Event history: the audit trail of the caller's account, newest first.

The page translates: it reads the filters and the cursor from the query string
and calls ``audit.operations.lookup_events`` (CloudTrail's LookupEvents, which
authorizes ``cloudtrail:LookupEvents`` and keeps to the caller's account).

Filters: identity (the actor ARN contains…), action (event name contains…),
resource (ARN contains…), result (allowed / denied / error) and a time range
(UTC). Pages follow the operation's keyset cursor.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from accounts.errors import IamError, ValidationError
from audit.operations import decode_cursor, lookup_events
from iamconsole.console import console_login_required, principal_of, render_console_error

RESULTS = [("", "Any result"), ("allowed", "Allowed"), ("denied", "Denied"), ("error", "Error")]
# CloudTrail's Read-only lookup attribute; successful reads stay out unless asked for,
# so the console's own page views do not drown the history.
KINDS = [("", "Write events"), ("reads", "Read-only events"), ("all", "All events")]
TEXT = {"class": "filter-text", "autocomplete": "off"}
FILTER_KEYS = ("identity", "action", "resource", "result", "kind", "start", "end")


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
    kind = forms.ChoiceField(label="Read-only", required=False, choices=KINDS)
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
        out["read_only"] = {"": "false", "reads": "true", "all": ""}[data.get("kind") or ""]
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
