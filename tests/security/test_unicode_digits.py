"""Characters that ``str.isdigit`` calls digits but ``int`` and ``hmac.compare_digest``
refuse ("²", "٣"): wherever a page number, page size, marker offset or MFA code is
read, they are junk like any other, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.errors import ValidationError
from accounts.forms import MfaCodeForm
from accounts.totp import matching_step
from iamconsole.ops import encode_marker, page_list
from iamconsole.pages import page_number
from tests.conftest import HTMX

ODD = ["²", "٣", "²²", "1²"]


@pytest.mark.parametrize("raw", ODD)
def test_a_page_number_of_other_digits_is_page_one(raw):
    assert page_number(raw) == 1
    assert page_number(" 3 ") == 3


@pytest.mark.parametrize("raw", ODD)
def test_the_lists_take_other_digits_as_junk(console, group, raw):
    for url in (
        reverse("accounts:user-list"),
        reverse("accounts:group-list"),
        reverse("accounts:group-add-users", args=[group.name]),
    ):
        r = console.get(url, {"page": raw, "size": raw})
        assert r.status_code == 200, (url, r.status_code)


def test_the_create_user_wizards_tables_take_other_digits_as_junk(console):
    r = console.post(reverse("accounts:user-create"), {"step": "details", "name": "carol"})
    assert r.status_code == 302
    table = {**HTMX, "HX-Target": "policy-picker"}
    r = console.get("/users/create/picker/", {"page": "²"}, headers=table)
    assert r.status_code == 200


@pytest.mark.parametrize("raw", ODD)
def test_a_marker_of_other_digits_is_an_invalid_marker(raw):
    with pytest.raises(ValidationError):
        page_list(list(range(5)), marker=encode_marker(raw), max_items=2)


def test_an_mfa_code_of_other_digits_is_refused_by_the_form_and_matches_nothing():
    code = "²" * 6
    form = MfaCodeForm({"code": code})
    assert not form.is_valid()
    assert matching_step(b"x" * 20, code) is None
