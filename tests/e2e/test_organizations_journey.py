"""The organizations journey in a real headless Chromium: root creates an organization,
enables SCPs, an OU and a member account, writes an SCP in the editor and attaches it to
the OU; an admin of the management account switches into the member's
OrganizationAccountAccessRole and sees the SCP's denial explained in the simulator."""

from __future__ import annotations

import json
import os

import pytest

from tests.e2e.conftest import CHROMIUM

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"), reason="needs Chromium"
)

ACCOUNT = "111122223333"
OPS_PASSWORD = "Ops-password-1!"
DENY_CREATE_USER = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "NoUsers", "Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"}
        ],
    },
    indent=2,
)


def test_scp_on_an_ou_seen_from_the_member_through_switch_role(
    browser,
    page,
    page_monitor,
    live_server,
    root,
    totp_device,
):
    from playwright.sync_api import expect

    from accounts.operations.credentials import create_login_profile
    from accounts.operations.users import create_user
    from organizations.models import Member, OrganizationalUnit
    from policies.operations import attach_user_policy
    from tests.conftest import TOTP_SEED
    from tests.e2e.helpers import sign_in_root, sign_in_user

    create_user(actor=root, name="ops")
    create_login_profile(actor=root, user_name="ops", password=OPS_PASSWORD)
    attach_user_policy(
        actor=root, user_name="ops", policy_arn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    sign_in_root(
        page,
        email="root@example.com",
        password="root-password-1",
        device=totp_device,
        seed=TOTP_SEED,
    )

    page.get_by_role("link", name="AWS Organizations").first.click()
    page.get_by_role("button", name="Create an organization").click()
    expect(page.get_by_text("Organization created.")).to_be_visible()
    page.locator("#policy-types li", has_text="Service control policies").get_by_role(
        "button", name="Enable"
    ).click()
    expect(page.get_by_text("Service control policies (SCPs) enabled.")).to_be_visible()

    page.locator("#create-unit").get_by_label("Name").fill("lab")
    page.locator("#create-unit").get_by_role("button", name="Create").click()
    expect(page.get_by_text("Organizational unit lab created.")).to_be_visible()
    page.get_by_label("Account name").fill("Trainee")
    page.get_by_label("Email address of the account's owner").fill("trainee@example.com")
    page.get_by_role("button", name="Create AWS account").click()
    expect(page.get_by_text("Account Trainee (")).to_be_visible()
    member = Member.objects.get(name="Trainee").account_id
    lab = OrganizationalUnit.objects.get(name="lab").id
    page.locator("#move-account").get_by_label("Account").select_option(member)
    page.locator("#move-account").get_by_label("Destination").select_option(lab)
    page.locator("#move-account").get_by_role("button", name="Move").click()
    expect(page.get_by_text(f"Account {member} moved.")).to_be_visible()
    tree = page.locator("#organization-tree")
    expect(tree.locator(f"#node-{lab}")).to_contain_text("lab")
    expect(tree.locator(f"#node-{member}")).to_contain_text("Trainee")

    page.get_by_role("link", name="Service control policies").first.click()
    page.get_by_label("Name").fill("NoUsers")
    policy_editor = page.get_by_role("textbox", name="Policy", exact=True)  # the code editor
    expect(page.locator(".policy-editor-host .cm-content")).to_be_visible()
    policy_editor.fill(DENY_CREATE_USER)
    policy_editor.press("End")  # a pause in typing: the editor checks the text
    validation = page.locator("#policy-validation")
    expect(validation).to_contain_text(f"Characters: {len(DENY_CREATE_USER)} of 5120")
    expect(validation).to_contain_text("No errors or warnings.")
    page.get_by_role("button", name="Create policy").click()
    expect(page.get_by_text("Policy NoUsers created.")).to_be_visible()
    page.get_by_label("Attach to").select_option(lab)
    page.get_by_role("button", name="Attach").click()
    expect(page.get_by_text("Policy attached.")).to_be_visible()
    expect(page.locator(f"#target-{lab}")).to_contain_text("lab")

    # The management account's admin switches into the member account.
    context = browser.new_context(base_url=live_server.url)
    ops = context.new_page()
    try:
        sign_in_user(ops, account=ACCOUNT, user_name="ops", password=OPS_PASSWORD)
        ops.locator(".account-menu summary").click()  # Switch role is in the account menu
        ops.locator(".topbar").get_by_role("link", name="Switch role").click()
        ops.get_by_label("Account ID or alias").fill(member)
        ops.get_by_label("IAM role name").fill("OrganizationAccountAccessRole")
        ops.get_by_role("button", name="Switch role").click()
        expect(
            ops.get_by_text(
                f"You are now using the role OrganizationAccountAccessRole in {member}."
            )
        ).to_be_visible()
        # The member account's own view of its guardrails.
        ops.goto("/organizations/")
        expect(ops.locator(f"#level-{lab}")).to_contain_text("NoUsers")
        # The simulator explains the SCP's denial.
        ops.goto("/policies/")
        ops.get_by_role("link", name="Policy simulator").click()
        ops.get_by_label("User, group or role", exact=True).select_option(
            "role:OrganizationAccountAccessRole"
        )
        ops.get_by_label("Service", exact=True).select_option("iam")
        actions = ops.locator("#sim-actions")
        for name in ("CreateUser", "CreateGroup"):
            actions.get_by_label(name, exact=True).check()
        ops.get_by_role("button", name="Run simulation").click()
        results = ops.get_by_role("region", name="Results")

        def result(action: str):
            return results.locator("tbody.sim-result").filter(
                has=ops.get_by_role("cell", name=action, exact=True)
            )

        denied = result("iam:CreateUser")
        expect(denied.locator(".decision")).to_have_text("Explicit deny")
        expect(denied).to_contain_text(f"NoUsers (attached to {lab})")
        expect(result("iam:CreateGroup").locator(".decision")).to_have_text("Allowed")
    finally:
        context.close()
    assert page_monitor.problems() == []
