"""The JSON protocols (Organizations' JSON 1.1, Access Analyzer's REST-JSON) on the live
server, through boto3: routing, input checks, output and error shapes, SigV4.

The handlers here are stand-ins registered for one test (the live server runs in this
process), so these tests pin the protocol layer alone; the services' own tests drive
their real handlers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from accounts.errors import IamError
from api.handlers import HANDLERS
from tests.api.conftest import Creds, error_code


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Stand-in handlers that record what they were given."""
    calls: dict[str, Any] = {}

    def describe_organization(actor: Any, params: dict[str, Any]) -> dict[str, Any]:
        calls["DescribeOrganization"] = (actor, params)
        return {
            "Organization": {
                "Id": "o-abcdefghij",
                "Arn": f"arn:aws:organizations::{actor.account_id}:organization/o-abcdefghij",
                "FeatureSet": "ALL",
                "MasterAccountId": actor.account_id,
            }
        }

    def describe_account(actor: Any, params: dict[str, Any]) -> dict[str, Any]:
        calls["DescribeAccount"] = params
        return {
            "Account": {
                "Id": params["AccountId"],
                "JoinedTimestamp": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            }
        }

    class PolicyInUse(IamError):
        code, status = "ConstraintViolationException", 400

    def delete_policy(actor: Any, params: dict[str, Any]) -> None:
        error = PolicyInUse("You cannot remove the last policy.")
        error.fields = {"Reason": "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"}
        raise error

    def get_archive_rule(actor: Any, params: dict[str, Any]) -> dict[str, Any]:
        calls["GetArchiveRule"] = params
        stamp = datetime(2026, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
        return {
            "archiveRule": {
                "ruleName": params["ruleName"],
                "filter": {"isPublic": {"eq": ["false"]}},
                "createdAt": stamp,
                "updatedAt": stamp,
            }
        }

    def list_analyzers(actor: Any, params: dict[str, Any]) -> dict[str, Any]:
        calls["ListAnalyzers"] = params
        return {"analyzers": []}

    def tag_resource(actor: Any, params: dict[str, Any]) -> None:
        calls["TagResource"] = params

    org = {
        "DescribeOrganization": describe_organization,
        "DescribeAccount": describe_account,
        "DeletePolicy": delete_policy,
    }
    analyzer = {
        "GetArchiveRule": get_archive_rule,
        "ListAnalyzers": list_analyzers,
        "TagResource": tag_resource,
    }
    monkeypatch.setitem(HANDLERS, "organizations", {**HANDLERS["organizations"], **org})
    monkeypatch.setitem(HANDLERS, "access-analyzer", {**HANDLERS["access-analyzer"], **analyzer})
    return calls


def test_organizations_json_operation_input_and_output(api: Any, acct: Any, seen: Any) -> None:
    client = api.client("organizations", acct.root_creds)
    org = client.describe_organization()["Organization"]
    assert org["Id"] == "o-abcdefghij" and org["MasterAccountId"] == acct.id
    actor, _ = seen["DescribeOrganization"]
    assert actor.kind == "root" and actor.account_id == acct.id

    account = client.describe_account(AccountId="123456789012")["Account"]
    assert seen["DescribeAccount"] == {"AccountId": "123456789012"}
    assert account["JoinedTimestamp"] == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_organizations_errors_carry_code_message_and_reason(api: Any, acct: Any, seen: Any) -> None:
    client = api.client("organizations", acct.root_creds)
    with pytest.raises(ClientError) as exc:
        client.delete_policy(PolicyId="p-FullAWSAccess")
    assert error_code(exc) == "ConstraintViolationException"
    assert exc.value.response["Error"]["Message"] == "You cannot remove the last policy."
    assert exc.value.response["Reason"] == "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"
    # boto3 raises the modeled exception class
    assert isinstance(exc.value, client.exceptions.ConstraintViolationException)

    with pytest.raises(ClientError) as exc:  # the model's pattern: ^\d{12}$
        client.describe_account(AccountId="12345")
    assert error_code(exc) == "InvalidInputException"
    assert exc.value.response["Reason"] == "INVALID_PATTERN"
    assert "DescribeAccount" not in seen


def test_organizations_unimplemented_operation_is_refused(api: Any, acct: Any, seen: Any) -> None:
    client = api.client("organizations", acct.root_creds)
    name = "EnableAWSServiceAccess"
    if name in HANDLERS["organizations"] and HANDLERS["organizations"][name]:
        pytest.skip("implemented now")
    with pytest.raises(ClientError) as exc:
        client.enable_aws_service_access(ServicePrincipal="example.amazonaws.com")
    assert error_code(exc) == "UnknownOperationException"


def test_rest_json_routes_by_method_and_path(api: Any, acct: Any, seen: Any) -> None:
    client = api.client("accessanalyzer", acct.root_creds)
    rule = client.get_archive_rule(analyzerName="my-analyzer", ruleName="public-ok")["archiveRule"]
    assert seen["GetArchiveRule"] == {"analyzerName": "my-analyzer", "ruleName": "public-ok"}
    assert rule["createdAt"] == datetime(2026, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
    assert rule["filter"] == {"isPublic": {"eq": ["false"]}}

    client.list_analyzers(type="ACCOUNT", maxResults=5)
    assert seen["ListAnalyzers"] == {"type": "ACCOUNT", "maxResults": 5}

    arn = f"arn:aws:access-analyzer:us-east-1:{acct.id}:analyzer/my-analyzer"
    client.tag_resource(resourceArn=arn, tags={"team": "blue"})
    assert seen["TagResource"] == {"resourceArn": arn, "tags": {"team": "blue"}}


def test_rest_json_validation_exception_names_the_field(api: Any, acct: Any, seen: Any) -> None:
    client = api.client("accessanalyzer", acct.root_creds)
    with pytest.raises(ClientError) as exc:  # botocore does not check enums; we do
        client.list_analyzers(type="NOT_A_TYPE")
    assert error_code(exc) == "ValidationException"
    body = exc.value.response
    assert body["reason"] == "fieldValidationFailed"
    assert body["fieldList"][0]["name"] == "type"
    assert "ListAnalyzers" not in seen


def test_json_services_answer_sigv4_failures_with_their_codes(
    api: Any, acct: Any, seen: Any
) -> None:
    wrong = Creds(acct.root_creds.access_key_id, "x" * 40)
    with pytest.raises(ClientError) as exc:
        api.client("organizations", wrong).describe_organization()
    assert error_code(exc) == "InvalidSignatureException"

    unknown = Creds("AKIAAAAAAAAAAAAAAAAA", "x" * 40)
    with pytest.raises(ClientError) as exc:
        api.client("accessanalyzer", unknown).list_analyzers()
    assert error_code(exc) == "UnrecognizedClientException"
    assert "ListAnalyzers" not in seen


def test_unsigned_requests_on_rest_paths_reach_the_console(client: Any) -> None:
    # Without a SigV4 header, /analyzer is a console path (sign-in redirect), not the API.
    response = client.get("/analyzer")
    assert response.status_code in (301, 302, 404)
    assert response.get("Content-Type", "").startswith("text/html") or response.status_code != 200
