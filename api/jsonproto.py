"""AWS JSON 1.1 (Organizations) and REST-JSON (Access Analyzer), from botocore's models.

The Query protocol (api/protocol.py) serves IAM and STS; the services beside them
speak JSON. Both JSON protocols carry the same values: structures as objects keyed
by member name (or ``jsonName``), lists, maps, strings, numbers, booleans, blobs in
base64 and timestamps as epoch seconds unless the shape says ``iso8601`` (Smithy,
"AWS JSON 1.1 protocol" and "AWS restJson1 protocol"). They differ in how an
operation is named:

* JSON 1.1: ``POST /`` with ``X-Amz-Target: <targetPrefix>.<Operation>`` and the
  whole input as the JSON body (:func:`json_operation`).
* REST-JSON: the HTTP method and the path (``/analyzer/{analyzerName}``) name the
  operation; members bound to the path, the query string and headers come from
  there, the rest from the JSON body (:func:`rest_route`, :func:`rest_input`).

:func:`parse_input` checks the values against the input shape (types, then the
model's constraints, with the Query parser's constraint texts) and returns the
dict handlers take, keyed by member name. :func:`serialize_output` and
:func:`serialize_error` write the answers. Pure Python, no Django.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from botocore.model import OperationModel, ServiceModel, Shape

from api.protocol import _Parser

__all__ = [
    "JsonError",
    "json_operation",
    "load_body",
    "parse_input",
    "rest_input",
    "rest_route",
    "serialize_error",
    "serialize_output",
]

CONTENT_TYPE = {"json": "application/x-amz-json-1.1", "rest-json": "application/json"}


@dataclass
class JsonError(Exception):
    """An error to answer as ``{"__type": code, "message": …}`` (with ``fields``)."""

    code: str
    message: str
    status: int = 400
    fields: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def _serialization_error(message: str) -> JsonError:
    # The JSON services answer a body that does not fit the model (bad JSON, a
    # string where a number belongs) with SerializationException (AWS JSON protocol
    # services' common error; the exact text per service is not established).
    return JsonError("SerializationException", message, 400)


def json_operation(model: ServiceModel, target: str | None) -> OperationModel:
    """The operation an ``X-Amz-Target`` header names, or AWS's UnknownOperationException."""
    prefix = model.metadata.get("targetPrefix", "")
    name = ""
    if target and "." in target:
        sent_prefix, name = target.rsplit(".", 1)
        if sent_prefix != prefix:
            name = ""
    if not name or name not in model.operation_names:
        # botocore's JSON parser reads "__type"; AWS JSON services answer an unknown
        # target with UnknownOperationException (no message text established).
        raise JsonError("UnknownOperationException", "", 400)
    return model.operation_model(name)


# ---------------------------------------------------------------------------
# REST-JSON routing


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    literal_query: tuple[tuple[str, str], ...]
    operation: str
    specificity: tuple[int, int]


def _route_for(op: OperationModel) -> _Route:
    uri = op.http["requestUri"]
    path, _, query = uri.partition("?")
    regex = ""
    literals = 0
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{"):
            label = part[1:-1]
            greedy = label.endswith("+")
            name = re.sub(r"\W", "_", label.rstrip("+"))
            regex += f"(?P<{name}>.+)" if greedy else f"(?P<{name}>[^/]+)"
        else:
            regex += re.escape(part)
            literals += len(part)
    pairs = tuple(parse_qsl(query, keep_blank_values=True))
    return _Route(
        op.http["method"].upper(),
        re.compile(regex + "/?"),
        pairs,
        op.name,
        (literals, len(pairs)),
    )


@functools.cache
def _routes(model: ServiceModel) -> tuple[_Route, ...]:
    routes = [_route_for(model.operation_model(name)) for name in model.operation_names]
    # The most literal path wins where two match ("/analyzer/findings/statistics"
    # over "/analyzer/{analyzerName}").
    return tuple(sorted(routes, key=lambda r: r.specificity, reverse=True))


def rest_route(
    model: ServiceModel, method: str, path: str, query: str
) -> tuple[OperationModel, dict[str, str]]:
    """The operation for ``method`` and the raw (still percent-encoded) ``path``, with
    its path labels decoded; AWS's UnknownOperationException when none matches."""
    sent = parse_qsl(query, keep_blank_values=True)
    for route in _routes(model):
        if route.method != method.upper():
            continue
        match = route.pattern.fullmatch(path)
        if match is None or any(pair not in sent for pair in route.literal_query):
            continue
        labels = {k: unquote(v) for k, v in match.groupdict().items()}
        return model.operation_model(route.operation), labels
    raise JsonError("UnknownOperationException", "", 404)


def rest_input(
    op: OperationModel,
    labels: dict[str, str],
    query: str,
    headers: dict[str, str],
    body: bytes,
) -> dict[str, Any]:
    """The wire input of a REST-JSON request, as one JSON-like dict keyed by member
    name (path labels, query string and headers as text; the body's members)."""
    shape = op.input_shape
    data = load_body(body)
    if shape is None:
        return {}
    sent_query: dict[str, list[str]] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        sent_query.setdefault(key, []).append(value)
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            label = re.sub(r"\W", "_", wire)
            if label in labels:
                out[name] = _Text(labels[label])
        elif location == "querystring":
            if wire in sent_query:
                values = sent_query[wire]
                out[name] = (
                    [_Text(v) for v in values] if member.type_name == "list" else _Text(values[0])
                )
        elif location == "header":
            value = headers.get(wire.lower())
            if value is not None:
                out[name] = _Text(value)
        else:
            key = member.serialization.get("name", name)
            if key in data:
                out[name] = data[key]
    return out


def load_body(body: bytes) -> dict[str, Any]:
    """A JSON request body (an object; empty is ``{}``)."""
    if not body.strip():
        return {}
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _serialization_error("The request body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise _serialization_error("The request body is not a JSON object.")
    return data


class _Text(str):
    """A value that came as text (path, query string, header): numbers, booleans and
    timestamps in it are parsed from text, as REST bindings send them."""


# ---------------------------------------------------------------------------
# Input


# What Organizations answers for each kind of constraint: InvalidInputException with
# a Reason (botocore's organizations model documents the reasons; the message is the
# reason's documented description).
_ORG_REASONS = {
    "null": ("INPUT_REQUIRED", "You must include a value for all required parameters."),
    "enum": ("INVALID_ENUM", "You specified an invalid value."),
    "pattern": ("INVALID_PATTERN", "You provided a value that doesn't match the required pattern."),
    "max-length": (
        "MAX_LENGTH_EXCEEDED",
        "You provided a string parameter that is longer than allowed.",
    ),
    "min-length": (
        "MIN_LENGTH_EXCEEDED",
        "You provided a string parameter that is shorter than allowed.",
    ),
    "max-value": (
        "MAX_VALUE_EXCEEDED",
        "You provided a numeric parameter that has a larger value than allowed.",
    ),
    "min-value": (
        "MIN_VALUE_EXCEEDED",
        "You provided a numeric parameter that has a smaller value than allowed.",
    ),
}


def _constraint_kind(constraint: str) -> str:
    if constraint.startswith("Member must not be null"):
        return "null"
    if "enum" in constraint:
        return "enum"
    if "regular expression" in constraint:
        return "pattern"
    if "length less than" in constraint:
        return "max-length"
    if "length greater than" in constraint:
        return "min-length"
    if "value less than" in constraint:
        return "max-value"
    if "value greater than" in constraint:
        return "min-value"
    return "pattern"


class _JsonParser(_Parser):
    """Type-check JSON values against the model, then its constraints (``_validate``)."""

    def parse_value(self, value: Any, shape: Shape, path: str) -> Any:
        kind = shape.type_name
        text = isinstance(value, _Text)
        if kind == "structure":
            if not isinstance(value, dict):
                raise _serialization_error(f"Expected an object at '{path or 'body'}'.")
            return self.parse_members(value, shape, path)
        if kind == "list":
            if not isinstance(value, list):
                raise _serialization_error(f"Expected a list at '{path}'.")
            out = []
            for i, item in enumerate(value):
                if item is None:
                    continue
                parsed = self.parse_value(item, shape.member, f"{path}.{i + 1}.member")
                self._validate(parsed, shape.member, f"{path}.{i + 1}.member")
                out.append(parsed)
            return out
        if kind == "map":
            if not isinstance(value, dict):
                raise _serialization_error(f"Expected an object at '{path}'.")
            out_map = {}
            for key, item in value.items():
                self._validate(key, shape.key, f"{path}.{key}.key")
                if item is not None:
                    item = self.parse_value(item, shape.value, f"{path}.{key}.value")
                    self._validate(item, shape.value, f"{path}.{key}.value")
                out_map[key] = item
            return out_map
        if kind == "string":
            if not isinstance(value, str):
                raise _serialization_error(f"Expected a string at '{path}'.")
            return str(value)
        if kind == "boolean":
            if text:
                if value.lower() in ("true", "false"):
                    return value.lower() == "true"
            elif isinstance(value, bool):
                return value
            raise _serialization_error(f"Expected a boolean at '{path}'.")
        if kind in ("integer", "long"):
            if text and re.fullmatch(r"[+-]?\d{1,19}", value, re.ASCII):
                return int(value)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            raise _serialization_error(f"Expected an integer at '{path}'.")
        if kind in ("float", "double"):
            try:
                if text or (isinstance(value, (int, float)) and not isinstance(value, bool)):
                    return float(value)
            except ValueError:
                pass
            raise _serialization_error(f"Expected a number at '{path}'.")
        if kind == "timestamp":
            return _parse_timestamp(value, path)
        if kind == "blob":
            if isinstance(value, str):
                try:
                    return base64.b64decode(value.encode("ascii"), validate=True)
                except (binascii.Error, UnicodeEncodeError):
                    pass
            raise _serialization_error(f"Expected base64-encoded data at '{path}'.")
        raise _serialization_error(f"Unsupported value at '{path}'.")  # pragma: no cover

    def parse_members(self, data: dict[str, Any], shape: Shape, path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        prefix = f"{path}." if path else ""
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            member_path = prefix + name[:1].lower() + name[1:]
            value = data.get(key, data.get(name))
            if value is None:
                if name in shape.required_members:
                    self.errors.add(None, member_path, "Member must not be null")
                continue
            parsed = self.parse_value(value, member, member_path)
            self._validate(parsed, member, member_path)
            out[name] = parsed
        return out


def _parse_timestamp(value: Any, path: str) -> datetime:
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if math.isfinite(value):
                return datetime.fromtimestamp(float(value), UTC)
        elif isinstance(value, str):
            text = value.strip()
            if re.fullmatch(r"\d+(\.\d+)?", text, re.ASCII):
                return datetime.fromtimestamp(float(text), UTC)
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        pass
    raise _serialization_error(f"Expected a timestamp at '{path}'.")


def parse_input(model: ServiceModel, op: OperationModel, data: dict[str, Any]) -> dict[str, Any]:
    """The handler's input dict, or the service's validation error.

    Organizations answers a constraint violation with ``InvalidInputException`` and
    a ``Reason``; Access Analyzer (and REST-JSON services generally) with
    ``ValidationException`` (``reason`` fieldValidationFailed and a ``fieldList``).
    """
    shape = op.input_shape
    if shape is None:
        return {}
    parser = _JsonParser()
    result = parser.parse_members(data, shape, "")
    errors = parser.errors
    if not errors.messages:
        return result
    if model.service_name == "organizations":
        reason, message = _ORG_REASONS[_constraint_kind(errors.constraints[0])]
        raise JsonError("InvalidInputException", message, 400, {"Reason": reason})
    count = len(errors.messages)
    # Coral's validation text, as the Query services answer it (api/protocol.py);
    # Access Analyzer's own wording is not established.
    message = f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(
        errors.messages
    )
    field_list = [
        {"name": p, "message": m} for p, m in zip(errors.paths, errors.messages, strict=True)
    ]
    raise JsonError(
        "ValidationException",
        message,
        400,
        {"reason": "fieldValidationFailed", "fieldList": field_list},
    )


# ---------------------------------------------------------------------------
# Output


def _timestamp(value: datetime | str, shape: Shape, default: str) -> Any:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    fmt = shape.serialization.get("timestampFormat") or default
    if fmt == "iso8601":
        value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    if fmt == "rfc822":
        return value.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    return round(value.timestamp(), 3)


def to_json(value: Any, shape: Shape, timestamp_default: str = "unixTimestamp") -> Any:
    """A handler's output value as the JSON the model describes."""
    if value is None:
        return None
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for name, member in shape.members.items():
            if member.serialization.get("location"):
                continue  # headers and status codes: serialize_output sets them
            item = value.get(name)
            if item is None:
                continue
            out[member.serialization.get("name", name)] = to_json(item, member, timestamp_default)
        return out
    if kind == "list":
        return [to_json(v, shape.member, timestamp_default) for v in value]
    if kind == "map":
        return {k: to_json(v, shape.value, timestamp_default) for k, v in value.items()}
    if kind == "timestamp":
        return _timestamp(value, shape, timestamp_default)
    if kind == "blob":
        raw = value.encode() if isinstance(value, str) else value
        return base64.b64encode(raw).decode("ascii")
    if kind == "boolean":
        return bool(value)
    if kind in ("integer", "long"):
        return int(value)
    if kind in ("float", "double"):
        return float(value)
    return str(value)


def serialize_output(op: OperationModel, output: dict[str, Any] | None) -> bytes:
    """The response body (a JSON object; ``{}`` for operations without output)."""
    shape = op.output_shape
    if shape is None or output is None:
        return b"{}"
    body = to_json(output, shape)
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


@functools.cache
def _error_shapes(model: ServiceModel) -> frozenset[str]:
    return frozenset(shape.name for shape in model.error_shapes)


def serialize_error(model: ServiceModel, error: JsonError) -> bytes:
    """``{"__type": code, "<message member>": message, **fields}``.

    The message goes under the member name the error shape uses (Organizations'
    ``Message``, Access Analyzer's ``message``); botocore reads either.
    """
    key = "message"
    if error.code in _error_shapes(model) and "Message" in model.shape_for(error.code).members:
        key = "Message"
    body: dict[str, Any] = {"__type": error.code, key: error.message}
    body.update(error.fields)
    return json.dumps(body, separators=(",", ":"), default=str).encode("utf-8")
