"""Access Advisor: the services an IAM user called, from the audit trail.

AWS's last accessed information "includes all attempted API calls, not only
successful ones" ("Refining permissions in AWS using last accessed information"),
so denied attempts count too. The console's Access Advisor tab is authorized as
AWS's console does it, with iam:GenerateServiceLastAccessedDetails on the user
(the console generates the report, then reads it).
"""

from __future__ import annotations

import fnmatch
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Q
from django.utils import timezone

from accounts.errors import InvalidInput, NoSuchEntity
from accounts.models import AccessAdvisorJob, Group, IamUser, Role
from accounts.operations.common import find_user
from accounts.principal import Principal
from audit.models import AuditEvent
from audit.trail import record_event
from iamconsole.ops import operation
from policies.authorization import authorize
from policies.engine.catalog import service_name
from policies.engine.catalog import services as catalog_services
from policies.models import InlinePolicy, ManagedPolicy, PolicyAttachment

__all__ = [
    "GRANULARITIES",
    "TRACKED_SERVICES",
    "AdvisorEntity",
    "AdvisorReport",
    "ServiceAccess",
    "ServiceLastAccessed",
    "generate_service_last_accessed_details",
    "get_service_last_accessed",
    "get_service_last_accessed_details",
    "get_service_last_accessed_details_with_entities",
    "list_policies_granting_service_access",
]


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


# -- the Access Advisor API: GenerateServiceLastAccessedDetails and its readers -------------
#
# A job is recorded at once as COMPLETED (the audit trail is read when the report is),
# and covers the services the entity's policies allow (a user's own and its groups'; a
# policy's own document), each with its last access from the audit trail, allowed or
# denied, as AWS's "Refining permissions in AWS using last accessed information" says:
# services allowed but never used are listed without LastAuthenticated. Action-level
# detail is tracked, as AWS does, for the services AWS tracks actions of ("IAM action
# last accessed information services and actions": Amazon EC2, IAM, Lambda, Amazon S3).

TRACKED_SERVICES = ("ec2", "iam", "lambda", "s3")
GRANULARITIES = ("SERVICE_LEVEL", "ACTION_LEVEL")


@dataclass(frozen=True)
class AdvisorEntity:
    """What a job reports on: a user, group, role or managed policy of the account."""

    kind: str  # user | group | role | policy
    obj: Any
    arn: str


@dataclass(frozen=True)
class ServiceAccess:
    namespace: str
    name: str
    last: datetime | None
    entity: str | None  # ARN of the entity that made the last access
    total: int  # distinct entities that accessed it
    actions: tuple[tuple[str, datetime, str], ...] = ()  # (action, when, entity ARN)


@dataclass(frozen=True)
class AdvisorReport:
    job: AccessAdvisorJob
    entity: AdvisorEntity
    services: tuple[ServiceAccess, ...]


def _invalid_arn(arn: str) -> InvalidInput:
    # Code as botocore's model lists it for these actions; the sentence is
    # find_policy's ("ARN … is not valid.", recorded for AttachRolePolicy), AWS's own
    # for an Access Advisor ARN is not established.
    return InvalidInput(f"ARN {arn} is not valid.")


def _entity_for(actor: Principal, arn: str) -> AdvisorEntity:
    """The user, group, role or policy ``arn`` names in the caller's account (an
    AWS-managed policy too); InvalidInput for anything else, NoSuchEntity when missing."""
    parts = arn.split(":", 5) if isinstance(arn, str) else []
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam":
        raise _invalid_arn(arn)
    kind = parts[5].split("/", 1)[0]
    if kind == "policy":
        policy = (
            ManagedPolicy.objects.filter(arn=arn)
            .filter(Q(account_id=actor.account_id) | Q(account__isnull=True))
            .first()
        )
        if policy is None:
            raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
        return AdvisorEntity("policy", policy, arn)
    if parts[4] != actor.account_id:
        raise _invalid_arn(arn)
    models = {"user": IamUser, "group": Group, "role": Role}
    if kind not in models:
        raise _invalid_arn(arn)
    obj = models[kind].objects.filter(account_id=actor.account_id, arn=arn).first()
    if obj is None:
        # The sentences of find_user / find_group / find_role.
        raise NoSuchEntity(f"The {kind} with name {parts[5].rsplit('/', 1)[-1]} cannot be found.")
    return AdvisorEntity(kind, obj, arn)


def _documents(entity: AdvisorEntity) -> list[tuple[str, str, str, str | None, str]]:
    """The entity's policies: (PolicyName, PolicyType, document, PolicyArn, owner kind:name)."""
    out: list[tuple[str, str, str, str | None, str]] = []
    if entity.kind == "policy":
        version = entity.obj.versions.filter(is_default=True).first()
        return [(entity.obj.name, "MANAGED", version.document if version else "{}", entity.arn, "")]
    owners: list[tuple[str, Any]] = [(entity.kind, entity.obj)]
    if entity.kind == "user":
        owners += [("group", g) for g in entity.obj.groups.all()]
    for kind, owner in owners:
        for inline in InlinePolicy.objects.filter(**{kind: owner}):
            out.append((inline.name, "INLINE", inline.document, None, f"{kind}:{owner.name}"))
        attached = PolicyAttachment.objects.filter(**{kind: owner}).select_related("policy")
        for attachment in attached:
            version = attachment.policy.versions.filter(is_default=True).first()
            document = version.document if version else "{}"
            out.append((attachment.policy.name, "MANAGED", document, attachment.policy.arn, ""))
    return out


def _granted_services(document: str) -> set[str]:
    """Service namespaces an identity policy's Allow statements reach (``*`` and
    NotAction: every service of the catalog)."""
    try:
        doc = json.loads(document)
    except ValueError:
        return set()
    statements = doc.get("Statement", []) if isinstance(doc, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    out: set[str] = set()
    for st in statements:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        if "NotAction" in st:
            return set(catalog_services())
        actions = st.get("Action", [])
        for action in [actions] if isinstance(actions, str) else actions:
            if not isinstance(action, str):
                continue
            if action.strip() == "*":
                return set(catalog_services())
            prefix = action.split(":", 1)[0].lower()
            if "*" in prefix or "?" in prefix:
                out.update(p for p in catalog_services() if fnmatch.fnmatchcase(p, prefix))
            elif service_name(prefix):
                out.add(prefix)
    return out


def _actors(entity: AdvisorEntity, account_id: str) -> list[tuple[str, str]]:
    """(entity ARN, audit actor-ARN prefix or exact ARN) of who counts for the report:
    the user; the role's sessions; a group's members; a policy's users and roles in the
    job's account (an AWS-managed policy is attached in other accounts too)."""

    def of_role(role: Role) -> tuple[str, str]:
        return role.arn, f"arn:aws:sts::{role.account_id}:assumed-role/{role.name}/"

    if entity.kind == "user":
        return [(entity.arn, entity.arn)]
    if entity.kind == "role":
        return [of_role(entity.obj)]
    if entity.kind == "group":
        return [(u.arn, u.arn) for u in entity.obj.users.all()]
    attachments = PolicyAttachment.objects.filter(
        policy=entity.obj, account_id=account_id
    ).select_related("user", "role")
    out: list[tuple[str, str]] = []
    for a in attachments:
        if a.user_id:
            out.append((a.user.arn, a.user.arn))
        elif a.role_id:
            out.append(of_role(a.role))
        # a group's attachment counts through its members
    for a in attachments.filter(group__isnull=False).select_related("group"):
        out += [(u.arn, u.arn) for u in a.group.users.all()]
    return list(dict.fromkeys(out))


def _report(job: AccessAdvisorJob, entity: AdvisorEntity) -> AdvisorReport:
    granted: set[str] = set()
    for _, _, document, _, _ in _documents(entity):
        granted |= _granted_services(document)
    last: dict[str, tuple[datetime, str]] = {}
    who: dict[str, set[str]] = {}
    actions: dict[str, dict[str, tuple[datetime, str]]] = {}
    for entity_arn, actor_arn in _actors(entity, job.account_id):
        events = AuditEvent.objects.filter(account_id=job.account_id, time__lte=job.completed)
        if actor_arn.endswith("/"):
            events = events.filter(actor_arn__startswith=actor_arn)
        else:
            events = events.filter(actor_arn=actor_arn)
        rows = events.values("event_source", "event_name").annotate(last=Max("time"))
        for row in rows:
            ns = row["event_source"].split(".", 1)[0]
            if ns not in last or row["last"] > last[ns][0]:
                last[ns] = (row["last"], entity_arn)
            who.setdefault(ns, set()).add(entity_arn)
            if job.granularity == "ACTION_LEVEL" and ns in TRACKED_SERVICES:
                seen = actions.setdefault(ns, {})
                name = row["event_name"]
                if name not in seen or row["last"] > seen[name][0]:
                    seen[name] = (row["last"], entity_arn)
    services = []
    for ns in sorted(granted | set(last)):
        when = last.get(ns)
        tracked = tuple(sorted((a, t, e) for a, (t, e) in actions.get(ns, {}).items()))
        services.append(
            ServiceAccess(
                namespace=ns,
                name=service_name(ns) or ns,
                last=when[0] if when else None,
                entity=when[1] if when else None,
                total=len(who.get(ns, ())),
                actions=tracked,
            )
        )
    return AdvisorReport(job=job, entity=entity, services=tuple(services))


@operation("GenerateServiceLastAccessedDetails")
def generate_service_last_accessed_details(
    *, actor: Principal, arn: str, granularity: str | None = None
) -> AccessAdvisorJob:
    """GenerateServiceLastAccessedDetails: a job on a user, group, role or policy."""
    granularity = granularity or "SERVICE_LEVEL"
    entity = _entity_for(actor, arn)
    authorize(actor, "iam:GenerateServiceLastAccessedDetails", entity.arn)
    now = timezone.now()
    job = AccessAdvisorJob.objects.create(
        job_id=str(uuid.uuid4()),
        account_id=actor.account_id,
        arn=entity.arn,
        granularity=granularity,
        created=now,
        completed=now,
    )
    record_event(
        actor,
        "GenerateServiceLastAccessedDetails",
        entity.arn,
        request={"Arn": entity.arn, "Granularity": granularity},
    )
    return job


def _job(actor: Principal, job_id: str) -> AccessAdvisorJob:
    job = AccessAdvisorJob.objects.filter(account_id=actor.account_id, job_id=job_id).first()
    if job is None:
        # Code as botocore's model lists it; AWS's sentence is not established.
        raise NoSuchEntity(f"Job {job_id} cannot be found.")
    return job


@operation("GetServiceLastAccessedDetails", read_only=True)
def get_service_last_accessed_details(*, actor: Principal, job_id: str) -> AdvisorReport:
    authorize(actor, "iam:GetServiceLastAccessedDetails", "*")
    job = _job(actor, job_id)
    return _report(job, _entity_for(actor, job.arn))


@operation("GetServiceLastAccessedDetailsWithEntities", read_only=True)
def get_service_last_accessed_details_with_entities(
    *, actor: Principal, job_id: str, namespace: str
) -> tuple[AccessAdvisorJob, list[tuple[Any, str, datetime | None]]]:
    """The entities of a job's report that could use ``namespace``: (entity, Type, last
    access). A group's members, a policy's users and roles, a user or role itself."""
    authorize(actor, "iam:GetServiceLastAccessedDetailsWithEntities", "*")
    job = _job(actor, job_id)
    entity = _entity_for(actor, job.arn)
    report = _report(job, entity)
    wanted = next((s for s in report.services if s.namespace == namespace), None)
    if wanted is None:
        return job, []
    arns = [a for a, _ in _actors(entity, job.account_id)]
    objects = {u.arn: (u, "USER") for u in IamUser.objects.filter(arn__in=arns)}
    objects |= {r.arn: (r, "ROLE") for r in Role.objects.filter(arn__in=arns)}
    out = []
    for entity_arn, actor_arn in _actors(entity, job.account_id):
        if entity_arn not in objects:
            continue
        events = AuditEvent.objects.filter(
            account_id=job.account_id,
            time__lte=job.completed,
            event_source__startswith=f"{namespace}.",
        )
        if actor_arn.endswith("/"):
            events = events.filter(actor_arn__startswith=actor_arn)
        else:
            events = events.filter(actor_arn=actor_arn)
        obj, kind = objects[entity_arn]
        out.append((obj, kind, events.aggregate(last=Max("time"))["last"]))
    return job, out


@operation("ListPoliciesGrantingServiceAccess", read_only=True)
def list_policies_granting_service_access(
    *, actor: Principal, arn: str, namespaces: list[str]
) -> list[tuple[str, list[dict[str, str]]]]:
    """For each namespace, the entity's policies that allow some action of it (a user's
    own and its groups'): AWS's PolicyGrantingServiceAccess members."""
    entity = _entity_for(actor, arn)
    if entity.kind == "policy":
        raise _invalid_arn(arn)  # users, groups and roles only (the catalog's resource types)
    authorize(actor, "iam:ListPoliciesGrantingServiceAccess", entity.arn)
    documents = _documents(entity)
    out = []
    for ns in namespaces:
        policies = []
        for name, kind, document, policy_arn, owner in documents:
            if ns not in _granted_services(document):
                continue
            item = {"PolicyName": name, "PolicyType": kind}
            if policy_arn:
                item["PolicyArn"] = policy_arn
            if kind == "INLINE":
                owner_kind, _, owner_name = owner.partition(":")
                item["EntityType"] = owner_kind.upper()
                item["EntityName"] = owner_name
            policies.append(item)
        out.append((ns, policies))
    return out
