"""AWS Query protocol for IAM and STS, driven by botocore's service models.

botocore ships the same service models the AWS SDKs are generated from; they
describe every operation's input and output shapes, their constraints (min,
max, pattern, enum, required) and how each is laid out on the wire. This module
reads form parameters and writes XML from those shapes rather than from one
template per action (AWS "Query protocol": https://smithy.io/2.0/aws/protocols/aws-query-protocol.html).

* :func:`parse_query` turns flat form parameters (``Tags.member.1.Key``) into
  the nested input dict and validates it as AWS does, answering
  ``ValidationError`` with AWS's "N validation error(s) detected: …" text.
* :func:`serialize_response` writes ``<ActionResponse><ActionResult>…``.
* :func:`serialize_error` writes ``<ErrorResponse><Error>…``.

Pure Python, no Django: the API view calls these.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.loaders import Loader
from botocore.model import OperationModel, OperationNotFoundError, ServiceModel, Shape

__all__ = [
    "QueryError",
    "compile_pattern",
    "get_operation",
    "load_service_model",
    "parse_query",
    "serialize_error",
    "serialize_response",
    "xml_namespace",
]

# Used when a model lacks metadata.xmlNamespace (IAM's and STS's have it).
NAMESPACES = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}


class QueryError(Exception):
    """An error to answer as an AWS Query ``ErrorResponse``.

    ``sender_fault`` picks ``<Type>Sender</Type>`` (the caller's fault) or
    ``Receiver`` (ours).
    """

    def __init__(self, code: str, message: str, status: int = 400, *, sender_fault: bool = True):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault


@functools.cache
def load_service_model(service_name: str) -> ServiceModel:
    """botocore's ``service-2`` model for ``iam`` or ``sts`` (loaded once)."""
    return ServiceModel(Loader().load_service_model(service_name, "service-2"), service_name)


def xml_namespace(service_model: ServiceModel) -> str:
    """The response namespace, e.g. ``https://iam.amazonaws.com/doc/2010-05-08/``."""
    return service_model.metadata.get("xmlNamespace") or NAMESPACES[service_model.service_name]


def get_operation(service_model: ServiceModel, action: str) -> OperationModel:
    """The operation named by ``Action``, or AWS's ``InvalidAction`` (400).

    AWS answers an unknown action with "Could not find operation X for
    version 2010-05-08". Operation names are case-sensitive.
    """
    try:
        if action in service_model.operation_names:
            return service_model.operation_model(action)
    except OperationNotFoundError:
        pass
    raise QueryError(
        "InvalidAction",
        f"Could not find operation {action} for version {service_model.api_version}",
        400,
    )


# ---------------------------------------------------------------------------
# Patterns: the models carry Java regular expressions


@functools.cache
def _category_class(prefix: str) -> str:
    """A character-class body listing every code point whose Unicode general
    category starts with ``prefix`` (Java's ``\\p{L}``, ``\\p{N}``, ``\\p{Z}``)."""
    categories = _all_categories()
    parts: list[str] = []
    start = None
    for cp, category in enumerate((*categories, "")):
        inside = category.startswith(prefix) if category else False
        if inside and start is None:
            start = cp
        elif not inside and start is not None:
            end = cp - 1
            parts.append(f"\\U{start:08x}" if start == end else f"\\U{start:08x}-\\U{end:08x}")
            start = None
    return "".join(parts)


@functools.cache
def _all_categories() -> tuple[str, ...]:
    return tuple(unicodedata.category(chr(cp)) for cp in range(0x110000))


_UNICODE_PROPERTY = re.compile(r"\\p\{(L|N|Z|Lu|Ll|Nd)\}")


@functools.cache
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a model pattern with Java's semantics.

    ``\\w``, ``\\d`` and ``\\s`` are ASCII-only in Java (so ``re.ASCII``: a user
    name like ``jörg`` fails ``[\\w+=,.@-]+`` as it does on AWS), ``\\p{…}``
    classes are expanded from the Unicode database, and the whole value must
    match (Java's ``Pattern.matches``), hence :func:`re.fullmatch` by callers.
    """

    def expand(match: re.Match[str]) -> str:
        return _category_class(match.group(1))

    translated = _UNICODE_PROPERTY.sub(expand, pattern)
    if "\\p{" in translated and not translated.startswith("["):
        raise ValueError(f"unsupported pattern: {pattern}")
    return re.compile(translated, re.ASCII)


# ---------------------------------------------------------------------------
# Parsing flat form parameters


class _Node:
    """One dotted segment of the flat parameter names."""

    __slots__ = ("children", "value")

    def __init__(self) -> None:
        self.value: str | None = None
        self.children: dict[str, _Node] = {}


def _build_tree(params: Mapping[str, str] | Iterable[tuple[str, str]]) -> _Node:
    root = _Node()
    items = params.items() if isinstance(params, Mapping) else params
    for key, value in items:
        node = root
        for segment in key.split("."):
            node = node.children.setdefault(segment, _Node())
        node.value = value  # a repeated key: the last one wins
    return root


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _serialized_name(shape: Shape, default: str) -> str:
    return shape.serialization.get("name", default)


def _indexed(node: _Node) -> list[tuple[int, _Node]]:
    """Children named 1, 2, 3…, in numeric order (other names are ignored)."""
    out = []
    for name, child in node.children.items():
        if name.isascii() and name.isdigit() and not name.startswith("0"):
            out.append((int(name), child))
    return sorted(out, key=lambda pair: pair[0])


@dataclass
class _Errors:
    messages: list[str]
    # IAM (recordings of 2026) no longer quotes the rejected value: "Value at 'tags'
    # failed to satisfy constraint: …"; STS still does ("Value 'x' at …").
    redact: bool = False
    paths: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)

    def add(self, value: Any, path: str, constraint: str) -> None:
        if self.redact and value is not None:
            shown = ""
        else:
            shown = " null" if value is None else f" '{_show(value)}'"
        self.messages.append(f"Value{shown} at '{path}' failed to satisfy constraint: {constraint}")
        self.paths.append(path)
        self.constraints.append(constraint)


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%a %b %d %H:%M:%S UTC %Y")
    if isinstance(value, bytes):
        return f"java.nio.HeapByteBuffer[pos=0 lim={len(value)} cap={len(value)}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_show(v)}" for k, v in value.items()) + "}"
    return str(value)


class _Parser:
    def __init__(self, *, redact: bool = False) -> None:
        self.errors = _Errors([], redact=redact)
        self.redact = redact

    def parse(self, node: _Node, shape: Shape, path: str) -> Any:
        method = getattr(self, f"_parse_{shape.type_name}", None)
        if method is None:  # pragma: no cover - IAM/STS use none other
            raise QueryError("InternalFailure", f"unsupported shape type {shape.type_name}", 500)
        return method(node, shape, path)

    def _parse_structure(self, node: _Node, shape: Shape, path: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        prefix = f"{path}." if path else ""
        for name, member in shape.members.items():
            child = node.children.get(_serialized_name(member, name))
            member_path = prefix + _lower_first(name)
            if child is None:
                if name in shape.required_members:
                    self.errors.add(None, member_path, "Member must not be null")
                continue
            value = self.parse(child, member, member_path)
            if value is not None:
                result[name] = value
                self._validate(value, member, member_path)
            elif name in shape.required_members:
                self.errors.add(None, member_path, "Member must not be null")
        return result

    def _parse_list(self, node: _Node, shape: Shape, path: str) -> list[Any]:
        # botocore's QuerySerializer writes an empty list as "Name=".
        if not node.children:
            return []
        if shape.serialization.get("flattened"):
            items_node = node
        else:
            items_node = node.children.get(_serialized_name(shape.member, "member"), _Node())
        result = []
        for index, child in _indexed(items_node):
            item_path = f"{path}.{index}.member"
            value = self.parse(child, shape.member, item_path)
            if value is not None:
                if self.redact and shape.member.type_name == "string":
                    self._validate_list_member(value, shape.member, path)
                else:
                    self._validate(value, shape.member, item_path)
                result.append(value)
        return result

    def _validate_list_member(self, value: str, shape: Shape, path: str) -> None:
        """IAM reports a bad member of a list of strings once, at the list, with all the
        member's constraints (localstack's AWS recordings of UntagRole/UntagPolicy:
        "Value at 'tagKeys' failed to satisfy constraint: Member must satisfy
        constraint: [Member must have length less than or equal to 128, Member must
        have length greater than or equal to 1, Member must satisfy regular expression
        pattern: …, Member must not be null]")."""
        probe = _Parser()
        probe._validate(value, shape, path)
        if not probe.errors.messages or any(p == path for p in self.errors.paths):
            return
        meta = shape.metadata
        parts = []
        if "max" in meta:
            parts.append(f"Member must have length less than or equal to {meta['max']}")
        if "min" in meta:
            parts.append(f"Member must have length greater than or equal to {meta['min']}")
        if shape.enum:  # not recorded: AWS's place for an enum in this list is a guess
            parts.append(f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
        if meta.get("pattern"):
            parts.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
        parts.append("Member must not be null")
        self.errors.add(value, path, f"Member must satisfy constraint: [{', '.join(parts)}]")

    def _parse_map(self, node: _Node, shape: Shape, path: str) -> dict[str, Any]:
        if not node.children:
            return {}
        entries = node if shape.serialization.get("flattened") else node.children.get("entry")
        result: dict[str, Any] = {}
        key_name = _serialized_name(shape.key, "key")
        value_name = _serialized_name(shape.value, "value")
        for index, entry in _indexed(entries or _Node()):
            key_node = entry.children.get(key_name)
            value_node = entry.children.get(value_name)
            entry_path = f"{path}.{index}.member"
            if key_node is None:
                self.errors.add(None, f"{entry_path}.key", "Member must not be null")
                continue
            key = self.parse(key_node, shape.key, f"{entry_path}.key")
            if key is not None:
                self._validate(key, shape.key, f"{entry_path}.key")
            value = None
            if value_node is not None:
                value = self.parse(value_node, shape.value, f"{entry_path}.value")
                if value is not None:
                    self._validate(value, shape.value, f"{entry_path}.value")
            result[key] = value
        return result

    def _scalar(self, node: _Node) -> str | None:
        return node.value

    def _parse_string(self, node: _Node, shape: Shape, path: str) -> str | None:
        return self._scalar(node)

    def _parse_integer(self, node: _Node, shape: Shape, path: str) -> int | None:
        raw = self._scalar(node)
        if raw is None:
            return None
        text = raw.strip()
        if re.fullmatch(r"[+-]?\d{1,19}", text, re.ASCII):
            return int(text)
        self.errors.add(raw, path, "Member must be a number")
        return None

    _parse_long = _parse_integer

    def _parse_float(self, node: _Node, shape: Shape, path: str) -> float | None:
        raw = self._scalar(node)
        if raw is None:
            return None
        try:
            return float(raw)
        except ValueError:
            self.errors.add(raw, path, "Member must be a number")
            return None

    _parse_double = _parse_float

    def _parse_boolean(self, node: _Node, shape: Shape, path: str) -> bool | None:
        raw = self._scalar(node)
        if raw is None:
            return None
        lowered = raw.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        self.errors.add(raw, path, "Member must be a boolean")
        return None

    def _parse_timestamp(self, node: _Node, shape: Shape, path: str) -> datetime | None:
        raw = self._scalar(node)
        if raw is None:
            return None
        text = raw.strip()
        try:
            if re.fullmatch(r"\d+(\.\d+)?", text, re.ASCII):
                return datetime.fromtimestamp(float(text), UTC)
            parsed = datetime.fromisoformat(text)
        except (ValueError, OverflowError, OSError):
            self.errors.add(raw, path, "Member must be a timestamp in ISO 8601 format")
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)

    def _parse_blob(self, node: _Node, shape: Shape, path: str) -> bytes | None:
        raw = self._scalar(node)
        if raw is None:
            return None
        try:
            return base64.b64decode(raw.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            self.errors.add(raw, path, "Member must be base64-encoded binary data")
            return None

    def _validate(self, value: Any, shape: Shape, path: str) -> None:
        """The model's constraints, with AWS's (Coral's) constraint texts."""
        meta = shape.metadata
        if isinstance(value, (str, bytes, list, dict)):
            length = len(value)
            if "min" in meta and length < meta["min"]:
                self.errors.add(
                    value, path, f"Member must have length greater than or equal to {meta['min']}"
                )
            if "max" in meta and length > meta["max"]:
                self.errors.add(
                    value, path, f"Member must have length less than or equal to {meta['max']}"
                )
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            if "min" in meta and value < meta["min"]:
                self.errors.add(
                    value, path, f"Member must have value greater than or equal to {meta['min']}"
                )
            if "max" in meta and value > meta["max"]:
                self.errors.add(
                    value, path, f"Member must have value less than or equal to {meta['max']}"
                )
        if isinstance(value, str):
            enum = shape.enum
            if enum and value not in enum:
                # IAM names no values (localstack's AWS recording of
                # UpdateServiceSpecificCredential with Status "Invalid", 2025-03-06:
                # "Value at 'status' failed to satisfy constraint: Member must satisfy
                # enum value set"); STS lists them.
                listed = "" if self.redact else f": [{', '.join(enum)}]"
                self.errors.add(value, path, f"Member must satisfy enum value set{listed}")
            pattern = meta.get("pattern")
            if pattern and not compile_pattern(pattern).fullmatch(value):
                self.errors.add(
                    value, path, f"Member must satisfy regular expression pattern: {pattern}"
                )


IAM_PATH_MESSAGE = (
    "The specified value for path is invalid. It must begin and end with / and contain "
    "only alphanumeric characters and/or / characters."
)

# Where IAM lists several validation errors in an order other than the model's
# (localstack's AWS recording of UpdateAccountPasswordPolicy, 2026-02-13). Members not
# listed keep the model's order, after these.
_ERROR_ORDER: dict[str, tuple[str, ...]] = {
    "UpdateAccountPasswordPolicy": (
        "minimumPasswordLength",
        "passwordReusePrevention",
        "maxPasswordAge",
    ),
}


def parse_query(
    service_model: ServiceModel,
    action: str,
    params: Mapping[str, str] | Iterable[tuple[str, str]],
    *,
    validate: bool = True,
) -> dict[str, Any]:
    """Flat Query parameters to the operation's nested input dict.

    ``Tags.member.1.Key=k`` becomes ``{"Tags": [{"Key": "k"}]}``; maps use
    ``Name.entry.N.key``/``.value``; booleans, integers, timestamps (ISO 8601)
    and blobs (base64) are converted. ``Action``, ``Version`` and any unknown
    parameters are ignored, as AWS ignores them.

    Missing required members and broken constraints raise
    ``QueryError("ValidationError", …, 400)`` worded as IAM and STS word them:
    "1 validation error detected: Value 'x' at 'userName' failed to satisfy
    constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+".
    IAM and STS are Coral services and report a missing required parameter the
    same way ("Value null at 'userName' failed to satisfy constraint: Member
    must not be null"), not with the older Query services' MissingParameter.
    """
    operation = get_operation(service_model, action)
    shape = operation.input_shape
    if shape is None:
        return {}
    iam = service_model.endpoint_prefix == "iam"
    parser = _Parser(redact=iam)
    result = parser._parse_structure(_build_tree(params), shape, "")
    errors = parser.errors.messages
    if validate and errors and iam:
        for path, constraint in zip(parser.errors.paths, parser.errors.constraints, strict=True):
            if path in ("path", "newPath") and constraint.startswith("Member must satisfy regular"):
                # IAM's own text for every Path/NewPath (localstack's AWS recording of
                # CreateVirtualMFADevice with Path "bad").
                raise QueryError("ValidationError", IAM_PATH_MESSAGE, 400)
        order = _ERROR_ORDER.get(action)
        if order:
            rank = {p: i for i, p in enumerate(order)}
            pairs = sorted(
                zip(parser.errors.paths, errors, strict=True),
                key=lambda pair: rank.get(pair[0], len(rank)),
            )
            errors = [message for _, message in pairs]
    if validate and errors:
        count = len(errors)
        noun = "error" if count == 1 else "errors"
        raise QueryError(
            "ValidationError", f"{count} validation {noun} detected: " + "; ".join(errors), 400
        )
    return result


# ---------------------------------------------------------------------------
# Serializing responses

_INVALID_XML_CHARS = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Text that _escape leaves as it is: XML 1.0 characters other than & < > " ' and CR.
_PLAIN_XML_TEXT = re.compile("[^&<>\"'\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]*")


def _escape(text: str) -> str:
    """XML text escaping. Characters XML 1.0 cannot carry become U+FFFD; CR is
    written as ``&#13;`` so that parsers' line-end normalisation keeps it."""
    if _PLAIN_XML_TEXT.fullmatch(text):
        return text  # most values (names, ids, ARNs, dates): nothing to escape
    text = _INVALID_XML_CHARS.sub("\ufffd", text)
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
        .replace("\r", "&#13;")
    )


def _format_timestamp(value: datetime | str) -> str:
    """ISO 8601 in UTC, ``2024-01-02T03:04:05Z`` (fractions only when present)."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


class _Writer:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def element(self, name: str, value: Any, shape: Shape, depth: int) -> None:
        if value is None:
            return
        pad = "  " * depth
        kind = shape.type_name
        if kind == "structure":
            self.parts.append(f"{pad}<{name}>\n")
            self.members(value, shape, depth + 1)
            self.parts.append(f"{pad}</{name}>\n")
        elif kind == "list":
            member_name = _serialized_name(shape.member, "member")
            if shape.serialization.get("flattened"):
                for item in value:
                    self.element(name, item, shape.member, depth)
                return
            if not value:
                self.parts.append(f"{pad}<{name}/>\n")
                return
            self.parts.append(f"{pad}<{name}>\n")
            for item in value:
                self.element(member_name, item, shape.member, depth + 1)
            self.parts.append(f"{pad}</{name}>\n")
        elif kind == "map":
            key_name = _serialized_name(shape.key, "key")
            value_name = _serialized_name(shape.value, "value")
            flattened = shape.serialization.get("flattened")
            if not flattened:
                self.parts.append(f"{pad}<{name}>\n")
            entry_name = name if flattened else "entry"
            entry_depth = depth if flattened else depth + 1
            for key, item in value.items():
                epad = "  " * entry_depth
                self.parts.append(f"{epad}<{entry_name}>\n")
                self.element(key_name, key, shape.key, entry_depth + 1)
                self.element(value_name, item, shape.value, entry_depth + 1)
                self.parts.append(f"{epad}</{entry_name}>\n")
            if not flattened:
                self.parts.append(f"{pad}</{name}>\n")
        else:
            self.parts.append(f"{pad}<{name}>{_escape(self.scalar(value, shape))}</{name}>\n")

    @staticmethod
    def scalar(value: Any, shape: Shape) -> str:
        kind = shape.type_name
        if kind == "boolean":
            return "true" if value else "false"
        if kind == "timestamp":
            return _format_timestamp(value)
        if kind == "blob":
            if isinstance(value, str):
                value = value.encode("utf-8")
            return base64.b64encode(value).decode("ascii")
        if kind in ("integer", "long"):
            return str(int(value))
        if kind in ("float", "double"):
            return repr(float(value))
        return str(value)

    def members(self, value: Mapping[str, Any], shape: Shape, depth: int) -> None:
        plan = _members_plan(shape)
        if not plan[0].issuperset(value):
            unknown = set(value) - plan[0]
            raise ValueError(f"{shape.name} has no member(s) {sorted(unknown)}")
        for name, wire_name, member in plan[1]:
            if name in value:
                self.element(wire_name, value[name], member, depth)


def _members_plan(shape: Shape) -> tuple[frozenset[str], tuple[tuple[str, str, Shape], ...]]:
    """A structure's member names and (name, wire name, shape) in order, worked out once
    per shape object (the service model, and so its shapes, is loaded once)."""
    plan = shape.__dict__.get("_iamconsole_members_plan")
    if plan is None:
        members = shape.members  # type: ignore[attr-defined]
        plan = (
            frozenset(members),
            tuple((n, _serialized_name(m, n), m) for n, m in members.items()),
        )
        shape.__dict__["_iamconsole_members_plan"] = plan
    return plan


def serialize_response(
    service_model: ServiceModel, action: str, output: Mapping[str, Any] | None, request_id: str
) -> bytes:
    """The XML body of a successful Query response, as AWS shapes it::

        <ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
          <ListUsersResult>…</ListUsersResult>
          <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>
        </ListUsersResponse>

    Lists are ``<member>`` elements, maps ``<entry><key/><value/></entry>``,
    timestamps ISO 8601 UTC, booleans ``true``/``false``; None is omitted.
    Actions without an output shape (DeleteUser) carry only ResponseMetadata.
    """
    operation = get_operation(service_model, action)
    ns = _escape(xml_namespace(service_model))
    writer = _Writer()
    writer.parts.append(f'<{action}Response xmlns="{ns}">\n')
    shape = operation.output_shape
    if shape is not None:
        wrapper = shape.serialization.get("resultWrapper", f"{action}Result")
        writer.parts.append(f"  <{wrapper}>\n")
        writer.members(output or {}, shape, 2)
        writer.parts.append(f"  </{wrapper}>\n")
    elif output:
        raise ValueError(f"{action} has no output shape")
    writer.parts.append(
        f"  <ResponseMetadata>\n    <RequestId>{_escape(request_id)}</RequestId>\n"
        f"  </ResponseMetadata>\n</{action}Response>\n"
    )
    return "".join(writer.parts).encode("utf-8")


def serialize_error(
    code: str,
    message: str,
    request_id: str,
    *,
    sender_fault: bool = True,
    service: ServiceModel | str = "iam",
) -> bytes:
    """The XML body of a Query error, as IAM and STS answer it::

    <ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
      <Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>…</Message></Error>
      <RequestId>…</RequestId>
    </ErrorResponse>
    """
    if isinstance(service, ServiceModel):
        ns = xml_namespace(service)
    else:
        ns = NAMESPACES[service]
    kind = "Sender" if sender_fault else "Receiver"
    return (
        f'<ErrorResponse xmlns="{_escape(ns)}">\n'
        f"  <Error>\n    <Type>{kind}</Type>\n    <Code>{_escape(code)}</Code>\n"
        f"    <Message>{_escape(message)}</Message>\n  </Error>\n"
        f"  <RequestId>{_escape(request_id)}</RequestId>\n</ErrorResponse>\n"
    ).encode()
