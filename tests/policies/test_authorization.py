"""The operations layer's authorization with real policies (the engine wired in)."""

from __future__ import annotations

import json

import pytest

from accounts.errors import AccessDenied
from accounts.operations.credentials import create_access_key, list_access_keys
from accounts.operations.groups import add_user_to_group, remove_user_from_group
from accounts.operations.users import create_user, get_user, list_users
from policies import operations as ops
from tests.conftest import allow_policy

IAM_READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_user_without_policies_is_denied_with_aws_message(alice, account):
    with pytest.raises(AccessDenied) as excinfo:
        list_users(actor=alice)
    assert excinfo.value.message == (
        f"User: arn:aws:iam::{account.id}:user/alice is not authorized to perform: iam:ListUsers "
        f"on resource: arn:aws:iam::{account.id}:user/ because no identity-based policy allows the "
        "iam:ListUsers action"
    )


def test_read_only_user_can_browse_but_not_change(root, alice):
    ops.attach_user_policy(actor=root, user_name="alice", policy_arn=IAM_READ_ONLY)
    assert [u.name for u in list_users(actor=alice).items] == ["alice"]
    with pytest.raises(AccessDenied):
        create_user(actor=alice, name="bob")


def test_self_service_policy_lets_a_user_manage_only_their_own_keys(root, alice):
    create_user(actor=root, name="bob")
    policy = doc(
        {"Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::*:user/${aws:username}"}
    )
    ops.put_user_policy(actor=root, user_name="alice", policy_name="self", document=policy)
    create_access_key(actor=alice, user_name="alice")
    assert len(list_access_keys(actor=alice).items) == 1
    with pytest.raises(AccessDenied):
        create_access_key(actor=alice, user_name="bob")


def test_group_policies_apply_to_members_and_stop_when_removed(root, alice, group):
    ops.attach_group_policy(actor=root, group_name=group.name, policy_arn=IAM_READ_ONLY)
    add_user_to_group(actor=root, group_name=group.name, user_name="alice")
    assert get_user(actor=alice, name="alice").name == "alice"
    remove_user_from_group(actor=root, group_name=group.name, user_name="alice")
    with pytest.raises(AccessDenied):
        get_user(actor=alice, name="alice")


def test_explicit_deny_beats_allow_and_says_so(root, alice):
    ops.put_user_policy(
        actor=root, user_name="alice", policy_name="all", document=allow_policy("iam:*")
    )
    ops.put_user_policy(
        actor=root,
        user_name="alice",
        policy_name="no-users",
        document=doc({"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"}),
    )
    with pytest.raises(AccessDenied) as excinfo:
        create_user(actor=alice, name="bob")
    assert "explicit deny" in excinfo.value.message


def test_permissions_boundary_caps_what_policies_allow(root, alice):
    ops.put_user_policy(
        actor=root, user_name="alice", policy_name="all", document=allow_policy("iam:*")
    )
    ops.put_user_permissions_boundary(actor=root, user_name="alice", policy_arn=IAM_READ_ONLY)
    assert list_users(actor=alice).items
    with pytest.raises(AccessDenied) as excinfo:
        create_user(actor=alice, name="bob")
    assert "permissions boundary" in excinfo.value.message


def test_policy_changes_take_effect_immediately(root, alice):
    policy = ops.create_policy(actor=root, name="ListOnly", document=allow_policy("iam:ListUsers"))
    with pytest.raises(AccessDenied):
        list_users(actor=alice)
    ops.attach_user_policy(actor=root, user_name="alice", policy_arn=policy.arn)
    list_users(actor=alice)
    ops.create_policy_version(
        actor=root, arn=policy.arn, document=allow_policy("iam:GetUser"), set_as_default=True
    )
    with pytest.raises(AccessDenied):
        list_users(actor=alice)
    ops.set_default_policy_version(actor=root, arn=policy.arn, version_id="v1")
    list_users(actor=alice)
    ops.detach_user_policy(actor=root, user_name="alice", policy_arn=policy.arn)
    with pytest.raises(AccessDenied):
        list_users(actor=alice)


def test_request_tags_condition_is_evaluated(root, alice):
    ops.put_user_policy(
        actor=root,
        user_name="alice",
        policy_name="tagged-only",
        document=doc(
            {
                "Effect": "Allow",
                "Action": ["iam:CreateUser", "iam:TagUser"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestTag/team": "red"}},
            }
        ),
    )
    create_user(actor=alice, name="red1", tags=[{"Key": "team", "Value": "red"}])
    with pytest.raises(AccessDenied):
        create_user(actor=alice, name="blue1", tags=[{"Key": "team", "Value": "blue"}])


def test_principal_tag_variable_in_resource(root, alice):
    from accounts.operations.users import tag_user

    tag_user(actor=root, name="alice", tags=[{"Key": "team", "Value": "red"}])
    create_user(actor=root, name="red-bob")
    create_user(actor=root, name="blue-bob")
    ops.put_user_policy(
        actor=root,
        user_name="alice",
        policy_name="team",
        document=doc(
            {
                "Effect": "Allow",
                "Action": "iam:GetUser",
                "Resource": "arn:aws:iam::*:user/${aws:PrincipalTag/team}-*",
            }
        ),
    )
    assert get_user(actor=alice, name="red-bob").name == "red-bob"
    with pytest.raises(AccessDenied):
        get_user(actor=alice, name="blue-bob")


def test_boundary_condition_key_restricts_user_creation(root, alice, account):
    boundary = f"arn:aws:iam::{account.id}:policy/Boundary"
    ops.create_policy(actor=root, name="Boundary", document=allow_policy("s3:*"))
    ops.put_user_policy(
        actor=root,
        user_name="alice",
        policy_name="create-with-boundary",
        document=doc(
            {
                "Effect": "Allow",
                "Action": "iam:CreateUser",
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary}},
            }
        ),
    )
    with pytest.raises(AccessDenied):
        create_user(actor=alice, name="unbounded")
    user = create_user(actor=alice, name="bounded", permissions_boundary=boundary)
    assert user.permissions_boundary.arn == boundary


def test_a_star_in_a_real_resource_is_a_character_not_a_wildcard(root, alice, account):
    """IAM paths may hold "*": a request on such a user is about that one user, never a
    pattern that a policy for another ARN could overlap."""
    create_user(actor=root, name="bob", path="/*/")
    ops.put_user_policy(
        actor=root,
        user_name="alice",
        policy_name="one-path",
        document=doc(
            {
                "Effect": "Allow",
                "Action": "iam:GetUser",
                "Resource": f"arn:aws:iam::{account.id}:user/x/bob",
            }
        ),
    )
    with pytest.raises(AccessDenied):
        get_user(actor=alice, name="bob")


def test_engine_treats_literal_resources_literally():
    from policies.engine import Request, evaluate

    policy = doc(
        {
            "Effect": "Allow",
            "Action": "iam:GetUser",
            "Resource": "arn:aws:iam::111122223333:user/alice",
        }
    )
    kw = {
        "principal": "arn:aws:iam::111122223333:user/alice",
        "action": "iam:GetUser",
        "resource": "arn:aws:iam::111122223333:user/*",
        "resource_account": "111122223333",
    }
    assert (
        evaluate(Request(**kw), identity_policies=[policy]).effect == "Allow"
    )  # simulator: overlaps
    assert (
        evaluate(Request(**kw, literal_resource=True), identity_policies=[policy]).effect
        == "ImplicitDeny"
    )
