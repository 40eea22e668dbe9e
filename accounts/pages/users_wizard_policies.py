"""The create-user wizard's policy tables ("Permissions policies" and the permissions
boundary): filtered by name and type, paged on the server, 25 rows at a time.

Every list comes from ListPolicies (so a caller who may not list policies sees AWS's
denial), read to the end with its markers: the table needs the number of matches for its
heading and its numbered pages, which ListPolicies does not return. Only one page of rows
is rendered, whatever the catalog's size.

The chosen policies stay chosen across filtering and paging: the ones the current page
does not list are rendered (checked) above the table, so a search, a page link or a form
submission sends them along with the page's own ticks.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict

from accounts.errors import IamError
from accounts.operations.common import find_policy
from accounts.principal import Principal
from policies.operations import list_policies

PAGE_SIZE = 25
MAX_SELECTED = 20  # more than any quota: the form's own check answers with AWS's limit
LIST_BATCH = 1000  # ListPolicies' MaxItems upper bound
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
class PolicyTable:
    """One filtered, paged table; ``prefix`` keeps two tables' fields apart in one form
    (``q``/``type``/``page`` for the policies, ``bq``/``btype``/``bpage`` for the boundary)."""

    field: str = "policies"  # the inputs' name; dataclasses.field below is the module's
    multiple: bool = True
    prefix: str = ""
    dom_id: str = "policy-picker"
    url: str = ""
    q: str = ""
    type: str = ""
    page: int = 1
    pages: int = 1
    count: int = 0
    rows: list[Row] = dataclasses.field(default_factory=list)
    chosen: list[Row] = dataclasses.field(default_factory=list)
    selected: list[str] = dataclasses.field(default_factory=list)
    error: IamError | None = None

    @property
    def qname(self) -> str:
        return f"{self.prefix}q"

    @property
    def tname(self) -> str:
        return f"{self.prefix}type"

    @property
    def pname(self) -> str:
        return f"{self.prefix}page"

    @property
    def types(self) -> list[tuple[str, str]]:
        return TYPES

    @property
    def page_links(self) -> list[int | None]:
        """1, the pages around the current one, the last; None where pages are left out."""
        wanted = {1, self.pages, *range(self.page - 2, self.page + 3)}
        numbers = sorted(n for n in wanted if 1 <= n <= self.pages)
        links: list[int | None] = []
        for n in numbers:
            if links and n - (links[-1] or 0) > 1:
                links.append(None)
            links.append(n)
        return links


def clean_filters(data: QueryDict | dict[str, Any], prefix: str = "") -> tuple[str, str, int]:
    """(name filter, type, page) from a request's fields; anything odd becomes the default."""
    q = str(data.get(f"{prefix}q") or "").strip()[:128]
    kind = str(data.get(f"{prefix}type") or "")
    if kind not in TYPE_LABELS:
        kind = ""
    raw = str(data.get(f"{prefix}page") or "1").strip()
    page = int(raw) if raw.isdigit() and len(raw) < 7 else 1
    return q, kind, max(page, 1)


def _matching(actor: Principal, q: str, kind: str) -> list[Any]:
    scope = {"aws": "AWS", "job": "AWS", "customer": "Local"}.get(kind, "All")
    prefix = JOB_FUNCTION_PATH if kind == "job" else None
    found: list[Any] = []
    marker = None
    while True:
        page = list_policies(
            actor=actor,
            scope=scope,
            path_prefix=prefix,
            name_contains=q or None,
            marker=marker,
            max_items=LIST_BATCH,
        )
        found += page.items
        if not page.is_truncated or not page.marker:
            break
        marker = page.marker
    if kind == "aws":
        found = [p for p in found if type_of(p) == "aws"]
    # By name, as the console sorts its policy tables by default.
    return sorted(found, key=lambda p: (p.name.lower(), p.arn))


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
        matches = _matching(actor, q, kind)
    except IamError as exc:
        table.error = exc
        matches = []
    table.count = len(matches)
    table.pages = max(1, -(-table.count // PAGE_SIZE))
    table.page = min(page, table.pages)  # past the end: the last page
    start = (table.page - 1) * PAGE_SIZE
    table.rows = [_row(p) for p in matches[start : start + PAGE_SIZE]]
    shown = {r.arn for r in table.rows}
    for arn in table.selected:
        if arn in shown:
            continue
        try:
            table.chosen.append(_row(find_policy(actor, arn)))
        except IamError:
            continue  # not a policy of this account or AWS's: the form says so on Next
    return table
