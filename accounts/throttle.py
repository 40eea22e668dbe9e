"""Growing waits after failed console sign-ins, per identity.

Every password or MFA-code attempt is counted *before* it is checked, inside a
row lock: parallel guesses queue on the lock and each one counts, so nobody can
fire a burst of guesses through the window between "check" and "record". A
completed sign-in forgets the count.

Waits: the first ``FREE_FAILURES`` attempts are free, then 1, 2, 4, … seconds,
capped at 15 minutes; never a permanent lock-out (failures older than a day are
forgotten). On top, at most ``MAX_PER_WINDOW`` attempts per identity per hour.
The key is a hash of the normalized identity (for root: the email), computed the
same way for names that exist and names that don't, so the throttle reveals
nothing about which accounts exist. NIST SP 800-63B §5.2.2 ("Rate Limiting")
asks for the same shape: at most 100 consecutive failures, no permanent lock.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import SignInThrottle

FREE_FAILURES = 5
MAX_WAIT = timedelta(minutes=15)
WINDOW = timedelta(hours=1)
MAX_PER_WINDOW = 100
FORGET_AFTER = timedelta(days=1)
# One address may fail more often than one identity (several people behind one NAT),
# but not without end: past this many it waits too, whatever identity it targets.
SOURCE_FREE_FAILURES = 20


def root_key(email: str) -> str:
    """The throttle key of a root sign-in: sha256 of the normalized email."""
    return _key(f"root:{email.strip().lower()}")


def user_key(account: str, user_name: str) -> str:
    """The throttle key of an IAM user's password: the same for names that exist or not."""
    return _key(f"iam:{account.strip().lower()}:{user_name.strip().lower()}")


def device_key(device_pk: int) -> str:
    """The throttle key of an MFA device's codes sent to STS (``TokenCode``)."""
    return _key(f"mfa-device:{device_pk}")


def source_key(address: str | None) -> str:
    """The throttle key of a source address (every sign-in attempt from it)."""
    return _key(f"source:{(address or 'unknown').strip().lower()}")


def signup_key(address: str | None) -> str:
    """The throttle key of sign-up requests from one source address."""
    return _key(f"signup:{(address or 'unknown').strip().lower()}")


def _key(identity: str) -> str:
    return hashlib.sha256(identity.encode()).hexdigest()


def delay_after(failures: int, free: int = FREE_FAILURES) -> timedelta:
    """The wait after ``failures`` consecutive failures: 2^(n-5) s from the 5th, ≤ 15 min."""
    if failures < free:
        return timedelta(0)
    exponent = failures - free
    if exponent >= 10:  # 2^10 s > 15 min: avoid huge powers
        return MAX_WAIT
    return min(timedelta(seconds=2**exponent), MAX_WAIT)


def seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def _locked_row(key: str, now: datetime) -> SignInThrottle:
    """The key's row, locked for this transaction, created if missing.

    ``get_or_create`` is not enough under parallel attempts: a racer's insert can fail
    on the unique key while the row it collided with is already gone again (a sign-in
    that succeeded forgets its row), and then neither get nor create finds one. An
    insert that ignores conflicts, then a locking read, retried, settles it on SQLite
    and PostgreSQL alike.
    """
    for _ in range(5):
        SignInThrottle.objects.bulk_create(
            [SignInThrottle(key=key, window_start=now)], ignore_conflicts=True
        )
        row = SignInThrottle.objects.select_for_update().filter(key=key).first()
        if row is not None:
            return row
    raise RuntimeError(f"throttle row {key[:12]}… keeps vanishing")


@transaction.atomic
def begin_attempt(key: str, *, free: int = FREE_FAILURES) -> int:
    """Count one attempt. Returns 0 if it may go ahead, else the seconds to wait.

    A refused attempt is not counted (it was never checked). ``free``: the attempts
    before the first wait (``SOURCE_FREE_FAILURES`` for a source address).
    """
    now = timezone.now()
    row = _locked_row(key, now)
    if row.locked_until is not None and row.locked_until > now:
        return seconds_until(row.locked_until, now)
    if row.last_failure is not None and now - row.last_failure > FORGET_AFTER:
        row.failures = 0
    if now - row.window_start >= WINDOW:
        row.window_start = now
        row.window_failures = 0
    row.failures += 1
    row.window_failures += 1
    row.last_failure = now
    locked_until = now + delay_after(row.failures, free)
    if row.window_failures >= MAX_PER_WINDOW:
        locked_until = max(locked_until, row.window_start + WINDOW)
    row.locked_until = locked_until
    row.save()
    return 0


@transaction.atomic
def refund_attempt(key: str) -> None:
    """A correct password (MFA still to come): that attempt was no failure.

    Nor does it count toward the hourly cap (a source address behind which many
    people sign in must not reach it by succeeding). Nothing left: the row goes.
    """
    row = SignInThrottle.objects.select_for_update().filter(key=key).first()
    if row is None:
        return
    row.failures = max(0, row.failures - 1)
    row.window_failures = max(0, row.window_failures - 1)
    if row.failures == 0 and row.window_failures == 0:
        row.delete()
        return
    row.locked_until = timezone.now()  # the counted attempt succeeded: no wait for it
    row.save(update_fields=["failures", "window_failures", "locked_until"])


def forget(key: str) -> None:
    """A completed sign-in: start afresh."""
    SignInThrottle.objects.filter(key=key).delete()


def wait_message(seconds: int) -> str:
    if seconds >= 120:
        amount = f"{math.ceil(seconds / 60)} minutes"
    else:
        amount = f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"Too many failed sign-in attempts. Wait {amount} and try again."
