"""The account password policy holds at every step: reuse prevention remembers the
last N passwords, MaxPasswordAge forces a change at sign-in, and HardExpiry locks an
expired password until an administrator resets it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.errors import AccessDenied, PasswordPolicyViolation
from accounts.models import ConsoleUser, PasswordHistory
from accounts.operations.account import update_account_password_policy
from accounts.operations.credentials import (
    REUSED,
    change_password,
    get_login_profile,
    update_login_profile,
)
from accounts.principal import user_principal
from tests.conftest import USER_PASSWORD

pytestmark = pytest.mark.django_db

ACCOUNT = "111122223333"
A, B, C, D = USER_PASSWORD, "Second-passw0rd", "Third-passw0rd", "Fourth-passw0rd"


def sign_in(client: Client, password: str):
    url = reverse("accounts:user-signin", args=[ACCOUNT])
    return client.post(url, {"account": ACCOUNT, "username": "alice", "password": password})


def change(user, old: str, new: str) -> str:
    try:
        change_password(actor=user_principal(user), old_password=old, new_password=new)
    except (PasswordPolicyViolation, AccessDenied) as exc:
        return exc.message.splitlines()[-1]
    return "ok"


def age(user, days: int) -> None:
    ConsoleUser.objects.filter(pk=user.console_id).update(
        password_changed=timezone.now() - timedelta(days=days)
    )


def test_reuse_prevention_remembers_the_last_n_passwords(root, alice_login, figure):
    update_account_password_policy(
        actor=root, password_reuse_prevention=3, allow_users_to_change_password=True
    )
    steps = [
        ("A->B", change(alice_login, A, B)),
        ("B->A", change(alice_login, B, A)),  # the attack: back to the first password
        ("B->C", change(alice_login, B, C)),
        ("C->A", change(alice_login, C, A)),  # A is the 3rd last: still remembered
        ("C->D", change(alice_login, C, D)),
        ("D->A", change(alice_login, D, A)),  # A is now the 4th last: allowed again
    ]
    figure("PasswordReusePrevention=3: " + ", ".join(f"{s}: {r}" for s, r in steps))
    assert [r for _, r in steps] == ["ok", REUSED, "ok", REUSED, "ok", "ok"]
    assert PasswordHistory.objects.filter(console_id=alice_login.console_id).count() == 4
    assert not any(h.password.endswith(A) for h in PasswordHistory.objects.all())  # hashes only


def test_a_password_older_than_max_password_age_forces_the_change_step(root, alice_login, figure):
    update_account_password_policy(
        actor=root, max_password_age=30, allow_users_to_change_password=True
    )
    age(alice_login, 29)
    fresh = sign_in(Client(), A)
    age(alice_login, 31)
    client = Client()
    old = sign_in(client, A)
    console_closed = client.get("/")
    figure(
        f"MaxPasswordAge=30: 29-day-old password -> {fresh.url}; 31-day-old -> {old.url}, "
        f"console -> {console_closed.status_code} {console_closed.url}"
    )
    assert fresh.status_code == 302 and fresh.url == reverse("iamconsole:dashboard")
    change_step = reverse("accounts:user-signin-change-password")
    assert old.status_code == 302 and old.url == change_step
    assert console_closed.status_code == 302 and console_closed.url.startswith(change_step)
    r = client.post(change_step, {"old_password": A, "new_password1": B, "new_password2": B})
    assert r.status_code == 302 and client.get("/").status_code in (200, 403)
    assert not ConsoleUser.objects.get(pk=alice_login.console_id).password_reset_required


def test_hard_expiry_refuses_the_expired_password_until_an_administrator_resets_it(
    root, alice_login, figure
):
    update_account_password_policy(
        actor=root, max_password_age=30, hard_expiry=True, allow_users_to_change_password=True
    )
    age(alice_login, 31)
    client = Client()
    refused = sign_in(client, A)
    self_change = change(alice_login, A, B)
    console_after = client.get("/")
    unchanged = ConsoleUser.objects.get(pk=alice_login.console_id).check_password(A)
    update_login_profile(actor=root, user_name="alice", password=C)  # the administrator
    reset = sign_in(Client(), C)
    figure(
        f"HardExpiry, 31-day-old password: sign-in {refused.status_code}, own ChangePassword "
        f"{self_change!r}; after the admin's UpdateLoginProfile: sign-in {reset.status_code}"
    )
    assert refused.status_code == 403 and "expired" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    assert console_after.status_code == 302
    assert "expired" in self_change
    assert unchanged  # the refused ChangePassword changed nothing
    assert reset.status_code == 302 and reset.url == reverse("iamconsole:dashboard")
    assert get_login_profile(
        actor=root, user_name="alice"
    ).password_changed > timezone.now() - timedelta(minutes=1)
