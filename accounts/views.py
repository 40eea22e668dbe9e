"""Root sign-up, sign-in (email, password, MFA code) and first-time MFA enrollment.

The flow follows the AWS console's root sign-in ("Sign in as the root user",
https://docs.aws.amazon.com/signin/latest/userguide/introduction-to-root-user-sign-in-tutorial.html):
one page per step. MFA is mandatory here: a root user without a device enrolls
a virtual one before any console page opens, confirming it with two
consecutive codes as EnableMFADevice does
(https://docs.aws.amazon.com/IAM/latest/UserGuide/enable-virt-mfa-for-root.html).

Session: the password step calls Django's ``login`` (new session key) and marks
the identity; the MFA step cycles the key again and calls django-otp's
``login`` so ``request.user.is_verified()`` holds. Every attempt is counted by
``accounts.throttle`` before it is checked.
"""

from __future__ import annotations

import base64
import logging

import segno
from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.core.mail import send_mail
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from accounts import throttle
from accounts.errors import AccessDenied, IamError
from accounts.forms import (
    MfaCodeForm,
    MfaEnrollForm,
    PasswordForm,
    SignInChoiceForm,
    SignUpForm,
)
from accounts.models import ConsoleUser, MfaDevice
from accounts.operations.account import (
    BAD_SIGN_UP_LINK,
    complete_sign_up,
    pending_sign_up,
    start_sign_up,
)
from accounts.operations.credentials import (
    ROOT_MFA_DEVICE_NAME,
    create_root_virtual_mfa_device,
    delete_virtual_mfa_device,
    enable_mfa_device,
    mfa_otpauth_uri,
)
from accounts.principal import root_principal
from accounts.totp import check_code, device_wait, matching_step
from audit.trail import record_event
from iamconsole.console import (
    IDENTITY_KEY,
    MFA_AUTH_TIME_KEY,
    client_ip,
    principal_of,
    safe_next,
    start_identity,
)
from iamconsole.middleware import SESSION_STARTED_KEY, session_now

logger = logging.getLogger(__name__)

SIGNIN_EMAIL_KEY = "iam_signin_email"
SIGNIN_NEXT_KEY = "iam_signin_next"
ENROLL_DEVICE_KEY = "iam_enroll_device"

# AWS's own wording for a wrong email or password: the same for both, so the
# page does not tell which emails have accounts.
BAD_CREDENTIALS = "Your authentication information is incorrect. Please try again."
BAD_CODE = "Your authentication information is incorrect. Please try again."
BAD_CODE_PAIR = (
    "The codes were not valid. Enter two consecutive codes: type the first, wait for "
    "the app to show the next one, then type it."
)
SIGNIN_EVENT_SOURCE = "signin.amazonaws.com"


# -- helpers ----------------------------------------------------------------------------


def _remember_next(request: HttpRequest) -> None:
    url = safe_next(request, request.GET.get("next"))
    if url:
        request.session[SIGNIN_NEXT_KEY] = url


def _after_signin_url(request: HttpRequest) -> str:
    url = safe_next(request, request.session.pop(SIGNIN_NEXT_KEY, None))
    return url or reverse(settings.LOGIN_REDIRECT_URL)


def _root_devices(user: ConsoleUser) -> list[MfaDevice]:
    """The root's assigned MFA devices (enabled, not an IAM user's), oldest first."""
    return list(
        MfaDevice.objects.filter(
            user=user, iam_user__isnull=True, confirmed=True, enabled__isnull=False
        ).order_by("enabled", "pk")
    )


def _root_device(user: ConsoleUser) -> MfaDevice | None:
    """The root's oldest assigned MFA device, if it has any."""
    devices = _root_devices(user)
    return devices[0] if devices else None


def _devices_wait(devices: list[MfaDevice]) -> int:
    """The longest growing wait among the devices (read afresh): while one of them waits,
    no code is checked, so failures never move on to a device that does not wait yet."""
    return max((_device_wait(d) for d in devices), default=0)


def _code_device(devices: list[MfaDevice], code: str) -> MfaDevice:
    """The device a code is checked against: the one whose current steps show it (AWS
    accepts a code from any of the root user's devices), else the oldest, so that a wrong
    code counts once, on one device, however many devices root has."""
    return next((d for d in devices if matching_step(d.seed(), code) is not None), devices[0])


def _audit_signin(
    request: HttpRequest, account_id: str, *, ok: bool, mfa_used: bool, reason: str = ""
) -> None:
    """A ConsoleLogin event, as CloudTrail records console sign-ins
    (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html).
    """
    actor = root_principal(
        account_id,
        source_ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:512],
        via="console",
        mfa_authenticated=ok and mfa_used,
    )
    record_event(
        actor,
        "ConsoleLogin",
        actor.arn,
        request={
            "ConsoleLogin": "Success" if ok else "Failure",
            "MFAUsed": "Yes" if mfa_used else "No",
        },
        allowed=ok,
        error=None if ok else AccessDenied(reason or "Failed authentication"),
        event_source=SIGNIN_EVENT_SOURCE,
    )


def _start_session(request: HttpRequest, user: ConsoleUser) -> None:
    """Password (or sign-up) accepted: a fresh session key, MFA still to come."""
    next_url = request.session.get(SIGNIN_NEXT_KEY)
    login(request, user, backend="accounts.auth.ConsoleBackend")  # rotates the session key
    request.session[SESSION_STARTED_KEY] = session_now()
    start_identity(request, "root")
    if next_url:
        request.session[SIGNIN_NEXT_KEY] = next_url


def _complete_signin(request: HttpRequest, device: MfaDevice) -> HttpResponse:
    """MFA accepted: rotate the session key again and mark the session verified."""
    user: ConsoleUser = request.user  # type: ignore[assignment]
    request.session.cycle_key()
    otp_login(request, device)
    request.session[MFA_AUTH_TIME_KEY] = session_now()
    request.session.pop(SIGNIN_EMAIL_KEY, None)
    request.session.pop(ENROLL_DEVICE_KEY, None)
    throttle.forget(throttle.root_key(user.email))
    _audit_signin(request, user.account_id, ok=True, mfa_used=True)
    return redirect(_after_signin_url(request))


def _throttled(request: HttpRequest, template: str, context: dict[str, object], wait: int):
    context["error"] = throttle.wait_message(wait)
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(wait)
    return response


def _device_wait(device: MfaDevice) -> int:
    """The device's own growing wait after wrong codes, read afresh from the database."""
    return device_wait(device)


def _qr_svg(uri: str) -> str:
    # segno writes plain SVG paths (no script, no style element): safe to inline,
    # and it needs no JavaScript and no 'unsafe-inline' in the CSP.
    svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#16191f", light="#ffffff")
    return mark_safe(svg)  # noqa: S308  (generated here from our own URI)


# -- sign-up -----------------------------------------------------------------------------


def _signup_enabled() -> None:
    """IAM_SIGNUP=0: accounts come from an operator (manage.py create_account)."""
    if not getattr(settings, "IAM_SIGNUP", True):
        raise Http404("Sign-up is disabled on this installation.")


def _send(subject: str, body: str, to: str) -> None:
    """Out of band, and the same on every path: a failing mail server is logged, not shown."""
    try:
        send_mail(subject, body, None, [to])
    except Exception:  # noqa: BLE001  (SMTP down: the page must not differ or 500)
        logger.exception("sign-up email to a new address could not be sent")


@never_cache
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Ask for an account; the emailed link makes it (then MFA enrollment).

    A free and a taken email get the same answer (a redirect to "check your
    email") after the same work (one Argon2 hash, one email): the page never
    says which root emails exist. Taken ones are told by email instead. Requests
    are throttled per source address before anything is checked.
    """
    _signup_enabled()
    form = SignUpForm(request.POST or None)
    template = "accounts/signup.html"
    if request.method != "POST":
        return render(request, template, {"form": form})
    wait = throttle.begin_attempt(throttle.signup_key(client_ip(request)))
    if wait:
        return _throttled(request, template, {"form": form}, wait)
    if form.is_valid():
        data = form.cleaned_data
        try:
            started = start_sign_up(
                email=data["email"], password=data["password1"], alias=data["alias"] or None
            )
        except IamError as exc:
            form.add_error(None, exc.message)
        else:
            if started.token is None:
                _send(
                    "Your IAM Console sign-up",
                    "Someone (perhaps you) tried to create an IAM Console account with this "
                    "email address, which already has one. To use it, sign in at "
                    f"{request.build_absolute_uri(reverse('accounts:signin'))}\n"
                    "If this was not you, nothing needs to be done.",
                    started.email,
                )
            else:
                link = reverse("accounts:signup-confirm", args=[started.token])
                _send(
                    "Confirm your IAM Console account",
                    "To create your account, open this link within a day and enter the "
                    f"password you chose:\n{request.build_absolute_uri(link)}\n"
                    "If you did not sign up, ignore this email.",
                    started.email,
                )
            return redirect("accounts:signup-sent")
    return render(request, template, {"form": form})


@never_cache
@require_http_methods(["GET"])
def signup_sent(request: HttpRequest) -> HttpResponse:
    """The one answer to every sign-up request: look in the mailbox."""
    _signup_enabled()
    return render(request, "accounts/signup_sent.html")


@never_cache
@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: the password chosen at sign-up, then the account and MFA enrollment.

    GET only shows the form (mail scanners that fetch links create nothing).
    """
    _signup_enabled()
    template = "accounts/signup_confirm.html"
    pending = pending_sign_up(token)
    if pending is None:
        context = {"error": BAD_SIGN_UP_LINK, "invalid": True}
        return render(request, template, context, status=404)
    form = PasswordForm(request.POST or None)
    context: dict[str, object] = {"form": form, "email": pending.email, "token": token}
    if request.method == "POST" and form.is_valid():
        key = throttle.root_key(pending.email)
        wait = throttle.begin_attempt(key)
        if wait:
            return _throttled(request, template, context, wait)
        try:
            new = complete_sign_up(
                token=token, password=form.cleaned_data["password"], source_ip=client_ip(request)
            )
        except IamError as exc:
            context["error"] = exc.message
        else:
            throttle.forget(key)
            _start_session(request, new.root)
            return redirect("accounts:signin-mfa-enroll")
    return render(request, template, context)


# -- sign-in -----------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    """Step 1: AWS's choice of "Root user" (email) or "IAM user" (account id or alias).

    Root: the email, the same answer for every email. IAM user: the account, checked
    against the account-id and alias grammar only, then that account's IAM user form
    (``/signin/<account>/``): known and unknown accounts get the same redirect, as on
    AWS, whose IAM user form also opens for any well-formed account (the answer comes
    only after the user name and password). A value outside the grammar is refused
    here, so the redirect can never leave the sign-in path.
    """
    if request.method == "GET":
        _remember_next(request)
    initial = {"signin_type": "iam" if request.GET.get("account") else "root"}
    if initial["signin_type"] == "iam":
        initial["account"] = request.GET.get("account", "")[:63]
    form = SignInChoiceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["signin_type"] == "iam":
            return redirect("accounts:user-signin", account=form.cleaned_data["account"])
        request.session[SIGNIN_EMAIL_KEY] = form.cleaned_data["email"].strip()
        return redirect("accounts:signin-password")
    context = {"form": form, "signup_enabled": getattr(settings, "IAM_SIGNUP", True)}
    return render(request, "accounts/signin/email.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def signin_password(request: HttpRequest) -> HttpResponse:
    """Step 2: the password. Unknown emails and wrong passwords look the same."""
    email = request.session.get(SIGNIN_EMAIL_KEY)
    if not email:
        return redirect("accounts:signin")
    form = PasswordForm(request.POST or None)
    context: dict[str, object] = {"form": form, "email": email}
    template = "accounts/signin/password.html"
    if request.method == "POST" and form.is_valid():
        # Per source address first: one address failing too often waits, whatever
        # identity it targets (and its counted attempts are not the identity's).
        source = throttle.source_key(client_ip(request))
        wait = throttle.begin_attempt(source, free=throttle.SOURCE_FREE_FAILURES)
        if wait:
            return _throttled(request, template, context, wait)
        key = throttle.root_key(email)
        wait = throttle.begin_attempt(key)
        if wait:
            return _signin_under_lock(request, context, email=email, source=source, wait=wait)
        username = f"root:{email.lower()}"
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if user is not None and getattr(user, "is_root", False):
            throttle.refund_attempt(key)
            throttle.refund_attempt(source)
            _start_session(request, user)  # type: ignore[arg-type]
            request.session[SIGNIN_EMAIL_KEY] = email
            return redirect("accounts:signin-mfa")
        _audit_root_failure(request, username)
        context["error"] = BAD_CREDENTIALS
    return render(request, template, context)


def _audit_root_failure(request: HttpRequest, username: str, *, mfa_used: bool = False) -> None:
    account_id = (
        ConsoleUser.objects.filter(username=username, is_root=True)
        .values_list("account_id", flat=True)
        .first()
    )
    if account_id:  # unknown emails have no account to record the failure in
        _audit_signin(request, account_id, ok=False, mfa_used=mfa_used)


def locked_message(wait: int) -> str:
    return (
        f"{throttle.wait_message(wait)} Or sign in now: enter your password together with "
        "a code from your MFA device."
    )


def _signin_under_lock(
    request: HttpRequest, context: dict[str, object], *, email: str, source: str, wait: int
) -> HttpResponse:
    """The identity is locked after failures (perhaps a stranger's): password + MFA code.

    A stranger who knows the email can keep the identity's wait going, so the wait
    must not lock the owner out: under it, the password alone signs nobody in and
    says nothing (it is not even checked), and the password with a valid code from
    any of the root's assigned devices passes. Every other combination gets this same
    page, status and Retry-After, so a right password with a wrong code looks like a
    wrong password. The code is checked only after a right password (a stranger cannot
    run up the device's own wait), and each such attempt counts on the source
    address and, for a wrong code, on the device.
    """
    template = "accounts/signin/password.html"
    code_form = MfaCodeForm(request.POST)
    if not code_form.is_valid():
        throttle.refund_attempt(source)  # nothing was checked
        return _locked(request, template, context, wait)
    password = context["form"].cleaned_data["password"]  # type: ignore[attr-defined]
    username = f"root:{email.lower()}"
    user = authenticate(request, username=username, password=password)
    is_root = user is not None and getattr(user, "is_root", False)
    devices = _root_devices(user) if is_root else []  # type: ignore[arg-type]
    code = code_form.cleaned_data["code"]
    if devices and not _devices_wait(devices):
        device = _code_device(devices, code)
        if check_code(device, code).ok:  # each code once, atomically
            throttle.refund_attempt(source)
            _start_session(request, user)  # type: ignore[arg-type]
            return _complete_signin(request, device)  # forgets the identity's failures
    _audit_root_failure(request, username, mfa_used=bool(devices))
    return _locked(request, template, context, wait)


def _locked(
    request: HttpRequest, template: str, context: dict[str, object], wait: int
) -> HttpResponse:
    context["error"] = locked_message(wait)
    context["locked"] = True
    context["code_form"] = MfaCodeForm()  # never echo a code back
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(wait)
    return response


def _pending_user(request: HttpRequest) -> ConsoleUser | None:
    """The root user whose password was accepted and who still owes MFA."""
    user = request.user
    if not user.is_authenticated or IDENTITY_KEY not in request.session:
        return None
    if not getattr(user, "is_root", False):
        return None
    return user  # type: ignore[return-value]


@never_cache
@require_http_methods(["GET", "POST"])
def signin_mfa(request: HttpRequest) -> HttpResponse:
    """Step 3: a code from any of the root's virtual MFA devices (each code works once).

    AWS ("Using MFA devices with your IAM sign-in page",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/console_sign-in-mfa.html): with
    several MFA devices enabled, one of them is enough to sign in; after the password
    the user chooses the *type* of device, then authenticates with a device of that
    type. (Paraphrased: the page's exact wording and the console's labels for that
    choice could not be established here.) Every device here is a virtual one (one
    type), so there is no type to choose: the step asks for a code and accepts it from
    whichever assigned device shows it. A device removed since is no longer assigned,
    so its codes are refused. Each attempt counts once on root's throttle and, when
    wrong, once on one device.
    """
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:signin")
    _remember_next(request)
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect(_after_signin_url(request))
    devices = _root_devices(user)
    if not devices:
        return redirect("accounts:signin-mfa-enroll")
    form = MfaCodeForm(request.POST or None)
    context: dict[str, object] = {
        "form": form,
        "email": user.email,
        "several_devices": len(devices) > 1,
    }
    template = "accounts/signin/mfa.html"
    if request.method == "POST" and form.is_valid():
        wait = _devices_wait(devices)
        if wait:
            return _throttled(request, template, context, wait)
        key = throttle.root_key(user.email)
        wait = throttle.begin_attempt(key)
        if wait:
            return _throttled(request, template, context, wait)
        code = form.cleaned_data["code"]
        device = _code_device(devices, code)
        checked = check_code(device, code)  # each code once, atomically
        if checked.wait:
            return _throttled(request, template, context, checked.wait)
        if checked.ok:
            return _complete_signin(request, device)
        _audit_signin(request, user.account_id, ok=False, mfa_used=True)
        context["error"] = BAD_CODE
    return render(request, template, context)


def _enrollment_device(request: HttpRequest, user: ConsoleUser) -> MfaDevice:
    """This session's not-yet-enabled root device: a new seed for each new session."""
    actor = principal_of(request)
    mine = request.session.get(ENROLL_DEVICE_KEY)
    device = MfaDevice.objects.filter(
        pk=mine, account_id=user.account_id, iam_user__isnull=True, enabled__isnull=True
    ).first()
    if device is not None and mine is not None:
        return device
    # Left over from other sessions: those seeds may have been seen elsewhere. Only the
    # root's enrollment creates names in the reserved space, so these are all root's.
    leftovers = MfaDevice.objects.filter(
        account_id=user.account_id,
        name__istartswith=ROOT_MFA_DEVICE_NAME,
        enabled__isnull=True,
    ).values_list("serial_number", flat=True)
    for serial in list(leftovers):
        delete_virtual_mfa_device(actor=actor, serial_number=serial)
    device = create_root_virtual_mfa_device(actor=actor).device
    request.session[ENROLL_DEVICE_KEY] = device.pk
    return device


@never_cache
@require_http_methods(["GET", "POST"])
def signin_mfa_enroll(request: HttpRequest) -> HttpResponse:
    """First sign-in: assign a virtual MFA device to the root user."""
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:signin")
    if _root_device(user) is not None:
        return redirect("accounts:signin-mfa")
    template = "accounts/signin/enroll.html"
    form = MfaEnrollForm(request.POST or None)
    if request.method == "POST":
        device_pk = request.session.get(ENROLL_DEVICE_KEY)
        device = MfaDevice.objects.filter(
            pk=device_pk, account_id=user.account_id, enabled__isnull=True
        ).first()
        if device is None:  # the page was never shown in this session, or is stale
            return redirect("accounts:signin-mfa-enroll")
    else:
        try:
            device = _enrollment_device(request, user)
        except IamError as exc:  # never a 500, whatever state the devices are in
            context = {"form": form, "error": exc.message, "unavailable": True}
            return render(request, template, context, status=exc.status)
    seed = device.seed()
    label = f"IAM Console:{ROOT_MFA_DEVICE_NAME}@{user.account_id}"
    context: dict[str, object] = {
        "form": form,
        "device": device,
        "qr_svg": _qr_svg(mfa_otpauth_uri(device, seed, label)),
        "secret": base64.b32encode(seed).decode().rstrip("="),
    }
    if request.method == "POST" and form.is_valid():
        key = throttle.root_key(user.email)
        wait = throttle.begin_attempt(key)
        if wait:
            return _throttled(request, template, context, wait)
        try:
            enable_mfa_device(
                actor=principal_of(request),
                user_name=None,
                serial_number=device.serial_number,
                code1=form.cleaned_data["code1"],
                code2=form.cleaned_data["code2"],
            )
        except IamError as exc:
            _audit_signin(request, user.account_id, ok=False, mfa_used=True, reason=exc.message)
            context["error"] = BAD_CODE_PAIR
        else:
            device.refresh_from_db()
            return _complete_signin(request, device)
    return render(request, template, context)


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    """End the session (server side too: Django's logout flushes it)."""
    logout(request)
    return redirect("accounts:signin")
