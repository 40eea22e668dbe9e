"""Managed policies: list, detail (permissions, entities, tags), create, validate, delete."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from accounts.errors import (
    AccessDenied,
    EntityAlreadyExists,
    IamError,
    LimitExceeded,
    MalformedPolicyDocument,
    ValidationError,
)
from accounts.pages.list_preferences import preferences
from iamconsole.console import console_login_required, principal_of, require_create_permission
from iamconsole.ops import run_batch
from iamconsole.pages import (
    HtmxHttpRequest,
    list_args,
    pager,
    pretty,
    render_error,
    summary_rows,
    validation_context,
)
from policies.engine.catalog import ACCESS_LEVELS
from policies.forms import (
    DeletePolicyForm,
    PolicyCreateForm,
    PolicyFilterForm,
    TagForm,
    ValidateForm,
)
from policies.lookups import policy_by_id
from policies.models import ManagedPolicy
from policies.operations import (
    create_policy,
    delete_policy,
    get_policy,
    get_policy_version,
    list_entities_for_policy,
    list_policies,
    list_policy_tags,
    list_policy_versions,
    tag_policy,
    untag_policy,
)

PAGE_SIZE = 50
TABS = [
    ("permissions", "Permissions"),
    ("entities", "Entities attached"),
    ("tags", "Tags"),
    ("versions", "Policy versions"),
]

# The error page's breadcrumb.
BACK = (reverse_lazy("policies:policy-list"), "Policies")


# -- list --------------------------------------------------------------------------------


@console_login_required
@require_GET
@vary_on_headers("HX-Request")
def policy_list(request: HtmxHttpRequest) -> HttpResponse:
    """Policies: AWS managed and customer managed, filtered as you type and paged by
    number in place; the columns and page size are the identity's Preferences."""
    form = PolicyFilterForm(request.GET)
    filters = form.filters()
    prefs = preferences(request, "policies")
    args = list_args(request, default_size=prefs.size or PAGE_SIZE)
    if not filters["marker"]:
        filters["page_number"] = args.number
    try:
        page = list_policies(actor=principal_of(request), max_items=args.size, **filters)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    template = "policies/list.html"
    if request.htmx:
        template += "#table"
    size = args.size if args.size_given else None
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "prefs": prefs,
            **pager(request, page, ("scope", "usage", "q"), size=size),
        },
    )


# -- detail ------------------------------------------------------------------------------


def _tab_context(request: HtmxHttpRequest, policy: ManagedPolicy, tab: str) -> dict[str, Any]:
    """Data of one detail tab, each read through its own operation."""
    actor = principal_of(request)
    if tab == "versions":
        page = list_policy_versions(actor=actor, arn=policy.arn, max_items=1000)
        # Newest first; version ids are "v<n>" and never reused.
        versions = sorted(page.items, key=lambda v: int(v.version_id[1:] or 0), reverse=True)
        return {"versions": versions}
    if tab == "entities":
        return {"entities": list_entities_for_policy(actor=actor, arn=policy.arn)}
    if tab == "tags":
        return {"tags": list_policy_tags(actor=actor, arn=policy.arn), "tag_form": TagForm()}
    version = get_policy_version(actor=actor, arn=policy.arn, version_id=policy.default_version_id)
    return {
        "version": version,
        "document": pretty(version.document),
        "summary": summary_rows(version.document),
        "access_levels": ACCESS_LEVELS,
    }


def render_detail(
    request: HtmxHttpRequest,
    policy_id: str,
    tab: str,
    *,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The detail page (or its tab fragment for htmx), errors of a tab shown in place."""
    actor = principal_of(request)
    try:
        policy = policy_by_id(actor, policy_id)
        policy = get_policy(actor=actor, arn=policy.arn)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    if tab not in dict(TABS):
        tab = "permissions"
    context: dict[str, Any] = {"policy": policy, "tab": tab, "tabs": TABS}
    try:
        context.update(_tab_context(request, policy, tab))
    except IamError as exc:
        context["tab_error"] = exc
        status = exc.status
    context.update(extra or {})
    if "error" in context and status == 200:
        status = context["error"].status
    template = "policies/detail.html"
    if request.htmx:  # tab links and in-tab forms all target #policy-tab
        template += "#tab"
    return render(request, template, context, status=status)


@console_login_required
@require_GET
@vary_on_headers("HX-Request")
def policy_detail(request: HtmxHttpRequest, policy_id: str) -> HttpResponse:
    return render_detail(request, policy_id, request.GET.get("tab", "permissions"))


# -- create ------------------------------------------------------------------------------


def _form_error(form: Any, exc: IamError) -> None:
    """Put an IAM error next to the field it is about."""
    if isinstance(exc, MalformedPolicyDocument | LimitExceeded):
        form.add_error("document", exc.message)
    elif isinstance(exc, EntityAlreadyExists):
        form.add_error("name", exc.message)
    elif isinstance(exc, ValidationError):
        text = exc.message
        field = (
            "name"
            if "policyName" in text
            else "description"
            if "description" in text
            else "tags"
            if "tag" in text.lower()
            else None
        )
        form.add_error(field, text)
    else:
        form.add_error(None, exc.message)


@console_login_required
@require_http_methods(["GET", "POST"])
def policy_create(request: HtmxHttpRequest) -> HttpResponse:
    """Create policy: JSON editor validated as you type, then name, description, tags."""
    if request.method == "GET":  # a submitted form is refused by CreatePolicy itself
        require_create_permission(request, "iam:CreatePolicy", "policy")
    status = 200
    error = None
    if request.method == "POST":
        form = PolicyCreateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                policy = create_policy(
                    actor=principal_of(request),
                    name=data["name"],
                    document=data["document"],
                    description=data["description"],
                    tags=data["tags"],
                )
            except AccessDenied as exc:
                error, status = exc, exc.status
            except IamError as exc:
                _form_error(form, exc)
                status = exc.status
            else:
                messages.success(request, f"Policy {policy.name} created.")
                return redirect("policies:policy-detail", policy_id=policy.policy_id)
        else:
            status = 400
        document = request.POST.get("document", "")
    else:
        form = PolicyCreateForm()
        document = form.fields["document"].initial
    context = {"form": form, "error": error, **validation_context(document)}
    return render(request, "policies/create.html", context, status=status)


@console_login_required
@require_POST
def policy_validate(request: HtmxHttpRequest) -> HttpResponse:
    """The editor's live check: the engine's findings by line and the policy summary.

    Pure and local (the engine reads nothing from the database), so it needs no
    IAM permission, only a signed-in console session.
    """
    form = ValidateForm(request.POST)
    document = form.cleaned_data["document"] if form.is_valid() else ""
    policy_type = "IDENTITY_POLICY"
    return render(
        request, "policies/partials/validation.html", validation_context(document, policy_type)
    )


# -- delete ------------------------------------------------------------------------------


@console_login_required
@require_http_methods(["GET", "POST"])
def policy_delete(request: HtmxHttpRequest, policy_id: str) -> HttpResponse:
    """Delete a customer managed policy after the caller types its name (as AWS asks)."""
    actor = principal_of(request)
    try:
        policy = get_policy(actor=actor, arn=policy_by_id(actor, policy_id).arn)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    form = DeletePolicyForm(request.POST or None, policy_name=policy.name)
    error = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                delete_policy(actor=actor, arn=policy.arn)
            except IamError as exc:
                error, status = exc, exc.status
            else:
                messages.success(request, f"Policy {policy.name} deleted.")
                url = reverse("policies:policy-list")
                if request.htmx:
                    return HttpResponseClientRedirect(url)
                return redirect(url)
        else:
            status = 400
    template = "policies/delete.html"
    if request.htmx:
        template += "#confirm"
    return render(
        request, template, {"policy": policy, "form": form, "error": error}, status=status
    )


BULK_CONFIRM = "delete"  # AWS's dialog for several policies: "enter delete to confirm"


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def policy_bulk_delete(request: HtmxHttpRequest) -> HttpResponse:
    """Delete the customer managed policies ticked in the list after "delete" is typed,
    in one batch (``run_batch``): a policy still attached (DeletePolicy's DeleteConflict)
    or refused stops them all, and AWS's error is shown."""
    actor = principal_of(request)
    arns = sorted({a.strip() for a in request.POST.getlist("arns") if a.strip()})[:PAGE_SIZE]
    if not arns:
        messages.error(request, "Select one or more customer managed policies to delete.")
        return redirect("policies:policy-list")
    names = [arn.rsplit("/", 1)[-1] for arn in arns]
    # AWS's dialog: one policy is confirmed by typing its name, several by "delete".
    word = names[0] if len(names) == 1 else BULK_CONFIRM
    error: IamError | None = None
    confirm_error = ""
    if request.POST.get("confirmed"):
        if request.POST.get("confirm", "").strip() != word:
            confirm_error = f"Enter {word} to confirm."
        else:
            try:
                run_batch(actor, [(delete_policy, {"arn": arn}) for arn in arns])
            except IamError as exc:
                error = exc
            else:
                noun = "policy" if len(arns) == 1 else "policies"
                messages.success(request, f"{len(arns)} {noun} deleted: {', '.join(names)}.")
                url = reverse("policies:policy-list")
                if request.htmx:
                    return HttpResponseClientRedirect(url)
                return redirect(url)
    template = "policies/bulk_delete.html"
    if request.htmx:
        template += "#confirm"
    status = error.status if error else (400 if confirm_error else 200)
    context = {
        "arns": arns,
        "names": names,
        "error": error,
        "confirm_error": confirm_error,
        "word": word,
        "word_is_name": len(names) == 1,
    }
    return render(request, template, context, status=status)


# -- tags --------------------------------------------------------------------------------


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def policy_tag(request: HtmxHttpRequest, policy_id: str) -> HttpResponse:
    actor = principal_of(request)
    try:
        policy = policy_by_id(actor, policy_id)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    form = TagForm(request.POST)
    extra: dict[str, Any] = {}
    if form.is_valid():
        try:
            tag_policy(
                actor=actor,
                arn=policy.arn,
                tags=[{"Key": form.cleaned_data["key"], "Value": form.cleaned_data["value"]}],
            )
        except IamError as exc:
            extra["error"] = exc
    else:
        extra["error"] = ValidationError("Enter a tag key.")
    if not request.htmx and "error" not in extra:
        return redirect(_tab_url(policy, "tags"))
    return render_detail(request, policy_id, "tags", extra=extra)


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def policy_untag(request: HtmxHttpRequest, policy_id: str) -> HttpResponse:
    actor = principal_of(request)
    try:
        policy = policy_by_id(actor, policy_id)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    try:
        untag_policy(actor=actor, arn=policy.arn, tag_keys=[request.POST.get("key", "")])
    except IamError as exc:
        return render_detail(request, policy_id, "tags", extra={"error": exc})
    if not request.htmx:
        return redirect(_tab_url(policy, "tags"))
    return render_detail(request, policy_id, "tags")


def _tab_url(policy: ManagedPolicy, tab: str) -> str:
    return reverse("policies:policy-detail", args=[policy.policy_id]) + f"?tab={tab}"
