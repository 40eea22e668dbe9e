"""Assigning and removing a user's virtual MFA device in the console."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import MfaDevice
from accounts.totp import code_at
from tests.conftest import HTMX, TOTP_SEED


def seed_of(serial: str) -> bytes:
    return MfaDevice.objects.get(serial_number=serial).seed()


def start_assignment(console, name: str = "alice-phone") -> tuple[str, str]:
    r = console.post(
        reverse("accounts:user-assign-mfa", args=["alice"]), {"device_name": name}, headers=HTMX
    )
    assert r.status_code == 200, r.content.decode()
    return r.content.decode(), f"arn:aws:iam::111122223333:mfa/{name}"


def test_assign_form_then_qr_code_and_secret(console, iam_user):
    html = console.get(
        reverse("accounts:user-assign-mfa", args=["alice"]), headers=HTMX
    ).content.decode()
    assert 'name="device_name"' in html and 'value="alice"' in html and "<html" not in html
    html, serial = start_assignment(console)
    assert "<svg" in html and "Secret key" in html and serial in html
    assert " style=" not in html and "<script" not in html  # CSP: the QR code is plain SVG
    import base64

    assert base64.b32encode(seed_of(serial)).decode().rstrip("=") in html
    assert 'name="code1"' in html and 'name="code2"' in html


def test_two_consecutive_codes_enable_the_device(console, iam_user, clock):
    _, serial = start_assignment(console)
    seed = seed_of(serial)
    r = console.post(
        reverse("accounts:user-confirm-mfa", args=["alice"]),
        {"code1": code_at(seed, clock.step - 1), "code2": code_at(seed, clock.step)},
        headers=HTMX,
    )
    html = r.content.decode()
    assert r.status_code == 200 and "MFA device assigned." in html and serial in html
    device = MfaDevice.objects.get(serial_number=serial)
    assert device.iam_user_id == iam_user.pk and device.enabled is not None
    list_html = console.get(reverse("accounts:user-list")).content.decode()
    assert "Virtual" in list_html.split(">alice</a>", 1)[1].split("</tr>", 1)[0]


@pytest.mark.parametrize("pair", ["same", "swapped", "wrong"])
def test_a_wrong_pair_is_refused_and_the_qr_code_shown_again(console, iam_user, clock, pair):
    _, serial = start_assignment(console)
    seed = seed_of(serial)
    codes = {
        "same": (code_at(seed, clock.step), code_at(seed, clock.step)),
        "swapped": (code_at(seed, clock.step), code_at(seed, clock.step - 1)),
        "wrong": ("123456", "654321"),
    }[pair]
    r = console.post(
        reverse("accounts:user-confirm-mfa", args=["alice"]),
        {"code1": codes[0], "code2": codes[1]},
        headers=HTMX,
    )
    html = r.content.decode()
    assert r.status_code == 403 and "The codes are not valid" in html and "<svg" in html
    assert MfaDevice.objects.get(serial_number=serial).enabled is None


def test_codes_must_be_six_digits(console, iam_user):
    start_assignment(console)
    r = console.post(
        reverse("accounts:user-confirm-mfa", args=["alice"]),
        {"code1": "abc", "code2": ""},
        headers=HTMX,
    )
    assert r.status_code == 400 and "field-error" in r.content.decode()


def test_a_taken_device_name_is_shown_in_place(console, iam_user):
    start_assignment(console, "phone")
    r = console.post(
        reverse("accounts:user-assign-mfa", args=["alice"]), {"device_name": "phone"}, headers=HTMX
    )
    assert r.status_code == 409 and "already exists" in r.content.decode()
    r = console.post(
        reverse("accounts:user-assign-mfa", args=["alice"]),
        {"device_name": "bad name!"},
        headers=HTMX,
    )
    assert r.status_code == 400 and "regular expression" in r.content.decode()


def test_cancel_deletes_the_unassigned_device(console, iam_user):
    _, serial = start_assignment(console)
    r = console.post(
        reverse("accounts:user-confirm-mfa", args=["alice"]), {"cancel": "1"}, headers=HTMX
    )
    assert r.status_code == 200 and not MfaDevice.objects.filter(serial_number=serial).exists()


def test_confirm_without_an_assignment_in_progress_is_refused(console, iam_user):
    r = console.post(
        reverse("accounts:user-confirm-mfa", args=["alice"]),
        {"code1": "123456", "code2": "123456"},
        headers=HTMX,
    )
    assert r.status_code == 400 and "No MFA device is being assigned" in r.content.decode()


def test_removing_a_device_asks_for_mfa_then_removes_it(console, iam_user, clock):
    _, serial = start_assignment(console)
    seed = seed_of(serial)
    console.post(
        reverse("accounts:user-confirm-mfa", args=["alice"]),
        {"code1": code_at(seed, clock.step - 1), "code2": code_at(seed, clock.step)},
    )
    url = reverse("accounts:user-remove-mfa", args=["alice"])
    r = console.post(url, {"serial_number": serial}, headers=HTMX)
    html = r.content.decode()
    assert 'name="mfa_code"' in html and f'value="{serial}"' in html
    assert MfaDevice.objects.filter(serial_number=serial, enabled__isnull=False).exists()
    r = console.post(
        url, {"serial_number": serial, "mfa_code": code_at(TOTP_SEED, clock.step)}, headers=HTMX
    )
    assert r.status_code == 200 and "MFA device removed." in r.content.decode()
    assert not MfaDevice.objects.filter(serial_number=serial).exists()


def test_removing_another_users_device_is_refused(console, root, iam_user, clock):
    from accounts.operations.users import create_user
    from accounts.pages.users_credentials import REAUTH_SESSION

    create_user(actor=root, name="bob")
    _, serial = start_assignment(console)
    seed = seed_of(serial)
    console.post(
        reverse("accounts:user-confirm-mfa", args=["alice"]),
        {"code1": code_at(seed, clock.step - 1), "code2": code_at(seed, clock.step)},
    )
    session = console.session
    session[REAUTH_SESSION] = clock.time()
    session.save()
    r = console.post(
        reverse("accounts:user-remove-mfa", args=["bob"]), {"serial_number": serial}, headers=HTMX
    )
    assert r.status_code == 404
    assert MfaDevice.objects.filter(serial_number=serial, iam_user=iam_user).exists()
