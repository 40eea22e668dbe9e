"""Access keys in the console: MFA again first, the secret shown once, the .csv once,
at most two, deactivate/activate, delete after typing the key id."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AccessKey
from accounts.operations.credentials import create_access_key
from accounts.totp import code_at
from tests.conftest import HTMX, TOTP_SEED


@pytest.fixture
def reauthed(console, clock):
    """The root console after passing the MFA step for sensitive actions."""
    from accounts.pages.users_credentials import REAUTH_SESSION

    session = console.session
    session[REAUTH_SESSION] = clock.time()
    session.save()
    return console


def create_url(name: str = "alice") -> str:
    return reverse("accounts:user-create-access-key", args=[name])


def test_creating_a_key_first_asks_for_a_fresh_mfa_code(console, iam_user, clock):
    r = console.post(create_url(), headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and 'name="mfa_code"' in html and "<html" not in html
    assert not AccessKey.objects.filter(user=iam_user).exists()
    r = console.post(create_url(), {"mfa_code": "000000"}, headers=HTMX)
    assert r.status_code == 403 and "not valid" in r.content.decode()
    assert not AccessKey.objects.filter(user=iam_user).exists()
    r = console.post(create_url(), {"mfa_code": code_at(TOTP_SEED, clock.step)}, headers=HTMX)
    assert r.status_code == 403 and "Too many wrong codes" in r.content.decode()
    clock.advance(2)  # django-otp's wait after one failure
    r = console.post(create_url(), {"mfa_code": code_at(TOTP_SEED, clock.step)}, headers=HTMX)
    assert r.status_code == 200 and AccessKey.objects.filter(user=iam_user).count() == 1
    # Remembered for five minutes, then asked again.
    clock.advance(200)
    r = console.post(create_url(), headers=HTMX)
    assert AccessKey.objects.filter(user=iam_user).count() == 2
    AccessKey.objects.filter(user=iam_user).delete()
    clock.advance(120)
    r = console.post(create_url(), headers=HTMX)
    assert 'name="mfa_code"' in r.content.decode()
    assert not AccessKey.objects.filter(user=iam_user).exists()


def test_a_code_is_not_accepted_twice(console, iam_user, clock):
    code = code_at(TOTP_SEED, clock.step)
    assert console.post(create_url(), {"mfa_code": code}).status_code == 200
    from accounts.pages.users_credentials import REAUTH_SESSION

    session = console.session
    del session[REAUTH_SESSION]
    session.save()
    r = console.post(create_url(), {"mfa_code": code})
    assert r.status_code == 403 and AccessKey.objects.filter(user=iam_user).count() == 1


def test_the_secret_is_shown_once_and_the_csv_downloads_once(reauthed, iam_user):
    r = reauthed.post(create_url(), headers=HTMX)
    html = r.content.decode()
    key = AccessKey.objects.get(user=iam_user)
    secret = key.secret()
    assert r.status_code == 200 and key.access_key_id in html and secret in html
    # Any later view of the user shows no secret.
    later = reauthed.get(
        reverse("accounts:user-detail-tab", args=["alice", "security-credentials"])
    )
    assert secret not in later.content.decode() and key.access_key_id in later.content.decode()
    # The page was left: the secret is gone, even for the .csv.
    csv_url = reverse("accounts:user-access-key-csv", args=["alice", key.access_key_id])
    assert reauthed.post(csv_url).status_code == 410


def test_csv_is_served_once(reauthed, iam_user):
    reauthed.post(create_url())
    key = AccessKey.objects.get(user=iam_user)
    csv_url = reverse("accounts:user-access-key-csv", args=["alice", key.access_key_id])
    assert reauthed.get(csv_url).status_code == 405  # a GET never takes the secret
    r = reauthed.post(csv_url)
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert (
        "attachment" in r["Content-Disposition"]
        and "alice_accessKeys.csv" in r["Content-Disposition"]
    )
    assert (
        r.content.decode()
        == f"Access key ID,Secret access key\r\n{key.access_key_id},{key.secret()}\r\n"
    )
    again = reauthed.post(csv_url)
    assert again.status_code == 410 and key.secret() not in again.content.decode()


def test_csv_of_another_users_key_is_refused(reauthed, root, iam_user):
    from accounts.operations.users import create_user

    create_user(actor=root, name="bob")
    reauthed.post(create_url())
    key = AccessKey.objects.get(user=iam_user)
    r = reauthed.post(reverse("accounts:user-access-key-csv", args=["bob", key.access_key_id]))
    assert r.status_code == 410 and key.secret() not in r.content.decode()


def test_a_third_key_is_refused_with_limit_exceeded(reauthed, root, iam_user):
    create_access_key(actor=root, user_name="alice")
    create_access_key(actor=root, user_name="alice")
    html = reauthed.get(
        reverse("accounts:user-detail-tab", args=["alice", "security-credentials"])
    ).content.decode()
    assert "disabled" in html.split("Create access key</button>", 1)[0].rsplit("<button", 1)[1]
    r = reauthed.post(create_url(), headers=HTMX)
    assert (
        r.status_code == 409
        and "Cannot exceed quota for AccessKeysPerUser: 2" in r.content.decode()
    )
    assert AccessKey.objects.filter(user=iam_user).count() == 2


def test_deactivate_and_activate_in_place(console, root, iam_user):
    key = create_access_key(actor=root, user_name="alice").key
    url = reverse("accounts:user-access-key-status", args=["alice", key.access_key_id])
    r = console.post(url, {"status": "Inactive"}, headers=HTMX)
    key.refresh_from_db()
    assert (
        r.status_code == 200
        and key.status == "Inactive"
        and "Activate</button>" in r.content.decode()
    )
    console.post(url, {"status": "Active"}, headers=HTMX)
    key.refresh_from_db()
    assert key.status == "Active"
    r = console.post(url, {"status": "Bogus"}, headers=HTMX)
    assert r.status_code == 400 and "enum value set" in r.content.decode()


def test_delete_asks_for_the_key_id(console, root, iam_user):
    key = create_access_key(actor=root, user_name="alice").key
    url = reverse("accounts:user-access-key-delete", args=["alice", key.access_key_id])
    html = console.get(url, headers=HTMX).content.decode()
    assert "To confirm deletion, enter the access key ID" in html and "<html" not in html
    r = console.post(url, {"confirm": "AKIA-wrong"}, headers=HTMX)
    assert r.status_code == 400 and AccessKey.objects.filter(pk=key.pk).exists()
    r = console.post(url, {"confirm": key.access_key_id}, headers=HTMX)
    assert r.status_code == 200 and not AccessKey.objects.filter(pk=key.pk).exists()
    assert f"Access key {key.access_key_id} deleted." in r.content.decode()


def test_deleting_an_unknown_key_is_404(console, iam_user):
    url = reverse("accounts:user-access-key-delete", args=["alice", "AKIAUNKNOWN000000000"])
    assert console.get(url).status_code == 404
    assert console.post(url, {"confirm": "AKIAUNKNOWN000000000"}).status_code == 404


def test_keys_table_shows_last_used_date_service_and_region(console, root, iam_user):
    from django.utils import timezone

    key = create_access_key(actor=root, user_name="alice").key
    AccessKey.objects.filter(pk=key.pk).update(
        last_used=timezone.now(), last_used_service="iam", last_used_region="us-east-1"
    )
    html = console.get(
        reverse("accounts:user-detail-tab", args=["alice", "security-credentials"])
    ).content.decode()
    row = html.split(f'id="key-{key.access_key_id}"', 1)[1].split("</tr>", 1)[0]
    assert ">iam<" in row and "us-east-1" in row and "Active" in row


def test_an_iam_user_without_mfa_creates_keys_without_the_mfa_step(root, user_console, alice_login):
    import json

    from policies.operations import put_user_policy

    put_user_policy(
        actor=root,
        user_name="alice",
        policy_name="own-keys",
        document=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["iam:*AccessKey*", "iam:GetUser", "iam:List*"],
                        "Resource": "arn:aws:iam::111122223333:user/alice",
                    }
                ],
            }
        ),
    )
    client = user_console(alice_login)
    r = client.post(create_url(), headers=HTMX)
    assert r.status_code == 200 and AccessKey.objects.filter(user=alice_login).count() == 1


def test_an_iam_user_with_mfa_must_type_a_code_from_their_own_device(
    root, user_console, user_totp_device, clock
):
    from policies.operations import attach_user_policy

    attach_user_policy(
        actor=root, user_name="alice", policy_arn="arn:aws:iam::aws:policy/IAMFullAccess"
    )
    client = user_console(user_totp_device.iam_user)
    r = client.post(create_url())
    assert 'name="mfa_code"' in r.content.decode()
    # A code from another device is not alice's: refused.
    r = client.post(create_url(), {"mfa_code": code_at(b"\x09" * 20, clock.step)})
    assert r.status_code == 403
    clock.advance(2)
    r = client.post(create_url(), {"mfa_code": code_at(TOTP_SEED, clock.step)})
    assert (
        r.status_code == 200
        and AccessKey.objects.filter(user=user_totp_device.iam_user).count() == 1
    )


def test_the_summary_refreshes_without_dropping_the_new_secret(reauthed, iam_user):
    r = reauthed.post(create_url(), headers=HTMX)
    assert "userChanged" in r.headers["HX-Trigger"]
    key = AccessKey.objects.get(user=iam_user)
    summary = reauthed.get(
        reverse("accounts:user-detail", args=["alice"]),
        headers={**HTMX, "HX-Target": "user-summary"},
    )
    html = summary.content.decode()
    assert 'id="user-summary"' in html and key.access_key_id in html and 'id="user-tab"' not in html
    csv_url = reverse("accounts:user-access-key-csv", args=["alice", key.access_key_id])
    assert reauthed.post(csv_url).status_code == 200
