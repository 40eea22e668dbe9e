"""Bad input: malformed policy JSON, size limits at and over the limit, names and paths."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.errors import (
    EntityAlreadyExists,
    IamError,
    LimitExceeded,
    MalformedPolicyDocument,
    ValidationError,
)

pytestmark = pytest.mark.django_db

HAND_LIST = {
    "empty": "",
    "not json": "Allow everything",
    "truncated": '{"Version": "2012-10-17", "Statement": [',
    "array": "[]",
    "number": "42",
    "null": "null",
    "nested 50,000 deep": '{"a":' * 50_000 + "1" + "}" * 50_000,
    "list nested 50,000 deep": "[" * 50_000 + "]" * 50_000,
    "1 MB document": json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "x" * 1_000_000}],
        }
    ),
    "duplicate keys": '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}}',
    "lone surrogate": '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "\\ud800", "Resource": "*"}}',
    "wrong types": json.dumps(
        {"Version": 2012, "Statement": {"Effect": True, "Action": 1, "Resource": None}}
    ),
    "statement string": json.dumps({"Version": "2012-10-17", "Statement": "Allow"}),
    "bad version": json.dumps(
        {
            "Version": "2020-01-01",
            "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        }
    ),
    "NUL bytes": '{"Version": "2012-10-17\x00"}',
}


def _create(root, document: str) -> float:
    from policies.operations import create_policy

    started = time.process_time()  # CPU time: robust to other load on the machine
    with pytest.raises(IamError) as excinfo:
        create_policy(actor=root, name="Fuzzed", document=document)
    elapsed = time.process_time() - started
    assert isinstance(excinfo.value, MalformedPolicyDocument | LimitExceeded), excinfo.value
    return elapsed


def test_unicode_in_a_policy_is_handled_without_error(root):
    from policies.operations import create_policy

    doc = {
        "Version": "2012-10-17",
        "Statement": {
            "Sid": "x",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::bücket/日本/*",
        },
    }
    policy = create_policy(actor=root, name="Unicode", document=json.dumps(doc, ensure_ascii=False))
    assert "日本" in policy.default_version().document


def test_hand_list_of_malformed_policies_is_refused_quickly(root, figure):
    from policies.models import ManagedPolicy

    times = {name: _create(root, doc) for name, doc in HAND_LIST.items()}
    slowest = max(times, key=times.get)
    figure(
        f"{len(times)} documents refused, 0 crashes, slowest {slowest!r} {times[slowest] * 1000:.0f} ms"
    )
    assert max(times.values()) < 1.0
    assert not ManagedPolicy.objects.filter(name="Fuzzed").exists()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=30,
)
statement_like = st.fixed_dictionaries(
    {},
    optional={
        "Effect": st.sampled_from(["Allow", "Deny", "allow", ""]) | json_values,
        "Action": st.sampled_from(["s3:*", "*", "iam:Get*", "bad"]) | json_values,
        "Resource": st.sampled_from(["*", "arn:aws:s3:::b/*"]) | json_values,
        "Principal": json_values,
        "Condition": json_values,
        "Sid": json_values,
    },
)
document_like = st.fixed_dictionaries(
    {},
    optional={
        "Version": st.sampled_from(["2012-10-17", "2008-10-17"]) | json_values,
        "Statement": statement_like | st.lists(statement_like, max_size=3) | json_values,
        "Id": json_values,
    },
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(doc=document_like | json_values)
def test_fuzzed_policy_documents_never_crash(root, doc):
    from policies.documents import check_policy_document
    from policies.operations import create_policy, delete_policy

    text = json.dumps(doc)
    # The check itself (pure CPU) must be fast; the database work around it is not timed.
    started = time.process_time()
    try:
        check_policy_document(text, limit=6144)
    except (MalformedPolicyDocument, LimitExceeded):
        pass
    assert time.process_time() - started < 1.0
    try:
        policy = create_policy(actor=root, name="Fuzz", document=text)
    except (MalformedPolicyDocument, LimitExceeded):
        pass
    else:
        delete_policy(actor=root, arn=policy.arn)


def _doc_of_size(size: int) -> str:
    """A compact identity policy of exactly ``size`` non-whitespace characters."""
    base = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::"}],
    }
    pad = size - len(json.dumps(base, separators=(",", ":")))
    base["Statement"][0]["Resource"] += "k" * pad
    text = json.dumps(base, indent=2)  # whitespace does not count
    assert sum(not c.isspace() for c in text) == size
    return text


@pytest.mark.parametrize(
    ("where", "limit"),
    [("user inline", 2048), ("group inline", 5120), ("role inline", 10240), ("managed", 6144)],
)
def test_policy_size_at_limit_accepted_and_one_over_refused(root, where, limit, figure):
    from accounts.operations.groups import create_group
    from accounts.operations.roles import create_role
    from accounts.operations.users import create_user
    from policies import operations as ops

    create_user(actor=root, name="u")
    create_group(actor=root, name="g")
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    create_role(actor=root, name="r", trust_policy=trust)
    put = {
        "user inline": lambda d: ops.put_user_policy(
            actor=root, user_name="u", policy_name="p", document=d
        ),
        "group inline": lambda d: ops.put_group_policy(
            actor=root, group_name="g", policy_name="p", document=d
        ),
        "role inline": lambda d: ops.put_role_policy(
            actor=root, role_name="r", policy_name="p", document=d
        ),
        "managed": lambda d: ops.create_policy(actor=root, name=f"m{len(d)}", document=d),
    }[where]
    put(_doc_of_size(limit))
    with pytest.raises(LimitExceeded):
        put(_doc_of_size(limit + 1))
    figure(f"{where}: {limit} accepted, {limit + 1} LimitExceeded")


@pytest.mark.parametrize("name", ["ålice", "алиса", "ａｌｉｃｅ", "al\u200bice", "名前", "a\u0301"])
def test_non_ascii_names_are_refused(root, name):
    from accounts.operations.users import create_user

    with pytest.raises(ValidationError):
        create_user(actor=root, name=name)


def test_case_insensitive_collisions_for_every_kind(root, figure):
    from accounts.operations.groups import create_group
    from accounts.operations.roles import create_role
    from accounts.operations.users import create_user
    from policies.operations import create_policy
    from tests.conftest import allow_policy

    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    makers = {
        "user": lambda n: create_user(actor=root, name=n),
        "group": lambda n: create_group(actor=root, name=n),
        "role": lambda n: create_role(actor=root, name=n, trust_policy=trust),
        "policy": lambda n: create_policy(actor=root, name=n, document=allow_policy()),
    }
    for make in makers.values():
        make("MixedCase")
        with pytest.raises(EntityAlreadyExists):
            make("mixedcase")
    figure("user, group, role, policy: second spelling EntityAlreadyExists")


def test_percent_and_underscore_are_literal_in_path_prefix(root):
    from accounts.operations.users import create_user, list_users

    create_user(actor=root, name="one", path="/a_b/")
    create_user(actor=root, name="two", path="/axb/")
    create_user(actor=root, name="three", path="/a%b/")
    create_user(actor=root, name="four", path="/aXXb/")
    assert [u.name for u in list_users(actor=root, path_prefix="/a_b/").items] == ["one"]
    assert [u.name for u in list_users(actor=root, path_prefix="/a%").items] == ["three"]
