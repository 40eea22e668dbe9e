"""Security headers and session lifetime limits."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

# No inline scripts anywhere: htmx comes from a static file and its config from
# a meta tag, so the policy needs no 'unsafe-inline' for scripts.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            response.headers.setdefault("Cache-Control", "no-store")
        return response


SESSION_STARTED_KEY = "iam_session_started"


class SessionLifetimeMiddleware:
    """End sessions older than IAM_SESSION_ABSOLUTE_SECONDS, or invalidated for their user.

    (The idle timeout is Django's SESSION_COOKIE_AGE, renewed on every request.)
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(SESSION_STARTED_KEY)
            too_old = (
                started is None
                or time.time() - float(started) > settings.IAM_SESSION_ABSOLUTE_SECONDS
            )
            valid_after = getattr(user, "sessions_valid_after", None)
            revoked = (
                valid_after is not None
                and started is not None
                and float(started) < valid_after.timestamp()
            )
            if too_old or revoked or not user.has_login_profile:
                logout(request)
        return self.get_response(request)
