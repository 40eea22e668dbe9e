"""Issue 16, "Lists", in real Chromium: filter as you type (htmx swaps the table and
pushes the URL), numbered pages, and the Preferences disclosure (columns, page size),
with no CSP refusal (the page monitor fails the journey on any console error)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import sign_in_root
from tests.e2e.test_accessibility import ROOT_EMAIL, ROOT_PASSWORD, axe_source, blocking_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_filter_pages_and_preferences_of_the_users_list(page, root, totp_device):
    from accounts.operations.users import create_user
    from tests.conftest import TOTP_SEED

    for i in range(30):
        create_user(actor=root, name=f"u{i:02d}")
    create_user(actor=root, name="zed")
    sign_in_root(page, email=ROOT_EMAIL, password=ROOT_PASSWORD, device=totp_device, seed=TOTP_SEED)
    page.goto("/users/")
    count = page.locator("#user-count")
    expect(count).to_have_text("(31)")
    table = page.locator("#user-table")

    # Typing filters in place: the table and the count change, the URL follows.
    page.get_by_role("searchbox", name="Find users by name").press_sequentially("U1")
    expect(count).to_have_text("(10)")
    expect(table.get_by_role("link", name="u10", exact=True)).to_be_visible()
    expect(table.get_by_role("link", name="zed")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/users/\?q=U1"))
    page.reload()  # the pushed URL keeps the filter
    expect(count).to_have_text("(10)")
    expect(page.get_by_role("searchbox", name="Find users by name")).to_have_value("U1")
    page.goto("/users/")

    # Preferences: page size 10, ARN shown, MFA hidden.
    page.locator(".list-preferences summary").click()
    prefs = page.locator(".preferences-form")
    expect(prefs).to_be_visible()
    if os_axe():
        assert blocking_violations(page) == []
    prefs.get_by_role("radio", name="10").check()
    prefs.get_by_role("checkbox", name="ARN").check()
    prefs.get_by_role("checkbox", name="MFA").uncheck()
    prefs.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile(r"/users/$"))
    header = table.locator("thead")
    expect(header.get_by_role("columnheader", name="ARN")).to_be_visible()
    expect(header.get_by_role("columnheader", name="MFA")).to_have_count(0)
    expect(table.locator("tbody tr")).to_have_count(10)

    # Numbered pages in place: 1 2 3 4, the current one marked.
    pager = page.get_by_role("navigation", name="Pages")
    expect(pager.locator('[aria-current="page"]')).to_have_text("Page 1")
    pager.get_by_role("link", name="Page 2").click()
    expect(pager.locator('[aria-current="page"]')).to_have_text("Page 2")
    expect(table.get_by_role("link", name="u10", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/users/\?page=2$"))
    pager.get_by_role("link", name="Next page").click()
    expect(pager.locator('[aria-current="page"]')).to_have_text("Page 3")
    expect(count).to_have_text("(31)")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/users/\?page=2$"))
    expect(table.get_by_role("link", name="u10", exact=True)).to_be_visible()
    if os_axe():
        assert blocking_violations(page) == []


def os_axe() -> bool:
    """axe-core installed (else the journey still runs, without its checks)."""
    try:
        axe_source()
    except pytest.skip.Exception:
        return False
    return True
