"""Property tests: the parser never crashes, Deny never grants, compiled == uncached."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies.engine import (
    PolicyError,
    Request,
    check_malformed,
    clear_cache,
    compile_policy,
    evaluate,
    parse_policy,
    policy_set,
    validate,
)
from policies.engine.compiled import RequestView
from policies.engine.principals import principal_info

ACCT = "111122223333"
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(
            [
                "Version",
                "Statement",
                "Effect",
                "Action",
                "Resource",
                "Condition",
                "Principal",
                "Sid",
                "NotAction",
                "x",
            ]
        ),
        children,
        max_size=5,
    ),
    max_leaves=20,
)


@SETTINGS
@given(json_values)
def test_random_documents_never_crash_the_parser_or_validators(value):
    text = json.dumps(value)
    assert check_malformed(text) is None or isinstance(check_malformed(text), str)
    assert isinstance(validate(text), tuple)
    try:
        parse_policy(value)
    except PolicyError:
        pass


@SETTINGS
@given(st.text(max_size=200))
def test_random_text_never_crashes_the_parser(text):
    assert isinstance(check_malformed(text), str | None)
    assert isinstance(validate(text), tuple)
    try:
        parse_policy(text)
    except PolicyError:
        pass


ACTIONS = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:*",
    "s3:Get*",
    "ec2:*",
    "*",
    "iam:PassRole",
    "s3:?etObject",
]
RESOURCES = [
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/k",
    "arn:aws:s3:::other/*",
    "arn:aws:s3:::b/${aws:username}",
    "arn:aws:ec2:*:*:instance/*",
]
CONDITIONS = [
    None,
    {"StringEquals": {"aws:PrincipalTag/team": "red"}},
    {"StringNotEquals": {"aws:PrincipalTag/team": ["red", "blue"]}},
    {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    {"Bool": {"aws:SecureTransport": "true"}},
    {"ForAnyValue:StringLike": {"aws:TagKeys": "env*"}},
    {"NumericLessThanIfExists": {"s3:max-keys": "10"}},
]


@st.composite
def statements(draw, effect=None):
    s = {"Effect": effect or draw(st.sampled_from(["Allow", "Deny"]))}
    s["NotAction" if draw(st.booleans()) and draw(st.booleans()) else "Action"] = draw(
        st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=3)
    )
    s["NotResource" if draw(st.booleans()) and draw(st.booleans()) else "Resource"] = draw(
        st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=2)
    )
    cond = draw(st.sampled_from(CONDITIONS))
    if cond:
        s["Condition"] = cond
    return s


@st.composite
def policies(draw):
    return [
        {"Version": "2012-10-17", "Statement": draw(st.lists(statements(), min_size=1, max_size=5))}
        for _ in range(draw(st.integers(1, 4)))
    ]


@st.composite
def requests(draw):
    ctx = {}
    if draw(st.booleans()):
        ctx["aws:PrincipalTag/team"] = draw(st.sampled_from(["red", "blue", "green"]))
    if draw(st.booleans()):
        ctx["aws:SourceIp"] = draw(st.sampled_from(["10.1.2.3", "203.0.113.9"]))
    if draw(st.booleans()):
        ctx["aws:username"] = "k"
    if draw(st.booleans()):
        ctx["aws:TagKeys"] = draw(
            st.lists(st.sampled_from(["env", "environment", "owner"]), max_size=2)
        )
    if draw(st.booleans()):
        ctx["aws:SecureTransport"] = draw(st.sampled_from(["true", "false"]))
    action = draw(
        st.sampled_from(["s3:GetObject", "s3:PutObject", "ec2:RunInstances", "iam:PassRole"])
    )
    resource = draw(
        st.sampled_from(
            [
                "arn:aws:s3:::b/k",
                "arn:aws:s3:::other/x",
                "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
            ]
        )
    )
    principal = draw(
        st.sampled_from(
            [f"arn:aws:iam::{ACCT}:user/alice", f"arn:aws:sts::{ACCT}:assumed-role/r/s"]
        )
    )
    return Request(principal, action, resource, ctx, ACCT)


@SETTINGS
@given(policies(), requests(), statements(effect="Deny"), st.booleans())
def test_adding_a_deny_never_turns_a_decision_into_allow(docs, request, extra_deny, with_boundary):
    boundary = (
        {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}
        if with_boundary
        else None
    )
    before = evaluate(request, identity_policies=docs, permissions_boundary=boundary).effect
    more = docs + [{"Version": "2012-10-17", "Statement": [extra_deny]}]
    after = evaluate(request, identity_policies=more, permissions_boundary=boundary).effect
    assert not (after == "Allow" and before != "Allow")
    if before == "ExplicitDeny":
        assert after == "ExplicitDeny"


def reference_effect(docs, request):
    """Identity-only decision from every statement, without index or early exit."""
    view = RequestView(
        principal_info(request.principal), request.action, request.resource, request.context, {}
    )
    allowed = False
    for doc in docs:
        for cs in compile_policy(doc).statements:
            if cs.action_matches(view) and cs.resource_matches(view) and cs.conditions_match(view):
                if cs.is_deny:
                    return "ExplicitDeny"
                allowed = True
    return "Allow" if allowed else "ImplicitDeny"


@SETTINGS
@given(policies(), requests())
def test_compiled_and_cached_decisions_equal_the_uncached_path(docs, request):
    clear_cache()
    cold = evaluate(request, identity_policies=[json.dumps(d) for d in docs]).effect
    warm_set = policy_set([compile_policy(d) for d in docs])
    warm = evaluate(request, identity_policies=warm_set).effect
    again = evaluate(request, identity_policies=warm_set).effect
    assert cold == warm == again == reference_effect(docs, request)
