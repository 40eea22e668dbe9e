"""IAM over the Query API with boto3 against a live server."""

from __future__ import annotations

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
