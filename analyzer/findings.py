"""What an analyzer finds, computed from the account's current state.

External access (ACCOUNT, ORGANIZATION): IAM roles whose trust policy lets a principal
outside the zone of trust (the account; the organization's accounts) assume them. One
finding per role and distinct (principal, condition) of its Allow statements, with the
STS actions the statement grants, as AWS's ExternalAccessDetails carries them. Service
principals are trusted (AWS reports no finding for them); identity-provider
(``Federated``) principals are external; ``*`` and NotPrincipal are public unless a
condition pins the caller to named accounts or organizations, in which case the finding
is not public and names the condition; when that condition (or the principal) lies
entirely inside the zone of trust there is no finding.

Unused access (ACCOUNT_UNUSED_ACCESS), over the tracking period ``unusedAccessAge``:
UnusedIAMRole (no session activity; service-linked roles excluded, as AWS does),
UnusedIAMUserPassword, UnusedIAMUserAccessKey (active keys), and UnusedPermission: for
each service a user's or active role's identity policies allow, the audit trail (every
attempted call, as last-accessed information counts them) shows no use within the
period; for the services with action-level tracking (Access Advisor's list) also the
allowed actions not used. An entity created within the period is not yet unused.

Reading the database only: ``operations.findings.refresh`` turns these into stored findings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Max

from accounts.models import AccessKey, IamUser, Role
from accounts.operations.advisor import TRACKED_SERVICES
from accounts.operations.service_linked import is_service_linked
from accounts.principal import role_session_principal, user_principal
from audit.models import AuditEvent
from policies.engine import catalog
from policies.engine.document import PolicyError, Statement, parse_policy
from policies.engine.jsonsafe import JsonError, loads
from policies.engine.matching import action_matcher
from policies.evaluation import load_policies

__all__ = [
    "Computed",
    "Zone",
    "excluded",
    "external_access",
    "parse_trust_policy",
    "role_external_access",
    "unused_access",
]

# What a role's trust policy can grant (the STS actions AWS lists in role findings).
ROLE_ACTIONS = (
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:SetContext",
    "sts:SetSourceIdentity",
    "sts:TagSession",
)


@dataclass(frozen=True)
class Zone:
    """The zone of trust: accounts (and, for ORGANIZATION analyzers, the organization)."""

    accounts: frozenset[str]
    org_id: str | None = None


@dataclass(frozen=True)
class Computed:
    key: str  # unique within the analyzer: the finding id derives from it
    finding_type: str
    resource: str
    resource_type: str
    owner: str
    details: dict[str, Any]
    # Unused access: the entity matches one of the analyzer's analysisRule exclusions.
    excluded: bool = False


def _account_of(value: str) -> str | None:
    if re.fullmatch(r"\d{12}", value):
        return value
    parts = value.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        return parts[4] or None
    return None


def _granted_role_actions(st: Statement) -> list[str]:
    pats = st.actions or ()
    out = []
    for action in ROLE_ACTIONS:
        hit = any(action_matcher(p)(action) for p in pats)
        if hit != st.not_action:
            out.append(action)
    return out


_ACCOUNT_KEYS = {"aws:principalaccount", "aws:sourceaccount", "aws:sourceowner"}
_ARN_KEYS = {"aws:principalarn", "aws:sourcearn"}
_ORG_KEYS = {"aws:principalorgid", "aws:sourceorgid"}
_EQ = re.compile(r"^(StringEquals|StringLike|ArnEquals|ArnLike)(IgnoreCase)?$")


def _restriction(st: Statement) -> tuple[set[str], set[str]] | None:
    """The accounts and organizations a statement's condition pins the caller to
    (None: the condition does not pin it)."""
    accounts: set[str] = set()
    orgs: set[str] = set()
    pinned = False
    for c in st.conditions:
        key = c.key.lower()
        if not _EQ.match(c.operator) or not c.values:
            continue
        if key in _ARN_KEYS:
            # An ARN pattern pins the account when its account field is literal.
            owners = [_account_of(v) for v in c.values]
            if any(o is None or "*" in o or "?" in o for o in owners):
                continue
            accounts |= {o for o in owners if o}
        elif any("*" in v or "?" in v for v in c.values):
            continue
        elif key in _ACCOUNT_KEYS:
            accounts |= set(c.values)
        elif key in _ORG_KEYS:
            orgs |= set(c.values)
        else:
            continue
        pinned = True
    return (accounts, orgs) if pinned else None


def _inside(zone: Zone, accounts: Iterable[str], orgs: Iterable[str]) -> bool:
    accounts, orgs = set(accounts), set(orgs)
    if not accounts and not orgs:
        return False
    return accounts <= zone.accounts and (not orgs or orgs == {zone.org_id})


def _condition_map(st: Statement) -> dict[str, str]:
    # ConditionKeyMap is string -> string; several values are joined with "," (AWS's
    # rendering of a multi-valued condition in a finding is not established here).
    out: dict[str, str] = {}
    for c in st.conditions:
        out[c.key] = ",".join(c.values)
    return out


def external_access(account_id: str, zone: Zone) -> list[Computed]:
    out: list[Computed] = []
    for role in Role.objects.filter(account_id=account_id).order_by("name"):
        if is_service_linked(role):
            continue
        try:
            statements = parse_trust_policy(role.trust_policy)
        except (JsonError, PolicyError):
            continue
        out += role_external_access(role.arn, role.account_id, statements, zone)
    return out


def parse_trust_policy(text: str) -> tuple[Statement, ...]:
    """A trust policy's statements (JsonError / PolicyError when it cannot be read)."""
    return tuple(parse_policy(loads(text)).statements)


def role_external_access(
    role_arn: str, owner: str, statements: Iterable[Statement], zone: Zone
) -> list[Computed]:
    """The external-access findings of one role whose trust policy has ``statements``
    (the analysis ``external_access`` runs per role; access previews run it on a
    proposed trust policy)."""
    out: list[Computed] = []
    seen: set[str] = set()
    for st in statements:
        if st.effect != "Allow" or st.principal is None:
            continue
        actions = _granted_role_actions(st)
        if not actions:
            continue
        restriction = _restriction(st)
        if restriction is not None and _inside(zone, *restriction):
            continue  # the condition keeps every caller inside the zone of trust
        condition = _condition_map(st)
        if st.not_principal or st.principal.wildcard:
            entries: list[tuple[str, str, bool]] = [("AWS", "*", restriction is None)]
        else:
            entries = []
            for kind, values in st.principal.entries:
                for value in values:
                    if kind == "Service":
                        continue
                    if kind == "AWS":
                        account = _account_of(value)
                        if account is not None and account in zone.accounts:
                            continue
                    entries.append((kind, value, False))
        for kind, value, public in entries:
            principal = {kind: value}
            key = json.dumps(
                [role_arn, principal, condition, actions], sort_keys=True, separators=(",", ":")
            )
            if key in seen:
                continue
            seen.add(key)
            out.append(
                Computed(
                    key=key,
                    finding_type="ExternalAccess",
                    resource=role_arn,
                    resource_type="AWS::IAM::Role",
                    owner=owner,
                    details={
                        "principal": principal,
                        "action": actions,
                        "condition": condition,
                        "isPublic": public,
                        "sources": [{"type": "POLICY"}],
                    },
                )
            )
    return out


# ------------------------------------------------------------------ unused access


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def _granted(documents: Iterable[str]) -> dict[str, set[str]]:
    """Service namespace -> actions (canonical names) the documents' Allow statements
    reach; NotAction and ``*`` reach every catalog action outside what they exclude."""
    out: dict[str, set[str]] = {}
    for text in documents:
        try:
            statements = parse_policy(loads(text)).statements
        except (JsonError, PolicyError):
            continue
        for st in statements:
            if st.effect != "Allow":
                continue
            if st.not_action:
                excluded = [action_matcher(p) for p in st.actions or ()]
                for svc in catalog.services():
                    for info in catalog.actions(svc):
                        if not any(m(info.full_name) for m in excluded):
                            out.setdefault(svc, set()).add(info.full_name)
                continue
            for pattern in st.actions or ():
                for full in catalog.expand(pattern):
                    out.setdefault(full.split(":", 1)[0], set()).add(full)
    return out


def _activity(account_id: str, arn_filter: dict[str, str]) -> dict[str, datetime]:
    """``service:Action`` -> last attempted call by the principal, from the audit trail
    (and ``service:`` -> last call to the service at all)."""
    rows = (
        AuditEvent.objects.filter(account_id=account_id, **arn_filter)
        .values("event_source", "event_name")
        .annotate(last=Max("time"))
    )
    out: dict[str, datetime] = {}
    for row in rows:
        svc = row["event_source"].split(".", 1)[0]
        for key in (f"{svc}:", f"{svc}:{row['event_name']}".lower()):
            if key not in out or row["last"] > out[key]:
                out[key] = row["last"]
    return out


def _unused_permissions(
    principal_arn: str,
    owner: str,
    documents: Iterable[str],
    activity: Mapping[str, datetime],
    cutoff: datetime,
) -> list[Computed]:
    """One UnusedPermission finding per principal; its details list one entry per unused
    service (GetFindingV2 pages them), as AWS's UnusedPermissionDetails."""
    services: list[dict[str, Any]] = []
    for svc, actions in sorted(_granted(documents).items()):
        last = activity.get(f"{svc}:")
        service_unused = last is None or last < cutoff
        unused_actions: list[dict[str, Any]] = []
        if svc in TRACKED_SERVICES:
            for action in sorted(actions):
                when = activity.get(action.lower())
                if when is None or when < cutoff:
                    item: dict[str, Any] = {"action": action}
                    if when is not None:
                        item["lastAccessed"] = _iso(when)
                    unused_actions.append(item)
        if not service_unused and not unused_actions:
            continue
        entry: dict[str, Any] = {"serviceNamespace": svc}
        if last is not None:
            entry["lastAccessed"] = _iso(last)
        if unused_actions:
            entry["actions"] = unused_actions
        services.append(entry)
    if not services:
        return []
    return [
        Computed(
            key=f"{principal_arn}|UnusedPermission",
            finding_type="UnusedPermission",
            resource=principal_arn,
            resource_type="AWS::IAM::User" if ":user/" in principal_arn else "AWS::IAM::Role",
            owner=owner,
            details={"services": services},
        )
    ]


def excluded(
    account_id: str, tags: Mapping[str, str], exclusions: Sequence[Mapping[str, Any]]
) -> bool:
    """Whether an entity meets one of an unused access analyzer's ``analysisRule``
    exclusions (AnalysisRuleCriteria). Our reading of the model's documentation, as AWS
    gives no formal semantics: the criteria in the list are alternatives; within one
    criteria ``accountIds`` and ``resourceTags``, when both are given, must both hold;
    ``resourceTags`` is a list of alternatives, each a map whose every pair must be on
    the entity, an empty value matching any value of the key ("If the specified tag
    value is 0 characters, the rule is applied to all principals with the specified
    tag key")."""

    def tag_set_matches(wanted: Mapping[str, str]) -> bool:
        return bool(wanted) and all(
            k in tags and (v == "" or tags[k] == v) for k, v in wanted.items()
        )

    for crit in exclusions:
        accounts = crit.get("accountIds") or []
        tag_sets = crit.get("resourceTags") or []
        if not accounts and not tag_sets:
            continue
        if accounts and account_id not in accounts:
            continue
        if tag_sets and not any(tag_set_matches(t) for t in tag_sets):
            continue
        return True
    return False


def unused_access(
    account_id: str,
    age_days: int,
    now: datetime,
    exclusions: Sequence[Mapping[str, Any]] = (),
) -> list[Computed]:
    """The unused access findings of one account; those of entities an exclusion names
    come back with ``excluded`` set (``operations.findings.refresh`` creates none for them)."""
    out = _unused_access(account_id, age_days, now)
    if not exclusions:
        return out
    tags: dict[str, dict[str, str]] = {}
    for model in (Role, IamUser):
        for arn, raw in model.objects.filter(account_id=account_id).values_list("arn", "tags"):
            tags[arn] = {t["Key"]: t["Value"] for t in raw or []}
    return [
        replace(c, excluded=True)
        if excluded(account_id, tags.get(c.resource, {}), exclusions)
        else c
        for c in out
    ]


def _unused_access(account_id: str, age_days: int, now: datetime) -> list[Computed]:
    cutoff = now - timedelta(days=age_days)
    out: list[Computed] = []
    for role in Role.objects.filter(account_id=account_id).order_by("name"):
        if is_service_linked(role):
            continue
        last = role.last_used
        if (last or role.created) < cutoff:
            details = {"lastAccessed": _iso(last)} if last else {}
            out.append(
                Computed(
                    f"{role.arn}|UnusedIAMRole",
                    "UnusedIAMRole",
                    role.arn,
                    "AWS::IAM::Role",
                    account_id,
                    details,
                )
            )
            continue
        prefix = f"arn:aws:sts::{account_id}:assumed-role/{role.name}/"
        docs = load_policies(role_session_principal(role, "analyzer")).identity
        activity = _activity(account_id, {"actor_arn__startswith": prefix})
        if (role.created) < cutoff:
            out += _unused_permissions(role.arn, account_id, docs, activity, cutoff)
    users = IamUser.objects.filter(account_id=account_id).select_related("console").order_by("name")
    keys: dict[int, list[AccessKey]] = {}
    for key in AccessKey.objects.filter(account_id=account_id, status="Active", user__isnull=False):
        keys.setdefault(key.user_id, []).append(key)
    for user in users:
        profile = user.console.login_profile_created
        if profile is not None and (user.password_last_used or profile) < cutoff:
            details = (
                {"lastAccessed": _iso(user.password_last_used)} if user.password_last_used else {}
            )
            out.append(
                Computed(
                    f"{user.arn}|UnusedIAMUserPassword",
                    "UnusedIAMUserPassword",
                    user.arn,
                    "AWS::IAM::User",
                    account_id,
                    details,
                )
            )
        for key in keys.get(user.pk, []):
            if (key.last_used or key.created) < cutoff:
                details = {"accessKeyId": key.access_key_id}
                if key.last_used:
                    details["lastAccessed"] = _iso(key.last_used)
                out.append(
                    Computed(
                        f"{user.arn}|UnusedIAMUserAccessKey|{key.access_key_id}",
                        "UnusedIAMUserAccessKey",
                        user.arn,
                        "AWS::IAM::User",
                        account_id,
                        details,
                    )
                )
        if user.created < cutoff:
            docs = load_policies(user_principal(user)).identity
            activity = _activity(account_id, {"actor_arn": user.arn})
            out += _unused_permissions(user.arn, account_id, docs, activity, cutoff)
    return out
