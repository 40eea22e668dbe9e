from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import Account
from iamconsole.console import IDENTITY_KEY
from labs.pages.trainee import lab_nav


def console(request: HttpRequest) -> dict[str, Any]:
    """The signed-in identity and its account for the header, when there is one.

    ``request.principal`` is set by ``console_login_required``: pages outside the
    console (sign-in, sign-up) get no header identity.
    """
    principal = getattr(request, "principal", None)

    def account() -> Any:
        if principal is None:
            return None
        return Account.objects.filter(pk=principal.account_id).first()

    # Plain paths, not URL names: the pages behind them come in later work.
    path = request.path
    nav = [
        (label, href, path == href if href == "/" else path.startswith(href)) for label, href in NAV
    ]
    return {
        "principal": principal,
        "console_account": SimpleLazyObject(account),
        "console_nav": nav,
        "role_session": _role_session(request, principal),
        # The training lab's "Lab" link when the account is a seat (one query, lazily).
        "lab_seat": SimpleLazyObject(lambda: lab_nav(request)) if principal else None,
    }


def _role_session(request: HttpRequest, principal: Any) -> dict[str, str] | None:
    """The active "Switch role" session for the header: display name, role, account, and
    who switched (``None`` outside a role session)."""
    if principal is None or principal.kind != "assumed-role":
        return None

    identity = request.session.get(IDENTITY_KEY) or {}
    original = identity.get("original") or {}
    return {
        "display_name": str(identity.get("display_name", "")),
        "role_name": str(identity.get("role_name", "")),
        "account_label": str(identity.get("account_label", principal.account_id)),
        "original_name": str(original.get("user_name", "")),
        # Switch role's display colour: one of the form's names, else none (a CSS class).
        "color": color if (color := str(identity.get("color", ""))) in ROLE_COLORS else "",
    }


ROLE_COLORS = frozenset({"red", "orange", "yellow", "green", "blue"})  # switch_role.DISPLAY_COLORS

NAV = [
    ("Dashboard", "/"),
    ("User groups", "/groups/"),
    ("Users", "/users/"),
    ("Roles", "/roles/"),
    ("Policies", "/policies/"),
    ("Identity providers", "/identity-providers/"),
    ("AWS Organizations", "/organizations/"),
    ("Access Analyzer", "/access-analyzer/"),
    ("Account settings", "/account/"),
    ("Event history", "/events/"),
]
