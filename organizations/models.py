"""AWS Organizations: an organization of this installation's accounts, its root and
organizational units, the member accounts, SCPs and RCPs and where they are attached,
invitations (handshakes) and CreateAccount requests.

Identifier formats are botocore's (``organizations`` service model): organization
``o-`` + 10 lowercase letters/digits, root ``r-`` + 4, OU ``ou-<root suffix>-`` + 8,
policy ``p-`` + 8 (AWS-managed ones: ``p-FullAWSAccess``, ``p-RCPFullAWSAccess``),
handshake ``h-`` + 10, create-account request ``car-`` + 8.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accounts.models import Account

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
POLICY_TYPES = (SCP, RCP)
# The segment of a policy ARN naming its type (AWS: .../policy/o-x/service_control_policy/p-x).
ARN_TYPE = {SCP: "service_control_policy", RCP: "resource_control_policy"}
FULL_AWS_ACCESS = "p-FullAWSAccess"
RCP_FULL_AWS_ACCESS = "p-RCPFullAWSAccess"
DEFAULT_POLICY = {SCP: FULL_AWS_ACCESS, RCP: RCP_FULL_AWS_ACCESS}


class Organization(models.Model):
    id = models.CharField(primary_key=True, max_length=34)
    # One organization per management account; an account is in at most one organization
    # (Member.account is one-to-one, the management account included).
    management_account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="managed_organization"
    )
    root_id = models.CharField(max_length=34, unique=True)
    # Policy types enabled on the root (AWS: Root.PolicyTypes with Status ENABLED).
    policy_types = models.JSONField(default=list)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    @property
    def arn(self) -> str:
        return f"arn:aws:organizations::{self.management_account_id}:organization/{self.id}"

    @property
    def root_arn(self) -> str:
        return f"arn:aws:organizations::{self.management_account_id}:root/{self.id}/{self.root_id}"

    def enabled(self, policy_type: str) -> bool:
        return policy_type in self.policy_types


class OrganizationalUnit(models.Model):
    id = models.CharField(primary_key=True, max_length=68)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="units")
    # The root's id or the parent OU's id (a plain column, so the unique name per parent
    # holds for OUs directly under the root too).
    parent_id = models.CharField(max_length=68)
    name = models.CharField(max_length=128)
    # The ids from the root down to this OU: "r-ab12/ou-ab12-11111111/" (AWS's Path minus
    # the organization id); the subtree is everything whose path starts with it.
    path = models.CharField(max_length=512)
    depth = models.PositiveSmallIntegerField()  # 1 directly under the root; AWS allows 5
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "parent_id", "name"], name="org_ou_unique_name"
            )
        ]

    @property
    def arn(self) -> str:
        org = self.organization
        return f"arn:aws:organizations::{org.management_account_id}:ou/{org.id}/{self.id}"


class Member(models.Model):
    ACTIVE, SUSPENDED = "ACTIVE", "SUSPENDED"
    account = models.OneToOneField(
        Account, primary_key=True, on_delete=models.CASCADE, related_name="org_membership"
    )
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="members")
    parent_id = models.CharField(max_length=68)
    name = models.CharField(max_length=128)
    email = models.CharField(max_length=64)
    joined_method = models.CharField(max_length=8)  # INVITED | CREATED
    joined = models.DateTimeField()
    status = models.CharField(max_length=16, default=ACTIVE)  # ACTIVE | SUSPENDED

    class Meta:
        ordering = ["joined", "account_id"]

    @property
    def arn(self) -> str:
        org = self.organization
        return (
            f"arn:aws:organizations::{org.management_account_id}:account/{org.id}/{self.account_id}"
        )


class OrgPolicy(models.Model):
    id = models.CharField(primary_key=True, max_length=130)
    # None: an AWS-managed policy (FullAWSAccess, RCPFullAWSAccess), shared by every
    # organization and never changed by one.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="policies", null=True
    )
    type = models.CharField(max_length=32)
    name = models.CharField(max_length=128)
    description = models.CharField(max_length=512, blank=True)
    content = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "type", "name"], name="org_policy_unique_name"
            )
        ]

    @property
    def aws_managed(self) -> bool:
        return self.organization_id is None

    def arn_in(self, organization: Organization) -> str:
        kind = ARN_TYPE.get(self.type, self.type.lower())
        if self.aws_managed:
            return f"arn:aws:organizations::aws:policy/{kind}/{self.id}"
        return (
            f"arn:aws:organizations::{organization.management_account_id}:policy/"
            f"{organization.id}/{kind}/{self.id}"
        )


class OrgPolicyAttachment(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="attachments"
    )
    policy = models.ForeignKey(OrgPolicy, on_delete=models.CASCADE, related_name="attachments")
    policy_type = models.CharField(max_length=32)  # the policy's, for loading levels by type
    target_id = models.CharField(max_length=68)  # r-…, ou-… or a 12-digit account id

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "policy", "target_id"], name="org_policy_attach_once"
            )
        ]
        indexes = [models.Index(fields=["organization", "target_id"])]


class Handshake(models.Model):
    OPEN, ACCEPTED, DECLINED, CANCELED, EXPIRED = (
        "OPEN",
        "ACCEPTED",
        "DECLINED",
        "CANCELED",
        "EXPIRED",
    )
    id = models.CharField(primary_key=True, max_length=34)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="handshakes"
    )
    account_id = models.CharField(max_length=12)  # the invited account
    state = models.CharField(max_length=16, default=OPEN)
    notes = models.CharField(max_length=1024, blank=True)
    requested = models.DateTimeField()
    expires = models.DateTimeField()
    # InviteAccountToOrganization's Tags ([{"Key", "Value"}]): attached to the account
    # when it accepts ("the tags are actually attached to the account" then).
    tags = models.JSONField(default=list)

    class Meta:
        ordering = ["requested", "id"]
        constraints = [
            # AWS: DuplicateHandshakeException, "A handshake with the same action and
            # target already exists": one open invitation per account and organization.
            models.UniqueConstraint(
                fields=["organization", "account_id"],
                condition=Q(state="OPEN"),
                name="org_one_open_invitation",
            )
        ]

    @property
    def arn(self) -> str:
        org = self.organization
        return (
            f"arn:aws:organizations::{org.management_account_id}:handshake/{org.id}/"
            f"invite/{self.id}"
        )


class OrgTag(models.Model):
    """A tag on an organization's resource (TagResource; the Tags of CreateAccount,
    CreateOrganizationalUnit, CreatePolicy, InviteAccountToOrganization): the resource is
    named by its id, as Organizations' taggable ResourceId (account id, ``r-…``, ``ou-…``,
    ``p-…``). Removed with the resource."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="tags")
    resource_id = models.CharField(max_length=130)
    key = models.CharField(max_length=128)
    value = models.CharField(max_length=256, blank=True)

    class Meta:
        ordering = ["resource_id", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "resource_id", "key"], name="org_tag_unique_key"
            )
        ]


class CreateAccountRequest(models.Model):
    id = models.CharField(primary_key=True, max_length=36)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="create_requests"
    )
    account_name = models.CharField(max_length=128)
    state = models.CharField(max_length=16)  # IN_PROGRESS | SUCCEEDED | FAILED
    requested = models.DateTimeField()
    completed = models.DateTimeField(null=True)
    account_id = models.CharField(max_length=12, blank=True)
    failure_reason = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["requested", "id"]


class OrgAccessReport(models.Model):
    """A GenerateOrganizationsAccessReport job (IAM): service last-accessed data for an
    entity path of the organization, computed from the audit trail when read."""

    job_id = models.CharField(primary_key=True, max_length=36)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="access_reports"
    )
    entity_path = models.CharField(max_length=427)
    policy_id = models.CharField(max_length=130, blank=True)
    created = models.DateTimeField()
    completed = models.DateTimeField()
