"""AWS Organizations through the unmodified boto3 ``organizations`` client and the AWS
CLI against the live server, and the guardrails binding the IAM and STS APIs."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_A, Creds, allow, error_code
from tests.organizations.conftest import keys_for

SCP = "SERVICE_CONTROL_POLICY"
DENY_CREATE_USER = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"}],
}


def test_create_and_describe_the_organization(orgs, acct):
    created = orgs.create_organization(FeatureSet="ALL")["Organization"]
    assert created["Id"].startswith("o-") and len(created["Id"]) == 12
    assert created["MasterAccountId"] == ACCOUNT_A
    assert created["Arn"] == f"arn:aws:organizations::{ACCOUNT_A}:organization/{created['Id']}"
    assert created["FeatureSet"] == "ALL"
    assert orgs.describe_organization()["Organization"]["Id"] == created["Id"]
    roots = orgs.list_roots()["Roots"]
    assert roots[0]["Id"].startswith("r-") and roots[0]["Name"] == "Root"
    with pytest.raises(ClientError) as e:
        orgs.create_organization()
    assert error_code(e) == "AlreadyInOrganizationException"


def test_not_in_use_error_shape(api, acct_b):
    client = api.client("organizations", acct_b.root_creds)
    with pytest.raises(ClientError) as e:
        client.describe_organization()
    assert error_code(e) == "AWSOrganizationsNotInUseException"
    assert (
        e.value.response["Error"]["Message"] == "Your account is not a member of an organization."
    )


def test_tree_accounts_and_policies_end_to_end(orgs, tree, acct):
    member, ou, root = tree["member"], tree["ou"], tree["root"]
    status = orgs.describe_create_account_status(CreateAccountRequestId=tree["status"]["Id"])
    assert status["CreateAccountStatus"]["State"] == "SUCCEEDED"
    accounts = orgs.list_accounts()["Accounts"]
    assert {a["Id"] for a in accounts} == {ACCOUNT_A, member}
    described = orgs.describe_account(AccountId=member)["Account"]
    assert described["Status"] == "ACTIVE" and described["JoinedMethod"] == "CREATED"
    assert described["Arn"].endswith(f"/{tree['org']['Id']}/{member}")
    assert orgs.list_parents(ChildId=member)["Parents"] == [
        {"Id": ou["Id"], "Type": "ORGANIZATIONAL_UNIT"}
    ]
    children = orgs.list_children(ParentId=ou["Id"], ChildType="ACCOUNT")["Children"]
    assert children == [{"Id": member, "Type": "ACCOUNT"}]
    policy = orgs.create_policy(
        Content=json.dumps(DENY_CREATE_USER), Description="d", Name="NoUsers", Type=SCP
    )["Policy"]
    pid = policy["PolicySummary"]["Id"]
    assert policy["PolicySummary"]["AwsManaged"] is False
    orgs.attach_policy(PolicyId=pid, TargetId=ou["Id"])
    for_target = orgs.list_policies_for_target(TargetId=ou["Id"], Filter=SCP)["Policies"]
    assert {p["Id"] for p in for_target} == {pid, "p-FullAWSAccess"}
    targets = orgs.list_targets_for_policy(PolicyId=pid)["Targets"]
    assert [(t["TargetId"], t["Type"], t["Name"]) for t in targets] == [
        (ou["Id"], "ORGANIZATIONAL_UNIT", "lab")
    ]
    with pytest.raises(ClientError) as e:
        orgs.delete_policy(PolicyId=pid)
    assert error_code(e) == "PolicyInUseException"
    with pytest.raises(ClientError) as e:
        orgs.delete_organizational_unit(OrganizationalUnitId=ou["Id"])
    assert error_code(e) == "OrganizationalUnitNotEmptyException"
    with pytest.raises(ClientError) as e:
        orgs.detach_policy(PolicyId="p-FullAWSAccess", TargetId=member)
    assert error_code(e) == "ConstraintViolationException"
    assert e.value.response["Reason"] == "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"
    listed = orgs.list_policies(Filter=SCP)["Policies"]
    full = next(p for p in listed if p["Id"] == "p-FullAWSAccess")
    assert full["Arn"] == "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
    assert full["AwsManaged"] is True
    assert root["Id"] in orgs.list_roots()["Roots"][0]["Arn"]


def test_paginators_follow_next_token(orgs, tree):
    for n in range(4):
        orgs.create_organizational_unit(ParentId=tree["root"]["Id"], Name=f"team{n}")
    pages = orgs.get_paginator("list_organizational_units_for_parent").paginate(
        ParentId=tree["root"]["Id"], PaginationConfig={"PageSize": 2}
    )
    names = [u["Name"] for page in pages for u in page["OrganizationalUnits"]]
    assert sorted(names) == ["lab", "team0", "team1", "team2", "team3"]


def test_an_scp_on_the_ou_binds_the_member_admin_and_root_over_the_iam_api(api, orgs, tree):
    from accounts.operations.users import create_user
    from accounts.principal import root_principal
    from policies.operations import attach_user_policy

    member = tree["member"]
    create_user(actor=root_principal(member), name="admin")
    attach_user_policy(
        actor=root_principal(member),
        user_name="admin",
        policy_arn="arn:aws:iam::aws:policy/AdministratorAccess",
    )
    admin_iam = api.iam(keys_for(member, "admin"))
    root_iam = api.iam(keys_for(member))
    admin_iam.create_user(UserName="before")
    pid = orgs.create_policy(
        Content=json.dumps(DENY_CREATE_USER), Description="", Name="NoUsers", Type=SCP
    )["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=pid, TargetId=tree["ou"]["Id"])
    for client in (admin_iam, root_iam):
        with pytest.raises(ClientError) as e:
            client.create_user(UserName="blocked")
        assert error_code(e) == "AccessDenied"
        assert "service control policy" in e.value.response["Error"]["Message"]
    admin_iam.create_group(GroupName="still-allowed")
    orgs.detach_policy(PolicyId=pid, TargetId=tree["ou"]["Id"])
    admin_iam.create_user(UserName="after")  # the very next request
    root_iam.create_user(UserName="after-root")


def test_management_admin_assumes_the_access_role_of_a_created_account(api, acct, orgs, tree):
    member = tree["member"]
    _, admin = acct.make_user("admin", policy=allow("*"))
    sts = api.sts(admin)
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
        RoleSessionName="ops",
    )["Credentials"]
    session = Creds(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    ident = api.sts(session).get_caller_identity()
    assert ident["Account"] == member
    assert ident["Arn"] == f"arn:aws:sts::{member}:assumed-role/OrganizationAccountAccessRole/ops"
    member_iam = api.iam(session)
    attached = member_iam.list_attached_role_policies(RoleName="OrganizationAccountAccessRole")
    assert [p["PolicyName"] for p in attached["AttachedPolicies"]] == ["AdministratorAccess"]
    member_iam.create_user(UserName="made-by-mgmt")
    pid = orgs.create_policy(
        Content=json.dumps(DENY_CREATE_USER), Description="", Name="NoUsers", Type=SCP
    )["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=pid, TargetId=member)
    with pytest.raises(ClientError) as e:
        member_iam.create_user(UserName="now-denied")
    assert error_code(e) == "AccessDenied"


def test_invitation_over_the_api(api, orgs, tree, acct_b):
    invited = api.client("organizations", acct_b.root_creds)
    h = orgs.invite_account_to_organization(
        Target={"Id": acct_b.id, "Type": "ACCOUNT"}, Notes="join us"
    )["Handshake"]
    assert h["State"] == "OPEN" and h["Action"] == "INVITE"
    assert h["Id"] in [x["Id"] for x in invited.list_handshakes_for_account()["Handshakes"]]
    with pytest.raises(ClientError) as e:
        orgs.invite_account_to_organization(Target={"Id": acct_b.id, "Type": "ACCOUNT"})
    assert error_code(e) == "DuplicateHandshakeException"
    accepted = invited.accept_handshake(HandshakeId=h["Id"])["Handshake"]
    assert accepted["State"] == "ACCEPTED"
    assert invited.describe_organization()["Organization"]["Id"] == tree["org"]["Id"]
    with pytest.raises(ClientError) as e:
        invited.list_accounts()
    assert error_code(e) == "AccessDeniedException"
    invited.leave_organization()
    with pytest.raises(ClientError) as e:
        invited.describe_organization()
    assert error_code(e) == "AWSOrganizationsNotInUseException"


def test_the_aws_cli_drives_organizations(aws_cli, acct):
    creds = acct.root_creds
    created = aws_cli(creds, "organizations", "create-organization", "--feature-set", "ALL")
    org_id = created["Organization"]["Id"]
    assert aws_cli(creds, "organizations", "describe-organization")["Organization"]["Id"] == org_id
    roots = aws_cli(creds, "organizations", "list-roots")["Roots"]
    ou = aws_cli(
        creds,
        "organizations",
        "create-organizational-unit",
        "--parent-id",
        roots[0]["Id"],
        "--name",
        "cli-ou",
    )["OrganizationalUnit"]
    assert ou["Id"].startswith(f"ou-{roots[0]['Id'][2:]}-")
    accounts = aws_cli(creds, "organizations", "list-accounts")["Accounts"]
    assert [a["Id"] for a in accounts] == [ACCOUNT_A]
    proc = aws_cli(
        creds,
        "organizations",
        "delete-organizational-unit",
        "--organizational-unit-id",
        f"ou-{roots[0]['Id'][2:]}-00000000",
        check=False,
    )
    assert proc.returncode != 0 and "OrganizationalUnitNotFoundException" in proc.stderr


def test_organizations_access_report_over_the_iam_api(api, acct, orgs, tree):
    from accounts.operations.users import create_user
    from accounts.principal import root_principal

    create_user(actor=root_principal(tree["member"]), name="used-iam")
    iam = api.iam(acct.root_creds)
    path = f"{tree['org']['Id']}/{tree['root']['Id']}/{tree['ou']['Id']}/"
    job = iam.generate_organizations_access_report(EntityPath=path)["JobId"]
    report = iam.get_organizations_access_report(JobId=job, MaxItems=1000)
    assert report["JobStatus"] == "COMPLETED"
    used = [d for d in report["AccessDetails"] if "LastAuthenticatedTime" in d]
    assert [d["ServiceNamespace"] for d in used] == ["iam"]
    assert used[0]["EntityPath"] == path + tree["member"]
    assert report["NumberOfServicesNotAccessed"] == report["NumberOfServicesAccessible"] - 1
    with pytest.raises(ClientError) as e:
        iam.get_organizations_access_report(JobId="00000000-0000-4000-8000-000000000000")
    assert error_code(e) == "NoSuchEntity"
