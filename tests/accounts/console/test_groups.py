"""User groups pages: list (filter, pages, query count), create, detail, permissions, delete."""

from __future__ import annotations

import json

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Group
from accounts.operations.groups import add_user_to_group, create_group
from accounts.operations.users import create_user
from audit.models import AuditEvent
from policies.models import InlinePolicy
from policies.operations import attach_group_policy, put_group_policy
from tests.conftest import HTMX

READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
XSS = "<script>alert(1)</script>"


def detail(group_name: str, tab: str = "") -> str:
    if tab:
        return reverse("accounts:group-detail-tab", args=[group_name, tab])
    return reverse("accounts:group-detail", args=[group_name])


# -- list ----------------------------------------------------------------------------------


def test_group_list_shows_name_users_permissions_and_creation_for_root(
    console, root, group, iam_user
):
    add_user_to_group(actor=root, group_name=group.name, user_name=iam_user.name)
    attach_group_policy(actor=root, group_name=group.name, policy_arn=S3_READ)
    r = console.get(reverse("accounts:group-list"))
    html = r.content.decode()
    assert r.status_code == 200 and "<html" in html
    assert "developers" in html and "Defined" in html and "1 attached" in html
    assert 'href="/groups/developers/"' in html


def test_htmx_filter_returns_only_the_table_fragment(console, root):
    create_group(actor=root, name="admins")
    create_group(actor=root, name="auditors")
    r = console.get(
        reverse("accounts:group-list"),
        {"q": "aud"},
        headers={**HTMX, "HX-Target": "group-table"},
    )
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and 'id="group-table"' in html
    assert "auditors" in html and "admins" not in html


def test_list_pages_forward_keeping_the_filter(console, root):
    for n in range(55):
        create_group(actor=root, name=f"team-{n:02d}")
    first = console.get(reverse("accounts:group-list"), {"q": "team"})
    html = first.content.decode()
    assert "team-49" in html and "team-50" not in html and "Next page" in html
    marker = first.context["page"].marker
    second = console.get(
        reverse("accounts:group-list"),
        {"q": "team", "marker": marker},
        headers={**HTMX, "HX-Target": "group-table"},
    )
    html = second.content.decode()
    assert "team-50" in html and "team-49" not in html and "First page" in html


def _list_queries(client, root, count: int) -> int:
    for n in range(Group.objects.count(), count):
        create_group(actor=root, name=f"bulk-{n:03d}")
        attach_group_policy(actor=root, group_name=f"bulk-{n:03d}", policy_arn=S3_READ)
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(reverse("accounts:group-list"))
    assert r.status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_rows(console, root):
    ten = _list_queries(console, root, 10)
    hundred = _list_queries(console, root, 100)
    assert ten == hundred, (ten, hundred)
    print(f"group list queries: {ten} (10 rows), {hundred} (100 rows)")


def test_a_bad_marker_is_a_400_with_aws_message(console):
    r = console.get(reverse("accounts:group-list"), {"marker": "%%%not-base64"})
    assert r.status_code == 400 and "Invalid Marker" in r.content.decode()


# -- create --------------------------------------------------------------------------------


def test_create_page_lists_users_and_searchable_policies(console, iam_user):
    r = console.get(reverse("accounts:group-create"))
    html = r.content.decode()
    assert r.status_code == 200 and "alice" in html and 'name="policies_q"' in html


def test_policy_search_returns_matches_and_keeps_checked_ones(console):
    r = console.get(
        reverse("accounts:policy-picker"),
        {"picker_field": "policies", "policies_q": "S3ReadOnly", "policies": [READ_ONLY]},
        headers=HTMX,
    )
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html
    assert "AmazonS3ReadOnlyAccess" in html
    assert f'value="{READ_ONLY}" checked' in html


def test_create_group_with_users_and_policies_in_one_go(console, iam_user, root):
    create_user(actor=root, name="bob")
    r = console.post(
        reverse("accounts:group-create"),
        {"name": "ops", "users": ["alice", "bob"], "policies": [S3_READ, READ_ONLY]},
    )
    assert r.status_code == 302 and r["Location"] == "/groups/ops/"
    group = Group.objects.get(name="ops")
    assert sorted(u.name for u in group.users.all()) == ["alice", "bob"]
    assert sorted(a.policy.arn for a in group.policy_attachments.all()) == sorted(
        [S3_READ, READ_ONLY]
    )


def test_create_with_a_bad_policy_creates_nothing_and_says_why(console, iam_user):
    bogus = "arn:aws:iam::aws:policy/NoSuchPolicy"
    r = console.post(
        reverse("accounts:group-create"), {"name": "ops", "users": ["alice"], "policies": [bogus]}
    )
    assert r.status_code == 404
    assert f"Policy {bogus} does not exist or is not attachable." in r.content.decode()
    assert not Group.objects.filter(name="ops").exists()
    # The failed step is in the event history even though everything was rolled back.
    assert AuditEvent.objects.filter(
        event_name="AttachGroupPolicy", error_code="NoSuchEntity"
    ).exists()


def test_duplicate_and_invalid_names_are_shown_by_the_name_field(console, group):
    r = console.post(reverse("accounts:group-create"), {"name": "Developers"})
    assert r.status_code == 409 and "Group with name Developers already exists." in (
        r.content.decode()
    )
    r = console.post(reverse("accounts:group-create"), {"name": "bad name!"})
    assert r.status_code == 400 and "groupName" in r.content.decode()


def test_search_without_javascript_rerenders_the_form_without_creating(console):
    r = console.post(
        reverse("accounts:group-create"), {"name": "ops", "go": "search", "policies_q": "S3"}
    )
    assert r.status_code == 200 and "AmazonS3ReadOnlyAccess" in r.content.decode()
    assert not Group.objects.filter(name="ops").exists()


# -- detail and permissions ------------------------------------------------------------------


def test_detail_tabs_render_and_htmx_tab_is_a_fragment(console, group):
    assert console.get(detail("developers")).status_code == 200
    r = console.get(detail("developers", "permissions"), headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and 'id="group-tab"' in html
    assert "Attach policies" in html and "Inline policies" in html


def test_attach_and_detach_a_managed_policy_in_place(console, group):
    url = reverse("accounts:group-attach-policies", args=[group.name])
    r = console.post(url, {"policies": [S3_READ]}, headers=HTMX)
    assert r.status_code == 200 and "<html" not in r.content.decode()
    assert "AmazonS3ReadOnlyAccess" in r.content.decode()
    assert group.policy_attachments.count() == 1
    url = reverse("accounts:group-detach-policy", args=[group.name])
    r = console.post(url, {"policy_arn": S3_READ}, headers=HTMX)
    assert r.status_code == 200 and group.policy_attachments.count() == 0


def test_inline_policy_is_validated_created_edited_and_deleted(console, group):
    url = reverse("accounts:group-inline-policy", args=[group.name])
    assert console.get(url).status_code == 200
    r = console.post(url, {"name": "logs", "document": '{"Version": "2012-10-17", "Statement": ['})
    assert r.status_code == 400 and not InlinePolicy.objects.filter(group=group).exists()
    doc = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "logs:Get*", "Resource": "*"}],
        }
    )
    r = console.post(url, {"name": "logs", "document": doc})
    assert r.status_code == 302
    r = console.get(url, {"policy": "logs"})
    assert r.status_code == 200 and "logs:Get*" in r.content.decode()
    r = console.post(
        reverse("accounts:group-inline-delete", args=[group.name]),
        {"policy_name": "logs"},
        headers=HTMX,
    )
    assert r.status_code == 200 and not InlinePolicy.objects.filter(group=group).exists()


def test_inline_validation_fragment_reports_findings_by_line(console):
    r = console.post(
        reverse("accounts:group-inline-validate"),
        {"document": '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow"}]\n}'},
        headers=HTMX,
    )
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and "Ln 3" in html


# -- delete --------------------------------------------------------------------------------


def test_delete_asks_for_the_name_then_removes_members_and_policies(console, root, group, iam_user):
    add_user_to_group(actor=root, group_name=group.name, user_name=iam_user.name)
    attach_group_policy(actor=root, group_name=group.name, policy_arn=S3_READ)
    put_group_policy(
        actor=root,
        group_name=group.name,
        policy_name="p",
        document=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            }
        ),
    )
    url = reverse("accounts:group-delete", args=[group.name])
    assert console.get(url).status_code == 200
    r = console.post(url, {"confirm": "wrong"}, headers=HTMX)
    assert r.status_code == 400 and Group.objects.filter(pk=group.pk).exists()
    r = console.post(url, {"confirm": "developers"}, headers=HTMX)
    assert r.status_code == 200 and r["HX-Redirect"] == "/groups/"
    assert not Group.objects.filter(pk=group.pk).exists()


# -- security ------------------------------------------------------------------------------


def test_outsider_gets_404_for_every_group_url(outsider_console, group):
    name = group.name
    for url in (
        detail(name),
        detail(name, "permissions"),
        reverse("accounts:group-delete", args=[name]),
        reverse("accounts:group-inline-policy", args=[name]),
    ):
        assert outsider_console.get(url).status_code == 404, url
    for url, data in (
        (reverse("accounts:group-add-member", args=[name]), {"user": "alice"}),
        (reverse("accounts:group-remove-member", args=[name]), {"user": "alice"}),
        (reverse("accounts:group-attach-policies", args=[name]), {"policies": [S3_READ]}),
        (reverse("accounts:group-detach-policy", args=[name]), {"policy_arn": S3_READ}),
        (reverse("accounts:group-inline-delete", args=[name]), {"policy_name": "x"}),
        (reverse("accounts:group-delete", args=[name]), {"confirm": name}),
    ):
        assert outsider_console.post(url, data).status_code == 404, url
    assert Group.objects.filter(pk=group.pk).exists()


def test_unknown_group_is_a_404(console):
    r = console.get(detail("nobody"))
    assert r.status_code == 404 and "The group with name nobody cannot be found." in (
        r.content.decode()
    )


def test_names_and_inline_policies_render_escaped(console, root, group):
    # Group and user names cannot hold markup (IAM's name rules), so the payload goes
    # where free text is allowed: inline policy documents and the search box.
    doc = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Sid": "x", "Effect": "Allow", "Action": "s3:*", "Resource": XSS}],
        }
    )
    url = reverse("accounts:group-inline-policy", args=[group.name])
    r = console.post(url, {"name": "p", "document": doc})
    html = r.content.decode()
    assert XSS not in html
    r = console.get(reverse("accounts:group-list"), {"q": XSS})
    assert XSS not in r.content.decode() and "&lt;script&gt;" in r.content.decode()
    r = console.get(reverse("accounts:policy-picker"), {"policies_q": XSS}, headers=HTMX)
    assert XSS not in r.content.decode()


def test_post_without_csrf_token_is_refused(root_user, totp_device, console, group):
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = console.cookies
    r = strict.post(reverse("accounts:group-create"), {"name": "ops"})
    assert r.status_code == 403 and not Group.objects.filter(name="ops").exists()
    r = strict.post(reverse("accounts:group-delete", args=[group.name]), {"confirm": group.name})
    assert r.status_code == 403 and Group.objects.filter(pk=group.pk).exists()


def test_get_never_changes_state(console, group):
    for name in (
        "group-add-member",
        "group-remove-member",
        "group-attach-policies",
        "group-detach-policy",
        "group-inline-delete",
    ):
        assert console.get(reverse(f"accounts:{name}", args=[group.name])).status_code == 405


def test_read_only_user_sees_pages_but_every_change_is_denied(
    readonly_console, root, group, iam_user
):
    add_user_to_group(actor=root, group_name=group.name, user_name=iam_user.name)
    for url in (
        reverse("accounts:group-list"),
        detail(group.name),
        detail(group.name, "permissions"),
        reverse("accounts:group-create"),
        reverse("accounts:group-delete", args=[group.name]),
    ):
        assert readonly_console.get(url).status_code == 200, url
    denied = "User: arn:aws:iam::111122223333:user/reader is not authorized to perform: iam:"
    cases = [
        (reverse("accounts:group-create"), {"name": "ops"}, "CreateGroup"),
        (
            reverse("accounts:group-add-member", args=[group.name]),
            {"user": "reader"},
            "AddUserToGroup",
        ),
        (
            reverse("accounts:group-remove-member", args=[group.name]),
            {"user": "alice"},
            "RemoveUserFromGroup",
        ),
        (
            reverse("accounts:group-attach-policies", args=[group.name]),
            {"policies": [S3_READ]},
            "AttachGroupPolicy",
        ),
        (
            reverse("accounts:group-delete", args=[group.name]),
            {"confirm": group.name},
            "DeleteGroup",
        ),
    ]
    for url, data, action in cases:
        r = readonly_console.post(url, data, headers=HTMX)
        html = r.content.decode()
        assert r.status_code == 403, (url, r.status_code)
        assert f"{denied}{action}" in html, (url, html[:400])
    assert Group.objects.filter(pk=group.pk, users__name="alice").exists()
    assert not Group.objects.filter(name="ops").exists()


def test_user_without_permissions_gets_403_with_aws_message_on_every_group_page(
    root, group, user_console
):
    from accounts.operations.credentials import create_login_profile

    user = create_user(actor=root, name="nobody")
    create_login_profile(actor=root, user_name="nobody", password="Long-enough-password-1!")
    client = user_console(user)
    denied = "User: arn:aws:iam::111122223333:user/nobody is not authorized to perform: iam:"
    for url, action in (
        (reverse("accounts:group-list"), "ListGroups"),
        (detail(group.name), "GetGroup"),
        (reverse("accounts:group-create"), "ListUsers"),
        (reverse("accounts:policy-picker"), "ListPolicies"),
        (reverse("accounts:group-delete", args=[group.name]), "GetGroup"),
    ):
        r = client.get(url)
        assert r.status_code == 403 and f"{denied}{action}" in r.content.decode(), url
