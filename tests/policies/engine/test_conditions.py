"""Every condition operator, IfExists, set operators and Null (AWS: Condition operators)."""

import pytest

from policies.engine import Request, evaluate

ALICE = "arn:aws:iam::111122223333:user/alice"


def allowed_when(operator, key, values, context, version="2012-10-17"):
    policy = {
        "Version": version,
        "Statement": {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {operator: {key: values}},
        },
    }
    request = Request(ALICE, "s3:GetObject", "arn:aws:s3:::b/k", context, "111122223333")
    return evaluate(request, identity_policies=[policy]).effect == "Allow"


K = "aws:PrincipalTag/team"

CASES = [
    # String
    ("StringEquals", K, "red", {K: "red"}, True),
    ("StringEquals", K, "red", {K: "Red"}, False),
    ("StringEquals", K, ["blue", "red"], {K: "red"}, True),  # values are ORed
    ("StringNotEquals", K, ["blue", "red"], {K: "red"}, False),
    ("StringNotEquals", K, ["blue", "red"], {K: "green"}, True),
    ("StringEqualsIgnoreCase", K, "red", {K: "RED"}, True),
    ("StringNotEqualsIgnoreCase", K, "red", {K: "RED"}, False),
    ("StringLike", K, "r*", {K: "red"}, True),
    ("StringLike", K, "r?d", {K: "rod"}, True),
    ("StringLike", K, "r?d", {K: "reed"}, False),
    ("StringNotLike", K, ["a*", "r*"], {K: "red"}, False),
    # Numeric
    ("NumericEquals", "s3:max-keys", "10", {"s3:max-keys": "10.0"}, True),
    ("NumericNotEquals", "s3:max-keys", "10", {"s3:max-keys": "11"}, True),
    ("NumericLessThan", "s3:max-keys", "10", {"s3:max-keys": "9"}, True),
    ("NumericLessThanEquals", "s3:max-keys", "10", {"s3:max-keys": "10"}, True),
    ("NumericGreaterThan", "s3:max-keys", "10", {"s3:max-keys": "10"}, False),
    ("NumericGreaterThanEquals", "s3:max-keys", "10", {"s3:max-keys": "10"}, True),
    ("NumericEquals", "s3:max-keys", "ten", {"s3:max-keys": "10"}, False),
    # Date: ISO 8601 and epoch seconds (AWS docs example aws:CurrentTime / aws:EpochTime)
    (
        "DateGreaterThan",
        "aws:CurrentTime",
        "2020-04-01T00:00:00Z",
        {"aws:CurrentTime": "2020-06-30T00:00:00Z"},
        True,
    ),
    (
        "DateLessThan",
        "aws:CurrentTime",
        "2020-06-30T00:00:00Z",
        {"aws:CurrentTime": "2020-07-01T00:00:00Z"},
        False,
    ),
    ("DateEquals", "aws:EpochTime", "2024-01-01", {"aws:EpochTime": "1704067200"}, True),
    ("DateNotEquals", "aws:EpochTime", "2024-01-01", {"aws:EpochTime": "1704067201"}, True),
    (
        "DateLessThanEquals",
        "aws:CurrentTime",
        "2024-01-01T01:00:00+01:00",
        {"aws:CurrentTime": "2024-01-01T00:00:00Z"},
        True,
    ),
    (
        "DateGreaterThanEquals",
        "aws:CurrentTime",
        "2024-01-01",
        {"aws:CurrentTime": "not a date"},
        False,
    ),
    # Bool
    ("Bool", "aws:SecureTransport", "true", {"aws:SecureTransport": "TRUE"}, True),
    ("Bool", "aws:SecureTransport", "true", {"aws:SecureTransport": "false"}, False),
    ("Bool", "aws:SecureTransport", "true", {"aws:SecureTransport": True}, True),
    # Binary
    ("BinaryEquals", "s3:x", "QmluYXJ5VmFsdWU=", {"s3:x": "QmluYXJ5VmFsdWU="}, True),
    # IP (AWS docs example 203.0.113.0/24 and 2001:DB8:1234:5678::/64)
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "203.0.113.7"}, True),
    (
        "IpAddress",
        "aws:SourceIp",
        "2001:DB8:1234:5678::/64",
        {"aws:SourceIp": "2001:db8:1234:5678::1"},
        True,
    ),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "198.51.100.1"}, False),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "198.51.100.1"}, True),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "203.0.113.9"}, False),
    # ARN
    (
        "ArnLike",
        "aws:SourceArn",
        "arn:aws:sns:*:123456789012:topic*",
        {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:topic-a"},
        True,
    ),
    (
        "ArnEquals",
        "aws:SourceArn",
        "arn:aws:sns:*:123456789012:topic*",
        {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:topic-a"},
        True,
    ),
    (
        "ArnNotEquals",
        "aws:SourceArn",
        "arn:aws:sns:us-east-1:123456789012:a",
        {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:b"},
        True,
    ),
    (
        "ArnNotLike",
        "aws:SourceArn",
        "arn:aws:sns:*:*:*",
        {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:b"},
        False,
    ),
    ("ArnLike", "aws:SourceArn", "arn:aws:sns:*:*:*", {"aws:SourceArn": "not-an-arn"}, False),
    # Null
    ("Null", "aws:TokenIssueTime", "true", {}, True),
    ("Null", "aws:TokenIssueTime", "true", {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"}, False),
    ("Null", "aws:TokenIssueTime", "false", {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"}, True),
    # Missing keys: positive operators fail, negated ones and IfExists pass
    ("StringEquals", K, "red", {}, False),
    ("StringNotEquals", K, "red", {}, True),
    ("StringEqualsIfExists", K, "red", {}, True),
    ("StringEqualsIfExists", K, "red", {K: "blue"}, False),
    ("NumericLessThanIfExists", "s3:max-keys", "10", {}, True),
    # Condition keys are case-insensitive
    ("StringEquals", "AWS:PRINCIPALTAG/TEAM", "red", {"aws:principaltag/team": "red"}, True),
]


@pytest.mark.parametrize("operator, key, values, context, expected", CASES)
def test_condition_operator_matches_as_aws_documents(operator, key, values, context, expected):
    assert allowed_when(operator, key, values, context) is expected


T = "aws:TagKeys"
SET_CASES = [
    # AWS docs "Set operators for multivalued context keys"
    ("ForAllValues:StringEquals", ["environment", "cost-center"], {T: ["environment"]}, True),
    (
        "ForAllValues:StringEquals",
        ["environment", "cost-center"],
        {T: ["environment", "owner"]},
        False,
    ),
    ("ForAllValues:StringEquals", ["environment"], {}, True),  # missing key: vacuously true
    ("ForAllValues:StringEquals", ["environment"], {T: []}, True),
    (
        "ForAnyValue:StringEquals",
        ["environment", "cost-center"],
        {T: ["owner", "environment"]},
        True,
    ),
    ("ForAnyValue:StringEquals", ["environment"], {T: ["owner"]}, False),
    ("ForAnyValue:StringEquals", ["environment"], {}, False),  # missing key: false
    ("ForAnyValue:StringNotEquals", ["environment"], {T: ["environment", "owner"]}, True),
    ("ForAllValues:StringNotEquals", ["environment"], {T: ["environment", "owner"]}, False),
    ("ForAllValues:StringLike", ["env*", "cost*"], {T: ["environment", "cost-center"]}, True),
]


@pytest.mark.parametrize("operator, values, context, expected", SET_CASES)
def test_set_operators_follow_aws_semantics_for_multivalued_keys(
    operator, values, context, expected
):
    assert allowed_when(operator, T, values, context) is expected


def test_several_keys_and_operators_are_anded():
    policy = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {
                "StringEquals": {K: "red", "aws:RequestedRegion": "us-east-1"},
                "Bool": {"aws:SecureTransport": "true"},
            },
        },
    }
    base = {K: "red", "aws:RequestedRegion": "us-east-1", "aws:SecureTransport": "true"}
    req = lambda ctx: Request(ALICE, "s3:GetObject", "arn:aws:s3:::b/k", ctx, "111122223333")  # noqa: E731
    assert evaluate(req(base), identity_policies=[policy]).effect == "Allow"
    for key in base:
        partial = {k: v for k, v in base.items() if k != key}
        assert evaluate(req(partial), identity_policies=[policy]).effect == "ImplicitDeny"


@pytest.mark.parametrize(
    "value, context, expected",
    [
        ("${aws:username}", {"aws:username": "alice", K: "alice"}, True),
        ("${aws:username}", {K: "alice"}, False),  # no value: that policy value never matches
        ("${aws:username, 'alice'}", {K: "alice"}, True),
        ("team-${aws:PrincipalTag/team}", {K: "team-red"}, False),
    ],
)
def test_policy_variables_work_in_condition_values(value, context, expected):
    assert allowed_when("StringEquals", K, value, context) is expected


def test_policy_variables_are_literal_text_without_version_2012():
    ctx = {"aws:username": "alice", K: "${aws:username}"}
    assert allowed_when("StringEquals", K, "${aws:username}", ctx, version="2008-10-17")
    assert not allowed_when(
        "StringEquals",
        K,
        "${aws:username}",
        {"aws:username": "alice", K: "alice"},
        version="2008-10-17",
    )


def test_string_like_keeps_wildcards_from_variable_values_literal():
    assert not allowed_when("StringLike", K, "x${aws:username}", {"aws:username": "*", K: "xyz"})
    assert allowed_when("StringLike", K, "x${aws:username}", {"aws:username": "*", K: "x*"})


def test_an_unknown_operator_never_matches():
    assert not allowed_when("StringEqualz", K, "red", {K: "red"})
