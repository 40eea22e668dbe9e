"""The IAM policy engine: parse, validate, evaluate and explain AWS IAM policies.

Pure Python, no Django. Public API::

    from policies.engine import Request, evaluate, compile_policy, validate
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
