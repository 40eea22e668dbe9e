"""Event history: the caller's account's audit trail, filtered and paged in place."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.errors import AccessDenied
from accounts.operations.groups import create_group
from accounts.operations.users import create_user
from audit.models import AuditEvent
from policies.operations import put_user_policy
from tests.conftest import HTMX, allow_policy

URL = "/events/"
ACCOUNT = "111122223333"


def rows(html: str) -> int:
    return html.count('<details class="event-details">')


def names(html: str) -> list[str]:
    return re.findall(r"<summary><strong>(\w+)</strong></summary>", html)


def test_root_sees_its_accounts_events_newest_first(console, root, account):
    create_user(actor=root, name="first-user")
    create_group(actor=root, name="second-group")
    r = console.get(URL)
    assert r.status_code == 200
    assert names(r.content.decode()) == ["CreateGroup", "CreateUser", "CreateAccount"]
    assert "settings.css" in r.content.decode()


def test_outsiders_events_never_show(console, root, outsider):
    create_user(actor=root, name="ours")
    create_user(actor=outsider, name="theirs")
    html = console.get(URL).content.decode()
    assert "user/ours" in html and "theirs" not in html and "444455556666" not in html
    html = console.get(URL, {"identity": "444455556666"}).content.decode()
    assert "No events match these filters." in html


def test_denied_attempts_are_included_and_filterable(console, root, alice):
    with pytest.raises(AccessDenied):
        create_user(actor=alice, name="not-allowed")
    r = console.get(URL, {"result": "denied"}, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html
    assert rows(html) == 1 and "CreateUser" in html and "Denied" in html
    assert "user/alice" in html and "is not authorized to perform: iam:CreateUser" in html

    allowed = console.get(URL, {"result": "allowed"}, headers=HTMX).content.decode()
    assert "not-allowed" not in allowed and "CreateUser" in allowed  # root's CreateUser alice


def test_error_results_are_not_denials(console, root):
    from accounts.errors import EntityAlreadyExists

    create_user(actor=root, name="dup")
    with pytest.raises(EntityAlreadyExists):
        create_user(actor=root, name="dup")
    html = console.get(URL, {"result": "error"}, headers=HTMX).content.decode()
    assert rows(html) == 1 and "EntityAlreadyExists" in html
    assert rows(console.get(URL, {"result": "denied"}, headers=HTMX).content.decode()) == 0


def test_filters_by_identity_action_and_resource(console, root, alice, iam_user):
    create_user(actor=root, name="bob")
    create_group(actor=root, name="ops")
    with pytest.raises(AccessDenied):
        create_group(actor=alice, name="alices-group")

    html = console.get(URL, {"identity": "user/alice"}, headers=HTMX).content.decode()
    assert names(html) == ["CreateGroup"] and "Denied" in html
    html = console.get(URL, {"action": "creategroup"}, headers=HTMX).content.decode()
    assert rows(html) == 2
    html = console.get(URL, {"resource": "user/bob"}, headers=HTMX).content.decode()
    assert rows(html) == 1 and "CreateUser" in html
    html = console.get(
        URL, {"action": "CreateGroup", "identity": ":root"}, headers=HTMX
    ).content.decode()
    assert rows(html) == 1


def test_filters_by_time_range(console, account):
    AuditEvent.objects.all().delete()
    for name, when in (
        ("Early", datetime(2024, 3, 1, 9, 0, tzinfo=UTC)),
        ("Late", datetime(2024, 3, 1, 11, 0, tzinfo=UTC)),
    ):
        AuditEvent.objects.create(
            account_id=ACCOUNT, time=when, event_name=name, actor_arn="arn:aws:iam::x:root"
        )
    html = console.get(URL, {"end": "2024-03-01T10:00"}, headers=HTMX).content.decode()
    assert names(html) == ["Early"]
    html = console.get(URL, {"start": "2024-03-01T10:00"}, headers=HTMX).content.decode()
    assert names(html) == ["Late"]
    html = console.get(
        URL, {"start": "2024-03-01T08:00", "end": "2024-03-01T12:00"}, headers=HTMX
    ).content.decode()
    assert names(html) == ["Late", "Early"]


def test_invalid_filters_are_errors_in_place_not_failures(console, account):
    r = console.get(URL, {"start": "not-a-date", "result": "bogus", "cursor": "%%%"})
    html = r.content.decode()
    assert r.status_code == 200
    assert "Enter a valid date/time." in html
    assert "Select a valid choice." in html


def _make_events(account_id: str, n: int, start: datetime) -> None:
    AuditEvent.objects.bulk_create(
        AuditEvent(
            account_id=account_id,
            time=start + timedelta(seconds=i // 2),  # pairs share a time: the id breaks ties
            event_name=f"Event{i:03d}",
            actor_arn=f"arn:aws:iam::{account_id}:root",
            actor_account=account_id,
        )
        for i in range(n)
    )


def test_pages_with_a_keyset_cursor_cover_every_event_once(console, account):
    AuditEvent.objects.all().delete()
    _make_events(ACCOUNT, 120, datetime(2024, 1, 1, tzinfo=UTC))
    seen: list[str] = []
    query: dict[str, str] = {}
    pages = 0
    while True:
        r = console.get(URL, query, headers=HTMX)
        html = r.content.decode()
        assert r.status_code == 200
        seen += names(html)
        pages += 1
        link = re.search(r'href="\?([^"]*cursor=[^"]+)"', html)
        if not link:
            break
        query = {k: v[0] for k, v in parse_qs(link.group(1).replace("&amp;", "&")).items()}
    assert pages == 3
    assert seen == [f"Event{i:03d}" for i in reversed(range(120))]


def test_paging_keeps_the_filters(console, account):
    _make_events(ACCOUNT, 60, datetime(2024, 1, 1, tzinfo=UTC))
    html = console.get(URL, {"action": "event"}, headers=HTMX).content.decode()
    link = re.search(r'href="\?([^"]*cursor=[^"]+)"', html).group(1).replace("&amp;", "&")
    assert parse_qs(link)["action"] == ["event"]


def test_query_count_is_constant_however_many_events(console, account):
    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert console.get(path, headers=HTMX).status_code == 200
        return len(ctx.captured_queries)

    count(URL)  # warm: the account's guardrails are loaded once, then cached
    _make_events(ACCOUNT, 5, datetime(2024, 1, 1, tzinfo=UTC))
    few = count(URL)
    _make_events(ACCOUNT, 300, datetime(2024, 2, 1, tzinfo=UTC))
    many = count(URL)
    html = console.get(URL, headers=HTMX).content.decode()
    deep = "?" + re.search(r'href="\?([^"]*cursor=[^"]+)"', html).group(1).replace("&amp;", "&")
    assert few == many == count(URL + deep)


def test_iam_user_needs_cloudtrail_lookup_events(user_console, root, alice_login):
    c = user_console(alice_login)
    r = c.get(URL)
    html = r.content.decode()
    assert r.status_code == 403
    assert "is not authorized to perform: cloudtrail:LookupEvents on resource: *" in html
    denial = AuditEvent.objects.get(event_name="LookupEvents")
    assert denial.error_code == "AccessDenied" and denial.event_source == "cloudtrail.amazonaws.com"

    put_user_policy(
        actor=root,
        user_name="alice",
        policy_name="trail",
        document=allow_policy("cloudtrail:LookupEvents", "*"),
    )
    r = c.get(URL)
    assert r.status_code == 200 and "LookupEvents" in r.content.decode()  # her own denial


def test_role_session_reads_the_roles_account_only(
    user_console, root, alice_login, other_account, outsider
):
    from accounts.operations.roles import create_role
    from policies.operations import put_role_policy

    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": alice_login.arn}, "Action": "sts:AssumeRole"}
        ],
    }
    create_role(actor=outsider, name="Trail", trust_policy=json.dumps(trust))
    put_role_policy(
        actor=outsider,
        role_name="Trail",
        policy_name="trail",
        document=allow_policy("cloudtrail:LookupEvents"),
    )
    put_user_policy(
        actor=root, user_name="alice", policy_name="sts", document=allow_policy("sts:AssumeRole")
    )
    create_user(actor=outsider, name="partner-user")
    c = user_console(alice_login)
    c.post(reverse("accounts:switch-role"), {"account": "444455556666", "role": "Trail"})
    html = c.get(URL).content.decode()
    assert "partner-user" in html and "444455556666" in html
    assert f"arn:aws:iam::{ACCOUNT}:user/alice" in html  # the AssumeRole recorded there
    assert "CreateLoginProfile" not in html  # alice's account's own events stay there


def test_user_typed_filters_are_escaped(console, account):
    html = console.get(URL, {"identity": '"><script>alert(1)</script>'}).content.decode()
    assert "<script>alert(1)</script>" not in html


def test_event_history_needs_signin(client, account):
    r = client.get(URL)
    assert r.status_code == 302 and urlparse(r.url).path == reverse("accounts:signin")


def test_event_times_are_shown_in_utc(console, root):
    create_user(actor=root, name="timed")
    event = AuditEvent.objects.filter(event_name="CreateUser").get()
    assert event.time.tzinfo is not None
    assert (
        event.time.astimezone(UTC).strftime("%Y-%m-%d %H:%M") in console.get(URL).content.decode()
    )
    assert timezone.now() >= event.time
