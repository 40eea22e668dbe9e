"""AWS's AccessDenied message text for a decision.

AWS ("Troubleshoot access denied error messages"): "User: ARN is not authorized to
perform: ACTION on resource: ARN because no identity-based policy allows the ACTION
action", or "... with an explicit deny in an identity-based policy", and the same with
"permissions boundary", "session policy", "resource-based policy", "service control
policy", "resource control policy" and "VPC endpoint policy".
"""

from __future__ import annotations

from .evaluate import (
    BOUNDARY,
    ENDPOINT,
    EXPLICIT_DENY,
    IDENTITY,
    RCP,
    RESOURCE,
    SCP,
    SESSION,
    Decision,
)

_NAMES = {
    IDENTITY: ("an identity-based policy", "identity-based policy"),
    BOUNDARY: ("a permissions boundary", "permissions boundary"),
    SESSION: ("a session policy", "session policy"),
    RESOURCE: ("a resource-based policy", "resource-based policy"),
    SCP: ("a service control policy", "service control policy"),
    RCP: ("a resource control policy", "resource control policy"),
    ENDPOINT: ("a VPC endpoint policy", "VPC endpoint policy"),
}


def denial_message(decision: Decision) -> str | None:
    """The AccessDenied message for a denied decision; None when it was allowed."""
    if decision.allowed:
        return None
    req = decision.request
    who = req.principal or "anonymous"
    head = f"User: {who} is not authorized to perform: {req.action} on resource: {req.resource}"
    explicit_name, implicit_name = _NAMES.get(decision.reason, _NAMES[IDENTITY])
    if decision.effect == EXPLICIT_DENY:
        return f"{head} with an explicit deny in {explicit_name}"
    if decision.reason not in _NAMES:
        return head
    return f"{head} because no {implicit_name} allows the {req.action} action"
