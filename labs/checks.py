"""Grading: one lab objective's check against one seat account (labs/README.md, "Checks").

The three kinds of check (labs/format.py), as lab authors are told they behave:

``allowed`` / ``denied`` (:class:`DecisionCheck`)
    The decision the policy engine would make, now, on a real request by the principal
    in the seat account: the same documents, context and engine call as
    ``policies.evaluation`` makes for the operations (identity policies with the groups',
    the permissions boundary; no session policies).

    - ``user/NAME``: that IAM user of the seat; ``role/NAME``: a fresh session of that
      role (session name ``lab-check``). Names are matched ignoring case, as IAM does.
      A full ARN of the seat's account names the same entity (``…:user/…``,
      ``…:role/…``, a role session ``arn:aws:sts::…:assumed-role/ROLE/SESSION``, or
      ``…:root``). An unknown user or role fails the check ("no user bob in the
      account").
    - A principal ARN of **another** account (``arn:aws:iam::999988887777:root``, a user
      or role session there) has no identity policies in the seat: its own account is
      assumed to allow it everything, so the seat's resource policy alone decides (an
      explicit Deny there still wins). This is how a cross-account trust is graded.
    - Context: the keys AWS sets on every request (``aws:CurrentTime``,
      ``aws:PrincipalArn``, ``aws:username``, principal tags, …) plus the check's own,
      which win. ``aws:MultiFactorAuthPresent`` is ``false`` unless the check gives it;
      when it is ``true`` (or only ``aws:MultiFactorAuthAge`` is given)
      ``aws:MultiFactorAuthAge`` is set too (``0`` unless given); without MFA there is
      no ``aws:MultiFactorAuthAge``. Keys compare without case.
    - The resource is taken literally, as in a real request: ``*`` (the default) is
      what list actions name; give the ARN for actions on a resource. For
      ``sts:AssumeRole*``, ``sts:TagSession`` and ``sts:SetSourceIdentity`` on a role of
      the seat, the role's trust policy is the resource-based policy.
    - ``denied`` passes on an implicit or an explicit deny. On failure the detail says
      why: the statement that denied or allowed, or which kind of policy did not allow,
      with the statements that nearly matched.

``query`` (:class:`QueryCheck`)
    ``jmespath.search(expression, snapshot)`` over the seat snapshot (labs/snapshot.py);
    passes when the value is exactly ``true``. Otherwise the detail is
    ``query returned <the JSON value>`` (200 characters at most), or the JMESPath error.

``event`` (:class:`EventCheck`)
    An event of the seat's history since ``since``: the event name exactly (case
    matters, as in CloudTrail); ``result`` allowed/denied when given; ``resource`` an
    ARN, or a glob where ``*`` is any run of characters and ``?`` one (case matters);
    ``principal`` ``user/NAME`` (that user, whatever its path), ``role/NAME`` (the role
    or any session of it), or an ARN or glob of the actor. Events the lab system wrote
    itself (``via`` ``lab``: setup, reset) never count.

Grading never raises: an unexpected problem fails the check with a detail saying what
went wrong (and is logged), because a dashboard polls grading. Grading writes nothing.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from accounts.models import IamUser, Role
from accounts.principal import Principal, role_session_principal, root_principal, user_principal
from audit.models import AuditEvent
from labs.format import Check, DecisionCheck, EventCheck, Objective, QueryCheck
from labs.snapshot import iso, seat_snapshot
from policies import engine
from policies.authorization import arn_account
from policies.evaluation import PrincipalPolicies, cached_policies, request_context
from policies.simulation import entity_policies

__all__ = ["CheckResult", "grade_account", "lazy_snapshot", "run_check"]

log = logging.getLogger(__name__)

SESSION_NAME = "lab-check"
DETAIL_MAX = 600
QUERY_VALUE_MAX = 200

# What a principal of another account is assumed to have in its own account.
_OWN_ACCOUNT_ALLOWS = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
_OWN_ACCOUNT_LABEL = "its own account (assumed to allow)"
_TRUST_ACTIONS = ("sts:tagsession", "sts:setsourceidentity")
_ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role/(?:.*/)?([^/]+)")
_NAME = re.compile(r"[^/]+")  # IAM user and role names hold no "/"
_GENERIC_LABEL = re.compile(r"^[a-z_-]+(\[\d+\])?$")
_KIND_NAMES = {
    "identity": "an identity-based policy",
    "permissions_boundary": "the permissions boundary",
    "session": "a session policy",
    "resource": "the resource-based policy",
    "scp": "a service control policy",
    "rcp": "a resource control policy",
    "vpc_endpoint": "the VPC endpoint policy",
}


@dataclass(frozen=True)
class CheckResult:
    passed: bool
    detail: str


def run_check(
    check: Check, *, account_id: str, since: datetime, snapshot: Callable[[], dict[str, Any]]
) -> CheckResult:
    """Grade one check against the seat ``account_id`` (never raises).

    ``snapshot``: a lazy, memoized getter of the seat snapshot (:func:`lazy_snapshot`), so
    that a seat's several query checks build it once and other checks never do.
    """
    try:
        if isinstance(check, DecisionCheck):
            return _decision_check(check, account_id)
        if isinstance(check, QueryCheck):
            return _query_check(check, snapshot)
        if isinstance(check, EventCheck):
            return _event_check(check, account_id, since)
        return CheckResult(False, f"unknown kind of check: {type(check).__name__}")
    except Exception as exc:  # a dashboard polls grading: report, never raise
        log.exception("grading %r in account %s failed", check, account_id)
        return CheckResult(False, _clip(f"grading failed: {type(exc).__name__}: {exc}"))


def lazy_snapshot(account_id: str) -> Callable[[], dict[str, Any]]:
    """A getter that builds the seat's snapshot on its first call only (a failure too is
    remembered: the next query checks fail the same way without building it again)."""
    state: dict[str, Any] = {}

    def get() -> dict[str, Any]:
        if "error" in state:
            raise state["error"]
        if "value" not in state:
            try:
                state["value"] = seat_snapshot(account_id)
            except Exception as exc:
                state["error"] = exc
                raise
        return state["value"]

    return get


def grade_account(
    objectives: Iterable[Objective], *, account_id: str, since: datetime
) -> list[tuple[Objective, CheckResult]]:
    """Every objective's result for one seat; the snapshot is built once, if needed."""
    snapshot = lazy_snapshot(account_id)
    return [
        (o, run_check(o.check, account_id=account_id, since=since, snapshot=snapshot))
        for o in objectives
    ]


def _bad_name(spec: str) -> str:
    return f"principal {spec}: a name has no path (give the ARN for that)"


def _clip(text: str, limit: int = DETAIL_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- query -------------------------------------------------------------------------------


def _query_check(check: QueryCheck, snapshot: Callable[[], dict[str, Any]]) -> CheckResult:
    data = snapshot()
    try:
        value = jmespath.search(check.expression, data)
    except JMESPathError as exc:
        return CheckResult(False, _clip(f"query failed: {exc}"))
    if value is True:
        return CheckResult(True, "query returned true")
    text = json.dumps(value, default=str, ensure_ascii=False)
    return CheckResult(False, f"query returned {_clip(text, QUERY_VALUE_MAX)}")


# -- event -------------------------------------------------------------------------------


def _glob_regex(pattern: str) -> str:
    """``*`` any run, ``?`` one character, everything else literal; anchored. The regex
    is portable (SQLite's REGEXP is Python's ``re``; PostgreSQL's ``~`` reads it alike)."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return f"^{body}$"


def _matching(qs: Any, column: str, pattern: str) -> Any:
    if "*" in pattern or "?" in pattern:
        return qs.filter(**{f"{column}__regex": _glob_regex(pattern)})
    return qs.filter(**{column: pattern})


def _event_check(check: EventCheck, account_id: str, since: datetime) -> CheckResult:
    qs = AuditEvent.objects.filter(
        account_id=account_id, time__gte=since, event_name=check.name
    ).exclude(via="lab")
    if check.result:
        qs = qs.filter(allowed=check.result == "allowed")
    if check.resource:
        qs = _matching(qs, "resource_arn", check.resource)
    if check.principal:
        spec = check.principal
        if spec.startswith(("user/", "role/")):
            if not _NAME.fullmatch(spec[5:]):
                return CheckResult(False, _bad_name(spec))
            # IAM names ignore case (no "Bob" beside "bob"): match the name so too.
            name = re.escape(spec[5:])
            if spec.startswith("user/"):
                regex = rf"^arn:aws:iam::{account_id}:user/(.*/)?{name}$"
            else:
                regex = (
                    rf"^arn:aws:(sts::{account_id}:assumed-role/{name}/[^/]+"
                    rf"|iam::{account_id}:role/(.*/)?{name})$"
                )
            qs = qs.filter(actor_arn__iregex=regex)
        elif spec.startswith("arn:"):
            qs = _matching(qs, "actor_arn", spec)
        else:
            return CheckResult(False, f"principal must be user/NAME, role/NAME or an ARN: {spec}")
    hit = qs.order_by("-time", "-id").values_list("time", "actor_arn").first()
    if hit is None:
        return CheckResult(False, "no matching event")
    when, actor = hit
    return CheckResult(True, f"{check.name} by {actor} at {iso(when)}")


# -- decision ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Caller:
    principal: Principal
    policies: PrincipalPolicies
    entity: IamUser | Role | None = None  # for naming its policies in a failure's detail
    external: bool = False


def _first(value: Any) -> str:
    if isinstance(value, list | tuple):
        return str(value[0]) if value else ""
    return str(value)


def _mfa(given: dict[str, Any]) -> bool:
    lowered = {k.lower(): v for k, v in given.items()}
    if "aws:multifactorauthpresent" in lowered:
        return _first(lowered["aws:multifactorauthpresent"]).lower() == "true"
    return "aws:multifactorauthage" in lowered


def _caller(spec: str, account_id: str, mfa: bool, now: datetime) -> _Caller | str:
    """Who makes the request, or why there is no such principal (the detail)."""
    kw: dict[str, Any] = {
        "via": "lab",
        "mfa_authenticated": mfa,
        "mfa_auth_time": now if mfa else None,
    }
    kind, name, session = "", "", SESSION_NAME
    if spec.startswith(("user/", "role/")):
        kind, name = spec[:4], spec[5:]
        if not _NAME.fullmatch(name):
            return _bad_name(spec)
    elif spec.startswith("arn:"):
        parts = spec.split(":", 5)
        if len(parts) != 6:
            return f"principal {spec} is not an ARN"
        _, _, service, _, account, resource = parts
        if account != account_id:
            return _external(spec, account, kw)
        if service == "iam" and resource == "root":
            return _Caller(root_principal(account_id, **kw), PrincipalPolicies((), None, None, ()))
        if service == "iam" and resource.startswith(("user/", "role/")):
            kind, name = resource[:4], spec  # by ARN
        elif service == "sts" and resource.startswith("assumed-role/") and resource.count("/") == 2:
            _, role_name, session = resource.split("/")
            kind, name = "role", role_name
        else:
            return f"principal {spec} is not a user, role or role session of the account"
    else:
        return f"principal must be user/NAME, role/NAME or an ARN: {spec}"

    model = IamUser if kind == "user" else Role
    entities = model.objects.filter(account_id=account_id)
    entity = (
        entities.filter(arn=name).first()
        if name.startswith("arn:")
        else entities.filter(name__iexact=name).first()
    )
    if entity is None:
        return f"no {kind} {name} in the account"
    if isinstance(entity, IamUser):
        principal = user_principal(entity, **kw)
    else:
        principal = role_session_principal(entity, session, session_issued=now, **kw)
    return _Caller(principal, cached_policies(principal), entity)


def _external(spec: str, account: str, kw: dict[str, Any]) -> _Caller:
    """A principal of another account: its identity side is assumed to allow."""
    info_kind = engine.principal_context(spec).get("aws:PrincipalType")
    kind = {"Account": "root", "User": "user", "AssumedRole": "assumed-role"}.get(
        str(info_kind), "other"
    )
    tail = spec.rsplit("/", 1)[-1]
    principal = Principal(
        account_id=account,
        kind=kind,  # type: ignore[arg-type]  # "other": a role or federated user ARN
        arn=spec,
        unique_id=account if kind == "root" else "",
        user_name=tail if kind == "user" else "",
        session_name=tail if kind == "assumed-role" else "",
        **kw,
    )
    identity = engine.policy_set([engine.compile_policy(_OWN_ACCOUNT_ALLOWS, _OWN_ACCOUNT_LABEL)])
    return _Caller(principal, PrincipalPolicies(identity, None, None, ()), external=True)


def _merge(ctx: dict[str, Any], extra: dict[str, Any]) -> None:
    """``ctx.update(extra)`` with keys compared without case (the engine does)."""
    for key, value in extra.items():
        if value is None:
            continue
        for old in [k for k in ctx if k.lower() == key.lower()]:
            del ctx[old]
        ctx[key] = value


def _context(caller: _Caller, given: dict[str, Any], mfa: bool) -> dict[str, Any]:
    ctx = request_context(caller.principal, caller.policies, None)
    if caller.external:
        # The keys AWS derives from the caller's ARN (the engine's own reading of it).
        _merge(ctx, dict(engine.principal_context(caller.principal.arn)))
        if not caller.principal.unique_id:
            ctx.pop("aws:userid", None)
    extra = dict(given)
    if not mfa:  # AWS sets aws:MultiFactorAuthAge only when MFA was used
        extra = {k: v for k, v in extra.items() if k.lower() != "aws:multifactorauthage"}
    _merge(ctx, extra)
    return ctx


def _trust_role(action: str, resource: str, account_id: str) -> tuple[Role | None, bool]:
    """(the role whose trust policy is the resource policy, whether one was asked for)."""
    act = action.lower()
    if not (act.startswith("sts:assumerole") or act in _TRUST_ACTIONS):
        return None, False
    match = _ROLE_ARN.fullmatch(resource)
    if match is None or match.group(1) != account_id:
        return None, False
    return Role.objects.filter(account_id=account_id, arn=resource).first(), True


def _decision_check(check: DecisionCheck, account_id: str) -> CheckResult:
    now = datetime.now(UTC).replace(microsecond=0)
    given = dict(check.context)
    mfa = _mfa(given)
    caller = _caller(check.principal, account_id, mfa, now)
    if isinstance(caller, str):
        return CheckResult(False, caller)

    owner = arn_account(check.resource)
    if owner in (None, "aws"):
        owner = account_id  # "*" and AWS-owned ARNs: the seat's own, as authorize counts
    role, trust_asked = _trust_role(check.action, check.resource, account_id)
    trust = (
        engine.compile_policy(role.trust_policy, f"the trust policy of role {role.name}")
        if role is not None
        else None
    )
    request = engine.Request(
        principal=caller.principal.arn,
        action=check.action,
        resource=check.resource,
        context=_context(caller, given, mfa),
        resource_account=role.account_id if role is not None else owner,
        literal_resource=True,  # a real request names one resource
    )
    policies = caller.policies
    decision = engine.evaluate(
        request,
        identity_policies=policies.identity,
        resource_policy=trust,
        permissions_boundary=policies.boundary,
    )
    passed = decision.allowed == (check.expect == "allowed")
    if not passed and caller.entity is not None:
        decision = _named(decision, caller.entity, trust)
    detail = _describe(decision, role, trust_asked, explain=not passed)
    return CheckResult(passed, _clip(detail))


def _named(decision: engine.Decision, entity: IamUser | Role, trust: Any) -> engine.Decision:
    """The same decision made from the entity's policies labelled by name ("RequireMFA
    (attached to group devs)"), so a failure's detail can say which one. Only on a
    failure: the labels cost a few queries the cached policies do not."""
    try:
        named, boundary = entity_policies(entity)
        again = engine.evaluate(
            decision.request,
            identity_policies=engine.policy_set(
                [engine.compile_policy(p.document, p.label) for p in named]
            ),
            resource_policy=trust,
            permissions_boundary=(
                engine.compile_policy(boundary.document, boundary.label) if boundary else None
            ),
        )
    except Exception:  # the names are a nicety: keep the decision that was made
        log.exception("labelling the policies of %s failed", entity.arn)
        return decision
    return again if again.effect == decision.effect else decision


def _policy_name(kind: str, label: str) -> str:
    return _KIND_NAMES.get(kind, label) if _GENERIC_LABEL.match(label) else label


def _statements(statements: Sequence[engine.MatchedStatement]) -> str:
    return ", ".join(
        f"statement {s.sid!r} of {_policy_name(s.policy_type, s.policy)}"
        if s.sid
        else f"statement {s.index + 1} of {_policy_name(s.policy_type, s.policy)}"
        for s in statements
        if s.policy != _OWN_ACCOUNT_LABEL  # the assumption is no reason worth naming
    )


def _near_misses(decision: engine.Decision, limit: int = 2) -> list[str]:
    """Allow statements whose action matched but another element did not, and why."""
    out = []
    for t in decision.explain().traces:
        if t.effect != "Allow" or t.matched or t.element in ("Action", "NotAction"):
            continue
        which = f"statement {t.sid!r}" if t.sid else f"statement {t.index + 1}"
        out.append(f"{which} of {_policy_name(t.policy_type, t.policy)}: {t.element}: {t.reason}")
        if len(out) == limit:
            break
    return out


def _boundary_name(decision: engine.Decision) -> str:
    """ " NAME" of the boundary policy when its label names it (else "")."""
    for t in decision.explain().traces:
        if t.policy_type == "permissions_boundary" and not _GENERIC_LABEL.match(t.policy):
            return " " + t.policy.removesuffix(" (permissions boundary)")
    return ""


def _describe(
    decision: engine.Decision, role: Role | None, trust_asked: bool, *, explain: bool
) -> str:
    request = decision.request
    action = request.action
    if decision.effect == engine.ALLOW:
        by = _statements(decision.statements)
        return f"allowed by {by}" if by else "allowed"
    if decision.effect == engine.EXPLICIT_DENY:
        return f"explicitly denied by {_statements(decision.statements)}"
    reason = decision.reason
    if reason == "identity":
        text = f"no statement allows {action}"
        if request.resource != "*":
            text += f" on {request.resource}"
    elif reason == "permissions_boundary":
        name = _boundary_name(decision) if explain else ""
        text = (
            f"an identity-based policy allows {action}, but the permissions boundary{name} does not"
        )
    elif reason == "resource" and role is not None:
        text = (
            f"the trust policy of role {role.name} does not allow {action} for {request.principal}"
        )
    elif reason == "resource" and trust_asked:
        text = f"no role {request.resource} in the account"
    elif reason == "resource":
        text = f"no resource-based policy allows {action} for {request.principal}"
    elif reason == "aws-owned-resource":
        text = "resources AWS owns take only read and list actions"
    else:
        text = engine.denial_message(decision) or f"not allowed ({reason})"
    text = f"implicitly denied: {text}"
    if explain:
        misses = _near_misses(decision)
        if misses:
            text += "; nearest: " + "; ".join(misses)
    return text
