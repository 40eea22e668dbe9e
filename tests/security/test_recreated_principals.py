"""Trust policies follow the principal, not its name (issue 10, item 7).

A role trusting ``user/tempu`` must not be assumable by a new user created with the same
name after the first was deleted: AWS stores the principal's unique id, and once the user
(or role) is gone GetRole shows that id (``AIDA…`` / ``AROA…``) in the trust policy.
Made through boto3 against a live server, as the attack was.
"""

from __future__ import annotations

import json

import pytest

# The live-server fixtures of tests/api, visible here through the import.
from tests.api.conftest import acct, acct_b, allow, api, boto_session  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def _trust(*principals: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {
                        "AWS": list(principals) if len(principals) > 1 else principals[0]
                    },
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


@pytest.fixture
def live(request):
    """(api, account A, account B) from tests/api/conftest.py."""
    return (
        request.getfixturevalue("api"),
        request.getfixturevalue("acct"),
        request.getfixturevalue("acct_b"),
    )


def _assume(server, creds, role_arn: str) -> str:
    from botocore.exceptions import ClientError

    try:
        server.sts(creds).assume_role(RoleArn=role_arn, RoleSessionName="probe")
    except ClientError as exc:
        return exc.response["Error"]["Code"]
    return "OK"


def _delete_user_through_api(iam, name: str) -> None:
    for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    for policy in iam.list_user_policies(UserName=name)["PolicyNames"]:
        iam.delete_user_policy(UserName=name, PolicyName=policy)
    iam.delete_user(UserName=name)


def test_a_user_recreated_with_a_deleted_users_name_is_not_trusted(live, figure):
    server, a, b = live
    may_assume = allow("sts:AssumeRole")
    old, old_creds = a.make_user("tempu", policy=may_assume)
    root_a, root_b = server.iam(a.root_creds), server.iam(b.root_creds)
    role = root_a.create_role(RoleName="trusting", AssumeRolePolicyDocument=_trust(old.arn))
    # Another principal in the same list keeps its ARN; a cross-account trust follows too.
    root_a.create_role(
        RoleName="shared",
        AssumeRolePolicyDocument=_trust(old.arn, f"arn:aws:iam::{a.id}:user/keeper"),
    )
    cross = root_b.create_role(RoleName="from-a", AssumeRolePolicyDocument=_trust(old.arn))
    before = _assume(server, old_creds, role["Role"]["Arn"])

    _delete_user_through_api(root_a, "tempu")
    _, new_creds = a.make_user("tempu", policy=may_assume)
    after = _assume(server, new_creds, role["Role"]["Arn"])
    after_cross = _assume(server, new_creds, cross["Role"]["Arn"])

    def principal(iam, name):
        doc = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
        return doc["Statement"][0]["Principal"]["AWS"]

    shown, shared, shown_b = (
        principal(root_a, "trusting"),
        principal(root_a, "shared"),
        principal(root_b, "from-a"),
    )
    figure(
        f"AssumeRole by the original tempu: {before}; by a re-created tempu: {after} "
        f"(cross-account role: {after_cross}); GetRole principal after deletion: {shown}"
    )
    assert before == "OK"
    assert (after, after_cross) == ("AccessDenied", "AccessDenied")
    assert shown == old.unique_id and shown.startswith("AIDA")
    assert shown_b == old.unique_id
    assert shared == [old.unique_id, f"arn:aws:iam::{a.id}:user/keeper"]


def test_a_role_recreated_with_a_deleted_roles_name_is_not_trusted(live, figure):
    server, a, _ = live
    root_a = server.iam(a.root_creds)
    trust_root = _trust(f"arn:aws:iam::{a.id}:root")
    first = root_a.create_role(RoleName="hop", AssumeRolePolicyDocument=trust_root)["Role"]
    target = root_a.create_role(RoleName="target", AssumeRolePolicyDocument=_trust(first["Arn"]))[
        "Role"
    ]
    root_a.put_role_policy(
        RoleName="hop", PolicyName="p", PolicyDocument=json.dumps(allow("sts:AssumeRole"))
    )
    _, admin = a.make_user("admin", policy=allow("sts:AssumeRole"))

    def via_hop() -> str:
        creds = server.sts(admin).assume_role(RoleArn=first["Arn"], RoleSessionName="hop-session")
        c = creds["Credentials"]
        from tests.api.conftest import Creds

        session = Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        return _assume(server, session, target["Arn"])

    before = via_hop()
    root_a.delete_role_policy(RoleName="hop", PolicyName="p")
    root_a.delete_role(RoleName="hop")
    root_a.create_role(RoleName="hop", AssumeRolePolicyDocument=trust_root)
    root_a.put_role_policy(
        RoleName="hop", PolicyName="p", PolicyDocument=json.dumps(allow("sts:AssumeRole"))
    )
    after = via_hop()
    doc = root_a.get_role(RoleName="target")["Role"]["AssumeRolePolicyDocument"]
    shown = doc["Statement"][0]["Principal"]["AWS"]
    figure(
        f"AssumeRole from the original role's session: {before}; from a re-created role's "
        f"session: {after}; GetRole principal after deletion: {shown}"
    )
    assert before == "OK"
    assert after == "AccessDenied"
    assert shown == first["RoleId"] and shown.startswith("AROA")


def test_a_renamed_user_stays_trusted_and_a_new_user_with_the_old_name_is_not(live, figure):
    server, a, _ = live
    may_assume = allow("sts:AssumeRole")
    old, old_creds = a.make_user("tempu", policy=may_assume)
    root_a = server.iam(a.root_creds)
    role = root_a.create_role(RoleName="trusting", AssumeRolePolicyDocument=_trust(old.arn))
    root_a.update_user(UserName="tempu", NewUserName="renamed")
    _, new_creds = a.make_user("tempu", policy=may_assume)
    renamed, newcomer = (
        _assume(server, old_creds, role["Role"]["Arn"]),
        _assume(server, new_creds, role["Role"]["Arn"]),
    )
    doc = root_a.get_role(RoleName="trusting")["Role"]["AssumeRolePolicyDocument"]
    shown = doc["Statement"][0]["Principal"]["AWS"]
    figure(
        f"after UpdateUser tempu -> renamed: AssumeRole by the renamed user: {renamed}; "
        f"by a new tempu: {newcomer}; GetRole principal: {shown}"
    )
    assert (renamed, newcomer) == ("OK", "AccessDenied")
    assert shown == f"arn:aws:iam::{a.id}:user/renamed"
