"""A user's other credentials: SSH public keys (CodeCommit), X.509 signing certificates
and service-specific credentials (CodeCommit Git credentials, Keyspaces, Bedrock and
CloudWatch Logs API keys).

Quotas ("IAM and AWS STS quotas", IAM object quotas): 5 SSH public keys per user (the
quota table's value as recalled, not re-verified here); 2 signing certificates per user
(AWS's LimitExceeded text below, and GetAccountSummary's SigningCertificatesPerUserQuota);
2 service-specific credentials per user and service (CreateServiceSpecificCredential: "You
can have a maximum of two sets of service-specific credentials for each supported service
per user").

Texts marked "localstack's AWS recording" come from localstack's AWS-validated snapshots
(tests/aws/services/iam: test_iam_ssh_public_keys, test_iam_signing_certificates,
test_iam.py TestIAMServiceSpecificCredentials); the others say where they come from, or
that AWS's exact wording is not established.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.errors import IamError, InvalidInput, LimitExceeded, NoSuchEntity
from accounts.ids import access_key_id, unique_id
from accounts.models import (
    ConsoleUser,
    IamUser,
    ServiceSpecificCredential,
    SigningCertificate,
    SshPublicKey,
)
from accounts.operations.common import acting_user, find_user, user_resource
from accounts.principal import Principal
from audit.trail import record_event
from iamconsole.ops import Page, operation, paginate, save_unique
from policies.authorization import authorize

__all__ = [
    "API_KEY_SERVICES",
    "SERVICE_CREDENTIALS_PER_SERVICE",
    "SERVICE_CREDENTIAL_SERVICES",
    "SIGNING_CERTIFICATES_PER_USER",
    "SSH_KEYS_PER_USER",
    "DuplicateCertificate",
    "DuplicateSSHPublicKey",
    "InvalidPublicKey",
    "MalformedCertificate",
    "NewServiceCredential",
    "UnrecognizedPublicKeyEncoding",
    "create_service_specific_credential",
    "delete_service_specific_credential",
    "delete_signing_certificate",
    "delete_ssh_public_key",
    "get_ssh_public_key",
    "list_service_specific_credentials",
    "list_signing_certificates",
    "list_ssh_public_keys",
    "reset_service_specific_credential",
    "ssh_key_body",
    "update_service_specific_credential",
    "update_signing_certificate",
    "update_ssh_public_key",
    "upload_signing_certificate",
    "upload_ssh_public_key",
]

SSH_KEYS_PER_USER = 5
SIGNING_CERTIFICATES_PER_USER = 2
SERVICE_CREDENTIALS_PER_SERVICE = 2
# "You can create service-specific credentials for Amazon Bedrock, Amazon CloudWatch
# Logs, CodeCommit and Amazon Keyspaces (for Apache Cassandra)" (IAM API reference,
# CreateServiceSpecificCredential). Bedrock and CloudWatch Logs credentials are API keys:
# an alias and a secret (ServiceCredentialAlias / ServiceCredentialSecret), optionally
# expiring after CredentialAgeDays; the others a user name and a password.
API_KEY_SERVICES = frozenset({"bedrock.amazonaws.com", "logs.amazonaws.com"})
SERVICE_CREDENTIAL_SERVICES = frozenset(
    {"codecommit.amazonaws.com", "cassandra.amazonaws.com", *API_KEY_SERVICES}
)
# "The minimum bit-length of the public key is 2048 bits" (UploadSSHPublicKey).
SSH_KEY_MIN_BITS = 2048


# Error codes and statuses from botocore's iam model (their shapes' ``error`` metadata).
class InvalidPublicKey(IamError):
    code, status = "InvalidPublicKey", 400


class DuplicateSSHPublicKey(IamError):
    code, status = "DuplicateSSHPublicKey", 400


class UnrecognizedPublicKeyEncoding(IamError):
    code, status = "UnrecognizedPublicKeyEncoding", 400


class MalformedCertificate(IamError):
    code, status = "MalformedCertificate", 400


class DuplicateCertificate(IamError):
    code, status = "DuplicateCertificate", 409


def _check_status(status: str) -> str:
    """Active or Inactive. The protocol already refuses values outside the model's enum
    (Active | Inactive | Expired); Expired is IAM's to set, not the caller's (AWS's
    answer to Status=Expired is not established; InvalidInput is listed for the Update
    actions in botocore's model)."""
    if status not in ("Active", "Inactive"):
        raise InvalidInput(f"Status {status} is not valid: use Active or Inactive.")
    return status


def _lock_user(user: IamUser) -> None:
    """Serialize quota checks on the user's row; a DeleteUser committed meanwhile leaves none."""
    if IamUser.objects.select_for_update().filter(pk=user.pk).first() is None:
        raise NoSuchEntity(f"The user with name {user.name} cannot be found.")


# -- SSH public keys ---------------------------------------------------------------------


@dataclass(frozen=True)
class _ParsedKey:
    key: rsa.RSAPublicKey
    blob: bytes  # the OpenSSH wire blob ("ssh-rsa", e, n)

    @property
    def fingerprint(self) -> str:
        # The MD5 of the key ("The MD5 message digest of the SSH public key", SSHPublicKey
        # in the IAM API reference), written as ssh-keygen -E md5 does: colon-separated
        # hex of the wire blob. The model gives the field a fixed length of 48; this form
        # is 47 characters, and AWS's exact rendering is not established.
        digest = hashlib.md5(self.blob, usedforsecurity=False).hexdigest()
        return ":".join(digest[i : i + 2] for i in range(0, 32, 2))


# Not established: AWS's exact texts for the three SSH-key errors; these follow the error
# shapes' descriptions in botocore's iam model.
_UNRECOGNIZED = (
    "The public key encoding format is unsupported or unrecognized: use ssh-rsa (OpenSSH) or PEM."
)
_INVALID = "The public key is malformed or otherwise invalid."


def _parse_ssh_key(body: str) -> _ParsedKey:
    """An RSA public key in OpenSSH (``ssh-rsa AAAA… comment``) or PEM encoding
    (``BEGIN PUBLIC KEY`` or ``BEGIN RSA PUBLIC KEY``), at least 2048 bits."""
    text = (body or "").strip()
    if text.startswith("-----BEGIN"):
        first = text.splitlines()[0]
        if "PRIVATE KEY" in first:
            # A private key is never kept, nor echoed.
            raise InvalidPublicKey(_INVALID + " Upload the public key, not the private key.")
        if first not in ("-----BEGIN PUBLIC KEY-----", "-----BEGIN RSA PUBLIC KEY-----"):
            raise UnrecognizedPublicKeyEncoding(_UNRECOGNIZED)
        try:
            key = serialization.load_pem_public_key(text.encode("latin-1"))
        except (ValueError, TypeError, UnicodeEncodeError) as exc:
            raise InvalidPublicKey(_INVALID) from exc
    else:
        fields = text.split()
        if not fields or fields[0] != "ssh-rsa":
            raise UnrecognizedPublicKeyEncoding(_UNRECOGNIZED)
        try:
            key = serialization.load_ssh_public_key(" ".join(fields[:2]).encode("latin-1"))
        except (ValueError, TypeError, UnicodeEncodeError, IndexError) as exc:
            raise InvalidPublicKey(_INVALID) from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise InvalidPublicKey(_INVALID + " The key must be an RSA key.")
    if key.key_size < SSH_KEY_MIN_BITS:
        raise InvalidPublicKey(
            _INVALID + f" The minimum bit-length of the public key is {SSH_KEY_MIN_BITS} bits."
        )
    line = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return _ParsedKey(key=key, blob=base64.b64decode(line.split()[1]))


def ssh_key_body(key: SshPublicKey, encoding: str) -> str:
    """The key's body in ``SSH`` (ssh-rsa) or ``PEM`` encoding (GetSSHPublicKey's
    Encoding): the body as uploaded when it is already in that encoding."""
    uploaded_pem = key.body.lstrip().startswith("-----BEGIN")
    if (encoding == "PEM") == uploaded_pem:
        return key.body
    parsed = _parse_ssh_key(key.body).key
    if encoding == "PEM":
        pem = parsed.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return pem.decode("ascii")
    line = parsed.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return line.decode("ascii")


def _find_ssh_key(user: IamUser, key_id: str) -> SshPublicKey:
    key = SshPublicKey.objects.filter(user=user, key_id=key_id).first()
    if key is None:
        # localstack's AWS recording (test_iam_ssh_public_keys "get-not-found").
        raise NoSuchEntity(f"The Public Key with id {key_id} cannot be found.")
    return key


@operation("UploadSSHPublicKey")
def upload_ssh_public_key(*, actor: Principal, user_name: str, body: str) -> SshPublicKey:
    """UploadSSHPublicKey: an RSA key of 2048 bits or more, Active, at most five per user."""
    user = find_user(actor.account_id, user_name, actor=actor, action="iam:UploadSSHPublicKey")
    authorize(actor, "iam:UploadSSHPublicKey", user.arn)
    parsed = _parse_ssh_key(body)
    _lock_user(user)
    blob_hash = hashlib.sha256(parsed.blob).hexdigest()
    duplicate = DuplicateSSHPublicKey(
        # Not established: AWS's exact text (the shape's description in botocore's model).
        "The SSH public key is already associated with the specified IAM user."
    )
    if SshPublicKey.objects.filter(user=user, blob_sha256=blob_hash).exists():
        raise duplicate
    if SshPublicKey.objects.filter(user=user).count() >= SSH_KEYS_PER_USER:
        # The "Cannot exceed quota for <Quota>: <n>" form of AWS's recorded texts
        # (AccessKeysPerUser, CertificatesPerUser); this quota's name is not established.
        raise LimitExceeded(f"Cannot exceed quota for PublicKeysPerUser: {SSH_KEYS_PER_USER}")
    key = SshPublicKey(
        key_id=access_key_id("APKA"),  # 20 characters, as AWS's APKA… examples
        account_id=actor.account_id,
        user=user,
        body=body,
        fingerprint=parsed.fingerprint,
        blob_sha256=blob_hash,
    )
    save_unique(key, duplicate)
    record_event(
        actor,
        "UploadSSHPublicKey",
        user.arn,
        request={"UserName": user.name, "SSHPublicKeyId": key.key_id},
    )
    return key


@operation("GetSSHPublicKey", read_only=True)
def get_ssh_public_key(*, actor: Principal, user_name: str, key_id: str) -> SshPublicKey:
    user = find_user(actor.account_id, user_name, actor=actor, action="iam:GetSSHPublicKey")
    authorize(actor, "iam:GetSSHPublicKey", user.arn)
    key = _find_ssh_key(user, key_id)
    key.user = user
    return key


@operation("UpdateSSHPublicKey")
def update_ssh_public_key(*, actor: Principal, user_name: str, key_id: str, status: str) -> None:
    _check_status(status)
    user = find_user(actor.account_id, user_name, actor=actor, action="iam:UpdateSSHPublicKey")
    authorize(actor, "iam:UpdateSSHPublicKey", user.arn)
    key = _find_ssh_key(user, key_id)
    key.status = status
    key.save(update_fields=["status"])
    record_event(
        actor,
        "UpdateSSHPublicKey",
        user.arn,
        request={"UserName": user.name, "SSHPublicKeyId": key_id, "Status": status},
    )


@operation("DeleteSSHPublicKey")
def delete_ssh_public_key(*, actor: Principal, user_name: str, key_id: str) -> None:
    user = find_user(actor.account_id, user_name, actor=actor, action="iam:DeleteSSHPublicKey")
    authorize(actor, "iam:DeleteSSHPublicKey", user.arn)
    _find_ssh_key(user, key_id).delete()
    record_event(
        actor,
        "DeleteSSHPublicKey",
        user.arn,
        request={"UserName": user.name, "SSHPublicKeyId": key_id},
    )


@operation("ListSSHPublicKeys", read_only=True)
def list_ssh_public_keys(
    *,
    actor: Principal,
    user_name: str | None = None,
    marker: str | None = None,
    max_items: int | None = None,
) -> Page:
    """ListSSHPublicKeys; without a name, the calling user's (root has none: empty)."""
    user = acting_user(actor, user_name, action="iam:ListSSHPublicKeys")
    authorize(actor, "iam:ListSSHPublicKeys", user_resource(actor, user))
    qs = SshPublicKey.objects.filter(account_id=actor.account_id).select_related("user")
    qs = qs.filter(user=user) if user is not None else qs.none()
    return paginate(qs, key="key_id", marker=marker, max_items=max_items)


# -- signing certificates ------------------------------------------------------------------


def _find_certificate(
    actor: Principal, user: IamUser | None, certificate_id: str
) -> SigningCertificate:
    qs = SigningCertificate.objects.filter(
        account_id=actor.account_id, certificate_id=certificate_id
    )
    qs = qs.filter(user=user) if user is not None else qs.filter(user__isnull=True)
    cert = qs.first()
    if cert is None:
        # localstack's AWS recording (test_iam_signing_certificates
        # "update-nonexistent-certificate-error").
        raise NoSuchEntity(f"The Certificate with id {certificate_id} cannot be found.")
    return cert


def _signing_certificate_id() -> str:
    # 24 upper-case letters and digits: the model's minimum length, and the length of
    # AWS's example id "ID123456789012345EXAMPLE" (UploadSigningCertificate examples).
    alphabet = string.ascii_uppercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(24))


def _malformed(body: str) -> MalformedCertificate:
    # AWS echoes the body: "Certificate invalid-certificate-body is malformed."
    # (localstack's AWS recording, test_iam_signing_certificates). What looks like a
    # private key pasted by mistake is not echoed (nor written to the audit trail).
    if "PRIVATE KEY" in body:
        return MalformedCertificate("Certificate is malformed.")
    return MalformedCertificate(f"Certificate {body} is malformed.")


@operation("UploadSigningCertificate")
def upload_signing_certificate(
    *, actor: Principal, body: str, user_name: str | None = None
) -> SigningCertificate:
    """UploadSigningCertificate: an X.509 certificate in PEM, Active, at most two per
    user; root's own when no user is named (as AWS documents for this action)."""
    user = acting_user(actor, user_name, action="iam:UploadSigningCertificate")
    resource = user_resource(actor, user)
    authorize(actor, "iam:UploadSigningCertificate", resource)
    try:
        cert = x509.load_pem_x509_certificate((body or "").strip().encode("latin-1"))
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise _malformed(body) from exc
    if cert.not_valid_after_utc <= timezone.now():
        # "The request was rejected because the certificate was malformed or expired"
        # (MalformedCertificate in botocore's model); AWS's text here is not established.
        raise MalformedCertificate("The certificate has expired.")
    der_hash = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    if user is not None:
        _lock_user(user)
        existing = SigningCertificate.objects.filter(user=user)
    else:
        ConsoleUser.objects.select_for_update().filter(
            account_id=actor.account_id, is_root=True
        ).first()
        existing = SigningCertificate.objects.filter(account_id=actor.account_id, user__isnull=True)
    duplicate = DuplicateCertificate(
        # Not established: AWS's exact text (the shape's description in botocore's model).
        "The same certificate is already associated with an IAM user in the account."
    )
    if SigningCertificate.objects.filter(account_id=actor.account_id, der_sha256=der_hash).exists():
        raise duplicate
    if existing.count() >= SIGNING_CERTIFICATES_PER_USER:
        # localstack's AWS recording (test_iam_signing_certificates
        # "upload-exceeds-limit-error").
        raise LimitExceeded(
            f"Cannot exceed quota for CertificatesPerUser: {SIGNING_CERTIFICATES_PER_USER}"
        )
    signing = SigningCertificate(
        certificate_id=_signing_certificate_id(),
        account_id=actor.account_id,
        user=user,
        body=body,
        der_sha256=der_hash,
    )
    save_unique(signing, duplicate)
    record_event(
        actor,
        "UploadSigningCertificate",
        resource,
        request={"UserName": user.name if user else None, "CertificateId": signing.certificate_id},
    )
    return signing


@operation("UpdateSigningCertificate")
def update_signing_certificate(
    *, actor: Principal, certificate_id: str, status: str, user_name: str | None = None
) -> None:
    _check_status(status)
    user = acting_user(actor, user_name, action="iam:UpdateSigningCertificate")
    resource = user_resource(actor, user)
    authorize(actor, "iam:UpdateSigningCertificate", resource)
    cert = _find_certificate(actor, user, certificate_id)
    cert.status = status
    cert.save(update_fields=["status"])
    record_event(
        actor,
        "UpdateSigningCertificate",
        resource,
        request={"CertificateId": certificate_id, "Status": status},
    )


@operation("DeleteSigningCertificate")
def delete_signing_certificate(
    *, actor: Principal, certificate_id: str, user_name: str | None = None
) -> None:
    user = acting_user(actor, user_name, action="iam:DeleteSigningCertificate")
    resource = user_resource(actor, user)
    authorize(actor, "iam:DeleteSigningCertificate", resource)
    _find_certificate(actor, user, certificate_id).delete()
    record_event(
        actor, "DeleteSigningCertificate", resource, request={"CertificateId": certificate_id}
    )


@operation("ListSigningCertificates", read_only=True)
def list_signing_certificates(
    *,
    actor: Principal,
    user_name: str | None = None,
    marker: str | None = None,
    max_items: int | None = None,
) -> Page:
    """ListSigningCertificates; without a name, the caller's own (root's included)."""
    user = acting_user(actor, user_name, action="iam:ListSigningCertificates")
    authorize(actor, "iam:ListSigningCertificates", user_resource(actor, user))
    qs = SigningCertificate.objects.filter(account_id=actor.account_id).select_related("user")
    qs = qs.filter(user=user) if user is not None else qs.filter(user__isnull=True)
    return paginate(qs, key="certificate_id", marker=marker, max_items=max_items)


# -- service-specific credentials ------------------------------------------------------------


@dataclass(frozen=True)
class NewServiceCredential:
    """Create/ResetServiceSpecificCredential's answer: the only time the secret is shown."""

    credential: ServiceSpecificCredential
    secret: str

    @property
    def is_api_key(self) -> bool:
        return self.credential.service_name in API_KEY_SERVICES


def _check_service(service_name: str) -> None:
    if service_name not in SERVICE_CREDENTIAL_SERVICES:
        # NoSuchEntity (404), not NotSupportedService (localstack's AWS recording,
        # test_iam.py "invalid-service-exception").
        raise NoSuchEntity(
            f"No such service {service_name} is supported for Service Specific Credentials"
        )


def _new_secret(service_name: str) -> str:
    # A password of 32 random bytes in base64 (44 characters ending in "="): AWS's
    # passwords end in "=" (localstack's provider, from its AWS recordings); their exact
    # length is not established. API keys: 48 random bytes in base64.
    size = 48 if service_name in API_KEY_SERVICES else 32
    return base64.b64encode(secrets.token_bytes(size)).decode("ascii")


def _find_service_credential(
    actor: Principal, user: IamUser | None, credential_id: str
) -> ServiceSpecificCredential:
    cred = None
    if user is not None:
        cred = ServiceSpecificCredential.objects.filter(
            user=user, credential_id=credential_id
        ).first()
    if cred is None:
        # localstack's AWS recording (test_iam.py "update-wrong-id").
        raise NoSuchEntity(f"No such credential {credential_id} exists")
    return cred


@operation("CreateServiceSpecificCredential")
def create_service_specific_credential(
    *,
    actor: Principal,
    user_name: str,
    service_name: str,
    credential_age_days: int | None = None,
) -> NewServiceCredential:
    """CreateServiceSpecificCredential: at most two per user and service; the password
    (or API-key secret) is returned now and never again."""
    # The user is looked up before the service is checked (localstack's AWS recording
    # "invalid-user-and-service-exception": NoSuchEntity for the user).
    user = find_user(
        actor.account_id, user_name, actor=actor, action="iam:CreateServiceSpecificCredential"
    )
    context: dict[str, object] = {"iam:ServiceSpecificCredentialServiceName": service_name}
    if credential_age_days is not None:
        context["iam:ServiceSpecificCredentialAgeDays"] = credential_age_days
    # The condition keys AWS added for these credentials (IAM User Guide, "API keys for
    # Amazon Bedrock": iam:ServiceSpecificCredentialServiceName and
    # iam:ServiceSpecificCredentialAgeDays).
    authorize(actor, "iam:CreateServiceSpecificCredential", user.arn, context=context)
    _check_service(service_name)
    if credential_age_days is not None and service_name not in API_KEY_SERVICES:
        # "This field is only valid for services that support long-term API keys"
        # (CreateServiceSpecificCredential); AWS's answer otherwise is not established.
        raise InvalidInput(
            "CredentialAgeDays is only valid for services that support long-term API keys."
        )
    _lock_user(user)
    taken = ServiceSpecificCredential.objects.filter(user=user, service_name=service_name)
    if taken.count() >= SERVICE_CREDENTIALS_PER_SERVICE:
        # Not established: AWS's quota name in this text.
        raise LimitExceeded(
            "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: "
            f"{SERVICE_CREDENTIALS_PER_SERVICE}"
        )
    now = timezone.now()
    secret = _new_secret(service_name)
    cred = ServiceSpecificCredential(
        credential_id=unique_id("ACCA"),  # ACCA + 17, as AWS's credential ids
        account_id=actor.account_id,
        user=user,
        service_name=service_name,
        secret_hash=make_password(secret),
        created=now,
    )
    if service_name in API_KEY_SERVICES:
        # "the public portion of the credential that includes the IAM user name and a
        # suffix containing version and creation information" (ServiceCredentialAlias);
        # AWS's exact form is not established.
        cred.alias = f"{user.name}+1-{now.astimezone(UTC):%Y%m%dT%H%M%S}"
        if credential_age_days is not None:
            cred.expires = now + timedelta(days=credential_age_days)
    else:
        # "combining the IAM user's name combined with the ID number of the Amazon Web
        # Services account, as in jane-at-123456789012" (ServiceUserName).
        cred.service_user_name = f"{user.name}-at-{actor.account_id}"
    save_unique(cred, LimitExceeded("Cannot create the credential: try again."))
    record_event(
        actor,
        "CreateServiceSpecificCredential",
        user.arn,
        request={
            "UserName": user.name,
            "ServiceName": service_name,
            "ServiceSpecificCredentialId": cred.credential_id,
        },
    )
    return NewServiceCredential(credential=cred, secret=secret)


@operation("ResetServiceSpecificCredential")
def reset_service_specific_credential(
    *, actor: Principal, credential_id: str, user_name: str | None = None
) -> NewServiceCredential:
    """ResetServiceSpecificCredential: a new generated secret; the old one stops working.
    The status is kept (localstack's AWS recording: an Inactive credential stays so)."""
    user = acting_user(actor, user_name, action="iam:ResetServiceSpecificCredential")
    resource = user_resource(actor, user)
    authorize(actor, "iam:ResetServiceSpecificCredential", resource)
    cred = _find_service_credential(actor, user, credential_id)
    secret = _new_secret(cred.service_name)
    cred.secret_hash = make_password(secret)
    cred.save(update_fields=["secret_hash"])
    record_event(
        actor,
        "ResetServiceSpecificCredential",
        resource,
        request={"ServiceSpecificCredentialId": credential_id},
    )
    return NewServiceCredential(credential=cred, secret=secret)


@operation("UpdateServiceSpecificCredential")
def update_service_specific_credential(
    *, actor: Principal, credential_id: str, status: str, user_name: str | None = None
) -> None:
    _check_status(status)
    user = acting_user(actor, user_name, action="iam:UpdateServiceSpecificCredential")
    resource = user_resource(actor, user)
    authorize(actor, "iam:UpdateServiceSpecificCredential", resource)
    cred = _find_service_credential(actor, user, credential_id)
    cred.status = status
    cred.save(update_fields=["status"])
    record_event(
        actor,
        "UpdateServiceSpecificCredential",
        resource,
        request={"ServiceSpecificCredentialId": credential_id, "Status": status},
    )


@operation("DeleteServiceSpecificCredential")
def delete_service_specific_credential(
    *, actor: Principal, credential_id: str, user_name: str | None = None
) -> None:
    user = acting_user(actor, user_name, action="iam:DeleteServiceSpecificCredential")
    resource = user_resource(actor, user)
    authorize(actor, "iam:DeleteServiceSpecificCredential", resource)
    _find_service_credential(actor, user, credential_id).delete()
    record_event(
        actor,
        "DeleteServiceSpecificCredential",
        resource,
        request={"ServiceSpecificCredentialId": credential_id},
    )


@operation("ListServiceSpecificCredentials", read_only=True)
def list_service_specific_credentials(
    *,
    actor: Principal,
    user_name: str | None = None,
    service_name: str | None = None,
    all_users: bool = False,
    marker: str | None = None,
    max_items: int | None = None,
) -> Page:
    """ListServiceSpecificCredentials: one user's (the caller's without a name), or with
    AllUsers every user's of the account ("This parameter cannot be specified together
    with UserName")."""
    if all_users and user_name:
        # Not established: AWS's text for AllUsers together with UserName.
        raise InvalidInput("AllUsers cannot be specified together with UserName.")
    qs: Any = ServiceSpecificCredential.objects.filter(account_id=actor.account_id)
    if all_users:
        # AWS's resource for the account-wide list is not established: every user's ARN.
        authorize(
            actor, "iam:ListServiceSpecificCredentials", f"arn:aws:iam::{actor.account_id}:user/*"
        )
    else:
        user = acting_user(actor, user_name, action="iam:ListServiceSpecificCredentials")
        authorize(actor, "iam:ListServiceSpecificCredentials", user_resource(actor, user))
        qs = qs.filter(user=user) if user is not None else qs.none()
    if service_name:
        _check_service(service_name)
        qs = qs.filter(service_name=service_name)
    return paginate(
        qs.select_related("user"), key="credential_id", marker=marker, max_items=max_items
    )
