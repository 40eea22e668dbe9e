"""Issue 16, item 3: root's "Security credentials" page (account menu in AWS).

Sign-in details, root's MFA device, and root's own access keys: create (AWS's warning
and an acknowledgement, then a fresh MFA code), the secret once and the .csv once,
deactivate/activate, delete after typing the id; all through the operations, so each
is audited with root as the actor."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AccessKey
from accounts.operations.credentials import create_login_profile
from accounts.totp import code_at
from audit.models import AuditEvent
from tests.conftest import HTMX, TOTP_SEED, USER_PASSWORD

PAGE = reverse("accounts:root-security-credentials")
CREATE = reverse("accounts:root-create-access-key")


def root_keys(account_id: str = "111122223333"):
    return AccessKey.objects.filter(account_id=account_id, user__isnull=True)


@pytest.fixture
def reauthed(console, clock):
    from accounts.pages.users_credentials import REAUTH_SESSION

    session = console.session
    session[REAUTH_SESSION] = clock.time()
    session.save()
    return console


def test_the_page_shows_sign_in_details_mfa_and_keys(console, totp_device):
    html = console.get(PAGE).content.decode()
    assert "111122223333" in html and "arn:aws:iam::111122223333:root" in html
    assert "/signin/111122223333/" in html
    assert "arn:aws:iam::111122223333:mfa/root-account-mfa-device" in html
    assert "Access keys (0)" in html and "Create access key" in html


def test_the_header_links_to_the_page(console):
    assert f'href="{PAGE}"' in console.get("/").content.decode()


def test_creating_a_key_warns_asks_to_acknowledge_then_for_mfa(console, clock):
    form = console.get(CREATE, headers=HTMX).content.decode()
    assert "Root user access keys are not recommended" in form
    assert "We strongly recommend that you do not create access key pairs" in form
    r = console.post(CREATE, {}, headers=HTMX)
    assert r.status_code == 400 and "Confirm that you understand" in r.content.decode()
    assert not root_keys().exists()
    r = console.post(CREATE, {"confirm": "on"}, headers=HTMX)
    assert r.status_code == 200 and 'name="mfa_code"' in r.content.decode()
    assert not root_keys().exists()
    r = console.post(CREATE, {"confirm": "on", "mfa_code": "000000"}, headers=HTMX)
    assert r.status_code == 403 and not root_keys().exists()
    clock.advance(2)
    code = code_at(TOTP_SEED, clock.step)
    r = console.post(CREATE, {"confirm": "on", "mfa_code": code}, headers=HTMX)
    html = r.content.decode()
    key = root_keys().get()
    assert r.status_code == 200 and key.access_key_id in html and key.secret() in html
    assert "Show" in html and "Access key best practices" in html
    event = AuditEvent.objects.get(event_name="CreateAccessKey", allowed=True)
    assert event.actor_arn == "arn:aws:iam::111122223333:root"


def test_the_secret_is_shown_once_and_the_csv_downloads_once(reauthed):
    reauthed.post(CREATE, {"confirm": "on"})
    key = root_keys().get()
    csv_url = reverse("accounts:root-access-key-csv", args=[key.access_key_id])
    r = reauthed.post(csv_url)
    assert r.status_code == 200 and "rootkey.csv" in r["Content-Disposition"]
    assert r.content.decode().splitlines() == [
        "Access key ID,Secret access key",
        f"{key.access_key_id},{key.secret()}",
    ]
    assert reauthed.post(csv_url).status_code == 410
    reauthed.post(CREATE, {"confirm": "on"})
    second = root_keys().exclude(pk=key.pk).get()
    page = reauthed.get(PAGE).content.decode()  # leaving the page drops the secret
    assert second.secret() not in page
    csv_url = reverse("accounts:root-access-key-csv", args=[second.access_key_id])
    assert reauthed.post(csv_url).status_code == 410


def test_at_most_two_keys(reauthed):
    for _ in range(2):
        assert reauthed.post(CREATE, {"confirm": "on"}).status_code == 200
    assert "disabled" in reauthed.get(PAGE).content.decode()
    r = reauthed.post(CREATE, {"confirm": "on"})
    assert r.status_code == 409 and "AccessKeysPerUser" in r.content.decode()
    assert root_keys().count() == 2


def test_deactivate_activate_and_delete(reauthed):
    reauthed.post(CREATE, {"confirm": "on"})
    key = root_keys().get()
    status = reverse("accounts:root-access-key-status", args=[key.access_key_id])
    r = reauthed.post(status, {"status": "Inactive"}, headers=HTMX)
    assert r.status_code == 200 and "deactivated" in r.content.decode()
    key.refresh_from_db()
    assert key.status == "Inactive"
    assert reauthed.post(status, {"status": "Bogus"}, headers=HTMX).status_code == 400
    assert reauthed.post(status, {"status": "Active"}).status_code == 302
    key.refresh_from_db()
    assert key.status == "Active"

    delete = reverse("accounts:root-access-key-delete", args=[key.access_key_id])
    assert "To confirm deletion" in reauthed.get(delete, headers=HTMX).content.decode()
    assert reauthed.post(delete, {"confirm": "nope"}, headers=HTMX).status_code == 400
    assert root_keys().exists()
    r = reauthed.post(delete, {"confirm": key.access_key_id}, headers=HTMX)
    assert r.status_code == 200 and not root_keys().exists()
    assert AuditEvent.objects.filter(event_name="DeleteAccessKey", allowed=True).count() == 1


def test_a_user_key_is_not_reachable_from_the_root_page(reauthed, root, iam_user):
    from accounts.operations.credentials import create_access_key

    user_key = create_access_key(actor=root, user_name="alice").key
    url = reverse("accounts:root-access-key-status", args=[user_key.access_key_id])
    r = reauthed.post(url, {"status": "Inactive"}, headers=HTMX)
    assert r.status_code in (400, 404)
    user_key.refresh_from_db()
    assert user_key.status == "Active"


def test_an_iam_user_is_sent_to_their_own_credentials(user_console, root, iam_user):
    create_login_profile(actor=root, user_name="alice", password=USER_PASSWORD)
    client = user_console(iam_user)
    r = client.get(PAGE)
    assert r.status_code == 302
    assert r.url == reverse("accounts:user-detail-tab", args=["alice", "security-credentials"])
    assert client.post(CREATE, {"confirm": "on"}).status_code == 302
    assert not root_keys().exists()


def test_the_outsider_sees_only_its_own_account(outsider_console, reauthed):
    reauthed.post(CREATE, {"confirm": "on"})
    html = outsider_console.get(PAGE).content.decode()
    assert "111122223333" not in html and root_keys().get().access_key_id not in html
