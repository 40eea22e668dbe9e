"""Server certificates (accounts/operations/server_certificates.py)."""

from __future__ import annotations

from typing import Any

from accounts.operations import server_certificates as ops
from accounts.principal import Principal
from api.paging import list_args, page_items, page_out
from api.shapes import server_certificate_metadata_out, server_certificate_out, tag_out, tags_out

__all__ = [
    "delete_server_certificate",
    "get_server_certificate",
    "list_server_certificate_tags",
    "list_server_certificates",
    "tag_server_certificate",
    "untag_server_certificate",
    "update_server_certificate",
    "upload_server_certificate",
]


def upload_server_certificate(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    cert = ops.upload_server_certificate(
        actor=actor,
        name=p["ServerCertificateName"],
        body=p["CertificateBody"],
        private_key=p["PrivateKey"],
        path=p.get("Path"),
        chain=p.get("CertificateChain"),
        tags=p.get("Tags"),
    )
    out: dict[str, Any] = {"ServerCertificateMetadata": server_certificate_metadata_out(cert)}
    if cert.tags:
        # Tags only when some were given (localstack's AWS recording "upload-certificate"
        # has none without them).
        out["Tags"] = tags_out(cert.tags)
    return out


def get_server_certificate(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    cert = ops.get_server_certificate(actor=actor, name=p["ServerCertificateName"])
    return {"ServerCertificate": server_certificate_out(cert)}


def update_server_certificate(actor: Principal, p: dict[str, Any]) -> None:
    ops.update_server_certificate(
        actor=actor,
        name=p["ServerCertificateName"],
        new_name=p.get("NewServerCertificateName"),
        new_path=p.get("NewPath"),
    )


def delete_server_certificate(actor: Principal, p: dict[str, Any]) -> None:
    ops.delete_server_certificate(actor=actor, name=p["ServerCertificateName"])


def list_server_certificates(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = ops.list_server_certificates(actor=actor, **list_args(p, path_prefix=True))
    return page_out(page, "ServerCertificateMetadataList", server_certificate_metadata_out)


def tag_server_certificate(actor: Principal, p: dict[str, Any]) -> None:
    ops.tag_server_certificate(actor=actor, name=p["ServerCertificateName"], tags=p["Tags"])


def untag_server_certificate(actor: Principal, p: dict[str, Any]) -> None:
    ops.untag_server_certificate(
        actor=actor, name=p["ServerCertificateName"], tag_keys=p["TagKeys"]
    )


def list_server_certificate_tags(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    tags = ops.list_server_certificate_tags(actor=actor, name=p["ServerCertificateName"])
    return page_out(page_items(tags, p), "Tags", tag_out)
