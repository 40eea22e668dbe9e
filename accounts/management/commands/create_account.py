"""``manage.py create_account``: an account (and optionally an admin user and keys) from the shell.

Training labs, tests and benchmarks use it:

    python manage.py create_account --email E --password P [--account-id 12DIGITS]
        [--alias A] [--admin-user NAME] [--root-access-key] [--json]
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.errors import IamError
from accounts.operations.account import sign_up
from accounts.operations.credentials import create_access_key
from accounts.operations.users import create_user
from accounts.principal import root_principal
from policies.operations import attach_user_policy

ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"


class Command(BaseCommand):
    help = (
        "Create an account with its root user (and optionally an admin IAM user and access keys)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--account-id")
        parser.add_argument("--alias")
        parser.add_argument(
            "--admin-user", help="also create this IAM user with AdministratorAccess and a key"
        )
        parser.add_argument(
            "--root-access-key", action="store_true", help="create an access key for root"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            created = sign_up(
                email=opts["email"],
                password=opts["password"],
                account_id=opts["account_id"],
                alias=opts["alias"],
            )
            account_id = created.account.id
            root = root_principal(account_id, via="cli")
            out: dict[str, Any] = {"account_id": account_id, "root_email": created.root.email}
            if created.account.alias:
                out["alias"] = created.account.alias
            if opts["admin_user"]:
                user = create_user(actor=root, name=opts["admin_user"])
                attach_user_policy(actor=root, user_name=user.name, policy_arn=ADMIN_POLICY)
                key = create_access_key(actor=root, user_name=user.name)
                out["admin_user"] = user.name
                out["admin_access_key_id"] = key.key.access_key_id
                out["admin_secret_access_key"] = key.secret
            if opts["root_access_key"]:
                key = create_access_key(actor=root)
                out["root_access_key_id"] = key.key.access_key_id
                out["root_secret_access_key"] = key.secret
        except IamError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        if opts["json"]:
            self.stdout.write(json.dumps(out))
        else:
            for key, value in out.items():
                self.stdout.write(f"{key}: {value}")
