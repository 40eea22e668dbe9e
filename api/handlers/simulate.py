"""SimulatePrincipalPolicy, SimulateCustomPolicy and GetContextKeysFor*Policy.

The operations (policies/simulation.py) evaluate; this module translates the
Query input to their arguments and their results to botocore's
``EvaluationResult`` shape (IAM API reference: SimulatePrincipalPolicy,
SimulateCustomPolicy, EvaluationResult, Statement, ResourceSpecificResult):

- one result per (action, resource); EvalDecision is AWS's lower-camel
  ``allowed`` / ``explicitDeny`` / ``implicitDeny``;
- MatchedStatements: the statements that decided (the allowing ones for
  ``allowed``, every matching Deny for ``explicitDeny``, none for an implicit deny),
  each with its policy's name or input position (``PolicyInputList.1``), its type
  and where the statement starts and ends in the document (line, column: 1-based,
  the opening and closing brace, as IAM reports them);
- MissingContextValues: keys the statements for that action use that the
  simulation had no value for. AWS reports them at the top for resource ``*`` and
  inside ResourceSpecificResults when resources are named;
- EvalDecisionDetails: absent for ``*``, empty within one account, and for a
  cross-account simulation the decision of each side (identity policies, resource
  policy) -- AWS: "populated for only cross-account simulations".
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from accounts.errors import (
    IamError,
    InvalidInput,
    MalformedPolicyDocument,
    NoSuchEntity,
)
from accounts.principal import Principal
from api.paging import page_items
from policies import engine
from policies import simulation as sim
from policies.engine.jsonsafe import JsonError, line_col, loads_located

__all__ = [
    "get_context_keys_for_custom_policy",
    "get_context_keys_for_principal_policy",
    "simulate_custom_policy",
    "simulate_principal_policy",
]


class PolicyEvaluation(IamError):
    """botocore's PolicyEvaluationException: a provided policy could not be evaluated."""

    code, status, sender = "PolicyEvaluation", 500, False


_DECISIONS = {
    engine.ALLOW: "allowed",
    engine.EXPLICIT_DENY: "explicitDeny",
    engine.IMPLICIT_DENY: "implicitDeny",
}
_SOURCE_ARN = re.compile(r"^arn:aws:iam::(\d{12}):(user|group|role)(/(?:[!-~]*/)?)([\w+=,.@-]+)$")
_USER_ARN = re.compile(r"^arn:aws:iam::(\d{12}):user/(?:[!-~]*/)?[\w+=,.@-]+$")
_OWNER = re.compile(r"^(?:arn:aws:iam::)?(\d{12})(?::root)?$")
_CONTEXT_TYPES = {
    "string",
    "stringList",
    "numeric",
    "numericList",
    "boolean",
    "booleanList",
    "ip",
    "ipList",
    "binary",
    "binaryList",
    "date",
    "dateList",
}


# -- input ---------------------------------------------------------------------------------


def source_entity(actor: Principal, arn: str) -> tuple[str, str]:
    """(kind, name) of a PolicySourceArn: a user, group or role of the caller's account."""
    match = _SOURCE_ARN.match(arn or "")
    if match is None:
        raise InvalidInput(f"Invalid ARN: {arn}")
    account, kind, _path, name = match.groups()
    if account != actor.account_id:
        # Another account's entity is not there to be found (never "it exists").
        raise NoSuchEntity(f"The {kind} with name {name} cannot be found.")
    return kind, name


def _caller_arn(value: str | None) -> str | None:
    if value is None:
        return None
    # AWS: "You can specify only the ARN of an IAM user."
    if not _USER_ARN.match(value):
        raise InvalidInput(f"Invalid CallerArn: {value}. The caller must be an IAM user ARN.")
    return value


def _resource_owner(value: str | None) -> str | None:
    if value is None:
        return None
    match = _OWNER.match(value)
    if match is None:
        raise InvalidInput(f"Invalid ResourceOwner: {value}. Use arn:aws:iam::<account-id>:root.")
    return match.group(1)


def _check_value(name: str, kind: str, value: str) -> None:
    base = kind.removesuffix("List")
    ok = True
    if base == "numeric":
        try:
            float(value)
        except ValueError:
            ok = False
    elif base == "boolean":
        ok = value.lower() in ("true", "false")
    elif base == "ip":
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            ok = False
    if not ok:
        raise InvalidInput(f"Invalid value {value!r} of type {kind} for context key {name}.")


def context_entries(entries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """ContextEntries as the engine's context: list types give lists, others one value."""
    context: dict[str, Any] = {}
    for entry in entries:
        name = entry.get("ContextKeyName")
        if not name:
            raise InvalidInput("A context entry needs a ContextKeyName.")
        kind = entry.get("ContextKeyType") or "string"
        if kind not in _CONTEXT_TYPES:
            raise InvalidInput(f"Invalid ContextKeyType {kind} for context key {name}.")
        values = [str(v) for v in entry.get("ContextKeyValues") or []]
        for value in values:
            _check_value(name, kind, value)
        if kind.endswith("List") or len(values) > 1:
            context[name] = values
        elif values:
            context[name] = values[0]
    return context


# -- output ---------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def statement_positions(document: str) -> tuple[tuple[tuple[int, int], tuple[int, int]], ...]:
    """(start, end) line/column of each statement as AWS reports them: one column past
    the opening brace and one past the closing brace (localstack's AWS recording of
    SimulatePrincipalPolicy: a statement whose braces sit at columns 40 and 112 of a
    one-line document is reported as Column 41 to Column 113)."""
    try:
        located = loads_located(document)
    except JsonError:
        return ()
    value = located.value
    statements = value.get("Statement") if isinstance(value, dict) else None
    if isinstance(statements, dict):
        paths: list[tuple[str | int, ...]] = [("Statement",)]
    elif isinstance(statements, list):
        paths = [("Statement", i) for i in range(len(statements))]
    else:
        return ()
    decoder = json.JSONDecoder()
    out = []
    for path in paths:
        start = located.offsets[path]
        try:
            _, end = decoder.raw_decode(document, start)
        except ValueError:
            return ()
        out.append((line_col(document, start + 1), line_col(document, end)))
    return tuple(out)


# AWS reports a customer-managed policy of the principal as "IAM Policy" (localstack's
# AWS recordings of SimulatePrincipalPolicy for a role, a group and a user, 2025-04-21),
# not the model's enum value "user-managed". Inline and AWS-managed policies are not
# recorded there and keep the model's values.
_SOURCE_TYPES = {"user-managed": "IAM Policy"}


def _statement_out(policy: sim.NamedPolicy, index: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "SourcePolicyId": policy.source_id or policy.label,
        "SourcePolicyType": _SOURCE_TYPES.get(policy.source_type, policy.source_type),
    }
    positions = statement_positions(policy.document)
    if index < len(positions):
        (sl, sc), (el, ec) = positions[index]
        out["StartPosition"] = {"Line": sl, "Column": sc}
        out["EndPosition"] = {"Line": el, "Column": ec}
    return out


class _Translator:
    """Turns one Simulation's results into EvaluationResult dicts."""

    def __init__(self, simulation: sim.Simulation, caller_account: str) -> None:
        self.simulation = simulation
        self.caller_account = caller_account
        policies = list(simulation.policies)
        if simulation.boundary is not None:
            policies.append(simulation.boundary)
        if simulation.resource_policy is not None:
            policies.append(simulation.resource_policy)
        policies += simulation.scps
        self.by_label = {p.label: p for p in policies}
        self.policies = policies
        self.supplied = {k.lower() for k, v in simulation.context.items() if v is not None}

    def missing(self, action_name: str) -> list[str]:
        """Keys the statements for this action read that the simulation had no value for."""
        low = action_name.lower()
        found: dict[str, str] = {}
        for policy in self.policies:
            try:
                compiled = engine.compile_policy(policy.document, policy.label)
            except engine.PolicyError:
                continue
            variables = compiled.policy.variables_enabled
            for cs in compiled.statements:
                if not cs.action_matches_name(low):
                    continue
                for key in sim.statement_keys(cs.statement, variables):
                    if key.lower() not in self.supplied:
                        found.setdefault(key.lower(), key)
        return list(found.values())

    def matched(self, result: sim.SimulationResult) -> list[dict[str, Any]]:
        if result.decision == engine.IMPLICIT_DENY:
            return []
        wanted = "Deny" if result.decision == engine.EXPLICIT_DENY else "Allow"
        kinds = {"identity", "resource", "permissions_boundary"}
        out = []
        for trace in result.explanation.traces:
            if not trace.matched or trace.effect != wanted:
                continue
            if wanted == "Allow" and trace.policy_type not in kinds:
                continue
            policy = self.by_label.get(trace.policy)
            if policy is not None:
                out.append(_statement_out(policy, trace.index))
        return out

    @staticmethod
    def _side(result: sim.SimulationResult, labels: set[str] | None, kinds: set[str]) -> str:
        traces = [
            t
            for t in result.explanation.traces
            if t.policy_type in kinds and (labels is None or t.policy in labels) and t.matched
        ]
        if any(t.effect == "Deny" for t in traces):
            return "explicitDeny"
        if any(t.effect == "Allow" for t in traces):
            return "allowed"
        return "implicitDeny"

    def _cross_account(self, resource: str) -> bool:
        owner = self.simulation.resource_account
        if owner is None:
            parts = resource.split(":", 5)
            owner = parts[4] if len(parts) == 6 and parts[4] else None
        caller = self.simulation.caller_arn.split(":", 5)
        caller_account = caller[4] if len(caller) == 6 else self.caller_account
        return owner is not None and owner != caller_account

    def result(self, result: sim.SimulationResult) -> dict[str, Any]:
        decision = _DECISIONS[result.decision]
        statements = self.matched(result)
        missing = self.missing(result.action)
        out: dict[str, Any] = {
            "EvalActionName": result.action,
            "EvalResourceName": result.resource,
            "EvalDecision": decision,
            "MatchedStatements": statements,
            "MissingContextValues": missing if result.resource == "*" else [],
        }
        if self.simulation.scp_level_labels:
            # Every SCP level (root, OUs, account; or each given policy) must allow and
            # none may deny. Absent when no SCP applied: the management account's
            # principals (SCPs don't bind them) and accounts outside any organization
            # (AWS: "Only applies if the simulated user's account is part of an
            # organization"; what AWS answers for the management account is not recorded).
            denied = self._side(result, None, {"scp"}) == "explicitDeny"
            allowed = not denied and all(
                self._side(result, set(level), {"scp"}) == "allowed"
                for level in self.simulation.scp_level_labels
            )
            out["OrganizationsDecisionDetail"] = {"AllowedByOrganizations": allowed}
        boundary = None
        if self.simulation.boundary is not None:
            side = self._side(result, None, {"permissions_boundary"})
            boundary = {"AllowedByPermissionsBoundary": side == "allowed"}
            out["PermissionsBoundaryDecisionDetail"] = boundary
        if result.resource != "*":
            details: dict[str, str] = {}
            if self._cross_account(result.resource):
                details["IAM Policy"] = self._side(result, None, {"identity"})
                details["Resource Policy"] = self._side(result, None, {"resource"})
            out["EvalDecisionDetails"] = details
            specific: dict[str, Any] = {
                "EvalResourceName": result.resource,
                "EvalResourceDecision": decision,
                "MatchedStatements": statements,
                "MissingContextValues": missing,
            }
            if boundary is not None:
                specific["PermissionsBoundaryDecisionDetail"] = boundary
            out["ResourceSpecificResults"] = [specific]
        return out


def _results(actor: Principal, simulation: sim.Simulation, p: dict[str, Any]) -> dict[str, Any]:
    page = page_items(simulation.results, p)
    translator = _Translator(simulation, actor.account_id)
    out: dict[str, Any] = {
        "EvaluationResults": [translator.result(r) for r in page.items],
        "IsTruncated": page.is_truncated,
    }
    if page.marker:
        out["Marker"] = page.marker
    return out


def _boundaries(p: dict[str, Any]) -> list[str] | None:
    given = p.get("PermissionsBoundaryPolicyInputList")
    if given and len(given) > 1:
        # AWS: the simulation takes one permissions boundary.
        raise InvalidInput("Only one permissions boundary policy can be simulated at a time.")
    return given or None


def _simulate(fn: Any, **kwargs: Any) -> sim.Simulation:
    try:
        return fn(**kwargs)
    except MalformedPolicyDocument as exc:
        raise PolicyEvaluation(exc.message) from exc


def simulate_principal_policy(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    kind, name = source_entity(actor, p["PolicySourceArn"])
    caller = _caller_arn(p.get("CallerArn"))
    if p.get("ResourcePolicy") is not None and caller is None and kind != "user":
        raise InvalidInput(
            "CallerArn is required with a ResourcePolicy unless the source is a user."
        )
    simulation = _simulate(
        sim.simulate_principal_policy,
        actor=actor,
        kind=kind,
        name=name,
        actions=p.get("ActionNames") or [],
        resources=p.get("ResourceArns") or ["*"],
        context=context_entries(p.get("ContextEntries") or []),
        extra_documents=p.get("PolicyInputList") or [],
        boundary_documents=_boundaries(p),
        resource_policy=p.get("ResourcePolicy"),
        resource_account=_resource_owner(p.get("ResourceOwner")),
        caller_arn=caller,
        ambient=False,
    )
    return _results(actor, simulation, p)


def simulate_custom_policy(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    caller = _caller_arn(p.get("CallerArn"))
    if p.get("ResourcePolicy") is not None and caller is None:
        # AWS: "CallerArn is required if you include a ResourcePolicy".
        raise InvalidInput("CallerArn is required when you include a ResourcePolicy.")
    simulation = _simulate(
        sim.simulate_custom_policy,
        actor=actor,
        documents=p.get("PolicyInputList") or [],
        actions=p.get("ActionNames") or [],
        resources=p.get("ResourceArns") or ["*"],
        context=context_entries(p.get("ContextEntries") or []),
        boundary_documents=_boundaries(p),
        # Each level: {"ServiceControlPolicyInputList": [document, …]} (botocore's
        # OrderedOrganizationPolicyType), root first.
        organization_documents=[
            level.get("ServiceControlPolicyInputList") or []
            for level in p.get("OrderedOrganizationPolicyInputList") or []
        ],
        resource_policy=p.get("ResourcePolicy"),
        resource_account=_resource_owner(p.get("ResourceOwner")),
        caller_arn=caller,
        ambient=False,
    )
    return _results(actor, simulation, p)


def get_context_keys_for_principal_policy(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    kind, name = source_entity(actor, p["PolicySourceArn"])
    keys = sim.get_context_keys_for_principal_policy(
        actor=actor, kind=kind, name=name, extra_documents=p.get("PolicyInputList") or []
    )
    return {"ContextKeyNames": keys}


def get_context_keys_for_custom_policy(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    keys = sim.get_context_keys_for_custom_policy(
        actor=actor, documents=p.get("PolicyInputList") or []
    )
    return {"ContextKeyNames": keys}
