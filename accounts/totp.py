"""TOTP (RFC 6238) for virtual MFA devices: 30-second steps, 6 digits, SHA-1.

A code is accepted at steps -1..+1 around now (AWS tolerates small clock drift)
and never twice: the device's ``last_t`` moves forward with a conditional UPDATE,
so of several requests racing with one code exactly one wins.

The console's code checks (root and IAM-user sign-in, re-authentication) go
through ``check_code``: the device's wait is read afresh, a step is consumed by
one conditional UPDATE, a failure is one ``F()`` increment. Nothing here saves
the whole device row: django-otp's ``throttle_increment`` does (``self.save()``),
which wrote a stale ``last_t`` back, re-opened a used step (2 to 5 sign-ins with
one code) and lost parallel failure counts. STS ``TokenCode`` consumes steps
with the same UPDATE and is throttled in ``accounts.operations.sts``.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django_otp.models import Device

# Devices are accounts.models.MfaDevice (a django-otp Device); this module sits
# below the models, which call check_code, so it reaches the table through the
# instance it is given (type(device).objects) and never imports the models.

STEP = 30
DIGITS = 6
DRIFT = 1
# The device's growing wait after failed attempts: 1, 2, 4, ... seconds, at most
# 15 minutes (never a permanent lock-out: whoever holds the password, or a user's
# access key, could otherwise lock the owner out of their device for good).
MAX_DEVICE_WAIT = 15 * 60


def code_at(seed: bytes, t: int) -> str:
    """The code for time step ``t`` (t = unix time // 30)."""
    return f"{_hotp(seed, t):06d}"


def _hotp(seed: bytes, counter: int) -> int:
    from django_otp.oath import hotp

    return hotp(seed, counter, digits=DIGITS)


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP)


def matching_step(
    seed: bytes, code: str, *, now: float | None = None, drift: int = DRIFT
) -> int | None:
    """The time step within ``drift`` of now whose code equals ``code``, if any."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not (code.isascii() and code.isdigit()):
        return None
    t0 = current_step(now)
    found = None
    for t in range(t0 - drift, t0 + drift + 1):
        # Compare every candidate in constant time; keep the first match.
        if hmac.compare_digest(code_at(seed, t), code) and found is None:
            found = t
    return found


def device_wait_after(count: int, last_failure: datetime | None, now: datetime) -> int:
    """Seconds still to wait after ``count`` failed attempts, the last at ``last_failure``."""
    if count <= 0 or last_failure is None:
        return 0
    wait = timedelta(seconds=min(2 ** min(count - 1, 20), MAX_DEVICE_WAIT))
    left = (last_failure + wait - now).total_seconds()
    return max(1, int(left + 0.999)) if left > 0 else 0


def device_wait(device: Device) -> int:
    """Seconds the device still refuses codes, read afresh (the instance may be stale)."""
    row = (
        type(device)
        .objects.filter(pk=device.pk)
        .values_list("throttling_failure_count", "throttling_failure_timestamp")
        .first()
    )
    return device_wait_after(row[0], row[1], timezone.now()) if row else 0


def record_code_failure(device: Device) -> None:
    """One wrong (or replayed) code: a single ``F()`` increment, so parallel failures all count."""
    device.throttle_increment()


def verify_and_consume(device: Device, code: str, *, now: float | None = None) -> bool:
    """Accept ``code`` once: atomically move the device's last used step forward.

    One conditional UPDATE decides (``WHERE last_t < t``; its row count): on
    PostgreSQL a racer blocks on the row lock and re-checks the condition after
    the winner commits; on SQLite writers are serialized. The same statement
    resets the failure count, so no other write ever carries ``last_t``.
    """
    t = matching_step(device.seed(), code, now=now)
    if t is None:
        return False
    updated = (
        type(device)
        .objects.filter(pk=device.pk, last_t__lt=t)
        .update(last_t=t, throttling_failure_count=0, throttling_failure_timestamp=None)
    )
    if updated:
        device.last_t = t
        device.throttling_failure_count = 0
        device.throttling_failure_timestamp = None
    return bool(updated)


@dataclass(frozen=True)
class CodeCheck:
    """``check_code``'s answer: accepted, or refused (``wait`` > 0: not even checked)."""

    ok: bool
    wait: int = 0

    def __bool__(self) -> bool:
        return self.ok


def check_code(device: Device, code: str, *, now: float | None = None) -> CodeCheck:
    """The device's growing wait, then the code (once), then the failure count.

    Every code that is checked and fails raises the device's failure count by
    exactly one (``F()``); a code refused by the wait is not checked. Callers that
    can be flooded in parallel (sign-in, STS) also count attempts before checking
    them with ``accounts.throttle``.
    """
    wait = device_wait(device)
    if wait:
        return CodeCheck(ok=False, wait=wait)
    if verify_and_consume(device, code, now=now):
        return CodeCheck(ok=True)
    record_code_failure(device)
    return CodeCheck(ok=False)


def consecutive_steps(
    seed: bytes, code1: str, code2: str, *, now: float | None = None
) -> int | None:
    """Enrollment check: two consecutive codes (as AWS asks). Returns the second step."""
    t0 = current_step(now)
    # The user may type the pair a little late: allow pairs ending up to a few steps back.
    for t in range(t0 - 4, t0 + 2):
        if hmac.compare_digest(code_at(seed, t - 1), code1.strip()) and hmac.compare_digest(
            code_at(seed, t), code2.strip()
        ):
            return t
    return None
