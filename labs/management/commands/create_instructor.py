"""``manage.py create_instructor``: an instructor of the training labs, from the shell.

    python manage.py create_instructor --email E [--password P]

Without ``--password`` the password is asked for (twice, not echoed). The rules are
root's: at least 8 characters, three of upper-case, lower-case, digits and symbols,
not the email. The instructor enrolls a virtual MFA device at the first sign-in at
/instructor/signin/.
"""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.errors import IamError
from labs.instructors import create_instructor


class Command(BaseCommand):
    help = "Create an instructor for the training labs (MFA is enrolled at the first sign-in)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", help="asked for when left out")

    def handle(self, *args: Any, **opts: Any) -> None:
        password = opts["password"]
        if password is None:
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password (again): ") != password:
                raise CommandError("The passwords do not match.")
        try:
            instructor = create_instructor(email=opts["email"], password=password)
        except IamError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Instructor {instructor.email} created. Sign in at /instructor/signin/ "
            "to enroll the MFA device."
        )
