"""Users list: columns, name filter and pages in place (htmx), constant query count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.operations.credentials import create_access_key, create_login_profile
from accounts.operations.groups import add_user_to_group, create_group
from accounts.operations.users import create_user

HTMX = {"HX-Request": "true", "HX-Target": "user-table"}
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"


def make_users(root, count: int, *, start: int = 0) -> None:
    group = create_group(actor=root, name=f"team{start}")
    for i in range(start, start + count):
        name = f"user{i:04d}"
        create_user(actor=root, name=name, tags=[{"Key": "n", "Value": str(i)}])
        add_user_to_group(actor=root, group_name=group.name, user_name=name)
        create_access_key(actor=root, user_name=name)
        create_login_profile(actor=root, user_name=name, password="Passw0rd-long!")


def test_list_renders_for_root_with_every_column(console, root, iam_user, group):
    add_user_to_group(actor=root, group_name=group.name, user_name=iam_user.name)
    create_access_key(actor=root, user_name=iam_user.name)
    r = console.get(reverse("accounts:user-list"))
    html = r.content.decode()
    assert r.status_code == 200 and "<html" in html
    assert "css/users.css" in html and " style=" not in html and "<script>" not in html
    for header in (
        "User name",
        "Groups",
        "Last activity",
        "MFA",
        "Password age",
        "Active access key age",
    ):
        assert header in html
    assert ">alice</a>" in html and "developers" in html and "0 days" in html


def test_htmx_filter_returns_only_the_table_fragment(console, root):
    make_users(root, 3)
    create_user(actor=root, name="zed")
    r = console.get(reverse("accounts:user-list"), {"q": "ZE"}, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html
    assert 'id="user-table"' in html and ">zed</a>" in html and "user0000" not in html


def test_plain_get_filter_works_without_javascript(console, root):
    make_users(root, 2)
    html = console.get(reverse("accounts:user-list"), {"q": "0001"}).content.decode()
    assert "<html" in html and ">user0001</a>" in html and ">user0000</a>" not in html


def test_pages_follow_the_numbers_in_place(console, root):
    """Numbered pages since issue 16 (they followed AWS's Marker before)."""
    for i in range(12):
        create_user(actor=root, name=f"u{i:02d}")
    first = console.get(
        reverse("accounts:user-list"), {"size": "10"}, headers=HTMX
    ).content.decode()
    assert ">u09</a>" in first and ">u10</a>" not in first and 'rel="next"' in first
    next_query = first.split('href="?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    second = console.get(
        f"{reverse('accounts:user-list')}?{next_query}", headers=HTMX
    ).content.decode()
    assert ">u10</a>" in second and ">u11</a>" in second and ">u00</a>" not in second
    assert 'rel="prev"' in second and 'rel="next"' not in second


@pytest.mark.parametrize("marker", ["!!!", "a", "\u00e9t\u00e9"])
def test_a_mangled_marker_never_fails_the_page(console, marker):
    r = console.get(reverse("accounts:user-list"), {"marker": marker})
    assert r.status_code in (200, 302)


def test_query_count_does_not_grow_with_the_number_of_users(console, root):
    url = reverse("accounts:user-list") + "?size=100"
    make_users(root, 10)
    console.get(url)  # warm caches (session, policy catalog)
    with CaptureQueriesContext(connection) as ten:
        r = console.get(url)
    assert r.content.decode().count('<tr id="user-') == 10
    make_users(root, 90, start=10)
    console.get(url)
    with CaptureQueriesContext(connection) as hundred:
        r = console.get(url)
    assert r.content.decode().count('<tr id="user-') == 100
    assert len(ten) == len(hundred), (len(ten), len(hundred))


def test_query_count_is_constant_for_an_iam_user_too(user_console, root, alice_login):
    from policies.operations import attach_user_policy

    attach_user_policy(actor=root, user_name="alice", policy_arn=READ_ONLY)
    client = user_console(alice_login)
    url = reverse("accounts:user-list") + "?size=100"
    make_users(root, 5)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    make_users(root, 40, start=5)
    client.get(url)  # the account's policy cache generation moved: warm it again
    with CaptureQueriesContext(connection) as many:
        r = client.get(url)
    assert r.status_code == 200 and len(few) == len(many), (len(few), len(many))


def test_columns_the_caller_may_not_see_show_a_dash(user_console, root, alice_login):
    """alice may list users but nothing else: groups, MFA, password and keys stay hidden."""
    import json

    from policies.operations import put_user_policy

    put_user_policy(
        actor=root,
        user_name="alice",
        policy_name="list-only",
        document=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}],
            }
        ),
    )
    make_users(root, 1)
    html = user_console(alice_login).get(reverse("accounts:user-list")).content.decode()
    row = html.split(">user0000</a>", 1)[1].split("</tr>", 1)[0]
    assert "team0" not in row and row.count("\u2014") == 5


def test_a_caller_without_list_users_gets_access_denied(user_console, alice_login):
    r = user_console(alice_login).get(reverse("accounts:user-list"))
    html = r.content.decode()
    assert r.status_code == 403 and "is not authorized to perform: iam:ListUsers" in html


def test_the_filter_text_is_escaped(console):
    html = console.get(reverse("accounts:user-list"), {"q": "<script>x</script>"}).content.decode()
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html


@pytest.mark.parametrize("size", ["7", "abc"])
def test_an_unknown_page_size_falls_back_to_the_default(console, size):
    assert console.get(reverse("accounts:user-list"), {"size": size}).status_code == 200
