"""``manage.py lab start|grade|reset|end``: the operator's side of the labs (a contract).

The JSON shapes are documented in labs/README.md; scripts and tests rely on them.
Errors are ``CommandError`` with the operation's message (no traceback, exit 1).
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from django.core.management.base import CommandError

from accounts.errors import IamError
from labs import operations as ops
from labs.format import LabFileError, load_lab_file
from labs.models import Instructor

__all__ = ["run"]


def run(command: str, opts: dict[str, Any], out: TextIO) -> None:
    handler = {"start": _start, "grade": _grade, "reset": _reset, "end": _end}[command]
    try:
        handler(opts, out)
    except IamError as exc:
        raise CommandError(exc.message) from None


def _instructor(email: str | None) -> Instructor | None:
    if not email:
        return None
    found = Instructor.objects.filter(email=email.strip().lower()).first()
    if found is None:
        raise CommandError(f"No instructor with the email {email}.")
    return found


def _print_seats(out: TextIO, seats: list[ops.SeatCredentials], *, with_key: bool) -> None:
    for s in seats:
        line = (
            f"  seat {s.seat}: {s.signin_url}  user {s.user_name}  "
            f"password {s.password or '(changed by the trainee)'}"
        )
        if with_key and s.access_key_id:
            line += f"  access key {s.access_key_id} {s.secret_access_key}"
        out.write(line + "\n")


def _start(opts: dict[str, Any], out: TextIO) -> None:
    try:
        lab = load_lab_file(opts["file"])
    except FileNotFoundError:
        raise CommandError(f"{opts['file']}: no such file") from None
    except LabFileError as exc:
        raise CommandError("\n".join(f"{opts['file']}: {i}" for i in exc.issues)) from None
    started = ops.start_class(
        lab=lab,
        seats=opts["seats"],
        name=opts.get("name"),
        instructor=_instructor(opts.get("instructor")),
        base_url=opts.get("base_url") or ops.DEFAULT_BASE_URL,
    )
    with_key = lab.seat.access_key
    if opts.get("json"):
        doc = {
            "class": started.lab_class.name,
            "lab": lab.id,
            "seats": [s.as_json(with_key=with_key) for s in started.seats],
        }
        out.write(json.dumps(doc, indent=2) + "\n")
        return
    out.write(f"Class {started.lab_class.name} of lab {lab.id}: {len(started.seats)} seats\n")
    _print_seats(out, started.seats, with_key=with_key)


def _grade(opts: dict[str, Any], out: TextIO) -> None:
    lab_class = ops.find_class(opts["name"])
    grades = ops.grade_class(lab_class=lab_class, seat=opts.get("seat"))
    if opts.get("json"):
        doc = {
            "class": lab_class.name,
            "lab": lab_class.lab_id,
            "seats": [g.as_json() for g in grades],
        }
        out.write(json.dumps(doc, indent=2) + "\n")
        return
    out.write(f"Class {lab_class.name} of lab {lab_class.lab_id}\n")
    for g in grades:
        out.write(f"  seat {g.seat} ({g.account_id}): {g.score}/{g.max_score}\n")
        for o in g.objectives:
            mark = "passed" if o.passed else "not yet"
            out.write(f"    [{mark}] {o.id}" + ("" if o.passed else f": {o.detail}") + "\n")


def _reset(opts: dict[str, Any], out: TextIO) -> None:
    lab_class = ops.find_class(opts["name"])
    seats = list(lab_class.seats.all())
    if opts.get("seat") is not None:
        seats = [s for s in seats if s.number == opts["seat"]]
        if not seats:
            raise CommandError(f"The class {lab_class.name} has no seat {opts['seat']}.")
    fresh = [
        ops.reset_seat(seat=s, base_url=opts.get("base_url") or ops.DEFAULT_BASE_URL) for s in seats
    ]
    with_key = ops.lab_of(lab_class).seat.access_key
    if opts.get("json"):
        doc = {
            "class": lab_class.name,
            "lab": lab_class.lab_id,
            "seats": [s.as_json(with_key=with_key) for s in fresh],
        }
        out.write(json.dumps(doc, indent=2) + "\n")
        return
    out.write(f"Reset {len(fresh)} seat(s) of class {lab_class.name}; new credentials:\n")
    _print_seats(out, fresh, with_key=with_key)


def _end(opts: dict[str, Any], out: TextIO) -> None:
    lab_class = ops.find_class(opts["name"])
    count = lab_class.seats.count()
    ops.end_class(lab_class=lab_class)
    out.write(f"Ended class {opts['name']}: {count} seat account(s) deleted.\n")
