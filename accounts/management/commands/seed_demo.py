"""``manage.py seed_demo``: create the demo account once, lived in, and print how to sign in.

The demo account opens on a realistic console rather than an empty one: groups, a dozen
users, roles with trust policies, customer-managed policies with versions, two access
keys and some event history. The state is one GetAccountAuthorizationDetails document
(``demo_details``) loaded through the labs' importer
(``accounts.operations.importer``), then a few ordinary calls made as the demo's people
so the event history has allowed, read-only and denied events in it.

Re-running keeps the account as it is (idempotent). ``--reset`` puts it back: the
account's IAM state is cleared (ClearAccountState, as a lab seat's reset does; the
account, its alias, root and root's MFA device stay) and the demo state imported again.
"""

from __future__ import annotations

import json
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.errors import AccessDenied
from accounts.models import Account, ConsoleUser, IamUser
from accounts.operations.account import sign_up
from accounts.operations.credentials import create_login_profile
from accounts.operations.importer import clear_account_state, import_authorization_details
from accounts.operations.users import create_user, list_users
from accounts.principal import Principal, root_principal, user_principal
from policies.operations import create_policy_version

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password-1"  # a demo on 127.0.0.1 only: documented in the README
DEMO_ALIAS = "demo"
# alice, an IAM user with IAMReadOnlyAccess and a console password (demo only).
USER_NAME = "alice"
USER_PASSWORD = "alice-demo-Passw0rd!"
KEY_USERS = ("build-bot", "deploy-bot")
SEEDED_MARKER = "Developers"  # the group that says the demo state is there
VERSION = "2012-10-17"
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def base_url(host: str, port: str | int) -> str:
    """The URL a browser on this machine opens for a server bound to ``host:port``."""
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 (bound everywhere: loopback reaches it)
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": VERSION, "Statement": list(statements)}


def _allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def _trust(principal: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return _doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra})


def demo_details(account_id: str) -> dict[str, Any]:
    """The demo's GetAccountAuthorizationDetails document for ``account_id``."""

    def customer(name: str) -> dict[str, str]:
        return {"PolicyName": name, "PolicyArn": f"arn:aws:iam::{account_id}:policy/{name}"}

    def managed(arn: str) -> dict[str, str]:
        return {"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn}

    def user(name: str, groups: list[str], **extra: Any) -> dict[str, Any]:
        return {"UserName": name, "GroupList": groups, **extra}

    bucket = "arn:aws:s3:::demo-app-artifacts"
    policies = [
        {
            "PolicyName": "ArtifactsReadWrite",
            "Description": "Read and write the build artifacts bucket",
            "PolicyVersionList": [
                {
                    "VersionId": "v1",
                    "IsDefaultVersion": False,
                    "Document": _doc(_allow(["s3:GetObject", "s3:PutObject"], f"{bucket}/*")),
                },
                {
                    "VersionId": "v2",
                    "IsDefaultVersion": True,
                    "Document": _doc(
                        _allow(["s3:GetObject", "s3:PutObject"], f"{bucket}/*"),
                        _allow("s3:ListBucket", bucket),
                    ),
                },
            ],
        },
        {
            "PolicyName": "DeveloperAccess",
            "Description": "What the developers' group may do",
            "PolicyVersionList": [
                {
                    "VersionId": "v1",
                    "IsDefaultVersion": True,
                    "Document": _doc(
                        _allow(["ec2:Describe*", "logs:Get*", "logs:Describe*", "s3:List*"]),
                        _allow(
                            "iam:ChangePassword",
                            f"arn:aws:iam::{account_id}:user/${{aws:username}}",
                        ),
                    ),
                },
            ],
        },
        {
            "PolicyName": "BillingReadOnly",
            "Description": "View billing and cost data",
            "PolicyVersionList": [
                {
                    "VersionId": "v1",
                    "IsDefaultVersion": True,
                    "Document": _doc(_allow(["aws-portal:View*", "ce:Get*", "budgets:View*"])),
                }
            ],
        },
    ]
    groups = [
        {"GroupName": "Admins", "AttachedManagedPolicies": [managed(ADMIN)]},
        {
            "GroupName": "Developers",
            "AttachedManagedPolicies": [
                customer("DeveloperAccess"),
                customer("ArtifactsReadWrite"),
            ],
        },
        {"GroupName": "Auditors", "AttachedManagedPolicies": [managed(READ_ONLY)]},
        {"GroupName": "Finance", "AttachedManagedPolicies": [customer("BillingReadOnly")]},
    ]
    team = {"Key": "team", "Value": ""}
    users = [
        user("alice", [], AttachedManagedPolicies=[managed(READ_ONLY)]),
        user("bob", ["Developers"], Tags=[{**team, "Value": "payments"}]),
        user("carol", ["Developers"], Tags=[{**team, "Value": "payments"}]),
        user("dave", ["Developers"], Tags=[{**team, "Value": "search"}]),
        user("erin", ["Admins"], Tags=[{**team, "Value": "platform"}]),
        user("frank", ["Admins", "Developers"], Tags=[{**team, "Value": "platform"}]),
        user("grace", ["Auditors"], Tags=[{**team, "Value": "security"}]),
        user("heidi", ["Auditors", "Finance"], Tags=[{**team, "Value": "security"}]),
        user("ivan", ["Finance"], Tags=[{**team, "Value": "finance"}]),
        user("judy", []),
        user(
            "build-bot",
            [],
            Path="/service/",
            AttachedManagedPolicies=[customer("ArtifactsReadWrite")],
        ),
        user(
            "deploy-bot",
            [],
            Path="/service/",
            UserPolicyList=[
                {
                    "PolicyName": "assume-deploy",
                    "PolicyDocument": _doc(
                        _allow("sts:AssumeRole", f"arn:aws:iam::{account_id}:role/DeployRole")
                    ),
                }
            ],
        ),
    ]
    roles = [
        {
            "RoleName": "DeployRole",
            "Description": "Assumed by the deploy pipeline",
            "AssumeRolePolicyDocument": _trust(
                {"AWS": f"arn:aws:iam::{account_id}:user/service/deploy-bot"}
            ),
            "AttachedManagedPolicies": [customer("ArtifactsReadWrite")],
            "MaxSessionDuration": 3600,
        },
        {
            "RoleName": "BreakGlassAdmin",
            "Description": "Emergency administrator access, MFA required",
            "AssumeRolePolicyDocument": _trust(
                {"AWS": f"arn:aws:iam::{account_id}:root"},
                Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            ),
            "AttachedManagedPolicies": [managed(ADMIN)],
            "MaxSessionDuration": 3600,
        },
        {
            "RoleName": "WebServerRole",
            "Path": "/service-role/",
            "Description": "Instance role for the web servers",
            "AssumeRolePolicyDocument": _trust({"Service": "ec2.amazonaws.com"}),
            "RolePolicyList": [
                {
                    "PolicyName": "read-artifacts",
                    "PolicyDocument": _doc(_allow("s3:GetObject", f"{bucket}/*")),
                }
            ],
        },
    ]
    return {
        "UserDetailList": users,
        "GroupDetailList": groups,
        "RoleDetailList": roles,
        "Policies": policies,
    }


def _user(account_id: str, name: str) -> Principal:
    return user_principal(
        IamUser.objects.get(account_id=account_id, name=name),
        source_ip="127.0.0.1",
        user_agent="seed_demo",
        via="cli",
    )


def seed(root: Principal) -> list[tuple[str, str, str]]:
    """Import the demo state into root's account and make some history; returns the
    access keys created (user name, key id, secret)."""
    account_id = root.account_id
    result = import_authorization_details(
        actor=root, details=demo_details(account_id), access_keys=KEY_USERS
    )
    create_login_profile(actor=root, user_name=USER_NAME, password=USER_PASSWORD)
    # A new default version, as someone tightening a policy would add it.
    create_policy_version(
        actor=root,
        arn=f"arn:aws:iam::{account_id}:policy/DeveloperAccess",
        document=json.dumps(
            _doc(
                _allow(["ec2:Describe*", "logs:Get*", "logs:Describe*", "s3:List*"]),
                _allow("cloudwatch:GetMetricData"),
                _allow("iam:ChangePassword", f"arn:aws:iam::{account_id}:user/${{aws:username}}"),
            )
        ),
        set_as_default=True,
    )
    list_users(actor=_user(account_id, USER_NAME))  # a read (read-only event)
    try:  # a developer trying what only admins may: a denied event
        create_user(actor=_user(account_id, "bob"), name="bobs-test-user")
    except AccessDenied:
        pass
    return list(result.access_keys)


def demo_account() -> Account | None:
    console = (
        ConsoleUser.objects.filter(username=f"root:{DEMO_EMAIL}", is_root=True)
        .select_related("account")
        .first()
    )
    return console.account if console is not None else None


class Command(BaseCommand):
    help = (
        "Create the demo account (a lived-in one) if there is none, and print the sign-in "
        "URL and credentials. --reset puts the demo account back to its seeded state."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host", default=os.environ.get("HOST", "127.0.0.1"), help="the server's host"
        )
        parser.add_argument(
            "--port", default=os.environ.get("PORT", "8000"), help="the server's port"
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="clear the demo account's IAM state and seed it again",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        account = demo_account()
        keys: list[tuple[str, str, str]] = []
        if account is None:
            taken = Account.objects.filter(alias=DEMO_ALIAS).exists()
            created = sign_up(
                email=DEMO_EMAIL, password=DEMO_PASSWORD, alias=None if taken else DEMO_ALIAS
            )
            account = created.account
            keys = seed(root_principal(account.id, source_ip="127.0.0.1", via="cli"))
            state = "created"
        elif opts["reset"]:
            root = root_principal(account.id, source_ip="127.0.0.1", via="cli")
            clear_account_state(actor=root)
            keys = seed(root)
            state = "reset"
        else:
            state = "kept"
        account.refresh_from_db()
        url = base_url(opts["host"], opts["port"])
        who = account.alias or account.id
        lines = [
            "",
            f"IAM Console demo account ({state}): {account.id} (alias {account.alias or '-'})",
            f"  Sign in:   {url}/signin/",
            f"  Root email:    {DEMO_EMAIL}",
            f"  Root password: {DEMO_PASSWORD}",
            "  First sign-in enrolls the root MFA device (any TOTP app).",
            f"  IAM users sign in at {url}/signin/{who}/",
            f"  IAM user {USER_NAME} (read-only) password: {USER_PASSWORD}",
        ]
        for name, key_id, secret in keys:  # shown once, as AWS shows a new key's secret
            lines.append(f"  Access key of {name}: {key_id} {secret}")
        lines += ["  Reset the demo: manage.py seed_demo --reset", ""]
        self.stdout.write("\n".join(lines))
        if opts.get("verbosity", 1) > 1:
            self.stdout.write(json.dumps({"account_id": account.id}))
