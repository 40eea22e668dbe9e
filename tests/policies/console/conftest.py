"""Console clients for the policy pages: root (tests/conftest.py ``console``), and IAM
users signed in to the console with an MFA device, built the way the sign-in does."""

from __future__ import annotations

import json
import time

import pytest

HTMX = {"HX-Request": "true"}
S3_READ = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ReadBuckets", "Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}
        ],
    },
    indent=2,
)


def _user_builder(request, identity):
    """A stand-in for the sign-in's "user" builder until iamconsole/console.py has one."""
    from django.core.exceptions import PermissionDenied

    from accounts.models import IamUser
    from accounts.principal import user_principal
    from iamconsole.console import client_ip

    user = IamUser.objects.filter(console=request.user).first()
    if user is None:
        raise PermissionDenied("The session does not belong to an IAM user.")
    verified = bool(request.user.is_verified())
    return user_principal(
        user,
        source_ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:512],
        via="console",
        mfa_authenticated=verified,
    )


@pytest.fixture
def iam_console(root, monkeypatch):
    """``iam_console(name, *policy_arns)``: a client signed in as a new IAM user with
    those managed policies, past the MFA step, the session as the IAM-user sign-in
    leaves it (``{"kind": "user", "user_id", "user_name", "account_id", "mfa_required"}``)."""
    from django.test import Client
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.models import MfaDevice
    from accounts.operations.credentials import create_login_profile
    from accounts.operations.users import create_user
    from iamconsole import console
    from iamconsole.console import IDENTITY_KEY, MFA_AUTH_TIME_KEY
    from iamconsole.middleware import SESSION_STARTED_KEY
    from policies.operations import attach_user_policy

    if "user" not in console.PRINCIPAL_BUILDERS:
        monkeypatch.setitem(console.PRINCIPAL_BUILDERS, "user", _user_builder)

    def make(name: str, *policy_arns: str, enforce_csrf_checks: bool = False) -> Client:
        user = create_user(actor=root, name=name)
        create_login_profile(actor=root, user_name=name, password="Long-enough-password-1!")
        for arn in policy_arns:
            attach_user_policy(actor=root, user_name=name, policy_arn=arn)
        user.refresh_from_db()
        device = MfaDevice(
            account_id=user.account_id,
            user=user.console,
            iam_user=user,
            name=name,
            serial_number=f"arn:aws:iam::{user.account_id}:mfa/{name}",
            confirmed=True,
            enabled=timezone.now(),
        )
        device.set_seed(bytes(range(20)))
        device.save()
        c = Client(enforce_csrf_checks=enforce_csrf_checks)
        c.force_login(user.console)
        session = c.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session[SESSION_STARTED_KEY] = time.time()
        session[IDENTITY_KEY] = {
            "kind": "user",
            "user_id": user.pk,
            "user_name": user.name,
            "account_id": user.account_id,
            "mfa_required": True,
        }
        session[MFA_AUTH_TIME_KEY] = time.time()
        session.save()
        return c

    return make


@pytest.fixture
def s3_policy(root):
    from policies.operations import create_policy

    return create_policy(
        actor=root, name="s3-read", document=S3_READ, description="Read objects in S3"
    )


@pytest.fixture
def outsider_console(other_account):
    """A browser signed in as the root of another account (MFA-verified)."""
    from django.test import Client
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.models import MfaDevice
    from iamconsole.console import IDENTITY_KEY, MFA_AUTH_TIME_KEY
    from iamconsole.middleware import SESSION_STARTED_KEY

    other_root = other_account.console_users.get(is_root=True)
    device = MfaDevice(
        account=other_account,
        user=other_root,
        name="root-account-mfa-device",
        confirmed=True,
        serial_number=f"arn:aws:iam::{other_account.id}:mfa/root-account-mfa-device",
        enabled=timezone.now(),
    )
    device.set_seed(bytes(range(20)))
    device.save()
    c = Client()
    c.force_login(other_root)
    session = c.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[SESSION_STARTED_KEY] = time.time()
    session[IDENTITY_KEY] = {"kind": "root"}
    session[MFA_AUTH_TIME_KEY] = time.time()
    session.save()
    return c
