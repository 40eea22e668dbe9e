"""Action, ARN and policy-variable matching (AWS: Action, Resource, policy variables)."""

import pytest

from policies.engine.matching import (
    Unresolved,
    action_matcher,
    arn_match,
    pattern_covers,
    patterns_intersect,
    substitute,
)


@pytest.mark.parametrize(
    "pattern, action, expected",
    [
        ("s3:GetObject", "s3:GetObject", True),
        ("s3:getobject", "S3:GETOBJECT", True),  # actions are case-insensitive
        ("s3:Get*", "s3:GetObjectAcl", True),
        ("s3:*Object", "s3:PutObject", True),
        ("s3:Get?bject", "s3:GetObject", True),
        ("s3:Get?bject", "s3:GetOObject", False),
        ("*", "ec2:RunInstances", True),
        ("iam:*", "s3:GetObject", False),
        ("s3:GetObject,s3:PutObject", "s3:GetObject", False),  # a comma is not a list
        (" s3:GetObject", "s3:GetObject", False),  # whitespace is part of the name
        ("s3:", "s3:GetObject", False),
    ],
)
def test_action_patterns_match_case_insensitively_with_wildcards(pattern, action, expected):
    assert action_matcher(pattern)(action) is expected


@pytest.mark.parametrize(
    "pattern, arn, expected",
    [
        ("*", "arn:aws:s3:::bucket/key", True),
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c", True),
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::other/a", False),
        (
            "arn:aws:s3:::Bucket/*",
            "arn:aws:s3:::bucket/a",
            False,
        ),  # resource part is case-sensitive
        ("arn:aws:iam::*:user/*", "arn:aws:iam::111122223333:user/alice", True),
        ("arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:us-east-1:111122223333:instance/i-1", True),
        # a star in region/account never crosses a colon
        ("arn:aws:ec2:*:instance/*", "arn:aws:ec2:us-east-1:111122223333:instance/i-1", False),
        # the resource part may itself contain colons
        (
            "arn:aws:logs:us-east-1:111122223333:log-group:/app:*",
            "arn:aws:logs:us-east-1:111122223333:log-group:/app:log-stream:x",
            True,
        ),
        ("arn:aws:s3:::bucket", "arn:aws:s3:::bucket/key", False),
        ("not-an-arn", "arn:aws:s3:::bucket", False),
        ("arn:aws:s3:::a?c", "arn:aws:s3:::abc", True),
    ],
)
def test_arns_match_segment_by_segment(pattern, arn, expected):
    assert arn_match(pattern, arn) is expected


CONTEXT = {"aws:username": "alice", "aws:principaltag/team": "red", "aws:tags": ["a", "b"]}


def lookup(key):
    return CONTEXT.get(key.lower())


@pytest.mark.parametrize(
    "text, expected",
    [
        ("home/${aws:username}/*", "home/alice/*"),
        ("home/${aws:PrincipalTag/team}", "home/red"),
        ("${aws:missing, 'nobody'}", "nobody"),
        ("${*}${?}${$}", "*?$"),
        ("plain", "plain"),
    ],
)
def test_policy_variables_are_substituted_from_the_request_context(text, expected):
    assert substitute(text, lookup) == expected


@pytest.mark.parametrize("text", ["${aws:missing}", "${aws:tags}"])
def test_a_variable_without_a_single_value_is_unresolved(text):
    with pytest.raises(Unresolved):
        substitute(text, lookup)


@pytest.mark.parametrize(
    "a, b, intersect",
    [
        ("arn:aws:s3:::*/AWSLogs/*", "arn:aws:s3:::example-bucket/*", True),
        ("arn:aws:s3:::other-bucket/*", "arn:aws:s3:::example-bucket/*", False),
        ("*", "arn:aws:s3:::x", True),
        ("a?c", "ab*", True),
    ],
)
def test_resource_patterns_intersect_when_some_resource_matches_both(a, b, intersect):
    assert patterns_intersect(a, b) is intersect


@pytest.mark.parametrize(
    "outer, inner, covers",
    [
        ("arn:aws:s3:::my-bucket/*", "arn:aws:s3:::my-bucket/private/*", True),
        ("arn:aws:s3:::my-bucket/private/*", "arn:aws:s3:::my-bucket/*", False),
        ("*", "*", True),
        ("a?", "a*", False),
    ],
)
def test_a_pattern_covers_another_only_when_it_matches_everything_the_other_does(
    outer, inner, covers
):
    assert pattern_covers(outer, inner) is covers
