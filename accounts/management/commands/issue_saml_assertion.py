"""``manage.py issue_saml_assertion``: a signed SAML 2.0 response (base64, the
``SAMLResponse``) from the built-in test identity provider (accounts/testidp.py), or with
``--metadata`` the IdP's metadata document.

    python manage.py issue_saml_assertion --issuer NAME --role-arn ROLE_ARN
        --provider-arn SAML_PROVIDER_ARN --subject SUBJECT [--session-name NAME]
        [--attribute NAME=VALUE ...] [--session-duration SECONDS] [--lifetime SECONDS]
        [--subject-format persistent|transient|email|unspecified] [--base-url URL]
    python manage.py issue_saml_assertion --issuer NAME --metadata [--base-url URL]

Register the metadata with ``aws iam create-saml-provider --name … --saml-metadata-document
file://metadata.xml``, trust that provider in a role, then pass the response to ``aws sts
assume-role-with-saml --role-arn … --principal-arn … --saml-assertion …``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import testidp


class Command(BaseCommand):
    help = "Print a signed SAML response (base64) or the metadata of the built-in test IdP."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--issuer", required=True, help="the test issuer's name")
        parser.add_argument("--metadata", action="store_true", help="print the IdP metadata")
        parser.add_argument("--role-arn")
        parser.add_argument("--provider-arn", help="the IAM SAML provider's ARN")
        parser.add_argument("--subject", help="the NameID")
        parser.add_argument("--session-name", help="RoleSessionName (default: the subject)")
        parser.add_argument("--attribute", action="append", default=[], metavar="NAME=VALUE")
        parser.add_argument("--session-duration", type=int)
        parser.add_argument("--lifetime", type=int, default=300, help="seconds (default 300)")
        parser.add_argument(
            "--subject-format",
            default="persistent",
            help="persistent, transient, email, unspecified or a full Format URI",
        )
        parser.add_argument(
            "--base-url", help="this server's URL as clients reach it (default from settings)"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            if opts["metadata"]:
                self.stdout.write(testidp.saml_metadata(opts["issuer"], base_url=opts["base_url"]))
                return
            missing = [f"--{k.replace('_', '-')}" for k in ("role_arn", "provider_arn", "subject")]
            missing = [m for m in missing if not opts[m[2:].replace("-", "_")]]
            if missing:
                raise CommandError(f"{', '.join(missing)} required (or --metadata)")
            attributes: dict[str, list[str]] = {}
            for pair in opts["attribute"]:
                name, sep, value = pair.partition("=")
                if not sep or not name:
                    raise CommandError(f"--attribute takes NAME=VALUE, not {pair!r}")
                attributes.setdefault(name, []).append(value)
            response = testidp.mint_saml_response(
                opts["issuer"],
                role_arn=opts["role_arn"],
                provider_arn=opts["provider_arn"],
                subject=opts["subject"],
                base_url=opts["base_url"],
                session_name=opts["session_name"],
                lifetime=opts["lifetime"],
                subject_format=opts["subject_format"],
                session_duration=opts["session_duration"],
                attributes=attributes,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(response)
