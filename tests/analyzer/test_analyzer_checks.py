"""The pure parts: ValidatePolicy's mapping to AWS's findings, the custom policy checks,
generated policies. No database."""

from __future__ import annotations

import json

import pytest

from analyzer.checks import (
    CheckError,
    check_access_not_granted,
    check_no_new_access,
    check_no_public_access,
)
from analyzer.generation import generated_policies
from analyzer.validation import validate_policy


def doc(*statements, version=True) -> str:
    body = {"Statement": list(statements)}
    if version:
        body = {"Version": "2012-10-17", **body}
    return json.dumps(body, indent=4)


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


# -- ValidatePolicy ----------------------------------------------------------------------


def test_aws_example_empty_sid_span_matches_the_documented_columns():
    # AWS's documented validate-policy example: the empty Sid "" of line 5 spans
    # columns 19-21 (0-based), offsets 79-81.
    text = (
        '{\n    "Version": "2012-10-17",\n    "Statement": [\n        {\n'
        '            "Sid": "",\n            "Effect": "Allow",\n'
        '            "Principal": {"Federated": "cognito-identity.amazonaws.com"},\n'
        '            "Action": "sts:AssumeRoleWithWebIdentity"\n        }\n    ]\n}'
    )
    findings = validate_policy(text, "RESOURCE_POLICY")
    sid = next(f for f in findings if f["issueCode"] == "EMPTY_SID_VALUE")
    assert sid["findingType"] == "SUGGESTION"
    assert sid["findingDetails"] == "Add a value to the empty string in the Sid element."
    assert sid["locations"] == [
        {
            "path": [{"value": "Statement"}, {"index": 0}, {"value": "Sid"}],
            "span": {
                "start": {"line": 5, "column": 19, "offset": 79},
                "end": {"line": 5, "column": 21, "offset": 81},
            },
        }
    ]


@pytest.mark.parametrize(
    ("text", "policy_type", "code", "kind", "details"),
    [
        (
            doc(allow("iam:PassRole")),
            "IDENTITY_POLICY",
            "PASS_ROLE_WITH_STAR_IN_RESOURCE",
            "SECURITY_WARNING",
            None,
        ),
        (
            doc(allow("iam:*")),
            "IDENTITY_POLICY",
            "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE",
            "SECURITY_WARNING",
            None,
        ),
        (
            doc(allow("s3:GetObject"), version=False),
            "IDENTITY_POLICY",
            "MISSING_VERSION",
            "WARNING",
            "We recommend that you specify the Version element to help you with debugging permission issues.",
        ),
        (
            doc({"Effect": "Allow", "Resource": "*"}),
            "IDENTITY_POLICY",
            "MISSING_ACTION",
            "ERROR",
            "Add an Action or NotAction element to the policy statement.",
        ),
        (
            doc({"Effect": "Allow", "Action": "s3:GetObject"}),
            "IDENTITY_POLICY",
            "MISSING_RESOURCE",
            "ERROR",
            "Add a Resource or NotResource element to the policy statement.",
        ),
        (
            doc({"Effect": "Alow", "Action": "s3:GetObject", "Resource": "*"}),
            "IDENTITY_POLICY",
            "INVALID_EFFECT",
            "ERROR",
            "The effect Alow is not valid. Use Allow or Deny.",
        ),
        (
            doc(allow("nosuch:Thing")),
            "IDENTITY_POLICY",
            "INVALID_SERVICE_IN_ACTION",
            "ERROR",
            "The service nosuch:Thing specified in the action does not exist.",
        ),
        (
            doc(allow("s3:GetObject", Principal="*")),
            "SERVICE_CONTROL_POLICY",
            "SCP_SYNTAX_ERROR_PRINCIPAL",
            "ERROR",
            None,
        ),
        (
            doc(allow("s3:GetObject", Principal="*")),
            "IDENTITY_POLICY",
            "UNSUPPORTED_PRINCIPAL",
            "ERROR",
            "The policy type IDENTITY_POLICY does not support the Principal element. Remove the Principal element.",
        ),
        (
            doc(allow("s3:GetObject")),
            "RESOURCE_POLICY",
            "MISSING_PRINCIPAL",
            "ERROR",
            "Add a Principal element to the policy statement.",
        ),
        (
            doc(allow(["s3:*", "s3:GetObject"])),
            "IDENTITY_POLICY",
            "REDUNDANT_ACTION",
            "SUGGESTION",
            None,
        ),
        (
            doc(allow("s3:GetObject", "bucket")),
            "IDENTITY_POLICY",
            "INVALID_ARN_PREFIX",
            "ERROR",
            "Add the required prefix (arn) to the resource ARN.",
        ),
        (
            doc(allow("s3:GetObject", Condition={})),
            "IDENTITY_POLICY",
            "EMPTY_OBJECT_CONDITION",
            "SUGGESTION",
            None,
        ),
        (
            doc(
                allow(
                    "s3:GetObject", Condition={"ForAllValues:StringEquals": {"aws:username": ["a"]}}
                )
            ),
            "IDENTITY_POLICY",
            "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
            "SECURITY_WARNING",
            None,
        ),
        (
            doc({"Sid": "a", **allow("s3:GetObject")}, {"Sid": "a", **allow("s3:PutObject")}),
            "IDENTITY_POLICY",
            "UNIQUE_SIDS_REQUIRED",
            "ERROR",
            None,
        ),
    ],
)
def test_engine_findings_map_to_aws_checks(text, policy_type, code, kind, details):
    findings = validate_policy(text, policy_type)
    hit = [f for f in findings if f["issueCode"] == code]
    assert hit, findings
    assert hit[0]["findingType"] == kind
    slug = {"SECURITY_WARNING": "security-warning", "WARNING": "general-warning"}.get(
        kind, kind.lower()
    )
    assert hit[0]["learnMoreLink"].endswith(f"-{slug}-{code.lower().replace('_', '-')}")
    if details:
        assert hit[0]["findingDetails"] == details


def test_valid_policy_has_no_findings_and_public_access_is_not_a_validation_finding():
    assert validate_policy(doc(allow("s3:GetObject", "arn:aws:s3:::b/*")), "IDENTITY_POLICY") == []
    public = doc(allow("s3:GetObject", "arn:aws:s3:::b/*", Principal="*"))
    assert validate_policy(public, "RESOURCE_POLICY") == []


def test_json_syntax_error_names_where():
    (f,) = validate_policy('{"Version": }', "IDENTITY_POLICY")
    assert f["issueCode"] == "JSON_SYNTAX_ERROR" and f["findingType"] == "ERROR"
    assert f["findingDetails"].startswith("Fix the JSON syntax error at index 12 line 1 column")


def test_findings_come_errors_first():
    text = doc(allow(["s3:*", "s3:GetObject", "nosuch:X"]), version=False)
    kinds = [f["findingType"] for f in validate_policy(text, "IDENTITY_POLICY")]
    order = {"ERROR": 0, "SECURITY_WARNING": 1, "WARNING": 2, "SUGGESTION": 3}
    assert kinds == sorted(kinds, key=order.get) and kinds[0] == "ERROR"


# -- CheckNoNewAccess --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new", "existing", "result"),
    [
        (allow("s3:GetObject", "arn:aws:s3:::b/x"), allow("s3:Get*", "arn:aws:s3:::b/*"), "PASS"),
        (allow("s3:Get*", "arn:aws:s3:::b/*"), allow("s3:GetObject", "arn:aws:s3:::b/*"), "FAIL"),
        (allow("s3:GetObject", "*"), allow("s3:GetObject", "arn:aws:s3:::b/*"), "FAIL"),
        (allow("s3:GetObject", "arn:aws:s3:::b/*"), allow("*"), "PASS"),
        # a condition the new statement drops is new access; one it adds is not
        (
            allow("s3:GetObject", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
            allow("s3:GetObject"),
            "PASS",
        ),
        (
            allow("s3:GetObject"),
            allow("s3:GetObject", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
            "FAIL",
        ),
        (
            allow("s3:GetObject", Condition={"StringEquals": {"aws:username": ["a"]}}),
            allow("s3:GetObject", Condition={"StringEquals": {"aws:username": ["a", "b"]}}),
            "PASS",
        ),
        (
            allow("s3:GetObject", Condition={"StringEquals": {"aws:username": ["a", "c"]}}),
            allow("s3:GetObject", Condition={"StringEquals": {"aws:username": ["a", "b"]}}),
            "FAIL",
        ),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, allow("*"), "PASS"),
        (allow("*"), {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "FAIL"),
    ],
)
def test_check_no_new_access(new, existing, result):
    assert check_no_new_access(doc(new), doc(existing), "IDENTITY_POLICY").result == result


def test_union_of_existing_statements_covers_a_wildcard():
    gets = [
        a for a in __import__("policies.engine.catalog", fromlist=["x"]).expand("s3:GetObject*")
    ]
    existing = doc(*[allow(a) for a in gets])
    assert (
        check_no_new_access(doc(allow("s3:GetObject*")), existing, "IDENTITY_POLICY").result
        == "PASS"
    )


def test_dropping_an_existing_deny_is_new_access_and_keeping_it_is_not():
    deny = {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}
    existing = doc(allow("*"), deny)
    dropped = check_no_new_access(doc(allow("*")), existing, "IDENTITY_POLICY")
    assert dropped.result == "FAIL"
    kept = check_no_new_access(
        doc(allow("*"), {"Sid": "Keep", **deny}), existing, "IDENTITY_POLICY"
    )
    assert kept.result == "PASS"


def test_resource_policy_compares_principals():
    a = {"AWS": "arn:aws:iam::111122223333:root"}
    existing = doc(allow("s3:GetObject", Principal=a))
    same = doc(allow("s3:GetObject", Principal={"AWS": "111122223333"}))
    other = doc({"Sid": "Other", **allow("s3:GetObject", Principal={"AWS": "444455556666"})})
    assert check_no_new_access(same, existing, "RESOURCE_POLICY").result == "PASS"
    fail = check_no_new_access(other, existing, "RESOURCE_POLICY")
    assert fail.as_dict()["reasons"] == [
        {
            "description": "New access in the statement with sid: Other.",
            "statementIndex": 0,
            "statementId": "Other",
        }
    ]


def test_unreadable_document_is_a_check_error():
    with pytest.raises(CheckError):
        check_no_new_access("{", doc(allow("*")), "IDENTITY_POLICY")


# -- CheckAccessNotGranted / CheckNoPublicAccess -----------------------------------------


def test_check_access_not_granted():
    policy = doc(
        allow("s3:*", "arn:aws:s3:::b/*"),
        {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
    )
    assert (
        check_access_not_granted(policy, ["s3:PutObject"], [], "IDENTITY_POLICY").result == "FAIL"
    )
    assert (
        check_access_not_granted(policy, ["s3:DeleteObject"], [], "IDENTITY_POLICY").result
        == "PASS"
    )
    assert (
        check_access_not_granted(policy, ["iam:CreateUser"], [], "IDENTITY_POLICY").result == "PASS"
    )
    assert (
        check_access_not_granted(policy, [], ["arn:aws:s3:::b/key"], "IDENTITY_POLICY").result
        == "FAIL"
    )
    assert (
        check_access_not_granted(policy, [], ["arn:aws:s3:::other/key"], "IDENTITY_POLICY").result
        == "PASS"
    )
    both = check_access_not_granted(
        policy, ["s3:GetObject"], ["arn:aws:s3:::other/k"], "IDENTITY_POLICY"
    )
    assert both.result == "PASS"


def test_check_no_public_access():
    public = doc(allow("s3:GetObject", "arn:aws:s3:::b/*", Principal="*", Sid="Pub"))
    fail = check_no_public_access(public, "AWS::S3::Bucket").as_dict()
    assert fail == {
        "result": "FAIL",
        "message": "The resource policy grants public access for the given resource type.",
        "reasons": [
            {
                "description": "Public access granted in the following statement with sid: Pub.",
                "statementIndex": 0,
                "statementId": "Pub",
            }
        ],
    }
    pinned = doc(
        allow(
            "s3:GetObject",
            "arn:aws:s3:::b/*",
            Principal="*",
            Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc"}},
        )
    )
    assert check_no_public_access(pinned, "AWS::S3::Bucket").result == "PASS"


# -- generated policies ------------------------------------------------------------------


def test_generated_policy_groups_by_resources_and_fills_placeholders():
    used = {
        "iam:CreateUser": [],
        "iam:ListUsers": [],
        "iam:TagUser": ["arn:aws:iam::111122223333:user/a"],
    }
    (plain,) = generated_policies(
        used, account_id="111122223333", region="us-east-1", include_placeholders=False
    )
    assert json.loads(plain)["Statement"] == [
        {"Effect": "Allow", "Action": ["iam:CreateUser", "iam:ListUsers"], "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": "iam:TagUser",
            "Resource": "arn:aws:iam::111122223333:user/a",
        },
    ]
    (marked,) = generated_policies(
        used, account_id="111122223333", region="us-east-1", include_placeholders=True
    )
    statements = json.loads(marked)["Statement"]
    create = next(s for s in statements if s["Action"] == "iam:CreateUser")
    assert create["Resource"] == "arn:aws:iam::111122223333:user/${UserNameWithPath}"
    assert next(s for s in statements if s["Action"] == "iam:ListUsers")["Resource"] == "*"


def test_no_activity_generates_no_policy():
    assert (
        generated_policies({}, account_id="1", region="us-east-1", include_placeholders=False) == []
    )
