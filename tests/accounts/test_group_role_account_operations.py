"""Groups, roles and account-level operations."""

from __future__ import annotations

import json

import pytest

from accounts.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
    ValidationError,
)
from accounts.operations import account as acct
from accounts.operations import groups, roles

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


def test_group_membership(root, iam_user, group):
    groups.add_user_to_group(actor=root, group_name="developers", user_name="alice")
    groups.add_user_to_group(actor=root, group_name="developers", user_name="alice")
    got = groups.get_group(actor=root, name="developers")
    assert [u.name for u in got.users.items] == ["alice"]
    assert [g.name for g in groups.list_groups_for_user(actor=root, user_name="alice").items] == [
        "developers"
    ]
    with pytest.raises(DeleteConflict):
        groups.delete_group(actor=root, name="developers")
    groups.remove_user_from_group(actor=root, group_name="developers", user_name="alice")
    groups.delete_group(actor=root, name="developers")
    with pytest.raises(NoSuchEntity):
        groups.get_group(actor=root, name="developers")


def test_group_ids_and_duplicate_names(root, group):
    assert group.unique_id.startswith("AGPA")
    with pytest.raises(EntityAlreadyExists):
        groups.create_group(actor=root, name="DEVELOPERS")


def test_user_in_at_most_ten_groups(root, iam_user):
    for i in range(11):
        groups.create_group(actor=root, name=f"g{i}")
    for i in range(10):
        groups.add_user_to_group(actor=root, group_name=f"g{i}", user_name="alice")
    with pytest.raises(LimitExceeded):
        groups.add_user_to_group(actor=root, group_name="g10", user_name="alice")


def test_role_lifecycle(root, account):
    role = roles.create_role(
        actor=root, name="app", trust_policy=TRUST, description="web app", max_session_duration=7200
    )
    assert role.arn == f"arn:aws:iam::{account.id}:role/app" and role.unique_id.startswith("AROA")
    roles.update_role(actor=root, name="app", max_session_duration=43200)
    with pytest.raises(ValidationError):
        roles.update_role(actor=root, name="app", max_session_duration=43201)
    with pytest.raises(ValidationError):
        roles.create_role(actor=root, name="short", trust_policy=TRUST, max_session_duration=3599)
    new_trust = TRUST.replace("ec2", "lambda")
    assert (
        "lambda"
        in roles.update_assume_role_policy(actor=root, name="app", document=new_trust).trust_policy
    )
    roles.delete_role(actor=root, name="app")
    with pytest.raises(NoSuchEntity):
        roles.get_role(actor=root, name="app")


def test_role_with_bad_trust_policy_is_refused(root):
    with pytest.raises(MalformedPolicyDocument):
        roles.create_role(actor=root, name="bad", trust_policy="{not json")


def test_revoke_sessions_adds_aws_revoke_policy(root):
    from policies.models import InlinePolicy

    roles.create_role(actor=root, name="app", trust_policy=TRUST)
    role = roles.revoke_role_sessions(actor=root, name="app")
    policy = InlinePolicy.objects.get(role=role, name="AWSRevokeOlderSessions")
    assert "aws:TokenIssueTime" in policy.document and role.sessions_revoked_before is not None


def test_account_alias(root, outsider):
    acct.create_account_alias(actor=root, alias="my-company")
    assert acct.list_account_aliases(actor=root) == ["my-company"]
    with pytest.raises(EntityAlreadyExists):
        acct.create_account_alias(actor=outsider, alias="my-company")
    with pytest.raises(ValidationError):
        acct.create_account_alias(actor=root, alias="Bad_Alias")
    acct.delete_account_alias(actor=root, alias="my-company")
    assert acct.list_account_aliases(actor=root) == []


def test_password_policy_defaults_and_delete(root):
    with pytest.raises(NoSuchEntity):
        acct.get_account_password_policy(actor=root)
    acct.update_account_password_policy(actor=root, minimum_password_length=14)
    assert acct.get_account_password_policy(actor=root).minimum_password_length == 14
    with pytest.raises(ValidationError):
        acct.update_account_password_policy(actor=root, minimum_password_length=5)
    acct.delete_account_password_policy(actor=root)
    with pytest.raises(NoSuchEntity):
        acct.delete_account_password_policy(actor=root)


def test_account_summary_counts(root, iam_user, group):
    summary = acct.get_account_summary(actor=root)
    assert summary["Users"] == 1 and summary["Groups"] == 1 and summary["UsersQuota"] == 5000


def test_sign_up_refuses_duplicate_email_and_account_id(db):
    acct.sign_up(email="a@example.com", password="password-1", account_id="123456789012")
    with pytest.raises(EntityAlreadyExists):
        acct.sign_up(email="A@example.com", password="password-1")
    with pytest.raises(EntityAlreadyExists):
        acct.sign_up(email="b@example.com", password="password-1", account_id="123456789012")


def test_create_account_command_prints_keys_as_json(db, capsys):
    from django.core.management import call_command

    call_command(
        "create_account",
        "--email",
        "lab@example.com",
        "--password",
        "password-1",
        "--admin-user",
        "admin",
        "--root-access-key",
        "--json",
    )
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {
        "account_id",
        "root_email",
        "admin_user",
        "admin_access_key_id",
        "admin_secret_access_key",
        "root_access_key_id",
        "root_secret_access_key",
    }
    assert out["admin_access_key_id"].startswith("AKIA")
