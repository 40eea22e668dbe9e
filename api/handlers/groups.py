"""IAM groups: CreateGroup … DeleteGroup, membership, and the group's managed and
inline policies (accounts/operations/groups.py, policies/operations.py)."""

from __future__ import annotations

from typing import Any

from accounts.operations import groups as group_ops
from accounts.principal import Principal
from api.paging import list_args, page_out
from api.shapes import attached_out, group_out, inline_policy_out, user_out
from policies import operations as policy_ops

__all__ = [
    "add_user_to_group",
    "attach_group_policy",
    "create_group",
    "delete_group",
    "delete_group_policy",
    "detach_group_policy",
    "get_group",
    "get_group_policy",
    "list_attached_group_policies",
    "list_group_policies",
    "list_groups",
    "list_groups_for_user",
    "put_group_policy",
    "remove_user_from_group",
    "update_group",
]


def create_group(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    group = group_ops.create_group(actor=actor, name=p["GroupName"], path=p.get("Path"))
    return {"Group": group_out(group)}


def get_group(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    found = group_ops.get_group(actor=actor, name=p["GroupName"], **list_args(p))
    return {"Group": group_out(found.group), **page_out(found.users, "Users", user_out)}


def list_groups(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = group_ops.list_groups(actor=actor, **list_args(p, path_prefix=True))
    return page_out(page, "Groups", group_out)


def list_groups_for_user(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = group_ops.list_groups_for_user(actor=actor, user_name=p["UserName"], **list_args(p))
    return page_out(page, "Groups", group_out)


def add_user_to_group(actor: Principal, p: dict[str, Any]) -> None:
    group_ops.add_user_to_group(actor=actor, group_name=p["GroupName"], user_name=p["UserName"])


def remove_user_from_group(actor: Principal, p: dict[str, Any]) -> None:
    group_ops.remove_user_from_group(
        actor=actor, group_name=p["GroupName"], user_name=p["UserName"]
    )


def update_group(actor: Principal, p: dict[str, Any]) -> None:
    group_ops.update_group(
        actor=actor, name=p["GroupName"], new_name=p.get("NewGroupName"), new_path=p.get("NewPath")
    )


def delete_group(actor: Principal, p: dict[str, Any]) -> None:
    group_ops.delete_group(actor=actor, name=p["GroupName"])


# -- the group's policies --------------------------------------------------------------------


def attach_group_policy(actor: Principal, p: dict[str, Any]) -> None:
    policy_ops.attach_group_policy(
        actor=actor, group_name=p["GroupName"], policy_arn=p["PolicyArn"]
    )


def detach_group_policy(actor: Principal, p: dict[str, Any]) -> None:
    policy_ops.detach_group_policy(
        actor=actor, group_name=p["GroupName"], policy_arn=p["PolicyArn"]
    )


def list_attached_group_policies(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    args = list_args(p, path_prefix=True)
    page = policy_ops.list_attached_group_policies(actor=actor, group_name=p["GroupName"], **args)
    return page_out(page, "AttachedPolicies", attached_out)


def put_group_policy(actor: Principal, p: dict[str, Any]) -> None:
    name, document = p["PolicyName"], p["PolicyDocument"]
    policy_ops.put_group_policy(
        actor=actor, group_name=p["GroupName"], policy_name=name, document=document
    )


def get_group_policy(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    name = p["PolicyName"]
    policy = policy_ops.get_group_policy(actor=actor, group_name=p["GroupName"], policy_name=name)
    return inline_policy_out("GroupName", policy.group, policy)


def delete_group_policy(actor: Principal, p: dict[str, Any]) -> None:
    name = p["PolicyName"]
    policy_ops.delete_group_policy(actor=actor, group_name=p["GroupName"], policy_name=name)


def list_group_policies(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = policy_ops.list_group_policies(actor=actor, group_name=p["GroupName"], **list_args(p))
    return page_out(page, "PolicyNames", lambda policy: policy.name)
