"""What the Access Analyzer operations share: ARNs, authorization, validation errors,
paging, and the lookup of an analyzer by name or ARN.

Every action authorizes ``access-analyzer:<Action>`` on AWS's ARNs (Service Authorization
Reference, "Actions defined by IAM Access Analyzer": analyzer
``arn:aws:access-analyzer:<region>:<account>:analyzer/<name>``, archive rule
``…/archive-rule/<rule>``; ``*`` for the policy checks and policy generation). The region
is the installation's (``settings.IAM_REGION``): analyzers are kept per account, one
region.

Everything here sits below the other operations modules: they import it, it imports
none of them.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from accounts.principal import Principal
from analyzer.errors import ResourceNotFoundException, ValidationException
from analyzer.models import Analyzer
from policies.authorization import authorize

__all__ = [
    "RULE_RE",
    "SOURCE",
    "Page",
    "analyzer_arn",
    "authorize_action",
    "check_filter",
    "check_name",
    "field_error",
    "find_analyzer",
    "find_analyzer_by_arn",
    "org_of",
    "page_of",
    "region",
]

SOURCE = "access-analyzer.amazonaws.com"
RULE_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")  # an archive rule's name


def region() -> str:
    return settings.IAM_REGION


def analyzer_arn(account_id: str, name: str) -> str:
    return f"arn:aws:access-analyzer:{region()}:{account_id}:analyzer/{name}"


def authorize_action(actor: Principal, action: str, resource: str = "*") -> None:
    authorize(actor, f"access-analyzer:{action}", resource)


def field_error(name: str, value: object, constraint: str) -> ValidationException:
    text = (
        f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy "
        f"constraint: {constraint}"
    )
    return ValidationException(text, fields=[(name, constraint)])


def check_name(name: object, field: str, regex: re.Pattern[str], pattern: str) -> str:
    if not isinstance(name, str) or not 1 <= len(name) <= 255:
        raise field_error(field, name, "Member must have length between 1 and 255")
    if not regex.fullmatch(name):
        raise field_error(field, name, f"Member must satisfy regular expression pattern: {pattern}")
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
        raise field_error("maxResults", limit, "Member must have value greater than or equal to 1")
    start = 0
    if next_token:
        try:
            raw = base64.urlsafe_b64decode(next_token.encode()).decode()
        except (ValueError, UnicodeDecodeError):
            raw = ""
        if not (raw.isascii() and raw.isdigit()) or int(raw) > len(items):
            # AWS's text for a bad token is not established here.
            raise ValidationException("Invalid pagination token.", reason="other")
        start = int(raw)
    end = start + limit
    token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return Page(list(items[start:end]), token)


# ------------------------------------------------------------------ lookups


def org_of(account_id: str) -> Any:
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
    authorize_action(actor, action, arn)
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
        raise field_error(
            "analyzerArn",
            arn,
            "Member must satisfy regular expression pattern: "
            "[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:analyzer/.{1,255}",
        )
    authorize_action(actor, action, arn)
    analyzer = Analyzer.objects.filter(account_id=actor.account_id, arn=arn).first()
    if analyzer is None:
        raise ResourceNotFoundException(
            f"Analyzer {arn} not found.", resource_id=arn, resource_type="Analyzer"
        )
    return analyzer


def check_filter(flt: Any, field: str = "filter") -> dict[str, Any]:
    if not isinstance(flt, dict) or not flt:
        raise field_error(field, flt, "Member must not be null")
    for key, crit in flt.items():
        if (
            not isinstance(crit, dict)
            or not crit
            or not set(crit) <= {"eq", "neq", "contains", "exists"}
        ):
            raise field_error(f"{field}.{key}", crit, "Member must be a criterion")
        for op in ("eq", "neq", "contains"):
            if op in crit and not (isinstance(crit[op], list) and 1 <= len(crit[op]) <= 20):
                raise field_error(
                    f"{field}.{key}.member.{op}",
                    crit[op],
                    "Member must have length between 1 and 20",
                )
    return flt
