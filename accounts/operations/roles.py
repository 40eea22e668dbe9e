"""IAM role operations: CreateRole, GetRole, ListRoles, UpdateRole, UpdateAssumeRolePolicy,
DeleteRole, tags, and the console's "Revoke active sessions"."""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

from accounts.errors import DeleteConflict, EntityAlreadyExists, InvalidInput, ValidationError
from accounts.ids import unique_id
from accounts.models import InstanceProfile, Role
from accounts.operations.common import (
    ROLES_PER_ACCOUNT,
    TRUST_POLICY_LIMIT,
    boundary_policy,
    change_tags,
    check_new_entity,
    find_role,
    iam_arn,
    list_in_account,
    replace_principal,
    tag_context,
)
from accounts.operations.service_linked import SERVICE_ROLE_PATH, refuse_protected
from accounts.principal import Principal
from accounts.validation import check_name, check_path, check_tags
from audit.trail import record_event
from iamconsole.ops import Page, operation, save_unique
from policies.authorization import authorize
from policies.cache import invalidate
from policies.documents import check_policy_document
from policies.models import InlinePolicy

__all__ = [
    "MAX_SESSION",
    "MIN_SESSION",
    "REVOKE_POLICY_NAME",
    "create_role",
    "delete_role",
    "get_role",
    "list_role_tags",
    "list_roles",
    "revoke_role_sessions",
    "tag_role",
    "untag_role",
    "update_assume_role_policy",
    "update_role",
    "update_role_description",
]

MIN_SESSION = 3600
MAX_SESSION = 43200


def _check_duration(value: int | None) -> int:
    if value is None:
        return MIN_SESSION
    if not MIN_SESSION <= int(value) <= MAX_SESSION:
        raise ValidationError(
            # IAM no longer quotes the value (2026 recordings).
            "1 validation error detected: Value at 'maxSessionDuration' failed to satisfy "
            f"constraint: Member must have value between {MIN_SESSION} and {MAX_SESSION}"
        )
    return int(value)


def _check_description(value: str | None) -> str:
    value = value or ""
    if len(value) > 1000:
        raise ValidationError(
            "1 validation error detected: Value at 'description' failed to satisfy constraint: "
            "Member must have length less than or equal to 1000"
        )
    return value


@operation("CreateRole")
def create_role(
    *,
    actor: Principal,
    name: str,
    trust_policy: str,
    path: str | None = None,
    description: str | None = None,
    max_session_duration: int | None = None,
    tags: list[dict[str, str]] | None = None,
    permissions_boundary: str | None = None,
) -> Role:
    check_name(name, member="roleName", max_length=64)
    path = check_path(path)
    if path.startswith(SERVICE_ROLE_PATH):
        # AWS's text (quoted in tilfin/aws-iam-policy-tool #9): that path is
        # CreateServiceLinkedRole's alone.
        raise InvalidInput(
            "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles"
        )
    description = _check_description(description)
    duration = _check_duration(max_session_duration)
    tags = check_tags(tags or [])
    trust_policy = check_policy_document(trust_policy, kind="trust", limit=TRUST_POLICY_LIMIT)
    arn = iam_arn(actor.account_id, "role", path, name)
    ctx = tag_context(tags)
    if permissions_boundary:
        ctx["iam:PermissionsBoundary"] = permissions_boundary
    authorize(actor, "iam:CreateRole", arn, context=ctx)
    if tags:
        authorize(actor, "iam:TagRole", arn, context=ctx)
    error = EntityAlreadyExists(f"Role with name {name} already exists.")
    check_new_entity(
        actor, Role, name, exists=error, quota=ROLES_PER_ACCOUNT, quota_name="RolesPerAccount"
    )
    boundary = boundary_policy(actor, permissions_boundary)
    role = Role(
        account_id=actor.account_id,
        name=name,
        path=path,
        arn=arn,
        unique_id=unique_id("AROA"),
        trust_policy=trust_policy,
        description=description,
        max_session_duration=duration,
        tags=tags,
        permissions_boundary=boundary,
    )
    save_unique(role, error)
    record_event(actor, "CreateRole", arn, request={"RoleName": name, "Path": path})
    return role


@operation("GetRole", read_only=True)
def get_role(*, actor: Principal, name: str) -> Role:
    role = find_role(actor.account_id, name, actor=actor, action="iam:GetRole")
    authorize(actor, "iam:GetRole", role.arn)
    return role


@operation("ListRoles", read_only=True)
def list_roles(
    *,
    actor: Principal,
    path_prefix: str | None = None,
    marker: str | None = None,
    max_items: int | None = None,
    name_contains: str | None = None,
    page_number: int | None = None,
) -> Page:
    return list_in_account(
        actor,
        Role,
        "role",
        path_prefix=path_prefix,
        marker=marker,
        max_items=max_items,
        name_contains=name_contains,
        page_number=page_number,
    )


@operation("UpdateRole")
def update_role(
    *,
    actor: Principal,
    name: str,
    description: str | None = None,
    max_session_duration: int | None = None,
) -> Role:
    role = find_role(actor.account_id, name, actor=actor, action="iam:UpdateRole")
    authorize(actor, "iam:UpdateRole", role.arn)
    if description is not None:
        role.description = _check_description(description)
    if max_session_duration is not None:
        role.max_session_duration = _check_duration(max_session_duration)
    role.save(update_fields=["description", "max_session_duration"])
    record_event(actor, "UpdateRole", role.arn, request={"RoleName": name})
    return role


@operation("UpdateRoleDescription")
def update_role_description(*, actor: Principal, name: str, description: str) -> Role:
    role = find_role(actor.account_id, name, actor=actor, action="iam:UpdateRoleDescription")
    authorize(actor, "iam:UpdateRoleDescription", role.arn)
    role.description = _check_description(description)
    role.save(update_fields=["description"])
    record_event(actor, "UpdateRoleDescription", role.arn, request={"RoleName": name})
    return role


@operation("UpdateAssumeRolePolicy")
def update_assume_role_policy(*, actor: Principal, name: str, document: str) -> Role:
    role = find_role(actor.account_id, name, actor=actor, action="iam:UpdateAssumeRolePolicy")
    document = check_policy_document(document, kind="trust", limit=TRUST_POLICY_LIMIT)
    authorize(actor, "iam:UpdateAssumeRolePolicy", role.arn)
    refuse_protected(role)  # a service-linked role's trust is the service's
    role.trust_policy = document
    role.save(update_fields=["trust_policy"])
    record_event(actor, "UpdateAssumeRolePolicy", role.arn, request={"RoleName": name})
    return role


@operation("DeleteRole")
def delete_role(*, actor: Principal, name: str, force: bool = False) -> None:
    """DeleteRole. AWS refuses a service-linked role (DeleteServiceLinkedRole deletes it),
    and while the role is in an instance profile or has policies attached or inline; the
    console (``force=True``) removes it from its profiles and its policies first."""
    role = find_role(actor.account_id, name, actor=actor, action="iam:DeleteRole")
    authorize(actor, "iam:DeleteRole", role.arn)
    refuse_protected(role)
    profiles = InstanceProfile.objects.filter(role=role)
    if not force:
        if profiles.exists():
            # AWS's DeleteRole text (quoted with AWS's request id in aws-k8s-tester's
            # managed node group cleanup; localstack recorded the same sentence for
            # DeleteInstanceProfile, test_iam_instance_profiles).
            raise DeleteConflict(
                "Cannot delete entity, must remove roles from instance profile first."
            )
        if role.policy_attachments.exists():
            raise DeleteConflict("Cannot delete entity, must detach all policies first.")
        if role.inline_policies.exists():
            raise DeleteConflict("Cannot delete entity, must delete policies first.")
    else:
        for profile in profiles:
            authorize(actor, "iam:RemoveRoleFromInstanceProfile", profile.arn)
        profiles.update(role=None)
        for attachment in role.policy_attachments.select_related("policy"):
            authorize(
                actor,
                "iam:DetachRolePolicy",
                role.arn,
                context={"iam:PolicyARN": attachment.policy.arn},
            )
        if role.inline_policies.exists():
            authorize(actor, "iam:DeleteRolePolicy", role.arn)
        role.policy_attachments.all().delete()
        role.inline_policies.all().delete()
    role.delete()
    # Trust policies naming the role now show its unique id: a new role of the same
    # name is not trusted (see replace_principal).
    replace_principal(role.arn, role.unique_id)
    invalidate(actor.account_id)
    record_event(actor, "DeleteRole", role.arn, request={"RoleName": name})


@operation("TagRole")
def tag_role(*, actor: Principal, name: str, tags: list[dict[str, str]]) -> None:
    role = find_role(
        actor.account_id,
        name,
        actor=actor,
        action="iam:TagRole",
        context=tag_context(check_tags(tags)),
    )
    change_tags(actor, role, event="TagRole", add=tags, request={"RoleName": name})


@operation("UntagRole")
def untag_role(*, actor: Principal, name: str, tag_keys: list[str]) -> None:
    role = find_role(
        actor.account_id,
        name,
        actor=actor,
        action="iam:UntagRole",
        context={"aws:TagKeys": list(tag_keys)},
    )
    change_tags(actor, role, event="UntagRole", remove=tag_keys, request={"RoleName": name})


@operation("ListRoleTags", read_only=True)
def list_role_tags(*, actor: Principal, name: str) -> list[dict[str, str]]:
    role = find_role(actor.account_id, name, actor=actor, action="iam:ListRoleTags")
    authorize(actor, "iam:ListRoleTags", role.arn)
    return list(role.tags)


REVOKE_POLICY_NAME = "AWSRevokeOlderSessions"


@operation("PutRolePolicy")
def revoke_role_sessions(*, actor: Principal, name: str) -> Role:
    """The console's "Revoke active sessions": as AWS does, put the inline policy
    AWSRevokeOlderSessions denying everything to sessions whose aws:TokenIssueTime
    is before now. (It is a PutRolePolicy, authorized and audited as one.)"""
    role = find_role(actor.account_id, name, actor=actor, action="iam:PutRolePolicy")
    authorize(actor, "iam:PutRolePolicy", role.arn)
    refuse_protected(role)
    # Issue times have whole-second precision: revoking "before now + 1 s" also ends
    # sessions issued earlier in this same second (fail closed).
    now = timezone.now().replace(microsecond=0) + timedelta(seconds=1)
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Action": ["*"],
                    "Resource": ["*"],
                    "Condition": {
                        "DateLessThan": {"aws:TokenIssueTime": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
                    },
                }
            ],
        }
    )
    InlinePolicy.objects.update_or_create(
        role=role, name=REVOKE_POLICY_NAME, defaults={"document": document}
    )
    role.sessions_revoked_before = now
    role.save(update_fields=["sessions_revoked_before"])
    invalidate(actor.account_id)
    record_event(
        actor,
        "PutRolePolicy",
        role.arn,
        request={"RoleName": name, "PolicyName": REVOKE_POLICY_NAME},
    )
    return role
