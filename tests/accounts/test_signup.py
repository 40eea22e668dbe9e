"""Root sign-up: a new account and its root user, then MFA enrollment."""

from __future__ import annotations

from django.contrib.auth.hashers import identify_hasher
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import Account, ConsoleUser
from iamconsole.console import IDENTITY_KEY
from iamconsole.middleware import SESSION_STARTED_KEY

SIGNUP = "accounts:signup"
GOOD = {
    "email": "New.Owner@example.com",
    "password1": "Str0ng-password",
    "password2": "Str0ng-password",
    "alias": "new-owner",
}


def test_signup_page_renders(client, db):
    r = client.get(reverse(SIGNUP))
    assert r.status_code == 200 and "Create account" in r.content.decode()


def test_signup_creates_account_and_root_then_asks_for_mfa(client, db):
    r = client.post(reverse(SIGNUP), GOOD)
    assert r.status_code == 302 and r.url == reverse("accounts:signin-mfa-enroll")
    root = ConsoleUser.objects.get(username="root:new.owner@example.com")
    assert root.is_root and root.account.alias == "new-owner"
    assert len(root.account.id) == 12 and root.account.id.isdigit()
    assert identify_hasher(root.password).algorithm == "argon2"
    session = client.session
    assert session[IDENTITY_KEY] == {"kind": "root"} and SESSION_STARTED_KEY in session
    assert DEVICE_ID_SESSION_KEY not in session
    assert client.get("/").status_code == 302  # no console before MFA
    assert client.get(r.url).status_code == 200


def test_signup_without_alias(client, db):
    data = {**GOOD, "alias": ""}
    assert client.post(reverse(SIGNUP), data).status_code == 302
    assert Account.objects.get().alias is None


def test_passwords_must_match(client, db):
    r = client.post(reverse(SIGNUP), {**GOOD, "password2": "Str0ng-passwordX"})
    assert r.status_code == 200 and "do not match" in r.content.decode()
    assert not Account.objects.exists()


def test_weak_root_passwords_are_refused(client, db):
    for weak in ["short1!", "alllowercaseletters", "lowercase-only-and-symbols"]:
        r = client.post(reverse(SIGNUP), {**GOOD, "password1": weak, "password2": weak})
        assert r.status_code == 200
    assert not Account.objects.exists()


def test_an_email_signs_up_once(client, account):
    data = {**GOOD, "email": "ROOT@example.com", "alias": ""}
    r = client.post(reverse(SIGNUP), data)
    assert r.status_code == 200 and "already exists" in r.content.decode()
    assert Account.objects.count() == 1


def test_invalid_and_taken_aliases_are_refused(client, account):
    account.alias = "taken"
    account.save()
    for alias in ["Bad_Alias", "ab", "123456789012", "taken"]:
        r = client.post(reverse(SIGNUP), {**GOOD, "alias": alias})
        assert r.status_code == 200, alias
    assert Account.objects.count() == 1


def test_signup_values_are_escaped_when_the_form_comes_back(client, db):
    r = client.post(
        reverse(SIGNUP),
        {**GOOD, "email": '"<script>x</script>"@example.com', "password2": "other"},
    )
    html = r.content.decode()
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html


def test_signup_records_an_audit_event(client, db):
    from audit.models import AuditEvent

    client.post(reverse(SIGNUP), GOOD)
    assert AuditEvent.objects.filter(
        event_name="CreateAccount", event_source="signin.amazonaws.com"
    ).exists()
