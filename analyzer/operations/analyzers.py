"""Analyzers: CreateAnalyzer, GetAnalyzer, ListAnalyzers, DeleteAnalyzer, UpdateAnalyzer
(an unused access analyzer's tracking period and analysis rule, authorized on the
analyzer's ARN), and the analyzer's tags (TagResource, UntagResource,
ListTagsForResource).
"""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.principal import Principal
from analyzer.errors import ConflictException, ValidationException
from analyzer.models import Analyzer, ArchiveRule
from analyzer.operations.common import (
    RULE_RE,
    SOURCE,
    Page,
    analyzer_arn,
    authorize_action,
    check_filter,
    check_name,
    field_error,
    find_analyzer,
    find_analyzer_by_arn,
    org_of,
    page_of,
)
from analyzer.operations.findings import refresh
from audit.trail import record_event
from iamconsole.ops import operation

__all__ = [
    "ANALYZER_TYPES",
    "create_analyzer",
    "delete_analyzer",
    "get_analyzer",
    "list_analyzers",
    "list_tags_for_resource",
    "tag_resource",
    "untag_resource",
    "update_analyzer",
]

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
DEFAULT_UNUSED_ACCESS_AGE = 90  # days; AWS's default tracking period
MAX_TAGS = 50
_TAG_CHARS = re.compile(r"[\w\s_.:/=+\-@]*")
MAX_EXCLUDED_ACCOUNTS = 2000  # AnalysisRuleCriteria.accountIds: "cannot include more than 2,000"


def _tags(tags: Any) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in tags.items()
    ):
        raise field_error("tags", tags, "Member must be a map of strings")
    if len(tags) > MAX_TAGS:
        raise field_error(
            "tags", "...", f"Member must have length less than or equal to {MAX_TAGS}"
        )
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise field_error("tags", key, "Tag keys 1..128 and values 0..256 characters")
    return dict(tags)


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
        raise field_error(
            "configuration.unusedAccess.unusedAccessAge",
            age,
            "Member must have value between 1 and 365",
        )
    return age


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
        raise field_error(field, rule, "Member must be a structure")
    exclusions = rule.get("exclusions")
    if exclusions is None:
        return {}
    if not isinstance(exclusions, list):
        raise field_error(f"{field}.exclusions", exclusions, "Member must be a list")
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
                raise field_error(
                    f"{field}.exclusions.member.accountIds",
                    "...",
                    f"Member must have length less than or equal to {MAX_EXCLUDED_ACCOUNTS}",
                )
            for account in accounts:
                if not isinstance(account, str) or not re.fullmatch(r"\d{12}", account):
                    raise field_error(
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
                    raise field_error(
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
                        raise field_error(
                            f"{field}.exclusions.member.resourceTags.member",
                            key,
                            "Tag keys 1..128 characters, not prefixed with aws:, and values "
                            "0..256 characters, of letters, digits, whitespace and _ . / = + -",
                        )
            entry["resourceTags"] = [dict(t) for t in tag_sets]
        out.append(entry)
    return {"exclusions": out}


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
    check_name(name, "analyzerName", _NAME_RE, "[A-Za-z_][A-Za-z0-9_.-]*")
    arn = analyzer_arn(actor.account_id, name)
    authorize_action(actor, "CreateAnalyzer", arn)
    if type not in ANALYZER_TYPES:
        raise field_error(
            "type", type, "Member must satisfy enum value set: [" + ", ".join(ANALYZER_TYPES) + "]"
        )
    if type not in _SUPPORTED_TYPES:
        raise ValidationException(f"Analyzer type {type} is not supported.", reason="notSupported")
    age = _unused_age(type, configuration)
    if type.startswith("ORGANIZATION"):
        org = org_of(actor.account_id)
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
                check_name(
                    rule.get("ruleName"),
                    "archiveRules.member.ruleName",
                    RULE_RE,
                    "[A-Za-z][A-Za-z0-9_.-]*",
                ),
                check_filter(rule.get("filter"), "archiveRules.member.filter"),
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
    authorize_action(actor, "ListAnalyzers")
    if type is not None and type not in ANALYZER_TYPES:
        raise field_error(
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


@operation("UpdateAnalyzer", event_source=SOURCE)
def update_analyzer(
    *, actor: Principal, name: str, configuration: dict[str, Any] | None
) -> Analyzer:
    """UpdateAnalyzer: an unused access analyzer's tracking period and analysis rule
    ("This action is not supported for external access analyzers"). A member left out
    keeps its value (AWS's treatment of an omitted unusedAccessAge on update is not
    established here). The findings are re-derived at once under the new settings."""
    check_name(name, "analyzerName", _NAME_RE, "[A-Za-z_][A-Za-z0-9_.-]*")
    analyzer = find_analyzer(actor, name, "UpdateAnalyzer")
    analyzer = Analyzer.objects.select_for_update().get(pk=analyzer.pk)
    if not analyzer.is_unused_access:
        # AWS's text is not established here.
        raise ValidationException(
            "UpdateAnalyzer is not supported for external access analyzers.",
            reason="notSupported",
        )
    if not isinstance(configuration, dict) or not configuration:
        raise field_error("configuration", configuration, "Member must not be null")
    if "unusedAccess" not in configuration:
        # internalAccess belongs to internal access analyzers, which this installation
        # does not create.
        raise ValidationException(
            "The configuration of an unused access analyzer must be unusedAccess.",
            reason="other",
        )
    unused = configuration.get("unusedAccess") or {}
    if not isinstance(unused, dict):
        raise field_error("configuration.unusedAccess", unused, "Member must be a structure")
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


# ------------------------------------------------------------------------ tags


def _tag_target(actor: Principal, resource_arn: str, action: str) -> Analyzer:
    if not re.fullmatch(
        r"arn:aws:access-analyzer:[^:]*:\d{12}:analyzer/[^/]{1,255}", resource_arn or ""
    ):
        raise field_error("resourceArn", resource_arn, "Member must be an analyzer ARN")
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
