"""Policy generation: a least-privilege identity policy from what a principal did.

AWS reads a CloudTrail trail through ``accessRole``; here the project's own audit trail
is the source (it records every console and API call with its actor and resource), so
``cloudTrailDetails.trails`` and ``accessRole`` are accepted and reported back but not
read. The calls that count are the principal's allowed calls in [startTime, endTime]
(a denied attempt is not a permission the principal used). Each action is named by its
catalog spelling; where the catalog gives the action resource types and the trail
recorded a resource ARN of one of those types, the statement names those ARNs, else
``*`` (or, with ``includeResourcePlaceholders``, the resource type's ARN template with
the account and region filled in and the rest left as ``${…}`` placeholders, as AWS's
generated templates show). Actions with the same resources share a statement.

``includeServiceLevelTemplate``: AWS adds service-level entries for services its trail
has no action-level data for; the audit trail records every action, so there are none
and the flag changes nothing (documented, not ignored silently).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime

from audit.models import AuditEvent
from policies.engine import catalog
from policies.engine.matching import arn_match

__all__ = ["collect_usage", "generated_policies"]

# AWS's generated policies stay within the managed-policy quota (6,144 characters);
# more statements are split over several policies.
_MAX_POLICY = 6144


def _actor_filter(principal_arn: str) -> dict[str, str]:
    account = principal_arn.split(":")[4]
    kind, _, rest = principal_arn.split(":", 5)[5].partition("/")
    if kind == "role":
        name = rest.rsplit("/", 1)[-1]
        return {"actor_arn__startswith": f"arn:aws:sts::{account}:assumed-role/{name}/"}
    return {"actor_arn": principal_arn}


def _template_regex(template: str) -> str:
    """An ARN template from the catalog (``arn:${Partition}:s3:::${BucketName}``) as a
    glob the engine's ARN matcher takes."""
    return re.sub(r"\$\{[^}]+\}", "*", template)


def collect_usage(
    account_id: str, principal_arn: str, start: datetime, end: datetime
) -> dict[str, list[str]]:
    """``service:Action`` -> sorted resource ARNs of the right type seen for it."""
    rows = (
        AuditEvent.objects.filter(
            account_id=account_id,
            allowed=True,
            time__gte=start,
            time__lte=end,
            **_actor_filter(principal_arn),
        )
        .values_list("event_source", "event_name", "resource_arn")
        .distinct()
    )
    used: dict[str, set[str]] = {}
    for source, name, resource in rows:
        info = catalog.action(f"{source.split('.', 1)[0]}:{name}")
        if info is None:
            continue  # not an IAM action (a console sign-in, say)
        arns = used.setdefault(info.full_name, set())
        if resource and info.resource_types and _typed(info.service, info.resource_types, resource):
            arns.add(resource)
    return {k: sorted(v) for k, v in sorted(used.items())}


def _typed(service: str, types: tuple[str, ...], arn: str) -> bool:
    known = catalog.resource_types(service)
    by_key = {str(v.get("key", k)).lower(): v for k, v in known.items()}
    for t in types:
        spec = by_key.get(t.lower())
        if spec and arn_match(_template_regex(str(spec.get("arn", ""))), arn):
            return True
    return False


def _placeholders(full_name: str, account_id: str, region: str) -> list[str]:
    info = catalog.action(full_name)
    if info is None or not info.resource_types:
        return ["*"]
    known = catalog.resource_types(info.service)
    by_key = {str(v.get("key", k)).lower(): v for k, v in known.items()}
    out = []
    for t in info.resource_types:
        spec = by_key.get(t.lower())
        if not spec:
            continue
        arn = str(spec.get("arn", ""))
        arn = arn.replace("${Partition}", "aws").replace("${Account}", account_id)
        out.append(arn.replace("${Region}", region))
    return sorted(set(out)) or ["*"]


def generated_policies(
    used: Mapping[str, list[str]],
    *,
    account_id: str,
    region: str,
    include_placeholders: bool,
) -> list[str]:
    """The generated policy documents (JSON text), statements grouped by resources."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for action, arns in sorted(used.items()):
        resources: list[str] = list(arns)
        if not resources:
            resources = _placeholders(action, account_id, region) if include_placeholders else ["*"]
        groups.setdefault(tuple(resources), []).append(action)
    statements = []
    for resources, actions in sorted(groups.items(), key=lambda g: (g[0] != ("*",), g[0])):
        statements.append(
            {
                "Effect": "Allow",
                "Action": sorted(actions) if len(actions) > 1 else actions[0],
                "Resource": list(resources) if len(resources) > 1 else resources[0],
            }
        )
    policies: list[list[dict[str, object]]] = [[]]
    for st in statements:
        trial = policies[-1] + [st]
        if policies[-1] and len(_doc(trial).replace(" ", "")) > _MAX_POLICY:
            policies.append([st])
        else:
            policies[-1] = trial
    return [_doc(p) for p in policies if p]


def _doc(statements: list[dict[str, object]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})
