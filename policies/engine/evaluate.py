"""The decision: AWS "Policy evaluation logic", step by step.

AWS docs followed here: "Policy evaluation logic", "Policy evaluation for requests
within a single account", "Cross-account policy evaluation logic", "Service control
policies", "Resource control policies", "Permissions boundaries" and "Session
policies".

1. sts:GetCallerIdentity is always allowed (it needs no permission and cannot be denied).
2. An explicit Deny in any applicable policy wins: SCP, RCP, VPC endpoint, resource-based,
   identity-based, permissions boundary, session.
3. Every SCP level (root first) must allow (principals of the organization only: never
   anonymous callers or service principals); every RCP level must allow (resources of
   the services RCPs cover); a VPC endpoint policy must allow.
4. Same account: a resource-based policy naming the caller itself (IAM user, role session,
   "*") grants on its own; naming the role (for its sessions) still needs the permissions
   boundary and session policies; naming the account delegates to identity policies.
   Otherwise identity-based allow AND boundary (if any) AND session policies (if any).
   KMS key policies and role trust policies must allow even within the account.
5. Cross account: the identity side (identity AND boundary AND session) AND the resource-
   based policy must both allow.
6. Resources AWS itself owns (AWS managed policies, aws-reserved roles, AWS managed KMS
   aliases) only take read and list actions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from . import catalog
from .compiled import (
    CompiledPolicy,
    CompiledStatement,
    PolicySet,
    RequestView,
    policy_set,
)
from .principals import DIRECT, ROLE, PrincipalInfo, principal_info

ALLOW = "Allow"
EXPLICIT_DENY = "ExplicitDeny"
IMPLICIT_DENY = "ImplicitDeny"

IDENTITY = "identity"
RESOURCE = "resource"
BOUNDARY = "permissions_boundary"
SESSION = "session"
SCP = "scp"
RCP = "rcp"
ENDPOINT = "vpc_endpoint"

# Policy kinds whose statements must name a principal (AWS: resource-based policies).
_PRINCIPAL_REQUIRED = {RESOURCE: True, RCP: False, ENDPOINT: False}


@dataclass(frozen=True, slots=True)
class Request:
    """One authorization request.

    principal: an ARN (IAM user, role, assumed-role session, root, federated user), a
    service principal such as "lambda.amazonaws.com", or None for an anonymous caller.
    context: condition keys to a string or a list of strings.
    resource_account: owner of the resource, when known (decides same- vs cross-account);
    otherwise the resource ARN's account, or the caller's own account.
    """

    principal: str | None
    action: str
    resource: str
    context: Mapping[str, object] = field(default_factory=dict)
    resource_account: str | None = None
    # True for a real request: the resource is one ARN, taken literally even if it holds
    # "*" or "?" (IAM paths may). False (the default, as simulators ask) treats such a
    # resource as a pattern of resources: an Allow applies if it overlaps it.
    literal_resource: bool = False

    @classmethod
    def build(
        cls,
        principal: str | None,
        action: str,
        resource: str,
        context: Mapping[str, object] | None = None,
        resource_account: str | None = None,
    ) -> Request:
        """A request whose context also holds the keys AWS derives from the principal."""
        merged = dict(principal_context(principal))
        merged.update(context or {})
        return cls(principal, action, resource, merged, resource_account)


@dataclass(frozen=True, slots=True)
class MatchedStatement:
    """A statement that took part in the decision."""

    policy_type: str
    policy: str  # label, e.g. "identity[2]" or a name given to compile_policy
    sid: str | None
    index: int  # position of the statement in its policy
    effect: str


@dataclass(frozen=True, slots=True)
class StatementTrace:
    """Why one statement did or did not match (for the simulator)."""

    policy_type: str
    policy: str
    sid: str | None
    index: int
    effect: str
    matched: bool
    element: str | None  # the first element that did not match
    reason: str


@dataclass(frozen=True)
class Explanation:
    decision: str
    reason: str
    traces: tuple[StatementTrace, ...]

    def as_dicts(self) -> list[dict[str, object]]:
        from dataclasses import asdict

        return [asdict(t) for t in self.traces]

    def text(self) -> str:
        lines = [f"Decision: {self.decision} ({self.reason})"]
        for t in self.traces:
            sid = f" {t.sid!r}" if t.sid else ""
            mark = "MATCH" if t.matched else "no match"
            lines.append(
                f"  {t.policy} statement {t.index}{sid} {t.effect}: {mark}"
                + ("" if t.matched else f" - {t.element}: {t.reason}")
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True)
class Decision:
    """The outcome. `effect` is Allow, ExplicitDeny or ImplicitDeny.

    `reason` names the policy type that decided (for denials: which one denied or did not
    allow), used by `denial_message`.
    """

    effect: str
    statements: tuple[MatchedStatement, ...]
    reason: str
    request: Request
    _inputs: _Inputs | None = field(default=None, repr=False, compare=False)

    @property
    def allowed(self) -> bool:
        return self.effect == ALLOW

    def explain(self) -> Explanation:
        """Per policy and statement: matched, or which element did not match and why."""
        traces: list[StatementTrace] = []
        if self._inputs is not None:
            has_boundary = any(kind == BOUNDARY for kind, _, _ in self._inputs.sets)
            view = _view(self.request, has_boundary)
            for kind, label, ps in self._inputs.sets:
                traces.extend(_trace_set(kind, label, ps, view))
        return Explanation(self.effect, self.reason, tuple(traces))


class _Inputs:
    """What a decision was made from, kept so explain() can trace every statement.

    Only references are kept: the traces are built when explain() is called.
    """

    __slots__ = ("parts",)

    def __init__(self, parts: tuple[object, ...]) -> None:
        self.parts = parts

    @classmethod
    def lazy(cls, *parts: object) -> _Inputs:
        return cls(parts)

    @property
    def sets(self) -> tuple[tuple[str, str, PolicySet], ...]:
        if not self.parts:
            return ()
        identity, resource, boundary, session, endpoint, scps, rcps = self.parts
        out: list[tuple[str, str, PolicySet]] = [(IDENTITY, IDENTITY, identity)]  # type: ignore[list-item]
        for kind, ps in (
            (RESOURCE, resource),
            (BOUNDARY, boundary),
            (SESSION, session),
            (ENDPOINT, endpoint),
        ):
            if ps is not None:
                out.append((kind, kind, ps))  # type: ignore[arg-type]
        for n, (ps, _) in enumerate(scps):  # type: ignore[attr-defined]
            out.append((SCP, f"scp-level[{n}]", ps))
        for n, (ps, _) in enumerate(rcps):  # type: ignore[attr-defined]
            out.append((RCP, f"rcp-level[{n}]", ps))
        return tuple(out)


# ------------------------------------------------------------------ helpers


def _derived_keys(p: PrincipalInfo) -> dict[str, object]:
    """Global condition keys AWS fills in from the caller (context may override)."""
    if p.anonymous:
        return {}
    out: dict[str, object] = {}
    if p.account:
        out["aws:PrincipalAccount"] = p.account
    if p.kind == "user":
        out["aws:username"] = p.name
        out["aws:PrincipalType"] = "User"
        out["aws:PrincipalArn"] = p.arn
    elif p.kind == "assumed-role":
        out["aws:PrincipalType"] = "AssumedRole"
        # AWS: for a role session aws:PrincipalArn is the role's ARN.
        out["aws:PrincipalArn"] = f"arn:{p.partition}:iam::{p.account}:role/{p.name}"
    elif p.kind == "role":
        out["aws:PrincipalArn"] = p.arn
    elif p.kind == "root":
        out["aws:PrincipalType"] = "Account"
        out["aws:PrincipalArn"] = p.arn
    elif p.kind == "federated-user":
        out["aws:PrincipalType"] = "FederatedUser"
        out["aws:PrincipalArn"] = p.arn
    elif p.kind == "service":
        out["aws:PrincipalServiceName"] = p.arn
    return out


def principal_context(principal: str | None) -> dict[str, object]:
    """The global condition keys AWS sets from the caller's ARN.

    aws:username (IAM users), aws:PrincipalArn (a session's role ARN), aws:PrincipalAccount,
    aws:PrincipalType. The engine reads only the request context, like aws:CurrentTime, so
    callers merge these in (Request.build does): keys the caller leaves out are absent.
    """
    return _derived_keys(principal_info(principal))


def _view(request: Request, has_boundary: bool = False) -> RequestView:
    p = principal_info(request.principal)
    view = RequestView(
        p, request.action, request.resource, request.context, {}, request.literal_resource
    )
    view.has_boundary = has_boundary
    return view


def _match(cs: CompiledStatement, view: RequestView, principal_required: bool | None) -> str | None:
    """DIRECT/ROLE/ACCOUNT when the statement applies (its action already matched)."""
    if not cs.resource_matches(view):
        return None
    kind = DIRECT
    if principal_required is not None:
        kind = cs.principal_match(view, principal_required)
        if kind is None:
            return None
    if cs.conditions and not cs.conditions_match(view):
        return None
    return kind


class _Result:
    __slots__ = ("allows", "denies")

    def __init__(self) -> None:
        self.allows: list[tuple[CompiledStatement, str]] = []
        self.denies: list[CompiledStatement] = []


_EMPTY = _Result()


def _run(ps: PolicySet, view: RequestView, principal_required: bool | None) -> _Result:
    """Every matching Deny, and the matching Allows up to the first DIRECT one.

    Once an Allow that matched the caller directly is found, later Allows cannot change
    the decision, so they are not evaluated (Decision.statements then names that one).
    """
    denies, allows = ps.candidates(view.action_lower)
    if not denies and not allows:
        return _EMPTY
    res = _Result()
    for cs in denies:
        if _match(cs, view, principal_required) is not None:
            res.denies.append(cs)
    for cs in allows:
        m = _match(cs, view, principal_required)
        if m is not None:
            res.allows.append((cs, m))
            if m == DIRECT:
                break
    return res


def _levels(levels: object) -> list[tuple[list[object], bool]]:
    """SCP/RCP levels: each a list of documents, or {"policies": [...], "implicit_*": bool}.

    A level marked implicit_RCPFullAccess / implicit_FullAWSAccess carries AWS's default
    allow-everything policy (RCPFullAccess is attached everywhere by AWS).
    """
    out: list[tuple[list[object], bool]] = []
    for level in levels or ():  # type: ignore[attr-defined]
        if isinstance(level, Mapping) and "Statement" not in level:
            implicit = any(k.startswith("implicit") and bool(v) for k, v in level.items())
            out.append((list(level.get("policies", ()) or ()), implicit))
        elif isinstance(level, Mapping | str | CompiledPolicy):
            out.append(([level], False))
        else:
            out.append((list(level), False))
    return out


def _service_linked_role(p: PrincipalInfo) -> bool:
    """AWS ("Service control policies"): SCPs do not affect service-linked roles.

    Service-linked roles live under the /aws-service-role/ path and are named
    AWSServiceRoleFor...; a session ARN shows only the name.
    """
    if p.kind not in ("role", "assumed-role") or p.arn is None:
        return False
    return ":role/aws-service-role/" in p.arn or (p.name or "").startswith("AWSServiceRoleFor")


def _resource_account(request: Request, p: PrincipalInfo) -> str | None:
    if request.resource_account:
        return request.resource_account
    parts = request.resource.split(":", 5)
    if len(parts) == 6 and parts[4] and parts[4] != "aws":
        return parts[4]
    return p.account


def _requires_resource_policy(action_lower: str, resource: str) -> bool:
    """AWS: KMS key policies and role trust policies must allow even in the same account.

    Not when the request names no particular resource ("*", a pattern): there is then no
    one key policy or trust policy to consult (simulator questions).
    """
    if "*" in resource or "?" in resource:
        return False
    if action_lower.startswith("sts:assumerole"):
        return True
    if action_lower.startswith("kms:"):
        parts = resource.split(":", 5)
        return len(parts) == 6 and parts[5].startswith("key/")
    return False


def _aws_owned_readonly(action: str, resource: str) -> bool:
    """Resources AWS owns take only List and Read actions.

    AWS managed policies (arn:aws:iam::aws:policy/...), roles under the reserved path
    /aws-reserved/ and AWS managed KMS aliases (alias/aws/...) cannot be changed by
    customers whatever their policies say.
    """
    if (
        ":aws:policy/" not in resource
        and "/aws-reserved/" not in resource
        and "alias/aws/" not in resource
    ):
        return False
    parts = resource.split(":", 5)
    if len(parts) != 6:
        return False
    service, account, res = parts[2], parts[4], parts[5]
    owned = (
        (service == "iam" and account == "aws" and res.startswith("policy/"))
        or (service == "iam" and res.startswith("role/aws-reserved/"))
        or (service == "kms" and res.startswith("alias/aws/"))
    )
    if not owned:
        return False
    info = catalog.action(action)
    return info is None or info.access_level not in ("List", "Read")


def _label(kind: str, ps: PolicySet, cs: CompiledStatement) -> tuple[str, int]:
    i = ps.policy_of(cs)
    cp = ps.policies[i]
    return (cp.label or f"{kind}[{i}]"), i


def _record(kind: str, ps: PolicySet, cs: CompiledStatement) -> MatchedStatement:
    key = (kind, id(cs))
    hit = ps._records.get(key)
    if hit is None:
        label, _ = _label(kind, ps, cs)
        st = cs.statement
        hit = MatchedStatement(kind, label, st.sid, st.index, st.effect)
        ps._records[key] = hit
    return hit


# ------------------------------------------------------------------ evaluate


def evaluate(
    request: Request,
    *,
    identity_policies: Iterable[object] | PolicySet = (),
    resource_policy: object | None = None,
    permissions_boundary: object | None = None,
    session_policies: Sequence[object] | PolicySet | None = None,
    scps: Sequence[object] | None = None,
    rcps: Sequence[object] | None = None,
    endpoint_policies: Sequence[object] | PolicySet | None = None,
) -> Decision:
    """Decide one request as AWS does. Documents may be dicts, JSON text or compiled."""
    if (
        resource_policy is None
        and permissions_boundary is None
        and session_policies is None
        and endpoint_policies is None
        and not scps
        and not rcps
    ):
        decision = _identity_only(request, identity_policies)
        if decision is not None:
            return decision
    p = principal_info(request.principal)
    view = RequestView(
        p, request.action, request.resource, request.context, _NO_KEYS, request.literal_resource
    )
    act = view.action_lower
    if act == "sts:getcalleridentity":
        # AWS: "No permissions are required to perform this operation" and an explicit
        # deny of sts:GetCallerIdentity does not stop it.
        return Decision(ALLOW, (), "always-allowed", request, _Inputs(()))

    anonymous = p.anonymous
    service_principal = p.kind == "service"
    org_member = not anonymous and not service_principal

    identity = policy_set(identity_policies if org_member else ())
    resource = policy_set((resource_policy,)) if resource_policy is not None else None
    boundary = None
    if permissions_boundary is not None and org_member:
        boundary = policy_set((permissions_boundary,))
        view.has_boundary = True
    session = policy_set(session_policies) if session_policies is not None and org_member else None
    endpoint = policy_set(endpoint_policies) if endpoint_policies is not None else None
    scp_levels = (
        [(policy_set(docs), implicit) for docs, implicit in _levels(scps)]
        if scps and org_member and not _service_linked_role(p)
        else []
    )
    rcp_levels = (
        [(policy_set(docs), implicit) for docs, implicit in _levels(rcps)]
        if rcps and act.partition(":")[0] in catalog.rcp_supported_services()
        else []
    )
    inputs = _Inputs.lazy(identity, resource, boundary, session, endpoint, scp_levels, rcp_levels)

    # Evaluate every applicable policy once; then 2. an explicit deny anywhere wins.
    runs: list[tuple[str, PolicySet, _Result]] = []
    for ps, _ in scp_levels:
        runs.append((SCP, ps, _run(ps, view, None)))
    for ps, _ in rcp_levels:
        runs.append((RCP, ps, _run(ps, view, False)))
    r_endpoint = r_resource = r_boundary = r_session = None
    if endpoint is not None:
        r_endpoint = _run(endpoint, view, False)
        runs.append((ENDPOINT, endpoint, r_endpoint))
    if resource is not None:
        r_resource = _run(resource, view, True)
        runs.append((RESOURCE, resource, r_resource))
    r_identity = _run(identity, view, None)
    runs.append((IDENTITY, identity, r_identity))
    if boundary is not None:
        r_boundary = _run(boundary, view, None)
        runs.append((BOUNDARY, boundary, r_boundary))
    if session is not None:
        r_session = _run(session, view, None)
        runs.append((SESSION, session, r_session))
    denies = [_record(kind, ps, cs) for kind, ps, res in runs for cs in res.denies]
    if denies:
        return Decision(EXPLICIT_DENY, tuple(denies), denies[0].policy_type, request, inputs)

    # 3. Organization guardrails and the endpoint must allow.
    n = len(scp_levels)
    for i, (_ps, implicit) in enumerate(scp_levels):
        if not implicit and not runs[i][2].allows:
            return Decision(IMPLICIT_DENY, (), SCP, request, inputs)
    for i, (_ps, implicit) in enumerate(rcp_levels):
        if not implicit and not runs[n + i][2].allows:
            return Decision(IMPLICIT_DENY, (), RCP, request, inputs)
    if r_endpoint is not None and not r_endpoint.allows:
        return Decision(IMPLICIT_DENY, (), ENDPOINT, request, inputs)

    # 4/5. Identity side and resource side.
    rp_allows = r_resource.allows if r_resource is not None else []
    rp_kinds = {m for _, m in rp_allows}
    boundary_ok = r_boundary is None or bool(r_boundary.allows)
    session_ok = r_session is None or bool(r_session.allows)
    # AWS: the root user has full access to its own account's resources.
    identity_allows = bool(r_identity.allows) or p.kind == "root"

    reason = IDENTITY
    if anonymous or service_principal:
        allowed = bool(rp_allows)
        reason = RESOURCE
    else:
        identity_side = identity_allows and boundary_ok and session_ok
        if _resource_account(request, p) == p.account:
            direct = DIRECT in rp_kinds and session_ok
            via_role = ROLE in rp_kinds and boundary_ok and session_ok
            if _requires_resource_policy(act, request.resource):
                allowed = direct or via_role or (bool(rp_kinds) and identity_side)
                if not rp_kinds:
                    reason = RESOURCE
            else:
                allowed = direct or via_role or identity_side
        else:
            allowed = identity_side and bool(rp_kinds)
            if identity_side:
                reason = RESOURCE
        if not allowed and reason == IDENTITY:
            if identity_allows and not boundary_ok:
                reason = BOUNDARY
            elif identity_allows and not session_ok:
                reason = SESSION
            elif (DIRECT in rp_kinds or ROLE in rp_kinds) and not session_ok:
                reason = SESSION
            elif ROLE in rp_kinds and not boundary_ok:
                reason = BOUNDARY

    if not allowed:
        return Decision(IMPLICIT_DENY, (), reason, request, inputs)
    if _aws_owned_readonly(view.action, request.resource):
        return Decision(IMPLICIT_DENY, (), "aws-owned-resource", request, inputs)
    granted = [_record(IDENTITY, identity, cs) for cs, _ in r_identity.allows]
    if resource is not None:
        granted += [_record(RESOURCE, resource, cs) for cs, _ in rp_allows]
    return Decision(ALLOW, tuple(granted), "allowed", request, inputs)


_NO_KEYS: dict[str, object] = {}
_new = object.__new__
_set = object.__setattr__


def _decision(
    effect: str,
    statements: tuple[MatchedStatement, ...],
    reason: str,
    request: Request,
    inputs: _Inputs,
) -> Decision:
    """Decision(...) for the hot path: one __dict__ instead of a frozen __setattr__ per field
    (half the cost of a one-policy decision). Same object; tests compare the two."""
    d = _new(Decision)
    _set(
        d,
        "__dict__",
        {
            "effect": effect,
            "statements": statements,
            "reason": reason,
            "request": request,
            "_inputs": inputs,
        },
    )
    return d


def _identity_only(
    request: Request, identity_policies: Iterable[object] | PolicySet
) -> Decision | None:
    """evaluate() when only identity-based policies apply (most requests).

    The same steps as the full flow with the absent policy kinds left out: 2. a matching
    Deny wins; 4. same account: an identity Allow decides (KMS keys and role trust still
    need their resource policy, absent here); 5. cross account: no resource policy, so
    no access; 6. AWS-owned resources. None for the callers the full flow treats apart
    (anonymous, service principals, sts:GetCallerIdentity).
    """
    p = principal_info(request.principal)
    kind = p.kind
    if kind == "anonymous" or kind == "service":
        return None
    action = request.action
    act = action.lower()
    if act == "sts:getcalleridentity":
        return None
    ps = (
        identity_policies if type(identity_policies) is PolicySet else policy_set(identity_policies)
    )
    inputs = _Inputs((ps, None, None, None, None, (), ()))
    denies, allows = ps.candidates(act)
    granted: tuple[MatchedStatement, ...] = ()
    if denies or allows:
        view = RequestView(
            p, action, request.resource, request.context, _NO_KEYS, request.literal_resource
        )
        if denies:
            hits = tuple(
                _record(IDENTITY, ps, cs) for cs in denies if _match(cs, view, None) is not None
            )
            if hits:
                return _decision(EXPLICIT_DENY, hits, IDENTITY, request, inputs)
        for cs in allows:
            if _match(cs, view, None) is not None:
                granted = (_record(IDENTITY, ps, cs),)
                break
    # AWS: the root user has full access to its own account's resources.
    identity_allows = bool(granted) or kind == "root"
    if _resource_account(request, p) != p.account:
        return _decision(
            IMPLICIT_DENY, (), RESOURCE if identity_allows else IDENTITY, request, inputs
        )
    if _requires_resource_policy(act, request.resource):
        return _decision(IMPLICIT_DENY, (), RESOURCE, request, inputs)
    if not identity_allows:
        return _decision(IMPLICIT_DENY, (), IDENTITY, request, inputs)
    if _aws_owned_readonly(action, request.resource):
        return _decision(IMPLICIT_DENY, (), "aws-owned-resource", request, inputs)
    return _decision(ALLOW, granted, "allowed", request, inputs)


# ------------------------------------------------------------------ explain


def _trace_set(kind: str, prefix: str, ps: PolicySet, view: RequestView) -> list[StatementTrace]:
    out = []
    required = {RESOURCE: True, RCP: False, ENDPOINT: False}.get(kind)
    for i, cp in enumerate(ps.policies):
        label = cp.label or (f"{prefix}[{i}]" if not prefix.endswith("]") else f"{prefix}[{i}]")
        for cs in cp.statements:
            st = cs.statement
            element, why = None, ""
            if not cs.action_matches(view):
                element = "NotAction" if st.not_action else "Action"
                why = (
                    f"{view.action} is listed in NotAction"
                    if st.not_action
                    else f"{view.action} is not among {_listed(st.actions)}"
                )
            elif not cs.resource_matches(view):
                element = "NotResource" if st.not_resource else "Resource"
                why = (
                    f"{view.resource} is listed in NotResource"
                    if st.not_resource
                    else f"{view.resource} does not match {_listed(st.resources)}"
                )
            elif required is not None and cs.principal_match(view, required) is None:
                element = "NotPrincipal" if st.not_principal else "Principal"
                who = view.principal.arn or "anonymous"
                why = (
                    "the statement names no principal"
                    if st.principal is None and required
                    else f"{who} is not covered"
                )
            else:
                failing = cs.first_failing_condition(view)
                if failing is not None:
                    element = "Condition"
                    value = view.lookup(failing.key_lower)
                    why = f"{failing.describe()} is false for request value {value!r}"
            out.append(
                StatementTrace(
                    kind, label, st.sid, st.index, st.effect, element is None, element, why
                )
            )
    return out


def _listed(values: Sequence[str] | None) -> str:
    """Policy values as a person reads them: "s3:Get*", "s3:List*"."""
    return ", ".join(f'"{v}"' for v in (values or ())) or "(none)"
