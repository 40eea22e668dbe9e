"""The audit trail's one home: the model, its writer and its reader (LookupEvents)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from accounts.errors import AccessDenied, NoSuchEntity, ValidationError
from accounts.operations.users import create_user, get_user
from audit.models import AuditEvent
from audit.operations import decode_cursor, encode_cursor, lookup_events
from audit.trail import record_event, record_failure
from policies.operations import put_user_policy
from tests.conftest import allow_policy


def test_the_events_keep_their_table_so_no_row_moved(db):
    assert AuditEvent._meta.app_label == "audit"
    assert AuditEvent._meta.db_table == "policies_auditevent"
    assert AuditEvent._meta.db_table in connection.introspection.table_names()


def test_record_event_writes_who_what_where_and_leaves_secrets_out(root):
    record_event(
        root,
        "ChangePassword",
        "arn:aws:iam::111122223333:user/alice",
        request={"UserName": "alice", "Password": "hunter2", "NewPassword": "x", "TokenCode": "1"},
    )
    event = AuditEvent.objects.get(event_name="ChangePassword")
    assert event.request == {"UserName": "alice"}
    assert (event.account_id, event.actor_arn, event.source_ip, event.allowed) == (
        "111122223333",
        root.arn,
        "127.0.0.1",
        True,
    )


def test_a_recorded_error_is_not_allowed_whatever_the_flag_says(root):
    record_event(root, "GetUser", error=NoSuchEntity("no such user"), allowed=True)
    event = AuditEvent.objects.get(event_name="GetUser")
    assert not event.allowed and event.error_code == "NoSuchEntity"
    assert event.error_message == "no such user"


def test_a_failing_operation_is_audited_after_its_rollback(root):
    with pytest.raises(NoSuchEntity):
        get_user(actor=root, name="nobody")
    event = AuditEvent.objects.get(event_name="GetUser")
    assert event.error_code == "NoSuchEntity" and not event.allowed


def test_lookup_events_reads_the_callers_account_newest_first_and_is_not_recorded(root, outsider):
    create_user(actor=root, name="first")
    create_user(actor=root, name="second")
    create_user(actor=outsider, name="elsewhere")
    before = AuditEvent.objects.count()
    page = lookup_events(actor=root)
    assert [e.resource_arn.rsplit("/", 1)[-1] for e in page.events][:2] == ["second", "first"]
    assert all(e.account_id == root.account_id for e in page.events)
    assert page.next_cursor is None
    assert AuditEvent.objects.count() == before  # reading the trail does not grow it


def test_lookup_events_needs_cloudtrail_lookup_events_and_audits_the_refusal(root, alice):
    with pytest.raises(AccessDenied):
        lookup_events(actor=alice)
    denial = AuditEvent.objects.get(event_name="LookupEvents")
    assert denial.error_code == "AccessDenied" and not denial.allowed
    assert denial.event_source == "cloudtrail.amazonaws.com"
    assert denial.actor_arn == alice.arn

    put_user_policy(
        actor=root,
        user_name="alice",
        policy_name="trail",
        document=allow_policy("cloudtrail:LookupEvents", "*"),
    )
    names = [e.event_name for e in lookup_events(actor=alice, result="denied").events]
    assert names == ["LookupEvents"]


def test_lookup_events_pages_with_a_cursor_that_covers_every_event_once(root, account):
    start = datetime(2024, 1, 1, tzinfo=UTC)
    AuditEvent.objects.all().delete()  # sign-up's CreateAccount
    AuditEvent.objects.bulk_create(
        AuditEvent(account=account, time=start + timedelta(minutes=i // 2), event_name=f"E{i}")
        for i in range(7)
    )
    seen, cursor = [], None
    while True:
        page = lookup_events(actor=root, cursor=cursor, max_items=3)
        seen += [e.event_name for e in page.events]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(f"E{i}" for i in range(7)) and len(seen) == 7


def test_a_mangled_cursor_is_a_validation_error(root, account):
    with pytest.raises(ValidationError, match="Invalid NextToken"):
        lookup_events(actor=root, cursor="not-a-cursor")
    event = AuditEvent(account=account, time=datetime(2024, 1, 1, tzinfo=UTC), pk=41)
    assert decode_cursor(encode_cursor(event)) == (event.time, 41)


def test_operations_carry_the_event_they_record_for_batches():
    assert (get_user.event_name, get_user.event_source) == ("GetUser", "iam.amazonaws.com")
    assert lookup_events.event_source == "cloudtrail.amazonaws.com"


def test_record_failure_records_a_denial_and_never_masks_the_error(root, monkeypatch):
    denied = AccessDenied("no", resource="arn:aws:iam::111122223333:user/bob")
    record_failure(root, "DeleteUser", denied)
    event = AuditEvent.objects.get(event_name="DeleteUser")
    assert not event.allowed and event.resource_arn.endswith("user/bob")

    def broken(*args, **kwargs):
        raise RuntimeError("database is gone")

    monkeypatch.setattr("audit.trail.record_event", broken)
    record_failure(root, "DeleteUser", denied)  # logged, not raised
    assert AuditEvent.objects.filter(event_name="DeleteUser").count() == 1
