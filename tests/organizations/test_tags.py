"""Organizations tagging through boto3 against the live server: Tags on CreateAccount,
CreateOrganizationalUnit, CreatePolicy and InviteAccountToOrganization, and TagResource,
UntagResource, ListTagsForResource on accounts, the root, OUs and policies, with AWS's
limits (50 tags, keys 1-128, values 0-256, the aws: prefix reserved) and errors."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_A, allow, error_code

SCP = "SERVICE_CONTROL_POLICY"
DOC = json.dumps({"Version": "2012-10-17", "Statement": [allow("s3:*")["Statement"][0]]})


def tags_of(orgs, resource_id: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for page in orgs.get_paginator("list_tags_for_resource").paginate(ResourceId=resource_id):
        out.update({t["Key"]: t["Value"] for t in page["Tags"]})
    return out


@pytest.fixture
def raw_orgs(api, acct):
    """The management account's client without botocore's own parameter checks, so the
    server's answer to what botocore would refuse is seen."""
    from botocore.config import Config

    return api.session.client(
        "organizations",
        endpoint_url=api.url,
        region_name="us-east-1",
        aws_access_key_id=acct.root_creds.access_key_id,
        aws_secret_access_key=acct.root_creds.secret_access_key,
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )


def reason(e) -> str:
    return e.value.response.get("Reason", "")


def test_tags_given_at_creation_are_listed(orgs, tree):
    status = orgs.create_account(
        Email="tagged@example.com",
        AccountName="tagged",
        Tags=[{"Key": "team", "Value": "red"}, {"Key": "empty", "Value": ""}],
    )["CreateAccountStatus"]
    assert status["State"] == "SUCCEEDED"
    assert tags_of(orgs, status["AccountId"]) == {"team": "red", "empty": ""}
    ou = orgs.create_organizational_unit(
        ParentId=tree["root"]["Id"], Name="tagged", Tags=[{"Key": "cost-center", "Value": "42"}]
    )["OrganizationalUnit"]
    assert tags_of(orgs, ou["Id"]) == {"cost-center": "42"}
    policy = orgs.create_policy(
        Content=DOC,
        Description="",
        Name="tagged",
        Type=SCP,
        Tags=[{"Key": "owner", "Value": "sec@example.com"}],
    )["Policy"]["PolicySummary"]
    assert tags_of(orgs, policy["Id"]) == {"owner": "sec@example.com"}
    # Untagged resources list no tags.
    assert tags_of(orgs, tree["member"]) == {}
    assert tags_of(orgs, tree["root"]["Id"]) == {}
    assert tags_of(orgs, ACCOUNT_A) == {}


def test_tag_untag_and_list_on_every_kind_of_resource(orgs, tree):
    policy = orgs.create_policy(Content=DOC, Description="", Name="p", Type=SCP)["Policy"]
    ids = [tree["member"], tree["root"]["Id"], tree["ou"]["Id"], policy["PolicySummary"]["Id"]]
    for rid in ids:
        orgs.tag_resource(
            ResourceId=rid, Tags=[{"Key": "env", "Value": "lab"}, {"Key": "a b", "Value": "x"}]
        )
        # A key the resource has takes the new value; the others stay.
        orgs.tag_resource(ResourceId=rid, Tags=[{"Key": "env", "Value": "prod"}])
        assert tags_of(orgs, rid) == {"env": "prod", "a b": "x"}
        orgs.untag_resource(ResourceId=rid, TagKeys=["a b", "never-there"])
        assert tags_of(orgs, rid) == {"env": "prod"}


def test_fifty_tags_and_no_more(orgs, tree):
    member = tree["member"]
    many = [{"Key": f"k{i:02}", "Value": "v" * 256} for i in range(50)]
    orgs.tag_resource(ResourceId=member, Tags=many)
    listed = orgs.list_tags_for_resource(ResourceId=member)
    assert len(listed["Tags"]) == 20 and "NextToken" in listed  # paged
    assert tags_of(orgs, member) == {t["Key"]: t["Value"] for t in many}
    orgs.tag_resource(ResourceId=member, Tags=[{"Key": "k00", "Value": "again"}])  # still 50
    with pytest.raises(ClientError) as e:
        orgs.tag_resource(ResourceId=member, Tags=[{"Key": "one-more", "Value": ""}])
    assert error_code(e) == "ConstraintViolationException"
    assert reason(e) == "MAX_TAG_LIMIT_EXCEEDED"
    assert "one-more" not in tags_of(orgs, member)
    # 51 tags on a new account: the whole request fails and no account is made.
    with pytest.raises(ClientError) as e:
        orgs.create_account(
            Email="too-many@example.com",
            AccountName="too-many",
            Tags=[{"Key": f"k{i}", "Value": ""} for i in range(51)],
        )
    assert reason(e) == "MAX_TAG_LIMIT_EXCEEDED"
    assert "too-many" not in [a["Name"] for a in orgs.list_accounts()["Accounts"]]


@pytest.mark.parametrize(
    ("tag", "code", "why"),
    [
        (
            {"Key": "aws:team", "Value": "x"},
            "InvalidInputException",
            "INVALID_SYSTEM_TAGS_PARAMETER",
        ),
        (
            {"Key": "AWS:team", "Value": "x"},
            "InvalidInputException",
            "INVALID_SYSTEM_TAGS_PARAMETER",
        ),
        ({"Key": "", "Value": "x"}, "InvalidInputException", "MIN_LENGTH_EXCEEDED"),
        ({"Key": "k" * 129, "Value": "x"}, "InvalidInputException", "MAX_LENGTH_EXCEEDED"),
        ({"Key": "k", "Value": "v" * 257}, "InvalidInputException", "MAX_LENGTH_EXCEEDED"),
        ({"Key": "semi;colon", "Value": "x"}, "InvalidInputException", "INVALID_PATTERN"),
        ({"Key": "k", "Value": "<script>"}, "InvalidInputException", "INVALID_PATTERN"),
    ],
)
def test_invalid_tags_are_refused_and_change_nothing(orgs, raw_orgs, tree, tag, code, why):
    member = tree["member"]
    with pytest.raises(ClientError) as e:
        raw_orgs.tag_resource(ResourceId=member, Tags=[{"Key": "fine", "Value": "x"}, tag])
    assert error_code(e) == code and reason(e) == why
    assert tags_of(orgs, member) == {}
    with pytest.raises(ClientError) as e:
        raw_orgs.create_policy(Content=DOC, Description="", Name="bad", Type=SCP, Tags=[tag])
    assert reason(e) == why
    assert "bad" not in [p["Name"] for p in orgs.list_policies(Filter=SCP)["Policies"]]


def test_duplicate_keys_and_reserved_keys(orgs, tree):
    member = tree["member"]
    with pytest.raises(ClientError) as e:
        orgs.tag_resource(
            ResourceId=member, Tags=[{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]
        )
    assert error_code(e) == "InvalidInputException" and reason(e) == "DUPLICATE_TAG_KEY"
    with pytest.raises(ClientError) as e:
        orgs.untag_resource(ResourceId=member, TagKeys=["aws:cloudformation:stack-name"])
    assert reason(e) == "INVALID_SYSTEM_TAGS_PARAMETER"
    with pytest.raises(ClientError) as e:
        orgs.create_organizational_unit(
            ParentId=tree["root"]["Id"],
            Name="dup",
            Tags=[{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "1"}],
        )
    assert reason(e) == "DUPLICATE_TAG_KEY"
    children = orgs.list_organizational_units_for_parent(ParentId=tree["root"]["Id"])
    assert "dup" not in [ou["Name"] for ou in children["OrganizationalUnits"]]


def test_unknown_and_malformed_resource_ids(orgs, tree):
    root_id = tree["root"]["Id"]
    for rid in ("111122223333", f"ou-{root_id[2:]}-zzzzzzzz", "r-zzzz", "p-zzzzzzzz"):
        for call in (
            lambda: orgs.tag_resource(ResourceId=rid, Tags=[{"Key": "k", "Value": "v"}]),
            lambda: orgs.untag_resource(ResourceId=rid, TagKeys=["k"]),
            lambda: orgs.list_tags_for_resource(ResourceId=rid),
        ):
            with pytest.raises(ClientError) as e:
                call()
            assert error_code(e) == "TargetNotFoundException", rid
    with pytest.raises(ClientError) as e:
        orgs.list_tags_for_resource(ResourceId="not-an-id")
    assert error_code(e) == "InvalidInputException" and reason(e) == "INVALID_PATTERN"
    # AWS's own policy is not the organization's to tag.
    with pytest.raises(ClientError) as e:
        orgs.tag_resource(ResourceId="p-FullAWSAccess", Tags=[{"Key": "k", "Value": "v"}])
    assert error_code(e) == "InvalidInputException"


def test_member_accounts_and_outsiders_may_not_tag(api, orgs, tree, acct_b):
    from tests.organizations.conftest import keys_for

    member_client = api.client("organizations", keys_for(tree["member"]))
    with pytest.raises(ClientError) as e:
        member_client.tag_resource(ResourceId=tree["member"], Tags=[{"Key": "k", "Value": "v"}])
    assert error_code(e) == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        member_client.list_tags_for_resource(ResourceId=tree["member"])
    assert error_code(e) == "AccessDeniedException"
    outsider = api.client("organizations", acct_b.root_creds)
    with pytest.raises(ClientError) as e:
        outsider.list_tags_for_resource(ResourceId=tree["member"])
    assert error_code(e) == "AWSOrganizationsNotInUseException"


def test_tag_permissions_and_tag_condition_keys(api, acct, orgs, tree):
    """organizations:TagResource is decided by the engine, with aws:TagKeys and
    aws:RequestTag/… in the request context."""
    _, creds = acct.make_user(
        "tagger",
        policy={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["organizations:TagResource", "organizations:ListTagsForResource"],
                    "Resource": "*",
                    "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}},
                },
                {
                    "Effect": "Deny",
                    "Action": "organizations:TagResource",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:RequestTag/team": "root"}},
                },
            ],
        },
    )
    client = api.client("organizations", creds)
    member = tree["member"]
    client.tag_resource(ResourceId=member, Tags=[{"Key": "team", "Value": "blue"}])
    for tags in ([{"Key": "other", "Value": "x"}], [{"Key": "team", "Value": "root"}]):
        with pytest.raises(ClientError) as e:
            client.tag_resource(ResourceId=member, Tags=tags)
        assert error_code(e) == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        client.untag_resource(ResourceId=member, TagKeys=["team"])
    assert error_code(e) == "AccessDeniedException"
    assert tags_of(orgs, member) == {"team": "blue"}


def test_invitation_tags_are_attached_when_the_account_joins(api, orgs, tree, acct_b):
    h = orgs.invite_account_to_organization(
        Target={"Id": acct_b.id, "Type": "ACCOUNT"}, Tags=[{"Key": "source", "Value": "invite"}]
    )["Handshake"]
    with pytest.raises(ClientError) as e:
        orgs.list_tags_for_resource(ResourceId=acct_b.id)
    assert error_code(e) == "TargetNotFoundException"  # not a member yet
    invited = api.client("organizations", acct_b.root_creds)
    invited.accept_handshake(HandshakeId=h["Id"])
    assert tags_of(orgs, acct_b.id) == {"source": "invite"}
    # Leaving takes the account's tags with it.
    orgs.remove_account_from_organization(AccountId=acct_b.id)
    from organizations.models import OrgTag

    assert not OrgTag.objects.filter(resource_id=acct_b.id).exists()
    with pytest.raises(ClientError) as e:
        orgs.invite_account_to_organization(
            Target={"Id": acct_b.id, "Type": "ACCOUNT"}, Tags=[{"Key": "aws:x", "Value": ""}]
        )
    assert reason(e) == "INVALID_SYSTEM_TAGS_PARAMETER"


def test_deleting_an_ou_or_policy_removes_its_tags(orgs, tree):
    from organizations.models import OrgTag

    ou = orgs.create_organizational_unit(
        ParentId=tree["root"]["Id"], Name="gone", Tags=[{"Key": "k", "Value": "v"}]
    )["OrganizationalUnit"]
    policy = orgs.create_policy(
        Content=DOC, Description="", Name="gone", Type=SCP, Tags=[{"Key": "k", "Value": "v"}]
    )["Policy"]["PolicySummary"]
    orgs.delete_organizational_unit(OrganizationalUnitId=ou["Id"])
    orgs.delete_policy(PolicyId=policy["Id"])
    assert not OrgTag.objects.filter(resource_id__in=[ou["Id"], policy["Id"]]).exists()
    with pytest.raises(ClientError) as e:
        orgs.list_tags_for_resource(ResourceId=ou["Id"])
    assert error_code(e) == "TargetNotFoundException"
