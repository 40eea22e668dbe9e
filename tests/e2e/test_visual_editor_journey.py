"""The visual policy editor in a real browser (issue 16, "A real policy editor").

A customer-managed policy is written in the visual editor (service IAM, GetUser and
ListUsers, a user ARN built from the resource type's ARN format, a condition), switched
to JSON (the document is the one expected, the live summary follows), switched back and
forth without edits (the text stays byte-equal) and saved: the stored default version is
the document shown. The same for an inline policy of a user. A document the visual
editor cannot show (NotAction) keeps it disabled, with the reason, until the JSON is
fixed. No CSP violation and no console error on the way (the page monitor checks).
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import OUTPUT_DIR
from tests.e2e.helpers import sign_in_root
from tests.e2e.test_accessibility import blocking_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ACCOUNT = "111122223333"
RECORD_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""
EXPECTED = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Statement1",
            "Effect": "Allow",
            "Action": ["iam:GetUser", "iam:ListUsers"],
            "Resource": [f"arn:aws:iam::{ACCOUNT}:user/alice"],
            "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        }
    ],
}


def sign_in(page, totp_device) -> None:
    from tests.conftest import TOTP_SEED

    page.add_init_script(RECORD_CSP)
    sign_in_root(
        page,
        email="root@example.com",
        password="root-password-1",
        device=totp_device,
        seed=TOTP_SEED,
    )


def write_json(page, text: str, field: str = "document") -> None:
    """The JSON written into the form field, which the code editor follows (as for any
    script writing the textarea). Not typed: Chrome's own editing of CodeMirror's
    contenteditable may try a style attribute the CSP refuses (tests/e2e/conftest.py)."""
    page.locator(f"textarea[name={field}]").evaluate(
        "(t, text) => { t.value = text; t.dispatchEvent(new Event('input')); }", text
    )


def choose_service(page, card, prefix: str) -> None:
    service = card.get_by_label("Service", exact=True)
    service.fill(prefix)
    service.press("Enter")
    expect(card.get_by_label("Filter actions")).to_be_visible()


def check_action(card, name: str) -> None:
    card.get_by_label("Filter actions").fill(name)
    card.get_by_role("checkbox", name=name, exact=True).check()


def test_a_policy_written_visually_switches_to_json_and_back_and_saves_the_same(page, totp_device):
    from policies.models import ManagedPolicy

    if page is None:
        return
    sign_in(page, totp_device)
    page.goto("/policies/create/")
    textarea = page.locator("textarea[name=document]")
    starter = textarea.input_value()

    # JSON -> visual -> JSON with no edit: the text is untouched.
    visual = page.get_by_role("button", name="Visual", exact=True)
    to_json = page.get_by_role("button", name="JSON", exact=True)
    visual.click()
    expect(visual).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".policy-editor-host")).to_be_hidden()
    to_json.click()
    expect(page.locator(".policy-editor-host .cm-content")).to_be_visible()
    assert textarea.input_value() == starter

    visual.click()
    card = page.get_by_role("region", name=re.compile(r"^Statement 1"))
    choose_service(page, card, "iam")
    check_action(card, "GetUser")
    check_action(card, "ListUsers")
    card.get_by_label("Filter actions").fill("")
    expect(card.get_by_role("group", name=re.compile(r"^Read \(1 of"))).to_be_attached()

    # The user ARN from the ARN format: arn:${Partition}:iam::${Account}:user/${...}.
    card.get_by_text("Add ARN: user", exact=True).click()
    builder = card.locator("details.pv-arn-builder[open]")
    expect(builder.get_by_label("Partition", exact=True)).to_have_value("aws")
    builder.get_by_role("button", name="Add user ARN").click()  # Account still empty
    expect(builder.get_by_role("status")).to_contain_text("Enter Account")
    builder.get_by_label("Account", exact=True).fill(ACCOUNT)
    builder.get_by_label("UserNameWithPath", exact=True).fill("alice")
    builder.get_by_role("button", name="Add user ARN").click()
    expect(card.get_by_role("textbox", name="Resource ARN 1")).to_have_value(
        f"arn:aws:iam::{ACCOUNT}:user/alice"
    )

    card.get_by_role("button", name="Add condition").click()
    condition = card.get_by_role("group", name="Condition 1")
    condition.get_by_label("Condition key").fill("aws:SourceIp")
    condition.get_by_label("Operator").select_option("IpAddress")
    condition.get_by_label("Values (one per line)").fill("203.0.113.0/24")

    # The live summary follows the visual edits (the same validation request as typing).
    validation = page.locator("#policy-validation")
    expect(validation.get_by_role("row").filter(has_text="IAM")).to_contain_text(
        "Limited: List, Read"
    )
    expect(validation).to_contain_text("No errors or warnings.")
    card.get_by_text("Add ARN: user", exact=True).click()  # the builder open, for axe too
    assert blocking_violations(page) == []
    if OUTPUT_DIR:
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUTPUT_DIR / "visual_editor_statement.png"), full_page=True)

    to_json.click()
    text = textarea.input_value()
    assert json.loads(text) == EXPECTED
    content = page.locator(".policy-editor-host .cm-content")
    expect(content).to_contain_text('"aws:SourceIp": "203.0.113.0/24"')

    # Back and forth without edits: byte-equal text, the cards show what was built.
    visual.click()
    card = page.get_by_role("region", name=re.compile(r"^Statement 1"))
    expect(card.get_by_label("Service", exact=True)).to_have_value(re.compile(r"\(iam\)$"))
    expect(card.get_by_role("checkbox", name="GetUser", exact=True)).to_be_checked()
    expect(card.get_by_role("checkbox", name="All resources (*)")).not_to_be_checked()
    to_json.click()
    assert textarea.input_value() == text
    visual.click()
    to_json.click()
    assert textarea.input_value() == text

    page.get_by_label("Policy name").fill("VisualReadUsers")
    page.get_by_role("button", name="Create policy").click()
    expect(page.get_by_text("Policy VisualReadUsers created.")).to_be_visible()
    policy = ManagedPolicy.objects.get(account_id=ACCOUNT, name="VisualReadUsers")
    assert json.loads(policy.default_version().document) == EXPECTED
    assert page.evaluate("window.__cspViolations") == []


def test_an_inline_user_policy_is_written_in_the_visual_editor(page, totp_device, iam_user):
    from policies.models import InlinePolicy

    if page is None:
        return
    sign_in(page, totp_device)
    page.goto("/users/alice/policies/inline/")
    textarea = page.locator("textarea[name=document]")
    write_json(page, "")
    page.get_by_role("button", name="Visual", exact=True).click()
    page.get_by_role("button", name="Add statement").click()
    card = page.get_by_role("region", name=re.compile(r"^Statement 1"))
    card.get_by_label("Deny", exact=True).check()
    choose_service(page, card, "Amazon S3 (s3)")
    card.get_by_label(re.compile(r"^All .* actions \(s3:\*\)$")).check()
    expect(card.get_by_role("checkbox", name="GetObject", exact=True)).to_be_disabled()
    card.get_by_label("All resources (*)").check()
    page.get_by_role("button", name="JSON", exact=True).click()
    text = textarea.input_value()
    expected = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Statement1", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}],
    }
    assert json.loads(text) == expected
    page.get_by_role("button", name="Visual", exact=True).click()
    page.get_by_role("button", name="JSON", exact=True).click()
    assert textarea.input_value() == text

    page.get_by_label("Policy name").fill("NoS3")
    page.get_by_role("button", name="Create policy").click()
    expect(page.get_by_text("Inline policy NoS3 saved.")).to_be_visible()
    stored = InlinePolicy.objects.get(user__name="alice", name="NoS3")
    assert json.loads(stored.document) == expected
    assert page.evaluate("window.__cspViolations") == []


def test_a_document_the_visual_editor_cannot_show_keeps_it_off_until_fixed(page, totp_device):
    if page is None:
        return
    sign_in(page, totp_device)
    page.goto("/policies/create/")
    content = page.locator(".policy-editor-host .cm-content")
    not_action = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}],
    }
    write_json(page, json.dumps(not_action, indent=4))
    expect(content).to_contain_text("NotAction")
    visual = page.get_by_role("button", name="Visual", exact=True)
    expect(visual).to_be_disabled()
    expect(page.locator(".pv-note")).to_contain_text("Statement 1 uses NotAction")
    write_json(page, '{"Version": "2012-10-17", "Statement": [')
    expect(page.locator(".pv-note")).to_contain_text("not valid JSON")
    # JSON.parse keeps only the last of two equal keys: never shown (it would drop one).
    write_json(page, '{"Version": "2012-10-17", "Statement": [], "Statement": []}')
    expect(page.locator(".pv-note")).to_contain_text("repeats a key")
    expect(visual).to_be_disabled()
    fixed = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:*"}]}
    write_json(page, json.dumps(fixed))
    expect(visual).to_be_enabled()
    visual.click()
    expect(page.get_by_role("checkbox", name=re.compile(r"\(iam:\*\)$"))).to_be_checked()
    page.get_by_role("button", name="JSON", exact=True).click()
    assert page.locator("textarea[name=document]").input_value() == json.dumps(fixed)
    assert page.evaluate("window.__cspViolations") == []


def test_a_service_control_policy_is_written_in_the_visual_editor(page, totp_device):
    """The Organizations SCP editor is the same editor (the RCP editor shares its template)."""
    from organizations.models import OrgPolicy

    if page is None:
        return
    sign_in(page, totp_device)
    page.get_by_role("link", name="AWS Organizations").first.click()
    page.get_by_role("button", name="Create an organization").click()
    expect(page.get_by_text("Organization created.")).to_be_visible()
    page.locator("#policy-types li", has_text="Service control policies").get_by_role(
        "button", name="Enable"
    ).click()
    expect(page.get_by_text("Service control policies (SCPs) enabled.")).to_be_visible()
    page.get_by_role("link", name="Service control policies").first.click()
    page.get_by_label("Name", exact=True).fill("NoUserCreation")

    write_json(page, "", field="content")
    # By keyboard: the switch, the new statement, the Effect and the action.
    visual = page.get_by_role("button", name="Visual", exact=True)
    expect(visual).to_be_enabled()  # the starter SCP ("Action": "*") cannot be shown
    visual.press("Enter")
    page.get_by_role("button", name="Add statement").press("Enter")
    card = page.get_by_role("region", name=re.compile(r"^Statement 1"))
    expect(card.get_by_label("Service", exact=True)).to_be_focused()
    card.get_by_label("Deny", exact=True).press("Space")
    choose_service(page, card, "iam")
    card.get_by_label("Filter actions").fill("CreateUser")
    card.get_by_role("checkbox", name="CreateUser", exact=True).press("Space")
    card.get_by_label("All resources (*)").press("Space")
    page.get_by_role("button", name="JSON", exact=True).press("Enter")
    text = page.locator("textarea[name=content]").input_value()
    expected = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Statement1",
                "Effect": "Deny",
                "Action": "iam:CreateUser",
                "Resource": "*",
            }
        ],
    }
    assert json.loads(text) == expected
    expect(page.locator("#policy-validation")).to_contain_text("No errors or warnings.")
    page.get_by_role("button", name="Create policy").click()
    expect(page.get_by_text("Policy NoUserCreation created.")).to_be_visible()
    assert json.loads(OrgPolicy.objects.get(name="NoUserCreation").content) == expected
    assert page.evaluate("window.__cspViolations") == []


def test_any_placeholder_in_the_arn_builder_makes_a_wildcard_arn_that_is_saved(page, totp_device):
    """ "Any <part>" puts "*" in that part of the ARN format (the part's box is disabled)."""
    from policies.models import ManagedPolicy

    if page is None:
        return
    sign_in(page, totp_device)
    page.goto("/policies/create/")
    textarea = page.locator("textarea[name=document]")
    write_json(page, "")
    page.get_by_role("button", name="Visual", exact=True).click()
    page.get_by_role("button", name="Add statement").click()
    card = page.get_by_role("region", name=re.compile(r"^Statement 1"))
    choose_service(page, card, "Amazon S3 (s3)")
    check_action(card, "GetObject")

    # object: arn:${Partition}:s3:::${BucketName}/${ObjectName}
    card.get_by_text("Add ARN: object", exact=True).click()
    builder = card.locator("details.pv-arn-builder[open]")
    builder.get_by_label("BucketName", exact=True).fill("reports")
    builder.get_by_label("Any ObjectName").check()
    expect(builder.get_by_label("ObjectName", exact=True)).to_be_disabled()
    builder.get_by_role("button", name="Add object ARN").click()
    expect(card.get_by_role("textbox", name="Resource ARN 1")).to_have_value(
        "arn:aws:s3:::reports/*"
    )

    # accesspointobject: arn:${Partition}:s3:${Region}:${Account}:accesspoint/${AccessPointName}/object/${ObjectName}
    card.get_by_text("Add ARN: accesspointobject", exact=True).click()
    builder = card.locator("details.pv-arn-builder[open]")
    builder.get_by_label("Any Region").check()
    builder.get_by_label("Any Account").check()
    builder.get_by_label("Any ObjectName").check()
    builder.get_by_role("button", name="Add accesspointobject ARN").click()  # name still empty
    expect(builder.get_by_role("status")).to_contain_text("Enter AccessPointName")
    builder.get_by_label("AccessPointName", exact=True).fill("reports-ap")
    builder.get_by_label("Any Account").uncheck()  # a part may be given after all
    expect(builder.get_by_label("Account", exact=True)).to_be_enabled()
    builder.get_by_label("Account", exact=True).fill(ACCOUNT)
    builder.get_by_role("button", name="Add accesspointobject ARN").click()
    expected_arns = [
        "arn:aws:s3:::reports/*",
        f"arn:aws:s3:*:{ACCOUNT}:accesspoint/reports-ap/object/*",
    ]
    expect(card.get_by_role("textbox", name="Resource ARN 2")).to_have_value(expected_arns[1])

    page.get_by_role("button", name="JSON", exact=True).click()
    text = textarea.input_value()
    expected = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Statement1",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": expected_arns,
            }
        ],
    }
    assert json.loads(text) == expected
    page.get_by_role("button", name="Visual", exact=True).click()
    card = page.get_by_role("region", name=re.compile(r"^Statement 1"))
    expect(card.get_by_role("textbox", name="Resource ARN 1")).to_have_value(expected_arns[0])
    page.get_by_role("button", name="JSON", exact=True).click()
    assert textarea.input_value() == text

    page.get_by_label("Policy name").fill("ReportsObjects")
    page.get_by_role("button", name="Create policy").click()
    expect(page.get_by_text("Policy ReportsObjects created.")).to_be_visible()
    policy = ManagedPolicy.objects.get(account_id=ACCOUNT, name="ReportsObjects")
    # The text shown, byte for byte (a form post sends a textarea's line ends as CRLF).
    assert policy.default_version().document.replace("\r\n", "\n") == text
    assert page.evaluate("window.__cspViolations") == []


def test_all_actions_gives_prefix_star_and_round_trips_byte_equal(page, totp_device):
    """ "All <service> actions (<prefix>:*)": checks and disables the per-action boxes,
    writes "<prefix>:*", and a document holding "<prefix>:*" (in any case) opens in
    visual mode and comes back byte-equal."""
    from policies.models import ManagedPolicy

    if page is None:
        return
    sign_in(page, totp_device)
    page.goto("/policies/create/")
    textarea = page.locator("textarea[name=document]")
    visual = page.get_by_role("button", name="Visual", exact=True)
    to_json = page.get_by_role("button", name="JSON", exact=True)

    # Written in JSON by hand: the prefix's case and the list shape are kept.
    by_hand = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["IAM:*"], "Resource": "*"}],
        },
        indent=2,
    )
    write_json(page, by_hand)
    expect(visual).to_be_enabled()
    visual.click()
    card = page.get_by_role("region", name=re.compile(r"^Statement 1"))
    all_iam = card.get_by_label(re.compile(r"^All .* actions \(iam:\*\)$"))
    expect(all_iam).to_be_checked()
    expect(card.get_by_role("checkbox", name="GetUser", exact=True)).to_be_checked()
    expect(card.get_by_role("checkbox", name="GetUser", exact=True)).to_be_disabled()
    to_json.click()
    assert textarea.input_value() == by_hand

    # Built in the visual editor: one action, then all of them.
    write_json(page, "")
    visual.click()
    page.get_by_role("button", name="Add statement").click()
    card = page.get_by_role("region", name=re.compile(r"^Statement 1"))
    choose_service(page, card, "Amazon S3 (s3)")
    check_action(card, "GetObject")
    card.get_by_label("Filter actions").fill("")
    all_s3 = card.get_by_label(re.compile(r"^All .* actions \(s3:\*\)$"))
    all_s3.check()
    card = page.get_by_role("region", name=re.compile(r"^Statement 1"))
    for name in ("GetObject", "PutObject", "ListBucket"):
        box = card.get_by_role("checkbox", name=name, exact=True)
        expect(box).to_be_checked()
        expect(box).to_be_disabled()
    expect(
        card.get_by_role("group", name=re.compile(r"^Read \((\d+) of \1 selected\)"))
    ).to_be_attached()
    card.get_by_label("All resources (*)").check()
    to_json.click()
    text = textarea.input_value()
    expected = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Statement1", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
    assert json.loads(text) == expected
    for _ in range(2):  # back and forth without edits: byte-equal
        visual.click()
        expect(
            page.get_by_role("region", name=re.compile(r"^Statement 1")).get_by_label(
                re.compile(r"\(s3:\*\)$")
            )
        ).to_be_checked()
        to_json.click()
        assert textarea.input_value() == text

    # Unchecked, the earlier single choice comes back; checked again, "s3:*".
    visual.click()
    card = page.get_by_role("region", name=re.compile(r"^Statement 1"))
    card.get_by_label(re.compile(r"\(s3:\*\)$")).uncheck()
    card = page.get_by_role("region", name=re.compile(r"^Statement 1"))
    expect(card.get_by_role("checkbox", name="GetObject", exact=True)).to_be_enabled()
    to_json.click()
    assert json.loads(textarea.input_value())["Statement"][0]["Action"] == "s3:GetObject"
    visual.click()
    card = page.get_by_role("region", name=re.compile(r"^Statement 1"))
    card.get_by_label(re.compile(r"\(s3:\*\)$")).check()
    to_json.click()
    assert textarea.input_value() == text

    page.get_by_label("Policy name").fill("AllS3")
    page.get_by_role("button", name="Create policy").click()
    expect(page.get_by_text("Policy AllS3 created.")).to_be_visible()
    policy = ManagedPolicy.objects.get(account_id=ACCOUNT, name="AllS3")
    assert policy.default_version().document.replace("\r\n", "\n") == text  # CRLF: form post
    assert page.evaluate("window.__cspViolations") == []
