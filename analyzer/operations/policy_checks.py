"""ValidatePolicy and the custom policy checks (CheckNoNewAccess, CheckAccessNotGranted,
CheckNoPublicAccess), each authorized on ``*``. The work is ``analyzer.validation`` and
``analyzer.checks``; here the inputs are checked and the calls authorized and audited.
"""

from __future__ import annotations

from typing import Any

from accounts.principal import Principal
from analyzer import checks, validation
from analyzer.errors import InvalidParameterException, ValidationException
from analyzer.operations.common import SOURCE, Page, authorize_action, field_error, page_of
from audit.trail import record_event
from iamconsole.ops import operation

__all__ = [
    "check_access_not_granted",
    "check_no_new_access",
    "check_no_public_access",
    "validate_policy",
]


def _policy_text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise field_error(field, value, "Member must not be null")
    return value


@operation("ValidatePolicy", event_source=SOURCE)
def validate_policy(
    *,
    actor: Principal,
    policy_document: str,
    policy_type: str,
    resource_type: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> Page:
    """ValidatePolicy: the validator's findings in AWS's shape (``validation``)."""
    authorize_action(actor, "ValidatePolicy")
    text = _policy_text(policy_document, "policyDocument")
    if policy_type not in validation.POLICY_TYPES:
        raise field_error(
            "policyType",
            policy_type,
            "Member must satisfy enum value set: [" + ", ".join(validation.POLICY_TYPES) + "]",
        )
    if resource_type is not None and resource_type not in validation.RESOURCE_TYPES:
        raise field_error(
            "validatePolicyResourceType",
            resource_type,
            "Member must satisfy enum value set: [" + ", ".join(validation.RESOURCE_TYPES) + "]",
        )
    if resource_type is not None and policy_type != "RESOURCE_POLICY":
        # AWS's text for this combination is not established here.
        raise ValidationException(
            "validatePolicyResourceType can only be specified with the RESOURCE_POLICY policy type.",
            reason="other",
        )
    result = validation.validate_policy(text, policy_type, resource_type)
    record_event(actor, "ValidatePolicy", event_source=SOURCE, request={"policyType": policy_type})
    return page_of(result, next_token, max_results, default=len(result) or 1)


def _run_check(fn: Any, *args: Any) -> checks.CheckResult:
    try:
        return fn(*args)
    except checks.CheckError as exc:
        # AWS's wording for an unreadable document is not established here.
        raise InvalidParameterException(f"The policy document is not valid: {exc}") from None


_CHECK_TYPES = ("IDENTITY_POLICY", "RESOURCE_POLICY")


def _check_type(policy_type: str) -> str:
    if policy_type not in _CHECK_TYPES:
        raise field_error(
            "policyType",
            policy_type,
            "Member must satisfy enum value set: [IDENTITY_POLICY, RESOURCE_POLICY]",
        )
    return policy_type


@operation("CheckNoNewAccess", event_source=SOURCE)
def check_no_new_access(
    *, actor: Principal, new_policy_document: str, existing_policy_document: str, policy_type: str
) -> checks.CheckResult:
    authorize_action(actor, "CheckNoNewAccess")
    new = _policy_text(new_policy_document, "newPolicyDocument")
    existing = _policy_text(existing_policy_document, "existingPolicyDocument")
    result = _run_check(checks.check_no_new_access, new, existing, _check_type(policy_type))
    record_event(
        actor, "CheckNoNewAccess", event_source=SOURCE, request={"policyType": policy_type}
    )
    return result


@operation("CheckAccessNotGranted", event_source=SOURCE)
def check_access_not_granted(
    *,
    actor: Principal,
    policy_document: str,
    access: list[dict[str, Any]],
    policy_type: str,
) -> checks.CheckResult:
    authorize_action(actor, "CheckAccessNotGranted")
    text = _policy_text(policy_document, "policyDocument")
    _check_type(policy_type)
    if not isinstance(access, list) or len(access) != 1:
        raise field_error("access", access, "Member must have length between 1 and 1")
    actions = list(access[0].get("actions") or [])
    resources = list(access[0].get("resources") or [])
    if not actions and not resources:
        # AWS's text is not established here; the check needs one or the other.
        raise ValidationException(
            "The access entry must contain at least one action or resource.", reason="other"
        )
    if len(actions) > 100 or len(resources) > 100:
        raise field_error("access", "...", "Member must have length less than or equal to 100")
    result = _run_check(checks.check_access_not_granted, text, actions, resources, policy_type)
    record_event(
        actor, "CheckAccessNotGranted", event_source=SOURCE, request={"policyType": policy_type}
    )
    return result


@operation("CheckNoPublicAccess", event_source=SOURCE)
def check_no_public_access(
    *, actor: Principal, policy_document: str, resource_type: str
) -> checks.CheckResult:
    authorize_action(actor, "CheckNoPublicAccess")
    text = _policy_text(policy_document, "policyDocument")
    if not isinstance(resource_type, str) or not resource_type.startswith("AWS::"):
        raise field_error("resourceType", resource_type, "Member must not be null")
    result = _run_check(checks.check_no_public_access, text, resource_type)
    record_event(
        actor, "CheckNoPublicAccess", event_source=SOURCE, request={"resourceType": resource_type}
    )
    return result
