"""``manage.py lab``: training labs from the shell (the file format: labs/README.md).

python manage.py lab validate FILE
python manage.py lab start FILE --seats N [--name CLASS] [--instructor EMAIL]
    [--base-url URL] [--json]
python manage.py lab grade CLASS [--seat N] [--json]
python manage.py lab reset CLASS [--seat N] [--json]
python manage.py lab end CLASS
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from labs import cli
from labs.format import LabFileError, LabIssue, load_lab_file


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 up, not {value!r}")
    return int(value)


class Command(BaseCommand):
    help = "Validate a lab file; start, grade, reset and end a class of it."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")

        p = sub.add_parser("validate", help="check a lab file and report every problem")
        p.add_argument("file", metavar="FILE")

        p = sub.add_parser("start", help="start a class: one account per seat")
        p.add_argument("file", metavar="FILE")
        p.add_argument("--seats", type=_positive, required=True, metavar="N")
        p.add_argument("--name", metavar="CLASS", help="the class name (default: generated)")
        p.add_argument("--instructor", metavar="EMAIL", help="the instructor who runs it")
        p.add_argument("--base-url", metavar="URL", help="for the seats' sign-in URLs")
        p.add_argument("--json", action="store_true", help="print one JSON object")

        p = sub.add_parser("grade", help="grade every seat (or one) of a class")
        p.add_argument("name", metavar="CLASS")
        p.add_argument("--seat", type=_positive, metavar="N")
        p.add_argument("--json", action="store_true", help="print one JSON object")

        p = sub.add_parser("reset", help="put every seat (or one) back to the lab's start")
        p.add_argument("name", metavar="CLASS")
        p.add_argument("--seat", type=_positive, metavar="N")
        p.add_argument("--base-url", metavar="URL", help="for the seats' sign-in URLs")
        p.add_argument("--json", action="store_true", help="print one JSON object")

        p = sub.add_parser("end", help="end a class and close its seats' accounts")
        p.add_argument("name", metavar="CLASS")

    def handle(self, *args: Any, **opts: Any) -> None:
        handlers = {
            "validate": self.validate,
            "start": self.start,
            "grade": self.grade,
            "reset": self.reset,
            "end": self.end,
        }
        handlers[opts["subcommand"]](opts)

    def validate(self, opts: dict[str, Any]) -> None:
        path = opts["file"]
        try:
            lab = load_lab_file(path)
        except LabFileError as e:
            for issue in e.issues:
                self.stderr.write(_located(path, issue))
            count = len(e.issues)
            raise CommandError(
                f"{path}: {count} problem{'s' if count != 1 else ''}", returncode=1
            ) from None
        count = len(lab.objectives)
        self.stdout.write(
            f"OK: {lab.id} ({count} objective{'s' if count != 1 else ''}, "
            f"{lab.max_score} point{'s' if lab.max_score != 1 else ''})"
        )

    def start(self, opts: dict[str, Any]) -> None:
        cli.run("start", opts, self.stdout)

    def grade(self, opts: dict[str, Any]) -> None:
        cli.run("grade", opts, self.stdout)

    def reset(self, opts: dict[str, Any]) -> None:
        cli.run("reset", opts, self.stdout)

    def end(self, opts: dict[str, Any]) -> None:
        cli.run("end", opts, self.stdout)


def _located(path: str, issue: LabIssue) -> str:
    """``FILE:LINE: message``, the form editors and CI annotate (``FILE: message`` if no line)."""
    where = issue.file or path
    return f"{where}:{issue.line}: {issue.message}" if issue.line else f"{where}: {issue.message}"
