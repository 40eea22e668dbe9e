"""The guardrail matrix: a member account M under OU workloads/lab with an SCP (on
workloads) denying iam:CreateUser outside /lab/, an RCP on the root refusing
sts:AssumeRole to principals outside the organization, a second member N directly under
the root and the management account A; calls by each account's root, an admin user and
a role session, allowed or denied as AWS's evaluation logic documents (Organizations
User Guide, "SCP evaluation" and "RCP evaluation"; IAM User Guide, "Policy evaluation
logic"): inheritance down the path, every level must allow, explicit deny anywhere wins,
the management-account and service-linked-role exemptions, FullAWSAccess removed, and
conditions on the organization keys."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from accounts.errors import AccessDenied
from accounts.operations.roles import create_role
from accounts.operations.service_linked import create_service_linked_role
from accounts.operations.users import create_user
from accounts.principal import role_session_principal, root_principal, user_principal
from organizations import operations as o
from policies.authorization import authorize
from policies.operations import attach_role_policy, attach_user_policy, put_user_policy

SCP, RCP = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
ALLOW, DENY = "allow", "deny"


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@dataclass
class World:
    org: Any
    ids: dict[str, str]  # "A", "M", "N", "X" (outside) -> account id
    who: dict[str, Any]  # "M.root", "M.admin", "M.role", … -> Principal
    roles: dict[str, Any]  # "M.shared", "X.shared" -> Role
    ous: dict[str, str]
    policies: dict[str, str]


def _admin(account_id: str, name: str = "admin") -> Any:
    owner = root_principal(account_id)
    user = create_user(actor=owner, name=name)
    attach_user_policy(actor=owner, user_name=name, policy_arn=ADMIN)
    return user_principal(user)


def _role_session(account_id: str, trusted: list[str]) -> tuple[Any, Any]:
    owner = root_principal(account_id)
    trust = doc({"Effect": "Allow", "Principal": {"AWS": trusted}, "Action": "sts:AssumeRole"})
    role = create_role(actor=owner, name="shared", trust_policy=trust)
    attach_role_policy(actor=owner, role_name="shared", policy_arn=ADMIN)
    return role, role_session_principal(role, "matrix")


@pytest.fixture
def world(root, org, outsider) -> World:
    a = root.account_id
    o.enable_policy_type(actor=root, root_id=org.root_id, policy_type=SCP)
    o.enable_policy_type(actor=root, root_id=org.root_id, policy_type=RCP)
    m = o.create_account(actor=root, email="m@example.com", account_name="M").account_id
    n = o.create_account(actor=root, email="n@example.com", account_name="N").account_id
    x = outsider.account_id
    workloads = o.create_organizational_unit(actor=root, parent_id=org.root_id, name="workloads")
    lab = o.create_organizational_unit(actor=root, parent_id=workloads.id, name="lab")
    o.move_account(
        actor=root, account_id=m, source_parent_id=org.root_id, destination_parent_id=lab.id
    )
    who: dict[str, Any] = {}
    roles: dict[str, Any] = {}
    everyone = [f"arn:aws:iam::{i}:root" for i in (a, m, n, x)]
    for key, account_id in (("A", a), ("M", m), ("N", n), ("X", x)):
        who[f"{key}.root"] = root_principal(account_id)
        who[f"{key}.admin"] = _admin(account_id)
        roles[f"{key}.shared"], who[f"{key}.role"] = _role_session(account_id, everyone)
    slr = create_service_linked_role(actor=root_principal(m), service="autoscaling.amazonaws.com")
    who["M.slr"] = role_session_principal(slr, "svc")
    # A user in M and one in N whose only policy allows iam:ListAccountAliases to
    # principals whose organization path runs through workloads.
    for key in ("M", "N"):
        owner = root_principal(w_id := {"M": m, "N": n}[key])
        user = create_user(actor=owner, name="scoped")
        put_user_policy(
            actor=owner,
            user_name="scoped",
            policy_name="org-scoped",
            document=doc(
                {
                    "Effect": "Allow",
                    "Action": "iam:ListAccountAliases",
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"aws:PrincipalOrgID": org.id},
                        "ForAnyValue:StringLike": {
                            "aws:PrincipalOrgPaths": f"{org.id}/{org.root_id}/{workloads.id}/*"
                        },
                    },
                }
            ),
        )
        assert user.account_id == w_id
        who[f"{key}.scoped"] = user_principal(user)
    _, lab_only = o.create_policy(
        actor=root,
        content=doc(
            {
                "Effect": "Deny",
                "Action": "iam:CreateUser",
                "NotResource": "arn:aws:iam::*:user/lab/*",
            }
        ),
        description="users only under /lab/",
        name="LabOnlyUsers",
        policy_type=SCP,
    )
    o.attach_policy(actor=root, policy_id=lab_only.id, target_id=workloads.id)
    _, org_only = o.create_policy(
        actor=root,
        content=doc(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sts:AssumeRole",
                "Resource": "*",
                "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": org.id}},
            }
        ),
        description="",
        name="OrgOnlyAssume",
        policy_type=RCP,
    )
    o.attach_policy(actor=root, policy_id=org_only.id, target_id=org.root_id)
    return World(
        org,
        {"A": a, "M": m, "N": n, "X": x},
        who,
        roles,
        {"workloads": workloads.id, "lab": lab.id},
        {"LabOnlyUsers": lab_only.id, "OrgOnlyAssume": org_only.id},
    )


def decision(w: World, principal: str, action: str, target: str) -> str:
    """``target``: "user:<path/name>" or "group:<name>" in the principal's own account,
    "role:<account key>" for the shared role there, or "*"."""
    actor = w.who[principal]
    resource_policy = None
    if target.startswith("user:"):
        resource = f"arn:aws:iam::{actor.account_id}:user/{target[5:]}"
    elif target.startswith("group:"):
        resource = f"arn:aws:iam::{actor.account_id}:group/{target[6:]}"
    elif target.startswith("role:"):
        role = w.roles[f"{target[5:]}.shared"]
        resource, resource_policy = role.arn, role.trust_policy
    else:
        resource = target
    try:
        authorize(actor, action, resource, resource_policy=resource_policy)
    except AccessDenied:
        return DENY
    return ALLOW


# (principal, action, target, expected) in the starting world.
BASE = [
    # The SCP on workloads is inherited by lab and binds root, users and roles of M.
    ("M.root", "iam:CreateUser", "user:x", DENY),
    ("M.admin", "iam:CreateUser", "user:x", DENY),
    ("M.role", "iam:CreateUser", "user:x", DENY),
    ("M.root", "iam:CreateUser", "user:lab/x", ALLOW),
    ("M.admin", "iam:CreateUser", "user:lab/x", ALLOW),
    ("M.role", "iam:CreateUser", "user:lab/x", ALLOW),
    # Other actions: FullAWSAccess at every level allows them.
    ("M.admin", "iam:CreateGroup", "group:g", ALLOW),
    ("M.root", "iam:DeleteUser", "user:x", ALLOW),
    ("M.role", "iam:ListUsers", "*", ALLOW),
    # N is not under workloads; A is the management account (exempt from SCPs).
    ("N.admin", "iam:CreateUser", "user:x", ALLOW),
    ("N.root", "iam:CreateUser", "user:x", ALLOW),
    ("N.role", "iam:CreateUser", "user:x", ALLOW),
    ("A.admin", "iam:CreateUser", "user:x", ALLOW),
    ("A.root", "iam:CreateUser", "user:x", ALLOW),
    ("A.role", "iam:CreateUser", "user:x", ALLOW),
    # A service-linked role is not bound by SCPs.
    ("M.slr", "ec2:DescribeInstances", "*", ALLOW),
    # The RCP: principals outside the organization may not assume roles of its members.
    ("X.admin", "sts:AssumeRole", "role:M", DENY),
    ("X.role", "sts:AssumeRole", "role:N", DENY),
    ("X.admin", "sts:AssumeRole", "role:A", ALLOW),  # RCPs do not bind the management account
    ("A.admin", "sts:AssumeRole", "role:M", ALLOW),
    ("N.admin", "sts:AssumeRole", "role:M", ALLOW),
    ("M.role", "sts:AssumeRole", "role:N", ALLOW),
    ("M.admin", "sts:AssumeRole", "role:X", ALLOW),  # X's role: no RCP applies to X
    # Conditions on aws:PrincipalOrgID / aws:PrincipalOrgPaths in identity policies.
    ("M.scoped", "iam:ListAccountAliases", "*", ALLOW),
    ("N.scoped", "iam:ListAccountAliases", "*", DENY),
]


def check(w: World, cases: list[tuple[str, str, str, str]]) -> list[str]:
    wrong = []
    for principal, action, target, expected in cases:
        got = decision(w, principal, action, target)
        if got != expected:
            wrong.append(f"{principal} {action} {target}: expected {expected}, got {got}")
    return wrong


def test_the_guardrail_matrix(root, world):
    w = world
    assert check(w, BASE) == []

    # An explicit deny attached to the account itself wins over every allow.
    _, no_delete = o.create_policy(
        actor=root,
        content=doc({"Effect": "Deny", "Action": "iam:DeleteUser", "Resource": "*"}),
        description="",
        name="NoDelete",
        policy_type=SCP,
    )
    o.attach_policy(actor=root, policy_id=no_delete.id, target_id=w.ids["M"])
    o.attach_policy(actor=root, policy_id=no_delete.id, target_id=w.ids["A"])
    explicit = [
        ("M.root", "iam:DeleteUser", "user:x", DENY),
        ("M.admin", "iam:DeleteUser", "user:x", DENY),
        ("M.role", "iam:DeleteUser", "user:x", DENY),
        ("N.admin", "iam:DeleteUser", "user:x", ALLOW),
        ("A.admin", "iam:DeleteUser", "user:x", ALLOW),  # attached, but A is exempt
        ("M.slr", "ec2:DescribeInstances", "*", ALLOW),
    ]
    assert check(w, explicit) == []

    # FullAWSAccess replaced on workloads by an allow-list: what it lacks is denied below.
    _, groups_only = o.create_policy(
        actor=root,
        content=doc({"Effect": "Allow", "Action": ["iam:*Group*", "sts:*"], "Resource": "*"}),
        description="",
        name="GroupsOnly",
        policy_type=SCP,
    )
    o.attach_policy(actor=root, policy_id=groups_only.id, target_id=w.ous["workloads"])
    o.detach_policy(actor=root, policy_id="p-FullAWSAccess", target_id=w.ous["workloads"])
    narrowed = [
        ("M.admin", "iam:CreateGroup", "group:g", ALLOW),
        ("M.root", "iam:CreateGroup", "group:g", ALLOW),
        ("M.admin", "iam:CreateUser", "user:lab/x", DENY),  # not allowed at workloads
        ("M.root", "iam:ListUsers", "*", DENY),
        ("M.role", "iam:ListUsers", "*", DENY),
        ("N.admin", "iam:ListUsers", "*", ALLOW),
        ("A.root", "iam:ListUsers", "*", ALLOW),
    ]
    assert check(w, narrowed) == []

    # Moving M to the root takes it out from under workloads at once.
    o.move_account(
        actor=root,
        account_id=w.ids["M"],
        source_parent_id=w.ous["lab"],
        destination_parent_id=w.org.root_id,
    )
    moved = [
        ("M.scoped", "iam:ListAccountAliases", "*", DENY),  # its path changed
        ("M.admin", "iam:CreateUser", "user:x", ALLOW),
        ("M.root", "iam:ListUsers", "*", ALLOW),
        ("M.admin", "iam:DeleteUser", "user:x", DENY),  # the account's own SCP stays
    ]
    assert check(w, moved) == []

    # Removed from the organization: no SCP, no RCP, no organization keys.
    o.remove_account_from_organization(actor=root, account_id=w.ids["M"])
    removed = [
        ("M.admin", "iam:DeleteUser", "user:x", ALLOW),
        ("X.admin", "sts:AssumeRole", "role:M", ALLOW),
        ("M.admin", "sts:AssumeRole", "role:N", DENY),  # now outside the organization
    ]
    assert check(w, removed) == []
    total = len(BASE) + len(explicit) + len(narrowed) + len(moved) + len(removed)
    assert total >= 30
