"""First root sign-in: enroll a virtual MFA device with two consecutive codes."""

from __future__ import annotations

import base64
import re

from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import MfaDevice
from accounts.totp import code_at
from tests.accounts.test_signin import enter_password

ENROLL = "accounts:signin-mfa-enroll"


def open_enrollment(client: Client) -> tuple[str, bytes]:
    r = enter_password(client)
    assert r.url == reverse("accounts:signin-mfa")
    r = client.get(r.url)
    assert r.status_code == 302 and r.url == reverse(ENROLL)
    r = client.get(reverse(ENROLL))
    assert r.status_code == 200
    html = r.content.decode()
    secret = re.search(r'<p class="secret mono">([A-Z2-7]+)</p>', html).group(1)
    seed = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return html, seed


def test_first_signin_shows_qr_code_and_secret_key(client, account, clock):
    html, seed = open_enrollment(client)
    assert "<svg" in html and 'class="qrline"' in html
    assert len(seed) == 20
    assert "<script>" not in html and " style=" not in html  # CSP: no inline code
    device = MfaDevice.objects.get(account=account)
    assert device.seed() == seed and device.enabled is None and not device.confirmed


def test_two_consecutive_codes_enroll_the_root_device(client, account, root_user, clock):
    _, seed = open_enrollment(client)
    t = clock.step
    key_before = client.session.session_key
    r = client.post(reverse(ENROLL), {"code1": code_at(seed, t - 1), "code2": code_at(seed, t)})
    assert r.status_code == 302 and r.url == reverse("iamconsole:dashboard")
    device = MfaDevice.objects.get(account=account)
    assert device.serial_number == f"arn:aws:iam::{account.id}:mfa/root-account-mfa-device"
    assert device.user == root_user and device.iam_user is None
    assert device.confirmed and device.enabled is not None
    assert device.last_t == t  # neither code can be used again
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.session.session_key != key_before
    assert client.get("/").status_code == 200


def test_a_wrong_pair_of_codes_is_refused(client, account, clock):
    _, seed = open_enrollment(client)
    t = clock.step
    for code1, code2 in [
        (code_at(seed, t), code_at(seed, t - 1)),  # swapped
        (code_at(seed, t - 2), code_at(seed, t)),  # not consecutive
        (code_at(seed, t), code_at(seed, t)),  # the same code twice
        ("000000", "111111"),
    ]:
        r = client.post(reverse(ENROLL), {"code1": code1, "code2": code2})
        assert r.status_code == 200 and "consecutive codes" in r.content.decode()
    assert not MfaDevice.objects.get(account=account).confirmed
    assert client.get("/").status_code == 302


def test_enrollment_codes_cannot_be_used_to_sign_in(client, account, clock):
    _, seed = open_enrollment(client)
    t = clock.step
    client.post(reverse(ENROLL), {"code1": code_at(seed, t - 1), "code2": code_at(seed, t)})
    client.post(reverse("accounts:signout"))
    other = Client()
    enter_password(other)
    r = other.post(reverse("accounts:signin-mfa"), {"code": code_at(seed, t)})
    assert r.status_code == 200 and DEVICE_ID_SESSION_KEY not in other.session
    clock.advance(30)
    r = other.post(reverse("accounts:signin-mfa"), {"code": code_at(seed, clock.step)})
    assert r.status_code == 302 and r.url == reverse("iamconsole:dashboard")


def test_reloading_keeps_the_secret_and_a_new_session_gets_a_new_one(client, account, clock):
    _, seed = open_enrollment(client)
    r = client.get(reverse(ENROLL))
    assert base64.b32encode(seed).decode().rstrip("=") in r.content.decode()
    other = Client()
    _, other_seed = open_enrollment(other)
    assert other_seed != seed
    assert MfaDevice.objects.filter(account=account).count() == 1


def test_enrollment_needs_a_password_first(client, account):
    r = client.get(reverse(ENROLL))
    assert r.status_code == 302 and r.url == reverse("accounts:signin")


def test_a_root_with_a_device_is_not_offered_enrollment(client, totp_device, clock):
    enter_password(client)
    r = client.get(reverse(ENROLL))
    assert r.status_code == 302 and r.url == reverse("accounts:signin-mfa")


def test_wrong_enrollment_codes_are_throttled(client, account, clock):
    open_enrollment(client)
    statuses = [
        client.post(reverse(ENROLL), {"code1": "000000", "code2": "111111"}).status_code
        for _ in range(7)
    ]
    assert statuses[:5] == [200] * 5 and 429 in statuses[5:]


def test_device_waits_are_capped_at_fifteen_minutes(totp_device, clock):
    from accounts.totp import code_at as code
    from tests.conftest import TOTP_SEED

    totp_device.throttling_failure_count = 40
    totp_device.throttling_failure_timestamp = clock.now()
    totp_device.save()
    assert not totp_device.verify_is_allowed()[0]
    clock.advance(15 * 60 + 1)
    assert totp_device.verify_token(code(TOTP_SEED, clock.step))
