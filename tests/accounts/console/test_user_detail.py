"""User detail: tabs (page and htmx fragment), permissions, groups, tags, Access Advisor,
delete, outsiders, CSRF, escaping, and a read-only IAM user who may look but not change."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import IamUser
from accounts.operations.credentials import (
    create_access_key,
    create_login_profile,
    create_virtual_mfa_device,
    enable_mfa_device,
)
from accounts.operations.groups import add_user_to_group
from accounts.operations.users import tag_user
from audit.models import AuditEvent
from policies.models import InlinePolicy, PolicyAttachment
from policies.operations import (
    attach_group_policy,
    attach_user_policy,
    create_policy,
    put_user_policy,
)
from tests.conftest import HTMX, allow_policy, signed_in

READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
TABS = ["permissions", "groups", "tags", "security-credentials", "access-advisor"]


def tab_url(name: str, tab: str) -> str:
    if tab == "permissions":
        return reverse("accounts:user-detail", args=[name])
    return reverse("accounts:user-detail-tab", args=[name, tab])


def test_every_user_page_renders_for_root(console, root, iam_user):
    put_user_policy(
        actor=root, user_name="alice", policy_name="inline1", document=allow_policy("s3:*")
    )
    key = create_access_key(actor=root, user_name="alice").key
    pages = [tab_url("alice", t) for t in TABS] + [
        reverse("accounts:user-list"),
        reverse("accounts:user-create"),
        reverse("accounts:user-delete", args=["alice"]),
        reverse("accounts:user-policy-picker", args=["alice"]),
        reverse("accounts:user-policy-picker", args=["alice"]) + "?for=boundary",
        reverse("accounts:user-inline-policy", args=["alice"]),
        reverse("accounts:user-inline-policy", args=["alice"]) + "?policy=inline1",
        reverse("accounts:user-console-access", args=["alice"]),
        reverse("accounts:user-assign-mfa", args=["alice"]),
        reverse("accounts:user-access-key-delete", args=["alice", key.access_key_id]),
    ]
    for url in pages:
        r = console.get(url)
        html = r.content.decode()
        assert r.status_code == 200, url
        assert "<html" in html and "css/users.css" in html, url
        assert " style=" not in html and "<script>" not in html, url  # CSP: nothing inline


@pytest.mark.parametrize("tab", TABS)
def test_each_tab_is_a_fragment_for_htmx(console, iam_user, tab):
    r = console.get(tab_url("alice", tab), headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and 'id="user-tab"' in html
    assert 'aria-current="page"' in html


def test_an_unknown_tab_is_404(console, iam_user):
    assert console.get("/users/alice/nothing-here/").status_code == 404


def test_unknown_user_is_404_with_aws_message(console):
    r = console.get(tab_url("nobody", "permissions"))
    assert (
        r.status_code == 404 and "The user with name nobody cannot be found." in r.content.decode()
    )


def test_permissions_tab_lists_direct_inline_and_group_policies(console, root, iam_user, group):
    attach_user_policy(actor=root, user_name="alice", policy_arn=S3_READ)
    put_user_policy(
        actor=root, user_name="alice", policy_name="mine", document=allow_policy("sqs:*")
    )
    attach_group_policy(actor=root, group_name=group.name, policy_arn=READ_ONLY)
    add_user_to_group(actor=root, group_name=group.name, user_name="alice")
    html = console.get(tab_url("alice", "permissions")).content.decode()
    assert "AmazonS3ReadOnlyAccess" in html and "mine" in html and "IAMReadOnlyAccess" in html
    assert 'Group <span class="mono">developers</span>' in html


def test_attach_and_detach_policies_in_place(console, iam_user):
    r = console.post(
        reverse("accounts:user-attach-policies", args=["alice"]),
        {"policies": [S3_READ, READ_ONLY]},
        headers=HTMX,
    )
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and "2 policies attached." in html
    assert PolicyAttachment.objects.filter(user=iam_user).count() == 2
    r = console.post(
        reverse("accounts:user-detach-policy", args=["alice"]),
        {"policy_arn": S3_READ},
        headers=HTMX,
    )
    assert r.status_code == 200 and "Policy removed." in r.content.decode()
    assert PolicyAttachment.objects.filter(user=iam_user).count() == 1


def test_attaching_a_missing_policy_attaches_none_of_them(console, iam_user):
    r = console.post(
        reverse("accounts:user-attach-policies", args=["alice"]),
        {"policies": [S3_READ, "arn:aws:iam::aws:policy/NoSuchPolicy"]},
        headers=HTMX,
    )
    assert r.status_code == 404 and "does not exist or is not attachable" in r.content.decode()
    assert not PolicyAttachment.objects.filter(user=iam_user).exists()


def test_attach_without_javascript_redirects_to_the_tab(console, iam_user):
    r = console.post(
        reverse("accounts:user-attach-policies", args=["alice"]), {"policies": [S3_READ]}
    )
    assert r.status_code == 302 and r.url == tab_url("alice", "permissions")


def test_policy_picker_searches_in_place(console, iam_user):
    url = reverse("accounts:user-policy-picker", args=["alice"])
    html = console.get(
        url, {"q": "AmazonS3Read"}, headers={**HTMX, "HX-Target": "policy-picker"}
    ).content.decode()
    assert 'id="policy-picker"' in html and "AmazonS3ReadOnlyAccess" in html and "<html" not in html
    assert "IAMReadOnlyAccess" not in html


def test_inline_policy_create_edit_and_delete(console, iam_user):
    url = reverse("accounts:user-inline-policy", args=["alice"])
    r = console.post(url, {"name": "s3", "document": allow_policy("s3:GetObject")})
    assert r.status_code == 302
    assert InlinePolicy.objects.get(user=iam_user, name="s3").document
    html = console.get(url + "?policy=s3").content.decode()
    assert "s3:GetObject" in html
    r = console.post(url + "?policy=s3", {"name": "s3", "document": "{not json"})
    assert r.status_code == 400 and "field-error" in r.content.decode()
    r = console.post(
        reverse("accounts:user-inline-delete", args=["alice"]), {"policy_name": "s3"}, headers=HTMX
    )
    assert r.status_code == 200 and not InlinePolicy.objects.filter(user=iam_user).exists()


def test_reading_a_missing_inline_policy_is_404_without_an_audit_write(console, iam_user):
    # The page's successful reads are read-only events; nothing else is written.
    writes = AuditEvent.objects.filter(read_only=False)
    before = writes.count()
    r = console.get(reverse("accounts:user-inline-policy", args=["alice"]) + "?policy=nope")
    assert r.status_code == 404 and writes.count() == before


def test_boundary_set_and_remove(console, iam_user):
    url = reverse("accounts:user-boundary", args=["alice"])
    r = console.post(url, {"boundary": S3_READ}, headers=HTMX)
    assert r.status_code == 200 and "Permissions boundary set." in r.content.decode()
    iam_user.refresh_from_db()
    assert iam_user.permissions_boundary.arn == S3_READ
    r = console.post(url, {"boundary": ""}, headers=HTMX)
    iam_user.refresh_from_db()
    assert r.status_code == 200 and iam_user.permissions_boundary is None


def test_groups_tab_adds_and_removes_memberships(console, iam_user, group):
    r = console.post(
        reverse("accounts:user-add-to-groups", args=["alice"]),
        {"groups": ["developers"]},
        headers=HTMX,
    )
    assert r.status_code == 200 and group.users.filter(pk=iam_user.pk).exists()
    assert "Added to 1 group." in r.content.decode()
    r = console.post(
        reverse("accounts:user-remove-from-group", args=["alice"]),
        {"group": "developers"},
        headers=HTMX,
    )
    assert r.status_code == 200 and not group.users.filter(pk=iam_user.pk).exists()


def test_tags_are_added_changed_and_removed(console, root, iam_user):
    tag_user(
        actor=root, name="alice", tags=[{"Key": "team", "Value": "a"}, {"Key": "old", "Value": "x"}]
    )
    url = reverse("accounts:user-tags", args=["alice"])
    r = console.post(
        url,
        {"tag-key-0": "team", "tag-value-0": "b", "tag-key-55": "new", "tag-value-55": "v"},
        headers=HTMX,
    )
    assert r.status_code == 200
    iam_user.refresh_from_db()
    assert iam_user.tag_dict == {"team": "b", "new": "v"}
    r = console.post(url, {"tag-key-0": "team", "tag-value-0": "b", "remove": "team"}, headers=HTMX)
    iam_user.refresh_from_db()
    assert iam_user.tag_dict == {"new": "v"}


def test_xss_in_a_tag_is_refused_and_escaped(console, iam_user):
    payload = "<script>alert(1)</script>"
    r = console.post(
        reverse("accounts:user-tags", args=["alice"]), {"tag-key-55": payload}, headers=HTMX
    )
    html = r.content.decode()
    assert r.status_code == 400 and payload not in html and "&lt;script&gt;" in html
    iam_user.refresh_from_db()
    assert iam_user.tags == []


def test_tag_values_render_escaped(console, root, iam_user):
    tag_user(actor=root, name="alice", tags=[{"Key": "k", "Value": "a=b+c@d/e:f"}])
    html = console.get(tab_url("alice", "tags")).content.decode()
    assert 'value="a=b+c@d/e:f"' in html


def test_access_advisor_lists_services_from_the_audit_trail(
    console, root, alice_login, user_console
):
    from accounts.operations.sts import get_caller_identity  # noqa: F401  (sts exists)

    client = user_console(alice_login)
    client.get(reverse("accounts:user-list"))  # denied ListUsers: an iam attempt by alice
    html = console.get(tab_url("alice", "access-advisor")).content.decode()
    row = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "(iam)" in row and "Identity and Access Management" in row


def test_delete_user_asks_for_the_name_then_cleans_up_everything(
    console, root, iam_user, group, clock
):
    from accounts.models import AccessKey, MfaDevice
    from accounts.totp import code_at

    create_login_profile(actor=root, user_name="alice", password="Passw0rd-long!")
    create_access_key(actor=root, user_name="alice")
    add_user_to_group(actor=root, group_name=group.name, user_name="alice")
    attach_user_policy(actor=root, user_name="alice", policy_arn=S3_READ)
    put_user_policy(actor=root, user_name="alice", policy_name="p", document=allow_policy("s3:*"))
    new = create_virtual_mfa_device(actor=root, name="alice-mfa")
    enable_mfa_device(
        actor=root,
        user_name="alice",
        serial_number=new.device.serial_number,
        code1=code_at(new.seed, clock.step - 1),
        code2=code_at(new.seed, clock.step),
    )
    url = reverse("accounts:user-delete", args=["alice"])
    assert "To confirm deletion" in console.get(url).content.decode()
    r = console.post(url, {"confirm": "ALICE"}, headers=HTMX)
    assert r.status_code == 400 and IamUser.objects.filter(name="alice").exists()
    r = console.post(url, {"confirm": "alice"})
    assert r.status_code == 302 and r.url == reverse("accounts:user-list")
    assert not IamUser.objects.filter(name="alice").exists()
    assert not AccessKey.objects.filter(user_id=iam_user.pk).exists()
    assert not MfaDevice.objects.filter(serial_number=new.device.serial_number).exists()
    assert not InlinePolicy.objects.filter(user_id=iam_user.pk).exists()


def test_htmx_delete_redirects_the_whole_page(console, iam_user):
    r = console.post(
        reverse("accounts:user-delete", args=["alice"]), {"confirm": "alice"}, headers=HTMX
    )
    assert r.status_code == 200 and r.headers["HX-Redirect"] == reverse("accounts:user-list")


def user_urls(key_id: str) -> list[str]:
    names = [
        ("accounts:user-detail", ["alice"]),
        ("accounts:user-delete", ["alice"]),
        ("accounts:user-policy-picker", ["alice"]),
        ("accounts:user-attach-policies", ["alice"]),
        ("accounts:user-detach-policy", ["alice"]),
        ("accounts:user-boundary", ["alice"]),
        ("accounts:user-inline-policy", ["alice"]),
        ("accounts:user-inline-delete", ["alice"]),
        ("accounts:user-add-to-groups", ["alice"]),
        ("accounts:user-remove-from-group", ["alice"]),
        ("accounts:user-tags", ["alice"]),
        ("accounts:user-console-access", ["alice"]),
        ("accounts:user-password-csv", ["alice"]),
        ("accounts:user-create-access-key", ["alice"]),
        ("accounts:user-access-key-csv", ["alice", key_id]),
        ("accounts:user-access-key-status", ["alice", key_id]),
        ("accounts:user-access-key-delete", ["alice", key_id]),
        ("accounts:user-assign-mfa", ["alice"]),
        ("accounts:user-confirm-mfa", ["alice"]),
        ("accounts:user-remove-mfa", ["alice"]),
    ]
    return [reverse(n, args=a) for n, a in names] + [tab_url("alice", t) for t in TABS[1:]]


def test_an_outsider_gets_404_for_every_user_url(root, iam_user, outsider_console):
    key = create_access_key(actor=root, user_name="alice").key
    outsider = outsider_console
    for url in user_urls(key.access_key_id):
        for method in ("get", "post"):
            r = getattr(outsider, method)(
                url, {"confirm": "alice", "policies": S3_READ, "groups": "developers"}
            )
            if r.status_code == 405:
                continue
            assert r.status_code == 404, (method, url, r.status_code)
            assert key.access_key_id not in r.content.decode() or "access-keys" in url
    assert IamUser.objects.filter(name="alice").exists()


def test_post_without_csrf_token_is_refused(root, totp_device, iam_user):
    strict = signed_in(Client(enforce_csrf_checks=True), root, device=totp_device)
    for url in user_urls("AKIAXXXXXXXXXXXXXXXX") + [reverse("accounts:user-create")]:
        assert strict.post(url, {"confirm": "alice"}).status_code == 403, url
    assert IamUser.objects.filter(name="alice").exists()


# -- a read-only IAM user ------------------------------------------------------------------


def test_read_only_user_sees_every_tab(readonly_console, root, iam_user):
    create_access_key(actor=root, user_name="alice")
    for tab in TABS:
        r = readonly_console.get(tab_url("alice", tab))
        assert r.status_code == 200, tab
        assert "is not authorized" not in r.content.decode(), tab
    assert readonly_console.get(reverse("accounts:user-list")).status_code == 200


def test_read_only_user_changes_are_refused_with_aws_access_denied(
    readonly_console, root, iam_user, group
):
    key = create_access_key(actor=root, user_name="alice").key
    attempts = [
        (reverse("accounts:user-attach-policies", args=["alice"]), {"policies": S3_READ}),
        (reverse("accounts:user-boundary", args=["alice"]), {"boundary": S3_READ}),
        (reverse("accounts:user-add-to-groups", args=["alice"]), {"groups": "developers"}),
        (
            reverse("accounts:user-tags", args=["alice"]),
            {"tag-key-55": "k", "tag-value-55": "v"},
        ),
        (
            reverse("accounts:user-inline-policy", args=["alice"]),
            {"name": "p", "document": allow_policy()},
        ),
        (
            reverse("accounts:user-console-access", args=["alice"]),
            {"action": "enable", "password_mode": "auto"},
        ),
        (
            reverse("accounts:user-access-key-status", args=["alice", key.access_key_id]),
            {"status": "Inactive"},
        ),
        (
            reverse("accounts:user-access-key-delete", args=["alice", key.access_key_id]),
            {"confirm": key.access_key_id},
        ),
        (reverse("accounts:user-create-access-key", args=["alice"]), {}),
        (reverse("accounts:user-assign-mfa", args=["alice"]), {"device_name": "alice"}),
        (reverse("accounts:user-delete", args=["alice"]), {"confirm": "alice"}),
    ]
    for url, data in attempts:
        for headers in ({}, HTMX):
            r = readonly_console.post(url, data, headers=headers)
            html = r.content.decode()
            assert r.status_code == 403, (url, r.status_code)
            assert (
                "User: arn:aws:iam::111122223333:user/reader is not authorized to perform: iam:"
                in html
            ), url
    iam_user.refresh_from_db()
    assert iam_user.tags == [] and iam_user.permissions_boundary is None
    assert IamUser.objects.filter(name="alice").exists()
    assert not PolicyAttachment.objects.filter(user=iam_user).exists()
    assert AuditEvent.objects.filter(actor_arn__endswith=":user/reader", allowed=False).exists()


def test_custom_managed_policy_link_goes_to_the_policy_page(console, root, iam_user):
    policy = create_policy(actor=root, name="Mine", document=allow_policy("s3:*"))
    attach_user_policy(actor=root, user_name="alice", policy_arn=policy.arn)
    html = console.get(tab_url("alice", "permissions")).content.decode()
    assert reverse("policies:policy-detail", args=[policy.policy_id]) in html
    assert json.loads(allow_policy("s3:*"))


def test_enter_in_a_tag_field_saves_instead_of_removing_a_row(console, root, iam_user):
    tag_user(actor=root, name="alice", tags=[{"Key": "team", "Value": "a"}])
    html = console.get(tab_url("alice", "tags")).content.decode()
    form = html.split('class="tag-editor"', 1)[1]
    first_button = form.split("<button", 1)[1].split(">", 1)[0]
    assert 'name="remove"' not in first_button


def test_console_password_enable_reset_and_disable(console, iam_user):
    import html as htmllib

    url = reverse("accounts:user-console-access", args=["alice"])
    r = console.post(
        url, {"action": "enable", "password_mode": "auto", "require_reset": "1"}, headers=HTMX
    )
    page = r.content.decode()
    assert r.status_code == 200 and "Console access enabled." in page
    password = htmllib.unescape(page.split('class="mono secret-value">', 1)[1].split("<", 1)[0])
    iam_user.console.refresh_from_db()
    assert iam_user.console.check_password(password) and iam_user.console.password_reset_required
    r = console.post(
        url, {"action": "reset", "password_mode": "custom", "password": "x"}, headers=HTMX
    )
    assert (
        r.status_code == 400 and "Password should have at least 8 characters" in r.content.decode()
    )
    r = console.post(
        url,
        {"action": "reset", "password_mode": "custom", "password": "New-passw0rd!"},
        headers=HTMX,
    )
    assert r.status_code == 200 and "New-passw0rd!" not in r.content.decode()
    iam_user.console.refresh_from_db()
    assert (
        iam_user.console.check_password("New-passw0rd!")
        and not iam_user.console.password_reset_required
    )
    r = console.post(url, {"action": "disable"}, headers=HTMX)
    iam_user.console.refresh_from_db()
    assert r.status_code == 200 and iam_user.console.login_profile_created is None
