"""Credentials: access keys, login profiles (console passwords), virtual MFA devices."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.utils import timezone

from accounts import throttle
from accounts.errors import (
    AccessDenied,
    DeleteConflict,
    EntityAlreadyExists,
    InvalidAuthenticationCode,
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
    PasswordPolicyViolation,
    ValidationError,
)
from accounts.ids import access_key_id, secret_access_key
from accounts.models import (
    AccessKey,
    ConsoleUser,
    IamUser,
    MfaDevice,
    PasswordHistory,
    PasswordPolicy,
)
from accounts.operations.common import (
    ACCESS_KEYS_PER_USER,
    MFA_DEVICES_PER_USER,
    acting_user,
    find_user,
    iam_arn,
    path_startswith,
    user_resource,
)
from accounts.principal import Principal
from accounts.totp import consecutive_steps
from accounts.validation import (
    check_name,
    check_path,
    check_path_prefix,
    check_tags,
    default_password_problems,
)
from audit.trail import record_event
from iamconsole.ops import Page, operation, paginate, save_unique
from policies.authorization import authorize, authorize_with_password_policy_grant

__all__ = [
    "ROOT_MFA_DEVICE_NAME",
    "NewAccessKey",
    "NewVirtualMfaDevice",
    "change_password",
    "check_password_policy",
    "password_expired",
    "password_used_recently",
    "create_access_key",
    "create_login_profile",
    "create_root_virtual_mfa_device",
    "create_virtual_mfa_device",
    "deactivate_mfa_device",
    "delete_access_key",
    "delete_login_profile",
    "delete_virtual_mfa_device",
    "enable_mfa_device",
    "get_access_key_last_used",
    "get_login_profile",
    "list_access_keys",
    "list_mfa_devices",
    "list_virtual_mfa_devices",
    "mfa_otpauth_uri",
    "resync_mfa_device",
    "update_access_key",
    "update_login_profile",
]

# -- access keys -----------------------------------------------------------------------


@dataclass(frozen=True)
class NewAccessKey:
    """CreateAccessKey's answer: the only time the secret is ever shown."""

    key: AccessKey
    secret: str
    user_name: str


@operation("CreateAccessKey")
def create_access_key(*, actor: Principal, user_name: str | None = None) -> NewAccessKey:
    """CreateAccessKey: at most two per user (root too)."""
    user = acting_user(actor, user_name, action="iam:CreateAccessKey")
    authorize(actor, "iam:CreateAccessKey", user_resource(actor, user))
    if user is not None:
        # Serialize the quota check; a DeleteUser that committed meanwhile leaves no row.
        if IamUser.objects.select_for_update().filter(pk=user.pk).first() is None:
            raise NoSuchEntity(f"The user with name {user.name} cannot be found.")
        existing = AccessKey.objects.filter(user=user)
    else:
        ConsoleUser.objects.select_for_update().filter(
            account_id=actor.account_id, is_root=True
        ).first()
        existing = AccessKey.objects.filter(account_id=actor.account_id, user__isnull=True)
    if existing.count() >= ACCESS_KEYS_PER_USER:
        raise LimitExceeded(f"Cannot exceed quota for AccessKeysPerUser: {ACCESS_KEYS_PER_USER}")
    secret = secret_access_key()
    key = AccessKey(access_key_id=access_key_id("AKIA"), account_id=actor.account_id, user=user)
    key.set_secret(secret)
    key.save(force_insert=True)
    record_event(
        actor,
        "CreateAccessKey",
        user_resource(actor, user),
        request={"UserName": user.name if user else None, "AccessKeyId": key.access_key_id},
    )
    return NewAccessKey(key=key, secret=secret, user_name=user.name if user else "root")


def _find_key(actor: Principal, user: IamUser | None, key_id: str) -> AccessKey:
    qs = AccessKey.objects.filter(account_id=actor.account_id, access_key_id=key_id)
    qs = qs.filter(user=user) if user is not None else qs.filter(user__isnull=True)
    key = qs.first()
    if key is None:
        raise NoSuchEntity(f"The Access Key with id {key_id} cannot be found.")
    return key


@operation("UpdateAccessKey")
def update_access_key(
    *, actor: Principal, access_key_id: str, status: str, user_name: str | None = None
) -> None:
    if status not in {"Active", "Inactive"}:
        raise ValidationError(
            f"1 validation error detected: Value '{status}' at 'status' failed to satisfy constraint: "
            "Member must satisfy enum value set: [Active, Inactive]"
        )
    user = acting_user(actor, user_name, action="iam:UpdateAccessKey")
    authorize(actor, "iam:UpdateAccessKey", user_resource(actor, user))
    key = _find_key(actor, user, access_key_id)
    key.status = status
    key.save(update_fields=["status"])
    record_event(
        actor,
        "UpdateAccessKey",
        user_resource(actor, user),
        request={"AccessKeyId": access_key_id, "Status": status},
    )


@operation("DeleteAccessKey")
def delete_access_key(
    *, actor: Principal, access_key_id: str, user_name: str | None = None
) -> None:
    user = acting_user(actor, user_name, action="iam:DeleteAccessKey")
    authorize(actor, "iam:DeleteAccessKey", user_resource(actor, user))
    if (
        user is None
        and AccessKey.objects.filter(
            account_id=actor.account_id, access_key_id=access_key_id, user__isnull=False
        ).exists()
    ):
        # Root without a UserName manages only its own keys; naming a user's key is
        # AWS's ValidationError (localstack's AWS recording, test_iam_users
        # "delete-access-key-without-username-error").
        raise ValidationError("Must specify userName when calling with non-User credentials")
    key = _find_key(actor, user, access_key_id)
    key.delete()
    record_event(
        actor, "DeleteAccessKey", user_resource(actor, user), request={"AccessKeyId": access_key_id}
    )


@operation("ListAccessKeys", read_only=True)
def list_access_keys(
    *,
    actor: Principal,
    user_name: str | None = None,
    marker: str | None = None,
    max_items: int | None = None,
) -> Page:
    user = acting_user(actor, user_name, action="iam:ListAccessKeys")
    authorize(actor, "iam:ListAccessKeys", user_resource(actor, user))
    qs = AccessKey.objects.filter(account_id=actor.account_id)
    qs = qs.filter(user=user) if user is not None else qs.filter(user__isnull=True)
    return paginate(qs, key="access_key_id", marker=marker, max_items=max_items)


@operation("GetAccessKeyLastUsed", read_only=True)
def get_access_key_last_used(*, actor: Principal, access_key_id: str) -> AccessKey:
    key = (
        AccessKey.objects.filter(account_id=actor.account_id, access_key_id=access_key_id)
        .select_related("user")
        .first()
    )
    if key is None:
        # AWS answers AccessDenied for keys it will not reveal (other accounts).
        raise AccessDenied(
            # AWS's wording for this action has no colon after "perform" (localstack's
            # AWS recording, test_iam_users "get-last-used-nonexistent-key-error").
            f"User: {actor.arn} is not authorized to perform iam:GetAccessKeyLastUsed on resource: access key {access_key_id}"
        )
    authorize(actor, "iam:GetAccessKeyLastUsed", key.user.arn if key.user else actor.arn)
    return key


# -- login profiles and passwords -----------------------------------------------------------


def check_password_policy(
    account_id: str, password: str, *, console: ConsoleUser | None = None
) -> None:
    """Refuse a password the account's password policy does not allow."""

    policy = PasswordPolicy.objects.filter(account_id=account_id).first()
    if policy is None:
        # No custom policy: AWS's default one (accounts.validation).
        from accounts.models import Account

        account = Account.objects.filter(pk=account_id).first()
        root_email = ConsoleUser.objects.filter(account_id=account_id, is_root=True).values_list(
            "email", flat=True
        )
        names = (account_id, (account.alias or "") if account else "", *root_email)
        problems = default_password_problems(password, names=names)
    else:
        problems = []
        minimum = policy.minimum_password_length
        if len(password) < minimum:
            problems.append(f"Password should have at least {minimum} characters")
        if len(password) > 128:
            problems.append("Password should have at most 128 characters")
    if policy:
        if policy.require_symbols and not any(not c.isalnum() for c in password):
            problems.append("Password should have at least one symbol")
        if policy.require_numbers and not any(c.isdigit() for c in password):
            problems.append("Password should have at least one number")
        if policy.require_uppercase_characters and not any(c.isupper() for c in password):
            problems.append("Password should have at least one uppercase letter")
        if policy.require_lowercase_characters and not any(c.islower() for c in password):
            problems.append("Password should have at least one lowercase letter")
        if policy.password_reuse_prevention and console is not None:
            if password_used_recently(console, password, policy.password_reuse_prevention):
                problems.append(REUSED)
    if problems:
        raise PasswordPolicyViolation(
            "Password does not conform to the account password policy.\n" + "\n".join(problems)
        )


REUSED = "Password was used recently and cannot be reused"
# AWS allows PasswordReusePrevention up to 24: older hashes are never needed.
PASSWORD_HISTORY_KEPT = 24
PASSWORD_EXPIRED_HARD = (
    "Your password has expired. The account password policy requires an administrator to reset it."
)


def password_used_recently(console: ConsoleUser, password: str, remembered: int) -> bool:
    """Is ``password`` the current one or one of the ``remembered - 1`` before it?"""
    hashes = [console.password] if console.has_usable_password() else []
    hashes += list(
        console.password_history.values_list("password", flat=True)[: max(0, remembered - 1)]
    )
    return any(check_password(password, encoded) for encoded in hashes)


def _set_password(console: ConsoleUser, password: str) -> None:
    """A new console password; the one it replaces joins the user's password history."""

    now = timezone.now()
    if console.pk and console.has_usable_password():
        PasswordHistory.objects.create(console=console, password=console.password, replaced=now)
        old = console.password_history.values_list("pk", flat=True)[PASSWORD_HISTORY_KEPT:]
        PasswordHistory.objects.filter(pk__in=list(old)).delete()
    console.password = make_password(password)
    console.password_changed = now


def password_expired(console: ConsoleUser, *, now: Any = None) -> tuple[bool, bool]:
    """(expired, hard): the password is older than MaxPasswordAge; HardExpiry is set.

    AWS: an expired password must be changed at the next sign-in; "with hard expiry,
    IAM users can't set a new password after their password expires; an administrator
    must reset it" (IAM User Guide, "Set an account password policy for IAM users").
    """
    from datetime import timedelta

    if console.is_root:
        return False, False  # the password policy is for IAM users
    policy = PasswordPolicy.objects.filter(account_id=console.account_id).first()
    changed = console.password_changed or console.login_profile_created
    if policy is None or not policy.max_password_age or changed is None:
        return False, False
    now = now or timezone.now()
    expired = now >= changed + timedelta(days=policy.max_password_age)
    return expired, expired and policy.hard_expiry


@operation("CreateLoginProfile")
def create_login_profile(
    *, actor: Principal, user_name: str, password: str, password_reset_required: bool = False
) -> ConsoleUser:
    user = find_user(actor.account_id, user_name, actor=actor, action="iam:CreateLoginProfile")
    authorize(actor, "iam:CreateLoginProfile", user.arn)
    console = ConsoleUser.objects.select_for_update().get(pk=user.console_id)
    if console.login_profile_created is not None:
        raise EntityAlreadyExists(f"Login Profile for user {user.name} already exists.")
    check_password_policy(actor.account_id, password)
    _set_password(console, password)
    console.login_profile_created = console.password_changed
    console.password_reset_required = bool(password_reset_required)
    console.save()
    record_event(
        actor,
        "CreateLoginProfile",
        user.arn,
        request={"UserName": user.name, "PasswordResetRequired": bool(password_reset_required)},
    )
    return console


@operation("GetLoginProfile", read_only=True)
def get_login_profile(*, actor: Principal, user_name: str) -> ConsoleUser:
    user = find_user(actor.account_id, user_name, actor=actor, action="iam:GetLoginProfile")
    authorize(actor, "iam:GetLoginProfile", user.arn)
    console = user.console
    if console.login_profile_created is None:
        raise NoSuchEntity(f"Login Profile for User {user.name} cannot be found.")
    return console


@operation("UpdateLoginProfile")
def update_login_profile(
    *,
    actor: Principal,
    user_name: str,
    password: str | None = None,
    password_reset_required: bool | None = None,
) -> None:
    user = find_user(actor.account_id, user_name, actor=actor, action="iam:UpdateLoginProfile")
    authorize(actor, "iam:UpdateLoginProfile", user.arn)
    console = ConsoleUser.objects.select_for_update().get(pk=user.console_id)
    if console.login_profile_created is None:
        raise NoSuchEntity(f"Login Profile for User {user.name} cannot be found.")
    if password is not None:
        check_password_policy(actor.account_id, password)
        _set_password(console, password)  # a new password also lifts a (hard) expiry
    if password_reset_required is not None:
        console.password_reset_required = password_reset_required
    console.save()
    record_event(actor, "UpdateLoginProfile", user.arn, request={"UserName": user.name})


@operation("DeleteLoginProfile")
def delete_login_profile(*, actor: Principal, user_name: str) -> None:
    user = find_user(actor.account_id, user_name, actor=actor, action="iam:DeleteLoginProfile")
    authorize(actor, "iam:DeleteLoginProfile", user.arn)
    console = ConsoleUser.objects.select_for_update().get(pk=user.console_id)
    if console.login_profile_created is None:
        raise NoSuchEntity(f"Login Profile for User {user.name} cannot be found.")
    console.set_unusable_password()
    console.login_profile_created = None
    console.password_reset_required = False
    console.sessions_valid_after = timezone.now()  # ends the user's console sessions
    console.save()
    record_event(actor, "DeleteLoginProfile", user.arn, request={"UserName": user.name})


# The old-password attempt counted before ChangePassword's transaction opened.
_PASSWORD_ATTEMPT: ContextVar[dict[str, object] | None] = ContextVar(
    "password_attempt", default=None
)


def _counts_password_attempt(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Count ChangePassword's old password against the user's sign-in throttle first.

    Without it ChangePassword was a password oracle with no limit (a wrong old
    password: AccessDenied; a right one with a bad new password:
    PasswordPolicyViolation). Counted here, outside the operation's transaction
    (whose rollback on a wrong password would undo the count), under the same
    key, waits and hourly cap as the console sign-in (``accounts.throttle``).
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        actor = kwargs.get("actor")
        if not isinstance(actor, Principal) or actor.kind != "user" or not actor.user_name:
            return fn(*args, **kwargs)
        key = throttle.user_key(actor.account_id, actor.user_name)
        attempt: dict[str, object] = {"wait": throttle.begin_attempt(key), "right": False}
        token = _PASSWORD_ATTEMPT.set(attempt)
        try:
            return fn(*args, **kwargs)
        finally:
            _PASSWORD_ATTEMPT.reset(token)
            if attempt["right"] or attempt.get("unchecked") and not attempt["wait"]:
                throttle.refund_attempt(key)  # no failure: a right password, or none checked

    return wrapper


@_counts_password_attempt  # outermost: the count must survive the rollback
@operation("ChangePassword")
def change_password(*, actor: Principal, old_password: str, new_password: str) -> None:
    """ChangePassword: an IAM user changes their own console password.

    The old password is checked first, under the sign-in throttle, and only then
    the permission: a wrong guess learns nothing more than a wrong sign-in does.
    """

    if actor.kind != "user":
        raise AccessDenied("Only IAM users can change their password with this action.")
    attempt = _PASSWORD_ATTEMPT.get() or {"wait": 0, "right": False}
    try:
        user = find_user(actor.account_id, actor.user_name)
    except NoSuchEntity:
        attempt["unchecked"] = True
        raise
    if attempt["wait"]:
        raise AccessDenied(throttle.wait_message(int(attempt["wait"])))  # type: ignore[call-overload]
    console = ConsoleUser.objects.select_for_update().get(pk=user.console_id)
    if console.login_profile_created is None or not console.check_password(old_password):
        # IAM answers a wrong old password with AccessDenied (ChangePassword errors).
        raise AccessDenied("The old password was incorrect.")
    attempt["right"] = True

    if password_expired(console)[1]:
        raise AccessDenied(PASSWORD_EXPIRED_HARD)

    # "Allow users to change their own password" (AllowUsersToChangePassword) grants
    # iam:ChangePassword on the user's own ARN at the account level: one more Allow
    # (see authorize_with_password_policy_grant), so an explicit Deny still refuses.
    authorize_with_password_policy_grant(actor, "iam:ChangePassword", user.arn)
    if old_password == new_password:
        raise PasswordPolicyViolation(
            "Password does not conform to the account password policy.\n" + REUSED
        )
    # PasswordReusePrevention: the last N passwords, not only the current one.
    check_password_policy(actor.account_id, new_password, console=console)
    _set_password(console, new_password)
    console.password_reset_required = False
    console.save()
    record_event(actor, "ChangePassword", user.arn)


# -- virtual MFA devices -----------------------------------------------------------------------

# The root user's device (AWS's name for it). Reserved: see create_root_virtual_mfa_device.
ROOT_MFA_DEVICE_NAME = "root-account-mfa-device"


@dataclass(frozen=True)
class NewVirtualMfaDevice:
    device: MfaDevice
    seed: bytes  # shown once, as Base32 and as a QR code

    @property
    def base32(self) -> str:
        import base64

        return base64.b32encode(self.seed).decode().rstrip("=")


def mfa_otpauth_uri(device: MfaDevice, seed: bytes, label: str) -> str:
    import base64
    from urllib.parse import quote

    secret = base64.b32encode(seed).decode().rstrip("=")
    return f"otpauth://totp/{quote(label)}?secret={secret}&issuer={quote('IAM Console')}"


@operation("CreateVirtualMFADevice")
def create_virtual_mfa_device(
    *,
    actor: Principal,
    name: str,
    path: str | None = None,
    tags: list[dict[str, str]] | None = None,
) -> NewVirtualMfaDevice:
    check_name(name, member="virtualMFADeviceName", max_length=226)
    path = check_path(path)
    tags = check_tags(tags or [])
    serial = iam_arn(actor.account_id, "mfa", path, name)
    authorize(actor, "iam:CreateVirtualMFADevice", serial)
    if name.lower().startswith(ROOT_MFA_DEVICE_NAME):
        # AWS keeps the root user's virtual device apart from the account's other
        # devices; here its name is reserved, so no user can squat root's enrollment.
        raise InvalidInput(f"The name {name} is reserved for the root user's MFA device.")
    return _new_virtual_device(actor, name=name, path=path, tags=tags, serial=serial)


@operation("CreateVirtualMFADevice")
def create_root_virtual_mfa_device(*, actor: Principal) -> NewVirtualMfaDevice:
    """The root user's own virtual device, created by the console's first sign-in.

    Named ``root-account-mfa-device`` as in AWS, in a name space CreateVirtualMFADevice
    refuses to everyone. Should the serial be taken anyway (data from before the name
    was reserved) a suffixed name in the same reserved space is used instead.
    """
    import secrets

    if actor.kind != "root":
        raise AccessDenied("Only the root user can enroll the root user's MFA device.")
    name = ROOT_MFA_DEVICE_NAME
    serial = iam_arn(actor.account_id, "mfa", "/", name)
    authorize(actor, "iam:CreateVirtualMFADevice", serial)
    if MfaDevice.objects.filter(serial_number=serial).exists():
        name = f"{ROOT_MFA_DEVICE_NAME}-{secrets.token_hex(4)}"
        serial = iam_arn(actor.account_id, "mfa", "/", name)
    return _new_virtual_device(actor, name=name, path="/", tags=[], serial=serial)


def _new_virtual_device(
    actor: Principal, *, name: str, path: str, tags: list[dict[str, str]], serial: str
) -> NewVirtualMfaDevice:
    if MfaDevice.objects.filter(serial_number=serial).exists():
        # AWS's text (localstack's AWS recording, test_iam_mfa).
        raise EntityAlreadyExists("MFA device already exists.")
    root_console = ConsoleUser.objects.get(account_id=actor.account_id, is_root=True)
    seed = os.urandom(20)
    device = MfaDevice(
        account_id=actor.account_id,
        user=root_console,
        name=name,
        serial_number=serial,
        path=path,
        confirmed=False,
        tags=tags,
    )
    device.set_seed(seed)

    save_unique(device, EntityAlreadyExists("MFA device already exists."))
    record_event(actor, "CreateVirtualMFADevice", serial, request={"VirtualMFADeviceName": name})
    return NewVirtualMfaDevice(device=device, seed=seed)


def _device(actor: Principal, serial: str) -> MfaDevice:
    device = MfaDevice.objects.filter(account_id=actor.account_id, serial_number=serial).first()
    if device is None:
        raise NoSuchEntity(f"VirtualMFADevice with serial number {serial} doesn't exist.")
    return device


def _root_devices_assigned(account_id: str) -> int:
    """How many MFA devices the account's root user has assigned (enabled)."""
    return MfaDevice.objects.filter(
        account_id=account_id, iam_user__isnull=True, enabled__isnull=False
    ).count()


@operation("EnableMFADevice")
def enable_mfa_device(
    *, actor: Principal, user_name: str | None, serial_number: str, code1: str, code2: str
) -> None:
    """EnableMFADevice: two consecutive codes prove the device; root when no user is named."""

    user = acting_user(actor, user_name, action="iam:EnableMFADevice")
    authorize(actor, "iam:EnableMFADevice", user_resource(actor, user))
    device = _device(actor, serial_number)
    device = MfaDevice.objects.select_for_update().get(pk=device.pk)
    if device.enabled is not None:
        raise EntityAlreadyExists("MFA Device is already in use.")
    if user is not None and user.mfa_devices.filter(confirmed=True).count() >= MFA_DEVICES_PER_USER:
        raise LimitExceeded(f"Cannot exceed quota for MFADevicesPerUser: {MFA_DEVICES_PER_USER}")
    if user is None and _root_devices_assigned(actor.account_id) >= MFA_DEVICES_PER_USER:
        # "You can register up to eight MFA devices of any combination of the currently
        # supported MFA types with your AWS account root user" (IAM User Guide, Root user
        # best practices). AWS's error text for root is not documented: the users' one.
        raise LimitExceeded(f"Cannot exceed quota for MFADevicesPerUser: {MFA_DEVICES_PER_USER}")
    step = consecutive_steps(device.seed(), code1, code2)
    if step is None:
        raise InvalidAuthenticationCode("Authentication code for device is not valid.")
    owner = (
        user.console
        if user is not None
        else ConsoleUser.objects.get(account_id=actor.account_id, is_root=True)
    )
    # One conditional UPDATE decides (SQLite ignores select_for_update): of two
    # parallel enables, or an enable racing a code use, exactly one wins.
    enabled = timezone.now()
    won = MfaDevice.objects.filter(pk=device.pk, enabled__isnull=True, last_t__lt=step).update(
        user=owner, iam_user=user, confirmed=True, enabled=enabled, last_t=step
    )
    if not won:
        if MfaDevice.objects.filter(pk=device.pk, enabled__isnull=False).exists():
            raise EntityAlreadyExists("MFA Device is already in use.")
        raise InvalidAuthenticationCode("Authentication code for device is not valid.")
    device.user, device.iam_user, device.confirmed = owner, user, True
    device.enabled, device.last_t = enabled, step
    record_event(
        actor,
        "EnableMFADevice",
        user_resource(actor, user),
        request={"SerialNumber": serial_number},
    )


@operation("ResyncMFADevice")
def resync_mfa_device(
    *, actor: Principal, user_name: str | None, serial_number: str, code1: str, code2: str
) -> None:
    user = acting_user(actor, user_name, action="iam:ResyncMFADevice")
    authorize(actor, "iam:ResyncMFADevice", user_resource(actor, user))
    device = _device(actor, serial_number)
    if device.iam_user_id != (user.pk if user else None) or device.enabled is None:
        raise NoSuchEntity(f"MFA device with serial number {serial_number} is not assigned.")
    step = consecutive_steps(device.seed(), code1, code2)
    # The step moves forward only if no one used it meanwhile (one conditional UPDATE).
    if step is None or not MfaDevice.objects.filter(pk=device.pk, last_t__lt=step).update(
        last_t=step, throttling_failure_count=0, throttling_failure_timestamp=None
    ):
        raise InvalidAuthenticationCode("Authentication code for device is not valid.")
    record_event(
        actor,
        "ResyncMFADevice",
        user_resource(actor, user),
        request={"SerialNumber": serial_number},
    )


@operation("DeactivateMFADevice")
def deactivate_mfa_device(*, actor: Principal, user_name: str | None, serial_number: str) -> None:
    user = acting_user(actor, user_name, action="iam:DeactivateMFADevice")
    authorize(actor, "iam:DeactivateMFADevice", user_resource(actor, user))
    device = _device(actor, serial_number)
    if device.enabled is None or device.iam_user_id != (user.pk if user else None):
        raise NoSuchEntity(f"MFA Device with serial number {serial_number} does not exist.")
    root_console = ConsoleUser.objects.get(account_id=actor.account_id, is_root=True)
    device.user = root_console
    device.iam_user = None
    device.confirmed = False
    device.enabled = None
    device.save(update_fields=["user", "iam_user", "confirmed", "enabled"])  # never a stale last_t
    record_event(
        actor,
        "DeactivateMFADevice",
        user_resource(actor, user),
        request={"SerialNumber": serial_number},
    )


@operation("DeleteVirtualMFADevice")
def delete_virtual_mfa_device(*, actor: Principal, serial_number: str) -> None:
    authorize(actor, "iam:DeleteVirtualMFADevice", serial_number)
    device = _device(actor, serial_number)
    if device.enabled is not None:
        raise DeleteConflict("MFA device is still in use.")
    device.delete()
    record_event(
        actor, "DeleteVirtualMFADevice", serial_number, request={"SerialNumber": serial_number}
    )


@operation("ListMFADevices", read_only=True)
def list_mfa_devices(
    *,
    actor: Principal,
    user_name: str | None = None,
    marker: str | None = None,
    max_items: int | None = None,
) -> Page:
    user = acting_user(actor, user_name, action="iam:ListMFADevices")
    authorize(actor, "iam:ListMFADevices", user_resource(actor, user))
    qs = MfaDevice.objects.filter(account_id=actor.account_id, enabled__isnull=False)
    qs = qs.filter(iam_user=user) if user is not None else qs.filter(iam_user__isnull=True)
    return paginate(qs, key="serial_number", marker=marker, max_items=max_items)


@operation("ListVirtualMFADevices", read_only=True)
def list_virtual_mfa_devices(
    *,
    actor: Principal,
    assignment_status: str = "Any",
    marker: str | None = None,
    max_items: int | None = None,
    path_prefix: str | None = None,
) -> Page:
    authorize(actor, "iam:ListVirtualMFADevices", f"arn:aws:iam::{actor.account_id}:mfa/")
    qs = MfaDevice.objects.filter(account_id=actor.account_id).select_related("iam_user")
    if assignment_status == "Assigned":
        qs = qs.filter(enabled__isnull=False)
    elif assignment_status == "Unassigned":
        qs = qs.filter(enabled__isnull=True)
    qs = path_startswith(qs, check_path_prefix(path_prefix))
    return paginate(qs, key="serial_number", marker=marker, max_items=max_items)
