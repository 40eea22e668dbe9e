"""Gather a principal's policies from the database and ask the engine.

The engine (policies/engine) is pure; this module is its Django side: it loads
the documents that apply to a principal (user inline and attached, group inline
and attached, permissions boundary; for a role session the role's policies and
the session policies) and builds the request context AWS would supply.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from accounts.errors import AccessDenied
from accounts.models import IamUser, Role
from accounts.principal import Principal
from organizations.guardrails import NO_ORGANIZATION, Guardrails, guardrails
from policies import cache, engine
from policies.models import InlinePolicy, PolicyAttachment, PolicyVersion

log = logging.getLogger(__name__)


# What root may do in its own account, as a policy: the identity side of a federated user
# that root asked GetFederationToken for (its session policies still limit it).
_ROOT_ACCESS = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'
)


@dataclass(frozen=True)
class PrincipalPolicies:
    identity: Any  # tuple of documents, or a compiled engine PolicySet
    boundary: str | None
    session: tuple[str, ...] | None
    tags: tuple[tuple[str, str], ...]
    # The principal's account in its organization: SCP levels and aws:PrincipalOrg* keys.
    org: Guardrails = NO_ORGANIZATION


def _managed_docs(attachments: Any) -> list[str]:
    policy_ids = [a.policy_id for a in attachments]
    if not policy_ids:
        return []
    versions = PolicyVersion.objects.filter(policy_id__in=policy_ids, is_default=True).only(
        "document"
    )
    return [v.document for v in versions]


def cached_policies(actor: Principal) -> PrincipalPolicies:
    """``load_policies`` through the per-account generation cache (policies/cache.py).

    Identity and boundary documents are compiled into engine PolicySets once per
    generation; session policies and session tags come from the principal itself.
    """
    from dataclasses import replace

    gen = cache.generation(actor.account_id)
    key = f"{actor.kind}:{actor.user_id or actor.role_id or ''}"
    stored = cache.get(actor.account_id, key, gen)
    if stored is None:
        base = load_policies(replace(actor, session_policies=(), session_tags=()))
        stored = (engine.policy_set(base.identity), base.boundary, base.tags)
        cache.put(actor.account_id, key, gen, stored)
    identity, boundary, tags = stored
    if actor.kind in ("assumed-role", "federated-user") and actor.session_tags:
        merged = dict(tags)
        merged.update(dict(actor.session_tags))  # session tags win over role (user) tags
        tags = tuple(merged.items())
    session = (
        tuple(actor.session_policies)
        if actor.kind == "assumed-role" and actor.session_policies
        else None
    )
    if actor.kind == "federated-user":
        session = tuple(actor.session_policies)  # none passed: no permissions (see below)
    return PrincipalPolicies(identity, boundary, session, tags, guardrails(actor.account_id, gen))


def load_policies(actor: Principal) -> PrincipalPolicies:
    """The documents that decide ``actor``'s requests (identity, boundary, session)."""

    if actor.kind == "federated-user" and not actor.user_id:
        # GetFederationToken called by root: root's own access (everything in its
        # account), limited by the session policies.
        return PrincipalPolicies(
            (_ROOT_ACCESS,), None, tuple(actor.session_policies), tuple(actor.session_tags)
        )
    if actor.kind in ("user", "federated-user"):
        user = IamUser.objects.filter(pk=actor.user_id).first()
        if user is None:
            return PrincipalPolicies((), None, None, ())
        group_ids = list(user.groups.values_list("pk", flat=True))
        inline = InlinePolicy.objects.filter(user=user) | InlinePolicy.objects.filter(
            group_id__in=group_ids
        )
        attachments = PolicyAttachment.objects.filter(user=user) | PolicyAttachment.objects.filter(
            group_id__in=group_ids
        )
        identity = [p.document for p in inline] + _managed_docs(attachments)
        boundary_id = user.permissions_boundary_id
        tags = tuple((t["Key"], t["Value"]) for t in user.tags)
        session = None
        if actor.kind == "federated-user":
            # "The resulting session permissions are the intersection of the IAM user
            # policies and the session policies that you pass"; "if you do not pass a
            # policy ... the resulting temporary security credentials have no
            # permissions" (IAM User Guide, "Requesting temporary security credentials",
            # GetFederationToken; "Permissions for GetFederationToken"). An empty set of
            # session policies allows nothing. Principal tags: "the user's tags and the
            # passed session tags" (session tags win, as for role sessions).
            session = tuple(actor.session_policies)
            merged = dict(tags)
            merged.update(dict(actor.session_tags))
            tags = tuple(merged.items())
    elif actor.kind == "assumed-role":
        role = Role.objects.filter(pk=actor.role_id).first()
        if role is None:
            return PrincipalPolicies((), None, None, ())
        identity = [p.document for p in InlinePolicy.objects.filter(role=role)] + _managed_docs(
            PolicyAttachment.objects.filter(role=role)
        )
        boundary_id = role.permissions_boundary_id
        # Session tags override role tags with the same key (AWS session tags doc).
        merged = {t["Key"]: t["Value"] for t in role.tags}
        merged.update(dict(actor.session_tags))
        tags = tuple(merged.items())
        session = tuple(actor.session_policies) if actor.session_policies else None
    else:
        return PrincipalPolicies((), None, None, ())
    boundary = None
    if boundary_id:
        version = PolicyVersion.objects.filter(policy_id=boundary_id, is_default=True).first()
        boundary = version.document if version else None
    return PrincipalPolicies(tuple(identity), boundary, session, tags)


def request_context(
    actor: Principal, policies: PrincipalPolicies, extra: dict[str, Any] | None
) -> dict[str, Any]:
    """Global condition keys AWS sets for every request, plus the operation's own."""
    now = datetime.now(UTC)
    ctx: dict[str, Any] = {
        "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now.timestamp())),
        "aws:PrincipalArn": actor.arn,
        "aws:PrincipalAccount": actor.account_id,
        "aws:userid": actor.unique_id,
        "aws:SecureTransport": "false",
        "aws:ViaAWSService": "false",
        "aws:RequestedRegion": actor.region,
    }
    # "This key is not present when an API or CLI command is called with long-term
    # credentials, such as user access key pairs" (IAM User Guide, global condition
    # keys, aws:MultiFactorAuthPresent): hence AWS's BoolIfExists pattern. Console
    # sessions and temporary credentials carry it, true or false.
    if not actor.access_key_id.startswith("AKIA"):
        ctx["aws:MultiFactorAuthPresent"] = "true" if actor.mfa_authenticated else "false"
    if actor.mfa_authenticated and actor.mfa_auth_time:
        ctx["aws:MultiFactorAuthAge"] = str(
            max(0, int((now - actor.mfa_auth_time).total_seconds()))
        )
    if actor.kind == "user":
        ctx["aws:username"] = actor.user_name
        ctx["aws:PrincipalType"] = "User"
    elif actor.kind == "federated-user":
        ctx["aws:PrincipalType"] = "FederatedUser"
        if actor.session_issued:
            ctx["aws:TokenIssueTime"] = actor.session_issued.strftime("%Y-%m-%dT%H:%M:%SZ")
    elif actor.kind == "assumed-role":
        ctx["aws:PrincipalType"] = "AssumedRole"
        if actor.session_issued:
            ctx["aws:TokenIssueTime"] = actor.session_issued.strftime("%Y-%m-%dT%H:%M:%SZ")
        if actor.source_identity:
            ctx["aws:SourceIdentity"] = actor.source_identity
    if actor.source_ip:
        ctx["aws:SourceIp"] = actor.source_ip
    if actor.user_agent:
        ctx["aws:UserAgent"] = actor.user_agent
    for key, value in policies.tags:
        ctx[f"aws:PrincipalTag/{key}"] = value
    if policies.org.org_id:
        # "aws:PrincipalOrgID ... the identifier of the organization in AWS Organizations
        # to which the requesting account belongs"; aws:PrincipalOrgPaths is multivalued
        # (IAM User Guide, global condition context keys).
        ctx["aws:PrincipalOrgID"] = policies.org.org_id
        ctx["aws:PrincipalOrgPaths"] = [policies.org.org_path]
    for key, value in actor.extra_context:
        ctx[key] = value
    if extra:
        ctx.update({k: v for k, v in extra.items() if v is not None})
    return ctx


def decide(
    actor: Principal,
    action: str,
    resource: str,
    *,
    resource_account: str,
    context: dict[str, Any] | None = None,
    resource_policy: str | None = None,
) -> None:
    """Raise AccessDenied unless the engine allows; deny by default on any doubt."""
    try:
        decision = _evaluate(actor, action, resource, resource_account, context, resource_policy)
    except AccessDenied:
        raise
    except Exception:  # fail closed: an engine error never grants access
        log.exception("policy evaluation failed for %s %s", action, resource)
        raise AccessDenied(
            f"User: {actor.arn} is not authorized to perform: {action} on resource: {resource}",
            action=action,
            resource=resource,
        ) from None
    if decision.effect == "Allow":
        return
    raise AccessDenied(
        denial_text(actor, action, resource, decision), action=action, resource=resource
    )


def allows(
    actor: Principal,
    action: str,
    resource: str,
    *,
    resource_account: str,
    policies: PrincipalPolicies | None = None,
) -> bool:
    """Whether ``decide`` would let this through, without raising (fail closed).

    ``policies``: the actor's gathered policies when the caller asks many questions
    (policies.authorization.permission_checker gathers them once per page)."""
    try:
        decision = _evaluate(actor, action, resource, resource_account, None, None, policies)
    except Exception:  # fail closed: doubt hides the data
        log.exception("policy evaluation failed for %s %s", action, resource)
        return False
    return decision.effect == "Allow"


def _evaluate(
    actor: Principal,
    action: str,
    resource: str,
    resource_account: str,
    context: dict[str, Any] | None,
    resource_policy: str | None,
    policies: PrincipalPolicies | None = None,
) -> Any:
    """The one place the engine is asked for an authorization decision."""

    if policies is None:
        policies = cached_policies(actor)
    ctx = request_context(actor, policies, context)
    # The resource's account in its organization: its RCPs and aws:ResourceOrg* keys
    # (for the caller's own account, what cached_policies already loaded).
    owner = policies.org if resource_account == actor.account_id else guardrails(resource_account)
    if owner.org_id:
        ctx.setdefault("aws:ResourceOrgID", owner.org_id)
        ctx.setdefault("aws:ResourceOrgPaths", [owner.org_path])
    request = engine.Request(
        principal=actor.arn,
        action=action,
        resource=resource,
        context=ctx,
        resource_account=resource_account,
        literal_resource=True,  # a real request names one resource
    )
    return engine.evaluate(
        request,
        identity_policies=policies.identity,
        resource_policy=resource_policy,
        permissions_boundary=policies.boundary,
        session_policies=list(policies.session) if policies.session is not None else None,
        scps=policies.org.scps,
        # AWS: RCPs do not apply to service-linked roles ("Resource control policies").
        rcps=None if _service_linked(actor) else owner.rcps,
    )


def _service_linked(actor: Principal) -> bool:
    """A session of a service-linked role (named AWSServiceRoleFor…; a session ARN shows
    the role's name, not its /aws-service-role/ path)."""
    return actor.kind == "assumed-role" and ":assumed-role/AWSServiceRoleFor" in actor.arn


def denial_text(actor: Principal, action: str, resource: str, decision: Any) -> str:
    """AWS's AccessDenied text, naming the kind of policy that decided (engine.messages)."""

    message = engine.denial_message(decision)
    return (
        message
        or f"User: {actor.arn} is not authorized to perform: {action} on resource: {resource}"
    )
