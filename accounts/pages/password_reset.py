"""Root sign-in's "Forgot password?": request a link, follow it, choose a new password.

The pages translate only; ``accounts.operations.password_reset`` makes and checks
the token, sets the password (Argon2) and audits. What the pages add:

- one answer for every email (a redirect to "check your email"), whether or not a
  root user has it: the mail goes out only when one does;
- throttling before anything is checked, with ``accounts.throttle``'s growing
  waits: reset requests per source address and per email (nobody floods a
  mailbox), and link checks per source address (the token is the guessable secret
  of this flow), refunded when the link is valid, as a right password is;
- the link's token leaves the URL at once: the first GET moves it into the
  session and redirects to a URL without it (Django's PasswordResetConfirmView
  does the same), so it cannot leak through a Referer header or browser history;
- after the reset, nobody is signed in: the sign-in page asks for the new
  password and then, as always, the MFA code.

Paths live under /signin/root/… so no account alias can shadow them.
"""

from __future__ import annotations

import hashlib
import logging

from django import forms
from django.contrib import messages
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import throttle
from accounts.errors import IamError
from accounts.forms import ROOT_PASSWORD_MAX, root_password_problems
from accounts.operations.password_reset import (
    BAD_RESET_LINK,
    RESET_LINK_SECONDS,
    request_root_password_reset,
    reset_root_password,
    reset_target,
)
from accounts.views import SIGNIN_EMAIL_KEY, _throttled
from iamconsole.console import client_ip

logger = logging.getLogger(__name__)

RESET_TOKEN_KEY = "iam_password_reset_token"
# The URL segment that stands for "the token is in the session" (Django's choice too).
IN_SESSION = "set-password"
EMAIL_FREE_REQUESTS = 3  # then growing waits: no mailbox flooding


def _reset_key(kind: str, value: str | None) -> str:
    """A throttle key of this flow, hashed as accounts.throttle hashes its own."""
    return hashlib.sha256(
        f"password-reset-{kind}:{(value or 'unknown').strip().lower()}".encode()
    ).hexdigest()


class ForgotPasswordForm(forms.Form):
    email = forms.EmailField(
        label="Root user email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )


class NewRootPasswordForm(forms.Form):
    """The sign-up form's password rules (``SignUpForm``), typed twice."""

    new_password1 = forms.CharField(
        label="New password",
        strip=False,
        max_length=ROOT_PASSWORD_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}),
    )
    new_password2 = forms.CharField(
        label="Confirm new password",
        strip=False,
        max_length=ROOT_PASSWORD_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: object, email: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.email = email

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        p1, p2 = data.get("new_password1"), data.get("new_password2")
        if p1 and p2 and p1 != p2:
            self.add_error("new_password2", "The passwords do not match.")
        elif isinstance(p1, str):
            for problem in root_password_problems(p1, self.email):
                self.add_error("new_password1", problem)
        return data


def _send(subject: str, body: str, to: str) -> None:
    """Out of band: a failing mail server is logged, never shown (the page must not differ)."""
    try:
        send_mail(subject, body, None, [to])
    except Exception:  # noqa: BLE001  (SMTP down: the same page, no 500)
        logger.exception("a password reset email could not be sent")


@never_cache
@require_http_methods(["GET", "POST"])
def forgot_password(request: HttpRequest) -> HttpResponse:
    """Ask for the root email; the same redirect whether or not it has an account."""
    initial = {"email": request.session.get(SIGNIN_EMAIL_KEY, "")}
    form = ForgotPasswordForm(request.POST or None, initial=initial)
    template = "accounts/signin/forgot_password.html"
    context: dict[str, object] = {"form": form}
    if request.method != "POST":
        return render(request, template, context)
    ip = client_ip(request)
    wait = throttle.begin_attempt(_reset_key("source", ip), free=throttle.SOURCE_FREE_FAILURES)
    if wait:
        return _throttled(request, template, context, wait)
    if not form.is_valid():
        return render(request, template, context)
    email = form.cleaned_data["email"]
    wait = throttle.begin_attempt(_reset_key("email", email), free=EMAIL_FREE_REQUESTS)
    if wait:  # the same for every email, existing or not
        return _throttled(request, template, context, wait)
    requested = request_root_password_reset(
        email=email, source_ip=ip, user_agent=request.headers.get("User-Agent", "")[:512]
    )
    if requested.uidb64 and requested.token:
        link = request.build_absolute_uri(
            reverse("accounts:signin-reset-password", args=[requested.uidb64, requested.token])
        )
        _send(
            "Reset your IAM Console root user password",
            "Someone (perhaps you) asked to reset the root user password of the IAM Console "
            f"account with this email address. To choose a new password, open this link within "
            f"{RESET_LINK_SECONDS // 60} minutes:\n{link}\n"
            "The link works once. Your MFA device stays as it is: the next sign-in asks for "
            "its code.\nIf you did not ask for this, ignore this email; your password has "
            "not changed.",
            requested.email,
        )
    return redirect("accounts:signin-forgot-password-sent")


@never_cache
@require_http_methods(["GET"])
def forgot_password_sent(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/signin/forgot_password_sent.html",
        {"minutes": RESET_LINK_SECONDS // 60},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def reset_password(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The emailed link. Its token moves into the session; then the new password."""
    template = "accounts/signin/reset_password.html"
    if token != IN_SESSION:
        request.session[RESET_TOKEN_KEY] = token[:80]
        return redirect("accounts:signin-reset-password", uidb64=uidb64, token=IN_SESSION)
    token = str(request.session.get(RESET_TOKEN_KEY, ""))
    source = throttle.source_key(client_ip(request))
    wait = throttle.begin_attempt(source, free=throttle.SOURCE_FREE_FAILURES)
    if wait:
        return _throttled(request, template, {"invalid": True}, wait)
    user = reset_target(uidb64, token)
    if user is None:
        request.session.pop(RESET_TOKEN_KEY, None)
        return render(request, template, {"error": BAD_RESET_LINK, "invalid": True}, status=404)
    throttle.refund_attempt(source)  # a valid link is no failure
    form = NewRootPasswordForm(request.POST or None, email=user.email)
    context: dict[str, object] = {"form": form, "email": user.email, "uidb64": uidb64}
    if request.method == "POST" and form.is_valid():
        try:
            reset_root_password(
                uidb64=uidb64,
                token=token,
                new_password=form.cleaned_data["new_password1"],
                source_ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", "")[:512],
            )
        except IamError as exc:
            form.add_error("new_password1", exc.message)
        else:
            request.session.pop(RESET_TOKEN_KEY, None)
            request.session[SIGNIN_EMAIL_KEY] = user.email
            messages.success(
                request,
                "Your password has been reset. Sign in with the new password and your MFA code.",
            )
            return redirect("accounts:signin-password")
    return render(request, template, context)


urlpatterns = [
    path("signin/root/forgot-password/", forgot_password, name="signin-forgot-password"),
    path(
        "signin/root/forgot-password/sent/",
        forgot_password_sent,
        name="signin-forgot-password-sent",
    ),
    path(
        "signin/root/reset-password/<str:uidb64>/<str:token>/",
        reset_password,
        name="signin-reset-password",
    ),
]
