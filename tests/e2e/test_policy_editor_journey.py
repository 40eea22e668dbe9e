"""The policy editor in a real browser: CodeMirror over the policy textarea, under the
site's CSP, with the engine's findings as lint markers at their line as one types.

The journey types a policy with a typo on line 3, sees the error marker on line 3 (in
the lint gutter, beside line number 3, and the underlined range in line 3), fixes the
typo by keyboard, sees the markers go and creates the policy with what was typed. No
CSP violation may happen on the way (CodeMirror's styles are adopted stylesheets in
the editor's shadow root, never an inline <style>).
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import OUTPUT_DIR
from tests.e2e.helpers import sign_in_root

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ACCOUNT = "111122223333"
# What a person types (Enter indents by itself, as in any code editor).
TYPED = (
    "{\n"
    '"Version": "2012-10-17",\n'
    '"Statment": [\n'
    '{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}\n'
    "]\n"
    "}"
)
EXPECTED = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}
    ],
}
# Every Content-Security-Policy violation the page reports, from the first script on.
RECORD_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""
# Which line numbers the lint gutter's markers stand beside (by their vertical middle).
MARKED_LINES = """() => {
  const host = document.querySelector(".policy-editor-host");
  const root = host.shadowRoot;
  const numbers = [...root.querySelectorAll(".cm-lineNumbers .cm-gutterElement")]
    .filter((el) => /^\\d+$/.test(el.textContent));
  return [...root.querySelectorAll(".cm-gutter-lint .cm-lint-marker")].map((m) => {
    const r = m.getBoundingClientRect(), mid = (r.top + r.bottom) / 2;
    const n = numbers.find((el) => {
      const b = el.getBoundingClientRect();
      return b.top <= mid && mid <= b.bottom;
    });
    return [n ? Number(n.textContent) : null, m.className];
  });
}"""
# The document lines (1-based) holding an underlined lint range.
UNDERLINED_LINES = """() => {
  const root = document.querySelector(".policy-editor-host").shadowRoot;
  const lines = [...root.querySelectorAll(".cm-content > .cm-line")];
  return lines.flatMap((line, i) => line.querySelector(".cm-lintRange-error") ? [i + 1] : []);
}"""


def test_a_typo_on_line_3_is_marked_on_line_3_fixed_and_the_policy_created(page, totp_device):
    from policies.models import ManagedPolicy
    from tests.conftest import TOTP_SEED

    if page is None:  # no browser under CI: the journey fails in its call (conftest.py)
        return
    page.add_init_script(RECORD_CSP)
    sign_in_root(
        page,
        email="root@example.com",
        password="root-password-1",
        device=totp_device,
        seed=TOTP_SEED,
    )
    page.get_by_role("navigation", name="Identity and Access Management").get_by_role(
        "link", name="Policies"
    ).click()
    page.get_by_role("link", name="Create policy").click()

    # JavaScript on: the textarea is hidden behind the code editor, which it mirrors.
    textarea = page.locator("textarea[name=document]")
    expect(textarea).to_be_hidden()
    editor = page.get_by_role("textbox", name="Policy editor")
    expect(editor).to_be_visible()
    expect(page.locator(".cm-lineNumbers")).to_be_visible()
    expect(page.locator(".cm-gutter-lint")).to_be_attached()

    # Start from an empty editor, then type the policy with a typo on line 3.
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    editor.press_sequentially(TYPED)
    expect(page.locator(".cm-content > .cm-line")).to_have_count(6)
    assert json.loads(textarea.input_value())["Statment"]  # the form field follows

    # The engine's finding, in the panel and in the editor, on line 3.
    validation = page.locator("#policy-validation")
    typo = validation.locator(".finding-error", has_text="'Statment'")
    expect(typo).to_contain_text("Ln 3")
    expect(page.locator(".cm-lintRange-error").first).to_be_visible()
    assert 3 in page.evaluate(UNDERLINED_LINES)
    marked = page.evaluate(MARKED_LINES)
    on_line_3 = [i for i, (line, cls) in enumerate(marked) if line == 3]
    assert on_line_3 and "cm-lint-marker-error" in marked[on_line_3[0]][1], marked
    # Hovering line 3's gutter marker tells what is wrong there.
    page.locator(".cm-gutter-lint .cm-lint-marker").nth(on_line_3[0]).hover()
    expect(page.locator(".cm-tooltip-lint")).to_contain_text("Statment")
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)  # the marker, for review
    page.screenshot(path=str(OUTPUT_DIR / "policy_editor_line_3_marked.png"), full_page=True)

    # Fix it by keyboard: line 3 retyped.
    page.locator(".cm-content > .cm-line").nth(2).click()
    page.keyboard.press("End")
    page.keyboard.press("Shift+Home")
    page.keyboard.type('"Statement": [')
    expect(validation).to_contain_text("No errors or warnings.")
    expect(page.locator(".cm-lintRange-error")).to_have_count(0)
    expect(page.locator(".cm-lint-marker-error")).to_have_count(0)
    assert json.loads(textarea.input_value()) == EXPECTED
    summary = validation.get_by_role("row").filter(has_text="Amazon S3")
    expect(summary).to_contain_text("Limited: Read")

    page.get_by_label("Policy name").fill("MonthlyReports")
    page.get_by_role("button", name="Create policy").click()
    policy = ManagedPolicy.objects.get(account_id=ACCOUNT, name="MonthlyReports")
    expect(page).to_have_url(re.compile(rf"/policies/{policy.policy_id}/$"))
    expect(page.get_by_text("Policy MonthlyReports created.")).to_be_visible()
    assert json.loads(policy.default_version().document) == EXPECTED
    assert page.evaluate("window.__cspViolations") == []


def test_without_javascript_the_plain_textarea_edits_the_policy(browser, live_server, totp_device):
    """JavaScript off: no editor, the textarea is the field and creates the policy."""
    from policies.models import ManagedPolicy
    from tests.conftest import TOTP_SEED

    if browser is None:
        pytest.fail("Chromium is missing (CI is set: the e2e journeys must run)")
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in_root(
            page,
            email="root@example.com",
            password="root-password-1",
            device=totp_device,
            seed=TOTP_SEED,
        )
        page.goto("/policies/create/")
        textarea = page.get_by_role("textbox", name="Policy editor")
        expect(textarea).to_be_visible()
        assert textarea.evaluate("(e) => e.tagName") == "TEXTAREA"
        expect(page.locator(".policy-editor-host")).to_have_count(0)
        textarea.fill(json.dumps(EXPECTED, indent=2))
        page.get_by_label("Policy name").fill("NoScript")
        page.get_by_role("button", name="Create policy").click()
        expect(page.get_by_text("Policy NoScript created.")).to_be_visible()
        policy = ManagedPolicy.objects.get(account_id=ACCOUNT, name="NoScript")
        assert json.loads(policy.default_version().document) == EXPECTED
    finally:
        context.close()


BROKEN_ON_LINE_3 = '{\n  "Version": "2012-10-17"\n  "Statement": []\n}'  # the comma missing


@pytest.mark.parametrize(
    "url",
    [
        "/users/alice/policies/inline/",
        "/groups/developers/policies/inline/",
        "/roles/Deployer/policies/inline/",
        "/roles/Deployer/trust/edit/",
        "/policies/{policy_id}/versions/create/",
    ],
)
def test_every_policy_document_editor_is_the_code_editor_with_markers(
    page, totp_device, root, iam_user, group, url
):
    """The same editor on every page that edits a policy document (the Organizations
    SCP editor is driven in test_organizations_journey.py)."""
    from accounts.operations.roles import create_role
    from policies.operations import create_policy
    from tests.conftest import TOTP_SEED

    if page is None:
        return
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    create_role(actor=root, name="Deployer", trust_policy=json.dumps(trust))
    policy = create_policy(actor=root, name="Reports", document=json.dumps(EXPECTED))
    page.add_init_script(RECORD_CSP)
    sign_in_root(
        page,
        email="root@example.com",
        password="root-password-1",
        device=totp_device,
        seed=TOTP_SEED,
    )
    page.goto(url.format(policy_id=policy.policy_id))
    expect(page.locator("textarea.policy-json")).to_be_hidden()
    content = page.locator(".policy-editor-host .cm-content")
    expect(content).to_be_visible()
    content.fill(BROKEN_ON_LINE_3)
    expect(page.locator("#policy-validation .finding-error")).to_contain_text("Ln 3")
    expect(page.locator(".cm-lint-marker-error")).to_have_count(1)
    assert page.evaluate(UNDERLINED_LINES) == [3]
    assert [line for line, _ in page.evaluate(MARKED_LINES)] == [3]
    assert page.evaluate("window.__cspViolations") == []


def test_the_role_wizards_custom_trust_policy_is_the_code_editor(page, totp_device):
    """Shown when "Custom trust policy" is picked: the editor measured after it was hidden."""
    from tests.conftest import TOTP_SEED

    if page is None:
        return
    page.add_init_script(RECORD_CSP)
    sign_in_root(
        page,
        email="root@example.com",
        password="root-password-1",
        device=totp_device,
        seed=TOTP_SEED,
    )
    page.goto("/roles/create/")
    page.locator("#type-custom").check()
    content = page.get_by_role("textbox", name="Trust policy (JSON)")
    expect(content).to_be_visible()
    assert content.evaluate("(e) => e.tagName") != "TEXTAREA"
    content.fill(BROKEN_ON_LINE_3)
    expect(page.locator("#policy-validation .finding-error")).to_contain_text("Ln 3")
    assert page.evaluate(UNDERLINED_LINES) == [3]
    assert [line for line, _ in page.evaluate(MARKED_LINES)] == [3]
    assert page.locator("textarea[name=custom_policy]").input_value() == BROKEN_ON_LINE_3
    assert page.evaluate("window.__cspViolations") == []
