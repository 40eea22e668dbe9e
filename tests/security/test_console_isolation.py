"""Tenant isolation in the console: the root of another account, signed in with MFA,
asks every console URL for this account's users, groups, roles, policies and keys,
and gets 404 / 403 or a page without them, never their data."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tests.security.test_console_auth import all_patterns, fill

pytestmark = pytest.mark.django_db

MARK = "a-private-tag-value"


@pytest.fixture
def account_a(root, account):
    from accounts.operations.credentials import create_access_key
    from accounts.operations.groups import create_group
    from accounts.operations.roles import create_role
    from accounts.operations.users import create_user
    from policies.operations import create_policy
    from tests.conftest import allow_policy

    tags = [{"Key": "secret", "Value": MARK}]
    user = create_user(actor=root, name="a-user", tags=tags)
    group = create_group(actor=root, name="a-group")
    role = create_role(
        actor=root,
        name="a-role",
        tags=tags,
        trust_policy=json.dumps(
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
        ),
    )
    policy = create_policy(
        actor=root, name="a-policy", document=allow_policy("s3:*"), tags=tags, description=MARK
    )
    key = create_access_key(actor=root, user_name="a-user").key
    values = {
        "user_name": user.name,
        "name": user.name,
        "group_name": group.name,
        "role_name": role.name,
        "policy_id": policy.policy_id,
        "arn": policy.arn,
        "access_key_id": key.access_key_id,
        "serial_number": "",
        "version_id": "v1",
    }
    secrets = {
        user.unique_id,
        group.unique_id,
        role.unique_id,
        policy.policy_id,
        key.access_key_id,
        MARK,
        account.id,
    }
    return values, secrets


def test_no_console_url_shows_another_accounts_data(outsider_console, account_a, figure):
    values, secrets = account_a
    statuses: dict[int, int] = {}
    leaks = []
    patterns = [p for p in all_patterns() if p[2]]  # URLs that name an entity
    for name, _route, args in patterns:
        url = reverse(name, kwargs=fill(args, values))
        for method in ("get", "post"):
            response = getattr(outsider_console, method)(url, {"confirm": values["user_name"]})
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            text = response.content.decode(errors="replace")
            named = set(values.values())
            if response.status_code == 200 and any(
                s in text and s not in url and s not in named for s in secrets
            ):
                leaks.append((method, url, response.status_code))
            if response.status_code >= 500:
                leaks.append((method, url, response.status_code))
    figure(
        f"{len(patterns)} entity URLs x GET/POST as another account: {dict(sorted(statuses.items()))}; {len(leaks)} leaks"
    )
    assert not leaks, leaks
