"""The organization's side of every authorization decision: the SCP and RCP levels that
apply to an account, and the organization keys of the request context.

AWS ("SCP evaluation", "RCP evaluation" in the Organizations User Guide): the policies
attached to the root, to every OU down the path and to the account itself form levels;
each level must allow and an explicit deny at any level wins. SCPs do not apply to the
management account (nor to service-linked roles: the engine exempts those); RCPs do not
apply to resources in the management account. A policy type that is not enabled on the
root applies nowhere.

A closed member account (CloseAccount: SUSPENDED, within AWS's 90-day post-closure period)
gets one more level of each kind that denies everything, labelled as the closure (see
``_closed``): its principals, the root included, can no longer use any service, and no one
can use its resources.

Loaded with three queries (membership, the OU path, the attachments with their
policies) and cached per account generation (``policies/cache.py``): every change to what
applies to an account sets a new generation for it in the same transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from organizations.models import RCP, SCP, Member, OrganizationalUnit, OrgPolicyAttachment
from policies import cache, engine

__all__ = ["Guardrails", "NO_ORGANIZATION", "guardrails", "load_guardrails"]

Levels = tuple[tuple[object, ...], ...]


@dataclass(frozen=True)
class Guardrails:
    org_id: str | None = None
    org_path: str | None = None  # o-…/r-…/ou-…/ (aws:PrincipalOrgPaths, aws:ResourceOrgPaths)
    management: bool = False
    # (name, policy id) of each level's policies, root first: for pages and the simulator.
    scp_names: tuple[tuple[tuple[str, str], ...], ...] = ()
    scps: Levels | None = None  # None: SCPs do not apply to this account's principals
    rcps: Levels | None = None  # None: RCPs do not apply to this account's resources
    closed: bool = False  # the account is SUSPENDED (closed with CloseAccount)


NO_ORGANIZATION = Guardrails()
_KEY = "organizations:guardrails"


def guardrails(account_id: str, gen: int | None = None) -> Guardrails:
    """``load_guardrails`` through the per-account generation cache."""
    if gen is None:
        gen = cache.generation(account_id)
    hit = cache.get(account_id, _KEY, gen)
    if hit is None:
        hit = load_guardrails(account_id)
        cache.put(account_id, _KEY, gen, hit)
    return hit


def load_guardrails(account_id: str) -> Guardrails:
    member = Member.objects.select_related("organization").filter(pk=account_id).first()
    if member is None:
        return NO_ORGANIZATION
    org = member.organization
    chain = [org.root_id]
    if member.parent_id != org.root_id:
        path = (
            OrganizationalUnit.objects.filter(pk=member.parent_id)
            .values_list("path", flat=True)
            .first()
        )
        chain = [p for p in (path or org.root_id).split("/") if p]
    org_path = f"{org.id}/{'/'.join(chain)}/"
    management = account_id == org.management_account_id
    enabled = [t for t in (SCP, RCP) if org.enabled(t)]
    if management or not enabled:
        found = Guardrails(org.id, org_path, management)
        return _closed(found, account_id) if member.status == Member.SUSPENDED else found
    targets = [*chain, account_id]
    by_target: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    rows = (
        OrgPolicyAttachment.objects.filter(
            organization=org, target_id__in=targets, policy_type__in=enabled
        )
        .select_related("policy")
        .order_by("policy_id")
    )
    for a in rows:
        by_target.setdefault((a.policy_type, a.target_id), []).append(
            (a.policy.name, a.policy_id, a.policy.content)
        )

    def levels(policy_type: str) -> tuple[Levels, tuple[tuple[tuple[str, str], ...], ...]]:
        docs, names = [], []
        for target in targets:
            found = by_target.get((policy_type, target), [])
            # Labelled with the policy's name and target, for the simulator's trace.
            docs.append(
                tuple(
                    engine.compile_policy(content, f"{name} (attached to {target})")
                    for name, _pid, content in found
                )
            )
            names.append(tuple((name, pid) for name, pid, _c in found))
        return tuple(docs), tuple(names)

    scps, scp_names = levels(SCP) if SCP in enabled else (None, ())
    rcps = levels(RCP)[0] if RCP in enabled else None
    found = Guardrails(org.id, org_path, False, scp_names, scps, rcps)
    return _closed(found, account_id) if member.status == Member.SUSPENDED else found


# AWS ("Closing an AWS account", Organizations User Guide): once a member account is
# closed, "Immediately, the account can no longer be used for any AWS activity other than
# signing in as the root user to view past bills or to contact AWS Support"; the Account
# Management reference ("Close an AWS account"): "You will no longer be able to access AWS
# services that were previously available in your account", and CloseAccount's reference:
# during the 90-day period "the resources won't be available". Here that is a deny-all
# level added to the account's SCPs (its principals, root included: sign-in itself is not
# an authorization, so root still signs in) and to its RCPs (its resources, e.g. assuming
# its roles from another account). AWS does not document the error a closed account's
# caller receives; this one is the explicit-deny-in-an-SCP AccessDenied, and the label
# names the closure in the simulator's trace. As the engine does for every SCP,
# sts:GetCallerIdentity still answers and service-linked roles are exempt: AWS's
# behaviour for those in a closed account is not established either.
_DENY_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}],
}
_DENY_ALL_RCP = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}],
}
CLOSED_POLICY_ID = "account-closed"


def closed_label(account_id: str) -> str:
    return f"Account {account_id} is closed (SUSPENDED): no AWS activity is allowed"


def _closed(found: Guardrails, account_id: str) -> Guardrails:
    label = closed_label(account_id)
    scp = engine.compile_policy(json.dumps(_DENY_ALL), label)
    rcp = engine.compile_policy(json.dumps(_DENY_ALL_RCP), label)
    return replace(
        found,
        closed=True,
        scps=(*(found.scps or ()), (scp,)),
        scp_names=(*found.scp_names, ((label, CLOSED_POLICY_ID),)),
        rcps=(*(found.rcps or ()), (rcp,)),
    )
