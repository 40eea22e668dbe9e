"""SSH public keys (CodeCommit) through boto3 against the live server: AWS's shapes and
errors, both encodings, the fingerprint, the quota, paging, and DeleteUser's conflict.

Expected texts marked "recorded" are localstack's AWS recordings
(tests/aws/services/iam/test_iam_ssh_public_keys.snapshot.json)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.api.conftest import allow, error_code

pytestmark = pytest.mark.django_db(transaction=True)

MISSING = "APKAXXXXXXXXXXXXXXXXX"


def rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def openssh(key: Any, comment: str = "me@laptop") -> str:
    line = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return f"{line.decode()} {comment}"


def pem(key: Any) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def md5_fingerprint(key: Any) -> str:
    """``ssh-keygen -l -E md5``'s fingerprint: MD5 of the OpenSSH wire blob."""
    blob = base64.b64decode(openssh(key).split()[1])
    digest = hashlib.md5(blob).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 32, 2))


def error(exc: Any) -> tuple[str, str, int]:
    r = exc.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def alice(acct: Any) -> Any:
    user, _ = acct.make_user("alice")
    return user


def test_uploading_an_ssh_rsa_key_answers_awss_shape(root_iam, alice):
    key = rsa_key()
    body = openssh(key)
    out = root_iam.upload_ssh_public_key(UserName="alice", SSHPublicKeyBody=body)["SSHPublicKey"]
    assert set(out) == {
        "UserName",
        "SSHPublicKeyId",
        "Fingerprint",
        "SSHPublicKeyBody",
        "Status",
        "UploadDate",
    }
    assert out["UserName"] == "alice" and out["Status"] == "Active"
    assert out["SSHPublicKeyId"].startswith("APKA") and len(out["SSHPublicKeyId"]) == 20
    assert out["SSHPublicKeyBody"] == body
    assert out["Fingerprint"] == md5_fingerprint(key)
    got = root_iam.get_ssh_public_key(
        UserName="alice", SSHPublicKeyId=out["SSHPublicKeyId"], Encoding="SSH"
    )["SSHPublicKey"]
    assert got == out


def test_a_pem_key_is_accepted_and_get_answers_either_encoding(root_iam, alice):
    key = rsa_key(3072)
    out = root_iam.upload_ssh_public_key(UserName="alice", SSHPublicKeyBody=pem(key))[
        "SSHPublicKey"
    ]
    assert out["Fingerprint"] == md5_fingerprint(key)  # the key's, whatever its encoding
    key_id = out["SSHPublicKeyId"]
    as_ssh = root_iam.get_ssh_public_key(UserName="alice", SSHPublicKeyId=key_id, Encoding="SSH")
    assert as_ssh["SSHPublicKey"]["SSHPublicKeyBody"] == openssh(key).rsplit(" ", 1)[0]
    as_pem = root_iam.get_ssh_public_key(UserName="alice", SSHPublicKeyId=key_id, Encoding="PEM")
    loaded = serialization.load_pem_public_key(as_pem["SSHPublicKey"]["SSHPublicKeyBody"].encode())
    assert loaded.public_numbers() == key.public_key().public_numbers()
    with pytest.raises(ClientError) as exc:
        root_iam.get_ssh_public_key(UserName="alice", SSHPublicKeyId=key_id, Encoding="DER")
    assert error_code(exc) == "ValidationError"


def test_the_same_key_twice_for_a_user_is_a_duplicate_in_any_encoding(root_iam, acct, alice):
    key = rsa_key()
    root_iam.upload_ssh_public_key(UserName="alice", SSHPublicKeyBody=openssh(key))
    for body in (openssh(key, "other comment"), pem(key)):
        with pytest.raises(ClientError) as exc:
            root_iam.upload_ssh_public_key(UserName="alice", SSHPublicKeyBody=body)
        assert error(exc)[0::2] == ("DuplicateSSHPublicKey", 400)
    # Another user may upload the same public key.
    acct.make_user("bob")
    root_iam.upload_ssh_public_key(UserName="bob", SSHPublicKeyBody=openssh(key))


def test_malformed_short_and_unsupported_keys_are_refused(root_iam, alice):
    cases = {
        "ssh-rsa not-base64!": "InvalidPublicKey",
        "ssh-rsa " + base64.b64encode(b"garbage").decode(): "InvalidPublicKey",
        openssh(rsa_key(1024)): "InvalidPublicKey",  # "minimum bit-length … 2048 bits"
        pem(ec.generate_private_key(ec.SECP256R1())): "InvalidPublicKey",  # not RSA
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKzvfE+qS09w+okgrO0gY7jryF0lSCxdEO/O0UaUhuZe": (
            "UnrecognizedPublicKeyEncoding"
        ),
        "just some text": "UnrecognizedPublicKeyEncoding",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----": (
            "UnrecognizedPublicKeyEncoding"
        ),
    }
    for body, code in cases.items():
        with pytest.raises(ClientError) as exc:
            root_iam.upload_ssh_public_key(UserName="alice", SSHPublicKeyBody=body)
        assert error(exc)[0::2] == (code, 400), body
    assert root_iam.list_ssh_public_keys(UserName="alice")["SSHPublicKeys"] == []


def test_a_private_key_is_refused_and_never_kept_nor_echoed(root_iam, alice):
    from audit.models import AuditEvent

    private = (
        rsa_key()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    with pytest.raises(ClientError) as exc:
        root_iam.upload_ssh_public_key(UserName="alice", SSHPublicKeyBody=private)
    code, message, status = error(exc)
    assert (code, status) == ("InvalidPublicKey", 400) and "PRIVATE" not in message
    secret_line = private.splitlines()[1]
    for event in AuditEvent.objects.all():
        assert secret_line not in str(event.request) + event.error_message


def test_at_most_five_keys_per_user(root_iam, alice):
    for _ in range(5):
        root_iam.upload_ssh_public_key(UserName="alice", SSHPublicKeyBody=openssh(rsa_key()))
    with pytest.raises(ClientError) as exc:
        root_iam.upload_ssh_public_key(UserName="alice", SSHPublicKeyBody=openssh(rsa_key()))
    code, message, status = error(exc)
    assert (code, status) == ("LimitExceeded", 409) and message.endswith(": 5")


def test_update_list_and_delete_with_awss_not_found_texts(root_iam, alice):
    key_id = root_iam.upload_ssh_public_key(UserName="alice", SSHPublicKeyBody=openssh(rsa_key()))[
        "SSHPublicKey"
    ]["SSHPublicKeyId"]
    assert root_iam.update_ssh_public_key(
        UserName="alice", SSHPublicKeyId=key_id, Status="Inactive"
    )
    got = root_iam.get_ssh_public_key(UserName="alice", SSHPublicKeyId=key_id, Encoding="SSH")
    assert got["SSHPublicKey"]["Status"] == "Inactive"
    listed = root_iam.list_ssh_public_keys(UserName="alice")
    assert listed["IsTruncated"] is False
    (item,) = listed["SSHPublicKeys"]
    # SSHPublicKeyMetadata: no body, no fingerprint (recorded "list-with-key").
    assert set(item) == {"UserName", "SSHPublicKeyId", "Status", "UploadDate"}
    assert item["SSHPublicKeyId"] == key_id and item["Status"] == "Inactive"
    root_iam.delete_ssh_public_key(UserName="alice", SSHPublicKeyId=key_id)
    assert root_iam.list_ssh_public_keys(UserName="alice")["SSHPublicKeys"] == []

    expected = ("NoSuchEntity", f"The Public Key with id {MISSING} cannot be found.", 404)
    calls = [
        lambda: root_iam.get_ssh_public_key(
            UserName="alice", SSHPublicKeyId=MISSING, Encoding="SSH"
        ),
        lambda: root_iam.update_ssh_public_key(
            UserName="alice", SSHPublicKeyId=MISSING, Status="Inactive"
        ),
        lambda: root_iam.delete_ssh_public_key(UserName="alice", SSHPublicKeyId=MISSING),
    ]
    for call in calls:  # recorded: get-, update- and delete-not-found
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc) == expected
    with pytest.raises(ClientError) as exc:
        root_iam.list_ssh_public_keys(UserName="nobody")
    assert error(exc) == ("NoSuchEntity", "The user with name nobody cannot be found.", 404)


def test_a_key_of_another_user_is_not_found_under_this_one(root_iam, acct, alice):
    acct.make_user("bob")
    key_id = root_iam.upload_ssh_public_key(UserName="alice", SSHPublicKeyBody=openssh(rsa_key()))[
        "SSHPublicKey"
    ]["SSHPublicKeyId"]
    with pytest.raises(ClientError) as exc:
        root_iam.delete_ssh_public_key(UserName="bob", SSHPublicKeyId=key_id)
    assert error_code(exc) == "NoSuchEntity"


def test_listing_pages_with_marker(root_iam, alice):
    for _ in range(3):
        root_iam.upload_ssh_public_key(UserName="alice", SSHPublicKeyBody=openssh(rsa_key()))
    first = root_iam.list_ssh_public_keys(UserName="alice", MaxItems=2)
    assert first["IsTruncated"] is True and len(first["SSHPublicKeys"]) == 2
    rest = root_iam.list_ssh_public_keys(UserName="alice", Marker=first["Marker"])
    assert rest["IsTruncated"] is False and len(rest["SSHPublicKeys"]) == 1
    paginator = root_iam.get_paginator("list_ssh_public_keys")
    ids = [
        k["SSHPublicKeyId"]
        for page in paginator.paginate(UserName="alice", PaginationConfig={"PageSize": 1})
        for k in page["SSHPublicKeys"]
    ]
    assert len(ids) == 3 == len(set(ids))


def test_a_user_manages_their_own_keys_and_is_denied_anothers(api, acct):
    own = allow(
        ["iam:UploadSSHPublicKey", "iam:ListSSHPublicKeys", "iam:GetSSHPublicKey"],
        f"arn:aws:iam::{acct.id}:user/${{aws:username}}",
    )
    _, creds = acct.make_user("carol", policy=own)
    acct.make_user("dave")
    carol = api.iam(creds)
    key_id = carol.upload_ssh_public_key(UserName="carol", SSHPublicKeyBody=openssh(rsa_key()))[
        "SSHPublicKey"
    ]["SSHPublicKeyId"]
    # Without a UserName: the caller's own keys.
    assert [k["SSHPublicKeyId"] for k in carol.list_ssh_public_keys()["SSHPublicKeys"]] == [key_id]
    for call in (
        lambda: carol.upload_ssh_public_key(UserName="dave", SSHPublicKeyBody=openssh(rsa_key())),
        lambda: carol.list_ssh_public_keys(UserName="dave"),
        lambda: carol.list_ssh_public_keys(UserName="nobody"),  # no probing of names
        lambda: carol.delete_ssh_public_key(UserName="carol", SSHPublicKeyId=key_id),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_code(exc) == "AccessDenied"


def test_delete_user_refuses_while_a_key_remains_then_succeeds(root_iam, alice):
    key_id = root_iam.upload_ssh_public_key(UserName="alice", SSHPublicKeyBody=openssh(rsa_key()))[
        "SSHPublicKey"
    ]["SSHPublicKeyId"]
    from accounts.models import IamUser

    IamUser.objects.get(name="alice").access_keys.all().delete()  # make_user's key
    with pytest.raises(ClientError) as exc:
        root_iam.delete_user(UserName="alice")
    # AWS's text, as aws-nuke#522 and terraform-provider-aws#4176 quote it.
    assert error(exc) == (
        "DeleteConflict",
        "Cannot delete entity, must remove referenced objects first.",
        409,
    )
    root_iam.delete_ssh_public_key(UserName="alice", SSHPublicKeyId=key_id)
    root_iam.delete_user(UserName="alice")
    assert not IamUser.objects.filter(name="alice").exists()


def test_renaming_the_user_keeps_the_keys(root_iam, alice):
    key_id = root_iam.upload_ssh_public_key(UserName="alice", SSHPublicKeyBody=openssh(rsa_key()))[
        "SSHPublicKey"
    ]["SSHPublicKeyId"]
    root_iam.update_user(UserName="alice", NewUserName="alicia")
    (item,) = root_iam.list_ssh_public_keys(UserName="alicia")["SSHPublicKeys"]
    assert item["SSHPublicKeyId"] == key_id and item["UserName"] == "alicia"
