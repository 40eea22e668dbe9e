"""Successful reads are events too (CloudTrail's readOnly), and read-only operations
run outside the SQLite writers' queue, unable to write."""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from accounts.operations.users import create_user, get_user, list_users
from audit.models import AuditEvent
from audit.operations import lookup_events
from iamconsole.ops import operation


def test_a_successful_read_is_a_read_only_event_naming_what_it_read(root):
    user = create_user(actor=root, name="reader")
    get_user(actor=root, name="reader")
    list_users(actor=root)
    reads = list(AuditEvent.objects.filter(read_only=True).order_by("pk"))
    assert [(e.event_name, e.resource_arn) for e in reads] == [
        ("GetUser", user.arn),
        ("ListUsers", ""),
    ]
    write = AuditEvent.objects.get(event_name="CreateUser")
    assert write.read_only is False and write.allowed


def test_a_refused_read_is_a_denied_event_not_a_read(root, iam_user):
    from accounts.errors import AccessDenied
    from accounts.principal import user_principal

    with pytest.raises(AccessDenied):
        get_user(actor=user_principal(iam_user), name="alice")
    (event,) = AuditEvent.objects.filter(event_name="GetUser")
    assert event.allowed is False and event.read_only is False


def test_lookup_events_filters_on_read_only(root):
    create_user(actor=root, name="reader")
    get_user(actor=root, name="reader")
    names = {
        flag: [e.event_name for e in lookup_events(actor=root, read_only=flag).events]
        for flag in ("", "true", "false")
    }
    assert names["true"] == ["GetUser"]
    assert "CreateUser" in names["false"] and "GetUser" not in names["false"]
    assert sorted(names[""]) == sorted(["GetUser", *names["false"]])


def test_event_history_shows_writes_unless_reads_are_asked_for(console, root):
    create_user(actor=root, name="reader")
    get_user(actor=root, name="reader")
    url = reverse("accounts:events")
    default = console.get(url).content.decode()
    assert "<strong>CreateUser</strong>" in default and "<strong>GetUser</strong>" not in default
    reads = console.get(url, {"kind": "reads"}).content.decode()
    assert "<strong>GetUser</strong>" in reads and "<strong>CreateUser</strong>" not in reads


@operation("GetSomethingWrongly", read_only=True)
def _read_that_writes(*, actor):
    create_user(actor=actor, name="sneaky")


@pytest.mark.django_db(transaction=True)
def test_a_read_only_operation_cannot_write_on_sqlite(root):
    if connection.vendor != "sqlite":
        pytest.skip("the query-only snapshot is SQLite's (PostgreSQL runs a plain transaction)")
    with pytest.raises(DatabaseError, match="readonly"):
        _read_that_writes(actor=root)
    assert not AuditEvent.objects.filter(event_name="CreateUser").exists()
    # the connection is writable again afterwards
    create_user(actor=root, name="after")


@pytest.mark.django_db(transaction=True)
def test_a_read_runs_while_a_writer_holds_the_queue(root):
    """A read-only transaction neither waits for nor blocks the writers' queue: it reads
    its snapshot while another thread's write transaction is open. (Its operation's
    read event is then written through the queue, after the read.)"""
    from accounts.models import IamUser
    from iamconsole.ops import read_only_transaction

    create_user(actor=root, name="early")
    writer_in = threading.Event()
    release = threading.Event()

    def writer() -> None:
        try:
            with transaction.atomic():
                create_user(actor=root, name="late")
                writer_in.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert writer_in.wait(30)
        with read_only_transaction():
            names = list(
                IamUser.objects.filter(account_id=root.account_id).values_list("name", flat=True)
            )
    finally:
        release.set()
        thread.join(30)
    assert names == ["early"]  # the uncommitted "late" is not in the snapshot
