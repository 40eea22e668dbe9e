"""The policy simulator: users, groups, roles and pasted policies; decisions and why."""

from __future__ import annotations

import json

from accounts.operations.groups import add_user_to_group
from accounts.operations.roles import create_role
from audit.models import AuditEvent
from policies.operations import (
    attach_group_policy,
    attach_user_policy,
    create_policy,
    put_role_policy,
    put_user_permissions_boundary,
    put_user_policy,
)
from tests.conftest import HTMX, allow_policy

SIM = "/policies/simulator/"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
DENY_SECRETS = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NoSecrets",
                "Effect": "Deny",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::secrets/*",
            }
        ],
    }
)


def run(client, **fields):
    data = {"source": "entity", "resources": "*", **fields}
    return client.post(SIM, data, headers=HTMX)


def rows(html: str) -> list[str]:
    return html.split('<tbody class="sim-result">')[1:]


def test_simulator_page_lists_the_accounts_users_groups_and_roles(console, root, iam_user, group):
    create_role(actor=root, name="app", trust_policy=TRUST)
    r = console.get(SIM)
    html = r.content.decode()
    assert r.status_code == 200
    assert 'value="user:alice"' in html and 'value="group:developers"' in html
    assert 'value="role:app"' in html
    assert "Amazon S3 (s3)" in html  # services from the catalog


def test_service_select_loads_its_actions_as_a_fragment(console):
    r = console.get("/policies/simulator/actions/", {"service": "s3"}, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html
    assert 'value="s3:GetObject"' in html and "Select all" in html


def test_user_allowed_explicit_and_implicit_deny_with_the_why(console, root, iam_user, group):
    s3 = create_policy(actor=root, name="s3-read", document=allow_policy("s3:Get*"))
    attach_group_policy(actor=root, group_name="developers", policy_arn=s3.arn)
    add_user_to_group(actor=root, group_name="developers", user_name="alice")
    put_user_policy(actor=root, user_name="alice", policy_name="no-secrets", document=DENY_SECRETS)
    r = run(
        console,
        entity="user:alice",
        service="s3",
        actions=["s3:GetObject", "s3:PutObject"],
        resources="arn:aws:s3:::public/a.txt\narn:aws:s3:::secrets/key",
    )
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html
    results = rows(html)
    assert len(results) == 4
    get_public, get_secret, put_public, _put_secret = results
    assert "Allowed" in get_public and "s3-read (via group developers)" in get_public
    assert "Explicit deny" in get_secret and "NoSecrets" in get_secret
    assert "no-secrets (inline)" in get_secret
    assert "Implicit deny" in put_public
    assert "No identity-based policy allows" in put_public
    # The why: every statement, matched or not and which element failed.
    assert "Matched" in get_public
    assert "No match (Resource)" in get_public and "does not match" in get_public
    assert "No match (Action)" in put_public and "s3:PutObject is not among" in put_public


def test_permissions_boundary_limits_the_user(console, root, iam_user):
    attach_user_policy(
        actor=root, user_name="alice", policy_arn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    put_user_permissions_boundary(
        actor=root, user_name="alice", policy_arn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    )
    html = run(
        console, entity="user:alice", extra_actions="s3:GetObject, ec2:RunInstances"
    ).content.decode()
    s3_row, ec2_row = rows(html)
    assert "Allowed" in s3_row
    assert "Implicit deny" in ec2_row and "permissions boundary does not" in ec2_row
    assert "AmazonS3ReadOnlyAccess (permissions boundary)" in html


def test_role_is_simulated_as_a_session_of_the_role(console, root):
    create_role(actor=root, name="app", trust_policy=TRUST)
    put_role_policy(
        actor=root, role_name="app", policy_name="logs", document=allow_policy("logs:*")
    )
    html = run(console, entity="role:app", extra_actions="logs:PutLogEvents").content.decode()
    assert "assumed-role/app/" in html and "Allowed" in rows(html)[0]


def test_group_is_simulated_with_its_own_policies(console, root, group):
    attach_group_policy(
        actor=root, group_name="developers", policy_arn="arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    )
    html = run(
        console, entity="group:developers", extra_actions="iam:ListUsers iam:CreateUser"
    ).content.decode()
    list_row, create_row = rows(html)
    assert "Allowed" in list_row and "IAMReadOnlyAccess" in list_row
    assert "Implicit deny" in create_row


def test_select_all_actions_of_a_service(console, root, iam_user):
    from policies.engine import catalog

    html = run(console, entity="user:alice", service="sts", all_actions="on").content.decode()
    assert len(rows(html)) == len(catalog.actions("sts"))


def test_context_keys_decide_conditions(console, root, iam_user):
    mfa_only = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "ec2:StopInstances",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                }
            ],
        }
    )
    put_user_policy(actor=root, user_name="alice", policy_name="mfa", document=mfa_only)
    without = run(console, entity="user:alice", extra_actions="ec2:StopInstances").content.decode()
    assert "Implicit deny" in without and "No match (Condition)" in without
    with_mfa = run(
        console,
        entity="user:alice",
        extra_actions="ec2:StopInstances",
        context="aws:MultiFactorAuthPresent=true",
    ).content.decode()
    assert "Allowed" in rows(with_mfa)[0]


def test_pasted_policies_are_simulated_for_a_placeholder_user(console):
    docs = allow_policy("dynamodb:*") + "\n---\n" + DENY_SECRETS
    html = run(
        console,
        source="custom",
        policies=docs,
        extra_actions="dynamodb:GetItem s3:GetObject",
        resources="arn:aws:s3:::secrets/x",
    ).content.decode()
    dynamo, s3 = rows(html)
    assert "Allowed" in dynamo and "Policy 1" in dynamo
    assert "Explicit deny" in s3 and "Policy 2" in s3
    assert "user/iam-policy-simulator" in html  # never root, who would be allowed all


def test_malformed_pasted_policy_is_an_error_not_a_500(console):
    r = run(console, source="custom", policies="{nope", extra_actions="s3:GetObject")
    assert r.status_code == 400 and "Syntax errors in policy." in r.content.decode()


def test_missing_choices_are_form_errors(console):
    r = run(console, entity="", extra_actions="s3:GetObject")
    assert r.status_code == 400 and "Choose a user, group or role." in r.content.decode()
    r = run(console, source="custom", policies=allow_policy())
    assert r.status_code == 400 and "Choose at least one action" in r.content.decode()


def test_unknown_entity_is_a_404(console):
    r = run(console, entity="user:ghost", extra_actions="s3:GetObject")
    assert r.status_code == 404


def test_load_actions_without_javascript_rerenders_the_form(console):
    r = console.post(SIM, {"source": "entity", "service": "sqs", "load_actions": "1"})
    html = r.content.decode()
    assert r.status_code == 200 and 'value="sqs:SendMessage"' in html
    assert "sim-results" not in html


def test_script_in_pasted_policy_and_context_is_escaped(console):
    evil = "<script>alert(1)</script>"
    doc = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "x",
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{evil}",
                }
            ],
        }
    )
    html = run(
        console,
        source="custom",
        policies=doc,
        extra_actions="s3:GetObject",
        resources=f"arn:aws:s3:::{evil}",
        context=f"aws:UserAgent={evil}",
    ).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_denied_simulation_is_audited(console, root, iam_user, iam_console):
    client = iam_console("reader", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    r = run(client, entity="user:alice", extra_actions="s3:GetObject")
    assert r.status_code == 403
    assert "iam:SimulatePrincipalPolicy" in r.content.decode()
    assert AuditEvent.objects.filter(
        event_name="SimulatePrincipalPolicy", allowed=False, actor_arn__endswith="user/reader"
    ).exists()
