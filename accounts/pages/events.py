"""Event history: the audit trail of the caller's account, newest first.

The page translates: it reads the filters and the cursor from the query string
and calls ``audit.operations.lookup_events`` (CloudTrail's LookupEvents, which
authorizes ``cloudtrail:LookupEvents`` and keeps to the caller's account).

Filters: identity (the actor ARN contains…), action (event name contains…),
resource (ARN contains…), result (allowed / denied / error) and a time range
(UTC). Pages follow the operation's keyset cursor.

An event's own page shows its record in CloudTrail's shape (``cloudtrail_record``,
after "CloudTrail record contents",
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html),
and the filtered events download as CloudTrail's ``{"Records": [...]}`` JSON or as
CSV. Every read goes through ``lookup_events``: another account's event is a 404.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from accounts.errors import IamError, ValidationError
from accounts.models import IamUser, Role
from audit.models import AuditEvent
from audit.operations import decode_cursor, encode_cursor, lookup_events
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
            "filter_query": urlencode(params),
            "event_ids": {e.pk: event_id(e) for e in page.events},
            "paged": bool(cursor),
        },
    )


# -- an event's record in CloudTrail's shape --------------------------------------------

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
# The CloudTrail record format version AWS writes today ("eventVersion", record contents).
EVENT_VERSION = "1.10"
# IAM and STS's global endpoint are global services: CloudTrail logs their events in
# us-east-1 (CloudTrail user guide, "Global service events"). The trail does not record
# the caller's region, so every event says us-east-1.
GLOBAL_REGION = "us-east-1"
# Sign-in events are CloudTrail's AwsConsoleSignIn (console sign-in events reference).
SIGNIN_SOURCE = "signin.amazonaws.com"
DOWNLOAD_LIMIT = 5000  # events per download, newest first (CloudTrail's console caps it too)
CSV_HEADER = [
    "Event ID",
    "Event time",
    "User name",
    "Event name",
    "Event source",
    "Resource",
    "Read-only",
    "Error code",
    "Error message",
    "AWS access key",
    "Source IP address",
    "User agent",
    "AWS region",
]


def event_id(event: AuditEvent) -> str:
    """The event's ``eventID``: a GUID unique to the event, as CloudTrail's is. Ours
    carries the event's time (microseconds) and row id, so the event's page is found by
    the same keyset cursor the history pages with, through ``lookup_events``."""
    micros = (event.time - EPOCH) // MICROSECOND
    return str(uuid.UUID(int=(micros << 64) | event.pk))


def parse_event_id(value: str) -> tuple[datetime, int] | None:
    """(time, row id) of an ``event_id``, or None for anything else."""
    try:
        number = uuid.UUID(value).int
    except ValueError:
        return None
    micros, pk = number >> 64, number & ((1 << 64) - 1)
    try:
        return EPOCH + micros * MICROSECOND, pk
    except OverflowError:
        return None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _principal_ids(events: Iterable[AuditEvent]) -> dict[str, str]:
    """ARN -> unique id (AIDA…, AROA…) of the users and roles the events name that
    still exist (the trail keeps the ARN only): two queries for any number of events."""
    user_arns: set[str] = set()
    role_names: set[tuple[str, str]] = set()
    for e in events:
        if ":user/" in e.actor_arn:
            user_arns.add(e.actor_arn)
        elif ":assumed-role/" in e.actor_arn:
            role_names.add((e.actor_account, e.actor_arn.split("/")[1]))
    ids: dict[str, str] = {}
    if user_arns:
        for arn, uid in IamUser.objects.filter(arn__in=user_arns).values_list("arn", "unique_id"):
            ids[arn] = uid
    if role_names:
        names = {name for _, name in role_names}
        accounts = {acc for acc, _ in role_names}
        for acc, name, arn, uid in Role.objects.filter(
            account_id__in=accounts, name__in=names
        ).values_list("account_id", "name", "arn", "unique_id"):
            ids[f"role:{acc}:{name}"] = uid
            ids[f"role-arn:{acc}:{name}"] = arn
    return ids


def user_identity(event: AuditEvent, ids: dict[str, str]) -> dict[str, Any]:
    """CloudTrail's ``userIdentity`` for the event's actor (userIdentity element docs).
    A principal id the trail cannot know any more (the user or role was deleted) is null."""
    arn, account = event.actor_arn, event.actor_account
    identity: dict[str, Any]
    if arn.endswith(":root"):
        identity = {"type": "Root", "principalId": account, "arn": arn, "accountId": account}
    elif ":user/" in arn:
        identity = {
            "type": "IAMUser",
            "principalId": ids.get(arn),
            "arn": arn,
            "accountId": account,
        }
    elif ":assumed-role/" in arn:
        _, role_name, session = arn.split("/", 2)
        role_id = ids.get(f"role:{account}:{role_name}")
        identity = {
            "type": "AssumedRole",
            "principalId": f"{role_id}:{session}" if role_id else None,
            "arn": arn,
            "accountId": account,
        }
    elif ":federated-user/" in arn:
        identity = {
            "type": "FederatedUser",
            "principalId": f"{account}:{arn.rsplit('/', 1)[-1]}",
            "arn": arn,
            "accountId": account,
        }
    else:  # an unsigned caller (AssumeRoleWithWebIdentity/SAML before its token is checked)
        identity = {"type": "Unknown"}
    if event.access_key_id:
        identity["accessKeyId"] = event.access_key_id
    if identity["type"] == "IAMUser":
        identity["userName"] = arn.rsplit("/", 1)[-1]
    if identity["type"] == "AssumedRole":
        role_arn = ids.get(f"role-arn:{account}:{role_name}")
        # sessionIssuer: the role. The session's attributes (creationDate,
        # mfaAuthenticated) are not kept by this trail, so they are left out.
        identity["sessionContext"] = {
            "sessionIssuer": {
                "type": "Role",
                "principalId": role_id,
                "arn": role_arn or f"arn:aws:iam::{account}:role/{role_name}",
                "accountId": account,
                "userName": role_name,
            }
        }
    return identity


def cloudtrail_record(event: AuditEvent, ids: dict[str, str]) -> dict[str, Any]:
    """The event as a CloudTrail record (record contents docs). ``responseElements`` is
    null: the trail keeps no responses (CloudTrail's is null for failed calls and for
    reads too). ``requestID`` is null: this trail does not record the request's id."""
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": user_identity(event, ids),
        "eventTime": _iso(event.time),
        "eventSource": event.event_source,
        "eventName": event.event_name,
        "awsRegion": GLOBAL_REGION,
        "sourceIPAddress": event.source_ip,
        "userAgent": event.user_agent or None,
        "requestParameters": event.request or None,
        "responseElements": None,
    }
    if event.error_code:
        record["errorCode"] = event.error_code
        record["errorMessage"] = event.error_message
    signin = event.event_source == SIGNIN_SOURCE
    record.update(
        {
            "requestID": None,
            "eventID": event_id(event),
            "readOnly": event.read_only,
            "eventType": "AwsConsoleSignIn" if signin else "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": event.account_id,
            "eventCategory": "Management",
        }
    )
    if event.resource_arn and event.resource_arn != "*":
        # CloudTrail lists the resources an event touched in "resources" (ARN, type left out).
        record["resources"] = [{"ARN": event.resource_arn, "accountId": event.account_id}]
    return record


@console_login_required
@require_GET
def event_detail(request: HttpRequest, guid: str) -> HttpResponse:
    """One event's page: its summary and its full record in CloudTrail's shape."""
    where = parse_event_id(guid)
    if where is None:
        raise Http404("No such event.")
    moment, pk = where
    # The cursor that reads from this event on: the first row is the event itself when
    # it is in the caller's account (lookup_events keeps to it), else something else.
    cursor = encode_cursor(AuditEvent(pk=pk + 1, time=moment))
    try:
        page = lookup_events(actor=principal_of(request), cursor=cursor, max_items=1)
    except IamError as exc:
        return render_console_error(request, exc)
    if not page.events or page.events[0].pk != pk or page.events[0].time != moment:
        raise Http404("No such event.")
    event = page.events[0]
    record = cloudtrail_record(event, _principal_ids([event]))
    return render(
        request,
        "accounts/events/detail.html",
        {
            "event": event,
            "record": record,
            "record_json": json.dumps(record, indent=2, ensure_ascii=False),
        },
    )


def _csv_cell(value: object) -> str:
    """A CSV cell that cannot run as a spreadsheet formula: a value starting with
    = + - @ (or a tab or carriage return) is quoted, as the labs' credentials .csv does
    (OWASP, "CSV Injection"). Event fields are all chosen by callers (names, user agents,
    messages), so every cell is escaped."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


@console_login_required
@require_GET
def event_download(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered events (the page's filters, every page of them up to
    ``DOWNLOAD_LIMIT``) as CloudTrail's ``{"Records": [...]}`` JSON or as CSV."""
    form = EventFilterForm(request.GET)
    filters = form.filters()
    actor = principal_of(request)
    events: list[AuditEvent] = []
    cursor: str | None = None
    try:
        while len(events) < DOWNLOAD_LIMIT:
            page = lookup_events(
                actor=actor,
                cursor=cursor,
                max_items=min(500, DOWNLOAD_LIMIT - len(events)),
                **filters,
            )
            events.extend(page.events)
            cursor = page.next_cursor
            if not cursor:
                break
    except IamError as exc:
        return render_console_error(request, exc)
    ids = _principal_ids(events)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if fmt == "json":
        body = json.dumps({"Records": [cloudtrail_record(e, ids) for e in events]}, indent=2)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    else:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_HEADER)
        for e in events:
            identity = user_identity(e, ids)
            name = identity.get("userName") or (
                "root" if identity["type"] == "Root" else e.actor_arn.rsplit("/", 1)[-1]
            )
            writer.writerow(
                [
                    _csv_cell(v)
                    for v in (
                        event_id(e),
                        _iso(e.time),
                        name,
                        e.event_name,
                        e.event_source,
                        e.resource_arn,
                        "true" if e.read_only else "false",
                        e.error_code,
                        e.error_message,
                        e.access_key_id,
                        e.source_ip,
                        e.user_agent,
                        GLOBAL_REGION,
                    )
                ]
            )
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="event-history-{stamp}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("events/", event_history, name="events"),
    path("events/download.json", event_download, {"fmt": "json"}, name="events-download-json"),
    path("events/download.csv", event_download, {"fmt": "csv"}, name="events-download-csv"),
    path("events/<str:guid>/", event_detail, name="event-detail"),
]
