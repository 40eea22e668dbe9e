"""Console clients for the policy pages: root (tests/conftest.py ``console``), and IAM
users with managed policies, signed in to the console with an MFA device
(tests/conftest.py ``signed_in``)."""

from __future__ import annotations

import json

import pytest

S3_READ = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ReadBuckets", "Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}
        ],
    },
    indent=2,
)


@pytest.fixture
def iam_console(root):
    """``iam_console(name, *policy_arns)``: a client signed in as a new IAM user with
    those managed policies, past the MFA step of its own virtual MFA device."""
    from django.test import Client

    from accounts.operations.credentials import create_login_profile
    from accounts.operations.users import create_user
    from policies.operations import attach_user_policy
    from tests.conftest import signed_in, virtual_mfa_device

    def make(name: str, *policy_arns: str, enforce_csrf_checks: bool = False) -> Client:
        user = create_user(actor=root, name=name)
        create_login_profile(actor=root, user_name=name, password="Long-enough-password-1!")
        for arn in policy_arns:
            attach_user_policy(actor=root, user_name=name, policy_arn=arn)
        user.refresh_from_db()
        device = virtual_mfa_device(user.console, iam_user=user, seed=bytes(range(20)))
        return signed_in(Client(enforce_csrf_checks=enforce_csrf_checks), user, device=device)

    return make


@pytest.fixture
def s3_policy(root):
    from policies.operations import create_policy

    return create_policy(
        actor=root, name="s3-read", document=S3_READ, description="Read objects in S3"
    )
