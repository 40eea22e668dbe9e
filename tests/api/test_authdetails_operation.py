"""The GetAccountAuthorizationDetails operation (accounts/operations/authdetails.py):
the AWS-shaped answer with plain documents, paged over one mixed sequence."""

from __future__ import annotations

import json

import pytest

from accounts.errors import AccessDenied, ValidationError
from accounts.operations.authdetails import get_account_authorization_details
from policies import operations as pops
from tests.conftest import allow_policy

pytestmark = pytest.mark.django_db


def test_documents_come_back_as_plain_json_text(root, iam_user):
    document = allow_policy("s3:GetObject")
    pops.put_user_policy(actor=root, user_name="alice", policy_name="read", document=document)
    policy = pops.create_policy(actor=root, name="p", document=document)
    pops.attach_user_policy(actor=root, user_name="alice", policy_arn=policy.arn)

    out = get_account_authorization_details(actor=root)

    (user,) = out["UserDetailList"]
    assert user["UserPolicyList"] == [{"PolicyName": "read", "PolicyDocument": document}]
    assert user["AttachedManagedPolicies"] == [{"PolicyName": "p", "PolicyArn": policy.arn}]
    (local,) = [p for p in out["Policies"] if p["Arn"] == policy.arn]
    assert json.loads(local["PolicyVersionList"][0]["Document"]) == json.loads(document)
    assert local["AttachmentCount"] == 1 and local["PermissionsBoundaryUsageCount"] == 0
    assert out["IsTruncated"] is False and "Marker" not in out


def test_pages_walk_users_then_groups_with_one_marker(root, iam_user, group):
    first = get_account_authorization_details(actor=root, filters=["User", "Group"], max_items=1)
    assert [u["UserName"] for u in first["UserDetailList"]] == ["alice"]
    assert first["GroupDetailList"] == [] and first["IsTruncated"] is True
    rest = get_account_authorization_details(
        actor=root, filters=["User", "Group"], marker=first["Marker"], max_items=1
    )
    assert rest["UserDetailList"] == []
    assert [g["GroupName"] for g in rest["GroupDetailList"]] == ["developers"]
    assert rest["IsTruncated"] is False


def test_a_marker_it_did_not_issue_is_refused(root, iam_user):
    with pytest.raises(ValidationError):
        get_account_authorization_details(actor=root, marker="bm90LWEtbnVtYmVy")
    with pytest.raises(ValidationError):
        get_account_authorization_details(actor=root, max_items=0)


def test_a_user_without_permission_is_denied(alice):
    with pytest.raises(AccessDenied):
        get_account_authorization_details(actor=alice)
