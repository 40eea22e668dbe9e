"""The Access Analyzer console: analyzers, their findings (archive, unarchive), unused
access per principal with what to remove, policy checks, and policy generation for a
user or role (review, edit, create as a customer-managed policy).

Views only translate: parse the form, call one operation, render.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.errors import IamError
from accounts.models import IamUser, Role
from analyzer.operations.analyzers import (
    create_analyzer,
    delete_analyzer,
    get_analyzer,
    list_analyzers,
)
from analyzer.operations.findings import (
    FindingsStatistics,
    get_findings_statistics,
    list_findings,
    one_refresh_per_analyzer,
    update_findings,
)
from analyzer.operations.policy_checks import (
    check_access_not_granted,
    check_no_new_access,
    validate_policy,
)
from analyzer.operations.policy_generation import get_generated_policy, start_policy_generation
from iamconsole.console import authorize_page, console_login_required, principal_of
from iamconsole.pages import HtmxHttpRequest, render_error
from policies.operations import create_policy

BACK = ("/access-analyzer/", "Access Analyzer")
TYPE_CHOICES = [
    ("ACCOUNT", "External access (account)"),
    ("ORGANIZATION", "External access (organization)"),
    ("ACCOUNT_UNUSED_ACCESS", "Unused access (account)"),
    ("ORGANIZATION_UNUSED_ACCESS", "Unused access (organization)"),
]
STATUSES = ("ACTIVE", "ARCHIVED", "RESOLVED")


def _remedy(finding_type: str, details: dict[str, Any]) -> str:
    """The "remove unused" suggestion for an unused-access finding."""
    if finding_type == "UnusedIAMRole":
        return "Delete the role, or remove it from what no longer needs it."
    if finding_type == "UnusedIAMUserPassword":
        return "Remove the user's console password (delete the login profile)."
    if finding_type == "UnusedIAMUserAccessKey":
        return f"Deactivate, then delete, access key {details.get('accessKeyId', '')}."
    if finding_type == "UnusedPermission":
        parts = []
        for svc in details.get("services", []):
            actions = svc.get("actions")
            if actions:
                parts.append(", ".join(a["action"] for a in actions))
            else:
                parts.append(f"{svc['serviceNamespace']}:*")
        return "Remove from the principal's policies: " + "; ".join(parts) + "."
    return ""


@console_login_required
@require_http_methods(["GET", "POST"])
def analyzer_list(request: HtmxHttpRequest) -> HttpResponse:
    actor = principal_of(request)
    error: IamError | None = None
    status = 200
    if request.method == "POST":
        name = request.POST.get("name", "").strip()
        kind = request.POST.get("type", "")
        configuration = None
        if kind.endswith("_UNUSED_ACCESS"):
            raw_age = request.POST.get("unused_access_age", "").strip() or "90"
            age: Any = int(raw_age) if raw_age.isascii() and raw_age.isdigit() else raw_age
            configuration = {"unusedAccess": {"unusedAccessAge": age}}
        try:
            create_analyzer(actor=actor, name=name, type=kind, configuration=configuration)
        except IamError as exc:
            error, status = exc, exc.status
        else:
            messages.success(request, f"Analyzer {name} created.")
            return redirect("analyzer:analyzer-detail", name=name)
    try:
        analyzers = list(list_analyzers(actor=actor, max_results=1000).items)
    except IamError as exc:
        return render_error(request, exc)
    return render(
        request,
        "analyzer/list.html",
        {"analyzers": analyzers, "types": TYPE_CHOICES, "error": error, "form": request.POST},
        status=status,
    )


@console_login_required
@require_POST
def analyzer_delete(request: HtmxHttpRequest, name: str) -> HttpResponse:
    try:
        delete_analyzer(actor=principal_of(request), name=name)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    messages.success(request, f"Analyzer {name} deleted.")
    return redirect("analyzer:analyzer-list")


@console_login_required
@require_GET
def analyzer_detail(request: HtmxHttpRequest, name: str) -> HttpResponse:
    """An analyzer's findings with their evidence, by status; unused access grouped by
    principal with the suggestion of what to remove."""
    actor = principal_of(request)
    shown = request.GET.get("status", "ACTIVE")
    if shown not in STATUSES:
        shown = "ACTIVE"
    with one_refresh_per_analyzer():  # the list and the statistics card: one refresh
        try:
            analyzer = get_analyzer(actor=actor, name=name)
            page = list_findings(
                actor=actor,
                analyzer_arn=analyzer.arn,
                filter={"status": {"eq": [shown]}},
                max_results=1000,
            )
        except IamError as exc:
            return render_error(request, exc, back=BACK)
        try:
            stats = get_findings_statistics(actor=actor, analyzer_arn=analyzer.arn)
        except IamError:
            stats = None  # a caller who may list findings but not their statistics
    rows = []
    for f in page.items:
        rows.append(
            {
                "f": f,
                "remedy": _remedy(f.finding_type, f.details) if analyzer.is_unused_access else "",
                "evidence": json.dumps(f.details, indent=2, sort_keys=True),
            }
        )
    by_principal: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_principal.setdefault(row["f"].resource, []).append(row)
    return render(
        request,
        "analyzer/detail.html",
        {
            "analyzer": analyzer,
            "rows": rows,
            "by_principal": sorted(by_principal.items()),
            "shown": shown,
            "statuses": STATUSES,
            "stats": _stats_view(stats),
        },
    )


def _stats_view(stats: FindingsStatistics | None) -> dict[str, Any] | None:
    """GetFindingsStatistics' answer, flattened for the summary card."""
    if stats is None:
        return None
    ((kind, data),) = stats.statistics.items()
    return {
        "unused": kind == "unusedAccessFindingsStatistics",
        "active": data["totalActiveFindings"],
        "archived": data["totalArchivedFindings"],
        "resolved": data["totalResolvedFindings"],
        "by_type": [
            (t["unusedAccessType"], t["total"]) for t in data.get("unusedAccessTypeStatistics", [])
        ],
        "by_resource": sorted(data.get("resourceTypeStatistics", {}).items()),
        "updated": stats.last_updated,
    }


@console_login_required
@require_POST
def finding_update(request: HtmxHttpRequest, name: str) -> HttpResponse:
    """Archive or unarchive one finding."""
    actor = principal_of(request)
    status = request.POST.get("status", "")
    try:
        analyzer = get_analyzer(actor=actor, name=name)
        update_findings(
            actor=actor,
            analyzer_arn=analyzer.arn,
            status=status,
            ids=[request.POST.get("id", "")],
        )
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    messages.success(
        request, "Finding archived." if status == "ARCHIVED" else "Finding unarchived."
    )
    back = request.POST.get("shown", "ACTIVE")
    url = reverse("analyzer:analyzer-detail", args=[name])
    return redirect(f"{url}?status={back if back in STATUSES else 'ACTIVE'}")


@console_login_required
@require_http_methods(["GET", "POST"])
def policy_checks(request: HtmxHttpRequest) -> HttpResponse:
    """Validate a policy, or run a custom check (no new access, access not granted)."""
    actor = principal_of(request)
    if request.method == "GET":
        try:  # the page is the checks' form: a caller who may not validate gets the refusal
            authorize_page(actor, "access-analyzer:ValidatePolicy", "*")
        except IamError as exc:
            return render_error(request, exc, back=BACK)
    context: dict[str, Any] = {"form": request.POST, "check": request.POST.get("check", "validate")}
    status = 200
    if request.method == "POST":
        check = context["check"]
        try:
            if check == "no-new-access":
                context["result"] = check_no_new_access(
                    actor=actor,
                    new_policy_document=request.POST.get("document", ""),
                    existing_policy_document=request.POST.get("existing", ""),
                    policy_type=request.POST.get("check_type", "IDENTITY_POLICY"),
                ).as_dict()
            elif check == "access-not-granted":
                actions = request.POST.get("actions", "").split()
                resources = request.POST.get("resources", "").split()
                context["result"] = check_access_not_granted(
                    actor=actor,
                    policy_document=request.POST.get("document", ""),
                    access=[{"actions": actions, "resources": resources}],
                    policy_type=request.POST.get("check_type", "IDENTITY_POLICY"),
                ).as_dict()
            else:
                policy_type = request.POST.get("policy_type", "IDENTITY_POLICY")
                resource_type = None
                if policy_type == "TRUST_POLICY":
                    policy_type, resource_type = (
                        "RESOURCE_POLICY",
                        "AWS::IAM::AssumeRolePolicyDocument",
                    )
                context["findings"] = list(
                    validate_policy(
                        actor=actor,
                        policy_document=request.POST.get("document", ""),
                        policy_type=policy_type,
                        resource_type=resource_type,
                        max_results=1000,
                    ).items
                )
        except IamError as exc:
            context["error"], status = exc, exc.status
    return render(request, "analyzer/checks.html", context, status=status)


@console_login_required
@require_http_methods(["GET", "POST"])
def generate_policy(request: HtmxHttpRequest, kind: str, name: str) -> HttpResponse:
    """Generate policy for a user or role over the last N days of its activity."""
    actor = principal_of(request)
    if kind not in ("user", "role"):
        kind = "user"
    if request.method == "GET":
        try:  # nothing of the principal is shown to a caller who may not generate
            authorize_page(actor, "access-analyzer:StartPolicyGeneration", "*")
        except IamError as exc:
            return render_error(request, exc, back=BACK)
    model = IamUser if kind == "user" else Role
    entity = model.objects.filter(account_id=actor.account_id, name=name).first()
    arn = entity.arn if entity else f"arn:aws:iam::{actor.account_id}:{kind}/{name}"
    error = None
    status = 200
    if request.method == "POST":
        raw = request.POST.get("days", "90").strip()
        days = int(raw) if raw.isascii() and raw.isdigit() else 0
        now = timezone.now()
        try:
            job = start_policy_generation(
                actor=actor, principal_arn=arn, start_time=now - timedelta(days=days), end_time=now
            )
        except IamError as exc:
            error, status = exc, exc.status
        else:
            return redirect("analyzer:generated-policy", job_id=job.job_id)
    return render(
        request,
        "analyzer/generate.html",
        {
            "kind": kind,
            "name": name,
            "arn": arn,
            "error": error,
            "days": request.POST.get("days", "90"),
        },
        status=status,
    )


@console_login_required
@require_http_methods(["GET", "POST"])
def generated_policy(request: HtmxHttpRequest, job_id: str) -> HttpResponse:
    """Review the generated policy, edit it, create it as a customer-managed policy."""
    actor = principal_of(request)
    try:
        result = get_generated_policy(actor=actor, job_id=job_id)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    document = json.dumps(json.loads(result.policies[0]), indent=4) if result.policies else ""
    error = None
    status = 200
    name = ""
    if request.method == "POST":
        document = request.POST.get("document", "")
        name = request.POST.get("name", "").strip()
        try:
            policy = create_policy(
                actor=actor,
                name=name,
                document=document,
                description=f"Generated by IAM Access Analyzer from the activity of {result.job.principal_arn}",
            )
        except IamError as exc:
            error, status = exc, exc.status
        else:
            messages.success(request, f"Policy {policy.name} created.")
            return redirect("policies:policy-detail", policy_id=policy.policy_id)
    return render(
        request,
        "analyzer/generated.html",
        {
            "job": result.job,
            "document": document,
            "more": [json.dumps(json.loads(p), indent=4) for p in result.policies[1:]],
            "error": error,
            "name": name,
        },
        status=status,
    )


urlpatterns = [
    path("", analyzer_list, name="analyzer-list"),
    path("checks/", policy_checks, name="policy-checks"),
    path("generate/<str:kind>/<str:name>/", generate_policy, name="generate-policy"),
    path("generations/<str:job_id>/", generated_policy, name="generated-policy"),
    path("analyzers/<str:name>/", analyzer_detail, name="analyzer-detail"),
    path("analyzers/<str:name>/delete/", analyzer_delete, name="analyzer-delete"),
    path("analyzers/<str:name>/findings/", finding_update, name="finding-update"),
]
