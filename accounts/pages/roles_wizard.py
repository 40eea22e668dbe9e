"""Console page: the "Create role" wizard.

Four steps as in the AWS console: 1. trusted entity (AWS account, AWS service, web
identity, SAML 2.0 federation or a custom trust policy; the two federation cards are
federation_trust.py's), 2. permissions (managed policies, optional boundary), 3. name,
description, maximum session duration and tags, 4. review and create. The state
travels in the form itself (hidden inputs for the steps not shown), so the wizard
works without JavaScript and keeps nothing in the session; htmx swaps the wizard in
place. Creating runs CreateRole and every AttachRolePolicy in one transaction.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.errors import IamError
from accounts.operations.common import TRUST_POLICY_LIMIT
from accounts.operations.roles import MAX_SESSION, MIN_SESSION, create_role
from accounts.pages.entity import tags_from_post
from accounts.pages.federation_trust import (
    WIZARD_FIELDS,
    check_federated,
    federated_statement,
    wizard_choices,
    wizard_prefill,
)
from accounts.pages.permissions import group_role_picker
from accounts.pages.trust import trust_validation, trusted_entities
from accounts.validation import check_name, check_tags
from iamconsole.console import console_login_required, principal_of
from iamconsole.ops import run_batch
from iamconsole.pages import HtmxHttpRequest, pretty
from policies.engine import validate
from policies.models import ManagedPolicy
from policies.operations import attach_role_policy

STEPS = [
    ("trust", "Select trusted entity"),
    ("permissions", "Add permissions"),
    ("details", "Name and details"),
    ("review", "Review and create"),
]
STEP_NAMES = [s for s, _ in STEPS]
STEP_FIELDS = {
    "trust": [
        "entity_type",
        "account_choice",
        "other_account_id",
        "require_external_id",
        "external_id",
        "require_mfa",
        "service",
        "custom_policy",
        *WIZARD_FIELDS,  # the Web identity and SAML 2.0 federation cards
    ],
    "permissions": ["policies", "boundary"],
    # "tags": the key/value rows tag-key-N, tag-value-N (partials/tag_rows.html).
    "details": ["name", "description", "max_session_duration", "tags"],
    "review": [],
}
ENTITY_TYPES = [
    ("account", "AWS account", "Allow entities in this or another AWS account to perform actions in this account."),
    ("service", "AWS service", "Allow AWS services like EC2 or Lambda to perform actions in this account."),
    ("web_identity", "Web identity", "Allows users federated by the specified external web identity provider to assume this role to perform actions in this account."),
    ("saml", "SAML 2.0 federation", "Allow users federated with SAML 2.0 from a corporate directory to perform actions in this account."),
    ("custom", "Custom trust policy", "Create a custom trust policy to enable others to perform actions in this account."),
]  # fmt: skip
# Service principals of common use cases ("AWS services that work with IAM").
SERVICES = [
    ("ec2", "EC2"),
    ("lambda", "Lambda"),
    ("ecs-tasks", "Elastic Container Service tasks"),
    ("ecs", "Elastic Container Service"),
    ("eks", "Elastic Kubernetes Service"),
    ("states", "Step Functions"),
    ("events", "EventBridge"),
    ("scheduler", "EventBridge Scheduler"),
    ("apigateway", "API Gateway"),
    ("glue", "Glue"),
    ("codebuild", "CodeBuild"),
    ("codepipeline", "CodePipeline"),
    ("cloudformation", "CloudFormation"),
    ("sagemaker", "SageMaker"),
    ("batch", "Batch"),
    ("firehose", "Data Firehose"),
    ("elasticmapreduce", "EMR"),
    ("ssm", "Systems Manager"),
    ("rds", "RDS"),
    ("redshift", "Redshift"),
    ("backup", "Backup"),
    ("s3", "S3"),
    ("sns", "SNS"),
    ("datasync", "DataSync"),
]
SERVICE_NAMES = dict(SERVICES)
CUSTOM_STARTER = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Statement1", "Effect": "Allow", "Principal": {}, "Action": "sts:AssumeRole"}
        ],
    },
    indent=4,
)
# sts:ExternalId: 2-1224 characters of [\w+=,.@:/-] (AssumeRole API reference).
EXTERNAL_ID_RE = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
ACCOUNT_ID_RE = re.compile(r"^\d{12}$")


def defaults(account_id: str) -> QueryDict:
    data = QueryDict(mutable=True)
    data.update(
        {
            "entity_type": "account",
            "account_choice": "this",
            "max_session_duration": str(MIN_SESSION),
            "custom_policy": CUSTOM_STARTER,
            "saml_access": "console",
            "web_condition_operator": "StringLike",
        }
    )
    return data


def trust_account(data: QueryDict, account_id: str) -> str:
    if data.get("account_choice") == "other":
        return data.get("other_account_id", "").strip()
    return account_id


def generated_trust_policy(data: QueryDict, account_id: str) -> str:
    """The trust policy the console writes for the choices of step 1.

    AWS account: ``{"AWS": "arn:aws:iam::ACCOUNT:root"}``, with ``sts:ExternalId``
    (StringEquals) and ``aws:MultiFactorAuthPresent`` (Bool) conditions when asked;
    AWS service: ``{"Service": "SERVICE.amazonaws.com"}``; custom: as typed.
    """
    kind = data.get("entity_type")
    if kind == "custom":
        return data.get("custom_policy", "")
    if kind in ("web_identity", "saml"):
        statement: dict[str, Any] = federated_statement(data)
    elif kind == "service":
        principal = {"Service": f"{data.get('service', '')}.amazonaws.com"}
        statement = {
            "Effect": "Allow",
            "Principal": principal,
            "Action": "sts:AssumeRole",
        }
    else:
        principal = {"AWS": f"arn:aws:iam::{trust_account(data, account_id)}:root"}
        statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
        condition: dict[str, Any] = {}
        if data.get("require_external_id") == "on":
            condition["StringEquals"] = {"sts:ExternalId": data.get("external_id", "")}
        if data.get("require_mfa") == "on":
            condition["Bool"] = {"aws:MultiFactorAuthPresent": "true"}
        if condition:
            statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=4)


def check_step(step: str, data: QueryDict) -> dict[str, str]:
    """Errors of one step's inputs, by field (what the console checks before "Next")."""
    errors: dict[str, str] = {}
    if step == "trust":
        kind = data.get("entity_type")
        if kind not in {k for k, _, _ in ENTITY_TYPES}:
            errors["entity_type"] = "Choose a trusted entity type."
        elif kind == "account":
            if data.get("account_choice") == "other" and not ACCOUNT_ID_RE.match(
                data.get("other_account_id", "").strip()
            ):
                errors["other_account_id"] = "Enter a 12-digit AWS account ID."
            if data.get("require_external_id") == "on" and not EXTERNAL_ID_RE.match(
                data.get("external_id", "")
            ):
                errors["external_id"] = (
                    "The external ID must be 2 to 1,224 characters of letters, digits and +=,.@:/-_"
                )
        elif kind == "service":
            if data.get("service") not in SERVICE_NAMES:
                errors["service"] = "Choose a service."
        elif kind in ("web_identity", "saml"):
            errors.update(check_federated(data))
        else:
            text = data.get("custom_policy", "")
            if not text.strip():
                errors["custom_policy"] = "Enter a trust policy."
            elif any(f.type == "ERROR" for f in validate(text, "TRUST_POLICY")):
                errors["custom_policy"] = "Fix the errors in the trust policy to continue."
    elif step == "details":
        try:
            check_name(data.get("name", ""), member="roleName", max_length=64)
        except IamError as exc:
            errors["name"] = exc.message
        if len(data.get("description", "")) > 1000:
            errors["description"] = "Maximum 1,000 characters."
        value = data.get("max_session_duration", "")
        if (
            not (value.isascii() and value.isdigit())
            or not MIN_SESSION <= int(value) <= MAX_SESSION
        ):
            errors["max_session_duration"] = (
                f"1 validation error detected: Value '{value}' at 'maxSessionDuration' failed to "
                f"satisfy constraint: Member must have value between {MIN_SESSION} and "
                f"{MAX_SESSION}"
            )
        try:
            check_tags(tags_from_post(data))
        except IamError as exc:
            errors["tags"] = exc.message
    return errors


def _context(
    request: HtmxHttpRequest,
    step: str,
    data: QueryDict,
    errors: dict[str, str],
    *,
    extra_rows: int = 1,
) -> dict[str, Any]:
    actor = principal_of(request)
    shown = set(STEP_FIELDS[step])
    carry = [
        (name, value)
        for fields in STEP_FIELDS.values()
        for name in fields
        if name not in shown and name != "tags"
        for value in data.getlist(name)
    ]
    tags = tags_from_post(data)
    if "tags" not in shown:
        for i, tag in enumerate(tags):
            carry += [(f"tag-key-{i}", tag["Key"]), (f"tag-value-{i}", tag["Value"])]
    ctx: dict[str, Any] = {
        "step": step,
        "step_index": STEP_NAMES.index(step),
        "steps": STEPS,
        "w": data,
        "policies": data.getlist("policies"),
        "errors": errors,
        "carry": carry,
        "entity_types": ENTITY_TYPES,
        "services": SERVICES,
        "account_id": actor.account_id,
        "session_choices": [(h * 3600, f"{h} hour{'s' if h > 1 else ''}") for h in range(1, 13)],
        "trust_preview": generated_trust_policy(data, actor.account_id),
        "tag_rows": tags + [{"Key": "", "Value": ""} for _ in range(extra_rows)],
    }
    if step == "trust" and data.get("entity_type") == "custom":
        ctx.update(trust_validation(data.get("custom_policy", "")))
    if step == "trust":
        ctx.update(wizard_choices(actor, data))
    if step == "permissions":
        ctx["picker"] = group_role_picker(
            actor, q=data.get("policies_q", ""), selected=data.getlist("policies")
        )
        ctx["boundary_picker"] = group_role_picker(
            actor,
            q=data.get("boundary_q", ""),
            selected=[data.get("boundary", "")],
            field_name="boundary",
        )
    if step == "review":
        arns = [a for a in data.getlist("policies") if a] + [data.get("boundary", "")]
        names = dict(ManagedPolicy.objects.filter(arn__in=arns).values_list("arn", "name"))
        ctx["policy_names"] = [names.get(a, a) for a in data.getlist("policies") if a]
        ctx["boundary_name"] = names.get(data.get("boundary", ""), data.get("boundary", ""))
        ctx["trusted"] = trusted_entities(ctx["trust_preview"])
        ctx["trust_pretty"] = pretty(ctx["trust_preview"])
        ctx["tag_list"] = tags
        ctx["trust_size_limit"] = TRUST_POLICY_LIMIT
    return ctx


def _create(request: HtmxHttpRequest, data: QueryDict) -> Any:
    actor = principal_of(request)
    name = data.get("name", "")
    steps: list[tuple[Any, dict[str, Any]]] = [
        (
            create_role,
            {
                "name": name,
                "trust_policy": generated_trust_policy(data, actor.account_id),
                "description": data.get("description", ""),
                "max_session_duration": int(data.get("max_session_duration") or MIN_SESSION),
                "tags": tags_from_post(data),
                "permissions_boundary": data.get("boundary") or None,
            },
        )
    ]
    steps += [
        (attach_role_policy, {"role_name": name, "policy_arn": arn})
        for arn in dict.fromkeys(data.getlist("policies"))
        if arn
    ]
    return run_batch(actor, steps)[0]


@console_login_required
@require_http_methods(["GET", "POST"])
def role_create(request: HtmxHttpRequest) -> HttpResponse:
    """The wizard: each POST checks the current step, then shows the next (or the one asked)."""
    actor = principal_of(request)
    if request.method == "GET":
        data, step, errors = defaults(actor.account_id), "trust", {}
        for key, value in wizard_prefill(request.GET).items():  # "Assign role" of a provider
            data[key] = value
        context = _context(request, step, data, errors)
        # The wizard lists policies (step 2): a caller who may not list them is told
        # now, with AWS's message and 403, rather than after choosing a trusted entity.
        probe = group_role_picker(actor).error
        context["error"] = probe
        return render(
            request, "accounts/roles/create.html", context, status=probe.status if probe else 200
        )
    data = request.POST.copy()
    step = data.get("step") if data.get("step") in STEP_NAMES else "trust"
    go = data.get("go", "next")
    errors: dict[str, str] = {}
    status = 200
    error: IamError | None = None
    extra_rows = 1
    remove = data.get("remove_row")
    if remove is not None:  # a tag row's Remove (step 3): drop the row, stay
        kept = [t for t in tags_from_post(data) if t["Key"] != remove]
        for key in [k for k in data if k.startswith("tag-")]:
            del data[key]
        for i, tag in enumerate(kept):
            data[f"tag-key-{i}"], data[f"tag-value-{i}"] = tag["Key"], tag["Value"]
    elif go == "add_row":
        extra_rows = 2
    elif go == "back":
        step = STEP_NAMES[max(STEP_NAMES.index(step) - 1, 0)]
    elif go.startswith("goto:") and go[5:] in STEP_NAMES:
        step = go[5:]
    elif go == "next" and step != "review":
        errors = check_step(step, data)
        if errors:
            status = 400
        else:
            step = STEP_NAMES[STEP_NAMES.index(step) + 1]
    elif go == "create":
        # Every step is checked again: the hidden inputs came back from the browser.
        for name in ("trust", "details"):
            errors = check_step(name, data)
            if errors:
                step, status = name, 400
                break
        else:
            try:
                role = _create(request, data)
            except IamError as exc:
                error, status, step = exc, exc.status, "review"
            else:
                messages.success(request, f"Role {role.name} created.")
                url = reverse("accounts:role-detail", args=[role.name])
                if request.htmx:
                    return HttpResponseClientRedirect(url)
                return redirect(url)
    context = _context(request, step, data, errors, extra_rows=extra_rows)
    context["error"] = error
    picker = context.get("picker")
    if picker is not None and picker.error is not None and status == 200:
        status = picker.error.status  # the policy list is denied: AWS's message, 403
    template = "accounts/roles/create.html"
    if request.htmx:
        template += "#wizard"
    return render(request, template, context, status=status)


@console_login_required
@require_POST
def trust_preview(request: HtmxHttpRequest) -> HttpResponse:
    """Step 1's preview of the generated trust policy, refreshed as the choices change."""
    data = request.POST
    return render(
        request,
        "accounts/roles/create.html#preview",
        {
            "trust_preview": generated_trust_policy(data, principal_of(request).account_id),
            "w": data,
            "errors": check_step("trust", data) if data.get("entity_type") != "custom" else {},
        },
    )


urlpatterns = [
    path("roles/create/", role_create, name="role-create"),
    path("roles/create/trust-preview/", trust_preview, name="role-trust-preview"),
]
