"""Wildcard, action, ARN and policy-variable matching as the IAM policy language defines it.

AWS docs: "IAM JSON policy elements: Action", "...: Resource", "IAM policy elements:
Variables and tags". Pure functions with small LRU caches on compiled patterns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache

# --------------------------------------------------------------------------- globs

Matcher = Callable[[str], bool]


def _glob_body(pattern: str, star: str, qmark: str) -> str:
    out: list[str] = []
    for ch in pattern:
        if ch == "*":
            out.append(star)
        elif ch == "?":
            out.append(qmark)
        elif ch == "\ue000":  # a literal `*` that came from ${*} or a variable's value
            out.append(r"\*")
        elif ch == "\ue001":
            out.append(r"\?")
        else:
            out.append(re.escape(ch))
    return "".join(out)


@lru_cache(maxsize=8192)
def glob_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """`*` matches any run of characters (including none), `?` exactly one."""
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(_glob_body(pattern, ".*", "."), flags)


def glob_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    if "*" not in pattern and "?" not in pattern:
        pattern = literalize(pattern)
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return glob_regex(pattern, ignore_case).fullmatch(value) is not None


# --------------------------------------------------------------------------- actions


@lru_cache(maxsize=8192)
def action_matcher(pattern: str) -> Matcher:
    """Action names are case-insensitive and support `*` and `?` (AWS: Action element).

    The pattern is taken verbatim: "s3:GetObject,s3:PutObject" or " s3:GetObject" never
    match anything, as IAM compares the whole string.
    """
    if pattern == "*":
        return lambda _action: True
    if "*" not in pattern and "?" not in pattern:
        low = pattern.lower()
        return lambda action: action.lower() == low
    rx = glob_regex(pattern, True)
    return lambda action: rx.fullmatch(action) is not None


# --------------------------------------------------------------------------- ARNs


def split_arn(arn: str) -> list[str] | None:
    """arn:partition:service:region:account:resource (the resource part may hold colons)."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return parts


@lru_cache(maxsize=8192)
def arn_regex(pattern: str) -> re.Pattern[str] | None:
    """Compile an ARN pattern segment by segment.

    AWS (Resource element, ArnLike): each of the six colon-delimited components is
    matched separately; `*` and `?` in the first five never cross a colon, while in the
    resource part they may (the resource part itself may contain colons). The resource
    part is case-sensitive; partition, service and region compare case-insensitively.
    Returns None when the pattern is not a six-part ARN (it then matches nothing).
    """
    parts = pattern.split(":", 5)
    if len(parts) != 6:
        return None
    head = []
    for i, seg in enumerate(parts[:5]):
        body = _glob_body(seg, "[^:]*", "[^:]")
        head.append(f"(?i:{body})" if i in (1, 2, 3) else body)
    body = ":".join(head) + ":" + _glob_body(parts[5], ".*", ".")
    return re.compile(body, re.DOTALL)


def arn_match(pattern: str, arn: str) -> bool:
    if pattern == "*":
        return True
    rx = arn_regex(pattern)
    return rx is not None and rx.fullmatch(arn) is not None


# ------------------------------------------------------- wildcard requests (simulator)


def _tokens(pattern: str) -> list[str]:
    return list(pattern)


@lru_cache(maxsize=4096)
def patterns_intersect(a: str, b: str) -> bool:
    """True when some string matches both glob patterns `a` and `b`.

    Used when the request resource is itself a pattern (the console simulator asks
    "could any object under arn:aws:s3:::bucket/* be read?").
    """
    ta, tb = _tokens(a), _tokens(b)
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(ta) and j == len(tb):
            return True
        ca = ta[i] if i < len(ta) else None
        cb = tb[j] if j < len(tb) else None
        if ca == "*":
            stack.append((i + 1, j))  # star matches nothing
            if j < len(tb):
                stack.append((i, j + 1))  # star absorbs one token of b
        if cb == "*":
            stack.append((i, j + 1))
            if i < len(ta):
                stack.append((i + 1, j))
        if ca is not None and cb is not None and ca != "*" and cb != "*":
            if ca == "?" or cb == "?" or ca == cb:
                stack.append((i + 1, j + 1))
    return False


@lru_cache(maxsize=4096)
def pattern_covers(outer: str, inner: str) -> bool:
    """True when every string matching glob `inner` also matches glob `outer`.

    A `*` in `inner` can only be covered by a `*` in `outer`; a `?` by `?` or `*`.
    """
    to, ti = _tokens(outer), _tokens(inner)
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(to) and j == len(ti):
            return True
        if i == len(to):
            continue
        co = to[i]
        if co == "*":
            stack.append((i + 1, j))
            if j < len(ti):
                stack.append((i, j + 1))
            continue
        if j == len(ti):
            continue
        ci = ti[j]
        if ci == "*":
            continue
        if co == "?" or co == ci:
            stack.append((i + 1, j + 1))
    return False


def is_pattern(value: str) -> bool:
    return "*" in value or "?" in value


# ------------------------------------------------------------------ policy variables

VAR_RE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT_RE = re.compile(r"^\s*([^,]+?)\s*,\s*'([^']*)'\s*$")


class Unresolved(Exception):
    """A policy variable had no value: the statement does not match (AWS docs)."""


def has_variables(text: str) -> bool:
    return "${" in text


def substitute(
    text: str,
    lookup: Callable[[str], str | list[str] | None],
    escape: Callable[[str], str] | None = None,
) -> str:
    """Replace ${...} policy variables.

    AWS ("IAM policy elements: Variables and tags"): `${*}`, `${?}` and `${$}` stand for
    the literal characters; `${key, 'default'}` supplies a default; a variable whose key
    is absent (or multi-valued) makes the element not match, raised here as Unresolved.
    `escape` protects substituted values when the result is a pattern.
    """

    def repl(m: re.Match[str]) -> str:
        inner = m.group(1)
        if inner in ("*", "?", "$"):
            return escape(inner) if escape else inner
        default: str | None = None
        dm = _DEFAULT_RE.match(inner)
        key = inner.strip()
        if dm:
            key, default = dm.group(1), dm.group(2)
        value = lookup(key)
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else None
        if value is None:
            if default is None:
                raise Unresolved(key)
            value = default
        return escape(value) if escape else value

    return VAR_RE.sub(repl, text)


def escape_glob(value: str) -> str:
    """Marks wildcard characters inside a substituted value as literal.

    Private-use code points stand in for literal `*`/`?`; `unescape_for_regex` maps them
    back after the glob has been compiled.
    """
    return value.replace("*", "\ue000").replace("?", "\ue001")


def literalize(compiled_glob_text: str) -> str:
    return compiled_glob_text.replace("\ue000", "*").replace("\ue001", "?")


def lower_keys(mapping: Mapping[str, object]) -> dict[str, object]:
    return {k.lower(): v for k, v in mapping.items()}
