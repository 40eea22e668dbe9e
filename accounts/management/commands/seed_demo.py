"""``manage.py seed_demo``: create the demo account once and print how to sign in."""

from __future__ import annotations

import json
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.models import Account
from accounts.operations.account import sign_up
from accounts.operations.users import create_user
from accounts.principal import root_principal
from policies.operations import attach_user_policy

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password-1"  # a demo on 127.0.0.1 only: documented in the README


def base_url(host: str, port: str | int) -> str:
    """The URL a browser on this machine opens for a server bound to ``host:port``."""
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 (bound everywhere: loopback reaches it)
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


class Command(BaseCommand):
    help = "Create a demo account if there is none, and print the sign-in URL and credentials."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host", default=os.environ.get("HOST", "127.0.0.1"), help="the server's host"
        )
        parser.add_argument(
            "--port", default=os.environ.get("PORT", "8000"), help="the server's port"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if not Account.objects.exists():
            created = sign_up(email=DEMO_EMAIL, password=DEMO_PASSWORD, alias="demo")
            root = root_principal(created.account.id, via="cli")
            create_user(actor=root, name="alice")
            attach_user_policy(
                actor=root,
                user_name="alice",
                policy_arn="arn:aws:iam::aws:policy/IAMReadOnlyAccess",
            )
            state = "created"
        else:
            state = "kept"
        account = Account.objects.order_by("created").first()
        url = base_url(opts["host"], opts["port"])
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"IAM Console demo account ({state}): {account.id} (alias {account.alias or '-'})",
                    f"  Sign in:   {url}/signin/",
                    f"  Root email:    {DEMO_EMAIL}",
                    f"  Root password: {DEMO_PASSWORD}",
                    "  First sign-in enrolls the root MFA device (any TOTP app).",
                    f"  IAM users sign in at {url}/signin/{account.alias or account.id}/",
                    "",
                ]
            )
        )
        if opts.get("verbosity", 1) > 1:
            self.stdout.write(json.dumps({"account_id": account.id}))
