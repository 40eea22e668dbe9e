"""``manage.py import_account FILE``: load a GetAccountAuthorizationDetails document.

    python manage.py import_account FILE [--account-id ID] [--email E] [--password P]
        [--access-key USER ...] [--json]

FILE is what ``aws iam get-account-authorization-details --output json`` prints
(``-`` reads standard input). With ``--account-id`` the document is imported into
that existing account, as its root; else into a new account, whose root gets
``--email`` (default ``import+<account id>@example.invalid``) and ``--password``
(default: an unusable one, so no sign-in until it is reset). A document that does not
import changes nothing, not even the new account: every problem is listed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.errors import IamError
from accounts.models import Account
from accounts.operations.importer import (
    check_authorization_details,
    create_account_for_import,
    import_authorization_details,
)
from accounts.principal import root_principal


def read_document(name: str) -> Any:
    """The JSON in FILE (``-``: standard input), or a CommandError saying why not."""
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot read {name}: {exc}") from exc
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CommandError(f"{name} is not JSON: {exc}") from exc


class Command(BaseCommand):
    help = "Import a GetAccountAuthorizationDetails JSON document into a new or existing account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the JSON document (- for standard input)")
        parser.add_argument("--account-id", help="import into this existing account")
        parser.add_argument("--email", help="a new account's root email")
        parser.add_argument("--password", help="a new account's root password")
        parser.add_argument(
            "--access-key",
            action="append",
            default=[],
            metavar="USER",
            help="give this imported user an access key (repeatable)",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **opts: Any) -> None:
        details = read_document(opts["file"])
        problems = check_authorization_details(details, access_keys=opts["access_key"])
        if problems:
            lines = [
                f"  {path}: {message}" if path else f"  {message}" for path, message in problems
            ]
            raise CommandError(
                f"{opts['file']} does not import ({len(problems)} problems); nothing was "
                "written:\n" + "\n".join(lines)
            )
        account_id = opts["account_id"]
        if account_id and (opts["email"] or opts["password"]):
            raise CommandError("--email and --password are for a new account, not --account-id.")
        try:
            with transaction.atomic():  # a new account goes if its import fails
                if account_id:
                    if not Account.objects.filter(pk=account_id).exists():
                        raise CommandError(f"No account {account_id}.")
                    created = False
                else:
                    account_id = create_account_for_import(
                        email=opts["email"], password=opts["password"]
                    ).account.id
                    created = True
                result = import_authorization_details(
                    actor=root_principal(account_id, via="cli"),
                    details=details,
                    access_keys=opts["access_key"],
                )
        except IamError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        out: dict[str, Any] = {"account_id": account_id, "created_account": created}
        out.update(result.counts())
        if opts["json"]:
            out["access_keys"] = [
                {"user_name": user, "access_key_id": key, "secret_access_key": secret}
                for user, key, secret in result.access_keys
            ]
            self.stdout.write(json.dumps(out))
            return
        for key, value in out.items():
            self.stdout.write(f"{key}: {value}")
        for user, key, secret in result.access_keys:  # shown this once, as CreateAccessKey
            self.stdout.write(f"access_key: {user} {key} {secret}")
