"""The single place where operations ask "may this principal do this?".

Root may do anything in its own account and nothing in another, except what the
service control policies of its organization deny: in a member account SCPs restrict
root too (AWS, "Service control policies": "SCPs affect ... the root user"). IAM users and
role sessions are decided by the policy engine over their real policies:
inline and attached, their groups', the permissions boundary, and session
policies, with the request context AWS would supply.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from accounts.errors import AccessDenied
from accounts.models import PasswordPolicy
from accounts.principal import Principal
from organizations.guardrails import guardrails
from policies import engine
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
            if guardrails(actor.account_id).scps is None:
                return
            # A member account's root: its SCP levels decide (the engine allows root
            # everything in its own account otherwise).
            decide(actor, action, resource, resource_account=owner, context=context)
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

    if actor.kind == "root" and guardrails(actor.account_id).scps is None:
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


# -- the account password policy's grant ------------------------------------------------


def _own_password_grant(actor: Principal) -> str:
    """What "Allow users to change their own password" gives every IAM user, as a policy.

    AWS (botocore's IAM model, PasswordPolicy.AllowUsersToChangePassword; the same text
    in boto3's AccountPasswordPolicy.allow_users_to_change_password): "Specifies whether
    IAM users are allowed to change their own password. Gives IAM users permissions to
    iam:ChangePassword for only their user and to the iam:GetAccountPasswordPolicy
    action. This option does not attach a permissions policy to each user, rather the
    permissions are applied at the account-level for all users by IAM." (IAM User
    Guide: "Permitting IAM users to change their own passwords".)
    """
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": actor.arn},
                {"Effect": "Allow", "Action": "iam:GetAccountPasswordPolicy", "Resource": "*"},
            ],
        }
    )


def authorize_with_password_policy_grant(actor: Principal, action: str, resource: str) -> None:
    """``authorize``, counting the account password policy's AllowUsersToChangePassword
    grant (``_own_password_grant``) among an IAM user's identity-based allows.

    Kept apart from ``authorize`` (only ChangePassword and GetAccountPasswordPolicy ask
    for it). The grant is one more Allow, not a bypass: AWS does not document how it
    meets an explicit Deny, a permissions boundary or an SCP, so here they still apply
    exactly as to any identity-based allow (an explicit Deny of iam:ChangePassword
    refuses). Without the setting, the user's own policies alone decide.
    """
    if actor.kind == "user" and _password_policy_allows_change(actor.account_id):
        policies = cached_policies(actor)
        own = engine.policy_set(policies.identity).policies
        granted = replace(policies, identity=engine.policy_set([*own, _own_password_grant(actor)]))
        if allows(actor, action, resource, resource_account=actor.account_id, policies=granted):
            return
    authorize(actor, action, resource)


def _password_policy_allows_change(account_id: str) -> bool:
    return PasswordPolicy.objects.filter(
        account_id=account_id, allow_users_to_change_password=True
    ).exists()
