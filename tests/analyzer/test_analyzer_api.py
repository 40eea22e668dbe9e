"""Access Analyzer through boto3's ``accessanalyzer`` client on the live server."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_A, ACCOUNT_B, allow, error_code


@pytest.fixture
def aa(api, acct):
    return api.client("accessanalyzer", acct.root_creds)


def test_validate_policy_returns_aws_findings_with_locations(aa):
    text = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "", "Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}
            ],
        }
    )
    out = aa.validate_policy(policyDocument=text, policyType="IDENTITY_POLICY")
    codes = {f["issueCode"]: f for f in out["findings"]}
    assert set(codes) == {"INVALID_ACTION", "EMPTY_SID_VALUE"}
    invalid = codes["INVALID_ACTION"]
    assert invalid["findingType"] == "ERROR"
    assert invalid["findingDetails"] == "The action s3:GetObjekt does not exist."
    assert invalid["learnMoreLink"].endswith(
        "#access-analyzer-reference-policy-checks-error-invalid-action"
    )
    location = invalid["locations"][0]
    assert location["path"] == [{"value": "Statement"}, {"index": 0}, {"value": "Action"}]
    start, end = location["span"]["start"], location["span"]["end"]
    assert text[start["offset"] : end["offset"]] == '"s3:GetObjekt"'
    assert start["line"] == 1 and start["column"] == start["offset"]


def test_validate_trust_policy_as_assume_role_document(aa):
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_B}:root"},
                    "Action": "sts:AssumeRole",
                    "Resource": "*",
                }
            ],
        }
    )
    out = aa.validate_policy(
        policyDocument=trust,
        policyType="RESOURCE_POLICY",
        validatePolicyResourceType="AWS::IAM::AssumeRolePolicyDocument",
    )
    assert [f["issueCode"] for f in out["findings"]] == ["RESOURCE_NOT_ALLOWED"]
    plain = aa.validate_policy(policyDocument=trust, policyType="RESOURCE_POLICY")
    assert plain["findings"] == []


def test_validate_policy_bad_type_is_a_validation_exception(aa):
    with pytest.raises(ClientError) as exc:
        aa.validate_policy(policyDocument="{}", policyType="SESSION_POLICY")
    assert error_code(exc) == "ValidationException"


def test_custom_checks(aa):
    existing = json.dumps(allow("s3:Get*", "arn:aws:s3:::bucket/*"))
    narrower = json.dumps(allow("s3:GetObject", "arn:aws:s3:::bucket/*"))
    wider = json.dumps(allow("s3:*", "arn:aws:s3:::bucket/*"))
    ok = aa.check_no_new_access(
        newPolicyDocument=narrower, existingPolicyDocument=existing, policyType="IDENTITY_POLICY"
    )
    assert ok["result"] == "PASS"
    bad = aa.check_no_new_access(
        newPolicyDocument=wider, existingPolicyDocument=existing, policyType="IDENTITY_POLICY"
    )
    assert bad["result"] == "FAIL"
    assert (
        bad["message"]
        == "The modified permissions grant new access compared to your existing policy."
    )
    assert bad["reasons"] == [
        {"description": "New access in the statement with index: 0.", "statementIndex": 0}
    ]
    granted = aa.check_access_not_granted(
        policyDocument=wider, access=[{"actions": ["s3:PutObject"]}], policyType="IDENTITY_POLICY"
    )
    assert granted["result"] == "FAIL"
    assert granted["reasons"][0]["statementIndex"] == 0
    not_granted = aa.check_access_not_granted(
        policyDocument=existing,
        access=[{"actions": ["s3:PutObject"]}],
        policyType="IDENTITY_POLICY",
    )
    assert not_granted == {
        **not_granted,
        "result": "PASS",
        "message": "The policy document does not grant access to perform the listed actions or resources.",
    }


def _trust(principal, **extra):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}
            ],
        }
    )


def test_external_access_analyzer_archive_rules_and_tags(api, acct, aa):
    from accounts.operations.roles import create_role

    create_role(
        actor=acct.root,
        name="partner",
        trust_policy=_trust(
            {"AWS": f"arn:aws:iam::{ACCOUNT_B}:root"},
            Condition={"StringEquals": {"sts:ExternalId": "abc"}},
        ),
    )
    arn = aa.create_analyzer(analyzerName="external", type="ACCOUNT", tags={"env": "lab"})["arn"]
    assert arn == f"arn:aws:access-analyzer:us-east-1:{ACCOUNT_A}:analyzer/external"
    (listed,) = aa.list_analyzers()["analyzers"]
    assert listed["status"] == "ACTIVE" and listed["tags"] == {"env": "lab"}
    (summary,) = aa.list_findings_v2(analyzerArn=arn)["findings"]
    assert summary["findingType"] == "ExternalAccess"
    assert summary["resource"] == f"arn:aws:iam::{ACCOUNT_A}:role/partner"
    assert summary["resourceOwnerAccount"] == ACCOUNT_A
    detail = aa.get_finding_v2(analyzerArn=arn, id=summary["id"])["findingDetails"]
    assert detail == [
        {
            "externalAccessDetails": {
                "action": ["sts:AssumeRole"],
                "condition": {"sts:ExternalId": "abc"},
                "isPublic": False,
                "principal": {"AWS": f"arn:aws:iam::{ACCOUNT_B}:root"},
                "sources": [{"type": "POLICY"}],
            }
        }
    ]
    v1 = aa.get_finding(analyzerArn=arn, id=summary["id"])["finding"]
    assert v1["principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_B}:root"} and v1["status"] == "ACTIVE"
    assert [f["id"] for f in aa.list_findings(analyzerArn=arn)["findings"]] == [summary["id"]]

    aa.create_archive_rule(
        analyzerName="external",
        ruleName="partner",
        filter={"principal.AWS": {"contains": [ACCOUNT_B]}},
    )
    rule = aa.get_archive_rule(analyzerName="external", ruleName="partner")["archiveRule"]
    assert rule["filter"] == {"principal.AWS": {"contains": [ACCOUNT_B]}}
    assert isinstance(rule["createdAt"], datetime)
    aa.apply_archive_rule(analyzerArn=arn, ruleName="partner")
    assert aa.list_findings_v2(analyzerArn=arn)["findings"][0]["status"] == "ARCHIVED"
    aa.update_findings(analyzerArn=arn, resourceArn=summary["resource"], status="ACTIVE")
    assert aa.list_findings_v2(analyzerArn=arn)["findings"][0]["status"] == "ACTIVE"
    aa.update_archive_rule(
        analyzerName="external", ruleName="partner", filter={"isPublic": {"eq": ["true"]}}
    )
    assert [
        r["ruleName"] for r in aa.list_archive_rules(analyzerName="external")["archiveRules"]
    ] == ["partner"]
    aa.delete_archive_rule(analyzerName="external", ruleName="partner")

    aa.tag_resource(resourceArn=arn, tags={"owner": "sec"})
    aa.untag_resource(resourceArn=arn, tagKeys=["env"])
    assert aa.list_tags_for_resource(resourceArn=arn)["tags"] == {"owner": "sec"}
    aa.delete_analyzer(analyzerName="external")
    with pytest.raises(ClientError) as exc:
        aa.get_analyzer(analyzerName="external")
    assert error_code(exc) == "ResourceNotFoundException"
    assert exc.value.response["Error"]["Message"] == "Analyzer external not found."


def test_errors_carry_aws_shapes(api, acct, aa):
    aa.create_analyzer(analyzerName="one", type="ACCOUNT")
    with pytest.raises(ClientError) as exc:
        aa.create_analyzer(analyzerName="one", type="ACCOUNT")
    assert error_code(exc) == "ConflictException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    with pytest.raises(ClientError) as exc:
        aa.create_analyzer(analyzerName="org", type="ORGANIZATION")
    assert error_code(exc) == "ValidationException"
    with pytest.raises(ClientError) as exc:
        aa.create_analyzer(
            analyzerName="u",
            type="ACCOUNT_UNUSED_ACCESS",
            configuration={"unusedAccess": {"unusedAccessAge": 0}},
        )
    assert error_code(exc) == "ValidationException"
    assert exc.value.response["reason"] == "fieldValidationFailed"


def test_user_without_permissions_gets_access_denied_exception(api, acct):
    _user, creds = acct.make_user("nobody")
    aa = api.client("accessanalyzer", creds)
    with pytest.raises(ClientError) as exc:
        aa.list_analyzers()
    assert error_code(exc) == "AccessDeniedException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_cli_validate_policy_and_analyzers(aws_cli, acct, tmp_path):
    path = tmp_path / "p.json"
    path.write_text(
        json.dumps({"Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]})
    )
    creds = acct.root_creds
    out = aws_cli(
        creds,
        "accessanalyzer",
        "validate-policy",
        "--policy-type",
        "IDENTITY_POLICY",
        "--policy-document",
        f"file://{path}",
    )
    assert {f["issueCode"] for f in out["findings"]} == {
        "MISSING_VERSION",
        "PASS_ROLE_WITH_STAR_IN_RESOURCE",
    }
    created = aws_cli(
        creds,
        "accessanalyzer",
        "create-analyzer",
        "--analyzer-name",
        "cli",
        "--type",
        "ACCOUNT_UNUSED_ACCESS",
    )
    assert created["arn"].endswith(":analyzer/cli")
    listed = aws_cli(creds, "accessanalyzer", "list-analyzers")
    assert [a["name"] for a in listed["analyzers"]] == ["cli"]
    check = aws_cli(
        creds,
        "accessanalyzer",
        "check-access-not-granted",
        "--policy-type",
        "IDENTITY_POLICY",
        "--policy-document",
        f"file://{path}",
        "--access",
        "actions=iam:PassRole",
    )
    assert check["result"] == "FAIL"
