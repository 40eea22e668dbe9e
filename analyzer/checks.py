"""Custom policy checks: CheckNoNewAccess, CheckAccessNotGranted, CheckNoPublicAccess.

Decided over the engine's parsed statements and its pattern algebra
(``pattern_covers``/``patterns_intersect``) and action catalog, conservatively as AWS
describes its custom policy checks: a PASS is a proof, anything the check cannot prove
safe is a FAIL naming the statement ("IAM Access Analyzer custom policy checks": "the
check might ... return FAIL" when it cannot determine the answer).

- CheckNoNewAccess: every (principal, action, resource) the new policy's Allow statements
  can reach must be allowed by the existing policy under conditions the new statement
  implies, and no Deny of the existing policy that could apply may be missing from the
  new one. Actions are compared pattern by pattern, then action by action over the
  catalog (so ``s3:Get*`` is covered by an existing list of every ``s3:Get…`` action).
- CheckAccessNotGranted: FAIL when an Allow statement could grant one of the listed
  actions (on any resource) or any action on one of the listed resources, or a listed
  action on a listed resource, unless an unconditional Deny of the same policy covers it.
- CheckNoPublicAccess: FAIL when an Allow statement's principal is everyone (``*``,
  ``{"AWS": "*"}``, NotPrincipal) and no condition pins the caller to an account,
  organization, ARN, VPC or source.

Messages and reason texts are AWS's (its API reference examples); the PASS text of
CheckNoNewAccess is not established there and is marked where it is written.
Pure: no Django.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from policies.engine import catalog
from policies.engine.document import PolicyError, Statement, parse_policy
from policies.engine.jsonsafe import JsonError, loads
from policies.engine.matching import is_pattern, pattern_covers, patterns_intersect

__all__ = [
    "CheckError",
    "CheckResult",
    "check_access_not_granted",
    "check_no_new_access",
    "check_no_public_access",
]


class CheckError(ValueError):
    """A document the checks cannot read (the API answers InvalidParameterException)."""


@dataclass(frozen=True)
class Reason:
    description: str
    statement_index: int
    statement_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "description": self.description,
            "statementIndex": self.statement_index,
        }
        if self.statement_id:
            out["statementId"] = self.statement_id
        return out


@dataclass(frozen=True)
class CheckResult:
    result: str  # PASS | FAIL
    message: str
    reasons: tuple[Reason, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"result": self.result, "message": self.message}
        if self.reasons:
            out["reasons"] = [r.as_dict() for r in self.reasons]
        return out


def _parse(text: str) -> tuple[Statement, ...]:
    try:
        doc = loads(text)
        return parse_policy(doc).statements
    except (JsonError, PolicyError) as exc:
        raise CheckError(str(exc)) from None


def _raw_statements(text: str) -> list[Mapping[str, object]]:
    doc = loads(text)
    raw = doc.get("Statement") if isinstance(doc, Mapping) else None
    if isinstance(raw, Mapping):
        return [raw]
    return [s for s in raw if isinstance(s, Mapping)] if isinstance(raw, list) else []


def _where(st: Statement) -> str:
    return f"sid: {st.sid}" if st.sid else f"index: {st.index}"


# ------------------------------------------------------------------ pattern algebra


def _arn_covers(outer: str, inner: str) -> bool:
    """Every resource matching ``inner`` matches ``outer`` (segment by segment for ARNs,
    so a wildcard never stands for a ``:`` it could not match in the engine)."""
    if outer == "*":
        return True
    if inner == "*":
        return False
    o, i = outer.split(":", 5), inner.split(":", 5)
    if len(o) == 6 and len(i) == 6 and o[0] == "arn" and i[0] == "arn":
        return all(pattern_covers(a, b) for a, b in zip(o, i, strict=True))
    return pattern_covers(outer, inner)


def _arn_intersect(a: str, b: str) -> bool:
    if a == "*" or b == "*":
        return True
    pa, pb = a.split(":", 5), b.split(":", 5)
    if len(pa) == 6 and len(pb) == 6:
        return all(patterns_intersect(x, y) for x, y in zip(pa, pb, strict=True))
    return patterns_intersect(a, b)


def _action_covers(outer: str, inner: str) -> bool:
    return outer == "*" or pattern_covers(outer.lower(), inner.lower())


def _action_intersect(a: str, b: str) -> bool:
    return a == "*" or b == "*" or patterns_intersect(a.lower(), b.lower())


def _stmt_action_covers(st: Statement, action: str) -> bool:
    """Every action matching pattern ``action`` is in the statement's actions."""
    pats = st.actions or ()
    if st.not_action:
        return not any(_action_intersect(p, action) for p in pats)
    return any(_action_covers(p, action) for p in pats)


def _stmt_action_intersects(st: Statement, action: str) -> bool:
    pats = st.actions or ()
    if st.not_action:
        return not any(_action_covers(p, action) for p in pats)
    return any(_action_intersect(p, action) for p in pats)


def _resources(st: Statement) -> tuple[tuple[str, ...], bool]:
    if st.resources is None:  # trust policies: the role itself
        return ("*",), False
    return st.resources, st.not_resource


def _stmt_resource_covers(st: Statement, resource: str) -> bool:
    pats, negated = _resources(st)
    if negated:
        return not any(_arn_intersect(p, resource) for p in pats)
    return any(_arn_covers(p, resource) for p in pats)


def _stmt_resource_intersects(st: Statement, resource: str) -> bool:
    pats, negated = _resources(st)
    if negated:
        return not any(_arn_covers(p, resource) for p in pats)
    return any(_arn_intersect(p, resource) for p in pats)


# --------------------------------------------------------------------- principals


def _norm_principal(kind: str, value: str) -> tuple[str, str]:
    if kind == "AWS" and re.fullmatch(r"\d{12}", value):
        return kind, f"arn:aws:iam::{value}:root"
    return kind, value


def _principal_units(st: Statement) -> list[tuple[str, str]] | None:
    """(type, value) pairs the statement names; None: everyone (``*``, NotPrincipal)."""
    if st.principal is None:
        return []  # identity policies: no principal element
    if st.not_principal or st.principal.wildcard:
        return None
    return [_norm_principal(k, v) for k, vals in st.principal.entries for v in vals]


def _principal_covers(st: Statement, unit: tuple[str, str] | None) -> bool:
    if st.principal is None:
        return True
    if st.not_principal:
        return False  # conservative: what NotPrincipal leaves out is not compared
    if st.principal.wildcard:
        return True
    if unit is None:
        return False
    if unit[0] == "AWS" and unit[1] == "*":
        return False
    return unit in {_norm_principal(k, v) for k, vals in st.principal.entries for v in vals}


# --------------------------------------------------------------------- conditions

_NEGATED = re.compile(r"Not|^Null$", re.IGNORECASE)


def _condition_implies(stronger: Statement, weaker: Statement) -> bool:
    """Whenever ``stronger``'s condition holds, ``weaker``'s does: each of weaker's
    (operator, key) is in stronger with a subset of its values (OR-ed values; negated
    and Null operators and set qualifiers only when equal)."""
    mine = {(c.operator, c.key.lower()): set(c.values) for c in stronger.conditions}
    for c in weaker.conditions:
        have = mine.get((c.operator, c.key.lower()))
        if have is None:
            return False
        exact = bool(_NEGATED.search(c.operator)) or c.operator.startswith("For")
        if exact and have != set(c.values):
            return False
        if not exact and not have <= set(c.values):
            return False
    return True


# --------------------------------------------------------------- CheckNoNewAccess

_NO_NEW_FAIL = "The modified permissions grant new access compared to your existing policy."
# AWS's PASS message for CheckNoNewAccess is not in its API reference examples; this text
# mirrors the FAIL one.
_NO_NEW_PASS = "The modified permissions do not grant new access compared to your existing policy."


def _canonical(raw: Mapping[str, object]) -> str:
    return json.dumps({k: v for k, v in raw.items() if k != "Sid"}, sort_keys=True)


def _action_units(st: Statement) -> list[tuple[str, tuple[str, ...]]]:
    """(pattern, the catalog actions it stands for) for each action the statement allows."""
    if st.not_action:
        excluded = st.actions or ()
        concrete = tuple(
            a.full_name
            for svc in catalog.services()
            for a in catalog.actions(svc)
            if not any(_action_covers(p, a.full_name) for p in excluded)
        )
        return [("*", concrete)]
    return [(p, catalog.expand(p) if is_pattern(p) else (p,)) for p in st.actions or ()]


def _unit_allowed(
    allows: list[Statement],
    new: Statement,
    principal: tuple[str, str] | None,
    action: str,
    resource: str,
    resource_negated: tuple[str, ...] | None,
) -> bool:
    for e in allows:
        if not _stmt_action_covers(e, action) or not _principal_covers(e, principal):
            continue
        if resource_negated is not None:  # the new statement has NotResource
            pats, negated = _resources(e)
            ok = ("*" in pats and not negated) or (
                negated and all(any(_arn_covers(n, p) for n in resource_negated) for p in pats)
            )
        else:
            ok = _stmt_resource_covers(e, resource)
        if ok and _condition_implies(new, e):
            return True
    return False


def check_no_new_access(new_text: str, existing_text: str, policy_type: str) -> CheckResult:
    new = _parse(new_text)
    existing = _parse(existing_text)
    allows = [e for e in existing if e.effect == "Allow"]
    new_denies = {_canonical(r) for r in _raw_statements(new_text) if r.get("Effect") == "Deny"}
    existing_raw = _raw_statements(existing_text)
    denies = [
        e
        for e, raw in zip(existing, existing_raw, strict=False)
        if e.effect == "Deny" and _canonical(raw) not in new_denies
    ]
    reasons: list[Reason] = []
    for st in new:
        if st.effect != "Allow":
            continue
        if not _statement_covered(st, allows, denies, policy_type):
            reasons.append(
                Reason(f"New access in the statement with {_where(st)}.", st.index, st.sid)
            )
    if reasons:
        return CheckResult("FAIL", _NO_NEW_FAIL, tuple(reasons))
    return CheckResult("PASS", _NO_NEW_PASS)


def _statement_covered(
    st: Statement, allows: list[Statement], denies: list[Statement], policy_type: str
) -> bool:
    principals: list[tuple[str, str] | None]
    if policy_type == "RESOURCE_POLICY":
        units = _principal_units(st)
        principals = [None] if units is None else list(units) or [None]
    else:
        principals = [("", "")]
    pats, negated = _resources(st)
    resources = [("*", pats)] if negated else [(r, None) for r in pats]
    for principal in principals:
        for pattern, concrete in _action_units(st):
            for resource, resource_negated in resources:
                if any(
                    _stmt_action_intersects(d, pattern)
                    and (resource_negated is not None or _stmt_resource_intersects(d, resource))
                    for d in denies
                ):
                    return False  # an existing Deny the new policy dropped
                if pattern != "*" and _unit_allowed(
                    allows, st, principal, pattern, resource, resource_negated
                ):
                    continue
                if not concrete:
                    return False
                for action in concrete:
                    if not _unit_allowed(allows, st, principal, action, resource, resource_negated):
                        return False
    return True


# ---------------------------------------------------------- CheckAccessNotGranted

_NOT_GRANTED_FAIL = (
    "The policy document grants access to perform one or more of the listed actions or resources."
)
_NOT_GRANTED_PASS = (
    "The policy document does not grant access to perform the listed actions or resources."
)


def _denied(denies: Iterable[Statement], action: str | None, resource: str | None) -> bool:
    for d in denies:
        if d.conditions:
            continue  # a conditional Deny may not apply
        if action is not None and not _stmt_action_covers(d, action):
            continue
        if action is None and not (not d.not_action and "*" in (d.actions or ())):
            continue
        if resource is not None and not _stmt_resource_covers(d, resource):
            continue
        if resource is None:
            pats, negated = _resources(d)
            if negated or "*" not in pats:
                continue
        return True
    return False


def check_access_not_granted(
    text: str, actions: list[str], resources: list[str], policy_type: str
) -> CheckResult:
    statements = _parse(text)
    denies = [s for s in statements if s.effect == "Deny"]
    reasons: list[Reason] = []
    for st in statements:
        if st.effect != "Allow":
            continue
        if _grants_any(st, denies, actions, resources):
            reasons.append(
                Reason(
                    f"One or more of the listed actions or resources in the statement with "
                    f"{_where(st)}.",
                    st.index,
                    st.sid,
                )
            )
    if reasons:
        return CheckResult("FAIL", _NOT_GRANTED_FAIL, tuple(reasons))
    return CheckResult("PASS", _NOT_GRANTED_PASS)


def _grants_any(
    st: Statement, denies: list[Statement], actions: list[str], resources: list[str]
) -> bool:
    pairs: list[tuple[str | None, str | None]]
    if actions and resources:
        pairs = [(a, r) for a in actions for r in resources]
    elif actions:
        pairs = [(a, None) for a in actions]
    else:
        pairs = [(None, r) for r in resources]
    for action, resource in pairs:
        if action is not None and not _stmt_action_intersects(st, action):
            continue
        if resource is not None and not _stmt_resource_intersects(st, resource):
            continue
        if action is None and st.actions is not None and not st.not_action and not st.actions:
            continue
        if _denied(denies, action, resource):
            continue
        return True
    return False


# ------------------------------------------------------------ CheckNoPublicAccess

_PUBLIC_FAIL = "The resource policy grants public access for the given resource type."
_PUBLIC_PASS = "The resource policy does not grant public access for the given resource type."
# Condition keys that tie the caller to a known account, organization, principal, network
# or source ("IAM Access Analyzer ... Identifying public and cross-account access": a
# condition on these keys with fixed values makes a wildcard principal non-public).
_LIMITING_KEYS = frozenset(
    {
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:sourceaccount",
        "aws:sourcearn",
        "aws:sourceowner",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
        "aws:userid",
        "aws:username",
        "aws:principalserviceName".lower(),
        "sts:externalid",
    }
)
_LIMITING_OPS = re.compile(r"^(StringEquals|StringLike|ArnEquals|ArnLike)(IgnoreCase)?$")


def _limits_caller(st: Statement) -> bool:
    for c in st.conditions:
        if c.key.lower() in _LIMITING_KEYS and _LIMITING_OPS.match(c.operator):
            if c.values and all(v != "*" for v in c.values):
                return True
    return False


def check_no_public_access(text: str, resource_type: str) -> CheckResult:
    statements = _parse(text)
    reasons = []
    for st in statements:
        if st.effect != "Allow" or st.principal is None:
            continue
        everyone = st.not_principal or st.principal.wildcard
        if everyone and not _limits_caller(st):
            reasons.append(
                Reason(
                    f"Public access granted in the following statement with {_where(st)}.",
                    st.index,
                    st.sid,
                )
            )
    if reasons:
        return CheckResult("FAIL", _PUBLIC_FAIL, tuple(reasons))
    return CheckResult("PASS", _PUBLIC_PASS)
