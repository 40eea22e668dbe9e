"""iam:PermissionsBoundary in the request context of the calls that change a user's or a
role's permissions (issue 10): a delegated admin allowed to attach and put policies only
on users and roles carrying a given boundary ("Actions, resources, and condition keys for
AWS Identity and Access Management": AttachUserPolicy, AttachRolePolicy, PutUserPolicy,
PutRolePolicy, DetachUserPolicy, … list the key) may do so on a user or role with that
boundary, and is denied on one without it. Through boto3 against a live server.
"""

from __future__ import annotations

import json

import pytest

# The live-server fixtures of tests/api, visible here through the import.
from tests.api.conftest import acct, allow, api, boto_session  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

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


@pytest.fixture
def live(request):
    """(api, account A) from tests/api/conftest.py."""
    return request.getfixturevalue("api"), request.getfixturevalue("acct")


def _outcome(call, **params) -> str:
    from botocore.exceptions import ClientError

    try:
        call(**params)
    except ClientError as exc:
        return exc.response["Error"]["Code"]
    return "OK"


def test_a_delegated_admin_may_change_only_users_and_roles_with_the_required_boundary(live, figure):
    server, a = live
    root = server.iam(a.root_creds)
    doc = json.dumps(allow("s3:GetObject"))
    boundary = root.create_policy(PolicyName="Boundary", PolicyDocument=doc)["Policy"]["Arn"]
    other = root.create_policy(PolicyName="OtherBoundary", PolicyDocument=doc)["Policy"]["Arn"]
    reader = root.create_policy(PolicyName="Reader", PolicyDocument=doc)["Policy"]["Arn"]
    root.create_user(UserName="bounded", PermissionsBoundary=boundary)
    root.create_user(UserName="other-bounded", PermissionsBoundary=other)
    root.create_user(UserName="free")
    root.create_role(RoleName="bounded-role", AssumeRolePolicyDocument=TRUST)
    root.put_role_permissions_boundary(RoleName="bounded-role", PermissionsBoundary=boundary)
    root.create_role(RoleName="free-role", AssumeRolePolicyDocument=TRUST)
    delegated = allow(
        [
            "iam:AttachUserPolicy",
            "iam:DetachUserPolicy",
            "iam:PutUserPolicy",
            "iam:DeleteUserPolicy",
            "iam:AttachRolePolicy",
            "iam:PutRolePolicy",
        ],
        "*",
        Condition={"StringEquals": {"iam:PermissionsBoundary": boundary}},
    )
    _, creds = a.make_user("delegate", policy=delegated)
    iam = server.iam(creds)
    inline = {"PolicyName": "extra", "PolicyDocument": doc}
    rows = {}
    for user in ("bounded", "other-bounded", "free"):
        rows[f"AttachUserPolicy {user}"] = _outcome(
            iam.attach_user_policy, UserName=user, PolicyArn=reader
        )
        rows[f"PutUserPolicy {user}"] = _outcome(iam.put_user_policy, UserName=user, **inline)
    rows["DetachUserPolicy bounded"] = _outcome(
        iam.detach_user_policy, UserName="bounded", PolicyArn=reader
    )
    rows["DeleteUserPolicy bounded"] = _outcome(
        iam.delete_user_policy, UserName="bounded", PolicyName="extra"
    )
    for role in ("bounded-role", "free-role"):
        rows[f"AttachRolePolicy {role}"] = _outcome(
            iam.attach_role_policy, RoleName=role, PolicyArn=reader
        )
        rows[f"PutRolePolicy {role}"] = _outcome(iam.put_role_policy, RoleName=role, **inline)
    figure(", ".join(f"{k}: {v}" for k, v in rows.items()))
    assert {k: v for k, v in rows.items() if "bounded" in k and "other" not in k} == {
        k: "OK" for k in rows if "bounded" in k and "other" not in k
    }
    assert {k: v for k, v in rows.items() if "free" in k or "other" in k} == {
        k: "AccessDenied" for k in rows if "free" in k or "other" in k
    }
    # Nothing was attached or put where the delegate was denied.
    assert root.list_attached_user_policies(UserName="free")["AttachedPolicies"] == []
    assert root.list_user_policies(UserName="free")["PolicyNames"] == []
    assert root.list_attached_role_policies(RoleName="free-role")["AttachedPolicies"] == []
