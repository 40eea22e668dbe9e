"""Account settings: alias and sign-in URL, password policy, the root user's MFA.

Every read and change goes through an operation, so an IAM user (or role session)
is authorized like any API caller: with IAMReadOnlyAccess the page shows
everything it may read, and each change answers AWS's AccessDenied message in
place with a 403. What may not be read says so in its own section.

- Alias: CreateAccountAlias (a new alias replaces the old one, as in AWS), and
  DeleteAccountAlias. The sign-in URL for IAM users follows the alias.
- Password policy: UpdateAccountPasswordPolicy with the console's fields and
  AWS's ranges (minimum length 6-128, expiry 1-1095 days, reuse 1-24 passwords;
  "Setting an account password policy for IAM users",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html),
  and DeleteAccountPasswordPolicy ("reset to the IAM default").
- Root MFA: root only (AWS lets nobody else manage the root user's credentials):
  the assigned devices and their resynchronization (ResyncMFADevice). MFA is mandatory
  for root here: devices are assigned and removed on root's Security credentials
  page, and once the last one is removed a new one is enrolled before any page opens.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.errors import AccessDenied, IamError, NoSuchEntity
from accounts.forms import MfaEnrollForm
from accounts.models import Account, PasswordPolicy
from accounts.operations.account import (
    create_account_alias,
    delete_account_alias,
    delete_account_password_policy,
    get_account_password_policy,
    list_account_aliases,
    update_account_password_policy,
)
from accounts.operations.credentials import list_mfa_devices, resync_mfa_device
from accounts.pages.user_signin import signin_url
from accounts.principal import Principal
from iamconsole.console import authorize_page, console_login_required, principal_of

TEMPLATE = "accounts/settings/page.html"
ROOT_ONLY = "Only the root user can view and manage the root user's MFA devices."


# -- forms -------------------------------------------------------------------------------


class AliasForm(forms.Form):
    # Checked by CreateAccountAlias itself, so the page shows AWS's own message.
    alias = forms.CharField(
        label="Account alias",
        max_length=200,
        help_text="3-63 lower-case letters, digits and hyphens; unique in this installation.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


def _number(label: str, low: int, high: int, **kw: Any) -> forms.IntegerField:
    message = f"Enter a whole number from {low} to {high}."
    return forms.IntegerField(
        label=label,
        min_value=low,
        max_value=high,
        error_messages={"min_value": message, "max_value": message, "invalid": message},
        widget=forms.NumberInput(attrs={"min": low, "max": high}),
        **kw,
    )


class PasswordPolicyForm(forms.Form):
    """The console's custom password policy fields, with AWS's ranges."""

    minimum_password_length = _number("Password minimum length", 6, 128, initial=8)
    require_uppercase_characters = forms.BooleanField(
        label="Require at least one uppercase letter from the Latin alphabet (A-Z)",
        required=False,
    )
    require_lowercase_characters = forms.BooleanField(
        label="Require at least one lowercase letter from the Latin alphabet (a-z)",
        required=False,
    )
    require_numbers = forms.BooleanField(label="Require at least one number", required=False)
    require_symbols = forms.BooleanField(
        label="Require at least one non-alphanumeric character", required=False
    )
    expire_passwords = forms.BooleanField(label="Turn on password expiration", required=False)
    max_password_age = _number("Expire passwords in (days)", 1, 1095, required=False)
    hard_expiry = forms.BooleanField(
        label="Password expiration requires administrator reset", required=False
    )
    allow_users_to_change_password = forms.BooleanField(
        label="Allow users to change their own password", required=False
    )
    prevent_reuse = forms.BooleanField(label="Prevent password reuse", required=False)
    password_reuse_prevention = _number("Remember passwords", 1, 24, required=False)

    CHECKS = (
        "require_uppercase_characters",
        "require_lowercase_characters",
        "require_numbers",
        "require_symbols",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("expire_passwords") and not data.get("max_password_age"):
            if "max_password_age" not in self.errors:
                self.add_error("max_password_age", "Enter a whole number from 1 to 1095.")
        if data.get("prevent_reuse") and not data.get("password_reuse_prevention"):
            if "password_reuse_prevention" not in self.errors:
                self.add_error("password_reuse_prevention", "Enter a whole number from 1 to 24.")
        return data

    @classmethod
    def initial_from(cls, policy: PasswordPolicy | None) -> dict[str, Any]:
        if policy is None:
            return {"minimum_password_length": 8}
        return {
            "minimum_password_length": policy.minimum_password_length,
            **{name: getattr(policy, name) for name in cls.CHECKS},
            "expire_passwords": policy.max_password_age is not None,
            "max_password_age": policy.max_password_age,
            "hard_expiry": policy.hard_expiry,
            "allow_users_to_change_password": policy.allow_users_to_change_password,
            "prevent_reuse": policy.password_reuse_prevention is not None,
            "password_reuse_prevention": policy.password_reuse_prevention,
        }

    def operation_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "minimum_password_length": data["minimum_password_length"],
            **{name: data[name] for name in self.CHECKS},
            "max_password_age": data["max_password_age"] if data["expire_passwords"] else None,
            "hard_expiry": bool(data["expire_passwords"] and data["hard_expiry"]),
            "allow_users_to_change_password": data["allow_users_to_change_password"],
            "password_reuse_prevention": (
                data["password_reuse_prevention"] if data["prevent_reuse"] else None
            ),
        }


class ResyncForm(MfaEnrollForm):
    """ResyncMFADevice: two consecutive codes, as EnableMFADevice asks."""

    serial_number = forms.CharField(widget=forms.HiddenInput, max_length=1200)


# -- page context ----------------------------------------------------------------------------


def _read_alias(actor: Principal, ctx: dict[str, Any]) -> None:
    try:
        aliases = list_account_aliases(actor=actor)
    except AccessDenied as exc:
        ctx["alias_denied"] = exc.message
        return
    ctx["alias"] = aliases[0] if aliases else None


def _read_policy(actor: Principal, ctx: dict[str, Any]) -> None:
    try:
        policy: PasswordPolicy | None = None
        if PasswordPolicy.objects.filter(account_id=actor.account_id).exists():
            policy = get_account_password_policy(actor=actor)
        else:
            # The IAM default applies: the same permission is needed to learn that,
            # but no NoSuchEntity error is written to the trail at every page view.
            authorize_page(actor, "iam:GetAccountPasswordPolicy", "*")
    except NoSuchEntity:
        policy = None  # deleted meanwhile: the IAM default policy applies
    except AccessDenied as exc:
        ctx["policy_denied"] = exc.message
        return
    ctx["policy"] = policy
    ctx.setdefault(
        "policy_form", PasswordPolicyForm(initial=PasswordPolicyForm.initial_from(policy))
    )


def _read_root_mfa(actor: Principal, ctx: dict[str, Any]) -> None:
    if not actor.is_root:
        ctx["mfa_root_only"] = ROOT_ONLY
        return
    devices = list(list_mfa_devices(actor=actor, max_items=1000).items)
    ctx["root_devices"] = devices
    ctx.setdefault("resync_serial", devices[0].serial_number if devices else "")
    ctx.setdefault("resync_form", ResyncForm(initial={"serial_number": ctx["resync_serial"]}))


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    actor = principal_of(request)
    account = Account.objects.get(pk=actor.account_id)
    ctx: dict[str, Any] = {
        "actor": actor,
        "account": account,
        "alias_form": AliasForm(),
        **extra,
    }
    _read_alias(actor, ctx)
    # The sign-in URL uses the alias the caller may read (the id otherwise).
    ctx["signin_url"] = signin_url(request, Account(id=account.id, alias=ctx.get("alias")))
    _read_policy(actor, ctx)
    _read_root_mfa(actor, ctx)
    return ctx


def _respond(request: HttpRequest, section: str, status: int, **extra: Any) -> HttpResponse:
    """A refused change: the section's fragment for htmx, else the whole page, with the
    status AWS answers (400 validation, 403 AccessDenied, 404, 409)."""
    template = TEMPLATE
    if getattr(request, "htmx", False):
        template += f"#{section}"
    return render(request, template, _context(request, **extra), status=status)


def _failed(request: HttpRequest, section: str, exc: IamError, **extra: Any) -> HttpResponse:
    return _respond(request, section, exc.status, **{f"{section}_error": exc.message}, **extra)


def _done(request: HttpRequest, section: str, notice: str) -> HttpResponse:
    """A change made: the refreshed section for htmx, else back to the page with a message."""
    if getattr(request, "htmx", False):
        return render(
            request, f"{TEMPLATE}#{section}", _context(request, **{f"{section}_notice": notice})
        )
    messages.success(request, notice)
    return redirect("accounts:account-settings")


# -- views -------------------------------------------------------------------------------


@console_login_required
@require_GET
def account_settings(request: HttpRequest) -> HttpResponse:
    """The account settings page; 403 when the caller may read none of its sections."""
    context = _context(request)
    nothing = (
        "alias_denied" in context and "policy_denied" in context and "mfa_root_only" in context
    )
    return render(request, TEMPLATE, context, status=403 if nothing else 200)


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def alias_save(request: HttpRequest) -> HttpResponse:
    """Create or change the account alias (CreateAccountAlias replaces the old one)."""
    form = AliasForm(request.POST)
    if not form.is_valid():
        return _respond(request, "alias", 400, alias_form=form)
    alias = form.cleaned_data["alias"].strip()
    try:
        create_account_alias(actor=principal_of(request), alias=alias)
    except IamError as exc:
        return _failed(request, "alias", exc, alias_form=form)
    return _done(request, "alias", f"The account alias is now {alias}.")


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def alias_delete(request: HttpRequest) -> HttpResponse:
    """Delete the account alias: the sign-in URL goes back to the account id."""
    alias = request.POST.get("alias", "")[:200]
    try:
        delete_account_alias(actor=principal_of(request), alias=alias)
    except IamError as exc:
        return _failed(request, "alias", exc)
    return _done(request, "alias", "The account alias was deleted.")


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def password_policy_save(request: HttpRequest) -> HttpResponse:
    """Save the custom password policy (UpdateAccountPasswordPolicy)."""
    form = PasswordPolicyForm(request.POST)
    if not form.is_valid():
        return _respond(request, "policy", 400, policy_form=form, policy_open=True)
    try:
        update_account_password_policy(actor=principal_of(request), **form.operation_kwargs())
    except IamError as exc:
        return _failed(request, "policy", exc, policy_form=form, policy_open=True)
    return _done(request, "policy", "The password policy was saved.")


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def password_policy_delete(request: HttpRequest) -> HttpResponse:
    """Back to the IAM default policy (DeleteAccountPasswordPolicy)."""
    try:
        delete_account_password_policy(actor=principal_of(request))
    except IamError as exc:
        return _failed(request, "policy", exc)
    return _done(request, "policy", "The account now uses the IAM default password policy.")


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def root_mfa_resync(request: HttpRequest) -> HttpResponse:
    """Resynchronize the root user's virtual MFA device with two consecutive codes."""
    actor = principal_of(request)
    if not actor.is_root:
        return _respond(request, "mfa", 403, mfa_error=ROOT_ONLY)
    form = ResyncForm(request.POST)
    if not form.is_valid():
        return _respond(request, "mfa", 400, resync_form=form)
    try:
        resync_mfa_device(
            actor=actor,
            user_name=None,
            serial_number=form.cleaned_data["serial_number"],
            code1=form.cleaned_data["code1"],
            code2=form.cleaned_data["code2"],
        )
    except IamError as exc:
        return _failed(request, "mfa", exc, resync_form=form)
    return _done(request, "mfa", "The MFA device was resynchronized.")


urlpatterns = [
    path("account/", account_settings, name="account-settings"),
    path("account/alias/", alias_save, name="account-alias"),
    path("account/alias/delete/", alias_delete, name="account-alias-delete"),
    path("account/password-policy/", password_policy_save, name="account-password-policy"),
    path(
        "account/password-policy/delete/",
        password_policy_delete,
        name="account-password-policy-delete",
    ),
    path("account/root-mfa/resync/", root_mfa_resync, name="account-root-mfa-resync"),
]
