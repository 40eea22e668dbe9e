"""Nobody who merely knows an email or a user name can keep its owner out.

A stranger's failures put a wait on the identity; under that wait the owner's
password together with a valid code from their MFA device still signs in (the
factor the stranger lacks), and a right password alone looks exactly like a
wrong one. The stranger's own address is throttled after its limit, whatever
identity it targets.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from accounts import throttle
from accounts.models import MfaDevice
from accounts.totp import code_at
from tests.conftest import TOTP_SEED, USER_PASSWORD

pytestmark = pytest.mark.django_db

EMAIL, PASSWORD = "root@example.com", "root-password-1"
STRANGER, OWNER = "198.51.100.66", "203.0.113.10"
ACCOUNT = "111122223333"


def root_attempt(client: Client, password: str, code: str | None = None):
    client.post(reverse("accounts:signin"), {"email": EMAIL})
    data = {"password": password} | ({"code": code} if code is not None else {})
    return client.post(reverse("accounts:signin-password"), data)


def user_attempt(client: Client, password: str, code: str | None = None, name: str = "alice"):
    data = {"account": ACCOUNT, "username": name, "password": password}
    data |= {"code": code} if code is not None else {}
    return client.post(reverse("accounts:user-signin", args=[ACCOUNT]), data)


def page(response) -> tuple[int, str | None, str]:
    html = re.sub(r'value="[^"]*"|"X-CSRFToken": "[^"]*"', "", response.content.decode())
    return response.status_code, response.get("Retry-After"), html


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_a_strangers_failures_do_not_lock_root_out(totp_device, clock, figure):
    stranger = Client(REMOTE_ADDR=STRANGER)
    answers = [root_attempt(stranger, f"guess-{i}").status_code for i in range(8)]
    assert answers.count(429) >= 2  # the identity now waits
    owner = Client(REMOTE_ADDR=OWNER)
    alone = root_attempt(owner, PASSWORD)  # the right password alone: locked, says nothing
    assert alone.status_code == 429 and "_auth_user_id" not in owner.session
    signed = root_attempt(owner, PASSWORD, code_at(TOTP_SEED, clock.step))
    session = owner.session
    console = owner.get("/")
    figure(
        f"stranger's 8 failures from {STRANGER}: {answers}; root from {OWNER}: password alone "
        f"{alone.status_code}, password + TOTP {signed.status_code} -> {signed.get('Location')}, "
        f"console {console.status_code}"
    )
    assert signed.status_code == 302 and signed.url == reverse("iamconsole:dashboard")
    assert session[DEVICE_ID_SESSION_KEY] == totp_device.persistent_id
    assert console.status_code == 200


def test_under_the_lock_a_right_password_with_a_wrong_code_fails_counts_and_says_nothing(
    totp_device, clock, figure
):
    stranger = Client(REMOTE_ADDR=STRANGER)
    for i in range(8):
        root_attempt(stranger, f"guess-{i}")
    good = code_at(TOTP_SEED, clock.step)
    owner = Client(REMOTE_ADDR=OWNER)
    right_pw_wrong_code = page(root_attempt(owner, PASSWORD, wrong(good)))
    wrong_pw_right_code = page(root_attempt(owner, "not-the-password", good))
    wrong_both = page(root_attempt(owner, "not-the-password", wrong(good)))
    device = MfaDevice.objects.get(pk=totp_device.pk)
    source = throttle.SignInThrottle.objects.get(key=throttle.source_key(OWNER))
    figure(
        f"under the lock: right password + wrong code {right_pw_wrong_code[:2]}, wrong password "
        f"+ right code {wrong_pw_right_code[:2]}, identical pages: "
        f"{right_pw_wrong_code == wrong_pw_right_code == wrong_both}; device failures "
        f"{device.throttling_failure_count}, address attempts counted {source.failures}"
    )
    assert right_pw_wrong_code == wrong_pw_right_code == wrong_both
    assert right_pw_wrong_code[0] == 429 and "_auth_user_id" not in owner.session
    assert device.throttling_failure_count == 1  # only the right password reached the code
    assert source.failures == 3  # each one counted on the address
    assert "MFA code" in right_pw_wrong_code[2]  # the page asks for the code alike


def test_the_strangers_address_is_throttled_whatever_identity_it_targets(
    account, totp_device, clock, figure
):
    stranger = Client(REMOTE_ADDR=STRANGER)
    statuses = []
    for i in range(40):  # a new identity each time: no identity ever waits
        stranger.post(reverse("accounts:signin"), {"email": f"user{i}@example.com"})
        statuses.append(
            stranger.post(reverse("accounts:signin-password"), {"password": "x" * 9}).status_code
        )
    first_refusal = statuses.index(429) + 1 if 429 in statuses else None
    owner = root_attempt(Client(REMOTE_ADDR=OWNER), PASSWORD)
    figure(
        f"40 guesses on 40 identities from one address: first 429 at attempt {first_refusal} "
        f"({statuses.count(429)} refused); root from its own address: {owner.status_code}"
    )
    assert first_refusal == throttle.SOURCE_FREE_FAILURES + 1
    assert owner.status_code == 302 and owner.url == reverse("accounts:signin-mfa")


def test_an_iam_user_with_mfa_gets_through_the_lock_one_without_stays_locked(
    alice_login, user_totp_device, root, clock, figure
):
    from accounts.operations.credentials import create_login_profile
    from accounts.operations.users import create_user

    create_user(actor=root, name="bob")
    create_login_profile(actor=root, user_name="bob", password=USER_PASSWORD)
    stranger = Client(REMOTE_ADDR=STRANGER)
    for i in range(8):
        user_attempt(stranger, f"guess-{i}")
        user_attempt(stranger, f"guess-{i}", name="bob")
    alice = Client(REMOTE_ADDR=OWNER)
    alone = user_attempt(alice, USER_PASSWORD)
    with_code = user_attempt(alice, USER_PASSWORD, code_at(TOTP_SEED, clock.step))
    bob = user_attempt(Client(REMOTE_ADDR=OWNER), USER_PASSWORD, "123456", name="bob")
    figure(
        f"IAM users after a stranger's 8 failures each: alice (MFA) password alone "
        f"{alone.status_code}, + TOTP {with_code.status_code}; bob (no MFA) {bob.status_code}"
    )
    assert alone.status_code == 429
    assert with_code.status_code == 302 and with_code.url == reverse("iamconsole:dashboard")
    assert alice.session[DEVICE_ID_SESSION_KEY] == user_totp_device.persistent_id
    assert bob.status_code == 429  # no second factor: today's wait holds
