"""The IAM policy simulator and the organization: SimulatePrincipalPolicy of a member
account's user includes the SCPs that bind its account (OrganizationsDecisionDetail), and
SimulateCustomPolicy the organization policies given; the management account's
principals, whom SCPs don't bind, get no OrganizationsDecisionDetail."""

from __future__ import annotations

import json

from tests.api.conftest import allow
from tests.organizations.conftest import keys_for

SCP = "SERVICE_CONTROL_POLICY"
DENY_CREATE_USER = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"}],
}
ONLY_IAM = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}],
}


def _by_action(response) -> dict[str, dict]:
    return {r["EvalActionName"]: r for r in response["EvaluationResults"]}


def _member_admin(member: str):
    from accounts.operations.users import create_user
    from accounts.principal import root_principal
    from policies.operations import attach_user_policy

    owner = root_principal(member)
    user = create_user(actor=owner, name="admin")
    attach_user_policy(
        actor=owner, user_name="admin", policy_arn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    return user


def test_a_member_users_simulation_reports_what_its_scps_decide(api, orgs, tree):
    member = tree["member"]
    user = _member_admin(member)
    iam = api.iam(keys_for(member, "admin"))
    deny = orgs.create_policy(
        Content=json.dumps(DENY_CREATE_USER), Description="", Name="NoUsers", Type=SCP
    )["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=deny, TargetId=tree["ou"]["Id"])
    actions = ["iam:CreateUser", "iam:ListUsers", "s3:ListAllMyBuckets"]
    results = _by_action(
        iam.simulate_principal_policy(PolicySourceArn=user.arn, ActionNames=actions)
    )
    assert results["iam:CreateUser"]["EvalDecision"] == "explicitDeny"
    assert results["iam:CreateUser"]["OrganizationsDecisionDetail"] == {
        "AllowedByOrganizations": False
    }
    for action in ("iam:ListUsers", "s3:ListAllMyBuckets"):
        assert results[action]["EvalDecision"] == "allowed"
        assert results[action]["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": True}

    # An SCP level that allows only IAM (FullAWSAccess detached from the account): S3 is
    # no longer allowed by the organization, an implicit deny.
    only_iam = orgs.create_policy(
        Content=json.dumps(ONLY_IAM), Description="", Name="OnlyIam", Type=SCP
    )["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=only_iam, TargetId=member)
    orgs.detach_policy(PolicyId="p-FullAWSAccess", TargetId=member)
    results = _by_action(
        iam.simulate_principal_policy(PolicySourceArn=user.arn, ActionNames=actions)
    )
    assert results["s3:ListAllMyBuckets"]["EvalDecision"] == "implicitDeny"
    assert results["s3:ListAllMyBuckets"]["OrganizationsDecisionDetail"] == {
        "AllowedByOrganizations": False
    }
    assert results["iam:ListUsers"]["OrganizationsDecisionDetail"] == {
        "AllowedByOrganizations": True
    }


def test_the_management_accounts_simulations_carry_no_organizations_detail(api, acct, orgs, tree):
    from accounts.models import IamUser

    deny = orgs.create_policy(
        Content=json.dumps(DENY_CREATE_USER), Description="", Name="NoUsers", Type=SCP
    )["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=deny, TargetId=tree["root"]["Id"])
    acct.make_user("ops", policy=allow("*"))
    arn = IamUser.objects.get(account_id=acct.id, name="ops").arn
    results = _by_action(
        api.iam(acct.root_creds).simulate_principal_policy(
            PolicySourceArn=arn, ActionNames=["iam:CreateUser"]
        )
    )
    assert results["iam:CreateUser"]["EvalDecision"] == "allowed"
    assert "OrganizationsDecisionDetail" not in results["iam:CreateUser"]


def test_custom_simulation_with_and_without_organization_policies(api, orgs, tree):
    member = tree["member"]
    _member_admin(member)
    iam = api.iam(keys_for(member, "admin"))
    documents = [json.dumps(allow("*"))]
    plain = _by_action(
        iam.simulate_custom_policy(PolicyInputList=documents, ActionNames=["iam:CreateUser"])
    )
    assert "OrganizationsDecisionDetail" not in plain["iam:CreateUser"]
    # The organization policies given, each one level: both must allow.
    given = _by_action(
        iam.simulate_custom_policy(
            PolicyInputList=documents,
            OrderedOrganizationPolicyInputList=[
                {"ServiceControlPolicyInputList": [json.dumps(allow("*"))]},
                {
                    "ServiceControlPolicyInputList": [
                        json.dumps(ONLY_IAM),
                        json.dumps(allow("s3:Get*")),
                    ]
                },
            ],
            ActionNames=["iam:ListUsers", "s3:ListAllMyBuckets", "s3:GetObject"],
        )
    )
    assert given["iam:ListUsers"]["EvalDecision"] == "allowed"
    assert given["iam:ListUsers"]["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": True}
    # A level allows what any of its policies allows.
    assert given["s3:GetObject"]["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": True}
    assert given["s3:ListAllMyBuckets"]["EvalDecision"] == "implicitDeny"
    assert given["s3:ListAllMyBuckets"]["OrganizationsDecisionDetail"] == {
        "AllowedByOrganizations": False
    }
