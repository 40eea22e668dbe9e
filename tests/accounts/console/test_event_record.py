"""An event's own page (its record in CloudTrail's shape) and the filtered download."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

import pytest

from accounts.errors import AccessDenied
from accounts.operations.roles import create_role
from accounts.operations.users import create_user
from accounts.pages.events import event_id, parse_event_id
from audit.models import AuditEvent
from tests.conftest import HTMX

ACCOUNT = "111122223333"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def detail_url(event: AuditEvent) -> str:
    return f"/events/{event_id(event)}/"


def record_of(html: str) -> dict:
    import html as h

    body = re.search(r'<pre class="event-record mono" id="event-record">(.*?)</pre>', html, re.S)
    assert body
    return json.loads(h.unescape(body.group(1)))


def test_an_event_id_is_a_guid_that_finds_the_event_again(account, root):
    create_user(actor=root, name="bob")
    event = AuditEvent.objects.get(event_name="CreateUser")
    guid = event_id(event)
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", guid)
    assert parse_event_id(guid) == (event.time, event.pk)
    assert parse_event_id("not-a-guid") is None


def test_the_event_page_shows_an_iam_users_call_in_cloudtrails_shape(console, root, iam_user):
    from accounts.principal import user_principal

    alice = user_principal(iam_user, source_ip="203.0.113.9", user_agent="aws-cli/2.15", via="api")
    with pytest.raises(AccessDenied):
        create_user(actor=alice, name="nope")
    event = AuditEvent.objects.get(event_name="CreateUser", allowed=False)
    r = console.get(detail_url(event))
    assert r.status_code == 200
    record = record_of(r.content.decode())
    assert record["eventVersion"] and record["eventName"] == "CreateUser"
    assert record["userIdentity"] == {
        "type": "IAMUser",
        "principalId": iam_user.unique_id,
        "arn": iam_user.arn,
        "accountId": ACCOUNT,
        "userName": "alice",
    }
    assert record["eventSource"] == "iam.amazonaws.com"
    assert record["awsRegion"] == "us-east-1"
    assert record["sourceIPAddress"] == "203.0.113.9"
    assert record["userAgent"] == "aws-cli/2.15"
    assert record["requestParameters"] is None  # a refused call's parameters are not kept
    assert record["responseElements"] is None
    assert record["errorCode"] == "AccessDenied"
    assert "is not authorized to perform: iam:CreateUser" in record["errorMessage"]
    assert record["eventID"] == event_id(event)
    assert record["readOnly"] is False
    assert record["eventType"] == "AwsApiCall"
    assert record["managementEvent"] is True
    assert record["recipientAccountId"] == ACCOUNT
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["eventTime"])


def test_a_successful_call_has_no_error_fields_and_root_is_root(console, root):
    create_user(actor=root, name="bob")
    event = AuditEvent.objects.get(event_name="CreateUser")
    record = record_of(console.get(detail_url(event)).content.decode())
    assert "errorCode" not in record and "errorMessage" not in record
    assert record["userIdentity"]["type"] == "Root"
    assert record["userIdentity"]["principalId"] == ACCOUNT
    assert record["userIdentity"]["arn"] == f"arn:aws:iam::{ACCOUNT}:root"


def test_a_role_session_has_its_session_context(console, root, account):
    role = create_role(actor=root, name="Admin", trust_policy=TRUST)
    event = AuditEvent.objects.create(
        account_id=ACCOUNT,
        time=datetime(2025, 5, 1, 12, 0, 0, 123456, tzinfo=UTC),
        event_name="ListUsers",
        actor_arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/alice-session",
        actor_account=ACCOUNT,
        access_key_id="ASIAEXAMPLEEXAMPLE12",
        read_only=True,
        via="api",
    )
    record = record_of(console.get(detail_url(event)).content.decode())
    identity = record["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["principalId"] == f"{role.unique_id}:alice-session"
    assert identity["accessKeyId"] == "ASIAEXAMPLEEXAMPLE12"
    assert identity["sessionContext"]["sessionIssuer"] == {
        "type": "Role",
        "principalId": role.unique_id,
        "arn": role.arn,
        "accountId": ACCOUNT,
        "userName": "Admin",
    }
    assert record["readOnly"] is True


def test_a_console_sign_in_is_an_aws_console_sign_in_event(console, account):
    event = AuditEvent.objects.create(
        account_id=ACCOUNT,
        time=datetime(2025, 5, 1, 12, 0, tzinfo=UTC),
        event_name="ConsoleLogin",
        event_source="signin.amazonaws.com",
        actor_arn=f"arn:aws:iam::{ACCOUNT}:root",
        actor_account=ACCOUNT,
    )
    record = record_of(console.get(detail_url(event)).content.decode())
    assert record["eventType"] == "AwsConsoleSignIn"


def test_another_accounts_event_is_a_404(console, outsider, outsider_console, root):
    create_user(actor=outsider, name="theirs")
    theirs = AuditEvent.objects.get(event_name="CreateUser", account_id="444455556666")
    assert console.get(detail_url(theirs)).status_code == 404
    create_user(actor=root, name="ours")
    ours = AuditEvent.objects.get(event_name="CreateUser", account_id=ACCOUNT)
    assert outsider_console.get(detail_url(ours)).status_code == 404
    assert console.get("/events/not-a-guid/").status_code == 404
    assert console.get("/events/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_a_caller_without_lookup_events_is_refused(user_console, alice_login, root):
    create_user(actor=root, name="bob")
    event = AuditEvent.objects.get(event_name="CreateUser", resource_arn__endswith="user/bob")
    r = user_console(alice_login).get(detail_url(event))
    assert r.status_code == 403
    assert "cloudtrail:LookupEvents" in r.content.decode()
    assert "user/bob" not in r.content.decode()


def test_the_list_links_each_event_to_its_page(console, root):
    create_user(actor=root, name="bob")
    event = AuditEvent.objects.get(event_name="CreateUser")
    html = console.get("/events/", headers=HTMX).content.decode()
    assert f'href="/events/{event_id(event)}/"' in html
    assert 'href="/events/download.json"' in html


def test_the_json_download_is_cloudtrails_records_of_the_filtered_events(console, root, outsider):
    create_user(actor=root, name="bob")
    create_user(actor=root, name="carol")
    create_user(actor=outsider, name="theirs")
    r = console.get("/events/download.json", {"resource": "user/bob"})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/json")
    assert "attachment" in r["Content-Disposition"]
    records = json.loads(r.content)["Records"]
    assert [x["eventName"] for x in records] == ["CreateUser"]
    assert records[0]["requestParameters"]["UserName"] == "bob"
    everything = json.loads(console.get("/events/download.json").content)["Records"]
    assert {x["recipientAccountId"] for x in everything} == {ACCOUNT}
    assert "theirs" not in json.dumps(everything)


def test_the_csv_download_cannot_run_formulas(console, root, account):
    AuditEvent.objects.create(
        account_id=ACCOUNT,
        time=datetime(2025, 5, 1, 12, 0, tzinfo=UTC),
        event_name="CreateUser",
        actor_arn=f"arn:aws:iam::{ACCOUNT}:root",
        actor_account=ACCOUNT,
        user_agent='=HYPERLINK("http://evil.example","x")',
        error_code="ValidationError",
        error_message="@SUM(1+1)",
        allowed=False,
    )
    r = console.get("/events/download.csv", {"action": "CreateUser"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    assert rows[0][:4] == ["Event ID", "Event time", "User name", "Event name"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["User agent"].startswith("'=HYPERLINK")
    assert row["Error message"] == "'@SUM(1+1)"
    assert row["User name"] == "root"
    assert not any(cell[:1] in "=+-@" and cell for cell in rows[1])
