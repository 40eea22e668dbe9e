"""IAM users' console sign-in: /signin/<account id or alias>/, MFA, forced password change.

As the AWS console's IAM user sign-in ("Sign in to the AWS Management Console as
an IAM user",
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_users_sign-in.html):

1. account (id or alias, prefilled from the URL), user name and password. An
   unknown account, an unknown user, a user without a login profile (programmatic
   access only) and a wrong password all get the same answer. Every attempt is
   counted by ``accounts.throttle`` (keyed by account + user name) before it is
   checked. Django's ``login`` gives the session a new key.
2. the code of the user's virtual MFA device, when the user has an enabled one
   (AWS does not force MFA on IAM users). The key rotates again and django-otp
   marks the session verified, which is what makes the principal
   ``mfa_authenticated``.
3. a new password when the login profile says ``PasswordResetRequired``: the
   ``ChangePassword`` operation checks it against the account password policy and
   audits it. Until then ``console_login_required`` opens no other page.

Root's steps live under /signin/root/…; these under /signin/iam/…, so neither can
be shadowed by an account alias (``/signin/<alias>/`` has a single segment).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from accounts import throttle
from accounts.errors import AccessDenied, IamError, PasswordPolicyViolation
from accounts.forms import MfaCodeForm
from accounts.models import Account, ConsoleUser, IamUser, MfaDevice, PasswordPolicy
from accounts.operations.activity import record_password_use, require_password_change
from accounts.operations.credentials import (
    PASSWORD_EXPIRED_HARD,
    change_password,
    password_expired,
)
from accounts.principal import Principal, user_principal
from accounts.totp import check_code, matching_step
from accounts.views import (  # the root sign-in's helpers: one behaviour for both
    BAD_CODE,
    BAD_CREDENTIALS,
    SIGNIN_EVENT_SOURCE,
    SIGNIN_NEXT_KEY,
    _after_signin_url,
    _device_wait,
    _locked,
    _remember_next,
    _throttled,
)
from audit.trail import record_event
from iamconsole.console import (
    MFA_AUTH_TIME_KEY,
    client_ip,
    original_identity,
    original_principal,
    pending_signin_step,
    start_identity,
    user_mfa_required,
)
from iamconsole.middleware import SESSION_STARTED_KEY, session_now

# CloudTrail records a failed sign-in of a user name that does not exist with this
# name instead of the one typed (console sign-in events, "userIdentity").
HIDDEN_USER = "HIDDEN_DUE_TO_SECURITY_REASONS"
PASSWORD_MAX = 128


user_key = throttle.user_key  # one key for sign-in and ChangePassword


def resolve_account(value: str) -> Account | None:
    """The account an id or an alias names (aliases are lower case)."""
    value = value.strip().lower()
    if not value or len(value) > 63:
        return None
    if value.isdigit() and len(value) == 12:
        return Account.objects.filter(pk=value).first()
    return Account.objects.filter(alias=value).first()


# -- forms -------------------------------------------------------------------------------


class UserSignInForm(forms.Form):
    account = forms.CharField(
        label="Account ID (12 digits) or account alias",
        max_length=63,
        widget=forms.TextInput(attrs={"autocomplete": "organization", "spellcheck": "false"}),
    )
    username = forms.CharField(
        label="IAM user name",
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autofocus": True, "spellcheck": "false"}
        ),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=PASSWORD_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class NewPasswordForm(forms.Form):
    """AWS's forced-change form: the old password, the new one twice."""

    old_password = forms.CharField(
        label="Old password",
        strip=False,
        max_length=PASSWORD_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password1 = forms.CharField(
        label="New password",
        strip=False,
        max_length=PASSWORD_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label="Retype new password",
        strip=False,
        max_length=PASSWORD_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        p1, p2 = data.get("new_password1"), data.get("new_password2")
        if p1 and p2 and p1 != p2:
            self.add_error("new_password2", "The passwords do not match.")
        return data


# -- helpers -----------------------------------------------------------------------------


def _enabled_devices(user: IamUser) -> list[MfaDevice]:
    return list(
        MfaDevice.objects.filter(iam_user=user, confirmed=True, enabled__isnull=False).order_by(
            "enabled", "pk"
        )
    )


def _actor(request: HttpRequest, user: IamUser, *, mfa: bool = False) -> Principal:
    return user_principal(
        user,
        source_ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:512],
        via="console",
        mfa_authenticated=mfa,
    )


def _audit_signin(
    request: HttpRequest,
    account_id: str,
    user: IamUser | None,
    *,
    ok: bool,
    mfa_used: bool,
    reason: str = "Failed authentication",
) -> None:
    """A ConsoleLogin event in the user's account, as CloudTrail records IAM users' sign-ins
    (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html).
    """
    if user is not None:
        actor = _actor(request, user, mfa=ok and mfa_used)
    else:
        actor = Principal(
            account_id=account_id,
            kind="user",
            arn=f"arn:aws:iam::{account_id}:user/{HIDDEN_USER}",
            user_name=HIDDEN_USER,
            source_ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", "")[:512],
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
        error=None if ok else AccessDenied(reason),
        event_source=SIGNIN_EVENT_SOURCE,
    )


def _pending_iam_user(request: HttpRequest) -> IamUser | None:
    """The IAM user whose password this session accepted (any later step may be owed)."""
    user = request.user
    identity = original_identity(request)
    if not user.is_authenticated or getattr(user, "is_root", True):
        return None
    if identity.get("kind") != "user":
        return None
    return IamUser.objects.filter(console_id=user.pk, pk=identity.get("user_id")).first()


def _complete_signin(request: HttpRequest, user: IamUser, *, mfa_used: bool) -> HttpResponse:
    """Every authentication step passed: forget the failures, record the sign-in."""
    throttle.forget(user_key(user.account_id, user.name))
    record_password_use(user)  # PasswordLastUsed
    _audit_signin(request, user.account_id, user, ok=True, mfa_used=mfa_used)
    if user.console.password_reset_required:
        return redirect("accounts:user-signin-change-password")
    return redirect(_after_signin_url(request))


def _signin_page_for(request: HttpRequest) -> HttpResponse:
    """Back to the first step (the user's own account's sign-in URL when known)."""
    account_id = original_identity(request).get("account_id")
    if account_id:
        return redirect("accounts:user-signin", account=account_id)
    return redirect("accounts:signin")


def _policy_rules(account_id: str) -> list[str]:
    """The account password policy in words, for the change-password page."""
    policy = PasswordPolicy.objects.filter(account_id=account_id).first()
    if policy is None:
        return ["At least 8 characters"]
    rules = [f"At least {policy.minimum_password_length} characters"]
    if policy.require_uppercase_characters:
        rules.append("At least one uppercase letter (A-Z)")
    if policy.require_lowercase_characters:
        rules.append("At least one lowercase letter (a-z)")
    if policy.require_numbers:
        rules.append("At least one number (0-9)")
    if policy.require_symbols:
        rules.append(
            "At least one non-alphanumeric character (! @ # $ % ^ & * ( ) _ + - = [ ] { } | ')"
        )
    if policy.password_reuse_prevention == 1:
        rules.append("Must not be the same as your current password")
    elif policy.password_reuse_prevention:
        rules.append(f"Must not be one of your last {policy.password_reuse_prevention} passwords")
    return rules


# -- step 1: account, user name, password ---------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def user_signin(request: HttpRequest, account: str) -> HttpResponse:
    """Sign in as an IAM user of the account named in the URL (id or alias)."""
    if request.method == "GET":
        _remember_next(request)
    form = UserSignInForm(request.POST or None, initial={"account": account})
    template = "accounts/user_signin/signin.html"
    context: dict[str, object] = {"form": form, "account": account}
    if request.method != "POST" or not form.is_valid():
        return render(request, template, context)

    data = form.cleaned_data
    found = resolve_account(data["account"])
    name = data["username"].strip()
    # Per source address first: one address failing too often waits, whatever
    # identity it targets.
    source = throttle.source_key(client_ip(request))
    wait = throttle.begin_attempt(source, free=throttle.SOURCE_FREE_FAILURES)
    if wait:
        return _throttled(request, template, context, wait)
    key = user_key(found.id if found else data["account"], name)
    wait = throttle.begin_attempt(key)
    # Under the identity's wait (perhaps a stranger's doing) only the password with a
    # valid MFA code passes, as for root (accounts.views._signin_under_lock); a user
    # without a device has no second factor and waits. One page for every failure.
    code_form = MfaCodeForm(request.POST) if wait else None
    if code_form is not None and not code_form.is_valid():
        throttle.refund_attempt(source)  # nothing was checked
        return _locked(request, template, context, wait)

    console: ConsoleUser | None = None
    if found is not None:
        candidate = authenticate(
            request, username=f"iam:{found.id}:{name.lower()}", password=data["password"]
        )
        # The backend refuses users without a login profile (programmatic access only).
        if candidate is not None and not getattr(candidate, "is_root", True):
            console = candidate  # type: ignore[assignment]
    else:
        ConsoleUser().set_password(data["password"])  # as slow as a real check
    user = IamUser.objects.filter(console=console).first() if console is not None else None
    if user is None or console is None:
        if found is not None:
            known = IamUser.objects.filter(account=found, name__iexact=name).first()
            _audit_signin(request, found.id, known, ok=False, mfa_used=False)
        if code_form is not None:
            return _locked(request, template, context, wait)
        context["error"] = BAD_CREDENTIALS
        return render(request, template, context)

    devices = _enabled_devices(user)
    device: MfaDevice | None = None
    if code_form is not None:
        device = _checked_device(devices, code_form.cleaned_data["code"])
        if device is None:
            _audit_signin(request, user.account_id, user, ok=False, mfa_used=bool(devices))
            return _locked(request, template, context, wait)

    expired, hard = password_expired(console)
    if hard:
        # HardExpiry: no sign-in and no ChangePassword until an administrator resets it.
        throttle.refund_attempt(key)  # the password was right: no failure to count
        throttle.refund_attempt(source)
        _audit_signin(
            request, user.account_id, user, ok=False, mfa_used=False, reason="Password expired"
        )
        context["error"] = PASSWORD_EXPIRED_HARD
        return render(request, template, context, status=403)
    if expired and not console.password_reset_required:
        # MaxPasswordAge: the next step is the forced change, as with a required reset.
        require_password_change(console)
        user.console = console

    throttle.refund_attempt(source)  # the password was right
    next_url = request.session.get(SIGNIN_NEXT_KEY)
    login(request, console, backend="accounts.auth.ConsoleBackend")  # rotates the session key
    if next_url:
        request.session[SIGNIN_NEXT_KEY] = next_url
    request.session[SESSION_STARTED_KEY] = session_now()
    start_identity(
        request,
        "user",
        user_id=user.pk,
        user_name=user.name,
        account_id=user.account_id,
        mfa_required=bool(devices),
    )
    if device is not None:  # password and code together, under the identity's wait
        request.session.cycle_key()
        otp_login(request, device)
        request.session[MFA_AUTH_TIME_KEY] = session_now()
        return _complete_signin(request, user, mfa_used=True)
    if devices:
        throttle.refund_attempt(key)  # the password was right; the code is still to come
        return redirect("accounts:user-signin-mfa")
    return _complete_signin(request, user, mfa_used=False)


def _checked_device(devices: list[MfaDevice], code: str) -> MfaDevice | None:
    """The device this code is valid for, its use recorded (each code once); else None.

    A wrong code counts against the first device, as at the MFA step.
    """

    if not devices or max(_device_wait(d) for d in devices):
        return None
    device = next((d for d in devices if matching_step(d.seed(), code) is not None), devices[0])
    return device if check_code(device, code).ok else None


# -- step 2: MFA ---------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def user_signin_mfa(request: HttpRequest) -> HttpResponse:
    """A code from the user's virtual MFA device (each code works once)."""
    user = _pending_iam_user(request)
    if user is None:
        return _signin_page_for(request)
    _remember_next(request)
    identity = original_identity(request)
    if request.user.is_verified() or not user_mfa_required(identity):  # type: ignore[union-attr]
        step = pending_signin_step(request)
        return redirect(step) if step else redirect(_after_signin_url(request))
    devices = _enabled_devices(user)
    if not devices:
        # The device went away between the steps: start again rather than skip MFA.
        logout(request)
        return redirect("accounts:user-signin", account=user.account_id)
    form = MfaCodeForm(request.POST or None)
    template = "accounts/user_signin/mfa.html"
    context: dict[str, object] = {"form": form, "user_name": user.name}
    if request.method == "POST" and form.is_valid():
        wait = max(_device_wait(d) for d in devices)
        if wait:
            return _throttled(request, template, context, wait)
        key = user_key(user.account_id, user.name)
        wait = throttle.begin_attempt(key)
        if wait:
            return _throttled(request, template, context, wait)
        code = form.cleaned_data["code"]

        # Any of the user's devices (AWS allows up to 8); a wrong code counts against the first.
        device = next((d for d in devices if matching_step(d.seed(), code) is not None), devices[0])
        checked = check_code(device, code)  # each code once, atomically
        if checked.wait:
            return _throttled(request, template, context, checked.wait)
        if checked.ok:
            request.session.cycle_key()
            otp_login(request, device)
            request.session[MFA_AUTH_TIME_KEY] = session_now()
            return _complete_signin(request, user, mfa_used=True)
        _audit_signin(request, user.account_id, user, ok=False, mfa_used=True)
        context["error"] = BAD_CODE
    return render(request, template, context)


# -- step 3: a new password -----------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def user_signin_change_password(request: HttpRequest) -> HttpResponse:
    """Change the password (required when the login profile says PasswordResetRequired)."""
    user = _pending_iam_user(request)
    if user is None:
        return _signin_page_for(request)
    step = pending_signin_step(request)
    if step == "accounts:user-signin-mfa":
        return redirect(step)
    required = user.console.password_reset_required
    form = NewPasswordForm(request.POST or None)
    template = "accounts/user_signin/change_password.html"
    if getattr(request, "htmx", False):
        template += "#form"
    context: dict[str, object] = {
        "form": form,
        "user_name": user.name,
        "account_id": user.account_id,
        "required": required,
        "rules": _policy_rules(user.account_id),
    }
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change_password(
                actor=original_principal(request),
                old_password=data["old_password"],
                new_password=data["new_password1"],
            )
        except PasswordPolicyViolation as exc:
            for line in exc.message.splitlines()[1:] or [exc.message]:
                form.add_error("new_password1", line)
        except AccessDenied as exc:
            if "old password" in exc.message:
                form.add_error("old_password", exc.message)
            else:
                context["error"] = exc.message
                context["denied"] = True
                status = 403
        except IamError as exc:
            context["error"] = exc.message
            status = exc.status
        else:
            # The session's auth hash derives from the password: keep this session
            # (and rotate its key) while other sessions of the user end.
            update_session_auth_hash(request, ConsoleUser.objects.get(pk=user.console_id))
            messages.success(request, "Your password has been changed.")
            url = _after_signin_url(request)
            if getattr(request, "htmx", False):
                from django_htmx.http import HttpResponseClientRedirect

                return HttpResponseClientRedirect(url)
            return redirect(url)
    return render(request, template, context, status=status)


def signin_url(request: HttpRequest, account: Account) -> str:
    """The sign-in URL for the account's IAM users (alias when there is one)."""
    return request.build_absolute_uri(
        reverse("accounts:user-signin", kwargs={"account": account.alias or account.id})
    )


urlpatterns = [
    path("signin/iam/mfa/", user_signin_mfa, name="user-signin-mfa"),
    path(
        "signin/iam/change-password/",
        user_signin_change_password,
        name="user-signin-change-password",
    ),
    path("signin/<str:account>/", user_signin, name="user-signin"),
]
