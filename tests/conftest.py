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
