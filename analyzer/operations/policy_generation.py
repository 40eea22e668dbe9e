"""Policy generation: StartPolicyGeneration, GetGeneratedPolicy, ListPolicyGenerations,
CancelPolicyGeneration, authorized on ``*``. What a principal used is read from the
audit trail by ``analyzer.generation``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from accounts.models import IamUser, Role
from accounts.principal import Principal
from analyzer import generation
from analyzer.errors import ValidationException
from analyzer.models import PolicyGeneration
from analyzer.operations.common import (
    SOURCE,
    Page,
    authorize_action,
    field_error,
    page_of,
    region,
)
from audit.trail import record_event
from iamconsole.ops import operation

__all__ = [
    "GeneratedPolicy",
    "cancel_policy_generation",
    "get_generated_policy",
    "list_policy_generations",
    "start_policy_generation",
]

MAX_GENERATION_DAYS = 90  # policy generation reads at most 90 days of activity


def _principal_entity(actor: Principal, arn: str) -> IamUser | Role:
    m = re.fullmatch(r"arn:aws:iam::(\d{12}):(user|role)/(.{1,576})", arn or "")
    if m is None:
        raise field_error(
            "policyGenerationDetails.principalArn",
            arn,
            "Member must satisfy regular expression pattern: arn:[^:]*:iam::[^:]*:(role|user)/.{1,576}",
        )
    model = IamUser if m.group(2) == "user" else Role
    entity = model.objects.filter(account_id=actor.account_id, arn=arn).first()
    if entity is None:
        # AWS's text is not established here (StartPolicyGeneration lists no
        # ResourceNotFoundException, so the principal's absence is a validation error).
        raise ValidationException(f"The principal {arn} does not exist.", reason="other")
    return entity


@operation("StartPolicyGeneration", event_source=SOURCE)
def start_policy_generation(
    *,
    actor: Principal,
    principal_arn: str,
    start_time: datetime,
    end_time: datetime | None = None,
    trails: list[dict[str, Any]] | None = None,
    access_role: str = "",
) -> PolicyGeneration:
    """StartPolicyGeneration over the audit trail (see ``generation``); it completes at
    once, SUCCEEDED. ``trails``/``access_role`` are recorded, not read."""
    authorize_action(actor, "StartPolicyGeneration")
    _principal_entity(actor, principal_arn)
    now = timezone.now()
    end = end_time or now
    if not isinstance(start_time, datetime):
        raise field_error("cloudTrailDetails.startTime", start_time, "Member must not be null")
    if start_time >= end:
        # AWS's texts for the time range are not established here.
        raise ValidationException("The startTime must be before the endTime.", reason="other")
    if start_time > now:
        raise ValidationException("The startTime cannot be in the future.", reason="other")
    if end - start_time > timedelta(days=MAX_GENERATION_DAYS):
        raise ValidationException(
            f"The time range cannot exceed {MAX_GENERATION_DAYS} days.", reason="other"
        )
    used = generation.collect_usage(actor.account_id, principal_arn, start_time, end)
    job = PolicyGeneration.objects.create(
        account_id=actor.account_id,
        job_id=str(uuid.uuid4()),
        principal_arn=principal_arn,
        status="SUCCEEDED",
        started_on=now,
        completed_on=now,
        start_time=start_time,
        end_time=end,
        trails=list(trails or []),
        access_role=access_role or "",
        used=used,
    )
    record_event(
        actor,
        "StartPolicyGeneration",
        principal_arn,
        event_source=SOURCE,
        request={"principalArn": principal_arn},
    )
    return job


def _find_job(actor: Principal, job_id: str) -> PolicyGeneration:
    job = PolicyGeneration.objects.filter(account_id=actor.account_id, job_id=job_id).first()
    if job is None:
        # GetGeneratedPolicy lists no ResourceNotFoundException; AWS's text is not
        # established here.
        raise ValidationException(f"The job {job_id} does not exist.", reason="other")
    return job


@dataclass(frozen=True)
class GeneratedPolicy:
    job: PolicyGeneration
    policies: list[str]


@operation("GetGeneratedPolicy", event_source=SOURCE)
def get_generated_policy(
    *,
    actor: Principal,
    job_id: str,
    include_resource_placeholders: bool = False,
    include_service_level_template: bool = False,
) -> GeneratedPolicy:
    authorize_action(actor, "GetGeneratedPolicy")
    job = _find_job(actor, job_id)
    policies: list[str] = []
    if job.status == "SUCCEEDED":
        policies = generation.generated_policies(
            job.used,
            account_id=job.account_id,
            region=region(),
            include_placeholders=bool(include_resource_placeholders),
        )
    record_event(
        actor,
        "GetGeneratedPolicy",
        job.principal_arn,
        event_source=SOURCE,
        request={"jobId": job_id},
    )
    return GeneratedPolicy(job, policies)


@operation("ListPolicyGenerations", event_source=SOURCE)
def list_policy_generations(
    *,
    actor: Principal,
    principal_arn: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> Page:
    authorize_action(actor, "ListPolicyGenerations")
    qs = PolicyGeneration.objects.filter(account_id=actor.account_id)
    if principal_arn:
        qs = qs.filter(principal_arn=principal_arn)
    page = page_of(list(qs), next_token, max_results, default=100)
    record_event(actor, "ListPolicyGenerations", event_source=SOURCE)
    return page


@operation("CancelPolicyGeneration", event_source=SOURCE)
def cancel_policy_generation(*, actor: Principal, job_id: str) -> PolicyGeneration:
    """CancelPolicyGeneration: an IN_PROGRESS job becomes CANCELED; generation here
    completes at once, so a finished job is left as it is."""
    authorize_action(actor, "CancelPolicyGeneration")
    job = _find_job(actor, job_id)
    if job.status == "IN_PROGRESS":
        job.status, job.completed_on = "CANCELED", timezone.now()
        job.save(update_fields=["status", "completed_on"])
    record_event(
        actor,
        "CancelPolicyGeneration",
        job.principal_arn,
        event_source=SOURCE,
        request={"jobId": job_id},
    )
    return job
