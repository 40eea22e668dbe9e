"""Instance profiles over the Query API with boto3 against a live server: shapes, AWS's
errors (localstack's recordings of AWS, test_iam_instance_profiles), quotas, paging,
tags, DeleteRole's conflict, GAAD's InstanceProfileList and boto3's resource API."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import allow, error_code

pytestmark = pytest.mark.django_db(transaction=True)

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


def error(exc) -> tuple[str, str, int]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_an_instance_profile_is_created_read_and_deleted(root_iam):
    created = root_iam.create_instance_profile(InstanceProfileName="web", Path="/apps/")
    profile = created["InstanceProfile"]
    assert profile["Arn"] == "arn:aws:iam::210987654321:instance-profile/apps/web"
    assert (
        profile["InstanceProfileId"].startswith("AIPA") and len(profile["InstanceProfileId"]) == 21
    )
    assert profile["Path"] == "/apps/" and profile["Roles"] == []
    assert "Tags" not in profile  # CreateInstanceProfile without tags, as AWS answers

    got = root_iam.get_instance_profile(InstanceProfileName="WEB")["InstanceProfile"]
    assert got["InstanceProfileId"] == profile["InstanceProfileId"]
    assert got["Tags"] == []  # GetInstanceProfile always carries Tags

    root_iam.delete_instance_profile(InstanceProfileName="web")
    with pytest.raises(ClientError) as exc:
        root_iam.get_instance_profile(InstanceProfileName="web")
    assert error(exc) == ("NoSuchEntity", "Instance Profile web cannot be found.", 404)


def test_instance_profile_errors_are_aws_s(root_iam):
    root_iam.create_instance_profile(InstanceProfileName="dup")
    with pytest.raises(ClientError) as exc:
        root_iam.create_instance_profile(InstanceProfileName="DUP")
    assert error(exc) == ("EntityAlreadyExists", "Instance Profile DUP already exists.", 409)
    with pytest.raises(ClientError) as exc:
        root_iam.delete_instance_profile(InstanceProfileName="nonexistent-profile")
    assert error(exc) == (
        "NoSuchEntity",
        "Instance Profile nonexistent-profile cannot be found.",
        404,
    )
    with pytest.raises(ClientError) as exc:
        root_iam.create_instance_profile(InstanceProfileName="bad name!")
    assert error_code(exc) == "ValidationError"


def test_a_profile_holds_one_role_and_add_remove_errors_are_aws_s(root_iam):
    root_iam.create_instance_profile(InstanceProfileName="p")
    role = root_iam.create_role(RoleName="r1", AssumeRolePolicyDocument=TRUST)["Role"]
    root_iam.create_role(RoleName="r2", AssumeRolePolicyDocument=TRUST)

    root_iam.add_role_to_instance_profile(InstanceProfileName="p", RoleName="r1")
    got = root_iam.get_instance_profile(InstanceProfileName="p")["InstanceProfile"]
    (inner,) = got["Roles"]
    assert inner["RoleName"] == "r1" and inner["RoleId"] == role["RoleId"]
    assert inner["AssumeRolePolicyDocument"] == json.loads(TRUST)  # decoded by botocore
    assert set(inner) == {
        "Path",
        "RoleName",
        "RoleId",
        "Arn",
        "CreateDate",
        "AssumeRolePolicyDocument",
    }

    with pytest.raises(ClientError) as exc:
        root_iam.add_role_to_instance_profile(InstanceProfileName="p", RoleName="r2")
    assert error(exc) == (
        "LimitExceeded",
        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
        409,
    )
    with pytest.raises(ClientError) as exc:
        root_iam.add_role_to_instance_profile(
            InstanceProfileName="nonexistent-profile", RoleName="r1"
        )
    assert error(exc)[1] == "Instance Profile nonexistent-profile cannot be found."
    with pytest.raises(ClientError) as exc:
        root_iam.add_role_to_instance_profile(InstanceProfileName="p", RoleName="nonexistent-role")
    assert error(exc) == (
        "NoSuchEntity",
        "The role with name nonexistent-role cannot be found.",
        404,
    )
    with pytest.raises(ClientError) as exc:
        root_iam.remove_role_from_instance_profile(InstanceProfileName="p", RoleName="r2")
    assert error(exc) == ("NoSuchEntity", "Role r2 in Instance Profile p cannot be found.", 404)

    with pytest.raises(ClientError) as exc:
        root_iam.delete_instance_profile(InstanceProfileName="p")
    assert error(exc) == (
        "DeleteConflict",
        "Cannot delete entity, must remove roles from instance profile first.",
        409,
    )
    root_iam.remove_role_from_instance_profile(InstanceProfileName="p", RoleName="r1")
    assert root_iam.get_instance_profile(InstanceProfileName="p")["InstanceProfile"]["Roles"] == []
    root_iam.delete_instance_profile(InstanceProfileName="p")


def test_delete_role_refuses_while_the_role_is_in_a_profile(root_iam):
    root_iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST)
    root_iam.create_instance_profile(InstanceProfileName="app")
    root_iam.add_role_to_instance_profile(InstanceProfileName="app", RoleName="app")
    with pytest.raises(ClientError) as exc:
        root_iam.delete_role(RoleName="app")
    assert error(exc) == (
        "DeleteConflict",
        "Cannot delete entity, must remove roles from instance profile first.",
        409,
    )
    root_iam.remove_role_from_instance_profile(InstanceProfileName="app", RoleName="app")
    root_iam.delete_role(RoleName="app")
    assert (
        root_iam.get_instance_profile(InstanceProfileName="app")["InstanceProfile"]["Roles"] == []
    )


def test_list_instance_profiles_filters_by_path_and_pages(root_iam):
    for i in range(5):
        root_iam.create_instance_profile(
            InstanceProfileName=f"ip{i}", Path="/a/" if i % 2 else "/b/"
        )
    root_iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    root_iam.add_role_to_instance_profile(InstanceProfileName="ip1", RoleName="r")

    listed = root_iam.list_instance_profiles()
    assert [p["InstanceProfileName"] for p in listed["InstanceProfiles"]] == [
        f"ip{i}" for i in range(5)
    ]
    assert listed["IsTruncated"] is False
    assert [r["RoleName"] for r in listed["InstanceProfiles"][1]["Roles"]] == ["r"]
    under_a = root_iam.list_instance_profiles(PathPrefix="/a/")["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in under_a] == ["ip1", "ip3"]
    assert root_iam.list_instance_profiles(PathPrefix="/A/")["InstanceProfiles"] == []

    first = root_iam.list_instance_profiles(MaxItems=2)
    assert first["IsTruncated"] and len(first["InstanceProfiles"]) == 2 and first["Marker"]
    names = []
    for page in root_iam.get_paginator("list_instance_profiles").paginate(
        PaginationConfig={"PageSize": 2}
    ):
        names += [p["InstanceProfileName"] for p in page["InstanceProfiles"]]
    assert names == [f"ip{i}" for i in range(5)]


def test_list_instance_profiles_for_role(root_iam):
    root_iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    root_iam.create_role(RoleName="lonely", AssumeRolePolicyDocument=TRUST)
    for name in ("p2", "p1", "other"):
        root_iam.create_instance_profile(InstanceProfileName=name)
    root_iam.add_role_to_instance_profile(InstanceProfileName="p1", RoleName="r")
    root_iam.add_role_to_instance_profile(InstanceProfileName="p2", RoleName="r")

    listed = root_iam.list_instance_profiles_for_role(RoleName="r")
    assert [p["InstanceProfileName"] for p in listed["InstanceProfiles"]] == ["p1", "p2"]
    assert root_iam.list_instance_profiles_for_role(RoleName="lonely")["InstanceProfiles"] == []
    page = root_iam.list_instance_profiles_for_role(RoleName="r", MaxItems=1)
    assert page["IsTruncated"] and len(page["InstanceProfiles"]) == 1
    with pytest.raises(ClientError) as exc:
        root_iam.list_instance_profiles_for_role(RoleName="nonexistent-role")
    assert error(exc) == (
        "NoSuchEntity",
        "The role with name nonexistent-role cannot be found.",
        404,
    )


def test_instance_profile_tags(root_iam):
    created = root_iam.create_instance_profile(
        InstanceProfileName="t", Tags=[{"Key": "InitialKey", "Value": "InitialValue"}]
    )["InstanceProfile"]
    assert created["Tags"] == [{"Key": "InitialKey", "Value": "InitialValue"}]
    root_iam.tag_instance_profile(
        InstanceProfileName="t", Tags=[{"Key": "MyKey", "Value": "myValue"}]
    )
    tags = root_iam.list_instance_profile_tags(InstanceProfileName="t")
    assert tags["Tags"] == [
        {"Key": "InitialKey", "Value": "InitialValue"},
        {"Key": "MyKey", "Value": "myValue"},
    ]
    assert tags["IsTruncated"] is False
    root_iam.untag_instance_profile(InstanceProfileName="t", TagKeys=["InitialKey"])
    got = root_iam.get_instance_profile(InstanceProfileName="t")["InstanceProfile"]
    assert got["Tags"] == [{"Key": "MyKey", "Value": "myValue"}]
    for call, kwargs in (
        (root_iam.tag_instance_profile, {"Tags": [{"Key": "k", "Value": "v"}]}),
        (root_iam.untag_instance_profile, {"TagKeys": ["k"]}),
        (root_iam.list_instance_profile_tags, {}),
    ):
        with pytest.raises(ClientError) as exc:
            call(InstanceProfileName="nonexistent-profile", **kwargs)
        assert error(exc) == (
            "NoSuchEntity",
            "Instance Profile nonexistent-profile cannot be found.",
            404,
        )


def test_the_account_quota_of_instance_profiles(root_iam, acct):
    from accounts.models import InstanceProfile

    InstanceProfile.objects.bulk_create(
        InstanceProfile(
            account_id=acct.id,
            name=f"bulk{i}",
            arn=f"arn:aws:iam::{acct.id}:instance-profile/bulk{i}",
            unique_id=f"AIPABULK{i:013d}",
        )
        for i in range(1000)
    )
    assert root_iam.get_account_summary()["SummaryMap"]["InstanceProfiles"] == 1000
    assert root_iam.get_account_summary()["SummaryMap"]["InstanceProfilesQuota"] == 1000
    with pytest.raises(ClientError) as exc:
        root_iam.create_instance_profile(InstanceProfileName="one-too-many")
    assert error(exc) == (
        "LimitExceeded",
        "Cannot exceed quota for InstanceProfilesPerAccount: 1000.",
        409,
    )


def test_users_are_authorized_on_the_profile_and_the_role_they_pass(api, acct):
    _, creds = acct.make_user(
        "builder",
        policy=allow(
            ["iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile", "iam:GetInstanceProfile"],
            f"arn:aws:iam::{acct.id}:instance-profile/*",
        ),
    )
    root = api.iam(acct.root_creds)
    root.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    iam = api.iam(creds)
    iam.create_instance_profile(InstanceProfileName="mine")
    with pytest.raises(ClientError) as exc:
        iam.add_role_to_instance_profile(InstanceProfileName="mine", RoleName="r")
    code, message, status = error(exc)
    assert (code, status) == ("AccessDenied", 403) and "iam:PassRole" in message
    with pytest.raises(ClientError) as exc:
        iam.delete_instance_profile(InstanceProfileName="mine")
    assert error_code(exc) == "AccessDenied"
    with pytest.raises(ClientError) as exc:  # a missing name is refused as an existing one
        iam.delete_instance_profile(InstanceProfileName="missing")
    assert error_code(exc) == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        iam.get_instance_profile(InstanceProfileName="missing")
    assert error_code(exc) == "NoSuchEntity"


def test_gaad_lists_a_roles_instance_profiles_with_their_roles(root_iam):
    root_iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST)
    root_iam.create_instance_profile(InstanceProfileName="app-profile", Path="/web/")
    root_iam.add_role_to_instance_profile(InstanceProfileName="app-profile", RoleName="app")

    details = root_iam.get_account_authorization_details(Filter=["Role"])
    (role,) = details["RoleDetailList"]
    (profile,) = role["InstanceProfileList"]
    assert profile["InstanceProfileName"] == "app-profile" and profile["Path"] == "/web/"
    assert profile["Arn"].endswith(":instance-profile/web/app-profile")
    (inner,) = profile["Roles"]
    assert inner["RoleName"] == "app" and inner["RoleId"] == role["RoleId"]
    document = inner["AssumeRolePolicyDocument"]
    if isinstance(document, str):
        document = json.loads(unquote(document))
    assert document == json.loads(TRUST)


def test_boto3_resources_walk_instance_profiles(api, acct):
    import boto3

    root_iam = api.iam(acct.root_creds)
    root_iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    root_iam.create_instance_profile(InstanceProfileName="p1")
    root_iam.create_instance_profile(InstanceProfileName="p2")
    root_iam.add_role_to_instance_profile(InstanceProfileName="p1", RoleName="r")
    resource = boto3.resource(
        "iam",
        endpoint_url=api.url,
        region_name="us-east-1",
        aws_access_key_id=acct.root_creds.access_key_id,
        aws_secret_access_key=acct.root_creds.secret_access_key,
    )
    assert sorted(p.name for p in resource.instance_profiles.all()) == ["p1", "p2"]
    assert [p.name for p in resource.Role("r").instance_profiles.all()] == ["p1"]
    profile = resource.InstanceProfile("p1")
    assert profile.instance_profile_id.startswith("AIPA")
    assert [r.name for r in profile.roles] == ["r"]
    profile.remove_role(RoleName="r")
    resource.InstanceProfile("p2").add_role(RoleName="r")
    assert [p.name for p in resource.Role("r").instance_profiles.all()] == ["p2"]


def test_the_aws_cli_creates_and_lists_instance_profiles(acct, aws_cli):
    out = aws_cli(
        acct.root_creds, "iam", "create-instance-profile", "--instance-profile-name", "cli"
    )
    assert out["InstanceProfile"]["InstanceProfileName"] == "cli"
    listed = aws_cli(acct.root_creds, "iam", "list-instance-profiles")
    assert [p["InstanceProfileName"] for p in listed["InstanceProfiles"]] == ["cli"]


# -- the GAAD import and export (accounts/operations/importer.py) ---------------------------


def _export_with_profile() -> dict:
    return {
        "RoleDetailList": [
            {
                "RoleName": "OverprivilegedEC2",
                "Path": "/",
                "AssumeRolePolicyDocument": json.loads(TRUST),
                "InstanceProfileList": [
                    {
                        "Path": "/",
                        "InstanceProfileName": "OverprivilegedEC2",
                        "InstanceProfileId": "AIPAEXAMPLEEXAMPLE123",
                        "Arn": "arn:aws:iam::012345678901:instance-profile/OverprivilegedEC2",
                        "CreateDate": "2018-08-20 18:48:00+00:00",
                        "Tags": [{"Key": "env", "Value": "lab"}],
                        "Roles": [
                            {
                                "Path": "/",
                                "RoleName": "OverprivilegedEC2",
                                "RoleId": "AROAEXAMPLEEXAMPLE123",
                                "Arn": "arn:aws:iam::012345678901:role/OverprivilegedEC2",
                                "CreateDate": "2018-08-20 18:48:00+00:00",
                                "AssumeRolePolicyDocument": json.loads(TRUST),
                            }
                        ],
                    }
                ],
            }
        ]
    }


def test_the_gaad_import_creates_a_roles_instance_profiles_and_the_export_lists_them(acct, acct_b):
    from accounts.models import InstanceProfile
    from accounts.operations.importer import (
        clear_account_state,
        export_authorization_details,
        import_authorization_details,
    )

    import_authorization_details(actor=acct.root, details=_export_with_profile())
    profile = InstanceProfile.objects.get(account_id=acct.id)
    assert profile.name == "OverprivilegedEC2" and profile.role.name == "OverprivilegedEC2"
    assert profile.arn == f"arn:aws:iam::{acct.id}:instance-profile/OverprivilegedEC2"
    assert profile.unique_id.startswith("AIPA") and profile.unique_id != "AIPAEXAMPLEEXAMPLE123"
    assert profile.tags == [{"Key": "env", "Value": "lab"}]

    exported = export_authorization_details(actor=acct.root)
    (listed,) = exported["RoleDetailList"][0]["InstanceProfileList"]
    assert listed["InstanceProfileName"] == "OverprivilegedEC2"
    assert listed["Roles"][0]["AssumeRolePolicyDocument"] == json.loads(TRUST)
    import_authorization_details(actor=acct_b.root, details=exported)
    assert InstanceProfile.objects.get(account_id=acct_b.id).role.account_id == acct_b.id

    clear_account_state(actor=acct.root)  # the profile goes before its role
    assert not InstanceProfile.objects.filter(account_id=acct.id).exists()


def test_the_gaad_import_refuses_a_profile_with_another_role_or_a_taken_name(acct):
    from accounts.errors import EntityAlreadyExists, LimitExceeded
    from accounts.operations.importer import (
        check_authorization_details,
        import_authorization_details,
    )
    from accounts.operations.instance_profiles import create_instance_profile

    two_roles = _export_with_profile()
    two_roles["RoleDetailList"][0]["InstanceProfileList"][0]["Roles"][0]["RoleName"] = "other"
    ((path, message),) = check_authorization_details(two_roles)
    assert path == "RoleDetailList[0].InstanceProfileList[0].Roles[0]"
    assert "InstanceSessionsPerInstanceProfile: 1" in message
    with pytest.raises(LimitExceeded):
        import_authorization_details(actor=acct.root, details=two_roles)

    create_instance_profile(actor=acct.root, name="overprivilegedec2")
    with pytest.raises(EntityAlreadyExists) as exc:
        import_authorization_details(actor=acct.root, details=_export_with_profile())
    assert "Instance Profile OverprivilegedEC2 already exists." in str(exc.value)
