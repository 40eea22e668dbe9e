"""The top bar's search: users, groups, roles and policies by name, from any page.

As the AWS console's IAM search (the search box of the IAM console's header): type
part of a name, see matching users, user groups, roles and policies, each a link to
its page. Each kind comes from its list operation with its name filter
(``ListUsers``, ``ListGroups``, ``ListRoles``, ``ListPolicies``), so the caller's
own permissions apply: a kind the caller may not list shows AWS's refusal in its
section instead of results (the others still show). With htmx the results update
as you type (the ``results`` fragment); without JavaScript the box is a plain GET
form that opens this page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from accounts.operations.groups import list_groups
from accounts.operations.roles import list_roles
from accounts.operations.users import list_users
from iamconsole.console import console_login_required, principal_of
from iamconsole.pages import HtmxHttpRequest, Section, is_htmx, section
from policies.operations import list_policies

TEMPLATE = "accounts/search/search.html"
PER_KIND = 10  # the first matches of each kind, by name; "View all" opens the list
QUERY_MAX = 128  # longer than any IAM name (policy names: 128)


@dataclass(frozen=True)
class Hit:
    name: str
    url: str
    detail: str  # the path, or "AWS managed" for AWS's policies


@dataclass(frozen=True)
class Kind:
    title: str
    list_url: str
    result: Section  # value: (hits, more)


def _hits(page: Any, link: Any, detail: Any) -> tuple[list[Hit], bool]:
    items = list(page.items)
    return [Hit(i.name, link(i), detail(i)) for i in items], bool(page.is_truncated)


def search_kinds(request: HtmxHttpRequest, query: str) -> list[Kind]:
    actor = principal_of(request)
    n = PER_KIND
    return [
        Kind(
            "Users",
            reverse("accounts:user-list"),
            section(
                lambda: _hits(
                    list_users(actor=actor, name_contains=query, max_items=n),
                    lambda u: reverse("accounts:user-detail", args=[u.name]),
                    lambda u: u.path,
                )
            ),
        ),
        Kind(
            "User groups",
            reverse("accounts:group-list"),
            section(
                lambda: _hits(
                    list_groups(actor=actor, name_contains=query, max_items=n),
                    lambda g: reverse("accounts:group-detail", args=[g.name]),
                    lambda g: g.path,
                )
            ),
        ),
        Kind(
            "Roles",
            reverse("accounts:role-list"),
            section(
                lambda: _hits(
                    list_roles(actor=actor, name_contains=query, max_items=n),
                    lambda r: reverse("accounts:role-detail", args=[r.name]),
                    lambda r: r.path,
                )
            ),
        ),
        Kind(
            "Policies",
            reverse("policies:policy-list"),
            section(
                lambda: _hits(
                    list_policies(actor=actor, name_contains=query, max_items=n),
                    lambda p: reverse("policies:policy-detail", args=[p.policy_id]),
                    lambda p: "AWS managed" if p.is_aws_managed else "Customer managed",
                )
            ),
        ),
    ]


@console_login_required
@require_GET
@vary_on_headers("HX-Request")
def search(request: HtmxHttpRequest) -> HttpResponse:
    """``/search/?q=…``: the whole page, or for htmx just the results."""
    query = request.GET.get("q", "").strip()[:QUERY_MAX]
    if not query and is_htmx(request) and request.GET.get("in") == "topbar":
        return HttpResponse("")  # the box was cleared: close the results under it
    kinds = search_kinds(request, query) if query else []
    template = TEMPLATE + "#results" if is_htmx(request) else TEMPLATE
    total = sum(len(k.result.value[0]) for k in kinds if k.result.value)
    return render(request, template, {"query": query, "kinds": kinds, "total": total})


urlpatterns = [
    path("search/", search, name="search"),
]
