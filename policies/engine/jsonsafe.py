"""JSON reading for untrusted policy text: a depth guard, duplicate keys, locations.

Python's C JSON scanner recurses once per nesting level, so 50,000 nested arrays end in
RecursionError. Policies never need more than a handful of levels (document, Statement
list, statement, Condition, operator, key, value list), so anything deeper than
MAX_DEPTH is rejected before parsing, in linear time.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

MAX_DEPTH = 32
MAX_TEXT = 1_048_576 * 2  # characters: larger inputs are refused without parsing

_TOKEN_RE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class JsonError(ValueError):
    """Text that is not acceptable JSON for a policy."""

    def __init__(self, message: str, offset: int = 0, text: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.line, self.column = line_col(text, offset) if text else (1, 1)


def line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1


def check_depth(text: str, limit: int = MAX_DEPTH) -> None:
    """Raise JsonError when brackets nest deeper than `limit` (strings are skipped)."""
    if text.count("[") + text.count("{") <= limit:
        return
    depth = 0
    for m in _TOKEN_RE.finditer(text):
        tok = m.group()
        if tok in "[{":
            depth += 1
            if depth > limit:
                raise JsonError(f"JSON nested deeper than {limit} levels", m.start(), text)
        elif tok in "]}":
            depth -= 1


def _pairs(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for k, v in pairs:
        if k in out:
            raise _Duplicate(k)
        out[k] = v
    return out


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def loads(text: str, *, allow_duplicates: bool = True) -> object:
    """Parse policy JSON safely. Duplicate keys: last one wins unless refused."""
    if len(text) > MAX_TEXT:
        raise JsonError("policy text too large")
    check_depth(text)
    try:
        if allow_duplicates:
            return json.loads(text)
        return json.loads(text, object_pairs_hook=_pairs)
    except _Duplicate as exc:
        raise JsonError(f"duplicate key {exc.key!r}", 0, text) from None
    except json.JSONDecodeError as exc:
        raise JsonError(exc.msg, exc.pos, text) from None
    except RecursionError:  # pragma: no cover - check_depth prevents it
        raise JsonError("JSON nested too deeply") from None


# ------------------------------------------------------------- located parsing


@dataclass(frozen=True, slots=True)
class Located:
    """A parsed document plus where each value (by JSON path) starts in the text."""

    value: object
    offsets: dict[tuple[str | int, ...], int]
    duplicates: tuple[tuple[tuple[str | int, ...], int], ...]  # (path of key, offset)


_WS = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"')
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")


def loads_located(text: str) -> Located:
    """Parse JSON recording the offset of every value. Depth-checked first."""
    if len(text) > MAX_TEXT:
        raise JsonError("policy text too large")
    check_depth(text)
    offsets: dict[tuple[str | int, ...], int] = {}
    duplicates: list[tuple[tuple[str | int, ...], int]] = []
    pos = 0

    def ws() -> None:
        nonlocal pos
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]

    def fail(msg: str) -> JsonError:
        return JsonError(msg, pos, text)

    def value(path: tuple[str | int, ...]) -> object:
        nonlocal pos
        ws()
        offsets[path] = pos
        if pos >= len(text):
            raise fail("unexpected end of text")
        ch = text[pos]
        if ch == "{":
            pos += 1
            obj: dict[str, object] = {}
            ws()
            if text.startswith("}", pos):
                pos += 1
                return obj
            while True:
                ws()
                m = _STRING.match(text, pos)
                if not m:
                    raise fail("expected a string key")
                key_at = pos
                key = json.loads(m.group())
                pos = m.end()
                ws()
                if not text.startswith(":", pos):
                    raise fail("expected ':'")
                pos += 1
                if key in obj:
                    duplicates.append((path + (key,), key_at))
                obj[key] = value(path + (key,))
                ws()
                if text.startswith(",", pos):
                    pos += 1
                    continue
                if text.startswith("}", pos):
                    pos += 1
                    return obj
                raise fail("expected ',' or '}'")
        if ch == "[":
            pos += 1
            arr: list[object] = []
            ws()
            if text.startswith("]", pos):
                pos += 1
                return arr
            while True:
                arr.append(value(path + (len(arr),)))
                ws()
                if text.startswith(",", pos):
                    pos += 1
                    continue
                if text.startswith("]", pos):
                    pos += 1
                    return arr
                raise fail("expected ',' or ']'")
        if ch == '"':
            m = _STRING.match(text, pos)
            if not m:
                raise fail("invalid string")
            pos = m.end()
            return json.loads(m.group())
        for word, val in (("true", True), ("false", False), ("null", None)):
            if text.startswith(word, pos):
                pos += len(word)
                return val
        m = _NUMBER.match(text, pos)
        if m and m.end() > pos:
            pos = m.end()
            return json.loads(m.group())
        raise fail("unexpected character")

    result = value(())
    ws()
    if pos != len(text):
        raise fail("extra data after the document")
    return Located(result, offsets, tuple(duplicates))
