"""An analyzer's findings: bringing them up to date (``refresh``), filters, ListFindings
(and ListFindingsV2), GetFinding (and GetFindingV2), UpdateFindings and
GetFindingsStatistics.

ListFindingsV2 and GetFindingV2 are authorized as ``ListFindings`` and ``GetFinding``,
the actions AWS's reference lists for them; GetFindingsStatistics on the analyzer's
ARN. What an analyzer finds is computed by ``analyzer.findings``; ``refresh`` files it.

Every call brings the findings up to date first, as each API call reads the accounts'
current state. A console page that shows one analyzer's findings and their statistics
reads inside ``one_refresh_per_analyzer()``, so the page costs one refresh, not two.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from accounts.principal import Principal
from analyzer import findings as analysis  # what an analysis finds (pure reads)
from analyzer.errors import ResourceNotFoundException, ValidationException
from analyzer.models import Analyzer, Finding
from analyzer.operations.common import (
    SOURCE,
    Page,
    check_filter,
    field_error,
    find_analyzer_by_arn,
    org_of,
    page_of,
)
from audit.trail import record_event
from iamconsole.ops import operation

__all__ = [
    "FindingsStatistics",
    "criteria_hold",
    "finding_uuid",
    "get_finding",
    "get_findings_statistics",
    "list_findings",
    "matches",
    "one_refresh_per_analyzer",
    "refresh",
    "update_findings",
    "zone_of",
]


def finding_uuid(analyzer: Analyzer, key: str) -> str:
    return str(
        uuid.uuid5(uuid.NAMESPACE_URL, f"{analyzer.arn}|{analyzer.created.isoformat()}|{key}")
    )


def zone_of(analyzer: Analyzer) -> tuple[list[str], analysis.Zone]:
    if analyzer.type.startswith("ORGANIZATION"):
        org = org_of(analyzer.account_id)
        if org is not None:
            ids = sorted(org.member_account_ids | {org.management_account_id})
            return ids, analysis.Zone(frozenset(ids), org.id)
    return [analyzer.account_id], analysis.Zone(frozenset({analyzer.account_id}))


def _exclusions(analyzer: Analyzer) -> list[dict[str, Any]]:
    rule = (analyzer.configuration.get("unusedAccess") or {}).get("analysisRule") or {}
    return list(rule.get("exclusions") or [])


def refresh(analyzer: Analyzer, *, now: datetime | None = None) -> None:
    """Bring the analyzer's stored findings in line with the accounts' current state:
    new ones ACTIVE (or ARCHIVED by an archive rule), changed ones updated, gone ones
    RESOLVED, resolved ones that return ACTIVE again. Ids are stable per analyzer and
    finding key, so statuses survive every refresh."""
    now = now or timezone.now()
    accounts, zone = zone_of(analyzer)
    computed: list[analysis.Computed] = []
    for account_id in accounts:
        if analyzer.is_unused_access:
            computed += analysis.unused_access(
                account_id, analyzer.unused_access_age or 90, now, _exclusions(analyzer)
            )
        else:
            computed += analysis.external_access(account_id, zone)
    stored = {f.finding_id: f for f in analyzer.findings.all()}
    rules = list(analyzer.archive_rules.all())
    seen: set[str] = set()
    creates = []
    for c in computed:
        fid = finding_uuid(analyzer, c.key)
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


# The analyzers (by pk) whose findings a read inside ``one_refresh_per_analyzer()`` has
# brought up to date; None outside such a block.
_fresh: ContextVar[set[int] | None] = ContextVar("analyzer_fresh", default=None)


@contextmanager
def one_refresh_per_analyzer() -> Iterator[None]:
    """Within the block, the reads (ListFindings, GetFinding, GetFindingsStatistics) bring
    each analyzer's findings up to date once: the first read that succeeds refreshes, the
    later ones read what it filed. For an interface that makes one answer from several
    reads (the console's analyzer page: its findings and their statistics), not for
    writes in between: a change made inside the block is not re-analyzed by its reads.
    Outside a block, and in the writes, every call refreshes, as every API call does."""
    token = _fresh.set(set())
    try:
        yield
    finally:
        _fresh.reset(token)


def _refresh_for_read(analyzer: Analyzer, *, now: datetime | None = None) -> None:
    fresh = _fresh.get()
    if fresh is None or analyzer.pk not in fresh:
        refresh(analyzer, now=now)


def _read_done(analyzer: Analyzer) -> None:
    """Called as a read returns: inside a block its refresh now holds for the next reads.
    (Not before: a read that fails rolls its refresh back with it.)"""
    fresh = _fresh.get()
    if fresh is not None:
        fresh.add(analyzer.pk)


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
    """A stored finding against a filter (see :func:`criteria_hold`)."""
    return criteria_hold(lambda key: _attribute(f, key), flt)


def criteria_hold(values_of: Callable[[str], list[Any]], flt: dict[str, Any]) -> bool:
    """A filter (FilterCriteriaMap): every key's criterion holds (eq: some value equals
    one listed; neq: none does; contains: some value contains one listed; exists), the
    key's values read by ``values_of``."""
    for key, crit in flt.items():
        values = values_of(key)
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
        check_filter(filter)
    _refresh_for_read(analyzer)
    rows = [f for f in analyzer.findings.all() if not filter or matches(f, filter)]
    if sort:
        attr = _SORT_KEYS.get(sort.get("attributeName") or "")
        if attr is None:
            raise field_error(
                "sort.attributeName",
                sort.get("attributeName"),
                "Member must be a finding attribute",
            )
        rows.sort(key=lambda f: getattr(f, attr), reverse=sort.get("orderBy") == "DESC")
    page = page_of(rows, next_token, max_results, default=100)
    record_event(
        actor, "ListFindingsV2" if not v1 else "ListFindings", analyzer.arn, event_source=SOURCE
    )
    _read_done(analyzer)
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
    _refresh_for_read(analyzer)
    f = analyzer.findings.filter(finding_id=finding_id).first()
    if f is None:
        # AWS's text is not established here.
        raise ResourceNotFoundException(
            f"Finding {finding_id} not found.", resource_id=finding_id, resource_type="Finding"
        )
    record_event(
        actor, "GetFindingV2" if not v1 else "GetFinding", analyzer.arn, event_source=SOURCE
    )
    _read_done(analyzer)
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
        raise field_error(
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
    every read here does, see ``one_refresh_per_analyzer``). External access: totals by status, and per resource type the
    active public and cross-account (active, not public) findings; there are no analysis
    errors here, so ``totalActiveErrors`` is 0. Unused access: totals by status, active
    findings per unused access type, and the accounts with the most active findings
    (with their active findings per type)."""
    analyzer = find_analyzer_by_arn(actor, analyzer_arn, "GetFindingsStatistics")
    now = timezone.now()
    _refresh_for_read(analyzer, now=now)
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
    _read_done(analyzer)
    return FindingsStatistics(analyzer, result, now)
