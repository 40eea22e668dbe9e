"""Service-linked roles over the Query API with boto3 against a live server: AWS's role
names, paths, trust policies and policies (localstack's recordings of AWS,
TestIAMServiceRoles), CustomSuffix rules, the deletion task, and the protections."""

from __future__ import annotations

import json
import re

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import allow, error_code

pytestmark = pytest.mark.django_db(transaction=True)


def error(exc) -> tuple[str, str, int]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


@pytest.mark.parametrize(
    ("service", "name", "policy"),
    [
        (
            "elasticbeanstalk.amazonaws.com",
            "AWSServiceRoleForElasticBeanstalk",
            "AWSElasticBeanstalkServiceRolePolicy",
        ),
        (
            "autoscaling.amazonaws.com",
            "AWSServiceRoleForAutoScaling",
            "AutoScalingServiceRolePolicy",
        ),
        ("ecs.amazonaws.com", "AWSServiceRoleForECS", "AmazonECSServiceRolePolicy"),
        ("eks.amazonaws.com", "AWSServiceRoleForAmazonEKS", "AmazonEKSServiceRolePolicy"),
    ],
)
def test_a_service_linked_role_is_aws_s_role_for_the_service(root_iam, service, name, policy):
    role = root_iam.create_service_linked_role(AWSServiceName=service)["Role"]
    assert role["RoleName"] == name
    assert role["Path"] == f"/aws-service-role/{service}/"
    assert role["Arn"] == f"arn:aws:iam::210987654321:role/aws-service-role/{service}/{name}"
    assert role["RoleId"].startswith("AROA")
    assert role["AssumeRolePolicyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }
    got = root_iam.get_role(RoleName=name)["Role"]
    assert got["MaxSessionDuration"] == 3600 and got["RoleLastUsed"] == {}
    attached = root_iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert attached == [
        {"PolicyName": policy, "PolicyArn": f"arn:aws:iam::aws:policy/aws-service-role/{policy}"}
    ]
    assert root_iam.list_role_policies(RoleName=name)["PolicyNames"] == []


def test_custom_suffix_and_description(root_iam):
    role = root_iam.create_service_linked_role(
        AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="fleet", Description="Mine"
    )["Role"]
    assert role["RoleName"] == "AWSServiceRoleForAutoScaling_fleet"
    assert role["Description"] == "Mine"
    with pytest.raises(ClientError) as exc:
        root_iam.create_service_linked_role(AWSServiceName="batch.amazonaws.com", CustomSuffix="x")
    assert error(exc) == (
        "InvalidInput",
        "Custom suffix is not allowed for batch.amazonaws.com",
        400,
    )


def test_a_second_role_for_the_service_needs_a_new_suffix(root_iam):
    root_iam.create_service_linked_role(AWSServiceName="batch.amazonaws.com")
    with pytest.raises(ClientError) as exc:
        root_iam.create_service_linked_role(AWSServiceName="batch.amazonaws.com")
    assert error(exc) == (
        "InvalidInput",
        "Service role name AWSServiceRoleForBatch has been taken in this account, "
        "please try a different suffix.",
        400,
    )


def test_an_unknown_service_is_invalid_input(root_iam):
    with pytest.raises(ClientError) as exc:
        root_iam.create_service_linked_role(AWSServiceName="nosuchservice.amazonaws.com")
    code, message, status = error(exc)
    assert (code, status) == ("InvalidInput", 400) and "nosuchservice.amazonaws.com" in message


def test_delete_service_linked_role_answers_a_task_that_succeeded(root_iam):
    root_iam.create_service_linked_role(AWSServiceName="batch.amazonaws.com")
    task = root_iam.delete_service_linked_role(RoleName="AWSServiceRoleForBatch")["DeletionTaskId"]
    assert re.fullmatch(
        r"task/aws-service-role/batch\.amazonaws\.com/AWSServiceRoleForBatch/"
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        task,
    )
    status = root_iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
    assert status["Status"] == "SUCCEEDED"
    with pytest.raises(ClientError) as exc:
        root_iam.get_role(RoleName="AWSServiceRoleForBatch")
    assert error_code(exc) == "NoSuchEntity"
    # The role may be created again once deleted.
    root_iam.create_service_linked_role(AWSServiceName="batch.amazonaws.com")
    with pytest.raises(ClientError) as exc:
        root_iam.get_service_linked_role_deletion_status(
            DeletionTaskId="task/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch/x"
        )
    assert error_code(exc) == "NoSuchEntity"
    with pytest.raises(ClientError) as exc:
        root_iam.delete_service_linked_role(RoleName="nope")
    assert error(exc) == ("NoSuchEntity", "The role with name nope cannot be found.", 404)


def test_aws_forbids_changing_a_service_linked_role_through_the_role_actions(root_iam):
    name = root_iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")["Role"][
        "RoleName"
    ]
    protected = (
        "UnmodifiableEntity",
        f"Cannot perform the operation on the protected role '{name}' - "
        "this role is only modifiable by AWS",
        400,
    )
    with pytest.raises(ClientError) as exc:
        root_iam.delete_role(RoleName=name)
    assert error(exc) == protected
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    with pytest.raises(ClientError) as exc:
        root_iam.update_assume_role_policy(RoleName=name, PolicyDocument=trust)
    assert error(exc) == protected
    doc = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
    )
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    for call, kwargs in (
        (root_iam.attach_role_policy, {"PolicyArn": admin}),
        (root_iam.detach_role_policy, {"PolicyArn": admin}),
        (root_iam.put_role_policy, {"PolicyName": "x", "PolicyDocument": doc}),
        (root_iam.delete_role_policy, {"PolicyName": "x"}),
        (root_iam.put_role_permissions_boundary, {"PermissionsBoundary": admin}),
        (root_iam.delete_role_permissions_boundary, {}),
    ):
        with pytest.raises(ClientError) as exc:
            call(RoleName=name, **kwargs)
        assert error(exc) == protected, call
    # Its description stays editable, as AWS allows ("Editing a service-linked role").
    root_iam.update_role_description(RoleName=name, Description="edited")
    assert root_iam.get_role(RoleName=name)["Role"]["Description"] == "edited"


def test_create_role_refuses_the_service_role_path(root_iam):
    with pytest.raises(ClientError) as exc:
        root_iam.create_role(
            RoleName="fake",
            Path="/aws-service-role/ecs.amazonaws.com/",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )
    assert error(exc) == (
        "InvalidInput",
        "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles",
        400,
    )


def test_users_need_create_service_linked_role_for_the_service(api, acct):
    _, creds = acct.make_user(
        "ops",
        policy=allow(
            "iam:CreateServiceLinkedRole",
            "*",
            Condition={"StringEquals": {"iam:AWSServiceName": "ecs.amazonaws.com"}},
        ),
    )
    iam = api.iam(creds)
    iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")
    with pytest.raises(ClientError) as exc:
        iam.create_service_linked_role(AWSServiceName="batch.amazonaws.com")
    assert error_code(exc) == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        iam.delete_service_linked_role(RoleName="AWSServiceRoleForECS")
    assert error_code(exc) == "AccessDenied"


def test_a_service_linked_role_counts_in_gaad_and_the_summary(root_iam):
    root_iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")
    (role,) = root_iam.get_account_authorization_details(Filter=["Role"])["RoleDetailList"]
    assert role["Path"] == "/aws-service-role/ecs.amazonaws.com/"
    assert role["InstanceProfileList"] == []
    assert root_iam.get_account_summary()["SummaryMap"]["Roles"] == 1


# -- the console's role page (Django's client) ---------------------------------------------


def test_the_role_page_shows_a_service_linked_role_and_hides_what_aws_forbids(console, root):
    from django.urls import reverse

    from accounts.operations.service_linked import create_service_linked_role

    role = create_service_linked_role(actor=root, service="ecs.amazonaws.com")
    html = console.get(reverse("accounts:role-detail", args=[role.name])).content.decode()
    assert 'id="service-linked-note"' in html and "Yes (ecs.amazonaws.com)" in html
    assert reverse("accounts:role-delete", args=[role.name]) not in html
    assert reverse("accounts:role-trust-edit", args=[role.name]) not in html
    r = console.post(reverse("accounts:role-revoke-sessions", args=[role.name]), {"confirm": "on"})
    assert "only modifiable by AWS" in r.content.decode()


def test_the_role_page_lists_the_roles_instance_profiles(console, root):
    from django.urls import reverse

    from accounts.operations import instance_profiles as ip
    from accounts.operations.roles import create_role

    role = create_role(
        actor=root,
        name="web",
        trust_policy=json.dumps(
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
        ),
    )
    profile = ip.create_instance_profile(actor=root, name="web-profile")
    ip.add_role_to_instance_profile(actor=root, name="web-profile", role_name="web")
    html = console.get(reverse("accounts:role-detail", args=[role.name])).content.decode()
    assert profile.arn in html and "Service-linked role" in html
    assert reverse("accounts:role-delete", args=[role.name]) in html
