"""The single place where operations ask "may this principal do this?".

Root may do anything in its own account and nothing in another. IAM users and
role sessions are decided by the policy engine over their real policies:
inline and attached, their groups', the permissions boundary, and session
policies, with the request context AWS would supply.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from accounts.errors import AccessDenied
from accounts.principal import Principal
from policies.evaluation import allows, cached_policies, decide


def arn_account(arn: str) -> str | None:
    """The account field of an ARN (``arn:aws:iam::123456789012:user/x`` -> id)."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        return parts[4] or None
    return None


def authorize(
    actor: Principal,
    action: str,
    resource: str,
    *,
    resource_account: str | None = None,
    context: dict[str, Any] | None = None,
    resource_policy: str | None = None,
) -> None:
    """Raise AccessDenied (with AWS's message) unless ``actor`` may do ``action``.

    ``resource_account`` defaults to the account in the resource ARN; ``*`` and
    AWS-owned ARNs (``arn:aws:iam::aws:policy/...``) count as the actor's own.
    """
    owner = resource_account or arn_account(resource)
    if owner in (None, "aws"):
        owner = actor.account_id
    if actor.kind == "root":
        if owner == actor.account_id:
            return
        raise AccessDenied(
            denial_message(
                actor, action, resource, "no resource-based policy allows the " + action + " action"
            ),
            action=action,
            resource=resource,
        )

    decide(
        actor,
        action,
        resource,
        resource_account=owner,
        context=context,
        resource_policy=resource_policy,
    )


def permission_checker(actor: Principal) -> Callable[[str, str], bool]:
    """``allowed(action, arn)``: would ``authorize`` let this through? Without raising
    and without auditing: for deciding what a console page may *show* (a column, a
    panel). The actor's policies are gathered once, so a page's query count does not
    grow with its rows; writes and the data a page is about still go through the
    operations, which authorize and audit."""

    def owner_of(arn: str) -> str:
        owner = arn_account(arn)
        return actor.account_id if owner in (None, "aws") else owner

    if actor.kind == "root":
        return lambda action, arn: owner_of(arn) == actor.account_id

    policies = cached_policies(actor)
    memo: dict[tuple[str, str], bool] = {}

    def allowed(action: str, arn: str) -> bool:
        key = (action, arn)
        if key not in memo:
            memo[key] = allows(
                actor, action, arn, resource_account=owner_of(arn), policies=policies
            )
        return memo[key]

    return allowed


def denial_message(actor: Principal, action: str, resource: str, reason: str) -> str:
    return f"User: {actor.arn} is not authorized to perform: {action} on resource: {resource} because {reason}"


def now_utc() -> datetime:
    return datetime.now(UTC)
