"""GetAccountAuthorizationDetails: the account's users, groups, roles and policies
with their relationships, built from the data (read-only, authorized, paginated).

AWS returns customer-managed policies and the AWS-managed policies in use in the
account. Pagination walks one flat sequence (users, groups, roles, policies),
so a page may mix kinds, as AWS's do.

The answer is the AWS-shaped dict (botocore's ``GetAccountAuthorizationDetailsResponse``
member names) with policy documents as plain JSON text: the Query API URL-encodes
them on the way out, an export writes them as they are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db.models import Count

from accounts.models import Group, IamUser, InstanceProfile, Role
from accounts.operations.common import attached_in_account, attachment_counts
from accounts.principal import Principal
from iamconsole.ops import operation, page_list
from policies.authorization import authorize
from policies.models import InlinePolicy, ManagedPolicy, PolicyAttachment

__all__ = [
    "FILTERS",
    "get_account_authorization_details",
    "instance_profile_item",
    "policy_usage_counts",
]

FILTERS = ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")


def policy_usage_counts(account_id: str, policy_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """policy pk -> (AttachmentCount, PermissionsBoundaryUsageCount) within one account.

    Five queries whatever the number of policies (attachments by users, groups and
    roles, user boundaries, role boundaries); an AWS-managed policy counts only this
    account's uses.
    """
    ids = list(policy_ids)
    if not ids:
        return {}
    attached = attachment_counts(account_id, ids)
    boundary: Counter[int] = Counter()
    for model in (IamUser, Role):
        rows = (
            model.objects.filter(account_id=account_id, permissions_boundary_id__in=ids)
            .values_list("permissions_boundary_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        boundary.update(dict(rows))
    return {pk: (attached.get(pk, 0), boundary.get(pk, 0)) for pk in ids}


def _boundary(obj: IamUser | Role) -> dict[str, str] | None:
    if obj.permissions_boundary_id is None:
        return None
    return {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": obj.permissions_boundary.arn,
    }


def _attached(**owner: Any) -> list[dict[str, str]]:
    return [
        {"PolicyName": a.policy.name, "PolicyArn": a.policy.arn}
        for a in PolicyAttachment.objects.filter(**owner).select_related("policy")
    ]


def _inline(**owner: Any) -> list[dict[str, str]]:
    return [
        {"PolicyName": p.name, "PolicyDocument": p.document}
        for p in InlinePolicy.objects.filter(**owner)
    ]


def _tags(tags: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"Key": t["Key"], "Value": t["Value"]} for t in tags]


def _sequence(account: str, wanted: set[str]) -> list[tuple[str, int]]:
    """The flat sequence of (kind, pk) the pages walk, in a stable order."""
    sequence: list[tuple[str, int]] = []
    for kind, filt, model in (("user", "User", IamUser), ("group", "Group", Group)):
        if filt in wanted:
            rows = model.objects.filter(account_id=account).order_by("name")
            sequence += [(kind, pk) for pk in rows.values_list("pk", flat=True)]
    if "Role" in wanted:
        rows = Role.objects.filter(account_id=account).order_by("name")
        sequence += [("role", pk) for pk in rows.values_list("pk", flat=True)]
    if "LocalManagedPolicy" in wanted:
        local = ManagedPolicy.objects.filter(account_id=account).order_by("arn")
        sequence += [("policy", pk) for pk in local.values_list("pk", flat=True)]
    if "AWSManagedPolicy" in wanted:
        used = ManagedPolicy.objects.filter(account__isnull=True).filter(
            attached_in_account(account)
        )
        sequence += [("policy", pk) for pk in used.order_by("arn").values_list("pk", flat=True)]
    return sequence


def _user(user: IamUser) -> dict[str, Any]:
    item: dict[str, Any] = {
        "Path": user.path,
        "UserName": user.name,
        "UserId": user.unique_id,
        "Arn": user.arn,
        "CreateDate": user.created,
        "UserPolicyList": _inline(user=user),
        "GroupList": list(user.groups.order_by("name").values_list("name", flat=True)),
        "AttachedManagedPolicies": _attached(user=user),
        "Tags": _tags(user.tags),
    }
    boundary = _boundary(user)
    if boundary:
        item["PermissionsBoundary"] = boundary
    return item


def _group(group: Group) -> dict[str, Any]:
    return {
        "Path": group.path,
        "GroupName": group.name,
        "GroupId": group.unique_id,
        "Arn": group.arn,
        "CreateDate": group.created,
        "GroupPolicyList": _inline(group=group),
        "AttachedManagedPolicies": _attached(group=group),
    }


def instance_profile_item(profile: InstanceProfile) -> dict[str, Any]:
    """An InstanceProfileList entry as AWS's exports show it: the profile and its role
    (Path, RoleName, RoleId, Arn, CreateDate, AssumeRolePolicyDocument), Tags when any."""
    item: dict[str, Any] = {
        "Path": profile.path,
        "InstanceProfileName": profile.name,
        "InstanceProfileId": profile.unique_id,
        "Arn": profile.arn,
        "CreateDate": profile.created,
        "Roles": [],
    }
    role = profile.role
    if role is not None:
        item["Roles"].append(
            {
                "Path": role.path,
                "RoleName": role.name,
                "RoleId": role.unique_id,
                "Arn": role.arn,
                "CreateDate": role.created,
                "AssumeRolePolicyDocument": role.trust_policy,
            }
        )
    if profile.tags:
        item["Tags"] = _tags(profile.tags)
    return item


def _role(role: Role, profiles: list[InstanceProfile] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.unique_id,
        "Arn": role.arn,
        "CreateDate": role.created,
        "AssumeRolePolicyDocument": role.trust_policy,
    }
    boundary = _boundary(role)
    if boundary:
        item["PermissionsBoundary"] = boundary
    last: dict[str, Any] = {}
    if role.last_used:
        last = {"LastUsedDate": role.last_used, "Region": role.last_used_region}
    item["RoleLastUsed"] = last
    item["InstanceProfileList"] = [instance_profile_item(p) for p in profiles or []]
    item["RolePolicyList"] = _inline(role=role)
    item["AttachedManagedPolicies"] = _attached(role=role)
    item["Tags"] = _tags(role.tags)
    return item


def _policy(policy: ManagedPolicy, counts: tuple[int, int]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "PolicyName": policy.name,
        "PolicyId": policy.policy_id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": policy.default_version_id,
        "AttachmentCount": counts[0],
        "PermissionsBoundaryUsageCount": counts[1],
        "IsAttachable": policy.is_attachable,
        "CreateDate": policy.created,
        "UpdateDate": policy.updated,
        "PolicyVersionList": [
            {
                "Document": v.document,
                "VersionId": v.version_id,
                "IsDefaultVersion": v.is_default,
                "CreateDate": v.created,
            }
            for v in policy.versions.all()
        ],
    }
    if policy.description:
        item["Description"] = policy.description
    return item


@operation("GetAccountAuthorizationDetails", read_only=True)
def get_account_authorization_details(
    *,
    actor: Principal,
    filters: list[str] | None = None,
    marker: str | None = None,
    max_items: int | None = None,
) -> dict[str, Any]:
    """GetAccountAuthorizationDetails: one page of the caller's account, as AWS shapes it
    (``UserDetailList``, ``GroupDetailList``, ``RoleDetailList``, ``Policies``,
    ``IsTruncated``, ``Marker``). Documents are plain JSON text, not URL-encoded."""
    authorize(actor, "iam:GetAccountAuthorizationDetails", "*")
    account = actor.account_id
    page = page_list(
        _sequence(account, set(filters or ()) or set(FILTERS)), marker=marker, max_items=max_items
    )
    ids: dict[str, list[int]] = {"user": [], "group": [], "role": [], "policy": []}
    for kind, pk in page.items:
        ids[kind].append(pk)

    policies = list(ManagedPolicy.objects.filter(pk__in=ids["policy"]).order_by("arn"))
    counts = policy_usage_counts(account, [p.pk for p in policies])
    roles = list(Role.objects.filter(pk__in=ids["role"]).order_by("name"))
    profiles: dict[int, list[InstanceProfile]] = {r.pk: [] for r in roles}
    for profile in (
        InstanceProfile.objects.filter(role__in=roles).select_related("role").order_by("name")
    ):
        profiles[profile.role_id].append(profile)
    out: dict[str, Any] = {
        "UserDetailList": [
            _user(u) for u in IamUser.objects.filter(pk__in=ids["user"]).order_by("name")
        ],
        "GroupDetailList": [
            _group(g) for g in Group.objects.filter(pk__in=ids["group"]).order_by("name")
        ],
        "RoleDetailList": [_role(r, profiles[r.pk]) for r in roles],
        "Policies": [_policy(p, counts[p.pk]) for p in policies],
        "IsTruncated": page.is_truncated,
    }
    if page.marker:
        out["Marker"] = page.marker
    return out
