"""Sign-up reveals no root email, is throttled per source address, and can be turned off."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts import throttle
from accounts.models import Account, ConsoleUser, PendingSignUp

pytestmark = pytest.mark.django_db

SIGNUP = "accounts:signup"


def form(email: str) -> dict[str, str]:
    return {"email": email, "password1": "Str0ng-password", "password2": "Str0ng-password"}


def _page(response) -> str:
    return re.sub(r'value="[^"]*"|"X-CSRFToken": "[^"]*"', "", response.content.decode())


def test_a_taken_and_a_free_email_get_the_same_answer_after_the_same_work(
    account, figure, monkeypatch
):
    work: list[str] = []
    real_encode, real_verify = Argon2PasswordHasher.encode, Argon2PasswordHasher.verify

    def encode(self, password, salt):
        work.append("encode")
        return real_encode(self, password, salt)

    def verify(self, password, encoded):
        work.append("verify")
        return real_verify(self, password, encoded)

    monkeypatch.setattr(Argon2PasswordHasher, "encode", encode)
    monkeypatch.setattr(Argon2PasswordHasher, "verify", verify)

    def probe(email: str):
        work.clear()
        client = Client()
        response = client.post(reverse(SIGNUP), form(email))
        hashes = list(work)
        followed = client.get(response["Location"]) if response.status_code == 302 else response
        session_user = client.session.get("_auth_user_id")
        return response.status_code, response.get("Location"), _page(followed), hashes, session_user

    taken = probe("root@example.com")  # tests/conftest.py's account
    free = probe("stranger@example.com")
    figure(
        f"taken: {taken[0]} -> {taken[1]}, {len(taken[3])} hash; "
        f"free: {free[0]} -> {free[1]}, {len(free[3])} hash; pages identical: {taken[2] == free[2]}"
    )
    assert taken == free
    assert taken[0] == 302 and taken[4] is None and taken[3] == ["encode"]
    # The difference travels by email, to the address's owner only.
    assert [m.to for m in mail.outbox] == [["root@example.com"], ["stranger@example.com"]]
    assert "already has one" in mail.outbox[0].body
    assert "/signup/confirm/" in mail.outbox[1].body
    assert Account.objects.count() == 1 and PendingSignUp.objects.count() == 1


def test_thirty_sign_up_probes_from_one_address_are_throttled(db, figure):
    client = Client(REMOTE_ADDR="198.51.100.23")
    statuses = [
        client.post(reverse(SIGNUP), form(f"probe{i}@example.com")).status_code for i in range(30)
    ]
    answered = statuses.count(302)
    throttled = statuses.count(429)
    other = Client(REMOTE_ADDR="203.0.113.5").post(reverse(SIGNUP), form("other@example.com"))
    figure(
        f"30 probes in a burst from one address: {answered} answered, {throttled} throttled (429); "
        f"another address: {other.status_code}"
    )
    assert answered <= throttle.FREE_FAILURES + 1 and throttled == 30 - answered
    assert len(mail.outbox) == answered + 1  # throttled requests send nothing
    assert other.status_code == 302


def test_sign_up_can_be_turned_off(db, settings, figure):
    settings.IAM_SIGNUP = False
    client = Client()
    page = client.get(reverse(SIGNUP))
    post = client.post(reverse(SIGNUP), form("new@example.com"))
    signin = client.get(reverse("accounts:signin")).content.decode()
    figure(
        f"IAM_SIGNUP=0: GET {page.status_code}, POST {post.status_code}, link shown: "
        f"{reverse(SIGNUP) in signin}"
    )
    assert page.status_code == 404 and post.status_code == 404
    assert reverse(SIGNUP) not in signin
    assert not ConsoleUser.objects.exists() and not mail.outbox
    settings.IAM_SIGNUP = True
    assert reverse(SIGNUP) in Client().get(reverse("accounts:signin")).content.decode()
