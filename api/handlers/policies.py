"""Managed policies: CreatePolicy … ListPolicyTags, versions, ListEntitiesForPolicy
(policies/operations.py)."""

from __future__ import annotations

from typing import Any

from accounts.operations.authdetails import policy_usage_counts
from accounts.principal import Principal
from api.paging import list_args, page_items, page_out
from api.shapes import policy_out, tag_out, version_out
from policies import operations as policy_ops
from policies.models import ManagedPolicy

__all__ = [
    "create_policy",
    "create_policy_version",
    "delete_policy",
    "delete_policy_version",
    "get_policy",
    "get_policy_version",
    "list_entities_for_policy",
    "list_policies",
    "list_policy_tags",
    "list_policy_versions",
    "set_default_policy_version",
    "tag_policy",
    "untag_policy",
]


def _full(actor: Principal, policy: ManagedPolicy, *, description: bool = True) -> dict[str, Any]:
    """GetPolicy's and CreatePolicy's Policy, with both usage counts in the caller's account."""
    attached, boundary = policy_usage_counts(actor.account_id, [policy.pk])[policy.pk]
    return policy_out(
        policy,
        attachment_count=attached,
        boundary_count=boundary,
        full=True,
        description=description,
    )


def create_policy(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    policy = policy_ops.create_policy(
        actor=actor,
        name=p["PolicyName"],
        document=p["PolicyDocument"],
        path=p.get("Path"),
        description=p.get("Description"),
        tags=p.get("Tags"),
    )
    # CreatePolicy's answer omits the description, as IAM's does.
    return {"Policy": _full(actor, policy, description=False)}


def get_policy(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    return {"Policy": _full(actor, policy_ops.get_policy(actor=actor, arn=p["PolicyArn"]))}


def list_policies(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = policy_ops.list_policies(
        actor=actor,
        scope=p.get("Scope", "All"),
        only_attached=p.get("OnlyAttached", False),
        policy_usage_filter=p.get("PolicyUsageFilter"),
        **list_args(p, path_prefix=True),
    )
    # list_policies annotates each policy with its attachment count in the account.
    return page_out(
        page, "Policies", lambda pol: policy_out(pol, attachment_count=pol.attachment_count)
    )


def delete_policy(actor: Principal, p: dict[str, Any]) -> None:
    policy_ops.delete_policy(actor=actor, arn=p["PolicyArn"])


def create_policy_version(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    version = policy_ops.create_policy_version(
        actor=actor,
        arn=p["PolicyArn"],
        document=p["PolicyDocument"],
        set_as_default=p.get("SetAsDefault", False),
    )
    return {"PolicyVersion": version_out(version)}


def get_policy_version(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    version = policy_ops.get_policy_version(
        actor=actor, arn=p["PolicyArn"], version_id=p["VersionId"]
    )
    return {"PolicyVersion": version_out(version, document=True)}


def list_policy_versions(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = policy_ops.list_policy_versions(actor=actor, arn=p["PolicyArn"], **list_args(p))
    return page_out(page, "Versions", version_out)


def delete_policy_version(actor: Principal, p: dict[str, Any]) -> None:
    policy_ops.delete_policy_version(actor=actor, arn=p["PolicyArn"], version_id=p["VersionId"])


def set_default_policy_version(actor: Principal, p: dict[str, Any]) -> None:
    policy_ops.set_default_policy_version(
        actor=actor, arn=p["PolicyArn"], version_id=p["VersionId"]
    )


def tag_policy(actor: Principal, p: dict[str, Any]) -> None:
    policy_ops.tag_policy(actor=actor, arn=p["PolicyArn"], tags=p["Tags"])


def untag_policy(actor: Principal, p: dict[str, Any]) -> None:
    policy_ops.untag_policy(actor=actor, arn=p["PolicyArn"], tag_keys=p["TagKeys"])


def list_policy_tags(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    tags = policy_ops.list_policy_tags(actor=actor, arn=p["PolicyArn"])
    return page_out(page_items(tags, p), "Tags", tag_out)


def list_entities_for_policy(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    entity_filter = p.get("EntityFilter")
    if entity_filter in ("LocalManagedPolicy", "AWSManagedPolicy"):
        entity_filter = None
    found = policy_ops.list_entities_for_policy(
        actor=actor,
        arn=p["PolicyArn"],
        entity_filter=entity_filter,
        path_prefix=p.get("PathPrefix"),
        usage=p.get("PolicyUsageFilter"),
    )
    # One sequence (groups, users, roles, each by name) paged as a whole, as IAM pages
    # ListEntitiesForPolicy: a page may hold several kinds.
    sequence = (
        [("group", g) for g in found.groups]
        + [("user", u) for u in found.users]
        + [("role", r) for r in found.roles]
    )
    page = page_items(sequence, p)
    out: dict[str, Any] = {
        "PolicyGroups": [
            {"GroupName": g.name, "GroupId": g.unique_id} for k, g in page.items if k == "group"
        ],
        "PolicyUsers": [
            {"UserName": u.name, "UserId": u.unique_id} for k, u in page.items if k == "user"
        ],
        "PolicyRoles": [
            {"RoleName": r.name, "RoleId": r.unique_id} for k, r in page.items if k == "role"
        ],
        "IsTruncated": page.is_truncated,
    }
    if page.marker:
        out["Marker"] = page.marker
    return out
