"""The instructor's pages: their classes, start a class, the class's live grid, reset,
end, and the seats' credentials (a .csv and a printable handout).

Every page is the signed-in instructor's own: a class of another instructor answers
404, exactly like a class that does not exist (``find_class(name, instructor=…)``).
Writes go through ``labs.operations`` (which audit start, reset and end); the
credential downloads are audited here (``labs.instructors.audit_instructor``).
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.errors import IamError, NoSuchEntity
from labs.format import MAX_FILE_BYTES, Lab, LabFileError, LabIssue, load_lab, load_lab_file
from labs.instructors import DOWNLOAD_EVENT, audit_instructor
from labs.models import Instructor, LabClass, Seat
from labs.operations import (
    MAX_SEATS,
    classes_of,
    end_class,
    find_class,
    grade_class,
    lab_of,
    reset_seat,
    seat_credentials,
    start_class,
)
from labs.pages.session import instructor_required

CATALOG_DIR = Path(__file__).resolve().parents[1] / "catalog"
MAX_LAB_FILE_BYTES = MAX_FILE_BYTES  # the parser's own limit (1 MiB)
# A class name names its seats' account aliases ("<name>-<n>", at most 63 characters).
# Single hyphens only, as for an account alias.
CLASS_NAME_PATTERN = r"^(?:[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]|[a-z0-9])$"
CSV_HEADER = [
    "Seat",
    "Account ID",
    "Account alias",
    "Console sign-in URL",
    "User name",
    "Password",
    "Access key ID",
    "Secret access key",
]


def _instructor(request: HttpRequest) -> Instructor:
    return request.instructor  # type: ignore[attr-defined]


def base_url(request: HttpRequest) -> str:
    """The installation's address as this browser reaches it (for the seats' sign-in URLs)."""
    return request.build_absolute_uri("/").rstrip("/")


def _class_for(request: HttpRequest, name: str) -> LabClass:
    """The instructor's own class, else NoSuchEntity (404): another instructor's class
    looks exactly like a missing one."""
    return find_class(name, instructor=_instructor(request))


def _seat_for(lab_class: LabClass, number: str) -> Seat:
    seat = None
    if number.isascii() and number.isdigit() and len(number) <= 4:
        seat = Seat.objects.filter(lab_class=lab_class, number=int(number)).first()
    if seat is None:
        raise NoSuchEntity(f"The class {lab_class.name} has no seat {number}.")
    return seat


def _error(request: HttpRequest, exc: IamError) -> HttpResponse:
    """An IAM error as the instructor's error page (or fragment for htmx)."""
    template = "labs/instructor/error.html"
    if getattr(request, "htmx", False):
        template += "#error"
    status = exc.status if 400 <= exc.status < 600 else 500
    return render(request, template, {"error": exc}, status=status)


def instructor_page(view: Any) -> Any:
    """``instructor_required``, and an IAM error that escapes the view answers its status
    with AWS's message (a class that is not the instructor's: 404), never a 500."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except IamError as exc:
            return _error(request, exc)

    return instructor_required(wrapper)


# -- the shipped labs ----------------------------------------------------------------------


@dataclass(frozen=True)
class ShippedLab:
    key: str  # the file's stem: what the form sends
    lab: Lab


def shipped_labs() -> list[ShippedLab]:
    """The labs in labs/catalog/*.yaml that load (a broken file is left out, not a 500)."""
    found = []
    for path in sorted(CATALOG_DIR.glob("*.yaml")):
        try:
            found.append(ShippedLab(key=path.stem, lab=load_lab_file(path)))
        except (LabFileError, OSError, UnicodeDecodeError):
            continue
    return found


# -- classes list ---------------------------------------------------------------------------


@instructor_page
@require_GET
def class_list(request: HttpRequest) -> HttpResponse:
    """The instructor's classes (newest first), with their lab and seat count."""
    classes = classes_of(_instructor(request)).annotate(seat_count=Count("seats"))
    rows = []
    for lab_class in classes:
        try:
            title = lab_of(lab_class).title
        except Exception:  # noqa: BLE001  (a stored lab that no longer loads: still listed)
            title = lab_class.lab_id
        rows.append((lab_class, title))
    return render(request, "labs/instructor/classes.html", {"rows": rows, "nav": "classes"})


# -- start a class --------------------------------------------------------------------------


class StartClassForm(forms.Form):
    source = forms.ChoiceField(
        label="Lab",
        choices=[("catalog", "A shipped lab"), ("upload", "Upload a lab file")],
        widget=forms.RadioSelect,
        initial="catalog",
    )
    lab = forms.ChoiceField(label="Shipped lab", required=False)
    lab_file = forms.FileField(
        label="Lab file (YAML)",
        required=False,
        help_text="A lab file; it is validated before the class starts.",
        widget=forms.ClearableFileInput(attrs={"accept": ".yaml,.yml,text/yaml"}),
    )
    name = forms.RegexField(
        label="Class name",
        regex=CLASS_NAME_PATTERN,
        max_length=56,
        required=False,
        help_text=(
            "Lower-case letters, digits and hyphens; the seats' account aliases are "
            "<name>-<seat>. Leave empty to use the lab's id."
        ),
        error_messages={
            "invalid": "Use lower-case letters, digits and single hyphens (not first or last)."
        },
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    seats = forms.IntegerField(
        label="Number of seats",
        min_value=1,
        max_value=MAX_SEATS,
        initial=1,
        help_text=f"One account per trainee: 1 to {MAX_SEATS}.",
        error_messages={
            "min_value": f"Enter a whole number from 1 to {MAX_SEATS}.",
            "max_value": f"Enter a whole number from 1 to {MAX_SEATS}.",
            "invalid": f"Enter a whole number from 1 to {MAX_SEATS}.",
        },
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_SEATS}),
    )

    def __init__(self, *args: Any, catalog: list[ShippedLab], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.catalog = {item.key: item for item in catalog}
        self.fields["lab"].choices = [
            (item.key, f"{item.lab.title} ({item.lab.id})") for item in catalog
        ]
        if not catalog:
            self.fields["source"].initial = "upload"
        self.issues: list[LabIssue] = []  # the uploaded file's problems, with their lines
        self.lab: Lab | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("source") == "catalog":
            item = self.catalog.get(data.get("lab") or "")
            if item is None:
                self.add_error("lab", "Choose one of the shipped labs.")
            else:
                self.lab = item.lab
        elif data.get("source") == "upload":
            upload = data.get("lab_file")
            if upload is None:
                self.add_error("lab_file", "Choose a lab file to upload.")
            elif upload.size > MAX_LAB_FILE_BYTES:
                self.add_error("lab_file", "The lab file is too large (at most 1 MiB).")
            else:
                self.lab = self._load_upload(upload)
        return data

    def _load_upload(self, upload: Any) -> Lab | None:
        try:
            text = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            self.add_error("lab_file", "The lab file is not UTF-8 text.")
            return None
        try:
            # An uploaded lab has no folder: a start state must be inline.
            return load_lab(text, base_dir=None, name=upload.name or "upload.yaml")
        except LabFileError as exc:
            self.issues = list(exc.issues)
            count = len(self.issues)
            self.add_error(
                "lab_file",
                f"The lab file has {count} problem{'s' if count != 1 else ''}: "
                "fix them and upload it again.",
            )
            return None


@instructor_page
@require_http_methods(["GET", "POST"])
def class_start(request: HttpRequest) -> HttpResponse:
    """Start a class from a shipped lab or an uploaded file: one account per seat."""
    catalog = shipped_labs()
    form = StartClassForm(request.POST or None, request.FILES or None, catalog=catalog)
    status = 200
    if request.method == "POST" and form.is_valid() and form.lab is not None:
        try:
            started = start_class(
                lab=form.lab,
                seats=form.cleaned_data["seats"],
                name=form.cleaned_data["name"] or None,
                instructor=_instructor(request),
                base_url=base_url(request),
            )
        except IamError as exc:
            form.add_error("name" if exc.code == "EntityAlreadyExists" else None, exc.message)
            status = exc.status
        else:
            lab_class = started.lab_class
            messages.success(
                request,
                f"Class {lab_class.name} started with {form.cleaned_data['seats']} seat"
                f"{'s' if form.cleaned_data['seats'] != 1 else ''}.",
            )
            return redirect("labs:class-detail", name=lab_class.name)
    context = {"form": form, "catalog": catalog, "nav": "start"}
    return render(request, "labs/instructor/start.html", context, status=status)


# -- the class page and its live grid --------------------------------------------------------


def _class_context(lab_class: LabClass) -> dict[str, Any]:
    lab = lab_of(lab_class)
    grades = grade_class(lab_class=lab_class)
    return {"lab_class": lab_class, "lab": lab, "grades": grades, "nav": "classes"}


@instructor_page
@require_GET
def class_detail(request: HttpRequest, name: str) -> HttpResponse:
    """The seat x objective grid (passed or not yet, points), score and last activity per
    seat; the grid refreshes itself every few seconds (htmx polls ``class_grid``)."""
    lab_class = _class_for(request, name)
    return render(request, "labs/instructor/class.html", _class_context(lab_class))


@instructor_page
@require_GET
def class_grid(request: HttpRequest, name: str) -> HttpResponse:
    """The grid alone (the page polls it)."""
    lab_class = _class_for(request, name)
    return render(request, "labs/instructor/class.html#grid", _class_context(lab_class))


# -- reset and end ---------------------------------------------------------------------------


@instructor_page
@require_http_methods(["GET", "POST"])
def seat_reset(request: HttpRequest, name: str, number: str) -> HttpResponse:
    """Reset one seat to the lab's start state (confirm first)."""
    lab_class = _class_for(request, name)
    seat = _seat_for(lab_class, number)
    if request.method == "POST":
        reset_seat(seat=seat, instructor=_instructor(request), base_url=base_url(request))
        messages.success(request, f"Seat {seat.number} was reset to the lab's start state.")
        return redirect("labs:class-detail", name=lab_class.name)
    context = {"lab_class": lab_class, "seat": seat, "action": "seat"}
    return render(request, "labs/instructor/confirm.html", context)


@instructor_page
@require_http_methods(["GET", "POST"])
def class_reset(request: HttpRequest, name: str) -> HttpResponse:
    """Reset every seat of the class (confirm first). Each seat is its own reset: one
    that fails is named, and the others are still reset."""
    lab_class = _class_for(request, name)
    if request.method == "POST":
        failed = []
        for seat in Seat.objects.filter(lab_class=lab_class).order_by("number"):
            try:
                reset_seat(seat=seat, instructor=_instructor(request), base_url=base_url(request))
            except IamError as exc:
                failed.append(f"seat {seat.number}: {exc.message}")
        if failed:
            messages.error(request, "Some seats could not be reset: " + "; ".join(failed))
        else:
            messages.success(request, "Every seat was reset to the lab's start state.")
        return redirect("labs:class-detail", name=lab_class.name)
    context = {"lab_class": lab_class, "action": "all"}
    return render(request, "labs/instructor/confirm.html", context)


class EndClassForm(forms.Form):
    confirm = forms.CharField(label="To confirm, enter the class name", max_length=64)

    def __init__(self, *args: Any, expected: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"].strip()
        if value != self.expected:
            raise forms.ValidationError(f"Enter {self.expected} exactly to confirm.")
        return value


@instructor_page
@require_http_methods(["GET", "POST"])
def class_end(request: HttpRequest, name: str) -> HttpResponse:
    """End the class: its seats' accounts and everything in them are deleted (confirm by
    typing the class name)."""
    lab_class = _class_for(request, name)
    form = EndClassForm(request.POST or None, expected=lab_class.name)
    if request.method == "POST" and form.is_valid():
        end_class(lab_class=lab_class, instructor=_instructor(request))
        messages.success(request, f"Class {name} ended: its seats' accounts are deleted.")
        return redirect("labs:class-list")
    context = {"lab_class": lab_class, "form": form, "action": "end"}
    return render(request, "labs/instructor/confirm.html", context)


# -- credentials -----------------------------------------------------------------------------


def _cell(value: object, *, secret: bool = False) -> str:
    """A CSV cell. A value starting with = + - @ (or a tab or carriage return) would run
    as a spreadsheet formula, so it is quoted (OWASP, "CSV Injection"). The generated
    secrets (password, secret access key) are written exactly as they are, as in the
    users' credentials .csv (accounts/pages/users_credentials.py): nobody chose them,
    and a quote in front would make them wrong."""
    text = "" if value is None else str(value)
    if not secret and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _audit_download(request: HttpRequest, lab_class: LabClass, kind: str, seats: int) -> None:
    audit_instructor(
        request,
        DOWNLOAD_EVENT,
        email=_instructor(request).email,
        params={"className": lab_class.name, "format": kind, "seats": seats},
    )


@instructor_page
@require_GET
def class_credentials(request: HttpRequest, name: str) -> HttpResponse:
    """The seats' credentials as a .csv (never cached). A password the trainee has
    changed is no longer known: its cell is empty."""
    lab_class = _class_for(request, name)
    creds = seat_credentials(lab_class, base_url=base_url(request))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for c in creds:
        writer.writerow(
            [
                _cell(c.seat),
                _cell(c.account_id),
                _cell(c.alias),
                _cell(c.signin_url),
                _cell(c.user_name),
                _cell(c.password, secret=True),
                _cell(c.access_key_id),
                _cell(c.secret_access_key, secret=True),
            ]
        )
    _audit_download(request, lab_class, "csv", len(creds))
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    filename = f"{lab_class.name}-credentials.csv"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "no-store"
    return response


@instructor_page
@require_GET
def class_handout(request: HttpRequest, name: str) -> HttpResponse:
    """A printable handout: one seat per printed page (sign-in URL, user name, initial
    password, access key when the lab gives one)."""
    lab_class = _class_for(request, name)
    creds = seat_credentials(lab_class, base_url=base_url(request))
    _audit_download(request, lab_class, "handout", len(creds))
    context = {"lab_class": lab_class, "lab": lab_of(lab_class), "creds": creds}
    return render(request, "labs/instructor/handout.html", context)
