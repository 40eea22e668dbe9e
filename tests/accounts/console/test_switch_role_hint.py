"""Issue 16, item 7: a failed switch keeps AWS's words and says what a switch needs,
identically whether the role is missing, untrusting or not permitted (nothing about
the role leaks)."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from accounts.operations.credentials import create_login_profile
from accounts.operations.roles import create_role
from accounts.pages.switch_role import SWITCH_FAILED
from tests.conftest import USER_PASSWORD

URL = reverse("accounts:switch-role")


def trust(principal: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
            ],
        }
    )


@pytest.fixture
def alice_client(user_console, root, iam_user):
    create_login_profile(actor=root, user_name="alice", password=USER_PASSWORD)
    return user_console(iam_user)


def failure(client, role: str) -> str:
    r = client.post(URL, {"account": "111122223333", "role": role})
    assert r.status_code == 403
    html = r.content.decode()
    assert SWITCH_FAILED in html
    return html


def hint_block(html: str) -> str:
    m = re.search(r'<div class="alert alert-info" role="note".*?</div>', html, re.S)
    assert m, html
    return m.group(0)


def test_the_failure_says_what_a_switch_needs(alice_client):
    html = failure(alice_client, "Admin")
    hint = hint_block(html)
    assert "trust policy" in hint and "sts:AssumeRole" in hint
    assert "arn:aws:iam::111122223333:role/Admin" in hint
    assert "arn:aws:iam::111122223333:user/alice" in hint
    assert "id_roles_use_switch-role-console" in hint


def test_missing_untrusting_and_unpermitted_roles_read_alike(alice_client, root):
    # Trusts the account, not alice: alice also needs sts:AssumeRole, which she has not.
    create_role(actor=root, name="Trusting", trust_policy=trust("111122223333"))
    create_role(actor=root, name="Untrusting", trust_policy=trust("arn:aws:iam::999999999999:root"))
    hints = [
        hint_block(failure(alice_client, name)).replace(name, "ROLE")
        for name in ("Missing", "Trusting", "Untrusting")
    ]
    assert hints[0] == hints[1] == hints[2]


def test_the_hint_escapes_what_was_typed(alice_client):
    r = alice_client.post(URL, {"account": "<b>x</b>", "role": "Admin"})
    assert "<b>x</b>" not in r.content.decode()
