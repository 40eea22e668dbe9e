"""The create-user wizard: each step validates in place; creation is all or nothing; the
generated password is shown once and downloads once."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accounts.models import IamUser
from accounts.operations.credentials import create_login_profile
from accounts.operations.groups import add_user_to_group, create_group
from accounts.operations.users import create_user
from accounts.pages.users_wizard import WIZARD_SESSION
from audit.models import AuditEvent
from policies.models import InlinePolicy, PolicyAttachment
from policies.operations import attach_user_policy, put_user_policy
from tests.conftest import HTMX, allow_policy

URL = "/users/create/"
S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"


def details(client, headers=None, **fields):
    data = {"step": "details", "name": "carol", **fields}
    return client.post(URL, data, headers=headers or {})


def run_wizard(client, *, details_fields=None, permissions=None, tags=None, headers=None):
    headers = headers or {}
    r = details(client, headers, **(details_fields or {}))
    assert r.status_code in (200, 302), r.content.decode()
    r = client.post(
        URL, {"step": "permissions", "mode": "groups", **(permissions or {})}, headers=headers
    )
    assert r.status_code in (200, 302), r.content.decode()
    r = client.post(URL, {"step": "tags", **(tags or {})}, headers=headers)
    assert r.status_code in (200, 302), r.content.decode()
    return client.post(URL, {"step": "review"}, headers=headers)


def test_every_step_renders_and_htmx_gets_fragments(console):
    assert console.get(URL).status_code == 200
    r = details(console, HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and "Set permissions" in html
    assert r.headers["HX-Push-Url"] == URL + "?step=permissions"
    for step in ("permissions", "tags", "review"):
        page = console.get(URL, {"step": step})
        assert page.status_code == 200 and "<html" in page.content.decode(), step
        frag = console.get(URL, {"step": step}, headers=HTMX)
        assert "<html" not in frag.content.decode() and 'id="wizard"' in frag.content.decode()


def test_later_steps_need_the_first(console):
    r = console.get(URL, {"step": "review"})
    assert r.status_code == 302 and r.url == URL


def test_no_console_access_and_groups_path(console, root, group):
    create_group(actor=root, name="ops")
    r = run_wizard(
        console,
        permissions={"groups": ["developers", "ops"]},
        tags={"tag-key-0": "team", "tag-value-0": "red"},
    )
    html = r.content.decode()
    assert r.status_code == 200 and "User <strong>carol</strong> created." in html
    assert "No console access" in html and "Download .csv" not in html
    user = IamUser.objects.get(name="carol")
    assert {g.name for g in user.groups.all()} == {"developers", "ops"}
    assert user.tag_dict == {"team": "red"}
    assert user.console.login_profile_created is None
    assert WIZARD_SESSION not in console.session


def test_copy_permissions_path_copies_groups_attached_and_inline(console, root, iam_user, group):
    add_user_to_group(actor=root, group_name=group.name, user_name="alice")
    attach_user_policy(actor=root, user_name="alice", policy_arn=S3_READ)
    doc = allow_policy("sqs:SendMessage")
    put_user_policy(actor=root, user_name="alice", policy_name="sqs", document=doc)
    r = run_wizard(console, permissions={"mode": "copy", "copy_from": "alice"})
    assert r.status_code == 200
    user = IamUser.objects.get(name="carol")
    assert [g.name for g in user.groups.all()] == ["developers"]
    assert [a.policy.arn for a in PolicyAttachment.objects.filter(user=user)] == [S3_READ]
    copied = InlinePolicy.objects.get(user=user, name="sqs")
    assert json.loads(copied.document) == json.loads(
        InlinePolicy.objects.get(user=iam_user).document
    )


def test_attach_policies_path_with_a_boundary(console):
    r = run_wizard(
        console,
        permissions={"mode": "attach", "policies": [S3_READ, READ_ONLY], "boundary": S3_READ},
    )
    assert r.status_code == 200
    user = IamUser.objects.get(name="carol")
    assert {a.policy.arn for a in PolicyAttachment.objects.filter(user=user)} == {
        S3_READ,
        READ_ONLY,
    }
    assert user.permissions_boundary.arn == S3_READ


def test_generated_password_is_shown_once_and_downloads_once(console):
    r = run_wizard(
        console,
        details_fields={"console_access": "1", "password_mode": "auto", "require_reset": "1"},
    )
    html = r.content.decode()
    user = IamUser.objects.get(name="carol")
    assert user.console.login_profile_created is not None and user.console.password_reset_required
    import html as htmllib

    password = htmllib.unescape(html.split('class="mono secret-value">', 1)[1].split("<", 1)[0])
    assert len(password) >= 20 and user.console.check_password(password)
    assert "/signin/111122223333/" in html
    assert password not in console.get(reverse("accounts:user-list")).content.decode()
    csv_url = reverse("accounts:user-password-csv", args=["carol"])
    r = console.post(csv_url)
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    lines = r.content.decode().splitlines()
    assert lines[0] == "User name,Password,Console sign-in URL"
    assert (
        lines[1].startswith("carol,")
        and password in lines[1]
        and lines[1].endswith("/signin/111122223333/")
    )
    again = console.post(csv_url)
    assert again.status_code == 410 and password not in again.content.decode()


def test_custom_password_is_checked_in_place_and_never_kept(console, root):
    r = details(console, HTMX, console_access="1", password_mode="custom", password="short")
    html = r.content.decode()
    assert (
        r.status_code == 400
        and "Password should have at least 8 characters" in html
        and "<html" not in html
    )
    assert WIZARD_SESSION not in console.session or "name" not in console.session[WIZARD_SESSION]
    r = run_wizard(
        console,
        details_fields={
            "console_access": "1",
            "password_mode": "custom",
            "password": "Custom-passw0rd!",
        },
    )
    html = r.content.decode()
    assert r.status_code == 200 and "Custom-passw0rd!" not in html
    assert "Custom-passw0rd!" not in json.dumps(dict(console.session.items()))
    user = IamUser.objects.get(name="carol")
    assert user.console.check_password("Custom-passw0rd!")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"name": "bad name"}, "regular expression pattern"),
        ({"name": "ALICE"}, "User with name ALICE already exists."),
        ({"path": "nope"}, "The specified value for path is invalid."),
    ],
)
def test_details_errors_show_in_place(console, iam_user, fields, message):
    r = details(console, HTMX, **fields)
    html = r.content.decode()
    assert r.status_code == 400 and message in html and "<html" not in html


def test_permissions_errors_show_in_place(console):
    details(console)
    r = console.post(URL, {"step": "permissions", "mode": "copy"}, headers=HTMX)
    assert (
        r.status_code == 400 and "Choose the user to copy permissions from." in r.content.decode()
    )
    r = console.post(
        URL,
        {"step": "permissions", "mode": "attach", "policies": ["arn:aws:iam::aws:policy/Nope"]},
        headers=HTMX,
    )
    assert r.status_code == 400 and "does not exist or is not attachable" in r.content.decode()


def test_tag_errors_show_in_place_and_names_are_escaped(console):
    details(console)
    console.post(URL, {"step": "permissions", "mode": "groups"})
    r = console.post(
        URL, {"step": "tags", "tag-key-0": "<img src=x onerror=alert(1)>"}, headers=HTMX
    )
    html = r.content.decode()
    assert r.status_code == 400 and "<img src=x" not in html and "&lt;img src=x" in html


def test_tags_rows_can_be_added_and_removed(console):
    details(console)
    console.post(URL, {"step": "permissions", "mode": "groups"})
    r = console.post(
        URL, {"step": "tags", "tag-key-0": "a", "tag-value-0": "1", "add_row": "1"}, headers=HTMX
    )
    assert r.content.decode().count('name="tag-key-') == 3
    r = console.post(
        URL, {"step": "tags", "tag-key-0": "a", "tag-key-1": "b", "remove_row": "a"}, headers=HTMX
    )
    html = r.content.decode()
    assert 'value="b"' in html and 'value="a"' not in html


def test_xss_in_the_user_name_is_escaped(console):
    r = details(console, HTMX, name='"><script>alert(1)</script>')
    html = r.content.decode()
    assert r.status_code == 400 and "<script>alert(1)</script>" not in html


def test_previous_and_cancel(console):
    details(console)
    r = console.post(URL, {"step": "permissions", "back": "1"}, headers=HTMX)
    assert 'value="carol"' in r.content.decode()
    r = console.post(URL, {"step": "permissions", "cancel": "1"})
    assert r.status_code == 302 and WIZARD_SESSION not in console.session


def test_a_name_taken_between_steps_fails_at_creation_and_nothing_is_created(console, root):
    details(console)
    console.post(URL, {"step": "permissions", "mode": "groups"})
    console.post(URL, {"step": "tags"})
    create_user(actor=root, name="Carol")
    r = console.post(URL, {"step": "review"}, headers=HTMX)
    assert r.status_code == 409 and "User with name carol already exists." in r.content.decode()
    assert IamUser.objects.filter(name__iexact="carol").count() == 1


@pytest.fixture
def creator(root, user_console):
    """An IAM user who may create users and read everything, but not attach policies."""
    user = create_user(actor=root, name="creator")
    create_login_profile(actor=root, user_name="creator", password="Creator-password-1!")
    attach_user_policy(actor=root, user_name="creator", policy_arn=READ_ONLY)
    put_user_policy(
        actor=root,
        user_name="creator",
        policy_name="create-users",
        document=allow_policy(["iam:CreateUser", "iam:CreateLoginProfile", "iam:AddUserToGroup"]),
    )
    return user_console(user)


def test_a_failure_midway_leaves_no_user(creator, group):
    """CreateUser and AddUserToGroup are allowed, AttachUserPolicy is not: nothing stays."""
    r = run_wizard(
        creator,
        details_fields={"console_access": "1", "password_mode": "auto"},
        permissions={"mode": "attach", "policies": [S3_READ]},
    )
    html = r.content.decode()
    assert r.status_code == 403 and "is not authorized to perform: iam:AttachUserPolicy" in html
    assert not IamUser.objects.filter(name="carol").exists()
    denied = AuditEvent.objects.filter(event_name="AttachUserPolicy", allowed=False)
    assert denied.exists()  # the denial survives the rollback in the event history
    assert not AuditEvent.objects.filter(
        event_name="CreateUser", resource_arn__endswith="/carol"
    ).exists()


def test_a_group_failure_midway_leaves_no_user(console, root, group):
    details(console)
    console.post(URL, {"step": "permissions", "mode": "groups", "groups": ["developers"]})
    console.post(URL, {"step": "tags"})
    from accounts.operations.groups import delete_group

    delete_group(actor=root, name="developers")
    r = console.post(URL, {"step": "review"})
    assert (
        r.status_code == 404
        and "The group with name developers cannot be found." in r.content.decode()
    )
    assert not IamUser.objects.filter(name="carol").exists()


def test_read_only_user_cannot_create_users(readonly_console):
    r = run_wizard(readonly_console)
    assert (
        r.status_code == 403
        and "is not authorized to perform: iam:CreateUser" in r.content.decode()
    )
    assert not IamUser.objects.filter(name="carol").exists()


def test_wizard_picker_searches_in_place(console):
    details(console)
    r = console.get(
        reverse("accounts:user-create-picker"),
        {"q": "AmazonS3Read"},
        headers={**HTMX, "HX-Target": "policy-picker"},
    )
    html = r.content.decode()
    assert r.status_code == 200 and "AmazonS3ReadOnlyAccess" in html and "<html" not in html
    r = console.get(
        reverse("accounts:user-create-picker"),
        {"bq": "IAMRead"},
        headers={**HTMX, "HX-Target": "boundary-picker"},
    )
    assert 'id="boundary-picker"' in r.content.decode() and 'type="radio"' in r.content.decode()


def test_csv_quotes_a_formula_like_user_name_but_never_the_password(console):
    r = run_wizard(console, details_fields={"name": "=cmd", "console_access": "1"})
    assert r.status_code == 200
    line = (
        console.post(reverse("accounts:user-password-csv", args=["=cmd"]))
        .content.decode()
        .splitlines()[1]
    )
    user_name, password, _ = line.split(",", 2)
    assert user_name == "'=cmd" and password[0].isalpha()
    assert IamUser.objects.get(name="=cmd").console.check_password(password.strip('"'))
