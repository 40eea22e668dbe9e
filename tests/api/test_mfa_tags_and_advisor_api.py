"""GetMFADevice, the MFA device's tags and the Access Advisor reports over the Query API,
with boto3 against a live server."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import allow, error_code
from tests.conftest import virtual_mfa_device

pytestmark = pytest.mark.django_db(transaction=True)

S3_AND_EC2 = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "ec2:Describe*"], "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"},
    ],
}


def error(exc) -> tuple[str, str, int]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


# -- MFA devices ----------------------------------------------------------------------------


def test_get_mfa_device_answers_the_users_enabled_device(api, acct):
    user, _ = acct.make_user("mia")
    device = virtual_mfa_device(user.console, iam_user=user, name="mia-phone")
    iam = api.iam(acct.root_creds)
    got = iam.get_mfa_device(SerialNumber=device.serial_number, UserName="mia")
    assert got["SerialNumber"] == device.serial_number and got["UserName"] == "mia"
    assert got["EnableDate"]
    missing = f"arn:aws:iam::{acct.id}:mfa/nope"
    with pytest.raises(ClientError) as exc:
        iam.get_mfa_device(SerialNumber=missing, UserName="mia")
    assert error(exc) == (
        "NoSuchEntity",
        f"MFA Device with serial number {missing} does not exist.",
        404,
    )
    with pytest.raises(ClientError) as exc:  # not this user's device
        iam.get_mfa_device(SerialNumber=device.serial_number)
    assert error_code(exc) == "NoSuchEntity"
    with pytest.raises(ClientError) as exc:
        iam.get_mfa_device(SerialNumber=device.serial_number, UserName="nobody")
    assert error(exc) == ("NoSuchEntity", "The user with name nobody cannot be found.", 404)


def test_a_user_reads_their_own_device_without_naming_themselves(api, acct):
    user, creds = acct.make_user("self", policy=allow("iam:GetMFADevice", "*"))
    device = virtual_mfa_device(user.console, iam_user=user, name="self-phone")
    got = api.iam(creds).get_mfa_device(SerialNumber=device.serial_number)
    assert got["UserName"] == "self"


def test_mfa_device_tags(root_iam, acct):
    serial = root_iam.create_virtual_mfa_device(
        VirtualMFADeviceName="tagged", Tags=[{"Key": "a", "Value": "1"}]
    )["VirtualMFADevice"]["SerialNumber"]
    root_iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "b", "Value": "2"}])
    root_iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "a", "Value": "one"}])
    tags = root_iam.list_mfa_device_tags(SerialNumber=serial)
    assert tags["Tags"] == [{"Key": "a", "Value": "one"}, {"Key": "b", "Value": "2"}]
    assert tags["IsTruncated"] is False
    page = root_iam.list_mfa_device_tags(SerialNumber=serial, MaxItems=1)
    assert page["IsTruncated"] and page["Tags"] == [{"Key": "a", "Value": "one"}]
    root_iam.untag_mfa_device(SerialNumber=serial, TagKeys=["a"])
    listed = root_iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    assert listed[0]["Tags"] == [{"Key": "b", "Value": "2"}]
    missing = f"arn:aws:iam::{acct.id}:mfa/none"
    with pytest.raises(ClientError) as exc:
        root_iam.tag_mfa_device(SerialNumber=missing, Tags=[{"Key": "k", "Value": "v"}])
    assert error_code(exc) == "NoSuchEntity"
    with pytest.raises(ClientError) as exc:
        root_iam.tag_mfa_device(
            SerialNumber=serial, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)]
        )
    assert error_code(exc) == "LimitExceeded"


def test_mfa_tagging_is_authorized_on_the_device(api, acct):
    root_iam = api.iam(acct.root_creds)
    mine = root_iam.create_virtual_mfa_device(VirtualMFADeviceName="mine")["VirtualMFADevice"]
    other = root_iam.create_virtual_mfa_device(VirtualMFADeviceName="other")["VirtualMFADevice"]
    _, creds = acct.make_user(
        "tagger", policy=allow(["iam:TagMFADevice", "iam:ListMFADeviceTags"], mine["SerialNumber"])
    )
    iam = api.iam(creds)
    iam.tag_mfa_device(SerialNumber=mine["SerialNumber"], Tags=[{"Key": "k", "Value": "v"}])
    assert iam.list_mfa_device_tags(SerialNumber=mine["SerialNumber"])["Tags"] == [
        {"Key": "k", "Value": "v"}
    ]
    with pytest.raises(ClientError) as exc:
        iam.tag_mfa_device(SerialNumber=other["SerialNumber"], Tags=[{"Key": "k", "Value": "v"}])
    assert error_code(exc) == "AccessDenied"


# -- Access Advisor -------------------------------------------------------------------------


def test_service_last_accessed_details_of_a_user(api, acct):
    user, creds = acct.make_user("worker", policy=S3_AND_EC2)
    with pytest.raises(ClientError):
        api.iam(creds).list_roles()  # denied attempts count too
    root_iam = api.iam(acct.root_creds)

    job_id = root_iam.generate_service_last_accessed_details(Arn=user.arn)["JobId"]
    report = root_iam.get_service_last_accessed_details(JobId=job_id)
    assert report["JobStatus"] == "COMPLETED" and report["JobType"] == "SERVICE_LEVEL"
    assert report["JobCreationDate"] and report["JobCompletionDate"]
    by_ns = {s["ServiceNamespace"]: s for s in report["ServicesLastAccessed"]}
    assert {"ec2", "iam", "s3"} <= set(by_ns)
    assert by_ns["iam"]["LastAuthenticatedEntity"] == user.arn
    assert by_ns["iam"]["TotalAuthenticatedEntities"] == 1 and by_ns["iam"]["LastAuthenticated"]
    assert by_ns["iam"]["ServiceName"].startswith("AWS Identity and Access Management")
    assert "LastAuthenticated" not in by_ns["s3"] and by_ns["s3"]["TotalAuthenticatedEntities"] == 0

    page = root_iam.get_service_last_accessed_details(JobId=job_id, MaxItems=1)
    assert page["IsTruncated"] and len(page["ServicesLastAccessed"]) == 1

    entities = root_iam.get_service_last_accessed_details_with_entities(
        JobId=job_id, ServiceNamespace="iam"
    )
    (detail,) = entities["EntityDetailsList"]
    assert detail["EntityInfo"]["Arn"] == user.arn and detail["EntityInfo"]["Type"] == "USER"
    assert detail["LastAuthenticated"]


def test_action_level_details_track_iam_actions(api, acct):
    user, creds = acct.make_user("actor", policy=S3_AND_EC2)
    with pytest.raises(ClientError):
        api.iam(creds).list_roles()  # the trail records writes and every refusal
    root_iam = api.iam(acct.root_creds)
    job_id = root_iam.generate_service_last_accessed_details(
        Arn=user.arn, Granularity="ACTION_LEVEL"
    )["JobId"]
    report = root_iam.get_service_last_accessed_details(JobId=job_id)
    assert report["JobType"] == "ACTION_LEVEL"
    iam = next(s for s in report["ServicesLastAccessed"] if s["ServiceNamespace"] == "iam")
    actions = {a["ActionName"]: a for a in iam["TrackedActionsLastAccessed"]}
    assert actions["ListRoles"]["LastAccessedEntity"] == user.arn


def test_a_group_report_lists_its_members(api, acct):
    user, creds = acct.make_user("member")
    root_iam = api.iam(acct.root_creds)
    root_iam.create_group(GroupName="readers")
    root_iam.put_group_policy(
        GroupName="readers", PolicyName="iam", PolicyDocument=json.dumps(allow("iam:List*"))
    )
    root_iam.add_user_to_group(GroupName="readers", UserName="member")
    with pytest.raises(ClientError):
        api.iam(creds).get_user(UserName="nobody")  # a refusal the trail records
    arn = f"arn:aws:iam::{acct.id}:group/readers"
    job_id = root_iam.generate_service_last_accessed_details(Arn=arn)["JobId"]
    report = root_iam.get_service_last_accessed_details(JobId=job_id)
    (iam,) = report["ServicesLastAccessed"]
    assert iam["ServiceNamespace"] == "iam" and iam["LastAuthenticatedEntity"] == user.arn
    details = root_iam.get_service_last_accessed_details_with_entities(
        JobId=job_id, ServiceNamespace="iam"
    )["EntityDetailsList"]
    assert [d["EntityInfo"]["Name"] for d in details] == ["member"]


def test_an_aws_managed_policy_report_names_only_this_accounts_entities(api, acct, acct_b):
    """An AWS-managed policy is attached in every account that uses it: the report of
    one account never lists (or counts) another account's users."""
    readonly = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    for account, name in ((acct, "mine"), (acct_b, "theirs")):
        root = api.iam(account.root_creds)
        root.create_user(UserName=name)
        root.attach_user_policy(UserName=name, PolicyArn=readonly)
        root.list_users()  # an iam call by root: the report has an iam service line
    root_iam = api.iam(acct.root_creds)
    job_id = root_iam.generate_service_last_accessed_details(Arn=readonly)["JobId"]
    details = root_iam.get_service_last_accessed_details_with_entities(
        JobId=job_id, ServiceNamespace="iam"
    )["EntityDetailsList"]
    assert [d["EntityInfo"]["Arn"] for d in details] == [f"arn:aws:iam::{acct.id}:user/mine"]


def test_list_policies_granting_service_access(api, acct):
    user, _ = acct.make_user("granted", policy=S3_AND_EC2)
    root_iam = api.iam(acct.root_creds)
    root_iam.attach_user_policy(
        UserName="granted", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    )
    out = root_iam.list_policies_granting_service_access(
        Arn=user.arn, ServiceNamespaces=["s3", "lambda"]
    )["PoliciesGrantingServiceAccess"]
    by_ns = {entry["ServiceNamespace"]: entry["Policies"] for entry in out}
    assert by_ns["lambda"] == []
    assert {
        (p["PolicyName"], p["PolicyType"], p.get("EntityType"), p.get("PolicyArn"))
        for p in by_ns["s3"]
    } == {
        ("inline", "INLINE", "USER", None),
        (
            "AmazonS3ReadOnlyAccess",
            "MANAGED",
            None,
            "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        ),
    }


def test_advisor_errors_and_authorization(api, acct):
    root_iam = api.iam(acct.root_creds)
    with pytest.raises(ClientError) as exc:
        root_iam.generate_service_last_accessed_details(Arn=f"arn:aws:iam::{acct.id}:user/ghost")
    assert error(exc) == ("NoSuchEntity", "The user with name ghost cannot be found.", 404)
    with pytest.raises(ClientError) as exc:
        root_iam.generate_service_last_accessed_details(Arn="arn:aws:s3:::some-bucket-name")
    assert error_code(exc) == "InvalidInput"
    with pytest.raises(ClientError) as exc:
        root_iam.get_service_last_accessed_details(JobId="00000000-0000-0000-0000-000000000000")
    assert error_code(exc) == "NoSuchEntity"
    user, creds = acct.make_user("nosy")
    with pytest.raises(ClientError) as exc:
        api.iam(creds).generate_service_last_accessed_details(Arn=user.arn)
    assert error_code(exc) == "AccessDenied"
