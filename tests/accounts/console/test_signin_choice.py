"""Issue 16, sign-in page: AWS's "Root user / IAM user" choice at /signin/.

The IAM user choice asks for the account id or alias and leads to that account's
IAM user form (/signin/<account>/); values outside the id/alias grammar are refused
(no open redirect); known and unknown accounts get the same answer.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.operations.account import create_account_alias
from audit.models import AuditEvent
from tests.conftest import USER_PASSWORD

SIGNIN = "/signin/"
ACCOUNT = "111122223333"


def choose_iam(client, account: str):
    return client.post(SIGNIN, {"signin_type": "iam", "account": account})


def test_the_signin_page_offers_root_user_and_iam_user(client, db):
    html = client.get(SIGNIN).content.decode()
    assert 'type="radio" name="signin_type" value="root"' in html
    assert 'type="radio" name="signin_type" value="iam"' in html
    assert "Root user" in html and "IAM user" in html
    assert 'name="email"' in html and 'name="account"' in html
    # Every control has a label: the radios and both text fields.
    for control in ("id_signin_type_0", "id_signin_type_1", "id_email", "id_account"):
        assert f'for="{control}"' in html


def test_root_user_choice_goes_on_to_the_password(client, account):
    r = client.post(SIGNIN, {"signin_type": "root", "email": "root@example.com"})
    assert r.status_code == 302 and r.url == reverse("accounts:signin-password")


def test_a_post_without_a_choice_is_the_root_sign_in_as_before(client, account):
    r = client.post(SIGNIN, {"email": "root@example.com"})
    assert r.status_code == 302 and r.url == reverse("accounts:signin-password")


def test_iam_user_choice_with_an_account_id_opens_that_accounts_form(client, account):
    r = choose_iam(client, ACCOUNT)
    assert r.status_code == 302 and r.url == f"/signin/{ACCOUNT}/"
    html = client.get(r.url).content.decode()
    assert "Sign in as IAM user" in html and f'value="{ACCOUNT}"' in html


def test_iam_user_choice_with_an_alias_is_lower_cased(client, root):
    create_account_alias(actor=root, alias="acme-lab")
    r = choose_iam(client, "  Acme-Lab ")
    assert r.status_code == 302 and r.url == "/signin/acme-lab/"


def test_unknown_and_known_accounts_get_the_same_answer(client, account):
    known = choose_iam(client, ACCOUNT)
    unknown = choose_iam(client, "999988887777")
    assert known.status_code == unknown.status_code == 302
    assert unknown.url == "/signin/999988887777/"
    known_form = client.get(known.url).content.decode().replace(ACCOUNT, "X")
    unknown_form = client.get(unknown.url).content.decode().replace("999988887777", "X")
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"')
    assert strip.sub("", known_form) == strip.sub("", unknown_form)
    assert not AuditEvent.objects.filter(event_name="ConsoleLogin").exists()  # none tried yet


@pytest.mark.parametrize(
    "value",
    [
        "//evil.example",
        "https://evil.example/",
        "evil.example",
        "a/b",
        "../users",
        "%2F%2Fevil",
        "ab",  # an alias has at least 3 characters
        "a--b",
        "-abc",
        "abc-",
        "x" * 64,
        "acme lab",
        "١١١١٢٢٢٢٣٣٣٣",  # Arabic-Indic digits are no account id
        "",
    ],
)
def test_values_outside_the_account_grammar_are_refused_without_a_redirect(client, db, value):
    r = choose_iam(client, value)
    assert r.status_code == 200
    html = r.content.decode()
    assert "field-invalid" in html
    assert "Location" not in r.headers


def test_iam_choice_ignores_a_stray_email(client, account):
    r = client.post(SIGNIN, {"signin_type": "iam", "account": ACCOUNT, "email": "not an email"})
    assert r.status_code == 302 and r.url == f"/signin/{ACCOUNT}/"


def test_root_choice_needs_an_email(client, db):
    r = client.post(SIGNIN, {"signin_type": "root", "email": ""})
    assert r.status_code == 200 and "Enter your root user email address." in r.content.decode()


def test_a_link_with_an_account_preselects_iam_user(client, account):
    html = client.get(SIGNIN, {"account": ACCOUNT}).content.decode()
    assert re.search(r'<input[^>]*value="iam"[^>]*checked', html)
    assert not re.search(r'<input[^>]*value="root"[^>]*checked', html)
    assert f'value="{ACCOUNT}"' in html


def test_the_next_page_survives_the_choice_and_the_iam_users_sign_in(client, alice_login):
    client.get(SIGNIN, {"next": "/users/"})
    r = choose_iam(client, ACCOUNT)
    client.get(r.url)
    r = client.post(r.url, {"account": ACCOUNT, "username": "alice", "password": USER_PASSWORD})
    assert r.status_code == 302 and r.url == "/users/"


def test_an_offsite_next_is_dropped(client, alice_login):
    client.get(SIGNIN, {"next": "https://evil.example/"})
    r = choose_iam(client, ACCOUNT)
    r = client.post(r.url, {"account": ACCOUNT, "username": "alice", "password": USER_PASSWORD})
    assert r.status_code == 302 and r.url == reverse("iamconsole:dashboard")
