"""The console session: who is signed in, and the gate every console page passes.

A signed-in session holds ``IDENTITY_KEY``: a small dict naming the kind of
identity and whatever that kind needs to rebuild its principal:

- ``{"kind": "root"}``: the account's root user (``request.user``);
- ``{"kind": "user", "user_id", "user_name", "account_id", "mfa_required"}``: an
  IAM user (``request.user`` is its ConsoleUser), set by accounts/pages/user_signin.py;
- ``{"kind": "assumed-role", "credential_id", "display_name", "original": {…}}``:
  a role session from "Switch role" (accounts/pages/switch_role.py). ``original``
  is the identity to switch back to; ``request.user`` stays the IAM user.

``principal_of`` looks the kind up in ``PRINCIPAL_BUILDERS``: to add a kind,
register a builder.

Console pages use ``@console_login_required``. Root must be MFA-verified
(django-otp's ``is_verified``). IAM users need MFA only when they had an enabled
MFA device at sign-in (AWS does not force MFA on IAM users), and a user whose
password must be reset reaches nothing but the change-password step.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from accounts.errors import IamError
from accounts.models import IamUser, MfaDevice, TemporaryCredential
from accounts.principal import (
    Principal,
    root_principal,
    temporary_credential_principal,
    user_principal,
)
from audit.trail import record_refusal
from iamconsole.pages import render_error
from policies.authorization import authorize

IDENTITY_KEY = "iam_identity"
MFA_AUTH_TIME_KEY = "iam_mfa_auth_time"  # unix time of the MFA step

View = TypeVar("View", bound=Callable[..., HttpResponse])


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled; the trusted-proxy
    # middleware rewrites REMOTE_ADDR for requests from IAM_TRUSTED_PROXIES alone.
    return request.META.get("REMOTE_ADDR") or None


def transport_context(request: HttpRequest) -> tuple[tuple[str, str], ...]:
    """aws:SecureTransport from the connection (the scheme the trusted-proxy
    middleware settled), as the API's principal has it."""
    return (("aws:SecureTransport", "true" if request.is_secure() else "false"),)


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
        extra_context=transport_context(request),
    )


def _verified(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_verified", lambda: False)())


def _user(request: HttpRequest, identity: dict[str, Any]) -> Principal:
    """An IAM user signed in with their password (and their MFA device, if they have one)."""

    console_user = request.user
    if getattr(console_user, "is_root", True):
        raise PermissionDenied("The session does not belong to an IAM user.")
    user = IamUser.objects.filter(console_id=console_user.pk).first()
    if user is None or identity.get("user_id") not in (None, user.pk):
        raise PermissionDenied("The session does not belong to this IAM user.")
    # MFA-authenticated only when this session passed an MFA step (django-otp's
    # login marks the session; a password-only sign-in never does).
    verified = _verified(request)
    return user_principal(
        user,
        source_ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:512],
        via="console",
        mfa_authenticated=verified,
        mfa_auth_time=mfa_auth_time(request) if verified else None,
        extra_context=transport_context(request),
    )


def _assumed_role(request: HttpRequest, identity: dict[str, Any]) -> Principal:
    """A role session from "Switch role": the role's temporary credential, while it lasts.

    The principal is the role session's (account = the role's account), exactly as
    the API builds it from the same ``ASIA…`` credential. An expired (or vanished)
    session sends the browser back to its original identity with a message.
    """

    original = identity.get("original") or {}
    if original.get("kind") not in ("user",):
        raise PermissionDenied("A role session needs the identity it was switched from.")
    source = _user(request, original)
    cred = (
        TemporaryCredential.objects.select_related("role")
        .filter(pk=identity.get("credential_id"), role__isnull=False)
        .first()
    )
    if cred is None or cred.expires <= timezone.now() or cred.source_arn != source.arn:
        end_role_session(request)
        messages.warning(
            request,
            "Your role session has expired. You are back to your own identity: "
            "switch role again to continue in the role.",
            fail_silently=True,
        )
        return source
    return temporary_credential_principal(
        cred,
        mfa_auth_time=source.mfa_auth_time if cred.mfa_authenticated else None,
        source_ip=source.source_ip,
        user_agent=source.user_agent,
        via="console",
        extra_context=source.extra_context,
    )


# kind -> builder(request, identity dict).
PRINCIPAL_BUILDERS: dict[str, Callable[[HttpRequest, dict[str, Any]], Principal]] = {
    "root": _root,
    "user": _user,
    "assumed-role": _assumed_role,
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
    request.__dict__.pop("_iam_principal", None)


def original_identity(request: HttpRequest) -> dict[str, Any]:
    """The identity the browser signed in as (under any role session)."""
    identity = request.session.get(IDENTITY_KEY) or {}
    if identity.get("kind") == "assumed-role":
        return identity.get("original") or {}
    return identity


def original_principal(request: HttpRequest) -> Principal:
    """The signed-in identity's own principal, even while a role session is active.

    Switching roles in the console always uses the original credentials, never the
    current role's ("Switching to a role (console)", IAM User Guide).
    """
    identity = original_identity(request)
    builder = PRINCIPAL_BUILDERS.get(identity.get("kind", ""))
    if builder is None or identity.get("kind") == "assumed-role":
        raise PermissionDenied("Unknown console identity.")
    return builder(request, identity)


def end_role_session(request: HttpRequest) -> bool:
    """Back to the original identity. Returns whether a role session was active."""
    identity = request.session.get(IDENTITY_KEY) or {}
    if identity.get("kind") != "assumed-role":
        return False
    request.session[IDENTITY_KEY] = identity.get("original") or {}
    request.__dict__.pop("_iam_principal", None)
    return True


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


def user_mfa_required(identity: dict[str, Any]) -> bool:
    """Whether the IAM user of this identity had an MFA device to pass at sign-in.

    Decided at sign-in (``mfa_required``); sessions made without that flag ask
    the database, so a user with a device never skips it.
    """
    required = identity.get("mfa_required")
    if required is None:
        required = MfaDevice.objects.filter(
            iam_user_id=identity.get("user_id"), confirmed=True, enabled__isnull=False
        ).exists()
    return bool(required)


def pending_signin_step(request: HttpRequest) -> str | None:
    """The URL name of the sign-in step this session still owes, if any."""
    user = request.user
    if getattr(user, "is_root", False):
        return None if _verified(request) else "accounts:signin-mfa"
    identity = original_identity(request)
    if not _verified(request) and user_mfa_required(identity):
        return "accounts:user-signin-mfa"
    if getattr(user, "password_reset_required", False):
        return "accounts:user-signin-change-password"
    return None


def console_login_required(view: View) -> View:
    """Signed in with every step done; otherwise send the browser where it must go next.

    Root: password and MFA. IAM user: password, MFA when they have a device, and a
    new password when one is required.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or not request.session.get(IDENTITY_KEY):
            return _redirect(request, _with_next(reverse("accounts:signin"), request))
        step = pending_signin_step(request)
        if step is not None:
            return _redirect(request, _with_next(reverse(step), request))
        request.principal = principal_of(request)  # type: ignore[attr-defined]
        try:
            return view(request, *args, **kwargs)
        except IamError as exc:
            # A safety net, never the plan: a page that lets an operation's error
            # escape (an IAM user without iam:GetAccountSummary on the dashboard)
            # answers AWS's message and status instead of a server error.
            return render_console_error(request, exc)

    return wrapper  # type: ignore[return-value]


def render_console_error(request: HttpRequest, exc: IamError) -> HttpResponse:
    """An IAM error as a console page (or fragment for htmx) with AWS's status."""
    return render_error(request, exc)


def require_create_permission(request: HttpRequest, action: str, kind: str) -> None:
    """Gate a "create" page: the caller must be allowed ``action`` on new ``kind``s of
    the account (``arn:aws:iam::ACCOUNT:KIND/*``, taken literally), else AccessDenied,
    which the console renders with AWS's message and 403. AWS's console opens such a
    form and refuses at submit; here a caller who could never create sees that first.
    """

    actor = principal_of(request)
    authorize_page(actor, action, f"arn:aws:iam::{actor.account_id}:{kind}/*")


def authorize_page(actor: Principal, action: str, resource: str) -> None:
    """``authorize`` for a page's own up-front check (no operation behind it): a refusal
    is audited as the refused action's event before it propagates, as ``@operation``
    does for a denied call, whether the page then shows the error page or a message
    in place. Hiding a button (``permission_checker``) is not a refusal and is not
    audited."""
    try:
        authorize(actor, action, resource)
    except IamError as exc:
        record_refusal(actor, exc)
        raise
