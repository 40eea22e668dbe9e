"""Instructors: an installation-level identity that runs training classes.

An instructor is not an IAM user and belongs to no account: an email, an Argon2
password with root's rules, and a mandatory virtual MFA device enrolled at the
first sign-in with two consecutive codes (as for root). Sign-in, the instructor
pages and every write they make go through this module (the pages never write
a model themselves): create, password check, MFA enrollment and code check, and
the audit events of the instructor console.

Throttling uses ``accounts.throttle`` like the root sign-in: every password and
code attempt is counted before it is checked, per instructor (``instructor_key``:
the same hash for emails that exist and emails that don't) and per source address.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts import throttle
from accounts.errors import EntityAlreadyExists, ValidationError
from accounts.totp import CodeCheck, check_code, consecutive_steps
from accounts.validation import default_password_problems
from iamconsole.console import client_ip
from labs.models import Instructor
from labs.operations import write_instructor_event

__all__ = [
    "LOGIN_EVENT",
    "DOWNLOAD_EVENT",
    "Enrollment",
    "audit_instructor",
    "authenticate",
    "begin_enrollment",
    "check_instructor_code",
    "check_new_instructor",
    "create_instructor",
    "enable_mfa",
    "enrollment_fingerprint",
    "find_instructor",
    "instructor_key",
    "normalize_email",
]

# Not AWS events (AWS has no instructors): the instructor console's own audit records,
# shaped like CloudTrail's ConsoleLogin so the trail reads the same.
LOGIN_EVENT = "InstructorConsoleLogin"
DOWNLOAD_EVENT = "DownloadSeatCredentials"
# What the trail names an unknown email by (CloudTrail hides user names it does not
# know for the same reason: a password typed into the name field would be recorded).
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
SEED_BYTES = 20  # RFC 4226's recommended 160-bit key, as for the accounts' devices

_dummy_hash: str | None = None


def normalize_email(email: str) -> str:
    return email.strip().lower()


def instructor_key(email: str) -> str:
    """The throttle key of an instructor's sign-in: the same for emails that exist or not."""
    return throttle._key(f"instructor:{normalize_email(email)}")


# -- create ----------------------------------------------------------------------------


def check_new_instructor(*, email: str, password: str) -> str:
    """Root's sign-up rules (``accounts.operations.account.check_sign_up``): a valid email,
    at least 8 characters, AWS's default password policy, and not the email itself.
    Returns the normalized email; ``ValidationError`` says what is wrong."""
    email = normalize_email(email)
    if not email or "@" not in email or len(email) > 254 or " " in email:
        raise ValidationError("Enter a valid email address.")
    if len(password) < 8:
        raise ValidationError("The password must have at least 8 characters.")
    problems = default_password_problems(password, names=(email,))
    if problems:
        raise ValidationError(" ".join(problems))
    return email


def create_instructor(*, email: str, password: str) -> Instructor:
    """A new instructor (MFA is enrolled at the first sign-in). ``EntityAlreadyExists``
    when the email has one already."""
    email = check_new_instructor(email=email, password=password)
    try:
        with transaction.atomic():
            if Instructor.objects.filter(email=email).exists():
                raise EntityAlreadyExists(f"An instructor with email {email} already exists.")
            return Instructor.objects.create(email=email, password=make_password(password))
    except IntegrityError as exc:  # a parallel create of the same email
        raise EntityAlreadyExists(f"An instructor with email {email} already exists.") from exc


# -- sign-in ---------------------------------------------------------------------------


def find_instructor(pk: Any) -> Instructor | None:
    if not isinstance(pk, int):
        return None
    return Instructor.objects.filter(pk=pk).first()


def authenticate(email: str, password: str) -> Instructor | None:
    """The instructor whose email and password these are, else None.

    An unknown email still costs one Argon2 check, so the answer's timing does not
    tell which emails are instructors.
    """
    global _dummy_hash
    instructor = Instructor.objects.filter(email=normalize_email(email)).first()
    if instructor is None:
        if _dummy_hash is None:
            _dummy_hash = make_password(os.urandom(16).hex())
        check_password(password, _dummy_hash)
        return None
    return instructor if check_password(password, instructor.password) else None


def check_instructor_code(instructor: Instructor, code: str) -> CodeCheck:
    """A code from the instructor's device: its growing wait, then each code once
    (``accounts.totp.check_code``: one conditional UPDATE of ``last_t``)."""
    if instructor.mfa_enabled is None or not instructor.seed_sealed:
        return CodeCheck(ok=False)
    return check_code(instructor, code)


# -- MFA enrollment --------------------------------------------------------------------


@dataclass(frozen=True)
class Enrollment:
    seed: bytes
    fingerprint: str  # names this enrollment in the session (never the seed itself)


def enrollment_fingerprint(instructor: Instructor) -> str:
    """Names the pending seed (its sealed bytes differ at every enrollment: random nonce)."""
    return hashlib.sha256(bytes(instructor.seed_sealed or b"")).hexdigest()[:32]


def begin_enrollment(instructor: Instructor, *, fingerprint: str | None) -> Enrollment | None:
    """The seed to show for enrollment: the session's own pending one (``fingerprint``)
    if it is still the instructor's, else a new one (a seed another session showed may
    have been seen elsewhere). None once MFA is enabled."""
    with transaction.atomic():
        row = Instructor.objects.select_for_update().filter(pk=instructor.pk).first()
        if row is None or row.mfa_enabled is not None:
            return None
        if fingerprint and row.seed_sealed and enrollment_fingerprint(row) == fingerprint:
            return Enrollment(seed=row.seed(), fingerprint=fingerprint)
        seed = os.urandom(SEED_BYTES)
        row.set_seed(seed)
        Instructor.objects.filter(pk=row.pk).update(seed_sealed=row.seed_sealed, last_t=-1)
        instructor.seed_sealed = row.seed_sealed
        return Enrollment(seed=seed, fingerprint=enrollment_fingerprint(row))


def enable_mfa(instructor: Instructor, *, fingerprint: str, code1: str, code2: str) -> bool:
    """Enable the pending device with two consecutive codes (as EnableMFADevice asks).

    Only the enrollment this session showed (``fingerprint``), and only once: the row is
    locked, so of two parallel requests with the same pair one wins. The second code's
    step becomes the last used one: neither code signs in again.
    """
    with transaction.atomic():
        row = Instructor.objects.select_for_update().filter(pk=instructor.pk).first()
        if row is None or row.mfa_enabled is not None or not row.seed_sealed:
            return False
        if enrollment_fingerprint(row) != fingerprint:
            return False
        t = consecutive_steps(row.seed(), code1, code2)
        if t is None:
            return False
        now = timezone.now()
        Instructor.objects.filter(pk=row.pk).update(
            mfa_enabled=now,
            last_t=t,
            throttling_failure_count=0,
            throttling_failure_timestamp=None,
        )
    instructor.mfa_enabled = now
    instructor.last_t = t
    return True


# -- audit -----------------------------------------------------------------------------


def audit_instructor(
    request: HttpRequest,
    event_name: str,
    *,
    email: str | None,
    allowed: bool = True,
    error_code: str = "",
    error_message: str = "",
    params: dict[str, Any] | None = None,
    when: datetime | None = None,
) -> None:
    """One audit event of the instructor console (sign-in, credential downloads).

    These are not AWS events: AWS has no instructors. They sit in the trail beside
    the accounts' events, in no account (``account=None``), so that the installation's
    operator sees who ran which class. ``params`` must hold no secret.
    """
    write_instructor_event(
        f"instructor/{email or HIDDEN}",
        event_name,
        allowed=allowed,
        error_code=error_code,
        error_message=error_message,
        source_ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
        request=params,
        when=when,
    )
