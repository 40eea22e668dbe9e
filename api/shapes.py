"""Model objects -> the output shapes of botocore's ``iam`` model.

Pure translation: no database query happens here (counts and related rows come
in with the objects or as arguments). Policy documents go out URL-encoded, as IAM
returns them (botocore and the AWS CLI decode them).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from accounts.models import (
    AccessKey,
    ConsoleUser,
    Group,
    IamUser,
    MfaDevice,
    PasswordPolicy,
    Role,
)
from accounts.operations.sts import NewCredentials
from policies.models import InlinePolicy, ManagedPolicy, PolicyVersion

__all__ = [
    "attached_out",
    "boundary_out",
    "credentials_out",
    "encode_document",
    "get_mfa_device_out",
    "group_out",
    "inline_policy_out",
    "instance_profile_out",
    "key_out",
    "login_profile_out",
    "mfa_device_out",
    "oidc_provider_out",
    "password_policy_out",
    "policy_out",
    "role_out",
    "saml_provider_item_out",
    "saml_provider_out",
    "server_certificate_metadata_out",
    "server_certificate_out",
    "service_credential_metadata_out",
    "service_credential_out",
    "signing_certificate_out",
    "ssh_public_key_metadata_out",
    "ssh_public_key_out",
    "tag_out",
    "tags_out",
    "user_out",
    "version_out",
    "virtual_mfa_device_out",
]


def encode_document(document: str) -> str:
    """IAM returns policy documents URL-encoded (RFC 3986)."""
    return quote(document, safe="")


def tag_out(tag: dict[str, str]) -> dict[str, str]:
    return {"Key": tag["Key"], "Value": tag["Value"]}


def tags_out(tags: list[dict[str, str]]) -> list[dict[str, str]]:
    return [tag_out(t) for t in tags]


def boundary_out(obj: IamUser | Role) -> dict[str, str] | None:
    if not obj.permissions_boundary_id:
        return None
    return {
        "PermissionsBoundaryType": "Policy",  # AWS's value (localstack's AWS recordings)
        "PermissionsBoundaryArn": obj.permissions_boundary.arn,
    }


def user_out(user: IamUser, *, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Path": user.path,
        "UserName": user.name,
        "UserId": user.unique_id,
        "Arn": user.arn,
        "CreateDate": user.created,
    }
    if user.password_last_used:
        out["PasswordLastUsed"] = user.password_last_used
    if full:
        boundary = boundary_out(user)
        if boundary:
            out["PermissionsBoundary"] = boundary
        if user.tags:
            out["Tags"] = tags_out(user.tags)
    return out


def group_out(group: Group) -> dict[str, Any]:
    return {
        "Path": group.path,
        "GroupName": group.name,
        "GroupId": group.unique_id,
        "Arn": group.arn,
        "CreateDate": group.created,
    }


def role_out(role: Role, *, full: bool = False, last_used: bool = True) -> dict[str, Any]:
    """A Role; ``full`` adds boundary, tags and (unless ``last_used`` is off, as in
    CreateRole's answer) MaxSessionDuration and RoleLastUsed.

    CreateRole's (and UpdateRoleDescription's) answer has Path, RoleName, RoleId, Arn,
    CreateDate and the trust policy, plus Description, Tags and PermissionsBoundary
    when there are; GetRole adds MaxSessionDuration and RoleLastUsed, ListRoles
    MaxSessionDuration (localstack's AWS recordings, test_iam_roles
    "create-role-response", "update-role-description-response", "list-roles-result")."""
    out: dict[str, Any] = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.unique_id,
        "Arn": role.arn,
        "CreateDate": role.created,
        "AssumeRolePolicyDocument": encode_document(role.trust_policy),
    }
    if last_used:
        out["MaxSessionDuration"] = role.max_session_duration
    if role.description:
        out["Description"] = role.description
    if full:
        boundary = boundary_out(role)
        if boundary:
            out["PermissionsBoundary"] = boundary
        if role.tags:
            out["Tags"] = tags_out(role.tags)
        if last_used:
            last: dict[str, Any] = {}
            if role.last_used:
                last = {"LastUsedDate": role.last_used, "Region": role.last_used_region}
            out["RoleLastUsed"] = last
    return out


def policy_out(
    policy: ManagedPolicy,
    *,
    attachment_count: int,
    boundary_count: int = 0,
    full: bool = False,
    description: bool = True,
) -> dict[str, Any]:
    """A managed Policy with its usage counts in the caller's account; ``full`` adds
    tags and (unless ``description`` is off, as in CreatePolicy's answer) Description."""
    out: dict[str, Any] = {
        "PolicyName": policy.name,
        "PolicyId": policy.policy_id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": policy.default_version_id,
        "AttachmentCount": attachment_count,
        "PermissionsBoundaryUsageCount": boundary_count,
        "IsAttachable": policy.is_attachable,
        "CreateDate": policy.created,
        "UpdateDate": policy.updated,
    }
    if full:
        if description and policy.description:
            out["Description"] = policy.description
        # GetPolicy answers "Tags": [] for an untagged policy; CreatePolicy's answer
        # (``description`` off) has Tags only when some were given (localstack's AWS
        # recordings).
        if policy.tags or description:
            out["Tags"] = tags_out(policy.tags)
    return out


def version_out(version: PolicyVersion, *, document: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "VersionId": version.version_id,
        "IsDefaultVersion": version.is_default,
        "CreateDate": version.created,
    }
    if document:
        out["Document"] = encode_document(version.document)
    return out


def attached_out(policy: ManagedPolicy) -> dict[str, str]:
    return {"PolicyName": policy.name, "PolicyArn": policy.arn}


def key_out(key: AccessKey) -> dict[str, Any]:
    out: dict[str, Any] = {
        "AccessKeyId": key.access_key_id,
        "Status": key.status,
        "CreateDate": key.created,
    }
    if key.user_id is not None:
        out["UserName"] = key.user.name
    return out


def login_profile_out(user_name: str, console: ConsoleUser) -> dict[str, Any]:
    return {
        "UserName": user_name,
        "CreateDate": console.login_profile_created,
        "PasswordResetRequired": console.password_reset_required,
    }


def mfa_device_out(device: MfaDevice) -> dict[str, Any]:
    """An MFADevice of ListMFADevices."""
    item: dict[str, Any] = {"SerialNumber": device.serial_number, "EnableDate": device.enabled}
    if device.iam_user_id:
        item["UserName"] = device.iam_user.name
    return item


def virtual_mfa_device_out(device: MfaDevice) -> dict[str, Any]:
    """A VirtualMFADevice of ListVirtualMFADevices (no seed, no QR code)."""
    item: dict[str, Any] = {"SerialNumber": device.serial_number}
    if device.enabled:
        item["EnableDate"] = device.enabled
        if device.iam_user_id:
            item["User"] = user_out(device.iam_user)
    if device.tags:
        item["Tags"] = tags_out(device.tags)
    return item


def password_policy_out(policy: PasswordPolicy) -> dict[str, Any]:
    out: dict[str, Any] = {
        "MinimumPasswordLength": policy.minimum_password_length,
        "RequireSymbols": policy.require_symbols,
        "RequireNumbers": policy.require_numbers,
        "RequireUppercaseCharacters": policy.require_uppercase_characters,
        "RequireLowercaseCharacters": policy.require_lowercase_characters,
        "AllowUsersToChangePassword": policy.allow_users_to_change_password,
        "ExpirePasswords": policy.max_password_age is not None,
    }
    # AWS omits HardExpiry unless it was set (localstack's AWS recording
    # "password-policy-defaults"); HardExpiry=false is stored like "never set".
    if policy.hard_expiry:
        out["HardExpiry"] = True
    if policy.max_password_age is not None:
        out["MaxPasswordAge"] = policy.max_password_age
    if policy.password_reuse_prevention is not None:
        out["PasswordReusePrevention"] = policy.password_reuse_prevention
    return out


def credentials_out(new: NewCredentials) -> dict[str, Any]:
    """STS Credentials: the temporary key, its secret and token (shown once), expiry."""
    return {
        "AccessKeyId": new.credential.access_key_id,
        "SecretAccessKey": new.secret,
        "SessionToken": new.session_token,
        "Expiration": new.expiration,
    }


def inline_policy_out(
    owner_key: str, owner: IamUser | Group | Role, policy: InlinePolicy
) -> dict[str, str]:
    """Get{User,Group,Role}Policy: the owner's name under ``owner_key`` and the document."""
    return {
        owner_key: owner.name,
        "PolicyName": policy.name,
        "PolicyDocument": encode_document(policy.document),
    }


# -- instance profiles, service-linked roles, MFA devices, Access Advisor (issue 13) --------


def instance_profile_out(profile: Any, *, tags: str = "if-any") -> dict[str, Any]:
    """An InstanceProfile with its role (at most one). ``tags``: "always" (GetInstanceProfile
    answers ``Tags: []`` for an untagged profile), "if-any" (CreateInstanceProfile and the
    lists: only when there are), as localstack's AWS recordings show them. A role in it
    has Path, RoleName, RoleId, Arn, CreateDate and the trust policy (same recordings)."""
    out: dict[str, Any] = {
        "Path": profile.path,
        "InstanceProfileName": profile.name,
        "InstanceProfileId": profile.unique_id,
        "Arn": profile.arn,
        "CreateDate": profile.created,
        "Roles": [role_out(profile.role, last_used=False)] if profile.role_id else [],
    }
    if tags == "always" or profile.tags:
        out["Tags"] = tags_out(profile.tags)
    return out


def get_mfa_device_out(device: MfaDevice, user: IamUser | None) -> dict[str, Any]:
    """GetMFADevice's answer (no Certifications: those are FIDO devices')."""
    out: dict[str, Any] = {"SerialNumber": device.serial_number, "EnableDate": device.enabled}
    if user is not None:
        out["UserName"] = user.name
    return out


# -- SSH public keys, signing certificates, server certificates, service-specific
# credentials (issue 13). Their models come in as ``Any``: the import block above is shared.


def ssh_public_key_out(key: Any, body: str) -> dict[str, Any]:
    """An SSHPublicKey of Upload/GetSSHPublicKey; ``body`` in the asked encoding."""
    return {
        "UserName": key.user.name,
        "SSHPublicKeyId": key.key_id,
        "Fingerprint": key.fingerprint,
        "SSHPublicKeyBody": body,
        "Status": key.status,
        "UploadDate": key.uploaded,
    }


def ssh_public_key_metadata_out(key: Any) -> dict[str, Any]:
    """An SSHPublicKeyMetadata of ListSSHPublicKeys: no body, no fingerprint."""
    return {
        "UserName": key.user.name,
        "SSHPublicKeyId": key.key_id,
        "Status": key.status,
        "UploadDate": key.uploaded,
    }


def signing_certificate_out(cert: Any) -> dict[str, Any]:
    """A SigningCertificate (UserName left out for root's own, as for root's access keys)."""
    out: dict[str, Any] = {
        "CertificateId": cert.certificate_id,
        "CertificateBody": cert.body,
        "Status": cert.status,
        "UploadDate": cert.uploaded,
    }
    if cert.user_id is not None:
        out["UserName"] = cert.user.name
    return out


def server_certificate_metadata_out(cert: Any) -> dict[str, Any]:
    return {
        "Path": cert.path,
        "ServerCertificateName": cert.name,
        "ServerCertificateId": cert.server_certificate_id,
        "Arn": cert.arn,
        "UploadDate": cert.uploaded,
        "Expiration": cert.expiration,
    }


def server_certificate_out(cert: Any) -> dict[str, Any]:
    """GetServerCertificate's ServerCertificate: never the private key. ``Tags`` always
    (``[]`` when untagged), the chain only when there is one (localstack's AWS
    recordings, test_iam_server_certificates "get-certificate")."""
    out: dict[str, Any] = {
        "ServerCertificateMetadata": server_certificate_metadata_out(cert),
        "CertificateBody": cert.body,
    }
    if cert.chain:
        out["CertificateChain"] = cert.chain
    out["Tags"] = tags_out(cert.tags)
    return out


def service_credential_metadata_out(cred: Any) -> dict[str, Any]:
    """A ServiceSpecificCredentialMetadata of ListServiceSpecificCredentials."""
    out: dict[str, Any] = {
        "UserName": cred.user.name,
        "Status": cred.current_status,
        "CreateDate": cred.created,
        "ServiceSpecificCredentialId": cred.credential_id,
        "ServiceName": cred.service_name,
    }
    if cred.service_user_name:
        out["ServiceUserName"] = cred.service_user_name
    if cred.alias:
        out["ServiceCredentialAlias"] = cred.alias
    if cred.expires is not None:
        out["ExpirationDate"] = cred.expires
    return out


def service_credential_out(cred: Any, secret: str) -> dict[str, Any]:
    """Create/ResetServiceSpecificCredential's ServiceSpecificCredential, with the secret
    shown this once: ServicePassword, or for an API key (an alias) ServiceCredentialSecret."""
    out = service_credential_metadata_out(cred)
    out["ServiceCredentialSecret" if cred.alias else "ServicePassword"] = secret
    return out


# -- identity providers (issue 13, federation) -----------------------------------------------


def oidc_provider_out(provider: Any) -> dict[str, Any]:
    """GetOpenIDConnectProvider's answer: the URL without its scheme (AWS CLI examples,
    get-open-id-connect-provider), client ids, thumbprints, CreateDate and ``Tags`` (``[]``
    when untagged: localstack's AWS recording "get-response")."""
    return {
        "Url": provider.host_path,
        "ClientIDList": list(provider.client_ids),
        "ThumbprintList": list(provider.thumbprints),
        "CreateDate": provider.created,
        "Tags": tags_out(provider.tags),
    }


def saml_provider_out(provider: Any) -> dict[str, Any]:
    """GetSAMLProvider's answer, as localstack's AWS recording "get-response" shows it:
    the UUID, the metadata document, CreateDate, ValidUntil, ``Tags`` (``[]`` when none),
    AssertionEncryptionMode ``Allowed`` and an empty PrivateKeyList (no assertion
    encryption here)."""
    return {
        "SAMLProviderUUID": provider.uuid,
        "SAMLMetadataDocument": provider.metadata,
        "CreateDate": provider.created,
        "ValidUntil": provider.valid_until,
        "Tags": tags_out(provider.tags),
        "AssertionEncryptionMode": "Allowed",
        "PrivateKeyList": [],
    }


def saml_provider_item_out(provider: Any) -> dict[str, Any]:
    """A SAMLProviderListEntry: Arn, ValidUntil, CreateDate (the recorded "list-response")."""
    return {"Arn": provider.arn, "ValidUntil": provider.valid_until, "CreateDate": provider.created}
