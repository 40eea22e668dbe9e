"""The audit event: one console or API call, allowed or denied."""

from __future__ import annotations

from django.db import models

from accounts.models import Account


class AuditEvent(models.Model):
    """One console or API call, allowed or denied (the event history)."""

    account = models.ForeignKey(Account, null=True, on_delete=models.CASCADE, related_name="events")
    time = models.DateTimeField(db_index=True)
    event_name = models.CharField(max_length=64)  # e.g. CreateUser
    event_source = models.CharField(max_length=32, default="iam.amazonaws.com")
    actor_arn = models.CharField(max_length=1200)
    actor_account = models.CharField(max_length=12, blank=True)
    access_key_id = models.CharField(max_length=32, blank=True)
    resource_arn = models.CharField(max_length=1200, blank=True)
    allowed = models.BooleanField(default=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    via = models.CharField(max_length=16, default="console")  # console | api | cli
    request = models.JSONField(default=dict, blank=True)
    # CloudTrail's readOnly: a successful call that only read (GetUser, ListRoles…).
    read_only = models.BooleanField(default=False)

    class Meta:
        # The table was created by the policies app, where the model used to live;
        # it moved without touching the data (see audit/migrations/0001_initial.py).
        db_table = "policies_auditevent"
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["account", "-time"], name="event_account_time")]
