"""Console pages: user groups (list, create, detail with Users and Permissions tabs, delete).

Views only translate: every read and write goes through one operation with the
signed-in principal as ``actor``, so the policy engine decides and the audit trail
records, exactly as for the API. The helpers at the top (errors, the policy
picker, all-or-nothing batches, the permissions panel) are shared with roles.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from accounts.errors import IamError, ValidationError
from accounts.models import Group
from accounts.operations.groups import (
    add_user_to_group,
    create_group,
    delete_group,
    get_group,
    list_groups,
    remove_user_from_group,
)
from accounts.operations.users import list_users
from accounts.principal import Principal
from iamconsole.console import console_login_required, principal_of
from iamconsole.ops import record_event
from policies.operations import (
    attach_group_policy,
    delete_group_policy,
    detach_group_policy,
    get_group_policy,
    list_attached_group_policies,
    list_group_policies,
    list_policies,
    put_group_policy,
)

PAGE_SIZE = 50
PICKER_SIZE = 50
# Inline policy quotas by identity, whitespace not counted ("IAM and AWS STS
# character limits": user 2,048, group 5,120, role 10,240).
INLINE_SIZE = {"group": 5120, "role": 10240}
GROUP_TABS = [("users", "Users"), ("permissions", "Permissions")]
STARTER_DOCUMENT = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Statement1", "Effect": "Allow", "Action": [], "Resource": []}],
    },
    indent=4,
)


class HtmxHttpRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it (typing only)."""

    htmx: HtmxDetails


# -- shared with roles.py ------------------------------------------------------------------


def render_error(
    request: HtmxHttpRequest, exc: IamError, *, back: tuple[str, str] | None = None
) -> HttpResponse:
    """An IAM error as a page (or, for htmx, a fragment) with the status AWS answers it with:
    AccessDenied 403 with AWS's message, NoSuchEntity 404 (also for other accounts' names)."""
    template = "accounts/groups/error.html"
    if request.htmx:
        template += "#error"
    back = back or (reverse("accounts:group-list"), "User groups")
    return render(request, template, {"error": exc, "back": back}, status=exc.status)


def run_together(actor: Principal, steps: Sequence[tuple[Callable[..., Any], dict[str, Any]]]):
    """Run several operations in one transaction: all of them happen, or none.

    Each operation audits its own failure, but inside this transaction that record
    would be rolled back with the rest; so the failed step is recorded again here,
    after the rollback (denials must show in the event history).
    """
    current: Callable[..., Any] | None = None
    try:
        with transaction.atomic():
            results = []
            for fn, kwargs in steps:
                current = fn
                results.append(fn(actor=actor, **kwargs))
            return results
    except IamError as exc:
        name = getattr(current, "event_name", "")
        if name:
            record_event(
                actor,
                name,
                getattr(exc, "resource", ""),
                request=steps_kwargs(steps, current),
                allowed=exc.code != "AccessDenied",
                error=exc,
            )
        raise


_AUDITED_ARGS = {"name", "group_name", "role_name", "user_name", "policy_arn", "policy_name"}


def steps_kwargs(
    steps: Sequence[tuple[Callable[..., Any], dict[str, Any]]], fn: Callable[..., Any] | None
) -> dict[str, Any] | None:
    for f, kwargs in steps:
        if f is fn:
            # Names only: documents (policies, trust policies) stay out of the audit trail.
            return {k: v for k, v in kwargs.items() if k in _AUDITED_ARGS}
    return None


@dataclass
class Picker:
    """The searchable managed-policy list of create forms and "Attach policies".

    ``selected`` stay listed (checked) whatever the search; ``matches`` are the
    first policies whose name contains the search text.
    """

    field: str = "policies"
    multiple: bool = True
    q: str = ""
    selected: list[Any] = dc_field(default_factory=list)
    matches: list[Any] = dc_field(default_factory=list)
    more: bool = False
    error: IamError | None = None
    exclude: set[str] = dc_field(default_factory=set)


def build_picker(
    actor: Principal,
    *,
    q: str = "",
    selected: Sequence[str] = (),
    field_name: str = "policies",
    multiple: bool = True,
    exclude: Sequence[str] = (),
) -> Picker:
    """Policies through ListPolicies (so a caller who may not list them sees AWS's denial)."""
    from policies.models import ManagedPolicy

    picker = Picker(field=field_name, multiple=multiple, q=q[:128], exclude=set(exclude))
    chosen = [a for a in dict.fromkeys(selected) if a][:20]
    try:
        page = list_policies(actor=actor, name_contains=q[:128] or None, max_items=PICKER_SIZE)
    except IamError as exc:
        picker.error = exc
        return picker
    if chosen:
        from django.db.models import Q

        picker.selected = list(
            ManagedPolicy.objects.filter(arn__in=chosen).filter(
                Q(account_id=actor.account_id) | Q(account__isnull=True)
            )
        )
    taken = {p.arn for p in picker.selected} | picker.exclude
    picker.matches = [p for p in page.items if p.arn not in taken]
    picker.more = page.is_truncated
    return picker


@console_login_required
@require_GET
def policy_picker(request: HtmxHttpRequest) -> HttpResponse:
    """The picker's list for a search typed in place (hx-include sends the checked boxes)."""
    field_name = request.GET.get("picker_field", "policies")
    if field_name not in ("policies", "boundary"):
        field_name = "policies"
    picker = build_picker(
        principal_of(request),
        q=request.GET.get(f"{field_name}_q", ""),
        selected=request.GET.getlist(field_name),
        field_name=field_name,
        multiple=field_name == "policies",
        exclude=request.GET.getlist("attached"),
    )
    status = picker.error.status if picker.error else 200
    return render(
        request,
        "accounts/roles/partials/policy_picker.html#list",
        {"picker": picker},
        status=status,
    )


def permissions_context(actor: Principal, kind: str, name: str) -> dict[str, Any]:
    """Attached managed policies and inline policies of a group or role, via List* operations."""
    if kind == "group":
        attached = list_attached_group_policies(actor=actor, group_name=name, max_items=1000)
        inline = list_group_policies(actor=actor, group_name=name, max_items=1000)
    else:
        from policies.operations import list_attached_role_policies, list_role_policies

        attached = list_attached_role_policies(actor=actor, role_name=name, max_items=1000)
        inline = list_role_policies(actor=actor, role_name=name, max_items=1000)
    return {
        "attached": list(attached.items),
        "inline": list(inline.items),
        "policy_count": len(attached.items) + len(inline.items),
    }


def parse_tag_lines(text: str) -> list[dict[str, str]]:
    """``key=value`` lines (blank lines skipped) as IAM tags; a line without ``=`` is an error."""
    tags = []
    for n, raw in enumerate((text or "").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise forms.ValidationError(f"Line {n}: write each tag as key=value.")
        tags.append({"Key": key.strip(), "Value": value.strip()})
    return tags


def list_query(request: HttpRequest, page: Any, keys: Sequence[str] = ("q",)) -> dict[str, Any]:
    """Query strings of the list's first and next pages (filters kept)."""
    params = {k: request.GET.get(k, "") for k in keys if request.GET.get(k)}
    return {
        "first_query": urlencode(params),
        "next_query": urlencode({**params, "marker": page.marker}) if page.is_truncated else None,
        "paged": bool(request.GET.get("marker")),
    }


class InlinePolicyForm(forms.Form):
    name = forms.CharField(
        max_length=200,
        label="Policy name",
        help_text="Maximum 128 characters. Use alphanumeric and '+=,.@-_' characters.",
    )
    document = forms.CharField(
        label="Policy editor",
        strip=False,
        max_length=131072,  # IAM's own quota is checked (with AWS's message) by the operation
        widget=forms.Textarea(attrs={"rows": 22, "spellcheck": "false", "wrap": "off"}),
    )


def inline_validation(document: str, kind: str) -> dict[str, Any]:
    from policies.views.common import validation_context

    ctx = validation_context(document, f"{kind.upper()}_INLINE")
    ctx["size_limit"] = INLINE_SIZE[kind]
    return ctx


def form_error(form: forms.Form, exc: IamError, fields: dict[str, str]) -> None:
    """Put an IAM error by the field it is about (``fields``: text in message -> field)."""
    for needle, name in fields.items():
        if needle in exc.message and name in form.fields:
            form.add_error(name, exc.message)
            return
    form.add_error(None, exc.message)


# -- forms -----------------------------------------------------------------------------------


class GroupCreateForm(forms.Form):
    name = forms.CharField(
        max_length=200,
        label="User group name",
        help_text="Enter a meaningful name to identify this group. Maximum 128 characters. "
        "Use alphanumeric and '+=,.@-_' characters.",
    )
    users = forms.MultipleChoiceField(
        required=False, label="Add users to the group", widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, user_names: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["users"].choices = [(n, n) for n in user_names]


class DeleteForm(forms.Form):
    confirm = forms.CharField(max_length=200, label="To confirm deletion, enter the name")

    def __init__(self, *args: Any, expected: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"]
        if value != self.expected:
            raise forms.ValidationError(f"Enter {self.expected} exactly to confirm.")
        return value


# -- list ------------------------------------------------------------------------------------


@console_login_required
@require_GET
@vary_on_headers("HX-Request")
def group_list(request: HtmxHttpRequest) -> HttpResponse:
    """User groups: name, users, permissions, creation time; filtered and paged in place."""
    q = request.GET.get("q", "")[:128]
    try:
        page = list_groups(
            actor=principal_of(request),
            name_contains=q or None,
            marker=request.GET.get("marker") or None,
            max_items=PAGE_SIZE,
        )
    except IamError as exc:
        return render_error(request, exc, back=("/", "Dashboard"))
    # One more query for the counts of the whole page (never one per row).
    ids = [g.pk for g in page.items]
    counts = {
        row["pk"]: row
        for row in Group.objects.filter(pk__in=ids)
        .annotate(
            user_count=Count("users", distinct=True),
            attached_count=Count("policy_attachments", distinct=True),
            inline_count=Count("inline_policies", distinct=True),
        )
        .values("pk", "user_count", "attached_count", "inline_count")
    }
    rows = [(g, counts.get(g.pk, {})) for g in page.items]
    template = "accounts/groups/list.html"
    if request.htmx and request.htmx.target == "group-table":
        template += "#table"
    return render(
        request, template, {"rows": rows, "page": page, "q": q, **list_query(request, page)}
    )


# -- create ----------------------------------------------------------------------------------


@console_login_required
@require_http_methods(["GET", "POST"])
def group_create(request: HtmxHttpRequest) -> HttpResponse:
    """Create user group: name, users to add and policies to attach, all in one transaction."""
    actor = principal_of(request)
    error: IamError | None = None
    status = 200
    try:
        user_names = [u.name for u in list_users(actor=actor, max_items=1000).items]
    except IamError as exc:
        user_names, error = [], exc  # shown on the page; creating may still be allowed
    selected = request.POST.getlist("policies") if request.method == "POST" else []
    form = GroupCreateForm(request.POST or None, user_names=user_names)
    if request.method == "POST" and request.POST.get("go") != "search":
        if form.is_valid():
            name = form.cleaned_data["name"]
            steps: list[tuple[Callable[..., Any], dict[str, Any]]] = [
                (create_group, {"name": name})
            ]
            steps += [
                (add_user_to_group, {"group_name": name, "user_name": u})
                for u in form.cleaned_data["users"]
            ]
            steps += [
                (attach_group_policy, {"group_name": name, "policy_arn": arn})
                for arn in dict.fromkeys(selected)
            ]
            try:
                group = run_together(actor, steps)[0]
            except IamError as exc:
                status = exc.status
                if exc.code in ("AccessDenied", "NoSuchEntity", "LimitExceeded"):
                    error = exc
                else:
                    form_error(form, exc, {"groupName": "name", "Group with name": "name"})
            else:
                messages.success(request, f"User group {group.name} created.")
                return redirect("accounts:group-detail", group_name=group.name)
        else:
            status = 400
    picker = build_picker(actor, q=request.POST.get("policies_q", ""), selected=selected)
    # A caller who may not list users or policies sees the form with AWS's denial (403).
    denied = error or picker.error
    if denied is not None and status == 200:
        status = denied.status
    return render(
        request,
        "accounts/groups/create.html",
        {"form": form, "error": error, "picker": picker},
        status=status,
    )


# -- detail ----------------------------------------------------------------------------------


def _group_or_error(request: HtmxHttpRequest, name: str) -> tuple[Any, HttpResponse | None]:
    try:
        return get_group(actor=principal_of(request), name=name, max_items=1000), None
    except IamError as exc:
        return None, render_error(request, exc)


def render_group(
    request: HtmxHttpRequest,
    group_name: str,
    tab: str,
    *,
    extra: dict[str, Any] | None = None,
    status: int = 200,
    fragment: str | None = None,
) -> HttpResponse:
    """The group page, or for htmx the tab (or ``fragment``) with errors shown in place."""
    actor = principal_of(request)
    found, failed = _group_or_error(request, group_name)
    if failed is not None:
        return failed
    group, members = found.group, list(found.users.items)
    if tab not in dict(GROUP_TABS):
        tab = "users"
    context: dict[str, Any] = {
        "group": group,
        "members": members,
        "tab": tab,
        "tabs": GROUP_TABS,
        "add_form_users": [],
    }
    try:
        if tab == "users":
            member_names = {u.name for u in members}
            everyone = list_users(actor=actor, max_items=1000).items
            context["add_form_users"] = [u.name for u in everyone if u.name not in member_names]
        else:
            context.update(permissions_context(actor, "group", group.name))
            context["picker"] = build_picker(actor, exclude=[p.arn for p in context["attached"]])
    except IamError as exc:
        context["tab_error"] = exc
        if status == 200 and tab == "permissions":
            status = exc.status
    context.update(extra or {})
    if context.get("error") is not None and status == 200:
        status = context["error"].status
    template = "accounts/groups/detail.html"
    if request.htmx:
        template += "#" + (fragment or "tab")
    return render(request, template, context, status=status)


@console_login_required
@require_GET
@vary_on_headers("HX-Request")
def group_detail(request: HtmxHttpRequest, group_name: str) -> HttpResponse:
    return render_group(request, group_name, request.GET.get("tab", "users"))


def _tab_url(group_name: str, tab: str) -> str:
    return reverse("accounts:group-detail", args=[group_name]) + f"?tab={tab}"


# -- members (the STYLE.md example) ------------------------------------------------------------


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def group_add_member(request: HtmxHttpRequest, group_name: str) -> HttpResponse:
    error: IamError | None = None
    names = [n for n in request.POST.getlist("user") if n][:100]
    if not names:
        error = ValidationError("Choose at least one user to add.")
    else:
        try:
            run_together(
                principal_of(request),
                [(add_user_to_group, {"group_name": group_name, "user_name": n}) for n in names],
            )
        except IamError as exc:
            error = exc
    if not request.htmx and error is None:
        return redirect(_tab_url(group_name, "users"))
    return render_group(request, group_name, "users", extra={"error": error}, fragment="members")


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def group_remove_member(request: HtmxHttpRequest, group_name: str) -> HttpResponse:
    error: IamError | None = None
    try:
        remove_user_from_group(
            actor=principal_of(request),
            group_name=group_name,
            user_name=request.POST.get("user", ""),
        )
    except IamError as exc:
        error = exc
    if not request.htmx and error is None:
        return redirect(_tab_url(group_name, "users"))
    return render_group(request, group_name, "users", extra={"error": error}, fragment="members")


# -- permissions -----------------------------------------------------------------------------


def attach_chosen_policies(request: HtmxHttpRequest, attach: Any, **entity: str) -> IamError | None:
    """Attach each policy ticked in the form (at most 20) with ``attach``
    (Attach{Group,Role}Policy), all or none; the error to show, if any."""
    arns = [a for a in dict.fromkeys(request.POST.getlist("policies")) if a][:20]
    if not arns:
        return ValidationError("Choose at least one policy to attach.")
    try:
        run_together(principal_of(request), [(attach, {**entity, "policy_arn": a}) for a in arns])
    except IamError as exc:
        return exc
    return None


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def group_attach_policies(request: HtmxHttpRequest, group_name: str) -> HttpResponse:
    error = attach_chosen_policies(request, attach_group_policy, group_name=group_name)
    if not request.htmx and error is None:
        return redirect(_tab_url(group_name, "permissions"))
    return render_group(request, group_name, "permissions", extra={"error": error})


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def group_detach_policy(request: HtmxHttpRequest, group_name: str) -> HttpResponse:
    error: IamError | None = None
    try:
        detach_group_policy(
            actor=principal_of(request),
            group_name=group_name,
            policy_arn=request.POST.get("policy_arn", ""),
        )
    except IamError as exc:
        error = exc
    if not request.htmx and error is None:
        return redirect(_tab_url(group_name, "permissions"))
    return render_group(request, group_name, "permissions", extra={"error": error})


def inline_policy_editor(
    request: HtmxHttpRequest,
    *,
    kind: str,
    entity: Any,
    put: Any,
    get: Any,
    template: str,
    tab_url: str,
    back: tuple[str, str],
) -> HttpResponse:
    """Create or edit an inline policy of a group or role (``kind``): the JSON editor with
    live validation, then Put{Group,Role}Policy through ``put``; ``get`` reads one to edit.
    The operations authorize; AccessDenied shows on the page, other IAM errors by field."""
    actor = principal_of(request)
    editing = request.GET.get("policy", "")
    error: IamError | None = None
    status = 200
    if request.method == "POST":
        form = InlinePolicyForm(request.POST)
        if form.is_valid():
            try:
                put(actor, form.cleaned_data["name"], form.cleaned_data["document"])
            except IamError as exc:
                status = exc.status
                if exc.code == "AccessDenied":
                    error = exc
                else:
                    form_error(
                        form,
                        exc,
                        {"policyName": "name", "Maximum policy size": "document", "": "document"},
                    )
            else:
                messages.success(request, f"Policy {form.cleaned_data['name']} saved.")
                return redirect(tab_url)
        else:
            status = 400
        document = request.POST.get("document", "")
    elif editing:
        try:
            policy = get(actor, editing)
        except IamError as exc:
            return render_error(request, exc, back=back)
        from policies.views.common import pretty

        document = pretty(policy.document)
        form = InlinePolicyForm(initial={"name": policy.name, "document": document})
    else:
        document = STARTER_DOCUMENT
        form = InlinePolicyForm(initial={"document": document})
    return render(
        request,
        template,
        {
            kind: entity,
            "form": form,
            "editing": editing,
            "error": error,
            "validate_url": reverse(f"accounts:{kind}-inline-validate"),
            "cancel_url": tab_url,
            **inline_validation(document, kind),
        },
        status=status,
    )


@console_login_required
@require_http_methods(["GET", "POST"])
def group_inline_policy(request: HtmxHttpRequest, group_name: str) -> HttpResponse:
    """Create or edit an inline policy: JSON editor with live validation, then PutGroupPolicy."""
    found, failed = _group_or_error(request, group_name)
    if failed is not None:
        return failed
    name = found.group.name
    return inline_policy_editor(
        request,
        kind="group",
        entity=found.group,
        put=lambda actor, policy, doc: put_group_policy(
            actor=actor, group_name=name, policy_name=policy, document=doc
        ),
        get=lambda actor, policy: get_group_policy(
            actor=actor, group_name=name, policy_name=policy
        ),
        template="accounts/groups/inline_policy.html",
        tab_url=_tab_url(name, "permissions"),
        back=(reverse("accounts:group-detail", args=[name]), name),
    )


@console_login_required
@require_POST
def group_inline_validate(request: HtmxHttpRequest) -> HttpResponse:
    """Live check of an inline group policy (the engine is pure: no permission needed)."""
    document = request.POST.get("document", "")[:131072]
    return render(
        request, "policies/partials/validation.html", inline_validation(document, "group")
    )


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def group_inline_delete(request: HtmxHttpRequest, group_name: str) -> HttpResponse:
    error: IamError | None = None
    try:
        delete_group_policy(
            actor=principal_of(request),
            group_name=group_name,
            policy_name=request.POST.get("policy_name", ""),
        )
    except IamError as exc:
        error = exc
    if not request.htmx and error is None:
        return redirect(_tab_url(group_name, "permissions"))
    return render_group(request, group_name, "permissions", extra={"error": error})


# -- delete ----------------------------------------------------------------------------------


@console_login_required
@require_http_methods(["GET", "POST"])
def group_delete(request: HtmxHttpRequest, group_name: str) -> HttpResponse:
    """Delete: AWS asks to type the group's name; members and policies go with it."""
    actor = principal_of(request)
    found, failed = _group_or_error(request, group_name)
    if failed is not None:
        return failed
    group = found.group
    form = DeleteForm(request.POST or None, expected=group.name)
    error: IamError | None = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                delete_group(actor=actor, name=group.name, force=True)
            except IamError as exc:
                error, status = exc, exc.status
            else:
                messages.success(request, f"User group {group.name} deleted.")
                url = reverse("accounts:group-list")
                if request.htmx:
                    return HttpResponseClientRedirect(url)
                return redirect(url)
        else:
            status = 400
    template = "accounts/groups/delete.html"
    if request.htmx:
        template += "#confirm"
    context = {
        "group": group,
        "member_count": len(found.users.items),
        "form": form,
        "error": error,
    }
    return render(request, template, context, status=status)


urlpatterns = [
    path("groups/", group_list, name="group-list"),
    path("groups/create/", group_create, name="group-create"),
    path("groups/inline-policy/validate/", group_inline_validate, name="group-inline-validate"),
    path("groups/<str:group_name>/", group_detail, name="group-detail"),
    path("groups/<str:group_name>/members/add/", group_add_member, name="group-add-member"),
    path(
        "groups/<str:group_name>/members/remove/", group_remove_member, name="group-remove-member"
    ),
    path(
        "groups/<str:group_name>/policies/attach/",
        group_attach_policies,
        name="group-attach-policies",
    ),
    path(
        "groups/<str:group_name>/policies/detach/",
        group_detach_policy,
        name="group-detach-policy",
    ),
    path(
        "groups/<str:group_name>/inline-policies/edit/",
        group_inline_policy,
        name="group-inline-policy",
    ),
    path(
        "groups/<str:group_name>/inline-policies/delete/",
        group_inline_delete,
        name="group-inline-delete",
    ),
    path("groups/<str:group_name>/delete/", group_delete, name="group-delete"),
    # The policy picker's search (shared by group and role pages).
    path("roles/create/policies/", policy_picker, name="policy-picker"),
]
