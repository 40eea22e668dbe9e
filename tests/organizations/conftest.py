"""Organization fixtures: ``mgmt`` (root of the management account, the shared
``root`` persona's account), a member account created through CreateAccount, SCPs."""

from __future__ import annotations

import json

import pytest

# The live-server fixtures (boto3 clients, the AWS CLI, accounts with keys) of tests/api.
from tests.api.conftest import Creds, acct, acct_b, api, aws_cli, boto_session  # noqa: F401

DENY_CREATE_USER = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"}],
    }
)


@pytest.fixture
def org(root):
    from organizations.operations import create_organization

    return create_organization(actor=root)


@pytest.fixture
def member_account(root, org):
    """A member account made by CreateAccount (under the root)."""
    from organizations.operations import create_account

    request = create_account(actor=root, email="member@example.com", account_name="member")
    assert request.state == "SUCCEEDED"
    return request.account_id


@pytest.fixture
def member_root(member_account):
    from accounts.principal import root_principal

    return root_principal(member_account, source_ip="127.0.0.9")


@pytest.fixture
def member_admin(member_root):
    """An IAM user with AdministratorAccess in the member account."""
    from accounts.operations.users import create_user
    from accounts.principal import user_principal
    from policies.operations import attach_user_policy

    user = create_user(actor=member_root, name="admin")
    attach_user_policy(
        actor=member_root,
        user_name="admin",
        policy_arn="arn:aws:iam::aws:policy/AdministratorAccess",
    )
    return user_principal(user, source_ip="127.0.0.9")


@pytest.fixture
def scps_enabled(root, org):
    from organizations.operations import enable_policy_type

    return enable_policy_type(actor=root, root_id=org.root_id, policy_type="SERVICE_CONTROL_POLICY")


# ------------------------------------------------------------------ live-server (boto3)


def keys_for(account_id: str, user: str | None = None) -> Creds:
    """An access key of a member account's root (or of one of its users)."""
    from accounts.operations.credentials import create_access_key
    from accounts.principal import root_principal

    new = create_access_key(actor=root_principal(account_id), user_name=user)
    return Creds(new.key.access_key_id, new.secret)


@pytest.fixture
def orgs(api, acct):  # noqa: F811
    return api.client("organizations", acct.root_creds)


@pytest.fixture
def tree(orgs):
    """An organization with SCPs enabled, an OU "lab" and a created member account in it."""
    org = orgs.create_organization(FeatureSet="ALL")["Organization"]
    root = orgs.list_roots()["Roots"][0]
    orgs.enable_policy_type(RootId=root["Id"], PolicyType="SERVICE_CONTROL_POLICY")
    ou = orgs.create_organizational_unit(ParentId=root["Id"], Name="lab")["OrganizationalUnit"]
    status = orgs.create_account(Email="member@example.com", AccountName="member")[
        "CreateAccountStatus"
    ]
    member = status["AccountId"]
    orgs.move_account(AccountId=member, SourceParentId=root["Id"], DestinationParentId=ou["Id"])
    return {"org": org, "root": root, "ou": ou, "member": member, "status": status}
