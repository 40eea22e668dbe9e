"""Console pages: roles (list, detail with Permissions, Trust relationships, Tags and Revoke
sessions tabs, summary edits, delete). The create wizard is in roles_wizard.py.

Every read and write goes through one operation with the signed-in principal as
``actor``; shared pieces (errors, policy picker, permissions panel) come from groups.py.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from accounts.errors import IamError, ValidationError
from accounts.forms import DeleteForm
from accounts.models import Account, InstanceProfile, Role
from accounts.operations.instance_profiles import list_instance_profiles_for_role
from accounts.operations.roles import (
    MAX_SESSION,
    MIN_SESSION,
    REVOKE_POLICY_NAME,
    delete_role,
    get_role,
    list_role_tags,
    list_roles,
    revoke_role_sessions,
    update_assume_role_policy,
    update_role,
)
from accounts.operations.service_linked import linked_service
from accounts.pages import roles_wizard
from accounts.pages.entity import (
    check_tab,
    old_tab_link,
    render_entity_page,
    tab_answer,
    tab_links,
    tab_url,
)
from accounts.pages.list_preferences import preferences
from accounts.pages.permissions import entity_urlpatterns, group_role_picker, permissions_context
from accounts.pages.trust import trust_validation, trusted_entities
from accounts.pages.users import bulk_delete
from iamconsole.console import console_login_required, principal_of
from iamconsole.pages import HtmxHttpRequest, list_args, pager, pretty, render_error, section

PAGE_SIZE = 50
SESSION_CHOICES = [(h * 3600, f"{h} hour{'s' if h > 1 else ''}") for h in range(1, 13)]


# -- forms -----------------------------------------------------------------------------------


class SummaryForm(forms.Form):
    description = forms.CharField(required=False, max_length=4000, strip=False)
    # Passed to UpdateRole as given: the operation answers out-of-range values with
    # AWS's own ValidationError text (3600..43200 seconds).
    max_session_duration = forms.IntegerField(required=False, label="Maximum session duration")


class TrustForm(forms.Form):
    document = forms.CharField(strip=False, max_length=131072, label="Trust policy")


# -- list ------------------------------------------------------------------------------------


@console_login_required
@require_GET
@vary_on_headers("HX-Request")
def role_list(request: HtmxHttpRequest) -> HttpResponse:
    """Roles: name, trusted entities, last activity, creation; filtered as you type and
    paged by number in place; the columns and page size are the identity's Preferences."""
    prefs = preferences(request, "roles")
    args = list_args(request, default_size=prefs.size or PAGE_SIZE)
    q = request.GET.get("q", "").strip()[:128]
    try:
        page = list_roles(
            actor=principal_of(request),
            name_contains=q or None,
            max_items=args.size,
            **({"marker": args.marker} if args.marker else {"page_number": args.number}),
        )
    except IamError as exc:
        return render_error(request, exc, back=("/", "Dashboard"))
    rows = [(role, trusted_entities(role.trust_policy)) for role in page.items]
    template = "accounts/roles/list.html"
    if request.htmx and request.htmx.target == "role-table":
        template += "#table"
    size = args.size if args.size_given else None
    return render(
        request,
        template,
        {"rows": rows, "page": page, "q": q, "prefs": prefs, **pager(request, page, size=size)},
    )


# -- detail ----------------------------------------------------------------------------------


def _role(request: HtmxHttpRequest, name: str) -> tuple[Role | None, HttpResponse | None]:
    try:
        return get_role(actor=principal_of(request), name=name), None
    except IamError as exc:
        return None, render_error(request, exc, back=(reverse("accounts:role-list"), "Roles"))


def switch_role_url(request: HtmxHttpRequest, role: Role) -> str:
    """The link to give users who switch to this role in the console (AWS: account
    alias when there is one, else the id)."""
    alias = Account.objects.filter(pk=role.account_id).values_list("alias", flat=True).first()
    query = urlencode({"account": alias or role.account_id, "roleName": role.name})
    return request.build_absolute_uri(f"/switchrole/?{query}")


def _tab_context(request: HtmxHttpRequest, role: Role, tab: str) -> dict[str, Any]:
    actor = principal_of(request)
    if tab == "trust":
        return {
            "trust_document": pretty(role.trust_policy),
            "trusted": trusted_entities(role.trust_policy),
        }
    if tab == "tags":
        return {"tags": section(lambda: list_role_tags(actor=actor, name=role.name))}
    if tab == "revoke":
        return {"revoke_policy_name": REVOKE_POLICY_NAME}
    ctx = permissions_context(actor, "role", role.name)
    ctx["picker"] = group_role_picker(actor, exclude=[p.arn for p in ctx["attached"]])
    ctx["boundary_picker"] = group_role_picker(
        actor,
        field_name="boundary",
        selected=[role.permissions_boundary.arn] if role.permissions_boundary else [],
    )
    return ctx


def _instance_profiles(request: HtmxHttpRequest, role: Role) -> list[InstanceProfile] | None:
    """The role's instance profiles (ListInstanceProfilesForRole), None when the signed-in
    principal may not list them."""
    try:
        page = list_instance_profiles_for_role(
            actor=principal_of(request), role_name=role.name, max_items=1000
        )
    except IamError:
        return None
    return list(page.items)


def render_role(
    request: HtmxHttpRequest,
    role_name: str,
    tab: str,
    *,
    extra: dict[str, Any] | None = None,
    status: int = 200,
    fragment: str | None = None,
) -> HttpResponse:
    """The role page, or for htmx the tab (or ``fragment``) with errors shown in place."""
    role, failed = _role(request, role_name)
    if failed is not None:
        return failed
    assert role is not None
    context: dict[str, Any] = {
        "role": role,
        "tab": tab,
        "tabs": tab_links("role", role.name),
        "session_choices": SESSION_CHOICES,
        "session_hours": role.max_session_duration / 3600,
        "switch_url": switch_role_url(request, role),
        "trusted": trusted_entities(role.trust_policy),
        # A service-linked role: only its service may change its trust and permissions or
        # delete it (DeleteServiceLinkedRole); the page hides those edits.
        "service_linked": linked_service(role),
        "instance_profiles": _instance_profiles(request, role),
    }
    try:
        context.update(_tab_context(request, role, tab))
    except IamError as exc:
        context["tab_error"] = exc
    context.update(extra or {})
    return render_entity_page(
        request,
        "accounts/roles/detail.html",
        context,
        status=status,
        fragment=fragment,
        error_keys=("error", "summary_error"),
    )


@console_login_required
@require_GET
@vary_on_headers("HX-Request")
def role_detail(request: HtmxHttpRequest, role_name: str, tab: str = "") -> HttpResponse:
    """A role's page; each tab is its own URL and, for htmx, just the tab section."""
    tab = check_tab("role", tab)
    return old_tab_link(request, "role", role_name) or render_role(request, role_name, tab)


def _tab_url(role_name: str, tab: str) -> str:
    return tab_url("role", role_name, tab)


def _after(request: HtmxHttpRequest, role_name: str, tab: str, **answer: Any) -> HttpResponse:
    """What a change on the role page answers (the shared views in permissions.py too)."""
    return tab_answer(request, "role", role_name, tab, render_role, **answer)


# -- summary: description and max session duration -----------------------------------------------


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def role_update(request: HtmxHttpRequest, role_name: str) -> HttpResponse:
    """UpdateRole: description and maximum session duration, edited in the summary."""
    form = SummaryForm(request.POST)
    error: IamError | None = None
    if not form.is_valid():
        value = request.POST.get("max_session_duration", "")
        error = ValidationError(
            f"1 validation error detected: Value '{value}' at 'maxSessionDuration' failed to "
            f"satisfy constraint: Member must have value between {MIN_SESSION} and {MAX_SESSION}"
        )
    else:
        data = form.cleaned_data
        description = data["description"] if "description" in request.POST else None
        try:
            update_role(
                actor=principal_of(request),
                name=role_name,
                description=description,
                max_session_duration=data["max_session_duration"],
            )
        except IamError as exc:
            error = exc
    if not request.htmx and error is None:
        return redirect("accounts:role-detail", role_name=role_name)
    return render_role(
        request, role_name, "permissions", extra={"summary_error": error}, fragment="summary"
    )


# -- trust relationships ---------------------------------------------------------------------


@console_login_required
@require_http_methods(["GET", "POST"])
def role_trust_edit(request: HtmxHttpRequest, role_name: str) -> HttpResponse:
    """Edit the trust policy (validated as you type) → UpdateAssumeRolePolicy."""
    role, failed = _role(request, role_name)
    if failed is not None:
        return failed
    assert role is not None
    error: IamError | None = None
    status = 200
    if request.method == "POST":
        form = TrustForm(request.POST)
        document = request.POST.get("document", "")
        if form.is_valid():
            try:
                update_assume_role_policy(
                    actor=principal_of(request), name=role.name, document=document
                )
            except IamError as exc:
                status = exc.status
                if exc.code == "AccessDenied":
                    error = exc
                else:
                    form.add_error("document", exc.message)
            else:
                messages.success(request, f"Trust policy of {role.name} updated.")
                return redirect(_tab_url(role.name, "trust"))
        else:
            status = 400
    else:
        document = pretty(role.trust_policy)
        form = TrustForm(initial={"document": document})
    return render(
        request,
        "accounts/roles/trust_edit.html",
        {"role": role, "form": form, "error": error, **trust_validation(document)},
        status=status,
    )


@console_login_required
@require_POST
def trust_validate(request: HtmxHttpRequest) -> HttpResponse:
    """Live check of a trust policy (the engine is pure: no permission needed)."""
    field = "custom_policy" if request.POST.get("field") == "custom_policy" else "document"
    document = request.POST.get(field, "")[:131072]
    return render(request, "policies/partials/validation.html", trust_validation(document))


# -- revoke sessions -------------------------------------------------------------------------


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def role_revoke_sessions(request: HtmxHttpRequest, role_name: str) -> HttpResponse:
    """ "Revoke active sessions": AWS puts the inline policy AWSRevokeOlderSessions."""
    error: IamError | None = None
    if request.POST.get("confirm") != "on":
        error = ValidationError("Confirm that you want to revoke all active sessions.")
    else:
        try:
            revoke_role_sessions(actor=principal_of(request), name=role_name)
        except IamError as exc:
            error = exc
    extra = {"error": error, "revoked_now": error is None}
    if not request.htmx and error is None:
        return redirect(_tab_url(role_name, "revoke"))
    return render_role(request, role_name, "revoke", extra=extra)


# -- delete ----------------------------------------------------------------------------------


@console_login_required
@require_http_methods(["GET", "POST"])
def role_delete(request: HtmxHttpRequest, role_name: str) -> HttpResponse:
    """Delete: AWS asks to type the role's name; its policies are removed first."""
    role, failed = _role(request, role_name)
    if failed is not None:
        return failed
    assert role is not None
    form = DeleteForm(request.POST or None, expected=role.name)
    error: IamError | None = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                delete_role(actor=principal_of(request), name=role.name, force=True)
            except IamError as exc:
                error, status = exc, exc.status
            else:
                messages.success(request, f"Role {role.name} deleted.")
                url = reverse("accounts:role-list")
                if request.htmx:
                    return HttpResponseClientRedirect(url)
                return redirect(url)
        else:
            status = 400
    template = "accounts/roles/delete.html"
    if request.htmx:
        template += "#confirm"
    return render(request, template, {"role": role, "form": form, "error": error}, status=status)


def _role_path(suffix: str, view: Any, name: str) -> Any:
    return path(f"roles/<str:role_name>/{suffix}", view, name=name)


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def role_bulk_delete(request: HtmxHttpRequest) -> HttpResponse:
    """Delete the roles ticked in the list (delete_role, the console's way, all or none)."""
    return bulk_delete(
        request,
        kind="role",
        operation=delete_role,
        list_route="accounts:role-list",
        action_route="accounts:role-bulk-delete",
    )


urlpatterns = [
    path("roles/", role_list, name="role-list"),
    # Not under roles/<name>/: every word is a valid role name.
    path("delete-roles/", role_bulk_delete, name="role-bulk-delete"),
    *roles_wizard.urlpatterns,
    path("roles/trust-policy/validate/", trust_validate, name="role-trust-validate"),
    path("roles/<str:role_name>/", role_detail, name="role-detail"),
    _role_path("edit/", role_update, "role-update"),
    _role_path("trust/edit/", role_trust_edit, "role-trust-edit"),
    *entity_urlpatterns("role", _after),
    _role_path("revoke-sessions/", role_revoke_sessions, "role-revoke-sessions"),
    _role_path("delete/", role_delete, "role-delete"),
    # Last: any other /roles/<name>/<word>/ is a tab, or a 404.
    _role_path("<slug:tab>/", role_detail, "role-detail-tab"),
]
