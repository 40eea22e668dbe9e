"""Analyzers, their archive rules, the state of their findings, policy generations.

Findings are computed from the account's current state when they are read
(``analyzer.findings``); a row here keeps what must persist between reads: the stable
id, the status (ACTIVE, ARCHIVED, RESOLVED) and when it was created and updated.
"""

from __future__ import annotations

from django.db import models

from accounts.models import Account


class Analyzer(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="analyzers")
    name = models.CharField(max_length=255)
    arn = models.CharField(max_length=1200, unique=True)
    type = models.CharField(max_length=40)
    created = models.DateTimeField()
    unused_access_age = models.PositiveIntegerField(null=True, blank=True)
    configuration = models.JSONField(default=dict, blank=True)  # as CreateAnalyzer took it
    tags = models.JSONField(default=dict, blank=True)
    last_resource_analyzed = models.CharField(max_length=1200, blank=True)
    last_resource_analyzed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="analyzer_name_unique")
        ]

    def __str__(self) -> str:
        return self.arn

    @property
    def is_unused_access(self) -> bool:
        return self.type.endswith("_UNUSED_ACCESS")


class ArchiveRule(models.Model):
    analyzer = models.ForeignKey(Analyzer, on_delete=models.CASCADE, related_name="archive_rules")
    name = models.CharField(max_length=255)
    filter = models.JSONField(default=dict)
    created = models.DateTimeField()
    updated = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["analyzer", "name"], name="archive_rule_name_unique")
        ]


class Finding(models.Model):
    analyzer = models.ForeignKey(Analyzer, on_delete=models.CASCADE, related_name="findings")
    finding_id = models.CharField(max_length=64)
    finding_type = models.CharField(max_length=32)
    resource = models.CharField(max_length=1200)
    resource_type = models.CharField(max_length=64)
    resource_owner_account = models.CharField(max_length=12)
    status = models.CharField(max_length=16, default="ACTIVE")
    details = models.JSONField(default=dict)  # the finding's current facts (see findings.py)
    created = models.DateTimeField()
    updated = models.DateTimeField()
    analyzed = models.DateTimeField()

    class Meta:
        ordering = ["created", "finding_id"]
        constraints = [
            models.UniqueConstraint(fields=["analyzer", "finding_id"], name="finding_id_unique")
        ]


class PolicyGeneration(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    job_id = models.CharField(max_length=64, unique=True)
    principal_arn = models.CharField(max_length=1200)
    status = models.CharField(max_length=16)
    started_on = models.DateTimeField()
    completed_on = models.DateTimeField(null=True, blank=True)
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    trails = models.JSONField(default=list, blank=True)  # cloudTrailDetails.trails, as given
    access_role = models.CharField(max_length=1200, blank=True)
    used = models.JSONField(default=dict, blank=True)  # action -> sorted resource ARNs seen

    class Meta:
        ordering = ["-started_on", "-id"]


class AccessPreview(models.Model):
    """An access preview: the proposed configurations as CreateAccessPreview took them
    and the preview findings computed when it was created (kept here, never as
    ``Finding`` rows: a preview changes nothing the analyzer reports)."""

    analyzer = models.ForeignKey(Analyzer, on_delete=models.CASCADE, related_name="previews")
    preview_id = models.CharField(max_length=36, unique=True)
    client_token = models.CharField(max_length=64, blank=True)
    configurations = models.JSONField(default=dict)
    created = models.DateTimeField()
    status = models.CharField(max_length=16)  # COMPLETED or FAILED (computed at once)
    status_reason = models.CharField(max_length=32, blank=True)
    findings = models.JSONField(default=list, blank=True)  # AccessPreviewFinding dicts

    class Meta:
        ordering = ["-created", "-id"]
