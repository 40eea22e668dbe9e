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
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.errors import AccessDenied, IamError, NoSuchEntity
from accounts.models import Account, ConsoleUser
from accounts.operations.credentials import (
    create_access_key,
    delete_access_key,
    list_access_keys,
    list_mfa_devices,
    update_access_key,
)
from accounts.pages.access_keys import BEST_PRACTICES, RootKeyForm
from accounts.pages.user_detail import NEW_KEY_SESSION, SECRET_TTL, forget_secrets, signin_url
from accounts.pages.users_credentials import SecretGone, _now, csv_response, recent_mfa
from accounts.principal import Principal
from iamconsole.console import console_login_required, principal_of
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
    context: dict[str, Any] = {
        "account": account,
        "root_email": root.email if root else "",
        "signin_url": signin_url(request, account.id),
        "root_arn": account.root_arn,
        "mfa_devices": section(lambda: list(list_mfa_devices(actor=actor).items)),
        "access_keys": keys,
        "key_quota_reached": len(keys.value or []) >= 2,
        "warning": ROOT_KEY_WARNING,
        **extra,
    }
    template = TEMPLATE
    if getattr(request, "htmx", False):
        template += "#credentials"
    return render(request, template, context, status=status)


def _root_or_redirect(request: HttpRequest) -> tuple[Principal | None, HttpResponse | None]:
    actor = principal_of(request)
    if actor.kind == "root":
        return actor, None
    if actor.kind == "user":
        url = reverse("accounts:user-detail-tab", args=[actor.user_name, "security-credentials"])
        return None, redirect(url)
    return None, render_error(request, ROLE_SESSION)


@console_login_required
@require_GET
@vary_on_headers("HX-Request")
def root_security_credentials(request: HtmxHttpRequest) -> HttpResponse:
    actor, other = _root_or_redirect(request)
    if actor is None:
        assert other is not None
        return other
    forget_secrets(request)  # a one-time secret does not survive a visit to the page
    return _page(request, actor)


@console_login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def root_create_access_key(request: HtmxHttpRequest) -> HttpResponse:
    """AWS's warning and acknowledgement, a fresh MFA code, then CreateAccessKey."""
    actor, other = _root_or_redirect(request)
    if actor is None:
        assert other is not None
        return other
    if request.method == "GET":
        return _page(request, actor, key_create=RootKeyForm())
    form = RootKeyForm(request.POST)
    if not form.is_valid():
        return _page(request, actor, status=400, key_create=form)
    passed, error = recent_mfa(request)
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
def root_access_key_csv(request: HtmxHttpRequest, access_key_id: str) -> HttpResponse:
    """``Access key ID,Secret access key`` as AWS's ``rootkey.csv``, once."""
    actor, other = _root_or_redirect(request)
    if actor is None:
        assert other is not None
        return other
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
def root_access_key_status(request: HtmxHttpRequest, access_key_id: str) -> HttpResponse:
    actor, other = _root_or_redirect(request)
    if actor is None:
        assert other is not None
        return other
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
def root_access_key_delete(request: HtmxHttpRequest, access_key_id: str) -> HttpResponse:
    """Delete one of root's access keys after its id is typed (as AWS's console asks)."""
    actor, other = _root_or_redirect(request)
    if actor is None:
        assert other is not None
        return other
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


def _after(request: HtmxHttpRequest, actor: Principal, notice: str) -> HttpResponse:
    """htmx: the page part again with the notice; without JS: PRG with a message."""
    if getattr(request, "htmx", False):
        return _page(request, actor, notice=notice)
    messages.success(request, notice)
    return redirect("accounts:root-security-credentials")


urlpatterns = [
    path("security_credentials/", root_security_credentials, name="root-security-credentials"),
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
