"""Who is in which organization: pure reads for other apps (Access Analyzer's
ORGANIZATION zone of trust, the console). No authorization: callers decide what to show.
"""

from __future__ import annotations

from dataclasses import dataclass

from organizations.models import Member, Organization, OrganizationalUnit

__all__ = ["OrgInfo", "org_path", "organization_of"]


@dataclass(frozen=True)
class OrgInfo:
    id: str
    arn: str
    management_account_id: str
    member_account_ids: frozenset[str]  # the management account included


def organization_of(account_id: str) -> OrgInfo | None:
    """The organization ``account_id`` belongs to (as management account or member)."""
    member = Member.objects.select_related("organization").filter(pk=account_id).first()
    if member is None:
        return None
    org: Organization = member.organization
    ids = frozenset(Member.objects.filter(organization=org).values_list("account_id", flat=True))
    return OrgInfo(org.id, org.arn, org.management_account_id, ids)


def org_path(account_id: str) -> str | None:
    """AWS's organization entity path of an account: ``o-…/r-…/ou-…/…/`` (the value of
    ``aws:PrincipalOrgPaths`` / ``aws:ResourceOrgPaths``), or None outside any
    organization."""
    member = Member.objects.select_related("organization").filter(pk=account_id).first()
    if member is None:
        return None
    return path_of_member(member)


def path_of_member(member: Member) -> str:
    org = member.organization
    if member.parent_id == org.root_id:
        return f"{org.id}/{org.root_id}/"
    ou = OrganizationalUnit.objects.filter(pk=member.parent_id).values_list("path", flat=True)
    return f"{org.id}/{ou.first() or org.root_id + '/'}"
