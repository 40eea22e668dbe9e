"""A member account closed with CloseAccount (SUSPENDED): AWS ("Closing an AWS account"):
"Immediately, the account can no longer be used for any AWS activity other than signing
in as the root user". Its users, roles, sessions and root are refused everywhere (boto3's
IAM and STS, the console), its roles can't be assumed from outside, and an ACTIVE sibling
account goes on as before."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from django.urls import reverse

from accounts.errors import AccessDenied
from tests.api.conftest import ACCOUNT_A, Creds, allow, error_code
from tests.organizations.conftest import keys_for

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def _admin_keys(account_id: str) -> Creds:
    """An IAM user "admin" with AdministratorAccess in ``account_id``, and its access key."""
    from accounts.operations.users import create_user
    from accounts.principal import root_principal
    from policies.operations import attach_user_policy

    owner = root_principal(account_id)
    create_user(actor=owner, name="admin")
    attach_user_policy(actor=owner, user_name="admin", policy_arn=ADMIN)
    return keys_for(account_id, "admin")


def _session(api, creds: Creds, role_arn: str, name: str) -> Creds:
    out = api.sts(creds).assume_role(RoleArn=role_arn, RoleSessionName=name)["Credentials"]
    return Creds(out["AccessKeyId"], out["SecretAccessKey"], out["SessionToken"])


def _refused(call, *args, **kwargs) -> str:
    with pytest.raises(ClientError) as e:
        call(*args, **kwargs)
    assert error_code(e) == "AccessDenied", e.value.response["Error"]
    return e.value.response["Error"]["Message"]


def test_a_closed_accounts_principals_are_refused_and_its_sibling_is_not(api, acct, orgs, tree):
    member = tree["member"]
    sibling = orgs.create_account(Email="sibling@example.com", AccountName="sibling")[
        "CreateAccountStatus"
    ]["AccountId"]
    access_role = f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole"
    admin = _admin_keys(member)
    member_root = keys_for(member)
    sibling_admin = _admin_keys(sibling)
    _, mgmt_admin = acct.make_user("ops", policy=allow("*"))
    # Before the closure everything works: the admin's IAM calls, the root's, a role
    # assumed from inside the account and from the management account.
    admin_iam = api.iam(admin)
    admin_iam.create_user(UserName="before")
    api.iam(member_root).list_users()
    admin_iam.create_role(
        RoleName="worker",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{member}:root"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    admin_iam.attach_role_policy(RoleName="worker", PolicyArn=ADMIN)
    worker = _session(api, admin, f"arn:aws:iam::{member}:role/worker", "early")
    api.iam(worker).list_roles()
    mgmt_session = _session(api, mgmt_admin, access_role, "early")
    api.iam(mgmt_session).list_users()

    orgs.close_account(AccountId=member)
    assert orgs.describe_account(AccountId=member)["Account"]["Status"] == "SUSPENDED"

    # The very next request of each of its principals is refused.
    message = _refused(admin_iam.list_users)
    assert "explicit deny in a service control policy" in message
    _refused(admin_iam.create_user, UserName="after")
    _refused(api.iam(member_root).list_users)
    _refused(api.iam(worker).list_roles)  # a session issued before the closure
    _refused(api.iam(mgmt_session).list_users)  # the management's session into it
    # Its roles can no longer be assumed, from inside or from the management account.
    _refused(api.sts(admin).assume_role, RoleArn=access_role, RoleSessionName="late")
    _refused(
        api.sts(mgmt_admin).assume_role,
        RoleArn=f"arn:aws:iam::{member}:role/worker",
        RoleSessionName="late",
    )
    _refused(api.sts(mgmt_admin).assume_role, RoleArn=access_role, RoleSessionName="late")
    # Nothing was made while closed.
    from accounts.models import IamUser

    assert not IamUser.objects.filter(account_id=member, name="after").exists()

    # The ACTIVE sibling account and the management account are unaffected.
    sibling_iam = api.iam(sibling_admin)
    sibling_iam.create_user(UserName="still-fine")
    assert "still-fine" in [u["UserName"] for u in sibling_iam.list_users()["Users"]]
    sibling_session = _session(
        api, mgmt_admin, f"arn:aws:iam::{sibling}:role/OrganizationAccountAccessRole", "ok"
    )
    api.iam(sibling_session).list_users()
    api.iam(mgmt_admin).list_users()
    assert {a["Id"]: a["Status"] for a in orgs.list_accounts()["Accounts"]} == {
        ACCOUNT_A: "ACTIVE",
        member: "SUSPENDED",
        sibling: "ACTIVE",
    }


def test_closing_needs_no_scps_enabled(api, orgs):
    """The closure binds even in an organization that never enabled SCPs."""
    orgs.create_organization(FeatureSet="ALL")
    member = orgs.create_account(Email="plain@example.com", AccountName="plain")[
        "CreateAccountStatus"
    ]["AccountId"]
    admin, member_root = _admin_keys(member), keys_for(member)
    api.iam(admin).list_users()
    orgs.close_account(AccountId=member)
    _refused(api.iam(admin).list_users)
    _refused(api.iam(member_root).list_users)


def test_the_management_account_cannot_be_closed_and_closing_twice_is_an_error(orgs, tree):
    with pytest.raises(ClientError) as e:
        orgs.close_account(AccountId=ACCOUNT_A)
    assert error_code(e) == "ConstraintViolationException"
    assert e.value.response["Reason"] == "CANNOT_CLOSE_MANAGEMENT_ACCOUNT"
    orgs.close_account(AccountId=tree["member"])
    with pytest.raises(ClientError) as e:
        orgs.close_account(AccountId=tree["member"])
    assert error_code(e) == "AccountAlreadyClosedException"


def test_the_console_refuses_a_closed_accounts_user(
    user_console, root, org, member_account, member_admin
):
    from accounts.models import IamUser
    from accounts.operations.credentials import create_login_profile
    from accounts.operations.users import list_users
    from accounts.principal import root_principal
    from organizations import operations as o
    from tests.conftest import USER_PASSWORD

    create_login_profile(
        actor=root_principal(member_account), user_name="admin", password=USER_PASSWORD
    )
    user = IamUser.objects.get(account_id=member_account, name="admin")
    c = user_console(user)
    assert c.get(reverse("accounts:user-list")).status_code == 200
    assert list_users(actor=member_admin, path_prefix=None, marker=None, max_items=10)

    o.close_account(actor=root, account_id=member_account)

    page = c.get(reverse("accounts:user-list"))
    assert page.status_code == 403
    assert b"explicit deny in a service control policy" in page.content
    with pytest.raises(AccessDenied):
        list_users(actor=member_admin, path_prefix=None, marker=None, max_items=10)
    # The member's root is refused too; the management account's root is not.
    with pytest.raises(AccessDenied):
        list_users(
            actor=root_principal(member_account), path_prefix=None, marker=None, max_items=10
        )
    list_users(actor=root, path_prefix=None, marker=None, max_items=10)


def test_the_decision_trace_names_the_closure(root, org, member_account, member_admin):
    from organizations import operations as o
    from organizations.guardrails import closed_label, guardrails
    from policies import engine

    assert not guardrails(member_account).closed
    o.close_account(actor=root, account_id=member_account)
    found = guardrails(member_account)
    assert found.closed and found.scp_names[-1][0][0] == closed_label(member_account)
    assert not guardrails(root.account_id).closed
    request = engine.Request(
        principal=member_admin.arn,
        action="iam:ListUsers",
        resource="*",
        context={},
        resource_account=member_account,
    )
    decision = engine.evaluate(request, identity_policies=[json.dumps(allow("*"))], scps=found.scps)
    assert decision.effect == engine.EXPLICIT_DENY
    denied = [t for t in decision.explain().traces if t.matched and t.effect == "Deny"]
    assert [t.policy for t in denied] == [closed_label(member_account)]
