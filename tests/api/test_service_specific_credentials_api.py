"""Service-specific credentials through boto3 against the live server: AWS's shapes and
errors, the password shown once (hashed at rest, never audited), reset, the quota per
service, API keys (Bedrock), condition keys and DeleteUser's conflict.

Expected texts marked "recorded" are localstack's AWS recordings
(tests/aws/services/iam/test_iam.snapshot.json, TestIAMServiceSpecificCredentials)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import allow, error_code

pytestmark = pytest.mark.django_db(transaction=True)

CODECOMMIT = "codecommit.amazonaws.com"
KEYSPACES = "cassandra.amazonaws.com"


def error(exc: Any) -> tuple[str, str, int]:
    r = exc.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def alice(acct: Any) -> Any:
    user, _ = acct.make_user("alice")
    return user


@pytest.mark.parametrize("service", [CODECOMMIT, KEYSPACES])
def test_create_answers_awss_shape(root_iam, acct, alice, service):
    out = root_iam.create_service_specific_credential(UserName="alice", ServiceName=service)[
        "ServiceSpecificCredential"
    ]
    assert set(out) == {  # recorded: create-service-specific-credential-response
        "CreateDate",
        "ServiceName",
        "ServicePassword",
        "ServiceSpecificCredentialId",
        "ServiceUserName",
        "Status",
        "UserName",
    }
    assert out["ServiceName"] == service and out["Status"] == "Active"
    assert out["ServiceUserName"] == f"alice-at-{acct.id}" and out["UserName"] == "alice"
    assert out["ServiceSpecificCredentialId"].startswith("ACCA")
    assert len(out["ServiceSpecificCredentialId"]) == 21
    assert len(out["ServicePassword"]) >= 40
    listed = root_iam.list_service_specific_credentials(UserName="alice", ServiceName=service)
    assert listed["IsTruncated"] is False
    (item,) = listed["ServiceSpecificCredentials"]
    # The metadata: no password (recorded: list-…-before-update).
    assert item == {k: v for k, v in out.items() if k != "ServicePassword"}


def test_update_reset_and_delete(root_iam, alice):
    created = root_iam.create_service_specific_credential(UserName="alice", ServiceName=CODECOMMIT)[
        "ServiceSpecificCredential"
    ]
    cred_id = created["ServiceSpecificCredentialId"]
    root_iam.update_service_specific_credential(
        UserName="alice", ServiceSpecificCredentialId=cred_id, Status="Inactive"
    )
    (item,) = root_iam.list_service_specific_credentials(UserName="alice")[
        "ServiceSpecificCredentials"
    ]
    assert item["Status"] == "Inactive"
    reset = root_iam.reset_service_specific_credential(
        UserName="alice", ServiceSpecificCredentialId=cred_id
    )["ServiceSpecificCredential"]
    # A new password; the status is kept (recorded: reset-… "Status": "Inactive").
    assert reset["ServicePassword"] != created["ServicePassword"]
    assert reset["Status"] == "Inactive" and reset["ServiceSpecificCredentialId"] == cred_id
    root_iam.delete_service_specific_credential(
        UserName="alice", ServiceSpecificCredentialId=cred_id
    )
    assert (
        root_iam.list_service_specific_credentials(UserName="alice")["ServiceSpecificCredentials"]
        == []
    )


def test_the_password_is_hashed_at_rest_and_never_audited(root_iam, alice):
    from django.contrib.auth.hashers import check_password

    from accounts.models import ServiceSpecificCredential
    from audit.models import AuditEvent

    out = root_iam.create_service_specific_credential(UserName="alice", ServiceName=CODECOMMIT)[
        "ServiceSpecificCredential"
    ]
    reset = root_iam.reset_service_specific_credential(
        UserName="alice", ServiceSpecificCredentialId=out["ServiceSpecificCredentialId"]
    )["ServiceSpecificCredential"]
    stored = ServiceSpecificCredential.objects.get()
    assert stored.secret_hash.startswith("argon2")
    assert check_password(reset["ServicePassword"], stored.secret_hash)
    assert not check_password(out["ServicePassword"], stored.secret_hash)  # the old one stopped
    for event in AuditEvent.objects.all():
        text = str(event.request) + event.error_message
        assert out["ServicePassword"] not in text and reset["ServicePassword"] not in text


def test_unsupported_services_are_no_such_entity(root_iam, alice):
    for service in ("nonexistentservice.amazonaws.com", "o3on3n3onosneo", "lambda.amazonaws.com"):
        with pytest.raises(ClientError) as exc:
            root_iam.create_service_specific_credential(UserName="alice", ServiceName=service)
        assert error(exc) == (  # recorded: invalid-service-…-exception
            "NoSuchEntity",
            f"No such service {service} is supported for Service Specific Credentials",
            404,
        )
    with pytest.raises(ClientError) as exc:
        root_iam.list_service_specific_credentials(
            UserName="alice", ServiceName="nonexistentservice.amazonaws.com"
        )
    assert error_code(exc) == "NoSuchEntity"  # recorded: …-invalid-service
    # The user is looked up first (recorded: invalid-user-and-service-exception).
    with pytest.raises(ClientError) as exc:
        root_iam.create_service_specific_credential(
            UserName="non-existent-user", ServiceName="nonexistentservice.amazonaws.com"
        )
    assert error(exc) == (
        "NoSuchEntity",
        "The user with name non-existent-user cannot be found.",
        404,
    )


def test_listing_another_service_is_empty(root_iam, alice):
    root_iam.create_service_specific_credential(UserName="alice", ServiceName=CODECOMMIT)
    other = root_iam.list_service_specific_credentials(UserName="alice", ServiceName=KEYSPACES)
    assert other["ServiceSpecificCredentials"] == [] and other["IsTruncated"] is False


def test_wrong_ids_and_wrong_users(root_iam, alice):
    cred_id = root_iam.create_service_specific_credential(UserName="alice", ServiceName=CODECOMMIT)[
        "ServiceSpecificCredential"
    ]["ServiceSpecificCredentialId"]
    calls = {
        "update": lambda user, cid: root_iam.update_service_specific_credential(
            UserName=user, ServiceSpecificCredentialId=cid, Status="Inactive"
        ),
        "reset": lambda user, cid: root_iam.reset_service_specific_credential(
            UserName=user, ServiceSpecificCredentialId=cid
        ),
        "delete": lambda user, cid: root_iam.delete_service_specific_credential(
            UserName=user, ServiceSpecificCredentialId=cid
        ),
    }
    for name, call in calls.items():
        with pytest.raises(ClientError) as exc:
            call("alice", "satisfiesregexbutstillinvalid")
        assert error(exc) == (  # recorded: {name}-wrong-id
            "NoSuchEntity",
            "No such credential satisfiesregexbutstillinvalid exists",
            404,
        ), name
        with pytest.raises(ClientError) as exc:
            call("alice", "totally-wrong-credential-id-with-hyphens")
        assert error(exc) == (  # recorded: {name}-wrong-id (the hyphenated id)
            "ValidationError",
            "1 validation error detected: Value at 'serviceSpecificCredentialId' failed to "
            r"satisfy constraint: Member must satisfy regular expression pattern: [\w]+",
            400,
        ), name
        with pytest.raises(ClientError) as exc:
            call("wrong-user-name", cred_id)
        assert error(exc) == (  # recorded: {name}-wrong-user-name
            "NoSuchEntity",
            "The user with name wrong-user-name cannot be found.",
            404,
        ), name
    with pytest.raises(ClientError) as exc:
        root_iam.update_service_specific_credential(
            ServiceSpecificCredentialId=cred_id, Status="Invalid"
        )
    assert error(exc) == (  # recorded: update-invalid-status
        "ValidationError",
        "1 validation error detected: Value at 'status' failed to satisfy constraint: Member "
        "must satisfy enum value set",
        400,
    )


def test_at_most_two_per_service_and_user(root_iam, acct, alice):
    for _ in range(2):
        root_iam.create_service_specific_credential(UserName="alice", ServiceName=CODECOMMIT)
    with pytest.raises(ClientError) as exc:
        root_iam.create_service_specific_credential(UserName="alice", ServiceName=CODECOMMIT)
    code, message, status = error(exc)
    assert (code, status) == ("LimitExceeded", 409) and message.endswith(": 2")
    # Another service, another user: their own two.
    root_iam.create_service_specific_credential(UserName="alice", ServiceName=KEYSPACES)
    acct.make_user("bob")
    root_iam.create_service_specific_credential(UserName="bob", ServiceName=CODECOMMIT)


def test_a_bedrock_api_key_has_an_alias_a_secret_and_may_expire(root_iam, alice):
    out = root_iam.create_service_specific_credential(
        UserName="alice", ServiceName="bedrock.amazonaws.com", CredentialAgeDays=30
    )["ServiceSpecificCredential"]
    assert "ServiceCredentialSecret" in out and "ServicePassword" not in out
    assert out["ServiceCredentialAlias"].startswith("alice")
    assert "ServiceUserName" not in out
    days = (out["ExpirationDate"] - out["CreateDate"]).days
    assert days == 30
    (item,) = root_iam.list_service_specific_credentials(UserName="alice")[
        "ServiceSpecificCredentials"
    ]
    assert "ServiceCredentialSecret" not in item and item["ExpirationDate"] == out["ExpirationDate"]
    # CredentialAgeDays is for API keys only.
    with pytest.raises(ClientError) as exc:
        root_iam.create_service_specific_credential(
            UserName="alice", ServiceName=CODECOMMIT, CredentialAgeDays=30
        )
    assert error(exc)[0::2] == ("InvalidInput", 400)


def test_an_expired_api_key_lists_as_expired(root_iam, alice):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import ServiceSpecificCredential

    root_iam.create_service_specific_credential(
        UserName="alice", ServiceName="logs.amazonaws.com", CredentialAgeDays=1
    )
    ServiceSpecificCredential.objects.update(expires=timezone.now() - timedelta(seconds=1))
    (item,) = root_iam.list_service_specific_credentials(UserName="alice")[
        "ServiceSpecificCredentials"
    ]
    assert item["Status"] == "Expired"


def test_the_service_name_condition_key_is_evaluated(api, acct):
    policy = allow(
        "iam:CreateServiceSpecificCredential",
        f"arn:aws:iam::{acct.id}:user/${{aws:username}}",
        Condition={"StringEquals": {"iam:ServiceSpecificCredentialServiceName": CODECOMMIT}},
    )
    _, creds = acct.make_user("carol", policy=policy)
    carol = api.iam(creds)
    carol.create_service_specific_credential(UserName="carol", ServiceName=CODECOMMIT)
    with pytest.raises(ClientError) as exc:
        carol.create_service_specific_credential(UserName="carol", ServiceName=KEYSPACES)
    assert error_code(exc) == "AccessDenied"


def test_a_user_lists_their_own_and_all_users_lists_the_accounts(api, acct, root_iam):
    own = allow(
        ["iam:ListServiceSpecificCredentials", "iam:CreateServiceSpecificCredential"],
        f"arn:aws:iam::{acct.id}:user/${{aws:username}}",
    )
    _, creds = acct.make_user("carol", policy=own)
    acct.make_user("dave")
    carol = api.iam(creds)
    carol.create_service_specific_credential(UserName="carol", ServiceName=CODECOMMIT)
    root_iam.create_service_specific_credential(UserName="dave", ServiceName=CODECOMMIT)
    (mine,) = carol.list_service_specific_credentials()["ServiceSpecificCredentials"]
    assert mine["UserName"] == "carol"
    with pytest.raises(ClientError) as exc:
        carol.list_service_specific_credentials(AllUsers=True)
    assert error_code(exc) == "AccessDenied"
    everyone = root_iam.list_service_specific_credentials(AllUsers=True, ServiceName=CODECOMMIT)
    assert sorted(c["UserName"] for c in everyone["ServiceSpecificCredentials"]) == [
        "carol",
        "dave",
    ]


def test_delete_user_refuses_while_a_credential_remains_then_succeeds(root_iam, alice):
    from accounts.models import IamUser

    IamUser.objects.get(name="alice").access_keys.all().delete()  # make_user's key
    cred_id = root_iam.create_service_specific_credential(UserName="alice", ServiceName=CODECOMMIT)[
        "ServiceSpecificCredential"
    ]["ServiceSpecificCredentialId"]
    with pytest.raises(ClientError) as exc:
        root_iam.delete_user(UserName="alice")
    assert error(exc) == (  # recorded: delete-user-existing-credential
        "DeleteConflict",
        "Cannot delete entity, must remove referenced objects first.",
        409,
    )
    root_iam.delete_service_specific_credential(
        UserName="alice", ServiceSpecificCredentialId=cred_id
    )
    root_iam.delete_user(UserName="alice")
    assert not IamUser.objects.filter(name="alice").exists()


def test_the_responses_carrying_a_password_are_not_cached(api, acct, alice):
    iam = api.iam(acct.root_creds)
    seen: list[str] = []
    iam.meta.events.register(
        "after-call.iam.CreateServiceSpecificCredential",
        lambda http_response, **_: seen.append(http_response.headers.get("Cache-Control", "")),
    )
    iam.create_service_specific_credential(UserName="alice", ServiceName=CODECOMMIT)
    assert seen == ["no-store"]
