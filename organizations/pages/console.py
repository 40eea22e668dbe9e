"""The AWS Organizations console: for the management account, the tree (root, OUs and
accounts) with create-OU, create-account and move; policy types; SCPs and RCPs with the
JSON policy editor and its live validation; attach and detach; a target's effective
policies. For a member account, a read-only view of the SCPs that apply to it.

Views only translate: parse the form, call one operation, render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.errors import IamError
from iamconsole.console import console_login_required, principal_of
from iamconsole.pages import HtmxHttpRequest, pretty, render_error, validation_context
from organizations import operations as ops
from organizations.errors import OrgError, invalid_input
from organizations.models import POLICY_TYPES, SCP

BACK = ("/organizations/", "AWS Organizations")
TYPE_LABELS = {
    "SERVICE_CONTROL_POLICY": "Service control policies (SCPs)",
    "RESOURCE_CONTROL_POLICY": "Resource control policies (RCPs)",
}


def _policy_type(value: str | None) -> str:
    return value if value in POLICY_TYPES else SCP


def _done(request: HtmxHttpRequest, notice: str, url: str) -> HttpResponse:
    messages.success(request, notice)
    return redirect(url)


@console_login_required
@require_GET
def overview(request: HtmxHttpRequest) -> HttpResponse:
    actor = principal_of(request)
    try:
        org, levels, enabled = ops.my_guardrails(actor=actor)
    except OrgError as exc:
        if exc.code != "AWSOrganizationsNotInUseException":
            return render_error(request, exc, back=BACK)
        return render(request, "organizations/overview.html", {"org": None})
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    context: dict[str, Any] = {
        "org": org,
        "management": org.management_account_id == actor.account_id,
        "levels": levels,
        "scps_enabled": enabled,
    }
    if context["management"]:
        try:
            tree = ops.organization_tree(actor=actor)
        except IamError as exc:
            return render_error(request, exc, back=BACK)
        children: dict[str, list[Any]] = {}
        for unit in tree.units:
            children.setdefault(unit.parent_id, []).append(unit)
        accounts: dict[str, list[Any]] = {}
        for member in tree.accounts:
            accounts.setdefault(member.parent_id, []).append(member)
        rows = []

        def walk(parent: str, depth: int) -> None:
            for member in accounts.get(parent, []):
                rows.append({"kind": "account", "obj": member, "indent": "└ " * depth})
            for unit in children.get(parent, []):
                rows.append({"kind": "ou", "obj": unit, "indent": "└ " * depth})
                walk(unit.id, depth + 1)

        walk(org.root_id, 1)
        context.update(
            rows=rows,
            units=tree.units,
            accounts=tree.accounts,
            policy_types=[(t, TYPE_LABELS[t], org.enabled(t)) for t in POLICY_TYPES],
        )
    return render(request, "organizations/overview.html", context)


@console_login_required
@require_POST
def create(request: HtmxHttpRequest) -> HttpResponse:
    try:
        ops.create_organization(actor=principal_of(request))
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    return _done(request, "Organization created.", reverse("organizations:overview"))


@console_login_required
@require_POST
def create_unit(request: HtmxHttpRequest) -> HttpResponse:
    try:
        unit = ops.create_organizational_unit(
            actor=principal_of(request),
            parent_id=request.POST.get("parent_id", ""),
            name=request.POST.get("name", "").strip(),
        )
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    return _done(
        request, f"Organizational unit {unit.name} created.", reverse("organizations:overview")
    )


@console_login_required
@require_POST
def create_account(request: HtmxHttpRequest) -> HttpResponse:
    try:
        result = ops.create_account(
            actor=principal_of(request),
            email=request.POST.get("email", "").strip(),
            account_name=request.POST.get("account_name", "").strip(),
            role_name=request.POST.get("role_name", "").strip() or None,
        )
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    if result.state != "SUCCEEDED":
        messages.error(request, f"Account creation failed: {result.failure_reason}.")
        return redirect("organizations:overview")
    return _done(
        request,
        f"Account {result.account_name} ({result.account_id}) created.",
        reverse("organizations:overview"),
    )


@console_login_required
@require_POST
def move(request: HtmxHttpRequest) -> HttpResponse:
    actor = principal_of(request)
    account_id = request.POST.get("account_id", "")
    try:
        source = ops.list_parents(actor=actor, child_id=account_id)[1].items[0]
        ops.move_account(
            actor=actor,
            account_id=account_id,
            source_parent_id=source,
            destination_parent_id=request.POST.get("destination_id", ""),
        )
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    return _done(request, f"Account {account_id} moved.", reverse("organizations:overview"))


@console_login_required
@require_POST
def policy_type(request: HtmxHttpRequest) -> HttpResponse:
    actor = principal_of(request)
    kind = request.POST.get("policy_type", "")
    try:
        org = ops.describe_organization(actor=actor)
        if request.POST.get("enable") == "1":
            ops.enable_policy_type(actor=actor, root_id=org.root_id, policy_type=kind)
            notice = f"{TYPE_LABELS.get(kind, kind)} enabled."
        else:
            ops.disable_policy_type(actor=actor, root_id=org.root_id, policy_type=kind)
            notice = f"{TYPE_LABELS.get(kind, kind)} disabled."
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    return _done(request, notice, reverse("organizations:overview"))


def _editor(document: str, kind: str) -> dict[str, Any]:
    context = validation_context(document, kind)
    # AWS Organizations' quota: 5,120 characters, counted as stored.
    context["size"] = len(document or "")
    context["size_limit"] = ops.MAX_POLICY_CHARS
    return context


@console_login_required
@require_http_methods(["GET", "POST"])
def policies(request: HtmxHttpRequest) -> HttpResponse:
    actor = principal_of(request)
    kind = _policy_type(request.GET.get("type") or request.POST.get("type"))
    form = {"name": "", "description": "", "content": ops.FULL_ACCESS_CONTENT[kind]}
    error = None
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in ("name", "description", "content")}
        try:
            _org, created = ops.create_policy(
                actor=actor,
                content=form["content"],
                description=form["description"],
                name=form["name"].strip(),
                policy_type=kind,
            )
        except IamError as exc:
            error = exc
        else:
            return _done(
                request,
                f"Policy {created.name} created.",
                reverse("organizations:policy", args=[created.id]),
            )
    try:
        org, page = ops.list_policies(actor=actor, policy_filter=kind)
        items = list(page.items)
        while page.next_token:
            org, page = ops.list_policies(
                actor=actor, policy_filter=kind, next_token=page.next_token
            )
            items += page.items
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    context = {
        "org": org,
        "kind": kind,
        "kind_label": TYPE_LABELS[kind],
        "types": TYPE_LABELS.items(),
        "items": items,
        "form": form,
        "error": error,
        "enabled": org.enabled(kind),
        **_editor(form["content"], kind),
    }
    status = 400 if error else 200
    return render(request, "organizations/policies.html", context, status=status)


@console_login_required
@require_POST
def policy_validate(request: HtmxHttpRequest) -> HttpResponse:
    """The editor's live check against the SCP or RCP grammar (pure and local)."""
    kind = _policy_type(request.POST.get("type"))
    return render(
        request,
        "policies/partials/validation.html",
        _editor(request.POST.get("content", ""), kind),
    )


@console_login_required
@require_http_methods(["GET", "POST"])
def policy(request: HtmxHttpRequest, policy_id: str) -> HttpResponse:
    actor = principal_of(request)
    error = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "update":
                ops.update_policy(
                    actor=actor,
                    policy_id=policy_id,
                    description=request.POST.get("description", ""),
                    content=request.POST.get("content", ""),
                )
                notice = "Policy saved."
            elif action == "attach":
                ops.attach_policy(
                    actor=actor, policy_id=policy_id, target_id=request.POST.get("target_id", "")
                )
                notice = "Policy attached."
            elif action == "detach":
                ops.detach_policy(
                    actor=actor, policy_id=policy_id, target_id=request.POST.get("target_id", "")
                )
                notice = "Policy detached."
            elif action == "delete":
                ops.delete_policy(actor=actor, policy_id=policy_id)
                return _done(request, "Policy deleted.", reverse("organizations:policies"))
            else:
                return render_error(request, invalid_input("INVALID_ENUM"), back=BACK)
        except IamError as exc:
            error = exc
        else:
            return _done(request, notice, reverse("organizations:policy", args=[policy_id]))
    try:
        org, found = ops.describe_policy(actor=actor, policy_id=policy_id)
        page = ops.list_targets_for_policy(actor=actor, policy_id=policy_id)
        targets = list(page.items)
        while page.next_token:
            page = ops.list_targets_for_policy(
                actor=actor, policy_id=policy_id, next_token=page.next_token
            )
            targets += page.items
        tree = ops.organization_tree(actor=actor)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    content = request.POST.get("content", found.content) if error else found.content
    attached = {t.target_id for t in targets}
    choices = (
        [("Root", org.root_id)]
        + [(f"OU {u.name}", u.id) for u in tree.units]
        + [(f"Account {m.name} ({m.account_id})", m.account_id) for m in tree.accounts]
    )
    context = {
        "org": org,
        "policy": found,
        "arn": found.arn_in(org),
        "targets": targets,
        "choices": [(label, value) for label, value in choices if value not in attached],
        "content": pretty(content) if not error else content,
        "error": error,
        "kind": found.type,
        **_editor(content, found.type),
    }
    return render(request, "organizations/policy.html", context, status=400 if error else 200)


@console_login_required
@require_GET
def target(request: HtmxHttpRequest, target_id: str) -> HttpResponse:
    actor = principal_of(request)
    try:
        by_type = []
        org = ops.describe_organization(actor=actor)
        for kind in POLICY_TYPES:
            if org.enabled(kind):
                _org, levels = ops.effective_policies(
                    actor=actor, target_id=target_id, policy_type=kind
                )
                by_type.append((TYPE_LABELS[kind], levels))
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    return render(
        request,
        "organizations/target.html",
        {"org": org, "target_id": target_id, "by_type": by_type},
    )


urlpatterns = [
    path("", overview, name="overview"),
    path("create/", create, name="create"),
    path("units/create/", create_unit, name="unit-create"),
    path("accounts/create/", create_account, name="account-create"),
    path("accounts/move/", move, name="account-move"),
    path("policy-types/", policy_type, name="policy-type"),
    path("policies/", policies, name="policies"),
    path("policies/validate/", policy_validate, name="policy-validate"),
    path("policies/<str:policy_id>/", policy, name="policy"),
    path("targets/<str:target_id>/", target, name="target"),
]
