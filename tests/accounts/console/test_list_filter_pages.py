"""The four main lists filter as you type and page by number (issue 16).

Users, groups, roles and policies: a case-insensitive name filter applied before
paging (the heading counts the matches), htmx swapping only the table and pushing the
URL, a plain GET form without JavaScript, and AWS's ``< 1 2 3 … 9 >`` pages that keep
the filter; a bad page number is a clean page, never a 500. One COUNT, one
LIMIT/OFFSET page.
"""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.operations.groups import create_group
from accounts.operations.roles import create_role
from accounts.operations.users import create_user
from policies.operations import create_policy
from tests.conftest import HTMX, allow_policy

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def make_user(root, name: str) -> None:
    create_user(actor=root, name=name)


def make_group(root, name: str) -> None:
    create_group(actor=root, name=name)


def make_role(root, name: str) -> None:
    create_role(actor=root, name=name, trust_policy=TRUST)


def make_policy(root, name: str) -> None:
    create_policy(actor=root, name=name, document=allow_policy("s3:GetObject"))


# (noun of the count and table ids, list URL, maker, extra query: policies list only
# the account's own, so AWS's catalog does not crowd the pages)
LISTS = [
    pytest.param("user", "/users/", make_user, {}, id="users"),
    pytest.param("group", "/groups/", make_group, {}, id="groups"),
    pytest.param("role", "/roles/", make_role, {}, id="roles"),
    pytest.param("policy", "/policies/", make_policy, {"scope": "Local"}, id="policies"),
]


def heading_count(html: str, noun: str) -> str:
    match = re.search(rf'<span id="{noun}-count" class="list-count"[^>]*>([^<]*)</span>', html)
    assert match, noun
    return match.group(1)


def current_page(html: str) -> str:
    match = re.search(
        r'<span class="page-current" aria-current="page">'
        r'<span class="visually-hidden">Page </span>(\d+)</span>',
        html,
    )
    assert match, "no current page"
    return match.group(1)


def page_numbers(html: str) -> list[str]:
    """The pager's items in order: numbers, "…" for a gap."""
    nav = html.split('<nav class="page-numbers"', 1)[1].split("</nav>", 1)[0]
    found = re.findall(r'visually-hidden">Page </span>(\d+)<|class="page-gap"[^>]*>(&hellip;)', nav)
    return [number or "…" for number, _gap in found]


def names_in(html: str, prefix: str) -> set[str]:
    return set(re.findall(rf">({prefix}[\w-]*)</a>", html))


@pytest.mark.parametrize(("noun", "url", "make", "extra"), LISTS)
def test_the_filter_is_a_case_insensitive_substring_and_the_count_shows_matches(
    console, root, noun, url, make, extra
):
    for name in ("Ann", "joanna", "ANNE-x", "ben"):
        make(root, name)
    html = console.get(url, {**extra, "q": "aNn"}).content.decode()
    assert "<html" in html  # a plain GET: the whole page, no JavaScript needed
    assert names_in(html, "") >= {"Ann", "joanna", "ANNE-x"} and ">ben</a>" not in html
    assert heading_count(html, noun) == "(3)"
    assert 'value="aNn"' in html  # the box keeps what was typed


@pytest.mark.parametrize(("noun", "url", "make", "extra"), LISTS)
def test_typing_swaps_only_the_table_and_pushes_the_url(console, root, noun, url, make, extra):
    make(root, "alpha")
    html = console.get(url).content.decode()
    box = re.search(r'<input type="search" name="q"[^>]*>', html, re.S).group(0)
    assert f'hx-get="{url}"' in box
    assert 'hx-trigger="input changed delay:300ms, search"' in box
    assert f'hx-target="#{noun}-table"' in box and 'hx-push-url="true"' in box
    assert 'hx-include="closest form"' in box
    form = re.search(r'<form method="get" action="([^"]*)"[^>]*role="search"', html)
    assert form and form.group(1) == url  # works as a GET form without JavaScript

    r = console.get(url, {**extra, "q": "alp"}, headers={**HTMX, "HX-Target": f"{noun}-table"})
    fragment = r.content.decode()
    assert r.status_code == 200 and "<html" not in fragment
    assert fragment.lstrip().startswith(f'<div id="{noun}-table"')
    assert ">alpha</a>" in fragment
    assert re.search(
        rf'<span id="{noun}-count" class="list-count" hx-swap-oob="true">\(1\)', fragment
    )
    assert "Vary" in r and "HX-Request" in r["Vary"]


@pytest.mark.parametrize(("noun", "url", "make", "extra"), LISTS)
def test_numbered_pages_keep_the_filter(console, root, noun, url, make, extra):
    for i in range(23):
        make(root, f"item-{i:02d}")
    make(root, "other")
    query = {**extra, "q": "ITEM", "size": "10"}
    first = console.get(url, query).content.decode()
    assert heading_count(first, noun) == "(23)"
    assert current_page(first) == "1" and page_numbers(first) == ["1", "2", "3"]
    assert names_in(first, "item-") == {f"item-{i:02d}" for i in range(10)}
    # Every link keeps the filter (and the page size asked for); page 1 has no number.
    kept = "&amp;".join(f"{k}={v}" for k, v in query.items())
    assert f'href="?{kept}&amp;page=2"' in first and f'href="?{kept}&amp;page=3"' in first
    assert 'rel="next"' in first and 'rel="prev"' not in first

    last = console.get(url, {**query, "page": "3"}).content.decode()
    assert current_page(last) == "3" and heading_count(last, noun) == "(23)"
    assert names_in(last, "item-") == {"item-20", "item-21", "item-22"}
    assert 'rel="next"' not in last and 'rel="prev"' in last
    assert f'href="?{kept}"' in last  # back to page 1: the filter, no page number

    middle = console.get(
        url, {**query, "page": "2"}, headers={**HTMX, "HX-Target": f"{noun}-table"}
    ).content.decode()
    assert "<html" not in middle and current_page(middle) == "2"
    assert names_in(middle, "item-") == {f"item-{i:02d}" for i in range(10, 20)}


@pytest.mark.parametrize(("noun", "url", "make", "extra"), LISTS)
@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("0", "1"),
        ("-1", "1"),
        ("x", "1"),
        ("", "1"),
        ("2.5", "1"),
        ("4", "3"),
        ("99999999999999999999", "1"),
        ("999", "3"),
    ],
)
def test_a_bad_page_number_is_a_clean_page(console, root, noun, url, make, extra, number, expected):
    for i in range(25):
        make(root, f"p{i:02d}")
    r = console.get(url, {**extra, "size": "10", "page": number})
    assert r.status_code == 200
    html = r.content.decode()
    assert current_page(html) == expected and heading_count(html, noun) == "(25)"


@pytest.mark.parametrize(("noun", "url", "make", "extra"), LISTS)
def test_an_empty_filter_result_is_one_empty_page(console, root, noun, url, make, extra):
    make(root, "alpha")
    html = console.get(url, {**extra, "q": "zzz", "page": "7"}).content.decode()
    assert heading_count(html, noun) == "(0)" and current_page(html) == "1"
    assert 'rel="next"' not in html and 'rel="prev"' not in html


def test_many_pages_show_the_first_the_last_and_the_neighbours(console, root):
    for i in range(90):
        create_user(actor=root, name=f"u{i:02d}")
    first = console.get("/users/", {"size": "10"}).content.decode()
    assert page_numbers(first) == ["1", "2", "3", "…", "9"]
    middle = console.get("/users/", {"size": "10", "page": "6"}).content.decode()
    assert page_numbers(middle) == ["1", "…", "4", "5", "6", "7", "8", "9"]
    assert current_page(middle) == "6"


def count_queries(queries: list[dict]) -> list[str]:
    return [q["sql"] for q in queries if 'COUNT(*) AS "__count"' in q["sql"]]


def test_the_count_is_one_count_query_and_the_page_one_limit_offset(console, root):
    for i in range(30):
        create_user(actor=root, name=f"u{i:02d}")
    console.get("/users/", {"size": "10", "page": "2"})  # warm caches
    with CaptureQueriesContext(connection) as ctx:
        html = console.get("/users/", {"size": "10", "page": "2", "q": "U"}).content.decode()
    assert heading_count(html, "user") == "(30)"
    counts = [s for s in count_queries(ctx.captured_queries) if "accounts_iamuser" in s]
    assert len(counts) == 1, counts
    assert "LIKE" in counts[0]  # the filtered queryset is counted, not every user
    pages = [
        q["sql"]
        for q in ctx.captured_queries
        if 'FROM "accounts_iamuser"' in q["sql"] and "LIMIT 10 OFFSET 10" in q["sql"]
    ]
    assert len(pages) == 1, pages


def test_the_policies_count_covers_the_catalog_with_one_count(console):
    from policies.models import ManagedPolicy

    expected = ManagedPolicy.objects.filter(
        account__isnull=True, name__icontains="readonly"
    ).count()
    assert expected > 10
    with CaptureQueriesContext(connection) as ctx:
        html = console.get("/policies/", {"scope": "AWS", "q": "ReadOnly", "size": "10"})
    html = html.content.decode()
    assert heading_count(html, "policy") == f"({expected})"
    assert len(count_queries(ctx.captured_queries)) == 1


def test_the_page_size_select_of_the_users_list_is_kept_in_the_links(console, root):
    for i in range(30):
        create_user(actor=root, name=f"u{i:02d}")
    html = console.get("/users/", {"size": "10"}).content.decode()
    assert 'href="?size=10&amp;page=2"' in html
    assert '<option value="10" selected>' in html


def test_a_marker_still_continues_a_list(console, root):
    """Links from before the numbers (AWS's Marker) keep working."""
    for i in range(12):
        create_group(actor=root, name=f"g{i:02d}")
    first = console.get("/groups/", {"size": "10"})
    marker = first.context["page"].marker
    later = console.get("/groups/", {"size": "10", "marker": marker}).content.decode()
    assert names_in(later, "g") == {"g10", "g11"} and "First page" in later
