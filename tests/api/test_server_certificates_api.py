"""Server certificates through boto3 against the live server: AWS's shapes and errors,
the private key (checked against the certificate, sealed, never returned nor audited),
chains, renames, tags, paging, the quota, the boto3 resource API and GetAccountSummary.

Expected texts marked "recorded" are localstack's AWS recordings
(tests/aws/services/iam/test_iam_server_certificates.snapshot.json)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.api.conftest import allow, error_code

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime.datetime.now(datetime.UTC)


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: Any) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def issue(
    subject: str, key: Any, *, issuer: tuple[x509.Certificate, Any] | None = None, days: int = 90
) -> x509.Certificate:
    """A certificate for ``key``; self-signed unless ``issuer`` (certificate, key) signs it."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name, signing_key = (issuer[0].subject, issuer[1]) if issuer else (name, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=1))
        .not_valid_after(NOW + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    return builder.sign(signing_key, hashes.SHA256())


@pytest.fixture(scope="module")
def material() -> dict[str, Any]:
    """A self-signed certificate and its key, and a leaf issued by an intermediate issued
    by a root CA."""
    key = new_key()
    root_key, inter_key, leaf_key = new_key(), new_key(), new_key()
    root = issue("Test Root CA", root_key, days=3650)
    inter = issue("Test Intermediate", inter_key, issuer=(root, root_key), days=1800)
    leaf = issue("www.example.com", leaf_key, issuer=(inter, inter_key), days=90)
    selfsigned = issue("self.example.com", key, days=365)
    return {
        "body": cert_pem(selfsigned),
        "key": key_pem(key),
        "expiration": selfsigned.not_valid_after_utc,
        "leaf": cert_pem(leaf),
        "leaf_key": key_pem(leaf_key),
        "inter": cert_pem(inter),
        "root": cert_pem(root),
    }


def error(exc: Any) -> tuple[str, str, int]:
    r = exc.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def upload(iam: Any, material: dict[str, Any], name: str, **extra: Any) -> dict[str, Any]:
    return iam.upload_server_certificate(
        ServerCertificateName=name,
        CertificateBody=material["body"],
        PrivateKey=material["key"],
        **extra,
    )


def test_upload_answers_awss_shape(root_iam, acct, material):
    out = upload(root_iam, material, "web")
    assert "Tags" not in out  # recorded: no Tags without tags
    meta = out["ServerCertificateMetadata"]
    assert set(meta) == {
        "Path",
        "ServerCertificateName",
        "ServerCertificateId",
        "Arn",
        "UploadDate",
        "Expiration",
    }
    assert meta["Path"] == "/" and meta["ServerCertificateName"] == "web"
    assert meta["Arn"] == f"arn:aws:iam::{acct.id}:server-certificate/web"
    assert meta["ServerCertificateId"].startswith("ASCA") and len(meta["ServerCertificateId"]) == 21
    assert meta["Expiration"] == material["expiration"].replace(microsecond=0)


def test_get_returns_the_certificate_and_never_the_private_key(root_iam, material):
    from accounts.models import ServerCertificate
    from audit.models import AuditEvent

    upload(root_iam, material, "web", Path="/test-path/")
    got = root_iam.get_server_certificate(ServerCertificateName="web")["ServerCertificate"]
    assert set(got) == {"ServerCertificateMetadata", "CertificateBody", "Tags"}
    assert got["Tags"] == []  # recorded: Tags [] when untagged
    assert got["CertificateBody"] == material["body"].rstrip()
    assert got["ServerCertificateMetadata"]["Arn"].endswith(":server-certificate/test-path/web")
    assert "PRIVATE KEY" not in repr(got)
    # Sealed at rest; opens only through the model.
    stored = ServerCertificate.objects.get(name="web")
    key_line = material["key"].splitlines()[1]
    assert key_line.encode() not in bytes(stored.private_key_sealed)
    assert stored.private_key() == material["key"]
    # Never in the audit trail.
    for event in AuditEvent.objects.all():
        assert key_line not in str(event.request) + event.error_message


def test_a_chain_in_order_is_kept_and_returned(root_iam, material):
    chain = material["inter"] + material["root"]
    root_iam.upload_server_certificate(
        ServerCertificateName="leaf",
        CertificateBody=material["leaf"],
        PrivateKey=material["leaf_key"],
        CertificateChain=chain,
    )
    got = root_iam.get_server_certificate(ServerCertificateName="leaf")["ServerCertificate"]
    assert got["CertificateChain"] == chain.rstrip()
    # Only the intermediate is a chain too.
    root_iam.upload_server_certificate(
        ServerCertificateName="leaf2",
        CertificateBody=material["leaf"],
        PrivateKey=material["leaf_key"],
        CertificateChain=material["inter"],
    )


def test_a_chain_out_of_order_or_unrelated_is_malformed(root_iam, material):
    prefix = "Unable to validate certificate chain. The certificate chain must start with"
    for chain, index in (
        (material["root"] + material["inter"], 0),  # the root did not issue the leaf
        (material["inter"] + material["body"], 1),  # nor did the self-signed one issue it
        ("not a chain", -1),
    ):
        with pytest.raises(ClientError) as exc:
            root_iam.upload_server_certificate(
                ServerCertificateName="leaf",
                CertificateBody=material["leaf"],
                PrivateKey=material["leaf_key"],
                CertificateChain=chain,
            )
        code, message, status = error(exc)
        assert (code, status) == ("MalformedCertificate", 400)
        assert message.startswith(prefix) and message.endswith(f"is: {index}")
    assert root_iam.list_server_certificates()["ServerCertificateMetadataList"] == []


def test_a_key_that_does_not_match_is_refused(root_iam, material):
    with pytest.raises(ClientError) as exc:
        root_iam.upload_server_certificate(
            ServerCertificateName="web",
            CertificateBody=material["body"],
            PrivateKey=material["leaf_key"],
        )
    code, message, status = error(exc)
    assert (code, status) == ("KeyPairMismatch", 400)
    assert material["leaf_key"].splitlines()[1] not in message


def test_a_malformed_body_or_key_is_refused(root_iam, material):
    for body, key in (("not a certificate", material["key"]), (material["body"], "not a key")):
        with pytest.raises(ClientError) as exc:
            root_iam.upload_server_certificate(
                ServerCertificateName="web", CertificateBody=body, PrivateKey=key
            )
        assert error(exc)[0::2] == ("MalformedCertificate", 400)


def test_names_are_unique_case_insensitively_and_missing_ones_not_found(root_iam, material):
    upload(root_iam, material, "web")
    for name in ("web", "WEB"):
        with pytest.raises(ClientError) as exc:
            upload(root_iam, material, name)
        assert error(exc) == (  # recorded: upload-duplicate-certificate-error
            "EntityAlreadyExists",
            f"The Server Certificate with name {name} already exists.",
            409,
        )
    for call in (root_iam.get_server_certificate, root_iam.delete_server_certificate):
        with pytest.raises(ClientError) as exc:
            call(ServerCertificateName="nonexistent-certificate")
        assert error(exc) == (  # recorded: get- and delete-nonexistent-certificate-error
            "NoSuchEntity",
            "The Server Certificate with name nonexistent-certificate cannot be found.",
            404,
        )
    root_iam.delete_server_certificate(ServerCertificateName="web")
    with pytest.raises(ClientError) as exc:
        root_iam.get_server_certificate(ServerCertificateName="web")
    assert error_code(exc) == "NoSuchEntity"


def test_rename_and_move(root_iam, acct, material):
    first = upload(root_iam, material, "web")["ServerCertificateMetadata"]
    upload(root_iam, material, "other")
    root_iam.update_server_certificate(
        ServerCertificateName="web", NewServerCertificateName="www", NewPath="/prod/"
    )
    meta = root_iam.get_server_certificate(ServerCertificateName="www")["ServerCertificate"][
        "ServerCertificateMetadata"
    ]
    assert meta["Arn"] == f"arn:aws:iam::{acct.id}:server-certificate/prod/www"
    assert meta["ServerCertificateId"] == first["ServerCertificateId"]
    with pytest.raises(ClientError) as exc:
        root_iam.get_server_certificate(ServerCertificateName="web")
    assert error_code(exc) == "NoSuchEntity"
    with pytest.raises(ClientError) as exc:
        root_iam.update_server_certificate(
            ServerCertificateName="www", NewServerCertificateName="OTHER"
        )
    assert error(exc) == (
        "EntityAlreadyExists",
        "The Server Certificate with name OTHER already exists.",
        409,
    )
    # The sealed key still opens after the rename (sealed to the id, not the name).
    from accounts.models import ServerCertificate

    assert ServerCertificate.objects.get(name="www").private_key() == material["key"]


def test_list_filters_by_path_prefix_and_pages(root_iam, material):
    for name, path in (("a", "/"), ("b", "/prod/"), ("c", "/prod/eu/"), ("d", "/Prod/")):
        upload(root_iam, material, name, Path=path)
    listed = root_iam.list_server_certificates()
    assert [c["ServerCertificateName"] for c in listed["ServerCertificateMetadataList"]] == [
        "a",
        "b",
        "c",
        "d",
    ]
    prod = root_iam.list_server_certificates(PathPrefix="/prod/")["ServerCertificateMetadataList"]
    assert [c["ServerCertificateName"] for c in prod] == ["b", "c"]  # case-sensitive
    page = root_iam.list_server_certificates(MaxItems=3)
    assert page["IsTruncated"] is True and len(page["ServerCertificateMetadataList"]) == 3
    rest = root_iam.list_server_certificates(Marker=page["Marker"])
    assert [c["ServerCertificateName"] for c in rest["ServerCertificateMetadataList"]] == ["d"]


def test_tags(root_iam, material):
    out = upload(root_iam, material, "web", Tags=[{"Key": "env", "Value": "prod"}])
    assert out["Tags"] == [{"Key": "env", "Value": "prod"}]
    root_iam.tag_server_certificate(
        ServerCertificateName="web", Tags=[{"Key": "team", "Value": "web"}]
    )
    tags = root_iam.list_server_certificate_tags(ServerCertificateName="web")
    assert tags["IsTruncated"] is False
    assert {t["Key"]: t["Value"] for t in tags["Tags"]} == {"env": "prod", "team": "web"}
    root_iam.untag_server_certificate(ServerCertificateName="web", TagKeys=["env"])
    got = root_iam.get_server_certificate(ServerCertificateName="web")["ServerCertificate"]
    assert got["Tags"] == [{"Key": "team", "Value": "web"}]


def test_at_most_twenty_per_account_and_the_summary_counts_them(root_iam, material):
    assert root_iam.get_account_summary()["SummaryMap"]["ServerCertificates"] == 0
    for n in range(20):
        upload(root_iam, material, f"cert-{n}")
    summary = root_iam.get_account_summary()["SummaryMap"]
    assert summary["ServerCertificates"] == 20 and summary["ServerCertificatesQuota"] == 20
    with pytest.raises(ClientError) as exc:
        upload(root_iam, material, "one-too-many")
    assert error(exc) == (
        "LimitExceeded",
        "Cannot exceed quota for ServerCertificatesPerAccount: 20",
        409,
    )


def test_boto3_resource_api(api, acct, material):
    import boto3

    creds = acct.root_creds
    iam = boto3.resource(
        "iam",
        endpoint_url=api.url,
        region_name="us-east-1",
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_access_key,
    )
    upload(api.iam(creds), material, "web")
    upload(api.iam(creds), material, "api")
    assert sorted(c.name for c in iam.server_certificates.all()) == ["api", "web"]
    cert = iam.ServerCertificate("web")
    assert cert.server_certificate_metadata["Arn"].endswith(":server-certificate/web")
    assert cert.certificate_body == material["body"].rstrip()
    cert.delete()
    assert [c.name for c in iam.server_certificates.all()] == ["api"]


def test_permissions_follow_the_certificates_arn(api, acct, material, root_iam):
    policy = allow(
        ["iam:GetServerCertificate", "iam:UploadServerCertificate"],
        f"arn:aws:iam::{acct.id}:server-certificate/prod/*",
    )
    _, creds = acct.make_user("ops", policy=policy)
    ops = api.iam(creds)
    upload(ops, material, "www", Path="/prod/")
    ops.get_server_certificate(ServerCertificateName="www")
    upload(root_iam, material, "dev", Path="/dev/")
    for call in (
        lambda: ops.get_server_certificate(ServerCertificateName="dev"),
        lambda: ops.get_server_certificate(ServerCertificateName="missing"),
        lambda: upload(ops, material, "x", Path="/dev/"),
        lambda: ops.list_server_certificates(),
        lambda: ops.update_server_certificate(ServerCertificateName="www", NewPath="/dev/"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_code(exc) == "AccessDenied"
