"""Compiled policies: matchers built once, statements indexed by action.

A CompiledPolicy is immutable and hashable by identity. PolicySet indexes the
statements of several policies by service prefix and action name, with one bucket for
patterns within a service ("s3:Get*"), one for patterns across services ("*",
"*:List*") and one for NotAction statements, so a request only looks at statements
that can apply to its action. Compilation is cached by document text (bounded LRU).
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from threading import Lock

from . import catalog
from .conditions import CompiledCondition, compile_condition, condition_matches
from .document import Policy, PrincipalSpec, Statement, parse_policy
from .matching import (
    Unresolved,
    action_matcher,
    arn_match,
    arn_regex,
    escape_glob,
    has_variables,
    is_pattern,
    pattern_covers,
    patterns_intersect,
    substitute,
)
from .principals import DIRECT, PrincipalInfo, excluded_by_not_principal, match_principal

# ------------------------------------------------------------------ request view


class RequestView:
    """The request as statements see it: lower-cased action, context lookups."""

    __slots__ = (
        "principal",
        "action",
        "action_lower",
        "resource",
        "_literal",
        "_pattern",
        "_context",
        "_lower",
        "_derived",
        "has_boundary",
    )

    def __init__(
        self,
        principal: PrincipalInfo,
        action: str,
        resource: str,
        context: Mapping[str, object],
        derived: Mapping[str, object],
        literal_resource: bool = False,
    ) -> None:
        self.principal = principal
        self.action = action
        self.action_lower = action.lower()
        self.resource = resource
        self._literal = literal_resource
        self._pattern: bool | None = None  # resource_pattern, worked out when first asked
        self._context = context
        self._lower: dict[str, object] | None = None
        self._derived = derived
        self.has_boundary = False

    @property
    def resource_pattern(self) -> bool:
        """A simulator may ask about a pattern of resources ("bucket/*"); a real request
        names one resource, whose "*" or "?" characters are just characters."""
        rp = self._pattern
        if rp is None:
            r = self.resource
            rp = self._pattern = (
                not self._literal and is_pattern(r) and not _wildcard_only_star(self.action, r)
            )
        return rp

    def raw(self, key_lower: str) -> object:
        """The context value as given, for a lower-case key."""
        low = self._lower
        if low is None:
            low = {k.lower(): v for k, v in self._derived.items()}
            for k, v in self._context.items():
                low[k.lower()] = v
            self._lower = low
        return low.get(key_lower)

    def lookup(self, key: str) -> str | list[str] | None:
        """Context keys are case-insensitive (AWS: condition keys)."""
        value = self.raw(key.lower())
        if value is None or type(value) is str:
            return value  # type: ignore[return-value]
        if isinstance(value, list | tuple):
            return [_text(v) for v in value]
        return _text(value)


def _text(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _wildcard_only_star(action: str, resource: str) -> bool:
    """Resource "*" for an action without resource types is the literal resource "*".

    AWS (Service Authorization Reference): such actions only take Resource "*", so a
    statement naming a specific ARN cannot grant them.
    """
    if resource != "*":
        return False
    info = catalog.action(action)
    return info is not None and info.wildcard_only


# ------------------------------------------------------------------ statements


@dataclass(frozen=True, eq=False, slots=True)
class CompiledStatement:
    statement: Statement
    policy_index: int  # position of the policy inside its PolicySet (set by PolicySet)
    variables: bool
    action_matchers: tuple[Callable[[str], bool], ...]
    conditions: tuple[CompiledCondition, ...]
    resource_dynamic: bool
    # Static Resource/NotResource: "*" among them, and the other patterns compiled.
    resource_star: bool = False
    resource_rx: tuple[re.Pattern[str], ...] = ()

    @property
    def sid(self) -> str | None:
        return self.statement.sid

    @property
    def is_deny(self) -> bool:
        return self.statement.effect == "Deny"

    # --- element tests (each returns True when the element matches)

    def action_matches(self, req: RequestView) -> bool:
        return self.action_matches_name(req.action_lower)

    def action_matches_name(self, action_lower: str) -> bool:
        if self.statement.actions is None:
            return False  # AWS: a statement without Action/NotAction grants nothing
        hit = any(m(action_lower) for m in self.action_matchers)
        return hit != self.statement.not_action

    def resource_matches(self, req: RequestView) -> bool:
        st = self.statement
        if st.resources is None:
            return True  # trust policies and similar name no Resource: the resource itself
        if not self.resource_dynamic and not req.resource_pattern:
            hit = self.resource_star
            if not hit:
                r = req.resource
                for rx in self.resource_rx:
                    if rx.fullmatch(r) is not None:
                        hit = True
                        break
            return hit != st.not_resource
        patterns: Iterable[str] = st.resources
        if self.resource_dynamic:
            patterns = self._substituted(st.resources, req)
        if not req.resource_pattern:
            hit = any(arn_match(p, req.resource) for p in patterns)
            return hit != st.not_resource
        # The request names many resources at once (a pattern, from the simulator): an
        # Allow applies when it may cover some of them, a Deny only when it covers all.
        r = req.resource
        if not self.is_deny:
            if st.not_resource:
                return not any(pattern_covers(p, r) for p in patterns)
            return any(patterns_intersect(p, r) for p in patterns)
        if st.not_resource:
            return not any(patterns_intersect(p, r) for p in patterns)
        return any(pattern_covers(p, r) for p in patterns)

    def _substituted(self, values: tuple[str, ...], req: RequestView) -> list[str]:
        out = []
        for v in values:
            if has_variables(v):
                try:
                    v = substitute(v, req.lookup, escape_glob)
                except Unresolved:
                    continue  # AWS: a variable without a value matches nothing
            out.append(v)
        return out

    def principal_match(self, req: RequestView, required: bool) -> str | None:
        """DIRECT/ROLE/ACCOUNT when the Principal element covers the caller."""
        st = self.statement
        spec: PrincipalSpec | None = st.principal
        if spec is None:
            # AWS: a resource-based policy statement without Principal applies to no one.
            return None if required else DIRECT
        if st.not_principal:
            # AWS ("NotPrincipal"): a Deny with NotPrincipal always denies principals that
            # have a permissions boundary, whatever NotPrincipal lists.
            if req.has_boundary and self.is_deny:
                return DIRECT
            return None if excluded_by_not_principal(spec, req.principal) else DIRECT
        return match_principal(spec, req.principal)

    def conditions_match(self, req: RequestView) -> bool:
        for c in self.conditions:
            single = c.single
            if single is not None:
                value = req.raw(c.key_lower)
                if type(value) is str:
                    if not single(value):
                        return False
                    continue
            if not condition_matches(c, req.lookup):
                return False
        return True

    def first_failing_condition(self, req: RequestView) -> CompiledCondition | None:
        for c in self.conditions:
            if not condition_matches(c, req.lookup):
                return c
        return None


def compile_statement(st: Statement, variables: bool) -> CompiledStatement:
    matchers = tuple(action_matcher(a) for a in (st.actions or ()))
    conds = tuple(compile_condition(c.operator, c.key, c.values, variables) for c in st.conditions)
    resource_dynamic = variables and any(has_variables(r) for r in (st.resources or ()))
    resources = () if resource_dynamic else (st.resources or ())
    star = "*" in resources
    rxs = () if star else tuple(rx for rx in map(arn_regex, resources) if rx is not None)
    return CompiledStatement(st, 0, variables, matchers, conds, resource_dynamic, star, rxs)


# ------------------------------------------------------------------ policies


@dataclass(frozen=True, eq=False)
class CompiledPolicy:
    """An immutable compiled policy. Build with compile_policy()."""

    policy: Policy
    statements: tuple[CompiledStatement, ...]
    label: str | None = None
    text_length: int = 0
    _index: ActionIndex = field(default=None, repr=False)  # type: ignore[assignment]

    def candidates(
        self, action_lower: str
    ) -> tuple[tuple[CompiledStatement, ...], tuple[CompiledStatement, ...]]:
        return self._index.lookup(action_lower)


class ActionIndex:
    """Statements bucketed by action so lookups skip statements that cannot apply."""

    __slots__ = ("_exact", "_service", "_global", "_cache", "_lock")

    def __init__(self, statements: Iterable[CompiledStatement]) -> None:
        self._exact: dict[str, list[tuple[int, CompiledStatement]]] = {}
        self._service: dict[str, list[tuple[int, CompiledStatement]]] = {}
        self._global: list[tuple[int, CompiledStatement]] = []
        self._cache: dict[str, tuple[CompiledStatement, ...]] = {}
        self._lock = Lock()
        for order, cs in enumerate(statements):
            st = cs.statement
            if st.not_action or st.actions is None:
                self._global.append((order, cs))
                continue
            seen: set[tuple[str, str]] = set()
            for pattern in st.actions:
                low = pattern.lower()
                svc, sep, name = low.partition(":")
                if not sep or is_pattern(svc):
                    key = ("*", "")
                elif is_pattern(name):
                    key = ("svc", svc)
                else:
                    key = ("exact", low)
                if key in seen:
                    continue
                seen.add(key)
                if key[0] == "*":
                    self._global.append((order, cs))
                elif key[0] == "svc":
                    self._service.setdefault(key[1], []).append((order, cs))
                else:
                    self._exact.setdefault(key[1], []).append((order, cs))

    def lookup(
        self, action_lower: str
    ) -> tuple[tuple[CompiledStatement, ...], tuple[CompiledStatement, ...]]:
        """(denies, allows) whose Action/NotAction matches this action, in policy order.

        Action matching depends on the action alone, so it is done once per action here
        and cached; requests then only test resources, principals and conditions.
        """
        hit = self._cache.get(action_lower)
        if hit is not None:
            return hit
        svc = action_lower.partition(":")[0]
        found: dict[int, CompiledStatement] = {}
        for bucket in (
            self._exact.get(action_lower, ()),
            self._service.get(svc, ()),
            self._global,
        ):
            for order, cs in bucket:
                found[order] = cs
        ordered = [found[k] for k in sorted(found)]
        ordered = [cs for cs in ordered if cs.action_matches_name(action_lower)]
        result = (
            tuple(cs for cs in ordered if cs.is_deny),
            tuple(cs for cs in ordered if not cs.is_deny),
        )
        with self._lock:
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[action_lower] = result
        return result


def _build(policy: Policy, label: str | None, length: int) -> CompiledPolicy:
    variables = policy.variables_enabled
    stmts = tuple(compile_statement(s, variables) for s in policy.statements)
    compiled = CompiledPolicy(policy, stmts, label, length)
    object.__setattr__(compiled, "_index", ActionIndex(stmts))
    return compiled


class _LRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[object, CompiledPolicy] = OrderedDict()
        self.lock = Lock()

    def get(self, key: object) -> CompiledPolicy | None:
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def put(self, key: object, value: CompiledPolicy) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


_CACHE = _LRU(4096)


def compile_policy(doc: object, label: str | None = None) -> CompiledPolicy:
    """Compile a document (dict, JSON text or CompiledPolicy), cached by its text."""
    if isinstance(doc, CompiledPolicy):
        return doc
    if isinstance(doc, bytes):
        doc = doc.decode("utf-8")
    text = doc if isinstance(doc, str) else json.dumps(doc, sort_keys=True, default=str)
    key = (text, label)
    hit = _CACHE.data.get(key)  # lock-free hit (one dict read); recency updated by get()
    if hit is not None:
        return hit
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    policy = parse_policy(doc)
    compiled = _build(policy, label, len(text))
    _CACHE.put(key, compiled)
    return compiled


def clear_cache() -> None:
    """Forget compiled policies and the policy sets built from them."""
    with _CACHE.lock:
        _CACHE.data.clear()
    with _SETS.lock:
        _SETS.data.clear()


# ------------------------------------------------------------------ policy sets


@dataclass(frozen=True, eq=False)
class PolicySet:
    """Several compiled policies of one kind, indexed together by action."""

    policies: tuple[CompiledPolicy, ...]
    _index: ActionIndex = field(default=None, repr=False)  # type: ignore[assignment]
    _owner: dict[int, int] = field(default_factory=dict, repr=False)
    _records: dict[tuple[str, int], object] = field(default_factory=dict, repr=False)

    def candidates(
        self, action_lower: str
    ) -> tuple[tuple[CompiledStatement, ...], tuple[CompiledStatement, ...]]:
        return self._index.lookup(action_lower)

    def policy_of(self, cs: CompiledStatement) -> int:
        return self._owner[id(cs)]

    def __len__(self) -> int:
        return len(self.policies)


def policy_set(docs: Iterable[object] | PolicySet | None) -> PolicySet:
    """Build (or pass through) a PolicySet; sets of the same compiled policies are cached."""
    if type(docs) is PolicySet:
        return docs
    texts = None
    if type(docs) is list or type(docs) is tuple:
        # Documents given as text on every call: the set is found by the texts alone.
        try:
            texts = tuple(docs)
            hit = _SETS.get(texts)
        except TypeError:  # dicts: compiled (and so keyed) one by one below
            texts = hit = None
        if hit is not None:
            return hit
    elif isinstance(docs, PolicySet):
        return docs
    elif isinstance(docs, Mapping | str | bytes | CompiledPolicy):
        docs = (docs,)  # one document where a list was expected
    compiled = tuple(compile_policy(d) for d in (docs or ()))
    hit = _SETS.get(compiled)
    if hit is not None:
        if texts is not None:
            _SETS.put(texts, hit)
        return hit
    owner: dict[int, int] = {}
    ordered: list[CompiledStatement] = []
    for i, cp in enumerate(compiled):
        for cs in cp.statements:
            owner[id(cs)] = i
            ordered.append(cs)
    ps = PolicySet(compiled, ActionIndex(ordered), owner)
    _SETS.put(compiled, ps)
    if texts is not None:
        _SETS.put(texts, ps)
    return ps


class _SetCache:
    def __init__(self, size: int) -> None:
        self.size = size
        # keyed by the compiled policies, and by the documents when given as text
        self.data: OrderedDict[tuple[object, ...], PolicySet] = OrderedDict()
        self.lock = Lock()

    def get(self, key: tuple[object, ...]) -> PolicySet | None:
        return self.data.get(key)

    def put(self, key: tuple[object, ...], value: PolicySet) -> None:
        with self.lock:
            self.data[key] = value
            while len(self.data) > self.size:
                self.data.popitem(last=False)


_SETS = _SetCache(1024)

__all__ = [
    "DIRECT",
    "CompiledPolicy",
    "CompiledStatement",
    "PolicySet",
    "RequestView",
    "clear_cache",
    "compile_policy",
    "policy_set",
]
