"""What every user, group and role page shares besides its permissions: tabs addressed
by path (/<kind>s/<name>/<tab>/), the tag-input rows, and the rule for which counts a
list may show to its caller. No views here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.errors import IamError
from accounts.principal import Principal
from iamconsole.pages import HtmxHttpRequest, is_htmx
from policies.authorization import permission_checker

HIDDEN = "\u2014"  # what a cell shows when the caller may not see its data


# -- tabs ------------------------------------------------------------------------------------

# Each tab of a user, group or role page is its own URL: /<kind>s/<name>/ shows the first,
# /<kind>s/<name>/<tab>/ any tab (URL names accounts:<kind>-detail, accounts:<kind>-detail-tab).
TABS = {
    "user": [
        ("permissions", "Permissions"),
        ("groups", "Groups"),
        ("tags", "Tags"),
        ("security-credentials", "Security credentials"),
        ("access-advisor", "Access Advisor"),
    ],
    "group": [("users", "Users"), ("permissions", "Permissions")],
    "role": [
        ("permissions", "Permissions"),
        ("trust", "Trust relationships"),
        ("tags", "Tags"),
        ("revoke", "Revoke sessions"),
    ],
}


def tab_url(kind: str, name: str, tab: str = "") -> str:
    """The URL of one tab of the page of the user, group or role ``name``."""
    if not tab or tab == TABS[kind][0][0]:
        return reverse(f"accounts:{kind}-detail", args=[name])
    return reverse(f"accounts:{kind}-detail-tab", args=[name, tab])


def tab_links(kind: str, name: str) -> list[tuple[str, str, str]]:
    """(key, label, url) of each tab, for templates/partials/tabs.html."""
    return [(key, label, tab_url(kind, name, key)) for key, label in TABS[kind]]


def check_tab(kind: str, tab: str) -> str:
    """``tab`` (empty: the first tab) if the page has it, else a 404."""
    tab = tab or TABS[kind][0][0]
    if tab not in dict(TABS[kind]):
        raise Http404("No such tab.")
    return tab


def old_tab_link(request: HtmxHttpRequest, kind: str, name: str) -> HttpResponse | None:
    """A redirect from a ``?tab=`` link (the URLs before tabs had paths) to the tab's URL."""
    tab = request.GET.get("tab")
    if tab is None:
        return None
    return redirect(tab_url(kind, name, check_tab(kind, tab)))


def tab_answer(
    request: HtmxHttpRequest,
    kind: str,
    name: str,
    tab: str,
    rerender: Callable[..., HttpResponse],
    *,
    error: IamError | None = None,
    notice: str = "",
    **extra: Any,
) -> HttpResponse:
    """What a change on a group or role page answers: a redirect to the tab with ``notice``,
    or for htmx (and errors) the tab again via ``rerender(request, name, tab, extra=...)``."""
    if not is_htmx(request) and error is None:
        if notice:
            messages.success(request, notice)
        return redirect(tab_url(kind, name, tab))
    return rerender(request, name, tab, extra={"error": error, "notice": notice, **extra})


# -- tags ------------------------------------------------------------------------------------


def render_entity_page(
    request: HtmxHttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    fragment: str | None = None,
    error_keys: Sequence[str] = ("error",),
) -> HttpResponse:
    """A group's or role's detail page, or (for htmx) one of its fragments (the tab by
    default). A page that shows an error answers with that error's status."""
    for key in error_keys:
        if context.get(key) is not None and status == 200:
            status = context[key].status
    if request.htmx:
        template += "#" + (fragment or "tab")
    return render(request, template, context, status=status)


def tags_from_post(data: Any, *, prefix: str = "tag") -> list[dict[str, str]]:
    """Key/value rows (``tag-key-N``, ``tag-value-N``) as AWS tags; blank keys skipped."""
    tags = []
    for i in range(60):
        key = data.get(f"{prefix}-key-{i}")
        if key is None:
            continue
        key = key.strip()
        if key:
            tags.append({"Key": key, "Value": (data.get(f"{prefix}-value-{i}") or "").strip()})
    return tags


# -- what a list may show ------------------------------------------------------------------------


def visible_counts(
    actor: Principal, kind: str, entities: Sequence[Any], counts: dict[Any, dict[str, int]]
) -> dict[Any, dict[str, int | None]]:
    """The counts (``users``, ``attached``, ``inline``) of each listed group or role that
    ``actor`` may see, ``None`` for the others. The one rule of every list and detail."""
    allowed = permission_checker(actor)
    title = kind.title()
    # The calls AWS's console reads them with; a caller without one sees "—", not zero.
    actions = {
        "attached": f"iam:ListAttached{title}Policies",
        "inline": f"iam:List{title}Policies",
    }
    if kind == "group":
        actions["users"] = "iam:GetGroup"
    out: dict[Any, dict[str, int | None]] = {}
    for entity in entities:
        row = counts.get(entity.pk, {})
        out[entity.pk] = {
            key: (row.get(key, 0) if allowed(action, entity.arn) else None)
            for key, action in actions.items()
        }
    return out
