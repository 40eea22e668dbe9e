"""Issue 15: the Query API's hot calls (CreateUser, GetUser, ListUsers) in counted work,
and the behaviour the faster paths must keep.

The calls go through the WSGI application as boto3 sends them (botocore signs the
request; Django's test client carries it), so the whole request is counted: the
signing key's lookup, the operation, the audit event. Counts are upper bounds: a
change that adds a query to these paths shows here. Alongside: the lookups compiled
once per connection still match names case-insensitively and literally (``%`` and
``_`` are no wildcards), a name taken meanwhile still ends CreateUser with
EntityAlreadyExists and nothing half-made, and every call is still audited.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.errors import EntityAlreadyExists
from accounts.models import ConsoleUser, Group, IamUser
from accounts.operations import users as user_ops
from accounts.operations.credentials import create_access_key
from accounts.operations.users import create_user, get_user
from audit.models import AuditEvent
from policies.operations import attach_user_policy

HOST = "testserver"


@pytest.fixture
def admin(root: Any) -> Credentials:
    """An IAM user with AdministratorAccess and an access key (bench/api.py's signer)."""
    create_user(actor=root, name="bench")
    attach_user_policy(
        actor=root, user_name="bench", policy_arn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    key = create_access_key(actor=root, user_name="bench")
    return Credentials(key.key.access_key_id, key.secret)


def call(client: Any, creds: Credentials, **params: str) -> Any:
    body = urlencode({**params, "Version": "2010-05-08"})
    request = AWSRequest(
        method="POST",
        url=f"http://{HOST}/",
        data=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(creds, "iam", "us-east-1").add_auth(request)
    headers = {
        f"HTTP_{k.upper().replace('-', '_')}": v
        for k, v in request.headers.items()
        if k.lower() != "content-type"
    }
    return client.post(
        "/",
        data=body,
        content_type=request.headers["Content-Type"],
        HTTP_HOST=HOST,
        **headers,
    )


def _bookkeeping(sql: str) -> bool:
    head = sql.lstrip().upper()
    return head.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")) or (
        head.startswith("UPDATE") and "ACCOUNTS_ACCESSKEY" in head
    )


def counted(client: Any, creds: Credentials, **params: str) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = call(client, creds, **params)
    return response, [q["sql"] for q in ctx.captured_queries]


def test_create_user_is_one_check_two_inserts_and_its_event(client, admin):
    call(client, admin, Action="GetUser")  # the connection's lookups compiled
    response, queries = counted(client, admin, Action="CreateUser", UserName="fast-one")
    assert response.status_code == 200, response.content
    assert b"<UserName>fast-one</UserName>" in response.content
    # The key lookup; BEGIN; the name and quota check; the console row; the user; the
    # audit event; COMMIT. Not counted: the key's last-used write (at most once a
    # second) and the savepoint the operation's transaction is inside the test's.
    counted_queries = [q for q in queries if not _bookkeeping(q)]
    assert len(counted_queries) <= 7, queries
    # The two inserts take no savepoint of their own: only the operation's one.
    assert sum(q.startswith("SAVEPOINT") for q in queries) <= 1, queries
    assert AuditEvent.objects.filter(event_name="CreateUser", resource_arn__endswith="/fast-one")
    assert IamUser.objects.get(name="fast-one").console.username.endswith(":fast-one")


def test_get_user_reads_once_and_audits_the_read(client, admin, root):
    create_user(actor=root, name="Reader")
    call(client, admin, Action="GetUser", UserName="reader")
    response, queries = counted(client, admin, Action="GetUser", UserName="reader")
    assert response.status_code == 200, response.content
    assert b"<UserName>Reader</UserName>" in response.content
    selects = [q for q in queries if q.lstrip().upper().startswith("SELECT")]
    # The signing key (with its user and the account's generation) and the user read;
    # then the read's event, in its own write transaction.
    assert len(selects) <= 2, queries
    assert len([q for q in queries if not _bookkeeping(q)]) <= 8, queries
    event = AuditEvent.objects.filter(event_name="GetUser").order_by("-id").first()
    assert event is not None and event.read_only and event.resource_arn.endswith("/Reader")


def test_a_list_page_is_one_query_whatever_its_size(client, admin, root):
    for i in range(30):
        create_user(actor=root, name=f"lister-{i:02d}")
    call(client, admin, Action="ListUsers", MaxItems="5")
    small, few = counted(client, admin, Action="ListUsers", MaxItems="5")
    large, many = counted(client, admin, Action="ListUsers", MaxItems="25")
    assert small.status_code == large.status_code == 200
    assert large.content.count(b"<member>") == 25
    assert len(many) == len(few), (few, many)


def test_the_compiled_user_lookup_is_case_insensitive_and_literal(root):
    create_user(actor=root, name="a_b")
    assert get_user(actor=root, name="A_B").name == "a_b"
    for wildcard in ("aXb", "a%", "%", "_", "a__", "a\\_b"):
        with pytest.raises(Exception) as caught:
            get_user(actor=root, name=wildcard)
        assert getattr(caught.value, "code", "") == "NoSuchEntity", wildcard


def test_the_name_check_counts_only_the_account_and_matches_case_insensitively(root, outsider):
    create_user(actor=outsider, name="shared")
    create_user(actor=root, name="shared")  # another account's user takes nothing
    with pytest.raises(EntityAlreadyExists):
        create_user(actor=root, name="SHARED")
    create_user(actor=root, name="sharedx")  # LIKE is exact here, no prefix match


def test_a_name_taken_meanwhile_is_entity_already_exists_and_leaves_nothing(root, monkeypatch):
    """The unique constraint, not the up-front check, refuses a name created between the
    check and the insert (another request's): the operation rolls back both rows."""
    create_user(actor=root, name="racer")
    consoles = ConsoleUser.objects.count()
    monkeypatch.setattr(user_ops, "check_new_entity", lambda *a, **k: None)
    with pytest.raises(EntityAlreadyExists) as caught:
        create_user(actor=root, name="RACER")
    assert caught.value.message == "User with name RACER already exists."
    assert ConsoleUser.objects.count() == consoles
    assert IamUser.objects.filter(name__iexact="racer").count() == 1
    failed = AuditEvent.objects.filter(event_name="CreateUser").order_by("-id").first()
    assert failed.error_code == "EntityAlreadyExists"
    # The failed insert broke nothing: the next operation works.
    assert create_user(actor=root, name="after-race").name == "after-race"


def test_whole_account_pages_follow_their_markers_to_the_end(root, outsider):
    """ListUsers / ListGroups / ListRoles without filters (their compiled page query):
    every row of the account once, in name order, none of another account's."""
    from accounts.operations.groups import create_group, list_groups

    names = ["b-user", "A-user", "c_user", "a-user2", "Z"]
    for name in names:
        create_user(actor=root, name=name)
        create_group(actor=root, name=f"g-{name}")
    create_user(actor=outsider, name="elsewhere")

    def walk(list_op: Any) -> list[str]:
        seen, marker = [], None
        while True:
            page = list_op(actor=root, marker=marker, max_items=2)
            seen += [item.name for item in page.items]
            if not page.is_truncated:
                return seen
            marker = page.marker

    expected = list(
        IamUser.objects.filter(account_id=root.account_id)
        .order_by("name")
        .values_list("name", flat=True)
    )
    assert walk(user_ops.list_users) == expected and len(expected) == len(names)
    groups = list(
        Group.objects.filter(account_id=root.account_id)
        .order_by("name")
        .values_list("name", flat=True)
    )
    assert walk(list_groups) == groups and len(groups) == len(names)
