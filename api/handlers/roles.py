"""IAM roles: CreateRole … ListRoleTags, and the role's managed and inline policies
and permissions boundary (accounts/operations/roles.py, policies/operations.py)."""

from __future__ import annotations

from typing import Any

from accounts.operations import roles as role_ops
from accounts.principal import Principal
from api.paging import list_args, page_items, page_out
from api.shapes import attached_out, inline_policy_out, role_out, tag_out
from policies import operations as policy_ops

__all__ = [
    "attach_role_policy",
    "create_role",
    "delete_role",
    "delete_role_permissions_boundary",
    "delete_role_policy",
    "detach_role_policy",
    "get_role",
    "get_role_policy",
    "list_attached_role_policies",
    "list_role_policies",
    "list_role_tags",
    "list_roles",
    "put_role_permissions_boundary",
    "put_role_policy",
    "tag_role",
    "untag_role",
    "update_assume_role_policy",
    "update_role",
    "update_role_description",
]


def create_role(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    role = role_ops.create_role(
        actor=actor,
        name=p["RoleName"],
        trust_policy=p["AssumeRolePolicyDocument"],
        path=p.get("Path"),
        description=p.get("Description"),
        max_session_duration=p.get("MaxSessionDuration"),
        tags=p.get("Tags"),
        permissions_boundary=p.get("PermissionsBoundary"),
    )
    return {"Role": role_out(role, full=True, last_used=False)}


def get_role(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    return {"Role": role_out(role_ops.get_role(actor=actor, name=p["RoleName"]), full=True)}


def list_roles(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = role_ops.list_roles(actor=actor, **list_args(p, path_prefix=True))
    return page_out(page, "Roles", role_out)


def update_role(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    role_ops.update_role(
        actor=actor,
        name=p["RoleName"],
        description=p.get("Description"),
        max_session_duration=p.get("MaxSessionDuration"),
    )
    return {}


def update_role_description(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    role = role_ops.update_role_description(
        actor=actor, name=p["RoleName"], description=p["Description"]
    )
    return {"Role": role_out(role, full=True, last_used=False)}  # as CreateRole's answer


def update_assume_role_policy(actor: Principal, p: dict[str, Any]) -> None:
    role_ops.update_assume_role_policy(
        actor=actor, name=p["RoleName"], document=p["PolicyDocument"]
    )


def delete_role(actor: Principal, p: dict[str, Any]) -> None:
    role_ops.delete_role(actor=actor, name=p["RoleName"])


def tag_role(actor: Principal, p: dict[str, Any]) -> None:
    role_ops.tag_role(actor=actor, name=p["RoleName"], tags=p["Tags"])


def untag_role(actor: Principal, p: dict[str, Any]) -> None:
    role_ops.untag_role(actor=actor, name=p["RoleName"], tag_keys=p["TagKeys"])


def list_role_tags(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    tags = role_ops.list_role_tags(actor=actor, name=p["RoleName"])
    return page_out(page_items(tags, p), "Tags", tag_out)


# -- the role's policies and boundary -------------------------------------------------------


def attach_role_policy(actor: Principal, p: dict[str, Any]) -> None:
    policy_ops.attach_role_policy(actor=actor, role_name=p["RoleName"], policy_arn=p["PolicyArn"])


def detach_role_policy(actor: Principal, p: dict[str, Any]) -> None:
    policy_ops.detach_role_policy(actor=actor, role_name=p["RoleName"], policy_arn=p["PolicyArn"])


def list_attached_role_policies(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    args = list_args(p, path_prefix=True)
    page = policy_ops.list_attached_role_policies(actor=actor, role_name=p["RoleName"], **args)
    return page_out(page, "AttachedPolicies", attached_out)


def put_role_policy(actor: Principal, p: dict[str, Any]) -> None:
    name, document = p["PolicyName"], p["PolicyDocument"]
    policy_ops.put_role_policy(
        actor=actor, role_name=p["RoleName"], policy_name=name, document=document
    )


def get_role_policy(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    name = p["PolicyName"]
    policy = policy_ops.get_role_policy(actor=actor, role_name=p["RoleName"], policy_name=name)
    return inline_policy_out("RoleName", policy.role, policy)


def delete_role_policy(actor: Principal, p: dict[str, Any]) -> None:
    name = p["PolicyName"]
    policy_ops.delete_role_policy(actor=actor, role_name=p["RoleName"], policy_name=name)


def list_role_policies(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = policy_ops.list_role_policies(actor=actor, role_name=p["RoleName"], **list_args(p))
    return page_out(page, "PolicyNames", lambda policy: policy.name)


def put_role_permissions_boundary(actor: Principal, p: dict[str, Any]) -> None:
    arn = p["PermissionsBoundary"]
    policy_ops.put_role_permissions_boundary(actor=actor, role_name=p["RoleName"], policy_arn=arn)


def delete_role_permissions_boundary(actor: Principal, p: dict[str, Any]) -> None:
    policy_ops.delete_role_permissions_boundary(actor=actor, role_name=p["RoleName"])
