"""Policy operations: managed policies and versions, attachments, inline policies,
permissions boundaries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from django.db.models import Q
from django.db.models.functions import Substr
from django.utils import timezone

from accounts.errors import (
    AccessDenied,
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
    PolicyNotAttachable,
    ValidationError,
)
from accounts.ids import unique_id
from accounts.models import Group, IamUser, Role
from accounts.operations.common import (
    CUSTOMER_POLICIES_PER_ACCOUNT,
    INLINE_LIMITS,
    MANAGED_POLICIES_PER_ENTITY,
    MANAGED_POLICY_LIMIT,
    NAME_MAX,
    VERSIONS_PER_POLICY,
    attached_in_account,
    attachment_counts,
    change_tags,
    check_new_entity,
    find_boundary_policy,
    find_group,
    find_policy,
    find_role,
    find_user,
    iam_arn,
    path_startswith,
    tag_context,
)
from accounts.operations.service_linked import refuse_protected
from accounts.principal import Principal
from accounts.validation import (
    DUPLICATE_POLICY_TAGS,
    check_name,
    check_path,
    check_path_prefix,
    check_tags,
)
from audit.trail import record_event
from iamconsole.ops import Page, operation, page_list, paginate, paginate_numbered, save_unique
from policies.authorization import authorize
from policies.cache import invalidate
from policies.documents import check_policy_document, policy_size
from policies.models import InlinePolicy, ManagedPolicy, PolicyAttachment, PolicyVersion

EntityKind = Literal["user", "group", "role"]

# find_policy / find_boundary_policy live in accounts.operations.common (below this
# module) and are re-exported for the pages that look a policy up by ARN.
__all__ = [
    "PolicyEntities",
    "attach_group_policy",
    "attach_role_policy",
    "attach_user_policy",
    "create_policy",
    "create_policy_version",
    "delete_group_policy",
    "delete_policy",
    "delete_policy_version",
    "delete_role_permissions_boundary",
    "delete_role_policy",
    "delete_user_permissions_boundary",
    "delete_user_policy",
    "detach_group_policy",
    "detach_role_policy",
    "detach_user_policy",
    "find_boundary_policy",
    "find_policy",
    "get_group_policy",
    "get_policy",
    "get_policy_version",
    "get_role_policy",
    "get_user_policy",
    "list_attached_group_policies",
    "list_attached_role_policies",
    "list_attached_user_policies",
    "list_entities_for_policy",
    "list_group_policies",
    "list_policies",
    "list_policy_tags",
    "list_policy_versions",
    "list_role_policies",
    "list_user_policies",
    "put_group_policy",
    "put_role_permissions_boundary",
    "put_role_policy",
    "put_user_permissions_boundary",
    "put_user_policy",
    "set_default_policy_version",
    "tag_policy",
    "untag_policy",
]


def _customer_policy(
    actor: Principal, arn: str, *, action: str = "", context: dict[str, object] | None = None
) -> ManagedPolicy:
    policy = find_policy(actor, arn, action=action, context=context)
    if policy.is_aws_managed:
        # AWS-managed policies are read-only: IAM answers AccessDenied for writes.
        raise AccessDenied(
            f"User: {actor.arn} is not authorized to perform this action on resource: {arn}",
            resource=arn,
        )
    return policy


# -- managed policies ------------------------------------------------------------------


def _check_policy_description(value: str | None) -> str:
    value = value or ""
    if len(value) > 1000:
        raise ValidationError(
            "1 validation error detected: Value at 'description' failed to satisfy constraint: "
            "Member must have length less than or equal to 1000"
        )
    return value


@operation("CreatePolicy")
def create_policy(
    *,
    actor: Principal,
    name: str,
    document: str,
    path: str | None = None,
    description: str | None = None,
    tags: list[dict[str, str]] | None = None,
) -> ManagedPolicy:
    check_name(name, member="policyName", max_length=128)
    path = check_path(path)
    description = _check_policy_description(description)
    tags = check_tags(tags or [], duplicate_message=DUPLICATE_POLICY_TAGS)
    document = check_policy_document(document, limit=MANAGED_POLICY_LIMIT)
    arn = iam_arn(actor.account_id, "policy", path, name)
    ctx = tag_context(tags)
    authorize(actor, "iam:CreatePolicy", arn, context=ctx)
    error = EntityAlreadyExists(
        f"A policy called {name} already exists. Duplicate names are not allowed."
    )
    check_new_entity(
        actor,
        ManagedPolicy,
        name,
        exists=error,
        quota=CUSTOMER_POLICIES_PER_ACCOUNT,
        quota_name="PoliciesPerAccount",
    )
    now = timezone.now()
    policy = ManagedPolicy(
        account_id=actor.account_id,
        name=name,
        path=path,
        arn=arn,
        policy_id=unique_id("ANPA"),
        description=description,
        created=now,
        updated=now,
        default_version_id="v1",
        next_version=2,
        tags=tags,
    )
    save_unique(policy, error)
    PolicyVersion.objects.create(
        policy=policy, version_id="v1", document=document, is_default=True, created=now
    )
    record_event(actor, "CreatePolicy", arn, request={"PolicyName": name, "Path": path})
    return policy


@operation("GetPolicy", read_only=True)
def get_policy(*, actor: Principal, arn: str) -> ManagedPolicy:
    policy = find_policy(actor, arn, action="iam:GetPolicy")
    authorize(actor, "iam:GetPolicy", arn)
    return policy


@operation("ListPolicies", read_only=True)
def list_policies(
    *,
    actor: Principal,
    scope: str = "All",
    only_attached: bool = False,
    only_unattached: bool = False,
    path_prefix: str | None = None,
    policy_usage_filter: str | None = None,
    marker: str | None = None,
    max_items: int | None = None,
    name_contains: str | None = None,
    page_number: int | None = None,
    exclude_path_prefix: str | None = None,
) -> Page:
    """ListPolicies with Scope (All | AWS | Local), OnlyAttached, PathPrefix;
    ``page_number``: the console's numbered pages (see ``list_in_account``);
    ``exclude_path_prefix`` (no IAM parameter): leave out the policies under that path
    (the console's "AWS managed" type, without the job-function policies).

    AttachmentCount counts attachments within the caller's account only.
    """
    if scope not in {"All", "AWS", "Local"}:
        raise ValidationError(
            # IAM quotes neither the value nor the set (AWS recordings, see api/protocol.py).
            "1 validation error detected: Value at 'scope' failed to satisfy constraint: "
            "Member must satisfy enum value set"
        )
    prefix = check_path_prefix(path_prefix)
    authorize(actor, "iam:ListPolicies", f"arn:aws:iam::{actor.account_id}:policy{prefix}")
    qs = ManagedPolicy.objects.all()
    if scope == "AWS":
        qs = qs.filter(account__isnull=True)
    elif scope == "Local":
        qs = qs.filter(account_id=actor.account_id)
    else:
        qs = qs.filter(Q(account__isnull=True) | Q(account_id=actor.account_id))
    qs = path_startswith(qs, prefix)
    if exclude_path_prefix:
        head = Substr("path", 1, len(exclude_path_prefix))  # literal and case-sensitive
        qs = qs.annotate(_skip_head=head).exclude(_skip_head=exclude_path_prefix)
    # Attachments are read from the account's own entities (never every account's
    # attachments of an AWS-managed policy), and counted for the page's policies only,
    # after paging: no count over every policy before the page is cut.
    if policy_usage_filter == "PermissionsBoundary":
        used = set(
            IamUser.objects.filter(
                account_id=actor.account_id, permissions_boundary__isnull=False
            ).values_list("permissions_boundary_id", flat=True)
        ) | set(
            Role.objects.filter(
                account_id=actor.account_id, permissions_boundary__isnull=False
            ).values_list("permissions_boundary_id", flat=True)
        )
        qs = qs.filter(pk__in=used)
    if only_attached:
        qs = qs.filter(attached_in_account(actor.account_id))
    elif only_unattached:  # the console's "Not attached" filter (not an IAM API option)
        qs = qs.exclude(attached_in_account(actor.account_id))
    if name_contains and len(name_contains) > NAME_MAX["policy"]:
        qs = qs.none()  # no name is that long (and SQLite's LIKE refuses 50,000 bytes)
    elif name_contains:
        qs = qs.filter(name__icontains=name_contains)
    if page_number is not None:
        page = paginate_numbered(qs, key="arn", number=page_number, max_items=max_items)
    else:
        page = paginate(qs, key="arn", marker=marker, max_items=max_items)
    counts = attachment_counts(actor.account_id, [p.pk for p in page.items])
    for policy in page.items:
        policy.attachment_count = counts.get(policy.pk, 0)
    return page


@operation("DeletePolicy")
def delete_policy(*, actor: Principal, arn: str) -> None:
    """DeletePolicy: refused while attached or while non-default versions exist."""
    policy = _customer_policy(actor, arn, action="iam:DeletePolicy")
    authorize(actor, "iam:DeletePolicy", arn)
    if policy.attachments.exists():
        raise DeleteConflict("Cannot delete a policy attached to entities.")
    if policy.versions.filter(is_default=False).exists():
        raise DeleteConflict(
            "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy."
        )
    if (
        IamUser.objects.filter(permissions_boundary=policy).exists()
        or Role.objects.filter(permissions_boundary=policy).exists()
    ):
        raise DeleteConflict("Cannot delete a policy used as a permissions boundary.")
    policy.versions.all().delete()
    policy.delete()
    record_event(actor, "DeletePolicy", arn, request={"PolicyArn": arn})


@operation("CreatePolicyVersion")
def create_policy_version(
    *, actor: Principal, arn: str, document: str, set_as_default: bool = False
) -> PolicyVersion:
    policy = _customer_policy(actor, arn, action="iam:CreatePolicyVersion")
    document = check_policy_document(document, limit=MANAGED_POLICY_LIMIT)
    authorize(actor, "iam:CreatePolicyVersion", arn)
    policy = ManagedPolicy.objects.select_for_update().get(pk=policy.pk)
    if policy.versions.count() >= VERSIONS_PER_POLICY:
        raise LimitExceeded(
            f"A managed policy can have up to {VERSIONS_PER_POLICY} versions. Before you create a new version, "
            "you must delete an existing version."
        )
    now = timezone.now()
    version_id = f"v{policy.next_version}"
    policy.next_version += 1
    if set_as_default:
        policy.versions.update(is_default=False)
        policy.default_version_id = version_id
    policy.updated = now
    policy.save(update_fields=["next_version", "default_version_id", "updated"])
    version = PolicyVersion.objects.create(
        policy=policy,
        version_id=version_id,
        document=document,
        is_default=set_as_default,
        created=now,
    )
    if set_as_default:
        invalidate(actor.account_id)
    record_event(
        actor,
        "CreatePolicyVersion",
        arn,
        request={"PolicyArn": arn, "SetAsDefault": set_as_default},
    )
    return version


@operation("GetPolicyVersion", read_only=True)
def get_policy_version(*, actor: Principal, arn: str, version_id: str) -> PolicyVersion:
    policy = find_policy(actor, arn, action="iam:GetPolicyVersion")
    authorize(actor, "iam:GetPolicyVersion", arn)
    version = policy.versions.filter(version_id=version_id).first()
    if version is None:
        raise NoSuchEntity(
            f"Policy {arn} version {version_id} does not exist or is not attachable."
        )
    return version


@operation("ListPolicyVersions", read_only=True)
def list_policy_versions(
    *, actor: Principal, arn: str, marker: str | None = None, max_items: int | None = None
) -> Page:
    """ListPolicyVersions, newest first as AWS lists them (localstack's AWS recordings)."""
    policy = find_policy(actor, arn, action="iam:ListPolicyVersions")
    authorize(actor, "iam:ListPolicyVersions", arn)
    versions = sorted(policy.versions.all(), key=_version_number, reverse=True)
    return page_list(versions, marker=marker, max_items=max_items)


def _version_number(version: PolicyVersion) -> int:
    digits = version.version_id[1:].split(".", 1)[0]
    return int(digits) if digits.isascii() and digits.isdigit() else 0


@operation("DeletePolicyVersion")
def delete_policy_version(*, actor: Principal, arn: str, version_id: str) -> None:
    policy = _customer_policy(actor, arn, action="iam:DeletePolicyVersion")
    authorize(actor, "iam:DeletePolicyVersion", arn)
    version = policy.versions.filter(version_id=version_id).first()
    if version is None:
        raise NoSuchEntity(
            f"Policy {arn} version {version_id} does not exist or is not attachable."
        )
    if version.is_default:
        raise DeleteConflict("Cannot delete the default version of a policy.")
    version.delete()
    record_event(
        actor, "DeletePolicyVersion", arn, request={"PolicyArn": arn, "VersionId": version_id}
    )


@operation("SetDefaultPolicyVersion")
def set_default_policy_version(*, actor: Principal, arn: str, version_id: str) -> None:
    policy = _customer_policy(actor, arn, action="iam:SetDefaultPolicyVersion")
    authorize(actor, "iam:SetDefaultPolicyVersion", arn)
    policy = ManagedPolicy.objects.select_for_update().get(pk=policy.pk)
    version = policy.versions.filter(version_id=version_id).first()
    if version is None:
        raise NoSuchEntity(
            f"Policy {arn} version {version_id} does not exist or is not attachable."
        )
    policy.versions.exclude(pk=version.pk).update(is_default=False)
    PolicyVersion.objects.filter(pk=version.pk).update(is_default=True)
    policy.default_version_id = version_id
    policy.updated = timezone.now()
    policy.save(update_fields=["default_version_id", "updated"])
    invalidate(actor.account_id)
    record_event(
        actor, "SetDefaultPolicyVersion", arn, request={"PolicyArn": arn, "VersionId": version_id}
    )


def _taggable_policy(
    actor: Principal, arn: str, *, action: str = "", context: dict[str, object] | None = None
) -> ManagedPolicy:
    """Tag/UntagPolicy answer a missing policy "Policy ARN was not found." (localstack's
    AWS recordings, test_iam_policies), not the attach-style text."""
    try:
        return _customer_policy(actor, arn, action=action, context=context)
    except NoSuchEntity as exc:
        raise NoSuchEntity(f"Policy {arn} was not found.") from exc


@operation("TagPolicy")
def tag_policy(*, actor: Principal, arn: str, tags: list[dict[str, str]]) -> None:
    context = tag_context(check_tags(tags, duplicate_message=DUPLICATE_POLICY_TAGS))
    policy = _taggable_policy(actor, arn, action="iam:TagPolicy", context=context)
    change_tags(actor, policy, event="TagPolicy", add=tags, request={"PolicyArn": arn})


@operation("UntagPolicy")
def untag_policy(*, actor: Principal, arn: str, tag_keys: list[str]) -> None:
    context = {"aws:TagKeys": list(tag_keys)}
    policy = _taggable_policy(actor, arn, action="iam:UntagPolicy", context=context)
    change_tags(actor, policy, event="UntagPolicy", remove=tag_keys, request={"PolicyArn": arn})


@operation("ListPolicyTags", read_only=True)
def list_policy_tags(*, actor: Principal, arn: str) -> list[dict[str, str]]:
    policy = find_policy(actor, arn, action="iam:ListPolicyTags")
    authorize(actor, "iam:ListPolicyTags", arn)
    return list(policy.tags)


# -- attachments --------------------------------------------------------------------------


def _entity(
    actor: Principal,
    kind: EntityKind,
    name: str,
    *,
    action: str = "",
    context: dict[str, object] | None = None,
) -> IamUser | Group | Role:
    """The user, group or role; when missing, authorized for ``action`` first (AWS
    authorizes before it looks up: AccessDenied, not NoSuchEntity, for a caller without it)."""
    found = {"user": find_user, "group": find_group, "role": find_role}[kind]
    return found(actor.account_id, name, actor=actor, action=action, context=context)


_ACTION_NOUN = {"user": "User", "group": "Group", "role": "Role"}


def _boundary_context(
    entity: IamUser | Group | Role, context: dict[str, object] | None = None
) -> dict[str, object]:
    """``context`` plus iam:PermissionsBoundary, the ARN of the boundary the target user
    or role carries (absent when it has none, so ``Null`` and ``…IfExists`` work).

    The Service Authorization Reference lists the key for AttachUserPolicy,
    AttachRolePolicy, DetachUserPolicy, DetachRolePolicy, PutUserPolicy, PutRolePolicy,
    DeleteUserPolicy and DeleteRolePolicy (and Create*/Put*/Delete*PermissionsBoundary,
    which set it from the request): "Actions, resources, and condition keys for AWS
    Identity and Access Management (IAM)". Groups have no boundary."""
    ctx = dict(context or {})
    boundary = getattr(entity, "permissions_boundary", None)
    if boundary is not None:
        ctx["iam:PermissionsBoundary"] = boundary.arn
    return ctx


def _policy_after_check(actor: Principal, arn: str, check: Callable[[], None]) -> ManagedPolicy:
    """``find_policy``, but a missing policy is reported only after ``check`` (the
    action's authorization on the user, group or role) passed: a caller without the
    action gets AccessDenied whether or not the policy exists (issue 10). Malformed ARNs
    still fail validation first."""
    try:
        return find_policy(actor, arn)
    except NoSuchEntity:
        check()
        raise


def _refuse_protected(entity: object) -> None:
    """A service-linked role's policies and boundary are the service's alone
    (UnmodifiableEntity, accounts/operations/service_linked.py)."""
    if isinstance(entity, Role):
        refuse_protected(entity)


def _attach(actor: Principal, kind: EntityKind, name: str, arn: str) -> None:
    action = f"iam:Attach{_ACTION_NOUN[kind]}Policy"
    entity = _entity(actor, kind, name, action=action, context={"iam:PolicyARN": arn})
    ctx = _boundary_context(entity, {"iam:PolicyARN": arn})
    policy = _policy_after_check(
        actor, arn, lambda: authorize(actor, action, entity.arn, context=ctx)
    )
    authorize(actor, action, entity.arn, context=ctx)
    _refuse_protected(entity)
    if not policy.is_attachable:
        raise PolicyNotAttachable(f"Policy {arn} is not attachable.")
    # Lock the entity row so racing attachments cannot exceed the quota.
    type(entity).objects.select_for_update().filter(pk=entity.pk).first()
    existing = PolicyAttachment.objects.filter(**{kind: entity})
    if existing.filter(policy=policy).exists():
        return  # attaching twice changes nothing, as in IAM
    if existing.count() >= MANAGED_POLICIES_PER_ENTITY:
        raise LimitExceeded(
            f"Cannot exceed quota for PoliciesPer{_ACTION_NOUN[kind]}: {MANAGED_POLICIES_PER_ENTITY}"
        )
    save_unique(
        PolicyAttachment(policy=policy, account_id=entity.account_id, **{kind: entity}),
        LimitExceeded("Concurrent attachment."),
    )
    invalidate(actor.account_id)
    record_event(
        actor,
        f"Attach{_ACTION_NOUN[kind]}Policy",
        entity.arn,
        request={f"{_ACTION_NOUN[kind]}Name": name, "PolicyArn": arn},
    )


def _detach(actor: Principal, kind: EntityKind, name: str, arn: str) -> None:
    action = f"iam:Detach{_ACTION_NOUN[kind]}Policy"
    entity = _entity(actor, kind, name, action=action, context={"iam:PolicyARN": arn})
    ctx = _boundary_context(entity, {"iam:PolicyARN": arn})
    policy = _policy_after_check(
        actor, arn, lambda: authorize(actor, action, entity.arn, context=ctx)
    )
    authorize(actor, action, entity.arn, context=ctx)
    _refuse_protected(entity)
    deleted, _ = PolicyAttachment.objects.filter(policy=policy, **{kind: entity}).delete()
    if not deleted:
        raise NoSuchEntity(f"Policy {arn} was not found.")
    invalidate(actor.account_id)
    record_event(
        actor,
        f"Detach{_ACTION_NOUN[kind]}Policy",
        entity.arn,
        request={f"{_ACTION_NOUN[kind]}Name": name, "PolicyArn": arn},
    )


@operation("AttachUserPolicy")
def attach_user_policy(*, actor: Principal, user_name: str, policy_arn: str) -> None:
    _attach(actor, "user", user_name, policy_arn)


@operation("AttachGroupPolicy")
def attach_group_policy(*, actor: Principal, group_name: str, policy_arn: str) -> None:
    _attach(actor, "group", group_name, policy_arn)


@operation("AttachRolePolicy")
def attach_role_policy(*, actor: Principal, role_name: str, policy_arn: str) -> None:
    _attach(actor, "role", role_name, policy_arn)


@operation("DetachUserPolicy")
def detach_user_policy(*, actor: Principal, user_name: str, policy_arn: str) -> None:
    _detach(actor, "user", user_name, policy_arn)


@operation("DetachGroupPolicy")
def detach_group_policy(*, actor: Principal, group_name: str, policy_arn: str) -> None:
    _detach(actor, "group", group_name, policy_arn)


@operation("DetachRolePolicy")
def detach_role_policy(*, actor: Principal, role_name: str, policy_arn: str) -> None:
    _detach(actor, "role", role_name, policy_arn)


def _list_attached(
    actor: Principal,
    kind: EntityKind,
    name: str,
    path_prefix: str | None,
    marker: str | None,
    max_items: int | None,
) -> Page:
    action = f"iam:ListAttached{_ACTION_NOUN[kind]}Policies"
    entity = _entity(actor, kind, name, action=action)
    prefix = check_path_prefix(path_prefix)
    authorize(actor, action, entity.arn)
    qs = path_startswith(
        ManagedPolicy.objects.filter(
            attachments__in=PolicyAttachment.objects.filter(**{kind: entity})
        ),
        prefix,
    )
    return paginate(qs, key="arn", marker=marker, max_items=max_items)


@operation("ListAttachedUserPolicies", read_only=True)
def list_attached_user_policies(
    *,
    actor: Principal,
    user_name: str,
    path_prefix: str | None = None,
    marker: str | None = None,
    max_items: int | None = None,
) -> Page:
    return _list_attached(actor, "user", user_name, path_prefix, marker, max_items)


@operation("ListAttachedGroupPolicies", read_only=True)
def list_attached_group_policies(
    *,
    actor: Principal,
    group_name: str,
    path_prefix: str | None = None,
    marker: str | None = None,
    max_items: int | None = None,
) -> Page:
    return _list_attached(actor, "group", group_name, path_prefix, marker, max_items)


@operation("ListAttachedRolePolicies", read_only=True)
def list_attached_role_policies(
    *,
    actor: Principal,
    role_name: str,
    path_prefix: str | None = None,
    marker: str | None = None,
    max_items: int | None = None,
) -> Page:
    return _list_attached(actor, "role", role_name, path_prefix, marker, max_items)


@dataclass(frozen=True)
class PolicyEntities:
    users: list[IamUser]
    groups: list[Group]
    roles: list[Role]
    is_truncated: bool = False


@operation("ListEntitiesForPolicy", read_only=True)
def list_entities_for_policy(
    *,
    actor: Principal,
    arn: str,
    entity_filter: str | None = None,
    path_prefix: str | None = None,
    usage: str | None = None,
) -> PolicyEntities:
    policy = find_policy(actor, arn, action="iam:ListEntitiesForPolicy")
    authorize(actor, "iam:ListEntitiesForPolicy", arn)
    prefix = check_path_prefix(path_prefix)
    if usage == "PermissionsBoundary":
        users = list(
            path_startswith(
                IamUser.objects.filter(account_id=actor.account_id, permissions_boundary=policy),
                prefix,
            )
        )
        roles = list(
            path_startswith(
                Role.objects.filter(account_id=actor.account_id, permissions_boundary=policy),
                prefix,
            )
        )
        return PolicyEntities(
            users=users if entity_filter in (None, "User") else [],
            groups=[],
            roles=roles if entity_filter in (None, "Role") else [],
        )
    attached = PolicyAttachment.objects.filter(policy=policy, account_id=actor.account_id)
    users = list(
        path_startswith(
            IamUser.objects.filter(account_id=actor.account_id, policy_attachments__in=attached),
            prefix,
        )
    )
    groups = list(
        path_startswith(
            Group.objects.filter(account_id=actor.account_id, policy_attachments__in=attached),
            prefix,
        )
    )
    roles = list(
        path_startswith(
            Role.objects.filter(account_id=actor.account_id, policy_attachments__in=attached),
            prefix,
        )
    )
    return PolicyEntities(
        users=users if entity_filter in (None, "User") else [],
        groups=groups if entity_filter in (None, "Group") else [],
        roles=roles if entity_filter in (None, "Role") else [],
    )


# -- inline policies ---------------------------------------------------------------------


def _put_inline(
    actor: Principal, kind: EntityKind, name: str, policy_name: str, document: str
) -> None:
    action = f"iam:Put{_ACTION_NOUN[kind]}Policy"
    entity = _entity(actor, kind, name, action=action)
    check_name(policy_name, member="policyName", max_length=128)
    document = check_policy_document(document)
    authorize(actor, action, entity.arn, context=_boundary_context(entity))
    _refuse_protected(entity)
    type(entity).objects.select_for_update().filter(pk=entity.pk).first()
    others = InlinePolicy.objects.filter(**{kind: entity}).exclude(name=policy_name)
    total = policy_size(document) + sum(policy_size(p.document) for p in others)
    limit = INLINE_LIMITS[kind]
    if total > limit:
        raise LimitExceeded(
            f"Maximum policy size of {limit} bytes exceeded for {kind} {entity.name}"
        )
    InlinePolicy.objects.update_or_create(
        **{kind: entity}, name=policy_name, defaults={"document": document}
    )
    invalidate(actor.account_id)
    record_event(
        actor,
        f"Put{_ACTION_NOUN[kind]}Policy",
        entity.arn,
        request={f"{_ACTION_NOUN[kind]}Name": name, "PolicyName": policy_name},
    )


def _get_inline(actor: Principal, kind: EntityKind, name: str, policy_name: str) -> InlinePolicy:
    entity = _entity(actor, kind, name, action=f"iam:Get{_ACTION_NOUN[kind]}Policy")
    authorize(actor, f"iam:Get{_ACTION_NOUN[kind]}Policy", entity.arn)
    policy = InlinePolicy.objects.filter(**{kind: entity}, name=policy_name).first()
    if policy is None:
        raise NoSuchEntity(f"The {kind} policy with name {policy_name} cannot be found.")
    return policy


def _delete_inline(actor: Principal, kind: EntityKind, name: str, policy_name: str) -> None:
    entity = _entity(actor, kind, name, action=f"iam:Delete{_ACTION_NOUN[kind]}Policy")
    authorize(
        actor,
        f"iam:Delete{_ACTION_NOUN[kind]}Policy",
        entity.arn,
        context=_boundary_context(entity),
    )
    _refuse_protected(entity)
    deleted, _ = InlinePolicy.objects.filter(**{kind: entity}, name=policy_name).delete()
    if not deleted:
        raise NoSuchEntity(f"The {kind} policy with name {policy_name} cannot be found.")
    invalidate(actor.account_id)
    record_event(
        actor,
        f"Delete{_ACTION_NOUN[kind]}Policy",
        entity.arn,
        request={f"{_ACTION_NOUN[kind]}Name": name, "PolicyName": policy_name},
    )


def _list_inline(
    actor: Principal, kind: EntityKind, name: str, marker: str | None, max_items: int | None
) -> Page:
    entity = _entity(actor, kind, name, action=f"iam:List{_ACTION_NOUN[kind]}Policies")
    authorize(actor, f"iam:List{_ACTION_NOUN[kind]}Policies", entity.arn)
    return paginate(
        InlinePolicy.objects.filter(**{kind: entity}),
        key="name",
        marker=marker,
        max_items=max_items,
    )


@operation("PutUserPolicy")
def put_user_policy(*, actor: Principal, user_name: str, policy_name: str, document: str) -> None:
    _put_inline(actor, "user", user_name, policy_name, document)


@operation("PutGroupPolicy")
def put_group_policy(*, actor: Principal, group_name: str, policy_name: str, document: str) -> None:
    _put_inline(actor, "group", group_name, policy_name, document)


@operation("PutRolePolicy")
def put_role_policy(*, actor: Principal, role_name: str, policy_name: str, document: str) -> None:
    _put_inline(actor, "role", role_name, policy_name, document)


@operation("GetUserPolicy", read_only=True)
def get_user_policy(*, actor: Principal, user_name: str, policy_name: str) -> InlinePolicy:
    return _get_inline(actor, "user", user_name, policy_name)


@operation("GetGroupPolicy", read_only=True)
def get_group_policy(*, actor: Principal, group_name: str, policy_name: str) -> InlinePolicy:
    return _get_inline(actor, "group", group_name, policy_name)


@operation("GetRolePolicy", read_only=True)
def get_role_policy(*, actor: Principal, role_name: str, policy_name: str) -> InlinePolicy:
    return _get_inline(actor, "role", role_name, policy_name)


@operation("DeleteUserPolicy")
def delete_user_policy(*, actor: Principal, user_name: str, policy_name: str) -> None:
    _delete_inline(actor, "user", user_name, policy_name)


@operation("DeleteGroupPolicy")
def delete_group_policy(*, actor: Principal, group_name: str, policy_name: str) -> None:
    _delete_inline(actor, "group", group_name, policy_name)


@operation("DeleteRolePolicy")
def delete_role_policy(*, actor: Principal, role_name: str, policy_name: str) -> None:
    _delete_inline(actor, "role", role_name, policy_name)


@operation("ListUserPolicies", read_only=True)
def list_user_policies(
    *, actor: Principal, user_name: str, marker: str | None = None, max_items: int | None = None
) -> Page:
    return _list_inline(actor, "user", user_name, marker, max_items)


@operation("ListGroupPolicies", read_only=True)
def list_group_policies(
    *, actor: Principal, group_name: str, marker: str | None = None, max_items: int | None = None
) -> Page:
    return _list_inline(actor, "group", group_name, marker, max_items)


@operation("ListRolePolicies", read_only=True)
def list_role_policies(
    *, actor: Principal, role_name: str, marker: str | None = None, max_items: int | None = None
) -> Page:
    return _list_inline(actor, "role", role_name, marker, max_items)


# -- permissions boundaries -----------------------------------------------------------------


def _put_boundary(actor: Principal, kind: Literal["user", "role"], name: str, arn: str) -> None:
    action = f"iam:Put{_ACTION_NOUN[kind]}PermissionsBoundary"
    ctx: dict[str, object] = {"iam:PermissionsBoundary": arn}
    entity = _entity(actor, kind, name, action=action, context=ctx)
    try:
        policy = find_boundary_policy(actor, arn)
    except NoSuchEntity:
        authorize(actor, action, entity.arn, context=ctx)  # AccessDenied before NoSuchEntity
        raise
    authorize(actor, action, entity.arn, context=ctx)
    _refuse_protected(entity)
    entity.permissions_boundary = policy
    entity.save(update_fields=["permissions_boundary"])
    invalidate(actor.account_id)
    record_event(
        actor,
        f"Put{_ACTION_NOUN[kind]}PermissionsBoundary",
        entity.arn,
        request={f"{_ACTION_NOUN[kind]}Name": name, "PermissionsBoundary": arn},
    )


def _delete_boundary(actor: Principal, kind: Literal["user", "role"], name: str) -> None:
    entity = _entity(actor, kind, name, action=f"iam:Delete{_ACTION_NOUN[kind]}PermissionsBoundary")
    current = entity.permissions_boundary.arn if entity.permissions_boundary else None
    authorize(
        actor,
        f"iam:Delete{_ACTION_NOUN[kind]}PermissionsBoundary",
        entity.arn,
        context={"iam:PermissionsBoundary": current},
    )
    _refuse_protected(entity)
    if current is None:
        raise NoSuchEntity(
            f"The {kind} with name {entity.name} does not have a permissions boundary."
        )
    entity.permissions_boundary = None
    entity.save(update_fields=["permissions_boundary"])
    invalidate(actor.account_id)
    record_event(
        actor,
        f"Delete{_ACTION_NOUN[kind]}PermissionsBoundary",
        entity.arn,
        request={f"{_ACTION_NOUN[kind]}Name": name},
    )


@operation("PutUserPermissionsBoundary")
def put_user_permissions_boundary(*, actor: Principal, user_name: str, policy_arn: str) -> None:
    _put_boundary(actor, "user", user_name, policy_arn)


@operation("PutRolePermissionsBoundary")
def put_role_permissions_boundary(*, actor: Principal, role_name: str, policy_arn: str) -> None:
    _put_boundary(actor, "role", role_name, policy_arn)


@operation("DeleteUserPermissionsBoundary")
def delete_user_permissions_boundary(*, actor: Principal, user_name: str) -> None:
    _delete_boundary(actor, "user", user_name)


@operation("DeleteRolePermissionsBoundary")
def delete_role_permissions_boundary(*, actor: Principal, role_name: str) -> None:
    _delete_boundary(actor, "role", role_name)
