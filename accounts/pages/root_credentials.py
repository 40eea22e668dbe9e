"""Console page: the root user's "Security credentials" (AWS: account menu -> Security
credentials).

As the AWS console's page for the root user: the account's sign-in details, root's
MFA devices, and root's access keys: create (AWS's warning that root access keys are
not recommended, an acknowledgement, then a fresh MFA code as every sensitive action
asks), deactivate/activate, delete (typing the key's id, as the user pages ask). Root
access keys are ``AccessKey`` rows without a user; every change is the ordinary
operation (CreateAccessKey, UpdateAccessKey, DeleteAccessKey, ListAccessKeys,
ListMFADevices) with root as the actor, so it is authorized and audited as over the API.

The new secret is in the response that created it and, sealed, in the session for one
``.csv`` download; opening the page again drops it. An IAM user who opens the page is
sent to their own user's Security credentials tab (as AWS sends IAM users to theirs).

Root's MFA devices (up to eight, as AWS allows): "Assign MFA device" names a virtual
device (CreateVirtualMFADevice; its seed is sealed at rest like every device's), shows
its QR code and secret during that assignment only, and enables it with two consecutive
codes (EnableMFADevice, which consumes the second code's step: no code works twice).
Code pairs are counted on root's sign-in throttle before they are checked, as the
first sign-in's enrollment counts them. "Remove" asks for confirmation and a fresh MFA
code (from any of root's devices), then runs DeactivateMFADevice and
DeleteVirtualMFADevice together.

Removing the device this session was verified with (among them the last device) ends
the session's MFA verification at once: the session keeps only its password step, so
every console page sends it to the MFA step again, which, when root has no device
left, is the enrollment of a new one (``accounts:signin-mfa-enroll``), exactly where
the next sign-in would go. No page of the console opens until a device is enrolled.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect
from django_otp import DEVICE_ID_SESSION_KEY

from accounts import throttle
from accounts.errors import AccessDenied, IamError, LimitExceeded, NoSuchEntity, ValidationError
from accounts.models import Account, ConsoleUser, MfaDevice
from accounts.operations.common import MFA_DEVICES_PER_USER
from accounts.operations.credentials import (
    create_access_key,
    create_virtual_mfa_device,
    deactivate_mfa_device,
    delete_access_key,
    delete_virtual_mfa_device,
    enable_mfa_device,
    list_access_keys,
    list_mfa_devices,
    update_access_key,
)
from accounts.pages.access_keys import BEST_PRACTICES, RootKeyForm
from accounts.pages.user_detail import NEW_KEY_SESSION, SECRET_TTL, forget_secrets, signin_url
from accounts.pages.users_credentials import (
    REAUTH_SESSION,
    REAUTH_WINDOW,
    AssignMfaForm,
    MfaCodesForm,
    SecretGone,
    _now,
    csv_response,
    enrollment_panel,
    recent_mfa,
)
from accounts.principal import Principal
from accounts.totp import check_code
from iamconsole.console import MFA_AUTH_TIME_KEY, console_login_required, principal_of
from iamconsole.ops import run_batch
from iamconsole.pages import HtmxHttpRequest, render_error, section
from iamconsole.session_secrets import seal_for_session, unseal_from_session

TEMPLATE = "accounts/root_credentials/page.html"
TARGET = "root-credentials"

# AWS's warning ("Create access keys for the root user", AWS Account Management guide).
ROOT_KEY_WARNING = (
    "We strongly recommend that you do not create access key pairs for your root user. "
    "Because only a few tasks require the root user and you typically perform those tasks "
    "infrequently, we recommend signing in to the AWS Management Console to perform the "
    "root user tasks. Before creating access keys, review the alternatives to long-term "
    "access keys."
)

ROLE_SESSION = AccessDenied(
    "A role session has no security credentials of its own: switch back to your own "
    "identity to manage your credentials."
)


def _page(
    request: HttpRequest, actor: Principal, *, status: int = 200, **extra: Any
) -> HttpResponse:
    account = Account.objects.get(pk=actor.account_id)
    root = ConsoleUser.objects.filter(account_id=actor.account_id, is_root=True).first()
    keys = section(lambda: list(list_access_keys(actor=actor).items))
    devices = section(lambda: list(list_mfa_devices(actor=actor, max_items=1000).items))
    if "reauth" in extra:
        extra["reauth"].setdefault("devices", _reauth_devices(request))
    context: dict[str, Any] = {
        "account": account,
        "root_email": root.email if root else "",
        "signin_url": signin_url(request, account.id),
        "root_arn": account.root_arn,
        "mfa_devices": devices,
        "mfa_quota": MFA_DEVICES_PER_USER,
        "mfa_quota_reached": len(devices.value or []) >= MFA_DEVICES_PER_USER,
        "access_keys": keys,
        "key_quota_reached": len(keys.value or []) >= 2,
        "warning": ROOT_KEY_WARNING,
        **extra,
    }
    template = TEMPLATE
    if getattr(request, "htmx", False):
        template += "#credentials"
    return render(request, template, context, status=status)


def root_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Root's own pages: the view gets root's principal as ``actor``. An IAM user is sent
    to their own Security credentials tab, as AWS's account menu does; a role session
    gets the error page (it has no credentials of its own)."""

    @wraps(view)
    def wrapper(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        actor = principal_of(request)
        if actor.kind == "root":
            return view(request, *args, actor=actor, **kwargs)
        if actor.kind == "user":
            tab = [actor.user_name, "security-credentials"]
            return redirect(reverse("accounts:user-detail-tab", args=tab))
        return render_error(request, ROLE_SESSION)

    return wrapper


@console_login_required
@require_GET
@vary_on_headers("HX-Request")
@root_only
def root_security_credentials(request: HtmxHttpRequest, *, actor: Principal) -> HttpResponse:
    forget_secrets(request)  # a one-time secret does not survive a visit to the page
    return _page(request, actor)


@console_login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@root_only
def root_create_access_key(request: HtmxHttpRequest, *, actor: Principal) -> HttpResponse:
    """AWS's warning and acknowledgement, a fresh MFA code, then CreateAccessKey."""
    if request.method == "GET":
        return _page(request, actor, key_create=RootKeyForm())
    form = RootKeyForm(request.POST)
    if not form.is_valid():
        return _page(request, actor, status=400, key_create=form)
    passed, error = root_recent_mfa(request)
    if not passed:
        reauth = {
            "action_url": reverse("accounts:root-create-access-key"),
            "what": "create an access key for the root user",
            "keep": {"confirm": "on"},
            "error": error,
        }
        return _page(request, actor, status=403 if error else 200, reauth=reauth)
    try:
        new = create_access_key(actor=actor)
    except IamError as exc:
        return _page(request, actor, status=exc.status, action_error=exc)
    request.session[NEW_KEY_SESSION] = {
        "user": "",  # no IAM user has an empty name: this is root's key
        "root": True,
        "id": new.key.access_key_id,
        "secret": seal_for_session(request, new.secret, NEW_KEY_SESSION),
        "at": _now(),
    }
    return _page(
        request,
        actor,
        new_key={"id": new.key.access_key_id, "secret": new.secret},
        best_practices=BEST_PRACTICES,
        notice="Access key created. This is the only time the secret access key can be viewed "
        "or downloaded.",
    )


@console_login_required
@require_POST
@root_only
def root_access_key_csv(
    request: HtmxHttpRequest, access_key_id: str, *, actor: Principal
) -> HttpResponse:
    """``Access key ID,Secret access key`` as AWS's ``rootkey.csv``, once."""
    held = request.session.get(NEW_KEY_SESSION)
    if (
        not held
        or not held.get("root")
        or held.get("id") != access_key_id
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
        "rootkey.csv",
        ["Access key ID", "Secret access key"],
        [held["id"], secret],
        secrets_at=(0, 1),
    )


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
@root_only
def root_access_key_status(
    request: HtmxHttpRequest, access_key_id: str, *, actor: Principal
) -> HttpResponse:
    status = request.POST.get("status", "")
    try:
        update_access_key(actor=actor, access_key_id=access_key_id, status=status)
    except IamError as exc:
        return _page(request, actor, status=exc.status, action_error=exc)
    verb = "activated" if status == "Active" else "deactivated"
    return _after(request, actor, f"Access key {access_key_id} {verb}.")


@console_login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@root_only
def root_access_key_delete(
    request: HtmxHttpRequest, access_key_id: str, *, actor: Principal
) -> HttpResponse:
    """Delete one of root's access keys after its id is typed (as AWS's console asks)."""
    try:
        keys = {k.access_key_id: k for k in list_access_keys(actor=actor).items}
    except IamError as exc:
        return render_error(request, exc)
    key = keys.get(access_key_id)
    if key is None:
        return render_error(
            request, NoSuchEntity(f"The Access Key with id {access_key_id} cannot be found.")
        )
    confirm = {"key": key, "error": ""}
    if request.method == "GET":
        return _page(request, actor, key_delete=confirm)
    if request.POST.get("confirm", "").strip() != access_key_id:
        confirm["error"] = f"Type the access key ID {access_key_id} to confirm."
        return _page(request, actor, status=400, key_delete=confirm)
    try:
        delete_access_key(actor=actor, access_key_id=access_key_id)
    except IamError as exc:
        return _page(request, actor, status=exc.status, action_error=exc, key_delete=confirm)
    return _after(request, actor, f"Access key {access_key_id} deleted.")


# -- re-authentication with any of root's devices ----------------------------------------------

# AWS: "If MFA for your AWS account root user is lost, damaged, or not working, you can sign
# in using another MFA registered to the same root user credentials" (IAM User Guide, Root
# user best practices). The page's fresh-code step accepts a code from the device chosen in
# it, so a lost device can be removed with another one.
REAUTH_DEVICE_FIELD = "mfa_device"


def _root_devices(request: HttpRequest) -> list[MfaDevice]:
    """The signed-in root's assigned devices, oldest first (the shared step's default)."""
    return list(
        MfaDevice.objects.filter(
            user=request.user, iam_user__isnull=True, confirmed=True, enabled__isnull=False
        ).order_by("enabled", "pk")
    )


def _reauth_devices(request: HttpRequest) -> list[dict[str, str]]:
    devices = _root_devices(request)
    if len(devices) < 2:
        return []  # one device: no choice to offer
    return [{"serial": d.serial_number, "name": d.name} for d in devices]


def root_recent_mfa(request: HttpRequest) -> tuple[bool, str]:
    """``recent_mfa`` (the shared five-minute step), with the code taken from the device
    the form names when root has several. The code is checked by ``check_code`` (the
    device's growing wait, each step once), as every console code check is."""
    serial = request.POST.get(REAUTH_DEVICE_FIELD, "")
    devices = _root_devices(request)
    chosen = next((d for d in devices if d.serial_number == serial), None)
    if chosen is None or chosen.pk == devices[0].pk:
        return recent_mfa(request)  # the default device: exactly the shared step
    at = request.session.get(REAUTH_SESSION)
    if at is not None and _now() - float(at) < REAUTH_WINDOW:
        return True, ""
    code = request.POST.get("mfa_code")
    if code is None:
        return False, ""
    checked = check_code(chosen, code.strip())
    if checked.ok:
        request.session[REAUTH_SESSION] = _now()
        return True, ""
    if checked.wait:
        return False, f"Too many wrong codes. Wait {checked.wait} seconds and try again."
    return (
        False,
        "The MFA code is not valid. Wait for the next code from your device and try again.",
    )


# -- root's MFA devices -----------------------------------------------------------------------

PENDING_ROOT_MFA_SESSION = "root_pending_mfa"  # the serial of the device being assigned
MFA_WRONG_CODES = (
    "The codes are not valid: type two consecutive codes (the current one, then the next "
    "one, up to 30 seconds later)."
)
# AWS's console text for these steps could not be established from its documentation
# (the guide describes the steps, not every label): the wording below is ours.
MFA_REMOVE_LAST = (
    "This is the root user's last MFA device. The root user must have an MFA device to "
    "use this console: once it is removed, this session must assign a new device before "
    "any other page opens, and so does the next sign-in."
)
# The console's root sign-in step (accounts/views.py) takes a code from any assigned device.
MFA_REMOVE_CURRENT = (
    "This session was verified with this device: once it is removed, the console asks "
    "for a code again, from any of the remaining devices ({remaining})."
)


def _enrollment(
    actor: Principal, device: MfaDevice, form: MfaCodesForm, error: str = ""
) -> dict[str, Any]:
    return enrollment_panel(actor.account_id, device.name, device, form, error)


def _pending_device(request: HttpRequest, actor: Principal) -> MfaDevice | None:
    """This session's device being assigned: root's, in root's account, not yet enabled."""
    serial = request.session.get(PENDING_ROOT_MFA_SESSION)
    if not serial:
        return None
    return MfaDevice.objects.filter(
        account_id=actor.account_id,
        serial_number=serial,
        iam_user__isnull=True,
        enabled__isnull=True,
    ).first()


def _drop_pending(request: HttpRequest, actor: Principal) -> None:
    """Delete the unassigned device an earlier, abandoned assignment of this session made."""
    device = _pending_device(request, actor)
    request.session.pop(PENDING_ROOT_MFA_SESSION, None)
    if device is not None:
        delete_virtual_mfa_device(actor=actor, serial_number=device.serial_number)


@console_login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@root_only
def root_assign_mfa(request: HtmxHttpRequest, *, actor: Principal) -> HttpResponse:
    """Step 1: name the device (CreateVirtualMFADevice); then its QR code and secret."""
    if request.method == "GET":
        return _page(request, actor, mfa_assign=AssignMfaForm())
    form = AssignMfaForm(request.POST)
    if not form.is_valid():
        return _page(request, actor, status=400, mfa_assign=form)
    try:
        assigned = len(list_mfa_devices(actor=actor, max_items=1000).items)
        if assigned >= MFA_DEVICES_PER_USER:
            raise LimitExceeded(
                f"Cannot exceed quota for MFADevicesPerUser: {MFA_DEVICES_PER_USER}"
            )
        _drop_pending(request, actor)
        new = create_virtual_mfa_device(actor=actor, name=form.cleaned_data["device_name"])
    except IamError as exc:
        if exc.code in ("ValidationError", "EntityAlreadyExists", "InvalidInput"):
            form.add_error("device_name", exc.message)
            return _page(request, actor, status=exc.status, mfa_assign=form)
        return _page(request, actor, status=exc.status, action_error=exc, mfa_assign=form)
    request.session[PENDING_ROOT_MFA_SESSION] = new.device.serial_number
    return _page(request, actor, mfa_enroll=_enrollment(actor, new.device, MfaCodesForm()))


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
@root_only
def root_confirm_mfa(request: HtmxHttpRequest, *, actor: Principal) -> HttpResponse:
    """Step 2: two consecutive codes from the device (EnableMFADevice), as AWS asks."""
    device = _pending_device(request, actor)
    if device is None:
        error = ValidationError("No MFA device is being assigned: start again.")
        return _page(request, actor, status=400, action_error=error)
    if request.POST.get("cancel"):
        try:
            _drop_pending(request, actor)
        except IamError as exc:
            return _page(request, actor, status=exc.status, action_error=exc)
        return _after(request, actor, "MFA device assignment cancelled.")
    form = MfaCodesForm(request.POST)
    if not form.is_valid():
        return _page(request, actor, status=400, mfa_enroll=_enrollment(actor, device, form))
    # Counted before the check, on root's sign-in throttle, as the first sign-in's
    # enrollment counts its pairs (accounts/views.py): a right pair gives the attempt back.
    key = throttle.root_key(request.user.email)  # type: ignore[union-attr]
    wait = throttle.begin_attempt(key)
    if wait:
        enroll = _enrollment(actor, device, form, throttle.wait_message(wait))
        response = _page(request, actor, status=429, mfa_enroll=enroll)
        response["Retry-After"] = str(wait)
        return response
    try:
        enable_mfa_device(
            actor=actor,
            user_name=None,
            serial_number=device.serial_number,
            code1=form.cleaned_data["code1"].strip(),
            code2=form.cleaned_data["code2"].strip(),
        )
    except IamError as exc:
        message = MFA_WRONG_CODES if exc.code == "InvalidAuthenticationCode" else exc.message
        enroll = _enrollment(actor, device, MfaCodesForm(), message)
        return _page(request, actor, status=exc.status, mfa_enroll=enroll)
    throttle.refund_attempt(key)
    request.session.pop(PENDING_ROOT_MFA_SESSION, None)
    return _after(request, actor, f"MFA device {device.name} assigned.")


def _end_mfa_verification(request: HttpRequest) -> None:
    """The session's MFA device is gone: keep the password step only (a new session key).

    django-otp would also stop trusting a deleted device on the next request; this makes
    it explicit and immediate, and drops the five-minute re-authentication with it.
    """
    for key in (
        DEVICE_ID_SESSION_KEY,
        MFA_AUTH_TIME_KEY,
        REAUTH_SESSION,
        NEW_KEY_SESSION,
        PENDING_ROOT_MFA_SESSION,
    ):
        request.session.pop(key, None)
    request.session.cycle_key()


@console_login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@root_only
def root_remove_mfa(request: HtmxHttpRequest, *, actor: Principal) -> HttpResponse:
    """Remove one of root's MFA devices: confirm, a fresh MFA code, then
    DeactivateMFADevice and DeleteVirtualMFADevice in one transaction."""
    data = request.POST if request.method == "POST" else request.GET
    serial = data.get("serial_number", "")[:1200]
    try:
        devices = list(list_mfa_devices(actor=actor, max_items=1000).items)
    except IamError as exc:
        return render_error(request, exc)
    device = next((d for d in devices if d.serial_number == serial), None)
    if device is None:
        return render_error(
            request, NoSuchEntity(f"MFA Device with serial number {serial} does not exist.")
        )
    current = request.session.get(DEVICE_ID_SESSION_KEY) == device.persistent_id
    remaining = [d for d in _root_devices(request) if d.pk != device.pk]
    confirm = {
        "device": device,
        "last": len(devices) == 1,
        "current": current and bool(remaining),
        "last_warning": MFA_REMOVE_LAST,
        "current_warning": MFA_REMOVE_CURRENT.format(
            remaining=", ".join(d.name for d in remaining)
        ),
    }
    if request.method == "GET" or not data.get("confirm"):
        return _page(request, actor, mfa_remove=confirm)
    passed, error = root_recent_mfa(request)
    if not passed:
        reauth = {
            "action_url": reverse("accounts:root-remove-mfa"),
            "what": f"remove the MFA device {device.name}",
            "keep": {"serial_number": serial, "confirm": "on"},
            "error": error,
        }
        return _page(request, actor, status=403 if error else 200, reauth=reauth)
    try:
        run_batch(
            actor,
            [
                (deactivate_mfa_device, {"user_name": None, "serial_number": serial}),
                (delete_virtual_mfa_device, {"serial_number": serial}),
            ],
        )
    except IamError as exc:
        return _page(request, actor, status=exc.status, action_error=exc)
    if current or len(devices) == 1:
        # The MFA this session passed is gone: back to the MFA step, which sends a root
        # without devices on to enrollment (accounts:signin-mfa-enroll).
        _end_mfa_verification(request)
        url = reverse("accounts:signin-mfa")
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(url)
        return redirect(url)
    return _after(request, actor, f"MFA device {device.name} removed.")


def _after(request: HtmxHttpRequest, actor: Principal, notice: str) -> HttpResponse:
    """htmx: the page part again with the notice; without JS: PRG with a message."""
    if getattr(request, "htmx", False):
        return _page(request, actor, notice=notice)
    messages.success(request, notice)
    return redirect("accounts:root-security-credentials")


urlpatterns = [
    path("security_credentials/", root_security_credentials, name="root-security-credentials"),
    path("security_credentials/mfa/assign/", root_assign_mfa, name="root-assign-mfa"),
    path("security_credentials/mfa/confirm/", root_confirm_mfa, name="root-confirm-mfa"),
    path("security_credentials/mfa/remove/", root_remove_mfa, name="root-remove-mfa"),
    path(
        "security_credentials/access-keys/create/",
        root_create_access_key,
        name="root-create-access-key",
    ),
    path(
        "security_credentials/access-keys/<str:access_key_id>/status/",
        root_access_key_status,
        name="root-access-key-status",
    ),
    path(
        "security_credentials/access-keys/<str:access_key_id>/delete/",
        root_access_key_delete,
        name="root-access-key-delete",
    ),
    path(
        "security_credentials/access-keys/<str:access_key_id>/rootkey.csv",
        root_access_key_csv,
        name="root-access-key-csv",
    ),
]
