"""IAM users: CreateUser … ListUserTags, and the user's managed and inline policies
and permissions boundary (accounts/operations/users.py, policies/operations.py)."""

from __future__ import annotations

from typing import Any

from accounts.operations import users as user_ops
from accounts.operations.common import account_of
from accounts.principal import Principal
from api.paging import list_args, page_items, page_out
from api.shapes import attached_out, inline_policy_out, tag_out, user_out
from policies import operations as policy_ops

__all__ = [
    "attach_user_policy",
    "create_user",
    "delete_user",
    "delete_user_permissions_boundary",
    "delete_user_policy",
    "detach_user_policy",
    "get_user",
    "get_user_policy",
    "list_attached_user_policies",
    "list_user_policies",
    "list_user_tags",
    "list_users",
    "put_user_permissions_boundary",
    "put_user_policy",
    "tag_user",
    "untag_user",
    "update_user",
]


def create_user(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    user = user_ops.create_user(
        actor=actor,
        name=p["UserName"],
        path=p.get("Path"),
        tags=p.get("Tags"),
        permissions_boundary=p.get("PermissionsBoundary"),
    )
    return {"User": user_out(user, full=True)}


def get_user(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    user = user_ops.get_user(actor=actor, name=p.get("UserName"))
    if user is None:  # root: the account is the user
        account = account_of(actor)
        return {
            "User": {"UserId": account.id, "Arn": account.root_arn, "CreateDate": account.created}
        }
    return {"User": user_out(user, full=True)}


def list_users(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = user_ops.list_users(actor=actor, **list_args(p, path_prefix=True))
    return page_out(page, "Users", user_out)


def update_user(actor: Principal, p: dict[str, Any]) -> None:
    user_ops.update_user(
        actor=actor, name=p["UserName"], new_name=p.get("NewUserName"), new_path=p.get("NewPath")
    )


def delete_user(actor: Principal, p: dict[str, Any]) -> None:
    user_ops.delete_user(actor=actor, name=p["UserName"])


def tag_user(actor: Principal, p: dict[str, Any]) -> None:
    user_ops.tag_user(actor=actor, name=p["UserName"], tags=p["Tags"])


def untag_user(actor: Principal, p: dict[str, Any]) -> None:
    user_ops.untag_user(actor=actor, name=p["UserName"], tag_keys=p["TagKeys"])


def list_user_tags(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    tags = user_ops.list_user_tags(actor=actor, name=p["UserName"])
    return page_out(page_items(tags, p), "Tags", tag_out)


# -- the user's policies and boundary -------------------------------------------------------


def attach_user_policy(actor: Principal, p: dict[str, Any]) -> None:
    policy_ops.attach_user_policy(actor=actor, user_name=p["UserName"], policy_arn=p["PolicyArn"])


def detach_user_policy(actor: Principal, p: dict[str, Any]) -> None:
    policy_ops.detach_user_policy(actor=actor, user_name=p["UserName"], policy_arn=p["PolicyArn"])


def list_attached_user_policies(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    args = list_args(p, path_prefix=True)
    page = policy_ops.list_attached_user_policies(actor=actor, user_name=p["UserName"], **args)
    return page_out(page, "AttachedPolicies", attached_out)


def put_user_policy(actor: Principal, p: dict[str, Any]) -> None:
    name, document = p["PolicyName"], p["PolicyDocument"]
    policy_ops.put_user_policy(
        actor=actor, user_name=p["UserName"], policy_name=name, document=document
    )


def get_user_policy(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    name = p["PolicyName"]
    policy = policy_ops.get_user_policy(actor=actor, user_name=p["UserName"], policy_name=name)
    return inline_policy_out("UserName", policy.user, policy)


def delete_user_policy(actor: Principal, p: dict[str, Any]) -> None:
    name = p["PolicyName"]
    policy_ops.delete_user_policy(actor=actor, user_name=p["UserName"], policy_name=name)


def list_user_policies(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = policy_ops.list_user_policies(actor=actor, user_name=p["UserName"], **list_args(p))
    return page_out(page, "PolicyNames", lambda policy: policy.name)


def put_user_permissions_boundary(actor: Principal, p: dict[str, Any]) -> None:
    arn = p["PermissionsBoundary"]
    policy_ops.put_user_permissions_boundary(actor=actor, user_name=p["UserName"], policy_arn=arn)


def delete_user_permissions_boundary(actor: Principal, p: dict[str, Any]) -> None:
    policy_ops.delete_user_permissions_boundary(actor=actor, user_name=p["UserName"])
