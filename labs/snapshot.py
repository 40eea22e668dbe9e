"""The seat snapshot: one JSON document of a seat account's IAM state, for query checks.

Lab objectives of kind ``query`` are JMESPath expressions over this document
(labs/checks.py). Its sections, with AWS's member names:

- ``AuthorizationDetails``: GetAccountAuthorizationDetails of the account with every
  page merged (``UserDetailList``, ``GroupDetailList``, ``RoleDetailList``,
  ``Policies``), item for item what accounts/operations/authdetails.py answers (so
  ``UserPolicyList`` is there, maybe empty, for every user), except that policy
  documents are JSON objects, not text, and dates are ISO 8601 strings in UTC to the
  second, as the AWS CLI prints them (``2024-01-02T03:04:05+00:00``).
- ``CredentialReport``: the rows of the credential report (root first), each an object
  keyed by the CSV's header names (``user``, ``arn``, ``mfa_active``, …) with the CSV's
  string values (``"true"``, ``"N/A"``, …): built by the code that builds the CSV
  (accounts/operations/reports.py), as of now. No report is stored.
- ``PasswordPolicy``: GetAccountPasswordPolicy's ``PasswordPolicy`` as the API shapes it
  (api/shapes.py), or null when the account has none.
- ``AccountSummary``: GetAccountSummary's ``SummaryMap``.
- ``AccountAliases``: ListAccountAliases' list (zero or one alias).

Read-only: nothing is written, nothing audited (reads are audited only when they fail,
and the account's root, which reads here, is never refused in its own account). The
query count is fixed whatever the account holds (26 SELECTs, no transaction: GetAccountSummary's
map comes from ``account_summary``, not its ``@operation``, so grading never takes
SQLite's write lock): the authorization details take one query per kind
of row, not one per entity, because a class of 30 seats is graded in one dashboard poll.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q

from accounts.models import (
    Account,
    Group,
    GroupMembership,
    IamUser,
    InstanceProfile,
    PasswordPolicy,
    Role,
)
from accounts.operations.account import account_summary
from accounts.operations.authdetails import instance_profile_item
from accounts.operations.reports import build_report
from api.shapes import password_policy_out
from policies.models import InlinePolicy, ManagedPolicy, PolicyAttachment

__all__ = ["authorization_details", "credential_report_rows", "iso", "seat_snapshot"]


def seat_snapshot(account_id: str) -> dict[str, Any]:
    """The seat's snapshot: a JSON-able dict (see the module docstring)."""
    policy = PasswordPolicy.objects.filter(account_id=account_id).first()
    alias = Account.objects.filter(pk=account_id).values_list("alias", flat=True).first()
    return {
        "AuthorizationDetails": authorization_details(account_id),
        "CredentialReport": credential_report_rows(account_id),
        "PasswordPolicy": password_policy_out(policy) if policy is not None else None,
        "AccountSummary": account_summary(account_id),
        "AccountAliases": [alias] if alias else [],
    }


def iso(value: datetime | None) -> str | None:
    """A date as the AWS CLI prints it: UTC, whole seconds, ``+00:00``."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="seconds")


def credential_report_rows(account_id: str) -> list[dict[str, str]]:
    """The credential report's rows as objects keyed by its header (the CSV's own text)."""
    return [dict(row) for row in csv.DictReader(io.StringIO(build_report(account_id)))]


def _document(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:  # stored documents are validated JSON; keep the text if not
        return text


def authorization_details(account_id: str) -> dict[str, list[dict[str, Any]]]:
    """GetAccountAuthorizationDetails, all pages merged, in eight queries.

    The same items, order and member names as the operation
    (accounts/operations/authdetails.py), which walks users, groups and roles by name
    and policies by ARN; documents decoded, dates ISO. AWS-managed policies appear
    when attached in the account; counts are this account's uses.
    """
    in_account = (
        Q(user__account_id=account_id)
        | Q(group__account_id=account_id)
        | Q(role__account_id=account_id)
    )
    users = list(
        IamUser.objects.filter(account_id=account_id)
        .select_related("permissions_boundary")
        .order_by("name")
    )
    groups = list(Group.objects.filter(account_id=account_id).order_by("name"))
    roles = list(
        Role.objects.filter(account_id=account_id)
        .select_related("permissions_boundary")
        .order_by("name")
    )
    attachments = list(
        PolicyAttachment.objects.filter(account_id=account_id)
        .select_related("policy")
        .order_by("pk")
    )
    inline = InlinePolicy.objects.filter(in_account).order_by("name", "pk")
    memberships = (
        GroupMembership.objects.filter(user__account_id=account_id)
        .order_by("group__name")
        .values_list("user_id", "group__name")
    )
    used_aws = PolicyAttachment.objects.filter(account_id=account_id, policy__account__isnull=True)
    policies = (
        ManagedPolicy.objects.filter(
            Q(account_id=account_id) | Q(account__isnull=True, pk__in=used_aws.values("policy_id"))
        )
        .order_by("arn")
        .prefetch_related("versions")
    )

    profiles: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for profile in (
        InstanceProfile.objects.filter(account_id=account_id, role__isnull=False)
        .select_related("role")
        .order_by("name")
    ):
        item = instance_profile_item(profile)
        item["CreateDate"] = iso(item["CreateDate"])
        for role_item in item["Roles"]:
            role_item["CreateDate"] = iso(role_item["CreateDate"])
            role_item["AssumeRolePolicyDocument"] = _document(role_item["AssumeRolePolicyDocument"])
        profiles[int(profile.role_id or 0)].append(item)
    attached: dict[tuple[str, int], list[dict[str, str]]] = defaultdict(list)
    for a in attachments:
        attached[_owner(a)].append({"PolicyName": a.policy.name, "PolicyArn": a.policy.arn})
    embedded: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for p in inline:
        embedded[_owner(p)].append({"PolicyName": p.name, "PolicyDocument": _document(p.document)})
    group_names: dict[int, list[str]] = defaultdict(list)
    for user_id, group_name in memberships:
        group_names[user_id].append(group_name)
    attachment_counts = Counter(a.policy_id for a in attachments)
    boundary_counts = Counter(
        e.permissions_boundary_id for e in [*users, *roles] if e.permissions_boundary_id
    )

    return {
        "UserDetailList": [
            _user(u, embedded[("user", u.pk)], group_names[u.pk], attached[("user", u.pk)])
            for u in users
        ],
        "GroupDetailList": [
            _group(g, embedded[("group", g.pk)], attached[("group", g.pk)]) for g in groups
        ],
        "RoleDetailList": [
            _role(r, embedded[("role", r.pk)], attached[("role", r.pk)], profiles[r.pk])
            for r in roles
        ],
        "Policies": [_policy(p, attachment_counts[p.pk], boundary_counts[p.pk]) for p in policies],
    }


def _owner(row: PolicyAttachment | InlinePolicy) -> tuple[str, int]:
    """(kind, pk) of the one user, group or role an attachment or inline policy is on."""
    if row.user_id is not None:
        return ("user", row.user_id)
    if row.group_id is not None:
        return ("group", row.group_id)
    return ("role", int(row.role_id or 0))


def _boundary(entity: IamUser | Role) -> dict[str, str] | None:
    if entity.permissions_boundary_id is None:
        return None
    return {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": entity.permissions_boundary.arn,
    }


def _tags(tags: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"Key": t["Key"], "Value": t["Value"]} for t in tags]


def _user(
    user: IamUser,
    inline: list[dict[str, Any]],
    groups: list[str],
    attached: list[dict[str, str]],
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "Path": user.path,
        "UserName": user.name,
        "UserId": user.unique_id,
        "Arn": user.arn,
        "CreateDate": iso(user.created),
        "UserPolicyList": inline,
        "GroupList": groups,
        "AttachedManagedPolicies": attached,
        "Tags": _tags(user.tags),
    }
    boundary = _boundary(user)
    if boundary:
        item["PermissionsBoundary"] = boundary
    return item


def _group(
    group: Group, inline: list[dict[str, Any]], attached: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "Path": group.path,
        "GroupName": group.name,
        "GroupId": group.unique_id,
        "Arn": group.arn,
        "CreateDate": iso(group.created),
        "GroupPolicyList": inline,
        "AttachedManagedPolicies": attached,
    }


def _role(
    role: Role,
    inline: list[dict[str, Any]],
    attached: list[dict[str, str]],
    profiles: list[dict[str, Any]],
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.unique_id,
        "Arn": role.arn,
        "CreateDate": iso(role.created),
        "AssumeRolePolicyDocument": _document(role.trust_policy),
    }
    boundary = _boundary(role)
    if boundary:
        item["PermissionsBoundary"] = boundary
    last: dict[str, Any] = {}
    if role.last_used:
        last = {"LastUsedDate": iso(role.last_used), "Region": role.last_used_region}
    item["RoleLastUsed"] = last
    item["InstanceProfileList"] = profiles
    item["RolePolicyList"] = inline
    item["AttachedManagedPolicies"] = attached
    item["Tags"] = _tags(role.tags)
    return item


def _policy(policy: ManagedPolicy, attachments: int, boundaries: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        "PolicyName": policy.name,
        "PolicyId": policy.policy_id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": policy.default_version_id,
        "AttachmentCount": attachments,
        "PermissionsBoundaryUsageCount": boundaries,
        "IsAttachable": policy.is_attachable,
        "CreateDate": iso(policy.created),
        "UpdateDate": iso(policy.updated),
        "PolicyVersionList": [
            {
                "Document": _document(v.document),
                "VersionId": v.version_id,
                "IsDefaultVersion": v.is_default,
                "CreateDate": iso(v.created),
            }
            for v in policy.versions.all()
        ],
    }
    if policy.description:
        item["Description"] = policy.description
    return item
