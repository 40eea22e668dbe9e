"""The group's "Add users" page (AWS: group > Users > Add users): a table of the users
not in the group, filtered by name as you type and paged by number in SQL, with
checkboxes; the chosen users are added in one batch of AddUserToGroup, all or none.
Without JS the search and the page buttons post the form and keep the ticks."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.operations.groups import add_user_to_group, create_group, list_users_not_in_group
from accounts.operations.users import create_user
from accounts.pages.groups import ADD_PAGE_SIZE
from audit.models import AuditEvent
from tests.conftest import HTMX

TABLE = {**HTMX, "HX-Target": "add-users-table"}


def page_url(name: str = "developers") -> str:
    return reverse("accounts:group-add-users", args=[name])


def add_url(name: str = "developers") -> str:
    return reverse("accounts:group-add-member", args=[name])


def listed(html: str) -> list[str]:
    """The names of the table's rows (not the chosen ones shown above it)."""
    return re.findall(r'<label for="add-user-\d+">([^<]+)</label>', html)


def total(html: str) -> int:
    m = re.search(r'Other users in this account <span class="muted">\((\d+)\)</span>', html)
    assert m, html[:3000]
    return int(m.group(1))


def page_buttons(html: str) -> list[str]:
    return re.findall(r'<button type="submit" name="page" value="(\d+)"', html)


def members(group) -> list[str]:
    return sorted(group.users.values_list("name", flat=True))


@pytest.fixture
def many(root, group):
    """60 users, u00..u59; u00 and u01 are already in the group."""
    for i in range(60):
        create_user(actor=root, name=f"u{i:02d}")
    add_user_to_group(actor=root, group_name=group.name, user_name="u00")
    add_user_to_group(actor=root, group_name=group.name, user_name="u01")
    return group


def test_the_users_tab_links_to_the_add_users_page(console, group):
    html = console.get(reverse("accounts:group-detail", args=[group.name])).content.decode()
    assert f'href="{page_url()}"' in html
    assert "<select" not in html  # no list of every user any more


def test_the_page_lists_one_page_of_users_not_in_the_group(console, many):
    html = console.get(page_url()).content.decode()
    assert "Add users to developers" in html
    assert total(html) == 58
    names = listed(html)
    assert len(names) == ADD_PAGE_SIZE and names[0] == "u02"  # by name, members left out
    assert "u00" not in names and "u01" not in names
    assert page_buttons(html) == ["2", "3"]


def test_pages_are_numbered_and_cut_in_sql(console, many):
    second = console.get(page_url(), {"page": "2"}, headers=TABLE)
    html = second.content.decode()
    assert second.status_code == 200 and "<html" not in html and 'id="add-users-table"' in html
    assert listed(html)[0] == f"u{2 + ADD_PAGE_SIZE:02d}"
    assert '<span class="page-link page-current" aria-current="page">2</span>' in html
    last = console.get(page_url(), {"page": "3"}).content.decode()
    assert len(listed(last)) == 58 - 2 * ADD_PAGE_SIZE


def test_the_filter_matches_a_name_substring_case_insensitively(console, many):
    html = console.get(page_url(), {"q": "U1"}, headers=TABLE).content.decode()
    assert listed(html) == [f"u1{i}" for i in range(10)] and total(html) == 10
    assert page_buttons(html) == []
    html = console.get(page_url(), {"q": "u0"}, headers=TABLE).content.decode()
    assert "u00" not in listed(html) and total(html) == 8  # members are never offered
    html = console.get(page_url(), {"q": "nobody"}, headers=TABLE).content.decode()
    assert listed(html) == [] and "No users match" in html


@pytest.mark.parametrize(
    "query",
    [
        {"page": "abc"},
        {"page": "-1"},
        {"page": "0"},
        {"page": "9" * 30},
        {"page": "9999"},
        {"q": "%_"},
    ],
)
def test_bad_page_or_filter_gives_a_clean_table(console, many, query):
    r = console.get(page_url(), query)
    assert r.status_code == 200 and 'id="add-users-table"' in r.content.decode()
    html = r.content.decode()
    if query.get("page") in ("abc", "-1", "0", "9" * 30):  # junk is page 1
        assert 'aria-current="page">1</span>' in html
    if query.get("page") == "9999":
        assert 'aria-current="page">3</span>' in html  # past the end: the last page


def test_a_very_long_filter_matches_nothing_without_an_error(console, many):
    r = console.get(page_url(), {"q": "x" * 5000})
    assert r.status_code == 200 and listed(r.content.decode()) == []


def test_the_typed_filter_is_escaped(console, many):
    html = console.get(page_url(), {"q": "<script>x</script>"}).content.decode()
    assert "<script>x" not in html and "&lt;script&gt;x" in html


def test_chosen_users_stay_chosen_across_the_filter_and_pages(console, many):
    # htmx sends the panel's ticks along: the ones the page does not list stay, checked.
    html = console.get(page_url(), {"q": "u3", "user": ["u05"]}, headers=TABLE).content.decode()
    assert "u05" not in listed(html)
    assert 'name="user" value="u05" checked' in html
    html = console.get(page_url(), {"user": ["u05"]}, headers=TABLE).content.decode()
    assert html.count('value="u05"') == 1 and 'value="u05" id="add-user-' in html


def test_without_js_search_and_pages_post_the_form_and_add_nobody(console, many):
    base = {"from": "add-users", "user": ["u05", "u40"]}
    r = console.post(add_url(), {**base, "q": "u4", "go": "search"})
    html = r.content.decode()
    assert r.status_code == 200 and "<html" in html
    assert listed(html) == [f"u4{i}" for i in range(10)]
    assert 'name="user" value="u05" checked' in html  # kept, above the table
    assert re.search(r'value="u40" id="add-user-\d+" checked', html)
    r = console.post(add_url(), {**base, "page": "2"})
    html = r.content.decode()
    assert r.status_code == 200 and 'aria-current="page">2</span>' in html
    assert members(many) == ["u00", "u01"]  # nothing added by searching or paging


def test_adding_the_chosen_users_is_one_batch_and_goes_back_to_the_users_tab(console, many):
    r = console.post(add_url(), {"from": "add-users", "user": ["u05", "u40", "u59"]})
    assert r.status_code == 302 and r["Location"] == "/groups/developers/"
    assert members(many) == ["u00", "u01", "u05", "u40", "u59"]
    html = console.get(r["Location"]).content.decode()
    assert "3 users added to developers." in html
    html = console.get(page_url()).content.decode()
    assert total(html) == 55


def test_with_htmx_adding_redirects_the_browser_to_the_users_tab(console, many):
    r = console.post(add_url(), {"from": "add-users", "user": "u07"}, headers=HTMX)
    assert r.status_code == 200 and r["HX-Redirect"] == "/groups/developers/"
    assert "u07" in members(many)


def test_a_user_of_another_account_is_refused_and_nothing_is_added(console, many, outsider):
    create_user(actor=outsider, name="stranger")
    r = console.post(add_url(), {"from": "add-users", "user": ["u05", "stranger"]})
    html = r.content.decode()
    assert r.status_code == 404
    assert "The user with name stranger cannot be found." in html
    assert 'id="add-users-table"' in html  # the page again, with the ticks
    assert re.search(r'value="u05" id="add-user-\d+" checked', html)
    assert members(many) == ["u00", "u01"]  # all or nothing
    assert AuditEvent.objects.filter(event_name="AddUserToGroup", allowed=False).exists()


def test_choosing_nobody_is_a_form_error(console, many):
    r = console.post(add_url(), {"from": "add-users"})
    assert r.status_code == 400 and "Choose at least one user to add." in r.content.decode()
    assert members(many) == ["u00", "u01"]


def test_another_accounts_group_is_not_found(console, outsider, group):
    create_group(actor=outsider, name="theirs")
    r = console.get(page_url("theirs"))
    assert r.status_code == 404 and "cannot be found" in r.content.decode()
    r = console.post(add_url("theirs"), {"from": "add-users", "user": "alice"})
    assert r.status_code == 404


def test_the_operation_pages_users_not_in_the_group(root, many):
    page = list_users_not_in_group(
        actor=root, group_name="developers", name_contains="U5", page_number=1, max_items=3
    )
    assert [u.name for u in page.items] == ["u50", "u51", "u52"]
    assert page.total == 10 and page.num_pages == 4 and page.is_truncated


def test_the_page_is_denied_without_list_users(readonly_console, root, group, monkeypatch):
    # IAMReadOnlyAccess allows it; an explicit deny on iam:ListUsers does not.
    from policies.operations import put_user_policy
    from tests.conftest import allow_policy

    deny = allow_policy("iam:ListUsers").replace('"Allow"', '"Deny"')
    put_user_policy(actor=root, user_name="reader", policy_name="no-list", document=deny)
    r = readonly_console.get(page_url())
    assert r.status_code == 403 and "iam:ListUsers" in r.content.decode()


def _queries(console, url: str) -> int:
    console.get(url)  # warm: templates, caches
    with CaptureQueriesContext(connection) as ctx:
        assert console.get(url).status_code == 200
    return len(ctx)


def test_the_query_count_does_not_grow_with_the_users(console, root, group):
    detail = reverse("accounts:group-detail", args=[group.name])
    urls = [page_url(), page_url() + "?q=a0&page=2", detail]
    for i in range(10):
        create_user(actor=root, name=f"a{i:03d}")
    add_user_to_group(actor=root, group_name=group.name, user_name="a000")
    few = [_queries(console, url) for url in urls]
    for i in range(10, 100):
        create_user(actor=root, name=f"a{i:03d}")
    for i in range(9, 100, 9):
        add_user_to_group(actor=root, group_name=group.name, user_name=f"a{i:03d}")
    assert [_queries(console, url) for url in urls] == few


def test_the_users_tab_pages_its_members_by_marker(console, root, group, monkeypatch):
    from accounts.pages import groups as group_pages

    monkeypatch.setattr(group_pages, "MEMBERS_PAGE", 3)
    for i in range(5):
        create_user(actor=root, name=f"m{i}")
        add_user_to_group(actor=root, group_name=group.name, user_name=f"m{i}")
    html = console.get(reverse("accounts:group-detail", args=[group.name])).content.decode()
    assert "Users in this group (5)" in html  # the count of all members, not the page's
    assert "m2" in html and "m3" not in html
    marker = re.search(r'href="\?marker=([^"]+)"', html)
    assert marker
    r = console.get(
        reverse("accounts:group-detail", args=[group.name]), {"marker": unquote(marker[1])}
    )
    page2 = r.content.decode()
    assert "m3" in page2 and "m4" in page2 and ">m0<" not in page2
    r = console.get(reverse("accounts:group-detail", args=[group.name]), {"marker": "abc"})
    assert r.status_code == 400 and "Invalid Marker." in r.content.decode()
