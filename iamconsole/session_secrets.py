"""Secrets kept in a console session for a moment (a new key's secret until its .csv
is downloaded, a password until the user is created) are sealed there.

Sessions live in the database as plain signed JSON; sealing (AES-GCM, bound to the
purpose and to the session key) keeps any secret out of the database in the clear.
"""

from __future__ import annotations

import base64

from django.http import HttpRequest

from iamconsole.crypto import SealError, seal, unseal


def _context(request: HttpRequest, purpose: str) -> str:
    if request.session.session_key is None:
        request.session.save()  # a session key to bind to
    return f"session-secret:{purpose}:{request.session.session_key}"


def seal_for_session(request: HttpRequest, value: str, purpose: str) -> str:
    return base64.b64encode(seal(value, context=_context(request, purpose))).decode()


def unseal_from_session(request: HttpRequest, token: str | None, purpose: str) -> str | None:
    """The value, or None if missing or not from this session (fails closed)."""
    if not token:
        return None
    try:
        return unseal(base64.b64decode(token), context=_context(request, purpose))
    except (SealError, ValueError):
        return None
