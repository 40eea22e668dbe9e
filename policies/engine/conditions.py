"""Condition operators of the IAM policy language.

AWS docs: "IAM JSON policy elements: Condition operators" and "Set operators for
multivalued context keys". Semantics implemented here:

* several values for one key are ORed; several keys and several operators are ANDed;
* keys are case-insensitive, values case-sensitive unless the operator says IgnoreCase;
* a negated operator (StringNotEquals, NotIpAddress, ...) matches when the request value
  matches none of the policy values;
* a key missing from the request: positive operators do not match, negated ones match,
  `...IfExists` matches, `Null` tests exactly that;
* `ForAnyValue:` matches when at least one request value matches (false for an empty or
  missing key); `ForAllValues:` when every request value matches (true for an empty or
  missing key);
* a value that is not valid for the operator's type (a date that is not a date, a CIDR
  that is not a CIDR, an ARN without six parts) never matches, negated or not;
* a policy variable without a value makes that policy value unusable.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from .matching import (
    Unresolved,
    arn_regex,
    escape_glob,
    glob_regex,
    has_variables,
    literalize,
    substitute,
)

Lookup = Callable[[str], "str | list[str] | None"]

# ------------------------------------------------------------------ value parsers


def parse_number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError, AttributeError):
        return None
    return value if value.is_finite() else None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)


@lru_cache(maxsize=4096)
def parse_date(text: str) -> datetime | None:
    """ISO 8601 (date, or date and time with optional zone) or epoch time.

    AWS accepts both forms for Date operators. Epoch values are seconds; a value above
    10^11 is read as milliseconds (year 5138 in seconds), as request contexts written by
    simulators often carry Java-style millisecond timestamps.
    """
    text = text.strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        try:
            number = float(text)
        except ValueError:
            return None
        if abs(number) >= 1e11:
            number /= 1000.0
        try:
            return _EPOCH + timedelta(seconds=number)
        except OverflowError:
            return None
    m = _ISO_RE.match(text)
    if not m:
        return None
    year, month, day, hh, mm, ss, frac, zone = m.groups()
    try:
        micro = int((frac or "0").ljust(6, "0")[:6])
        value = datetime(
            int(year), int(month), int(day), int(hh or 0), int(mm or 0), int(ss or 0), micro
        )
    except ValueError:
        return None
    offset = timedelta(0)
    if zone and zone not in ("Z", "z"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
    return value.replace(tzinfo=UTC) - offset


IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=4096)
def parse_network(text: str) -> IpNetwork | None:
    """A CIDR block; a bare address is a /32 (IPv4) or /128 (IPv6) block."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def parse_binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


# -------------------------------------------------------------------- operators


@dataclass(frozen=True, slots=True)
class OperatorSpec:
    """One base operator: how to read policy/request values and compare them."""

    name: str
    negated: bool
    # prepare(policy_value) -> comparable or None when invalid
    prepare: Callable[[str], object]
    # read(request_value) -> comparable or None when invalid
    read: Callable[[str], object]
    # test(request, policy) for the positive form
    test: Callable[[object, object], bool]
    # policy values are patterns whose substituted variables must stay literal
    pattern: bool = False


def _ident(v: str) -> str:
    return v


def _lower(v: str) -> str:
    return v.lower()


def _glob_case(v: str) -> re.Pattern[str]:
    return glob_regex(v, False)


def _arn_prepare(v: str) -> re.Pattern[str] | None:
    if len(v.split(":", 5)) != 6 or not v.startswith("arn:"):
        return None
    return arn_regex(v)


def _arn_read(v: str) -> str | None:
    return v if v.startswith("arn:") and len(v.split(":", 5)) == 6 else None


def _bool(v: str) -> str | None:
    low = v.strip().lower()
    return low if low in ("true", "false") else None


def _eq(a: object, b: object) -> bool:
    return a == b


def _rx(a: object, b: object) -> bool:
    return b.fullmatch(a) is not None  # type: ignore[attr-defined]


def _in_net(a: object, b: object) -> bool:
    return a.version == b.version and a in b  # type: ignore[attr-defined,operator]


def _spec(name: str, negated: bool, prepare, read, test, pattern: bool = False) -> OperatorSpec:
    return OperatorSpec(name, negated, prepare, read, test, pattern)


def _numeric(name: str, test: Callable[[Decimal, Decimal], bool], negated=False) -> OperatorSpec:
    return _spec(name, negated, parse_number, parse_number, test)


def _date(name: str, test: Callable[[datetime, datetime], bool], negated=False) -> OperatorSpec:
    return _spec(name, negated, parse_date, parse_date, test)


OPERATORS: dict[str, OperatorSpec] = {
    s.name.lower(): s
    for s in (
        _spec("StringEquals", False, _ident, _ident, _eq),
        _spec("StringNotEquals", True, _ident, _ident, _eq),
        _spec("StringEqualsIgnoreCase", False, _lower, _lower, _eq),
        _spec("StringNotEqualsIgnoreCase", True, _lower, _lower, _eq),
        _spec("StringLike", False, _glob_case, _ident, _rx, pattern=True),
        _spec("StringNotLike", True, _glob_case, _ident, _rx, pattern=True),
        _numeric("NumericEquals", lambda a, b: a == b),
        _numeric("NumericNotEquals", lambda a, b: a == b, negated=True),
        _numeric("NumericLessThan", lambda a, b: a < b),
        _numeric("NumericLessThanEquals", lambda a, b: a <= b),
        _numeric("NumericGreaterThan", lambda a, b: a > b),
        _numeric("NumericGreaterThanEquals", lambda a, b: a >= b),
        _date("DateEquals", lambda a, b: a == b),
        _date("DateNotEquals", lambda a, b: a == b, negated=True),
        _date("DateLessThan", lambda a, b: a < b),
        _date("DateLessThanEquals", lambda a, b: a <= b),
        _date("DateGreaterThan", lambda a, b: a > b),
        _date("DateGreaterThanEquals", lambda a, b: a >= b),
        _spec("Bool", False, _bool, _bool, _eq),
        _spec("BinaryEquals", False, parse_binary, parse_binary, _eq),
        _spec("IpAddress", False, parse_network, parse_ip, _in_net),
        _spec("NotIpAddress", True, parse_network, parse_ip, _in_net),
        # AWS: ArnEquals and ArnLike behave the same; both take wildcards per segment.
        _spec("ArnEquals", False, _arn_prepare, _arn_read, _rx, pattern=True),
        _spec("ArnLike", False, _arn_prepare, _arn_read, _rx, pattern=True),
        _spec("ArnNotEquals", True, _arn_prepare, _arn_read, _rx, pattern=True),
        _spec("ArnNotLike", True, _arn_prepare, _arn_read, _rx, pattern=True),
    )
}
NULL = "null"
BASE_OPERATOR_NAMES: tuple[str, ...] = tuple(s.name for s in OPERATORS.values()) + ("Null",)


@dataclass(frozen=True, slots=True)
class ParsedOperator:
    """`[ForAnyValue:|ForAllValues:]Base[IfExists]`, names case-insensitive."""

    text: str
    base: str  # canonical lower-case base name
    set_op: str | None  # "any" | "all" | None
    if_exists: bool


@lru_cache(maxsize=1024)
def parse_operator(text: str) -> ParsedOperator | None:
    """None for an operator AWS does not define."""
    rest = text
    set_op = None
    low = rest.lower()
    if low.startswith("foranyvalue:"):
        set_op, rest = "any", rest[len("ForAnyValue:") :]
    elif low.startswith("forallvalues:"):
        set_op, rest = "all", rest[len("ForAllValues:") :]
    if_exists = False
    if rest.lower().endswith("ifexists"):
        if_exists, rest = True, rest[: -len("IfExists")]
    base = rest.lower()
    if base not in OPERATORS and base != NULL:
        return None
    if base == NULL and if_exists:
        return None  # AWS: Null cannot take IfExists
    return ParsedOperator(text, base, set_op, if_exists)


# ------------------------------------------------------------------ compiled form


@dataclass(frozen=True, slots=True)
class CompiledCondition:
    """One operator applied to one key with its policy values."""

    operator: ParsedOperator | None  # None: unknown operator, never matches
    key: str  # as written
    key_lower: str
    values: tuple[str, ...]
    prepared: tuple[object, ...]  # prepared static values (None when invalid or variable)
    dynamic: bool  # some value contains ${...} and needs the request
    # condition_matches for a request value that is one string, when the condition has
    # no set operator, no variables and is not Null (most conditions); else None.
    single: Callable[[str], bool] | None = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        op = self.operator.text if self.operator else "?"
        return f"{op} {self.key} {list(self.values)}"


def compile_condition(
    operator_text: str, key: str, values: Sequence[str], variables: bool
) -> CompiledCondition:
    op = parse_operator(operator_text)
    vals = tuple(str(v) if not isinstance(v, bool) else str(v).lower() for v in values)
    dynamic = variables and any(has_variables(v) for v in vals)
    prepared: tuple[object, ...] = ()
    if op is not None and op.base != NULL and not dynamic:
        spec = OPERATORS[op.base]
        prepared = tuple(spec.prepare(v) for v in vals)
    single = None
    if op is not None and op.base != NULL and op.set_op is None and not dynamic:
        single = _single_value_test(OPERATORS[op.base], prepared)
    return CompiledCondition(op, key, key.lower(), vals, prepared, dynamic, single)


def _single_value_test(spec: OperatorSpec, prepared: tuple[object, ...]) -> Callable[[str], bool]:
    """_one_value_matches(spec, raw, valid policy values), with the values bound once."""
    valid = tuple(p for p in prepared if p is not None)
    read, test, negated = spec.read, spec.test, spec.negated
    if not valid:
        return lambda raw: False
    if test is _eq:  # strings, booleans, bytes: a set lookup
        members = frozenset(valid)

        def equals(raw: str) -> bool:
            value = read(raw)
            return value is not None and (value in members) != negated

        return equals

    def matches(raw: str) -> bool:
        value = read(raw)
        if value is None:
            return False
        for p in valid:
            if test(value, p):
                return not negated
        return negated

    return matches


def _policy_values(cond: CompiledCondition, lookup: Lookup) -> list[object]:
    """Prepared policy values for this request, dropping invalid or unresolved ones."""
    spec = OPERATORS[cond.operator.base]  # type: ignore[union-attr]
    if not cond.dynamic:
        return [p for p in cond.prepared if p is not None]
    out = []
    for v in cond.values:
        try:
            text = substitute(v, lookup, escape_glob if spec.pattern else None)
        except Unresolved:
            continue
        if not spec.pattern:
            text = literalize(text)
        p = spec.prepare(text)
        if p is not None:
            out.append(p)
    return out


def _one_value_matches(spec: OperatorSpec, raw: str, policy: list[object]) -> bool:
    """Positive or negated test of one request value against the ORed policy values."""
    value = spec.read(raw)
    if value is None or not policy:
        return False
    hit = any(spec.test(value, p) for p in policy)
    return not hit if spec.negated else hit


def condition_matches(cond: CompiledCondition, lookup: Lookup) -> bool:
    """Evaluate one (operator, key, values) triple against the request context."""
    op = cond.operator
    if op is None:
        return False
    present = lookup(cond.key_lower)
    if isinstance(present, list):
        request_values: list[str] = [_text(v) for v in present]
    elif present is None:
        request_values = []
    else:
        request_values = [_text(present)]
    missing = present is None

    if op.base == NULL:
        # Null: "true" means the key must be absent (or an empty list), "false" present.
        absent = missing or (isinstance(present, list) and not present)
        wants = [v.strip().lower() for v in cond.values]
        return any((w == "true" and absent) or (w == "false" and not absent) for w in wants)

    spec = OPERATORS[op.base]
    if op.set_op is None:
        if missing:
            # AWS: IfExists matches when the key is absent; a negated operator matches an
            # absent key (nothing equals the policy values); a positive one does not.
            return op.if_exists or spec.negated
        policy = _policy_values(cond, lookup)
        if len(request_values) == 1:
            return _one_value_matches(spec, request_values[0], policy)
        if not request_values:
            return op.if_exists or spec.negated
        # A multivalued key under a single-valued operator: match when any value does
        # (negated: when no value matches any policy value).
        if spec.negated:
            positive = OperatorSpec(
                spec.name, False, spec.prepare, spec.read, spec.test, spec.pattern
            )
            return all(
                spec.read(v) is not None and not _one_value_matches(positive, v, policy)
                for v in request_values
            ) and bool(policy)
        return any(_one_value_matches(spec, v, policy) for v in request_values)

    # Set operators (AWS: "Set operators for multivalued context keys").
    if op.set_op == "any":
        if not request_values:
            return op.if_exists and missing
        policy = _policy_values(cond, lookup)
        return any(_one_value_matches(spec, v, policy) for v in request_values)
    # ForAllValues: true for an empty or missing key.
    if not request_values:
        return True
    policy = _policy_values(cond, lookup)
    return all(_one_value_matches(spec, v, policy) for v in request_values)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
