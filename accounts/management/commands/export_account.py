"""``manage.py export_account ACCOUNT_ID``: print the account as one
GetAccountAuthorizationDetails document (what ``import_account`` reads back).

The output is what ``aws iam get-account-authorization-details --output json``
prints for the account: every page merged, documents as JSON objects.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.errors import IamError
from accounts.models import Account
from accounts.operations.importer import export_authorization_details
from accounts.principal import root_principal


class Command(BaseCommand):
    help = "Print an account's users, groups, roles and policies as GetAccountAuthorizationDetails JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("account_id")

    def handle(self, *args: Any, **opts: Any) -> None:
        account_id = opts["account_id"]
        if not Account.objects.filter(pk=account_id).exists():
            raise CommandError(f"No account {account_id}.")
        try:
            document = export_authorization_details(actor=root_principal(account_id, via="cli"))
        except IamError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(json.dumps(document, indent=4, ensure_ascii=False))
