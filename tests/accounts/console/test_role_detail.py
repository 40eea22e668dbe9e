"""Role detail: summary edits, Permissions, Trust relationships, Tags, Revoke sessions, delete."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from accounts.operations.roles import REVOKE_POLICY_NAME, create_role
from policies.models import InlinePolicy
from tests.conftest import HTMX

S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
XSS = "<script>alert(1)</script>"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


@pytest.fixture
def role(root):
    return create_role(actor=root, name="app", trust_policy=TRUST, description="The app")


def url(name: str, role_name: str = "app") -> str:
    return reverse(f"accounts:{name}", args=[role_name])


def detail(tab: str = "") -> str:
    if tab:
        return reverse("accounts:role-detail-tab", args=["app", tab])
    return url("role-detail")


def test_every_tab_renders_for_root_with_the_summary(console, role):
    for tab in ("", "permissions", "trust", "tags", "revoke"):
        r = console.get(detail(tab))
        assert r.status_code == 200, tab
    html = console.get(detail()).content.decode()
    assert role.arn in html and "1 hour" in html and "The app" in html
    assert "/switchrole/?account=111122223333&amp;roleName=app" in html


def test_switch_role_link_uses_the_account_alias_when_there_is_one(console, role, account):
    account.alias = "acme"
    account.save()
    assert "/switchrole/?account=acme&amp;roleName=app" in console.get(detail()).content.decode()


def test_tab_requests_from_htmx_are_fragments(console, role):
    for tab in ("permissions", "trust", "tags", "revoke"):
        r = console.get(detail(tab), headers=HTMX)
        html = r.content.decode()
        assert r.status_code == 200 and "<html" not in html and 'id="role-tab"' in html, tab


def test_description_and_max_session_duration_are_edited_in_place(console, role):
    r = console.post(url("role-update"), {"max_session_duration": "14400"}, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and 'id="role-summary"' in html
    assert "4 hours" in html
    r = console.post(url("role-update"), {"description": "Batch jobs"}, headers=HTMX)
    role.refresh_from_db()
    assert role.description == "Batch jobs" and role.max_session_duration == 14400


@pytest.mark.parametrize("value", ["3599", "43201", "50000", "abc"])
def test_max_session_duration_out_of_range_is_refused(console, role, value):
    r = console.post(url("role-update"), {"max_session_duration": value}, headers=HTMX)
    assert r.status_code == 400
    assert "Member must have value between 3600 and 43200" in r.content.decode()
    role.refresh_from_db()
    assert role.max_session_duration == 3600


def test_trust_policy_edit_with_malformed_json_is_refused_and_nothing_changes(console, role):
    edit = url("role-trust-edit")
    assert console.get(edit).status_code == 200
    r = console.post(edit, {"document": '{"Version": "2012-10-17", "Statement": ['})
    html = r.content.decode()
    # AWS's message for a trust policy that is not JSON (permission policies: "Syntax
    # errors in policy.").
    assert r.status_code == 400 and "This policy contains invalid Json" in html
    assert "Ln 1" in html  # and the finding by line, next to the editor
    role.refresh_from_db()
    assert role.trust_policy == TRUST


def test_trust_policy_edit_without_principal_is_refused(console, role):
    doc = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}
    )
    r = console.post(url("role-trust-edit"), {"document": doc})
    assert r.status_code == 400 and "Missing required field Principal" in r.content.decode()
    role.refresh_from_db()
    assert role.trust_policy == TRUST


def test_trust_policy_edit_saves_a_valid_document(console, role):
    doc = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    r = console.post(url("role-trust-edit"), {"document": doc})
    assert r.status_code == 302 and r["Location"] == "/roles/app/trust/"
    role.refresh_from_db()
    assert json.loads(role.trust_policy)["Statement"][0]["Principal"]["AWS"].endswith("6666:root")
    assert "Account: 444455556666" in console.get(detail("trust")).content.decode()


def test_trust_validation_fragment_checks_as_a_trust_policy(console):
    r = console.post(
        reverse("accounts:role-trust-validate"),
        {
            "document": '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}'
        },
        headers=HTMX,
    )
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and "of 2048" in html
    assert "finding-error" in html


def test_attach_detach_and_boundary_in_place(console, role):
    r = console.post(url("role-attach-policies"), {"policies": [S3_READ]}, headers=HTMX)
    assert r.status_code == 200 and "AmazonS3ReadOnlyAccess" in r.content.decode()
    r = console.post(url("role-boundary"), {"boundary": READ_ONLY}, headers=HTMX)
    assert r.status_code == 200 and "Set to" in r.content.decode()
    role.refresh_from_db()
    assert role.permissions_boundary.arn == READ_ONLY and role.policy_attachments.count() == 1
    console.post(url("role-detach-policy"), {"policy_arn": S3_READ}, headers=HTMX)
    console.post(url("role-boundary"), {"boundary": ""}, headers=HTMX)
    role.refresh_from_db()
    assert role.permissions_boundary is None and role.policy_attachments.count() == 0


def test_inline_policy_create_edit_delete(console, role):
    doc = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}],
        }
    )
    edit = url("role-inline-policy")
    assert console.get(edit).status_code == 200
    assert console.post(edit, {"name": "s3", "document": doc}).status_code == 302
    assert "s3:Get*" in console.get(edit, {"policy": "s3"}).content.decode()
    r = console.post(url("role-inline-delete"), {"policy_name": "s3"}, headers=HTMX)
    assert r.status_code == 200 and not InlinePolicy.objects.filter(role=role).exists()


def test_tags_are_added_and_removed_in_place(console, role):
    r = console.post(url("role-tags"), {"tag-key-0": "team", "tag-value-0": "data"}, headers=HTMX)
    assert r.status_code == 200 and "<html" not in r.content.decode()
    role.refresh_from_db()
    assert role.tags == [{"Key": "team", "Value": "data"}]
    r = console.post(url("role-tags"), {"remove": "team", "tag-key-0": "team"}, headers=HTMX)
    role.refresh_from_db()
    assert r.status_code == 200 and role.tags == []


def test_revoke_sessions_needs_confirmation_then_adds_the_aws_policy(console, role):
    r = console.post(url("role-revoke-sessions"), {}, headers=HTMX)
    assert r.status_code == 400 and not InlinePolicy.objects.filter(role=role).exists()
    r = console.post(url("role-revoke-sessions"), {"confirm": "on"}, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and "Sessions last revoked" in html
    policy = InlinePolicy.objects.get(role=role, name=REVOKE_POLICY_NAME)
    statement = json.loads(policy.document)["Statement"][0]
    assert (
        statement["Effect"] == "Deny"
        and "aws:TokenIssueTime" in statement["Condition"]["DateLessThan"]
    )
    role.refresh_from_db()
    assert role.sessions_revoked_before is not None


def test_delete_asks_for_the_name_and_removes_policies(console, root, role):
    from policies.operations import attach_role_policy

    attach_role_policy(actor=root, role_name="app", policy_arn=S3_READ)
    assert console.get(url("role-delete")).status_code == 200
    r = console.post(url("role-delete"), {"confirm": "APP"}, headers=HTMX)
    assert r.status_code == 400 and Role.objects.filter(pk=role.pk).exists()
    r = console.post(url("role-delete"), {"confirm": "app"})
    assert r.status_code == 302 and r["Location"] == "/roles/"
    assert not Role.objects.filter(pk=role.pk).exists()


def test_unknown_role_is_a_404_with_aws_message(console):
    r = console.get(reverse("accounts:role-detail", args=["ghost"]))
    assert (
        r.status_code == 404 and "The role with name ghost cannot be found." in r.content.decode()
    )


def test_outsider_gets_404_for_every_role_url(outsider_console, role):
    for path in (detail(), detail("trust"), url("role-trust-edit"), url("role-inline-policy"),
                 url("role-delete")):  # fmt: skip
        assert outsider_console.get(path).status_code == 404, path
    for name, data in (
        ("role-update", {"max_session_duration": "7200"}),
        ("role-trust-edit", {"document": TRUST}),
        ("role-attach-policies", {"policies": [S3_READ]}),
        ("role-detach-policy", {"policy_arn": S3_READ}),
        ("role-boundary", {"boundary": READ_ONLY}),
        ("role-inline-policy", {"name": "x", "document": TRUST}),
        ("role-inline-delete", {"policy_name": "x"}),
        ("role-tags", {"tag-key-0": "k", "tag-value-0": "v"}),
        ("role-tags", {"remove": "k"}),
        ("role-revoke-sessions", {"confirm": "on"}),
        ("role-delete", {"confirm": "app"}),
    ):
        assert outsider_console.post(url(name), data).status_code == 404, name
    role.refresh_from_db()
    assert role.max_session_duration == 3600 and role.sessions_revoked_before is None


def test_user_typed_text_is_escaped_everywhere(console, root):
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "x", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                 "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "<b>x</b>"}}}
            ],
        }
    )  # fmt: skip
    create_role(actor=root, name="esc", trust_policy=trust, description=XSS)
    console.post(url("role-tags", "esc"), {"tag-key-0": "k", "tag-value-0": "a+b"})
    for tab in ("permissions", "trust", "tags"):
        html = console.get(reverse("accounts:role-detail-tab", args=["esc", tab])).content.decode()
        assert XSS not in html and "<b>x</b>" not in html, tab
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;"
        in console.get(reverse("accounts:role-detail", args=["esc"])).content.decode()
    )
    r = console.post(url("role-tags", "esc"), {"tag-key-0": XSS, "tag-value-0": "v"}, headers=HTMX)
    assert r.status_code == 400 and XSS not in r.content.decode()


def test_posts_without_csrf_token_are_refused(console, role):
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = console.cookies
    for name, data in (
        ("role-update", {"max_session_duration": "7200"}),
        ("role-revoke-sessions", {"confirm": "on"}),
        ("role-delete", {"confirm": "app"}),
    ):
        assert strict.post(url(name), data).status_code == 403, name
    role.refresh_from_db()
    assert role.max_session_duration == 3600 and role.sessions_revoked_before is None


def test_get_never_changes_state(console, role):
    for name in ("role-update", "role-attach-policies", "role-detach-policy", "role-boundary",
                 "role-inline-delete", "role-tags", "role-revoke-sessions"):  # fmt: skip
        assert console.get(url(name)).status_code == 405, name


def test_read_only_user_sees_role_pages_but_every_change_is_denied(readonly_console, role):
    for path in (reverse("accounts:role-list"), detail(), detail("trust"), detail("tags"),
                 detail("revoke"), reverse("accounts:role-create"), url("role-trust-edit")):  # fmt: skip
        assert readonly_console.get(path).status_code == 200, path
    denied = "User: arn:aws:iam::111122223333:user/reader is not authorized to perform: iam:"
    for name, data, action in (
        ("role-update", {"max_session_duration": "7200"}, "UpdateRole"),
        ("role-trust-edit", {"document": TRUST}, "UpdateAssumeRolePolicy"),
        ("role-attach-policies", {"policies": [S3_READ]}, "AttachRolePolicy"),
        ("role-boundary", {"boundary": READ_ONLY}, "PutRolePermissionsBoundary"),
        ("role-tags", {"tag-key-0": "k", "tag-value-0": "v"}, "TagRole"),
        ("role-revoke-sessions", {"confirm": "on"}, "PutRolePolicy"),
        ("role-delete", {"confirm": "app"}, "DeleteRole"),
    ):
        r = readonly_console.post(url(name), data, headers=HTMX)
        assert r.status_code == 403, (name, r.status_code)
        assert f"{denied}{action}" in r.content.decode(), name
    r = readonly_console.post(
        reverse("accounts:role-create"),
        {"step": "review", "go": "create", "entity_type": "service", "service": "ec2",
         "name": "mine", "max_session_duration": "3600"},
        headers=HTMX,
    )  # fmt: skip
    assert r.status_code == 403 and f"{denied}CreateRole" in r.content.decode()
    role.refresh_from_db()
    assert role.max_session_duration == 3600 and role.trust_policy == TRUST and role.tags == []
    assert not Role.objects.filter(name="mine").exists()
