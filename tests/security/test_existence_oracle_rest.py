"""Existence oracle, the rest (issue 10, item 11): through boto3 against a live server, a
caller without permissions gets AccessDenied for an existing name and for a missing one,
on every action that names a user, group, role or policy (AWS authorizes on the ARN
built from the name before it looks the entity up). An allowed caller (root) still gets
NoSuchEntity for the missing name.
"""

from __future__ import annotations

import json

import pytest

# The live-server fixtures of tests/api, visible here through the import.
from tests.api.conftest import acct, api, boto_session  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

A = "210987654321"
POLICY = f"arn:aws:iam::{A}:policy/managed"
GHOST_POLICY = f"arn:aws:iam::{A}:policy/ghost-policy"
DOC = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
)
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
TAGS = [{"Key": "team", "Value": "blue"}]
KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SERIAL = f"arn:aws:iam::{A}:mfa/ghost-device"


def _rows() -> list[tuple[str, dict, dict]]:
    """(method, parameters naming what exists, parameters naming what is missing)."""
    user, ghost = {"UserName": "target"}, {"UserName": "ghost"}
    group, ghosts = {"GroupName": "team"}, {"GroupName": "ghosts"}
    role, ghost_role = {"RoleName": "deployer"}, {"RoleName": "ghost-role"}
    pol, ghost_pol = {"PolicyArn": POLICY}, {"PolicyArn": GHOST_POLICY}
    rows: list[tuple[str, dict, dict]] = [
        # users
        ("update_user", user, ghost),
        ("tag_user", {**user, "Tags": TAGS}, {**ghost, "Tags": TAGS}),
        ("untag_user", {**user, "TagKeys": ["team"]}, {**ghost, "TagKeys": ["team"]}),
        ("list_user_tags", user, ghost),
        ("list_groups_for_user", user, ghost),
        # groups and membership
        ("update_group", group, ghosts),
        ("add_user_to_group", {**group, **user}, {**ghosts, **ghost}),
        ("add_user_to_group", {**group, **user}, {**group, **ghost}),
        ("remove_user_from_group", {**group, **user}, {**ghosts, **ghost}),
        ("remove_user_from_group", {**group, **user}, {**group, **ghost}),
        # roles
        ("update_role", role, ghost_role),
        (
            "update_role_description",
            {**role, "Description": "d"},
            {**ghost_role, "Description": "d"},
        ),
        (
            "update_assume_role_policy",
            {**role, "PolicyDocument": TRUST},
            {**ghost_role, "PolicyDocument": TRUST},
        ),
        ("tag_role", {**role, "Tags": TAGS}, {**ghost_role, "Tags": TAGS}),
        ("untag_role", {**role, "TagKeys": ["team"]}, {**ghost_role, "TagKeys": ["team"]}),
        ("list_role_tags", role, ghost_role),
        # managed policies
        ("get_policy_version", {**pol, "VersionId": "v1"}, {**ghost_pol, "VersionId": "v1"}),
        ("list_policy_versions", pol, ghost_pol),
        (
            "create_policy_version",
            {**pol, "PolicyDocument": DOC},
            {**ghost_pol, "PolicyDocument": DOC},
        ),
        ("delete_policy_version", {**pol, "VersionId": "v2"}, {**ghost_pol, "VersionId": "v2"}),
        (
            "set_default_policy_version",
            {**pol, "VersionId": "v1"},
            {**ghost_pol, "VersionId": "v1"},
        ),
        ("tag_policy", {**pol, "Tags": TAGS}, {**ghost_pol, "Tags": TAGS}),
        ("untag_policy", {**pol, "TagKeys": ["team"]}, {**ghost_pol, "TagKeys": ["team"]}),
        ("list_policy_tags", pol, ghost_pol),
        ("list_entities_for_policy", pol, ghost_pol),
        # credentials
        ("create_access_key", user, ghost),
        ("list_access_keys", user, ghost),
        (
            "update_access_key",
            {**user, "AccessKeyId": KEY_ID, "Status": "Inactive"},
            {**ghost, "AccessKeyId": KEY_ID, "Status": "Inactive"},
        ),
        ("delete_access_key", {**user, "AccessKeyId": KEY_ID}, {**ghost, "AccessKeyId": KEY_ID}),
        (
            "create_login_profile",
            {**user, "Password": "Correct-horse-9!"},
            {**ghost, "Password": "Correct-horse-9!"},
        ),
        ("get_login_profile", user, ghost),
        (
            "update_login_profile",
            {**user, "PasswordResetRequired": True},
            {**ghost, "PasswordResetRequired": True},
        ),
        ("delete_login_profile", user, ghost),
        ("list_mfa_devices", user, ghost),
        (
            "enable_mfa_device",
            {
                **user,
                "SerialNumber": SERIAL,
                "AuthenticationCode1": "123456",
                "AuthenticationCode2": "234567",
            },
            {
                **ghost,
                "SerialNumber": SERIAL,
                "AuthenticationCode1": "123456",
                "AuthenticationCode2": "234567",
            },
        ),
        (
            "resync_mfa_device",
            {
                **user,
                "SerialNumber": SERIAL,
                "AuthenticationCode1": "123456",
                "AuthenticationCode2": "234567",
            },
            {
                **ghost,
                "SerialNumber": SERIAL,
                "AuthenticationCode1": "123456",
                "AuthenticationCode2": "234567",
            },
        ),
        (
            "deactivate_mfa_device",
            {**user, "SerialNumber": SERIAL},
            {**ghost, "SerialNumber": SERIAL},
        ),
        # boundaries
        (
            "put_user_permissions_boundary",
            {**user, "PermissionsBoundary": POLICY},
            {**ghost, "PermissionsBoundary": POLICY},
        ),
        (
            "put_user_permissions_boundary",
            {**user, "PermissionsBoundary": POLICY},
            {**user, "PermissionsBoundary": GHOST_POLICY},
        ),
        ("delete_user_permissions_boundary", user, ghost),
        (
            "put_role_permissions_boundary",
            {**role, "PermissionsBoundary": POLICY},
            {**ghost_role, "PermissionsBoundary": POLICY},
        ),
        ("delete_role_permissions_boundary", role, ghost_role),
        # simulation
        (
            "simulate_principal_policy",
            {"PolicySourceArn": f"arn:aws:iam::{A}:user/target", "ActionNames": ["s3:GetObject"]},
            {"PolicySourceArn": f"arn:aws:iam::{A}:user/ghost", "ActionNames": ["s3:GetObject"]},
        ),
    ]
    # attachments and inline policies, for each kind of entity
    for noun, there, missing in (
        ("user", user, ghost),
        ("group", group, ghosts),
        ("role", role, ghost_role),
    ):
        for verb in ("attach", "detach"):
            rows.append((f"{verb}_{noun}_policy", {**there, **pol}, {**missing, **pol}))
        rows.append((f"attach_{noun}_policy", {**there, **pol}, {**there, **ghost_pol}))
        rows.append((f"detach_{noun}_policy", {**there, **pol}, {**there, **ghost_pol}))
        rows.append((f"list_attached_{noun}_policies", there, missing))
        put = {"PolicyName": "p", "PolicyDocument": DOC}
        rows.append((f"put_{noun}_policy", {**there, **put}, {**missing, **put}))
        rows.append((f"list_{noun}_policies", there, missing))
    return rows


@pytest.fixture
def live(request):
    """(api, acct) from tests/api/conftest.py: boto3 clients and account A on a live server."""
    return request.getfixturevalue("api"), request.getfixturevalue("acct")


def _outcome(iam, method: str, params: dict) -> str:
    from botocore.exceptions import ClientError

    try:
        getattr(iam, method)(**params)
    except ClientError as exc:
        return exc.response["Error"]["Code"]
    return "OK"


def test_no_permission_caller_gets_access_denied_for_existing_and_missing_names_alike(live, figure):
    from accounts.operations.groups import add_user_to_group, create_group
    from accounts.operations.roles import create_role
    from accounts.operations.users import create_user
    from policies.operations import create_policy

    server, account = live
    root = account.root
    _, nobody = account.make_user("nobody")
    create_user(actor=root, name="target")
    create_group(actor=root, name="team")
    add_user_to_group(actor=root, group_name="team", user_name="target")
    create_role(actor=root, name="deployer", trust_policy=TRUST)
    create_policy(actor=root, name="managed", document=DOC)

    denied, admin = server.iam(nobody), server.iam(account.root_creds)
    results = []
    for method, existing, missing in _rows():
        results.append(
            (
                method,
                _outcome(denied, method, existing),
                _outcome(denied, method, missing),
                _outcome(admin, method, missing),
            )
        )
    leaks = [r for r in results if (r[1], r[2]) != ("AccessDenied", "AccessDenied")]
    allowed_missing = sorted({r[3] for r in results})
    figure(
        f"{len(results)} probes; no-permission caller, existing/missing not both AccessDenied: "
        f"{len(leaks)} ({', '.join(f'{m} {e}/{x}' for m, e, x, _ in leaks) or 'none'}); "
        f"allowed caller on the missing name: {', '.join(allowed_missing)}"
    )
    assert leaks == []
    assert [r for r in results if r[3] != "NoSuchEntity"] == []
