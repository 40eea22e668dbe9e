"""Instance profile operations: CreateInstanceProfile … ListInstanceProfileTags, and the
MFA device's own reads and tags (GetMFADevice, TagMFADevice, UntagMFADevice,
ListMFADeviceTags).

An instance profile holds at most one role ("IAM and AWS STS quotas": role per
instance profile, 1, cannot be increased). AWS's texts below come from localstack's
recordings of AWS (tests/aws/services/iam/test_iam_instance_profiles.snapshot.json,
recorded 2026-02-12) unless a comment says otherwise.

The MFA device actions live here beside the instance profile's tags (the same
tag rules) rather than in ``credentials.py``, which this change did not touch.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity
from accounts.ids import unique_id
from accounts.models import IamUser, InstanceProfile, MfaDevice, Role
from accounts.operations.common import (
    acting_user,
    authorize_missing,
    change_tags,
    find_role,
    iam_arn,
    path_startswith,
    tag_context,
    user_resource,
)
from accounts.principal import Principal
from accounts.validation import check_name, check_path, check_path_prefix, check_tags
from audit.trail import record_event
from iamconsole.ops import Page, operation, paginate, save_unique
from policies.authorization import authorize

__all__ = [
    "INSTANCE_PROFILES_PER_ACCOUNT",
    "add_role_to_instance_profile",
    "create_instance_profile",
    "delete_instance_profile",
    "find_instance_profile",
    "get_instance_profile",
    "get_mfa_device",
    "list_instance_profile_tags",
    "list_instance_profiles",
    "list_instance_profiles_for_role",
    "list_mfa_device_tags",
    "profiles_with_roles",
    "remove_role_from_instance_profile",
    "roles_profiles",
    "tag_instance_profile",
    "tag_mfa_device",
    "untag_instance_profile",
    "untag_mfa_device",
]

# "IAM object quotas": instance profiles per account, 1,000 (default).
INSTANCE_PROFILES_PER_ACCOUNT = 1000
# Roles per instance profile: 1, and AWS's own LimitExceeded text (no final period).
ROLES_PER_INSTANCE_PROFILE = 1
PROFILE_FULL = "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"
# botocore's instanceProfileNameType: [\w+=,.@-]+, 1..128.
NAME_MAX = 128


def _missing(name: str) -> NoSuchEntity:
    return NoSuchEntity(f"Instance Profile {name} cannot be found.")


def profiles_with_roles() -> QuerySet[InstanceProfile]:
    """Instance profiles with their role and the role's boundary in the same query."""
    return InstanceProfile.objects.select_related("role", "role__permissions_boundary")


def find_instance_profile(
    account_id: str,
    name: str,
    *,
    actor: Principal | None = None,
    action: str = "",
    context: dict[str, object] | None = None,
    for_update: bool = False,
) -> InstanceProfile:
    """The profile ``name`` of the account (case-insensitively, as IAM names are); when
    missing, ``actor`` is first authorized for ``action`` on the ARN the name would have
    (common.authorize_missing), then NoSuchEntity."""
    if isinstance(name, str) and len(name) > NAME_MAX:
        raise _missing(name)  # no profile has such a name (and SQLite's LIKE refuses it)
    qs = profiles_with_roles().filter(account_id=account_id, name__iexact=name)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    profile = qs.first()
    if profile is None:
        authorize_missing(
            actor, action, iam_arn(account_id, "instance-profile", "/", name), context
        )
        raise _missing(name)
    return profile


@operation("CreateInstanceProfile")
def create_instance_profile(
    *,
    actor: Principal,
    name: str,
    path: str | None = None,
    tags: list[dict[str, str]] | None = None,
) -> InstanceProfile:
    check_name(name, member="instanceProfileName", max_length=NAME_MAX)
    path = check_path(path)
    tags = check_tags(tags or [])
    arn = iam_arn(actor.account_id, "instance-profile", path, name)
    ctx = tag_context(tags)
    authorize(actor, "iam:CreateInstanceProfile", arn, context=ctx)
    if tags:
        authorize(actor, "iam:TagInstanceProfile", arn, context=ctx)
    error = EntityAlreadyExists(f"Instance Profile {name} already exists.")
    in_account = InstanceProfile.objects.filter(account_id=actor.account_id)
    if in_account.filter(name__iexact=name).exists():
        raise error
    if in_account.count() >= INSTANCE_PROFILES_PER_ACCOUNT:
        # The quota's name as GetAccountSummary and the quotas page write it; the
        # sentence is the other Create* actions' ("Cannot exceed quota for …: N.").
        raise LimitExceeded(
            f"Cannot exceed quota for InstanceProfilesPerAccount: {INSTANCE_PROFILES_PER_ACCOUNT}."
        )
    profile = InstanceProfile(
        account_id=actor.account_id,
        name=name,
        path=path,
        arn=arn,
        unique_id=unique_id("AIPA"),
        tags=tags,
    )
    save_unique(profile, error)
    record_event(
        actor, "CreateInstanceProfile", arn, request={"InstanceProfileName": name, "Path": path}
    )
    return profile


@operation("GetInstanceProfile", read_only=True)
def get_instance_profile(*, actor: Principal, name: str) -> InstanceProfile:
    profile = find_instance_profile(
        actor.account_id, name, actor=actor, action="iam:GetInstanceProfile"
    )
    authorize(actor, "iam:GetInstanceProfile", profile.arn)
    return profile


@operation("DeleteInstanceProfile")
def delete_instance_profile(*, actor: Principal, name: str) -> None:
    profile = find_instance_profile(
        actor.account_id, name, actor=actor, action="iam:DeleteInstanceProfile", for_update=True
    )
    authorize(actor, "iam:DeleteInstanceProfile", profile.arn)
    if profile.role_id is not None:
        raise DeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
    profile.delete()
    record_event(actor, "DeleteInstanceProfile", profile.arn, request={"InstanceProfileName": name})


@operation("ListInstanceProfiles", read_only=True)
def list_instance_profiles(
    *,
    actor: Principal,
    path_prefix: str | None = None,
    marker: str | None = None,
    max_items: int | None = None,
) -> Page:
    """ListInstanceProfiles: ``PathPrefix`` matched literally and case-sensitively, as
    ListRoles (authorized the same way, on ``arn:…:instance-profile/PREFIX``)."""
    prefix = check_path_prefix(path_prefix)
    authorize(
        actor,
        "iam:ListInstanceProfiles",
        f"arn:aws:iam::{actor.account_id}:instance-profile{prefix}",
    )
    qs = path_startswith(profiles_with_roles().filter(account_id=actor.account_id), prefix)
    return paginate(qs, key="name", marker=marker, max_items=max_items)


@operation("ListInstanceProfilesForRole", read_only=True)
def list_instance_profiles_for_role(
    *,
    actor: Principal,
    role_name: str,
    marker: str | None = None,
    max_items: int | None = None,
) -> Page:
    role = find_role(
        actor.account_id, role_name, actor=actor, action="iam:ListInstanceProfilesForRole"
    )
    authorize(actor, "iam:ListInstanceProfilesForRole", role.arn)
    qs = profiles_with_roles().filter(role=role)
    return paginate(qs, key="name", marker=marker, max_items=max_items)


def _pass_context(actor: Principal) -> dict[str, object]:
    """iam:PassRole's context for AddRoleToInstanceProfile. The API reference: "The caller
    of this operation must be granted the PassRole permission on the IAM role", and for
    iam:AssociatedResourceArn "The ARN value must be arn:aws:ec2:*:CallerAccountId:
    instance/*". Whether iam:PassedToService is present here is not documented: left out."""
    return {"iam:AssociatedResourceArn": f"arn:aws:ec2:*:{actor.account_id}:instance/*"}


@operation("AddRoleToInstanceProfile")
def add_role_to_instance_profile(*, actor: Principal, name: str, role_name: str) -> None:
    profile = find_instance_profile(
        actor.account_id, name, actor=actor, action="iam:AddRoleToInstanceProfile", for_update=True
    )
    authorize(actor, "iam:AddRoleToInstanceProfile", profile.arn)
    role = find_role(actor.account_id, role_name)
    authorize(actor, "iam:PassRole", role.arn, context=_pass_context(actor))
    if profile.role_id is not None:
        # A second role is AWS's recorded LimitExceeded; the same role again is assumed
        # to count the same (AWS's answer for that case is not recorded).
        raise LimitExceeded(PROFILE_FULL)
    # One conditional UPDATE decides between two racing adds (SQLite ignores FOR UPDATE).
    if not InstanceProfile.objects.filter(pk=profile.pk, role__isnull=True).update(role=role):
        raise LimitExceeded(PROFILE_FULL)
    profile.role = role
    record_event(
        actor,
        "AddRoleToInstanceProfile",
        profile.arn,
        request={"InstanceProfileName": name, "RoleName": role_name},
    )


@operation("RemoveRoleFromInstanceProfile")
def remove_role_from_instance_profile(*, actor: Principal, name: str, role_name: str) -> None:
    profile = find_instance_profile(
        actor.account_id,
        name,
        actor=actor,
        action="iam:RemoveRoleFromInstanceProfile",
        for_update=True,
    )
    authorize(actor, "iam:RemoveRoleFromInstanceProfile", profile.arn)
    role = find_role(actor.account_id, role_name)
    if profile.role_id != role.pk:
        raise NoSuchEntity(f"Role {role.name} in Instance Profile {profile.name} cannot be found.")
    InstanceProfile.objects.filter(pk=profile.pk).update(role=None)
    profile.role = None
    record_event(
        actor,
        "RemoveRoleFromInstanceProfile",
        profile.arn,
        request={"InstanceProfileName": name, "RoleName": role_name},
    )


@operation("TagInstanceProfile")
def tag_instance_profile(*, actor: Principal, name: str, tags: list[dict[str, str]]) -> None:
    profile = find_instance_profile(
        actor.account_id,
        name,
        actor=actor,
        action="iam:TagInstanceProfile",
        context=tag_context(check_tags(tags)),
    )
    change_tags(
        actor, profile, event="TagInstanceProfile", add=tags, request={"InstanceProfileName": name}
    )


@operation("UntagInstanceProfile")
def untag_instance_profile(*, actor: Principal, name: str, tag_keys: list[str]) -> None:
    profile = find_instance_profile(
        actor.account_id,
        name,
        actor=actor,
        action="iam:UntagInstanceProfile",
        context={"aws:TagKeys": list(tag_keys)},
    )
    change_tags(
        actor,
        profile,
        event="UntagInstanceProfile",
        remove=tag_keys,
        request={"InstanceProfileName": name},
    )


@operation("ListInstanceProfileTags", read_only=True)
def list_instance_profile_tags(*, actor: Principal, name: str) -> list[dict[str, str]]:
    profile = find_instance_profile(
        actor.account_id, name, actor=actor, action="iam:ListInstanceProfileTags"
    )
    authorize(actor, "iam:ListInstanceProfileTags", profile.arn)
    return list(profile.tags)


# -- MFA devices: GetMFADevice and the device's tags ------------------------------------------


def _mfa_missing(serial: str) -> NoSuchEntity:
    # DeactivateMFADevice's and DeleteVirtualMFADevice's recorded text (localstack's AWS
    # recordings, test_iam_mfa, 2026-02-17); AWS's answer for GetMFADevice and the tag
    # actions on a missing serial is not recorded, so the same sentence is used.
    return NoSuchEntity(f"MFA Device with serial number {serial} does not exist.")


def _mfa_device(actor: Principal, serial: str, *, action: str, context: Any = None) -> MfaDevice:
    """A virtual MFA device of the caller's account by serial number (its ARN); when
    missing, authorized first on that ARN (the tag actions' resource is the device)."""
    device = (
        MfaDevice.objects.filter(account_id=actor.account_id, serial_number=serial)
        .select_related("iam_user")
        .first()
    )
    if device is None:
        authorize_missing(actor, action, serial, context)
        raise _mfa_missing(serial)
    return device


@operation("GetMFADevice", read_only=True)
def get_mfa_device(
    *, actor: Principal, serial_number: str, user_name: str | None = None
) -> tuple[MfaDevice, IamUser | None]:
    """GetMFADevice: an enabled device of the named user (the caller, or root when
    root names no user), authorized on the user as AWS's catalog says (resource type
    ``user``). Returns the device and its user (None: root's)."""
    user = acting_user(actor, user_name, action="iam:GetMFADevice")
    authorize(actor, "iam:GetMFADevice", user_resource(actor, user))
    device = (
        MfaDevice.objects.filter(
            account_id=actor.account_id, serial_number=serial_number, enabled__isnull=False
        )
        .select_related("iam_user")
        .first()
    )
    if device is None or device.iam_user_id != (user.pk if user else None):
        raise _mfa_missing(serial_number)
    return device, user


def _change_mfa_tags(
    actor: Principal,
    device: MfaDevice,
    *,
    event: str,
    add: list[dict[str, str]] | None = None,
    remove: list[str] | None = None,
) -> None:
    """As common.change_tags, for a device (its ARN is its serial number)."""
    request: dict[str, Any] = {"SerialNumber": device.serial_number}
    if add is not None:
        merged = check_tags(add, device.tags)
        authorize(actor, f"iam:{event}", device.serial_number, context=tag_context(add))
        request["TagKeys"] = [t["Key"] for t in add]
    else:
        keys = list(remove or [])
        authorize(actor, f"iam:{event}", device.serial_number, context={"aws:TagKeys": keys})
        lowered = {k.lower() for k in keys}
        merged = [t for t in device.tags if t["Key"].lower() not in lowered]
        request["TagKeys"] = keys
    # An UPDATE of the one column: never a whole-row save (a stale last_t, see MfaDevice).
    MfaDevice.objects.filter(pk=device.pk).update(tags=merged)
    device.tags = merged
    record_event(actor, event, device.serial_number, request=request)


@operation("TagMFADevice")
def tag_mfa_device(*, actor: Principal, serial_number: str, tags: list[dict[str, str]]) -> None:
    ctx = tag_context(check_tags(tags))
    device = _mfa_device(actor, serial_number, action="iam:TagMFADevice", context=ctx)
    _change_mfa_tags(actor, device, event="TagMFADevice", add=tags)


@operation("UntagMFADevice")
def untag_mfa_device(*, actor: Principal, serial_number: str, tag_keys: list[str]) -> None:
    ctx = {"aws:TagKeys": list(tag_keys)}
    device = _mfa_device(actor, serial_number, action="iam:UntagMFADevice", context=ctx)
    _change_mfa_tags(actor, device, event="UntagMFADevice", remove=tag_keys)


@operation("ListMFADeviceTags", read_only=True)
def list_mfa_device_tags(*, actor: Principal, serial_number: str) -> list[dict[str, str]]:
    device = _mfa_device(actor, serial_number, action="iam:ListMFADeviceTags")
    authorize(actor, "iam:ListMFADeviceTags", device.serial_number)
    return list(device.tags)


def roles_profiles(roles: list[Role]) -> dict[int, list[InstanceProfile]]:
    """role pk -> its instance profiles (each with its role), in one query."""
    out: dict[int, list[InstanceProfile]] = {r.pk: [] for r in roles}
    for profile in profiles_with_roles().filter(role__in=roles).order_by("name"):
        out[profile.role_id].append(profile)
    return out
