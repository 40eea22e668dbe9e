"""TOTP (RFC 6238) for virtual MFA devices: 30-second steps, 6 digits, SHA-1.

A code is accepted at steps -1..+1 around now (AWS tolerates small clock drift)
and never twice: the device's ``last_t`` moves forward with a conditional UPDATE,
so of several requests racing with one code exactly one wins.
"""

from __future__ import annotations

import hmac
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import MfaDevice

STEP = 30
DIGITS = 6
DRIFT = 1


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
    if len(code) != DIGITS or not code.isdigit():
        return None
    t0 = current_step(now)
    found = None
    for t in range(t0 - drift, t0 + drift + 1):
        # Compare every candidate in constant time; keep the first match.
        if hmac.compare_digest(code_at(seed, t), code) and found is None:
            found = t
    return found


def verify_and_consume(device: MfaDevice, code: str, *, now: float | None = None) -> bool:
    """Accept ``code`` once: atomically move the device's last used step forward."""
    from accounts.models import MfaDevice

    t = matching_step(device.seed(), code, now=now)
    if t is None:
        return False
    updated = MfaDevice.objects.filter(pk=device.pk, last_t__lt=t).update(last_t=t)
    if updated:
        device.last_t = t
    return bool(updated)


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
