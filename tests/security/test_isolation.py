"""Tenant isolation through the API: for every IAM action served, a principal of
account A naming account B's users, groups, roles, policies, keys and MFA devices
gets NoSuchEntity / AccessDenied / a validation error, never B's data."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from botocore.model import ListShape, StringShape, StructureShape

from api.handlers import HANDLERS
from api.protocol import load_service_model
from tests.security.test_api_auth import code_of, send, signed_headers

pytestmark = pytest.mark.django_db

SECRET_TAG = "b-private-tag-value"
CREATES_OWN = {"CreateUser", "CreateGroup", "CreateRole", "CreatePolicy", "CreateVirtualMFADevice"}


@pytest.fixture
def account_b(other_account, outsider):
    """Account B with one of everything, carrying a tag value that must never leak."""
    from accounts.operations.credentials import create_access_key, create_virtual_mfa_device
    from accounts.operations.groups import add_user_to_group, create_group
    from accounts.operations.roles import create_role
    from accounts.operations.users import create_user
    from policies import operations as ops
    from tests.conftest import allow_policy

    tags = [{"Key": "secret", "Value": SECRET_TAG}]
    user = create_user(actor=outsider, name="b-user", tags=tags)
    group = create_group(actor=outsider, name="b-group")
    add_user_to_group(actor=outsider, group_name="b-group", user_name="b-user")
    trust = json.dumps(
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
    role = create_role(actor=outsider, name="b-role", trust_policy=trust, tags=tags)
    policy = ops.create_policy(
        actor=outsider, name="b-policy", document=allow_policy("s3:*"), tags=tags
    )
    ops.attach_user_policy(actor=outsider, user_name="b-user", policy_arn=policy.arn)
    ops.put_user_policy(
        actor=outsider, user_name="b-user", policy_name="b-inline", document=allow_policy("sqs:*")
    )
    key = create_access_key(actor=outsider, user_name="b-user").key
    mfa = create_virtual_mfa_device(actor=outsider, name="b-mfa").device
    secrets = {
        user.unique_id,
        group.unique_id,
        role.unique_id,
        policy.policy_id,
        key.access_key_id,
        SECRET_TAG,
    }
    values = {
        "UserName": "b-user",
        "GroupName": "b-group",
        "RoleName": "b-role",
        "PolicyName": "b-inline",
        "PolicyArn": policy.arn,
        "AccessKeyId": key.access_key_id,
        "SerialNumber": mfa.serial_number,
        "VersionId": "v1",
        "RoleArn": role.arn,
        "PolicySourceArn": user.arn,
        "NewUserName": "b-user2",
    }
    return values, secrets


@pytest.fixture
def a_key(root):
    from accounts.operations.credentials import create_access_key

    new = create_access_key(actor=root)
    return new.key.access_key_id, new.secret


def _params(operation, values) -> dict[str, str] | None:
    """Fill the operation's required members from B's identifiers (or sensible filler)."""
    shape: StructureShape | None = operation.input_shape
    params: dict[str, str] = {}
    if shape is None:
        return params
    for name in shape.required_members:
        member = shape.members[name]
        if name in values:
            params[name] = values[name]
        elif name in ("PolicyDocument", "AssumeRolePolicyDocument"):
            params[name] = json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
                }
            )
        elif name in ("Password", "NewPassword", "OldPassword"):
            params[name] = "Some-password-123"
        elif name in ("AuthenticationCode1", "AuthenticationCode2"):
            params[name] = "123456"
        elif name == "Status":
            params[name] = "Inactive"
        elif isinstance(member, ListShape) and name == "TagKeys":
            params[f"{name}.member.1"] = "secret"
        elif isinstance(member, ListShape) and name == "Tags":
            params[f"{name}.member.1.Key"] = "k"
            params[f"{name}.member.1.Value"] = "v"
        elif isinstance(member, StringShape):
            params[name] = "b-user"
        else:
            return None  # a shape this probe does not fill
    return params


def test_no_api_action_reaches_another_accounts_data(client, a_key, account_b, figure):
    values, secrets = account_b
    model = load_service_model("iam")
    outcomes: dict[str, int] = {}
    leaks = []
    probed = 0
    for action in sorted(HANDLERS["iam"]):
        operation = model.operation_model(action)
        params = _params(operation, values)
        if params is None:
            continue
        required = set(operation.input_shape.required_members) if operation.input_shape else set()
        if not required & set(values) or action in CREATES_OWN:
            # Acts on the caller's own account only: ListUsers names nothing of B, and
            # CreateGroup "b-group" makes A's own group from a bare name.
            continue
        probed += 1
        body = urlencode({"Action": action, "Version": "2010-05-08", **params})
        response = send(client, signed_headers(a_key, body=body), body)
        text = response.content.decode()
        code = code_of(response) or f"HTTP {response.status_code}"
        outcomes[code] = outcomes.get(code, 0) + 1
        # (an identifier the request itself carried may be echoed back in the error)
        if any(s in text and s not in body for s in secrets) or response.status_code == 200:
            leaks.append((action, response.status_code, text[:300]))
    figure(
        f"{probed} actions naming account B's resources: "
        + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        + f"; {len(leaks)} leaks"
    )
    assert not leaks, leaks
    assert probed > 40
