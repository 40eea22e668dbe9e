"""Query protocol: round trips through botocore's own serializer and parser."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import pytest
from botocore.model import ServiceModel, Shape
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from botocore.utils import percent_encode_sequence

from api.protocol import (
    QueryError,
    compile_pattern,
    load_service_model,
    parse_query,
    serialize_error,
    serialize_response,
)

IAM = load_service_model("iam")
STS = load_service_model("sts")
MODELS = {"iam": IAM, "sts": STS}

# Strings tried, in order, until one fits a shape's pattern and length bounds.
CANDIDATES = [
    "abc",
    "Abc123",
    "a",
    "/",
    "/division/",
    "arn:aws:iam::123456789012:role/example",
    "123456789012",
    "ABC123",
    "v1",
    "o-abcdefghij",
    "o-abcdefghij/r-abcd",
    "p-abcdefgh",
    "https://example.com/cb",
    "my-app.example.com",
    "token",
    "123456",
    "ABCDEFGHIJKLMNOPQRSTUV",
]
TIMESTAMP = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def _string_for(shape: Shape, variant: int = 0) -> str:
    if shape.enum:
        return shape.enum[variant % len(shape.enum)]
    lo = shape.metadata.get("min", 0)
    hi = shape.metadata.get("max", 10_000)
    pattern = shape.metadata.get("pattern")
    tries = [f"{c}{variant}" for c in CANDIDATES if variant] + CANDIDATES
    for value in tries:
        if len(value) < lo:
            value = value + "a" * (lo - len(value))
        if not lo <= len(value) <= hi:
            continue
        if pattern is None or compile_pattern(pattern).fullmatch(value):
            return value
    raise AssertionError(f"no candidate fits {shape.name}: {pattern} [{lo}, {hi}]")


def sample(shape: Shape, variant: int = 0, depth: int = 0) -> Any:
    """A value valid for ``shape``: every member set, lists of two, maps of two."""
    kind = shape.type_name
    if kind == "structure":
        if depth > 6:
            return {}
        members = shape.members.items()
        if shape.is_tagged_union:  # exactly one member may be set
            members = list(members)[variant % len(members) : variant % len(members) + 1]
        return {name: sample(m, variant, depth + 1) for name, m in members}
    if kind == "list":
        count = max(1, min(2, shape.metadata.get("max", 2)))
        return [sample(shape.member, variant + i, depth + 1) for i in range(count)]
    if kind == "map":
        return {
            _string_for(shape.key, variant + i): sample(shape.value, variant + i, depth + 1)
            for i in range(2)
        }
    if kind == "string":
        return _string_for(shape, variant)
    if kind in ("integer", "long"):
        return shape.metadata.get("min", 3) + variant
    if kind == "boolean":
        return variant % 2 == 0
    if kind == "timestamp":
        return TIMESTAMP
    if kind == "blob":
        return b"blob\x00\xff" + bytes([variant])
    if kind in ("float", "double"):
        return 1.5
    raise AssertionError(kind)


def on_the_wire(body: dict[str, Any]) -> list[tuple[str, str]]:
    """The form body as botocore encodes it and a server decodes it (all strings)."""
    return parse_qsl(percent_encode_sequence(body), keep_blank_values=True)


def operations(model: ServiceModel, *, need: str):
    for name in model.operation_names:
        op = model.operation_model(name)
        shape = op.input_shape if need == "input" else op.output_shape
        if shape is not None:
            yield pytest.param(model.service_name, name, id=f"{model.service_name}:{name}")


# ---------------------------------------------------------------------------
# Requests: botocore's QuerySerializer -> parse_query


@pytest.mark.parametrize(
    ("service", "action"),
    [*operations(IAM, need="input"), *operations(STS, need="input")],
)
def test_parse_query_returns_what_botocore_serialized(service, action):
    model = MODELS[service]
    op = model.operation_model(action)
    params = sample(op.input_shape)
    body = on_the_wire(create_serializer("query").serialize_to_request(params, op)["body"])
    assert dict(body)["Action"] == action
    assert parse_query(model, action, body) == params
    assert parse_query(model, action, dict(body)) == params


@pytest.mark.parametrize(
    ("service", "action", "params"),
    [
        ("iam", "CreateUser", {"UserName": "alice"}),
        ("iam", "CreateUser", {"UserName": "alice", "Tags": []}),
        (
            "iam",
            "TagUser",
            {
                "UserName": "b",
                "Tags": [{"Key": "Zoë", "Value": "東京 42"}, {"Key": "k", "Value": ""}],
            },
        ),
        ("iam", "ListUsers", {"PathPrefix": "/", "MaxItems": 1000, "Marker": "x"}),
        (
            "iam",
            "SimulatePrincipalPolicy",
            {
                "PolicySourceArn": "arn:aws:iam::123456789012:user/alice",
                "ActionNames": ["s3:GetObject", "s3:PutObject"],
                "ContextEntries": [
                    {
                        "ContextKeyName": "aws:CurrentTime",
                        "ContextKeyValues": ["2024-01-01T00:00:00Z"],
                        "ContextKeyType": "date",
                    }
                ],
            },
        ),
        ("iam", "UpdateAccessKey", {"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "Inactive"}),
        (
            "iam",
            "CreatePolicy",
            {"PolicyName": "p", "PolicyDocument": '{"Version": "2012-10-17",\r\n"Statement": []}'},
        ),
        (
            "sts",
            "AssumeRole",
            {
                "RoleArn": "arn:aws:iam::123456789012:role/r",
                "RoleSessionName": "s1",
                "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
                "DurationSeconds": 3600,
                "TransitiveTagKeys": ["a"],
            },
        ),
    ],
)
def test_realistic_requests_round_trip(service, action, params):
    model = MODELS[service]
    body = create_serializer("query").serialize_to_request(params, model.operation_model(action))
    assert parse_query(model, action, on_the_wire(body["body"])) == params


def test_parameters_are_typed_from_the_shape():
    parsed = parse_query(
        IAM,
        "CreateRole",
        {
            "RoleName": "r",
            "AssumeRolePolicyDocument": "{}",
            "MaxSessionDuration": "7200",
            "Tags.member.2.Key": "b",
            "Tags.member.2.Value": "2",
            "Tags.member.1.Key": "a",
            "Tags.member.1.Value": "1",
        },
    )
    assert parsed["MaxSessionDuration"] == 7200
    assert parsed["Tags"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    assert parse_query(IAM, "ListPolicies", {"OnlyAttached": "true"})["OnlyAttached"] is True


# ---------------------------------------------------------------------------
# Validation, worded as AWS words it


def _validation(service: ServiceModel, action: str, params: dict[str, str]) -> QueryError:
    with pytest.raises(QueryError) as err:
        parse_query(service, action, params)
    assert (err.value.code, err.value.status, err.value.sender_fault) == (
        "ValidationError",
        400,
        True,
    )
    return err.value


def test_non_ascii_user_name_fails_the_pattern_because_aws_w_is_ascii():
    error = _validation(IAM, "CreateUser", {"UserName": "jörg"})
    assert error.message == (  # IAM no longer quotes the value (2026 recordings)
        "1 validation error detected: Value at 'userName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    )


@pytest.mark.parametrize("name", ["a b", "名前", "x/y", "tab\there", "ａ"])
def test_names_outside_the_pattern_are_refused(name):
    assert (
        "regular expression pattern" in _validation(IAM, "CreateUser", {"UserName": name}).message
    )


def test_too_long_and_empty_names_are_refused():
    error = _validation(IAM, "CreateUser", {"UserName": "a" * 65})
    assert error.message.endswith("Member must have length less than or equal to 64")
    error = _validation(IAM, "GetGroup", {"GroupName": ""})
    assert "Member must have length greater than or equal to 1" in error.message


def test_enum_value_outside_the_set_is_refused():
    error = _validation(
        IAM, "UpdateAccessKey", {"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "Paused"}
    )
    # IAM neither quotes the value nor lists the set (localstack's AWS recording of
    # UpdateServiceSpecificCredential, same statusType).
    assert error.message == (
        "1 validation error detected: Value at 'status' failed to satisfy "
        "constraint: Member must satisfy enum value set"
    )


def test_integer_out_of_range_is_refused():
    error = _validation(IAM, "ListUsers", {"MaxItems": "0"})
    assert error.message == (
        "1 validation error detected: Value at 'maxItems' failed to satisfy "
        "constraint: Member must have value greater than or equal to 1"
    )
    assert (
        "less than or equal to 43200"
        in _validation(
            STS,
            "AssumeRole",
            {
                "RoleArn": "arn:aws:iam::123456789012:role/r",
                "RoleSessionName": "s",
                "DurationSeconds": "99999",
            },
        ).message
    )


def test_missing_required_parameter_is_a_validation_error():
    error = _validation(IAM, "GetRole", {})
    assert error.message == (
        "1 validation error detected: Value null at 'roleName' failed to satisfy "
        "constraint: Member must not be null"
    )


def test_several_errors_are_counted_and_joined():
    error = _validation(STS, "AssumeRole", {"RoleSessionName": "bad name"})
    assert error.message.startswith("2 validation errors detected: ")
    assert "Value null at 'roleArn'" in error.message
    assert "Value 'bad name' at 'roleSessionName'" in error.message
    assert "; " in error.message


def test_nested_errors_name_their_path():
    error = _validation(
        IAM,
        "TagRole",
        {"RoleName": "r", "Tags.member.1.Key": "k", "Tags.member.1.Value": "<script>"},
    )
    assert "at 'tags.1.member.value'" in error.message


def test_malformed_numbers_and_booleans_are_refused():
    assert "maxItems" in _validation(IAM, "ListUsers", {"MaxItems": "ten"}).message
    assert "onlyAttached" in _validation(IAM, "ListPolicies", {"OnlyAttached": "yes"}).message


def test_unknown_action_is_invalid_action():
    for model, version in ((IAM, "2010-05-08"), (STS, "2011-06-15")):
        with pytest.raises(QueryError) as err:
            parse_query(model, "MakeCoffee", {})
        assert (err.value.code, err.value.status) == ("InvalidAction", 400)
        assert err.value.message == f"Could not find operation MakeCoffee for version {version}"


def test_unicode_tag_values_pass_the_p_l_pattern():
    parsed = parse_query(
        IAM,
        "TagUser",
        {"UserName": "u", "Tags.member.1.Key": "Équipe", "Tags.member.1.Value": "東京 ٣"},
    )
    assert parsed["Tags"] == [{"Key": "Équipe", "Value": "東京 ٣"}]


# ---------------------------------------------------------------------------
# Responses: serialize_response -> botocore's QueryParser


def _parse_with_botocore(model: ServiceModel, action: str, body: bytes, status: int = 200):
    op = model.operation_model(action)
    return create_parser("query").parse(
        {"body": body, "headers": {}, "status_code": status}, op.output_shape
    )


@pytest.mark.parametrize(
    ("service", "action"),
    [*operations(IAM, need="output"), *operations(STS, need="output")],
)
def test_botocore_parses_serialized_response_back_to_the_output(service, action):
    model = MODELS[service]
    output = sample(model.operation_model(action).output_shape)
    body = serialize_response(model, action, output, "req-1")
    parsed = _parse_with_botocore(model, action, body)
    assert parsed.pop("ResponseMetadata")["RequestId"] == "req-1"
    assert parsed == output


def test_response_layout_is_awss():
    output = {
        "Users": [
            {
                "Path": "/",
                "UserName": "alice",
                "UserId": "AIDAEXAMPLE",
                "Arn": "arn:aws:iam::123456789012:user/alice",
                "CreateDate": TIMESTAMP,
            }
        ],
        "IsTruncated": False,
    }
    xml = serialize_response(IAM, "ListUsers", output, "rid").decode()
    assert xml.startswith('<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">')
    assert "<ListUsersResult>" in xml and "<member>" in xml
    assert "<CreateDate>2024-01-02T03:04:05Z</CreateDate>" in xml
    assert "<IsTruncated>false</IsTruncated>" in xml
    assert "<ResponseMetadata>\n    <RequestId>rid</RequestId>" in xml


def test_map_is_written_as_entries():
    xml = serialize_response(
        IAM, "GetAccountSummary", {"SummaryMap": {"Users": 3, "Groups": 1}}, "r"
    ).decode()
    assert "<SummaryMap>" in xml and "<entry>" in xml and "<key>Users</key>" in xml
    assert "<value>3</value>" in xml


def test_none_values_are_left_out_and_empty_lists_kept():
    xml = serialize_response(IAM, "ListUsers", {"Users": [], "Marker": None}, "r").decode()
    assert "<Users/>" in xml and "Marker" not in xml
    assert _parse_with_botocore(IAM, "ListUsers", xml.encode())["Users"] == []


def test_action_without_output_shape_has_only_response_metadata():
    xml = serialize_response(IAM, "DeleteUser", None, "rid-9").decode()
    assert xml == (
        '<DeleteUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">\n'
        "  <ResponseMetadata>\n    <RequestId>rid-9</RequestId>\n  </ResponseMetadata>\n"
        "</DeleteUserResponse>\n"
    )
    parsed = _parse_with_botocore(IAM, "DeleteUser", xml.encode())
    assert parsed["ResponseMetadata"]["RequestId"] == "rid-9"


def test_sts_responses_use_the_sts_namespace():
    output = {"UserId": "AIDA", "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:root"}
    xml = serialize_response(STS, "GetCallerIdentity", output, "r").decode()
    assert xml.startswith(
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    )


@pytest.mark.parametrize(
    "text",
    ["a<b>&c", "quotes \" and '", "]]>", "line\r\nbreak", "tab\tend", "ctrl\x01char", "東京"],
)
def test_text_is_escaped_and_survives_botocore(text):
    output = {"Account": "1", "Arn": text, "UserId": text}
    body = serialize_response(STS, "GetCallerIdentity", output, "r&<")
    parsed = _parse_with_botocore(STS, "GetCallerIdentity", body)
    expected = text.replace("\x01", "\ufffd")  # not representable in XML 1.0
    assert parsed["Arn"] == expected
    assert parsed["ResponseMetadata"]["RequestId"] == "r&<"


def test_unknown_output_member_is_a_programming_error():
    with pytest.raises(ValueError):
        serialize_response(IAM, "GetUser", {"User": {"UserName": "a"}, "Oops": 1}, "r")


# ---------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize(
    ("service", "code", "message", "sender"),
    [
        ("iam", "NoSuchEntity", "The user with name bob cannot be found.", True),
        ("iam", "ServiceFailure", "Internal <error> & more", False),
        ("sts", "AccessDenied", "User: arn:aws:iam::1:user/a is not authorized", True),
    ],
)
def test_botocore_reads_the_error_code_and_message(service, code, message, sender):
    model = MODELS[service]
    body = serialize_error(code, message, "rid-7", sender_fault=sender, service=model)
    action = "GetUser" if service == "iam" else "GetCallerIdentity"
    parsed = _parse_with_botocore(model, action, body, status=400 if sender else 500)
    assert parsed["Error"] == {
        "Type": "Sender" if sender else "Receiver",
        "Code": code,
        "Message": message,
    }
    assert parsed["ResponseMetadata"]["RequestId"] == "rid-7"
    assert body.decode().startswith(f'<ErrorResponse xmlns="{model.metadata["xmlNamespace"]}">')


def test_sigv4_and_validation_errors_render_the_same_way():
    error = QueryError("ValidationError", "1 validation error detected: x", 400)
    body = serialize_error(error.code, error.message, "r", service="sts")
    assert b"<Code>ValidationError</Code>" in body
    assert b'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"' in body


def test_sample_generator_covers_every_operation():
    count = sum(1 for _ in itertools.chain(IAM.operation_names, STS.operation_names))
    assert count > 180
