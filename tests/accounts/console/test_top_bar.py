"""Issue 16, top bar: the account menu (id and alias with copy, Security credentials,
Switch role, Sign out), the search box, and switch role's display colour in the header."""

from __future__ import annotations

import json
import re

from django.urls import reverse

from accounts.operations.account import create_account_alias
from accounts.operations.roles import create_role
from iamconsole.console import IDENTITY_KEY

ACCOUNT = "111122223333"


def account_menu(html: str) -> str:
    match = re.search(r'<details class="account-menu">(.*?)</details>', html, re.S)
    assert match, "no account menu"
    return match.group(1)


def trust(principal_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": principal_arn}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def test_the_account_menu_holds_the_account_id_and_alias_with_copy_buttons(console, root):
    create_account_alias(actor=root, alias="acme-lab")
    menu = account_menu(console.get("/").content.decode())
    assert '<span class="mono" id="account-menu-id">111122223333</span>' in menu
    assert 'data-copy="account-menu-id"' in menu and 'aria-label="Copy account ID"' in menu
    assert '<span class="mono" id="account-menu-alias">acme-lab</span>' in menu
    assert 'data-copy="account-menu-alias"' in menu


def test_without_an_alias_there_is_no_alias_row(console):
    menu = account_menu(console.get("/").content.decode())
    assert "account-menu-alias" not in menu


def test_security_credentials_moved_into_the_menu(console):
    html = console.get("/").content.decode()
    href = f'href="{reverse("accounts:root-security-credentials")}"'
    assert html.count(href) == 1 and href in account_menu(html)


def test_sign_out_is_a_post_form_in_the_menu(console):
    menu = account_menu(console.get("/").content.decode())
    assert f'action="{reverse("accounts:signout")}"' in menu and 'method="post"' in menu
    assert "csrfmiddlewaretoken" in menu


def test_root_has_no_switch_role_and_an_iam_user_does(console, user_console, alice_login):
    assert reverse("accounts:switch-role") not in account_menu(console.get("/").content.decode())
    html = user_console(alice_login).get("/users/").content.decode()
    assert f'href="{reverse("accounts:switch-role")}"' in account_menu(html)


def test_the_copy_script_is_loaded_for_the_menu(console):
    assert "js/copy.js" in console.get("/").content.decode()


def test_the_search_box_is_a_labelled_get_form_with_htmx(console):
    html = console.get("/").content.decode()
    form = re.search(r'<form class="topbar-search"[^>]*>(.*?)</form>', html, re.S)
    assert form and 'method="get"' in form.group(0) and 'role="search"' in form.group(0)
    assert f'action="{reverse("accounts:search")}"' in form.group(0)
    box = form.group(1)
    assert '<label for="topbar-search-q"' in box and 'id="topbar-search-q" name="q"' in box
    assert f'hx-get="{reverse("accounts:search")}"' in box


def test_sign_in_pages_have_no_top_bar_menu(client, db):
    html = client.get("/signin/").content.decode()
    assert "account-menu" not in html and "topbar-search" not in html


def test_the_switch_role_form_offers_awss_display_colours(user_console, alice_login):
    html = user_console(alice_login).get(reverse("accounts:switch-role")).content.decode()
    for value in ("red", "orange", "yellow", "green", "blue"):
        assert f'name="color" value="{value}"' in html
    assert "<legend>Display color (optional)</legend>" in html


def test_the_chosen_colour_marks_the_header_during_the_role_session(
    user_console, root, alice_login
):
    create_role(actor=root, name="Reader", trust_policy=trust(alice_login.arn))
    c = user_console(alice_login)
    r = c.post(
        reverse("accounts:switch-role"),
        {"account": ACCOUNT, "role": "Reader", "display_name": "Prod", "color": "red"},
    )
    assert r.status_code == 302
    assert c.session[IDENTITY_KEY]["color"] == "red"
    html = c.get(reverse("accounts:switch-role")).content.decode()
    assert re.search(r'class="identity identity-role role-color-red"', html)
    assert '<input type="hidden" name="color" value="red">' in html  # the history keeps it
    c.post(reverse("accounts:switch-role-back"))
    html = c.get(reverse("accounts:switch-role")).content.decode()
    assert "identity-role" not in html


def test_an_unknown_colour_is_refused_and_nothing_switches(user_console, root, alice_login):
    create_role(actor=root, name="Reader", trust_policy=trust(alice_login.arn))
    c = user_console(alice_login)
    r = c.post(
        reverse("accounts:switch-role"),
        {"account": ACCOUNT, "role": "Reader", "color": 'red" onmouseover="x'},
    )
    assert r.status_code == 200 and "field-error" in r.content.decode()
    assert c.session[IDENTITY_KEY]["kind"] == "user"


def test_a_tampered_session_colour_is_not_written_into_the_page(user_console, root, alice_login):
    create_role(actor=root, name="Reader", trust_policy=trust(alice_login.arn))
    c = user_console(alice_login)
    c.post(reverse("accounts:switch-role"), {"account": ACCOUNT, "role": "Reader"})
    session = c.session
    identity = session[IDENTITY_KEY]
    identity["color"] = "evil onload"
    session[IDENTITY_KEY] = identity
    session.save()
    html = c.get(reverse("accounts:switch-role")).content.decode()
    assert "role-color-none" in html and "evil" not in html


def test_no_colour_chosen_keeps_the_plain_header(user_console, root, alice_login):
    create_role(actor=root, name="Reader", trust_policy=trust(alice_login.arn))
    c = user_console(alice_login)
    c.post(reverse("accounts:switch-role"), {"account": ACCOUNT, "role": "Reader"})
    html = c.get(reverse("accounts:switch-role")).content.decode()
    assert 'class="identity identity-role role-color-none"' in html
