"""Server certificates: UploadServerCertificate … ListServerCertificateTags.

A server certificate is the account's (``arn:aws:iam::ACCOUNT:server-certificate/PATH/NAME``,
id ``ASCA…``): a PEM certificate, its private key (sealed at rest, never returned) and an
optional chain. Names are unique in the account, case-insensitively, as IAM's other names.

Texts marked "localstack's AWS recording" come from localstack's AWS-validated snapshots
(tests/aws/services/iam/test_iam_server_certificates); the others say where they come
from, or that AWS's exact wording is not established.
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.errors import EntityAlreadyExists, IamError, LimitExceeded, NoSuchEntity
from accounts.ids import unique_id
from accounts.models import Account, ServerCertificate
from accounts.operations.common import (
    authorize_missing,
    change_tags,
    iam_arn,
    path_startswith,
    tag_context,
)
from accounts.operations.user_credentials import MalformedCertificate
from accounts.principal import Principal
from accounts.validation import check_name, check_path, check_path_prefix, check_tags
from audit.trail import record_event
from iamconsole.ops import Page, operation, paginate, save_unique
from policies.authorization import authorize

__all__ = [
    "SERVER_CERTIFICATES_PER_ACCOUNT",
    "KeyPairMismatch",
    "MalformedCertificate",
    "delete_server_certificate",
    "get_server_certificate",
    "list_server_certificate_tags",
    "list_server_certificates",
    "tag_server_certificate",
    "untag_server_certificate",
    "update_server_certificate",
    "upload_server_certificate",
]

# "Server certificates stored in an AWS account: 20" (IAM and AWS STS quotas; also
# GetAccountSummary's ServerCertificatesQuota in localstack's AWS recording).
SERVER_CERTIFICATES_PER_ACCOUNT = 20
NAME_MAX = 128


class KeyPairMismatch(IamError):
    code, status = "KeyPairMismatch", 400


def _not_found(name: str) -> NoSuchEntity:
    # localstack's AWS recording ("get-nonexistent-certificate-error").
    return NoSuchEntity(f"The Server Certificate with name {name} cannot be found.")


def _exists(name: str) -> EntityAlreadyExists:
    # localstack's AWS recording ("upload-duplicate-certificate-error").
    return EntityAlreadyExists(f"The Server Certificate with name {name} already exists.")


def _find(actor: Principal, name: str, action: str, *, for_update: bool = False) -> Any:
    """The account's certificate ``name``; when missing, the caller is first authorized on
    the ARN the name would have (``/`` path), so missing names cannot be probed."""
    check_name(name, member="serverCertificateName", max_length=NAME_MAX)
    qs = ServerCertificate.objects.filter(account_id=actor.account_id, name__iexact=name)
    if for_update:
        qs = qs.select_for_update()
    cert = qs.first()
    if cert is None:
        authorize_missing(actor, action, iam_arn(actor.account_id, "server-certificate", "/", name))
        raise _not_found(name)
    return cert


# Not established: AWS's texts for an unreadable certificate, an unreadable private key and
# a key that does not match the certificate (the error shapes' descriptions in botocore's
# iam model).
_BAD_BODY = "Unable to parse certificate. Please ensure the certificate is in PEM format."
_BAD_KEY = "Unable to parse private key. Please ensure the private key is in PEM format."
_MISMATCH = "The public key certificate and the private key do not match."


def _chain_error(index: int) -> MalformedCertificate:
    # The text AWS answered for a chain out of order (an ELB upload, quoted on
    # serverfault.com/questions/676161); what its index counts exactly is not
    # established: here, the chain certificate that did not issue the one before it.
    return MalformedCertificate(
        "Unable to validate certificate chain. The certificate chain must start with the "
        "immediate signing certificate, followed by any intermediaries in order. The index "
        f"within the chain of the invalid certificate is: {index}"
    )


def _check_material(body: str, private_key: str, chain: str | None) -> x509.Certificate:
    """The parsed certificate, after checking the key matches it and each certificate of
    the chain issued the one before it (the body first)."""
    try:
        cert = x509.load_pem_x509_certificate(body.encode("latin-1"))
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise MalformedCertificate(_BAD_BODY) from exc
    if cert.not_valid_after_utc <= timezone.now():
        # "malformed or expired" (MalformedCertificate); AWS's text is not established.
        raise MalformedCertificate("The certificate has expired.")
    try:
        key = serialization.load_pem_private_key(private_key.encode("latin-1"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        # Never echoes the key. An encrypted key is refused too: IAM needs it in the clear.
        raise MalformedCertificate(_BAD_KEY) from exc
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if key.public_key().public_bytes(der, spki) != cert.public_key().public_bytes(der, spki):
        raise KeyPairMismatch(_MISMATCH)
    if chain:
        try:
            chain_certs = x509.load_pem_x509_certificates(chain.encode("latin-1"))
        except (ValueError, TypeError, UnicodeEncodeError) as exc:
            raise _chain_error(-1) from exc
        previous = cert
        for index, issuer in enumerate(chain_certs):
            try:
                previous.verify_directly_issued_by(issuer)
            except (ValueError, TypeError, InvalidSignature) as exc:
                raise _chain_error(index) from exc
            previous = issuer
    return cert


@operation("UploadServerCertificate")
def upload_server_certificate(
    *,
    actor: Principal,
    name: str,
    body: str,
    private_key: str,
    path: str | None = None,
    chain: str | None = None,
    tags: list[dict[str, str]] | None = None,
) -> ServerCertificate:
    """UploadServerCertificate: at most 20 per account; the expiration is the
    certificate's notAfter. The private key is sealed and never returned."""
    check_name(name, member="serverCertificateName", max_length=NAME_MAX)
    path = check_path(path)
    tags = check_tags(tags or [])
    arn = iam_arn(actor.account_id, "server-certificate", path, name)
    ctx = tag_context(tags)
    authorize(actor, "iam:UploadServerCertificate", arn, context=ctx)
    if tags:
        authorize(actor, "iam:TagServerCertificate", arn, context=ctx)
    # Serialize the name and quota checks per account.
    Account.objects.select_for_update().filter(pk=actor.account_id).first()
    in_account = ServerCertificate.objects.filter(account_id=actor.account_id)
    if in_account.filter(name__iexact=name).exists():
        raise _exists(name)
    if in_account.count() >= SERVER_CERTIFICATES_PER_ACCOUNT:
        # AWS's text as a Terraform user quoted it (Mesosphere DC/OS docs, "DC/OS on AWS
        # using the Universal Installer", troubleshooting).
        raise LimitExceeded(
            f"Cannot exceed quota for ServerCertificatesPerAccount: {SERVER_CERTIFICATES_PER_ACCOUNT}"
        )
    # "Strip trailing whitespace from certificate body (AWS behavior)" (localstack's
    # provider, matching its AWS recordings of GetServerCertificate).
    body = (body or "").rstrip()
    chain = chain.rstrip() if chain else ""
    cert = _check_material(body, private_key or "", chain or None)
    server_cert = ServerCertificate(
        account_id=actor.account_id,
        name=name,
        path=path,
        server_certificate_id=unique_id("ASCA"),
        arn=arn,
        body=body,
        chain=chain,
        expiration=cert.not_valid_after_utc,
        tags=tags,
    )
    server_cert.set_private_key(private_key)
    save_unique(server_cert, _exists(name))
    # Never the key, the body or the chain.
    record_event(
        actor,
        "UploadServerCertificate",
        arn,
        request={
            "ServerCertificateName": name,
            "Path": path,
            "ServerCertificateId": server_cert.server_certificate_id,
        },
    )
    return server_cert


@operation("GetServerCertificate", read_only=True)
def get_server_certificate(*, actor: Principal, name: str) -> ServerCertificate:
    """GetServerCertificate: the certificate, its chain and tags; never the private key."""
    cert = _find(actor, name, "iam:GetServerCertificate")
    authorize(actor, "iam:GetServerCertificate", cert.arn)
    return cert


@operation("UpdateServerCertificate")
def update_server_certificate(
    *, actor: Principal, name: str, new_name: str | None = None, new_path: str | None = None
) -> ServerCertificate:
    """UpdateServerCertificate: rename or move. "The principal must have permission to
    change the server certificate with the old name and the new name" (its API reference)."""
    cert = _find(actor, name, "iam:UpdateServerCertificate", for_update=True)
    if new_name is not None:
        check_name(new_name, member="newServerCertificateName", max_length=NAME_MAX)
    path = check_path(new_path, member="newPath") if new_path is not None else cert.path
    final_name = new_name or cert.name
    new_arn = iam_arn(actor.account_id, "server-certificate", path, final_name)
    authorize(actor, "iam:UpdateServerCertificate", cert.arn)
    if new_arn != cert.arn:
        authorize(actor, "iam:UpdateServerCertificate", new_arn)
    if (
        final_name.lower() != cert.name.lower()
        and ServerCertificate.objects.filter(
            account_id=actor.account_id, name__iexact=final_name
        ).exists()
    ):
        raise _exists(final_name)
    old_arn = cert.arn
    cert.name, cert.path, cert.arn = final_name, path, new_arn
    try:
        with transaction.atomic():
            cert.save(update_fields=["name", "path", "arn"])
    except IntegrityError as exc:  # the name was taken meanwhile
        raise _exists(final_name) from exc
    record_event(
        actor,
        "UpdateServerCertificate",
        old_arn,
        request={
            "ServerCertificateName": name,
            "NewServerCertificateName": new_name,
            "NewPath": new_path,
        },
    )
    return cert


@operation("DeleteServerCertificate")
def delete_server_certificate(*, actor: Principal, name: str) -> None:
    cert = _find(actor, name, "iam:DeleteServerCertificate", for_update=True)
    authorize(actor, "iam:DeleteServerCertificate", cert.arn)
    arn = cert.arn
    cert.delete()
    record_event(actor, "DeleteServerCertificate", arn, request={"ServerCertificateName": name})


@operation("ListServerCertificates", read_only=True)
def list_server_certificates(
    *,
    actor: Principal,
    path_prefix: str | None = None,
    marker: str | None = None,
    max_items: int | None = None,
) -> Page:
    """ListServerCertificates, by name; ``PathPrefix`` matched literally and
    case-sensitively (as ListUsers). Authorized on ``arn:…:server-certificate/PREFIX``."""
    prefix = check_path_prefix(path_prefix)
    authorize(
        actor,
        "iam:ListServerCertificates",
        f"arn:aws:iam::{actor.account_id}:server-certificate{prefix}",
    )
    qs = path_startswith(ServerCertificate.objects.filter(account_id=actor.account_id), prefix)
    return paginate(qs, key="name", marker=marker, max_items=max_items)


@operation("TagServerCertificate")
def tag_server_certificate(*, actor: Principal, name: str, tags: list[dict[str, str]]) -> None:
    cert = _find(actor, name, "iam:TagServerCertificate", for_update=True)
    change_tags(
        actor, cert, event="TagServerCertificate", add=tags, request={"ServerCertificateName": name}
    )


@operation("UntagServerCertificate")
def untag_server_certificate(*, actor: Principal, name: str, tag_keys: list[str]) -> None:
    cert = _find(actor, name, "iam:UntagServerCertificate", for_update=True)
    change_tags(
        actor,
        cert,
        event="UntagServerCertificate",
        remove=tag_keys,
        request={"ServerCertificateName": name},
    )


@operation("ListServerCertificateTags", read_only=True)
def list_server_certificate_tags(*, actor: Principal, name: str) -> list[dict[str, str]]:
    cert = _find(actor, name, "iam:ListServerCertificateTags")
    authorize(actor, "iam:ListServerCertificateTags", cert.arn)
    return list(cert.tags)
