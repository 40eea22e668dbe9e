"""check_malformed (IAM's MalformedPolicyDocument messages) and validate() findings."""

import json
import time

import pytest

from policies.engine import check_malformed, check_size, ensure_well_formed, validate
from policies.engine.malformed import MalformedPolicyDocument


def doc(statement, version="2012-10-17"):
    d = {"Statement": statement}
    if version:
        d["Version"] = version
    return json.dumps(d)


GOOD = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}

MALFORMED = [
    ("not json", "Syntax errors in policy."),
    (doc(GOOD, version=None), "Policy document must be version 2012-10-17 or greater."),
    (doc(GOOD, version="2008-10-17"), "Policy document must be version 2012-10-17 or greater."),
    (doc(GOOD, version="2013-01-01"), "Syntax errors in policy."),
    (doc({**GOOD, "Effect": "allow"}), "The policy failed legacy parsing"),
    (
        doc({**GOOD, "Action": "GetObject"}),
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
    ),
    (doc({**GOOD, "Action": "s3:Get:Object"}), "Actions/Condition can contain only one colon."),
    (
        doc({k: v for k, v in GOOD.items() if k != "Resource"}),
        "Policy statement must contain resources.",
    ),
    (
        doc({k: v for k, v in GOOD.items() if k != "Action"}),
        "Policy statement must contain actions.",
    ),
    (doc({**GOOD, "Resource": "bucket"}), 'Resource bucket must be in ARN format or "*".'),
    (
        doc([{**GOOD, "Sid": "A"}, {**GOOD, "Sid": "A"}]),
        "Statement IDs (SID) in a single policy must be unique.",
    ),
    (doc({**GOOD, "Principal": "*"}), "Has prohibited field Principal"),
    (
        doc({**GOOD, "Condition": {"DateGreaterThan": {"aws:CurrentTime": "yesterday"}}}),
        "The policy failed legacy parsing",
    ),
    (doc({**GOOD, "Extra": 1}), "Syntax errors in policy."),
]


@pytest.mark.parametrize("text, message", MALFORMED)
def test_check_malformed_returns_iams_exact_message(text, message):
    assert check_malformed(text, "MANAGED") == message


def test_a_good_identity_policy_is_accepted():
    assert check_malformed(doc(GOOD), "MANAGED") is None
    ensure_well_formed(doc(GOOD))


def test_ensure_well_formed_raises_with_the_message():
    with pytest.raises(MalformedPolicyDocument, match="Syntax errors"):
        ensure_well_formed("{")


def test_trust_policies_need_a_principal_and_no_resource():
    trust = {
        "Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    assert check_malformed(doc(trust), "TRUST_POLICY") is None
    assert (
        check_malformed(doc({**trust, "Resource": "*"}), "TRUST_POLICY")
        == "Has prohibited field Resource"
    )


def test_duplicate_keys_are_a_syntax_error():
    text = (
        '{"Version": "2012-10-17", "Version": "2012-10-17", "Statement": ' + json.dumps(GOOD) + "}"
    )
    assert check_malformed(text) == "Syntax errors in policy."
    assert any(f.code == "DUPLICATE_KEY" for f in validate(text))


def test_deeply_nested_and_huge_documents_are_rejected_quickly():
    start = time.perf_counter()
    assert check_malformed("[" * 50_000 + "]" * 50_000) == "Syntax errors in policy."
    assert validate("[" * 50_000 + "]" * 50_000)[0].type == "ERROR"
    huge = doc(
        [{**GOOD, "Sid": f"S{i}", "Resource": "arn:aws:s3:::b/" + "x" * 1000} for i in range(1000)]
    )
    assert len(huge) > 1_000_000
    check_malformed(huge)
    validate(huge, "MANAGED")
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize(
    "policy_type, limit",
    [("USER_INLINE", 2048), ("GROUP_INLINE", 5120), ("ROLE_INLINE", 10240), ("MANAGED", 6144)],
)
def test_size_quotas_count_characters_without_whitespace(policy_type, limit):
    filler = "x" * (limit)
    text = doc({**GOOD, "Resource": f"arn:aws:s3:::{filler}"})
    assert check_size(text, policy_type) == f"Cannot exceed quota for PolicySize: {limit}"
    spaced = json.dumps(json.loads(doc(GOOD)), indent=40)
    assert check_size(spaced, policy_type) is None
    assert any(f.code == "POLICY_SIZE_EXCEEDED" for f in validate(text, policy_type))


def codes(document, policy_type="IDENTITY_POLICY"):
    return {f.code for f in validate(document, policy_type)}


@pytest.mark.parametrize(
    "statement, code, kind",
    [
        ({**GOOD, "Action": "s3:GetObjekt"}, "UNKNOWN_ACTION", "ERROR"),
        ({**GOOD, "Action": "nosuchservice:Get"}, "UNKNOWN_SERVICE", "ERROR"),
        ({**GOOD, "Action": "s3"}, "INVALID_ACTION_FORMAT", "ERROR"),
        ({k: v for k, v in GOOD.items() if k != "Effect"}, "MISSING_EFFECT", "ERROR"),
        ({**GOOD, "Principal": "*"}, "PRINCIPAL_NOT_ALLOWED", "ERROR"),
        ({**GOOD, "Bogus": 1}, "UNKNOWN_ELEMENT", "ERROR"),
        (
            {**GOOD, "Action": "iam:PassRole", "Resource": "*"},
            "PASS_ROLE_WITH_STAR_IN_RESOURCE",
            "SECURITY_WARNING",
        ),
        (
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
            "ALLOW_WITH_NOT_ACTION",
            "SECURITY_WARNING",
        ),
        ({**GOOD, "Action": []}, "EMPTY_ARRAY_ACTION", "SUGGESTION"),
        ({**GOOD, "Action": ["s3:*", "s3:GetObject"]}, "REDUNDANT_ACTION", "SUGGESTION"),
    ],
)
def test_validate_reports_findings_like_access_analyzer(statement, code, kind):
    findings = [f for f in validate(doc(statement)) if f.code == code]
    assert findings and findings[0].type == kind


def test_findings_are_located_by_path_line_and_column():
    text = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}\n  ]\n}'
    (finding,) = [f for f in validate(text) if f.code == "UNKNOWN_ACTION"]
    assert finding.path == ("Statement", 0, "Action")
    assert (finding.line, finding.column) == (4, 35)
    assert finding.path_text == "Statement[0].Action"


def test_bad_json_is_located_too():
    (finding,) = validate('{"Version": "2012-10-17",\n "Statement": [}')
    assert finding.code == "JSON_SYNTAX_ERROR" and finding.line == 2


def test_missing_version_and_redundant_statements_are_reported():
    assert "MISSING_VERSION" in codes(doc(GOOD, version=None))
    assert "REDUNDANT_STATEMENT" in codes(doc([GOOD, GOOD]))
    assert "INVALID_VERSION" in codes(doc(GOOD, version="2020-01-01"))


def test_a_clean_policy_has_no_findings():
    assert validate(doc(GOOD)) == ()
