"""Console lookups: find a managed policy by its id within the caller's reach, or 404."""

from __future__ import annotations

from django.db.models import Q

from accounts.errors import NoSuchEntity
from accounts.principal import Principal
from policies.models import ManagedPolicy


def policy_by_id(actor: Principal, policy_id: str) -> ManagedPolicy:
    """A customer policy of the caller's account or an AWS-managed one, by ``ANPA…`` id.

    Another account's policy is "not found", never "denied": its existence is not
    the caller's business. Authorization happens in the operation the view calls next.
    """
    policy = (
        ManagedPolicy.objects.filter(policy_id=policy_id)
        .filter(Q(account_id=actor.account_id) | Q(account__isnull=True))
        .first()
    )
    if policy is None:
        raise NoSuchEntity(f"Policy {policy_id} does not exist or is not attachable.")
    return policy
