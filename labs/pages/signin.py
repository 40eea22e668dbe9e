"""Instructor sign-in: email and password, then a code from the virtual MFA device.

The same shape as root's sign-in (accounts/views.py): MFA is mandatory, so the first
sign-in enrolls a virtual device (QR code and the secret as text, two consecutive
codes); later sign-ins ask one code, and each code works once, even for parallel
requests. Unknown emails and wrong passwords get the same message. Every password
and code attempt is counted before it is checked, per instructor and per source
address; an instructor locked by failures (perhaps a stranger's) still signs in with
password and code together. The session key rotates at each step.
"""

from __future__ import annotations

import base64
from urllib.parse import quote

import segno
from django import forms
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import throttle
from accounts.forms import ROOT_PASSWORD_MAX, MfaCodeForm, MfaEnrollForm
from iamconsole.console import client_ip
from labs.instructors import (
    LOGIN_EVENT,
    audit_instructor,
    authenticate,
    begin_enrollment,
    check_instructor_code,
    enable_mfa,
    instructor_key,
    normalize_email,
)
from labs.models import Instructor
from labs.pages.session import (
    INSTRUCTOR_KEY,
    NEXT_KEY,
    after_signin_url,
    complete_instructor_session,
    pending_instructor,
    remember_next,
    signed_in_instructor,
    start_instructor_session,
    update_instructor_session,
)

# The root sign-in's wording: the same for an unknown email and a wrong password.
BAD_CREDENTIALS = "Your authentication information is incorrect. Please try again."
BAD_CODE = BAD_CREDENTIALS
BAD_CODE_PAIR = (
    "The codes were not valid. Enter two consecutive codes: type the first, wait for "
    "the app to show the next one, then type it."
)
ISSUER = "IAM Console"


class SignInForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=ROOT_PASSWORD_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


def _audit(request: HttpRequest, email: str | None, *, ok: bool, mfa_used: bool) -> None:
    audit_instructor(
        request,
        LOGIN_EVENT,
        email=email,
        allowed=ok,
        error_code="" if ok else "AccessDenied",
        error_message="" if ok else "Failed authentication",
        params={
            "InstructorConsoleLogin": "Success" if ok else "Failure",
            "MFAUsed": "Yes" if mfa_used else "No",
        },
    )


def _throttled(
    request: HttpRequest, template: str, context: dict[str, object], wait: int
) -> HttpResponse:
    context["error"] = throttle.wait_message(wait)
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(wait)
    return response


def _complete(request: HttpRequest, instructor: Instructor) -> HttpResponse:
    complete_instructor_session(request)
    throttle.forget(instructor_key(instructor.email))
    _audit(request, instructor.email, ok=True, mfa_used=True)
    return redirect(after_signin_url(request))


def _qr_svg(uri: str) -> SafeString:
    # segno writes plain SVG paths (no script, no style element): safe to inline,
    # and it needs no JavaScript and no 'unsafe-inline' in the CSP.
    svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#16191f", light="#ffffff")
    return mark_safe(svg)  # noqa: S308  (generated here from our own URI)


# -- step 1: email and password ----------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def instructor_signin(request: HttpRequest) -> HttpResponse:
    """Email and password. Unknown emails and wrong passwords look the same."""
    if request.method == "GET":
        if signed_in_instructor(request) is not None:
            return redirect(after_signin_url(request))
        remember_next(request)
    form = SignInForm(request.POST or None)
    template = "labs/signin/password.html"
    context: dict[str, object] = {"form": form}
    if request.method == "POST" and form.is_valid():
        email = normalize_email(form.cleaned_data["email"])
        password = form.cleaned_data["password"]
        # Per source address first: one address failing too often waits, whatever
        # identity it targets (and its counted attempts are not the identity's).
        source = throttle.source_key(client_ip(request))
        wait = throttle.begin_attempt(source, free=throttle.SOURCE_FREE_FAILURES)
        if wait:
            return _throttled(request, template, context, wait)
        key = instructor_key(email)
        wait = throttle.begin_attempt(key)
        if wait:
            return _signin_under_lock(
                request, context, email=email, password=password, source=source, wait=wait
            )
        instructor = authenticate(email, password)
        if instructor is not None:
            throttle.refund_attempt(key)
            throttle.refund_attempt(source)
            _start(request, instructor)
            if instructor.mfa_enabled is None:
                return redirect("labs:instructor-signin-enroll")
            return redirect("labs:instructor-signin-mfa")
        _audit_failure(request, email, mfa_used=False)
        context["error"] = BAD_CREDENTIALS
    return render(request, template, context)


def _start(request: HttpRequest, instructor: Instructor) -> None:
    """A fresh session for the instructor: a console session in this browser ends first
    (one browser session is one identity), then the key rotates."""
    next_url = request.session.get(NEXT_KEY)
    if request.user.is_authenticated:
        logout(request)  # flushes the console session
    start_instructor_session(request, instructor)
    if next_url:
        request.session[NEXT_KEY] = next_url


def _audit_failure(request: HttpRequest, email: str, *, mfa_used: bool) -> None:
    known = Instructor.objects.filter(email=email).exists()
    _audit(request, email if known else None, ok=False, mfa_used=mfa_used)


def _signin_under_lock(
    request: HttpRequest,
    context: dict[str, object],
    *,
    email: str,
    password: str,
    source: str,
    wait: int,
) -> HttpResponse:
    """The instructor is locked after failures (perhaps a stranger's): password + code.

    As for root: the password alone is not even checked under the wait, the password
    with a valid code from the instructor's device passes, and every other combination
    gets this same page, status and Retry-After. The code is checked only after a right
    password, so a stranger cannot run up the device's own wait.
    """
    template = "labs/signin/password.html"
    code_form = MfaCodeForm(request.POST)
    if code_form.is_valid():
        instructor = authenticate(email, password)
        if instructor is not None and instructor.mfa_enabled is not None:
            if check_instructor_code(instructor, code_form.cleaned_data["code"]).ok:
                throttle.refund_attempt(source)
                _start(request, instructor)
                return _complete(request, instructor)  # forgets the instructor's failures
        _audit_failure(request, email, mfa_used=instructor is not None)
    else:
        throttle.refund_attempt(source)  # nothing was checked
    context["error"] = (
        f"{throttle.wait_message(wait)} Or sign in now: enter your password together with "
        "a code from your MFA device."
    )
    context["locked"] = True
    context["code_form"] = MfaCodeForm()  # never echo a code back
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(wait)
    return response


# -- step 2: the MFA code ------------------------------------------------------------------


def _owing_mfa(request: HttpRequest) -> Instructor | None:
    instructor = pending_instructor(request)
    data = request.session.get(INSTRUCTOR_KEY) or {}
    if instructor is None or data.get("verified") is True:
        return None
    return instructor


@never_cache
@require_http_methods(["GET", "POST"])
def instructor_signin_mfa(request: HttpRequest) -> HttpResponse:
    """A code from the instructor's virtual MFA device (each code works once)."""
    if signed_in_instructor(request) is not None:
        return redirect(after_signin_url(request))
    instructor = _owing_mfa(request)
    if instructor is None:
        return redirect("labs:instructor-signin")
    if instructor.mfa_enabled is None:
        return redirect("labs:instructor-signin-enroll")
    remember_next(request)
    form = MfaCodeForm(request.POST or None)
    template = "labs/signin/mfa.html"
    context: dict[str, object] = {"form": form, "email": instructor.email}
    if request.method == "POST" and form.is_valid():
        source = throttle.source_key(client_ip(request))
        wait = throttle.begin_attempt(source, free=throttle.SOURCE_FREE_FAILURES)
        if wait:
            return _throttled(request, template, context, wait)
        key = instructor_key(instructor.email)
        wait = throttle.begin_attempt(key)
        if wait:
            return _throttled(request, template, context, wait)
        checked = check_instructor_code(instructor, form.cleaned_data["code"])
        if checked.wait:  # the device's own wait: the code was not checked
            return _throttled(request, template, context, checked.wait)
        if checked.ok:
            throttle.refund_attempt(source)
            return _complete(request, instructor)
        _audit(request, instructor.email, ok=False, mfa_used=True)
        context["error"] = BAD_CODE
    return render(request, template, context)


# -- first sign-in: enroll the virtual MFA device ----------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def instructor_signin_enroll(request: HttpRequest) -> HttpResponse:
    """Assign a virtual MFA device to the instructor: QR code or secret, two codes."""
    instructor = _owing_mfa(request)
    if instructor is None:
        return redirect("labs:instructor-signin")
    if instructor.mfa_enabled is not None:
        return redirect("labs:instructor-signin-mfa")
    data = request.session.get(INSTRUCTOR_KEY) or {}
    form = MfaEnrollForm(request.POST or None)
    template = "labs/signin/enroll.html"
    if request.method == "POST":
        fingerprint = data.get("enroll")
        enrollment = begin_enrollment(instructor, fingerprint=fingerprint)
        if enrollment is None or not fingerprint or enrollment.fingerprint != fingerprint:
            # The page was never shown in this session, or another session replaced its
            # seed: show the (new) one.
            if enrollment is not None:
                update_instructor_session(request, enroll=enrollment.fingerprint)
            return redirect("labs:instructor-signin-enroll")
    else:
        enrollment = begin_enrollment(instructor, fingerprint=data.get("enroll"))
        if enrollment is None:  # enabled meanwhile (another session)
            return redirect("labs:instructor-signin-mfa")
        update_instructor_session(request, enroll=enrollment.fingerprint)
    secret = base64.b32encode(enrollment.seed).decode().rstrip("=")
    label = f"{ISSUER}:instructor/{instructor.email}"
    uri = f"otpauth://totp/{quote(label)}?secret={secret}&issuer={quote(ISSUER)}"
    context: dict[str, object] = {
        "form": form,
        "email": instructor.email,
        "qr_svg": _qr_svg(uri),
        "secret": secret,
    }
    if request.method == "POST" and form.is_valid():
        source = throttle.source_key(client_ip(request))
        wait = throttle.begin_attempt(source, free=throttle.SOURCE_FREE_FAILURES)
        if wait:
            return _throttled(request, template, context, wait)
        key = instructor_key(instructor.email)
        wait = throttle.begin_attempt(key)
        if wait:
            return _throttled(request, template, context, wait)
        if enable_mfa(
            instructor,
            fingerprint=enrollment.fingerprint,
            code1=form.cleaned_data["code1"],
            code2=form.cleaned_data["code2"],
        ):
            throttle.refund_attempt(source)
            return _complete(request, instructor)
        _audit(request, instructor.email, ok=False, mfa_used=True)
        context["error"] = BAD_CODE_PAIR
    return render(request, template, context)


@require_POST
def instructor_signout(request: HttpRequest) -> HttpResponse:
    """End the instructor session (server side too: the session is flushed)."""
    if request.user.is_authenticated:
        # A console session: the console's own sign-out ends it, not this one.
        return redirect("labs:instructor-signin")
    request.session.flush()
    return redirect("labs:instructor-signin")
