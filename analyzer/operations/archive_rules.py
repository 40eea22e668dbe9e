"""Archive rules: CreateArchiveRule, GetArchiveRule, ListArchiveRules, UpdateArchiveRule,
DeleteArchiveRule, and ApplyArchiveRule (archive the active findings a rule matches),
authorized on the rule's ARN (``…/archive-rule/<rule>``) or, for ApplyArchiveRule and
ListArchiveRules, on the analyzer's.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from accounts.principal import Principal
from analyzer.errors import (
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
)
from analyzer.models import Analyzer, ArchiveRule
from analyzer.operations.common import (
    RULE_RE,
    SOURCE,
    Page,
    analyzer_arn,
    authorize_action,
    check_filter,
    check_name,
    find_analyzer,
    find_analyzer_by_arn,
    page_of,
)
from analyzer.operations.findings import matches, refresh
from audit.trail import record_event
from iamconsole.ops import operation

__all__ = [
    "apply_archive_rule",
    "create_archive_rule",
    "delete_archive_rule",
    "get_archive_rule",
    "list_archive_rules",
    "update_archive_rule",
]

MAX_ARCHIVE_RULES = 100  # "Archive rules per analyzer" (IAM Access Analyzer quotas)


def _rule_arn(analyzer: Analyzer, rule: str) -> str:
    return f"{analyzer.arn}/archive-rule/{rule}"


def _find_rule(actor: Principal, analyzer_name: str, rule_name: str, action: str) -> ArchiveRule:
    arn = f"{analyzer_arn(actor.account_id, analyzer_name)}/archive-rule/{rule_name}"
    authorize_action(actor, action, arn)
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
    check_name(rule_name, "ruleName", RULE_RE, "[A-Za-z][A-Za-z0-9_.-]*")
    arn = f"{analyzer_arn(actor.account_id, analyzer_name)}/archive-rule/{rule_name}"
    authorize_action(actor, "CreateArchiveRule", arn)
    flt = check_filter(filter)
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
    rule.filter = check_filter(filter)
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
