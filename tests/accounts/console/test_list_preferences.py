"""The lists' Preferences (AWS's gear dialog): visible columns and page size, saved per
signed-in identity, applied to the list, refused cleanly when not offered (issue 16)."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from accounts.models import ListPreference
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


def headers(html: str, noun: str) -> list[str]:
    """The column headings of the list's table (the selection column left out)."""
    table = html.split(f'<div id="{noun}-table"', 1)[1].split("</thead>", 1)[0]
    return [h for h in re.findall(r"<th[^>]*>([^<]*)</th>", table) if h]


# (list name, URL, noun, an optional column shown by default and its heading, one
# hidden by default and its heading, maker of one row, extra query)
LISTS = [
    pytest.param(
        "users",
        "/users/",
        "user",
        ("mfa", "MFA"),
        ("arn", "ARN"),
        lambda root, n: create_user(actor=root, name=n),
        {},
        id="users",
    ),
    pytest.param(
        "groups",
        "/groups/",
        "group",
        ("users", "Users"),
        ("arn", "ARN"),
        lambda root, n: create_group(actor=root, name=n),
        {},
        id="groups",
    ),
    pytest.param(
        "roles",
        "/roles/",
        "role",
        ("trusted", "Trusted entities"),
        ("arn", "ARN"),
        lambda root, n: create_role(actor=root, name=n, trust_policy=TRUST),
        {},
        id="roles",
    ),
    pytest.param(
        "policies",
        "/policies/",
        "policy",
        ("description", "Description"),
        ("path", "Path"),
        lambda root, n: create_policy(actor=root, name=n, document=allow_policy()),
        {"scope": "Local"},
        id="policies",
    ),
]
ARGS = ("name", "url", "noun", "shown", "hidden", "make", "extra")


@pytest.mark.parametrize(ARGS, LISTS)
def test_the_list_offers_preferences_with_todays_defaults(
    console, name, url, noun, shown, hidden, make, extra
):
    html = console.get(url, extra).content.decode()
    assert '<details class="list-preferences">' in html
    form = html.split('<details class="list-preferences">', 1)[1].split("</details>", 1)[0]
    assert f'action="/preferences/{name}/"' in form and 'name="csrfmiddlewaretoken"' in form
    assert f'value="{shown[0]}" checked' in form and f'value="{hidden[0]}">' in form
    assert 'name="page_size" value="10"' in form and 'value="50"' in form
    cols = headers(html, noun)
    assert shown[1] in cols and hidden[1] not in cols
    assert "css/lists.css" in html and " style=" not in html


@pytest.mark.parametrize(ARGS, LISTS)
def test_saved_columns_and_page_size_apply_to_the_list(
    console, root, name, url, noun, shown, hidden, make, extra
):
    for i in range(12):
        make(root, f"item-{i:02d}")
    r = console.post(
        f"/preferences/{name}/",
        {"columns": [hidden[0]], "page_size": "10", "next": f"{url}?q=item&page=2&size=50"},
    )
    # Back to the list with its filter; page and size start over with the new size.
    assert r.status_code == 302 and r["Location"] == f"{url}?q=item"
    saved = ListPreference.objects.get(list_name=name)
    assert saved.columns == [hidden[0]] and saved.page_size == 10

    html = console.get(url, {**extra, "q": "item"}).content.decode()
    cols = headers(html, noun)
    assert hidden[1] in cols and shown[1] not in cols
    assert cols[0].endswith("name")  # the name column always shows
    assert len(re.findall(r'<td><a href="[^"]*">item-\d\d</a>', html)) == 10
    assert "page=2" in html and "size=" not in html.split('<nav class="page-numbers"')[1]
    # The fragment htmx swaps in shows the same columns.
    fragment = console.get(
        url, {**extra, "q": "item", "page": "2"}, headers={**HTMX, "HX-Target": f"{noun}-table"}
    ).content.decode()
    assert hidden[1] in headers(fragment, noun) and shown[1] not in headers(fragment, noun)
    assert len(re.findall(r'<td><a href="[^"]*">item-\d\d</a>', fragment)) == 2


def test_a_size_in_the_query_beats_the_saved_page_size(console, root):
    for i in range(12):
        create_user(actor=root, name=f"u{i:02d}")
    console.post("/preferences/users/", {"columns": ["mfa"], "page_size": "10"})
    html = console.get("/users/", {"size": "25"}).content.decode()
    assert len(re.findall(r'<tr id="user-', html)) == 12


def test_no_optional_column_leaves_the_name(console, root):
    create_user(actor=root, name="ann")
    console.post("/preferences/users/", {"page_size": "25"})
    html = console.get("/users/").content.decode()
    assert headers(html, "user") == ["User name"]
    assert ">ann</a>" in html


def test_every_users_column_renders(console, root, iam_user):
    from accounts.pages.list_preferences import LISTS as SPECS

    keys = [c.key for c in SPECS["users"].columns]
    console.post("/preferences/users/", {"columns": keys, "page_size": "50"})
    html = console.get("/users/").content.decode()
    assert headers(html, "user") == ["User name", *[c.label for c in SPECS["users"].columns]]
    row = html.split(f'<tr id="user-{iam_user.pk}">', 1)[1].split("</tr>", 1)[0]
    assert row.count("<td") == 2 + len(keys)
    assert iam_user.arn in row and "Never" in row


@pytest.mark.parametrize(
    "data",
    [
        {"columns": ["mfa"], "page_size": "7"},
        {"columns": ["mfa"], "page_size": "100"},
        {"columns": ["mfa"], "page_size": "x"},
        {"columns": ["mfa"]},
        {"columns": ["bogus"], "page_size": "10"},
        {"columns": ["name"], "page_size": "10"},  # the name column is not optional
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(console, data):
    r = console.post("/preferences/users/", data)
    assert r.status_code == 400
    html = r.content.decode()
    assert "Preferences not saved" in html and 'href="/users/"' in html
    assert not ListPreference.objects.exists()


def test_an_unknown_list_is_a_404_and_get_is_not_allowed(console):
    assert console.post("/preferences/nope/", {"page_size": "10"}).status_code == 404
    assert console.get("/preferences/users/").status_code == 405
    assert not ListPreference.objects.exists()


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/users/",
        "//evil.example/users/",
        "/groups/",
        "/users/alice/",
        "javascript:alert(1)",
        "/\\evil.example/users/",
        "",
    ],
)
def test_the_way_back_is_only_the_lists_own_page(console, next_url):
    r = console.post("/preferences/users/", {"page_size": "10", "next": next_url})
    assert r.status_code == 302 and r["Location"] == "/users/"


def test_csrf_is_required(root, totp_device):
    from tests.conftest import signed_in

    client = signed_in(Client(enforce_csrf_checks=True), root, device=totp_device)
    r = client.post("/preferences/users/", {"columns": ["arn"], "page_size": "10"})
    assert r.status_code == 403
    assert not ListPreference.objects.exists()
    # With the token of the list page's form, the same POST is saved.
    html = client.get("/users/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    r = client.post(
        "/preferences/users/",
        {"columns": ["arn"], "page_size": "10", "csrfmiddlewaretoken": token},
    )
    assert r.status_code == 302 and ListPreference.objects.count() == 1


def test_signed_out_nothing_is_saved(client, db):
    r = client.post("/preferences/users/", {"page_size": "10"})
    assert r.status_code == 302 and "/signin" in r["Location"]
    assert not ListPreference.objects.exists()


def test_another_identitys_preferences_are_unaffected(console, user_console, root, alice_login):
    from policies.operations import attach_user_policy

    attach_user_policy(
        actor=root, user_name="alice", policy_arn="arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    )
    alice = user_console(alice_login)
    alice.post("/preferences/users/", {"columns": ["path"], "page_size": "25"})
    console.post("/preferences/users/", {"columns": ["arn"], "page_size": "10"})
    mine = headers(console.get("/users/").content.decode(), "user")
    hers = headers(alice.get("/users/").content.decode(), "user")
    assert mine == ["User name", "ARN"] and hers == ["User name", "Path"]
    # Saving again replaces one's own row, never another's.
    alice.post("/preferences/users/", {"columns": ["mfa"], "page_size": "50"})
    assert ListPreference.objects.count() == 2
    assert headers(console.get("/users/").content.decode(), "user") == ["User name", "ARN"]
    assert headers(alice.get("/users/").content.decode(), "user") == ["User name", "MFA"]


def test_a_preference_no_longer_offered_is_ignored(console, root):
    """A saved key that a later version does not offer never breaks the page."""
    create_user(actor=root, name="ann")
    console.post("/preferences/users/", {"columns": ["mfa"], "page_size": "10"})
    ListPreference.objects.update(columns=["mfa", "gone", 7], page_size=33)
    r = console.get("/users/")
    assert r.status_code == 200 and headers(r.content.decode(), "user") == ["User name", "MFA"]
