"""Switch role: an IAM user takes on a role in the console, and switches back.

As "Switch to an IAM role (console)"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-console.html):

- the form asks for the account (id or alias), the role name (with its path, if
  any) and an optional display name; ``?account=&roleName=&displayName=`` prefill
  it as AWS's switch-role links do (a GET never switches);
- the switch is the ``AssumeRole`` operation with the *original* credentials,
  whatever role is active ("the console always uses your original credentials to
  authorize the switch"): the role's trust policy and, where AWS asks for it, the
  user's ``sts:AssumeRole`` permission decide, across accounts too. The session
  name is the user's name, as the console does. Console role sessions last one
  hour;
- the root user cannot switch roles (AssumeRole refuses root);
- a failed switch shows AWS's console message, which does not say which field
  was wrong (no role or account enumeration); the attempt is audited;
- the last five roles are kept in the session as "Role history" shortcuts.

The session then holds ``{"kind": "assumed-role", "credential_id", …, "original"}``;
iamconsole/console.py builds the role session's principal from the credential
and falls back to ``original`` when it expires. The session key rotates at every
switch (the privileges change).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.errors import IamError
from accounts.models import Account
from accounts.operations.sts import assume_role
from accounts.pages.user_signin import resolve_account
from iamconsole.console import (
    IDENTITY_KEY,
    console_login_required,
    end_role_session,
    original_identity,
    original_principal,
)

ROLE_HISTORY_KEY = "iam_role_history"
HISTORY_MAX = 5  # the AWS console keeps the last five roles
CONSOLE_SESSION_SECONDS = 3600
# The AWS console's answer to any failed switch.
SWITCH_FAILED = (
    "Invalid information in one or more fields. Check your information or contact your "
    "administrator."
)
ROOT_REFUSED = "You cannot switch roles while signed in as the root user. Sign in as an IAM user."
# The switch-role form's display colours (the AWS console offers these five, or none;
# the exact shades it uses are not documented: ours are in static/css/console.css).
DISPLAY_COLORS = [
    ("", "None"),
    ("red", "Red"),
    ("orange", "Orange"),
    ("yellow", "Yellow"),
    ("green", "Green"),
    ("blue", "Blue"),
]
COLOR_NAMES = frozenset(value for value, _ in DISPLAY_COLORS if value)
# Role names: [\w+=,.@-]{1,64}; paths: "/" or /segments/ of the same characters.
_ROLE_RE = re.compile(r"(?:[\w+=,.@-]+/){0,32}[\w+=,.@-]{1,64}", re.ASCII)


class SwitchRoleForm(forms.Form):
    account = forms.CharField(
        label="Account ID or alias",
        max_length=63,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    role = forms.CharField(
        label="IAM role name",
        max_length=576,
        help_text="With its path when it has one, for example engineering/ReadOnly.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    display_name = forms.CharField(
        label="Display name (optional)",
        max_length=64,
        required=False,
        help_text="Shown in the console header while you use the role.",
    )

    color = forms.ChoiceField(
        label="Display color (optional)",
        choices=DISPLAY_COLORS,
        required=False,
        initial="",
        widget=forms.RadioSelect,
        help_text="Marks the console header while you use the role.",
    )

    def clean_account(self) -> str:
        return self.cleaned_data["account"].strip().lower()

    def clean_role(self) -> str:
        role = self.cleaned_data["role"].strip().strip("/")
        if not _ROLE_RE.fullmatch(role):
            raise forms.ValidationError(
                "Role names use letters, digits and + = , . @ _ - (a path adds / between parts)."
            )
        return role

    def clean_display_name(self) -> str:
        return self.cleaned_data.get("display_name", "").strip()


def role_history(request: HttpRequest) -> list[dict[str, str]]:
    history = request.session.get(ROLE_HISTORY_KEY)
    return [h for h in history if isinstance(h, dict)] if isinstance(history, list) else []


def _remember(request: HttpRequest, entry: dict[str, str]) -> None:
    same = (entry["account"], entry["role"].lower())
    rest = [
        h for h in role_history(request) if (h.get("account"), h.get("role", "").lower()) != same
    ]
    request.session[ROLE_HISTORY_KEY] = [entry, *rest][:HISTORY_MAX]


def _render(
    request: HttpRequest,
    form: SwitchRoleForm,
    *,
    error: str = "",
    status: int = 200,
    hint: dict[str, str] | None = None,
) -> HttpResponse:
    identity = original_identity(request)
    template = "accounts/switch_role/switch.html"
    if getattr(request, "htmx", False):
        template += "#form"
    context: dict[str, Any] = {
        "form": form,
        "error": error,
        "history": role_history(request),
        "is_root": identity.get("kind") == "root",
        "signed_in_as": identity.get("user_name") or "root",
        "hint": hint,
    }
    return render(request, template, context, status=status)


@console_login_required
@require_http_methods(["GET", "POST"])
def switch_role(request: HttpRequest) -> HttpResponse:
    """The Switch role form (GET prefills it; POST switches)."""
    if request.method == "GET":
        initial = {
            "account": request.GET.get("account", "")[:63],
            "role": request.GET.get("roleName", "")[:576],
            "display_name": request.GET.get("displayName", "")[:64],
            "color": request.GET.get("color", "")
            if request.GET.get("color") in COLOR_NAMES
            else "",
        }
        return _render(request, SwitchRoleForm(initial=initial))

    form = SwitchRoleForm(request.POST)
    if not form.is_valid():
        return _render(request, form)
    actor = original_principal(request)
    if actor.is_root:
        return _render(request, form, error=ROOT_REFUSED, status=403)
    data = form.cleaned_data
    account: Account | None = resolve_account(data["account"])
    # An unknown alias still goes through AssumeRole with an account id that
    # matches nothing, so it is refused and audited exactly like a missing role.
    account_id = account.id if account else "000000000000"
    role_arn = f"arn:aws:iam::{account_id}:role/{data['role']}"
    try:
        new = assume_role(
            actor=actor,
            role_arn=role_arn,
            session_name=actor.user_name,
            duration_seconds=CONSOLE_SESSION_SECONDS,
        )
    except IamError as exc:
        status = 403 if exc.code == "AccessDenied" else exc.status
        # What a switch needs, built only from what the caller typed and their own ARN:
        # the same text whether the role is missing, untrusting or not permitted (the
        # refusal's own message, which names the deciding policy, stays in the trail).
        hint = {
            "caller": actor.arn,
            "role_arn": f"arn:aws:iam::{data['account']}:role/{data['role']}"
            if account is None
            else role_arn,
        }
        return _render(request, form, error=SWITCH_FAILED, status=status, hint=hint)

    role = new.credential.role
    assert role is not None
    account_label = data["account"]
    display = data["display_name"] or f"{role.name} @ {account_label}"[:64]
    request.session.cycle_key()
    request.session[IDENTITY_KEY] = {
        "kind": "assumed-role",
        "credential_id": new.credential.pk,
        "display_name": display,
        "role_name": role.name,
        "role_account": role.account_id,
        "account_label": account_label,
        "color": data.get("color") or "",
        "original": original_identity(request),
    }
    request.__dict__.pop("_iam_principal", None)
    _remember(
        request,
        {
            "account": account_label,
            "role": data["role"],
            "display_name": display,
            "color": data.get("color") or "",
        },
    )
    messages.success(request, f"You are now using the role {role.name} in {account_label}.")
    if getattr(request, "htmx", False):
        # The whole console changes identity: load a full page, not a fragment.
        return HttpResponseClientRedirect(reverse("iamconsole:dashboard"))
    return redirect("iamconsole:dashboard")


@console_login_required
@require_POST
def switch_role_back(request: HttpRequest) -> HttpResponse:
    """Back to the signed-in identity ("Switch back")."""
    if end_role_session(request):
        request.session.cycle_key()
        name = original_identity(request).get("user_name", "")
        messages.info(request, f"You are back to your own identity, {name}.")
    return redirect("iamconsole:dashboard")


urlpatterns = [
    path("switchrole/", switch_role, name="switch-role"),
    path("switchrole/back/", switch_role_back, name="switch-role-back"),
]
