"""SSH public keys, signing certificates and service-specific credentials
(accounts/operations/user_credentials.py)."""

from __future__ import annotations

from typing import Any

from accounts.operations import user_credentials as ops
from accounts.principal import Principal
from api.paging import list_args, page_out
from api.shapes import (
    service_credential_metadata_out,
    service_credential_out,
    signing_certificate_out,
    ssh_public_key_metadata_out,
    ssh_public_key_out,
)

__all__ = [
    "create_service_specific_credential",
    "delete_service_specific_credential",
    "delete_signing_certificate",
    "delete_ssh_public_key",
    "get_ssh_public_key",
    "list_service_specific_credentials",
    "list_signing_certificates",
    "list_ssh_public_keys",
    "reset_service_specific_credential",
    "update_service_specific_credential",
    "update_signing_certificate",
    "update_ssh_public_key",
    "upload_signing_certificate",
    "upload_ssh_public_key",
]


# -- SSH public keys -----------------------------------------------------------------------


def upload_ssh_public_key(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    key = ops.upload_ssh_public_key(
        actor=actor, user_name=p["UserName"], body=p["SSHPublicKeyBody"]
    )
    return {"SSHPublicKey": ssh_public_key_out(key, key.body)}


def get_ssh_public_key(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    key = ops.get_ssh_public_key(actor=actor, user_name=p["UserName"], key_id=p["SSHPublicKeyId"])
    return {"SSHPublicKey": ssh_public_key_out(key, ops.ssh_key_body(key, p["Encoding"]))}


def update_ssh_public_key(actor: Principal, p: dict[str, Any]) -> None:
    ops.update_ssh_public_key(
        actor=actor, user_name=p["UserName"], key_id=p["SSHPublicKeyId"], status=p["Status"]
    )


def delete_ssh_public_key(actor: Principal, p: dict[str, Any]) -> None:
    ops.delete_ssh_public_key(actor=actor, user_name=p["UserName"], key_id=p["SSHPublicKeyId"])


def list_ssh_public_keys(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = ops.list_ssh_public_keys(actor=actor, user_name=p.get("UserName"), **list_args(p))
    return page_out(page, "SSHPublicKeys", ssh_public_key_metadata_out)


# -- signing certificates ------------------------------------------------------------------


def upload_signing_certificate(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    cert = ops.upload_signing_certificate(
        actor=actor, body=p["CertificateBody"], user_name=p.get("UserName")
    )
    return {"Certificate": signing_certificate_out(cert)}


def update_signing_certificate(actor: Principal, p: dict[str, Any]) -> None:
    ops.update_signing_certificate(
        actor=actor,
        certificate_id=p["CertificateId"],
        status=p["Status"],
        user_name=p.get("UserName"),
    )


def delete_signing_certificate(actor: Principal, p: dict[str, Any]) -> None:
    ops.delete_signing_certificate(
        actor=actor, certificate_id=p["CertificateId"], user_name=p.get("UserName")
    )


def list_signing_certificates(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = ops.list_signing_certificates(actor=actor, user_name=p.get("UserName"), **list_args(p))
    return page_out(page, "Certificates", signing_certificate_out)


# -- service-specific credentials ------------------------------------------------------------


def create_service_specific_credential(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    new = ops.create_service_specific_credential(
        actor=actor,
        user_name=p["UserName"],
        service_name=p["ServiceName"],
        credential_age_days=p.get("CredentialAgeDays"),
    )
    return {"ServiceSpecificCredential": service_credential_out(new.credential, new.secret)}


def reset_service_specific_credential(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    new = ops.reset_service_specific_credential(
        actor=actor,
        credential_id=p["ServiceSpecificCredentialId"],
        user_name=p.get("UserName"),
    )
    return {"ServiceSpecificCredential": service_credential_out(new.credential, new.secret)}


def update_service_specific_credential(actor: Principal, p: dict[str, Any]) -> None:
    ops.update_service_specific_credential(
        actor=actor,
        credential_id=p["ServiceSpecificCredentialId"],
        status=p["Status"],
        user_name=p.get("UserName"),
    )


def delete_service_specific_credential(actor: Principal, p: dict[str, Any]) -> None:
    ops.delete_service_specific_credential(
        actor=actor,
        credential_id=p["ServiceSpecificCredentialId"],
        user_name=p.get("UserName"),
    )


def list_service_specific_credentials(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = ops.list_service_specific_credentials(
        actor=actor,
        user_name=p.get("UserName"),
        service_name=p.get("ServiceName"),
        all_users=bool(p.get("AllUsers")),
        **list_args(p),
    )
    return page_out(page, "ServiceSpecificCredentials", service_credential_metadata_out)
