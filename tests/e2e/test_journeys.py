"""The journeys people take through the console, in a real browser.

Data a journey is not about is made through the operations layer (fast, and the
same code the console calls); what the journey is about is done through the pages,
with the labels and button names a person reads.
"""

from __future__ import annotations

import base64
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import next_code, sign_in_root, sign_in_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_root_signs_up_enrolls_mfa_and_sees_the_account_on_the_dashboard(page):
    from accounts.models import Account
    from accounts.totp import code_at, current_step

    page.goto("/signup/")
    page.get_by_label("Root user email address").fill("owner@example.com")
    page.get_by_label("Root user password", exact=True).fill("Owner-password-1")
    page.get_by_label("Confirm root user password").fill("Owner-password-1")
    page.get_by_label("Account alias (optional)").fill("owner-lab")
    page.get_by_role("button", name="Create account").click()

    # The same page for every email: the account is made by the emailed link.
    from django.core import mail

    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    link = re.search(r"/signup/confirm/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.get_by_label("Password").fill("Owner-password-1")
    page.get_by_role("button", name="Create account").click()

    expect(
        page.get_by_role("heading", name="Assign an MFA device to the root user")
    ).to_be_visible()
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator(".secret").inner_text().strip()
    seed = base64.b32decode(secret + "=" * (-len(secret) % 8))
    t = current_step()
    page.get_by_label("MFA code 1").fill(code_at(seed, t - 1))
    page.get_by_label("MFA code 2").fill(code_at(seed, t))
    page.get_by_role("button", name="Add MFA").click()

    account = Account.objects.get(alias="owner-lab")
    expect(page.get_by_role("heading", name="IAM dashboard")).to_be_visible()
    expect(page.locator(".topbar .identity")).to_contain_text(account.id)
    card = page.locator("section", has=page.get_by_role("heading", name="AWS account"))
    expect(card).to_contain_text(account.id)
    expect(card).to_contain_text("owner-lab")
    expect(page.get_by_text("Root user has MFA")).to_be_visible()
    assert re.fullmatch(r"\d{12}", account.id)


ACCOUNT = "111122223333"
ROOT_EMAIL = "root@example.com"
ROOT_PASSWORD = "root-password-1"  # tests/conftest.py's ``account``
IAM_READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
CHANGE_PASSWORD = "arn:aws:iam::aws:policy/IAMUserChangePassword"
# Chromium logs every 4xx answer, and htmx logs the 4xx it swaps in (policies.js lets
# it): the pages answer AWS errors (AccessDenied) with their status.
EXPECTED_403 = r"status of 403|Response Status Error Code 403 "


@pytest.fixture
def signed_in_root(page, totp_device):
    from tests.conftest import TOTP_SEED

    if page is None:  # no browser under CI: the journey fails in its call (conftest.py)
        return page
    sign_in_root(page, email=ROOT_EMAIL, password=ROOT_PASSWORD, device=totp_device, seed=TOTP_SEED)
    return page


def pick_policy(page, name: str) -> None:
    """Find a managed policy in the wizard's picker (filtered in place) and tick it."""
    search = page.locator("#id_policies_q")
    search.clear()
    search.press_sequentially(name)  # the list refreshes on keyup, as a person types
    picker = page.locator("#policy-picker")
    row = picker.get_by_role("row").filter(has=page.get_by_text(name, exact=True))
    expect(picker.get_by_role("row")).to_have_count(2)  # the header and the one match
    row.get_by_role("checkbox").check()


def test_root_creates_a_console_user_and_an_access_key_and_downloads_its_csv(
    signed_in_root, page, totp_device, root, tmp_path
):
    from accounts.models import AccessKey, IamUser
    from policies.operations import list_attached_user_policies
    from tests.conftest import TOTP_SEED

    page.get_by_role("navigation", name="Identity and Access Management").get_by_role(
        "link", name="Users"
    ).click()
    page.get_by_role("link", name="Create user").click()

    # 1. Details: console access with a custom password that must be changed.
    page.get_by_label("User name").fill("bob")
    page.get_by_label("Provide user access to the AWS Management Console").check()
    page.get_by_role("radio", name="Custom password").check()
    page.get_by_label("Custom password", exact=True).and_(page.locator("[type=password]")).fill(
        "Bob-first-Passw0rd!"
    )
    page.get_by_label("Users must create a new password at next sign-in").check()
    page.get_by_role("button", name="Next").click()

    # 2. Permissions: attach policies directly (read-only IAM, and the right to change
    # the password the user must reset).
    expect(page.get_by_role("heading", name="Set permissions", exact=True)).to_be_visible()
    page.get_by_role("radio", name="Attach policies directly").check()
    pick_policy(page, "IAMReadOnlyAccess")
    pick_policy(page, "IAMUserChangePassword")
    page.get_by_role("button", name="Next").click()

    # 3. Tags: none. 4. Review and create.
    expect(page.get_by_role("heading", name="Add tags (optional)")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Review and create")).to_be_visible()
    expect(page.get_by_text(IAM_READ_ONLY)).to_be_visible()
    expect(page.get_by_text(CHANGE_PASSWORD)).to_be_visible()
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_text("User bob created.")).to_be_visible()
    expect(page.get_by_text("The custom password you set")).to_be_visible()

    bob = IamUser.objects.get(account_id=ACCOUNT, name="bob")
    assert bob.console.password_reset_required
    attached = list_attached_user_policies(actor=root, user_name="bob").items
    assert {p.arn for p in attached} == {IAM_READ_ONLY, CHANGE_PASSWORD}

    # The access key: Security credentials, Create access key, a fresh MFA code first.
    page.get_by_role("link", name="View user").click()
    expect(page.get_by_role("heading", name="bob", exact=True)).to_be_visible()
    page.get_by_role("navigation", name="User sections").get_by_role(
        "link", name="Security credentials"
    ).click()
    page.get_by_role("button", name="Create access key").click()
    # AWS's use-case step (with its alternative to tick) and the optional description.
    create = page.get_by_role("dialog", name="Create access key")
    create.get_by_role("radio", name="Command Line Interface (CLI)").check()
    create.get_by_label("I understand the above recommendation").check()
    create.get_by_role("button", name="Create access key").click()
    expect(page.get_by_role("dialog", name="Confirm with MFA")).to_be_visible()
    page.get_by_label("MFA code").fill(next_code(totp_device, TOTP_SEED))
    page.get_by_role("button", name="Confirm").click()

    panel = page.get_by_role("region", name="Retrieve access key")
    expect(panel).to_be_visible()
    panel.get_by_text("Show", exact=True).click()  # the secret sits behind "Show"
    key_id = panel.locator("dd.secret-value").first.inner_text().strip()
    secret = panel.locator("#new-key-secret").inner_text().strip()
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", key_id)
    assert len(secret) == 40
    assert AccessKey.objects.filter(user=bob, access_key_id=key_id).exists()

    with page.expect_download() as info:
        panel.get_by_role("button", name="Download .csv file").click()
    download = info.value
    assert download.suggested_filename == "bob_accessKeys.csv"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    rows = [line.split(",") for line in path.read_text("utf-8").splitlines()]
    assert rows == [["Access key ID", "Secret access key"], [key_id, secret]]

    # Done: the key is listed, its secret is not on the page any more.
    panel.get_by_role("link", name="Done").click()
    expect(page.get_by_role("row").filter(has_text=key_id)).to_contain_text("Active")
    expect(page.get_by_text(secret)).to_have_count(0)


def test_iam_user_signs_in_changes_the_password_and_sees_only_what_policies_allow(
    page, page_monitor, root
):
    from accounts.operations.credentials import create_login_profile
    from accounts.operations.users import create_user
    from policies.operations import attach_user_policy

    create_user(actor=root, name="carol")
    create_user(actor=root, name="dan")
    create_login_profile(
        actor=root, user_name="carol", password="Carol-first-1!", password_reset_required=True
    )
    attach_user_policy(actor=root, user_name="carol", policy_arn=IAM_READ_ONLY)
    attach_user_policy(actor=root, user_name="carol", policy_arn=CHANGE_PASSWORD)

    sign_in_user(page, account=ACCOUNT, user_name="carol", password="Carol-first-1!")

    # Forced to change the password before any console page opens.
    expect(page.get_by_role("heading", name="Password change required")).to_be_visible()
    page.goto("/users/")
    expect(page.get_by_role("heading", name="Password change required")).to_be_visible()
    page.get_by_label("Old password").fill("Carol-first-1!")
    page.get_by_label("New password", exact=True).fill("Carol-second-2!")
    page.get_by_label("Retype new password").fill("Carol-second-2!")
    page.get_by_role("button", name="Confirm password change").click()
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()
    identity = page.locator(".topbar .identity")
    expect(identity).to_contain_text("carol")
    expect(identity).to_contain_text(ACCOUNT)

    # IAMReadOnlyAccess: the users list shows.
    page.get_by_role("navigation", name="Identity and Access Management").get_by_role(
        "link", name="Users"
    ).click()
    users = page.locator("#user-table")
    expect(users.get_by_role("link", name="carol", exact=True)).to_be_visible()
    expect(users.get_by_role("link", name="dan", exact=True)).to_be_visible()

    # Creating a user is not allowed: opening the form already answers AWS's AccessDenied.
    page_monitor.expect(EXPECTED_403)
    page.get_by_role("link", name="Create user").click()
    expect(page.locator("body")).to_contain_text(
        f"User: arn:aws:iam::{ACCOUNT}:user/carol is not authorized to perform: "
        f"iam:CreateUser on resource: arn:aws:iam::{ACCOUNT}:user/*"
    )


READER_POLICY = """{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::reports/*"
        }
    ]
}"""


def test_policy_editor_shows_findings_in_place_and_creates_the_policy(signed_in_root, page):
    from policies.models import ManagedPolicy

    page.get_by_role("navigation", name="Identity and Access Management").get_by_role(
        "link", name="Policies"
    ).click()
    page.get_by_role("link", name="Create policy").click()
    page.evaluate("window.__sameDocument = true")  # gone if anything reloads the page

    # The code editor over the textarea (static/js/policy-editor.bundle.js).
    editor = page.get_by_role("textbox", name="Policy editor")
    expect(page.locator(".policy-editor-host .cm-content")).to_be_visible()
    validation = page.locator("#policy-validation")
    # A missing comma: the finding appears with its line, and no summary is offered.
    editor.fill(READER_POLICY.replace('"s3:GetObject",', '"s3:GetObject"'))
    editor.press("End")  # the check runs when typing pauses
    finding = validation.locator(".finding")
    expect(finding).to_have_count(1)
    expect(finding).to_contain_text("ERROR")
    expect(finding).to_contain_text("Ln 7")
    expect(finding).to_contain_text("JSON_SYNTAX_ERROR")
    expect(validation).to_contain_text("Errors: 1")
    expect(validation.get_by_role("heading", name="Summary")).to_have_count(0)

    # Fixed: the finding goes, the summary (service, access level) comes.
    editor.fill(READER_POLICY)
    editor.press("End")
    expect(validation.locator(".finding")).to_have_count(0)
    expect(validation).to_contain_text("No errors or warnings.")
    expect(validation).to_contain_text("Errors: 0")
    expect(validation.get_by_role("heading", name="Summary")).to_be_visible()
    summary = validation.get_by_role("row").filter(has_text="Amazon S3")
    expect(summary).to_contain_text("Allow")
    expect(summary).to_contain_text("Limited: Read")
    assert page.evaluate("window.__sameDocument") is True  # all of it happened in place

    page.get_by_label("Policy name").fill("ReportsReader")
    page.get_by_label("Description").fill("Read the monthly reports")
    page.get_by_role("button", name="Create policy").click()

    policy = ManagedPolicy.objects.get(account_id=ACCOUNT, name="ReportsReader")
    expect(page).to_have_url(re.compile(rf"/policies/{policy.policy_id}/$"))
    expect(page.get_by_role("heading", name="ReportsReader", exact=True)).to_be_visible()
    expect(page.get_by_text("Policy ReportsReader created.")).to_be_visible()
    details = page.locator("section", has=page.get_by_role("heading", name="Policy details"))
    expect(details).to_contain_text("Customer managed")
    expect(details).to_contain_text(f"arn:aws:iam::{ACCOUNT}:policy/ReportsReader")
    expect(details).to_contain_text("Read the monthly reports")


def test_policy_simulator_shows_each_decision_with_the_deciding_statement(
    signed_in_root, page, root
):
    import json

    from accounts.operations.users import create_user
    from policies.operations import put_user_policy

    create_user(actor=root, name="frank")
    put_user_policy(
        actor=root,
        user_name="frank",
        policy_name="Reports",
        document=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "ReadReports", "Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
                    {
                        "Sid": "NoDeletes",
                        "Effect": "Deny",
                        "Action": "s3:DeleteObject",
                        "Resource": "*",
                    },
                ],
            }
        ),
    )

    page.goto("/policies/")
    page.get_by_role("link", name="Policy simulator").click()
    page.get_by_label("User, group or role", exact=True).select_option(label="frank")
    page.get_by_label("Service", exact=True).select_option("s3")
    actions = page.locator("#sim-actions")
    for name in ("GetObject", "PutObject", "DeleteObject"):
        actions.get_by_label(name, exact=True).check()  # loaded in place for the service
    page.get_by_role("button", name="Run simulation").click()

    results = page.get_by_role("region", name="Results")
    expect(results).to_contain_text(f"arn:aws:iam::{ACCOUNT}:user/frank")

    def result(action: str):
        return results.locator("tbody.sim-result").filter(
            has=page.get_by_role("cell", name=action, exact=True)
        )

    allowed = result("s3:GetObject")
    expect(allowed.locator(".decision")).to_have_text("Allowed")
    expect(allowed).to_contain_text("Reports")
    expect(allowed).to_contain_text("statement 1 (ReadReports), Allow")

    denied = result("s3:DeleteObject")
    expect(denied.locator(".decision")).to_have_text("Explicit deny")
    expect(denied).to_contain_text("statement 2 (NoDeletes), Deny")

    implicit = result("s3:PutObject")
    expect(implicit.locator(".decision")).to_have_text("Implicit deny")
    # The "why" trace lists the statements that did not match, and why.
    implicit.get_by_text("Why:").click()
    trace = implicit.locator("table.trace")
    expect(trace).to_be_visible()
    expect(trace.get_by_role("row").filter(has_text="ReadReports")).to_contain_text("No match")


def test_iam_user_switches_to_a_role_and_back(page, page_monitor, root):
    import json

    from accounts.operations.credentials import create_login_profile
    from accounts.operations.roles import create_role
    from accounts.operations.users import create_user
    from policies.operations import attach_role_policy

    grace = create_user(actor=root, name="grace")
    create_login_profile(actor=root, user_name="grace", password="Grace-password-1!")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": grace.arn}, "Action": "sts:AssumeRole"}
        ],
    }
    create_role(actor=root, name="Auditor", trust_policy=json.dumps(trust))
    attach_role_policy(actor=root, role_name="Auditor", policy_arn=IAM_READ_ONLY)

    # grace has no policy of her own (all she needs is the role's trust): the dashboard
    # she lands on answers iam:GetAccountSummary's AccessDenied with 403, and so do the
    # pages she opens after switching back.
    page_monitor.expect(EXPECTED_403)
    sign_in_user(page, account=ACCOUNT, user_name="grace", password="Grace-password-1!")
    header = page.locator(".topbar")
    expect(header.locator(".identity")).to_contain_text("grace")

    header.locator(".account-menu summary").click()  # Switch role is in the account menu
    header.get_by_role("link", name="Switch role").click()
    expect(page.get_by_role("heading", name="Switch role")).to_be_visible()
    page.get_by_label("Account ID or alias").fill(ACCOUNT)
    page.get_by_label("IAM role name").fill("Auditor")
    page.get_by_label("Display name (optional)").fill("Audit")
    page.get_by_role("button", name="Switch role").click()

    expect(page.get_by_text(f"You are now using the role Auditor in {ACCOUNT}.")).to_be_visible()
    session = header.locator(".identity-role")
    expect(session).to_contain_text("Audit")
    expect(session).to_contain_text(f"Auditor @ {ACCOUNT}")
    expect(session).to_contain_text("signed in as grace")
    expect(session).to_have_attribute("title", f"arn:aws:sts::{ACCOUNT}:assumed-role/Auditor/grace")

    # The role's permissions are in force: IAMReadOnlyAccess lists users.
    page.goto("/users/")
    expect(page.locator("#user-table").get_by_role("link", name="grace")).to_be_visible()

    header.get_by_role("button", name="Switch back").click()
    expect(page.get_by_text("You are back to your own identity, grace.")).to_be_visible()
    expect(header.locator(".identity-role")).to_have_count(0)
    expect(header.locator(".identity")).to_contain_text("grace")
    expect(header.get_by_role("button", name="Switch back")).to_have_count(0)

    # grace alone has no policy: the users list is denied again, with AWS's message.
    page.goto("/users/")
    expect(page.get_by_role("alert")).to_contain_text(
        f"User: arn:aws:iam::{ACCOUNT}:user/grace is not authorized to perform: iam:ListUsers"
    )


# -- XSS: payloads in every free-text field AWS allows them in -----------------------------

P_SCRIPT = "<script>alert(1)</script>"
P_IMG = '"><img src=x onerror=alert(1)>'
P_JS = "javascript:alert(1)"
P_TEXTAREA = "</textarea><script>alert(1)</script>"
# AWS tag values allow only letters, digits, spaces and _.:/=+-@ (no parentheses, no
# angle brackets, and the operations enforce it): the nearest payload is a bare
# javascript: URL, which must never become a link.
TAG_JS = "javascript:alert"
DESCRIPTION = f"{P_SCRIPT} {P_IMG} {P_JS}"


def _payload_policy(*values: str) -> str:
    import json

    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Payloads",
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "*",
                    "Condition": {"StringLike": {"aws:UserAgent": list(values)}},
                }
            ],
        },
        indent=4,
    )


def _trust_with_payload() -> str:
    import json

    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": P_TEXTAREA}},
                }
            ],
        },
        indent=4,
    )


SHOWN_TEXT = """() => [document.body.innerText,
    ...Array.from(document.querySelectorAll("input, textarea"), (e) => e.value)].join("\\n")"""


def shown_text(page) -> str:
    """What a person reads on the page: rendered text and the values of form fields."""
    return page.evaluate(SHOWN_TEXT)


def assert_nothing_injected(page, url: str) -> None:
    """What an injection would leave in the DOM (the CSP might keep it from running, so
    the absence of a dialog alone proves little): inline scripts, the <img onerror>,
    javascript: links."""
    dom = {
        "inline <script>": page.locator("script:not([src])").count(),
        "<img src=x>": page.locator("img[src='x']").count(),
        "[onerror]": page.locator("[onerror]").count(),
        "javascript: link": page.locator("a[href^='javascript' i]").count(),
    }
    assert not any(dom.values()), f"{url}: injected markup {dom}"


def test_payloads_in_names_tags_descriptions_and_policy_json_render_as_text(
    signed_in_root, page, page_monitor, root
):
    from accounts.operations.roles import create_role
    from accounts.operations.users import create_user
    from policies.operations import (
        create_policy,
        create_policy_version,
        put_role_policy,
        put_user_policy,
    )

    create_user(actor=root, name="xss-user", tags=[{"Key": "homepage", "Value": TAG_JS}])
    put_user_policy(
        actor=root,
        user_name="xss-user",
        policy_name="XssInline",
        document=_payload_policy(P_TEXTAREA, P_IMG),
    )
    create_role(
        actor=root,
        name="XssRole",
        trust_policy=_trust_with_payload(),
        description=DESCRIPTION,
        tags=[{"Key": "homepage", "Value": TAG_JS}],
    )
    put_role_policy(
        actor=root,
        role_name="XssRole",
        policy_name="XssInline",
        document=_payload_policy(P_TEXTAREA, P_IMG),
    )
    policy = create_policy(
        actor=root,
        name="XssPolicy",
        document=_payload_policy(P_TEXTAREA),
        description=DESCRIPTION,
        tags=[{"Key": "homepage", "Value": TAG_JS}],
    )
    create_policy_version(
        actor=root,
        arn=policy.arn,
        document=_payload_policy(P_TEXTAREA, P_SCRIPT, P_IMG),
        set_as_default=True,
    )
    pid = policy.policy_id

    # (url, texts that must show literally, textareas whose value must hold P_TEXTAREA)
    pages: list[tuple[str, list[str], int]] = [
        ("/users/", ["xss-user"], 0),
        ("/users/xss-user/", ["XssInline"], 0),
        ("/users/xss-user/tags/", [TAG_JS], 0),
        ("/users/xss-user/policies/inline/?policy=XssInline", [], 1),
        ("/roles/", ["XssRole"], 0),
        ("/roles/XssRole/", [P_SCRIPT, P_IMG, P_JS], 0),
        ("/roles/XssRole/trust/", [P_TEXTAREA], 0),
        ("/roles/XssRole/tags/", [TAG_JS], 0),
        ("/roles/XssRole/trust/edit/", [], 1),
        ("/policies/?scope=Local", ["XssPolicy"], 0),
        (f"/policies/{pid}/", [DESCRIPTION, P_TEXTAREA, P_SCRIPT, P_IMG], 0),
        (f"/policies/{pid}/?tab=tags", [TAG_JS], 0),
        (f"/policies/{pid}/?tab=versions", ["v1", "v2"], 0),
        (f"/policies/{pid}/versions/diff/?a=v1&b=v2", [P_TEXTAREA, P_SCRIPT, P_IMG], 0),
        (f"/policies/{pid}/versions/diff/?a=v1&b=v2&mode=unified", [P_SCRIPT, P_IMG], 0),
        (f"/policies/{pid}/versions/create/", [], 1),
    ]
    for url, texts, textareas in pages:
        response = page.goto(url)
        assert response is not None and response.status == 200, f"{url}: {response.status}"
        page.wait_for_load_state()  # deferred scripts (htmx) ran
        shown = shown_text(page)
        for text in texts:
            assert text in shown, f"{url} does not show {text!r} literally"
        if textareas:
            values = [t.input_value() for t in page.locator("textarea").all()]
            assert any(P_TEXTAREA in v for v in values), f"{url}: textarea lost the payload"
        assert_nothing_injected(page, url)
        assert page_monitor.dialogs == [], f"{url}: {page_monitor.dialogs}"

    # Event history: what a caller sends that the trail keeps as text (the user agent, an
    # error message quoting the bad value) shows as text too.
    from accounts.errors import IamError
    from accounts.operations.roles import tag_role
    from accounts.principal import root_principal

    caller = root_principal(ACCOUNT, source_ip="127.0.0.1", user_agent=DESCRIPTION)
    tag_role(actor=caller, name="XssRole", tags=[{"Key": "team", "Value": "red"}])
    with pytest.raises(IamError):
        create_user(actor=caller, name=P_IMG)
    page.goto("/events/")
    for name in ("TagRole", "CreateUser"):
        event = (
            page.get_by_role("row")
            .filter(has=page.get_by_role("group").filter(has_text=name))
            .first
        )
        event.locator("summary").click()
        expect(event.locator(".event-details")).to_contain_text(DESCRIPTION)
    failed = page.get_by_role("row").filter(has_text="CreateUser").filter(has_text="Error").first
    expect(failed).to_contain_text(P_IMG)
    assert_nothing_injected(page, "/events/")
