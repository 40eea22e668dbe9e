"""Marker/MaxItems on ListEntitiesForPolicy and List{User,Role,Policy}Tags, with boto3's
paginators, as botocore's model pages them."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import allow, error_code

TAGS = [{"Key": f"k{i:02d}", "Value": str(i)} for i in range(7)]
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


def test_list_entities_for_policy_pages_over_groups_users_and_roles(root_iam, acct):
    from accounts.operations.groups import create_group
    from accounts.operations.roles import create_role
    from accounts.operations.users import create_user
    from policies import operations as pops

    policy = pops.create_policy(actor=acct.root, name="shared", document=json.dumps(allow()))
    for n in range(3):
        create_group(actor=acct.root, name=f"g{n}")
        pops.attach_group_policy(actor=acct.root, group_name=f"g{n}", policy_arn=policy.arn)
        create_user(actor=acct.root, name=f"u{n}")
        pops.attach_user_policy(actor=acct.root, user_name=f"u{n}", policy_arn=policy.arn)
    create_role(actor=acct.root, name="r0", trust_policy=TRUST)
    pops.attach_role_policy(actor=acct.root, role_name="r0", policy_arn=policy.arn)

    first = root_iam.list_entities_for_policy(PolicyArn=policy.arn, MaxItems=4)
    assert first["IsTruncated"] is True and first["Marker"]
    assert [g["GroupName"] for g in first["PolicyGroups"]] == ["g0", "g1", "g2"]
    assert [u["UserName"] for u in first["PolicyUsers"]] == ["u0"]
    assert first["PolicyRoles"] == []
    rest = root_iam.list_entities_for_policy(
        PolicyArn=policy.arn, MaxItems=4, Marker=first["Marker"]
    )
    assert rest["IsTruncated"] is False and "Marker" not in rest
    assert [u["UserName"] for u in rest["PolicyUsers"]] == ["u1", "u2"]
    assert [r["RoleName"] for r in rest["PolicyRoles"]] == ["r0"]

    paginator = root_iam.get_paginator("list_entities_for_policy")
    merged = paginator.paginate(PolicyArn=policy.arn, PaginationConfig={"PageSize": 2})
    full = merged.build_full_result()
    assert len(full["PolicyGroups"]) == 3 and len(full["PolicyUsers"]) == 3
    assert [r["RoleName"] for r in full["PolicyRoles"]] == ["r0"]


def test_tag_lists_page_with_marker_and_max_items(root_iam, acct):
    from accounts.operations.roles import create_role
    from accounts.operations.users import create_user
    from policies import operations as pops

    create_user(actor=acct.root, name="tagged", tags=TAGS)
    create_role(actor=acct.root, name="tagged-role", trust_policy=TRUST, tags=TAGS)
    policy = pops.create_policy(
        actor=acct.root, name="tagged-policy", document=json.dumps(allow()), tags=TAGS
    )
    calls = [
        ("list_user_tags", {"UserName": "tagged"}),
        ("list_role_tags", {"RoleName": "tagged-role"}),
        ("list_policy_tags", {"PolicyArn": policy.arn}),
    ]
    for name, params in calls:
        first = getattr(root_iam, name)(MaxItems=5, **params)
        assert first["Tags"] == TAGS[:5] and first["IsTruncated"] is True
        rest = getattr(root_iam, name)(MaxItems=5, Marker=first["Marker"], **params)
        assert rest["Tags"] == TAGS[5:] and rest["IsTruncated"] is False
        pages = root_iam.get_paginator(name).paginate(PaginationConfig={"PageSize": 3}, **params)
        assert [t for page in pages for t in page["Tags"]] == TAGS
        assert getattr(root_iam, name)(**params)["IsTruncated"] is False

    with pytest.raises(ClientError) as exc:
        root_iam.list_user_tags(UserName="tagged", Marker="bm90LWEtbnVtYmVy")
    assert error_code(exc) == "ValidationError"
