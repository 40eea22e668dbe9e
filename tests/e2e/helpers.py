"""Helpers for the e2e journeys: TOTP codes a device accepts, sign-in through the pages."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect


def next_code(device, seed: bytes) -> str:
    """A TOTP code the device accepts now: the server takes steps now-1..now+1 and each
    code once. Start at the current step (never now-1: the step may turn before the
    server checks), after the device's last used one; wait only when now+1 is used too."""
    from accounts.totp import code_at, current_step

    device.refresh_from_db()
    while True:
        now = current_step()
        step = max(now, (device.last_t or 0) + 1)
        if step <= now + 1:
            return code_at(seed, step)
        time.sleep(1)  # pragma: no cover (three codes within one 30-second step)


def sign_in_root(page: Page, *, email: str, password: str, device, seed: bytes) -> None:
    """Root sign-in through the real pages: email, password, MFA code."""
    page.goto("/signin/")
    page.get_by_label("Root user email address").fill(email)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Multi-factor authentication")).to_be_visible()
    page.get_by_label("MFA code", exact=True).fill(next_code(device, seed))
    page.get_by_role("button", name="Submit").click()
    expect(page.locator(".topbar .identity")).to_be_visible()


def sign_in_user(page: Page, *, account: str, user_name: str, password: str) -> None:
    """IAM user sign-in at /signin/<account>/ (the account is prefilled from the URL)."""
    page.goto(f"/signin/{account}/")
    page.get_by_label("IAM user name").fill(user_name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
