"""Access keys, login profiles (console passwords) and MFA devices
(accounts/operations/credentials.py)."""

from __future__ import annotations

import io
from typing import Any

from accounts.errors import ValidationError
from accounts.operations import credentials as cred_ops
from accounts.operations.common import account_of, find_user
from accounts.principal import Principal
from api.paging import list_args, page_out
from api.shapes import (
    key_out,
    login_profile_out,
    mfa_device_out,
    tags_out,
    virtual_mfa_device_out,
)

__all__ = [
    "change_password",
    "create_access_key",
    "create_login_profile",
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
    "resync_mfa_device",
    "update_access_key",
    "update_login_profile",
]


# -- access keys ------------------------------------------------------------------------------


def create_access_key(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    new = cred_ops.create_access_key(actor=actor, user_name=p.get("UserName"))
    return {
        "AccessKey": {
            "UserName": new.user_name,
            "AccessKeyId": new.key.access_key_id,
            "Status": new.key.status,
            "SecretAccessKey": new.secret,
            "CreateDate": new.key.created,
        }
    }


def update_access_key(actor: Principal, p: dict[str, Any]) -> None:
    cred_ops.update_access_key(
        actor=actor, access_key_id=p["AccessKeyId"], status=p["Status"], user_name=p.get("UserName")
    )


def delete_access_key(actor: Principal, p: dict[str, Any]) -> None:
    cred_ops.delete_access_key(
        actor=actor, access_key_id=p["AccessKeyId"], user_name=p.get("UserName")
    )


def list_access_keys(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = cred_ops.list_access_keys(actor=actor, user_name=p.get("UserName"), **list_args(p))
    return page_out(page, "AccessKeyMetadata", key_out)


def get_access_key_last_used(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    key = cred_ops.get_access_key_last_used(actor=actor, access_key_id=p["AccessKeyId"])
    # IAM answers "N/A" for the service and region of a key never used.
    last: dict[str, Any] = {
        "ServiceName": key.last_used_service or "N/A",
        "Region": key.last_used_region or "N/A",
    }
    if key.last_used:
        last["LastUsedDate"] = key.last_used
    out: dict[str, Any] = {"AccessKeyLastUsed": last}
    if key.user is not None:
        out["UserName"] = key.user.name
    return out


# -- login profiles ---------------------------------------------------------------------------


def _login_user(actor: Principal, p: dict[str, Any]) -> str:
    """The user a login-profile action names, or the calling user itself."""
    name = p.get("UserName")
    if name:
        return name
    if actor.kind == "user":
        return actor.user_name
    raise ValidationError("Must specify userName when calling with non-User credentials")


def create_login_profile(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    name = _login_user(actor, p)
    if "Password" not in p:
        raise ValidationError("Password is required.")
    console = cred_ops.create_login_profile(
        actor=actor,
        user_name=name,
        password=p["Password"],
        password_reset_required=p.get("PasswordResetRequired", False),
    )
    return {"LoginProfile": login_profile_out(find_user(actor.account_id, name).name, console)}


def get_login_profile(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    console = cred_ops.get_login_profile(actor=actor, user_name=_login_user(actor, p))
    return {"LoginProfile": login_profile_out(console.iam_user.name, console)}


def update_login_profile(actor: Principal, p: dict[str, Any]) -> None:
    cred_ops.update_login_profile(
        actor=actor,
        user_name=p["UserName"],
        password=p.get("Password"),
        password_reset_required=p.get("PasswordResetRequired"),
    )


def delete_login_profile(actor: Principal, p: dict[str, Any]) -> None:
    cred_ops.delete_login_profile(actor=actor, user_name=_login_user(actor, p))


def change_password(actor: Principal, p: dict[str, Any]) -> None:
    cred_ops.change_password(
        actor=actor, old_password=p["OldPassword"], new_password=p["NewPassword"]
    )


# -- MFA ----------------------------------------------------------------------------------------


def _qr_png(uri: str) -> bytes:
    # Deferred: segno is only needed by CreateVirtualMFADevice (start-up cost of the API).
    import segno

    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="png", scale=4, border=2)
    return buffer.getvalue()


def create_virtual_mfa_device(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    new = cred_ops.create_virtual_mfa_device(
        actor=actor, name=p["VirtualMFADeviceName"], path=p.get("Path"), tags=p.get("Tags")
    )
    account = account_of(actor)
    # AWS's label: "Amazon Web Services:<device name>@<account alias or id>".
    label = f"Amazon Web Services:{new.device.name}@{account.alias or account.id}"
    uri = cred_ops.mfa_otpauth_uri(new.device, new.seed, label)
    out: dict[str, Any] = {
        "SerialNumber": new.device.serial_number,
        "Base32StringSeed": new.base32.encode("ascii"),
        "QRCodePNG": _qr_png(uri),
    }
    if new.device.tags:
        out["Tags"] = tags_out(new.device.tags)
    return {"VirtualMFADevice": out}


def enable_mfa_device(actor: Principal, p: dict[str, Any]) -> None:
    cred_ops.enable_mfa_device(
        actor=actor,
        user_name=p.get("UserName"),
        serial_number=p["SerialNumber"],
        code1=p["AuthenticationCode1"],
        code2=p["AuthenticationCode2"],
    )


def resync_mfa_device(actor: Principal, p: dict[str, Any]) -> None:
    cred_ops.resync_mfa_device(
        actor=actor,
        user_name=p.get("UserName"),
        serial_number=p["SerialNumber"],
        code1=p["AuthenticationCode1"],
        code2=p["AuthenticationCode2"],
    )


def deactivate_mfa_device(actor: Principal, p: dict[str, Any]) -> None:
    cred_ops.deactivate_mfa_device(
        actor=actor, user_name=p.get("UserName"), serial_number=p["SerialNumber"]
    )


def delete_virtual_mfa_device(actor: Principal, p: dict[str, Any]) -> None:
    cred_ops.delete_virtual_mfa_device(actor=actor, serial_number=p["SerialNumber"])


def list_mfa_devices(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = cred_ops.list_mfa_devices(actor=actor, user_name=p.get("UserName"), **list_args(p))
    return page_out(page, "MFADevices", mfa_device_out)


def list_virtual_mfa_devices(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = cred_ops.list_virtual_mfa_devices(
        actor=actor, assignment_status=p.get("AssignmentStatus", "Any"), **list_args(p)
    )
    return page_out(page, "VirtualMFADevices", virtual_mfa_device_out)
