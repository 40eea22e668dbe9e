"""ValidatePolicy: the engine's validator findings in Access Analyzer's shape.

The console's policy editor and this API share one validator (``policies.engine.validate``);
this module maps its findings to AWS's issue codes, texts and locations:

- ``issueCode`` and ``findingDetails``: the check names and the "programmatic calls"
  messages of the IAM User Guide's "IAM Access Analyzer policy check reference", with the
  values the reference leaves blank filled in. A finding the reference has no check for
  keeps the engine's code and message (noted per code below).
- ``learnMoreLink``: that page's anchor for the check,
  ``…#access-analyzer-reference-policy-checks-<error|security-warning|general-warning|suggestion>-<check>``.
- ``locations``: ``path`` is a list of ``{"value": key}`` (a key of an object) and
  ``{"index": i}`` (an array item) elements; ``span`` covers the JSON value at the path,
  ``start``/``end`` with a 1-based ``line``, a 0-based ``column`` and a 0-based character
  ``offset``, ``end`` exclusive (as AWS's documented example for ``validate-policy`` shows:
  the empty Sid ``""`` spans columns 19 to 21).

Pure: no Django.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from policies.engine import validate as engine_validate
from policies.engine.jsonsafe import JsonError, Located, loads_located
from policies.engine.matching import is_pattern
from policies.engine.validate import Finding

__all__ = ["POLICY_TYPES", "RESOURCE_TYPES", "validate_policy"]

POLICY_TYPES = (
    "IDENTITY_POLICY",
    "RESOURCE_POLICY",
    "SERVICE_CONTROL_POLICY",
    "RESOURCE_CONTROL_POLICY",
)
RESOURCE_TYPES = (
    "AWS::S3::Bucket",
    "AWS::S3::AccessPoint",
    "AWS::S3::MultiRegionAccessPoint",
    "AWS::S3ObjectLambda::AccessPoint",
    "AWS::IAM::AssumeRolePolicyDocument",
    "AWS::DynamoDB::Table",
)

_LINK = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html"
)
_ANCHOR_KIND = {
    "ERROR": "error",
    "SECURITY_WARNING": "security-warning",
    "WARNING": "general-warning",
    "SUGGESTION": "suggestion",
}
# Checks whose anchor is not the issue code in kebab case.
_ANCHOR_NAME = {
    "ALLOW_WITH_NOT_PRINCIPAL": "allow-with-not-principal",
    "FORALLVALUES_WITH_SINGLE_VALUED_KEY": "forallvalues-with-single-valued-key",
}

# Engine findings Access Analyzer has no policy check for: ValidatePolicy does not report
# them (public access is CheckNoPublicAccess's and the external access analyzers' subject;
# the reference lists no check for NotAction/NotResource with Allow by themselves, for
# Version 2008-10-17, or for variables without Version 2012-10-17).
_NOT_AWS_CHECKS = frozenset(
    {
        "PUBLIC_ACCESS",
        "ALLOW_WITH_NOT_ACTION",
        "ALLOW_WITH_NOT_RESOURCE",
        "OLD_VERSION",
        "VARIABLE_WITHOUT_2012_VERSION",
    }
)


@dataclass(frozen=True)
class _Mapped:
    type: str
    code: str
    details: str
    linked: bool = True  # the reference has a section (an anchor) for the check


def _value_at(doc: object, path: tuple[str | int, ...]) -> object:
    node = doc
    for p in path:
        if isinstance(p, int) and isinstance(node, list) and p < len(node):
            node = node[p]
        elif isinstance(p, str) and isinstance(node, Mapping) and p in node:
            node = node[p]
        else:
            return None
    return node


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _arn_code(resource: str) -> tuple[str, str]:
    """The reference's check for a malformed resource ARN."""
    if resource == "*":
        return "INVALID_ARN_RESOURCE", (
            "Resource ARN does not match the expected ARN format. Update the resource "
            "portion of the ARN."
        )
    if not resource.startswith("arn:"):
        return "INVALID_ARN_PREFIX", "Add the required prefix (arn) to the resource ARN."
    parts = resource.split(":", 5)
    if len(parts) < 6:
        return "MISSING_ARN_FIELD", (
            "Resource ARNs must include at least 6 fields in the following structure: "
            "arn:partition:service:region:account:resource"
        )
    service = parts[2]
    if service != service.lower():
        return "INVALID_ARN_SERVICE_CASE", (
            f"Update the service name {service} in the resource ARN to use all lowercase letters."
        )
    account = parts[4]
    if account and not is_pattern(account) and not re.fullmatch(r"\d{12}|aws", account):
        return "INVALID_ARN_ACCOUNT", (
            f"The resource ARN account ID {account} is not valid. Provide a 12-digit account ID."
        )
    if service == "iam" and parts[3]:
        return "ARN_REGION_NOT_ALLOWED", (
            # The reference's text, its typo included ("speciflying").
            f"The service {service} does not support speciflying a Region in the resource ARN."
        )
    return "INVALID_ARN_RESOURCE", (
        "Resource ARN does not match the expected ARN format. Update the resource portion "
        "of the ARN."
    )


def _map(f: Finding, doc: object, policy_type: str, engine_type: str) -> _Mapped | None:
    """AWS's check for one engine finding (None: Access Analyzer reports nothing)."""
    code = f.code
    if code in _NOT_AWS_CHECKS:
        return None
    value = _value_at(doc, f.path)
    last = f.path[-1] if f.path else None
    if code == "JSON_SYNTAX_ERROR":
        return _Mapped("ERROR", code, "Fix the JSON syntax error.")
    if code == "INVALID_DOCUMENT":
        return _Mapped("ERROR", "JSON_SYNTAX_ERROR", "Fix the JSON syntax error.")
    if code == "UNKNOWN_ELEMENT":
        return _Mapped(
            "ERROR", "INVALID_POLICY_ELEMENT", f"The policy element {last} is not valid."
        )
    if code == "MISSING_VERSION":
        return _Mapped(
            "WARNING",
            code,
            "We recommend that you specify the Version element to help you with debugging "
            "permission issues.",
        )
    if code == "INVALID_VERSION":
        return _Mapped(
            "ERROR",
            code,
            f"The version {_text(value)} is not valid. Use one of the following versions: "
            "2012-10-17, 2008-10-17",
        )
    if code in ("MISSING_STATEMENT", "EMPTY_STATEMENT"):
        return _Mapped("ERROR", "MISSING_STATEMENT", "Add a statement to the policy")
    if code == "DUPLICATE_SID":
        if policy_type == "RESOURCE_POLICY":
            return _Mapped(
                "WARNING",
                "UNIQUE_SIDS_RECOMMENDED",
                "We recommend that you use statement IDs that are unique to your policy. "
                "Update the Sid value.",
            )
        return _Mapped(
            "ERROR",
            "UNIQUE_SIDS_REQUIRED",
            "Duplicate statement IDs are not supported for this policy type. Update the Sid value.",
        )
    if code in ("EMPTY_ARRAY_ACTION", "EMPTY_ARRAY_NOTACTION"):
        return _Mapped(
            "SUGGESTION",
            "EMPTY_ARRAY_ACTION",
            "This statement includes no actions and does not affect the policy. Specify actions.",
        )
    if code in ("EMPTY_ARRAY_RESOURCE", "EMPTY_ARRAY_NOTRESOURCE"):
        return _Mapped(
            "SUGGESTION",
            "EMPTY_ARRAY_RESOURCE",
            "This statement includes no resources and does not affect the policy. Specify "
            "resources.",
        )
    if code in ("EMPTY_ARRAY_PRINCIPAL", "EMPTY_ARRAY_NOTPRINCIPAL"):
        return _Mapped(
            "SUGGESTION",
            "EMPTY_ARRAY_PRINCIPAL",
            "This statement includes no principals and does not affect the policy. Specify "
            "principals.",
        )
    if code in ("INVALID_TYPE", "INVALID_SID", "INVALID_CONDITION", "INVALID_CONDITION_VALUE"):
        return _Mapped(
            "ERROR",
            "DATA_TYPE_MISMATCH",
            "The text does not match the expected JSON data type "
            + ("Object." if code == "INVALID_CONDITION" else "String."),
        )
    if code == "INVALID_ID":
        return _Mapped(
            "ERROR",
            "DATA_TYPE_MISMATCH",
            "The text does not match the expected JSON data type String.",
        )
    if code == "MISSING_EFFECT":
        return _Mapped(
            "ERROR",
            code,
            "Add an Effect element to the policy statement with a value of Allow or Deny.",
        )
    if code == "INVALID_EFFECT":
        return _Mapped("ERROR", code, f"The effect {_text(value)} is not valid. Use Allow or Deny.")
    if code == "CONFLICTING_ELEMENTS":
        b = str(last)
        a = b[3:]
        return _Mapped(
            "ERROR",
            "UNSUPPORTED_ELEMENT_COMBINATION",
            f"The policy elements {a} and {b} can not be used in the same statement. Remove one "
            "of these elements.",
        )
    if code == "PRINCIPAL_NOT_ALLOWED":
        if engine_type == "SERVICE_CONTROL_POLICY":
            return _Mapped(
                "ERROR",
                "SCP_SYNTAX_ERROR_PRINCIPAL",
                "SCPs do not support specifying principals. Remove the Principal or NotPrincipal "
                "element.",
            )
        return _Mapped(
            "ERROR",
            "UNSUPPORTED_PRINCIPAL",
            f"The policy type {policy_type} does not support the Principal element. Remove the "
            "Principal element.",
        )
    if code == "MISSING_PRINCIPAL":
        return _Mapped("ERROR", code, "Add a Principal element to the policy statement.")
    if code == "ALLOW_WITH_NOT_PRINCIPAL":
        return _Mapped(
            "SECURITY_WARNING",
            code,
            "Using Allow with NotPrincipal can be overly permissive. We recommend that you use "
            "Principal instead.",
        )
    if code == "MISSING_ACTION":
        return _Mapped("ERROR", code, "Add an Action or NotAction element to the policy statement.")
    if code in ("UNKNOWN_ACTION", "INVALID_ACTION_FORMAT"):
        return _Mapped("ERROR", "INVALID_ACTION", f"The action {_text(value)} does not exist.")
    if code == "UNKNOWN_SERVICE":
        # AWS names the action's text (its recorded answers: "The service DOES_NOT_EXIST:*
        # specified in the action does not exist.").
        return _Mapped(
            "ERROR",
            "INVALID_SERVICE_IN_ACTION",
            f"The service {_text(value)} specified in the action does not exist.",
        )
    if code == "MISSING_RESOURCE":
        return _Mapped(
            "ERROR", code, "Add a Resource or NotResource element to the policy statement."
        )
    if code == "INVALID_ARN":
        arn_code, text = _arn_code(_text(value))
        return _Mapped("ERROR", arn_code, text)
    if code == "PASS_ROLE_WITH_STAR_IN_RESOURCE":
        if is_pattern(_text(value)):
            return _Mapped(
                "SECURITY_WARNING",
                "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE",
                "Using wildcards (*) in the action and the resource can be overly permissive "
                "because it allows iam:PassRole permissions on all resources. We recommend that "
                "you specify resource ARNs or add the iam:PassedToService condition key to your "
                "statement.",
            )
        return _Mapped(
            "SECURITY_WARNING",
            code,
            "Using the iam:PassRole action with wildcards (*) in the resource can be overly "
            "permissive because it allows iam:PassRole permissions on multiple resources. We "
            "recommend that you specify resource ARNs or add the iam:PassedToService condition "
            "key to your statement.",
        )
    if code == "EMPTY_OBJECT_CONDITION":
        return _Mapped(
            "SUGGESTION",
            code,
            "This condition block is empty and it does not affect the policy. Specify conditions.",
        )
    if code == "INVALID_CONDITION_OPERATOR":
        return _Mapped(
            "ERROR",
            code,
            f"The condition operator {last} is not valid. Use a valid condition operator.",
        )
    if code == "EMPTY_ARRAY_CONDITION":
        op = str(f.path[-2]) if len(f.path) >= 2 else ""
        key = str(last)
        if op.startswith("ForAllValues:"):
            return _Mapped(
                "SUGGESTION",
                "EMPTY_ARRAY_CONDITION_FORALLVALUES",
                f"The ForAllValues prefix with an empty condition key matches only if the key "
                f"{key} is missing from the request context. To determine if the request context "
                "is empty, we recommend that you use the Null condition operator with the value "
                "of true instead.",
            )
        if op.startswith("ForAnyValue:"):
            return _Mapped(
                "SUGGESTION",
                "EMPTY_ARRAY_CONDITION_FORANYVALUE",
                f"The ForAnyValue prefix with an empty condition key {key} never matches the "
                "request context and it does not affect the policy. Specify conditions.",
            )
        if op.endswith("IfExists"):
            return _Mapped(
                "SUGGESTION",
                "EMPTY_ARRAY_CONDITION_IFEXISTS",
                f"The IfExists suffix with an empty condition key matches only if the key {key} "
                "is missing from the request context. To determine if the request context is "
                "empty, we recommend that you use the Null condition operator with the value of "
                "true instead.",
            )
        return _Mapped(
            "SUGGESTION",
            code,
            f"There are no values for the condition key {key} and it does not affect the policy. "
            "Specify conditions.",
        )
    if code == "INVALID_DATE":
        return _Mapped(
            "WARNING",
            "TYPE_MISMATCH_DATE",
            "The date condition operator is used with an invalid value. Specify a valid date "
            "using YYYY-MM-DD or other ISO 8601 date/time format.",
        )
    if code == "SET_OPERATOR_ON_SINGLE_VALUED_KEY":
        op = str(f.path[-2]) if len(f.path) >= 2 else ""
        if op.startswith("ForAllValues:"):
            return _Mapped(
                "SECURITY_WARNING",
                "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
                f"Using ForAllValues qualifier with the single-valued condition key {last} can "
                "be overly permissive. We recommend that you remove ForAllValues:.",
            )
        # ForAnyValue with a single-valued key: AWS's issue code for it is not established
        # here; the engine's code and message are kept.
        return _Mapped(f.type, code, f.message, linked=False)
    if code == "REDUNDANT_ACTION":
        text = _text(value)
        return _Mapped(
            "SUGGESTION",
            code,
            f"The {text} action(s) are redundant because they provide similar permissions. "
            f"Update the policy to remove the redundant action such as: {text}.",
        )
    if code == "POLICY_SIZE_EXCEEDED" and engine_type == "IDENTITY_POLICY":
        size = re.search(r"has (\d+) characters", f.message)
        return _Mapped(
            "WARNING",
            "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA",
            f"The {size.group(1) if size else ''} characters in the identity policy, excluding "
            "whitespace, exceed the 6144 character maximum for inline and managed policies. We "
            "recommend that you use multiple granular policies.",
        )
    # REDUNDANT_STATEMENT, DUPLICATE_KEY, RESOURCE_NOT_ALLOWED, POLICY_SIZE_EXCEEDED of
    # other types: AWS's exact text is not established here; the engine's is kept.
    return _Mapped(f.type, code, f.message, linked=code == "REDUNDANT_STATEMENT")


def _empty_sids(doc: object) -> list[tuple[str | int, ...]]:
    stmts = doc.get("Statement") if isinstance(doc, Mapping) else None
    if isinstance(stmts, Mapping):
        return [("Statement", "Sid")] if stmts.get("Sid") == "" else []
    if not isinstance(stmts, list):
        return []
    return [
        ("Statement", i, "Sid")
        for i, st in enumerate(stmts)
        if isinstance(st, Mapping) and st.get("Sid") == ""
    ]


def _link(m: _Mapped) -> str:
    if not m.linked:
        return _LINK
    name = _ANCHOR_NAME.get(m.code, m.code.lower().replace("_", "-"))
    return f"{_LINK}#access-analyzer-reference-policy-checks-{_ANCHOR_KIND[m.type]}-{name}"


def _position(text: str, offset: int) -> dict[str, int]:
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return {"line": line, "column": offset - start, "offset": offset}


_DECODER = json.JSONDecoder()


def _span(text: str, located: Located | None, path: tuple[str | int, ...]) -> tuple[tuple, dict]:
    """The path actually located (the nearest ancestor present) and the span of its value."""
    if located is None:
        return (), {"start": _position(text, 0), "end": _position(text, len(text))}
    p = path
    while p and p not in located.offsets:
        p = p[:-1]
    start = located.offsets.get(p, 0)
    try:
        _value, end = _DECODER.raw_decode(text, start)
    except ValueError:
        end = len(text)
    return p, {"start": _position(text, start), "end": _position(text, end)}


def _path_elements(path: tuple[str | int, ...]) -> list[dict[str, Any]]:
    return [{"index": p} if isinstance(p, int) else {"value": p} for p in path]


def validate_policy(
    text: str, policy_type: str, resource_type: str | None = None
) -> list[dict[str, Any]]:
    """Access Analyzer's findings for ``text`` (ValidatePolicyFinding shapes), in the
    engine's order: errors, security warnings, warnings, suggestions.

    A role trust policy is ``RESOURCE_POLICY`` with ``AWS::IAM::AssumeRolePolicyDocument``
    (checked as the engine's TRUST_POLICY: no Resource, a Principal required)."""
    engine_type = policy_type
    if policy_type == "RESOURCE_POLICY" and resource_type == "AWS::IAM::AssumeRolePolicyDocument":
        engine_type = "TRUST_POLICY"
    located: Located | None
    try:
        located = loads_located(text)
        doc: object = located.value
    except JsonError as exc:
        located, doc = None, None
        span = {"start": _position(text, exc.offset), "end": _position(text, exc.offset)}
        return [
            {
                "findingDetails": f"Fix the JSON syntax error at index {exc.offset} line "
                f"{exc.line} column {exc.column}.",
                "findingType": "ERROR",
                "issueCode": "JSON_SYNTAX_ERROR",
                "learnMoreLink": f"{_LINK}#access-analyzer-reference-policy-checks-error-json-syntax-error",
                "locations": [{"path": [], "span": span}],
            }
        ]
    out: list[dict[str, Any]] = []
    for f in engine_validate(text, engine_type):
        mapped = _map(f, doc, policy_type, engine_type)
        if mapped is None:
            continue
        path, span = _span(text, located, f.path)
        out.append(
            {
                "findingDetails": mapped.details,
                "findingType": mapped.type,
                "issueCode": mapped.code,
                "learnMoreLink": _link(mapped),
                "locations": [{"path": _path_elements(path), "span": span}],
            }
        )
    for path in _empty_sids(doc):
        # The reference's "Suggestion – Empty Sid value" (the engine has no such check).
        out.append(
            {
                "findingDetails": "Add a value to the empty string in the Sid element.",
                "findingType": "SUGGESTION",
                "issueCode": "EMPTY_SID_VALUE",
                "learnMoreLink": f"{_LINK}#access-analyzer-reference-policy-checks-suggestion-empty-sid-value",
                "locations": [
                    {"path": _path_elements(path), "span": _span(text, located, path)[1]}
                ],
            }
        )
    order = {"ERROR": 0, "SECURITY_WARNING": 1, "WARNING": 2, "SUGGESTION": 3}
    out.sort(key=lambda x: order[x["findingType"]])
    return out
