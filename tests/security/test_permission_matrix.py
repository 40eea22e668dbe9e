"""Enforcement across the whole console.

An IAM user with no permissions opens every console URL: each refuses (403) or
sends them elsewhere (redirect), and every POST changes nothing. A user with
IAMReadOnlyAccess can open the pages, but every write is refused and changes
nothing. (Root's own paths are covered page by page in each area's tests.)
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tests.security.test_console_auth import _db_fingerprint, all_patterns, fill

pytestmark = pytest.mark.django_db

# Public or self-service URLs every signed-in identity may open, with the reason.
SELF_SERVICE = {
    "accounts:signup": "public sign-up form",
    "accounts:signup-sent": "public sign-up step (the same page for every email)",
    "accounts:signup-confirm": "public sign-up step (the emailed link and its password)",
    "accounts:signin": "public sign-in form",
    "accounts:signin-password": "public sign-in step",
    "accounts:signin-mfa": "public sign-in step",
    "accounts:signin-mfa-enroll": "root's own MFA enrollment step",
    "accounts:signout": "anyone may sign out",
    "accounts:user-signin": "public IAM-user sign-in form",
    "accounts:user-signin-mfa": "the user's own sign-in step",
    "accounts:user-signin-change-password": "the user's own password (AWS lets users change it at sign-in)",
    "accounts:switch-role": "AWS shows Switch role to every IAM user; AssumeRole decides",
    "accounts:switch-role-back": "returns to the user's own identity",
    "iamconsole:dashboard": "the console home; each widget is authorized on its own",
}
# Endpoints that only check a document the caller typed (no data read or written).
DOCUMENT_CHECKS = {
    "policies:policy-validate",
    "accounts:group-inline-validate",
    "accounts:role-trust-validate",
    "accounts:role-inline-validate",
    "accounts:role-trust-preview",
    "policies:simulator-actions",  # the public AWS action catalog, no account data
}
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


@pytest.fixture
def world(root, account, group):
    from accounts.operations.credentials import create_access_key, create_login_profile
    from accounts.operations.roles import create_role
    from accounts.operations.users import create_user
    from policies.operations import create_policy

    create_user(actor=root, name="target")
    key = create_access_key(actor=root, user_name="target").key
    create_role(actor=root, name="app", trust_policy=TRUST)
    policy = create_policy(actor=root, name="Mine", document=POLICY)
    for name in ("nobody", "reader"):
        create_user(actor=root, name=name)
        create_login_profile(actor=root, user_name=name, password="Long-password-123")
    from policies.operations import attach_user_policy

    attach_user_policy(
        actor=root, user_name="reader", policy_arn="arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    )
    values = {
        "user_name": "target",
        "group_name": group.name,
        "role_name": "app",
        "policy_id": policy.policy_id,
        "access_key_id": key.access_key_id,
        "version_id": "v1",
        "account": account.id,
        "tab": "permissions",
    }
    body = {
        "name": "created-by-matrix",
        "user_name": "target",
        "group_name": group.name,
        "role_name": "app",
        "confirm": "target",
        "alias": "matrix-alias",
        "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess",
        "policy_arns": "arn:aws:iam::aws:policy/AdministratorAccess",
        "policy_name": "x",
        "document": POLICY,
        "policy_document": POLICY,
        "key": "k",
        "value": "v",
        "tags": "k=v",
        "status": "Inactive",
        "minimum_password_length": "12",
        "description": "d",
        "max_session_duration": "7200",
        "password": "Long-password-123",
        "users": "target",
        "groups": group.name,
        "trust_policy": TRUST,
        "version_id": "v1",
        "set_as_default": "on",
    }
    return values, body


def _urls(values):
    for name, _route, args in all_patterns():
        yield name, reverse(name, kwargs=fill(args, values))


def test_a_user_without_permissions_is_refused_everywhere(user_console, world, figure):
    from accounts.models import IamUser

    values, body = world
    client = user_console(IamUser.objects.get(name="nobody"))
    opened, changed = [], []
    statuses: dict[int, int] = {}
    for name, url in _urls(values):
        if name in SELF_SERVICE or name == "accounts:signout":
            continue
        response = client.get(url)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if response.status_code == 200 and name not in DOCUMENT_CHECKS:
            opened.append(url)
        before = _db_fingerprint()
        client.post(url, body)
        if _db_fingerprint() != before:
            changed.append(url)
    figure(
        f"GET statuses {dict(sorted(statuses.items()))}; {len(opened)} pages opened, {len(changed)} POSTs changed data"
    )
    assert not opened, "\n".join(opened)
    assert not changed, changed


def test_a_read_only_user_can_browse_but_every_write_is_refused(user_console, world, figure):
    from accounts.models import IamUser

    values, body = world
    client = user_console(IamUser.objects.get(name="reader"))
    changed, refused, pages = [], 0, 0
    for name, url in _urls(values):
        if name in SELF_SERVICE:
            continue
        if client.get(url).status_code == 200:
            pages += 1
        before = _db_fingerprint()
        response = client.post(url, body)
        if _db_fingerprint() != before:
            changed.append((url, response.status_code))
        elif response.status_code == 403:
            refused += 1
    figure(
        f"{pages} pages open to IAMReadOnlyAccess; {refused} POSTs refused 403; {len(changed)} changed data"
    )
    assert pages >= 10
    assert not changed, changed
