"""SCPs and RCPs bind every decision in a member account: inheritance down root -> OUs ->
account, explicit deny, FullAWSAccess removed, the management-account and
service-linked-role exemptions, root of a member account, the org condition keys, and
the cache that must see each change on the very next request."""

from __future__ import annotations

import json

import pytest

from accounts.errors import AccessDenied
from accounts.operations.roles import create_role
from accounts.operations.service_linked import create_service_linked_role
from accounts.operations.sts import assume_role
from accounts.operations.users import create_user
from accounts.principal import role_session_principal, user_principal
from organizations import operations as o
from organizations.guardrails import guardrails
from policies.authorization import authorize, permission_checker
from policies.operations import attach_user_policy, put_user_policy
from tests.organizations.conftest import DENY_CREATE_USER

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def scp(statement: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.fixture
def lab_ou(root, org, scps_enabled, member_account):
    ou = o.create_organizational_unit(actor=root, parent_id=org.root_id, name="lab")
    o.move_account(
        actor=root,
        account_id=member_account,
        source_parent_id=org.root_id,
        destination_parent_id=ou.id,
    )
    return ou


@pytest.fixture
def deny_create_user(root, org, scps_enabled):
    _, policy = o.create_policy(
        actor=root, content=DENY_CREATE_USER, description="", name="NoUsers", policy_type=SCP
    )
    return policy


def user_arn(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:user/{name}"


def allowed(actor, action: str, resource: str) -> bool:
    try:
        authorize(actor, action, resource)
    except AccessDenied:
        return False
    return True


def test_an_scp_on_the_ou_denies_the_admin_and_root_of_a_member_account(
    root, member_root, member_admin, member_account, lab_ou, deny_create_user
):
    assert allowed(member_admin, "iam:CreateUser", user_arn(member_account, "x"))
    o.attach_policy(actor=root, policy_id=deny_create_user.id, target_id=lab_ou.id)
    for actor in (member_admin, member_root):
        with pytest.raises(AccessDenied) as e:
            create_user(actor=actor, name="blocked")
        assert "explicit deny in a service control policy" in e.value.message
    # Other actions are still allowed (FullAWSAccess at every level).
    assert allowed(member_admin, "iam:CreateGroup", f"arn:aws:iam::{member_account}:group/g")
    assert allowed(member_root, "iam:CreateGroup", f"arn:aws:iam::{member_account}:group/g")


def test_the_management_account_is_exempt(root, org, deny_create_user, alice, iam_user):
    o.attach_policy(actor=root, policy_id=deny_create_user.id, target_id=org.root_id)
    attach_user_policy(actor=root, user_name=iam_user.name, policy_arn=ADMIN)
    create_user(actor=root, name="still-fine")
    create_user(actor=alice, name="also-fine")


def test_detaching_restores_access_on_the_very_next_request(
    root, member_admin, member_account, lab_ou, deny_create_user
):
    o.attach_policy(actor=root, policy_id=deny_create_user.id, target_id=lab_ou.id)
    assert not allowed(member_admin, "iam:CreateUser", user_arn(member_account, "x"))
    o.detach_policy(actor=root, policy_id=deny_create_user.id, target_id=lab_ou.id)
    assert allowed(member_admin, "iam:CreateUser", user_arn(member_account, "x"))
    create_user(actor=member_admin, name="restored")


def test_update_move_and_remove_take_effect_at_once(
    root, org, member_admin, member_account, lab_ou, deny_create_user
):
    target = user_arn(member_account, "x")
    o.attach_policy(actor=root, policy_id=deny_create_user.id, target_id=lab_ou.id)
    assert not allowed(member_admin, "iam:CreateUser", target)
    o.update_policy(
        actor=root,
        policy_id=deny_create_user.id,
        content=scp({"Effect": "Deny", "Action": "iam:DeleteUser", "Resource": "*"}),
    )
    assert allowed(member_admin, "iam:CreateUser", target)
    assert not allowed(member_admin, "iam:DeleteUser", target)
    o.move_account(
        actor=root,
        account_id=member_account,
        source_parent_id=lab_ou.id,
        destination_parent_id=org.root_id,
    )
    assert allowed(member_admin, "iam:DeleteUser", target)
    o.attach_policy(actor=root, policy_id=deny_create_user.id, target_id=member_account)
    assert not allowed(member_admin, "iam:DeleteUser", target)
    o.remove_account_from_organization(actor=root, account_id=member_account)
    assert allowed(member_admin, "iam:DeleteUser", target)


def test_every_level_must_allow(root, org, member_root, member_admin, member_account, lab_ou):
    """FullAWSAccess replaced on the OU by an allow-list: what the list lacks is denied
    even though the root and the account allow everything."""
    _, only_groups = o.create_policy(
        actor=root,
        content=scp({"Effect": "Allow", "Action": "iam:*Group*", "Resource": "*"}),
        description="",
        name="OnlyGroups",
        policy_type=SCP,
    )
    o.attach_policy(actor=root, policy_id=only_groups.id, target_id=lab_ou.id)
    o.detach_policy(actor=root, policy_id="p-FullAWSAccess", target_id=lab_ou.id)
    assert allowed(member_admin, "iam:CreateGroup", f"arn:aws:iam::{member_account}:group/g")
    with pytest.raises(AccessDenied) as e:
        authorize(member_admin, "iam:CreateUser", user_arn(member_account, "x"))
    assert "service control policy" in e.value.message
    # The root user of the member account is bound the same way.
    with pytest.raises(AccessDenied):
        create_user(actor=member_root, name="x")


def test_a_service_linked_role_is_not_bound(root, org, member_root, member_account, lab_ou):
    role = create_service_linked_role(actor=member_root, service="autoscaling.amazonaws.com")
    session = role_session_principal(role, "svc")
    checker = permission_checker(session)
    action, resource = "ec2:DescribeInstances", "*"
    assert checker(action, resource)
    _, deny_all = o.create_policy(
        actor=root,
        content=scp({"Effect": "Deny", "Action": "*", "Resource": "*"}),
        description="",
        name="DenyAll",
        policy_type=SCP,
    )
    o.attach_policy(actor=root, policy_id=deny_all.id, target_id=lab_ou.id)
    assert allowed(session, action, resource)
    # The account's root is denied by the same SCP.
    assert not allowed(member_root, action, resource)


def test_principal_org_id_and_paths_are_in_the_request_context(
    root, org, member_root, member_account, lab_ou
):
    user = create_user(actor=member_root, name="conditional")
    principal = user_principal(user)
    put_user_policy(
        actor=member_root,
        user_name="conditional",
        policy_name="org-only",
        document=scp(
            {
                "Effect": "Allow",
                "Action": "iam:GetUser",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:PrincipalOrgID": org.id},
                    "ForAnyValue:StringLike": {
                        "aws:PrincipalOrgPaths": f"{org.id}/{org.root_id}/{lab_ou.id}/*"
                    },
                },
            }
        ),
    )
    assert allowed(principal, "iam:GetUser", user.arn)
    o.move_account(
        actor=root,
        account_id=member_account,
        source_parent_id=lab_ou.id,
        destination_parent_id=org.root_id,
    )
    assert not allowed(principal, "iam:GetUser", user.arn)
    o.remove_account_from_organization(actor=root, account_id=member_account)
    assert not allowed(principal, "iam:GetUser", user.arn)


def test_an_scp_condition_on_principal_org_paths(root, org, member_admin, member_account, lab_ou):
    """An SCP on the root denying CreateUser outside /lab/ paths."""
    _, outside_lab = o.create_policy(
        actor=root,
        content=scp(
            {
                "Effect": "Deny",
                "Action": "iam:CreateUser",
                "NotResource": "arn:aws:iam::*:user/lab/*",
            }
        ),
        description="",
        name="LabOnly",
        policy_type=SCP,
    )
    o.attach_policy(actor=root, policy_id=outside_lab.id, target_id=lab_ou.id)
    assert allowed(member_admin, "iam:CreateUser", f"arn:aws:iam::{member_account}:user/lab/a")
    assert not allowed(member_admin, "iam:CreateUser", user_arn(member_account, "a"))


def test_an_rcp_denies_assuming_member_roles_from_outside_the_organization(
    root, org, member_account, member_root, outsider, other_account
):
    o.enable_policy_type(actor=root, root_id=org.root_id, policy_type=RCP)
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {
                        "AWS": [
                            f"arn:aws:iam::{other_account.id}:root",
                            f"arn:aws:iam::{root.account_id}:root",
                        ]
                    },
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    role = create_role(actor=member_root, name="shared", trust_policy=trust)
    outsider_user = create_user(actor=outsider, name="ext")
    attach_user_policy(actor=outsider, user_name="ext", policy_arn=ADMIN)
    ext = user_principal(outsider_user)
    assume_role(actor=ext, role_arn=role.arn, session_name="before")
    _, rcp = o.create_policy(
        actor=root,
        content=scp(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sts:AssumeRole",
                "Resource": "*",
                "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": org.id}},
            }
        ),
        description="",
        name="OrgOnly",
        policy_type=RCP,
    )
    o.attach_policy(actor=root, policy_id=rcp.id, target_id=member_account)
    with pytest.raises(AccessDenied) as e:
        assume_role(actor=ext, role_arn=role.arn, session_name="after")
    assert "resource control policy" in e.value.message
    # A principal of the organization still may.
    mgmt_admin = create_user(actor=root, name="mgmt-admin")
    attach_user_policy(actor=root, user_name="mgmt-admin", policy_arn=ADMIN)
    assume_role(actor=user_principal(mgmt_admin), role_arn=role.arn, session_name="inside")


def test_guardrails_load_in_a_constant_few_queries(
    root, org, member_admin, member_account, lab_ou, deny_create_user, django_assert_max_num_queries
):
    parent = lab_ou.id
    for depth in range(4):
        parent = o.create_organizational_unit(actor=root, parent_id=parent, name=f"d{depth}").id
    o.move_account(
        actor=root,
        account_id=member_account,
        source_parent_id=lab_ou.id,
        destination_parent_id=parent,
    )
    o.attach_policy(actor=root, policy_id=deny_create_user.id, target_id=lab_ou.id)
    from policies import cache

    cache.clear()
    with django_assert_max_num_queries(4):  # the generation, membership, OU path, policies
        loaded = guardrails(member_account)
    assert loaded.scps is not None and len(loaded.scps) == 7  # root, 5 OUs, the account
    target = f"arn:aws:iam::{member_account}:group/g"
    authorize(member_admin, "iam:CreateGroup", target)  # warm the principal's cache
    with django_assert_max_num_queries(1):
        authorize(member_admin, "iam:CreateGroup", target)
    with django_assert_max_num_queries(1), pytest.raises(AccessDenied):
        authorize(member_admin, "iam:CreateUser", user_arn(member_account, "x"))


def test_the_simulator_applies_the_scps_of_a_member_account(
    root, member_root, member_admin, member_account, lab_ou, deny_create_user
):
    from policies.simulation import simulate_principal_policy

    def simulate() -> list[str]:
        result = simulate_principal_policy(
            actor=member_root,
            kind="user",
            name="admin",
            actions=["iam:CreateUser", "iam:CreateGroup"],
            resources=["*"],
        )
        return [r.decision for r in result.results]

    assert simulate() == ["Allow", "Allow"]
    o.attach_policy(actor=root, policy_id=deny_create_user.id, target_id=lab_ou.id)
    result = simulate_principal_policy(
        actor=member_root, kind="user", name="admin", actions=["iam:CreateUser"], resources=["*"]
    )
    denied = result.results[0]
    assert denied.decision == "ExplicitDeny"
    assert [s.policy for s in denied.statements] == [f"NoUsers (attached to {lab_ou.id})"]
    assert simulate() == ["ExplicitDeny", "Allow"]
