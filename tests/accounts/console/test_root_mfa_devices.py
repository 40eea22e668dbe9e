"""Issue 16, item 3: root's MFA devices on its "Security credentials" page.

List, assign (a name, then the QR code and secret, then two consecutive codes), remove
(AWS's confirmation, then a fresh MFA code), up to eight devices; every step is the
ordinary operation with root as the actor, so it is authorized and audited. Removing
the device the session was verified with (the last one, in particular) leaves the
session with its password step only: the MFA step again, and enrollment when no device
is left, exactly where the next sign-in goes."""

from __future__ import annotations

import base64

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from accounts import throttle
from accounts.errors import LimitExceeded
from accounts.models import MfaDevice
from accounts.totp import code_at
from audit.models import AuditEvent
from iamconsole.console import MFA_AUTH_TIME_KEY
from tests.conftest import HTMX, TOTP_SEED, USER_PASSWORD, signed_in, virtual_mfa_device

PAGE = reverse("accounts:root-security-credentials")
ASSIGN = reverse("accounts:root-assign-mfa")
CONFIRM = reverse("accounts:root-confirm-mfa")
REMOVE = reverse("accounts:root-remove-mfa")
ROOT_ARN = "arn:aws:iam::111122223333:root"
ORIGINAL = "arn:aws:iam::111122223333:mfa/root-account-mfa-device"
SECOND_SEED = bytes(range(101, 121))
EMAIL, PASSWORD = "root@example.com", "root-password-1"


def root_devices(account_id: str = "111122223333"):
    return MfaDevice.objects.filter(
        account_id=account_id, iam_user__isnull=True, enabled__isnull=False
    )


def start_assignment(console, name: str = "backup-phone") -> tuple[str, str, bytes]:
    r = console.post(ASSIGN, {"device_name": name}, headers=HTMX)
    assert r.status_code == 200, r.content.decode()
    serial = f"arn:aws:iam::111122223333:mfa/{name}"
    return r.content.decode(), serial, MfaDevice.objects.get(serial_number=serial).seed()


def pair(seed: bytes, clock) -> dict[str, str]:
    return {"code1": code_at(seed, clock.step - 1), "code2": code_at(seed, clock.step)}


@pytest.fixture
def second_device(root_user):
    return virtual_mfa_device(root_user, name="backup-key", seed=SECOND_SEED)


def test_the_section_lists_roots_devices_with_assign_and_remove(
    console, root_user, user_totp_device
):
    html = console.get(PAGE).content.decode()
    section = html.split('id="mfa-title"', 1)[1].split('id="keys-title"', 1)[0]
    assert "Multi-factor authentication (MFA) (1)" in section
    assert ORIGINAL in section and "Virtual" in section and "Not applicable" in section
    assert "Assign MFA device" in section and "Remove" in section and "up to 8" in section
    assert user_totp_device.serial_number not in section  # alice's device is hers


def test_assigning_names_the_device_then_shows_its_qr_code_and_secret(console, clock):
    form = console.get(ASSIGN, headers=HTMX)
    html = form.content.decode()
    assert form.status_code == 200 and "<html" not in html and 'id="root-credentials"' in html
    assert 'name="device_name"' in html and "Assign MFA device" in html
    html, serial, seed = start_assignment(console)
    assert "<svg" in html and "Secret key" in html and serial in html
    assert base64.b32encode(seed).decode().rstrip("=") in html
    assert 'name="code1"' in html and 'name="code2"' in html
    assert " style=" not in html and "<script" not in html  # CSP: plain SVG, no inline code
    assert not root_devices().filter(serial_number=serial).exists()  # not assigned yet
    event = AuditEvent.objects.get(event_name="CreateVirtualMFADevice", allowed=True)
    assert event.actor_arn == ROOT_ARN
    # The seed is sealed at rest, as every device's (the model's own sealing).
    device = MfaDevice.objects.get(serial_number=serial)
    assert seed not in bytes(device.seed_sealed) and seed.hex().encode() not in bytes(
        device.seed_sealed
    )


def test_two_consecutive_codes_assign_the_device_and_the_secret_is_not_shown_again(console, clock):
    _, serial, seed = start_assignment(console)
    r = console.post(CONFIRM, pair(seed, clock), headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and "MFA device backup-phone assigned." in html
    assert "Multi-factor authentication (MFA) (2)" in html and serial in html
    device = root_devices().get(serial_number=serial)
    assert device.iam_user is None and device.user.is_root and device.confirmed
    secret = base64.b32encode(seed).decode().rstrip("=")
    assert secret not in html and secret not in console.get(PAGE).content.decode()
    event = AuditEvent.objects.get(event_name="EnableMFADevice", allowed=True)
    assert event.actor_arn == ROOT_ARN and event.resource_arn == ROOT_ARN
    # Without JS: the same step answers with a redirect to the page (PRG).
    _, serial2, seed2 = start_assignment(console, "third")
    r = console.post(CONFIRM, pair(seed2, clock))
    assert r.status_code == 302 and r.url == PAGE
    assert root_devices().count() == 3


def test_the_second_code_of_the_pair_is_never_accepted_again(console, clock):
    _, serial, seed = start_assignment(console)
    console.post(CONFIRM, pair(seed, clock), headers=HTMX)
    used = code_at(seed, clock.step)
    # The new device confirms a sensitive action; its just-used code does not.
    data = {"serial_number": ORIGINAL, "confirm": "on", "mfa_device": serial}
    r = console.post(REMOVE, dict(data, mfa_code=used), headers=HTMX)
    assert r.status_code == 403 and "not valid" in r.content.decode()
    assert root_devices().filter(serial_number=ORIGINAL).exists()


@pytest.mark.parametrize("kind", ["same", "swapped", "wrong", "stale"])
def test_a_wrong_or_reused_pair_is_refused_and_nothing_is_assigned(console, clock, kind):
    html, serial, seed = start_assignment(console)
    codes = {
        "same": (code_at(seed, clock.step), code_at(seed, clock.step)),
        "swapped": (code_at(seed, clock.step), code_at(seed, clock.step - 1)),
        "wrong": ("123456", "654321"),
        "stale": (code_at(seed, clock.step - 20), code_at(seed, clock.step - 19)),
    }[kind]
    r = console.post(CONFIRM, {"code1": codes[0], "code2": codes[1]}, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 403 and "The codes are not valid" in html and "<svg" in html
    assert codes[0] not in html and codes[1] not in html  # codes are never echoed back
    assert MfaDevice.objects.get(serial_number=serial).enabled is None
    assert root_devices().count() == 1
    assert AuditEvent.objects.filter(event_name="EnableMFADevice", allowed=False).exists()


def test_a_pair_cannot_assign_twice(console, clock):
    _, serial, seed = start_assignment(console)
    codes = pair(seed, clock)
    assert console.post(CONFIRM, codes, headers=HTMX).status_code == 200
    r = console.post(CONFIRM, codes, headers=HTMX)
    assert r.status_code == 400 and "No MFA device is being assigned" in r.content.decode()
    assert AuditEvent.objects.filter(event_name="EnableMFADevice", allowed=True).count() == 1


def test_code_pairs_are_throttled_even_the_right_one_during_the_wait(console, clock):
    _, serial, seed = start_assignment(console)
    for _ in range(throttle.FREE_FAILURES):
        r = console.post(CONFIRM, {"code1": "123456", "code2": "654321"}, headers=HTMX)
        assert r.status_code == 403
    r = console.post(CONFIRM, pair(seed, clock), headers=HTMX)
    assert r.status_code == 429 and int(r["Retry-After"]) >= 1
    assert "Too many failed" in r.content.decode()
    assert MfaDevice.objects.get(serial_number=serial).enabled is None
    clock.advance(31)  # past the wait (and into the next step)
    r = console.post(CONFIRM, pair(seed, clock), headers=HTMX)
    assert r.status_code == 200 and root_devices().filter(serial_number=serial).exists()


def test_a_bad_or_reserved_name_is_shown_in_place(console):
    r = console.post(ASSIGN, {"device_name": "bad name!"}, headers=HTMX)
    assert r.status_code == 400 and "field-error" in r.content.decode()
    r = console.post(ASSIGN, {"device_name": "root-account-mfa-device-2"}, headers=HTMX)
    assert r.status_code == 400 and "reserved" in r.content.decode()
    r = console.post(ASSIGN, {"device_name": "root-account-mfa-device"}, headers=HTMX)
    assert r.status_code in (400, 409)
    assert MfaDevice.objects.filter(account_id="111122223333").count() == 1


def test_cancel_or_a_new_assignment_deletes_the_unassigned_device(console):
    _, first, _ = start_assignment(console, "first")
    _, second, _ = start_assignment(console, "second")  # the abandoned first one goes
    assert not MfaDevice.objects.filter(serial_number=first).exists()
    r = console.post(CONFIRM, {"cancel": "1"}, headers=HTMX)
    assert r.status_code == 200 and "cancelled" in r.content.decode()
    assert not MfaDevice.objects.filter(serial_number=second).exists()


def test_at_most_eight_devices(console, root, root_user, clock):
    from accounts.operations.credentials import create_virtual_mfa_device, enable_mfa_device

    for i in range(7):
        virtual_mfa_device(root_user, name=f"extra-{i}", seed=bytes([i + 1]) * 20)
    html = console.get(PAGE).content.decode()
    assert "Multi-factor authentication (MFA) (8)" in html and "at most 8 MFA devices" in html
    r = console.post(ASSIGN, {"device_name": "ninth"}, headers=HTMX)
    assert r.status_code == 409 and "MFADevicesPerUser: 8" in r.content.decode()
    assert not MfaDevice.objects.filter(name="ninth").exists()
    # The operation refuses a ninth for root too (over the API as well).
    new = create_virtual_mfa_device(actor=root, name="ninth")
    with pytest.raises(LimitExceeded):
        enable_mfa_device(
            actor=root,
            user_name=None,
            serial_number=new.device.serial_number,
            **pair(new.seed, clock),
        )
    assert root_devices().count() == 8


def test_removing_asks_to_confirm_then_for_a_fresh_code(console, second_device, clock):
    url = f"{REMOVE}?serial_number={second_device.serial_number}"
    html = console.get(url, headers=HTMX).content.decode()
    assert "Remove MFA device backup-key?" in html and 'name="confirm"' in html
    assert "last MFA device" not in html
    data = {"serial_number": second_device.serial_number, "confirm": "on"}
    r = console.post(REMOVE, data, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and 'name="mfa_code"' in html and 'name="mfa_device"' in html
    assert root_devices().count() == 2
    r = console.post(REMOVE, dict(data, mfa_code="000000"), headers=HTMX)
    assert r.status_code == 403 and root_devices().count() == 2
    clock.advance(30)
    r = console.post(REMOVE, dict(data, mfa_code=code_at(TOTP_SEED, clock.step)), headers=HTMX)
    assert r.status_code == 200 and "MFA device backup-key removed." in r.content.decode()
    assert not MfaDevice.objects.filter(pk=second_device.pk).exists()
    for name in ("DeactivateMFADevice", "DeleteVirtualMFADevice"):
        assert AuditEvent.objects.get(event_name=name, allowed=True).actor_arn == ROOT_ARN
    assert console.get(PAGE).status_code == 200  # the session's own device is still there


def test_another_device_confirms_removing_the_sessions_device(
    console, totp_device, second_device, clock
):
    data = {
        "serial_number": ORIGINAL,
        "confirm": "on",
        "mfa_device": second_device.serial_number,
        "mfa_code": code_at(SECOND_SEED, clock.step),
    }
    html = console.get(f"{REMOVE}?serial_number={ORIGINAL}").content.decode()
    assert (
        "This session was verified with this device" in html
        and "from any of the remaining devices (backup-key)" in html
    )
    r = console.post(REMOVE, data, headers=HTMX)
    assert r.status_code == 200 and r["HX-Redirect"] == reverse("accounts:signin-mfa")
    assert not MfaDevice.objects.filter(pk=totp_device.pk).exists()
    session = console.session
    assert DEVICE_ID_SESSION_KEY not in session and MFA_AUTH_TIME_KEY not in session
    assert console.get(PAGE).url.startswith(reverse("accounts:signin-mfa"))
    clock.advance(30)  # the remaining device signs the session in again
    r = console.post(reverse("accounts:signin-mfa"), {"code": code_at(SECOND_SEED, clock.step)})
    assert r.status_code == 302 and console.get(PAGE).status_code == 200


def test_removing_the_last_device_sends_this_session_and_the_next_to_enrollment(
    console, totp_device, clock
):
    html = console.get(f"{REMOVE}?serial_number={ORIGINAL}").content.decode()
    assert "This is the root user&#x27;s last MFA device" in html
    old_key = console.session.session_key
    data = {"serial_number": ORIGINAL, "confirm": "on", "mfa_code": code_at(TOTP_SEED, clock.step)}
    r = console.post(REMOVE, data)  # without JS
    assert r.status_code == 302 and r.url == reverse("accounts:signin-mfa")
    assert not root_devices().exists()
    session = console.session
    assert session.session_key != old_key
    assert DEVICE_ID_SESSION_KEY not in session and MFA_AUTH_TIME_KEY not in session
    # No console page opens: the MFA step, which is enrollment now.
    for url in (PAGE, reverse("iamconsole:dashboard"), reverse("accounts:user-list")):
        assert console.get(url).url.startswith(reverse("accounts:signin-mfa"))
    assert (
        console.post(reverse("accounts:root-assign-mfa"), {"device_name": "x"}).status_code == 302
    )
    assert console.get(reverse("accounts:signin-mfa")).url == reverse("accounts:signin-mfa-enroll")
    assert "<svg" in console.get(reverse("accounts:signin-mfa-enroll")).content.decode()
    # The next sign-in: email, password, then enrollment.
    browser = Client()
    browser.post(reverse("accounts:signin"), {"email": EMAIL})
    r = browser.post(reverse("accounts:signin-password"), {"password": PASSWORD})
    assert r.url == reverse("accounts:signin-mfa")
    assert browser.get(r.url).url == reverse("accounts:signin-mfa-enroll")
    assert browser.get(PAGE).url.startswith(reverse("accounts:signin-mfa"))


def test_an_iam_user_cannot_reach_roots_devices(user_console, root, iam_user, totp_device, clock):
    from accounts.operations.credentials import create_login_profile

    create_login_profile(actor=root, user_name="alice", password=USER_PASSWORD)
    client = user_console(iam_user)
    own = reverse("accounts:user-detail-tab", args=["alice", "security-credentials"])
    for url, data in (
        (ASSIGN, {"device_name": "alice-squat"}),
        (CONFIRM, {"code1": "123456", "code2": "654321"}),
        (REMOVE, {"serial_number": ORIGINAL, "confirm": "on", "mfa_code": "123456"}),
    ):
        r = client.post(url, data)
        assert r.status_code == 302 and r.url == own
    assert root_devices().get().pk == totp_device.pk
    assert not MfaDevice.objects.filter(name="alice-squat").exists()


def test_another_accounts_root_cannot_reach_them(outsider_console, totp_device, clock):
    from accounts.pages.users_credentials import REAUTH_SESSION

    session = outsider_console.session
    session[REAUTH_SESSION] = clock.time()
    session.save()
    html = outsider_console.get(PAGE).content.decode()
    assert ORIGINAL not in html and "111122223333" not in html
    r = outsider_console.post(REMOVE, {"serial_number": ORIGINAL, "confirm": "on"}, headers=HTMX)
    assert r.status_code == 404
    assert MfaDevice.objects.filter(pk=totp_device.pk, enabled__isnull=False).exists()


def test_root_cannot_remove_a_users_device_from_its_page(console, user_totp_device, clock):
    from accounts.pages.users_credentials import REAUTH_SESSION

    session = console.session
    session[REAUTH_SESSION] = clock.time()
    session.save()
    data = {"serial_number": user_totp_device.serial_number, "confirm": "on"}
    assert console.post(REMOVE, data, headers=HTMX).status_code == 404
    assert MfaDevice.objects.filter(pk=user_totp_device.pk, enabled__isnull=False).exists()


def test_every_step_needs_the_csrf_token(root, totp_device):
    browser = signed_in(Client(enforce_csrf_checks=True), root)
    for url, data in (
        (ASSIGN, {"device_name": "x"}),
        (CONFIRM, {"cancel": "1"}),
        (REMOVE, {"serial_number": ORIGINAL, "confirm": "on"}),
    ):
        assert browser.post(url, data).status_code == 403
    assert MfaDevice.objects.filter(account_id="111122223333").count() == 1
