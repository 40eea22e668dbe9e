"""The AWS Organizations console: the management account's tree, create-OU, create-
account, move, policy types, policies with the editor, attach/detach, effective policies;
a member account's read-only view of its SCPs; refusals shown as AWS's errors."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from accounts.errors import AccessDenied
from accounts.operations.users import create_user, list_users
from accounts.principal import root_principal
from organizations import operations as o
from organizations.models import Member, OrganizationalUnit, OrgPolicy, OrgPolicyAttachment
from policies.operations import attach_user_policy
from tests.conftest import HTMX, signed_in
from tests.organizations.conftest import DENY_CREATE_USER

SCP = "SERVICE_CONTROL_POLICY"


def test_an_account_outside_any_organization_is_offered_to_create_one(client, root):
    console = signed_in(client, root)
    page = console.get(reverse("organizations:overview"))
    assert page.status_code == 200 and b"Create an organization" in page.content
    done = console.post(reverse("organizations:create"))
    assert done.status_code == 302
    page = console.get(reverse("organizations:overview"))
    org = o.describe_organization(actor=root)
    assert org.id in page.content.decode() and b'id="organization-tree"' in page.content


def test_the_management_account_builds_its_tree(client, root, org):
    console = signed_in(client, root)
    r = console.post(
        reverse("organizations:unit-create"), {"parent_id": org.root_id, "name": "lab"}
    )
    assert r.status_code == 302
    unit = OrganizationalUnit.objects.get(name="lab")
    r = console.post(
        reverse("organizations:account-create"),
        {"account_name": "Trainee", "email": "trainee@example.com", "role_name": ""},
    )
    assert r.status_code == 302
    member = Member.objects.get(name="Trainee")
    r = console.post(
        reverse("organizations:account-move"),
        {"account_id": member.account_id, "destination_id": unit.id},
    )
    assert r.status_code == 302
    member.refresh_from_db()
    assert member.parent_id == unit.id
    page = console.get(reverse("organizations:overview")).content.decode()
    assert f'id="node-{unit.id}"' in page and f'id="node-{member.account_id}"' in page
    assert page.index(f'id="node-{unit.id}"') < page.index(f'id="node-{member.account_id}"')
    # A duplicate name is AWS's error, shown as the error page with its status.
    r = console.post(
        reverse("organizations:unit-create"), {"parent_id": org.root_id, "name": "lab"}
    )
    assert r.status_code == 400 and b"DuplicateOrganizationalUnitException" in r.content


def test_policies_are_written_validated_attached_and_shown_per_target(
    client, root, org, member_account
):
    console = signed_in(client, root)
    r = console.post(reverse("organizations:policy-type"), {"policy_type": SCP, "enable": "1"})
    assert r.status_code == 302
    check = console.post(
        reverse("organizations:policy-validate"),
        {
            "type": SCP,
            "content": '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}',
        },
        headers=HTMX,
    )
    assert b"PRINCIPAL_NOT_ALLOWED" in check.content and b"of 5120" in check.content
    bad = console.post(
        reverse("organizations:policies") + f"?type={SCP}",
        {"type": SCP, "name": "bad", "description": "", "content": "not json"},
    )
    assert bad.status_code == 400 and b"MalformedPolicyDocumentException" in bad.content
    assert not OrgPolicy.objects.filter(name="bad").exists()
    r = console.post(
        reverse("organizations:policies") + f"?type={SCP}",
        {"type": SCP, "name": "NoUsers", "description": "d", "content": DENY_CREATE_USER},
    )
    policy = OrgPolicy.objects.get(name="NoUsers")
    assert r.status_code == 302 and r["Location"] == reverse(
        "organizations:policy", args=[policy.id]
    )
    r = console.post(
        reverse("organizations:policy", args=[policy.id]),
        {"action": "attach", "target_id": member_account},
    )
    assert r.status_code == 302
    assert OrgPolicyAttachment.objects.filter(policy=policy, target_id=member_account).exists()
    detail = console.get(reverse("organizations:policy", args=[policy.id])).content.decode()
    assert f'id="target-{member_account}"' in detail
    effective = console.get(reverse("organizations:target", args=[member_account])).content.decode()
    assert "NoUsers" in effective and "FullAWSAccess" in effective
    assert f'id="level-{org.root_id}"' in effective
    # The last SCP of a target cannot be detached: AWS's refusal, in place.
    r = console.post(
        reverse("organizations:policy", args=["p-FullAWSAccess"]),
        {"action": "detach", "target_id": org.root_id},
    )
    assert r.status_code == 400 and b"ConstraintViolationException" in r.content
    listed = console.get(reverse("organizations:policies") + f"?type={SCP}").content.decode()
    assert "NoUsers" in listed and "p-FullAWSAccess" in listed


def test_a_member_account_sees_the_scps_that_apply_to_it_read_only(
    root, org, member_account, scps_enabled
):
    _, policy = o.create_policy(
        actor=root, content=DENY_CREATE_USER, description="", name="NoUsers", policy_type=SCP
    )
    o.attach_policy(actor=root, policy_id=policy.id, target_id=member_account)
    console = signed_in(Client(), root_principal(member_account))
    page = console.get(reverse("organizations:overview"))
    html = page.content.decode()
    assert page.status_code == 200 and 'id="member-view"' in html
    assert f'id="level-{org.root_id}"' in html and f'id="level-{member_account}"' in html
    assert "NoUsers" in html and "iam:CreateUser" in html
    assert 'id="organization-tree"' not in html
    # Management pages answer AWS's refusal.
    r = console.get(reverse("organizations:policies"))
    assert r.status_code == 400 and b"AccessDeniedException" in r.content


def test_policy_content_is_escaped(client, root, org, scps_enabled):
    content = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "x", "Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"}
            ],
        }
    )
    _, policy = o.create_policy(
        actor=root,
        content=content,
        description="<script>alert(1)</script>",
        name="<b>n</b>",
        policy_type=SCP,
    )
    console = signed_in(client, root)
    html = console.get(reverse("organizations:policy", args=[policy.id])).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;b&gt;n&lt;/b&gt;" in html


def test_switch_role_from_the_management_account_into_a_created_account(
    user_console, root, alice_login, org, member_account, scps_enabled
):
    """An admin of the management account switches into OrganizationAccountAccessRole of
    a member it created; the member's SCPs then bind the session."""

    attach_user_policy(
        actor=root, user_name="alice", policy_arn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    c = user_console(alice_login)
    r = c.post(
        reverse("accounts:switch-role"),
        {"account": member_account, "role": "OrganizationAccountAccessRole", "display_name": ""},
    )
    assert r.status_code == 302
    principal = c.get("/").wsgi_request.principal
    assert principal.arn == (
        f"arn:aws:sts::{member_account}:assumed-role/OrganizationAccountAccessRole/alice"
    )
    assert list_users(actor=principal, path_prefix=None, marker=None, max_items=10)
    _, policy = o.create_policy(
        actor=root, content=DENY_CREATE_USER, description="", name="NoUsers", policy_type=SCP
    )
    o.attach_policy(actor=root, policy_id=policy.id, target_id=member_account)
    session = c.get("/").wsgi_request.principal
    with pytest.raises(AccessDenied) as e:
        create_user(actor=session, name="blocked")
    assert "service control policy" in e.value.message
