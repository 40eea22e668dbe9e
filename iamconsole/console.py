"""The console session: who is signed in, and the gate every console page passes.

A signed-in session holds ``IDENTITY_KEY``: a small dict naming the kind of
identity (``{"kind": "root"}`` today; IAM users and role sessions later) and
whatever that kind needs to rebuild its principal. ``principal_of`` looks the
kind up in ``PRINCIPAL_BUILDERS``: to add a kind, register a builder.

Console pages use ``@console_login_required``: signed in *and* MFA-verified
(django-otp's ``is_verified``), else back to sign-in, to the MFA step, or to
MFA enrollment.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from accounts.principal import Principal, root_principal

IDENTITY_KEY = "iam_identity"
MFA_AUTH_TIME_KEY = "iam_mfa_auth_time"  # unix time of the MFA step

View = TypeVar("View", bound=Callable[..., HttpResponse])


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted
    # proxy rewrites it, and nothing here is configured to trust one.
    return request.META.get("REMOTE_ADDR") or None


def mfa_auth_time(request: HttpRequest) -> datetime | None:
    value = request.session.get(MFA_AUTH_TIME_KEY)
    if value is None:
        return None
    return datetime.fromtimestamp(float(value), tz=UTC)


def _root(request: HttpRequest, identity: dict[str, Any]) -> Principal:
    user = request.user
    if not getattr(user, "is_root", False):
        raise PermissionDenied("The session does not belong to a root user.")
    verified = bool(getattr(user, "is_verified", lambda: False)())
    return root_principal(
        user.account_id,  # type: ignore[union-attr]
        source_ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:512],
        via="console",
        mfa_authenticated=verified,
        mfa_auth_time=mfa_auth_time(request) if verified else None,
    )


# kind -> builder(request, identity dict). IAM users ("user") and role sessions
# ("assumed-role") register theirs here.
PRINCIPAL_BUILDERS: dict[str, Callable[[HttpRequest, dict[str, Any]], Principal]] = {
    "root": _root,
}


def principal_of(request: HttpRequest) -> Principal:
    """The acting principal of a signed-in console request (cached on the request)."""
    cached = getattr(request, "_iam_principal", None)
    if cached is not None:
        return cached
    if not request.user.is_authenticated:
        raise PermissionDenied("Not signed in.")
    identity = request.session.get(IDENTITY_KEY) or {}
    builder = PRINCIPAL_BUILDERS.get(identity.get("kind", ""))
    if builder is None:
        raise PermissionDenied("Unknown console identity.")
    principal = builder(request, identity)
    request._iam_principal = principal  # type: ignore[attr-defined]
    return principal


def start_identity(request: HttpRequest, kind: str, **data: Any) -> None:
    request.session[IDENTITY_KEY] = {"kind": kind, **data}


def safe_next(request: HttpRequest, url: str | None) -> str | None:
    """``url`` if it is a same-site relative path, else None (no open redirects)."""
    if not url or not url.startswith("/") or url.startswith(("//", "/\\")):
        return None
    # allowed_hosts=None: no host at all is allowed, so only relative URLs pass.
    if not url_has_allowed_host_and_scheme(url, allowed_hosts=None, require_https=False):
        return None
    return url


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        # A fragment request would swap a sign-in page into the console: ask
        # htmx to load the whole page instead.
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


def _with_next(url: str, request: HttpRequest) -> str:
    if request.method == "GET" and request.path != "/":
        return f"{url}?{urlencode({'next': request.get_full_path()})}"
    return url


def console_login_required(view: View) -> View:
    """Signed in and MFA-verified; otherwise send the browser where it must go next."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or IDENTITY_KEY not in request.session:
            return _redirect(request, _with_next(reverse("accounts:signin"), request))
        if not user.is_verified():  # type: ignore[union-attr]
            return _redirect(request, _with_next(reverse("accounts:signin-mfa"), request))
        request.principal = principal_of(request)  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
