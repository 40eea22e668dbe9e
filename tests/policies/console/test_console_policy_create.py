"""Create policy: live validation by line, summary, AWS errors as form errors, CSRF."""

from __future__ import annotations

import json

from django.test import Client
from django.urls import reverse

from policies.models import ManagedPolicy
from policies.operations import create_policy
from tests.conftest import HTMX, allow_policy
from tests.policies.console.conftest import S3_READ

CREATE = "/policies/create/"
VALIDATE = "/policies/validate/"

TYPO = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObjekt", "iam:PassRole"], "Resource": "*"}
  ]
}"""


def customer_policies():
    return ManagedPolicy.objects.filter(account__isnull=False)


def test_create_page_renders_the_editor_with_live_validation(console):
    r = console.get(reverse("policies:policy-create"))
    html = r.content.decode()
    assert r.status_code == 200
    assert 'hx-post="/policies/validate/"' in html
    assert 'hx-trigger="keyup changed delay:400ms' in html
    assert 'id="policy-validation"' in html


def test_validation_fragment_lists_findings_by_line_and_column(console):
    r = console.post(VALIDATE, {"document": TYPO}, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html
    assert "ERROR" in html and "Ln 4, Col" in html and "GetObjekt" in html
    assert "SECURITY_WARNING" in html and "iam:PassRole" in html
    assert "Errors: 1" in html and "Security: 1" in html


def test_validation_fragment_shows_the_summary_by_service_and_access_level(console):
    html = console.post(VALIDATE, {"document": S3_READ}, headers=HTMX).content.decode()
    assert "No errors or warnings" in html
    assert "Amazon S3" in html and "Limited: Read" in html
    assert "Permissions management" in html  # the access level columns


def test_json_syntax_error_points_at_its_line(console):
    html = console.post(
        VALIDATE, {"document": '{\n  "Version": "2012-10-17",\n  "Statement": [\n'}
    ).content.decode()
    assert "JSON_SYNTAX_ERROR" in html and "Ln 4" in html


def test_invalid_document_is_refused_inline_then_the_fixed_one_is_created(console):
    bad = TYPO.replace('"Effect": "Allow"', '"Effect": "Allowed"')
    r = console.post(CREATE, {"name": "readers", "document": bad})
    html = r.content.decode()
    assert r.status_code == 400
    assert '<p class="field-error">Syntax errors in policy.</p>' in html  # IAM's own text
    # The live panel is rendered again for what was typed, finding by line.
    assert "Effect must be Allow or Deny, not &#x27;Allowed&#x27;" in html and "Ln 4" in html
    assert not customer_policies().exists()

    r = console.post(
        CREATE, {"name": "readers", "document": S3_READ, "description": "S3", "tags": "team=data"}
    )
    assert r.status_code == 302
    policy = customer_policies().get(name="readers")
    assert r["Location"] == reverse("policies:policy-detail", args=[policy.policy_id])
    assert policy.tags == [{"Key": "team", "Value": "data"}]
    assert "Policy readers created." in console.get(r["Location"]).content.decode()


def test_unparsable_json_is_a_malformed_policy_document(console):
    r = console.post(CREATE, {"name": "broken", "document": "{not json"})
    assert r.status_code == 400 and "Syntax errors in policy." in r.content.decode()
    assert not customer_policies().exists()


def test_oversize_document_is_refused_with_limit_exceeded(console):
    statements = [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::bucket-{n:05d}/*"}
        for n in range(200)
    ]
    big = json.dumps({"Version": "2012-10-17", "Statement": statements})
    r = console.post(CREATE, {"name": "huge", "document": big})
    html = r.content.decode()
    assert r.status_code == 409 and "Cannot exceed quota for PolicySize: 6144" in html
    assert "count-size over" in html
    assert not customer_policies().exists()


def test_duplicate_name_is_shown_by_the_name_field(console, root):
    create_policy(actor=root, name="Readers", document=allow_policy())
    r = console.post(CREATE, {"name": "readers", "document": S3_READ})
    assert r.status_code == 409
    assert "A policy called readers already exists" in r.content.decode()
    assert customer_policies().count() == 1


def test_invalid_name_is_a_validation_error(console):
    r = console.post(CREATE, {"name": "bad name!", "document": S3_READ})
    assert r.status_code == 400 and "policyName" in r.content.decode()
    assert not customer_policies().exists()


def test_bad_tag_line_is_a_form_error(console):
    r = console.post(CREATE, {"name": "ok", "document": S3_READ, "tags": "no-equals-sign"})
    assert r.status_code == 400 and "key=value" in r.content.decode()
    assert not customer_policies().exists()


def test_script_in_name_and_description_is_escaped_and_refused(console):
    evil = "<script>alert(1)</script>"
    r = console.post(
        CREATE,
        {"name": evil, "document": S3_READ.replace("ReadBuckets", evil), "description": evil},
    )
    html = r.content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not customer_policies().exists()


def test_validation_fragment_escapes_what_was_typed(console):
    html = console.post(
        VALIDATE, {"document": '{"Version": "<img src=x onerror=alert(1)>"}'}
    ).content.decode()
    assert "<img" not in html


def test_post_without_csrf_token_is_refused(root_user, totp_device, console):
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = console.cookies  # the same signed-in session, but no token
    r = strict.post(CREATE, {"name": "nope", "document": S3_READ})
    assert r.status_code == 403
    assert strict.post(VALIDATE, {"document": S3_READ}).status_code == 403
    assert not customer_policies().exists()


def test_get_never_creates(console):
    console.get(CREATE, {"name": "via-get", "document": S3_READ})
    assert not customer_policies().exists()
