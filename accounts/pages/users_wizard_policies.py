"""The create-user wizard's tables: the policy tables ("Permissions policies" and the
permissions boundary), filtered by name and type, and the groups ("Add user to group")
and users ("Copy permissions") tables, filtered by name; all paged on the server, 25
rows at a time.

Every list comes from ListPolicies (so a caller who may not list policies sees AWS's
denial) with the console's numbered pages: the filters (name, scope, path) are in its
query, and one COUNT and one LIMIT/OFFSET give the number of matches for the heading
and the page's rows, whatever the catalog's size. The groups and users tables read
ListGroups / ListUsers the same way.

The chosen policies (groups, user) stay chosen across filtering and paging: the ones the current page
does not list are rendered (checked) above the table, so a search, a page link or a form
submission sends them along with the page's own ticks.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import Count
from django.http import QueryDict

from accounts.errors import IamError
from accounts.operations.common import find_policy
from accounts.operations.groups import list_groups
from accounts.operations.users import list_users
from accounts.pages.entity import visible_counts
from accounts.principal import Principal
from iamconsole.ops import NumberedPage
from iamconsole.pages import page_number, page_window
from policies.models import PolicyAttachment
from policies.operations import list_policies

PAGE_SIZE = 25
MAX_SELECTED = 20  # more than any quota: the form's own check answers with AWS's limit
# AWS's job-function policies all live under this path ("AWS managed policies for job
# functions", IAM User Guide); the console labels them "AWS managed - job function".
JOB_FUNCTION_PATH = "/job-function/"
# The console's "Filter by Type" choices. The labels are the ones the AWS console shows
# in its policy tables as far as we know; the exact menu wording is not established.
TYPES: list[tuple[str, str]] = [
    ("", "All types"),
    ("aws", "AWS managed"),
    ("customer", "Customer managed"),
    ("job", "AWS managed - job function"),
]
TYPE_LABELS = dict(TYPES[1:])


def type_of(policy: Any) -> str:
    if policy.account_id is not None:
        return "customer"
    return "job" if policy.path.startswith(JOB_FUNCTION_PATH) else "aws"


@dataclass(frozen=True)
class Row:
    arn: str
    name: str
    policy_id: str
    type_label: str
    description: str


def _row(policy: Any) -> Row:
    return Row(
        arn=policy.arn,
        name=policy.name,
        policy_id=policy.policy_id,
        type_label=TYPE_LABELS[type_of(policy)],
        description=policy.description,
    )


@dataclass
class PagedTable:
    """A filtered table of the wizard, numbered pages counted in SQL; ``prefix`` keeps
    two tables' fields apart in one form (``q``/``page``, ``bq``/``bpage``, …)."""

    field: str = ""  # the inputs' name; dataclasses.field below is the module's
    prefix: str = ""
    dom_id: str = ""
    url: str = ""
    q: str = ""
    page: int = 1
    pages: int = 1
    count: int = 0
    selected: list[str] = dataclasses.field(default_factory=list)
    error: IamError | None = None

    @property
    def qname(self) -> str:
        return f"{self.prefix}q"

    @property
    def pname(self) -> str:
        return f"{self.prefix}page"

    @property
    def page_links(self) -> list[int | None]:
        return page_window(self.page, self.pages)


@dataclass
class PolicyTable(PagedTable):
    """The policies (``q``/``type``/``page``) or the boundary (``bq``/``btype``/``bpage``)."""

    field: str = "policies"
    dom_id: str = "policy-picker"
    multiple: bool = True
    type: str = ""
    rows: list[Row] = dataclasses.field(default_factory=list)
    chosen: list[Row] = dataclasses.field(default_factory=list)

    @property
    def pages_label(self) -> str:
        return (
            "Boundary policies pages" if self.field == "boundary" else "Permissions policies pages"
        )

    @property
    def tname(self) -> str:
        return f"{self.prefix}type"

    @property
    def types(self) -> list[tuple[str, str]]:
        return TYPES


def clean_filters(data: QueryDict | dict[str, Any], prefix: str = "") -> tuple[str, str, int]:
    """(name filter, type, page) from a request's fields; anything odd becomes the default."""
    q = str(data.get(f"{prefix}q") or "").strip()[:128]
    kind = str(data.get(f"{prefix}type") or "")
    if kind not in TYPE_LABELS:
        kind = ""
    return q, kind, max(page_number(str(data.get(f"{prefix}page") or "")), 1)


def _page_of(actor: Principal, q: str, kind: str, page: int) -> NumberedPage:
    """Page ``page`` of the policies matching the name filter and type: ListPolicies
    counts them and cuts the page in SQL (one COUNT, LIMIT/OFFSET), in the order of the
    console's Policies list (by ARN)."""
    scope = {"aws": "AWS", "job": "AWS", "customer": "Local"}.get(kind, "All")
    found = list_policies(  # with page_number: a NumberedPage
        actor=actor,
        scope=scope,
        path_prefix=JOB_FUNCTION_PATH if kind == "job" else None,
        exclude_path_prefix=JOB_FUNCTION_PATH if kind == "aws" else None,
        name_contains=q or None,
        page_number=page,
        max_items=PAGE_SIZE,
    )
    return cast(NumberedPage, found)


def build_table(
    actor: Principal,
    *,
    field_name: str = "policies",
    prefix: str = "",
    dom_id: str = "policy-picker",
    url: str = "",
    q: str = "",
    kind: str = "",
    page: int = 1,
    selected: list[str] | tuple[str, ...] = (),
) -> PolicyTable:
    table = PolicyTable(
        field=field_name,
        multiple=field_name == "policies",
        prefix=prefix,
        dom_id=dom_id,
        url=url,
        q=q,
        type=kind,
        selected=[a for a in dict.fromkeys(selected) if a][:MAX_SELECTED],
    )
    try:
        found = _page_of(actor, q, kind, page)
    except IamError as exc:
        table.error = exc
    else:
        table.count, table.pages = found.total, found.num_pages
        table.page = found.number  # past the end: the last page
        table.rows = [_row(p) for p in found.items]
    shown = {r.arn for r in table.rows}
    for arn in table.selected:
        if arn in shown:
            continue
        try:
            table.chosen.append(_row(find_policy(actor, arn)))
        except IamError:
            continue  # not a policy of this account or AWS's: the form says so on Next
    return table


# -- the groups and users tables ("Add user to group", "Copy permissions") -----------------


@dataclass(frozen=True)
class EntityRow:
    name: str
    attached: int | None  # attached managed policies; None when the caller may not see it
    created: Any


@dataclass
class EntityTable(PagedTable):
    """The filtered, paged table of the wizard's groups ("Add user to group": checkboxes,
    group name, attached policies, created, as AWS's console shows it) or users ("Copy
    permissions": radios). ListGroups / ListUsers page and count it in SQL; the chosen
    names the page does not list are rendered (checked) above the table."""

    kind: str = "group"  # "group" or "user"
    field: str = "groups"
    prefix: str = "g"
    dom_id: str = "group-picker"
    rows: list[EntityRow] = dataclasses.field(default_factory=list)
    chosen: list[str] = dataclasses.field(default_factory=list)

    @property
    def pages_label(self) -> str:
        return "User groups pages" if self.kind == "group" else "Users pages"

    @property
    def multiple(self) -> bool:
        return self.kind == "group"


# kind: (field, filter prefix, swapped element, most choices kept)
ENTITY_TABLES = {
    "group": ("groups", "g", "group-picker", 100),
    "user": ("copy_from", "c", "copy-picker", 1),
}


def build_entity_table(
    actor: Principal,
    kind: str,
    *,
    url: str = "",
    q: str = "",
    page: int = 1,
    selected: list[str] | tuple[str, ...] = (),
) -> EntityTable:
    field_name, prefix, dom_id, most = ENTITY_TABLES[kind]
    table = EntityTable(
        kind=kind,
        field=field_name,
        prefix=prefix,
        dom_id=dom_id,
        url=url,
        q=q,
        selected=[n for n in dict.fromkeys(selected) if n][:most],
    )
    lister = list_groups if kind == "group" else list_users
    try:
        found = cast(
            NumberedPage,
            lister(actor=actor, name_contains=q or None, page_number=page, max_items=PAGE_SIZE),
        )
    except IamError as exc:
        table.error = exc
    else:
        table.count, table.pages, table.page = found.total, found.num_pages, found.number
        items = list(found.items)
        shown: dict[Any, dict[str, int | None]] = {}
        if kind == "group":
            # One query for the page's counts (never one per row, never all groups).
            counts = {
                row["group_id"]: {"attached": row["n"]}
                for row in PolicyAttachment.objects.filter(group_id__in=[g.pk for g in items])
                .values("group_id")
                .annotate(n=Count("id"))
            }
            shown = visible_counts(actor, "group", items, counts)
        table.rows = [
            EntityRow(e.name, shown.get(e.pk, {}).get("attached"), e.created) for e in items
        ]
    listed = {r.name for r in table.rows}
    table.chosen = [n for n in table.selected if n not in listed]
    return table
