"""Privilege escalation through the console: mallory holds ``iam:*`` on her own user
ARN only. Every console write aimed at another user, the admins group, a role or a
managed policy changes nothing; the same kind of write on herself goes through, as
AWS would allow it."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tests.security.test_console_auth import _db_fingerprint, all_patterns, fill
from tests.security.test_permission_matrix import POLICY, TRUST

pytestmark = pytest.mark.django_db

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


@pytest.fixture
def mallory_console(root, account, user_console):
    from accounts.operations.credentials import create_login_profile
    from accounts.operations.groups import create_group
    from accounts.operations.roles import create_role
    from accounts.operations.users import create_user
    from policies import operations as ops

    mallory = create_user(actor=root, name="mallory")
    create_user(actor=root, name="victim")
    create_group(actor=root, name="admins")
    ops.attach_group_policy(actor=root, group_name="admins", policy_arn=ADMIN)
    create_role(actor=root, name="ops", trust_policy=TRUST)
    harmless = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
        }
    )
    mine = ops.create_policy(actor=root, name="MalloryPolicy", document=harmless)
    ops.attach_user_policy(actor=root, user_name="mallory", policy_arn=mine.arn)
    ops.put_user_policy(
        actor=root,
        user_name="mallory",
        policy_name="self-service",
        document=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "iam:*",
                        "Resource": "arn:aws:iam::*:user/${aws:username}",
                    }
                ],
            }
        ),
    )
    create_login_profile(actor=root, user_name="mallory", password="Long-password-123")
    return user_console(mallory), mine


def test_console_writes_against_others_change_nothing(mallory_console, console, group, figure):
    root_console = console
    client, mine = mallory_console
    values = {
        "user_name": "victim",
        "group_name": "admins",
        "role_name": "ops",
        "policy_id": mine.policy_id,
        "version_id": "v1",
        "access_key_id": "AKIAXXXXXXXXXXXXXXXX",
        "tab": "permissions",
    }
    body = {
        "policies": ADMIN,
        "policy_arn": ADMIN,
        "name": "pwn",
        "document": POLICY,
        "users": "mallory",
        "user": "mallory",
        "user_name": "mallory",
        "set_as_default": "on",
        "password": "Pwned-password-1",
        "confirm": "victim",
        "key": "k",
        "value": "v",
        "mode": "custom",
        "console_access": "on",
    }

    def attempt(browser) -> tuple[int, list[str]]:
        tried, changed = 0, []
        before = _db_fingerprint()
        for name, _route, args in all_patterns():
            if not args or name.startswith("accounts:user-signin") or name == "accounts:signout":
                continue
            url = reverse(name, kwargs=fill(args, values))
            browser.post(url, body)
            tried += 1
            after = _db_fingerprint()  # nothing runs in between: the next POST's "before"
            if after != before:
                changed.append(url)
            before = after
        return tried, changed

    tried, changed = attempt(client)
    # Control: the same requests from root do change data, so the probe is not idle.
    _, root_changed = attempt(root_console)
    figure(
        f"{tried} console writes aimed at others' users, groups, roles and policies: "
        f"{len(changed)} changed data (the same requests from root: {len(root_changed)} did)"
    )
    assert not changed, changed
    assert len(root_changed) >= 10


def test_the_same_write_on_herself_is_allowed_as_aws_allows_it(mallory_console, figure):
    from policies.models import PolicyAttachment

    client, _ = mallory_console
    response = client.post(
        reverse("accounts:user-attach-policies", args=["mallory"]), {"policies": ADMIN}
    )
    attached = PolicyAttachment.objects.filter(user__name="mallory", policy__arn=ADMIN).exists()
    figure(
        f"attach AdministratorAccess to herself: HTTP {response.status_code}, attached={attached} "
        "(AWS allows it: the resource is her own user)"
    )
    assert attached
