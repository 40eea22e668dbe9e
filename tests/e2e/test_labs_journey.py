"""A training class from start to end, in a real browser: the instructor signs in
(enrolling MFA), starts a class from a shipped lab and watches the grid; a trainee
signs in to a seat in another browser context (another session), completes an
objective in the console; the instructor's grid turns green without a reload; then
reset and end."""

from __future__ import annotations

import base64
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import TIMEOUT_MS, PageMonitor
from tests.e2e.helpers import sign_in_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "teacher@example.com"
PASSWORD = "Teacher-passw0rd!"
TRAINEE_PASSWORD = "Trainee-own-Passw0rd!"
LAB = "account-hygiene"  # shipped: "the password policy meets the benchmark" is console work
OBJECTIVE = "strong-password-policy"
GRID_POLL_MS = 15_000  # the grid polls every 3 s; grading a seat takes a moment


def watch(page: Page, monitor: PageMonitor) -> Page:
    """Record a second context's console errors, page errors and dialogs too."""

    def on_dialog(dialog) -> None:
        monitor.dialogs.append(f"{dialog.type}: {dialog.message!r} on {page.url}")
        dialog.dismiss()

    page.on(
        "console",
        lambda msg: monitor.console_errors.append(f"{msg.text} ({page.url})")
        if msg.type == "error"
        else None,
    )
    page.on("pageerror", lambda exc: monitor.page_errors.append(str(exc)))
    page.on("dialog", on_dialog)
    return page


def instructor_signs_in_and_enrolls(page: Page) -> None:
    from accounts.totp import code_at, current_step

    page.goto("/instructor/signin/")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Assign an MFA device")).to_be_visible()
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator(".secret").inner_text().strip()
    seed = base64.b32decode(secret + "=" * (-len(secret) % 8))
    t = current_step()
    page.get_by_label("MFA code 1").fill(code_at(seed, t - 1))
    page.get_by_label("MFA code 2").fill(code_at(seed, t))
    page.get_by_role("button", name="Add MFA").click()
    expect(page.get_by_role("heading", name="Classes")).to_be_visible()
    expect(page.locator(".topbar .identity")).to_contain_text(EMAIL)


def test_instructor_runs_a_class_and_sees_a_trainee_complete_an_objective(
    page, page_monitor, browser, live_server
):
    from accounts.models import Account, PasswordPolicy
    from labs.instructors import create_instructor
    from labs.models import LabClass, Seat

    create_instructor(email=EMAIL, password=PASSWORD)
    instructor_signs_in_and_enrolls(page)

    # Start a class from the shipped lab.
    page.get_by_role("link", name="Start a class").first.click()
    expect(page.get_by_role("heading", name="Start a class")).to_be_visible()
    page.get_by_label("A shipped lab").check()
    page.get_by_label("Shipped lab", exact=True).select_option(LAB)
    page.get_by_label("Class name").fill("hygiene")
    page.get_by_label("Number of seats").fill("2")
    page.get_by_role("button", name="Start class").click()
    expect(page.get_by_role("heading", name="hygiene", exact=True)).to_be_visible()
    expect(page.get_by_text("Class hygiene started with 2 seats.")).to_be_visible()
    cell = page.locator(f'#seat-1 td[data-objective="{OBJECTIVE}"]')
    expect(cell).to_have_class(re.compile(r"\bcell-pending\b"))
    score = page.locator("#seat-1 .seat-score")
    before, max_score = (int(n) for n in re.findall(r"\d+", score.inner_text()))
    expect(
        page.locator("#class-grid th", has_text="The password policy meets the benchmark")
    ).to_be_visible()

    # The handout tells the trainee where and how to sign in.
    page.get_by_role("link", name="Printable handout").click()
    first = page.locator(".handout-seat").first
    expect(first).to_contain_text("Seat 1")
    url = first.locator("dt:text-is('Console sign-in URL') + dd").inner_text().strip()
    user_name = first.locator("dt:text-is('User name') + dd").inner_text().strip()
    password = first.locator("dt:text-is('Initial password') + dd").inner_text().strip()
    assert url == f"{live_server.url}/signin/hygiene-1/" and user_name == "trainee"
    page.get_by_role("link", name="Back to class hygiene").click()
    expect(cell).to_be_visible()

    # The trainee, in another browser context (another session): the first sign-in asks
    # for a new password.
    trainee_context = browser.new_context(base_url=live_server.url)
    trainee_context.set_default_timeout(TIMEOUT_MS)
    trainee = watch(trainee_context.new_page(), page_monitor)
    try:
        sign_in_user(trainee, account="hygiene-1", user_name=user_name, password=password)
        expect(trainee.get_by_role("heading", name="Password change required")).to_be_visible()
        trainee.get_by_label("Old password").fill(password)
        trainee.get_by_label("New password", exact=True).fill(TRAINEE_PASSWORD)
        trainee.get_by_label("Retype new password").fill(TRAINEE_PASSWORD)
        trainee.get_by_role("button", name="Confirm password change").click()
        expect(trainee.get_by_text("Your password has been changed.")).to_be_visible()

        # The lab, from the console's navigation.
        nav = trainee.get_by_role("navigation", name="Identity and Access Management")
        nav.get_by_role("link", name=re.compile(r"^Lab: Account hygiene")).click()
        expect(trainee.get_by_role("heading", name=re.compile("^Account hygiene"))).to_be_visible()
        objective = trainee.locator(f"#objective-{OBJECTIVE}")
        expect(objective).to_contain_text("Not yet")
        objective.get_by_text("Show hint").click()
        expect(objective).to_contain_text("At least 14 characters")

        # Complete the objective in the console: the account's password policy.
        nav.get_by_role("link", name="Account settings").click()
        policy = trainee.locator("#settings-policy")
        policy.get_by_text("Edit password policy").click()
        policy.get_by_label("Password minimum length").fill("14")
        for label in [
            "Require at least one uppercase letter from the Latin alphabet (A-Z)",
            "Require at least one lowercase letter from the Latin alphabet (a-z)",
            "Require at least one number",
            "Require at least one non-alphanumeric character",
            "Prevent password reuse",
        ]:
            policy.get_by_label(label).check()
        policy.get_by_label("Remember passwords").fill("24")
        policy.get_by_role("button", name="Save changes").click()
        expect(policy).to_contain_text("Remembers the last 24 passwords")

        # The instructor's grid turns green by itself (htmx polling, no reload).
        expect(cell).to_have_class(re.compile(r"\bcell-passed\b"), timeout=GRID_POLL_MS)
        expect(cell).to_contain_text("Passed")
        expect(score).to_have_text(f"{before + 25} / {max_score}")  # the objective's points
        expect(page.locator("#seat-2 .seat-score")).to_have_text(f"{before} / {max_score}")

        # The trainee checks their progress in place.
        nav.get_by_role("link", name=re.compile(r"^Lab: ")).click()
        trainee.get_by_role("button", name="Check my progress").click()
        expect(trainee.get_by_text("Checked just now.")).to_be_visible()
        expect(objective).to_contain_text("Passed")
    finally:
        trainee_context.close()

    # Reset the seat: the policy is back to the lab's start, the cell to "Not yet".
    page.get_by_role("link", name="Reset seat 1").click()
    page.get_by_role("button", name="Reset seat").click()
    expect(page.get_by_text("Seat 1 was reset to the lab's start state.")).to_be_visible()
    expect(cell).to_have_class(re.compile(r"\bcell-pending\b"))
    seat = Seat.objects.get(lab_class__name="hygiene", number=1)
    assert PasswordPolicy.objects.get(account_id=seat.account_id).minimum_password_length == 8

    # End the class: its accounts are gone.
    accounts = list(
        Seat.objects.filter(lab_class__name="hygiene").values_list("account_id", flat=True)
    )
    page.get_by_role("link", name="End class").click()
    page.get_by_label("To confirm, enter the class name").fill("hygiene")
    page.get_by_role("button", name="End class").click()
    expect(page.get_by_text("Class hygiene ended")).to_be_visible()
    expect(page.get_by_role("link", name="hygiene", exact=True)).to_have_count(0)
    assert not LabClass.objects.filter(name="hygiene").exists()
    assert not Account.objects.filter(pk__in=accounts).exists()
