"""Access Advisor: the services an IAM user called, from the audit trail.

AWS's last accessed information "includes all attempted API calls, not only
successful ones" ("Refining permissions in AWS using last accessed information"),
so denied attempts count too. The console's Access Advisor tab is authorized as
AWS's console does it, with iam:GenerateServiceLastAccessedDetails on the user
(the console generates the report, then reads it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max

from accounts.operations.common import find_user
from accounts.principal import Principal
from audit.models import AuditEvent
from iamconsole.ops import operation
from policies.authorization import authorize
from policies.engine.catalog import service_name

__all__ = ["ServiceLastAccessed", "get_service_last_accessed"]


@dataclass(frozen=True)
class ServiceLastAccessed:
    prefix: str  # the service namespace ("iam", "sts")
    service: str  # its name ("AWS Identity and Access Management")
    last: datetime
    count: int


@operation("GenerateServiceLastAccessedDetails")
def get_service_last_accessed(*, actor: Principal, user_name: str) -> list[ServiceLastAccessed]:
    """The services ``user_name`` called (allowed or denied), most recent first."""
    user = find_user(
        actor.account_id, user_name, actor=actor, action="iam:GenerateServiceLastAccessedDetails"
    )
    authorize(actor, "iam:GenerateServiceLastAccessedDetails", user.arn)
    rows = (
        AuditEvent.objects.filter(account_id=user.account_id, actor_arn=user.arn)
        .values("event_source")
        .annotate(last=Max("time"), count=Count("id"))
        .order_by("-last")
    )
    out = []
    for row in rows:
        prefix = row["event_source"].split(".", 1)[0]
        out.append(
            ServiceLastAccessed(
                prefix=prefix,
                service=service_name(prefix) or row["event_source"],
                last=row["last"],
                count=row["count"],
            )
        )
    return out
