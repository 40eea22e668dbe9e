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
from dataclasses import dataclass
from typing import Any

from accounts.errors import MalformedPolicyDocument, ValidationError
from accounts.models import Group, IamUser, Role
from accounts.operations.common import find_group, find_role, find_user
from accounts.principal import Principal, user_principal
from iamconsole.ops import operation
from policies import engine
from policies.authorization import authorize
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


# -- gathering an entity's policies ------------------------------------------------------


def _managed(attachments: Any, suffix: str) -> list[NamedPolicy]:
    policy_ids = [a.policy_id for a in attachments]
    if not policy_ids:
        return []
    versions = PolicyVersion.objects.filter(
        policy_id__in=policy_ids, is_default=True
    ).select_related("policy")
    return [NamedPolicy(f"{v.policy.name}{suffix}", v.document) for v in versions]


def _inline(qs: Any, suffix: str) -> list[NamedPolicy]:
    return [NamedPolicy(f"{p.name} (inline{suffix})", p.document) for p in qs]


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
    return NamedPolicy(f"{version.policy.name} (permissions boundary)", version.document)


def entity_policies(
    entity: IamUser | Group | Role,
) -> tuple[list[NamedPolicy], NamedPolicy | None]:
    """The labelled identity policies and boundary that decide for ``entity``."""
    if isinstance(entity, IamUser):
        docs = _inline(InlinePolicy.objects.filter(user=entity), "")
        docs += _managed(PolicyAttachment.objects.filter(user=entity), "")
        for group in entity.groups.order_by("name"):
            via = f" via group {group.name}"
            docs += _inline(InlinePolicy.objects.filter(group=group), via)
            docs += _managed(PolicyAttachment.objects.filter(group=group), f" ({via.strip()})")
        return docs, _boundary(entity)
    if isinstance(entity, Role):
        docs = _inline(InlinePolicy.objects.filter(role=entity), "")
        docs += _managed(PolicyAttachment.objects.filter(role=entity), "")
        return docs, _boundary(entity)
    docs = _inline(InlinePolicy.objects.filter(group=entity), "")
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
        return Principal(
            account_id=entity.account_id,
            kind="assumed-role",
            arn=f"arn:aws:sts::{entity.account_id}:assumed-role/{entity.name}/{SIMULATED_SESSION}",
            role_id=entity.pk,
            unique_id=f"{entity.unique_id}:{SIMULATED_SESSION}",
            session_name=SIMULATED_SESSION,
        )
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


def run(
    principal: Principal,
    policies: Sequence[NamedPolicy],
    boundary: NamedPolicy | None,
    *,
    tags: tuple[tuple[str, str], ...],
    actions: Sequence[str],
    resources: Sequence[str],
    context: dict[str, Any],
) -> Simulation:
    """Evaluate every (action, resource) pair against the labelled policies."""
    identity = engine.policy_set([engine.compile_policy(p.document, p.label) for p in policies])
    bound = engine.compile_policy(boundary.document, boundary.label) if boundary else None
    ctx = request_context(principal, PrincipalPolicies((), None, None, tags), context)
    if principal.kind not in ("user", "assumed-role"):
        ctx.pop("aws:PrincipalType", None)
    results = []
    for action in actions:
        known = engine.catalog.action(action) is not None
        for resource in resources:
            request = engine.Request.build(principal.arn, action, resource, ctx)
            decision = engine.evaluate(
                request, identity_policies=identity, permissions_boundary=bound
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
    return Simulation(principal.arn, tuple(policies), boundary, tuple(results))


def find_entity(actor: Principal, kind: str, name: str) -> IamUser | Group | Role:
    if kind == "user":
        return find_user(actor.account_id, name)
    if kind == "group":
        return find_group(actor.account_id, name)
    if kind == "role":
        return find_role(actor.account_id, name)
    raise ValidationError(f"Unknown entity type {kind}.")


@operation("SimulatePrincipalPolicy")
def simulate_principal_policy(
    *,
    actor: Principal,
    kind: str,
    name: str,
    actions: Sequence[str],
    resources: Sequence[str],
    context: dict[str, Any] | None = None,
) -> Simulation:
    """SimulatePrincipalPolicy for a user, group or role of the caller's account."""
    entity = find_entity(actor, kind, name)
    authorize(actor, "iam:SimulatePrincipalPolicy", entity.arn)
    _check_inputs(actions, resources)
    policies, boundary = entity_policies(entity)
    tags = tuple((t["Key"], t["Value"]) for t in getattr(entity, "tags", []))
    return run(
        simulated_principal(entity),
        policies,
        boundary,
        tags=tags,
        actions=actions,
        resources=resources,
        context=context or {},
    )


@operation("SimulateCustomPolicy")
def simulate_custom_policy(
    *,
    actor: Principal,
    documents: Sequence[str],
    actions: Sequence[str],
    resources: Sequence[str],
    context: dict[str, Any] | None = None,
) -> Simulation:
    """SimulateCustomPolicy: pasted identity policies, evaluated for a simulated IAM user.

    The caller is a placeholder user of the actor's account, never the actor itself
    (root would be allowed everything regardless of the policies under test).
    """
    authorize(actor, "iam:SimulateCustomPolicy", "*")
    if not documents:
        raise ValidationError("Paste at least one policy document.")
    for n, doc in enumerate(documents, 1):
        message = engine.check_malformed(doc, "IDENTITY_POLICY")
        if message:
            raise MalformedPolicyDocument(f"Policy {n}: {message}")
    _check_inputs(actions, resources)
    principal = Principal(
        account_id=actor.account_id,
        kind="user",
        arn=f"arn:aws:iam::{actor.account_id}:user/{SIMULATED_SESSION}",
        user_name=SIMULATED_SESSION,
        unique_id="AIDASIMULATEDPOLICYUSER",
    )
    policies = [NamedPolicy(f"Policy {n}", doc) for n, doc in enumerate(documents, 1)]
    return run(
        principal,
        policies,
        None,
        tags=(),
        actions=actions,
        resources=resources,
        context=context or {},
    )
