"""Access Analyzer actions: one ``@operation`` per action (authorize, one transaction, audit).

Every action authorizes ``access-analyzer:<Action>`` on AWS's ARNs (Service Authorization
Reference, "Actions defined by IAM Access Analyzer": analyzer
``arn:aws:access-analyzer:<region>:<account>:analyzer/<name>``, archive rule
``…/archive-rule/<rule>``; ``*`` for the policy checks and policy generation).
ListFindingsV2 and GetFindingV2 are authorized as ``ListFindings`` and ``GetFinding``, the
actions AWS's reference lists for them. UpdateAnalyzer, GetFindingsStatistics and the
access preview actions are authorized on the analyzer's ARN. The region is the installation's
(``settings.IAM_REGION``): analyzers are kept per account, one region.

Error texts that AWS's documentation does not give are marked where they are written.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.errors import LimitExceeded, MalformedPolicyDocument
from accounts.models import IamUser, Role
from accounts.operations.common import TRUST_POLICY_LIMIT
from accounts.operations.service_linked import is_service_linked
from accounts.principal import Principal
from analyzer import checks, findings, generation, validation
from analyzer.errors import (
    ConflictException,
    InvalidParameterException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ValidationException,
)
from analyzer.models import AccessPreview, Analyzer, ArchiveRule, Finding, PolicyGeneration
from audit.trail import record_event
from iamconsole.ops import operation
from policies.authorization import authorize
from policies.documents import check_policy_document
from policies.engine.document import PolicyError
from policies.engine.jsonsafe import JsonError

__all__ = [
    "ANALYZER_TYPES",
    "FindingView",
    "page_of",
    "apply_archive_rule",
    "cancel_policy_generation",
    "create_access_preview",
    "get_access_preview",
    "get_findings_statistics",
    "list_access_preview_findings",
    "list_access_previews",
    "update_analyzer",
    "check_access_not_granted",
    "check_no_new_access",
    "check_no_public_access",
    "create_analyzer",
    "create_archive_rule",
    "delete_analyzer",
    "delete_archive_rule",
    "get_analyzer",
    "get_archive_rule",
    "get_finding",
    "get_generated_policy",
    "list_analyzers",
    "list_archive_rules",
    "list_findings",
    "list_policy_generations",
    "list_tags_for_resource",
    "start_policy_generation",
    "tag_resource",
    "untag_resource",
    "update_archive_rule",
    "update_findings",
    "validate_policy",
]

SOURCE = "access-analyzer.amazonaws.com"
ANALYZER_TYPES = (
    "ACCOUNT",
    "ORGANIZATION",
    "ACCOUNT_UNUSED_ACCESS",
    "ORGANIZATION_UNUSED_ACCESS",
    "ACCOUNT_INTERNAL_ACCESS",
    "ORGANIZATION_INTERNAL_ACCESS",
)
_SUPPORTED_TYPES = ANALYZER_TYPES[:4]
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_RULE_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")
DEFAULT_UNUSED_ACCESS_AGE = 90  # days; AWS's default tracking period
MAX_ARCHIVE_RULES = 100  # "Archive rules per analyzer" (IAM Access Analyzer quotas)
MAX_GENERATION_DAYS = 90  # policy generation reads at most 90 days of activity
MAX_TAGS = 50


def _region() -> str:
    return settings.IAM_REGION


def analyzer_arn(account_id: str, name: str) -> str:
    return f"arn:aws:access-analyzer:{_region()}:{account_id}:analyzer/{name}"


def _authorize(actor: Principal, action: str, resource: str = "*") -> None:
    authorize(actor, f"access-analyzer:{action}", resource)


def _field_error(name: str, value: object, constraint: str) -> ValidationException:
    text = (
        f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy "
        f"constraint: {constraint}"
    )
    return ValidationException(text, fields=[(name, constraint)])


def _check_name(name: object, field: str, regex: re.Pattern[str], pattern: str) -> str:
    if not isinstance(name, str) or not 1 <= len(name) <= 255:
        raise _field_error(field, name, "Member must have length between 1 and 255")
    if not regex.fullmatch(name):
        raise _field_error(
            field, name, f"Member must satisfy regular expression pattern: {pattern}"
        )
    return name


# -------------------------------------------------------------------------- paging


@dataclass(frozen=True)
class Page:
    items: Sequence[Any]
    next_token: str | None


def page_of(
    items: Sequence[Any], next_token: str | None, max_results: int | None, default: int
) -> Page:
    limit = default if max_results is None else max_results
    if limit < 1:
        raise _field_error("maxResults", limit, "Member must have value greater than or equal to 1")
    start = 0
    if next_token:
        try:
            raw = base64.urlsafe_b64decode(next_token.encode()).decode()
        except (ValueError, UnicodeDecodeError):
            raw = ""
        if not raw.isdigit() or int(raw) > len(items):
            # AWS's text for a bad token is not established here.
            raise ValidationException("Invalid pagination token.", reason="other")
        start = int(raw)
    end = start + limit
    token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return Page(list(items[start:end]), token)


# ------------------------------------------------------------------ policy checks


def _policy_text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise _field_error(field, value, "Member must not be null")
    return value


@operation("ValidatePolicy", event_source=SOURCE)
def validate_policy(
    *,
    actor: Principal,
    policy_document: str,
    policy_type: str,
    resource_type: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> Page:
    """ValidatePolicy: the validator's findings in AWS's shape (``validation``)."""
    _authorize(actor, "ValidatePolicy")
    text = _policy_text(policy_document, "policyDocument")
    if policy_type not in validation.POLICY_TYPES:
        raise _field_error(
            "policyType",
            policy_type,
            "Member must satisfy enum value set: [" + ", ".join(validation.POLICY_TYPES) + "]",
        )
    if resource_type is not None and resource_type not in validation.RESOURCE_TYPES:
        raise _field_error(
            "validatePolicyResourceType",
            resource_type,
            "Member must satisfy enum value set: [" + ", ".join(validation.RESOURCE_TYPES) + "]",
        )
    if resource_type is not None and policy_type != "RESOURCE_POLICY":
        # AWS's text for this combination is not established here.
        raise ValidationException(
            "validatePolicyResourceType can only be specified with the RESOURCE_POLICY policy type.",
            reason="other",
        )
    result = validation.validate_policy(text, policy_type, resource_type)
    record_event(actor, "ValidatePolicy", event_source=SOURCE, request={"policyType": policy_type})
    return page_of(result, next_token, max_results, default=len(result) or 1)


def _run_check(fn: Any, *args: Any) -> checks.CheckResult:
    try:
        return fn(*args)
    except checks.CheckError as exc:
        # AWS's wording for an unreadable document is not established here.
        raise InvalidParameterException(f"The policy document is not valid: {exc}") from None


_CHECK_TYPES = ("IDENTITY_POLICY", "RESOURCE_POLICY")


def _check_type(policy_type: str) -> str:
    if policy_type not in _CHECK_TYPES:
        raise _field_error(
            "policyType",
            policy_type,
            "Member must satisfy enum value set: [IDENTITY_POLICY, RESOURCE_POLICY]",
        )
    return policy_type


@operation("CheckNoNewAccess", event_source=SOURCE)
def check_no_new_access(
    *, actor: Principal, new_policy_document: str, existing_policy_document: str, policy_type: str
) -> checks.CheckResult:
    _authorize(actor, "CheckNoNewAccess")
    new = _policy_text(new_policy_document, "newPolicyDocument")
    existing = _policy_text(existing_policy_document, "existingPolicyDocument")
    result = _run_check(checks.check_no_new_access, new, existing, _check_type(policy_type))
    record_event(
        actor, "CheckNoNewAccess", event_source=SOURCE, request={"policyType": policy_type}
    )
    return result


@operation("CheckAccessNotGranted", event_source=SOURCE)
def check_access_not_granted(
    *,
    actor: Principal,
    policy_document: str,
    access: list[dict[str, Any]],
    policy_type: str,
) -> checks.CheckResult:
    _authorize(actor, "CheckAccessNotGranted")
    text = _policy_text(policy_document, "policyDocument")
    _check_type(policy_type)
    if not isinstance(access, list) or len(access) != 1:
        raise _field_error("access", access, "Member must have length between 1 and 1")
    actions = list(access[0].get("actions") or [])
    resources = list(access[0].get("resources") or [])
    if not actions and not resources:
        # AWS's text is not established here; the check needs one or the other.
        raise ValidationException(
            "The access entry must contain at least one action or resource.", reason="other"
        )
    if len(actions) > 100 or len(resources) > 100:
        raise _field_error("access", "...", "Member must have length less than or equal to 100")
    result = _run_check(checks.check_access_not_granted, text, actions, resources, policy_type)
    record_event(
        actor, "CheckAccessNotGranted", event_source=SOURCE, request={"policyType": policy_type}
    )
    return result


@operation("CheckNoPublicAccess", event_source=SOURCE)
def check_no_public_access(
    *, actor: Principal, policy_document: str, resource_type: str
) -> checks.CheckResult:
    _authorize(actor, "CheckNoPublicAccess")
    text = _policy_text(policy_document, "policyDocument")
    if not isinstance(resource_type, str) or not resource_type.startswith("AWS::"):
        raise _field_error("resourceType", resource_type, "Member must not be null")
    result = _run_check(checks.check_no_public_access, text, resource_type)
    record_event(
        actor, "CheckNoPublicAccess", event_source=SOURCE, request={"resourceType": resource_type}
    )
    return result


# -------------------------------------------------------------------- analyzers


def _org_of(account_id: str) -> Any:
    """The account's organization (organizations.lookup), or None outside one or when the
    Organizations app is not installed."""
    try:
        # Deferred: the Organizations app is optional for Access Analyzer.
        from organizations.lookup import organization_of
    except ImportError:
        return None
    return organization_of(account_id)


def find_analyzer(actor: Principal, name: str, action: str) -> Analyzer:
    """The caller's analyzer ``name`` (authorized first, so a missing one is not revealed
    to a caller who may not ask)."""
    arn = analyzer_arn(actor.account_id, name)
    _authorize(actor, action, arn)
    analyzer = Analyzer.objects.filter(account_id=actor.account_id, name=name).first()
    if analyzer is None:
        # AWS's text is not established here.
        raise ResourceNotFoundException(
            f"Analyzer {name} not found.", resource_id=name, resource_type="Analyzer"
        )
    return analyzer


def find_analyzer_by_arn(actor: Principal, arn: str, action: str) -> Analyzer:
    m = re.fullmatch(r"arn:aws:access-analyzer:([^:]*):(\d{12}):analyzer/(.{1,255})", arn or "")
    if m is None:
        raise _field_error(
            "analyzerArn",
            arn,
            "Member must satisfy regular expression pattern: "
            "[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:analyzer/.{1,255}",
        )
    _authorize(actor, action, arn)
    analyzer = Analyzer.objects.filter(account_id=actor.account_id, arn=arn).first()
    if analyzer is None:
        raise ResourceNotFoundException(
            f"Analyzer {arn} not found.", resource_id=arn, resource_type="Analyzer"
        )
    return analyzer


def _tags(tags: Any) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in tags.items()
    ):
        raise _field_error("tags", tags, "Member must be a map of strings")
    if len(tags) > MAX_TAGS:
        raise _field_error(
            "tags", "...", f"Member must have length less than or equal to {MAX_TAGS}"
        )
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise _field_error("tags", key, "Tag keys 1..128 and values 0..256 characters")
    return dict(tags)


def _check_filter(flt: Any, field: str = "filter") -> dict[str, Any]:
    if not isinstance(flt, dict) or not flt:
        raise _field_error(field, flt, "Member must not be null")
    for key, crit in flt.items():
        if (
            not isinstance(crit, dict)
            or not crit
            or not set(crit) <= {"eq", "neq", "contains", "exists"}
        ):
            raise _field_error(f"{field}.{key}", crit, "Member must be a criterion")
        for op in ("eq", "neq", "contains"):
            if op in crit and not (isinstance(crit[op], list) and 1 <= len(crit[op]) <= 20):
                raise _field_error(
                    f"{field}.{key}.member.{op}",
                    crit[op],
                    "Member must have length between 1 and 20",
                )
    return flt


def _unused_age(analyzer_type: str, configuration: Any) -> int | None:
    unused = (configuration or {}).get("unusedAccess") if isinstance(configuration, dict) else None
    if not analyzer_type.endswith("_UNUSED_ACCESS"):
        if unused is not None:
            raise ValidationException(
                # AWS's text is not established here.
                "The unusedAccess configuration is supported only for unused access analyzers.",
                reason="other",
            )
        return None
    age = (unused or {}).get("unusedAccessAge", DEFAULT_UNUSED_ACCESS_AGE)
    if not isinstance(age, int) or not 1 <= age <= 365:
        raise _field_error(
            "configuration.unusedAccess.unusedAccessAge",
            age,
            "Member must have value between 1 and 365",
        )
    return age


@operation("CreateAnalyzer", event_source=SOURCE)
def create_analyzer(
    *,
    actor: Principal,
    name: str,
    type: str,
    archive_rules: list[dict[str, Any]] | None = None,
    tags: dict[str, str] | None = None,
    configuration: dict[str, Any] | None = None,
) -> Analyzer:
    """CreateAnalyzer. ORGANIZATION types need the organization's management account."""
    _check_name(name, "analyzerName", _NAME_RE, "[A-Za-z_][A-Za-z0-9_.-]*")
    arn = analyzer_arn(actor.account_id, name)
    _authorize(actor, "CreateAnalyzer", arn)
    if type not in ANALYZER_TYPES:
        raise _field_error(
            "type", type, "Member must satisfy enum value set: [" + ", ".join(ANALYZER_TYPES) + "]"
        )
    if type not in _SUPPORTED_TYPES:
        raise ValidationException(f"Analyzer type {type} is not supported.", reason="notSupported")
    age = _unused_age(type, configuration)
    if type.startswith("ORGANIZATION"):
        org = _org_of(actor.account_id)
        if org is None or org.management_account_id != actor.account_id:
            # AWS refuses an organization analyzer outside the management account (or a
            # delegated administrator, which this installation does not have); its exact
            # text is not established here.
            raise ValidationException(
                "You must create an organization analyzer from the management account of "
                "an organization.",
                reason="other",
            )
    rules = []
    for rule in archive_rules or []:
        rules.append(
            (
                _check_name(
                    rule.get("ruleName"),
                    "archiveRules.member.ruleName",
                    _RULE_RE,
                    "[A-Za-z][A-Za-z0-9_.-]*",
                ),
                _check_filter(rule.get("filter"), "archiveRules.member.filter"),
            )
        )
    if len({r[0] for r in rules}) != len(rules):
        raise ValidationException("Archive rule names must be unique.", reason="other")
    if Analyzer.objects.filter(account_id=actor.account_id, name=name).exists():
        # AWS's text is not established here.
        raise ConflictException(
            f"Analyzer {name} already exists.", resource_id=name, resource_type="Analyzer"
        )
    now = timezone.now()
    config: dict[str, Any] = {}
    if age is not None:
        config = {"unusedAccess": {"unusedAccessAge": age}}
        rule_cfg = _analysis_rule(
            type,
            actor.account_id,
            ((configuration or {}).get("unusedAccess") or {}).get("analysisRule"),
        )
        if rule_cfg:
            config["unusedAccess"]["analysisRule"] = rule_cfg
    analyzer = Analyzer(
        account_id=actor.account_id,
        name=name,
        arn=arn,
        type=type,
        created=now,
        unused_access_age=age,
        configuration=config,
        tags=_tags(tags),
    )
    try:
        with transaction.atomic():
            analyzer.save(force_insert=True)
    except IntegrityError:
        raise ConflictException(
            f"Analyzer {name} already exists.", resource_id=name, resource_type="Analyzer"
        ) from None
    for rule_name, flt in rules:
        ArchiveRule.objects.create(
            analyzer=analyzer, name=rule_name, filter=flt, created=now, updated=now
        )
    refresh(analyzer, now=now)
    record_event(
        actor,
        "CreateAnalyzer",
        arn,
        event_source=SOURCE,
        request={"analyzerName": name, "type": type},
    )
    return analyzer


@operation("GetAnalyzer", event_source=SOURCE)
def get_analyzer(*, actor: Principal, name: str) -> Analyzer:
    analyzer = find_analyzer(actor, name, "GetAnalyzer")
    record_event(
        actor, "GetAnalyzer", analyzer.arn, event_source=SOURCE, request={"analyzerName": name}
    )
    return analyzer


@operation("ListAnalyzers", event_source=SOURCE)
def list_analyzers(
    *,
    actor: Principal,
    type: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> Page:
    _authorize(actor, "ListAnalyzers")
    if type is not None and type not in ANALYZER_TYPES:
        raise _field_error(
            "type", type, "Member must satisfy enum value set: [" + ", ".join(ANALYZER_TYPES) + "]"
        )
    qs = Analyzer.objects.filter(account_id=actor.account_id).order_by("name")
    if type is not None:
        qs = qs.filter(type=type)
    page = page_of(list(qs), next_token, max_results, default=100)
    record_event(actor, "ListAnalyzers", event_source=SOURCE)
    return page


@operation("DeleteAnalyzer", event_source=SOURCE)
def delete_analyzer(*, actor: Principal, name: str) -> None:
    analyzer = find_analyzer(actor, name, "DeleteAnalyzer")
    arn = analyzer.arn
    analyzer.delete()
    record_event(actor, "DeleteAnalyzer", arn, event_source=SOURCE, request={"analyzerName": name})


# ---------------------------------------------------------------- archive rules


def _rule_arn(analyzer: Analyzer, rule: str) -> str:
    return f"{analyzer.arn}/archive-rule/{rule}"


def _find_rule(actor: Principal, analyzer_name: str, rule_name: str, action: str) -> ArchiveRule:
    arn = f"{analyzer_arn(actor.account_id, analyzer_name)}/archive-rule/{rule_name}"
    _authorize(actor, action, arn)
    analyzer = Analyzer.objects.filter(account_id=actor.account_id, name=analyzer_name).first()
    if analyzer is None:
        raise ResourceNotFoundException(
            f"Analyzer {analyzer_name} not found.",
            resource_id=analyzer_name,
            resource_type="Analyzer",
        )
    rule = analyzer.archive_rules.filter(name=rule_name).first()
    if rule is None:
        # AWS's text is not established here.
        raise ResourceNotFoundException(
            f"Archive rule {rule_name} not found.",
            resource_id=rule_name,
            resource_type="ArchiveRule",
        )
    return rule


@operation("CreateArchiveRule", event_source=SOURCE)
def create_archive_rule(
    *, actor: Principal, analyzer_name: str, rule_name: str, filter: dict[str, Any]
) -> ArchiveRule:
    _check_name(rule_name, "ruleName", _RULE_RE, "[A-Za-z][A-Za-z0-9_.-]*")
    arn = f"{analyzer_arn(actor.account_id, analyzer_name)}/archive-rule/{rule_name}"
    _authorize(actor, "CreateArchiveRule", arn)
    flt = _check_filter(filter)
    analyzer = (
        Analyzer.objects.select_for_update()
        .filter(account_id=actor.account_id, name=analyzer_name)
        .first()
    )
    if analyzer is None:
        raise ResourceNotFoundException(
            f"Analyzer {analyzer_name} not found.",
            resource_id=analyzer_name,
            resource_type="Analyzer",
        )
    if analyzer.archive_rules.filter(name=rule_name).exists():
        raise ConflictException(
            f"Archive rule {rule_name} already exists.",
            resource_id=rule_name,
            resource_type="ArchiveRule",
        )
    if analyzer.archive_rules.count() >= MAX_ARCHIVE_RULES:
        raise ServiceQuotaExceededException(
            f"The number of archive rules for analyzer {analyzer_name} cannot exceed {MAX_ARCHIVE_RULES}.",
            resource_id=rule_name,
            resource_type="ArchiveRule",
        )
    now = timezone.now()
    rule = ArchiveRule.objects.create(
        analyzer=analyzer, name=rule_name, filter=flt, created=now, updated=now
    )
    record_event(
        actor, "CreateArchiveRule", arn, event_source=SOURCE, request={"ruleName": rule_name}
    )
    return rule


@operation("GetArchiveRule", event_source=SOURCE)
def get_archive_rule(*, actor: Principal, analyzer_name: str, rule_name: str) -> ArchiveRule:
    rule = _find_rule(actor, analyzer_name, rule_name, "GetArchiveRule")
    record_event(actor, "GetArchiveRule", _rule_arn(rule.analyzer, rule_name), event_source=SOURCE)
    return rule


@operation("ListArchiveRules", event_source=SOURCE)
def list_archive_rules(
    *,
    actor: Principal,
    analyzer_name: str,
    max_results: int | None = None,
    next_token: str | None = None,
) -> Page:
    analyzer = find_analyzer(actor, analyzer_name, "ListArchiveRules")
    page = page_of(
        list(analyzer.archive_rules.order_by("name")), next_token, max_results, default=100
    )
    record_event(actor, "ListArchiveRules", analyzer.arn, event_source=SOURCE)
    return page


@operation("UpdateArchiveRule", event_source=SOURCE)
def update_archive_rule(
    *, actor: Principal, analyzer_name: str, rule_name: str, filter: dict[str, Any]
) -> ArchiveRule:
    rule = _find_rule(actor, analyzer_name, rule_name, "UpdateArchiveRule")
    rule.filter = _check_filter(filter)
    rule.updated = timezone.now()
    rule.save(update_fields=["filter", "updated"])
    record_event(
        actor, "UpdateArchiveRule", _rule_arn(rule.analyzer, rule_name), event_source=SOURCE
    )
    return rule


@operation("DeleteArchiveRule", event_source=SOURCE)
def delete_archive_rule(*, actor: Principal, analyzer_name: str, rule_name: str) -> None:
    rule = _find_rule(actor, analyzer_name, rule_name, "DeleteArchiveRule")
    arn = _rule_arn(rule.analyzer, rule_name)
    rule.delete()
    record_event(actor, "DeleteArchiveRule", arn, event_source=SOURCE)


@operation("ApplyArchiveRule", event_source=SOURCE)
def apply_archive_rule(*, actor: Principal, analyzer_arn: str, rule_name: str) -> int:
    """ApplyArchiveRule: archive the analyzer's active findings the rule matches (the
    number archived)."""
    analyzer = find_analyzer_by_arn(actor, analyzer_arn, "ApplyArchiveRule")
    rule = analyzer.archive_rules.filter(name=rule_name).first()
    if rule is None:
        raise ResourceNotFoundException(
            f"Archive rule {rule_name} not found.",
            resource_id=rule_name,
            resource_type="ArchiveRule",
        )
    now = timezone.now()
    refresh(analyzer, now=now)
    count = 0
    for f in analyzer.findings.filter(status="ACTIVE"):
        if matches(f, rule.filter):
            f.status, f.updated = "ARCHIVED", now
            f.save(update_fields=["status", "updated"])
            count += 1
    record_event(
        actor,
        "ApplyArchiveRule",
        analyzer.arn,
        event_source=SOURCE,
        request={"ruleName": rule_name},
    )
    return count


# --------------------------------------------------------------------- findings


def _finding_uuid(analyzer: Analyzer, key: str) -> str:
    return str(
        uuid.uuid5(uuid.NAMESPACE_URL, f"{analyzer.arn}|{analyzer.created.isoformat()}|{key}")
    )


def _zone(analyzer: Analyzer) -> tuple[list[str], findings.Zone]:
    if analyzer.type.startswith("ORGANIZATION"):
        org = _org_of(analyzer.account_id)
        if org is not None:
            ids = sorted(org.member_account_ids | {org.management_account_id})
            return ids, findings.Zone(frozenset(ids), org.id)
    return [analyzer.account_id], findings.Zone(frozenset({analyzer.account_id}))


def refresh(analyzer: Analyzer, *, now: datetime | None = None) -> None:
    """Bring the analyzer's stored findings in line with the accounts' current state:
    new ones ACTIVE (or ARCHIVED by an archive rule), changed ones updated, gone ones
    RESOLVED, resolved ones that return ACTIVE again. Ids are stable per analyzer and
    finding key, so statuses survive every refresh."""
    now = now or timezone.now()
    accounts, zone = _zone(analyzer)
    computed: list[findings.Computed] = []
    for account_id in accounts:
        if analyzer.is_unused_access:
            computed += findings.unused_access(
                account_id, analyzer.unused_access_age or 90, now, _exclusions(analyzer)
            )
        else:
            computed += findings.external_access(account_id, zone)
    stored = {f.finding_id: f for f in analyzer.findings.all()}
    rules = list(analyzer.archive_rules.all())
    seen: set[str] = set()
    creates = []
    for c in computed:
        fid = _finding_uuid(analyzer, c.key)
        seen.add(fid)
        row = stored.get(fid)
        if c.excluded:
            # An analysisRule exclusion: no finding is generated for the entity; one it
            # already has is archived (AWS's guide, "Manage an unused access analyzer",
            # on updated exclusions; its exact treatment of earlier findings is not
            # established here beyond that they stop being active).
            if row is not None and row.status == "ACTIVE":
                row.status, row.updated = "ARCHIVED", now
                row.save(update_fields=["status", "updated"])
            continue
        if row is None:
            row = Finding(
                analyzer=analyzer,
                finding_id=fid,
                finding_type=c.finding_type,
                resource=c.resource,
                resource_type=c.resource_type,
                resource_owner_account=c.owner,
                status="ACTIVE",
                details=c.details,
                created=now,
                updated=now,
                analyzed=now,
            )
            if any(matches(row, r.filter) for r in rules):
                row.status = "ARCHIVED"
            creates.append(row)
            continue
        fields = ["analyzed"]
        row.analyzed = now
        if row.details != c.details:
            row.details, row.updated = c.details, now
            fields += ["details", "updated"]
        if row.status == "RESOLVED":
            row.status, row.updated = "ACTIVE", now
            fields += ["status", "updated"]
        row.save(update_fields=sorted(set(fields)))
    Finding.objects.bulk_create(creates)
    gone = [fid for fid, f in stored.items() if fid not in seen and f.status != "RESOLVED"]
    if gone:
        analyzer.findings.filter(finding_id__in=gone).update(status="RESOLVED", updated=now)
    if computed:
        analyzer.last_resource_analyzed = computed[-1].resource
        analyzer.last_resource_analyzed_at = now
        analyzer.save(update_fields=["last_resource_analyzed", "last_resource_analyzed_at"])


def _attribute(f: Finding, key: str) -> list[str]:
    """The values a filter key names on a finding (AWS's filter keys)."""
    d = f.details or {}
    simple = {
        "id": f.finding_id,
        "status": f.status,
        "resource": f.resource,
        "resourceType": f.resource_type,
        "resourceOwnerAccount": f.resource_owner_account,
        "findingType": f.finding_type,
    }
    if key in simple:
        return [simple[key]]
    if key == "isPublic" and "isPublic" in d:
        return ["true" if d["isPublic"] else "false"]
    if key == "action":
        return list(d.get("action", []))
    if key.startswith("principal."):
        v = d.get("principal", {}).get(key.split(".", 1)[1])
        return [v] if v is not None else []
    if key.startswith("condition."):
        v = d.get("condition", {}).get(key.split(".", 1)[1])
        return [v] if v is not None else []
    if key == "accessKeyId" and "accessKeyId" in d:
        return [d["accessKeyId"]]
    if key == "serviceNamespace":
        return [s["serviceNamespace"] for s in d.get("services", [])]
    return []


def matches(f: Finding, flt: dict[str, Any]) -> bool:
    """A filter (FilterCriteriaMap): every key's criterion holds (eq: some value equals
    one listed; neq: none does; contains: some value contains one listed; exists)."""
    for key, crit in flt.items():
        values = _attribute(f, key)
        if "eq" in crit and not any(v in crit["eq"] for v in values):
            return False
        if "neq" in crit and any(v in crit["neq"] for v in values):
            return False
        if "contains" in crit and not any(s in v for v in values for s in crit["contains"]):
            return False
        if "exists" in crit and bool(values) != bool(crit["exists"]):
            return False
    return True


_SORT_KEYS = {
    "createdAt": "created",
    "updatedAt": "updated",
    "analyzedAt": "analyzed",
    "resource": "resource",
    "resourceType": "resource_type",
    "status": "status",
    "findingType": "finding_type",
    "id": "finding_id",
    "resourceOwnerAccount": "resource_owner_account",
}


@dataclass(frozen=True)
class FindingView:
    analyzer: Analyzer
    finding: Finding


@operation("ListFindings", event_source=SOURCE)
def list_findings(
    *,
    actor: Principal,
    analyzer_arn: str,
    filter: dict[str, Any] | None = None,
    sort: dict[str, Any] | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
    v1: bool = False,
) -> Page:
    """ListFindings / ListFindingsV2 (both authorized as ListFindings). V1 reads only
    external access analyzers, as AWS's ListFindings."""
    analyzer = find_analyzer_by_arn(actor, analyzer_arn, "ListFindings")
    if v1 and analyzer.is_unused_access:
        # AWS's text is not established here.
        raise ValidationException(
            "ListFindings is not supported for unused access analyzers; use ListFindingsV2.",
            reason="notSupported",
        )
    if filter:
        _check_filter(filter)
    refresh(analyzer)
    rows = [f for f in analyzer.findings.all() if not filter or matches(f, filter)]
    if sort:
        attr = _SORT_KEYS.get(sort.get("attributeName") or "")
        if attr is None:
            raise _field_error(
                "sort.attributeName",
                sort.get("attributeName"),
                "Member must be a finding attribute",
            )
        rows.sort(key=lambda f: getattr(f, attr), reverse=sort.get("orderBy") == "DESC")
    page = page_of(rows, next_token, max_results, default=100)
    record_event(
        actor, "ListFindingsV2" if not v1 else "ListFindings", analyzer.arn, event_source=SOURCE
    )
    return page


@operation("GetFinding", event_source=SOURCE)
def get_finding(
    *, actor: Principal, analyzer_arn: str, finding_id: str, v1: bool = False
) -> Finding:
    analyzer = find_analyzer_by_arn(actor, analyzer_arn, "GetFinding")
    if v1 and analyzer.is_unused_access:
        raise ValidationException(
            "GetFinding is not supported for unused access analyzers; use GetFindingV2.",
            reason="notSupported",
        )
    refresh(analyzer)
    f = analyzer.findings.filter(finding_id=finding_id).first()
    if f is None:
        # AWS's text is not established here.
        raise ResourceNotFoundException(
            f"Finding {finding_id} not found.", resource_id=finding_id, resource_type="Finding"
        )
    record_event(
        actor, "GetFindingV2" if not v1 else "GetFinding", analyzer.arn, event_source=SOURCE
    )
    return f


@operation("UpdateFindings", event_source=SOURCE)
def update_findings(
    *,
    actor: Principal,
    analyzer_arn: str,
    status: str,
    ids: list[str] | None = None,
    resource_arn: str | None = None,
) -> int:
    """UpdateFindings: ACTIVE or ARCHIVED, by ids or for every finding of one resource."""
    analyzer = find_analyzer_by_arn(actor, analyzer_arn, "UpdateFindings")
    if status not in ("ACTIVE", "ARCHIVED"):
        raise _field_error(
            "status", status, "Member must satisfy enum value set: [ACTIVE, ARCHIVED]"
        )
    if not ids and not resource_arn:
        # AWS's text is not established here.
        raise ValidationException("Specify finding ids or a resource ARN.", reason="other")
    refresh(analyzer)
    qs = analyzer.findings.exclude(status="RESOLVED")
    if ids:
        found = set(qs.filter(finding_id__in=ids).values_list("finding_id", flat=True))
        missing = [i for i in ids if i not in found]
        if missing:
            raise ResourceNotFoundException(
                f"Finding {missing[0]} not found.", resource_id=missing[0], resource_type="Finding"
            )
        qs = qs.filter(finding_id__in=ids)
    if resource_arn:
        qs = qs.filter(resource=resource_arn)
    count = qs.exclude(status=status).update(status=status, updated=timezone.now())
    record_event(
        actor,
        "UpdateFindings",
        analyzer.arn,
        event_source=SOURCE,
        request={"status": status, "ids": ids or []},
    )
    return count


# ------------------------------------------------------------------------ tags


def _tag_target(actor: Principal, resource_arn: str, action: str) -> Analyzer:
    if not re.fullmatch(
        r"arn:aws:access-analyzer:[^:]*:\d{12}:analyzer/[^/]{1,255}", resource_arn or ""
    ):
        raise _field_error("resourceArn", resource_arn, "Member must be an analyzer ARN")
    return find_analyzer_by_arn(actor, resource_arn, action)


@operation("TagResource", event_source=SOURCE)
def tag_resource(*, actor: Principal, resource_arn: str, tags: dict[str, str]) -> None:
    analyzer = _tag_target(actor, resource_arn, "TagResource")
    merged = {**analyzer.tags, **_tags(tags)}
    _tags(merged)
    analyzer.tags = merged
    analyzer.save(update_fields=["tags"])
    record_event(
        actor, "TagResource", analyzer.arn, event_source=SOURCE, request={"tagKeys": sorted(tags)}
    )


@operation("UntagResource", event_source=SOURCE)
def untag_resource(*, actor: Principal, resource_arn: str, tag_keys: list[str]) -> None:
    analyzer = _tag_target(actor, resource_arn, "UntagResource")
    analyzer.tags = {k: v for k, v in analyzer.tags.items() if k not in set(tag_keys or [])}
    analyzer.save(update_fields=["tags"])
    record_event(
        actor,
        "UntagResource",
        analyzer.arn,
        event_source=SOURCE,
        request={"tagKeys": list(tag_keys or [])},
    )


@operation("ListTagsForResource", event_source=SOURCE)
def list_tags_for_resource(*, actor: Principal, resource_arn: str) -> dict[str, str]:
    analyzer = _tag_target(actor, resource_arn, "ListTagsForResource")
    record_event(actor, "ListTagsForResource", analyzer.arn, event_source=SOURCE)
    return dict(analyzer.tags)


# ------------------------------------------------------------- policy generation


def _principal_entity(actor: Principal, arn: str) -> IamUser | Role:
    m = re.fullmatch(r"arn:aws:iam::(\d{12}):(user|role)/(.{1,576})", arn or "")
    if m is None:
        raise _field_error(
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
    _authorize(actor, "StartPolicyGeneration")
    _principal_entity(actor, principal_arn)
    now = timezone.now()
    end = end_time or now
    if not isinstance(start_time, datetime):
        raise _field_error("cloudTrailDetails.startTime", start_time, "Member must not be null")
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
    _authorize(actor, "GetGeneratedPolicy")
    job = _find_job(actor, job_id)
    policies: list[str] = []
    if job.status == "SUCCEEDED":
        policies = generation.generated_policies(
            job.used,
            account_id=job.account_id,
            region=_region(),
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
    _authorize(actor, "ListPolicyGenerations")
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
    _authorize(actor, "CancelPolicyGeneration")
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


# ---------------------------------------------------- analyzer configuration


_TAG_CHARS = re.compile(r"[\w\s_.:/=+\-@]*")
MAX_EXCLUDED_ACCOUNTS = 2000  # AnalysisRuleCriteria.accountIds: "cannot include more than 2,000"


def _exclusions(analyzer: Analyzer) -> list[dict[str, Any]]:
    rule = (analyzer.configuration.get("unusedAccess") or {}).get("analysisRule") or {}
    return list(rule.get("exclusions") or [])


def _analysis_rule(analyzer_type: str, owner: str, rule: Any) -> dict[str, Any] | None:
    """An unused access analyzer's ``analysisRule``, checked as the model documents
    AnalysisRuleCriteria: account ids only for organization analyzers, never the
    analyzer owner's, at most 2,000; tag keys 1..128 characters not prefixed ``aws:``,
    values 0..256, of Unicode letters, digits, whitespace and ``_ . / = + -``. The
    texts of AWS's errors for these are not established here."""
    if rule is None:
        return None
    field = "configuration.unusedAccess.analysisRule"
    if not isinstance(rule, dict):
        raise _field_error(field, rule, "Member must be a structure")
    exclusions = rule.get("exclusions")
    if exclusions is None:
        return {}
    if not isinstance(exclusions, list):
        raise _field_error(f"{field}.exclusions", exclusions, "Member must be a list")
    out: list[dict[str, Any]] = []
    for crit in exclusions:
        if not isinstance(crit, dict) or not (crit.get("accountIds") or crit.get("resourceTags")):
            raise ValidationException(
                "Each analysis rule exclusion must specify accountIds or resourceTags.",
                reason="other",
            )
        entry: dict[str, Any] = {}
        accounts = crit.get("accountIds") or []
        if accounts:
            if not analyzer_type.startswith("ORGANIZATION"):
                raise ValidationException(
                    "Account IDs can only be applied to the analysis rule criteria for "
                    "organization-level analyzers.",
                    reason="other",
                )
            if len(accounts) > MAX_EXCLUDED_ACCOUNTS:
                raise _field_error(
                    f"{field}.exclusions.member.accountIds",
                    "...",
                    f"Member must have length less than or equal to {MAX_EXCLUDED_ACCOUNTS}",
                )
            for account in accounts:
                if not isinstance(account, str) or not re.fullmatch(r"\d{12}", account):
                    raise _field_error(
                        f"{field}.exclusions.member.accountIds.member",
                        account,
                        "Member must be a 12-digit account ID",
                    )
            if owner in accounts:
                raise ValidationException(
                    "The excluded accounts cannot include the organization analyzer owner account.",
                    reason="other",
                )
            entry["accountIds"] = list(accounts)
        tag_sets = crit.get("resourceTags") or []
        if tag_sets:
            for tags in tag_sets:
                if not isinstance(tags, dict) or not tags:
                    raise _field_error(
                        f"{field}.exclusions.member.resourceTags.member",
                        tags,
                        "Member must be a non-empty map of strings",
                    )
                for key, value in tags.items():
                    ok = (
                        isinstance(key, str)
                        and isinstance(value, str)
                        and 1 <= len(key) <= 128
                        and len(value) <= 256
                        and not key.lower().startswith("aws:")
                        and _TAG_CHARS.fullmatch(key)
                        and _TAG_CHARS.fullmatch(value)
                    )
                    if not ok:
                        raise _field_error(
                            f"{field}.exclusions.member.resourceTags.member",
                            key,
                            "Tag keys 1..128 characters, not prefixed with aws:, and values "
                            "0..256 characters, of letters, digits, whitespace and _ . / = + -",
                        )
            entry["resourceTags"] = [dict(t) for t in tag_sets]
        out.append(entry)
    return {"exclusions": out}


@operation("UpdateAnalyzer", event_source=SOURCE)
def update_analyzer(
    *, actor: Principal, name: str, configuration: dict[str, Any] | None
) -> Analyzer:
    """UpdateAnalyzer: an unused access analyzer's tracking period and analysis rule
    ("This action is not supported for external access analyzers"). A member left out
    keeps its value (AWS's treatment of an omitted unusedAccessAge on update is not
    established here). The findings are re-derived at once under the new settings."""
    _check_name(name, "analyzerName", _NAME_RE, "[A-Za-z_][A-Za-z0-9_.-]*")
    analyzer = find_analyzer(actor, name, "UpdateAnalyzer")
    analyzer = Analyzer.objects.select_for_update().get(pk=analyzer.pk)
    if not analyzer.is_unused_access:
        # AWS's text is not established here.
        raise ValidationException(
            "UpdateAnalyzer is not supported for external access analyzers.",
            reason="notSupported",
        )
    if not isinstance(configuration, dict) or not configuration:
        raise _field_error("configuration", configuration, "Member must not be null")
    if "unusedAccess" not in configuration:
        # internalAccess belongs to internal access analyzers, which this installation
        # does not create.
        raise ValidationException(
            "The configuration of an unused access analyzer must be unusedAccess.",
            reason="other",
        )
    unused = configuration.get("unusedAccess") or {}
    if not isinstance(unused, dict):
        raise _field_error("configuration.unusedAccess", unused, "Member must be a structure")
    age = unused.get("unusedAccessAge", analyzer.unused_access_age or DEFAULT_UNUSED_ACCESS_AGE)
    age = _unused_age(analyzer.type, {"unusedAccess": {"unusedAccessAge": age}})
    config = {"unusedAccessAge": age}
    if "analysisRule" in unused:
        rule = _analysis_rule(analyzer.type, analyzer.account_id, unused["analysisRule"])
    else:
        rule = (analyzer.configuration.get("unusedAccess") or {}).get("analysisRule")
    if rule:
        config["analysisRule"] = rule
    analyzer.unused_access_age = age
    analyzer.configuration = {"unusedAccess": config}
    analyzer.save(update_fields=["unused_access_age", "configuration"])
    refresh(analyzer)
    record_event(
        actor,
        "UpdateAnalyzer",
        analyzer.arn,
        event_source=SOURCE,
        request={"analyzerName": name, "configuration": analyzer.configuration},
    )
    return analyzer


# ------------------------------------------------------------ findings statistics


@dataclass(frozen=True)
class FindingsStatistics:
    analyzer: Analyzer
    statistics: dict[str, Any]  # one FindingsStatistics union member, by its name
    last_updated: datetime


def _totals(rows: Sequence[Finding]) -> dict[str, int]:
    return {
        "totalActiveFindings": sum(f.status == "ACTIVE" for f in rows),
        "totalArchivedFindings": sum(f.status == "ARCHIVED" for f in rows),
        "totalResolvedFindings": sum(f.status == "RESOLVED" for f in rows),
    }


MAX_TOP_ACCOUNTS = 10  # AccountAggregations: "one to ten" accounts


@operation("GetFindingsStatistics", event_source=SOURCE)
def get_findings_statistics(*, actor: Principal, analyzer_arn: str) -> FindingsStatistics:
    """GetFindingsStatistics, from the analyzer's findings (brought up to date first, as
    every read here does). External access: totals by status, and per resource type the
    active public and cross-account (active, not public) findings; there are no analysis
    errors here, so ``totalActiveErrors`` is 0. Unused access: totals by status, active
    findings per unused access type, and the accounts with the most active findings
    (with their active findings per type)."""
    analyzer = find_analyzer_by_arn(actor, analyzer_arn, "GetFindingsStatistics")
    now = timezone.now()
    refresh(analyzer, now=now)
    rows = list(analyzer.findings.all())
    active = [f for f in rows if f.status == "ACTIVE"]
    if analyzer.is_unused_access:
        by_type: dict[str, int] = {}
        by_account: dict[str, dict[str, int]] = {}
        for f in active:
            by_type[f.finding_type] = by_type.get(f.finding_type, 0) + 1
            per = by_account.setdefault(f.resource_owner_account, {})
            per[f.finding_type] = per.get(f.finding_type, 0) + 1
        top = sorted(by_account.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        stats: dict[str, Any] = {
            "unusedAccessTypeStatistics": [
                {"unusedAccessType": t, "total": n} for t, n in sorted(by_type.items())
            ],
            **_totals(rows),
        }
        if top:
            stats["topAccounts"] = [
                {"account": acct, "numberOfActiveFindings": sum(d.values()), "details": d}
                for acct, d in top[:MAX_TOP_ACCOUNTS]
            ]
        result = {"unusedAccessFindingsStatistics": stats}
    else:
        types: dict[str, dict[str, int]] = {}
        for f in rows:
            entry = types.setdefault(
                f.resource_type,
                {"totalActivePublic": 0, "totalActiveCrossAccount": 0, "totalActiveErrors": 0},
            )
            if f.status == "ACTIVE":
                public = bool((f.details or {}).get("isPublic"))
                entry["totalActivePublic" if public else "totalActiveCrossAccount"] += 1
        result = {
            "externalAccessFindingsStatistics": {
                "resourceTypeStatistics": types,
                **_totals(rows),
            }
        }
    record_event(actor, "GetFindingsStatistics", analyzer.arn, event_source=SOURCE)
    return FindingsStatistics(analyzer, result, now)


# ----------------------------------------------------------------- access previews

# Access previews (CreateAccessPreview, "Previewing access with IAM Access Analyzer
# APIs"): the findings an external access analysis would report for a resource with a
# proposed access control configuration. This installation models IAM roles only, so
# only the ``iamRole`` configuration (a proposed trust policy) is previewed; the other
# Configuration members (s3Bucket, kmsKey, sqsQueue, …) name resources not modelled
# here and are refused with a ValidationException rather than answered with an empty,
# misleading preview. Previews are computed when created: their status is COMPLETED,
# or FAILED (statusReason INVALID_CONFIGURATION) for a trust policy that cannot be
# read, as AccessPreviewStatusReason documents.

_PREVIEW_ID_RE = re.compile(r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}")
_ROLE_ARN_RE = re.compile(r"arn:aws:iam::(\d{12}):role/((?:[\x21-\x7e]*/)?)([\w+=,.@-]{1,64})")
CONFIGURATION_TYPES = (
    "ebsSnapshot",
    "ecrRepository",
    "iamRole",
    "efsFileSystem",
    "kmsKey",
    "rdsDbClusterSnapshot",
    "rdsDbSnapshot",
    "secretsManagerSecret",
    "s3Bucket",
    "snsTopic",
    "sqsQueue",
    "s3ExpressDirectoryBucket",
    "dynamodbStream",
    "dynamodbTable",
)


def _preview_analyzer(actor: Principal, analyzer_arn: str, action: str) -> Analyzer:
    analyzer = find_analyzer_by_arn(actor, analyzer_arn, action)
    if analyzer.type != "ACCOUNT":
        # "You can only create an access preview for analyzers with an Account type and
        # Active status" (CreateAccessPreview, analyzerArn); AWS's error text is not
        # established here.
        raise ValidationException(
            "Access previews can only be created for analyzers with an ACCOUNT type.",
            reason="notSupported",
        )
    return analyzer


def _preview_role(
    analyzer: Analyzer, configurations: Any
) -> tuple[str, Role | None, str | None, dict[str, Any]]:
    """The one role ARN a preview's configurations name, the role if it exists, the
    trust policy to analyze (None: use the existing one), and the configurations."""
    if not isinstance(configurations, dict) or len(configurations) != 1:
        # "The configuration must contain exactly one element."
        raise _field_error("configurations", "...", "Member must have length between 1 and 1")
    ((arn, config),) = configurations.items()
    if not isinstance(config, dict) or len(config) != 1:
        raise _field_error(
            f"configurations.{arn}", config, "Member must specify exactly one configuration"
        )
    ((kind, value),) = config.items()
    if kind not in CONFIGURATION_TYPES:
        raise _field_error(f"configurations.{arn}", kind, "Member must be a Configuration")
    if kind != "iamRole":
        raise ValidationException(
            f"Access previews for {kind} configurations are not supported by this "
            "installation: only iamRole configurations can be previewed.",
            reason="notSupported",
            fields=[(f"configurations.{arn}.{kind}", "Configuration type not supported")],
        )
    m = _ROLE_ARN_RE.fullmatch(arn or "")
    if m is None:
        raise ValidationException(
            f"The resource ARN {arn} is not a valid IAM role ARN.",
            fields=[(f"configurations.{arn}", "Member must be an IAM role ARN")],
        )
    if m.group(1) != analyzer.account_id:
        raise ValidationException(
            f"The IAM role {arn} is not in the analyzer's account {analyzer.account_id}.",
            fields=[(f"configurations.{arn}", "Member must be in the analyzer's account")],
        )
    role = Role.objects.filter(account_id=analyzer.account_id, arn=arn).first()
    if not isinstance(value, dict):
        raise _field_error(f"configurations.{arn}.iamRole", value, "Member must be a structure")
    trust = value.get("trustPolicy")
    if trust is None and role is None:
        # "If the configuration is for a new IAM role, you must specify the trust policy."
        raise ValidationException(
            f"A trust policy is required for the new IAM role {arn}.",
            fields=[(f"configurations.{arn}.iamRole.trustPolicy", "Member must not be null")],
        )
    if trust is not None and (not isinstance(trust, str) or not trust):
        # "The proposed trust policy cannot be an empty string."
        raise ValidationException(
            "The proposed trust policy cannot be an empty string.",
            fields=[(f"configurations.{arn}.iamRole.trustPolicy", "Member must not be empty")],
        )
    return arn, role, trust, {arn: {"iamRole": dict(value)}}


def _preview_findings(
    analyzer: Analyzer, preview_id: str, role_arn: str, computed: list[findings.Computed]
) -> list[dict[str, Any]]:
    """Preview findings, compared with the analyzer's stored findings for the role:
    a computed finding that exists is UNCHANGED when its status would stay (ACTIVE or
    ARCHIVED) and CHANGED when a RESOLVED one would return ACTIVE; one that does not
    exist is NEW (ACTIVE, or ARCHIVED when an archive rule matches it, as the analyzer
    itself would file it); an existing ACTIVE or ARCHIVED finding the proposal removes
    is CHANGED with status RESOLVED."""
    now = timezone.now()
    stored = {f.finding_id: f for f in analyzer.findings.filter(resource=role_arn)}
    rules = list(analyzer.archive_rules.all())
    out: list[dict[str, Any]] = []
    seen: set[str] = set()

    def entry(key: str, c_details: dict[str, Any], **fields: Any) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{preview_id}|{key}")),
            "principal": c_details.get("principal", {}),
            "action": c_details.get("action", []),
            "condition": c_details.get("condition", {}),
            "isPublic": c_details.get("isPublic", False),
            "sources": c_details.get("sources", []),
            "resource": role_arn,
            "resourceType": "AWS::IAM::Role",
            "resourceOwnerAccount": analyzer.account_id,
            "createdAt": now.isoformat(),
            **fields,
        }

    for c in computed:
        fid = _finding_uuid(analyzer, c.key)
        seen.add(fid)
        existing = stored.get(fid)
        if existing is None:
            probe = Finding(
                analyzer=analyzer,
                finding_id="",
                finding_type=c.finding_type,
                resource=c.resource,
                resource_type=c.resource_type,
                resource_owner_account=c.owner,
                status="ACTIVE",
                details=c.details,
            )
            status = "ARCHIVED" if any(matches(probe, r.filter) for r in rules) else "ACTIVE"
            out.append(entry(c.key, c.details, changeType="NEW", status=status))
            continue
        status = "ACTIVE" if existing.status == "RESOLVED" else existing.status
        out.append(
            entry(
                c.key,
                c.details,
                changeType="UNCHANGED" if status == existing.status else "CHANGED",
                status=status,
                existingFindingId=existing.finding_id,
                existingFindingStatus=existing.status,
            )
        )
    for fid, existing in stored.items():
        if fid in seen or existing.status == "RESOLVED":
            continue
        out.append(
            entry(
                fid,
                existing.details or {},
                changeType="CHANGED",
                status="RESOLVED",
                existingFindingId=existing.finding_id,
                existingFindingStatus=existing.status,
            )
        )
    return out


@operation("CreateAccessPreview", event_source=SOURCE)
def create_access_preview(
    *,
    actor: Principal,
    analyzer_arn: str,
    configurations: dict[str, Any],
    client_token: str | None = None,
) -> AccessPreview:
    """CreateAccessPreview for one IAM role (existing, or new in the analyzer's account).
    A repeated ``clientToken`` on the same analyzer returns the preview it created."""
    analyzer = _preview_analyzer(actor, analyzer_arn, "CreateAccessPreview")
    token = client_token or ""
    if token:
        earlier = analyzer.previews.filter(client_token=token).first()
        if earlier is not None:
            return earlier
    arn, role, proposed, echoed = _preview_role(analyzer, configurations)
    trust = proposed if proposed is not None else role.trust_policy  # type: ignore[union-attr]
    preview_id = str(uuid.uuid4())
    status, reason, found = "COMPLETED", "", []
    refresh(analyzer)
    try:
        # What IAM's CreateRole / UpdateAssumeRolePolicy would refuse (malformed, or
        # over the trust policy quota) is an invalid configuration.
        trust = check_policy_document(trust, kind="trust", limit=TRUST_POLICY_LIMIT)
        statements = findings.parse_trust_policy(trust)
    except (MalformedPolicyDocument, LimitExceeded, JsonError, PolicyError):
        status, reason = "FAILED", "INVALID_CONFIGURATION"
    else:
        _, zone = _zone(analyzer)
        if role is not None and is_service_linked(role):
            computed: list[findings.Computed] = []  # AWS reports none for these roles
        else:
            computed = findings.role_external_access(arn, analyzer.account_id, statements, zone)
        found = _preview_findings(analyzer, preview_id, arn, computed)
    preview = AccessPreview.objects.create(
        analyzer=analyzer,
        preview_id=preview_id,
        client_token=token,
        configurations=echoed,
        created=timezone.now(),
        status=status,
        status_reason=reason,
        findings=found,
    )
    record_event(
        actor,
        "CreateAccessPreview",
        analyzer.arn,
        event_source=SOURCE,
        request={"resource": arn},
    )
    return preview


def _find_preview(analyzer: Analyzer, preview_id: str) -> AccessPreview:
    if not isinstance(preview_id, str) or not _PREVIEW_ID_RE.fullmatch(preview_id):
        raise _field_error(
            "accessPreviewId",
            preview_id,
            "Member must satisfy regular expression pattern: "
            "[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}",
        )
    preview = analyzer.previews.filter(preview_id=preview_id).first()
    if preview is None:
        # AWS's text is not established here.
        raise ResourceNotFoundException(
            f"Access preview {preview_id} not found.",
            resource_id=preview_id,
            resource_type="AccessPreview",
        )
    return preview


@operation("GetAccessPreview", event_source=SOURCE)
def get_access_preview(*, actor: Principal, analyzer_arn: str, preview_id: str) -> AccessPreview:
    analyzer = _preview_analyzer(actor, analyzer_arn, "GetAccessPreview")
    preview = _find_preview(analyzer, preview_id)
    record_event(
        actor,
        "GetAccessPreview",
        analyzer.arn,
        event_source=SOURCE,
        request={"accessPreviewId": preview_id},
    )
    return preview


@operation("ListAccessPreviews", event_source=SOURCE)
def list_access_previews(
    *,
    actor: Principal,
    analyzer_arn: str,
    max_results: int | None = None,
    next_token: str | None = None,
) -> Page:
    analyzer = _preview_analyzer(actor, analyzer_arn, "ListAccessPreviews")
    page = page_of(list(analyzer.previews.all()), next_token, max_results, default=100)
    record_event(actor, "ListAccessPreviews", analyzer.arn, event_source=SOURCE)
    return page


def _preview_attribute(f: dict[str, Any], key: str) -> list[str]:
    """The values a filter key names on a preview finding (the finding filter keys,
    and changeType, existingFindingId, existingFindingStatus)."""
    if key in (
        "id",
        "status",
        "resource",
        "resourceType",
        "resourceOwnerAccount",
        "changeType",
        "existingFindingId",
        "existingFindingStatus",
    ):
        return [f[key]] if f.get(key) is not None else []
    if key == "isPublic":
        return ["true" if f.get("isPublic") else "false"]
    if key == "action":
        return list(f.get("action", []))
    if key.startswith("principal.") or key.startswith("condition."):
        part, _, name = key.partition(".")
        v = (f.get(part) or {}).get(name)
        return [v] if v is not None else []
    return []


def _preview_matches(f: dict[str, Any], flt: dict[str, Any]) -> bool:
    for key, crit in flt.items():
        values = _preview_attribute(f, key)
        if "eq" in crit and not any(v in crit["eq"] for v in values):
            return False
        if "neq" in crit and any(v in crit["neq"] for v in values):
            return False
        if "contains" in crit and not any(s in v for v in values for s in crit["contains"]):
            return False
        if "exists" in crit and bool(values) != bool(crit["exists"]):
            return False
    return True


@operation("ListAccessPreviewFindings", event_source=SOURCE)
def list_access_preview_findings(
    *,
    actor: Principal,
    analyzer_arn: str,
    preview_id: str,
    filter: dict[str, Any] | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> Page:
    analyzer = _preview_analyzer(actor, analyzer_arn, "ListAccessPreviewFindings")
    preview = _find_preview(analyzer, preview_id)
    if preview.status != "COMPLETED":
        # A failed preview has no findings to list: ConflictException, the error the
        # model lists for a preview whose findings are not available, rather than an
        # empty list that would read as "no external access". AWS's text is not
        # established here.
        raise ConflictException(
            f"The access preview {preview_id} has status {preview.status}: it has no findings.",
            resource_id=preview_id,
            resource_type="AccessPreview",
        )
    if filter:
        _check_filter(filter)
    rows = [f for f in preview.findings if not filter or _preview_matches(f, filter)]
    page = page_of(rows, next_token, max_results, default=100)
    record_event(
        actor,
        "ListAccessPreviewFindings",
        analyzer.arn,
        event_source=SOURCE,
        request={"accessPreviewId": preview_id},
    )
    return page
