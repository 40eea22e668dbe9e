"""IAM over the Query API with boto3 against a live server."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import allow, error_code


def test_root_creates_gets_lists_and_deletes_a_user(root_iam):
    created = root_iam.create_user(
        UserName="bob", Path="/eng/", Tags=[{"Key": "team", "Value": "a"}]
    )
    assert created["User"]["Arn"] == "arn:aws:iam::210987654321:user/eng/bob"
    assert created["User"]["UserId"].startswith("AIDA")
    got = root_iam.get_user(UserName="bob")["User"]
    assert got["Tags"] == [{"Key": "team", "Value": "a"}]
    names = [u["UserName"] for u in root_iam.list_users()["Users"]]
    assert names == ["bob"]
    root_iam.delete_user(UserName="bob")
    with pytest.raises(ClientError) as exc:
        root_iam.get_user(UserName="bob")
    assert error_code(exc) == "NoSuchEntity"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_user_errors_come_back_as_aws_codes(root_iam):
    root_iam.create_user(UserName="carol")
    with pytest.raises(ClientError) as exc:
        root_iam.create_user(UserName="CAROL")
    assert error_code(exc) == "EntityAlreadyExists"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    with pytest.raises(ClientError) as exc:
        root_iam.create_user(UserName="bad name!")
    assert error_code(exc) == "ValidationError"
    assert "failed to satisfy constraint" in exc.value.response["Error"]["Message"]
    root_iam.create_access_key(UserName="carol")
    with pytest.raises(ClientError) as exc:
        root_iam.delete_user(UserName="carol")
    assert error_code(exc) == "DeleteConflict"
    root_iam.update_user(UserName="carol", NewUserName="carola", NewPath="/x/")
    assert root_iam.get_user(UserName="carola")["User"]["Path"] == "/x/"


def test_user_tags_and_account_summary(root_iam):
    root_iam.create_user(UserName="dan")
    root_iam.tag_user(UserName="dan", Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    root_iam.untag_user(UserName="dan", TagKeys=["a"])
    assert root_iam.list_user_tags(UserName="dan")["Tags"] == [{"Key": "b", "Value": "2"}]
    summary = root_iam.get_account_summary()["SummaryMap"]
    assert summary["Users"] == 1 and summary["UsersQuota"] == 5000


def test_list_users_pages_through_a_thousand_users(api, acct):
    from django.db import transaction

    from accounts.operations.users import create_user

    with transaction.atomic():
        for i in range(1000):
            create_user(actor=acct.root, name=f"user{i:04d}")
    iam = api.iam(acct.root_creds)
    first = iam.list_users(MaxItems=100)
    assert first["IsTruncated"] and len(first["Users"]) == 100 and first["Marker"]
    names = []
    for page in iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 300}):
        names += [u["UserName"] for u in page["Users"]]
    assert names == [f"user{i:04d}" for i in range(1000)]


def test_groups_membership_and_group_policies(root_iam):
    root_iam.create_user(UserName="erin")
    group = root_iam.create_group(GroupName="devs", Path="/teams/")["Group"]
    assert group["Arn"].endswith(":group/teams/devs") and group["GroupId"].startswith("AGPA")
    root_iam.add_user_to_group(GroupName="devs", UserName="erin")
    got = root_iam.get_group(GroupName="devs")
    assert [u["UserName"] for u in got["Users"]] == ["erin"]
    assert [g["GroupName"] for g in root_iam.list_groups_for_user(UserName="erin")["Groups"]] == [
        "devs"
    ]
    root_iam.put_group_policy(
        GroupName="devs", PolicyName="read", PolicyDocument=json.dumps(allow("s3:Get*"))
    )
    doc = root_iam.get_group_policy(GroupName="devs", PolicyName="read")["PolicyDocument"]
    assert doc == allow("s3:Get*")  # botocore decodes IAM's URL-encoded documents
    assert root_iam.list_group_policies(GroupName="devs")["PolicyNames"] == ["read"]
    with pytest.raises(ClientError) as exc:
        root_iam.delete_group(GroupName="devs")
    assert error_code(exc) == "DeleteConflict"
    root_iam.delete_group_policy(GroupName="devs", PolicyName="read")
    root_iam.remove_user_from_group(GroupName="devs", UserName="erin")
    root_iam.update_group(GroupName="devs", NewGroupName="developers")
    assert [g["GroupName"] for g in root_iam.list_groups()["Groups"]] == ["developers"]
    root_iam.delete_group(GroupName="developers")
    with pytest.raises(ClientError) as exc:
        root_iam.get_group(GroupName="developers")
    assert error_code(exc) == "NoSuchEntity"


TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def test_roles_lifecycle(root_iam):
    role = root_iam.create_role(
        RoleName="app",
        AssumeRolePolicyDocument=json.dumps(TRUST),
        Description="the app",
        MaxSessionDuration=7200,
        Tags=[{"Key": "env", "Value": "prod"}],
    )["Role"]
    assert role["RoleId"].startswith("AROA") and role["AssumeRolePolicyDocument"] == TRUST
    got = root_iam.get_role(RoleName="app")["Role"]
    assert got["Description"] == "the app" and got["MaxSessionDuration"] == 7200
    assert got["Tags"] == [{"Key": "env", "Value": "prod"}]
    root_iam.update_role(RoleName="app", MaxSessionDuration=3600)
    root_iam.update_role_description(RoleName="app", Description="new")
    new_trust = dict(TRUST, Statement=[dict(TRUST["Statement"][0], Principal={"AWS": "*"})])
    root_iam.update_assume_role_policy(RoleName="app", PolicyDocument=json.dumps(new_trust))
    got = root_iam.get_role(RoleName="app")["Role"]
    assert got["Description"] == "new" and got["AssumeRolePolicyDocument"] == new_trust
    root_iam.tag_role(RoleName="app", Tags=[{"Key": "k", "Value": "v"}])
    root_iam.untag_role(RoleName="app", TagKeys=["env"])
    assert root_iam.list_role_tags(RoleName="app")["Tags"] == [{"Key": "k", "Value": "v"}]
    root_iam.put_role_policy(RoleName="app", PolicyName="p", PolicyDocument=json.dumps(allow()))
    assert root_iam.list_role_policies(RoleName="app")["PolicyNames"] == ["p"]
    assert root_iam.get_role_policy(RoleName="app", PolicyName="p")["PolicyDocument"] == allow()
    with pytest.raises(ClientError) as exc:
        root_iam.delete_role(RoleName="app")
    assert error_code(exc) == "DeleteConflict"
    root_iam.delete_role_policy(RoleName="app", PolicyName="p")
    assert [r["RoleName"] for r in root_iam.list_roles()["Roles"]] == ["app"]
    root_iam.delete_role(RoleName="app")
    with pytest.raises(ClientError) as exc:
        root_iam.create_role(RoleName="bad", AssumeRolePolicyDocument="{not json")
    assert error_code(exc) == "MalformedPolicyDocument"
    with pytest.raises(ClientError) as exc:
        root_iam.update_role(RoleName="nope", Description="x")
    assert error_code(exc) == "NoSuchEntity"


def test_managed_policies_versions_and_attachments(root_iam):
    arn = root_iam.create_policy(
        PolicyName="read", PolicyDocument=json.dumps(allow("s3:Get*")), Description="d"
    )["Policy"]["Arn"]
    assert arn == "arn:aws:iam::210987654321:policy/read"
    with pytest.raises(ClientError) as exc:
        root_iam.create_policy(PolicyName="read", PolicyDocument=json.dumps(allow()))
    assert error_code(exc) == "EntityAlreadyExists"
    with pytest.raises(ClientError) as exc:
        root_iam.create_policy(
            PolicyName="bad", PolicyDocument=json.dumps({"Statement": [{"Effect": "Maybe"}]})
        )
    assert error_code(exc) == "MalformedPolicyDocument"
    for i in range(4):
        root_iam.create_policy_version(
            PolicyArn=arn, PolicyDocument=json.dumps(allow(f"s3:List{i}")), SetAsDefault=i == 3
        )
    with pytest.raises(ClientError) as exc:
        root_iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(allow()))
    assert error_code(exc) == "LimitExceeded"
    versions = root_iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v5", "v4", "v3", "v2", "v1"]  # newest first
    assert root_iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v5"
    v1 = root_iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert v1["Document"] == allow("s3:Get*") and not v1["IsDefaultVersion"]
    root_iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    root_iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    with pytest.raises(ClientError) as exc:
        root_iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    assert error_code(exc) == "DeleteConflict"

    root_iam.create_user(UserName="fay")
    root_iam.create_group(GroupName="g")
    root_iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))
    aws_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    root_iam.attach_user_policy(UserName="fay", PolicyArn=arn)
    root_iam.attach_user_policy(UserName="fay", PolicyArn=aws_arn)
    root_iam.attach_group_policy(GroupName="g", PolicyArn=arn)
    root_iam.attach_role_policy(RoleName="r", PolicyArn=arn)
    attached = root_iam.list_attached_user_policies(UserName="fay")["AttachedPolicies"]
    assert {a["PolicyArn"] for a in attached} == {arn, aws_arn}
    assert root_iam.list_attached_group_policies(GroupName="g")["AttachedPolicies"] == [
        {"PolicyName": "read", "PolicyArn": arn}
    ]
    assert len(root_iam.list_attached_role_policies(RoleName="r")["AttachedPolicies"]) == 1
    entities = root_iam.list_entities_for_policy(PolicyArn=arn)
    assert [u["UserName"] for u in entities["PolicyUsers"]] == ["fay"]
    assert [g["GroupName"] for g in entities["PolicyGroups"]] == ["g"]
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == ["r"]
    assert root_iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 3
    local = root_iam.list_policies(Scope="Local")["Policies"]
    assert [p["PolicyName"] for p in local] == ["read"]
    with pytest.raises(ClientError) as exc:
        root_iam.delete_policy(PolicyArn=arn)
    assert error_code(exc) == "DeleteConflict"
    root_iam.detach_user_policy(UserName="fay", PolicyArn=arn)
    root_iam.detach_group_policy(GroupName="g", PolicyArn=arn)
    root_iam.detach_role_policy(RoleName="r", PolicyArn=arn)
    with pytest.raises(ClientError) as exc:
        root_iam.detach_role_policy(RoleName="r", PolicyArn=arn)
    assert error_code(exc) == "NoSuchEntity"
    root_iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "t", "Value": "1"}])
    assert root_iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "t", "Value": "1"}]
    root_iam.untag_policy(PolicyArn=arn, TagKeys=["t"])
    for v in ("v3", "v4", "v5"):
        root_iam.delete_policy_version(PolicyArn=arn, VersionId=v)
    root_iam.delete_policy(PolicyArn=arn)
    with pytest.raises(ClientError) as exc:
        root_iam.get_policy(PolicyArn=arn)
    assert error_code(exc) == "NoSuchEntity"


def test_attachment_quota_is_limit_exceeded(root_iam):
    root_iam.create_user(UserName="gus")
    arns = [
        root_iam.create_policy(PolicyName=f"p{i}", PolicyDocument=json.dumps(allow()))["Policy"][
            "Arn"
        ]
        for i in range(11)
    ]
    for arn in arns[:10]:
        root_iam.attach_user_policy(UserName="gus", PolicyArn=arn)
    with pytest.raises(ClientError) as exc:
        root_iam.attach_user_policy(UserName="gus", PolicyArn=arns[10])
    assert error_code(exc) == "LimitExceeded"


def test_user_inline_policies_and_permissions_boundaries(root_iam):
    root_iam.create_user(UserName="hal")
    root_iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))
    root_iam.put_user_policy(UserName="hal", PolicyName="p", PolicyDocument=json.dumps(allow()))
    assert root_iam.get_user_policy(UserName="hal", PolicyName="p")["PolicyDocument"] == allow()
    assert root_iam.list_user_policies(UserName="hal")["PolicyNames"] == ["p"]
    root_iam.delete_user_policy(UserName="hal", PolicyName="p")
    with pytest.raises(ClientError) as exc:
        root_iam.get_user_policy(UserName="hal", PolicyName="p")
    assert error_code(exc) == "NoSuchEntity"
    boundary = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    root_iam.put_user_permissions_boundary(UserName="hal", PermissionsBoundary=boundary)
    root_iam.put_role_permissions_boundary(RoleName="r", PermissionsBoundary=boundary)
    assert (
        root_iam.get_user(UserName="hal")["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"]
        == boundary
    )
    assert (
        root_iam.get_role(RoleName="r")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"]
        == boundary
    )
    root_iam.delete_user_permissions_boundary(UserName="hal")
    root_iam.delete_role_permissions_boundary(RoleName="r")
    assert "PermissionsBoundary" not in root_iam.get_user(UserName="hal")["User"]


def test_access_keys_and_last_used(api, acct, root_iam):
    _, creds = acct.make_user("ivy", policy=allow("iam:*"))
    ivy = api.iam(creds)
    assert ivy.get_user()["User"]["UserName"] == "ivy"  # no name: the caller
    second = ivy.create_access_key()["AccessKey"]
    assert second["AccessKeyId"].startswith("AKIA") and len(second["SecretAccessKey"]) == 40
    with pytest.raises(ClientError) as exc:
        ivy.create_access_key()
    assert error_code(exc) == "LimitExceeded"
    keys = ivy.list_access_keys()["AccessKeyMetadata"]
    assert {k["AccessKeyId"] for k in keys} == {creds.access_key_id, second["AccessKeyId"]}
    used = root_iam.get_access_key_last_used(AccessKeyId=creds.access_key_id)
    assert used["UserName"] == "ivy"
    assert used["AccessKeyLastUsed"]["ServiceName"] == "iam"
    assert used["AccessKeyLastUsed"]["Region"] == "us-east-1"
    never = root_iam.get_access_key_last_used(AccessKeyId=second["AccessKeyId"])
    assert never["AccessKeyLastUsed"]["ServiceName"] == "N/A"
    ivy.update_access_key(AccessKeyId=second["AccessKeyId"], Status="Inactive")
    ivy.delete_access_key(AccessKeyId=second["AccessKeyId"])
    with pytest.raises(ClientError) as exc:
        ivy.delete_access_key(AccessKeyId=second["AccessKeyId"])
    assert error_code(exc) == "NoSuchEntity"


def test_login_profiles_and_change_password(api, acct, root_iam):
    _, creds = acct.make_user("jo", policy=allow("iam:ChangePassword", "*"))
    root_iam.update_account_password_policy(
        MinimumPasswordLength=10, AllowUsersToChangePassword=True
    )
    policy = root_iam.get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 10 and policy["AllowUsersToChangePassword"]
    with pytest.raises(ClientError) as exc:
        root_iam.create_login_profile(UserName="jo", Password="short")
    assert error_code(exc) == "PasswordPolicyViolation"
    profile = root_iam.create_login_profile(UserName="jo", Password="long-enough-1")["LoginProfile"]
    assert profile["UserName"] == "jo" and not profile["PasswordResetRequired"]
    with pytest.raises(ClientError) as exc:
        root_iam.create_login_profile(UserName="jo", Password="long-enough-1")
    assert error_code(exc) == "EntityAlreadyExists"
    root_iam.update_login_profile(UserName="jo", PasswordResetRequired=True)
    assert root_iam.get_login_profile(UserName="jo")["LoginProfile"]["PasswordResetRequired"]
    jo = api.iam(creds)
    with pytest.raises(ClientError) as exc:
        jo.change_password(OldPassword="wrong-password", NewPassword="another-one-2")
    assert error_code(exc) == "AccessDenied"
    jo.change_password(OldPassword="long-enough-1", NewPassword="another-one-2")
    root_iam.delete_login_profile(UserName="jo")
    with pytest.raises(ClientError) as exc:
        root_iam.get_login_profile(UserName="jo")
    assert error_code(exc) == "NoSuchEntity"
    root_iam.delete_account_password_policy()
    with pytest.raises(ClientError) as exc:
        root_iam.get_account_password_policy()
    assert error_code(exc) == "NoSuchEntity"


def test_virtual_mfa_lifecycle(root_iam):
    import base64
    import time

    from accounts.totp import code_at, current_step

    root_iam.create_user(UserName="kim")
    device = root_iam.create_virtual_mfa_device(VirtualMFADeviceName="kim-phone")[
        "VirtualMFADevice"
    ]
    assert device["SerialNumber"] == "arn:aws:iam::210987654321:mfa/kim-phone"
    assert device["QRCodePNG"].startswith(b"\x89PNG\r\n\x1a\n")
    seed = base64.b32decode(
        device["Base32StringSeed"] + b"=" * (-len(device["Base32StringSeed"]) % 8)
    )
    t = current_step()
    with pytest.raises(ClientError) as exc:
        root_iam.enable_mfa_device(
            UserName="kim",
            SerialNumber=device["SerialNumber"],
            AuthenticationCode1="000000",
            AuthenticationCode2="000000",
        )
    assert error_code(exc) == "InvalidAuthenticationCode"
    root_iam.enable_mfa_device(
        UserName="kim",
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1=code_at(seed, t - 1),
        AuthenticationCode2=code_at(seed, t),
    )
    listed = root_iam.list_mfa_devices(UserName="kim")["MFADevices"]
    assert [d["SerialNumber"] for d in listed] == [device["SerialNumber"]]
    virtual = root_iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert virtual[0]["User"]["UserName"] == "kim"
    with pytest.raises(ClientError) as exc:
        root_iam.delete_virtual_mfa_device(SerialNumber=device["SerialNumber"])
    assert error_code(exc) == "DeleteConflict"
    del time
    root_iam.deactivate_mfa_device(UserName="kim", SerialNumber=device["SerialNumber"])
    root_iam.delete_virtual_mfa_device(SerialNumber=device["SerialNumber"])
    assert root_iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []


def test_account_alias(root_iam):
    root_iam.create_account_alias(AccountAlias="my-lab")
    assert root_iam.list_account_aliases()["AccountAliases"] == ["my-lab"]
    with pytest.raises(ClientError) as exc:
        root_iam.create_account_alias(AccountAlias="Bad_Alias")
    assert error_code(exc) == "ValidationError"
    root_iam.delete_account_alias(AccountAlias="my-lab")
    assert root_iam.list_account_aliases()["AccountAliases"] == []


def test_account_authorization_details_are_built_from_the_data_and_paginate(root_iam):
    root_iam.create_user(UserName="lee")
    root_iam.create_group(GroupName="g")
    root_iam.add_user_to_group(GroupName="g", UserName="lee")
    root_iam.put_user_policy(UserName="lee", PolicyName="p", PolicyDocument=json.dumps(allow()))
    root_iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))
    arn = root_iam.create_policy(PolicyName="m", PolicyDocument=json.dumps(allow()))["Policy"][
        "Arn"
    ]
    root_iam.attach_role_policy(RoleName="r", PolicyArn=arn)
    details = root_iam.get_account_authorization_details()
    user = details["UserDetailList"][0]
    assert user["GroupList"] == ["g"] and user["UserPolicyList"][0]["PolicyDocument"] == allow()
    assert details["RoleDetailList"][0]["AttachedManagedPolicies"] == [
        {"PolicyName": "m", "PolicyArn": arn}
    ]
    assert details["Policies"][0]["PolicyVersionList"][0]["Document"] == allow()
    pages = list(
        root_iam.get_paginator("get_account_authorization_details").paginate(
            PaginationConfig={"PageSize": 1}
        )
    )
    assert len(pages) == 4
    only_roles = root_iam.get_account_authorization_details(Filter=["Role"])
    assert only_roles["UserDetailList"] == [] and len(only_roles["RoleDetailList"]) == 1


def test_a_user_without_permission_is_denied_and_the_denial_is_audited(api, acct):
    from audit.models import AuditEvent

    _, creds = acct.make_user("mo", policy=allow("iam:Get*"))
    mo = api.iam(creds)
    with pytest.raises(ClientError) as exc:
        mo.create_user(UserName="x")
    assert error_code(exc) == "AccessDenied"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "iam:CreateUser" in exc.value.response["Error"]["Message"]
    event = AuditEvent.objects.filter(event_name="CreateUser", allowed=False).get()
    assert event.via == "api" and event.access_key_id == creds.access_key_id


def test_unknown_and_unimplemented_actions_are_invalid_action(root_iam):
    # Delegation requests are a preview the project leaves out (issue 13's closing note).
    with pytest.raises(ClientError) as exc:
        root_iam.list_delegation_requests()
    assert error_code(exc) == "InvalidAction"


def test_outsider_cannot_see_another_accounts_users(api, acct, acct_b, root_iam):
    root_iam.create_user(UserName="private")
    other = api.iam(acct_b.root_creds)
    with pytest.raises(ClientError) as exc:
        other.get_user(UserName="private")
    assert error_code(exc) == "NoSuchEntity"
    assert other.list_users()["Users"] == []


def test_an_unexpected_failure_is_a_service_failure_xml_not_a_django_500(root_iam, monkeypatch):
    from api.handlers import IAM_HANDLERS

    def broken(actor, params):
        raise RuntimeError("boom")

    monkeypatch.setitem(IAM_HANDLERS, "ListGroups", broken)
    with pytest.raises(ClientError) as exc:
        root_iam.list_groups()
    assert error_code(exc) == "ServiceFailure"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_a_wrong_api_version_is_invalid_action(api, acct):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = "Action=ListUsers&Version=2099-01-01"
    request = AWSRequest(
        method="POST",
        url=api.url + "/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    creds = Credentials(acct.root_creds.access_key_id, acct.root_creds.secret_access_key)
    SigV4Auth(creds, "iam", "us-east-1").add_auth(request)
    import urllib.error
    import urllib.request

    prepared = request.prepare()
    req = urllib.request.Request(
        prepared.url, data=body.encode(), headers=dict(prepared.headers), method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req)  # noqa: S310
    assert exc.value.code == 400
    assert b"<Code>InvalidAction</Code>" in exc.value.read()
