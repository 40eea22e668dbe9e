"""Policies: managed (AWS and customer), their versions, inline policies, attachments."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower

from accounts.models import Account, Group, IamUser, Role


class ManagedPolicy(models.Model):
    """A managed policy. ``account`` is None for AWS-managed (read-only catalog)."""

    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="policies"
    )
    name = models.CharField(max_length=128)
    path = models.CharField(max_length=512, default="/")
    policy_id = models.CharField(max_length=32, unique=True)
    arn = models.CharField(max_length=1200, unique=True)
    description = models.CharField(max_length=1000, blank=True)
    created = models.DateTimeField()
    updated = models.DateTimeField()
    default_version_id = models.CharField(max_length=16, default="v1")
    # AWS never reuses a version id: after v1..v5 and deleting v2, the next is v6.
    next_version = models.PositiveIntegerField(default=2)
    is_attachable = models.BooleanField(default=True)
    tags = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "account",
                Lower("name"),
                condition=models.Q(account__isnull=False),
                name="customer_policy_name_ci_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_aws_managed(self) -> bool:
        return self.account_id is None

    def default_version(self) -> PolicyVersion:
        return self.versions.get(version_id=self.default_version_id)


class PolicyVersion(models.Model):
    policy = models.ForeignKey(ManagedPolicy, on_delete=models.CASCADE, related_name="versions")
    version_id = models.CharField(max_length=16)
    document = models.TextField()
    is_default = models.BooleanField(default=False)
    created = models.DateTimeField()

    class Meta:
        ordering = ["policy", "created", "id"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "version_id"], name="policy_version_unique"),
        ]


class InlinePolicy(models.Model):
    """A policy embedded in exactly one user, group or role."""

    user = models.ForeignKey(
        IamUser, null=True, blank=True, on_delete=models.CASCADE, related_name="inline_policies"
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="inline_policies"
    )
    role = models.ForeignKey(
        Role, null=True, blank=True, on_delete=models.CASCADE, related_name="inline_policies"
    )
    name = models.CharField(max_length=128)
    document = models.TextField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, group__isnull=True, role__isnull=True)
                    | models.Q(user__isnull=True, group__isnull=False, role__isnull=True)
                    | models.Q(user__isnull=True, group__isnull=True, role__isnull=False)
                ),
                name="inline_policy_one_owner",
            ),
            models.UniqueConstraint(fields=["user", "name"], name="inline_user_name_unique"),
            models.UniqueConstraint(fields=["group", "name"], name="inline_group_name_unique"),
            models.UniqueConstraint(fields=["role", "name"], name="inline_role_name_unique"),
        ]


class PolicyAttachment(models.Model):
    """A managed policy attached to one user, group or role.

    ``account`` is the entity's account, kept on the row so "this account's attachments
    of these policies" is one index range, (account, policy), whatever the size of the
    account or the number of accounts (bench/console.py, bench/scale.py).
    """

    policy = models.ForeignKey(ManagedPolicy, on_delete=models.PROTECT, related_name="attachments")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    user = models.ForeignKey(
        IamUser, null=True, blank=True, on_delete=models.CASCADE, related_name="policy_attachments"
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="policy_attachments"
    )
    role = models.ForeignKey(
        Role, null=True, blank=True, on_delete=models.CASCADE, related_name="policy_attachments"
    )
    attached = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, group__isnull=True, role__isnull=True)
                    | models.Q(user__isnull=True, group__isnull=False, role__isnull=True)
                    | models.Q(user__isnull=True, group__isnull=True, role__isnull=False)
                ),
                name="attachment_one_entity",
            ),
            models.UniqueConstraint(fields=["policy", "user"], name="attach_user_unique"),
            models.UniqueConstraint(fields=["policy", "group"], name="attach_group_unique"),
            models.UniqueConstraint(fields=["policy", "role"], name="attach_role_unique"),
        ]
        indexes = [models.Index(fields=["account", "policy"], name="attach_account_policy")]


class CatalogState(models.Model):
    """Which AWS-managed catalog version has been loaded into the database."""

    key = models.CharField(max_length=64, unique=True)
    value = models.CharField(max_length=256)
