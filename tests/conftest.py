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
