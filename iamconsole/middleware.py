"""Trusted reverse proxies, security headers and session lifetime limits."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _address(value: str) -> IpAddress | None:
    """An X-Forwarded-For entry or REMOTE_ADDR as an address (ports and brackets dropped)."""
    value = value.strip()
    if value.startswith("["):  # [2001:db8::1]:443
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # 192.0.2.1:443
        value = value.split(":", 1)[0]
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        return addr.ipv4_mapped
    return addr


def _trusted(addr: IpAddress | None, networks: Iterable[Network]) -> bool:
    return addr is not None and any(addr in net for net in networks)


def apply_forwarded(meta: dict[str, Any], proxies: Iterable[str]) -> None:
    """Believe X-Forwarded-For / X-Forwarded-Proto only from a trusted proxy.

    From a trusted proxy: the client address is the rightmost X-Forwarded-For entry that
    is not itself a trusted proxy (each proxy appends the peer it saw; anything to the
    left of the first untrusted hop was written by the client and proves nothing), and
    the scheme is the last X-Forwarded-Proto value. From anyone else both headers are
    dropped, so nothing later can be fooled by them.
    """
    networks = _networks(tuple(proxies))
    if not _trusted(_address(meta.get("REMOTE_ADDR", "")), networks):
        meta.pop("HTTP_X_FORWARDED_FOR", None)
        meta.pop("HTTP_X_FORWARDED_PROTO", None)
        return
    forwarded = [h for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(forwarded):
        addr = _address(hop)
        if addr is None:
            break  # garbage: keep the last trusted hop as the client
        meta["REMOTE_ADDR"] = str(addr)
        if not _trusted(addr, networks):
            break
    proto = meta.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
    if proto in ("http", "https"):
        meta["wsgi.url_scheme"] = proto  # what request.is_secure() reads
        if proto == "https":
            meta["HTTPS"] = "on"
        else:
            meta.pop("HTTPS", None)


class TrustedProxyMiddleware:
    """The real client address and scheme behind ``IAM_TRUSTED_PROXIES`` (first in the chain).

    Rewrites ``REMOTE_ADDR`` (so ``aws:SourceIp``, the event history, throttles and the
    access log see the client) and ``wsgi.url_scheme`` (so ``request.is_secure()``, the
    HTTPS redirect and Secure cookies follow the proxy's TLS).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        apply_forwarded(request.META, getattr(settings, "IAM_TRUSTED_PROXIES", ()))
        return self.get_response(request)


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


def session_now() -> float:
    """The clock of a session's timestamps (start, MFA time): Django's ``timezone.now``,
    the clock that stamps ``sessions_valid_after`` and that the engine's
    ``aws:MultiFactorAuthAge`` reads, so the comparisons never mix two clocks."""
    return timezone.now().timestamp()


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
                or session_now() - float(started) > settings.IAM_SESSION_ABSOLUTE_SECONDS
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
