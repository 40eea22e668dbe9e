"""Tenant isolation in the console: the root of another account, signed in with MFA,
asks every console URL for this account's users, groups, roles, policies and keys,
and gets 404 / 403 or a page without them, never their data.

Paired: the other account has a user, group, role and policy of the same names as
this account's, so a URL or form naming "a-user" is about its own a-user, while the
global identifiers (policy id and ARN, access key id) in URLs and forms are this
account's: a lookup that forgets the account filter shows or links this account's
entity instead. Afterwards this account's rows are unchanged and no row links an
entity of one account to another's."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tests.security.test_console_auth import all_patterns, fill
from tests.security.test_isolation import account_rows, cross_account_links

pytestmark = pytest.mark.django_db

MARK = "a-private-tag-value"


@pytest.fixture
def account_a(root, account, outsider):
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
    # The other account's same-named entities (its own, no secret of this account).
    create_user(actor=outsider, name="a-user")
    create_group(actor=outsider, name="a-group")
    create_role(actor=outsider, name="a-role", trust_policy=role.trust_policy)
    create_policy(actor=outsider, name="a-policy", document=allow_policy("s3:*"))
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


def test_no_console_url_shows_another_accounts_data(outsider_console, account, account_a, figure):
    values, secrets = account_a
    # Forms name the shared entities by name and this account's by global identifier.
    body = {
        "confirm": values["user_name"],
        "user_name": values["user_name"],
        "group_name": values["group_name"],
        "role_name": values["role_name"],
        "users": values["user_name"],
        "groups": values["group_name"],
        "policy_arn": values["arn"],
        "policy_arns": values["arn"],
        "policies": values["arn"],
        "user": values["user_name"],
        "access_key_id": values["access_key_id"],
        "status": "Inactive",
    }
    a_before = account_rows(account.id)
    links: list[tuple[str, str]] = []
    seen: set[str] = set()
    statuses: dict[int, int] = {}
    leaks = []
    patterns = [p for p in all_patterns() if p[2]]  # URLs that name an entity
    for name, _route, args in patterns:
        url = reverse(name, kwargs=fill(args, values))
        for method in ("get", "post"):
            sent = body if method == "post" else {"confirm": values["user_name"]}
            response = getattr(outsider_console, method)(url, sent)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            text = response.content.decode(errors="replace")
            named = set(values.values())
            if response.status_code == 200 and any(
                s in text
                and s not in url
                and s not in named
                and not any(s in v for v in sent.values())  # echoed from the form
                for s in secrets
            ):
                leaks.append((method, url, response.status_code))
            if response.status_code >= 500:
                leaks.append((method, url, response.status_code))
            if method == "post":  # (a later URL may undo a link: look after each)
                links += [(url, link) for link in cross_account_links() if link not in seen]
                seen.update(link for _, link in links)
    a_changed = account_rows(account.id) != a_before
    figure(
        f"{len(patterns)} entity URLs x GET/POST as another account (same-named entities "
        f"there, this account's ids): {dict(sorted(statuses.items()))}; {len(leaks)} leaks, "
        f"{len(links)} cross-account links, this account changed: {a_changed}"
    )
    assert not leaks, leaks
    assert not links and not a_changed, links
