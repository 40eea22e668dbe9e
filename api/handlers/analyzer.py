"""IAM Access Analyzer actions (REST-JSON protocol): botocore input dict -> operation -> output dict."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accounts.principal import Principal
from analyzer.errors import ValidationException
from analyzer.models import AccessPreview, Analyzer, ArchiveRule, Finding, PolicyGeneration
from analyzer.operations import (
    access_previews,
    analyzers,
    archive_rules,
    common,
    findings,
    policy_checks,
    policy_generation,
)

__all__ = ["HANDLERS"]


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _analyzer(a: Analyzer) -> dict[str, Any]:
    out: dict[str, Any] = {
        "arn": a.arn,
        "name": a.name,
        "type": a.type,
        "createdAt": a.created,
        "tags": dict(a.tags),
        "status": "ACTIVE",
    }
    if a.last_resource_analyzed:
        out["lastResourceAnalyzed"] = a.last_resource_analyzed
        out["lastResourceAnalyzedAt"] = a.last_resource_analyzed_at
    if a.configuration:
        out["configuration"] = a.configuration
    return out


def _rule(r: ArchiveRule) -> dict[str, Any]:
    return {"ruleName": r.name, "filter": r.filter, "createdAt": r.created, "updatedAt": r.updated}


def _summary_v2(f: Finding) -> dict[str, Any]:
    return {
        "analyzedAt": f.analyzed,
        "createdAt": f.created,
        "id": f.finding_id,
        "resource": f.resource,
        "resourceType": f.resource_type,
        "resourceOwnerAccount": f.resource_owner_account,
        "status": f.status,
        "updatedAt": f.updated,
        "findingType": f.finding_type,
    }


def _details(f: Finding) -> list[dict[str, Any]]:
    d = f.details or {}
    if f.finding_type == "ExternalAccess":
        return [
            {
                "externalAccessDetails": {
                    "action": d.get("action", []),
                    "condition": d.get("condition", {}),
                    "isPublic": d.get("isPublic", False),
                    "principal": d.get("principal", {}),
                    "sources": d.get("sources", []),
                }
            }
        ]
    if f.finding_type == "UnusedIAMRole":
        return [
            {"unusedIamRoleDetails": _drop_none({"lastAccessed": _when(d.get("lastAccessed"))})}
        ]
    if f.finding_type == "UnusedIAMUserPassword":
        return [
            {
                "unusedIamUserPasswordDetails": _drop_none(
                    {"lastAccessed": _when(d.get("lastAccessed"))}
                )
            }
        ]
    if f.finding_type == "UnusedIAMUserAccessKey":
        return [
            {
                "unusedIamUserAccessKeyDetails": _drop_none(
                    {"accessKeyId": d["accessKeyId"], "lastAccessed": _when(d.get("lastAccessed"))}
                )
            }
        ]
    out = []
    for svc in d.get("services", []):
        entry: dict[str, Any] = {"serviceNamespace": svc["serviceNamespace"]}
        if svc.get("lastAccessed"):
            entry["lastAccessed"] = _when(svc["lastAccessed"])
        if svc.get("actions"):
            entry["actions"] = [
                _drop_none({"action": a["action"], "lastAccessed": _when(a.get("lastAccessed"))})
                for a in svc["actions"]
            ]
        out.append({"unusedPermissionDetails": entry})
    return out


def _finding_v1(f: Finding) -> dict[str, Any]:
    d = f.details or {}
    return {
        "id": f.finding_id,
        "principal": d.get("principal", {}),
        "action": d.get("action", []),
        "resource": f.resource,
        "isPublic": d.get("isPublic", False),
        "resourceType": f.resource_type,
        "condition": d.get("condition", {}),
        "createdAt": f.created,
        "analyzedAt": f.analyzed,
        "updatedAt": f.updated,
        "status": f.status,
        "resourceOwnerAccount": f.resource_owner_account,
        "sources": d.get("sources", []),
    }


def _token(page: common.Page) -> dict[str, Any]:
    return {"nextToken": page.next_token} if page.next_token else {}


# ------------------------------------------------------------------ policy checks


def validate_policy(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    page = policy_checks.validate_policy(
        actor=actor,
        policy_document=params.get("policyDocument"),
        policy_type=params.get("policyType"),
        resource_type=params.get("validatePolicyResourceType"),
        max_results=params.get("maxResults"),
        next_token=params.get("nextToken"),
    )
    return {"findings": list(page.items), **_token(page)}


def check_no_new_access(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    return policy_checks.check_no_new_access(
        actor=actor,
        new_policy_document=params.get("newPolicyDocument"),
        existing_policy_document=params.get("existingPolicyDocument"),
        policy_type=params.get("policyType"),
    ).as_dict()


def check_access_not_granted(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    return policy_checks.check_access_not_granted(
        actor=actor,
        policy_document=params.get("policyDocument"),
        access=params.get("access") or [],
        policy_type=params.get("policyType"),
    ).as_dict()


def check_no_public_access(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    return policy_checks.check_no_public_access(
        actor=actor,
        policy_document=params.get("policyDocument"),
        resource_type=params.get("resourceType"),
    ).as_dict()


# -------------------------------------------------------------------- analyzers


def create_analyzer(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    analyzer = analyzers.create_analyzer(
        actor=actor,
        name=params.get("analyzerName"),
        type=params.get("type"),
        archive_rules=params.get("archiveRules"),
        tags=params.get("tags"),
        configuration=params.get("configuration"),
    )
    return {"arn": analyzer.arn}


def get_analyzer(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    return {"analyzer": _analyzer(analyzers.get_analyzer(actor=actor, name=params["analyzerName"]))}


def list_analyzers(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    page = analyzers.list_analyzers(
        actor=actor,
        type=params.get("type"),
        max_results=params.get("maxResults"),
        next_token=params.get("nextToken"),
    )
    return {"analyzers": [_analyzer(a) for a in page.items], **_token(page)}


def delete_analyzer(actor: Principal, params: dict[str, Any]) -> None:
    analyzers.delete_analyzer(actor=actor, name=params["analyzerName"])


def update_analyzer(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    analyzer = analyzers.update_analyzer(
        actor=actor, name=params["analyzerName"], configuration=params.get("configuration")
    )
    return {"configuration": analyzer.configuration}


def get_findings_statistics(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    result = findings.get_findings_statistics(actor=actor, analyzer_arn=params.get("analyzerArn"))
    return {"findingsStatistics": [result.statistics], "lastUpdatedAt": result.last_updated}


def create_archive_rule(actor: Principal, params: dict[str, Any]) -> None:
    archive_rules.create_archive_rule(
        actor=actor,
        analyzer_name=params["analyzerName"],
        rule_name=params.get("ruleName"),
        filter=params.get("filter"),
    )


def get_archive_rule(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    rule = archive_rules.get_archive_rule(
        actor=actor, analyzer_name=params["analyzerName"], rule_name=params["ruleName"]
    )
    return {"archiveRule": _rule(rule)}


def list_archive_rules(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    page = archive_rules.list_archive_rules(
        actor=actor,
        analyzer_name=params["analyzerName"],
        max_results=params.get("maxResults"),
        next_token=params.get("nextToken"),
    )
    return {"archiveRules": [_rule(r) for r in page.items], **_token(page)}


def update_archive_rule(actor: Principal, params: dict[str, Any]) -> None:
    archive_rules.update_archive_rule(
        actor=actor,
        analyzer_name=params["analyzerName"],
        rule_name=params["ruleName"],
        filter=params.get("filter"),
    )


def delete_archive_rule(actor: Principal, params: dict[str, Any]) -> None:
    archive_rules.delete_archive_rule(
        actor=actor, analyzer_name=params["analyzerName"], rule_name=params["ruleName"]
    )


def apply_archive_rule(actor: Principal, params: dict[str, Any]) -> None:
    archive_rules.apply_archive_rule(
        actor=actor, analyzer_arn=params.get("analyzerArn"), rule_name=params.get("ruleName")
    )


# --------------------------------------------------------------------- findings


def list_findings_v2(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    page = findings.list_findings(
        actor=actor,
        analyzer_arn=params.get("analyzerArn"),
        filter=params.get("filter"),
        sort=params.get("sort"),
        max_results=params.get("maxResults"),
        next_token=params.get("nextToken"),
    )
    return {"findings": [_summary_v2(f) for f in page.items], **_token(page)}


def get_finding_v2(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    f = findings.get_finding(
        actor=actor, analyzer_arn=params.get("analyzerArn"), finding_id=params["id"]
    )
    details = common.page_of(
        _details(f), params.get("nextToken"), params.get("maxResults"), default=100
    )
    return {
        **_summary_v2(f),
        "findingDetails": list(details.items),
        **_token(details),
    }


def list_findings(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    page = findings.list_findings(
        actor=actor,
        analyzer_arn=params.get("analyzerArn"),
        filter=params.get("filter"),
        sort=params.get("sort"),
        max_results=params.get("maxResults"),
        next_token=params.get("nextToken"),
        v1=True,
    )
    return {"findings": [_finding_v1(f) for f in page.items], **_token(page)}


def get_finding(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    f = findings.get_finding(
        actor=actor, analyzer_arn=params.get("analyzerArn"), finding_id=params["id"], v1=True
    )
    return {"finding": _finding_v1(f)}


def update_findings(actor: Principal, params: dict[str, Any]) -> None:
    findings.update_findings(
        actor=actor,
        analyzer_arn=params.get("analyzerArn"),
        status=params.get("status"),
        ids=params.get("ids"),
        resource_arn=params.get("resourceArn"),
    )


# -------------------------------------------------------------- access previews


def _preview_summary(p: AccessPreview) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": p.preview_id,
        "analyzerArn": p.analyzer.arn,
        "createdAt": p.created,
        "status": p.status,
    }
    if p.status_reason:
        out["statusReason"] = {"code": p.status_reason}
    return out


def _preview_finding(f: dict[str, Any]) -> dict[str, Any]:
    return {**f, "createdAt": _when(f["createdAt"])}


def create_access_preview(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    preview = access_previews.create_access_preview(
        actor=actor,
        analyzer_arn=params.get("analyzerArn"),
        configurations=params.get("configurations"),
        client_token=params.get("clientToken"),
    )
    return {"id": preview.preview_id}


def get_access_preview(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    preview = access_previews.get_access_preview(
        actor=actor, analyzer_arn=params.get("analyzerArn"), preview_id=params["accessPreviewId"]
    )
    return {
        "accessPreview": {**_preview_summary(preview), "configurations": preview.configurations}
    }


def list_access_previews(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    page = access_previews.list_access_previews(
        actor=actor,
        analyzer_arn=params.get("analyzerArn"),
        max_results=params.get("maxResults"),
        next_token=params.get("nextToken"),
    )
    return {"accessPreviews": [_preview_summary(p) for p in page.items], **_token(page)}


def list_access_preview_findings(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    page = access_previews.list_access_preview_findings(
        actor=actor,
        analyzer_arn=params.get("analyzerArn"),
        preview_id=params["accessPreviewId"],
        filter=params.get("filter"),
        max_results=params.get("maxResults"),
        next_token=params.get("nextToken"),
    )
    return {"findings": [_preview_finding(f) for f in page.items], **_token(page)}


# ------------------------------------------------------------------------ tags


def tag_resource(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    analyzers.tag_resource(
        actor=actor, resource_arn=params["resourceArn"], tags=params.get("tags") or {}
    )
    return {}


def untag_resource(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    analyzers.untag_resource(
        actor=actor, resource_arn=params["resourceArn"], tag_keys=params.get("tagKeys") or []
    )
    return {}


def list_tags_for_resource(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "tags": analyzers.list_tags_for_resource(actor=actor, resource_arn=params["resourceArn"])
    }


# ------------------------------------------------------------- policy generation


def start_policy_generation(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    details = params.get("policyGenerationDetails") or {}
    trail = params.get("cloudTrailDetails")
    if trail is None:
        # Generation reads activity over cloudTrailDetails' time range; AWS's text for
        # its absence is not established here.
        raise ValidationException(
            "cloudTrailDetails is required to generate a policy.",
            fields=[("cloudTrailDetails", "Member must not be null")],
        )
    job = policy_generation.start_policy_generation(
        actor=actor,
        principal_arn=details.get("principalArn"),
        start_time=trail.get("startTime"),
        end_time=trail.get("endTime"),
        trails=trail.get("trails"),
        access_role=trail.get("accessRole") or "",
    )
    return {"jobId": job.job_id}


def _job(job: PolicyGeneration) -> dict[str, Any]:
    return _drop_none(
        {
            "jobId": job.job_id,
            "status": job.status,
            "startedOn": job.started_on,
            "completedOn": job.completed_on,
        }
    )


def get_generated_policy(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    result = policy_generation.get_generated_policy(
        actor=actor,
        job_id=params["jobId"],
        include_resource_placeholders=bool(params.get("includeResourcePlaceholders")),
        include_service_level_template=bool(params.get("includeServiceLevelTemplate")),
    )
    job = result.job
    trails = [
        _drop_none(
            {
                "cloudTrailArn": t.get("cloudTrailArn"),
                "regions": t.get("regions"),
                "allRegions": t.get("allRegions"),
            }
        )
        for t in job.trails
    ]
    return {
        "jobDetails": _job(job),
        "generatedPolicyResult": {
            "properties": {
                "isComplete": True,
                "principalArn": job.principal_arn,
                "cloudTrailProperties": {
                    "trailProperties": trails,
                    "startTime": job.start_time,
                    "endTime": job.end_time,
                },
            },
            "generatedPolicies": [{"policy": p} for p in result.policies],
        },
    }


def list_policy_generations(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    page = policy_generation.list_policy_generations(
        actor=actor,
        principal_arn=params.get("principalArn"),
        max_results=params.get("maxResults"),
        next_token=params.get("nextToken"),
    )
    return {
        "policyGenerations": [{**_job(j), "principalArn": j.principal_arn} for j in page.items],
        **_token(page),
    }


def cancel_policy_generation(actor: Principal, params: dict[str, Any]) -> dict[str, Any]:
    policy_generation.cancel_policy_generation(actor=actor, job_id=params["jobId"])
    return {}


HANDLERS: dict[str, Any] = {
    "ValidatePolicy": validate_policy,
    "CheckNoNewAccess": check_no_new_access,
    "CheckAccessNotGranted": check_access_not_granted,
    "CheckNoPublicAccess": check_no_public_access,
    "CreateAnalyzer": create_analyzer,
    "GetAnalyzer": get_analyzer,
    "ListAnalyzers": list_analyzers,
    "DeleteAnalyzer": delete_analyzer,
    "UpdateAnalyzer": update_analyzer,
    "GetFindingsStatistics": get_findings_statistics,
    "CreateAccessPreview": create_access_preview,
    "GetAccessPreview": get_access_preview,
    "ListAccessPreviews": list_access_previews,
    "ListAccessPreviewFindings": list_access_preview_findings,
    "CreateArchiveRule": create_archive_rule,
    "GetArchiveRule": get_archive_rule,
    "ListArchiveRules": list_archive_rules,
    "UpdateArchiveRule": update_archive_rule,
    "DeleteArchiveRule": delete_archive_rule,
    "ApplyArchiveRule": apply_archive_rule,
    "ListFindingsV2": list_findings_v2,
    "GetFindingV2": get_finding_v2,
    "ListFindings": list_findings,
    "GetFinding": get_finding,
    "UpdateFindings": update_findings,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
    "StartPolicyGeneration": start_policy_generation,
    "GetGeneratedPolicy": get_generated_policy,
    "ListPolicyGenerations": list_policy_generations,
    "CancelPolicyGeneration": cancel_policy_generation,
}
