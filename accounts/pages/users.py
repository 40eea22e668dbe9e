"""Console pages: IAM users (list, detail tabs, permissions, groups, tags, delete).

Views only translate: writes go through one operation each (several at once run in
one transaction), with the signed-in principal as ``actor`` so the policy engine
decides and the audit trail records, exactly as for the API. Reads go through the
list/get operations; where the normal answer of an operation would be an error
(GetLoginProfile of a user without a password), the page asks the engine whether
the caller may see the data instead, so a GET never writes an audit event.

Security credentials (passwords, access keys, MFA) live in users_credentials.py and
the create-user wizard in users_wizard.py; both reuse the helpers here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count, Exists, Max, Min, OuterRef, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from accounts.errors import IamError, ValidationError
from accounts.models import Group, IamUser, MfaDevice
from accounts.operations.groups import (
    add_user_to_group,
    remove_user_from_group,
)
from accounts.operations.users import (
    delete_user,
    get_user,
    list_users,
)
from accounts.pages.entity import HIDDEN, check_tab
from accounts.pages.list_preferences import preferences
from accounts.pages.permissions import build_picker, entity_urlpatterns
from accounts.pages.user_detail import (
    BACK,
    after_action,
    age_days,
    forget_secrets,
    lookup_user,
    render_detail,
)
from accounts.principal import Principal
from iamconsole.console import console_login_required, principal_of
from iamconsole.ops import run_batch
from iamconsole.pages import (
    DEFAULT_PAGE_SIZE,
    PAGE_SIZES,
    HtmxHttpRequest,
    list_args,
    pager,
    render_error,
)
from policies.authorization import permission_checker
from policies.operations import (
    list_attached_user_policies,
)

# -- users list --------------------------------------------------------------------------


@dataclass
class UserRow:
    user: IamUser
    groups: list[str] | None  # None: hidden from the caller
    mfa: bool | None
    password_age: int | None
    has_password: bool | None
    key_age: int | None
    has_active_key: bool | None
    last_activity: datetime | None
    activity_hidden: bool = False


def user_rows(actor: Principal, users: Sequence[IamUser]) -> list[UserRow]:
    """The list's columns for one page of users, in a constant number of queries
    (two, whatever the page size), each column shown only where the caller may see it."""
    if not users:
        return []
    allowed = permission_checker(actor)
    active = Q(access_keys__status="Active")
    annotated = {
        u.pk: u
        for u in IamUser.objects.filter(pk__in=[u.pk for u in users])
        .select_related("console")
        .annotate(
            key_last_used=Max("access_keys__last_used"),
            oldest_active_key=Min("access_keys__created", filter=active),
            active_keys=Count("access_keys", filter=active, distinct=True),
            has_mfa=Exists(
                MfaDevice.objects.filter(iam_user=OuterRef("pk"), enabled__isnull=False)
            ),
        )
        .prefetch_related(Prefetch("groups", queryset=Group.objects.order_by("name")))
    }
    rows = []
    for listed in users:
        u = annotated.get(listed.pk, listed)
        see_groups = allowed("iam:ListGroupsForUser", u.arn)
        see_mfa = allowed("iam:ListMFADevices", u.arn)
        see_password = allowed("iam:GetLoginProfile", u.arn)
        see_keys = allowed("iam:ListAccessKeys", u.arn)
        see_key_use = see_keys and allowed("iam:GetAccessKeyLastUsed", u.arn)
        has_password = u.console.login_profile_created is not None
        # ListUsers itself returns PasswordLastUsed; key use needs the key actions.
        moments = [u.password_last_used] if u.password_last_used else []
        if see_key_use and getattr(u, "key_last_used", None):
            moments.append(u.key_last_used)
        changed = u.console.password_changed or u.console.login_profile_created
        rows.append(
            UserRow(
                user=u,
                groups=[g.name for g in u.groups.all()] if see_groups else None,
                mfa=bool(getattr(u, "has_mfa", False)) if see_mfa else None,
                has_password=has_password if see_password else None,
                password_age=age_days(changed) if see_password and has_password else None,
                has_active_key=bool(getattr(u, "active_keys", 0)) if see_keys else None,
                key_age=age_days(getattr(u, "oldest_active_key", None)) if see_keys else None,
                last_activity=max(moments) if moments else None,
                activity_hidden=not see_key_use and not moments,
            )
        )
    return rows


@console_login_required
@require_GET
@vary_on_headers("HX-Request")
def user_list(request: HtmxHttpRequest) -> HttpResponse:
    """Users: filter by name as you type and page by number in place (htmx), or with
    plain GETs; the columns and page size are the identity's Preferences."""
    actor = principal_of(request)
    forget_secrets(request, stale_only=True)
    prefs = preferences(request, "users")
    args = list_args(request, default_size=prefs.size or DEFAULT_PAGE_SIZE)
    q = request.GET.get("q", "").strip()[:128]
    try:
        page = list_users(
            actor=actor,
            name_contains=q or None,
            max_items=args.size,
            **({"marker": args.marker} if args.marker else {"page_number": args.number}),
        )
    except IamError as exc:
        if exc.code == "ValidationError" and args.marker:  # a stale or mangled marker
            return redirect(f"{reverse('accounts:user-list')}?{urlencode({'q': q})}")
        return render_error(request, exc, back=BACK)
    context = {
        "q": q,
        "size": args.size,
        "page_sizes": PAGE_SIZES,
        "page": page,
        "rows": user_rows(actor, page.items),
        "prefs": prefs,
        "hidden": HIDDEN,
        **pager(request, page, ("q",), size=args.size if args.size_given else None),
    }
    template = "accounts/users/list.html"
    if request.htmx and request.htmx.target == "user-table":
        template += "#table"
    return render(request, template, context)


@console_login_required
@require_GET
@vary_on_headers("HX-Request")
def user_detail(request: HtmxHttpRequest, user_name: str, tab: str = "permissions") -> HttpResponse:
    """A user's page; each tab is its own URL and, for htmx, just the tab section."""
    tab = check_tab("user", tab)
    if not (request.htmx and request.htmx.target == "user-summary"):
        # A secret shown once is gone once its page is left (the summary card reloading
        # itself next to the secret is not leaving it).
        forget_secrets(request)
    return render_detail(request, user_name, tab)


# -- permissions tab actions ---------------------------------------------------------------


@console_login_required
@require_GET
@vary_on_headers("HX-Request")
def user_policy_picker(request: HtmxHttpRequest, user_name: str) -> HttpResponse:
    """The attach-policies (or ``?for=boundary``) panel; its search refreshes the list."""
    actor = principal_of(request)
    try:
        user = get_user(actor=actor, name=user_name)
        assert user is not None
        attached = [
            p.arn for p in list_attached_user_policies(actor=actor, user_name=user.name).items
        ]
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    boundary = request.GET.get("for") == "boundary"
    field_name = "boundary" if boundary else "policies"
    picker = build_picker(
        actor,
        q=request.GET.get("q", "").strip()[:128],
        field_name=field_name,
        multiple=not boundary,
        selected=[a for a in request.GET.getlist(field_name) if a][:20]
        or ([user.permissions_boundary.arn] if boundary and user.permissions_boundary else []),
        exclude=() if boundary else attached,
        url=reverse("accounts:user-policy-picker", args=[user.name]),
        page_url=reverse("accounts:user-policy-picker", args=[user.name]),
        hidden={"for": ["boundary"]} if boundary else None,
    )
    context = {"user": user, "picker": picker, "for_boundary": boundary}
    template = "accounts/users/attach.html"
    if request.htmx and request.htmx.target == "policy-picker":
        template = "partials/policy_picker.html#list"
    elif request.htmx:
        template += "#panel"
    return render(request, template, context)


# -- groups tab actions ------------------------------------------------------------------


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def user_add_to_groups(request: HtmxHttpRequest, user_name: str) -> HttpResponse:
    actor = principal_of(request)
    try:
        user = lookup_user(request, user_name)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    names = [n for n in request.POST.getlist("groups") if n][:10]
    if not names:
        return after_action(
            request, user.name, "groups", error=ValidationError("Choose at least one group.")
        )
    try:
        run_batch(
            actor,
            [(add_user_to_group, {"group_name": n, "user_name": user.name}) for n in names],
        )
    except IamError as exc:
        return after_action(request, user.name, "groups", error=exc)
    noun = "group" if len(names) == 1 else "groups"
    return after_action(request, user.name, "groups", notice=f"Added to {len(names)} {noun}.")


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def user_remove_from_group(request: HtmxHttpRequest, user_name: str) -> HttpResponse:
    actor = principal_of(request)
    try:
        user = lookup_user(request, user_name)
        remove_user_from_group(
            actor=actor, group_name=request.POST.get("group", ""), user_name=user.name
        )
    except IamError as exc:
        return after_action(request, user_name, "groups", error=exc)
    return after_action(request, user.name, "groups", notice="Removed from the group.")


# -- delete -------------------------------------------------------------------------------


@console_login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def user_delete(request: HtmxHttpRequest, user_name: str) -> HttpResponse:
    """Delete a user as the console does: confirm by typing the name; its keys, password,
    MFA devices, group memberships and policies go first (each removal authorized)."""
    actor = principal_of(request)
    try:
        user = get_user(actor=actor, name=user_name)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    assert user is not None
    error: IamError | None = None
    confirm_error = ""
    if request.method == "POST":
        if request.POST.get("confirm", "").strip() != user.name:
            confirm_error = f"Type {user.name} to confirm."
        else:
            try:
                run_batch(actor, [(delete_user, {"name": user.name, "force": True})])
            except IamError as exc:
                error = exc
            else:
                messages.success(request, f"User {user.name} deleted.")
                if request.htmx:
                    return HttpResponseClientRedirect(reverse("accounts:user-list"))
                return redirect("accounts:user-list")
    template = "accounts/users/delete.html"
    if request.htmx:
        template += "#confirm"
    status = error.status if error else (400 if confirm_error else 200)
    return render(
        request,
        template,
        {"user": user, "error": error, "confirm_error": confirm_error},
        status=status,
    )


# -- bulk delete -------------------------------------------------------------------------

BULK_CONFIRM = "delete"  # AWS's dialog for several entities: "enter delete to confirm"
BULK_LIMIT = 100  # selected rows per request (a page holds at most 100)
BULK_EXPLAIN = {
    "user": (
        "Deleting these users also removes their access keys, console passwords, MFA "
        "devices, group memberships, inline policies and attached policies."
    ),
    "group": "Deleting these groups also removes their members and their policies.",
    "role": (
        "Deleting these roles also removes them from their instance profiles and removes "
        "their policies. Anything that assumes them loses that access."
    ),
}


def bulk_delete(
    request: HtmxHttpRequest,
    *,
    kind: str,
    operation: Callable[..., Any],
    list_route: str,
    action_route: str,
) -> HttpResponse:
    """Delete the ``kind``s ticked in a list, as AWS's console does: the dialog names
    them and asks for "delete"; then all of them go in one batch (``run_batch``), each
    through its own delete operation (``name=…, force=True``: the console's delete), so
    a refusal or a conflict on any of them deletes none, and AWS's error is shown."""
    actor = principal_of(request)
    names = sorted({n.strip() for n in request.POST.getlist("names") if n.strip()})[:BULK_LIMIT]
    plural = f"{kind}s"
    if not names:
        messages.error(request, f"Select one or more {plural} to delete.")
        return redirect(list_route)
    # AWS's dialog: one entity is confirmed by typing its name, several by "delete".
    word = names[0] if len(names) == 1 else BULK_CONFIRM
    error: IamError | None = None
    confirm_error = ""
    if request.POST.get("confirmed"):
        if request.POST.get("confirm", "").strip() != word:
            confirm_error = f"Enter {word} to confirm."
        else:
            try:
                run_batch(actor, [(operation, {"name": n, "force": True}) for n in names])
            except IamError as exc:
                error = exc
            else:
                noun = kind if len(names) == 1 else plural
                messages.success(request, f"{len(names)} {noun} deleted: {', '.join(names)}.")
                if request.htmx:
                    return HttpResponseClientRedirect(reverse(list_route))
                return redirect(list_route)
    template = "accounts/users/bulk_delete.html"
    if request.htmx:
        template += "#confirm"
    status = error.status if error else (400 if confirm_error else 200)
    context = {
        "names": names,
        "kind": kind,
        "noun": kind if len(names) == 1 else plural,
        "list_url": reverse(list_route),
        "list_label": {"group": "User groups"}.get(kind, plural.capitalize()),
        "action_url": reverse(action_route),
        "explain": BULK_EXPLAIN[kind],
        "error": error,
        "confirm_error": confirm_error,
        "word": word,
        "word_is_name": len(names) == 1,
    }
    return render(request, template, context, status=status)


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def user_bulk_delete(request: HtmxHttpRequest) -> HttpResponse:
    """Delete the users ticked in the users list (DeleteUser, the console's way)."""
    return bulk_delete(
        request,
        kind="user",
        operation=delete_user,
        list_route="accounts:user-list",
        action_route="accounts:user-bulk-delete",
    )


urlpatterns = [
    path("users/", user_list, name="user-list"),
    # Not under users/<name>/: every word is a valid user name.
    path("delete-users/", user_bulk_delete, name="user-bulk-delete"),
    path("users/<str:user_name>/", user_detail, name="user-detail"),
    path("users/<str:user_name>/delete/", user_delete, name="user-delete"),
    path(
        "users/<str:user_name>/policies/picker/",
        user_policy_picker,
        name="user-policy-picker",
    ),
    path("users/<str:user_name>/groups/add/", user_add_to_groups, name="user-add-to-groups"),
    path(
        "users/<str:user_name>/groups/remove/",
        user_remove_from_group,
        name="user-remove-from-group",
    ),
    *entity_urlpatterns("user", after_action),
    # Last, and after users_credentials' patterns (accounts/pages/__init__.py): any other
    # /users/<name>/<word>/ is a tab, or a 404.
    path("users/<str:user_name>/<slug:tab>/", user_detail, name="user-detail-tab"),
]
