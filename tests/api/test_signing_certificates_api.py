"""X.509 signing certificates through boto3 against the live server: AWS's shapes and
errors, the quota of two, root's own certificates, the boto3 resource API, the
credential report's cert columns, GetAccountSummary and DeleteUser's conflict.

Expected texts marked "recorded" are localstack's AWS recordings
(tests/aws/services/iam/test_iam_signing_certificates.snapshot.json)."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.api.conftest import allow, error_code

pytestmark = pytest.mark.django_db(transaction=True)

MISSING = "NONEXISTENTCERTID12345678901"


def certificate(*, days: int = 365, start_days: int = 0) -> str:
    """A self-signed X.509 certificate in PEM (EC P-256: quick to make)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "signing test")])
    now = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=start_days)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def error(exc: Any) -> tuple[str, str, int]:
    r = exc.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def alice(acct: Any) -> Any:
    user, _ = acct.make_user("alice")
    return user


def test_upload_answers_awss_shape_and_lists_it(root_iam, alice):
    body = certificate()
    out = root_iam.upload_signing_certificate(UserName="alice", CertificateBody=body)["Certificate"]
    assert set(out) == {"UserName", "CertificateId", "CertificateBody", "Status", "UploadDate"}
    assert out["UserName"] == "alice" and out["Status"] == "Active"  # recorded
    assert out["CertificateBody"] == body
    assert len(out["CertificateId"]) == 24 and out["CertificateId"].isalnum()
    listed = root_iam.list_signing_certificates(UserName="alice")
    assert listed["IsTruncated"] is False and listed["Certificates"] == [out]


def test_status_changes_and_delete(root_iam, alice):
    cert_id = root_iam.upload_signing_certificate(UserName="alice", CertificateBody=certificate())[
        "Certificate"
    ]["CertificateId"]
    for status in ("Inactive", "Active", "Inactive"):
        root_iam.update_signing_certificate(UserName="alice", CertificateId=cert_id, Status=status)
        (item,) = root_iam.list_signing_certificates(UserName="alice")["Certificates"]
        assert item["Status"] == status
    root_iam.delete_signing_certificate(UserName="alice", CertificateId=cert_id)
    assert root_iam.list_signing_certificates(UserName="alice")["Certificates"] == []


def test_awss_errors(root_iam, alice):
    body = certificate()
    no_user = ("NoSuchEntity", "The user with name nonexistent-user cannot be found.", 404)
    for call in (  # recorded: *-nonexistent-user-error
        lambda: root_iam.upload_signing_certificate(
            UserName="nonexistent-user", CertificateBody=body
        ),
        lambda: root_iam.list_signing_certificates(UserName="nonexistent-user"),
        lambda: root_iam.delete_signing_certificate(
            UserName="nonexistent-user", CertificateId=MISSING
        ),
        lambda: root_iam.update_signing_certificate(
            UserName="nonexistent-user", CertificateId=MISSING, Status="Inactive"
        ),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc) == no_user
    with pytest.raises(ClientError) as exc:
        root_iam.upload_signing_certificate(
            UserName="alice", CertificateBody="invalid-certificate-body"
        )
    assert error(exc) == (  # recorded: upload-invalid-certificate-error
        "MalformedCertificate",
        "Certificate invalid-certificate-body is malformed.",
        400,
    )
    not_found = ("NoSuchEntity", f"The Certificate with id {MISSING} cannot be found.", 404)
    for call in (
        lambda: root_iam.update_signing_certificate(
            UserName="alice", CertificateId=MISSING, Status="Inactive"
        ),
        lambda: root_iam.delete_signing_certificate(UserName="alice", CertificateId=MISSING),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc) == not_found
    with pytest.raises(ClientError) as exc:
        root_iam.upload_signing_certificate(
            UserName="alice", CertificateBody=certificate(days=5, start_days=-10)
        )
    assert error(exc)[0::2] == ("MalformedCertificate", 400)  # expired


def test_at_most_two_per_user(root_iam, alice):
    for _ in range(2):
        root_iam.upload_signing_certificate(UserName="alice", CertificateBody=certificate())
    with pytest.raises(ClientError) as exc:
        root_iam.upload_signing_certificate(UserName="alice", CertificateBody=certificate())
    assert error(exc) == (  # recorded: upload-exceeds-limit-error
        "LimitExceeded",
        "Cannot exceed quota for CertificatesPerUser: 2",
        409,
    )


def test_the_same_certificate_is_a_duplicate_anywhere_in_the_account(root_iam, acct, alice):
    acct.make_user("bob")
    body = certificate()
    root_iam.upload_signing_certificate(UserName="alice", CertificateBody=body)
    for user in ("alice", "bob"):
        with pytest.raises(ClientError) as exc:
            root_iam.upload_signing_certificate(UserName=user, CertificateBody=body)
        assert error(exc)[0::2] == ("DuplicateCertificate", 409)


def test_root_manages_its_own_certificates_without_a_user_name(root_iam, alice):
    summary = root_iam.get_account_summary()["SummaryMap"]
    assert summary["AccountSigningCertificatesPresent"] == 0
    assert summary["SigningCertificatesPerUserQuota"] == 2
    out = root_iam.upload_signing_certificate(CertificateBody=certificate())["Certificate"]
    assert "UserName" not in out
    assert [c["CertificateId"] for c in root_iam.list_signing_certificates()["Certificates"]] == [
        out["CertificateId"]
    ]
    # alice's are hers, not root's.
    root_iam.upload_signing_certificate(UserName="alice", CertificateBody=certificate())
    assert len(root_iam.list_signing_certificates()["Certificates"]) == 1
    assert root_iam.get_account_summary()["SummaryMap"]["AccountSigningCertificatesPresent"] == 1
    root_iam.update_signing_certificate(CertificateId=out["CertificateId"], Status="Inactive")
    root_iam.delete_signing_certificate(CertificateId=out["CertificateId"])
    assert root_iam.list_signing_certificates()["Certificates"] == []


def test_a_user_lists_their_own_without_a_user_name(api, acct, root_iam):
    own = allow(
        ["iam:ListSigningCertificates", "iam:UploadSigningCertificate"],
        f"arn:aws:iam::{acct.id}:user/${{aws:username}}",
    )
    _, creds = acct.make_user("carol", policy=own)
    acct.make_user("dave")
    carol = api.iam(creds)
    cert_id = carol.upload_signing_certificate(CertificateBody=certificate())["Certificate"][
        "CertificateId"
    ]
    (item,) = carol.list_signing_certificates()["Certificates"]
    assert item["CertificateId"] == cert_id and item["UserName"] == "carol"
    with pytest.raises(ClientError) as exc:
        carol.upload_signing_certificate(UserName="dave", CertificateBody=certificate())
    assert error_code(exc) == "AccessDenied"


def test_boto3_resource_api(api, acct, alice):
    import boto3

    creds = acct.root_creds
    iam = boto3.resource(
        "iam",
        endpoint_url=api.url,
        region_name="us-east-1",
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_access_key,
    )
    user = iam.User("alice")
    root_iam = api.iam(creds)
    cert_id = root_iam.upload_signing_certificate(UserName="alice", CertificateBody=certificate())[
        "Certificate"
    ]["CertificateId"]
    (cert,) = list(user.signing_certificates.all())
    assert cert.id == cert_id and cert.status == "Active"
    cert.deactivate()
    assert root_iam.list_signing_certificates(UserName="alice")["Certificates"][0]["Status"] == (
        "Inactive"
    )
    cert.delete()
    assert list(user.signing_certificates.all()) == []


def test_credential_report_shows_the_certificates(root_iam, acct, alice):
    acct.make_user("bob")
    first = root_iam.upload_signing_certificate(UserName="alice", CertificateBody=certificate())
    second = root_iam.upload_signing_certificate(UserName="alice", CertificateBody=certificate())
    root_iam.update_signing_certificate(
        UserName="alice", CertificateId=second["Certificate"]["CertificateId"], Status="Inactive"
    )
    root_iam.upload_signing_certificate(CertificateBody=certificate())  # root's
    root_iam.generate_credential_report()
    content = root_iam.get_credential_report()["Content"].decode()
    rows = {r["user"]: r for r in csv.DictReader(io.StringIO(content))}
    a = rows["alice"]
    uploaded = first["Certificate"]["UploadDate"].astimezone(datetime.UTC)
    assert a["cert_1_active"] == "true"
    assert a["cert_1_last_rotated"] == uploaded.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert a["cert_2_active"] == "false" and a["cert_2_last_rotated"] != "N/A"
    b = rows["bob"]
    assert [b[c] for c in ("cert_1_active", "cert_1_last_rotated", "cert_2_active")] == [
        "false",
        "N/A",
        "false",
    ]
    assert b["cert_2_last_rotated"] == "N/A"
    root = rows["<root_account>"]
    assert root["cert_1_active"] == "true" and root["cert_2_last_rotated"] == "N/A"


def test_delete_user_refuses_while_a_certificate_remains_then_succeeds(root_iam, alice):
    from accounts.models import IamUser

    IamUser.objects.get(name="alice").access_keys.all().delete()  # make_user's key
    cert_id = root_iam.upload_signing_certificate(UserName="alice", CertificateBody=certificate())[
        "Certificate"
    ]["CertificateId"]
    with pytest.raises(ClientError) as exc:
        root_iam.delete_user(UserName="alice")
    # AWS's text, as aws-nuke#671 and terraform-provider-aws#10322 quote it.
    assert error(exc) == (
        "DeleteConflict",
        "Cannot delete entity, must delete certificates first.",
        409,
    )
    root_iam.delete_signing_certificate(UserName="alice", CertificateId=cert_id)
    root_iam.delete_user(UserName="alice")
    assert not IamUser.objects.filter(name="alice").exists()
