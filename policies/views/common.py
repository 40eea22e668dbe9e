"""What the policy pages share: error pages, document rendering, the validation panel."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.middleware import HtmxDetails

from accounts.errors import IamError
from policies import engine
from policies.engine.catalog import ACCESS_LEVELS

# IAM's quota for a managed policy document: 6,144 characters, whitespace not
# counted ("IAM and AWS STS quotas", IAM name and character limits).
MANAGED_POLICY_SIZE = 6144
FINDING_ORDER = {"ERROR": 0, "SECURITY_WARNING": 1, "WARNING": 2, "SUGGESTION": 3}


class HtmxHttpRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it (typing only)."""

    htmx: HtmxDetails


def render_error(request: HttpRequest, exc: IamError) -> HttpResponse:
    """An IAM error as a page (or, for htmx, a fragment) with the status AWS answers it with."""
    template = "policies/error.html"
    if getattr(request, "htmx", False):
        template += "#error"
    return render(request, template, {"error": exc}, status=exc.status)


def pretty(document: str) -> str:
    """The document indented as the console shows it (as typed when it is not JSON)."""
    try:
        return json.dumps(json.loads(document), indent=4, ensure_ascii=False)
    except (ValueError, RecursionError):
        return document


@dataclass(frozen=True)
class SummaryRow:
    service: str
    service_name: str
    effect: str
    label: str
    levels: tuple[int, ...]  # counts in ACCESS_LEVELS order


def summary_rows(document: Any) -> list[SummaryRow] | None:
    """The policy summary by service and access level; None when the document does not parse."""
    try:
        summary = engine.summarize(document)
    except Exception:  # a document that does not parse has no summary
        return None
    rows = []
    for item in summary:
        counts = dict.fromkeys(ACCESS_LEVELS, 0)
        for level, n in item.access.items():
            # Some actions carry two levels ("Tagging, Write"): count them in each.
            for part in level.split(", "):
                if part in counts:
                    counts[part] += n
        rows.append(
            SummaryRow(
                item.service,
                item.service_name or item.service,
                item.effect,
                item.label,
                tuple(counts[lvl] for lvl in ACCESS_LEVELS),
            )
        )
    return rows


def validation_context(document: str, policy_type: str = "IDENTITY_POLICY") -> dict[str, Any]:
    """Findings (by line), counts by type, the summary and the size for the editor panel."""
    text = document or ""
    if text.strip():
        findings = sorted(
            engine.validate(text, policy_type),
            key=lambda f: (f.line or 0, f.column or 0, FINDING_ORDER.get(f.type, 9)),
        )
    else:
        findings = []
    counts = {kind: 0 for kind in FINDING_ORDER}
    for f in findings:
        counts[f.type] = counts.get(f.type, 0) + 1
    return {
        "findings": findings,
        "finding_counts": counts,
        "summary": summary_rows(text) if text.strip() else None,
        "access_levels": ACCESS_LEVELS,
        "size": engine.policy_size(text),
        "size_limit": MANAGED_POLICY_SIZE,
        "empty": not text.strip(),
    }
