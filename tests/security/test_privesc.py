"""Privilege escalation (Rhino Security Labs' IAM methods) through the Query API.

The attacker holds ``iam:*`` scoped to their own user ARN (and sts:AssumeRole on
"*"). Each method aimed at someone else's user, group, role or policy must be
refused, while the same action on the attacker's own user is allowed, exactly as
AWS decides it (the resource is the attacker's ARN).
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from tests.security.test_api_auth import code_of, send, signed_headers

pytestmark = pytest.mark.django_db

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def trust(principal_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": principal_arn}, "Action": "sts:AssumeRole"}
            ],
        }
    )


@pytest.fixture
def world(root, account):
    """mallory (attacker), victim user, a group, a role, and a customer policy attached to mallory."""
    from accounts.operations.credentials import create_access_key
    from accounts.operations.groups import create_group
    from accounts.operations.roles import create_role
    from accounts.operations.users import create_user
    from policies import operations as ops
    from tests.conftest import allow_policy

    create_user(actor=root, name="mallory")
    create_user(actor=root, name="victim")
    create_group(actor=root, name="admins")
    ops.attach_group_policy(actor=root, group_name="admins", policy_arn=ADMIN)
    create_role(actor=root, name="ops", trust_policy=trust(f"arn:aws:iam::{account.id}:root"))
    ops.attach_role_policy(actor=root, role_name="ops", policy_arn=ADMIN)
    mine = ops.create_policy(
        actor=root, name="MalloryPolicy", document=allow_policy("s3:GetObject")
    )
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
                    },
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"},
                ],
            }
        ),
    )
    key = create_access_key(actor=root, user_name="mallory")
    return {"key": (key.key.access_key_id, key.secret), "policy": mine.arn, "account": account.id}


def call(client, key, action: str, service: str = "iam", **params: str):
    version = "2010-05-08" if service == "iam" else "2011-06-15"
    body = urlencode({"Action": action, "Version": version, **params})
    response = send(client, signed_headers(key, body=body, service=service), body)
    return response.status_code, code_of(response) or "OK"


ALLOW_DOC = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)

# (method, action, params aimed at someone else, params aimed at mallory or None)
METHODS = [
    (
        "CreatePolicyVersion",
        "CreatePolicyVersion",
        lambda w: {"PolicyArn": w["policy"], "PolicyDocument": ALLOW_DOC, "SetAsDefault": "true"},
        None,
    ),
    (
        "SetDefaultPolicyVersion",
        "SetDefaultPolicyVersion",
        lambda w: {"PolicyArn": w["policy"], "VersionId": "v1"},
        None,
    ),
    (
        "CreateAccessKey on another user",
        "CreateAccessKey",
        lambda w: {"UserName": "victim"},
        {"UserName": "mallory"},
    ),
    (
        "CreateLoginProfile",
        "CreateLoginProfile",
        lambda w: {"UserName": "victim", "Password": "Pwned-password-1"},
        {"UserName": "mallory", "Password": "Own-password-1"},
    ),
    (
        "UpdateLoginProfile",
        "UpdateLoginProfile",
        lambda w: {"UserName": "victim", "Password": "Pwned-password-2"},
        None,
    ),
    (
        "AttachUserPolicy",
        "AttachUserPolicy",
        lambda w: {"UserName": "victim", "PolicyArn": ADMIN},
        {"UserName": "mallory", "PolicyArn": ADMIN},
    ),
    (
        "AttachGroupPolicy",
        "AttachGroupPolicy",
        lambda w: {"GroupName": "admins", "PolicyArn": ADMIN},
        None,
    ),
    (
        "AttachRolePolicy",
        "AttachRolePolicy",
        lambda w: {"RoleName": "ops", "PolicyArn": ADMIN},
        None,
    ),
    (
        "PutUserPolicy",
        "PutUserPolicy",
        lambda w: {"UserName": "victim", "PolicyName": "x", "PolicyDocument": ALLOW_DOC},
        {"UserName": "mallory", "PolicyName": "x", "PolicyDocument": ALLOW_DOC},
    ),
    (
        "PutGroupPolicy",
        "PutGroupPolicy",
        lambda w: {"GroupName": "admins", "PolicyName": "x", "PolicyDocument": ALLOW_DOC},
        None,
    ),
    (
        "PutRolePolicy",
        "PutRolePolicy",
        lambda w: {"RoleName": "ops", "PolicyName": "x", "PolicyDocument": ALLOW_DOC},
        None,
    ),
    (
        "AddUserToGroup",
        "AddUserToGroup",
        lambda w: {"GroupName": "admins", "UserName": "mallory"},
        None,
    ),
    (
        "UpdateAssumeRolePolicy",
        "UpdateAssumeRolePolicy",
        lambda w: {
            "RoleName": "ops",
            "PolicyDocument": trust(f"arn:aws:iam::{w['account']}:user/mallory"),
        },
        None,
    ),
]


@pytest.mark.parametrize(("method", "action", "other", "own"), METHODS, ids=[m[0] for m in METHODS])
def test_escalation_method_is_refused_against_others(
    client, world, method, action, other, own, figure
):
    status, code = call(client, world["key"], action, **other(world))
    outcome = f"{method} on another entity: {status} {code}"
    assert (status, code) == (403, "AccessDenied"), outcome
    if own is not None:
        own_status, own_code = call(client, world["key"], action, **own)
        outcome += f"; on own user: {own_status} {own_code}"
        assert own_status == 200, outcome  # AWS allows it: the resource is mallory's own ARN
    figure(outcome)


def test_assume_role_trusting_the_account_is_allowed_when_identity_allows_too(
    client, world, figure
):
    status, code = call(
        client,
        world["key"],
        "AssumeRole",
        service="sts",
        RoleArn=f"arn:aws:iam::{world['account']}:role/ops",
        RoleSessionName="pwn",
    )
    # The trust policy names the account root, so mallory's identity policy must also allow:
    # it does (sts:AssumeRole on *), so this is allowed exactly as AWS would. Tighten the trust
    # policy to a service and it is refused.
    figure(f"AssumeRole with account-root trust + identity allow: {status} {code}")
    assert status == 200


def test_assume_role_trusting_only_a_service_is_refused(client, root, world, figure):
    from accounts.operations.roles import update_assume_role_policy

    update_assume_role_policy(
        actor=root,
        name="ops",
        document=json.dumps(
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
    status, code = call(
        client,
        world["key"],
        "AssumeRole",
        service="sts",
        RoleArn=f"arn:aws:iam::{world['account']}:role/ops",
        RoleSessionName="pwn",
    )
    figure(f"AssumeRole on a service-only role: {status} {code}")
    assert (status, code) == (403, "AccessDenied")


def test_pass_role_is_decided_on_the_role_arn_and_passed_service(root, account, figure):
    from accounts.errors import AccessDenied
    from accounts.operations.users import create_user
    from accounts.principal import user_principal
    from policies.authorization import authorize
    from policies.operations import put_user_policy

    user = create_user(actor=root, name="dev")
    put_user_policy(
        actor=root,
        user_name="dev",
        policy_name="pass",
        document=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "iam:PassRole",
                        "Resource": f"arn:aws:iam::{account.id}:role/app-*",
                        "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
                    }
                ],
            }
        ),
    )
    dev = user_principal(user)
    authorize(
        dev,
        "iam:PassRole",
        f"arn:aws:iam::{account.id}:role/app-web",
        context={"iam:PassedToService": "ec2.amazonaws.com"},
    )
    refused = 0
    for role, service in [("admin", "ec2.amazonaws.com"), ("app-web", "lambda.amazonaws.com")]:
        with pytest.raises(AccessDenied):
            authorize(
                dev,
                "iam:PassRole",
                f"arn:aws:iam::{account.id}:role/{role}",
                context={"iam:PassedToService": service},
            )
        refused += 1
    figure(f"PassRole: allowed for app-* to ec2; {refused}/2 other role/service refused")
