"""The create-user wizard's "Add user to group" and "Copy permissions" panels: tables of
groups (name, attached policies, created) and users that filter by name and page by
number in SQL, keep the chosen ones across searches and pages, and work without JS."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import IamUser
from accounts.operations.groups import add_user_to_group, create_group
from accounts.operations.users import create_user
from accounts.pages.users_wizard import WIZARD_SESSION
from accounts.pages.users_wizard_policies import PAGE_SIZE
from policies.operations import attach_group_policy
from tests.conftest import HTMX

URL = "/users/create/"
PICKER = "/users/create/picker/"
GROUPS = {**HTMX, "HX-Target": "group-picker"}
USERS = {**HTMX, "HX-Target": "copy-picker"}
S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
BASE = {"step": "permissions", "mode": "groups", "panel": "groups"}


@pytest.fixture
def started(console):
    r = console.post(URL, {"step": "details", "name": "carol"})
    assert r.status_code == 302
    return console


@pytest.fixture
def groups(root):
    """30 groups g00..g29; g03 has two attached policies."""
    for i in range(30):
        create_group(actor=root, name=f"g{i:02d}")
    attach_group_policy(actor=root, group_name="g03", policy_arn=S3_READ)
    attach_group_policy(
        actor=root, group_name="g03", policy_arn="arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    )


def rows(html: str, prefix: str = "g") -> list[str]:
    return re.findall(rf'<label for="pick-{prefix}-\d+" class="entity-name">([^<]+)</label>', html)


def count(html: str, heading: str = "User groups") -> int:
    m = re.search(heading + r' <span class="muted">\((\d+)\)</span>', html)
    assert m, html[:3000]
    return int(m.group(1))


def step(client, **query):
    return client.get(URL, {"step": "permissions", **query})


def test_the_groups_panel_is_a_paged_table(started, groups):
    html = step(started).content.decode()
    assert 'id="group-picker"' in html and count(html) == 30
    assert rows(html) == [f"g{i:02d}" for i in range(PAGE_SIZE)]
    assert "<th>Attached policies</th>" in html and "<th>Created</th>" in html
    row = re.search(r'class="entity-name">g03</label></td>\s*<td>(\d+)</td>', html)
    assert row and row.group(1) == "2"
    assert re.findall(r'name="gpage" value="(\d+)"', html) == ["2"]


def test_the_table_filters_and_pages_in_place(started, groups):
    r = started.get(PICKER, {"gq": "G1"}, headers=GROUPS)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and 'id="group-picker"' in html
    assert rows(html) == [f"g1{i}" for i in range(10)] and count(html) == 10
    html = started.get(PICKER, {"gpage": "2"}, headers=GROUPS).content.decode()
    assert rows(html) == [f"g{i:02d}" for i in range(PAGE_SIZE, 30)]
    assert 'aria-current="page">2</span>' in html
    html = started.get(PICKER, {"gq": "zzz"}, headers=GROUPS).content.decode()
    assert rows(html) == [] and "No groups match" in html


@pytest.mark.parametrize("query", [{"gpage": "abc"}, {"gpage": "-2"}, {"gq": "x" * 5000}])
def test_bad_input_gives_a_clean_table(started, groups, query):
    r = started.get(PICKER, query, headers=GROUPS)
    assert r.status_code == 200 and 'id="group-picker"' in r.content.decode()
    r = step(started, **query)
    assert r.status_code == 200 and 'id="panel-groups"' in r.content.decode()


def test_chosen_groups_stay_chosen_across_filter_and_pages(started, groups):
    html = started.get(PICKER, {"gq": "g2", "groups": ["g03"]}, headers=GROUPS).content.decode()
    assert "g03" not in rows(html) and 'name="groups" value="g03" checked' in html
    html = started.get(PICKER, {"groups": ["g03"]}, headers=GROUPS).content.decode()
    assert html.count('value="g03"') == 1  # listed and ticked in place, not repeated


def test_without_js_search_and_pages_keep_the_ticks_in_the_session(started, groups):
    r = started.post(URL, {**BASE, "groups": ["g03"], "gq": "g2", "go": "gfilter"})
    assert r.status_code == 302 and "gq=g2" in r.url
    assert started.session[WIZARD_SESSION]["groups"] == ["g03"]
    html = started.get(r.url).content.decode()
    assert rows(html) == [f"g2{i}" for i in range(10)]
    assert 'name="groups" value="g03" checked' in html
    r = started.post(URL, {**BASE, "groups": ["g03", "g27"], "gpage": "2"})
    assert r.status_code == 302 and "gpage=2" in r.url
    assert started.session[WIZARD_SESSION]["groups"] == ["g03", "g27"]
    html = started.get(r.url).content.decode()
    assert 'aria-current="page">2</span>' in html and 'value="g27" checked id="pick-g-' in html


def test_the_user_is_created_in_the_groups_chosen_across_pages(started, root, groups):
    started.post(URL, {**BASE, "groups": ["g03"], "gpage": "2"})
    r = started.post(URL, {**BASE, "groups": ["g03", "g27"]})
    assert r.status_code == 302 and "step=tags" in r.url
    assert started.post(URL, {"step": "tags"}).status_code == 302
    assert started.post(URL, {"step": "review"}).status_code == 200
    carol = IamUser.objects.get(account_id=root.account_id, name="carol")
    assert sorted(g.name for g in carol.groups.all()) == ["g03", "g27"]


def test_a_group_of_another_account_is_refused_and_nothing_is_kept(started, outsider, groups):
    create_group(actor=outsider, name="theirs")
    r = started.post(URL, {**BASE, "groups": ["g03", "theirs"]})
    html = r.content.decode()
    assert r.status_code == 400 and "The group with name theirs cannot be found." in html
    assert 'id="group-picker"' in html and 'value="g03" checked id="pick-g-' in html
    assert started.session[WIZARD_SESSION].get("groups", []) == []  # Next did not pass


def test_more_than_ten_groups_is_a_form_error(started, groups):
    r = started.post(URL, {**BASE, "groups": [f"g{i:02d}" for i in range(11)]})
    assert r.status_code == 400 and "at most 10 groups" in r.content.decode()


def test_the_copy_panel_is_a_paged_table_of_users(started, root):
    for i in range(30):
        create_user(actor=root, name=f"u{i:02d}")
    html = step(started, mode="copy").content.decode()
    assert 'id="copy-picker"' in html and count(html, "Users") == 30
    assert rows(html, "c")[:2] == ["u00", "u01"] and len(rows(html, "c")) == PAGE_SIZE
    assert 'type="radio" name="copy_from" value="u00"' in html
    html = started.get(PICKER, {"cq": "u2", "copy_from": "u05"}, headers=USERS).content.decode()
    assert rows(html, "c") == [f"u2{i}" for i in range(10)]
    assert 'name="copy_from" value="u05" checked' in html


def test_copy_from_a_user_of_another_account_is_refused(started, outsider):
    create_user(actor=outsider, name="stranger")
    r = started.post(
        URL, {"step": "permissions", "mode": "copy", "panel": "copy", "copy_from": "stranger"}
    )
    assert r.status_code == 400
    assert "The user with name stranger cannot be found." in r.content.decode()


def test_copy_permissions_still_copies_the_groups(started, root, group, iam_user):
    add_user_to_group(actor=root, group_name=group.name, user_name="alice")
    r = started.post(
        URL, {"step": "permissions", "mode": "copy", "panel": "copy", "copy_from": "alice"}
    )
    assert r.status_code == 302
    assert started.post(URL, {"step": "tags"}).status_code == 302
    assert started.post(URL, {"step": "review"}).status_code == 200
    carol = IamUser.objects.get(account_id=root.account_id, name="carol")
    assert [g.name for g in carol.groups.all()] == ["developers"]


def _queries(client, **query) -> int:
    step(client, **query)  # warm
    with CaptureQueriesContext(connection) as ctx:
        assert step(client, **query).status_code == 200
    return len(ctx)


def test_the_query_count_does_not_grow_with_groups_or_users(started, root):
    for i in range(10):
        create_group(actor=root, name=f"h{i:03d}")
        create_user(actor=root, name=f"v{i:03d}")
    few = [_queries(started), _queries(started, mode="copy"), _queries(started, gpage="2")]
    for i in range(10, 100):
        create_group(actor=root, name=f"h{i:03d}")
        create_user(actor=root, name=f"v{i:03d}")
    for i in range(0, 100, 7):
        attach_group_policy(actor=root, group_name=f"h{i:03d}", policy_arn=S3_READ)
    many = [_queries(started), _queries(started, mode="copy"), _queries(started, gpage="2")]
    assert many == few
