"""Account settings: alias, password policy, root MFA, sign-in URL; IAM users' permissions."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from accounts.models import Account, PasswordPolicy
from accounts.operations.account import create_account_alias, update_account_password_policy
from accounts.totp import code_at
from audit.models import AuditEvent
from policies.operations import attach_user_policy
from tests.conftest import HTMX, TOTP_SEED, signed_in

ACCOUNT = "111122223333"
IAM_READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
IAM_FULL = "arn:aws:iam::aws:policy/IAMFullAccess"
PAGE = "/account/"


def policy_post(**overrides):
    data = {
        "minimum_password_length": "12",
        "require_uppercase_characters": "on",
        "require_numbers": "on",
        "expire_passwords": "on",
        "max_password_age": "90",
        "allow_users_to_change_password": "on",
        "prevent_reuse": "on",
        "password_reuse_prevention": "5",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_root_sees_account_id_alias_policy_mfa_and_signin_url(console, account, totp_device):
    r = console.get(PAGE)
    html = r.content.decode()
    assert r.status_code == 200
    assert ACCOUNT in html
    assert f"http://testserver/signin/{ACCOUNT}/" in html
    assert "IAM default password policy" in html
    assert totp_device.serial_number in html
    assert "settings.css" in html


def test_root_creates_changes_and_deletes_the_alias(console, account):
    r = console.post(reverse("accounts:account-alias"), {"alias": "training-lab"})
    assert r.status_code == 302 and r.url == PAGE
    account.refresh_from_db()
    assert account.alias == "training-lab"
    html = console.get(PAGE).content.decode()
    assert "http://testserver/signin/training-lab/" in html
    assert "The account alias is now training-lab." in html

    r = console.post(reverse("accounts:account-alias"), {"alias": "lab-two"}, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and 'id="settings-alias"' in html
    assert "/signin/lab-two/" in html
    assert Account.objects.get(pk=ACCOUNT).alias == "lab-two"

    r = console.post(reverse("accounts:account-alias-delete"), {"alias": "lab-two"}, headers=HTMX)
    assert r.status_code == 200 and f"/signin/{ACCOUNT}/" in r.content.decode()
    assert Account.objects.get(pk=ACCOUNT).alias is None
    names = list(
        AuditEvent.objects.filter(account_id=ACCOUNT, event_name__endswith="AccountAlias")
        .order_by("id")
        .values_list("event_name", flat=True)
    )
    assert names == ["CreateAccountAlias", "CreateAccountAlias", "DeleteAccountAlias"]


def test_invalid_alias_shows_awss_validation_error_in_place(console, account):
    r = console.post(reverse("accounts:account-alias"), {"alias": "Bad_Alias"}, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 400 and "<html" not in html
    assert "failed to satisfy constraint" in html and "accountAlias" in html
    r = console.post(reverse("accounts:account-alias"), {"alias": "123456789012"}, headers=HTMX)
    assert r.status_code == 400 and "cannot be a 12-digit number" in r.content.decode()


def test_alias_taken_by_another_account_is_entity_already_exists(console, account, outsider):
    create_account_alias(actor=outsider, alias="taken-alias")
    r = console.post(reverse("accounts:account-alias"), {"alias": "taken-alias"})
    assert r.status_code == 409
    assert "The account alias taken-alias already exists." in r.content.decode()


def test_deleting_an_alias_that_is_not_ours_is_no_such_entity(console, account, root):
    create_account_alias(actor=root, alias="ours")
    r = console.post(reverse("accounts:account-alias-delete"), {"alias": "other"}, headers=HTMX)
    assert r.status_code == 404 and "The account alias other cannot be found." in r.content.decode()
    assert Account.objects.get(pk=ACCOUNT).alias == "ours"


def test_root_saves_every_password_policy_field(console, account):
    r = console.post(
        reverse("accounts:account-password-policy"),
        policy_post(require_symbols="on", require_lowercase_characters="on", hard_expiry="on"),
    )
    assert r.status_code == 302
    p = PasswordPolicy.objects.get(account=account)
    assert p.minimum_password_length == 12
    assert p.require_uppercase_characters and p.require_lowercase_characters
    assert p.require_numbers and p.require_symbols
    assert p.max_password_age == 90 and p.hard_expiry
    assert p.allow_users_to_change_password and p.password_reuse_prevention == 5
    html = console.get(PAGE).content.decode()
    assert "custom password policy" in html and "Remembers the last <strong>5</strong>" in html


def test_unchecked_expiry_and_reuse_clear_their_numbers(console, account, root):
    update_account_password_policy(actor=root, max_password_age=30, password_reuse_prevention=3)
    console.post(
        reverse("accounts:account-password-policy"),
        policy_post(expire_passwords=None, prevent_reuse=None),
    )
    p = PasswordPolicy.objects.get(account=account)
    assert p.max_password_age is None and p.password_reuse_prevention is None


def test_password_policy_out_of_awss_ranges_is_refused_in_place(console, account):
    cases = [
        ({"minimum_password_length": "5"}, "from 6 to 128"),
        ({"minimum_password_length": "129"}, "from 6 to 128"),
        ({"max_password_age": "1096"}, "from 1 to 1095"),
        ({"max_password_age": "0"}, "from 1 to 1095"),
        ({"password_reuse_prevention": "25"}, "from 1 to 24"),
        ({"max_password_age": ""}, "from 1 to 1095"),
        ({"minimum_password_length": "abc"}, "from 6 to 128"),
    ]
    for overrides, message in cases:
        r = console.post(
            reverse("accounts:account-password-policy"), policy_post(**overrides), headers=HTMX
        )
        html = r.content.decode()
        assert r.status_code == 400, overrides
        assert "<html" not in html and 'id="settings-policy"' in html
        assert message in html, overrides
        assert 'details class="policy-edit" open' in html
    assert not PasswordPolicy.objects.filter(account=account).exists()


def test_reset_to_default_deletes_the_policy_and_twice_is_no_such_entity(console, account, root):
    update_account_password_policy(actor=root, minimum_password_length=10)
    url = reverse("accounts:account-password-policy-delete")
    r = console.post(url, headers=HTMX)
    assert r.status_code == 200 and "IAM default password policy" in r.content.decode()
    r = console.post(url, headers=HTMX)
    assert r.status_code == 404
    # DeleteAccountPasswordPolicy's own text in AWS (not GetAccountPasswordPolicy's).
    assert "The account policy with name PasswordPolicy cannot be found." in r.content.decode()


def test_root_resyncs_its_mfa_device(console, totp_device, clock):
    url = reverse("accounts:account-root-mfa-resync")
    data = {
        "serial_number": totp_device.serial_number,
        "code1": code_at(TOTP_SEED, clock.step + 1),
        "code2": code_at(TOTP_SEED, clock.step + 2),
    }
    clock.advance(60)
    r = console.post(url, data, headers=HTMX)
    assert r.status_code == 200 and "resynchronized" in r.content.decode()
    totp_device.refresh_from_db()
    assert totp_device.last_t == clock.step


def test_wrong_resync_codes_are_invalid_authentication_code(console, totp_device, clock):
    r = console.post(
        reverse("accounts:account-root-mfa-resync"),
        {"serial_number": totp_device.serial_number, "code1": "000000", "code2": "000001"},
        headers=HTMX,
    )
    assert r.status_code == 403
    assert "Authentication code for device is not valid." in r.content.decode()


def test_read_only_user_sees_settings_but_changes_are_access_denied(
    user_console, root, alice_login
):
    create_account_alias(actor=root, alias="seen-alias")
    update_account_password_policy(actor=root, minimum_password_length=14)
    attach_user_policy(actor=root, user_name="alice", policy_arn=IAM_READ_ONLY)
    c = user_console(alice_login)
    r = c.get(PAGE)
    html = r.content.decode()
    assert r.status_code == 200
    assert "seen-alias" in html and "<strong>14</strong>" in html
    assert "Only the root user can view and manage the root user" in html

    denied = [
        (reverse("accounts:account-alias"), {"alias": "mine-now"}, "iam:CreateAccountAlias"),
        (
            reverse("accounts:account-alias-delete"),
            {"alias": "seen-alias"},
            "iam:DeleteAccountAlias",
        ),
        (
            reverse("accounts:account-password-policy"),
            policy_post(),
            "iam:UpdateAccountPasswordPolicy",
        ),
        (reverse("accounts:account-password-policy-delete"), {}, "iam:DeleteAccountPasswordPolicy"),
    ]
    for url, data, action in denied:
        for headers in ({}, HTMX):
            r = c.post(url, data, headers=headers)
            html = r.content.decode()
            assert r.status_code == 403, url
            assert (
                f"User: {alice_login.arn} is not authorized to perform: {action} on resource: *"
                in html
            )
    assert Account.objects.get(pk=ACCOUNT).alias == "seen-alias"
    assert PasswordPolicy.objects.get(account_id=ACCOUNT).minimum_password_length == 14
    assert (
        AuditEvent.objects.filter(
            actor_arn=alice_login.arn, allowed=False, error_code="AccessDenied"
        ).count()
        == 8
    )


def test_iam_user_cannot_resync_the_root_device(user_console, root, alice_login, totp_device):
    attach_user_policy(actor=root, user_name="alice", policy_arn=IAM_FULL)
    c = user_console(alice_login)
    r = c.post(
        reverse("accounts:account-root-mfa-resync"),
        {"serial_number": totp_device.serial_number, "code1": "123456", "code2": "654321"},
    )
    assert r.status_code == 403 and "Only the root user" in r.content.decode()


def test_user_with_full_access_changes_the_alias(user_console, root, alice_login):
    attach_user_policy(actor=root, user_name="alice", policy_arn=IAM_FULL)
    c = user_console(alice_login)
    assert c.post(reverse("accounts:account-alias"), {"alias": "by-alice"}).status_code == 302
    assert Account.objects.get(pk=ACCOUNT).alias == "by-alice"


def test_user_without_read_permissions_sees_what_is_denied(user_console, alice_login):
    c = user_console(alice_login)
    r = c.get(PAGE)
    html = r.content.decode()
    assert r.status_code == 403  # nothing on the page may be read: the page is refused
    assert "not authorized to perform: iam:ListAccountAliases" in html
    assert "not authorized to perform: iam:GetAccountPasswordPolicy" in html


def test_settings_need_signin_and_csrf_and_get_changes_nothing(client, account, root, totp_device):
    assert client.get(PAGE).status_code == 302
    c = signed_in(Client(enforce_csrf_checks=True), root, device=totp_device)
    assert c.post(reverse("accounts:account-alias"), {"alias": "no-csrf"}).status_code == 403
    assert c.get(reverse("accounts:account-alias")).status_code == 405
    assert Account.objects.get(pk=ACCOUNT).alias is None


def test_alias_is_escaped(console, account):
    r = console.post(
        reverse("accounts:account-alias"), {"alias": "<script>alert(1)</script>"}, headers=HTMX
    )
    assert r.status_code == 400 and "<script>alert(1)</script>" not in r.content.decode()


def test_role_session_settings_show_the_roles_account(
    user_console, root, alice_login, other_account, outsider
):
    import json

    from accounts.operations.roles import create_role
    from policies.operations import attach_role_policy, put_user_policy
    from tests.conftest import allow_policy

    create_account_alias(actor=outsider, alias="partner")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": alice_login.arn}, "Action": "sts:AssumeRole"}
        ],
    }
    create_role(actor=outsider, name="Admin", trust_policy=json.dumps(trust))
    attach_role_policy(actor=outsider, role_name="Admin", policy_arn=IAM_READ_ONLY)
    put_user_policy(
        actor=root, user_name="alice", policy_name="sts", document=allow_policy("sts:AssumeRole")
    )
    c = user_console(alice_login)
    c.post(reverse("accounts:switch-role"), {"account": "partner", "role": "Admin"})
    html = c.get(PAGE).content.decode()
    assert "444455556666" in html and "/signin/partner/" in html
