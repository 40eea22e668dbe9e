"""The policy simulator: SimulatePrincipalPolicy and SimulateCustomPolicy.

AWS docs: "Testing IAM policies with the IAM policy simulator" and the IAM API
reference for SimulatePrincipalPolicy / SimulateCustomPolicy. The simulator
evaluates an entity's real policies (for a user: its inline and attached
policies, those of its groups, and its permissions boundary; for a role: its
own policies and boundary; for a group: the group's own policies) against each
action and resource, and reports the decision with the statements that made it.
Every statement is traced by ``Decision.explain()`` so the console can say why
a statement did or did not match.

Documents are compiled with a label naming where they came from, so the trace
reads "AdministratorAccess (attached to group admins)" instead of "identity[3]".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from accounts.errors import InvalidInput, MalformedPolicyDocument, ValidationError
from accounts.models import Group, IamUser, Role
from accounts.operations.common import find_group, find_role, find_user
from accounts.principal import Principal, role_session_principal, user_principal
from iamconsole.ops import operation
from organizations.guardrails import guardrails
from policies import engine
from policies.authorization import authorize
from policies.engine.matching import VAR_RE
from policies.evaluation import PrincipalPolicies, request_context
from policies.models import InlinePolicy, PolicyAttachment, PolicyVersion

# One simulation evaluates at most this many (action, resource) pairs: enough for
# "every action of EC2" against a couple of resources, small enough to render.
MAX_EVALUATIONS = 2000
SIMULATED_SESSION = "iam-policy-simulator"


@dataclass(frozen=True)
class NamedPolicy:
    label: str
    document: str
    # What the API reports for a matched statement (SimulatePrincipalPolicy's Statement
    # shape): the policy's name or input position, and user | group | role (inline),
    # aws-managed | user-managed, resource or none.
    source_id: str = ""
    source_type: str = "none"


_IMPLICIT_REASONS = {
    "identity": "No identity-based policy allows this action on this resource.",
    "permissions_boundary": "An identity-based policy allows it, but the permissions "
    "boundary does not.",
    "session": "The session policy does not allow it.",
    "resource": "No resource-based policy allows it.",
    "aws-owned-resource": "Resources AWS owns take only read and list actions.",
}


@dataclass(frozen=True)
class SimulationResult:
    action: str
    resource: str
    decision: str  # Allow | ExplicitDeny | ImplicitDeny
    reason: str
    statements: tuple[engine.MatchedStatement, ...]
    explanation: engine.Explanation
    known_action: bool

    @property
    def reason_text(self) -> str:
        """Which kind of policy decided, in words (engine reasons: evaluate.py)."""
        if self.decision == engine.ALLOW:
            return "Allowed by the statements listed."
        if self.decision == engine.EXPLICIT_DENY:
            return "An explicit Deny statement matched: a Deny always wins."
        return _IMPLICIT_REASONS.get(self.reason, f"Not allowed ({self.reason}).")

    @property
    def decision_label(self) -> str:
        return {
            engine.ALLOW: "Allowed",
            engine.EXPLICIT_DENY: "Explicit deny",
        }.get(self.decision, "Implicit deny")


@dataclass(frozen=True)
class Simulation:
    caller_arn: str
    policies: tuple[NamedPolicy, ...]
    boundary: NamedPolicy | None
    results: tuple[SimulationResult, ...]
    resource_policy: NamedPolicy | None = None
    scps: tuple[NamedPolicy, ...] = ()
    # The request context every evaluation saw (for the API's MissingContextValues).
    context: dict[str, Any] = field(default_factory=dict)
    resource_account: str | None = None
    # The labels of the organization policies of each SCP level that was simulated (root
    # first); empty when no SCPs applied (no organization, the management account).
    scp_level_labels: tuple[tuple[str, ...], ...] = ()


# -- gathering an entity's policies ------------------------------------------------------


def _managed(attachments: Any, suffix: str) -> list[NamedPolicy]:
    policy_ids = [a.policy_id for a in attachments]
    if not policy_ids:
        return []
    versions = PolicyVersion.objects.filter(
        policy_id__in=policy_ids, is_default=True
    ).select_related("policy")
    return [
        NamedPolicy(f"{v.policy.name}{suffix}", v.document, v.policy.name, _managed_type(v.policy))
        for v in versions
    ]


def _managed_type(policy: Any) -> str:
    return "aws-managed" if policy.is_aws_managed else "user-managed"


def _inline(qs: Any, suffix: str, kind: str) -> list[NamedPolicy]:
    return [NamedPolicy(f"{p.name} (inline{suffix})", p.document, p.name, kind) for p in qs]


def _boundary(entity: IamUser | Role) -> NamedPolicy | None:
    if not entity.permissions_boundary_id:
        return None
    version = (
        PolicyVersion.objects.filter(policy_id=entity.permissions_boundary_id, is_default=True)
        .select_related("policy")
        .first()
    )
    if version is None:
        return None
    return NamedPolicy(
        f"{version.policy.name} (permissions boundary)",
        version.document,
        version.policy.name,
        _managed_type(version.policy),
    )


def entity_policies(
    entity: IamUser | Group | Role,
) -> tuple[list[NamedPolicy], NamedPolicy | None]:
    """The labelled identity policies and boundary that decide for ``entity``."""
    if isinstance(entity, IamUser):
        docs = _inline(InlinePolicy.objects.filter(user=entity), "", "user")
        docs += _managed(PolicyAttachment.objects.filter(user=entity), "")
        for group in entity.groups.order_by("name"):
            via = f" via group {group.name}"
            docs += _inline(InlinePolicy.objects.filter(group=group), via, "group")
            docs += _managed(PolicyAttachment.objects.filter(group=group), f" ({via.strip()})")
        return docs, _boundary(entity)
    if isinstance(entity, Role):
        docs = _inline(InlinePolicy.objects.filter(role=entity), "", "role")
        docs += _managed(PolicyAttachment.objects.filter(role=entity), "")
        return docs, _boundary(entity)
    docs = _inline(InlinePolicy.objects.filter(group=entity), "", "group")
    docs += _managed(PolicyAttachment.objects.filter(group=entity), "")
    return docs, None


def simulated_principal(entity: IamUser | Group | Role) -> Principal:
    """Who the simulated requests come from.

    A user is itself; a role acts through a session of that role (assumed-role);
    a group never signs in, so its requests carry the group ARN (AWS simulates a
    group's policies the same way: as if some member made the request).
    """
    if isinstance(entity, IamUser):
        return user_principal(entity)
    if isinstance(entity, Role):
        return role_session_principal(entity, SIMULATED_SESSION)
    return Principal(
        account_id=entity.account_id,
        kind="group",  # type: ignore[arg-type]  # only for the request context
        arn=entity.arn,
        unique_id=entity.unique_id,
    )


# -- running ----------------------------------------------------------------------------


def _check_inputs(actions: Sequence[str], resources: Sequence[str]) -> None:
    if not actions:
        raise ValidationError("Choose at least one action to simulate.")
    if not resources:
        raise ValidationError("Give at least one resource ARN (or *).")
    if len(actions) * len(resources) > MAX_EVALUATIONS:
        raise ValidationError(
            f"A simulation may evaluate at most {MAX_EVALUATIONS} action and resource "
            f"pairs; this one has {len(actions) * len(resources)}."
        )


def _check_documents(policies: Sequence[NamedPolicy], policy_type: str) -> None:
    for policy in policies:
        message = engine.check_malformed(policy.document, policy_type)
        if message:
            raise MalformedPolicyDocument(f"{policy.source_id or policy.label}: {message}")


def run(
    principal: Principal,
    policies: Sequence[NamedPolicy],
    boundary: NamedPolicy | None,
    *,
    tags: tuple[tuple[str, str], ...],
    actions: Sequence[str],
    resources: Sequence[str],
    context: dict[str, Any],
    resource_policy: NamedPolicy | None = None,
    resource_account: str | None = None,
    scps: Sequence[NamedPolicy] = (),
    ambient: bool = True,
    scp_levels: Sequence[Sequence[object]] | None = None,
) -> Simulation:
    """Evaluate every (action, resource) pair against the labelled policies.

    ``ambient`` adds the keys a live request would carry (current time, the actor's
    source IP, transport): the console wants them. The API does not: AWS's simulator
    uses only the ContextEntries given (plus what the simulated principal implies), and
    reports the other keys the policies use as MissingContextValues.
    """
    identity = engine.policy_set([engine.compile_policy(p.document, p.label) for p in policies])
    bound = engine.compile_policy(boundary.document, boundary.label) if boundary else None
    resource_doc = (
        engine.compile_policy(resource_policy.document, resource_policy.label)
        if resource_policy
        else None
    )
    # Each organization policy is one level of the hierarchy (root, OUs, account).
    # ``scp_levels``: the organization's levels as they bind the simulated principal's
    # account (organizations/guardrails.py), when the simulation is of a real principal.
    if scp_levels is None:
        scp_levels = [[engine.compile_policy(p.document, p.label)] for p in scps] or None
    level_labels = tuple(
        tuple(engine.compile_policy(doc).label or "" for doc in level) for level in scp_levels or ()
    )
    if ambient:
        ctx = request_context(principal, PrincipalPolicies((), None, None, tags), context)
        if principal.kind not in ("user", "assumed-role"):
            ctx.pop("aws:PrincipalType", None)
    else:
        ctx = {f"aws:PrincipalTag/{key}": value for key, value in tags}
        if principal.unique_id:
            ctx["aws:userid"] = principal.unique_id
        ctx.update({k: v for k, v in context.items() if v is not None})
    results = []
    for action in actions:
        known = engine.catalog.action(action) is not None
        for resource in resources:
            request = engine.Request.build(principal.arn, action, resource, ctx, resource_account)
            decision = engine.evaluate(
                request,
                identity_policies=identity,
                permissions_boundary=bound,
                resource_policy=resource_doc,
                scps=scp_levels,
            )
            results.append(
                SimulationResult(
                    action=action,
                    resource=resource,
                    decision=decision.effect,
                    reason=decision.reason,
                    statements=decision.statements,
                    explanation=decision.explain(),
                    known_action=known,
                )
            )
    return Simulation(
        principal.arn,
        tuple(policies),
        boundary,
        tuple(results),
        resource_policy=resource_policy,
        scps=tuple(scps),
        context=dict(engine.principal_context(principal.arn)) | ctx,
        resource_account=resource_account,
        scp_level_labels=level_labels,
    )


def find_entity(
    actor: Principal, kind: str, name: str, *, action: str = ""
) -> IamUser | Group | Role:
    """The entity; when missing, ``actor`` is authorized for ``action`` first (no
    existence oracle, see ``authorize_missing``)."""
    if kind == "user":
        return find_user(actor.account_id, name, actor=actor, action=action)
    if kind == "group":
        return find_group(actor.account_id, name, actor=actor, action=action)
    if kind == "role":
        return find_role(actor.account_id, name, actor=actor, action=action)
    raise ValidationError(f"Unknown entity type {kind}.")


def caller_principal(arn: str) -> Principal:
    """The simulated caller named by CallerArn: an IAM user ARN (AWS accepts no other)."""
    parts = arn.split(":", 5)
    account, name = parts[4], parts[5].rsplit("/", 1)[-1]
    return Principal(
        account_id=account,
        kind="user",
        arn=arn,
        user_name=name,
        unique_id="",
    )


def _input_policies(documents: Sequence[str], member: str) -> list[NamedPolicy]:
    """Policies given as input, named as AWS names them: ``PolicyInputList.1``…"""
    return [
        NamedPolicy(f"{member}.{n}", doc, f"{member}.{n}", "none")
        for n, doc in enumerate(documents, 1)
    ]


@operation("SimulatePrincipalPolicy", read_only=True)
def simulate_principal_policy(
    *,
    actor: Principal,
    kind: str,
    name: str,
    actions: Sequence[str],
    resources: Sequence[str],
    context: dict[str, Any] | None = None,
    extra_documents: Sequence[str] = (),
    boundary_documents: Sequence[str] | None = None,
    resource_policy: str | None = None,
    resource_account: str | None = None,
    caller_arn: str | None = None,
    ambient: bool = True,
) -> Simulation:
    """SimulatePrincipalPolicy for a user, group or role of the caller's account.

    AWS: PolicyInputList adds policies to the entity's own; a permissions boundary
    given in PermissionsBoundaryPolicyInputList replaces the entity's boundary; CallerArn
    (an IAM user) makes the requests as that user with the entity's policies.
    """
    entity = find_entity(actor, kind, name, action="iam:SimulatePrincipalPolicy")
    authorize(actor, "iam:SimulatePrincipalPolicy", entity.arn)
    _check_inputs(actions, resources)
    extra = _input_policies(extra_documents, "PolicyInputList")
    _check_documents(extra, "IDENTITY_POLICY")
    policies, boundary = entity_policies(entity)
    if boundary_documents:
        given = _input_policies(boundary_documents, "PermissionsBoundaryPolicyInputList")
        _check_documents(given, "IDENTITY_POLICY")
        boundary = given[0]
    resource = None
    if resource_policy is not None:
        resource = NamedPolicy("ResourcePolicy", resource_policy, "ResourcePolicy", "resource")
        _check_documents([resource], "RESOURCE_POLICY")
    tags = tuple((t["Key"], t["Value"]) for t in getattr(entity, "tags", []))
    principal = simulated_principal(entity)
    if caller_arn:
        principal, tags = caller_principal(caller_arn), ()
    return run(
        principal,
        [*policies, *extra],
        boundary,
        tags=tags,
        actions=actions,
        resources=resources,
        context=context or {},
        resource_policy=resource,
        resource_account=resource_account,
        ambient=ambient,
        # AWS: the simulation includes the SCPs that affect the entity's account
        # (SimulatePrincipalPolicy's OrganizationsDecisionDetail).
        scp_levels=guardrails(entity.account_id).scps,
    )


@operation("SimulateCustomPolicy", read_only=True)
def simulate_custom_policy(
    *,
    actor: Principal,
    documents: Sequence[str],
    actions: Sequence[str],
    resources: Sequence[str],
    context: dict[str, Any] | None = None,
    boundary_documents: Sequence[str] | None = None,
    organization_documents: Sequence[str | Sequence[str]] = (),
    resource_policy: str | None = None,
    resource_account: str | None = None,
    caller_arn: str | None = None,
    ambient: bool = True,
) -> Simulation:
    """SimulateCustomPolicy: pasted identity policies, evaluated for a simulated IAM user.

    ``organization_documents``: the levels of OrderedOrganizationPolicyInputList, root
    first, each its ServiceControlPolicyInputList (a list of documents) or one document.

    The caller is a placeholder user of the actor's account (or CallerArn), never the
    actor itself (root would be allowed everything regardless of the policies under test).
    """
    authorize(actor, "iam:SimulateCustomPolicy", "*")
    if not documents:
        raise ValidationError("Paste at least one policy document.")
    for n, doc in enumerate(documents, 1):
        message = engine.check_malformed(doc, "IDENTITY_POLICY")
        if message:
            raise MalformedPolicyDocument(f"Policy {n}: {message}")
    _check_inputs(actions, resources)
    boundary = None
    if boundary_documents:
        given = _input_policies(boundary_documents, "PermissionsBoundaryPolicyInputList")
        _check_documents(given, "IDENTITY_POLICY")
        boundary = given[0]
    # Named OrderedOrganizationPolicyInputList.<level>.<n> (AWS's SourcePolicyId for
    # these is not recorded).
    level_policies = [
        _input_policies([docs] if isinstance(docs, str) else list(docs), f"{_ORG_INPUT}.{n}")
        for n, docs in enumerate(organization_documents, 1)
    ]
    scps = [p for level in level_policies for p in level]
    _check_documents(scps, "SERVICE_CONTROL_POLICY")
    scp_levels = [
        [engine.compile_policy(p.document, p.label) for p in level] for level in level_policies
    ]
    resource = None
    if resource_policy is not None:
        resource = NamedPolicy("ResourcePolicy", resource_policy, "ResourcePolicy", "resource")
        _check_documents([resource], "RESOURCE_POLICY")
    if caller_arn:
        principal = caller_principal(caller_arn)
    else:
        principal = Principal(
            account_id=actor.account_id,
            kind="user",
            arn=f"arn:aws:iam::{actor.account_id}:user/{SIMULATED_SESSION}",
            user_name=SIMULATED_SESSION,
            unique_id="AIDASIMULATEDPOLICYUSER",
        )
    policies = [
        NamedPolicy(f"Policy {n}", doc, f"PolicyInputList.{n}", "none")
        for n, doc in enumerate(documents, 1)
    ]
    return run(
        principal,
        policies,
        boundary,
        tags=(),
        actions=actions,
        resources=resources,
        context=context or {},
        resource_policy=resource,
        resource_account=resource_account,
        scps=scps,
        ambient=ambient,
        scp_levels=scp_levels or None,
    )


_ORG_INPUT = "OrderedOrganizationPolicyInputList"


# -- context keys ---------------------------------------------------------------------


def context_keys(documents: Sequence[str]) -> list[str]:
    """The condition keys the documents use: Condition keys and the policy variables in
    Resource/NotResource and condition values, in order of first use, each once
    (compared without case, spelled as first written), as GetContextKeysFor*Policy lists.
    """
    seen: dict[str, str] = {}
    for doc in documents:
        for key in referenced_keys(doc):
            seen.setdefault(key.lower(), key)
    return list(seen.values())


def _variables(values: Sequence[str]) -> list[str]:
    out = []
    for value in values:
        for inner in VAR_RE.findall(value):
            if inner in ("*", "?", "$"):
                continue  # ${*}, ${?}, ${$}: literal characters, not keys
            out.append(inner.split(",", 1)[0].strip())  # ${key, 'default'}
    return out


def referenced_keys(document: str) -> list[str]:
    """Keys one document's statements read, statement by statement (with repeats)."""
    policy = engine.compile_policy(document).policy
    keys: list[str] = []
    for statement in policy.statements:
        keys += statement_keys(statement, policy.variables_enabled)
    return keys


def statement_keys(statement: Any, variables: bool) -> list[str]:
    """Condition keys of one statement, and (Version 2012-10-17) its policy variables."""
    keys: list[str] = []
    if variables:
        keys += _variables(statement.resources or ())
    for condition in statement.conditions:
        keys.append(condition.key)
        if variables:
            keys += _variables(condition.values)
    return keys


@operation("GetContextKeysForPrincipalPolicy", read_only=True)
def get_context_keys_for_principal_policy(
    *, actor: Principal, kind: str, name: str, extra_documents: Sequence[str] = ()
) -> list[str]:
    """GetContextKeysForPrincipalPolicy: keys in the entity's policies (a user's include
    its groups'), its permissions boundary, and any PolicyInputList documents."""
    entity = find_entity(actor, kind, name, action="iam:GetContextKeysForPrincipalPolicy")
    authorize(actor, "iam:GetContextKeysForPrincipalPolicy", entity.arn)
    _check_malformed_input(extra_documents)
    policies, boundary = entity_policies(entity)
    documents = [p.document for p in policies]
    if boundary is not None:
        documents.append(boundary.document)
    return context_keys([*documents, *extra_documents])


@operation("GetContextKeysForCustomPolicy", read_only=True)
def get_context_keys_for_custom_policy(*, actor: Principal, documents: Sequence[str]) -> list[str]:
    authorize(actor, "iam:GetContextKeysForCustomPolicy", "*")
    _check_malformed_input(documents)
    return context_keys(documents)


def _check_malformed_input(documents: Sequence[str]) -> None:
    for n, doc in enumerate(documents, 1):
        message = engine.check_malformed(doc, "IDENTITY_POLICY")
        if message:
            raise InvalidInput(f"PolicyInputList.{n}: {message}")
