"""Root sign-up: an emailed link, then a new account and its root user, then MFA enrollment."""

from __future__ import annotations

import re

from django.contrib.auth.hashers import identify_hasher
from django.core import mail
from django.test import Client
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


def confirm_link(index: int = -1) -> str:
    """The path of the sign-up link in the newest (or given) email."""
    body = mail.outbox[index].body
    return re.search(r"https?://[^/\s]+(/signup/confirm/[^\s]+/)", body).group(1)


def sign_up_via_link(client: Client, data: dict[str, str]):
    """The whole journey: the form, the emailed link, the password again."""
    r = client.post(reverse(SIGNUP), data)
    assert r.status_code == 302 and r.url == reverse("accounts:signup-sent"), r
    link = confirm_link()
    assert client.get(link).status_code == 200
    return client.post(link, {"password": data["password1"]})


def test_signup_page_renders(client, db):
    r = client.get(reverse(SIGNUP))
    assert r.status_code == 200 and "Create account" in r.content.decode()


def test_signup_creates_account_and_root_then_asks_for_mfa(client, db):
    r = sign_up_via_link(client, GOOD)
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
    assert sign_up_via_link(client, data).status_code == 302
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


def test_an_email_signs_up_once_and_is_told_so_by_email(client, account):
    data = {**GOOD, "email": "ROOT@example.com", "alias": ""}
    r = client.post(reverse(SIGNUP), data)
    assert r.status_code == 302 and r.url == reverse("accounts:signup-sent")
    assert (
        "already has one" in mail.outbox[-1].body and "/signup/confirm/" not in mail.outbox[-1].body
    )
    assert mail.outbox[-1].to == ["ROOT@example.com"]
    assert Account.objects.count() == 1


def test_the_link_needs_the_password_chosen_at_sign_up_and_works_once(client, db):
    client.post(reverse(SIGNUP), GOOD)
    link = confirm_link()
    r = client.post(link, {"password": "Wrong-passw0rd"})
    assert r.status_code == 200 and "incorrect" in r.content.decode()
    assert not Account.objects.exists()
    assert client.post(link, {"password": GOOD["password1"]}).status_code == 302
    assert Client().post(link, {"password": GOOD["password1"]}).status_code == 404
    assert Account.objects.count() == 1


def test_an_unknown_or_tampered_link_is_refused(client, db):
    r = client.get(reverse("accounts:signup-confirm", args=["x" * 43]))
    assert r.status_code == 404 and "not valid or has expired" in r.content.decode()


def test_a_link_expires_after_a_day(client, db, clock):
    client.post(reverse(SIGNUP), GOOD)
    link = confirm_link()
    clock.advance(24 * 3600 + 1)
    assert client.post(link, {"password": GOOD["password1"]}).status_code == 404
    assert not Account.objects.exists()


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

    sign_up_via_link(client, GOOD)
    assert AuditEvent.objects.filter(
        event_name="CreateAccount", event_source="signin.amazonaws.com"
    ).exists()
