"""``manage.py seed_demo_instructor``: the demo's instructor (``make run`` calls it).

Creates ``instructor@example.com`` once (a local demo only, like the demo root) and
prints where instructors sign in and the shipped labs to start a class from.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.management.commands.seed_demo import base_url
from labs.instructors import create_instructor
from labs.models import Instructor

DEMO_INSTRUCTOR = "instructor@example.com"
DEMO_INSTRUCTOR_PASSWORD = "instructor-password-1"
CATALOG = Path(__file__).resolve().parents[2] / "catalog"


class Command(BaseCommand):
    help = "Create the demo instructor if there is none, and print how to sign in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))

    def handle(self, *args: Any, **opts: Any) -> None:
        state = "kept"
        if not Instructor.objects.filter(email=DEMO_INSTRUCTOR).exists():
            create_instructor(email=DEMO_INSTRUCTOR, password=DEMO_INSTRUCTOR_PASSWORD)
            state = "created"
        labs = sorted(p.stem for p in CATALOG.glob("*.yaml"))
        url = base_url(opts["host"], opts["port"])
        self.stdout.write(
            "\n".join(
                [
                    f"Training labs: demo instructor ({state})",
                    f"  Sign in:   {url}/instructor/",
                    f"  Email:     {DEMO_INSTRUCTOR}",
                    f"  Password:  {DEMO_INSTRUCTOR_PASSWORD}",
                    "  First sign-in enrolls the instructor's MFA device (any TOTP app).",
                    f"  Shipped labs ({len(labs)}): {', '.join(labs)}",
                    "",
                ]
            )
        )
