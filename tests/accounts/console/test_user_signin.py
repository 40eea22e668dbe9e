"""IAM user sign-in: /signin/<account>/, MFA step, forced password change, throttling."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import IamUser
from accounts.operations.account import (
    create_account_alias,
    update_account_password_policy,
)
from accounts.operations.credentials import create_login_profile
from accounts.operations.users import create_user
from accounts.pages.user_signin import user_key
from accounts.totp import code_at
from audit.models import AuditEvent
from iamconsole.console import IDENTITY_KEY, MFA_AUTH_TIME_KEY, principal_of
from iamconsole.middleware import SESSION_STARTED_KEY
from policies.operations import attach_user_policy
from tests.conftest import HTMX, TOTP_SEED, USER_PASSWORD

ACCOUNT = "111122223333"
CHANGE_PASSWORD_POLICY = "arn:aws:iam::aws:policy/IAMUserChangePassword"


def signin_url(account: str = ACCOUNT) -> str:
    return reverse("accounts:user-signin", args=[account])


def sign_in(client: Client, name: str = "alice", password: str = USER_PASSWORD, account=ACCOUNT):
    return client.post(
        signin_url(account), {"account": account, "username": name, "password": password}
    )


def signed_in(client: Client) -> bool:
    """The console opens (the dashboard itself may answer 403 to a user without
    iam:GetAccountSummary: that is the user's permissions, not the sign-in)."""
    return client.get("/").status_code in (200, 403)


def without_tokens(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)


def test_signin_page_prefills_the_account_from_the_url(client, account):
    r = client.get(signin_url())
    html = r.content.decode()
    assert r.status_code == 200
    assert f'value="{ACCOUNT}"' in html and 'name="username"' in html


def test_iam_user_signs_in_with_password_alone_when_they_have_no_mfa_device(client, alice_login):
    before = client.session.session_key
    r = sign_in(client)
    assert r.status_code == 302 and r.url == reverse("iamconsole:dashboard")
    session = client.session
    assert session.session_key != before
    assert session[IDENTITY_KEY]["kind"] == "user"
    assert session[IDENTITY_KEY]["user_id"] == alice_login.pk
    assert SESSION_STARTED_KEY in session and DEVICE_ID_SESSION_KEY not in session
    r = client.get("/")
    assert r.status_code == 200  # alice has no policy: the dashboard's panels say denied
    html = r.content.decode()
    assert "alice" in html and ACCOUNT in html
    assert "iam:GetAccountSummary" in html


def test_password_only_principal_is_not_mfa_authenticated(client, alice_login, rf):
    sign_in(client)
    r = client.get("/")
    principal = r.wsgi_request.principal
    assert principal.kind == "user" and principal.arn == alice_login.arn
    assert principal.mfa_authenticated is False and principal.mfa_auth_time is None


def test_signin_by_account_alias(client, root, alice_login):
    create_account_alias(actor=root, alias="example-lab")
    r = sign_in(client, account="example-lab")
    assert r.status_code == 302 and r.url == reverse("iamconsole:dashboard")


def test_signin_updates_password_last_used_and_records_console_login(client, alice_login):
    assert alice_login.password_last_used is None
    sign_in(client)
    alice_login.refresh_from_db()
    assert alice_login.password_last_used is not None
    event = AuditEvent.objects.get(event_name="ConsoleLogin", allowed=True)
    assert event.actor_arn == alice_login.arn and event.account_id == ACCOUNT
    assert event.request == {"ConsoleLogin": "Success", "MFAUsed": "No"}
    assert event.event_source == "signin.amazonaws.com"


def test_user_with_mfa_device_passes_a_real_totp_code(client, user_totp_device, clock):
    r = sign_in(client)
    assert r.status_code == 302 and r.url == reverse("accounts:user-signin-mfa")
    after_password = client.session.session_key
    # The console stays closed until the code is given.
    r = client.get("/")
    assert r.status_code == 302 and r.url.startswith(reverse("accounts:user-signin-mfa"))

    r = client.post(reverse("accounts:user-signin-mfa"), {"code": code_at(TOTP_SEED, clock.step)})
    assert r.status_code == 302 and r.url == reverse("iamconsole:dashboard")
    session = client.session
    assert session.session_key != after_password
    assert session[DEVICE_ID_SESSION_KEY] == user_totp_device.persistent_id
    assert MFA_AUTH_TIME_KEY in session
    r = client.get("/")
    assert r.status_code in (200, 403)
    assert r.wsgi_request.principal.mfa_authenticated is True
    event = AuditEvent.objects.get(event_name="ConsoleLogin", allowed=True)
    assert event.request["MFAUsed"] == "Yes"


def test_wrong_mfa_code_is_refused_and_audited(client, user_totp_device, clock):
    sign_in(client)
    wrong = "000000" if code_at(TOTP_SEED, clock.step) != "000000" else "111111"
    r = client.post(reverse("accounts:user-signin-mfa"), {"code": wrong})
    assert r.status_code == 200
    assert "Your authentication information is incorrect" in r.content.decode()
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(event_name="ConsoleLogin", allowed=False).count() == 1


def test_a_used_mfa_code_is_refused_the_second_time(user_totp_device, clock):
    code = code_at(TOTP_SEED, clock.step)
    first, second = Client(), Client()
    sign_in(first)
    first.post(reverse("accounts:user-signin-mfa"), {"code": code})
    sign_in(second)
    clock.advance(1)
    r = second.post(reverse("accounts:user-signin-mfa"), {"code": code})
    assert r.status_code == 200 and "incorrect" in r.content.decode()


def test_unknown_account_unknown_user_and_wrong_password_look_identical(client, alice_login, root):
    create_user(actor=root, name="bob")  # exists, no login profile: programmatic only
    pages = [
        sign_in(Client(), account="999988887777"),
        sign_in(Client(), name="nobody"),
        sign_in(Client(), password="wrong-password"),
        sign_in(Client(), name="bob", password=USER_PASSWORD),
    ]
    bodies = set()
    for r in pages:
        assert r.status_code == 200
        html = without_tokens(r.content.decode())
        assert "Your authentication information is incorrect" in html
        bodies.add(
            html.replace("999988887777", ACCOUNT)
            .replace("nobody", "X")
            .replace("bob", "X")
            .replace("alice", "X")
        )
    assert len(bodies) == 1


def test_user_without_login_profile_cannot_sign_in_whatever_their_keys(client, root, iam_user):
    from accounts.operations.credentials import create_access_key

    create_access_key(actor=root, user_name="alice")
    r = sign_in(client, password="")
    assert r.status_code == 200
    r = sign_in(client)
    assert r.status_code == 200 and "incorrect" in r.content.decode()
    assert client.get("/").status_code == 302


def test_failed_signins_are_audited_in_the_account_with_hidden_unknown_names(client, alice_login):
    sign_in(client, password="wrong-password")
    sign_in(client, name="nobody")
    failures = AuditEvent.objects.filter(event_name="ConsoleLogin", allowed=False)
    arns = sorted(failures.values_list("actor_arn", flat=True))
    assert arns == sorted(
        [alice_login.arn, f"arn:aws:iam::{ACCOUNT}:user/HIDDEN_DUE_TO_SECURITY_REASONS"]
    )
    assert all(e.error_code == "AccessDenied" for e in failures)


def test_failed_attempts_are_throttled_per_account_and_user(client, alice_login, clock):
    for _ in range(5):
        assert sign_in(client, password="wrong-password").status_code == 200
    r = sign_in(client)  # the right password, but too soon
    assert r.status_code == 429 and "Too many failed sign-in attempts" in r.content.decode()
    assert int(r["Retry-After"]) >= 1
    # Another user of the same account is not slowed down by alice's failures.
    assert user_key(ACCOUNT, "alice") != user_key(ACCOUNT, "bob")
    clock.advance(2)
    r = sign_in(client)
    assert r.status_code == 302


def test_unknown_users_are_throttled_alike(client, account, clock):
    for _ in range(5):
        sign_in(client, name="ghost", password="x")
    assert sign_in(client, name="ghost", password="x").status_code == 429


def test_forced_password_change_before_any_console_page(client, root, iam_user):
    create_login_profile(
        actor=root, user_name="alice", password=USER_PASSWORD, password_reset_required=True
    )
    attach_user_policy(actor=root, user_name="alice", policy_arn=CHANGE_PASSWORD_POLICY)
    r = sign_in(client)
    change = reverse("accounts:user-signin-change-password")
    assert r.status_code == 302 and r.url == change
    for page in ("/", "/account/", "/events/", "/switchrole/"):
        r = client.get(page)
        assert r.status_code == 302 and r.url.startswith(change), page

    r = client.post(
        change,
        {
            "old_password": USER_PASSWORD,
            "new_password1": "Brand-new-password-2",
            "new_password2": "Brand-new-password-2",
        },
    )
    assert r.status_code == 302 and r.url == reverse("iamconsole:dashboard")
    console = IamUser.objects.get(pk=iam_user.pk).console
    assert console.password_reset_required is False
    assert console.check_password("Brand-new-password-2")
    assert signed_in(client)
    assert AuditEvent.objects.filter(event_name="ChangePassword", allowed=True).exists()


def test_forced_password_change_refuses_policy_violations_in_place(client, root, iam_user):
    update_account_password_policy(
        actor=root, minimum_password_length=14, require_numbers=True, require_symbols=True
    )
    create_login_profile(
        actor=root,
        user_name="alice",
        password="Old-password-number-1",
        password_reset_required=True,
    )
    attach_user_policy(actor=root, user_name="alice", policy_arn=CHANGE_PASSWORD_POLICY)
    sign_in(client, password="Old-password-number-1")
    change = reverse("accounts:user-signin-change-password")
    r = client.post(
        change,
        {
            "old_password": "Old-password-number-1",
            "new_password1": "short",
            "new_password2": "short",
        },
        headers=HTMX,
    )
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html
    assert "Password should have at least 14 characters" in html
    assert "Password should have at least one number" in html
    assert "Password should have at least one symbol" in html
    assert IamUser.objects.get(pk=iam_user.pk).console.password_reset_required
    assert client.get("/").status_code == 302


def test_forced_change_with_a_wrong_old_password_is_refused(client, root, iam_user):
    create_login_profile(
        actor=root, user_name="alice", password=USER_PASSWORD, password_reset_required=True
    )
    attach_user_policy(actor=root, user_name="alice", policy_arn=CHANGE_PASSWORD_POLICY)
    sign_in(client)
    r = client.post(
        reverse("accounts:user-signin-change-password"),
        {
            "old_password": "nope",
            "new_password1": "Brand-new-pass-3",
            "new_password2": "Brand-new-pass-3",
        },
    )
    assert r.status_code == 200 and "The old password was incorrect." in r.content.decode()


def test_forced_change_without_permission_shows_access_denied(client, root, iam_user):
    create_login_profile(
        actor=root, user_name="alice", password=USER_PASSWORD, password_reset_required=True
    )
    sign_in(client)
    r = client.post(
        reverse("accounts:user-signin-change-password"),
        {
            "old_password": USER_PASSWORD,
            "new_password1": "Brand-new-pass-3",
            "new_password2": "Brand-new-pass-3",
        },
    )
    html = r.content.decode()
    assert r.status_code == 403
    assert "is not authorized to perform: iam:ChangePassword" in html


def test_mfa_comes_before_the_forced_password_change(client, root, user_totp_device, clock):
    from accounts.models import ConsoleUser

    ConsoleUser.objects.filter(pk=user_totp_device.user_id).update(password_reset_required=True)
    r = sign_in(client)
    assert r.url == reverse("accounts:user-signin-mfa")
    r = client.get(reverse("accounts:user-signin-change-password"))
    assert r.status_code == 302 and r.url == reverse("accounts:user-signin-mfa")
    r = client.post(reverse("accounts:user-signin-mfa"), {"code": code_at(TOTP_SEED, clock.step)})
    assert r.url == reverse("accounts:user-signin-change-password")


def test_next_url_survives_the_signin(client, alice_login):
    client.get(signin_url(), {"next": "/account/"})
    r = sign_in(client)
    assert r.url == "/account/"


def test_next_url_to_another_site_is_ignored(client, alice_login):
    client.get(signin_url(), {"next": "https://evil.example/"})
    assert sign_in(client).url == reverse("iamconsole:dashboard")


def test_user_typed_values_are_escaped(client, account):
    r = client.get("/signin/%3Cscript%3Ealert(1)%3C%2Fscript%3E/")
    html = r.content.decode()
    assert r.status_code in (200, 404) and "<script>alert(1)" not in html
    r = client.get(signin_url('"><img src=x onerror=alert(1)>'))
    html = r.content.decode()
    assert r.status_code == 200 and "<img src=x" not in html


def test_signin_post_requires_csrf(alice_login):
    c = Client(enforce_csrf_checks=True)
    assert sign_in(c).status_code == 403


def test_user_console_fixture_builds_the_same_session_as_the_signin(user_console, user_totp_device):
    c = user_console(user_totp_device.iam_user)
    r = c.get("/")
    assert r.status_code == 200  # signed in; the summary panel says access denied
    assert "not authorized to perform: iam:GetAccountSummary" in r.content.decode()
    assert principal_of(r.wsgi_request).mfa_authenticated is True
    owed = user_console(user_totp_device.iam_user, mfa=False)
    assert owed.get("/").url.startswith(reverse("accounts:user-signin-mfa"))


def test_user_console_fixture_refuses_users_without_login_profile(user_console, iam_user):
    with pytest.raises(ValueError):
        user_console(iam_user)


def test_deleting_the_login_profile_ends_the_console_session(client, root, alice_login):
    from accounts.operations.credentials import delete_login_profile

    sign_in(client)
    assert signed_in(client)
    delete_login_profile(actor=root, user_name="alice")
    assert client.get("/").status_code == 302
