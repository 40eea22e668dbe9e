"""Console pages: a user's security credentials (console password, MFA devices, access keys,
SSH public keys for CodeCommit, HTTPS Git and Keyspaces credentials, X.509 signing
certificates).

Everything here renders into the user page's "Security credentials" tab (a panel at
its top for forms, confirmations and one-time secrets), so htmx swaps the tab and a
browser without JS gets the whole page. Secrets (a new access key's secret, a
generated password) are shown in the response that created them and kept in the
session only for one ``.csv`` download; viewing any user page drops them.

Creating an access key and removing an MFA device first ask the signed-in identity for
a fresh code from its own MFA device (when it has one; root always does): passing that
step is remembered for five minutes.
"""

from __future__ import annotations

import base64
import csv
import io
from typing import Any
from urllib.parse import quote

import segno
from django import forms
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.errors import IamError, NoSuchEntity, ValidationError
from accounts.models import Account, IamUser, MfaDevice
from accounts.operations.credentials import (
    create_login_profile,
    create_virtual_mfa_device,
    deactivate_mfa_device,
    delete_access_key,
    delete_login_profile,
    delete_virtual_mfa_device,
    enable_mfa_device,
    list_access_keys,
    mfa_otpauth_uri,
    update_access_key,
    update_login_profile,
)
from accounts.operations.user_credentials import (
    create_service_specific_credential,
    delete_service_specific_credential,
    delete_signing_certificate,
    delete_ssh_public_key,
    reset_service_specific_credential,
    update_service_specific_credential,
    update_signing_certificate,
    update_ssh_public_key,
    upload_signing_certificate,
    upload_ssh_public_key,
)
from accounts.pages.access_keys import BEST_PRACTICES, UserKeyForm, create_key_with_description
from accounts.pages.user_detail import (
    BACK,
    NEW_KEY_SESSION,
    NEW_PASSWORD_SESSION,
    SECRET_TTL,
    after_action,
    generate_password,
    lookup_user,
    remember_password,
    render_detail,
)
from accounts.pages.users_wizard import CHANGE_PASSWORD_POLICY
from iamconsole.console import console_login_required, principal_of
from iamconsole.ops import run_batch
from iamconsole.pages import HtmxHttpRequest, render_error
from iamconsole.session_secrets import seal_for_session, unseal_from_session
from policies.operations import attach_user_policy

TAB = "security-credentials"
REAUTH_SESSION = "users_reauth_at"
REAUTH_WINDOW = 300  # seconds a fresh MFA code unlocks sensitive actions
PENDING_MFA_SESSION = "users_pending_mfa"


def _now() -> float:
    # Through django.utils.timezone, so tests can move the clock.
    return timezone.now().timestamp()


class SecretGone(IamError):
    """A one-time secret asked for again: AWS never shows a secret twice."""

    code, status = "SecretNoLongerAvailable", 410


# -- re-authentication -----------------------------------------------------------------------


def own_mfa_device(request: HttpRequest) -> MfaDevice | None:
    """The signed-in identity's own enabled MFA device (root's, or the IAM user's)."""
    return (
        MfaDevice.objects.filter(user=request.user, confirmed=True, enabled__isnull=False)
        .order_by("enabled", "pk")
        .first()
    )


def recent_mfa(request: HttpRequest) -> tuple[bool, str]:
    """(passed, error): whether a sensitive action may go on now. It may when the
    signed-in identity has no MFA device, passed this step within ``REAUTH_WINDOW``, or
    posts a right ``mfa_code`` now; ``error`` says why a posted code was refused."""
    device = own_mfa_device(request)
    at = request.session.get(REAUTH_SESSION)
    if device is None or (at is not None and _now() - float(at) < REAUTH_WINDOW):
        return True, ""
    code = request.POST.get("mfa_code")
    error = ""
    if code is not None:
        allowed, info = device.verify_is_allowed()
        if not allowed:  # django-otp's growing wait after wrong codes
            until = (info or {}).get("locked_until")
            error = "Too many wrong codes. Wait a little and try again" + (
                f" (after {until:%H:%M:%S} UTC)." if until else "."
            )
        elif device.verify_token(code.strip()):  # each code once
            request.session[REAUTH_SESSION] = _now()
            return True, ""
        else:
            error = (
                "The MFA code is not valid. Wait for the next code from your device and try again."
            )
    return False, error


def require_recent_mfa(
    request: HtmxHttpRequest, user: IamUser, *, action_url: str, what: str, keep: dict[str, str]
) -> HttpResponse | None:
    """None when the action may go on; otherwise the MFA step (again, with its error).

    The form posts back to the action itself with ``mfa_code`` and the action's own
    fields (``keep``), so one click finishes the action once the code is right.
    """
    passed, error = recent_mfa(request)
    if passed:
        return None
    reauth = {"action_url": action_url, "what": what, "keep": keep, "error": error}
    return render_detail(request, user.name, TAB, status=403 if error else 200, reauth=reauth)


# -- console password ------------------------------------------------------------------------


class ConsoleAccessForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("enable", "Enable"), ("reset", "Reset password"), ("disable", "Disable")]
    )
    password_mode = forms.ChoiceField(
        choices=[("auto", "Autogenerated password"), ("custom", "Custom password")],
        required=False,
        initial="auto",
    )
    password = forms.CharField(
        required=False,
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    require_reset = forms.BooleanField(required=False, initial=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") in ("enable", "reset") and data.get("password_mode") == "custom":
            if not data.get("password"):
                self.add_error("password", "Enter a custom password, or choose autogenerated.")
        return data


@console_login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def user_console_access(request: HtmxHttpRequest, user_name: str) -> HttpResponse:
    """Enable, reset or disable the user's console password (login profile)."""
    actor = principal_of(request)
    try:
        user = lookup_user(request, user_name)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    if request.method == "GET":
        form = ConsoleAccessForm(
            initial={
                "action": "reset" if user.console.login_profile_created else "enable",
                "password_mode": "auto",
                "require_reset": True,
            }
        )
        return render_detail(request, user.name, TAB, console_form=form)
    form = ConsoleAccessForm(request.POST)
    if not form.is_valid():
        return render_detail(request, user.name, TAB, status=400, console_form=form)
    data = form.cleaned_data
    generated = data["password_mode"] != "custom"
    password = generate_password(user.account_id) if generated else data["password"]
    try:
        if data["action"] in ("enable", "reset"):
            profile = create_login_profile if data["action"] == "enable" else update_login_profile
            steps: list[tuple[Any, dict[str, Any]]] = [
                (
                    profile,
                    {
                        "user_name": user.name,
                        "password": password,
                        "password_reset_required": data["require_reset"],
                    },
                )
            ]
            if data["require_reset"]:
                # As the AWS console: the user "automatically gets the
                # IAMUserChangePassword policy", in the same transaction.
                steps.append(
                    (
                        attach_user_policy,
                        {"user_name": user.name, "policy_arn": CHANGE_PASSWORD_POLICY},
                    )
                )
            run_batch(actor, steps)
        else:
            delete_login_profile(actor=actor, user_name=user.name)
            return after_action(request, user.name, TAB, notice="Console access disabled.")
    except IamError as exc:
        if exc.code == "PasswordPolicyViolation":
            form.add_error("password", exc.message)
            return render_detail(request, user.name, TAB, status=exc.status, console_form=form)
        return render_detail(
            request, user.name, TAB, status=exc.status, action_error=exc, console_form=form
        )
    notice = "Console access enabled." if data["action"] == "enable" else "Password reset."
    extra: dict[str, Any] = {"notice": notice}
    if generated:
        # The only time the generated password is shown; the .csv takes it once more.
        extra["new_password"] = remember_password(request, user, password)
    return render_detail(request, user.name, TAB, **extra)


@console_login_required
@require_POST
def user_password_csv(request: HtmxHttpRequest, user_name: str) -> HttpResponse:
    """The new password's sign-in details as a .csv, once (then it is gone from the session)."""
    try:
        user = lookup_user(request, user_name)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    held = request.session.get(NEW_PASSWORD_SESSION)
    if (
        not held
        or held.get("user", "").lower() != user.name.lower()
        or _now() - held.get("at", 0) > SECRET_TTL
    ):
        return render_error(
            request,
            SecretGone(
                "The password can no longer be downloaded: it is shown only once. "
                "Reset the password to set a new one."
            ),
        )
    del request.session[NEW_PASSWORD_SESSION]
    password = unseal_from_session(request, held.get("password"), NEW_PASSWORD_SESSION)
    if password is None:
        return render_error(request, SecretGone("The password can no longer be downloaded."))
    return csv_response(
        f"{user.name}_credentials.csv",
        ["User name", "Password", "Console sign-in URL"],
        [held["user"], password, held["signin_url"]],
        secrets_at=(1,),
    )


def csv_response(
    filename: str, header: list[str], row: list[str], *, secrets_at: tuple[int, ...] = ()
) -> HttpResponse:
    """A one-row .csv download. A user-chosen value starting with = + - @ (an IAM user
    may be named ``=cmd``) would run as a spreadsheet formula, so it is quoted; the
    generated secrets (columns ``secrets_at``) are written exactly as they are."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerow(
        [
            "'" + v if i not in secrets_at and v[:1] in ("=", "+", "-", "@") else v
            for i, v in enumerate(row)
        ]
    )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "no-store"
    return response


# -- access keys -----------------------------------------------------------------------------


@console_login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def user_create_access_key(request: HtmxHttpRequest, user_name: str) -> HttpResponse:
    """AWS's steps: the use case (with its alternative), an optional description tag,
    a fresh MFA code; then CreateAccessKey (and TagUser) and the secret, in this
    response only."""
    actor = principal_of(request)
    try:
        user = lookup_user(request, user_name)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    if request.method == "GET":
        return render_detail(request, user.name, TAB, key_create=UserKeyForm())
    # The use-case step only informs (AWS stores no use case): a POST without it (a
    # script, a bookmarked form) creates the key as CreateAccessKey alone would.
    description = ""
    keep: dict[str, str] = {}
    if "use_case" in request.POST:
        form = UserKeyForm(request.POST)
        if not form.is_valid():
            return render_detail(request, user.name, TAB, status=400, key_create=form)
        description, keep = form.cleaned_data["description"], form.keep()
    step = require_recent_mfa(
        request,
        user,
        action_url=reverse("accounts:user-create-access-key", args=[user.name]),
        what="create an access key",
        keep=keep,
    )
    if step is not None:
        return step
    try:
        new = create_key_with_description(actor, user_name=user.name, description=description)
    except IamError as exc:
        return after_action(request, user.name, TAB, error=exc)
    request.session[NEW_KEY_SESSION] = {
        "user": user.name,
        "id": new.key.access_key_id,
        "secret": seal_for_session(request, new.secret, NEW_KEY_SESSION),
        "at": _now(),
    }
    return render_detail(
        request,
        user.name,
        TAB,
        new_key={
            "id": new.key.access_key_id,
            "secret": new.secret,
            "description": description,
        },
        best_practices=BEST_PRACTICES,
        notice="Access key created. This is the only time the secret access key can be viewed or downloaded.",
    )


@console_login_required
@require_POST
def user_access_key_csv(
    request: HtmxHttpRequest, user_name: str, access_key_id: str
) -> HttpResponse:
    """``Access key ID,Secret access key`` as a .csv, once: then the secret is gone."""
    try:
        user = lookup_user(request, user_name)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    held = request.session.get(NEW_KEY_SESSION)
    if (
        not held
        or held.get("id") != access_key_id
        or held.get("user", "").lower() != user.name.lower()
        or _now() - held.get("at", 0) > SECRET_TTL
    ):
        return render_error(
            request,
            SecretGone(
                f"The secret access key of {access_key_id} can no longer be downloaded: it is "
                "shown only once. Create a new access key if it is lost."
            ),
        )
    del request.session[NEW_KEY_SESSION]
    secret = unseal_from_session(request, held.get("secret"), NEW_KEY_SESSION)
    if secret is None:
        return render_error(
            request, SecretGone("The secret access key can no longer be downloaded.")
        )
    return csv_response(
        f"{user.name}_accessKeys.csv",
        ["Access key ID", "Secret access key"],
        [held["id"], secret],
        secrets_at=(0, 1),
    )


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def user_access_key_status(
    request: HtmxHttpRequest, user_name: str, access_key_id: str
) -> HttpResponse:
    actor = principal_of(request)
    status = request.POST.get("status", "")
    try:
        user = lookup_user(request, user_name)
        update_access_key(
            actor=actor, user_name=user.name, access_key_id=access_key_id, status=status
        )
    except IamError as exc:
        return after_action(request, user_name, TAB, error=exc)
    verb = "activated" if status == "Active" else "deactivated"
    return after_action(request, user.name, TAB, notice=f"Access key {access_key_id} {verb}.")


@console_login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def user_access_key_delete(
    request: HtmxHttpRequest, user_name: str, access_key_id: str
) -> HttpResponse:
    """Delete an access key after the caller types its id (as AWS's console asks)."""
    actor = principal_of(request)
    try:
        user = lookup_user(request, user_name)
        keys = {
            k.access_key_id: k for k in list_access_keys(actor=actor, user_name=user.name).items
        }
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    key = keys.get(access_key_id)
    if key is None:
        return render_error(
            request, NoSuchEntity(f"The Access Key with id {access_key_id} cannot be found.")
        )
    confirm = {"key": key, "error": ""}
    if request.method == "GET":
        return render_detail(request, user.name, TAB, key_delete=confirm)
    if request.POST.get("confirm", "").strip() != access_key_id:
        confirm["error"] = f"Type the access key ID {access_key_id} to confirm."
        return render_detail(request, user.name, TAB, status=400, key_delete=confirm)
    try:
        delete_access_key(actor=actor, user_name=user.name, access_key_id=access_key_id)
    except IamError as exc:
        return render_detail(
            request, user.name, TAB, status=exc.status, action_error=exc, key_delete=confirm
        )
    return after_action(request, user.name, TAB, notice=f"Access key {access_key_id} deleted.")


# -- MFA devices -----------------------------------------------------------------------------


class AssignMfaForm(forms.Form):
    device_name = forms.CharField(
        label="Device name",
        max_length=128,
        help_text="A name for the device in this account: letters, digits and +=,.@-_ characters.",
    )


class MfaCodesForm(forms.Form):
    code1 = forms.RegexField(label="MFA code 1", regex=r"^\s*\d{6}\s*$", max_length=8)
    code2 = forms.RegexField(label="MFA code 2", regex=r"^\s*\d{6}\s*$", max_length=8)


def _qr_svg(uri: str) -> str:
    # segno writes plain SVG paths (no script, no style element): safe to inline, and
    # the CSP allows it. The URI is built here from our own values.
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#16191f", light="#ffffff")
    return mark_safe(svg)  # noqa: S308


def _enrollment(user: IamUser, device: MfaDevice, form: MfaCodesForm, error: str = "") -> dict:
    return enrollment_panel(user.account_id, user.name, device, form, error)


def enrollment_panel(
    account_id: str, name: str, device: MfaDevice, form: MfaCodesForm, error: str = ""
) -> dict:
    """The QR code and secret of a device being assigned (shown during its assignment
    only), labelled ``name@alias`` as authenticator apps list it."""
    seed = device.seed()
    account = Account.objects.get(pk=account_id)
    label = f"{name}@{account.alias or account.id}"
    return {
        "device": device,
        "qr_svg": _qr_svg(mfa_otpauth_uri(device, seed, label)),
        "secret": base64.b32encode(seed).decode().rstrip("="),
        "form": form,
        "error": error,
    }


def _pending_device(request: HttpRequest, user: IamUser) -> MfaDevice | None:
    pending = request.session.get(PENDING_MFA_SESSION) or {}
    if pending.get("user", "").lower() != user.name.lower():
        return None
    return MfaDevice.objects.filter(
        account_id=user.account_id, serial_number=pending.get("serial"), enabled__isnull=True
    ).first()


@console_login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def user_assign_mfa(request: HtmxHttpRequest, user_name: str) -> HttpResponse:
    """Step 1: name the device (CreateVirtualMFADevice); then its QR code and secret."""
    actor = principal_of(request)
    try:
        user = lookup_user(request, user_name)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    if request.method == "GET":
        form = AssignMfaForm(initial={"device_name": user.name})
        return render_detail(request, user.name, TAB, mfa_assign=form)
    form = AssignMfaForm(request.POST)
    if not form.is_valid():
        return render_detail(request, user.name, TAB, status=400, mfa_assign=form)
    try:
        new = create_virtual_mfa_device(actor=actor, name=form.cleaned_data["device_name"])
    except IamError as exc:
        if exc.code in ("ValidationError", "EntityAlreadyExists"):
            form.add_error("device_name", exc.message)
            return render_detail(request, user.name, TAB, status=exc.status, mfa_assign=form)
        return render_detail(
            request, user.name, TAB, status=exc.status, action_error=exc, mfa_assign=form
        )
    request.session[PENDING_MFA_SESSION] = {
        "user": user.name,
        "serial": new.device.serial_number,
    }
    return render_detail(
        request, user.name, TAB, mfa_enroll=_enrollment(user, new.device, MfaCodesForm())
    )


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def user_confirm_mfa(request: HtmxHttpRequest, user_name: str) -> HttpResponse:
    """Step 2: two consecutive codes from the device (EnableMFADevice), as AWS asks."""
    actor = principal_of(request)
    try:
        user = lookup_user(request, user_name)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    device = _pending_device(request, user)
    if device is None:
        return after_action(
            request,
            user.name,
            TAB,
            error=ValidationError("No MFA device is being assigned: start again."),
        )
    if request.POST.get("cancel"):
        request.session.pop(PENDING_MFA_SESSION, None)
        try:
            delete_virtual_mfa_device(actor=actor, serial_number=device.serial_number)
        except IamError as exc:
            return after_action(request, user.name, TAB, error=exc)
        return after_action(request, user.name, TAB, notice="MFA device assignment cancelled.")
    form = MfaCodesForm(request.POST)
    if not form.is_valid():
        return render_detail(
            request, user.name, TAB, status=400, mfa_enroll=_enrollment(user, device, form)
        )
    try:
        enable_mfa_device(
            actor=actor,
            user_name=user.name,
            serial_number=device.serial_number,
            code1=form.cleaned_data["code1"].strip(),
            code2=form.cleaned_data["code2"].strip(),
        )
    except IamError as exc:
        if exc.code == "InvalidAuthenticationCode":
            message = (
                "The codes are not valid: type two consecutive codes (the current one, then "
                "the next one, up to 30 seconds later)."
            )
            return render_detail(
                request,
                user.name,
                TAB,
                status=exc.status,
                mfa_enroll=_enrollment(user, device, form, message),
            )
        return render_detail(
            request,
            user.name,
            TAB,
            status=exc.status,
            action_error=exc,
            mfa_enroll=_enrollment(user, device, form),
        )
    request.session.pop(PENDING_MFA_SESSION, None)
    return after_action(request, user.name, TAB, notice="MFA device assigned.")


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def user_remove_mfa(request: HtmxHttpRequest, user_name: str) -> HttpResponse:
    """Remove an MFA device (deactivate it and delete the virtual device), after a fresh code."""
    actor = principal_of(request)
    try:
        user = lookup_user(request, user_name)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    serial = request.POST.get("serial_number", "")[:1200]
    step = require_recent_mfa(
        request,
        user,
        action_url=reverse("accounts:user-remove-mfa", args=[user.name]),
        what="remove an MFA device",
        keep={"serial_number": serial},
    )
    if step is not None:
        return step
    try:
        run_batch(
            actor,
            [
                (deactivate_mfa_device, {"user_name": user.name, "serial_number": serial}),
                (delete_virtual_mfa_device, {"serial_number": serial}),
            ],
        )
    except IamError as exc:
        return after_action(request, user.name, TAB, error=exc)
    return after_action(request, user.name, TAB, notice="MFA device removed.")


# -- SSH public keys, signing certificates, service-specific credentials -----------------------

# Errors about what was typed go under the field; the others (AccessDenied, NoSuchEntity)
# above the tab.
FORM_ERRORS = frozenset(
    {
        "InvalidPublicKey",
        "UnrecognizedPublicKeyEncoding",
        "DuplicateSSHPublicKey",
        "MalformedCertificate",
        "DuplicateCertificate",
        "LimitExceeded",
        "ValidationError",
        "InvalidInput",
    }
)
STATUS_VERBS = {"Active": "activated", "Inactive": "deactivated"}
# The console's two kinds: HTTPS Git credentials for CodeCommit, and Amazon Keyspaces.
CONSOLE_SERVICES = {
    "codecommit.amazonaws.com": "HTTPS Git credentials for AWS CodeCommit",
    "cassandra.amazonaws.com": "Credentials for Amazon Keyspaces (for Apache Cassandra)",
}


class SshKeyUploadForm(forms.Form):
    body = forms.CharField(
        label="SSH public key body",
        max_length=16384,
        widget=forms.Textarea(attrs={"rows": 6, "class": "mono", "spellcheck": "false"}),
        help_text="An RSA public key of at least 2048 bits, in ssh-rsa (OpenSSH) or PEM format.",
    )


class SigningCertificateUploadForm(forms.Form):
    body = forms.CharField(
        label="Certificate body",
        max_length=16384,
        widget=forms.Textarea(attrs={"rows": 10, "class": "mono", "spellcheck": "false"}),
        help_text="An X.509 certificate in PEM format (-----BEGIN CERTIFICATE-----).",
    )


def _upload(
    request: HtmxHttpRequest,
    user_name: str,
    *,
    form_class: type[forms.Form],
    panel: str,
    upload: Any,
    notice: str,
) -> HttpResponse:
    """GET: the upload form; POST: upload ``body``, errors about it under the field."""
    actor = principal_of(request)
    try:
        user = lookup_user(request, user_name)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    if request.method == "GET":
        return render_detail(request, user.name, TAB, **{panel: form_class()})
    form = form_class(request.POST)
    if not form.is_valid():
        return render_detail(request, user.name, TAB, status=400, **{panel: form})
    try:
        made = upload(actor=actor, user_name=user.name, body=form.cleaned_data["body"])
    except IamError as exc:
        if exc.code in FORM_ERRORS:
            form.add_error("body", exc.message)
            return render_detail(request, user.name, TAB, status=exc.status, **{panel: form})
        return render_detail(
            request, user.name, TAB, status=exc.status, action_error=exc, **{panel: form}
        )
    return after_action(request, user.name, TAB, notice=notice.format(made=made))


@console_login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def user_upload_ssh_key(request: HtmxHttpRequest, user_name: str) -> HttpResponse:
    """UploadSSHPublicKey: the key for CodeCommit over SSH."""
    return _upload(
        request,
        user_name,
        form_class=SshKeyUploadForm,
        panel="ssh_upload",
        upload=upload_ssh_public_key,
        notice="SSH public key {made.key_id} uploaded.",
    )


@console_login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def user_upload_signing_certificate(request: HtmxHttpRequest, user_name: str) -> HttpResponse:
    """UploadSigningCertificate."""
    return _upload(
        request,
        user_name,
        form_class=SigningCertificateUploadForm,
        panel="certificate_upload",
        upload=upload_signing_certificate,
        notice="Signing certificate {made.certificate_id} uploaded.",
    )


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def user_ssh_key_status(request: HtmxHttpRequest, user_name: str, key_id: str) -> HttpResponse:
    status = request.POST.get("status", "")
    try:
        user = lookup_user(request, user_name)
        update_ssh_public_key(
            actor=principal_of(request), user_name=user.name, key_id=key_id, status=status
        )
    except IamError as exc:
        return after_action(request, user_name, TAB, error=exc)
    return after_action(
        request, user.name, TAB, notice=f"SSH public key {key_id} {STATUS_VERBS[status]}."
    )


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def user_ssh_key_delete(request: HtmxHttpRequest, user_name: str, key_id: str) -> HttpResponse:
    try:
        user = lookup_user(request, user_name)
        delete_ssh_public_key(actor=principal_of(request), user_name=user.name, key_id=key_id)
    except IamError as exc:
        return after_action(request, user_name, TAB, error=exc)
    return after_action(request, user.name, TAB, notice=f"SSH public key {key_id} deleted.")


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def user_signing_certificate_status(
    request: HtmxHttpRequest, user_name: str, certificate_id: str
) -> HttpResponse:
    status = request.POST.get("status", "")
    try:
        user = lookup_user(request, user_name)
        update_signing_certificate(
            actor=principal_of(request),
            user_name=user.name,
            certificate_id=certificate_id,
            status=status,
        )
    except IamError as exc:
        return after_action(request, user_name, TAB, error=exc)
    return after_action(
        request,
        user.name,
        TAB,
        notice=f"Signing certificate {certificate_id} {STATUS_VERBS[status]}.",
    )


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def user_signing_certificate_delete(
    request: HtmxHttpRequest, user_name: str, certificate_id: str
) -> HttpResponse:
    try:
        user = lookup_user(request, user_name)
        delete_signing_certificate(
            actor=principal_of(request), user_name=user.name, certificate_id=certificate_id
        )
    except IamError as exc:
        return after_action(request, user_name, TAB, error=exc)
    return after_action(
        request, user.name, TAB, notice=f"Signing certificate {certificate_id} deleted."
    )


def _show_service_credential(
    request: HtmxHttpRequest, user: IamUser, new: Any, notice: str
) -> HttpResponse:
    """The credential's user name and password, shown in this response only: they are
    kept nowhere (no session copy, no download), as AWS shows them once."""
    cred = new.credential
    response = render_detail(
        request,
        user.name,
        TAB,
        new_service_credential={
            "id": cred.credential_id,
            "service": CONSOLE_SERVICES.get(cred.service_name, cred.service_name),
            "user_name": cred.service_user_name or cred.alias,
            "password": new.secret,
        },
        notice=notice,
    )
    response["Cache-Control"] = "no-store"
    return response


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def user_create_service_credential(request: HtmxHttpRequest, user_name: str) -> HttpResponse:
    """CreateServiceSpecificCredential (CodeCommit or Keyspaces) after a fresh MFA code."""
    try:
        user = lookup_user(request, user_name)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    service = request.POST.get("service", "")[:128]
    if service not in CONSOLE_SERVICES:
        return after_action(
            request,
            user.name,
            TAB,
            error=ValidationError("Choose CodeCommit or Amazon Keyspaces credentials."),
        )
    step = require_recent_mfa(
        request,
        user,
        action_url=reverse("accounts:user-create-service-credential", args=[user.name]),
        what="generate service-specific credentials",
        keep={"service": service},
    )
    if step is not None:
        return step
    try:
        new = create_service_specific_credential(
            actor=principal_of(request), user_name=user.name, service_name=service
        )
    except IamError as exc:
        return after_action(request, user.name, TAB, error=exc)
    return _show_service_credential(
        request,
        user,
        new,
        "Credentials generated. This is the only time the password can be viewed.",
    )


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def user_reset_service_credential(
    request: HtmxHttpRequest, user_name: str, credential_id: str
) -> HttpResponse:
    """ResetServiceSpecificCredential after a fresh MFA code: a new password, shown once."""
    try:
        user = lookup_user(request, user_name)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    step = require_recent_mfa(
        request,
        user,
        action_url=reverse(
            "accounts:user-reset-service-credential", args=[user.name, credential_id]
        ),
        what="reset a service-specific credential's password",
        keep={},
    )
    if step is not None:
        return step
    try:
        new = reset_service_specific_credential(
            actor=principal_of(request), user_name=user.name, credential_id=credential_id
        )
    except IamError as exc:
        return after_action(request, user.name, TAB, error=exc)
    return _show_service_credential(
        request,
        user,
        new,
        "Password reset. This is the only time the new password can be viewed.",
    )


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def user_service_credential_status(
    request: HtmxHttpRequest, user_name: str, credential_id: str
) -> HttpResponse:
    status = request.POST.get("status", "")
    try:
        user = lookup_user(request, user_name)
        update_service_specific_credential(
            actor=principal_of(request),
            user_name=user.name,
            credential_id=credential_id,
            status=status,
        )
    except IamError as exc:
        return after_action(request, user_name, TAB, error=exc)
    return after_action(
        request, user.name, TAB, notice=f"Credential {credential_id} {STATUS_VERBS[status]}."
    )


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def user_service_credential_delete(
    request: HtmxHttpRequest, user_name: str, credential_id: str
) -> HttpResponse:
    try:
        user = lookup_user(request, user_name)
        delete_service_specific_credential(
            actor=principal_of(request), user_name=user.name, credential_id=credential_id
        )
    except IamError as exc:
        return after_action(request, user_name, TAB, error=exc)
    return after_action(request, user.name, TAB, notice=f"Credential {credential_id} deleted.")


urlpatterns = [
    path(
        "users/<str:user_name>/console-access/",
        user_console_access,
        name="user-console-access",
    ),
    path("users/<str:user_name>/password.csv", user_password_csv, name="user-password-csv"),
    path(
        "users/<str:user_name>/access-keys/create/",
        user_create_access_key,
        name="user-create-access-key",
    ),
    path(
        "users/<str:user_name>/access-keys/<str:access_key_id>/csv/",
        user_access_key_csv,
        name="user-access-key-csv",
    ),
    path(
        "users/<str:user_name>/access-keys/<str:access_key_id>/status/",
        user_access_key_status,
        name="user-access-key-status",
    ),
    path(
        "users/<str:user_name>/access-keys/<str:access_key_id>/delete/",
        user_access_key_delete,
        name="user-access-key-delete",
    ),
    path("users/<str:user_name>/mfa/assign/", user_assign_mfa, name="user-assign-mfa"),
    path("users/<str:user_name>/mfa/confirm/", user_confirm_mfa, name="user-confirm-mfa"),
    path("users/<str:user_name>/mfa/remove/", user_remove_mfa, name="user-remove-mfa"),
    path("users/<str:user_name>/ssh-keys/upload/", user_upload_ssh_key, name="user-upload-ssh-key"),
    path(
        "users/<str:user_name>/ssh-keys/<str:key_id>/status/",
        user_ssh_key_status,
        name="user-ssh-key-status",
    ),
    path(
        "users/<str:user_name>/ssh-keys/<str:key_id>/delete/",
        user_ssh_key_delete,
        name="user-ssh-key-delete",
    ),
    path(
        "users/<str:user_name>/signing-certificates/upload/",
        user_upload_signing_certificate,
        name="user-upload-signing-certificate",
    ),
    path(
        "users/<str:user_name>/signing-certificates/<str:certificate_id>/status/",
        user_signing_certificate_status,
        name="user-signing-certificate-status",
    ),
    path(
        "users/<str:user_name>/signing-certificates/<str:certificate_id>/delete/",
        user_signing_certificate_delete,
        name="user-signing-certificate-delete",
    ),
    path(
        "users/<str:user_name>/service-credentials/create/",
        user_create_service_credential,
        name="user-create-service-credential",
    ),
    path(
        "users/<str:user_name>/service-credentials/<str:credential_id>/reset/",
        user_reset_service_credential,
        name="user-reset-service-credential",
    ),
    path(
        "users/<str:user_name>/service-credentials/<str:credential_id>/status/",
        user_service_credential_status,
        name="user-service-credential-status",
    ),
    path(
        "users/<str:user_name>/service-credentials/<str:credential_id>/delete/",
        user_service_credential_delete,
        name="user-service-credential-delete",
    ),
]
