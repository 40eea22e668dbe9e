"""``manage.py issue_web_identity_token``: a web identity token (a signed OIDC ID token,
a JWT) from the built-in test identity provider (accounts/testidp.py), printed on stdout.

    python manage.py issue_web_identity_token --issuer NAME --sub SUBJECT --aud AUDIENCE
        [--claim KEY=VALUE ...] [--lifetime SECONDS] [--base-url URL] [--algorithm ES256]

The token's ``iss`` is ``<base-url>/testidp/<NAME>``: register that URL with
``aws iam create-open-id-connect-provider --url … --client-id-list AUDIENCE``, then pass
the token to ``aws sts assume-role-with-web-identity``. A ``--claim`` value that is JSON
(``amr=["mfa"]``, ``n=3``) is taken as JSON, anything else as a string. ``--aud`` may be
given more than once (a list-valued ``aud``). ``--lifetime`` may be negative (an expired
token, to practise the refusal).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import testidp


def parse_claims(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs: JSON values as JSON, others as strings."""
    claims: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CommandError(f"--claim takes KEY=VALUE, not {pair!r}")
        try:
            claims[key] = json.loads(value)
        except ValueError:
            claims[key] = value
    return claims


class Command(BaseCommand):
    help = "Print a signed web identity token (JWT) from the built-in test identity provider."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--issuer", required=True, help="the test issuer's name")
        parser.add_argument("--sub", required=True, help="the subject (sub claim)")
        parser.add_argument(
            "--aud", required=True, action="append", help="the audience (client id)"
        )
        parser.add_argument("--claim", action="append", default=[], metavar="KEY=VALUE")
        parser.add_argument("--lifetime", type=int, default=3600, help="seconds (default 3600)")
        parser.add_argument(
            "--base-url", help="this server's URL as clients reach it (default from settings)"
        )
        parser.add_argument("--algorithm", choices=["RS256", "ES256"], default="RS256")

    def handle(self, *args: Any, **opts: Any) -> None:
        audiences = opts["aud"]
        try:
            token = testidp.mint_web_identity_token(
                opts["issuer"],
                sub=opts["sub"],
                aud=audiences[0] if len(audiences) == 1 else audiences,
                claims=parse_claims(opts["claim"]),
                lifetime=opts["lifetime"],
                base_url=opts["base_url"],
                algorithm=opts["algorithm"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(token)
