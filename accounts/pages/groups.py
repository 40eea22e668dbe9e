"""Console pages: user groups (list, create, detail with Users and Permissions tabs, delete).

Views only translate: every read and write goes through one operation with the
signed-in principal as ``actor``, so the policy engine decides and the audit trail
records, exactly as for the API. The helpers at the top (errors, the policy
picker, all-or-nothing batches, the permissions panel) are shared with roles.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse, reverse_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from accounts.errors import IamError, ValidationError
from accounts.forms import DeleteForm
from accounts.models import Group, GroupMembership
from accounts.operations.groups import (
    add_user_to_group,
    create_group,
    delete_group,
    get_group,
    list_groups,
    list_users_not_in_group,
    remove_user_from_group,
)
from accounts.operations.users import list_users
from accounts.pages.entity import (
    check_tab,
    old_tab_link,
    render_entity_page,
    tab_answer,
    tab_links,
    tab_url,
    visible_counts,
)
from accounts.pages.list_preferences import preferences
from accounts.pages.permissions import (
    entity_urlpatterns,
    form_error,
    group_role_picker,
    permissions_context,
    picker_urlpatterns,
)
from accounts.pages.users import bulk_delete
from iamconsole.console import console_login_required, principal_of
from iamconsole.ops import run_batch
from iamconsole.pages import (
    HtmxHttpRequest,
    list_args,
    list_query,
    page_number,
    page_window,
    pager,
    render_error,
)
from policies.models import InlinePolicy, PolicyAttachment
from policies.operations import (
    attach_group_policy,
)

PAGE_SIZE = 50
BACK = (reverse_lazy("accounts:group-list"), "User groups")  # the error page's breadcrumb


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


# -- list ------------------------------------------------------------------------------------


def _count_for_group(model: Any) -> Coalesce:
    """COUNT(*) of ``model``'s rows of the outer query's group, as a subquery."""
    rows = (
        model.objects.filter(group_id=OuterRef("pk"))
        .order_by()
        .values("group_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


@console_login_required
@require_GET
@vary_on_headers("HX-Request")
def group_list(request: HtmxHttpRequest) -> HttpResponse:
    """User groups: name, users, permissions, creation time; filtered as you type and
    paged by number in place; the columns and page size are the identity's Preferences."""
    prefs = preferences(request, "groups")
    args = list_args(request, default_size=prefs.size or PAGE_SIZE)
    q = request.GET.get("q", "").strip()[:128]
    try:
        page = list_groups(
            actor=principal_of(request),
            name_contains=q or None,
            max_items=args.size,
            **({"marker": args.marker} if args.marker else {"page_number": args.number}),
        )
    except IamError as exc:
        return render_error(request, exc, back=("/", "Dashboard"))
    # One more query for the counts of the whole page (never one per row): a correlated
    # COUNT per kind, each one index range on group_id (joining the three tables and
    # counting DISTINCT would count their product, and PostgreSQL sorts it).
    ids = [g.pk for g in page.items]
    counts = {
        row["pk"]: {
            "users": row["n_users"],
            "attached": row["n_attached"],
            "inline": row["n_inline"],
        }
        for row in Group.objects.filter(pk__in=ids)
        .annotate(
            n_users=_count_for_group(GroupMembership),
            n_attached=_count_for_group(PolicyAttachment),
            n_inline=_count_for_group(InlinePolicy),
        )
        .values("pk", "n_users", "n_attached", "n_inline")
    }
    shown = visible_counts(principal_of(request), "group", page.items, counts)
    rows = [(g, shown[g.pk]) for g in page.items]
    template = "accounts/groups/list.html"
    if request.htmx and request.htmx.target == "group-table":
        template += "#table"
    size = args.size if args.size_given else None
    return render(
        request,
        template,
        {"rows": rows, "page": page, "q": q, "prefs": prefs, **pager(request, page, size=size)},
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
                group = run_batch(actor, steps)[0]
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
    picker = group_role_picker(actor, q=request.POST.get("policies_q", ""), selected=selected)
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


MEMBERS_PAGE = 100  # members shown a page at a time (GetGroup's Marker continues)


def _group_or_error(
    request: HtmxHttpRequest, name: str, *, max_items: int = 1, marker: str | None = None
) -> tuple[Any, HttpResponse | None]:
    """GetGroup with one page of its members (``max_items``: one when only the group is
    needed, never every member)."""
    try:
        found = get_group(
            actor=principal_of(request), name=name, max_items=max_items, marker=marker
        )
        return found, None
    except IamError as exc:
        return None, render_error(request, exc, back=BACK)


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
    users_tab = tab == "users"
    marker = (request.GET.get("marker") or None) if users_tab and request.method == "GET" else None
    found, failed = _group_or_error(
        request, group_name, max_items=MEMBERS_PAGE if users_tab else 1, marker=marker
    )
    if failed is not None:
        return failed
    group, members = found.group, list(found.users.items)
    context: dict[str, Any] = {
        "group": group,
        "members": members,
        "tab": tab,
        "tabs": tab_links("group", group.name),
    }
    if users_tab:
        # The heading's count (one COUNT over the group's memberships) and the Marker
        # pager of the members (GetGroup pages by Marker).
        context["member_count"] = group.users.count()
        context.update(list_query(request, found.users, ()))
        context["paged"] = bool(marker)
    try:
        if tab == "users":
            # The users to add are on the "Add users" page, a page at a time; here only
            # whether there are any (one row read, no COUNT), for the tab's hint lines.
            others = list_users_not_in_group(
                actor=actor, group_name=group.name, max_items=1, count=False
            )
            context["users_to_add"] = others.total
            context["account_has_users"] = bool(others.total or members)
        else:
            context.update(permissions_context(actor, "group", group.name))
            context["picker"] = group_role_picker(
                actor, exclude=[p.arn for p in context["attached"]]
            )
    except IamError as exc:
        context["tab_error"] = exc
        if status == 200 and tab == "permissions":
            status = exc.status
    context.update(extra or {})
    return render_entity_page(
        request, "accounts/groups/detail.html", context, status=status, fragment=fragment
    )


@console_login_required
@require_GET
@vary_on_headers("HX-Request")
def group_detail(request: HtmxHttpRequest, group_name: str, tab: str = "") -> HttpResponse:
    """A group's page; each tab is its own URL and, for htmx, just the tab section."""
    tab = check_tab("group", tab)
    return old_tab_link(request, "group", group_name) or render_group(request, group_name, tab)


def _tab_url(group_name: str, tab: str) -> str:
    return tab_url("group", group_name, tab)


# -- members (the STYLE.md example) ------------------------------------------------------------


ADD_PAGE_SIZE = 25
MAX_CHOSEN = 100  # users added in one go (the form's own cap)


def _chosen(data: Any) -> list[str]:
    return [n for n in dict.fromkeys(data.getlist("user")) if n][:MAX_CHOSEN]


def render_add_users(
    request: HtmxHttpRequest,
    group_name: str,
    data: Any,
    *,
    error: IamError | None = None,
    status: int = 200,
) -> HttpResponse:
    """The "Add users to group" page (AWS: group > Users > Add users): the account's users
    who are not in the group, filtered by name as you type and paged by number in SQL,
    with checkboxes; the users chosen on other pages or outside the filter stay chosen
    (rendered checked above the table). For htmx asking for the table, just the table."""
    actor = principal_of(request)
    q = str(data.get("q") or "").strip()[:128]
    number = page_number(str(data.get("page") or ""))  # junk is page 1
    chosen = _chosen(data)
    try:
        # The group (GetGroup) and whether it has members: one member is enough.
        found = get_group(actor=actor, name=group_name, max_items=1)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    context: dict[str, Any] = {
        "group": found.group,
        "has_members": bool(found.users.items),
        "q": q,
        "chosen": chosen,
        "error": error,
        "rows": [],
        "page": None,
    }
    try:
        page = list_users_not_in_group(
            actor=actor,
            group_name=found.group.name,
            name_contains=q or None,
            page_number=number,
            max_items=ADD_PAGE_SIZE,
        )
    except IamError as exc:
        context["table_error"] = exc
        if status == 200:
            status = exc.status
    else:
        listed = {u.name for u in page.items}
        context.update(
            rows=page.items,
            page=page,
            page_links=page_window(page.number, page.num_pages),
            others=[n for n in chosen if n not in listed],
        )
    template = "accounts/groups/add_users.html"
    if request.htmx and request.htmx.target == "add-users-table":
        template += "#table"
    return render(request, template, context, status=status)


@console_login_required
@require_GET
@vary_on_headers("HX-Request")
def group_add_users(request: HtmxHttpRequest, group_name: str) -> HttpResponse:
    """The "Add users to group" page, or for htmx (search, pages) its table."""
    return render_add_users(request, group_name, request.GET)


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def group_add_member(request: HtmxHttpRequest, group_name: str) -> HttpResponse:
    """Add the chosen users, all or none, in one batch of AddUserToGroup. From the "Add
    users" page without JS, its Search and page buttons post the form too (``go`` /
    ``page``): the page again, the ticks kept, nothing added."""
    from_page = request.POST.get("from") == "add-users"
    if from_page and (request.POST.get("go") == "search" or "page" in request.POST):
        return render_add_users(request, group_name, request.POST)
    error: IamError | None = None
    names = _chosen(request.POST)
    if not names:
        error = ValidationError("Choose at least one user to add.")
    else:
        try:
            run_batch(
                principal_of(request),
                [(add_user_to_group, {"group_name": group_name, "user_name": n}) for n in names],
            )
        except IamError as exc:
            error = exc
    if error is None:
        if from_page:
            messages.success(
                request,
                f"{len(names)} user{'s' if len(names) != 1 else ''} added to {group_name}.",
            )
        if not request.htmx or from_page:
            url = _tab_url(group_name, "users")
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if from_page:
        # The page again with AWS's error, the search, page and ticks as sent.
        return render_add_users(
            request, group_name, request.POST, error=error, status=error.status if error else 200
        )
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


def _after(request: HtmxHttpRequest, group_name: str, tab: str, **answer: Any) -> HttpResponse:
    """What a change on the group page answers (the shared views in permissions.py too)."""
    return tab_answer(request, "group", group_name, tab, render_group, **answer)


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
    member_count = group.users.count()
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
        "member_count": member_count,
        "form": form,
        "error": error,
    }
    return render(request, template, context, status=status)


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def group_bulk_delete(request: HtmxHttpRequest) -> HttpResponse:
    """Delete the groups ticked in the list (delete_group, the console's way, all or none)."""
    return bulk_delete(
        request,
        kind="group",
        operation=delete_group,
        list_route="accounts:group-list",
        action_route="accounts:group-bulk-delete",
    )


urlpatterns = [
    path("groups/", group_list, name="group-list"),
    # Not under groups/<name>/: every word is a valid group name.
    path("delete-groups/", group_bulk_delete, name="group-bulk-delete"),
    path("groups/create/", group_create, name="group-create"),
    path("groups/<str:group_name>/", group_detail, name="group-detail"),
    path("groups/<str:group_name>/members/add/", group_add_member, name="group-add-member"),
    path("groups/<str:group_name>/add-users/", group_add_users, name="group-add-users"),
    path(
        "groups/<str:group_name>/members/remove/", group_remove_member, name="group-remove-member"
    ),
    *entity_urlpatterns("group", _after),
    path("groups/<str:group_name>/delete/", group_delete, name="group-delete"),
    # Last: any other /groups/<name>/<word>/ is a tab, or a 404.
    path("groups/<str:group_name>/<slug:tab>/", group_detail, name="group-detail-tab"),
    *picker_urlpatterns(),
]
