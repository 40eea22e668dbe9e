"""The create-user wizard's "Set permissions" step: only the chosen option's panel is in
the page; the policy tables filter by name and type and page on the server (never the
whole catalog), keep the chosen policies across searches and pages, and the wizard still
creates the user with what was chosen. Without JS every change is a form submission."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import IamUser
from accounts.operations.groups import create_group
from accounts.pages.users_wizard import WIZARD_SESSION
from accounts.pages.users_wizard_policies import PAGE_SIZE
from policies.models import ManagedPolicy
from policies.operations import create_policy, list_attached_user_policies
from tests.conftest import HTMX, allow_policy

URL = "/users/create/"
PICKER = "/users/create/picker/"
S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
IAM_READ = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
VIEW_ONLY = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"
TABLE = {**HTMX, "HX-Target": "policy-picker"}
BOUNDARY = {**HTMX, "HX-Target": "boundary-picker"}


@pytest.fixture
def started(console):
    """A console whose wizard has passed step 1 (user "carol")."""
    r = console.post(URL, {"step": "details", "name": "carol"})
    assert r.status_code == 302
    return console


def step(client, **query):
    return client.get(URL, {"step": "permissions", **query})


def rows(html: str) -> list[str]:
    """The policy names of a table's rows (the checkbox/radio rows, not the chosen list)."""
    return re.findall(r'<label for="pick-[a-z]+-[A-Z0-9]+">([^<]+)</label>', html)


def count(html: str, heading: str = "Permissions policies") -> int:
    m = re.search(heading + r' <span class="muted">\((\d+)\)</span>', html)
    assert m, html[:2000]
    return int(m.group(1))


def page_buttons(html: str, name: str = "page") -> list[str]:
    return re.findall(rf'<button type="submit" name="{name}" value="(\d+)"', html)


# -- one option at a time ---------------------------------------------------------------


def test_groups_is_the_default_and_the_only_panel_shown(started):
    html = step(started).content.decode()
    assert 'id="panel-groups"' in html
    assert 'id="panel-copy"' not in html and 'id="panel-attach"' not in html
    assert "Permissions policies (" not in html  # no policy table for the groups option
    # The boundary section is there, collapsed, with its own paged table.
    assert re.search(r'<details class="mode-panel boundary-section">', html)
    assert "Set permissions boundary - optional" in html
    assert len(rows(html)) == PAGE_SIZE  # the boundary table's first page only


@pytest.mark.parametrize("mode, panel", [("copy", "panel-copy"), ("attach", "panel-attach")])
def test_choosing_an_option_shows_only_its_panel(started, mode, panel):
    # Without JS: the radio and "Show option" submit the form; PRG to the step's URL.
    r = started.post(URL, {"step": "permissions", "mode": mode, "go": "mode", "panel": "groups"})
    assert r.status_code == 302 and f"mode={mode}" in r.url
    html = started.get(r.url).content.decode()
    assert f'id="{panel}"' in html
    assert sum(f'id="panel-{p}"' in html for p in ("groups", "copy", "attach")) == 1
    assert f'id="mode-{mode}" checked' in html
    # With htmx: the wizard's fragment at once.
    r = started.post(URL, {"step": "permissions", "mode": mode, "go": "mode"}, headers=HTMX)
    frag = r.content.decode()
    assert r.status_code == 200 and "<html" not in frag and f'id="{panel}"' in frag


def test_attach_panel_renders_one_page_not_the_catalog(started):
    html = step(started, mode="attach").content.decode()
    total = ManagedPolicy.objects.filter(account__isnull=True).count()
    assert total > 1000
    assert count(html) == total
    # Two tables (policies, boundary), one page each.
    assert len(rows(html)) == 2 * PAGE_SIZE
    assert "<noscript>" in html and 'value="mode"' in html  # the no-JS "Show option"


# -- filtering and paging ---------------------------------------------------------------


def test_the_table_filters_by_name_substring_case_insensitively(started):
    r = started.get(PICKER, {"q": "s3readonly"}, headers=TABLE)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and 'id="policy-picker"' in html
    assert rows(html) == ["AmazonS3ReadOnlyAccess"]
    assert count(html) == 1
    assert page_buttons(html) == []  # one page: no page links


def test_the_table_filters_by_type(started, root):
    create_policy(
        actor=root,
        name="ReportsReader",
        document=allow_policy("s3:GetObject"),
        description="Reads the reports bucket.",
    )
    html = started.get(PICKER, {"type": "customer"}, headers=TABLE).content.decode()
    assert rows(html) == ["ReportsReader"] and count(html) == 1
    assert "Customer managed" in html
    assert "Reads the reports bucket." in html  # the description column
    html = started.get(PICKER, {"type": "job"}, headers=TABLE).content.decode()
    names = rows(html)
    assert "ViewOnlyAccess" in names and "AmazonS3ReadOnlyAccess" not in names
    assert "AWS managed - job function" in html
    html = started.get(PICKER, {"type": "aws", "q": "ViewOnlyAccess"}, headers=TABLE)
    assert "ViewOnlyAccess" not in rows(html.content.decode())  # job functions have their type
    html = started.get(PICKER, {"type": "aws", "q": "Reports"}, headers=TABLE).content.decode()
    assert "ReportsReader" not in rows(html)


def test_pages_are_numbered_and_page_two_differs(started):
    first = started.get(PICKER, headers=TABLE).content.decode()
    second = started.get(PICKER, {"page": "2"}, headers=TABLE).content.decode()
    assert len(rows(first)) == len(rows(second)) == PAGE_SIZE
    assert not set(rows(first)) & set(rows(second))
    buttons = page_buttons(first)
    assert buttons[:3] == ["2", "3", "4"] or buttons[:2] == ["2", "3"]
    last = -(-count(first) // PAGE_SIZE)
    assert buttons[-1] == str(last)  # the last page is always linked
    assert '<span class="page-link page-current" aria-current="page">2</span>' in second
    assert "1" in page_buttons(second)
    # The buttons ask for the table only, with the panel's fields.
    assert (
        'hx-get="/users/create/picker/"' in first and 'hx-include="#policy-picker-panel"' in first
    )


def test_filtered_results_page_too(started):
    html = started.get(PICKER, {"q": "Amazon"}, headers=TABLE).content.decode()
    n = count(html)
    assert n > PAGE_SIZE and all("amazon" in name.lower() for name in rows(html))
    last = -(-n // PAGE_SIZE)
    html = started.get(PICKER, {"q": "Amazon", "page": str(last)}, headers=TABLE).content.decode()
    assert len(rows(html)) == n - (last - 1) * PAGE_SIZE


@pytest.mark.parametrize(
    "query",
    [
        {"page": "0"},
        {"page": "-3"},
        {"page": "abc"},
        {"page": "99999999999999999999"},
        {"page": "9999"},
        {"type": "bogus"},
        {"q": "x" * 5000},
        {"q": "%_'\"<>"},
    ],
)
def test_bad_pages_and_filters_give_a_clean_table(started, query):
    r = started.get(PICKER, query, headers=TABLE)
    assert r.status_code == 200 and 'id="policy-picker"' in r.content.decode()
    r = step(started, mode="attach", **query)
    assert r.status_code == 200 and 'id="panel-attach"' in r.content.decode()


def test_a_page_past_the_end_shows_the_last_page(started):
    html = started.get(PICKER, {"page": "9999"}, headers=TABLE).content.decode()
    last = -(-count(html) // PAGE_SIZE)
    assert f'aria-current="page">{last}</span>' in html and rows(html)


def test_what_was_typed_is_escaped(started):
    html = started.get(PICKER, {"q": "<script>x</script>"}, headers=TABLE).content.decode()
    assert "<script>x" not in html and "&lt;script&gt;x" in html
    html = step(started, mode="attach", q="<b>bold</b>").content.decode()
    assert "<b>bold" not in html


def test_the_boundary_table_filters_in_place_with_radios(started):
    r = started.get(PICKER, {"bq": "IAMReadOnly"}, headers=BOUNDARY)
    html = r.content.decode()
    assert r.status_code == 200 and 'id="boundary-picker"' in html
    assert rows(html) == ["IAMReadOnlyAccess"] and count(html, "Boundary policies") == 1
    assert 'type="radio" name="boundary" value="arn:aws:iam::aws:policy/IAMReadOnlyAccess"' in html


def test_the_picker_without_htmx_redirects_to_the_step(started):
    r = started.get(PICKER, {"q": "S3", "page": "2"})
    assert r.status_code == 302 and "step=permissions" in r.url and "q=S3" in r.url


# -- the choices survive searches and pages ---------------------------------------------


def test_chosen_policies_stay_chosen_across_filtering_and_paging(started):
    # With htmx the search sends the checked boxes; those it does not list stay, checked.
    html = started.get(PICKER, {"q": "IAMReadOnly", "policies": [S3_READ]}, headers=TABLE)
    html = html.content.decode()
    assert rows(html) == ["IAMReadOnlyAccess"]
    assert f'name="policies" value="{S3_READ}" checked' in html
    html = started.get(
        PICKER, {"page": "3", "policies": [S3_READ, IAM_READ]}, headers=TABLE
    ).content.decode()
    assert f'name="policies" value="{S3_READ}" checked' in html
    assert f'name="policies" value="{IAM_READ}" checked' in html
    # A listed, chosen row is ticked in place, not repeated above the table.
    html = started.get(PICKER, {"q": "AmazonS3ReadOnly", "policies": [S3_READ]}, headers=TABLE)
    html = html.content.decode()
    assert html.count(f'value="{S3_READ}"') == 1 and "checked" in html


def test_without_js_search_and_pages_keep_the_ticks_in_the_session(started):
    base = {"step": "permissions", "mode": "attach", "panel": "attach"}
    r = started.post(URL, {**base, "policies": [S3_READ], "q": "IAMRead", "go": "filter"})
    assert r.status_code == 302 and "q=IAMRead" in r.url
    assert started.session[WIZARD_SESSION]["policies"] == [S3_READ]
    html = started.get(r.url).content.decode()
    assert rows(html)[0] == "IAMReadOnlyAccess"
    assert f'name="policies" value="{S3_READ}" checked' in html  # kept, above the table
    # A page button (no JS): page 2 of the unfiltered list, both ticks kept.
    r = started.post(URL, {**base, "policies": [S3_READ, IAM_READ], "page": "2"})
    assert r.status_code == 302 and "page=2" in r.url
    html = started.get(r.url).content.decode()
    assert 'aria-current="page">2</span>' in html
    assert started.session[WIZARD_SESSION]["policies"] == [S3_READ, IAM_READ]
    # Enter in a search box (the hidden default button) searches instead of moving on,
    # from page 1 when the search changed.
    r = started.post(
        URL,
        {
            **base,
            "policies": [S3_READ],
            "q": "Billing",
            "shown_q": "",
            "at_page": "3",
            "default": "1",
        },
    )
    assert r.status_code == 302 and "step=permissions" in r.url and "q=Billing" in r.url
    assert "page=" not in r.url
    r = started.post(URL, {**base, "q": "Billing", "shown_q": "Billing", "default": "1"})
    assert r.status_code == 302 and "step=permissions" in r.url


def test_switching_options_keeps_each_options_choices(started, root):
    create_group(actor=root, name="developers")
    started.post(
        URL,
        {
            "step": "permissions",
            "mode": "attach",
            "go": "mode",
            "panel": "groups",
            "groups": "developers",
        },
    )
    started.post(
        URL,
        {
            "step": "permissions",
            "mode": "groups",
            "go": "mode",
            "panel": "attach",
            "policies": S3_READ,
        },
    )
    html = step(started).content.decode()
    assert 'value="developers" checked' in html
    html = step(started, mode="attach").content.decode()
    assert f'value="{S3_READ}" checked' in html


def test_a_chosen_boundary_opens_the_section_and_stays_chosen(started):
    started.post(
        URL,
        {
            "step": "permissions",
            "mode": "groups",
            "panel": "groups",
            "boundary": IAM_READ,
            "bpage": "3",
        },
    )
    html = step(started, bpage="3").content.decode()
    assert '<details class="mode-panel boundary-section" open>' in html
    assert f'name="boundary" value="{IAM_READ}" checked' in html


# -- the whole wizard -------------------------------------------------------------------


def finish(client):
    assert client.post(URL, {"step": "tags"}).status_code == 302
    return client.post(URL, {"step": "review"})


def test_the_wizard_creates_the_user_with_policies_chosen_across_pages(started, root):
    base = {"step": "permissions", "mode": "attach", "panel": "attach"}
    started.post(URL, {**base, "policies": [S3_READ], "q": "IAMRead", "go": "filter"})
    r = started.post(URL, {**base, "policies": [S3_READ, IAM_READ], "boundary": S3_READ})
    assert r.status_code == 302 and "step=tags" in r.url
    r = finish(started)
    assert r.status_code == 200 and "carol" in r.content.decode()
    carol = IamUser.objects.get(account_id=root.account_id, name="carol")
    attached = {p.arn for p in list_attached_user_policies(actor=root, user_name="carol").items}
    assert attached == {S3_READ, IAM_READ}
    assert carol.permissions_boundary.arn == S3_READ


def test_the_wizard_creates_the_user_in_the_chosen_group(started, root):
    create_group(actor=root, name="developers")
    started.post(URL, {"step": "permissions", "mode": "groups", "go": "mode", "panel": "attach"})
    r = started.post(
        URL,
        {
            "step": "permissions",
            "mode": "groups",
            "panel": "groups",
            "groups": "developers",
            "boundary": "",
        },
    )
    assert r.status_code == 302
    assert finish(started).status_code == 200
    carol = IamUser.objects.get(account_id=root.account_id, name="carol")
    assert [g.name for g in carol.groups.all()] == ["developers"]
    assert carol.permissions_boundary is None
    assert list_attached_user_policies(actor=root, user_name="carol").items == []


def test_policies_of_an_option_not_chosen_are_not_attached(started, root):
    started.post(
        URL,
        {
            "step": "permissions",
            "mode": "groups",
            "go": "mode",
            "panel": "attach",
            "policies": S3_READ,
        },
    )
    assert (
        started.post(URL, {"step": "permissions", "mode": "groups", "panel": "groups"}).status_code
        == 302
    )
    assert finish(started).status_code == 200
    assert list_attached_user_policies(actor=root, user_name="carol").items == []


def test_an_error_on_next_shows_the_step_with_the_tables(started):
    r = started.post(
        URL,
        {
            "step": "permissions",
            "mode": "attach",
            "panel": "attach",
            "policies": [S3_READ, "arn:aws:iam::aws:policy/Nope"],
            "at_page": "2",
        },
    )
    html = r.content.decode()
    assert r.status_code == 400 and 'id="panel-attach"' in html
    assert "does not exist" in html
    assert 'aria-current="page">2</span>' in html
    assert f'value="{S3_READ}" checked' in html


def test_a_caller_who_may_not_list_policies_sees_the_denial(started, monkeypatch):
    from accounts.errors import AccessDenied
    from accounts.pages import users_wizard_policies

    def deny(**kwargs):
        raise AccessDenied("User is not authorized to perform: iam:ListPolicies")

    monkeypatch.setattr(users_wizard_policies, "list_policies", deny)
    r = started.get(PICKER, headers=TABLE)
    assert "not authorized to perform: iam:ListPolicies" in r.content.decode()
    r = step(started, mode="attach")
    assert (
        r.status_code == 200 and "not authorized to perform: iam:ListPolicies" in r.content.decode()
    )
    assert reverse("accounts:user-create-picker") == PICKER
