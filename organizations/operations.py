"""AWS Organizations operations: one ``@operation`` per action (the subset IAM guardrails
need), each authorizing ``organizations:<Action>`` on AWS's resource ARNs (Service
Authorization Reference, "Actions, resources, and condition keys for AWS Organizations"),
working in one transaction and audited with event source organizations.amazonaws.com.

Only the management account may call the management actions; a member account gets
AccessDeniedException, an account outside any organization
AWSOrganizationsNotInUseException. Any change to the SCPs or RCPs that apply to an
account (attach, detach, update, move, enable or disable a type, join, leave) sets a new
authorization generation for every affected account in the same transaction, so the next
decision sees it (policies/cache.py, organizations/guardrails.py).
"""

from __future__ import annotations

import fnmatch
import json
import re
import secrets
import string
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.errors import AccessDenied
from accounts.errors import NoSuchEntity as IamNoSuchEntity
from accounts.ids import account_id as random_account_id
from accounts.models import Account, ConsoleUser
from accounts.operations.roles import create_role
from accounts.principal import Principal, root_principal
from audit.models import AuditEvent
from audit.trail import record_event
from iamconsole.ops import operation
from organizations import errors as E
from organizations.models import (
    DEFAULT_POLICY,
    FULL_AWS_ACCESS,
    POLICY_TYPES,
    RCP,
    RCP_FULL_AWS_ACCESS,
    SCP,
    CreateAccountRequest,
    Handshake,
    Member,
    OrgAccessReport,
    Organization,
    OrganizationalUnit,
    OrgPolicy,
    OrgPolicyAttachment,
    OrgTag,
)
from policies import cache
from policies.authorization import authorize
from policies.engine.catalog import service_name
from policies.engine.catalog import services as catalog_services
from policies.engine.validate import ERROR, validate
from policies.operations import attach_role_policy

__all__ = [
    "Level",
    "Tree",
    "effective_policies",
    "my_guardrails",
    "organization_tree",
    "AccessDetail",
    "AccessReport",
    "OrgPage",
    "generate_organizations_access_report",
    "get_organizations_access_report",
    "accept_handshake",
    "attach_policy",
    "cancel_handshake",
    "close_account",
    "create_account",
    "create_organization",
    "create_organizational_unit",
    "create_policy",
    "decline_handshake",
    "delete_organization",
    "delete_organizational_unit",
    "delete_policy",
    "describe_account",
    "describe_create_account_status",
    "describe_handshake",
    "describe_organization",
    "describe_organizational_unit",
    "describe_policy",
    "detach_policy",
    "disable_policy_type",
    "enable_policy_type",
    "invite_account_to_organization",
    "leave_organization",
    "list_accounts",
    "list_accounts_for_parent",
    "list_children",
    "list_create_account_status",
    "list_handshakes_for_account",
    "list_handshakes_for_organization",
    "list_organizational_units_for_parent",
    "list_parents",
    "list_policies",
    "list_policies_for_target",
    "list_roots",
    "list_targets_for_policy",
    "move_account",
    "remove_account_from_organization",
    "update_organizational_unit",
    "update_policy",
    "check_tags",
    "list_tags_for_resource",
    "tag_resource",
    "untag_resource",
]

SOURCE = "organizations.amazonaws.com"
P = ParamSpec("P")
R = TypeVar("R")

# AWS Organizations quotas ("Quotas for AWS Organizations"): OU nesting depth five levels
# under the root, 1,000 OUs, 1,000 policies of each type, five policies of one type
# attached to a root/OU/account, policy documents of 5,120 characters (the API stores the
# text as given: whitespace counts), invitations open 15 days.
MAX_OU_DEPTH = 5
MAX_OUS = 1000
MAX_POLICIES = 1000
MAX_ATTACHED = 5
MAX_POLICY_CHARS = 5120
HANDSHAKE_DAYS = 15
DEFAULT_PAGE = 20

_ALNUM = string.ascii_lowercase + string.digits
ACCOUNT_ID_RE = re.compile(r"\d{12}")
ROOT_ID_RE = re.compile(r"r-[0-9a-z]{4,32}")
OU_ID_RE = re.compile(r"ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}")
POLICY_ID_RE = re.compile(r"p-[0-9a-zA-Z_]{8,128}")
HANDSHAKE_ID_RE = re.compile(r"h-[0-9a-z]{8,32}")
CAR_ID_RE = re.compile(r"car-[a-z0-9]{8,32}")
EMAIL_RE = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
ROLE_NAME_RE = re.compile(r"[\w+=,.@-]{1,64}")

FULL_ACCESS_CONTENT = {
    SCP: json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        },
        indent=2,
    ),
    RCP: json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
        },
        indent=2,
    ),
}
FULL_ACCESS_NAME = {SCP: "FullAWSAccess", RCP: "RCPFullAWSAccess"}
# AWS's descriptions of its two managed policies.
FULL_ACCESS_DESCRIPTION = {
    SCP: "Allows access to every operation",
    RCP: "Allows access to every operation",
}


def _rand(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def org_operation(event_name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    return operation(event_name, event_source=SOURCE)


# ------------------------------------------------------------------ who may do what


def _authorize(
    actor: Principal,
    action: str,
    resource: str,
    *,
    context: dict[str, Any] | None = None,
    own: bool = False,
) -> None:
    """authorize() with Organizations' error code. ``own``: the resource is the caller's
    own business though its ARN names the management account (an invitation to it, the
    organization it belongs to)."""
    try:
        authorize(
            actor,
            f"organizations:{action}",
            resource,
            context=context,
            resource_account=actor.account_id if own else None,
        )
    except E.AccessDeniedException:
        raise
    except AccessDenied as exc:
        raise E.AccessDeniedException(
            exc.message, action=exc.action, resource=exc.resource
        ) from None


def _membership(actor: Principal) -> Member:
    member = Member.objects.select_related("organization").filter(pk=actor.account_id).first()
    if member is None:
        raise E.NotInUse()
    return member


def _management_org(actor: Principal, action: str) -> Organization:
    """The caller's organization, when the caller is its management account."""
    org = _membership(actor).organization
    if org.management_account_id != actor.account_id:
        raise E.AccessDeniedException(action=f"organizations:{action}")
    return org


def _managed_org(
    actor: Principal, action: str, resource: str | None = None, **kw: Any
) -> Organization:
    """``_management_org``, and the caller's policies allow ``action`` on ``resource``
    ("*" for the actions the Service Authorization Reference gives no resource type)."""
    org = _management_org(actor, action)
    _authorize(actor, action, resource or "*", **kw)
    return org


def _org_for_update(org: Organization) -> Organization:
    """Serialize the organization's structural changes (row lock on PostgreSQL)."""
    return Organization.objects.select_for_update().get(pk=org.pk)


def _bump(account_ids: Sequence[str]) -> None:
    for account_id in sorted(set(account_ids)):
        cache.invalidate(account_id)


def _subtree_accounts(org: Organization, target_id: str) -> list[str]:
    """Accounts whose guardrails include ``target_id`` (a root, an OU or an account)."""
    if target_id == org.root_id:
        return list(Member.objects.filter(organization=org).values_list("account_id", flat=True))
    if OU_ID_RE.fullmatch(target_id):
        ou = OrganizationalUnit.objects.filter(organization=org, pk=target_id).first()
        if ou is None:
            return []
        ous = list(
            OrganizationalUnit.objects.filter(
                organization=org, path__startswith=ou.path
            ).values_list("id", flat=True)
        )
        return list(
            Member.objects.filter(organization=org, parent_id__in=ous).values_list(
                "account_id", flat=True
            )
        )
    return [target_id]


# ------------------------------------------------------------------ arns and lookups


def account_arn(org: Organization, account_id: str) -> str:
    return f"arn:aws:organizations::{org.management_account_id}:account/{org.id}/{account_id}"


def ou_arn(org: Organization, ou_id: str) -> str:
    return f"arn:aws:organizations::{org.management_account_id}:ou/{org.id}/{ou_id}"


def target_arn(org: Organization, target_id: str) -> str:
    if target_id == org.root_id or ROOT_ID_RE.fullmatch(target_id):
        return f"arn:aws:organizations::{org.management_account_id}:root/{org.id}/{target_id}"
    if OU_ID_RE.fullmatch(target_id):
        return ou_arn(org, target_id)
    return account_arn(org, target_id)


def _bad_pattern(reason: str = "INVALID_PATTERN") -> E.OrgError:
    """An id that does not match its pattern: InvalidInputException with ``reason``."""
    return E.invalid_input(reason, "You provided a value that does not match the required pattern.")


def _parent(
    org: Organization, parent_id: str, missing: type[E.OrgError] = E.ParentNotFound
) -> OrganizationalUnit | None:
    """None for the root; the OU otherwise."""
    if parent_id == org.root_id:
        return None
    if not (ROOT_ID_RE.fullmatch(parent_id) or OU_ID_RE.fullmatch(parent_id)):
        raise _bad_pattern()
    ou = OrganizationalUnit.objects.filter(organization=org, pk=parent_id).first()
    if ou is None:
        raise missing()
    return ou


def _ou(org: Organization, ou_id: str) -> OrganizationalUnit:
    if not OU_ID_RE.fullmatch(ou_id or ""):
        raise _bad_pattern()
    ou = OrganizationalUnit.objects.filter(organization=org, pk=ou_id).first()
    if ou is None:
        raise E.OrganizationalUnitNotFound()
    return ou


def _member(org: Organization, account_id: str) -> Member:
    if not ACCOUNT_ID_RE.fullmatch(account_id or ""):
        raise _bad_pattern()
    member = Member.objects.filter(organization=org, pk=account_id).first()
    if member is None:
        raise E.AccountNotFound()
    return member


def _policy(org: Organization, policy_id: str) -> OrgPolicy:
    if not POLICY_ID_RE.fullmatch(policy_id or ""):
        raise _bad_pattern("INVALID_SYNTAX_POLICY_ID")
    policy = OrgPolicy.objects.filter(pk=policy_id).first()
    if policy is None or (policy.organization_id not in (None, org.id)):
        raise E.PolicyNotFound()
    return policy


def _policy_type(value: str) -> str:
    if value not in POLICY_TYPES:
        # Other types (tag, backup, AI opt-out… policies) exist in AWS but not here.
        raise E.invalid_input("INVALID_ENUM_POLICY_TYPE", "You specified an invalid value.")
    return value


def _check_length(value: str | None, member: str, low: int, high: int) -> str:
    value = value or ""
    if len(value) < low:
        raise E.invalid_input(
            "MIN_LENGTH_EXCEEDED", f"You provided a value for {member} that is too short."
        )  # unrecorded
    if len(value) > high:
        raise E.invalid_input(
            "MAX_LENGTH_EXCEEDED", f"You provided a value for {member} that is too long."
        )  # unrecorded
    return value


def _aws_managed(policy_type: str) -> OrgPolicy:
    """FullAWSAccess / RCPFullAWSAccess: AWS-managed, shared by every organization."""
    policy, _ = OrgPolicy.objects.get_or_create(
        pk=DEFAULT_POLICY[policy_type],
        defaults={
            "organization": None,
            "type": policy_type,
            "name": FULL_ACCESS_NAME[policy_type],
            "description": FULL_ACCESS_DESCRIPTION[policy_type],
            "content": FULL_ACCESS_CONTENT[policy_type],
        },
    )
    return policy


def _attach_defaults(org: Organization, target_id: str) -> None:
    """A new OU or account gets each enabled type's AWS-managed policy, as in AWS."""
    for policy_type in org.policy_types:
        OrgPolicyAttachment.objects.get_or_create(
            organization=org,
            policy=_aws_managed(policy_type),
            target_id=target_id,
            defaults={"policy_type": policy_type},
        )


def root_email(account_id: str) -> str:
    email = (
        ConsoleUser.objects.filter(account_id=account_id, is_root=True)
        .values_list("email", flat=True)
        .first()
    )
    return email or f"{account_id}@invalid"


def _join(org: Organization, account: Account, *, method: str, name: str, email: str) -> Member:
    member = Member(
        account=account,
        organization=org,
        parent_id=org.root_id,
        name=name,
        email=email,
        joined_method=method,
        joined=timezone.now(),
    )
    try:
        with transaction.atomic():
            member.save(force_insert=True)
    except IntegrityError:
        raise E.HandshakeConstraintViolation(
            "The account is already a member of an organization.",
            Reason="ALREADY_IN_AN_ORGANIZATION",
        ) from None
    _attach_defaults(org, account.id)
    _bump([account.id])
    return member


# ------------------------------------------------------------------ paging


@dataclass(frozen=True)
class OrgPage:
    items: list[Any]
    next_token: str | None


def _page(items: Sequence[Any], next_token: str | None, max_results: int | None) -> OrgPage:
    """NextToken/MaxResults as AWS pages Organizations' lists (MaxResults 1..20)."""
    limit = DEFAULT_PAGE if max_results is None else max_results
    if limit < 1:
        raise E.invalid_input("MIN_VALUE_EXCEEDED", "You provided a value that is too small.")
    if limit > 20:
        raise E.invalid_input("MAX_VALUE_EXCEEDED", "You provided a value that is too large.")
    start = 0
    if next_token:
        try:
            start = int(next_token.removeprefix("n").split(".", 1)[0])
        except ValueError:
            start = -1
        if not next_token.startswith("n") or not 0 <= start <= len(items):
            raise E.invalid_input(
                "INVALID_NEXT_TOKEN", "The NextToken value is not valid."
            )  # unrecorded
    end = start + limit
    token = None
    if end < len(items):
        token = f"n{end}.{_rand(8)}"
    return OrgPage(list(items[start:end]), token)


# ------------------------------------------------------------------ organization


@org_operation("CreateOrganization")
def create_organization(*, actor: Principal, feature_set: str | None = "ALL") -> Organization:
    """CreateOrganization: the caller's account becomes the management account."""
    if feature_set not in (None, "ALL"):
        # Consolidated billing only organizations have no SCPs: not offered here.
        raise E.invalid_input("INVALID_ENUM", "You specified an invalid value.")
    _authorize(actor, "CreateOrganization", "*")
    if Member.objects.filter(pk=actor.account_id).exists():
        raise E.AlreadyInOrganization()
    account = Account.objects.get(pk=actor.account_id)
    root = "r-" + _rand(4)
    org = Organization(id="o-" + _rand(10), management_account=account, root_id=root)
    try:
        with transaction.atomic():
            org.save(force_insert=True)
            Member(
                account=account,
                organization=org,
                parent_id=root,
                name=account.alias or account.id,
                email=root_email(account.id),
                joined_method="INVITED",
                joined=timezone.now(),
            ).save(force_insert=True)
    except IntegrityError:
        raise E.AlreadyInOrganization() from None
    _bump([account.id])
    record_event(actor, "CreateOrganization", org.arn, event_source=SOURCE)
    return org


@org_operation("DescribeOrganization")
def describe_organization(*, actor: Principal) -> Organization:
    _authorize(actor, "DescribeOrganization", "*")  # IAM decides first, as in AWS
    return _membership(actor).organization


@org_operation("DeleteOrganization")
def delete_organization(*, actor: Principal) -> None:
    org = _org_for_update(_managed_org(actor, "DeleteOrganization"))
    if Member.objects.filter(organization=org).exclude(pk=org.management_account_id).exists():
        raise E.OrganizationNotEmpty()
    arn = org.arn
    org.delete()
    _bump([actor.account_id])
    record_event(actor, "DeleteOrganization", arn, event_source=SOURCE)


@org_operation("ListRoots")
def list_roots(
    *, actor: Principal, next_token: str | None = None, max_results: int | None = None
) -> tuple[Organization, OrgPage]:
    org = _managed_org(actor, "ListRoots")
    return org, _page([org.root_id], next_token, max_results)


@org_operation("EnablePolicyType")
def enable_policy_type(*, actor: Principal, root_id: str, policy_type: str) -> Organization:
    """EnablePolicyType: attaches the type's AWS-managed policy to the root and every OU
    and account ("FullAWSAccess is attached to every root, OU, and account")."""
    org = _membership(actor).organization
    arn = target_arn(org, root_id)
    org = _managed_org(actor, "EnablePolicyType", arn)
    if root_id != org.root_id:
        if not ROOT_ID_RE.fullmatch(root_id or ""):
            raise _bad_pattern()
        raise E.RootNotFound()
    policy_type = _policy_type(policy_type)
    org = _org_for_update(org)
    if org.enabled(policy_type):
        raise E.PolicyTypeAlreadyEnabled()
    org.policy_types = [*org.policy_types, policy_type]
    org.save(update_fields=["policy_types"])
    policy = _aws_managed(policy_type)
    targets = [
        org.root_id,
        *OrganizationalUnit.objects.filter(organization=org).values_list("id", flat=True),
        *Member.objects.filter(organization=org).values_list("account_id", flat=True),
    ]
    OrgPolicyAttachment.objects.bulk_create(
        [
            OrgPolicyAttachment(
                organization=org, policy=policy, policy_type=policy_type, target_id=t
            )
            for t in targets
        ]
    )
    _bump(_subtree_accounts(org, org.root_id))
    record_event(
        actor,
        "EnablePolicyType",
        arn,
        request={"RootId": root_id, "PolicyType": policy_type},
        event_source=SOURCE,
    )
    return org


@org_operation("DisablePolicyType")
def disable_policy_type(*, actor: Principal, root_id: str, policy_type: str) -> Organization:
    """DisablePolicyType: every policy of the type is detached from every entity."""
    org = _membership(actor).organization
    arn = target_arn(org, root_id)
    org = _managed_org(actor, "DisablePolicyType", arn)
    if root_id != org.root_id:
        if not ROOT_ID_RE.fullmatch(root_id or ""):
            raise _bad_pattern()
        raise E.RootNotFound()
    policy_type = _policy_type(policy_type)
    org = _org_for_update(org)
    if not org.enabled(policy_type):
        raise E.PolicyTypeNotEnabled()
    org.policy_types = [t for t in org.policy_types if t != policy_type]
    org.save(update_fields=["policy_types"])
    OrgPolicyAttachment.objects.filter(organization=org, policy_type=policy_type).delete()
    _bump(_subtree_accounts(org, org.root_id))
    record_event(
        actor,
        "DisablePolicyType",
        arn,
        request={"RootId": root_id, "PolicyType": policy_type},
        event_source=SOURCE,
    )
    return org


# ------------------------------------------------------------------ organizational units


@org_operation("CreateOrganizationalUnit")
def create_organizational_unit(
    *, actor: Principal, parent_id: str, name: str, tags: Sequence[Any] | None = None
) -> OrganizationalUnit:
    org = _membership(actor).organization
    wanted = check_tags(tags)
    org = _managed_org(
        actor,
        "CreateOrganizationalUnit",
        target_arn(org, parent_id or ""),
        context=tag_context(wanted),
    )
    name = _check_length(name, "Name", 1, 128)
    parent = _parent(org, parent_id)
    org = _org_for_update(org)
    depth = 1 if parent is None else parent.depth + 1
    if depth > MAX_OU_DEPTH:
        raise E.constraint(
            "OU_DEPTH_LIMIT_EXCEEDED",
            "You have exceeded the limit of OU nesting depth in your organization.",
        )  # AWS's text is not recorded; the reason code is the model's.
    if OrganizationalUnit.objects.filter(organization=org).count() >= MAX_OUS:
        raise E.constraint(
            "OU_NUMBER_LIMIT_EXCEEDED",
            "You have exceeded the limit of OUs in your organization.",
        )  # unrecorded text
    ou_id = f"ou-{org.root_id[2:]}-{_rand(8)}"
    ou = OrganizationalUnit(
        id=ou_id,
        organization=org,
        parent_id=parent_id,
        name=name,
        path=(parent.path if parent else org.root_id + "/") + ou_id + "/",
        depth=depth,
    )
    try:
        with transaction.atomic():
            ou.save(force_insert=True)
    except IntegrityError:
        raise E.DuplicateOrganizationalUnit() from None
    _attach_defaults(org, ou.id)
    _store_tags(org, ou.id, wanted)
    record_event(
        actor,
        "CreateOrganizationalUnit",
        ou.arn,
        request={"ParentId": parent_id, "Name": name},
        event_source=SOURCE,
    )
    return ou


@org_operation("DescribeOrganizationalUnit")
def describe_organizational_unit(*, actor: Principal, ou_id: str) -> OrganizationalUnit:
    org = _membership(actor).organization
    org = _managed_org(actor, "DescribeOrganizationalUnit", ou_arn(org, ou_id or ""))
    return _ou(org, ou_id)


@org_operation("UpdateOrganizationalUnit")
def update_organizational_unit(
    *, actor: Principal, ou_id: str, name: str | None = None
) -> OrganizationalUnit:
    org = _membership(actor).organization
    org = _managed_org(actor, "UpdateOrganizationalUnit", ou_arn(org, ou_id or ""))
    ou = _ou(org, ou_id)
    if name is not None:
        ou.name = _check_length(name, "Name", 1, 128)
        try:
            with transaction.atomic():
                ou.save(update_fields=["name"])
        except IntegrityError:
            raise E.DuplicateOrganizationalUnit() from None
    record_event(
        actor,
        "UpdateOrganizationalUnit",
        ou.arn,
        request={"OrganizationalUnitId": ou_id, "Name": name},
        event_source=SOURCE,
    )
    return ou


@org_operation("DeleteOrganizationalUnit")
def delete_organizational_unit(*, actor: Principal, ou_id: str) -> None:
    org = _membership(actor).organization
    org = _managed_org(actor, "DeleteOrganizationalUnit", ou_arn(org, ou_id or ""))
    org = _org_for_update(org)
    ou = _ou(org, ou_id)
    if (
        OrganizationalUnit.objects.filter(organization=org, parent_id=ou.id).exists()
        or Member.objects.filter(organization=org, parent_id=ou.id).exists()
    ):
        raise E.OrganizationalUnitNotEmpty()
    OrgPolicyAttachment.objects.filter(organization=org, target_id=ou.id).delete()
    _drop_tags(org, ou.id)
    arn = ou.arn
    ou.delete()
    record_event(
        actor,
        "DeleteOrganizationalUnit",
        arn,
        request={"OrganizationalUnitId": ou_id},
        event_source=SOURCE,
    )


@org_operation("ListOrganizationalUnitsForParent")
def list_organizational_units_for_parent(
    *,
    actor: Principal,
    parent_id: str,
    next_token: str | None = None,
    max_results: int | None = None,
) -> OrgPage:
    org = _membership(actor).organization
    org = _managed_org(actor, "ListOrganizationalUnitsForParent", target_arn(org, parent_id or ""))
    _parent(org, parent_id)
    ous = list(
        OrganizationalUnit.objects.filter(organization=org, parent_id=parent_id).select_related(
            "organization"
        )
    )
    return _page(ous, next_token, max_results)


# ------------------------------------------------------------------ accounts


@org_operation("ListAccounts")
def list_accounts(
    *, actor: Principal, next_token: str | None = None, max_results: int | None = None
) -> OrgPage:
    org = _managed_org(actor, "ListAccounts")
    members = list(Member.objects.filter(organization=org).select_related("organization"))
    return _page(members, next_token, max_results)


@org_operation("ListAccountsForParent")
def list_accounts_for_parent(
    *,
    actor: Principal,
    parent_id: str,
    next_token: str | None = None,
    max_results: int | None = None,
) -> OrgPage:
    org = _membership(actor).organization
    org = _managed_org(actor, "ListAccountsForParent", target_arn(org, parent_id or ""))
    _parent(org, parent_id)
    members = list(
        Member.objects.filter(organization=org, parent_id=parent_id).select_related("organization")
    )
    return _page(members, next_token, max_results)


@org_operation("DescribeAccount")
def describe_account(*, actor: Principal, account_id: str) -> Member:
    org = _membership(actor).organization
    org = _managed_org(actor, "DescribeAccount", account_arn(org, account_id or ""))
    return _member(org, account_id)


@org_operation("ListParents")
def list_parents(
    *,
    actor: Principal,
    child_id: str,
    next_token: str | None = None,
    max_results: int | None = None,
) -> tuple[Organization, OrgPage]:
    """ListParents: the one parent (root or OU) of an account or OU."""
    org = _membership(actor).organization
    org = _managed_org(actor, "ListParents", target_arn(org, child_id or ""))
    if ACCOUNT_ID_RE.fullmatch(child_id or ""):
        member = Member.objects.filter(organization=org, pk=child_id).first()
        if member is None:
            raise E.ChildNotFound()
        parent = member.parent_id
    elif OU_ID_RE.fullmatch(child_id or ""):
        ou = OrganizationalUnit.objects.filter(organization=org, pk=child_id).first()
        if ou is None:
            raise E.ChildNotFound()
        parent = ou.parent_id
    else:
        raise _bad_pattern()
    return org, _page([parent], next_token, max_results)


@org_operation("ListChildren")
def list_children(
    *,
    actor: Principal,
    parent_id: str,
    child_type: str,
    next_token: str | None = None,
    max_results: int | None = None,
) -> OrgPage:
    """ListChildren: the ids of the accounts or OUs directly under a root or OU."""
    org = _membership(actor).organization
    org = _managed_org(actor, "ListChildren", target_arn(org, parent_id or ""))
    _parent(org, parent_id)
    if child_type == "ACCOUNT":
        ids = list(
            Member.objects.filter(organization=org, parent_id=parent_id).values_list(
                "account_id", flat=True
            )
        )
    elif child_type == "ORGANIZATIONAL_UNIT":
        ids = list(
            OrganizationalUnit.objects.filter(organization=org, parent_id=parent_id).values_list(
                "id", flat=True
            )
        )
    else:
        raise E.invalid_input("INVALID_ENUM", "You specified an invalid value.")
    return _page(ids, next_token, max_results)


@org_operation("MoveAccount")
def move_account(
    *, actor: Principal, account_id: str, source_parent_id: str, destination_parent_id: str
) -> Member:
    org = _membership(actor).organization
    org = _managed_org(actor, "MoveAccount", account_arn(org, account_id or ""))
    # AWS's reference lists the source and destination roots/OUs as resources too.
    _authorize(actor, "MoveAccount", target_arn(org, destination_parent_id or ""))
    org = _org_for_update(org)
    member = _member(org, account_id)
    _parent(org, source_parent_id, E.SourceParentNotFound)
    _parent(org, destination_parent_id, E.DestinationParentNotFound)
    if member.parent_id != source_parent_id:
        raise E.SourceParentNotFound()
    if member.parent_id == destination_parent_id:
        raise E.DuplicateAccount()
    member.parent_id = destination_parent_id
    member.save(update_fields=["parent_id"])
    _bump([member.account_id])
    record_event(
        actor,
        "MoveAccount",
        member.arn,
        request={
            "AccountId": account_id,
            "SourceParentId": source_parent_id,
            "DestinationParentId": destination_parent_id,
        },
        event_source=SOURCE,
    )
    return member


def _new_account(email: str) -> Account | None:
    """A new account of this installation whose root nobody can sign in as until they
    reset its password; None when the email already names an account's root."""
    username = f"root:{email.lower()}"
    if ConsoleUser.objects.filter(username=username).exists():
        return None
    for _ in range(20):
        new_id = random_account_id()
        if Account.objects.filter(pk=new_id).exists():
            continue
        try:
            with transaction.atomic():
                account = Account(id=new_id)
                account.save(force_insert=True)
                root = ConsoleUser(username=username, account=account, is_root=True, email=email)
                root.set_unusable_password()
                root.save(force_insert=True)
                return account
        except IntegrityError:
            if ConsoleUser.objects.filter(username=username).exists():
                return None
    return None


def access_role_trust_policy(management_account_id: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{management_account_id}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


@org_operation("CreateAccount")
def create_account(
    *,
    actor: Principal,
    email: str,
    account_name: str,
    role_name: str | None = None,
    iam_user_access_to_billing: str | None = None,
    tags: Sequence[Any] | None = None,
) -> CreateAccountRequest:
    """CreateAccount: a new account of this installation, in the organization's root,
    with ``OrganizationAccountAccessRole`` (or RoleName) trusting the management account
    and carrying AdministratorAccess, as AWS creates it. AWS completes the request
    asynchronously; here it is done when the call returns (SUCCEEDED, or FAILED with
    EMAIL_ALREADY_EXISTS). ``tags`` go on the new account; "If any one of the tags is not
    valid or if you exceed the maximum allowed number of tags for an account, then the
    entire request fails and the account is not created" (CreateAccount's Tags)."""
    wanted = check_tags(tags)
    org = _managed_org(actor, "CreateAccount", context=tag_context(wanted))
    email = _check_length(email, "Email", 6, 64)
    if not EMAIL_RE.fullmatch(email):
        raise _bad_pattern()
    account_name = _check_length(account_name, "AccountName", 1, 128)
    role_name = role_name or "OrganizationAccountAccessRole"
    if not ROLE_NAME_RE.fullmatch(role_name):
        raise E.invalid_input("INVALID_ROLE_NAME", "You provided a role name that isn't valid.")
    if iam_user_access_to_billing not in (None, "ALLOW", "DENY"):
        raise E.invalid_input("INVALID_ENUM", "You specified an invalid value.")
    now = timezone.now()
    request = CreateAccountRequest(
        id="car-" + _rand(8),
        organization=org,
        account_name=account_name,
        state="IN_PROGRESS",
        requested=now,
    )
    account = _new_account(email)
    if account is None:
        request.state, request.failure_reason = "FAILED", "EMAIL_ALREADY_EXISTS"
    else:
        # The role first, as its new root (the account is not yet under any SCP).
        owner = root_principal(account.id, source_ip=actor.source_ip, via=actor.via)
        create_role(
            actor=owner,
            name=role_name,
            trust_policy=access_role_trust_policy(org.management_account_id),
        )
        attach_role_policy(
            actor=owner,
            role_name=role_name,
            policy_arn="arn:aws:iam::aws:policy/AdministratorAccess",
        )
        _join(org, account, method="CREATED", name=account_name, email=email)
        _store_tags(org, account.id, wanted)
        request.state, request.account_id = "SUCCEEDED", account.id
    request.completed = timezone.now()
    request.save(force_insert=True)
    record_event(
        actor,
        "CreateAccount",
        account_arn(org, request.account_id) if request.account_id else org.arn,
        request={"AccountName": account_name, "RoleName": role_name},
        event_source=SOURCE,
    )
    return request


@org_operation("DescribeCreateAccountStatus")
def describe_create_account_status(*, actor: Principal, request_id: str) -> CreateAccountRequest:
    org = _managed_org(actor, "DescribeCreateAccountStatus")
    if not CAR_ID_RE.fullmatch(request_id or ""):
        raise _bad_pattern()
    found = CreateAccountRequest.objects.filter(organization=org, pk=request_id).first()
    if found is None:
        raise E.CreateAccountStatusNotFound()
    return found


@org_operation("ListCreateAccountStatus")
def list_create_account_status(
    *,
    actor: Principal,
    states: Sequence[str] | None = None,
    next_token: str | None = None,
    max_results: int | None = None,
) -> OrgPage:
    org = _managed_org(actor, "ListCreateAccountStatus")
    qs = CreateAccountRequest.objects.filter(organization=org)
    if states:
        if any(s not in ("IN_PROGRESS", "SUCCEEDED", "FAILED") for s in states):
            raise E.invalid_input("INVALID_ENUM", "You specified an invalid value.")
        qs = qs.filter(state__in=list(states))
    return _page(list(qs), next_token, max_results)


@org_operation("RemoveAccountFromOrganization")
def remove_account_from_organization(*, actor: Principal, account_id: str) -> None:
    org = _membership(actor).organization
    org = _managed_org(actor, "RemoveAccountFromOrganization", account_arn(org, account_id or ""))
    org = _org_for_update(org)
    member = _member(org, account_id)
    if member.account_id == org.management_account_id:
        raise E.MasterCannotLeave()
    _leave(org, member)
    record_event(
        actor,
        "RemoveAccountFromOrganization",
        account_arn(org, account_id),
        request={"AccountId": account_id},
        event_source=SOURCE,
    )


def _leave(org: Organization, member: Member) -> None:
    account_id = member.account_id  # delete() clears the primary key
    OrgPolicyAttachment.objects.filter(organization=org, target_id=account_id).delete()
    # The account's tags are the organization's record of it: they go with the membership
    # (AWS's documentation does not say what becomes of them; a later organization starts
    # with none).
    _drop_tags(org, account_id)
    member.delete()
    _bump([account_id])


@org_operation("LeaveOrganization")
def leave_organization(*, actor: Principal) -> None:
    member = _membership(actor)
    org = member.organization
    if org.management_account_id == actor.account_id:
        raise E.MasterCannotLeave()
    _authorize(actor, "LeaveOrganization", "*")
    _leave(org, member)
    record_event(actor, "LeaveOrganization", org.arn, event_source=SOURCE)


@org_operation("CloseAccount")
def close_account(*, actor: Principal, account_id: str) -> Member:
    """CloseAccount: the account stays in the organization, SUSPENDED (AWS keeps a closed
    account 90 days before it is gone)."""
    org = _membership(actor).organization
    org = _managed_org(actor, "CloseAccount", account_arn(org, account_id or ""))
    member = _member(org, account_id)
    if member.account_id == org.management_account_id:
        raise E.constraint(
            "CANNOT_CLOSE_MANAGEMENT_ACCOUNT",
            "You can't close the management account with this operation.",
        )  # unrecorded text
    if member.status == Member.SUSPENDED:
        raise E.AccountAlreadyClosed()
    member.status = Member.SUSPENDED
    member.save(update_fields=["status"])
    # Its principals and resources are refused from the next request on
    # (organizations/guardrails.py adds the closed account's deny-all levels).
    _bump([member.account_id])
    record_event(
        actor, "CloseAccount", member.arn, request={"AccountId": account_id}, event_source=SOURCE
    )
    return member


# ------------------------------------------------------------------ handshakes


def handshake_state(h: Handshake, now: datetime | None = None) -> str:
    if h.state == Handshake.OPEN and (now or timezone.now()) >= h.expires:
        return Handshake.EXPIRED
    return h.state


@org_operation("InviteAccountToOrganization")
def invite_account_to_organization(
    *,
    actor: Principal,
    target_id: str,
    target_type: str,
    notes: str | None = None,
    tags: Sequence[Any] | None = None,
) -> Handshake:
    """InviteAccountToOrganization. ``tags`` are kept with the invitation and attached to
    the account when it accepts (botocore: tag policy compliance "is not checked again when
    the invitation is accepted and the tags are actually attached to the account")."""
    wanted = check_tags(tags)
    org = _managed_org(actor, "InviteAccountToOrganization", "*", context=tag_context(wanted))
    notes = _check_length(notes, "Notes", 0, 1024)
    if target_type == "ACCOUNT":
        if not ACCOUNT_ID_RE.fullmatch(target_id or ""):
            raise _bad_pattern()
        account_id = target_id
        exists = Account.objects.filter(pk=account_id).exists()
    elif target_type == "EMAIL":
        account_id = (
            ConsoleUser.objects.filter(username=f"root:{(target_id or '').lower()}", is_root=True)
            .values_list("account_id", flat=True)
            .first()
        ) or ""
        exists = bool(account_id)
    else:
        raise E.invalid_input("INVALID_PARTY_TYPE_TARGET", "You specified an invalid value.")
    if not exists:
        raise E.AccountNotFound()
    _authorize(actor, "InviteAccountToOrganization", account_arn(org, account_id))
    if Member.objects.filter(pk=account_id).exists():
        raise E.HandshakeConstraintViolation(
            "The account is already a member of an organization.",
            Reason="ALREADY_IN_AN_ORGANIZATION",
        )  # the model's reason; AWS's text unrecorded
    now = timezone.now()
    # An expired invitation no longer counts as open.
    Handshake.objects.filter(
        organization=org, account_id=account_id, state=Handshake.OPEN, expires__lte=now
    ).update(state=Handshake.EXPIRED)
    h = Handshake(
        id="h-" + _rand(10),
        organization=org,
        account_id=account_id,
        notes=notes,
        requested=now,
        expires=now + timedelta(days=HANDSHAKE_DAYS),
        tags=[{"Key": k, "Value": v} for k, v in wanted.items()],
    )
    try:
        with transaction.atomic():
            h.save(force_insert=True)
    except IntegrityError:
        raise E.DuplicateHandshake() from None
    record_event(
        actor,
        "InviteAccountToOrganization",
        h.arn,
        request={"Target": {"Id": target_id, "Type": target_type}},
        event_source=SOURCE,
    )
    return h


def _handshake(handshake_id: str) -> Handshake:
    if not HANDSHAKE_ID_RE.fullmatch(handshake_id or ""):
        raise _bad_pattern()
    h = (
        Handshake.objects.select_for_update()
        .select_related("organization")
        .filter(pk=handshake_id)
        .first()
    )
    if h is None:
        raise E.HandshakeNotFound()
    return h


def _transition(h: Handshake, to: str) -> None:
    state = handshake_state(h)
    if state == to:
        raise E.HandshakeAlreadyInState()
    if state != Handshake.OPEN:
        raise E.InvalidHandshakeTransition()
    h.state = to
    h.save(update_fields=["state"])


def _invited(actor: Principal, handshake_id: str, action: str) -> Handshake:
    h = _handshake(handshake_id)
    if h.account_id != actor.account_id:
        if h.organization.management_account_id == actor.account_id:
            raise E.AccessDeniedException(action=f"organizations:{action}", resource=h.arn)
        raise E.HandshakeNotFound()
    _authorize(actor, action, h.arn, own=True)
    return h


@org_operation("AcceptHandshake")
def accept_handshake(*, actor: Principal, handshake_id: str) -> Handshake:
    h = _invited(actor, handshake_id, "AcceptHandshake")
    if Member.objects.filter(pk=actor.account_id).exists() and handshake_state(h) == Handshake.OPEN:
        raise E.HandshakeConstraintViolation(
            "The account is already a member of an organization.",
            Reason="ALREADY_IN_AN_ORGANIZATION",
        )
    _transition(h, Handshake.ACCEPTED)
    account = Account.objects.get(pk=actor.account_id)
    _join(
        h.organization,
        account,
        method="INVITED",
        name=account.alias or account.id,
        email=root_email(account.id),
    )
    _store_tags(h.organization, account.id, {t["Key"]: t["Value"] for t in h.tags})
    record_event(
        actor, "AcceptHandshake", h.arn, request={"HandshakeId": handshake_id}, event_source=SOURCE
    )
    return h


@org_operation("DeclineHandshake")
def decline_handshake(*, actor: Principal, handshake_id: str) -> Handshake:
    h = _invited(actor, handshake_id, "DeclineHandshake")
    _transition(h, Handshake.DECLINED)
    record_event(
        actor, "DeclineHandshake", h.arn, request={"HandshakeId": handshake_id}, event_source=SOURCE
    )
    return h


@org_operation("CancelHandshake")
def cancel_handshake(*, actor: Principal, handshake_id: str) -> Handshake:
    h = _handshake(handshake_id)
    if h.organization.management_account_id != actor.account_id:
        if h.account_id == actor.account_id:
            raise E.AccessDeniedException(action="organizations:CancelHandshake", resource=h.arn)
        raise E.HandshakeNotFound()
    _authorize(actor, "CancelHandshake", h.arn)
    _transition(h, Handshake.CANCELED)
    record_event(
        actor, "CancelHandshake", h.arn, request={"HandshakeId": handshake_id}, event_source=SOURCE
    )
    return h


@org_operation("DescribeHandshake")
def describe_handshake(*, actor: Principal, handshake_id: str) -> Handshake:
    if not HANDSHAKE_ID_RE.fullmatch(handshake_id or ""):
        raise _bad_pattern()
    h = Handshake.objects.select_related("organization").filter(pk=handshake_id).first()
    if h is None or actor.account_id not in (h.account_id, h.organization.management_account_id):
        raise E.HandshakeNotFound()
    _authorize(actor, "DescribeHandshake", h.arn, own=True)
    return h


def _handshake_filter(qs: Any, action_type: str | None) -> Any:
    if action_type is not None and action_type != "INVITE":
        # The other handshake kinds (enable all features, …) never occur here.
        return qs.none()
    return qs


@org_operation("ListHandshakesForAccount")
def list_handshakes_for_account(
    *,
    actor: Principal,
    action_type: str | None = None,
    next_token: str | None = None,
    max_results: int | None = None,
) -> OrgPage:
    _authorize(actor, "ListHandshakesForAccount", "*")
    qs = Handshake.objects.filter(account_id=actor.account_id).select_related("organization")
    return _page(list(_handshake_filter(qs, action_type)), next_token, max_results)


@org_operation("ListHandshakesForOrganization")
def list_handshakes_for_organization(
    *,
    actor: Principal,
    action_type: str | None = None,
    next_token: str | None = None,
    max_results: int | None = None,
) -> OrgPage:
    org = _managed_org(actor, "ListHandshakesForOrganization")
    qs = Handshake.objects.filter(organization=org).select_related("organization")
    return _page(list(_handshake_filter(qs, action_type)), next_token, max_results)


# ------------------------------------------------------------------ policies


def check_policy_content(content: str, policy_type: str) -> str:
    """AWS's size quota (5,120 characters, counted as stored) and the policy grammar
    (the engine's validator for the SCP or RCP type: its ERROR findings)."""
    if not content:
        raise E.invalid_input(
            "INPUT_REQUIRED", "You must specify a value for Content."
        )  # unrecorded
    if len(content) > MAX_POLICY_CHARS:
        raise E.constraint(
            "POLICY_CONTENT_LIMIT_EXCEEDED",
            "You have exceeded the maximum size of the policy document.",
        )  # reason from the model; text unrecorded
    errors = [f for f in validate(content, policy_type) if f.type == ERROR]
    if errors:
        raise E.MalformedPolicyDocument()
    return content


def policy_errors(content: str, policy_type: str) -> list[str]:
    """The validator's ERROR findings, for the console's editor (no exception)."""
    return [f.message for f in validate(content, policy_type) if f.type == ERROR]


@org_operation("CreatePolicy")
def create_policy(
    *,
    actor: Principal,
    content: str,
    description: str,
    name: str,
    policy_type: str,
    tags: Sequence[Any] | None = None,
) -> tuple[Organization, OrgPolicy]:
    org = _management_org(actor, "CreatePolicy")
    wanted = check_tags(tags)
    policy_type = _policy_type(policy_type)
    policy_id = "p-" + _rand(8)
    policy = OrgPolicy(
        id=policy_id,
        organization=org,
        type=policy_type,
        name=_check_length(name, "Name", 1, 128),
        description=_check_length(description, "Description", 0, 512),
        content=check_policy_content(content, policy_type),
    )
    _authorize(
        actor,
        "CreatePolicy",
        policy.arn_in(org),
        context={"organizations:PolicyType": policy_type, **tag_context(wanted)},
    )
    org = _org_for_update(org)
    if OrgPolicy.objects.filter(organization=org, type=policy_type).count() >= MAX_POLICIES:
        raise E.constraint(
            "POLICY_NUMBER_LIMIT_EXCEEDED",
            "You have exceeded the number of policies of this type in your organization.",
        )  # unrecorded text
    try:
        with transaction.atomic():
            policy.save(force_insert=True)
    except IntegrityError:
        raise E.DuplicatePolicy() from None
    _store_tags(org, policy.id, wanted)
    record_event(
        actor,
        "CreatePolicy",
        policy.arn_in(org),
        request={"Name": name, "Type": policy_type},
        event_source=SOURCE,
    )
    return org, policy


def _policy_for(actor: Principal, action: str, policy_id: str) -> tuple[Organization, OrgPolicy]:
    org = _management_org(actor, action)
    policy = _policy(org, policy_id)
    _authorize(actor, action, policy.arn_in(org), context={"organizations:PolicyType": policy.type})
    return org, policy


@org_operation("DescribePolicy")
def describe_policy(*, actor: Principal, policy_id: str) -> tuple[Organization, OrgPolicy]:
    return _policy_for(actor, "DescribePolicy", policy_id)


@org_operation("UpdatePolicy")
def update_policy(
    *,
    actor: Principal,
    policy_id: str,
    name: str | None = None,
    description: str | None = None,
    content: str | None = None,
) -> tuple[Organization, OrgPolicy]:
    org, policy = _policy_for(actor, "UpdatePolicy", policy_id)
    if policy.aws_managed:
        raise E.invalid_input(
            "IMMUTABLE_POLICY",
            "You specified a policy that is managed by AWS and can't be modified.",
        )
    if name is not None:
        policy.name = _check_length(name, "Name", 1, 128)
    if description is not None:
        policy.description = _check_length(description, "Description", 0, 512)
    changed = content is not None and content != policy.content
    if content is not None:
        policy.content = check_policy_content(content, policy.type)
    try:
        with transaction.atomic():
            policy.save(update_fields=["name", "description", "content"])
    except IntegrityError:
        raise E.DuplicatePolicy() from None
    if changed:
        targets = OrgPolicyAttachment.objects.filter(policy=policy).values_list(
            "target_id", flat=True
        )
        _bump([a for t in targets for a in _subtree_accounts(org, t)])
    record_event(
        actor,
        "UpdatePolicy",
        policy.arn_in(org),
        request={"PolicyId": policy_id, "Name": name},
        event_source=SOURCE,
    )
    return org, policy


@org_operation("DeletePolicy")
def delete_policy(*, actor: Principal, policy_id: str) -> None:
    org, policy = _policy_for(actor, "DeletePolicy", policy_id)
    if policy.aws_managed:
        raise E.invalid_input(
            "IMMUTABLE_POLICY",
            "You specified a policy that is managed by AWS and can't be modified.",
        )
    if OrgPolicyAttachment.objects.filter(policy=policy).exists():
        raise E.PolicyInUse()
    arn = policy.arn_in(org)
    _drop_tags(org, policy.id)
    policy.delete()
    record_event(actor, "DeletePolicy", arn, request={"PolicyId": policy_id}, event_source=SOURCE)


@org_operation("ListPolicies")
def list_policies(
    *,
    actor: Principal,
    policy_filter: str,
    next_token: str | None = None,
    max_results: int | None = None,
) -> tuple[Organization, OrgPage]:
    org = _managed_org(actor, "ListPolicies")
    policy_type = _policy_type(policy_filter)
    qs = OrgPolicy.objects.filter(type=policy_type, organization=org)
    policies = [_aws_managed(policy_type), *qs]
    return org, _page(policies, next_token, max_results)


def _target(org: Organization, target_id: str) -> str:
    """Check a policy target exists: the root, an OU or an account of ``org``."""
    if target_id == org.root_id:
        return target_id
    if OU_ID_RE.fullmatch(target_id or ""):
        if not OrganizationalUnit.objects.filter(organization=org, pk=target_id).exists():
            raise E.TargetNotFound()
        return target_id
    if ACCOUNT_ID_RE.fullmatch(target_id or ""):
        if not Member.objects.filter(organization=org, pk=target_id).exists():
            raise E.TargetNotFound()
        return target_id
    if ROOT_ID_RE.fullmatch(target_id or ""):
        raise E.TargetNotFound()
    raise E.invalid_input(
        "INVALID_PATTERN_TARGET_ID",
        "You provided a value that does not match the required pattern.",
    )


@org_operation("AttachPolicy")
def attach_policy(*, actor: Principal, policy_id: str, target_id: str) -> None:
    org, policy = _policy_for(actor, "AttachPolicy", policy_id)
    ctx = {"organizations:PolicyType": policy.type}
    _authorize(actor, "AttachPolicy", target_arn(org, target_id or ""), context=ctx)
    org = _org_for_update(org)
    target_id = _target(org, target_id)
    if not org.enabled(policy.type):
        raise E.PolicyTypeNotEnabled()
    attached = OrgPolicyAttachment.objects.filter(
        organization=org, target_id=target_id, policy_type=policy.type
    )
    if attached.filter(policy=policy).exists():
        raise E.DuplicatePolicyAttachment()
    if attached.count() >= MAX_ATTACHED:
        raise E.constraint(
            "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
            "You have attached the maximum number of policies of this type to the specified "
            "target.",
        )  # unrecorded text
    try:
        with transaction.atomic():
            OrgPolicyAttachment(
                organization=org, policy=policy, policy_type=policy.type, target_id=target_id
            ).save(force_insert=True)
    except IntegrityError:
        raise E.DuplicatePolicyAttachment() from None
    _bump(_subtree_accounts(org, target_id))
    record_event(
        actor,
        "AttachPolicy",
        policy.arn_in(org),
        request={"PolicyId": policy_id, "TargetId": target_id},
        event_source=SOURCE,
    )


@org_operation("DetachPolicy")
def detach_policy(*, actor: Principal, policy_id: str, target_id: str) -> None:
    org, policy = _policy_for(actor, "DetachPolicy", policy_id)
    ctx = {"organizations:PolicyType": policy.type}
    _authorize(actor, "DetachPolicy", target_arn(org, target_id or ""), context=ctx)
    org = _org_for_update(org)
    target_id = _target(org, target_id)
    if policy.id == RCP_FULL_AWS_ACCESS:
        # AWS: "You can't detach the RCPFullAWSAccess policy."
        raise E.invalid_input(
            "NON_DETACHABLE_POLICY", "You can't detach this AWS managed policy."
        )  # reason from the model; text unrecorded
    attached = OrgPolicyAttachment.objects.filter(
        organization=org, target_id=target_id, policy_type=policy.type
    )
    link = attached.filter(policy=policy).first()
    if link is None:
        raise E.PolicyNotAttached()
    if policy.type == SCP and attached.count() == 1:
        # AWS keeps at least one SCP on every root, OU and account while SCPs are enabled.
        raise E.constraint(
            "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
            "You can't detach the last policy of this type from the specified target.",
        )  # reason from the model; text unrecorded
    link.delete()
    _bump(_subtree_accounts(org, target_id))
    record_event(
        actor,
        "DetachPolicy",
        policy.arn_in(org),
        request={"PolicyId": policy_id, "TargetId": target_id},
        event_source=SOURCE,
    )


@org_operation("ListPoliciesForTarget")
def list_policies_for_target(
    *,
    actor: Principal,
    target_id: str,
    policy_filter: str,
    next_token: str | None = None,
    max_results: int | None = None,
) -> tuple[Organization, OrgPage]:
    org = _membership(actor).organization
    org = _managed_org(actor, "ListPoliciesForTarget", target_arn(org, target_id or ""))
    target_id = _target(org, target_id)
    policy_type = _policy_type(policy_filter)
    policies = [
        a.policy
        for a in OrgPolicyAttachment.objects.filter(
            organization=org, target_id=target_id, policy_type=policy_type
        ).select_related("policy")
    ]
    return org, _page(policies, next_token, max_results)


@dataclass(frozen=True)
class PolicyTarget:
    target_id: str
    arn: str
    name: str
    type: str  # ROOT | ORGANIZATIONAL_UNIT | ACCOUNT


@org_operation("ListTargetsForPolicy")
def list_targets_for_policy(
    *,
    actor: Principal,
    policy_id: str,
    next_token: str | None = None,
    max_results: int | None = None,
) -> OrgPage:
    org, policy = _policy_for(actor, "ListTargetsForPolicy", policy_id)
    ids = list(
        OrgPolicyAttachment.objects.filter(organization=org, policy=policy).values_list(
            "target_id", flat=True
        )
    )
    ous = dict(
        OrganizationalUnit.objects.filter(organization=org, pk__in=ids).values_list("id", "name")
    )
    members = dict(
        Member.objects.filter(organization=org, pk__in=ids).values_list("account_id", "name")
    )
    targets = []
    for t in ids:
        if t == org.root_id:
            targets.append(PolicyTarget(t, target_arn(org, t), "Root", "ROOT"))
        elif t in ous:
            targets.append(PolicyTarget(t, target_arn(org, t), ous[t], "ORGANIZATIONAL_UNIT"))
        elif t in members:
            targets.append(PolicyTarget(t, target_arn(org, t), members[t], "ACCOUNT"))
    return _page(targets, next_token, max_results)


# Referenced by the console (which SCP grants everything by default).
DEFAULT_SCP = FULL_AWS_ACCESS


# ------------------------------------------------------------------ IAM: access reports


def _statements(content: str) -> list[dict[str, Any]]:
    doc = json.loads(content)
    raw = doc.get("Statement", [])
    return [raw] if isinstance(raw, dict) else list(raw)


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def scp_services(contents: Sequence[str], all_services: frozenset[str]) -> frozenset[str]:
    """The service namespaces one level of SCPs lets principals use: named (or matched by a
    wildcard) in an Allow statement, minus those a Deny of ``<service>:*`` on every
    resource without conditions shuts entirely. An Allow with NotAction counts for every
    service (what it leaves out are actions, not services)."""
    allowed: set[str] = set()
    denied: set[str] = set()
    for content in contents:
        for st in _statements(content):
            if st.get("Effect") == "Allow":
                if "NotAction" in st:
                    allowed |= all_services
                for action in _listed(st.get("Action")):
                    prefix = action.split(":", 1)[0].lower()
                    allowed |= {s for s in all_services if fnmatch.fnmatchcase(s, prefix)}
            elif (
                st.get("Effect") == "Deny"
                and "Condition" not in st
                and _listed(st.get("Resource")) == ["*"]
            ):
                for action in _listed(st.get("Action")):
                    service, _, name = action.partition(":")
                    if name == "*" or action == "*":
                        denied |= {
                            s for s in all_services if fnmatch.fnmatchcase(s, service.lower())
                        }
    return frozenset(allowed - denied)


@dataclass(frozen=True)
class AccessDetail:
    namespace: str
    name: str
    entity_path: str | None
    last: datetime | None
    total: int


@dataclass(frozen=True)
class AccessReport:
    job: OrgAccessReport
    accessible: int
    not_accessed: int
    details: tuple[AccessDetail, ...]


def _resolve_entity_path(org: Organization, path: str) -> tuple[list[str], str | None]:
    """(root and OU ids, account id or None) of an entity path
    ``o-…/r-…[/ou-…]*[/<account>]``, each step a child of the one before."""
    parts = [p for p in path.split("/") if p]
    if len(parts) < 2 or parts[0] != org.id or parts[1] != org.root_id:
        raise IamNoSuchEntity(f"The entity path {path} does not exist.")  # unrecorded text
    chain = [org.root_id]
    account = None
    for i, step in enumerate(parts[2:]):
        if ACCOUNT_ID_RE.fullmatch(step) and i == len(parts) - 3:
            if not Member.objects.filter(organization=org, pk=step, parent_id=chain[-1]).exists():
                raise IamNoSuchEntity(f"The entity path {path} does not exist.")
            account = step
        elif OrganizationalUnit.objects.filter(
            organization=org, pk=step, parent_id=chain[-1]
        ).exists():
            chain.append(step)
        else:
            raise IamNoSuchEntity(f"The entity path {path} does not exist.")
    return chain, account


@operation("GenerateOrganizationsAccessReport")
def generate_organizations_access_report(
    *, actor: Principal, entity_path: str, policy_id: str | None = None
) -> OrgAccessReport:
    """GenerateOrganizationsAccessReport (IAM): only the management account may ask
    ("you must be signed in to the management account"); the job completes at once."""
    member = Member.objects.select_related("organization").filter(pk=actor.account_id).first()
    if member is None or member.organization.management_account_id != actor.account_id:
        raise AccessDenied(
            f"User: {actor.arn} is not authorized to perform: "
            "iam:GenerateOrganizationsAccessReport: the caller is not the management account "
            "of an organization",
            action="iam:GenerateOrganizationsAccessReport",
        )  # unrecorded text
    org = member.organization
    arn = f"arn:aws:iam::{actor.account_id}:access-report/{entity_path}"
    authorize(actor, "iam:GenerateOrganizationsAccessReport", arn)
    _resolve_entity_path(org, entity_path)
    if policy_id:
        try:
            _policy(org, policy_id)
        except E.OrgError:
            raise IamNoSuchEntity(f"Policy {policy_id} does not exist.") from None  # unrecorded
    now = timezone.now()
    job = OrgAccessReport(
        job_id=str(uuid.uuid4()),
        organization=org,
        entity_path=entity_path,
        policy_id=policy_id or "",
        created=now,
        completed=now,
    )
    job.save(force_insert=True)
    record_event(
        actor,
        "GenerateOrganizationsAccessReport",
        arn,
        request={"EntityPath": entity_path, "OrganizationsPolicyId": policy_id},
    )
    return job


@operation("GetOrganizationsAccessReport")
def get_organizations_access_report(
    *, actor: Principal, job_id: str, sort_key: str | None = None
) -> AccessReport:
    authorize(actor, "iam:GetOrganizationsAccessReport", "*")
    job = (
        OrgAccessReport.objects.select_related("organization")
        .filter(pk=job_id, organization__management_account_id=actor.account_id)
        .first()
    )
    if job is None:
        raise IamNoSuchEntity(f"Job {job_id} cannot be found.")  # unrecorded text
    org = job.organization
    chain, account = _resolve_entity_path(org, job.entity_path)
    all_services = frozenset(catalog_services())
    accessible = all_services
    if job.policy_id:
        policy = OrgPolicy.objects.filter(pk=job.policy_id).first()
        accessible = scp_services([policy.content] if policy else [], all_services)
    elif org.enabled(SCP):
        levels = [*chain, *([account] if account else [])]
        rows = OrgPolicyAttachment.objects.filter(
            organization=org, policy_type=SCP, target_id__in=levels
        ).select_related("policy")
        by_level: dict[str, list[str]] = {}
        for a in rows:
            by_level.setdefault(a.target_id, []).append(a.policy.content)
        for level in levels:
            accessible = accessible & scp_services(by_level.get(level, []), all_services)
    # The accounts under the entity, with each one's path.
    if account:
        accounts = {account: job.entity_path.rstrip("/")}
    else:
        prefix = "/".join(chain) + "/"
        # Every container under the entity (the OU itself included), with its path.
        ous_paths = dict(
            OrganizationalUnit.objects.filter(
                organization=org, path__startswith=prefix
            ).values_list("id", "path")
        )
        if len(chain) == 1:
            ous_paths[org.root_id] = prefix
        accounts = {
            m.account_id: f"{org.id}/{ous_paths[m.parent_id]}{m.account_id}"
            for m in Member.objects.filter(organization=org, parent_id__in=list(ous_paths))
        }
    rows = (
        AuditEvent.objects.filter(actor_account__in=list(accounts), time__lte=job.completed)
        .values("event_source", "actor_account")
        .annotate(last=Max("time"))
    )
    last: dict[str, tuple[datetime, str]] = {}
    who: dict[str, set[str]] = {}
    for row in rows:
        ns = row["event_source"].split(".", 1)[0]
        if ns not in accessible:
            continue
        if ns not in last or row["last"] > last[ns][0]:
            last[ns] = (row["last"], accounts[row["actor_account"]])
        who.setdefault(ns, set()).add(row["actor_account"])
    details = [
        AccessDetail(
            ns,
            service_name(ns) or ns,
            last[ns][1] if ns in last else None,
            last[ns][0] if ns in last else None,
            len(who.get(ns, ())),
        )
        for ns in sorted(accessible)
    ]
    key = sort_key or "SERVICE_NAMESPACE_ASCENDING"
    if key.startswith("LAST_AUTHENTICATED_TIME"):
        epoch = datetime.min.replace(tzinfo=timezone.get_current_timezone())
        details.sort(key=lambda d: (d.last or epoch, d.namespace))
    if key.endswith("DESCENDING"):
        details.reverse()
    return AccessReport(job, len(accessible), len(accessible) - len(last), tuple(details))


# ------------------------------------------------------------------ console reads


@dataclass(frozen=True)
class Tree:
    organization: Organization
    units: list[OrganizationalUnit]  # ordered by path (parents before children)
    accounts: list[Member]


@org_operation("ListAccounts")
def organization_tree(*, actor: Principal) -> Tree:
    """The whole tree for the console's overview: what ListAccounts and
    ListOrganizationalUnitsForParent (on the root) would show, in two queries."""
    org = _managed_org(actor, "ListAccounts")
    _authorize(actor, "ListOrganizationalUnitsForParent", target_arn(org, org.root_id))
    units = list(
        OrganizationalUnit.objects.filter(organization=org)
        .select_related("organization")
        .order_by("path")
    )
    accounts = list(Member.objects.filter(organization=org).select_related("organization"))
    return Tree(org, units, accounts)


@dataclass(frozen=True)
class Level:
    target_id: str
    name: str
    type: str  # ROOT | ORGANIZATIONAL_UNIT | ACCOUNT
    policies: tuple[OrgPolicy, ...]


def _levels_for(org: Organization, target_id: str, policy_type: str) -> list[Level]:
    """The root, the OUs down to ``target_id`` and the target, each with the policies of
    ``policy_type`` attached to it: what applies to an account, level by level."""
    if target_id == org.root_id:
        chain, account = [org.root_id], None
    elif OU_ID_RE.fullmatch(target_id):
        ou = OrganizationalUnit.objects.filter(organization=org, pk=target_id).first()
        if ou is None:
            raise E.TargetNotFound()
        chain, account = [p for p in ou.path.split("/") if p], None
    else:
        member = Member.objects.filter(organization=org, pk=target_id).first()
        if member is None:
            raise E.TargetNotFound()
        chain, account = [org.root_id], member
        if member.parent_id != org.root_id:
            ou = OrganizationalUnit.objects.get(pk=member.parent_id)
            chain = [p for p in ou.path.split("/") if p]
    targets = [*chain, *([account.account_id] if account else [])]
    names = dict(
        OrganizationalUnit.objects.filter(organization=org, pk__in=chain).values_list("id", "name")
    )
    attached: dict[str, list[OrgPolicy]] = {}
    for a in OrgPolicyAttachment.objects.filter(
        organization=org, target_id__in=targets, policy_type=policy_type
    ).select_related("policy"):
        attached.setdefault(a.target_id, []).append(a.policy)
    levels = []
    for t in targets:
        if t == org.root_id:
            name, kind = "Root", "ROOT"
        elif account is not None and t == account.account_id:
            name, kind = account.name, "ACCOUNT"
        else:
            name, kind = names.get(t, t), "ORGANIZATIONAL_UNIT"
        levels.append(Level(t, name, kind, tuple(attached.get(t, ()))))
    return levels


@org_operation("ListPoliciesForTarget")
def effective_policies(
    *, actor: Principal, target_id: str, policy_type: str
) -> tuple[Organization, list[Level]]:
    """A target's policies of one type, inherited level by level (the console's
    "effective policies"): ListPoliciesForTarget on each level."""
    org = _management_org(actor, "ListPoliciesForTarget")
    policy_type = _policy_type(policy_type)
    _target(org, target_id)
    levels = _levels_for(org, target_id, policy_type)
    for level in levels:
        _authorize(actor, "ListPoliciesForTarget", target_arn(org, level.target_id))
    return org, levels


@org_operation("DescribeOrganization")
def my_guardrails(*, actor: Principal) -> tuple[Organization, list[Level], bool]:
    """For any account of an organization: the SCPs that apply to it, level by level
    (empty for the management account, which they do not bind), and whether SCPs are
    enabled. Read-only; authorized as DescribeOrganization (every member may)."""
    _authorize(actor, "DescribeOrganization", "*")
    org = _membership(actor).organization
    if not org.enabled(SCP) or org.management_account_id == actor.account_id:
        return org, [], org.enabled(SCP)
    return org, _levels_for(org, actor.account_id, SCP), True


# ------------------------------------------------------------------ tags

# AWS ("Tagging AWS Organizations resources"; botocore's Tag, TagKey, TagValue shapes): at
# most 50 tags on a resource, keys of 1-128 and values of 0-256 characters of letters,
# spaces, digits and _ . : / = + - @; the aws: prefix is reserved for AWS (its tags can't
# be added, edited or deleted). The reasons and texts of the errors are the model's
# (InvalidInputException and ConstraintViolationException reason descriptions).
MAX_TAGS = 50
_TAG_PUNCTUATION = frozenset("_.:/=+-@")


def _tag_text_ok(text: str) -> bool:
    """botocore's pattern ``^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$``."""
    return all(unicodedata.category(c)[0] in "LZN" or c in _TAG_PUNCTUATION for c in text)


def _check_tag_key(key: Any) -> str:
    if not isinstance(key, str):
        raise E.invalid_input(
            "INPUT_REQUIRED", "You must include a value for all required parameters."
        )
    if not key:
        raise E.invalid_input(
            "MIN_LENGTH_EXCEEDED", "You provided a string parameter that is shorter than allowed."
        )
    if len(key) > 128:
        raise E.invalid_input(
            "MAX_LENGTH_EXCEEDED", "You provided a string parameter that is longer than allowed."
        )
    if not _tag_text_ok(key):
        raise _bad_pattern()
    if key.lower().startswith("aws:"):
        raise E.invalid_input(
            "INVALID_SYSTEM_TAGS_PARAMETER",
            "You specified a tag key that is a system tag. You can’t add, edit, or delete "
            "system tag keys because they're reserved for Amazon Web Services use. System tags "
            "don’t count against your tags per resource limit.",
        )
    return key


def check_tags(tags: Sequence[Any] | None) -> dict[str, str]:
    """A Tags list ([{"Key", "Value"}]) as a dict, or AWS's error: each key once, each
    value given (an empty string, not null), at most 50."""
    out: dict[str, str] = {}
    for tag in tags or ():
        if not isinstance(tag, dict):
            raise E.invalid_input(
                "INVALID_LIST_MEMBER",
                "You provided a list to a parameter that contains at least one invalid value.",
            )
        key = _check_tag_key(tag.get("Key"))
        value = tag.get("Value")
        if not isinstance(value, str):
            raise E.invalid_input(
                "INPUT_REQUIRED", "You must include a value for all required parameters."
            )
        if len(value) > 256:
            raise E.invalid_input(
                "MAX_LENGTH_EXCEEDED",
                "You provided a string parameter that is longer than allowed.",
            )
        if not _tag_text_ok(value):
            raise _bad_pattern()
        if key in out:
            raise E.invalid_input(
                "DUPLICATE_TAG_KEY",
                "Tag keys must be unique among the tags attached to the same entity.",
            )
        out[key] = value
    _tag_limit(len(out))
    return out


def _tag_limit(count: int) -> None:
    if count > MAX_TAGS:
        raise E.constraint(
            "MAX_TAG_LIMIT_EXCEEDED",
            "You have exceeded the number of tags allowed on this resource.",
        )


def tag_context(tags: dict[str, str]) -> dict[str, Any]:
    """aws:RequestTag/<key> and aws:TagKeys of a request that carries tags."""
    ctx: dict[str, Any] = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    if tags:
        ctx["aws:TagKeys"] = list(tags)
    return ctx


def _resource_tags(org: Organization, resource_id: str) -> dict[str, str]:
    return dict(
        OrgTag.objects.filter(organization=org, resource_id=resource_id)
        .order_by("key")
        .values_list("key", "value")
    )


def _store_tags(org: Organization, resource_id: str, tags: dict[str, str]) -> None:
    """Add ``tags`` to the resource; a key it already has takes the new value."""
    if not tags:
        return
    OrgTag.objects.filter(organization=org, resource_id=resource_id, key__in=list(tags)).delete()
    OrgTag.objects.bulk_create(
        [OrgTag(organization=org, resource_id=resource_id, key=k, value=v) for k, v in tags.items()]
    )


def _drop_tags(org: Organization, resource_id: str) -> None:
    OrgTag.objects.filter(organization=org, resource_id=resource_id).delete()


def _taggable(actor: Principal, action: str, resource_id: str) -> tuple[Organization, str]:
    """The caller's organization (as its management account) and the ARN of the taggable
    resource ``resource_id`` (an account, the root, an OU or a policy), authorized for
    ``action``: TargetNotFoundException when the organization has no such resource."""
    org = _management_org(actor, action)
    resource_id = resource_id or ""
    if ACCOUNT_ID_RE.fullmatch(resource_id) or OU_ID_RE.fullmatch(resource_id):
        arn = target_arn(org, resource_id)
    elif ROOT_ID_RE.fullmatch(resource_id):
        arn = target_arn(org, resource_id)
    elif POLICY_ID_RE.fullmatch(resource_id):
        policy = OrgPolicy.objects.filter(pk=resource_id).first()
        if policy is None or policy.organization_id not in (None, org.id):
            arn = f"arn:aws:organizations::{org.management_account_id}:policy/{org.id}/*/{resource_id}"
        else:
            arn = policy.arn_in(org)
    else:
        raise _bad_pattern()
    return org, arn


def _check_taggable(org: Organization, resource_id: str) -> None:
    if resource_id == org.root_id:
        return
    if ACCOUNT_ID_RE.fullmatch(resource_id):
        found = Member.objects.filter(organization=org, pk=resource_id).exists()
    elif OU_ID_RE.fullmatch(resource_id):
        found = OrganizationalUnit.objects.filter(organization=org, pk=resource_id).exists()
    elif POLICY_ID_RE.fullmatch(resource_id):
        policy = OrgPolicy.objects.filter(pk=resource_id).first()
        if policy is not None and policy.aws_managed:
            # AWS's answer for tagging FullAWSAccess / RCPFullAWSAccess is not recorded:
            # they are AWS's, shared by every organization, and can't be changed.
            raise E.invalid_input(
                "IMMUTABLE_POLICY",
                "You specified a policy that is managed by AWS and can't be modified.",
            )
        found = policy is not None and policy.organization_id == org.id
    else:
        found = False  # another root id
    if not found:
        # botocore: "We can't find a root, OU, account, or policy with the TargetId that
        # you specified." (moto answers this exception for an unknown ResourceId too.)
        raise E.TargetNotFound(
            "We can't find a root, OU, account, or policy with the TargetId that you specified."
        )


@org_operation("TagResource")
def tag_resource(*, actor: Principal, resource_id: str, tags: Sequence[Any]) -> None:
    """TagResource: adds the tags; a key the resource already has takes the new value."""
    org, arn = _taggable(actor, "TagResource", resource_id)
    wanted = check_tags(tags)
    ctx = {**tag_context(wanted), **_resource_tag_context(org, resource_id)}
    _authorize(actor, "TagResource", arn, context=ctx)
    _check_taggable(org, resource_id)
    current = _resource_tags(org, resource_id)
    _tag_limit(len(current.keys() | wanted.keys()))
    _store_tags(org, resource_id, wanted)
    record_event(
        actor,
        "TagResource",
        arn,
        request={
            "ResourceId": resource_id,
            "Tags": [{"Key": k, "Value": v} for k, v in wanted.items()],
        },
        event_source=SOURCE,
    )


def _resource_tag_context(org: Organization, resource_id: str) -> dict[str, Any]:
    """aws:ResourceTag/<key> of the resource's current tags."""
    return {f"aws:ResourceTag/{k}": v for k, v in _resource_tags(org, resource_id).items()}


@org_operation("UntagResource")
def untag_resource(*, actor: Principal, resource_id: str, tag_keys: Sequence[str]) -> None:
    """UntagResource: removes the keys (a key the resource does not have is no error)."""
    org, arn = _taggable(actor, "UntagResource", resource_id)
    keys = [_check_tag_key(k) for k in tag_keys or ()]
    ctx: dict[str, Any] = {**_resource_tag_context(org, resource_id)}
    if keys:
        ctx["aws:TagKeys"] = keys
    _authorize(actor, "UntagResource", arn, context=ctx)
    _check_taggable(org, resource_id)
    OrgTag.objects.filter(organization=org, resource_id=resource_id, key__in=keys).delete()
    record_event(
        actor,
        "UntagResource",
        arn,
        request={"ResourceId": resource_id, "TagKeys": keys},
        event_source=SOURCE,
    )


@org_operation("ListTagsForResource")
def list_tags_for_resource(
    *, actor: Principal, resource_id: str, next_token: str | None = None
) -> OrgPage:
    """ListTagsForResource: (key, value) pairs by key. The request has no MaxResults; the
    page size AWS uses is not documented (here Organizations' default of 20)."""
    org, arn = _taggable(actor, "ListTagsForResource", resource_id)
    _authorize(actor, "ListTagsForResource", arn, context=_resource_tag_context(org, resource_id))
    _check_taggable(org, resource_id)
    return _page(list(_resource_tags(org, resource_id).items()), next_token, None)
