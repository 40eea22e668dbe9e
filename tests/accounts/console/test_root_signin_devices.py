"""Issue 16: root's sign-in accepts a code from any of root's assigned MFA devices.

AWS: "If you have multiple MFA devices enabled, you only need to use one MFA device to
sign in" (https://docs.aws.amazon.com/IAM/latest/UserGuide/console_sign-in-mfa.html).
Every device here is virtual, so the MFA step asks for a code and takes it from
whichever assigned device shows it. The security properties stay: a removed device's
codes are refused, no code works twice, and a wrong code counts once on root's
throttle and once on one device, however many devices root has.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from accounts import throttle
from accounts.models import MfaDevice, SignInThrottle
from accounts.operations.credentials import deactivate_mfa_device, delete_virtual_mfa_device
from accounts.totp import code_at
from tests.conftest import TOTP_SEED, virtual_mfa_device

pytestmark = pytest.mark.django_db

EMAIL, PASSWORD = "root@example.com", "root-password-1"
SECOND_SEED = bytes(range(101, 121))
THIRD_SEED = bytes(range(151, 171))
MFA = reverse("accounts:signin-mfa")
DASHBOARD = reverse("iamconsole:dashboard")


@pytest.fixture
def devices(root_user, totp_device):
    second = virtual_mfa_device(root_user, name="backup-phone", seed=SECOND_SEED)
    third = virtual_mfa_device(root_user, name="office-tablet", seed=THIRD_SEED)
    return totp_device, second, third


def at_mfa_step(client: Client | None = None) -> Client:
    client = client or Client()
    client.post(reverse("accounts:signin"), {"email": EMAIL})
    r = client.post(reverse("accounts:signin-password"), {"password": PASSWORD})
    assert r.status_code == 302 and r.url == MFA, r
    return client


def identity_failures() -> int:
    row = SignInThrottle.objects.filter(key=throttle.root_key(EMAIL)).first()
    return row.failures if row is not None else 0


def device_failures() -> int:
    return sum(
        MfaDevice.objects.filter(iam_user__isnull=True).values_list(
            "throttling_failure_count", flat=True
        )
    )


def wrong_code(clock) -> str:
    """A code no device shows at any step the check accepts."""
    good = {
        code_at(seed, t)
        for seed in (TOTP_SEED, SECOND_SEED, THIRD_SEED)
        for t in range(clock.step - 1, clock.step + 2)
    }
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in good)


def test_a_code_from_the_second_device_signs_root_in(devices, clock):
    _, second, _ = devices
    client = at_mfa_step()
    page = client.get(MFA).content.decode()
    assert "a code from any one of them" in page  # several devices: the step says so
    r = client.post(MFA, {"code": code_at(SECOND_SEED, clock.step)})
    assert r.status_code == 302 and r.url == DASHBOARD
    assert client.session[DEVICE_ID_SESSION_KEY] == second.persistent_id
    assert client.get(DASHBOARD).status_code == 200
    assert device_failures() == 0 and identity_failures() == 0


def test_one_device_the_step_does_not_mention_others(totp_device, clock):
    client = at_mfa_step()
    assert "any one of them" not in client.get(MFA).content.decode()
    r = client.post(MFA, {"code": code_at(TOTP_SEED, clock.step)})
    assert r.status_code == 302 and r.url == DASHBOARD


def test_a_removed_devices_code_is_refused(devices, root, clock):
    _, second, _ = devices
    deactivate_mfa_device(actor=root, user_name=None, serial_number=second.serial_number)
    delete_virtual_mfa_device(actor=root, serial_number=second.serial_number)
    client = at_mfa_step()
    r = client.post(MFA, {"code": code_at(SECOND_SEED, clock.step)})
    assert r.status_code == 200 and "incorrect" in r.content.decode()
    assert DEVICE_ID_SESSION_KEY not in client.session
    assert client.get(DASHBOARD).status_code == 302  # still at the MFA step
    assert identity_failures() == 1 and device_failures() == 1


def test_a_deactivated_but_kept_devices_code_is_refused(devices, root, clock):
    _, second, _ = devices
    deactivate_mfa_device(actor=root, user_name=None, serial_number=second.serial_number)
    client = at_mfa_step()
    r = client.post(MFA, {"code": code_at(SECOND_SEED, clock.step)})
    assert r.status_code == 200 and DEVICE_ID_SESSION_KEY not in client.session


def test_a_code_is_never_accepted_twice(devices, clock):
    code = code_at(SECOND_SEED, clock.step)
    first = at_mfa_step()
    assert first.post(MFA, {"code": code}).url == DASHBOARD
    again = at_mfa_step()
    r = again.post(MFA, {"code": code})
    assert r.status_code == 200 and "incorrect" in r.content.decode()
    assert DEVICE_ID_SESSION_KEY not in again.session
    # The replay counted once, on the device whose code it was.
    second = MfaDevice.objects.get(pk=devices[1].pk)
    assert second.throttling_failure_count == 1 and device_failures() == 1
    # The next step's code of the same device still works.
    clock.advance(30)
    later = at_mfa_step()
    assert later.post(MFA, {"code": code_at(SECOND_SEED, clock.step)}).url == DASHBOARD


def test_a_wrong_code_counts_once_per_attempt_not_once_per_device(devices, clock):
    client = at_mfa_step()
    wrong = wrong_code(clock)
    for attempt in range(1, 4):
        r = client.post(MFA, {"code": wrong})
        assert r.status_code == 200 and "incorrect" in r.content.decode()
        assert identity_failures() == attempt and device_failures() == attempt
        clock.advance(10)  # past the device's growing wait (1, 2, 4 s)
    # A right code from the third device still signs in, and forgets the failures.
    clock.advance(30)
    r = client.post(MFA, {"code": code_at(THIRD_SEED, clock.step)})
    assert r.status_code == 302 and r.url == DASHBOARD
    assert identity_failures() == 0


def test_while_a_device_waits_no_code_is_checked_on_any_device(devices, clock):
    client = at_mfa_step()
    assert client.post(MFA, {"code": wrong_code(clock)}).status_code == 200
    # Within the wait after that wrong code, another device's right code is not checked.
    r = client.post(MFA, {"code": code_at(SECOND_SEED, clock.step)})
    assert r.status_code == 429 and r["Retry-After"]
    assert DEVICE_ID_SESSION_KEY not in client.session
    assert identity_failures() == 1  # the refused attempt was not counted either
    clock.advance(5)
    assert client.post(MFA, {"code": code_at(SECOND_SEED, clock.step)}).url == DASHBOARD


def test_under_the_identity_lock_a_code_from_another_device_gets_root_in(devices, clock):
    stranger = Client(REMOTE_ADDR="198.51.100.66")
    for i in range(8):
        stranger.post(reverse("accounts:signin"), {"email": EMAIL})
        stranger.post(reverse("accounts:signin-password"), {"password": f"guess-{i}"})
    owner = Client(REMOTE_ADDR="203.0.113.10")
    owner.post(reverse("accounts:signin"), {"email": EMAIL})
    data = {"password": PASSWORD, "code": code_at(THIRD_SEED, clock.step)}
    r = owner.post(reverse("accounts:signin-password"), data)
    assert r.status_code == 302 and r.url == DASHBOARD
    assert owner.session[DEVICE_ID_SESSION_KEY] == devices[2].persistent_id


@pytest.mark.django_db(transaction=True)
def test_parallel_sessions_with_one_code_of_the_second_device_sign_in_once(devices, clock):
    """Six sessions post the same code of the second device at the same instant."""
    from tests.security.test_mfa_codes import race

    code = code_at(SECOND_SEED, clock.step)
    sessions = [at_mfa_step() for _ in range(6)]
    results = race([lambda c=c: c.post(MFA, {"code": code}) for c in sessions])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.status_code == 302 and r.url == DASHBOARD for r in results) == 1
    assert all(r.status_code in (200, 302, 429) for r in results)
