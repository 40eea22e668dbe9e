"""``manage.py seed_demo``: create the demo account once and print how to sign in."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.models import Account

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password-1"  # a demo on 127.0.0.1 only: documented in the README


class Command(BaseCommand):
    help = "Create a demo account if there is none, and print the sign-in URL and credentials."

    def handle(self, *args: Any, **opts: Any) -> None:
        from accounts.operations.account import sign_up
        from accounts.operations.users import create_user
        from accounts.principal import root_principal
        from policies.operations import attach_user_policy

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
        port = getattr(settings, "RUNSERVER_PORT", 8000)
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"IAM Console demo account ({state}): {account.id} (alias {account.alias or '-'})",
                    f"  Sign in:   http://127.0.0.1:{port}/signin/",
                    f"  Root email:    {DEMO_EMAIL}",
                    f"  Root password: {DEMO_PASSWORD}",
                    "  First sign-in enrolls the root MFA device (any TOTP app).",
                    f"  IAM users sign in at http://127.0.0.1:{port}/signin/{account.alias or account.id}/",
                    "",
                ]
            )
        )
        if opts.get("verbosity", 1) > 1:
            self.stdout.write(json.dumps({"account_id": account.id}))
