"""Issue 11: answers pinned to what AWS really returns, one test per item.

Sources: localstack's AWS-validated snapshot recordings (``tests/aws/services/iam/
test_iam_*.snapshot.json`` and ``tests/aws/services/sts/test_sts.snapshot.json``,
recorded against real AWS; cited per test as ``localstack <file> <snapshot key>``),
the IAM API reference and the IAM User Guide.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_A, Creds, allow, error_code

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_A}:root"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ],
    }
)
DOC = json.dumps(allow("s3:GetObject", "*"))


def error(exc_info: pytest.ExceptionInfo) -> tuple[str, str, int]:
    response = exc_info.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def session_creds(response: dict) -> Creds:
    c = response["Credentials"]
    return Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


def _role_session(api, acct, *, name: str = "ops", policy: dict | None = None, **assume):
    """A role session of account A (assumed by an admin user), and its STS answer."""
    _, admin = acct.make_user(f"{name}-admin", policy=allow())
    api.iam(acct.root_creds).create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    api.iam(acct.root_creds).put_role_policy(
        RoleName=name, PolicyName="p", PolicyDocument=json.dumps(policy or allow())
    )
    arn = f"arn:aws:iam::{ACCOUNT_A}:role/{name}"
    answer = api.sts(admin).assume_role(RoleArn=arn, RoleSessionName="s1", **assume)
    return session_creds(answer), answer


# 1 ---------------------------------------------------------------------------------------
def test_1_retagging_a_key_updates_its_value_in_place(root_iam):
    # localstack test_iam_policies/test_iam_roles "tag" recordings: after re-tagging
    # somekey, ListPolicyTags/ListRoleTags still read [somekey, someotherkey].
    tags = [{"Key": "somekey", "Value": "a"}, {"Key": "someotherkey", "Value": "b"}]
    arn = root_iam.create_policy(PolicyName="p", PolicyDocument=DOC, Tags=tags)["Policy"]["Arn"]
    root_iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST, Tags=tags)
    root_iam.create_user(UserName="u", Tags=tags)
    root_iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "somekey", "Value": "new"}])
    root_iam.tag_role(RoleName="r", Tags=[{"Key": "somekey", "Value": "new"}])
    root_iam.tag_user(UserName="u", Tags=[{"Key": "somekey", "Value": "new"}])
    expected = [{"Key": "somekey", "Value": "new"}, {"Key": "someotherkey", "Value": "b"}]
    assert root_iam.list_policy_tags(PolicyArn=arn)["Tags"] == expected
    assert root_iam.list_role_tags(RoleName="r")["Tags"] == expected
    assert root_iam.list_user_tags(UserName="u")["Tags"] == expected


# 2 ---------------------------------------------------------------------------------------
def test_2_deleting_a_password_policy_that_is_not_set(root_iam):
    # localstack test_iam_account_password_policy "delete-not-found" (2026-02-13).
    with pytest.raises(ClientError) as exc:
        root_iam.delete_account_password_policy()
    assert error(exc) == (
        "NoSuchEntity",
        "The account policy with name PasswordPolicy cannot be found.",
        404,
    )
    # GetAccountPasswordPolicy keeps its own text ("policy-not-found").
    with pytest.raises(ClientError) as exc:
        root_iam.get_account_password_policy()
    assert error(exc)[1] == f"The Password Policy with domain name {ACCOUNT_A} cannot be found."


# 3 ---------------------------------------------------------------------------------------
def test_3_validation_errors_in_aws_order_without_the_rejected_value(root_iam):
    # localstack test_iam_account_password_policy "validation-errors" (2026-02-13).
    with pytest.raises(ClientError) as exc:
        root_iam.update_account_password_policy(
            MinimumPasswordLength=129, MaxPasswordAge=1096, PasswordReusePrevention=25
        )
    assert error(exc) == (
        "ValidationError",
        "3 validation errors detected: "
        "Value at 'minimumPasswordLength' failed to satisfy constraint: "
        "Member must have value less than or equal to 128; "
        "Value at 'passwordReusePrevention' failed to satisfy constraint: "
        "Member must have value less than or equal to 24; "
        "Value at 'maxPasswordAge' failed to satisfy constraint: "
        "Member must have value less than or equal to 1095",
        400,
    )
    # Every IAM validation message leaves the value out (localstack test_iam_roles /
    # test_iam_policies: "Value at 'tags.1.member.key' failed to satisfy constraint: …").
    with pytest.raises(ClientError) as exc:
        root_iam.create_user(UserName="u", Tags=[{"Key": "k" * 129, "Value": "v"}])
    assert error(exc)[1] == (
        "1 validation error detected: Value at 'tags.1.member.key' failed to satisfy "
        "constraint: Member must have length less than or equal to 128"
    )
    with pytest.raises(ClientError) as exc:
        root_iam.create_user(UserName="bad name!")
    assert error(exc)[1] == (
        "1 validation error detected: Value at 'userName' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: [\w+=,.@-]+"
    )


def test_3_sts_validation_messages_still_quote_the_value(api, acct):
    # localstack test_sts: "1 validation error detected: Value 'Session1:2' at
    # 'roleSessionName' failed to satisfy constraint: …"
    _, creds = acct.make_user("sts-caller", policy=allow())
    with pytest.raises(ClientError) as exc:
        api.sts(creds).assume_role(
            RoleArn=f"arn:aws:iam::{ACCOUNT_A}:role/none", RoleSessionName="Session1:2"
        )
    assert error(exc)[1] == (
        "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to "
        r"satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*"
    )


# 4 ---------------------------------------------------------------------------------------
def test_4_account_summary_has_signing_certificate_quota_and_password_present(root_iam):
    # localstack test_iam_account_summary "transformed-summary" (2026-02-17).
    summary = root_iam.get_account_summary()["SummaryMap"]
    assert summary["SigningCertificatesPerUserQuota"] == 2
    assert summary["AccountPasswordPresent"] == 1  # the fixture's root signed up with one


# 5 ---------------------------------------------------------------------------------------
def test_5_get_policy_returns_empty_tags_for_an_untagged_policy(root_iam):
    # localstack's native provider, from its recordings: "AWS returns empty list if no
    # tags" for GetPolicy; CreatePolicy omits Tags when none were given.
    created = root_iam.create_policy(PolicyName="p", PolicyDocument=DOC)["Policy"]
    assert "Tags" not in created
    assert root_iam.get_policy(PolicyArn=created["Arn"])["Policy"]["Tags"] == []


# 6 ---------------------------------------------------------------------------------------
PATH_MESSAGE = (
    "The specified value for path is invalid. It must begin and end with / and contain "
    "only alphanumeric characters and/or / characters."
)


@pytest.mark.parametrize(
    "call",
    [
        lambda iam: iam.create_user(UserName="u", Path="nope"),
        lambda iam: iam.create_group(GroupName="g", Path="/no"),
        lambda iam: iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST, Path="x/"),
        lambda iam: iam.create_policy(PolicyName="p", PolicyDocument=DOC, Path="bad"),
        lambda iam: iam.create_virtual_mfa_device(VirtualMFADeviceName="d", Path="bad"),
    ],
)
def test_6_an_invalid_path_gets_aws_path_message(root_iam, call):
    # localstack test_iam_mfa (CreateVirtualMFADevice with Path "bad"): ValidationError.
    with pytest.raises(ClientError) as exc:
        call(root_iam)
    assert error(exc) == ("ValidationError", PATH_MESSAGE, 400)


def test_6_an_invalid_new_path_gets_aws_path_message(root_iam):
    root_iam.create_user(UserName="u")
    with pytest.raises(ClientError) as exc:
        root_iam.update_user(UserName="u", NewPath="bad")
    assert error(exc) == ("ValidationError", PATH_MESSAGE, 400)


# 7 ---------------------------------------------------------------------------------------
def test_7_group_membership_resolves_the_user_first(root_iam):
    # localstack test_iam_groups: with neither existing, "The user with name X cannot be
    # found." for AddUserToGroup and RemoveUserFromGroup.
    for call in (root_iam.add_user_to_group, root_iam.remove_user_from_group):
        with pytest.raises(ClientError) as exc:
            call(GroupName="nonexisting", UserName="non-existent-user")
        assert error(exc) == (
            "NoSuchEntity",
            "The user with name non-existent-user cannot be found.",
            404,
        )


# 8 ---------------------------------------------------------------------------------------
def test_8_trust_policies_allow_only_sts_assume_role_actions(root_iam):
    # localstack test_iam_roles: "AssumeRole policy may only specify STS AssumeRole
    # actions." and "This policy contains invalid Json" (MalformedPolicyDocument).
    bad = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject"}],
        }
    )
    with pytest.raises(ClientError) as exc:
        root_iam.create_role(RoleName="r", AssumeRolePolicyDocument=bad)
    assert error(exc) == (
        "MalformedPolicyDocument",
        "AssumeRole policy may only specify STS AssumeRole actions.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        root_iam.create_role(RoleName="r", AssumeRolePolicyDocument="{not json")
    assert error(exc) == ("MalformedPolicyDocument", "This policy contains invalid Json", 400)
    # Permission policies keep their own text.
    with pytest.raises(ClientError) as exc:
        root_iam.create_policy(PolicyName="p", PolicyDocument="{not json")
    assert error(exc)[1] == "Syntax errors in policy."


# 9 ---------------------------------------------------------------------------------------
def test_9_list_policy_versions_lists_newest_first(root_iam):
    # localstack test_iam_policies (list versions recordings): v3, v2, v1.
    arn = root_iam.create_policy(PolicyName="p", PolicyDocument=DOC)["Policy"]["Arn"]
    root_iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOC)
    root_iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOC, SetAsDefault=True)
    versions = root_iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v3", "v2", "v1"]
    first = root_iam.list_policy_versions(PolicyArn=arn, MaxItems=1)
    assert [v["VersionId"] for v in first["Versions"]] == ["v3"] and first["IsTruncated"]
    rest = root_iam.list_policy_versions(PolicyArn=arn, Marker=first["Marker"])
    assert [v["VersionId"] for v in rest["Versions"]] == ["v2", "v1"]


# 10 --------------------------------------------------------------------------------------
def test_10_password_policy_omits_hard_expiry_when_never_set(root_iam):
    # localstack test_iam_account_password_policy "password-policy-defaults": no HardExpiry.
    root_iam.update_account_password_policy()
    policy = root_iam.get_account_password_policy()["PasswordPolicy"]
    assert policy == {
        "AllowUsersToChangePassword": False,
        "ExpirePasswords": False,
        "MinimumPasswordLength": 6,
        "RequireLowercaseCharacters": False,
        "RequireNumbers": False,
        "RequireSymbols": False,
        "RequireUppercaseCharacters": False,
    }
    root_iam.update_account_password_policy(HardExpiry=True)
    assert root_iam.get_account_password_policy()["PasswordPolicy"]["HardExpiry"] is True


# 11 --------------------------------------------------------------------------------------
# IAM User Guide, "Set an account password policy for IAM users": without a custom
# policy, passwords need 8-128 characters, three of uppercase, lowercase, numbers and
# symbols, and must not be the account name or email address.


def test_11_default_password_policy_applies_to_login_profiles(root_iam):
    root_iam.create_user(UserName="u")
    for weak in ("Password", "password1", "Sh0rt!", "ALLUPPER123"):
        with pytest.raises(ClientError) as exc:
            root_iam.create_login_profile(UserName="u", Password=weak)
        assert error_code(exc) == "PasswordPolicyViolation", weak
    with pytest.raises(ClientError) as exc:
        root_iam.create_login_profile(UserName="u", Password="root-a@example.com")
    assert error_code(exc) == "PasswordPolicyViolation"
    root_iam.create_login_profile(UserName="u", Password="Corr3ct-horse")
    with pytest.raises(ClientError) as exc:
        root_iam.update_login_profile(UserName="u", Password="Password")
    assert error_code(exc) == "PasswordPolicyViolation"


def test_11_a_custom_policy_replaces_the_default(root_iam):
    root_iam.update_account_password_policy(MinimumPasswordLength=6)
    root_iam.create_user(UserName="u")
    root_iam.create_login_profile(UserName="u", Password="abcdef")


def test_11_default_password_policy_applies_to_sign_up_and_create_account(transactional_db):
    from django.core.management import CommandError, call_command

    from accounts.errors import IamError
    from accounts.operations.account import sign_up

    with pytest.raises(IamError):
        sign_up(email="weak@example.com", password="Password")
    with pytest.raises(IamError):
        sign_up(email="same@example.com", password="same@example.com")
    with pytest.raises(CommandError):
        call_command("create_account", email="cmd@example.com", password="password1")
    assert sign_up(email="ok@example.com", password="Corr3ct-horse").account.id


def test_11_default_password_policy_applies_to_the_console_sign_up(client, transactional_db):
    from django.urls import reverse

    from accounts.models import ConsoleUser

    url = reverse("accounts:signup")
    for weak in ("password1", "PASSWORD12", "web@example.com"):
        client.post(url, {"email": "web@example.com", "password1": weak, "password2": weak})
        assert not ConsoleUser.objects.filter(email="web@example.com").exists(), weak
    good = "Corr3ct-horse"
    client.post(url, {"email": "web@example.com", "password1": good, "password2": good})
    # The account is made by the emailed link (a taken email gets the same page).
    from django.core import mail

    link = re.search(r"/signup/confirm/\S+/", mail.outbox[-1].body).group(0)
    client.post(link, {"password": good})
    assert ConsoleUser.objects.filter(email="web@example.com", is_root=True).exists()


# 12 --------------------------------------------------------------------------------------
def test_12_messages_for_mfa_devices_tags_and_missing_policies(root_iam):
    # localstack test_iam_mfa: "MFA device already exists." (EntityAlreadyExists).
    root_iam.create_virtual_mfa_device(VirtualMFADeviceName="d")
    with pytest.raises(ClientError) as exc:
        root_iam.create_virtual_mfa_device(VirtualMFADeviceName="d")
    assert error(exc) == ("EntityAlreadyExists", "MFA device already exists.", 409)
    # localstack test_iam_policies: "Duplicate tag keys found." (InvalidInput);
    # test_iam_roles keeps "… Please note that Tag keys are case insensitive."
    dup = [{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]
    with pytest.raises(ClientError) as exc:
        root_iam.create_policy(PolicyName="p", PolicyDocument=DOC, Tags=dup)
    assert error(exc) == ("InvalidInput", "Duplicate tag keys found.", 400)
    with pytest.raises(ClientError) as exc:
        root_iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST, Tags=dup)
    assert error(exc)[1] == (
        "Duplicate tag keys found. Please note that Tag keys are case insensitive."
    )
    # localstack test_iam_policies: "Policy arn:…:policy/NotAPolicy was not found."
    missing = f"arn:aws:iam::{ACCOUNT_A}:policy/NotAPolicy"
    for call in (
        lambda: root_iam.tag_policy(PolicyArn=missing, Tags=[{"Key": "k", "Value": "v"}]),
        lambda: root_iam.untag_policy(PolicyArn=missing, TagKeys=["k"]),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc) == ("NoSuchEntity", f"Policy {missing} was not found.", 404)
    # localstack test_iam_policies "err-untag-large-key" / test_iam_roles
    # "untag-role-invalid-char".
    arn = root_iam.create_policy(PolicyName="p", PolicyDocument=DOC)["Policy"]["Arn"]
    tag_keys_message = (
        "1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: "
        "Member must satisfy constraint: [Member must have length less than or equal to "
        "128, Member must have length greater than or equal to 1, Member must satisfy "
        r"regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+, Member must not be null]"
    )
    for keys in (["k" * 129], ["bad!key"]):
        with pytest.raises(ClientError) as exc:
            root_iam.untag_policy(PolicyArn=arn, TagKeys=keys)
        assert error(exc) == ("ValidationError", tag_keys_message, 400)


# 13 --------------------------------------------------------------------------------------
def test_13_credential_report_root_row_columns_and_z_timestamps(root_iam):
    # IAM User Guide "Generate credential reports" (columns, root as <root_account>);
    # localstack test_iam_credential_report "credentials-report": field order as below,
    # timestamps like 2022-07-13T13:48:01Z.
    root_iam.create_user(UserName="u")
    root_iam.create_access_key(UserName="u")
    root_iam.generate_credential_report()
    content = root_iam.get_credential_report()["Content"].decode()
    reader = csv.DictReader(io.StringIO(content))
    assert reader.fieldnames == [
        "user", "arn", "user_creation_time", "password_enabled", "password_last_used",
        "password_last_changed", "password_next_rotation", "mfa_active",
        "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
        "access_key_1_last_used_region", "access_key_1_last_used_service",
        "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
        "access_key_2_last_used_region", "access_key_2_last_used_service",
        "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
    ]  # fmt: skip
    rows = list(reader)
    assert rows[0]["user"] == "<root_account>"
    assert rows[0]["arn"] == f"arn:aws:iam::{ACCOUNT_A}:root"
    assert rows[0]["password_enabled"] == "not_supported"
    assert rows[1]["user"] == "u"
    for value in (rows[0]["user_creation_time"], rows[1]["user_creation_time"],
                  rows[1]["access_key_1_last_rotated"]):  # fmt: skip
        assert value.endswith("Z") and "+00:00" not in value and "." not in value


# 14 --------------------------------------------------------------------------------------
def test_14_create_and_update_role_answers_carry_only_what_aws_returns(root_iam):
    # localstack test_iam_roles "create-role-response": Arn, AssumeRolePolicyDocument,
    # CreateDate, Path, RoleId, RoleName (+ Description/Tags/PermissionsBoundary if given).
    plain = root_iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]
    assert sorted(plain) == [
        "Arn", "AssumeRolePolicyDocument", "CreateDate", "Path", "RoleId", "RoleName",
    ]  # fmt: skip
    full = root_iam.create_role(
        RoleName="r2",
        AssumeRolePolicyDocument=TRUST,
        Description="d",
        Tags=[{"Key": "k", "Value": "v"}],
        PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess",
    )["Role"]
    assert full["Description"] == "d" and full["Tags"] == [{"Key": "k", "Value": "v"}]
    assert full["PermissionsBoundary"]["PermissionsBoundaryType"] == "Policy"
    assert "MaxSessionDuration" not in full and "RoleLastUsed" not in full
    updated = root_iam.update_role(RoleName="r", Description="x", MaxSessionDuration=7200)
    assert set(updated) == {"ResponseMetadata"}
    got = root_iam.get_role(RoleName="r")["Role"]
    assert got["MaxSessionDuration"] == 7200 and got["Description"] == "x"
    assert got["RoleLastUsed"] == {}


# 15 --------------------------------------------------------------------------------------
def test_15_delete_conflicts_name_what_must_go_first(root_iam):
    # localstack test_iam_users / test_iam_roles "delete-*-with-attached-policy-error" and
    # "…-with-inline-policy-error"; the group texts are the same entity texts.
    managed = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    root_iam.create_user(UserName="u")
    root_iam.create_group(GroupName="g")
    root_iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    attach = {
        "u": lambda: root_iam.attach_user_policy(UserName="u", PolicyArn=managed),
        "g": lambda: root_iam.attach_group_policy(GroupName="g", PolicyArn=managed),
        "r": lambda: root_iam.attach_role_policy(RoleName="r", PolicyArn=managed),
    }
    detach = {
        "u": lambda: root_iam.detach_user_policy(UserName="u", PolicyArn=managed),
        "g": lambda: root_iam.detach_group_policy(GroupName="g", PolicyArn=managed),
        "r": lambda: root_iam.detach_role_policy(RoleName="r", PolicyArn=managed),
    }
    put = {
        "u": lambda: root_iam.put_user_policy(UserName="u", PolicyName="i", PolicyDocument=DOC),
        "g": lambda: root_iam.put_group_policy(GroupName="g", PolicyName="i", PolicyDocument=DOC),
        "r": lambda: root_iam.put_role_policy(RoleName="r", PolicyName="i", PolicyDocument=DOC),
    }
    delete = {
        "u": lambda: root_iam.delete_user(UserName="u"),
        "g": lambda: root_iam.delete_group(GroupName="g"),
        "r": lambda: root_iam.delete_role(RoleName="r"),
    }
    for name in ("u", "g", "r"):
        attach[name]()
        with pytest.raises(ClientError) as exc:
            delete[name]()
        assert error(exc) == (
            "DeleteConflict",
            "Cannot delete entity, must detach all policies first.",
            409,
        )
        detach[name]()
        put[name]()
        with pytest.raises(ClientError) as exc:
            delete[name]()
        assert error(exc) == (
            "DeleteConflict",
            "Cannot delete entity, must delete policies first.",
            409,
        )


def test_15_malformed_policy_arn_is_a_validation_error(root_iam):
    # localstack test_iam_roles "non-existent-malformed-policy-arn": ValidationError
    # "ARN longpolicynamebutnoarn is not valid."; an ARN that is not a policy's stays
    # InvalidInput ("put-invalid-boundary-error").
    root_iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    with pytest.raises(ClientError) as exc:
        root_iam.attach_role_policy(RoleName="r", PolicyArn="longpolicynamebutnoarn")
    assert error(exc) == ("ValidationError", "ARN longpolicynamebutnoarn is not valid.", 400)
    not_policy = f"arn:aws:iam::{ACCOUNT_A}:not_a_policy/invalid"
    with pytest.raises(ClientError) as exc:
        root_iam.put_role_permissions_boundary(RoleName="r", PermissionsBoundary=not_policy)
    assert error(exc) == ("InvalidInput", f"ARN {not_policy} is not valid.", 400)


def test_15_delete_access_key_without_user_name_from_non_user_credentials(api, acct, root_iam):
    # localstack test_iam_users "delete-access-key-without-username-error".
    key = root_iam.create_access_key(UserName=acct.make_user("keyed")[0].name)["AccessKey"]
    session, _ = _role_session(api, acct)
    expected = (
        "ValidationError",
        "Must specify userName when calling with non-User credentials",
        400,
    )
    for iam in (api.iam(session), root_iam):
        with pytest.raises(ClientError) as exc:
            iam.delete_access_key(AccessKeyId=key["AccessKeyId"])
        assert error(exc) == expected
    # Root still manages its own keys without a user name (DeleteAccessKey reference).
    own = root_iam.create_access_key()["AccessKey"]["AccessKeyId"]
    root_iam.delete_access_key(AccessKeyId=own)


def test_15_get_access_key_last_used_denial_wording(api, acct):
    # localstack test_iam_users "get-last-used-nonexistent-key-error".
    user, creds = acct.make_user("asker", policy=allow())
    with pytest.raises(ClientError) as exc:
        api.iam(creds).get_access_key_last_used(AccessKeyId="AKIAIOSFODNN7EXAMPLE")
    assert error(exc) == (
        "AccessDenied",
        f"User: {user.arn} is not authorized to perform iam:GetAccessKeyLastUsed on "
        "resource: access key AKIAIOSFODNN7EXAMPLE",
        403,
    )


def test_15_permissions_boundary_type_is_policy(root_iam):
    # localstack test_iam_roles (boundary lifecycle): "PermissionsBoundaryType": "Policy".
    boundary = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    root_iam.create_user(UserName="u", PermissionsBoundary=boundary)
    got = root_iam.get_user(UserName="u")["User"]["PermissionsBoundary"]
    assert got == {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}


def test_15_assume_role_duplicate_tag_keys_are_invalid_parameter_value(api, acct):
    # localstack test_sts "duplicate-tag-keys-different-casing".
    _, admin = acct.make_user("dup-admin", policy=allow())
    api.iam(acct.root_creds).create_role(RoleName="dup", AssumeRolePolicyDocument=TRUST)
    with pytest.raises(ClientError) as exc:
        api.sts(admin).assume_role(
            RoleArn=f"arn:aws:iam::{ACCOUNT_A}:role/dup",
            RoleSessionName="s0",
            Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}],
        )
    assert error(exc) == (
        "InvalidParameterValue",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        400,
    )


# 16 --------------------------------------------------------------------------------------
def test_16_shapes_of_entities_managed_descriptions_and_authorization_details(root_iam):
    # localstack test_iam_policies: ListEntitiesForPolicy answers PolicyGroups [],
    # PolicyRoles [], PolicyUsers [] for an unattached policy.
    arn = root_iam.create_policy(PolicyName="p", PolicyDocument=DOC)["Policy"]["Arn"]
    found = root_iam.list_entities_for_policy(PolicyArn=arn)
    assert (found["PolicyGroups"], found["PolicyUsers"], found["PolicyRoles"]) == ([], [], [])
    # localstack test_iam_account_authorization_details "no_filter": a user without
    # inline policies has no UserPolicyList; groups and roles keep theirs.
    root_iam.create_user(UserName="u")
    root_iam.create_user(UserName="v")
    root_iam.put_user_policy(UserName="v", PolicyName="i", PolicyDocument=DOC)
    root_iam.create_group(GroupName="g")
    details = root_iam.get_account_authorization_details()
    users = {u["UserName"]: u for u in details["UserDetailList"]}
    assert "UserPolicyList" not in users["u"]
    assert [p["PolicyName"] for p in users["v"]["UserPolicyList"]] == ["i"]
    assert details["GroupDetailList"][0]["GroupPolicyList"] == []


@pytest.mark.xfail(
    strict=True,
    reason="the shipped AWS-managed catalog (moto's data) has no descriptions; the shape "
    "already emits Description when the catalog has one",
)
def test_16_aws_managed_policies_carry_their_description(root_iam):
    # IAM API reference, GetPolicy: AWS-managed policies return their Description
    # (ReadOnlyAccess: "Provides read-only access to AWS services and resources.").
    managed = root_iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")["Policy"]
    assert managed.get("Description")


# 17 --------------------------------------------------------------------------------------
def test_17_removing_a_non_member_succeeds(root_iam):
    # RemoveUserFromGroup reference: no error is documented for a user who is not a member.
    root_iam.create_user(UserName="u")
    root_iam.create_group(GroupName="g")
    root_iam.remove_user_from_group(GroupName="g", UserName="u")
    assert root_iam.get_group(GroupName="g")["Users"] == []


def test_17_update_assume_role_policy_validates_as_create_role(root_iam):
    root_iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    bad_action = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "iam:*"}],
        }
    )
    with pytest.raises(ClientError) as exc:
        root_iam.update_assume_role_policy(RoleName="r", PolicyDocument=bad_action)
    assert error(exc) == (
        "MalformedPolicyDocument",
        "AssumeRole policy may only specify STS AssumeRole actions.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        root_iam.update_assume_role_policy(RoleName="r", PolicyDocument="{")
    assert error(exc) == ("MalformedPolicyDocument", "This policy contains invalid Json", 400)


def test_17_transitive_tag_keys_must_be_passed_tags_and_survive_chaining(api, acct):
    # localstack test_sts "invalid-transitive-tag-keys" and
    # "override-transitive-tag-error" / "override-transitive-tag-case-ignore-error".
    _, admin = acct.make_user("t-admin", policy=allow())
    root = api.iam(acct.root_creds)
    root.create_role(RoleName="one", AssumeRolePolicyDocument=TRUST)
    root.put_role_policy(RoleName="one", PolicyName="p", PolicyDocument=json.dumps(allow()))
    chain_trust = json.loads(TRUST)
    chain_trust["Statement"][0]["Principal"] = {"AWS": f"arn:aws:iam::{ACCOUNT_A}:role/one"}
    root.create_role(RoleName="two", AssumeRolePolicyDocument=json.dumps(chain_trust))
    one = f"arn:aws:iam::{ACCOUNT_A}:role/one"
    two = f"arn:aws:iam::{ACCOUNT_A}:role/two"
    with pytest.raises(ClientError) as exc:
        api.sts(admin).assume_role(
            RoleArn=one,
            RoleSessionName="s0",
            Tags=[{"Key": "SessionTag1", "Value": "v"}],
            TransitiveTagKeys=["InvalidKey"],
        )
    assert error(exc) == (
        "InvalidParameterValue",
        "The specified transitive tag key must be included in the requested tags.",
        400,
    )
    first = api.sts(admin).assume_role(
        RoleArn=one,
        RoleSessionName="s0",
        Tags=[{"Key": "SessionTag1", "Value": "v1"}, {"Key": "Other", "Value": "o"}],
        TransitiveTagKeys=["SessionTag1"],
    )
    session = api.sts(session_creds(first))
    for key in ("SessionTag1", "sessiontag1"):
        with pytest.raises(ClientError) as exc:
            session.assume_role(
                RoleArn=two, RoleSessionName="s2", Tags=[{"Key": key, "Value": "v2"}]
            )
        assert error(exc) == (
            "InvalidParameterValue",
            "One of the specified transitive tag keys can't be set because it conflicts "
            "with a transitive tag key from the calling session.",
            400,
        )
    chained = session.assume_role(RoleArn=two, RoleSessionName="s2")
    from accounts.models import TemporaryCredential

    credential = TemporaryCredential.objects.get(
        access_key_id=chained["Credentials"]["AccessKeyId"]
    )
    keys = {t["Key"]: t["Value"] for t in credential.session_tags}
    assert keys == {"SessionTag1": "v1"}  # the transitive tag only


def test_17_simulate_principal_policy_statement_type_and_position(root_iam):
    # localstack test_iam "test_simulate_principle_policy[role]" (2025-04-21): for this
    # json.dumps'd managed policy, SourcePolicyType "IAM Policy", StartPosition
    # Line 1 Column 41, EndPosition Line 1 Column 113.
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {"Sid": "", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
        }
    )
    arn = root_iam.create_policy(PolicyName="sim", PolicyDocument=document)["Policy"]["Arn"]
    root_iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    root_iam.attach_role_policy(RoleName="r", PolicyArn=arn)
    result = root_iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT_A}:role/r",
        ActionNames=["s3:PutObject"],
        ResourceArns=["arn:aws:s3:::bucket"],
    )["EvaluationResults"][0]
    assert result["EvalDecision"] == "allowed"
    statement = result["MatchedStatements"][0]
    assert statement["SourcePolicyType"] == "IAM Policy"
    assert statement["StartPosition"] == {"Line": 1, "Column": 41}
    assert statement["EndPosition"] == {"Line": 1, "Column": 113}
