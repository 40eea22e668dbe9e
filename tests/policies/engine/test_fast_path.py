"""The identity-only fast path and the precompiled matchers decide as the full flow does."""

import importlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies.engine import Request, clear_cache, compile_policy, evaluate, policy_set
from policies.engine.conditions import compile_condition, condition_matches
from policies.engine.evaluate import Decision, _decision, _Inputs

# the package exports the function evaluate under the module's name
evaluate_module = importlib.import_module("policies.engine.evaluate")
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ACCT = "111122223333"
PRINCIPALS = [
    f"arn:aws:iam::{ACCT}:user/alice",
    f"arn:aws:iam::{ACCT}:root",
    f"arn:aws:sts::{ACCT}:assumed-role/app/s1",
    "arn:aws:iam::444455556666:user/bob",
    "lambda.amazonaws.com",
    None,
]
RESOURCES = [
    "*",
    "arn:aws:s3:::bucket/red/a.txt",
    "arn:aws:s3:::bucket/*",
    f"arn:aws:kms:us-east-1:{ACCT}:key/k1",
    f"arn:aws:iam::{ACCT}:role/app",
    "arn:aws:iam::aws:policy/ReadOnlyAccess",
]
ACTIONS = ["s3:GetObject", "S3:getobject", "s3:DeleteObject", "kms:Decrypt", "sts:AssumeRole"]
ACTIONS += ["iam:GetPolicy", "iam:DeletePolicy", "sts:GetCallerIdentity", "ec2:DescribeInstances"]
CONDITIONS = [
    {"StringEquals": {"aws:PrincipalTag/team": ["red", "blue"]}},
    {"StringNotEquals": {"aws:PrincipalTag/team": "red"}},
    {"StringLike": {"aws:username": "al*"}},
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "not-a-cidr"]}},
    {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
    {"NumericLessThan": {"s3:max-keys": "10"}},
    {"StringEqualsIfExists": {"aws:PrincipalTag/team": "red"}},
    {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}},
    {"Null": {"aws:SourceIp": "true"}},
]


@st.composite
def statements(draw):
    out = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    actions = draw(st.lists(st.sampled_from(ACTIONS + ["s3:*", "*", "iam:Get*"]), min_size=1))
    out["NotAction" if draw(st.booleans()) else "Action"] = actions
    resources = draw(
        st.lists(st.sampled_from(RESOURCES + ["arn:aws:s3:::bucket/${aws:username}/*"]))
    )
    out["NotResource" if draw(st.booleans()) else "Resource"] = resources or "*"
    if draw(st.booleans()):
        out["Condition"] = draw(st.sampled_from(CONDITIONS))
    return out


@st.composite
def requests(draw):
    ctx = {}
    for key, values in (
        ("aws:PrincipalTag/team", ["red", "blue", ["red", "x"], True]),
        ("aws:SourceIp", ["203.0.113.7", "198.51.100.1", "2001:db8::1"]),
        ("aws:MultiFactorAuthPresent", ["true", "false", False]),
        ("aws:username", ["alice", "bob"]),
        ("aws:TagKeys", [["a"], ["c", "b"], []]),
        ("s3:max-keys", ["5", "50", 7]),
    ):
        if draw(st.booleans()):
            ctx[key] = draw(st.sampled_from(values))
    return Request(
        draw(st.sampled_from(PRINCIPALS)),
        draw(st.sampled_from(ACTIONS)),
        draw(st.sampled_from(RESOURCES)),
        ctx,
        draw(st.sampled_from([None, ACCT, "444455556666"])),
        draw(st.booleans()),
    )


def full_flow(monkeypatch, request, docs):
    with monkeypatch.context() as m:
        m.setattr(evaluate_module, "_identity_only", lambda *_: None)
        return evaluate(request, identity_policies=docs)


@SETTINGS
@given(st.lists(st.lists(statements(), min_size=1, max_size=4), max_size=4), requests())
def test_identity_only_fast_path_decides_as_the_full_flow(docs, request):
    docs = [{"Version": "2012-10-17", "Statement": s} for s in docs]
    mp = pytest.MonkeyPatch()
    try:
        expected = full_flow(mp, request, docs)
    finally:
        mp.undo()
    ps = policy_set(docs)
    for given_as in (ps, [json.dumps(d) for d in docs], docs):
        got = evaluate(request, identity_policies=given_as)
        assert (got.effect, got.reason, got.statements) == (
            expected.effect,
            expected.reason,
            expected.statements,
        )
        assert got.explain() == expected.explain()


def test_fast_decision_object_equals_the_dataclass():
    request = Request("arn:aws:iam::111122223333:user/a", "s3:GetObject", "*")
    fast = _decision("Allow", (), "allowed", request, _Inputs(()))
    assert fast == Decision("Allow", (), "allowed", request)
    assert type(fast) is Decision and fast.allowed and "allowed" in repr(fast)
    with pytest.raises(AttributeError):
        fast.effect = "ImplicitDeny"  # still frozen


@pytest.mark.parametrize("condition", CONDITIONS)
@pytest.mark.parametrize("value", ["red", "203.0.113.9", "true", "2025-01-01T00:00:00Z", "5", ""])
def test_precompiled_single_value_test_equals_condition_matches(condition, value):
    ((operator, body),) = condition.items()
    ((key, values),) = body.items()
    values = values if isinstance(values, list) else [values]
    cond = compile_condition(operator, key, values, True)
    if cond.single is None:
        assert operator.startswith(("ForAnyValue", "Null"))
        return
    assert cond.single(value) == condition_matches(cond, lambda _k: value)


def test_documents_given_as_text_find_the_same_policy_set():
    clear_cache()
    doc = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
    )
    first = policy_set([doc])
    assert policy_set([doc]) is first and policy_set((doc,)) is first
    assert policy_set([compile_policy(doc)]) is first
    clear_cache()
    assert policy_set([doc]) is not first
