"""Classes and seats: start, grade, reset, end (the labs' operations layer).

A class is one run of a lab; each seat is a new account (its own 12-digit id,
alias ``<class>-<n>``) holding the lab's start state, imported by the same
importer as ``manage.py import_account``, plus the trainee's IAM user with a
generated console password (to be changed at the first sign-in) and, when the
lab says so, an access key.

Who may act: the operator at the shell (``instructor=None``) on every class; an
instructor on their own classes only. Another instructor's class is reported
as missing (``NoSuchEntity``), exactly like a class that does not exist. Every
start, reset and end is audited twice: in each seat's account (the events the
lab system writes there carry ``via="lab"`` and never count for grading or for
"last activity") and in the installation's instructor trail (account None).

Seat accounts are ordinary accounts: their root identity has no usable
password (nobody signs in as a seat's root), and their IAM users can do what
the start state's policies allow, nothing in other seats.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from accounts.errors import EntityAlreadyExists, IamError, NoSuchEntity, ValidationError
from accounts.ids import account_id as random_account_id
from accounts.models import AccessKey, Account, ConsoleUser, IamUser, PasswordPolicy
from accounts.operations.credentials import create_access_key, create_login_profile
from accounts.operations.importer import clear_account_state, import_authorization_details
from accounts.operations.users import create_user
from accounts.principal import Principal, root_principal
from accounts.validation import check_alias
from audit.models import AuditEvent
from audit.trail import record_event
from labs.checks import grade_account
from labs.format import Lab
from labs.models import Instructor, LabClass, Seat
from policies import cache as policy_cache

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_SEATS",
    "ObjectiveResult",
    "SEAT_ACCOUNT",
    "SeatCredentials",
    "for_seat",
    "SeatGrade",
    "StartedClass",
    "classes_of",
    "end_class",
    "find_class",
    "grade_class",
    "grade_seat",
    "lab_of",
    "record_instructor_event",
    "write_instructor_event",
    "reset_seat",
    "seat_credentials",
    "seat_of_account",
    "start_class",
]

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
MAX_SEATS = 100
# The seats' aliases are "<class>-<n>" and an alias has at most 63 characters.
CLASS_NAME_RE = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]|[a-z0-9]")
CLASS_NAME_MAX = 56
LAB_EVENT_SOURCE = "labs"


@dataclass(frozen=True)
class SeatCredentials:
    seat: int
    account_id: str
    alias: str
    signin_url: str
    user_name: str
    password: str | None  # None once the trainee replaced the initial password
    access_key_id: str | None = None
    secret_access_key: str | None = None

    def as_json(self, *, with_key: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "seat": self.seat,
            "account_id": self.account_id,
            "alias": self.alias,
            "signin_url": self.signin_url,
            "user_name": self.user_name,
            "password": self.password,
        }
        if with_key:
            out["access_key_id"] = self.access_key_id
            out["secret_access_key"] = self.secret_access_key
        return out


@dataclass(frozen=True)
class StartedClass:
    lab_class: LabClass
    lab: Lab
    seats: list[SeatCredentials]


@dataclass(frozen=True)
class ObjectiveResult:
    id: str
    title: str
    points: int
    passed: bool
    detail: str
    hint: str = ""


@dataclass(frozen=True)
class SeatGrade:
    seat: int
    account_id: str
    alias: str
    score: int
    max_score: int
    objectives: list[ObjectiveResult] = field(default_factory=list)
    last_activity: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "seat": self.seat,
            "account_id": self.account_id,
            "score": self.score,
            "max_score": self.max_score,
            "objectives": [
                {"id": o.id, "passed": o.passed, "detail": o.detail} for o in self.objectives
            ],
        }


# -- helpers --------------------------------------------------------------------------


def signin_url(base_url: str, alias: str) -> str:
    return f"{base_url.rstrip('/')}/signin/{alias}/"


def _check_class_name(name: str) -> str:
    if not name or len(name) > CLASS_NAME_MAX or not CLASS_NAME_RE.fullmatch(name):
        raise ValidationError(
            f"A class name is 1 to {CLASS_NAME_MAX} lower-case letters, digits and single "
            "hyphens, starting and ending with a letter or digit."
        )
    return name


SEAT_ACCOUNT = "${SeatAccountId}"


def for_seat(value: Any, account_id: str) -> Any:
    """``value`` with every ``${SeatAccountId}`` replaced by the seat's account id.

    Lab files cannot know the seats' ids: start documents (a trust policy naming the
    account, a resource ARN) and checks (``role/x`` is enough for a principal, but a
    resource ARN needs the account) write the placeholder instead."""
    if isinstance(value, str):
        return value.replace(SEAT_ACCOUNT, account_id)
    if isinstance(value, dict):
        return {for_seat(k, account_id): for_seat(v, account_id) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(for_seat(v, account_id) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: for_seat(getattr(value, f.name), account_id) for f in dataclasses.fields(value)
        }
        return dataclasses.replace(value, **changes)
    return value


def _lab_actor(account_id: str) -> Principal:
    """The lab system acting in a seat: the seat's root, marked so grading ignores it."""
    return root_principal(account_id, via="lab")


def write_instructor_event(
    actor_arn: str,
    event_name: str,
    resource: str = "",
    *,
    request: dict[str, Any] | None = None,
    allowed: bool = True,
    error_code: str = "",
    error_message: str = "",
    source_ip: str | None = None,
    user_agent: str = "",
    via: str = "console",
    when: datetime | None = None,
) -> None:
    """The one writer of the installation's instructor trail (account None).

    These are the console's own events, not AWS's: AWS has no instructors, so the
    names (StartClass, ResetSeat, EndClass, InstructorConsoleLogin, ...) are this
    project's. ``request`` must hold no secret.
    """
    AuditEvent.objects.create(
        account=None,
        time=when or timezone.now(),
        event_name=event_name,
        event_source=LAB_EVENT_SOURCE,
        actor_arn=actor_arn[:1200],
        actor_account="",
        resource_arn=resource[:1200],
        allowed=allowed,
        error_code=error_code,
        error_message=error_message[:2000],
        source_ip=source_ip,
        user_agent=user_agent[:512],
        via=via,
        request=request or {},
    )


def record_instructor_event(
    instructor: Instructor | None,
    event_name: str,
    resource: str = "",
    *,
    request: dict[str, Any] | None = None,
    allowed: bool = True,
    error: IamError | None = None,
) -> None:
    """An instructor's (or, with None, the shell operator's) class operation."""
    write_instructor_event(
        f"instructor/{instructor.email}" if instructor else "operator",
        event_name,
        resource,
        request=request,
        allowed=allowed,
        error_code=error.code if error else "",
        error_message=error.message if error else "",
        via="console" if instructor else "cli",
    )


_PASSWORD_SYMBOLS = "!@#$%^&*()_+-=[]{}|'"
_PASSWORD_ALPHABET = string.ascii_letters + string.digits + _PASSWORD_SYMBOLS


def _generated_password(account_id: str) -> str:
    """A password any password policy accepts: every character class, long enough."""
    policy = PasswordPolicy.objects.filter(account_id=account_id).first()
    length = max(20, policy.minimum_password_length if policy else 0)
    while True:
        # The first character is a letter or digit: a spreadsheet opening the handout's
        # CSV would take a leading = + - @ for a formula.
        chars = [secrets.choice(string.ascii_letters + string.digits)]
        chars += [secrets.choice(_PASSWORD_ALPHABET) for _ in range(length - 1)]
        text = "".join(chars)
        if (
            any(c.islower() for c in text)
            and any(c.isupper() for c in text)
            and any(c.isdigit() for c in text)
            and any(c in _PASSWORD_SYMBOLS for c in text)
        ):
            return text


def _new_seat_account(alias: str) -> Account:
    """A fresh account for a seat, with a root identity nobody can sign in as."""
    check_alias(alias)
    if Account.objects.filter(alias=alias).exists():
        raise EntityAlreadyExists(f"The account alias {alias} already exists.")
    for _ in range(20):
        new_id = random_account_id()
        if Account.objects.filter(pk=new_id).exists():
            continue
        try:
            with transaction.atomic():
                account = Account.objects.create(id=new_id, alias=alias)
                root = ConsoleUser(
                    username=f"root:seat-{new_id}@labs.invalid",
                    account=account,
                    is_root=True,
                    email=f"seat-{new_id}@labs.invalid",
                )
                root.set_unusable_password()
                root.save(force_insert=True)
        except IntegrityError:
            if Account.objects.filter(alias=alias).exists():
                raise EntityAlreadyExists(f"The account alias {alias} already exists.") from None
            continue
        return account
    raise EntityAlreadyExists("Could not allocate an account id.")


def _populate_seat(seat: Seat, lab: Lab, base_url: str) -> SeatCredentials:
    """Import the start state and give the trainee a password (and a key)."""
    actor = _lab_actor(seat.account_id)
    start = lab.start
    import_authorization_details(
        actor=actor,
        details=for_seat(start.authorization_details, seat.account_id),
        password_policy=start.password_policy,
        access_keys=start.access_keys,
    )
    user_name = lab.seat.user
    if not IamUser.objects.filter(account_id=seat.account_id, name__iexact=user_name).exists():
        create_user(actor=actor, name=user_name)
    password = _generated_password(seat.account_id)
    create_login_profile(
        actor=actor, user_name=user_name, password=password, password_reset_required=True
    )
    key_id = secret = None
    if lab.seat.access_key:
        key = create_access_key(actor=actor, user_name=user_name)
        key_id, secret = key.key.access_key_id, key.secret
    seat.user_name = user_name
    seat.set_password(password)
    seat.access_key_id = key_id or ""
    seat.started = timezone.now()
    seat.save()
    alias = seat.account.alias or seat.account_id
    return SeatCredentials(
        seat=seat.number,
        account_id=seat.account_id,
        alias=alias,
        signin_url=signin_url(base_url, alias),
        user_name=user_name,
        password=password,
        access_key_id=key_id,
        secret_access_key=secret,
    )


# -- finding ----------------------------------------------------------------------------


def find_class(name: str, *, instructor: Instructor | None = None) -> LabClass:
    """The class named ``name``: any class for the operator, only their own for an
    instructor (another instructor's class is as missing as one that never was)."""
    classes = LabClass.objects.filter(name=name)
    if instructor is not None:
        classes = classes.filter(instructor=instructor)
    found = classes.first()
    if found is None:
        # Not an AWS resource: this message is the project's own.
        raise NoSuchEntity(f"The class {name} cannot be found.")
    return found


def classes_of(instructor: Instructor) -> QuerySet[LabClass]:
    return LabClass.objects.filter(instructor=instructor).order_by("-created", "-id")


def seat_of_account(account_id: str) -> Seat | None:
    return Seat.objects.select_related("lab_class").filter(account_id=account_id).first()


_LAB_CACHE: dict[tuple[int, str], Lab] = {}


def lab_of(lab_class: LabClass) -> Lab:
    """The class's lab, parsed once per process (the stored document never changes)."""
    key = (lab_class.pk, lab_class.created.isoformat() if lab_class.created else "")
    lab = _LAB_CACHE.get(key)
    if lab is None:
        lab = Lab.from_dict(lab_class.lab)
        if len(_LAB_CACHE) > 256:
            _LAB_CACHE.clear()
        _LAB_CACHE[key] = lab
    return lab


# -- start, reset, end ------------------------------------------------------------------


def start_class(
    *,
    lab: Lab,
    seats: int,
    name: str | None = None,
    instructor: Instructor | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> StartedClass:
    """Create the class and its ``seats`` seats (numbered from 1), all or nothing."""
    name = _check_class_name(name or lab.id[:CLASS_NAME_MAX].strip("-"))
    if not isinstance(seats, int) or not 1 <= seats <= MAX_SEATS:
        raise ValidationError(f"A class has 1 to {MAX_SEATS} seats.")
    request = {"class": name, "lab": lab.id, "seats": seats}
    try:
        with transaction.atomic():
            if LabClass.objects.filter(name=name).exists():
                raise EntityAlreadyExists(f"A class named {name} already exists.")
            lab_class = LabClass(name=name, lab_id=lab.id, lab=lab.to_dict(), instructor=instructor)
            try:
                with transaction.atomic():
                    lab_class.save(force_insert=True)
            except IntegrityError:
                raise EntityAlreadyExists(f"A class named {name} already exists.") from None
            credentials = []
            for number in range(1, seats + 1):
                account = _new_seat_account(f"{name}-{number}")
                seat = Seat(lab_class=lab_class, number=number, account=account, user_name="")
                seat.set_password("")
                seat.save(force_insert=True)
                credentials.append(_populate_seat(seat, lab, base_url))
                record_event(
                    _lab_actor(account.id),
                    "StartLabSeat",
                    account.root_arn,
                    request={"Class": name, "Lab": lab.id, "Seat": number},
                    event_source=LAB_EVENT_SOURCE,
                )
            record_instructor_event(instructor, "StartClass", name, request=request)
    except IamError as exc:
        record_instructor_event(
            instructor, "StartClass", name, request=request, error=exc, allowed=False
        )
        raise
    return StartedClass(lab_class=lab_class, lab=lab, seats=credentials)


def _owned(lab_class: LabClass, instructor: Instructor | None) -> LabClass:
    if instructor is not None and lab_class.instructor_id != instructor.pk:
        raise NoSuchEntity(f"The class {lab_class.name} cannot be found.")
    return lab_class


def reset_seat(
    *, seat: Seat, instructor: Instructor | None = None, base_url: str = DEFAULT_BASE_URL
) -> SeatCredentials:
    """Back to the start: everything in the seat's account goes, the start state is
    imported again, and the trainee gets a new initial password (and key).

    The audit trail stays (grading counts events from the reset on)."""
    lab_class = _owned(seat.lab_class, instructor)
    request = {"class": lab_class.name, "seat": seat.number}
    try:
        with transaction.atomic():
            locked = Seat.objects.select_for_update().select_related("account").get(pk=seat.pk)
            actor = _lab_actor(locked.account_id)
            clear_account_state(actor=actor)
            credentials = _populate_seat(locked, lab_of(lab_class), base_url)
            record_event(
                actor,
                "ResetLabSeat",
                locked.account.root_arn,
                request={"Class": lab_class.name, "Seat": seat.number},
                event_source=LAB_EVENT_SOURCE,
            )
            record_instructor_event(instructor, "ResetSeat", lab_class.name, request=request)
    except IamError as exc:
        record_instructor_event(
            instructor, "ResetSeat", lab_class.name, request=request, error=exc, allowed=False
        )
        raise
    seat.refresh_from_db()
    return credentials


def end_class(*, lab_class: LabClass, instructor: Instructor | None = None) -> None:
    """Delete the class, its seats and their accounts (with all they hold)."""
    _owned(lab_class, instructor)
    name = lab_class.name
    with transaction.atomic():
        account_ids = list(
            Seat.objects.filter(lab_class=lab_class).values_list("account_id", flat=True)
        )
        for account_id in account_ids:
            clear_account_state(actor=_lab_actor(account_id))
        Seat.objects.filter(lab_class=lab_class).delete()
        ConsoleUser.objects.filter(account_id__in=account_ids).delete()
        Account.objects.filter(pk__in=account_ids).delete()
        lab_class.delete()
        record_instructor_event(
            instructor, "EndClass", name, request={"class": name, "accounts": account_ids}
        )


# -- grading and credentials ------------------------------------------------------------


@dataclass(frozen=True)
class _Activity:
    last_event_id: int  # the account's newest event, the lab system's included
    last_activity: datetime | None  # the trainee's newest since the seat started


def _activity(seats: list[Seat]) -> dict[str, _Activity]:
    """Per seat account: its newest event id, and the newest event since the seat
    started that the trainee (not the lab system) caused. One query for the class."""
    if not seats:
        return {}
    rows = (
        AuditEvent.objects.filter(account_id__in=[s.account_id for s in seats])
        .values("account_id")
        .annotate(last_id=Max("id"), last=Max("time", filter=~Q(via="lab")))
        .order_by()
    )
    started = {s.account_id: s.started for s in seats}
    return {
        r["account_id"]: _Activity(
            r["last_id"] or 0,
            r["last"] if r["last"] is not None and r["last"] >= started[r["account_id"]] else None,
        )
        for r in rows
    }


# Grades are kept while nothing in the seat changed: every write records an event
# (a new last event id) and every change to policies, attachments or memberships
# moves the account's authorization generation. What changes without either (the
# clock in date conditions, "last used" columns of the credential report) is at
# most GRADE_CACHE_SECONDS old. The instructor's grid polls every few seconds.
GRADE_CACHE_SECONDS = 30


def _grade_key(seat: Seat, activity: _Activity | None) -> str:
    return ":".join(
        [
            "labs-grade",
            str(seat.lab_class_id),
            seat.account_id,
            seat.started.isoformat(),
            str(seat.account.authz_generation),
            str(activity.last_event_id if activity else 0),
        ]
    )


def _grade(seat: Seat, lab: Lab, activity: _Activity | None) -> SeatGrade:
    key = _grade_key(seat, activity)
    cached = cache.get(key)
    if cached is not None:
        return cached
    # The generation was read with the seat (one query for the class): the engine's
    # per-account policy cache needs no query of its own for each decision check.
    with policy_cache.request_generation(seat.account_id, seat.account.authz_generation):
        results = grade_account(
            for_seat(lab.objectives, seat.account_id),
            account_id=seat.account_id,
            since=seat.started,
        )
    objectives = [
        ObjectiveResult(
            id=o.id,
            title=o.title,
            points=o.points,
            passed=r.passed,
            detail=r.detail,
            hint=o.hint,
        )
        for o, r in results
    ]
    grade = SeatGrade(
        seat=seat.number,
        account_id=seat.account_id,
        alias=seat.account.alias or seat.account_id,
        score=sum(o.points for o in objectives if o.passed),
        max_score=lab.max_score,
        objectives=objectives,
        last_activity=activity.last_activity if activity else None,
    )
    cache.set(key, grade, GRADE_CACHE_SECONDS)
    return grade


def grade_class(*, lab_class: LabClass, seat: int | None = None) -> list[SeatGrade]:
    """Every seat's objectives, decided on its current state (writes nothing)."""
    lab = lab_of(lab_class)
    seats = list(Seat.objects.filter(lab_class=lab_class).select_related("account"))
    if seat is not None:
        seats = [s for s in seats if s.number == seat]
        if not seats:
            raise NoSuchEntity(f"The class {lab_class.name} has no seat {seat}.")
    activity = _activity(seats)
    return [_grade(s, lab, activity.get(s.account_id)) for s in seats]


def grade_seat(seat: Seat) -> SeatGrade:
    """One seat's grade: what the trainee's "Check my progress" shows."""
    fresh = Seat.objects.select_related("account", "lab_class").get(pk=seat.pk)
    activity = _activity([fresh])
    return _grade(fresh, lab_of(fresh.lab_class), activity.get(fresh.account_id))


def seat_credentials(lab_class: LabClass, *, base_url: str) -> list[SeatCredentials]:
    """The handout: each seat's sign-in URL, user name and initial password (None once
    the trainee has replaced it), and the trainee's access key when the lab gives one."""
    lab = lab_of(lab_class)
    seats = list(Seat.objects.filter(lab_class=lab_class).select_related("account"))
    consoles = {
        (c.account_id, c.iam_user.name.lower()): c
        for c in ConsoleUser.objects.filter(
            account_id__in=[s.account_id for s in seats], is_root=False
        ).select_related("iam_user")
    }
    key_ids = [s.access_key_id for s in seats if s.access_key_id]
    keys = {k.access_key_id: k for k in AccessKey.objects.filter(access_key_id__in=key_ids)}
    out = []
    for seat in seats:
        console = consoles.get((seat.account_id, seat.user_name.lower()))
        initial = (
            console is not None
            and console.login_profile_created is not None
            and console.password_changed == console.login_profile_created
        )
        key = keys.get(seat.access_key_id) if seat.access_key_id else None
        alias = seat.account.alias or seat.account_id
        out.append(
            SeatCredentials(
                seat=seat.number,
                account_id=seat.account_id,
                alias=alias,
                signin_url=signin_url(base_url, alias),
                user_name=seat.user_name,
                password=seat.initial_password() if initial else None,
                access_key_id=key.access_key_id if key and lab.seat.access_key else None,
                secret_access_key=key.secret() if key and lab.seat.access_key else None,
            )
        )
    return out
