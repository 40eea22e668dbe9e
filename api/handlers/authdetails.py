"""GetAccountAuthorizationDetails: the account's users, groups, roles and policies
with their relationships, built from the data (read-only, authorized, paginated).

AWS returns customer-managed policies and the AWS-managed policies in use in the
account. Pagination walks one flat sequence (users, groups, roles, policies),
so a page may mix kinds, as AWS's do.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from accounts.errors import ValidationError
from accounts.principal import Principal
from iamconsole.ops import decode_marker, encode_marker, operation
from policies.authorization import authorize

_FILTERS = ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")


@operation("GetAccountAuthorizationDetails")
def get_account_authorization_details(
    *,
    actor: Principal,
    filters: list[str],
    marker: str | None = None,
    max_items: int | None = None,
) -> dict[str, Any]:
    from accounts.models import Group, IamUser, Role
    from api.handlers.iam import encode_document, role_out
    from policies.models import InlinePolicy, ManagedPolicy, PolicyAttachment

    authorize(actor, "iam:GetAccountAuthorizationDetails", "*")
    wanted = set(filters) or set(_FILTERS)
    limit = 100 if max_items is None else max_items
    if not 1 <= limit <= 1000:
        raise ValidationError(
            f"1 validation error detected: Value '{limit}' at 'maxItems' failed to satisfy "
            "constraint: Member must have value between 1 and 1000"
        )
    start = 0
    if marker:
        raw = decode_marker(marker) or "0"
        if not raw.isdigit():
            raise ValidationError("Invalid Marker.")
        start = int(raw)

    account = actor.account_id
    # The flat sequence of (kind, pk), in a stable order.
    sequence: list[tuple[str, int]] = []
    if "User" in wanted:
        sequence += [
            ("user", pk)
            for pk in IamUser.objects.filter(account_id=account)
            .order_by("name")
            .values_list("pk", flat=True)
        ]
    if "Group" in wanted:
        sequence += [
            ("group", pk)
            for pk in Group.objects.filter(account_id=account)
            .order_by("name")
            .values_list("pk", flat=True)
        ]
    if "Role" in wanted:
        sequence += [
            ("role", pk)
            for pk in Role.objects.filter(account_id=account)
            .order_by("name")
            .values_list("pk", flat=True)
        ]
    in_account = (
        Q(attachments__user__account_id=account)
        | Q(attachments__group__account_id=account)
        | Q(attachments__role__account_id=account)
    )
    if "LocalManagedPolicy" in wanted:
        sequence += [
            ("policy", pk)
            for pk in ManagedPolicy.objects.filter(account_id=account)
            .order_by("arn")
            .values_list("pk", flat=True)
        ]
    if "AWSManagedPolicy" in wanted:
        used = ManagedPolicy.objects.filter(account__isnull=True).filter(in_account).distinct()
        sequence += [("policy", pk) for pk in used.order_by("arn").values_list("pk", flat=True)]
    chunk = sequence[start : start + limit]
    truncated = start + limit < len(sequence)

    ids: dict[str, list[int]] = {"user": [], "group": [], "role": [], "policy": []}
    for kind, pk in chunk:
        ids[kind].append(pk)

    def attached(**filt: Any) -> list[dict[str, str]]:
        return [
            {"PolicyName": a.policy.name, "PolicyArn": a.policy.arn}
            for a in PolicyAttachment.objects.filter(**filt).select_related("policy")
        ]

    def inline(**filt: Any) -> list[dict[str, str]]:
        return [
            {"PolicyName": p.name, "PolicyDocument": encode_document(p.document)}
            for p in InlinePolicy.objects.filter(**filt)
        ]

    def boundary(obj: Any) -> dict[str, str] | None:
        if obj.permissions_boundary_id is None:
            return None
        return {
            "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
            "PermissionsBoundaryArn": obj.permissions_boundary.arn,
        }

    users = []
    for user in IamUser.objects.filter(pk__in=ids["user"]).order_by("name"):
        item: dict[str, Any] = {
            "Path": user.path,
            "UserName": user.name,
            "UserId": user.unique_id,
            "Arn": user.arn,
            "CreateDate": user.created,
            "UserPolicyList": inline(user=user),
            "GroupList": list(user.groups.order_by("name").values_list("name", flat=True)),
            "AttachedManagedPolicies": attached(user=user),
            "Tags": [{"Key": t["Key"], "Value": t["Value"]} for t in user.tags],
        }
        if boundary(user):
            item["PermissionsBoundary"] = boundary(user)
        users.append(item)
    groups = [
        {
            "Path": group.path,
            "GroupName": group.name,
            "GroupId": group.unique_id,
            "Arn": group.arn,
            "CreateDate": group.created,
            "GroupPolicyList": inline(group=group),
            "AttachedManagedPolicies": attached(group=group),
        }
        for group in Group.objects.filter(pk__in=ids["group"]).order_by("name")
    ]
    roles = []
    for role in Role.objects.filter(pk__in=ids["role"]).order_by("name"):
        base = role_out(role, full=True)
        item = {
            k: base[k]
            for k in (
                "Path",
                "RoleName",
                "RoleId",
                "Arn",
                "CreateDate",
                "AssumeRolePolicyDocument",
                "PermissionsBoundary",
                "RoleLastUsed",
            )
            if k in base
        }
        item["InstanceProfileList"] = []
        item["RolePolicyList"] = inline(role=role)
        item["AttachedManagedPolicies"] = attached(role=role)
        item["Tags"] = [{"Key": t["Key"], "Value": t["Value"]} for t in role.tags]
        roles.append(item)
    policies = []
    for policy in ManagedPolicy.objects.filter(pk__in=ids["policy"]).order_by("arn"):
        count = (
            PolicyAttachment.objects.filter(policy=policy)
            .filter(
                Q(user__account_id=account)
                | Q(group__account_id=account)
                | Q(role__account_id=account)
            )
            .count()
        )
        bcount = (
            IamUser.objects.filter(account_id=account, permissions_boundary=policy).count()
            + Role.objects.filter(account_id=account, permissions_boundary=policy).count()
        )
        item = {
            "PolicyName": policy.name,
            "PolicyId": policy.policy_id,
            "Arn": policy.arn,
            "Path": policy.path,
            "DefaultVersionId": policy.default_version_id,
            "AttachmentCount": count,
            "PermissionsBoundaryUsageCount": bcount,
            "IsAttachable": policy.is_attachable,
            "CreateDate": policy.created,
            "UpdateDate": policy.updated,
            "PolicyVersionList": [
                {
                    "Document": encode_document(v.document),
                    "VersionId": v.version_id,
                    "IsDefaultVersion": v.is_default,
                    "CreateDate": v.created,
                }
                for v in policy.versions.all()
            ],
        }
        if policy.description:
            item["Description"] = policy.description
        policies.append(item)
    out: dict[str, Any] = {
        "UserDetailList": users,
        "GroupDetailList": groups,
        "RoleDetailList": roles,
        "Policies": policies,
        "IsTruncated": truncated,
    }
    if truncated:
        out["Marker"] = encode_marker(str(start + limit))
    return out
