"""Issue 16, item 3, in a real browser: root manages its own MFA devices.

Root opens Security credentials from the account menu, assigns a second virtual MFA
device (a name, the QR code and secret, two consecutive codes), removes the device it
signed in with (confirmation, then a fresh code): the session must pass the MFA step
again, with the new device. Then it removes its last device and lands on the
enrollment of a new one, as the next sign-in would.

The last page is saved under test-output/e2e/ (tests/e2e/conftest.py).
"""

from __future__ import annotations

import base64

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import next_code, sign_in_root

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT_EMAIL = "root@example.com"
ROOT_PASSWORD = "root-password-1"  # tests/conftest.py's ``account``
ORIGINAL = "arn:aws:iam::111122223333:mfa/root-account-mfa-device"
BACKUP = "arn:aws:iam::111122223333:mfa/backup-phone"


def test_root_assigns_a_second_device_and_removes_the_first_then_the_last(page, totp_device):
    from accounts.models import MfaDevice
    from accounts.totp import code_at, current_step
    from tests.conftest import TOTP_SEED

    if page is None:  # no browser under CI: the journey fails in its call (conftest.py)
        return
    sign_in_root(page, email=ROOT_EMAIL, password=ROOT_PASSWORD, device=totp_device, seed=TOTP_SEED)
    page.locator(".account-menu summary").click()
    page.locator(".topbar").get_by_role("link", name="Security credentials").click()
    expect(page.get_by_text("Multi-factor authentication (MFA) (1)")).to_be_visible()

    # Assign: a name, then the QR code and secret, then two consecutive codes.
    page.get_by_role("button", name="Assign MFA device").click()
    dialog = page.get_by_role("dialog", name="Assign MFA device")
    dialog.get_by_label("Device name").fill("backup-phone")
    dialog.get_by_role("button", name="Next").click()
    enroll = page.get_by_role("dialog", name="Set up device backup-phone")
    expect(enroll.locator(".qr svg")).to_be_visible()
    secret = enroll.locator(".secret").inner_text().strip()
    seed = base64.b32decode(secret + "=" * (-len(secret) % 8))
    t = current_step()
    enroll.get_by_label("MFA code 1").fill(code_at(seed, t - 1))
    enroll.get_by_label("MFA code 2").fill(code_at(seed, t))
    enroll.get_by_role("button", name="Add MFA").click()
    expect(page.get_by_text("MFA device backup-phone assigned.")).to_be_visible()
    expect(page.get_by_text("Multi-factor authentication (MFA) (2)")).to_be_visible()
    expect(page.get_by_text(secret)).to_have_count(0)  # shown during the assignment only
    backup = MfaDevice.objects.get(serial_number=BACKUP)

    # Remove the device this session signed in with: confirm, then a fresh code.
    page.get_by_role("row").filter(has_text=ORIGINAL).get_by_role("button", name="Remove").click()
    confirm = page.get_by_role("dialog", name="Remove MFA device root-account-mfa-device?")
    expect(confirm.get_by_text("This session was verified with this device")).to_be_visible()
    confirm.get_by_role("button", name="Remove").click()
    reauth = page.get_by_role("dialog", name="Confirm with MFA")
    expect(reauth.get_by_label("MFA device")).to_be_visible()  # any of root's devices
    reauth.get_by_label("MFA code", exact=True).fill(next_code(totp_device, TOTP_SEED))
    reauth.get_by_role("button", name="Confirm").click()

    # The session's MFA is gone with its device: the MFA step again, with the new one.
    page.wait_for_url("**/signin/root/mfa/")
    expect(
        page.get_by_role("heading", name="Multi-factor authentication", exact=True)
    ).to_be_visible()
    page.get_by_label("MFA code", exact=True).fill(next_code(backup, seed))
    page.get_by_role("button", name="Submit").click()
    expect(page.locator(".topbar .identity")).to_be_visible()
    assert not MfaDevice.objects.filter(serial_number=ORIGINAL).exists()

    # Remove the last device: the console sends the session to enrollment.
    page.goto("/security_credentials/")
    expect(page.get_by_text("Multi-factor authentication (MFA) (1)")).to_be_visible()
    page.get_by_role("row").filter(has_text=BACKUP).get_by_role("button", name="Remove").click()
    confirm = page.get_by_role("dialog", name="Remove MFA device backup-phone?")
    expect(confirm.get_by_text("This is the root user's last MFA device")).to_be_visible()
    confirm.get_by_role("button", name="Remove").click()
    reauth = page.get_by_role("dialog", name="Confirm with MFA")
    reauth.get_by_label("MFA code", exact=True).fill(next_code(backup, seed))
    reauth.get_by_role("button", name="Confirm").click()
    expect(
        page.get_by_role("heading", name="Assign an MFA device to the root user")
    ).to_be_visible()
    expect(page.locator(".qr svg")).to_be_visible()
    page.goto("/security_credentials/")  # no console page opens before a new device
    expect(
        page.get_by_role("heading", name="Assign an MFA device to the root user")
    ).to_be_visible()
    assert not MfaDevice.objects.filter(account_id="111122223333", enabled__isnull=False).exists()
