"""The console toolkit every page uses.

- ``HtmxHttpRequest``: the request type of a page (django-htmx's middleware sets ``htmx``).
- ``render_error``: an IAM error as the one error page, or for htmx the one error fragment
  (``templates/partials/error.html``), with the status AWS answers it with (AccessDenied
  403 with AWS's message, NoSuchEntity 404, ...). base.html's htmx config swaps 4xx
  fragments in place.
- ``answer``: after a change, re-render in place for htmx (and for errors), else redirect
  with a message.
- ``list_query``: the query strings of a list's first and next page (AWS's Marker), for
  ``templates/partials/pagination.html``, the pager of lists that page by Marker.
- ``list_args`` and ``pager``: the numbered pages of the main lists (users, groups,
  roles, policies: ``< 1 2 3 … 9 >``, ``templates/partials/page_numbers.html``); a
  Marker in the query still continues a list the old way (links kept from before).
- ``section``: one panel's data, or the IAM error that kept it from loading.
- The policy editor's helpers (``pretty``, ``validation_context``), shared by the policy
  pages and the inline-policy and trust-policy editors.

A batch of operations that must all succeed runs through ``iamconsole.ops.run_batch``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django_htmx.middleware import HtmxDetails

from accounts.errors import IamError
from accounts.principal import Principal
from audit.trail import record_refusal
from iamconsole.ops import NumberedPage
from policies import engine
from policies.engine.catalog import ACCESS_LEVELS

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MANAGED_POLICY_SIZE",
    "PAGE_SIZES",
    "HtmxHttpRequest",
    "Section",
    "answer",
    "is_htmx",
    "list_args",
    "list_query",
    "pager",
    "pretty",
    "render_error",
    "section",
    "summary_rows",
    "validation_context",
]

PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 25
# IAM's quota for a managed policy document: 6,144 characters, whitespace not
# counted ("IAM and AWS STS quotas", IAM name and character limits).
MANAGED_POLICY_SIZE = 6144
FINDING_ORDER = {"ERROR": 0, "SECURITY_WARNING": 1, "WARNING": 2, "SUGGESTION": 3}


class HtmxHttpRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it (typing only)."""

    htmx: HtmxDetails


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


# -- errors and answers ----------------------------------------------------------------------


def render_error(
    request: HttpRequest, exc: IamError, *, back: tuple[str, str] | None = None
) -> HttpResponse:
    """An IAM error as the console's error page (or, for htmx, its fragment) with the
    status AWS answers it with. ``back``: (url, label) of the breadcrumb link.

    A refusal shown here that no operation recorded (a page's own permission check)
    is audited now: every refusal the console shows is in the event history."""
    actor = getattr(request, "principal", None)
    if isinstance(actor, Principal):
        record_refusal(actor, exc)
    template = "iamconsole/error.html"
    if is_htmx(request):
        template += "#error"
    status = exc.status if 400 <= exc.status < 600 else 500
    return render(request, template, {"error": exc, "back": back}, status=status)


def answer(
    request: HttpRequest,
    *,
    url: str,
    rerender: Callable[[], HttpResponse],
    error: IamError | None = None,
    notice: str = "",
) -> HttpResponse:
    """What a change answers: for htmx, or when it failed, the page part again
    (``rerender``, which shows ``error`` in place with its status); else a redirect to
    ``url`` with ``notice`` as a message."""
    if error is not None or is_htmx(request):
        return rerender()
    if notice:
        messages.success(request, notice)
    return redirect(url)


# -- lists -----------------------------------------------------------------------------------


def list_query(
    request: HttpRequest, page: Any, keys: Sequence[str] = ("q",), **fixed: Any
) -> dict[str, Any]:
    """Query strings of the list's first and next pages (filters ``keys`` kept), for
    ``partials/pagination.html``. ``fixed``: parameters taken as given (a page size
    that is not the default, for example)."""
    params = {k: request.GET.get(k, "") for k in keys if request.GET.get(k)}
    params.update({k: v for k, v in fixed.items() if v not in (None, "")})
    return {
        "first_query": urlencode(params),
        "next_query": urlencode({**params, "marker": page.marker}) if page.is_truncated else "",
        "paged": bool(request.GET.get("marker")),
    }


@dataclass(frozen=True)
class ListArgs:
    """How a list page was asked for: a page ``number`` (any junk is page 1; the
    operation clamps it to the pages there are), or a ``marker`` continuing the list,
    and the page ``size`` (``size_given``: from the query, kept in the page links)."""

    number: int
    marker: str | None
    size: int
    size_given: bool


def page_number(raw: str) -> int:
    """A page number from a query or form field: ASCII digits, else page 1 (``"²"`` is a
    digit to ``str.isdigit`` but not to ``int``). The operation clamps it to the pages
    there are."""
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 1


def list_args(request: HttpRequest, *, default_size: int) -> ListArgs:
    """The page number, Marker and page size of a list's query (``page``, ``marker``,
    ``size``); a size not offered is ``default_size``, never an error."""
    raw_size = request.GET.get("size", "")
    size_given = raw_size.isascii() and raw_size.isdigit() and int(raw_size) in PAGE_SIZES
    number = page_number(request.GET.get("page", ""))
    return ListArgs(
        number=number,
        marker=request.GET.get("marker") or None,
        size=int(raw_size) if size_given else default_size,
        size_given=size_given,
    )


def page_window(number: int, num_pages: int, around: int = 2) -> list[int | None]:
    """The page numbers a pager shows: the first, the last and ``around`` either side
    of the current one, ``None`` where numbers are left out (an ellipsis); one left-out
    number is shown rather than an ellipsis standing for it alone."""
    shown = {1, num_pages, *range(number - around, number + around + 1)}
    numbers = sorted(n for n in shown if 1 <= n <= num_pages)
    window: list[int | None] = []
    for n in numbers:
        if window and n - (window[-1] or 0) == 2:
            window.append(n - 1)
        elif window and n - (window[-1] or 0) > 2:
            window.append(None)
        window.append(n)
    return window


def pager(
    request: HttpRequest, page: Any, keys: Sequence[str] = ("q",), **fixed: Any
) -> dict[str, Any]:
    """The pager's context for ``page``: numbered links (``partials/page_numbers.html``)
    for a ``NumberedPage``, else the Marker pager's (``list_query``). Each link keeps
    the filters ``keys`` and ``fixed`` (a page size from the query, for example)."""
    kept = {"size_param": fixed.get("size")}  # a page size from the query, for the filter form
    if not isinstance(page, NumberedPage):
        return {**list_query(request, page, keys, **fixed), "numbered": False, **kept}
    params = {k: request.GET.get(k, "") for k in keys if request.GET.get(k)}
    params.update({k: v for k, v in fixed.items() if v not in (None, "")})

    def query(n: int) -> str:
        return urlencode({**params, "page": n} if n > 1 else params)

    links = [
        {"number": n, "query": query(n), "current": n == page.number} if n else None
        for n in page_window(page.number, page.num_pages)
    ]
    return {
        "numbered": True,
        "page_links": links,
        "has_prev": page.number > 1,
        "prev_query": query(page.number - 1) if page.number > 1 else "",
        "next_query": query(page.number + 1) if page.is_truncated else "",
        "first_query": urlencode(params),
        "paged": False,
        "total": page.total,
        **kept,
    }


@dataclass
class Section:
    """One panel of a page: its data, or the error that kept it from loading."""

    value: Any = None
    error: IamError | None = None


def section(fn: Callable[[], Any]) -> Section:
    try:
        return Section(value=fn())
    except IamError as exc:
        return Section(error=exc)


# -- the policy editor -----------------------------------------------------------------------


def pretty(document: str) -> str:
    """The document indented as the console shows it (as typed when it is not JSON)."""
    try:
        return json.dumps(json.loads(document), indent=4, ensure_ascii=False)
    except (ValueError, RecursionError):
        return document


@dataclass(frozen=True)
class SummaryRow:
    service: str
    service_name: str
    effect: str
    label: str
    levels: tuple[int, ...]  # counts in ACCESS_LEVELS order


def summary_rows(document: Any) -> list[SummaryRow] | None:
    """The policy summary by service and access level; None when the document does not parse."""
    try:
        summary = engine.summarize(document)
    except Exception:  # a document that does not parse has no summary
        return None
    rows = []
    for item in summary:
        counts = dict.fromkeys(ACCESS_LEVELS, 0)
        for level, n in item.access.items():
            # Some actions carry two levels ("Tagging, Write"): count them in each.
            for part in level.split(", "):
                if part in counts:
                    counts[part] += n
        rows.append(
            SummaryRow(
                item.service,
                item.service_name or item.service,
                item.effect,
                item.label,
                tuple(counts[lvl] for lvl in ACCESS_LEVELS),
            )
        )
    return rows


def validation_context(document: str, policy_type: str = "IDENTITY_POLICY") -> dict[str, Any]:
    """Findings (by line), counts by type, the summary and the size for the editor panel."""
    text = document or ""
    if text.strip():
        findings = sorted(
            engine.validate(text, policy_type),
            key=lambda f: (f.line or 0, f.column or 0, FINDING_ORDER.get(f.type, 9)),
        )
    else:
        findings = []
    counts = {kind: 0 for kind in FINDING_ORDER}
    for f in findings:
        counts[f.type] = counts.get(f.type, 0) + 1
    return {
        "findings": findings,
        "finding_counts": counts,
        "summary": summary_rows(text) if text.strip() else None,
        "access_levels": ACCESS_LEVELS,
        "size": engine.policy_size(text),
        "size_limit": MANAGED_POLICY_SIZE,
        "empty": not text.strip(),
    }
