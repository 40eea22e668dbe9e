"""Issue 16's journeys in a real browser: what a newcomer could not do before.

- A user created with the recommended settings (a console password that must be
  changed at the next sign-in) signs in and changes it, with no policy chosen by hand:
  the wizard attached IAMUserChangePassword.
- Root opens Security credentials from the header, creates its own access key (AWS's
  warning, an acknowledgement, a fresh MFA code), reveals the secret with "Show" and
  deactivates the key.

The last page of each journey is saved under test-output/e2e/ (tests/e2e/conftest.py).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import next_code, sign_in_root, sign_in_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ACCOUNT = "111122223333"
ROOT_EMAIL = "root@example.com"
ROOT_PASSWORD = "root-password-1"  # tests/conftest.py's ``account``
CHANGE_PASSWORD = "arn:aws:iam::aws:policy/IAMUserChangePassword"
# Pages answer AWS errors with their status (the new user may read nothing on the
# dashboard): Chromium and htmx log those 403s.
EXPECTED_403 = r"status of 403|Response Status Error Code 403 "


@pytest.fixture
def signed_in_root(page, totp_device):
    from tests.conftest import TOTP_SEED

    if page is None:  # no browser under CI: the journey fails in its call (conftest.py)
        return page
    sign_in_root(page, email=ROOT_EMAIL, password=ROOT_PASSWORD, device=totp_device, seed=TOTP_SEED)
    return page


def test_new_user_with_the_recommended_settings_changes_the_password_at_first_signin(
    signed_in_root, page, page_monitor, root
):
    from accounts.models import IamUser
    from policies.operations import list_attached_user_policies

    page.goto("/users/create/")
    page.get_by_label("User name").fill("nina")
    page.get_by_label("Provide user access to the AWS Management Console").check()
    page.get_by_role("radio", name="Custom password").check()
    page.get_by_label("Custom password", exact=True).and_(page.locator("[type=password]")).fill(
        "Nina-first-Passw0rd!"
    )
    reset = page.get_by_label("Users must create a new password at next sign-in")
    reset.check()  # the recommended setting
    expect(
        page.get_by_text("Users automatically get the IAMUserChangePassword policy")
    ).to_be_visible()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Set permissions", exact=True)).to_be_visible()
    page.get_by_role("button", name="Next").click()  # no group, no policy picked
    expect(page.get_by_role("heading", name="Add tags (optional)")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Review and create")).to_be_visible()
    expect(page.get_by_text(CHANGE_PASSWORD)).to_be_visible()
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_text("User nina created.")).to_be_visible()
    attached = list_attached_user_policies(actor=root, user_name="nina").items
    assert [p.arn for p in attached] == [CHANGE_PASSWORD]

    # Root signs out; nina signs in for the first time and must choose a new password.
    page.locator(".account-menu summary").click()  # Sign out is in the account menu
    page.get_by_role("button", name="Sign out").first.click()
    page_monitor.expect(EXPECTED_403)
    sign_in_user(page, account=ACCOUNT, user_name="nina", password="Nina-first-Passw0rd!")
    page.get_by_label("Old password").fill("Nina-first-Passw0rd!")
    page.get_by_label("New password", exact=True).fill("Nina-second-Passw0rd!")
    page.get_by_label("Retype new password").fill("Nina-second-Passw0rd!")
    page.get_by_role("button", name="Confirm password change").click()
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()
    expect(page.locator(".topbar .identity")).to_contain_text("nina")
    nina = IamUser.objects.get(account_id=ACCOUNT, name="nina")
    assert nina.console.check_password("Nina-second-Passw0rd!")
    assert not nina.console.password_reset_required


def test_root_creates_and_deactivates_its_own_access_key(
    signed_in_root, page, page_monitor, totp_device
):
    from accounts.models import AccessKey
    from tests.conftest import TOTP_SEED

    page.locator(".account-menu summary").click()  # AWS: account menu -> Security credentials
    page.locator(".topbar").get_by_role("link", name="Security credentials").click()
    expect(page.get_by_role("heading", name="My security credentials")).to_be_visible()
    expect(page.get_by_text("Access keys (0)")).to_be_visible()
    page.get_by_role("button", name="Create access key").click()

    dialog = page.get_by_role("dialog", name="Create root access key")
    expect(dialog.get_by_text("Root user access keys are not recommended.")).to_be_visible()
    page_monitor.expect(r"status of 400|Response Status Error Code 400 ")  # refused in place
    dialog.get_by_role("button", name="Create access key").click()  # not acknowledged yet
    expect(page.get_by_text("Confirm that you understand the risk to continue.")).to_be_visible()
    page.get_by_label("I understand creating a root access key is not a best practice").check()
    page.get_by_role("dialog", name="Create root access key").get_by_role(
        "button", name="Create access key"
    ).click()

    expect(page.get_by_role("dialog", name="Confirm with MFA")).to_be_visible()
    page.get_by_label("MFA code").fill(next_code(totp_device, TOTP_SEED))
    page.get_by_role("button", name="Confirm").click()

    panel = page.get_by_role("region", name="Retrieve access key")
    expect(panel).to_be_visible()
    secret = panel.locator("#new-key-secret")
    expect(secret).to_be_hidden()  # behind "Show"
    panel.get_by_text("Show", exact=True).click()
    expect(secret).to_be_visible()
    key = AccessKey.objects.get(account_id=ACCOUNT, user__isnull=True)
    assert secret.inner_text().strip() == key.secret()
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", key.access_key_id)

    panel.get_by_role("link", name="Done").click()
    row = page.get_by_role("row").filter(has_text=key.access_key_id)
    expect(row).to_contain_text("Active")
    expect(page.get_by_text(key.secret())).to_have_count(0)
    row.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_text(f"Access key {key.access_key_id} deactivated.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=key.access_key_id)).to_contain_text("Inactive")
    key.refresh_from_db()
    assert key.status == "Inactive"
