"""Shared fixtures and personas: ``root`` (an account's root), ``alice`` (an IAM user
of the same account) and ``outsider`` (root of another account)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iamconsole.settings")


@pytest.fixture
def account(db):
    from accounts.operations.account import sign_up

    return sign_up(
        email="root@example.com", password="root-password-1", account_id="111122223333"
    ).account


@pytest.fixture
def root_user(account):
    return account.console_users.get(is_root=True)


@pytest.fixture
def root(account):
    from accounts.principal import root_principal

    return root_principal(account.id, source_ip="127.0.0.1")


@pytest.fixture
def other_account(db):
    from accounts.operations.account import sign_up

    return sign_up(
        email="other@example.org", password="other-password-1", account_id="444455556666"
    ).account


@pytest.fixture
def outsider(other_account):
    from accounts.principal import root_principal

    return root_principal(other_account.id, source_ip="127.0.0.2")


@pytest.fixture
def iam_user(root):
    from accounts.operations.users import create_user

    return create_user(actor=root, name="alice")


@pytest.fixture
def alice(iam_user):
    from accounts.principal import user_principal

    return user_principal(iam_user, source_ip="127.0.0.1")


@pytest.fixture
def group(root):
    from accounts.operations.groups import create_group

    return create_group(actor=root, name="developers")


def allow_policy(action: str | list[str] = "*", resource: str | list[str] = "*") -> str:
    import json

    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}],
        }
    )


@pytest.fixture(autouse=True)
def _fresh_policy_cache():
    """Each test starts with an empty per-process policy cache."""
    from policies import cache

    cache.clear()
    yield


# -- console sign-in (root + TOTP) ------------------------------------------------------

TOTP_SEED = bytes(range(1, 21))  # a fixed 20-byte seed: tests compute real codes from it


@pytest.fixture
def totp_device(account, root_user):
    """The root user's enabled virtual MFA device, seeded with ``TOTP_SEED``."""
    from django.utils import timezone

    from accounts.models import MfaDevice

    device = MfaDevice(
        account=account,
        user=root_user,
        name="root-account-mfa-device",
        serial_number=f"arn:aws:iam::{account.id}:mfa/root-account-mfa-device",
        confirmed=True,
        enabled=timezone.now(),
    )
    device.set_seed(TOTP_SEED)
    device.save()
    return device


@pytest.fixture
def console(client, root_user, totp_device):
    """A browser signed in as root and MFA-verified."""
    import time

    from django_otp import DEVICE_ID_SESSION_KEY

    from iamconsole.console import IDENTITY_KEY, MFA_AUTH_TIME_KEY
    from iamconsole.middleware import SESSION_STARTED_KEY

    client.force_login(root_user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device.persistent_id  # MFA-verified
    session[SESSION_STARTED_KEY] = time.time()
    session[IDENTITY_KEY] = {"kind": "root"}
    session[MFA_AUTH_TIME_KEY] = time.time()
    session.save()
    return client


class Clock:
    """A controllable clock for Django's ``timezone.now`` and the TOTP steps."""

    def __init__(self, start: float) -> None:
        self.t = start

    def time(self) -> float:
        return self.t

    def now(self):
        from datetime import UTC, datetime

        return datetime.fromtimestamp(self.t, tz=UTC)

    def advance(self, seconds: float) -> None:
        self.t += seconds

    @property
    def step(self) -> int:
        return int(self.t // 30)


@pytest.fixture
def clock(monkeypatch):
    """Freeze time (mid-step, so codes stay valid) and move it by hand: no sleeping."""
    import time
    import types

    from django.utils import timezone

    import accounts.totp

    start = (int(time.time()) // 30) * 30 + 5
    c = Clock(float(start))
    monkeypatch.setattr(timezone, "now", c.now)
    monkeypatch.setattr(accounts.totp, "time", types.SimpleNamespace(time=c.time))
    return c


# -- IAM users in the console -------------------------------------------------------------


@pytest.fixture
def user_console(db):
    """Factory: ``user_console(iam_user, *, device=None, mfa=True, client=None)`` -> a Django
    test client signed in to the console as that IAM user.

    The session is set exactly as the IAM user sign-in (accounts/pages/user_signin.py)
    leaves it after the password step (and the MFA step): Django login of the user's
    ConsoleUser, ``SESSION_STARTED_KEY``, and ``IDENTITY_KEY`` =
    ``{"kind": "user", "user_id", "user_name", "account_id", "mfa_required"}``.

    - The user must have a login profile (``create_login_profile``): without one the
      sign-in refuses them, and so does this factory (``ValueError``).
    - MFA: when the user has an enabled MFA device (or ``device=`` names one) and
      ``mfa=True``, the session has passed the MFA step (django-otp verified, so the
      principal is ``mfa_authenticated``). ``mfa=False`` leaves that step owed: every
      console page then redirects to the MFA step. A user without a device signs in
      with the password alone, as in AWS.
    - ``password_reset_required`` is kept: such a client reaches only the
      change-password step until it changes the password.
    - ``client``: sign in an existing client instead of a new ``django.test.Client``
      (e.g. ``Client(enforce_csrf_checks=True)``).

    Example::

        def test_alice_lists_users(user_console, iam_user, root):
            create_login_profile(actor=root, user_name="alice", password="Passw0rd-long!")
            c = user_console(iam_user)
            assert c.get("/users/").status_code == 200
    """
    import time

    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.models import MfaDevice
    from iamconsole.console import IDENTITY_KEY, MFA_AUTH_TIME_KEY
    from iamconsole.middleware import SESSION_STARTED_KEY

    def make(user, *, device=None, mfa: bool = True, client: Client | None = None) -> Client:
        user.refresh_from_db()
        console_user = user.console
        console_user.refresh_from_db()
        if not console_user.has_login_profile:
            raise ValueError(f"IAM user {user.name} has no login profile: no console sign-in.")
        if device is None:
            device = (
                MfaDevice.objects.filter(iam_user=user, confirmed=True, enabled__isnull=False)
                .order_by("enabled", "pk")
                .first()
            )
        c = client or Client()
        c.force_login(console_user, backend="accounts.auth.ConsoleBackend")
        session = c.session
        session[SESSION_STARTED_KEY] = time.time()
        session[IDENTITY_KEY] = {
            "kind": "user",
            "user_id": user.pk,
            "user_name": user.name,
            "account_id": user.account_id,
            "mfa_required": device is not None,
        }
        if device is not None and mfa:
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session[MFA_AUTH_TIME_KEY] = time.time()
        session.save()
        return c

    return make


USER_PASSWORD = "Alice-password-1!"


@pytest.fixture
def alice_login(root, iam_user):
    """alice with a console password (``USER_PASSWORD``), no reset required."""
    from accounts.operations.credentials import create_login_profile

    create_login_profile(actor=root, user_name=iam_user.name, password=USER_PASSWORD)
    iam_user.refresh_from_db()
    return iam_user


@pytest.fixture
def user_totp_device(alice_login):
    """alice's enabled virtual MFA device, seeded with ``TOTP_SEED``."""
    from django.utils import timezone

    from accounts.models import MfaDevice

    user = alice_login
    device = MfaDevice(
        account_id=user.account_id,
        user=user.console,
        iam_user=user,
        name=user.name,
        serial_number=f"arn:aws:iam::{user.account_id}:mfa/{user.name}",
        confirmed=True,
        enabled=timezone.now(),
    )
    device.set_seed(TOTP_SEED)
    device.save()
    return device
