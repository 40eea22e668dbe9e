"""Root sign-in: email, password, then a TOTP code; throttling, replay, sessions, redirects."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from accounts import throttle
from accounts.models import MfaDevice, SignInThrottle
from accounts.totp import code_at
from audit.models import AuditEvent
from iamconsole.console import IDENTITY_KEY, MFA_AUTH_TIME_KEY
from iamconsole.middleware import SESSION_STARTED_KEY
from tests.conftest import HTMX, TOTP_SEED

EMAIL = "root@example.com"
PASSWORD = "root-password-1"


def enter_email(client: Client, email: str = EMAIL, next_url: str | None = None):
    url = reverse("accounts:signin")
    if next_url is not None:
        client.get(url, {"next": next_url})
    return client.post(url, {"email": email})


def enter_password(client: Client, email: str = EMAIL, password: str = PASSWORD):
    enter_email(client, email)
    return client.post(reverse("accounts:signin-password"), {"password": password})


def enter_code(client: Client, code: str):
    return client.post(reverse("accounts:signin-mfa"), {"code": code})


def without_tokens(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)


def test_root_signs_in_with_email_password_and_a_real_totp_code(client, totp_device, clock):
    r = enter_email(client)
    assert r.status_code == 302 and r.url == reverse("accounts:signin-password")
    r = client.post(reverse("accounts:signin-password"), {"password": PASSWORD})
    assert r.status_code == 302 and r.url == reverse("accounts:signin-mfa")
    assert client.get("/").url.startswith(reverse("accounts:signin-mfa"))

    r = enter_code(client, code_at(TOTP_SEED, clock.step))
    assert r.status_code == 302 and r.url == reverse("iamconsole:dashboard")
    session = client.session
    assert session[DEVICE_ID_SESSION_KEY] == totp_device.persistent_id
    assert session[IDENTITY_KEY] == {"kind": "root"}
    assert SESSION_STARTED_KEY in session and MFA_AUTH_TIME_KEY in session
    assert client.get("/").status_code == 200


def test_signin_is_audited_as_console_login(client, totp_device, clock, account):
    enter_password(client)
    enter_code(client, "000000" if code_at(TOTP_SEED, clock.step) != "000000" else "111111")
    clock.advance(2)  # the device's own wait after one wrong code
    enter_code(client, code_at(TOTP_SEED, clock.step))
    events = AuditEvent.objects.filter(account=account, event_name="ConsoleLogin")
    assert events.filter(allowed=False, event_source="signin.amazonaws.com").count() == 1
    success = events.get(allowed=True)
    assert success.request == {"ConsoleLogin": "Success", "MFAUsed": "Yes"}
    assert success.actor_arn == f"arn:aws:iam::{account.id}:root"


def test_session_key_changes_at_password_and_again_at_mfa(client, totp_device, clock):
    enter_email(client)
    before = client.session.session_key
    client.post(reverse("accounts:signin-password"), {"password": PASSWORD})
    after_password = client.session.session_key
    enter_code(client, code_at(TOTP_SEED, clock.step))
    after_mfa = client.session.session_key
    assert len({before, after_password, after_mfa}) == 3


def test_a_code_is_never_accepted_twice(client, totp_device, clock):
    code = code_at(TOTP_SEED, clock.step)
    enter_password(client)
    assert enter_code(client, code).status_code == 302
    client.post(reverse("accounts:signout"))

    other = Client()
    enter_password(other)
    clock.advance(1)  # same 30-second step: the code is still "current"
    r = enter_code(other, code)
    assert r.status_code == 200 and "authentication information is incorrect" in r.content.decode()
    assert DEVICE_ID_SESSION_KEY not in other.session


def test_device_refuses_a_replayed_code_directly(totp_device, clock):
    code = code_at(TOTP_SEED, clock.step)
    assert totp_device.verify_token(code)
    clock.advance(2)
    device = MfaDevice.objects.get(pk=totp_device.pk)
    assert not device.verify_token(code)


def test_unknown_email_and_wrong_password_look_identical(client, account, clock):
    r_wrong = enter_password(client, EMAIL, "not-the-password-1")
    other = Client()
    r_unknown = enter_password(other, "nobody@example.com", "not-the-password-1")
    assert r_wrong.status_code == r_unknown.status_code == 200
    wrong = without_tokens(r_wrong.content.decode())
    unknown = without_tokens(r_unknown.content.decode()).replace("nobody@example.com", EMAIL)
    assert wrong == unknown
    assert "Your authentication information is incorrect. Please try again." in wrong


def test_wrong_passwords_get_growing_waits(client, account, clock):
    for _ in range(throttle.FREE_FAILURES):
        assert enter_password(client, password="wrong-password-1").status_code == 200
    r = client.post(reverse("accounts:signin-password"), {"password": PASSWORD})
    assert r.status_code == 429 and "Wait 1 second and try again" in r.content.decode()
    assert r["Retry-After"] == "1"
    clock.advance(1)
    assert (
        client.post(reverse("accounts:signin-password"), {"password": "wrong-1"}).status_code == 200
    )
    r = client.post(reverse("accounts:signin-password"), {"password": PASSWORD})
    assert r.status_code == 429 and "Wait 2 seconds" in r.content.decode()
    clock.advance(2)
    r = client.post(reverse("accounts:signin-password"), {"password": PASSWORD})
    assert r.status_code == 302  # never a permanent lock-out


def test_unknown_emails_are_throttled_like_known_ones(client, db, clock):
    for _ in range(throttle.FREE_FAILURES):
        enter_password(client, "nobody@example.com", "wrong-password-1")
    r = client.post(reverse("accounts:signin-password"), {"password": "wrong-password-1"})
    assert r.status_code == 429
    assert SignInThrottle.objects.filter(key=throttle.root_key("Nobody@Example.com ")).exists()


def test_wrong_codes_are_throttled_then_a_good_code_works_after_the_wait(
    client, totp_device, clock
):
    enter_password(client)
    good = code_at(TOTP_SEED, clock.step)
    wrong = "123456" if good != "123456" else "654321"
    statuses = []
    for _ in range(8):
        statuses.append(enter_code(client, wrong).status_code)
    assert 429 in statuses
    r = enter_code(client, good)
    assert r.status_code == 429 and "try again" in r.content.decode()
    clock.advance(15 * 60)
    r = enter_code(client, code_at(TOTP_SEED, clock.step))
    assert r.status_code == 302 and r.url == reverse("iamconsole:dashboard")
    assert not SignInThrottle.objects.exists()  # a completed sign-in starts afresh


def test_waits_double_up_to_fifteen_minutes_and_old_failures_are_forgotten():
    assert throttle.delay_after(4).total_seconds() == 0
    assert throttle.delay_after(5).total_seconds() == 1
    assert throttle.delay_after(8).total_seconds() == 8
    assert throttle.delay_after(50).total_seconds() == 15 * 60


def test_a_guesser_gets_few_tries_an_hour(db, clock):
    key = throttle.root_key("victim@example.com")
    end = clock.t + 3600
    allowed = 0
    while clock.t < end:
        wait = throttle.begin_attempt(key)
        if wait == 0:
            allowed += 1
        clock.advance(max(wait, 1))
    assert allowed <= 20  # 5 free, then 1 s, 2 s, … 15 min


def test_the_hourly_cap_holds_even_without_growing_waits(db, clock):
    key = throttle.root_key("victim@example.com")
    throttle.begin_attempt(key)
    SignInThrottle.objects.filter(key=key).update(
        failures=0, window_failures=throttle.MAX_PER_WINDOW - 1, locked_until=None
    )
    assert throttle.begin_attempt(key) == 0  # the 100th guess of the hour
    clock.advance(60)
    wait = throttle.begin_attempt(key)
    assert 3400 < wait <= 3600 - 60


def test_failures_older_than_a_day_are_forgotten(db, clock):
    key = throttle.root_key("someone@example.com")
    for _ in range(12):
        throttle.begin_attempt(key)
        clock.advance(16 * 60)
    clock.advance(25 * 3600)
    assert throttle.begin_attempt(key) == 0
    assert SignInThrottle.objects.get(key=key).failures == 1


def test_no_console_page_opens_before_mfa(client, totp_device, clock):
    enter_password(client)
    r = client.get("/")
    assert r.status_code == 302 and r.url.startswith(reverse("accounts:signin-mfa"))
    r = client.get("/", headers=HTMX)
    assert r["HX-Redirect"].startswith(reverse("accounts:signin-mfa"))


def test_anonymous_browser_is_sent_to_signin(client, db):
    r = client.get("/")
    assert r.status_code == 302 and r.url == reverse("accounts:signin")
    r = client.get("/", headers=HTMX)
    assert r["HX-Redirect"] == reverse("accounts:signin")


def test_signout_ends_the_session(console):
    key = console.session.session_key
    assert console.get("/").status_code == 200
    r = console.post(reverse("accounts:signout"))
    assert r.status_code == 302 and r.url == reverse("accounts:signin")
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=key).exists()
    assert console.get("/").status_code == 302


def test_signout_needs_post(console):
    assert console.get(reverse("accounts:signout")).status_code == 405
    assert console.get("/").status_code == 200


def test_next_leads_to_a_local_page_after_signin(client, totp_device, clock):
    enter_email(client, next_url="/users/?page=2")
    client.post(reverse("accounts:signin-password"), {"password": PASSWORD})
    r = enter_code(client, code_at(TOTP_SEED, clock.step))
    assert r.url == "/users/?page=2"


@pytest.mark.parametrize(
    "evil",
    [
        "//evil.com",
        "https://evil.com",
        "http://evil.com/",
        "/\\evil.com",
        "\\\\evil.com",
        "/\t/evil.com",
        "///evil.com",
        "https:evil.com",
        "javascript:alert(1)",
        " //evil.com",
        "evil.com",
    ],
)
def test_next_never_leaves_the_site(client, totp_device, clock, evil):
    enter_email(client, next_url=evil)
    client.post(reverse("accounts:signin-password"), {"password": PASSWORD})
    r = enter_code(client, code_at(TOTP_SEED, clock.step))
    assert r.status_code == 302 and r.url == reverse("iamconsole:dashboard")


@pytest.mark.parametrize(
    "name, data",
    [
        (
            "accounts:signup",
            {"email": "x@example.com", "password1": "Aa1!aaaa", "password2": "Aa1!aaaa"},
        ),
        ("accounts:signin", {"email": EMAIL}),
        ("accounts:signin-password", {"password": PASSWORD}),
        ("accounts:signin-mfa", {"code": "123456"}),
        ("accounts:signin-mfa-enroll", {"code1": "123456", "code2": "654321"}),
        ("accounts:signout", {}),
    ],
)
def test_every_post_view_refuses_without_csrf_token(db, account, name, data):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse(name), data).status_code == 403


def test_email_is_escaped_on_the_password_page(client, db):
    email = '"<script>alert(1)</script>"@example.com'
    r = enter_password(client, email, "wrong-password-1")
    html = r.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_throttled_attempt_does_not_check_the_password(client, account, clock, monkeypatch):
    for _ in range(throttle.FREE_FAILURES):
        enter_password(client, password="wrong-password-1")
    calls = []
    import accounts.views

    monkeypatch.setattr(accounts.views, "authenticate", lambda *a, **k: calls.append(1))
    assert (
        client.post(reverse("accounts:signin-password"), {"password": PASSWORD}).status_code == 429
    )
    assert calls == []
