"""Issue 16, sign-in page: "Forgot password?" for the root user.

An emailed link (Django's email backend), single-use and expiring; the new
password checked by sign-up's rules and Argon2-hashed; throttled; the same answer
whether or not the email has an account; MFA still asked at the next sign-in;
audited.
"""

from __future__ import annotations

import re

from django.contrib.auth.hashers import check_password
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import ConsoleUser
from accounts.operations.password_reset import BAD_RESET_LINK, RESET_LINK_SECONDS
from accounts.totp import code_at
from audit.models import AuditEvent
from tests.conftest import TOTP_SEED, signed_in

EMAIL = "root@example.com"
OLD_PASSWORD = "root-password-1"
NEW_PASSWORD = "Brand-new-Root-2!"
FORGOT = "/signin/root/forgot-password/"
LINK_RE = re.compile(r"http://testserver(/signin/root/reset-password/[^/\s]+/[^/\s]+/)")


def ask(client: Client, email: str = EMAIL):
    return client.post(FORGOT, {"email": email})


def emailed_link(index: int = -1) -> str:
    match = LINK_RE.search(mail.outbox[index].body)
    assert match, mail.outbox[index].body
    return match.group(1)


def open_link(client: Client, link: str):
    """Follow the emailed link: the token moves into the session (a redirect)."""
    r = client.get(link)
    assert r.status_code == 302 and r.url.endswith("/set-password/")
    return r.url


def set_password(client: Client, url: str, password: str = NEW_PASSWORD, again: str | None = None):
    return client.post(url, {"new_password1": password, "new_password2": again or password})


def root_console_user() -> ConsoleUser:
    return ConsoleUser.objects.get(username=f"root:{EMAIL}")


def test_the_password_step_links_to_forgot_password(client, account):
    client.post("/signin/", {"email": EMAIL})
    html = client.get(reverse("accounts:signin-password")).content.decode()
    assert f'href="{FORGOT}"' in html and "Forgot password?" in html


def test_the_form_is_prefilled_with_the_email_typed_at_sign_in(client, account):
    client.post("/signin/", {"email": EMAIL})
    html = client.get(FORGOT).content.decode()
    assert f'value="{EMAIL}"' in html and '<label for="id_email">' in html


def test_a_root_email_gets_a_link_and_the_request_is_audited(client, account):
    r = ask(client)
    assert r.status_code == 302 and r.url == reverse("accounts:signin-forgot-password-sent")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [EMAIL]
    assert emailed_link().startswith("/signin/root/reset-password/")
    event = AuditEvent.objects.get(account=account, event_name="PasswordRecoveryRequested")
    assert event.event_source == "signin.amazonaws.com" and event.allowed


def test_an_unknown_email_gets_the_same_answer_and_no_mail(client, account):
    known = ask(Client(), EMAIL)
    unknown = ask(Client(), "nobody@example.com")
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    assert len(mail.outbox) == 1  # only the account's email got one
    sent_known = Client().get(known.url).content.decode()
    sent_unknown = Client().get(unknown.url).content.decode()
    strip = re.compile(r'"X-CSRFToken": "[^"]+"')
    assert strip.sub("", sent_known) == strip.sub("", sent_unknown)
    assert AuditEvent.objects.filter(event_name="PasswordRecoveryRequested").count() == 1


def test_the_link_sets_a_new_argon2_password_that_signs_in(client, account):
    ask(client)
    url = open_link(client, emailed_link())
    assert (
        "reset-password" in url and emailed_link().split("/")[-2] not in url
    )  # token left the URL
    page = client.get(url)
    assert page.status_code == 200 and EMAIL in page.content.decode()
    r = set_password(client, url)
    assert r.status_code == 302 and r.url == reverse("accounts:signin-password")
    user = root_console_user()
    assert user.password.startswith("argon2")
    assert check_password(NEW_PASSWORD, user.password)
    assert not check_password(OLD_PASSWORD, user.password)
    event = AuditEvent.objects.get(account=account, event_name="PasswordUpdated")
    assert event.event_source == "signin.amazonaws.com"
    assert NEW_PASSWORD not in str(event.request)


def test_mfa_is_still_asked_at_the_next_sign_in(client, account, totp_device, clock):
    # Django's clock ahead of the wall clock: the session's start and the reset's
    # "sessions valid after" must come from one clock, or the new session is ended.
    clock.advance(30)
    ask(client)
    url = open_link(client, emailed_link())
    set_password(client, url)
    r = client.post(reverse("accounts:signin-password"), {"password": NEW_PASSWORD})
    assert r.status_code == 302 and r.url == reverse("accounts:signin-mfa")
    assert client.get("/").url.startswith(reverse("accounts:signin-mfa"))  # nothing opens yet
    r = client.post(reverse("accounts:signin-mfa"), {"code": code_at(TOTP_SEED, clock.step)})
    assert r.status_code == 302 and r.url == reverse("iamconsole:dashboard")


def test_the_link_works_once(client, account):
    ask(client)
    link = emailed_link()
    set_password(client, open_link(client, link))
    other = Client()
    url = open_link(other, link)
    r = other.get(url)
    assert r.status_code == 404 and BAD_RESET_LINK in r.content.decode()
    r = set_password(other, url, "Another-root-pw-3!")
    assert r.status_code == 404
    assert check_password(NEW_PASSWORD, root_console_user().password)


def test_a_newer_reset_voids_older_links(client, account):
    ask(client)
    first = emailed_link()
    ask(client)
    second = emailed_link()
    set_password(client, open_link(client, second))
    stale = Client()
    assert stale.get(open_link(stale, first)).status_code == 404


def test_a_sign_in_voids_an_unused_link(client, account, totp_device, clock):
    ask(client)
    link = emailed_link()
    signer = Client()
    signer.post("/signin/", {"email": EMAIL})
    signer.post(reverse("accounts:signin-password"), {"password": OLD_PASSWORD})
    signer.post(reverse("accounts:signin-mfa"), {"code": code_at(TOTP_SEED, clock.step)})
    assert root_console_user().last_login is not None
    assert client.get(open_link(client, link)).status_code == 404


def test_the_link_expires(client, account, clock):
    ask(client)
    link = emailed_link()
    clock.advance(RESET_LINK_SECONDS + 1)
    r = client.get(open_link(client, link))
    assert r.status_code == 404 and BAD_RESET_LINK in r.content.decode()


def test_a_tampered_link_is_refused(client, account):
    ask(client)
    link = emailed_link()
    head, uid, token, _ = link.rsplit("/", 3)
    forged = f"{head}/{uid}/{token[:-1]}{'a' if token[-1] != 'a' else 'b'}/"
    assert client.get(open_link(client, forged)).status_code == 404
    assert client.get(open_link(client, f"{head}/Zm9v/{token}/")).status_code == 404  # "foo"


def test_the_new_password_follows_the_sign_up_rules(client, account):
    ask(client)
    url = open_link(client, emailed_link())
    for weak in ("short1!", "alllowercaseletters", EMAIL, "111122223333"):
        r = set_password(client, url, weak)
        assert r.status_code == 200 and "field-invalid" in r.content.decode(), weak
    r = set_password(client, url, NEW_PASSWORD, again="Something-else-9!")
    assert "The passwords do not match." in r.content.decode()
    assert check_password(OLD_PASSWORD, root_console_user().password)  # nothing changed
    assert not AuditEvent.objects.filter(event_name="PasswordUpdated").exists()


def test_the_reset_ends_every_open_session(account, totp_device):
    from accounts.principal import root_principal

    open_console = signed_in(Client(), root_principal(account.id), device=totp_device)
    assert open_console.get("/").status_code == 200
    c = Client()
    ask(c)
    set_password(c, open_link(c, emailed_link()))
    r = open_console.get("/")
    assert r.status_code == 302 and r.url.startswith(reverse("accounts:signin"))


def test_requests_for_one_email_are_throttled_whatever_the_email(account):
    for email in (EMAIL, "nobody@example.com"):
        c = Client()
        answers = [ask(c, email).status_code for _ in range(4)]
        assert answers == [302, 302, 302, 429], email
    assert len(mail.outbox) == 3  # the fourth request sent nothing


def test_link_checks_are_throttled_per_source(client, account):
    ask(client)
    good = emailed_link()
    head, uid, token, _ = good.rsplit("/", 3)
    statuses = []
    for _ in range(25):
        url = open_link(client, f"{head}/{uid}/{'0' * len(token)}/")
        statuses.append(client.get(url).status_code)
        if statuses[-1] == 429:
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {404}
    r = client.get(open_link(client, good))
    assert r.status_code == 429 and "Retry-After" in r.headers  # even the right link waits
