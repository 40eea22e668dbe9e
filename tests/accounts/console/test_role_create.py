"""Create role wizard: trusted entity (account, service, custom), permissions, details, review."""

from __future__ import annotations

import json

from django.urls import reverse

from accounts.models import Role
from audit.models import AuditEvent
from tests.conftest import HTMX

URL = "/roles/create/"
S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"


def wizard(client, data: dict, *, htmx: bool = True):
    return client.post(URL, data, headers=HTMX if htmx else {})


def details(**kw: str) -> dict:
    return {"name": "app-role", "description": "", "max_session_duration": "3600"} | kw


def tag_rows(*pairs: tuple[str, str]) -> dict:
    """Tags as the wizard's key/value rows post them (partials/tag_rows.html)."""
    out = {}
    for i, (key, value) in enumerate(pairs):
        out[f"tag-key-{i}"], out[f"tag-value-{i}"] = key, value
    return out


def create_through_every_step(client, trust: dict, *, policies=(), boundary="", **detail_kw):
    """Walk the wizard as a browser does: each response's hidden inputs carry the state."""
    r = wizard(client, {"step": "trust", "go": "next", **trust})
    assert r.status_code == 200, r.content.decode()[:2000]
    assert r.context["step"] == "permissions"
    carried = _carried(r)
    r = wizard(
        client,
        {
            **carried,
            "step": "permissions",
            "go": "next",
            "policies": list(policies),
            "boundary": boundary,
        },
    )
    assert r.context["step"] == "details", r.content.decode()[:2000]
    carried = _carried(r)
    r = wizard(client, {**carried, "step": "details", "go": "next", **details(**detail_kw)})
    assert r.status_code == 200 and r.context["step"] == "review", r.context["errors"]
    carried = _carried(r)
    return wizard(client, {**carried, "step": "review", "go": "create"})


def _carried(response) -> dict:
    out: dict[str, list[str]] = {}
    for name, value in response.context["carry"]:
        out.setdefault(name, []).append(value)
    return out


def test_wizard_page_renders_the_first_step(console):
    r = console.get(URL)
    html = r.content.decode()
    assert r.status_code == 200 and "Select trusted entity" in html
    assert 'value="account"' in html and 'value="service"' in html and 'value="custom"' in html


def test_steps_are_htmx_fragments(console):
    r = wizard(console, {"step": "trust", "go": "next", "entity_type": "service", "service": "ec2"})
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and 'id="wizard"' in html
    assert "Add permissions" in html


def test_account_with_external_id_and_mfa_generates_both_conditions(console, root):
    r = create_through_every_step(
        console,
        {
            "entity_type": "account",
            "account_choice": "other",
            "other_account_id": "444455556666",
            "require_external_id": "on",
            "external_id": "partner-42",
            "require_mfa": "on",
        },
        policies=[S3_READ],
    )
    assert r.status_code == 200 and r["HX-Redirect"] == "/roles/app-role/"
    role = Role.objects.get(name="app-role")
    assert json.loads(role.trust_policy) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"sts:ExternalId": "partner-42"},
                    "Bool": {"aws:MultiFactorAuthPresent": "true"},
                },
            }
        ],
    }
    assert [a.policy.arn for a in role.policy_attachments.all()] == [S3_READ]


def test_this_account_without_options_has_no_condition(console, root):
    r = create_through_every_step(console, {"entity_type": "account", "account_choice": "this"})
    assert r.status_code == 200
    statement = json.loads(Role.objects.get(name="app-role").trust_policy)["Statement"][0]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert "Condition" not in statement


def test_service_role_trusts_the_service_principal(console, root):
    r = create_through_every_step(
        console,
        {"entity_type": "service", "service": "lambda"},
        policies=[S3_READ, READ_ONLY],
        boundary=READ_ONLY,
        description="Runs the nightly job",
        max_session_duration="7200",
        **tag_rows(("team", "data"), ("env", "prod")),
    )
    assert r.status_code == 200
    role = Role.objects.get(name="app-role")
    statement = json.loads(role.trust_policy)["Statement"][0]
    assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert role.description == "Runs the nightly job" and role.max_session_duration == 7200
    assert role.tags == [{"Key": "team", "Value": "data"}, {"Key": "env", "Value": "prod"}]
    assert role.permissions_boundary.arn == READ_ONLY
    assert role.policy_attachments.count() == 2


def test_custom_trust_policy_with_an_error_is_held_then_fixed_in_place(console, root):
    broken = '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]\n}'
    # Live validation while typing: the finding is shown by line.
    r = console.post(
        reverse("accounts:role-trust-validate"),
        {"field": "custom_policy", "custom_policy": broken},
        headers=HTMX,
    )
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and "Ln 3" in html
    # "Next" refuses it and keeps what was typed.
    r = wizard(
        console, {"step": "trust", "go": "next", "entity_type": "custom", "custom_policy": broken}
    )
    assert r.status_code == 400 and r.context["step"] == "trust"
    assert "Fix the errors in the trust policy" in r.content.decode()
    fixed = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                }
            ],
        }
    )
    r = create_through_every_step(console, {"entity_type": "custom", "custom_policy": fixed})
    assert r.status_code == 200
    assert json.loads(Role.objects.get(name="app-role").trust_policy) == json.loads(fixed)


def test_bad_account_id_and_external_id_are_refused_on_step_one(console):
    r = wizard(
        console,
        {
            "step": "trust",
            "go": "next",
            "entity_type": "account",
            "account_choice": "other",
            "other_account_id": "12345",
            "require_external_id": "on",
            "external_id": "x",
        },
    )
    html = r.content.decode()
    assert r.status_code == 400 and "Enter a 12-digit AWS account ID." in html
    assert "The external ID must be 2 to 1,224 characters" in html


def test_trust_preview_follows_the_choices(console):
    r = console.post(
        reverse("accounts:role-trust-preview"),
        {"entity_type": "account", "account_choice": "this", "require_mfa": "on"},
        headers=HTMX,
    )
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html
    assert "aws:MultiFactorAuthPresent" in html and "arn:aws:iam::111122223333:root" in html


def test_details_step_refuses_bad_name_and_out_of_range_duration(console):
    r = wizard(
        console,
        {
            "step": "details",
            "go": "next",
            "entity_type": "service",
            "service": "ec2",
            **details(name="bad name!", max_session_duration="50000"),
        },
    )
    html = r.content.decode()
    assert r.status_code == 400 and r.context["step"] == "details"
    assert "roleName" in html
    assert "Member must have value between 3600 and 43200" in html


def test_previous_keeps_what_was_chosen(console):
    r = wizard(
        console, {"step": "trust", "go": "next", "entity_type": "service", "service": "ecs-tasks"}
    )
    carried = _carried(r)
    r = wizard(console, {**carried, "step": "permissions", "go": "back", "policies": [S3_READ]})
    assert r.context["step"] == "trust"
    assert 'value="ecs-tasks" selected' in r.content.decode()
    assert _carried(r)["policies"] == [S3_READ]


def test_failure_at_create_is_shown_in_place_and_creates_nothing(console, root):
    from accounts.operations.roles import create_role

    create_role(actor=root, name="taken", trust_policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }))  # fmt: skip
    data = {"step": "review", "go": "create", "entity_type": "service", "service": "ec2",
            "policies": [S3_READ, "arn:aws:iam::aws:policy/Nope"], **details()}  # fmt: skip
    r = wizard(console, data)
    html = r.content.decode()
    assert r.status_code == 404 and "<html" not in html
    assert "Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable." in html
    assert not Role.objects.filter(name="app-role").exists()
    assert AuditEvent.objects.filter(
        event_name="AttachRolePolicy", error_code="NoSuchEntity"
    ).exists()
    r = wizard(console, {**data, "name": "Taken", "policies": []})
    assert r.status_code == 409 and "Role with name Taken already exists." in r.content.decode()


def test_script_payloads_are_escaped_on_the_review_step(console):
    xss = "<script>alert(1)</script>"
    r = wizard(
        console,
        {"step": "details", "go": "next", "entity_type": "account", "account_choice": "this",
         "external_id": xss, **details(description=xss, **tag_rows(("k", xss)))},
    )  # fmt: skip
    html = r.content.decode()
    assert r.status_code == 400  # the tag value's characters are refused, and shown escaped
    assert xss not in html and "&lt;script&gt;" in html
    r = wizard(
        console,
        {"step": "details", "go": "next", "entity_type": "account", "account_choice": "this",
         **details(description=xss)},
    )  # fmt: skip
    html = r.content.decode()
    assert r.status_code == 200 and r.context["step"] == "review"
    assert xss not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_get_creates_nothing_and_post_without_csrf_is_refused(console):
    from django.test import Client

    assert console.get(URL, {"step": "review", "go": "create", "name": "x"}).status_code == 200
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = console.cookies
    r = strict.post(URL, {"step": "review", "go": "create", "entity_type": "service",
                          "service": "ec2", **details()})  # fmt: skip
    assert r.status_code == 403
    assert not Role.objects.exists()


def test_odd_duration_and_step_values_are_refused_not_a_500(console):
    for value in ("²", "٣٦٠٠", "-1", "", "9" * 40):
        r = wizard(
            console,
            {"step": "review", "go": "create", "entity_type": "service", "service": "ec2",
             **details(max_session_duration=value)},
        )  # fmt: skip
        assert r.status_code == 400 and r.context["step"] == "details", value
    r = wizard(console, {"step": "nowhere", "go": "goto:elsewhere"})
    assert r.status_code == 200 and r.context["step"] == "trust"
    assert not Role.objects.exists()


def test_user_without_permissions_is_told_at_once_with_aws_message(root, user_console):
    from accounts.operations.credentials import create_login_profile
    from accounts.operations.users import create_user

    user = create_user(actor=root, name="nobody")
    create_login_profile(actor=root, user_name="nobody", password="Long-enough-password-1!")
    r = user_console(user).get(URL)
    assert r.status_code == 403
    assert (
        "User: arn:aws:iam::111122223333:user/nobody is not authorized to perform: "
        "iam:ListPolicies" in r.content.decode()
    )


def test_tag_rows_can_be_added_and_removed_and_travel_to_the_review(console):
    base = {"step": "details", "entity_type": "account", "account_choice": "this", **details()}
    r = wizard(console, {**base, "go": "add_row", **tag_rows(("a", "1"))})
    assert r.status_code == 200 and r.context["step"] == "details"
    assert r.content.decode().count('name="tag-key-') == 3  # the row and two blank ones
    r = wizard(console, {**base, "remove_row": "a", **tag_rows(("a", "1"), ("b", "2"))})
    assert r.context["step"] == "details" and r.context["tag_rows"][0] == {"Key": "b", "Value": "2"}
    r = wizard(console, {**base, "go": "next", **tag_rows(("b", "2"))})
    assert r.context["step"] == "review" and r.context["tag_list"] == [{"Key": "b", "Value": "2"}]
    assert ("tag-key-0", "b") in r.context["carry"] and ("tag-value-0", "2") in r.context["carry"]
