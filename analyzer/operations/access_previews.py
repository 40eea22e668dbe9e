"""Access previews (CreateAccessPreview, "Previewing access with IAM Access Analyzer
APIs"): the findings an external access analysis would report for a resource with a
proposed access control configuration. This installation models IAM roles only, so
only the ``iamRole`` configuration (a proposed trust policy) is previewed; the other
Configuration members (s3Bucket, kmsKey, sqsQueue, …) name resources not modelled
here and are refused with a ValidationException rather than answered with an empty,
misleading preview. Previews are computed when created: their status is COMPLETED,
or FAILED (statusReason INVALID_CONFIGURATION) for a trust policy that cannot be
read, as AccessPreviewStatusReason documents.

CreateAccessPreview, GetAccessPreview, ListAccessPreviews and ListAccessPreviewFindings
are authorized on the analyzer's ARN.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.utils import timezone

from accounts.errors import LimitExceeded, MalformedPolicyDocument
from accounts.models import Role
from accounts.operations.common import TRUST_POLICY_LIMIT
from accounts.operations.service_linked import is_service_linked
from accounts.principal import Principal
from analyzer import findings as analysis  # what an analysis finds (pure reads)
from analyzer.errors import ConflictException, ResourceNotFoundException, ValidationException
from analyzer.models import AccessPreview, Analyzer, Finding
from analyzer.operations.common import (
    SOURCE,
    Page,
    check_filter,
    field_error,
    find_analyzer_by_arn,
    page_of,
)
from analyzer.operations.findings import criteria_hold, finding_uuid, matches, refresh, zone_of
from audit.trail import record_event
from iamconsole.ops import operation
from policies.documents import check_policy_document
from policies.engine.document import PolicyError
from policies.engine.jsonsafe import JsonError

__all__ = [
    "CONFIGURATION_TYPES",
    "create_access_preview",
    "get_access_preview",
    "list_access_preview_findings",
    "list_access_previews",
]


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
        raise field_error("configurations", "...", "Member must have length between 1 and 1")
    ((arn, config),) = configurations.items()
    if not isinstance(config, dict) or len(config) != 1:
        raise field_error(
            f"configurations.{arn}", config, "Member must specify exactly one configuration"
        )
    ((kind, value),) = config.items()
    if kind not in CONFIGURATION_TYPES:
        raise field_error(f"configurations.{arn}", kind, "Member must be a Configuration")
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
        raise field_error(f"configurations.{arn}.iamRole", value, "Member must be a structure")
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
    analyzer: Analyzer, preview_id: str, role_arn: str, computed: list[analysis.Computed]
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
        fid = finding_uuid(analyzer, c.key)
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
        statements = analysis.parse_trust_policy(trust)
    except (MalformedPolicyDocument, LimitExceeded, JsonError, PolicyError):
        status, reason = "FAILED", "INVALID_CONFIGURATION"
    else:
        _, zone = zone_of(analyzer)
        if role is not None and is_service_linked(role):
            computed: list[analysis.Computed] = []  # AWS reports none for these roles
        else:
            computed = analysis.role_external_access(arn, analyzer.account_id, statements, zone)
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
        raise field_error(
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
    return criteria_hold(lambda key: _preview_attribute(f, key), flt)


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
        check_filter(filter)
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
