"""The trainee's lab panel at /lab/: the lab of the seat this console account is.

Any signed-in identity of a seat's account (its IAM user, root, a role session in
it) sees the lab's title and instructions (Markdown, rendered safely), the
objectives with their points and whether each has passed, the score, hints on
demand, and "Check my progress" (grades this seat again). Never the checks
themselves nor a failed check's detail: either could give the answer away. An
account that is no seat answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.errors import NoSuchEntity
from iamconsole.console import console_login_required
from iamconsole.pages import render_error
from labs.markdown import render_markdown
from labs.models import Seat
from labs.operations import grade_seat, lab_of, seat_of_account

NOT_A_SEAT = "This account is not a seat of a training class: it has no lab."
_UNSET = object()


def seat_of_request(request: HttpRequest) -> Seat | None:
    """The seat the signed-in console account is (None outside a seat, or outside the
    console). One query, cached on the request: the navigation asks on every page."""
    cached = request.__dict__.get("_labs_seat", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    principal = getattr(request, "principal", None)
    seat = seat_of_account(principal.account_id) if principal is not None else None
    request._labs_seat = seat  # type: ignore[attr-defined]
    return seat


@dataclass(frozen=True)
class LabNav:
    """What the console's navigation shows of the seat's lab."""

    title: str


def lab_nav(request: HttpRequest) -> LabNav | None:
    """The "Lab" link of every console page of a seat's account (the context processor
    asks lazily, once per page: one query). The title comes from the class's stored lab
    document, which needs no parsing."""
    seat = seat_of_request(request)
    if seat is None:
        return None
    lab = seat.lab_class.lab if isinstance(seat.lab_class.lab, dict) else {}
    return LabNav(title=str(lab.get("title") or seat.lab_class.lab_id))


@dataclass(frozen=True)
class ObjectiveRow:
    id: str
    title: str
    points: int
    passed: bool
    hint: SafeString | None


def _panel_context(seat: Seat) -> dict[str, object]:
    lab = lab_of(seat.lab_class)
    grade = grade_seat(seat)
    hints = {o.id: o.hint for o in lab.objectives}
    # Only what the trainee may see: the grade's ``detail`` (why a check failed) is left
    # out on purpose, and so is the check.
    rows = [
        ObjectiveRow(
            id=o.id,
            title=o.title,
            points=o.points,
            passed=bool(o.passed),
            hint=render_markdown(hints[o.id]) if hints.get(o.id) else None,
        )
        for o in grade.objectives
    ]
    return {
        "seat": seat,
        "lab": lab,
        "instructions": render_markdown(lab.instructions),
        "objectives": rows,
        "score": grade.score,
        "max_score": grade.max_score,
        "done": bool(rows) and all(r.passed for r in rows),
    }


def _seat_or_404(request: HttpRequest) -> Seat:
    seat = seat_of_request(request)
    if seat is None:
        raise NoSuchEntity(NOT_A_SEAT)
    return seat


@console_login_required
@require_GET
def lab_panel(request: HttpRequest) -> HttpResponse:
    """The lab: instructions, objectives, score (graded as the page opens)."""
    try:
        seat = _seat_or_404(request)
    except NoSuchEntity as exc:
        return render_error(request, exc)
    return render(request, "labs/trainee/panel.html", _panel_context(seat))


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def lab_check(request: HttpRequest) -> HttpResponse:
    """ "Check my progress": grade this seat again (htmx: just the progress part)."""
    try:
        seat = _seat_or_404(request)
    except NoSuchEntity as exc:
        return render_error(request, exc)
    if not getattr(request, "htmx", False):
        return redirect("labs:lab")
    context = _panel_context(seat)
    context["checked"] = True
    return render(request, "labs/trainee/panel.html#progress", context)
