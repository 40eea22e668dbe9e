"""SimulatePrincipalPolicy, SimulateCustomPolicy and GetContextKeysFor*Policy through
boto3 against a live server: AWS's result shape, decisions, matched statements with
their positions, missing context values, pagination and errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_A, allow, error_code

BUCKET = "arn:aws:s3:::reports"
READ = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{BUCKET}/*"}
    ],
}
NO_SECRETS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "NoSecrets",
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": f"{BUCKET}/secret/*",
        }
    ],
}
BOUNDARY = allow("s3:*")


@pytest.fixture
def sim_user(acct: Any) -> Any:
    """bea: group inline READ (multi-line), user inline NO_SECRETS, a managed policy
    allowing s3:PutObject and ec2:*, and an s3-only permissions boundary."""
    from accounts.operations.groups import add_user_to_group, create_group
    from accounts.operations.users import create_user
    from policies import operations as pops

    root = acct.root
    user = create_user(actor=root, name="bea", tags=[{"Key": "team", "Value": "data"}])
    create_group(actor=root, name="readers")
    add_user_to_group(actor=root, group_name="readers", user_name="bea")
    pops.put_group_policy(
        actor=root, group_name="readers", policy_name="read", document=json.dumps(READ, indent=2)
    )
    pops.put_user_policy(
        actor=root, user_name="bea", policy_name="no-secrets", document=json.dumps(NO_SECRETS)
    )
    managed = pops.create_policy(
        actor=root, name="writer", document=json.dumps(allow(["s3:PutObject", "ec2:*"]))
    )
    pops.attach_user_policy(actor=root, user_name="bea", policy_arn=managed.arn)
    boundary = pops.create_policy(actor=root, name="s3-only", document=json.dumps(BOUNDARY))
    pops.put_user_permissions_boundary(actor=root, user_name="bea", policy_arn=boundary.arn)
    return user


def by_action(results: list[dict]) -> dict[tuple[str, str], dict]:
    return {(r["EvalActionName"], r["EvalResourceName"]): r for r in results}


def test_principal_simulation_reports_allow_explicit_and_implicit_deny(root_iam, sim_user):
    out = root_iam.simulate_principal_policy(
        PolicySourceArn=sim_user.arn,
        ActionNames=["s3:GetObject", "ec2:RunInstances"],
        ResourceArns=[f"{BUCKET}/public.txt", f"{BUCKET}/secret/plans.txt"],
    )
    assert out["IsTruncated"] is False
    results = by_action(out["EvaluationResults"])
    assert len(results) == 4

    allowed = results[("s3:GetObject", f"{BUCKET}/public.txt")]
    assert allowed["EvalDecision"] == "allowed"
    # The group's policy allowed it; the statement sits on lines 4-9 of the indented text,
    # its braces at column 5: AWS reports one column past each brace (localstack's AWS
    # recording of SimulatePrincipalPolicy).
    group_stmt = {
        "SourcePolicyId": "read",
        "SourcePolicyType": "group",
        "StartPosition": {"Line": 4, "Column": 6},
        "EndPosition": {"Line": 9, "Column": 6},
    }
    assert group_stmt in allowed["MatchedStatements"]
    assert {"SourcePolicyId": "s3-only", "SourcePolicyType": "IAM Policy"} == {
        k: v for k, v in allowed["MatchedStatements"][-1].items() if k.startswith("Source")
    }
    assert allowed["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert allowed["EvalDecisionDetails"] == {}
    [specific] = allowed["ResourceSpecificResults"]
    assert specific["EvalResourceName"] == f"{BUCKET}/public.txt"
    assert specific["EvalResourceDecision"] == "allowed"

    denied = results[("s3:GetObject", f"{BUCKET}/secret/plans.txt")]
    assert denied["EvalDecision"] == "explicitDeny"
    text = json.dumps(NO_SECRETS)  # one line: one past the braces' 1-based columns
    assert denied["MatchedStatements"] == [
        {
            "SourcePolicyId": "no-secrets",
            "SourcePolicyType": "user",
            "StartPosition": {"Line": 1, "Column": text.index("[{") + 3},
            "EndPosition": {"Line": 1, "Column": text.rindex("}]") + 2},
        }
    ]

    # The managed policy allows ec2:*, but the boundary does not.
    ec2 = results[("ec2:RunInstances", f"{BUCKET}/public.txt")]
    assert ec2["EvalDecision"] == "implicitDeny"
    assert ec2["MatchedStatements"] == []
    assert ec2["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}


def test_resource_star_has_no_resource_specific_results(root_iam, sim_user):
    out = root_iam.simulate_principal_policy(
        PolicySourceArn=sim_user.arn, ActionNames=["s3:PutObject", "iam:CreateUser"]
    )
    put, create = out["EvaluationResults"]
    assert (put["EvalResourceName"], put["EvalDecision"]) == ("*", "allowed")
    assert put["MatchedStatements"][0]["SourcePolicyId"] == "writer"
    assert put["MatchedStatements"][0]["SourcePolicyType"] == "IAM Policy"  # AWS's value
    assert create["EvalDecision"] == "implicitDeny"
    for result in (put, create):
        assert "ResourceSpecificResults" not in result and "EvalDecisionDetails" not in result
        assert result["MissingContextValues"] == []


def test_policy_input_list_adds_and_boundary_input_replaces(root_iam, sim_user):
    out = root_iam.simulate_principal_policy(
        PolicySourceArn=sim_user.arn,
        PolicyInputList=[json.dumps(allow("sqs:SendMessage"))],
        PermissionsBoundaryPolicyInputList=[json.dumps(allow(["sqs:*", "ec2:*"]))],
        ActionNames=["sqs:SendMessage", "ec2:RunInstances", "s3:PutObject"],
    )
    results = {r["EvalActionName"]: r for r in out["EvaluationResults"]}
    sqs = results["sqs:SendMessage"]
    assert sqs["EvalDecision"] == "allowed"
    ids = [s["SourcePolicyId"] for s in sqs["MatchedStatements"]]
    assert ids == ["PolicyInputList.1", "PermissionsBoundaryPolicyInputList.1"]
    assert results["ec2:RunInstances"]["EvalDecision"] == "allowed"
    assert results["s3:PutObject"]["EvalDecision"] == "implicitDeny"  # outside the new boundary


def test_custom_policy_condition_on_source_ip_uses_context_entries(root_iam):
    policy = allow(
        "s3:ListBucket",
        BUCKET,
        Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    )

    def simulate(ip: str) -> dict:
        return root_iam.simulate_custom_policy(
            PolicyInputList=[json.dumps(policy)],
            ActionNames=["s3:ListBucket"],
            ResourceArns=[BUCKET],
            ContextEntries=[
                {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": [ip], "ContextKeyType": "ip"}
            ],
        )["EvaluationResults"][0]

    inside = simulate("203.0.113.7")
    assert inside["EvalDecision"] == "allowed"
    assert inside["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"
    assert inside["ResourceSpecificResults"][0]["MissingContextValues"] == []
    assert simulate("198.51.100.1")["EvalDecision"] == "implicitDeny"


def test_custom_policy_list_valued_key_with_for_any_value(root_iam):
    policy = allow(
        "ec2:CreateTags",
        Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["project", "owner"]}},
    )

    def decision(keys: list[str]) -> str:
        out = root_iam.simulate_custom_policy(
            PolicyInputList=[json.dumps(policy)],
            ActionNames=["ec2:CreateTags"],
            ContextEntries=[
                {
                    "ContextKeyName": "aws:TagKeys",
                    "ContextKeyValues": keys,
                    "ContextKeyType": "stringList",
                }
            ],
        )
        return out["EvaluationResults"][0]["EvalDecision"]

    assert decision(["cost-center", "owner"]) == "allowed"
    assert decision(["cost-center"]) == "implicitDeny"


def test_missing_context_values_name_the_keys_not_supplied(root_iam):
    policy = allow(
        "dynamodb:*",
        "arn:aws:dynamodb:us-east-1:*:table/${aws:username}",
        Condition={
            "DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
            "Bool": {"aws:MultiFactorAuthPresent": "true"},
        },
    )
    out = root_iam.simulate_custom_policy(
        PolicyInputList=[json.dumps(policy)],
        ActionNames=["dynamodb:GetItem", "s3:GetObject"],
        ContextEntries=[
            {
                "ContextKeyName": "aws:CurrentTime",
                "ContextKeyValues": ["2024-05-01T00:00:00Z"],
                "ContextKeyType": "date",
            }
        ],
    )
    dynamo, s3 = out["EvaluationResults"]
    assert dynamo["EvalDecision"] == "implicitDeny"
    # aws:username comes from the simulated user; aws:CurrentTime was given.
    assert dynamo["MissingContextValues"] == ["aws:MultiFactorAuthPresent"]
    assert s3["MissingContextValues"] == []  # no statement for s3 reads any key


def test_results_page_with_max_items_and_the_boto3_paginator(root_iam, sim_user):
    actions = [f"s3:{name}" for name in ("GetObject", "PutObject", "DeleteObject", "ListBucket")]
    first = root_iam.simulate_principal_policy(
        PolicySourceArn=sim_user.arn, ActionNames=actions, MaxItems=3
    )
    assert first["IsTruncated"] is True and len(first["EvaluationResults"]) == 3
    rest = root_iam.simulate_principal_policy(
        PolicySourceArn=sim_user.arn, ActionNames=actions, MaxItems=3, Marker=first["Marker"]
    )
    assert rest["IsTruncated"] is False
    assert [r["EvalActionName"] for r in rest["EvaluationResults"]] == ["s3:ListBucket"]

    paginator = root_iam.get_paginator("simulate_principal_policy")
    pages = list(
        paginator.paginate(
            PolicySourceArn=sim_user.arn,
            ActionNames=actions,
            ResourceArns=["*", f"{BUCKET}/a"],
            PaginationConfig={"PageSize": 3},
        )
    )
    assert len(pages) == 3
    names = [
        (r["EvalActionName"], r["EvalResourceName"]) for p in pages for r in p["EvaluationResults"]
    ]
    assert names == [(a, r) for a in actions for r in ("*", f"{BUCKET}/a")]


def test_simulation_needs_the_permission_on_the_source(api, acct, sim_user):
    _, creds = acct.make_user("viewer", policy=allow("iam:Get*"))
    viewer = api.iam(creds)
    with pytest.raises(ClientError) as exc:
        viewer.simulate_principal_policy(PolicySourceArn=sim_user.arn, ActionNames=["s3:*"])
    assert error_code(exc) == "AccessDenied"
    assert "iam:SimulatePrincipalPolicy" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        viewer.simulate_custom_policy(
            PolicyInputList=[json.dumps(allow())], ActionNames=["s3:GetObject"]
        )
    assert error_code(exc) == "AccessDenied"

    _, creds = acct.make_user("auditor", policy=allow("iam:SimulatePrincipalPolicy", sim_user.arn))
    out = api.iam(creds).simulate_principal_policy(
        PolicySourceArn=sim_user.arn, ActionNames=["s3:PutObject"]
    )
    assert out["EvaluationResults"][0]["EvalDecision"] == "allowed"


def test_simulation_errors_are_aws_codes(root_iam, sim_user, acct_b):
    cases = [
        ({"PolicySourceArn": "arn:aws:iam::12:user/bea"}, "InvalidInput"),
        ({"PolicySourceArn": f"arn:aws:iam::{ACCOUNT_A}:user/nobody"}, "NoSuchEntity"),
        ({"PolicySourceArn": f"arn:aws:iam::{acct_b.id}:root"}, "InvalidInput"),
        ({"PolicySourceArn": f"arn:aws:iam::{acct_b.id}:user/bea"}, "NoSuchEntity"),
        (
            {"PolicySourceArn": sim_user.arn, "PolicyInputList": ['{"Statement": 5}']},
            "PolicyEvaluation",
        ),
        ({"PolicySourceArn": sim_user.arn, "CallerArn": "arn:aws:sts::1:x"}, "InvalidInput"),
    ]
    for params, code in cases:
        with pytest.raises(ClientError) as exc:
            root_iam.simulate_principal_policy(ActionNames=["s3:GetObject"], **params)
        assert error_code(exc) == code, params
    with pytest.raises(ClientError) as exc:
        root_iam.simulate_custom_policy(PolicyInputList=["{nope"], ActionNames=["s3:GetObject"])
    assert error_code(exc) == "PolicyEvaluation"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_resource_policy_with_caller_arn_across_accounts(root_iam, sim_user):
    bucket_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": sim_user.arn},
                "Action": "s3:GetObject",
                "Resource": f"{BUCKET}/*",
            }
        ],
    }
    out = root_iam.simulate_custom_policy(
        PolicyInputList=[json.dumps(allow("s3:GetObject"))],
        ActionNames=["s3:GetObject"],
        ResourceArns=[f"{BUCKET}/x"],
        ResourcePolicy=json.dumps(bucket_policy),
        CallerArn=sim_user.arn,
        ResourceOwner="arn:aws:iam::999999999999:root",
    )
    result = out["EvaluationResults"][0]
    assert result["EvalDecision"] == "allowed"
    types = {s["SourcePolicyType"] for s in result["MatchedStatements"]}
    assert types == {"none", "resource"}
    assert result["EvalDecisionDetails"] == {"IAM Policy": "allowed", "Resource Policy": "allowed"}


def test_context_keys_for_principal_and_custom_policies(root_iam, acct, sim_user):
    from policies.operations import put_user_policy

    conditional = allow(
        "s3:GetObject",
        "arn:aws:s3:::home/${aws:username}/*",
        Condition={
            "StringEquals": {"s3:prefix": "${aws:PrincipalTag/team}"},
            "Bool": {"aws:SecureTransport": "true"},
        },
    )
    put_user_policy(
        actor=acct.root,
        user_name="bea",
        policy_name="home",
        document=json.dumps(conditional),
    )
    keys = root_iam.get_context_keys_for_principal_policy(PolicySourceArn=sim_user.arn)
    assert keys["ContextKeyNames"] == [
        "aws:username",
        "s3:prefix",
        "aws:PrincipalTag/team",
        "aws:SecureTransport",
    ]
    extra = allow("ec2:*", Condition={"StringEquals": {"ec2:ResourceTag/env": "dev"}})
    keys = root_iam.get_context_keys_for_principal_policy(
        PolicySourceArn=sim_user.arn, PolicyInputList=[json.dumps(extra)]
    )
    assert keys["ContextKeyNames"][-1] == "ec2:ResourceTag/env"

    custom = root_iam.get_context_keys_for_custom_policy(
        PolicyInputList=[
            json.dumps(allow("s3:*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})),
            json.dumps(allow("s3:*", Condition={"IpAddress": {"AWS:SOURCEIP": "10.0.0.0/8"}})),
            json.dumps(allow("s3:*", Condition={"NumericLessThan": {"s3:max-keys": "10"}})),
        ]
    )
    assert custom["ContextKeyNames"] == ["aws:SourceIp", "s3:max-keys"]
    with pytest.raises(ClientError) as exc:
        root_iam.get_context_keys_for_custom_policy(PolicyInputList=["[]"])
    assert error_code(exc) == "InvalidInput"


def test_aws_cli_simulates_a_principal_and_lists_its_context_keys(aws_cli, acct, sim_user):
    out = aws_cli(
        acct.root_creds,
        "iam",
        "simulate-principal-policy",
        "--policy-source-arn",
        sim_user.arn,
        "--action-names",
        "s3:GetObject",
        "s3:DeleteBucket",
    )
    decisions = [(r["EvalActionName"], r["EvalDecision"]) for r in out["EvaluationResults"]]
    assert decisions == [("s3:GetObject", "allowed"), ("s3:DeleteBucket", "implicitDeny")]
    keys = aws_cli(
        acct.root_creds,
        "iam",
        "get-context-keys-for-custom-policy",
        "--policy-input-list",
        json.dumps(allow("s3:*", Condition={"Bool": {"aws:SecureTransport": "true"}})),
    )
    assert keys == {"ContextKeyNames": ["aws:SecureTransport"]}
