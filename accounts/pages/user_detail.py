"""What the user pages share (no views here): the detail page with its tabs and what an
action on it answers (``render_detail``, ``after_action``), finding the named user, the
sign-in URL, and the one-time secrets (new password, new access key) kept for their .csv
download.

users.py (list, detail, groups tab, delete), users_credentials.py (passwords, keys, MFA),
users_wizard.py (create) and the shared permissions views (permissions.py) use these.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django_htmx.http import trigger_client_event

from accounts.errors import IamError
from accounts.models import Account, Group, IamUser, PasswordPolicy
from accounts.operations.advisor import get_service_last_accessed
from accounts.operations.common import find_user
from accounts.operations.credentials import list_access_keys, list_mfa_devices
from accounts.operations.groups import list_groups, list_groups_for_user
from accounts.operations.user_credentials import (
    list_service_specific_credentials,
    list_signing_certificates,
    list_ssh_public_keys,
)
from accounts.operations.users import get_user, list_user_tags
from accounts.pages.access_keys import key_descriptions
from accounts.pages.entity import HIDDEN, tab_links, tab_url
from accounts.principal import Principal
from iamconsole.console import principal_of
from iamconsole.pages import HtmxHttpRequest, Section, render_error, section
from iamconsole.session_secrets import seal_for_session
from policies.authorization import permission_checker
from policies.operations import (
    list_attached_group_policies,
    list_attached_user_policies,
    list_group_policies,
    list_user_policies,
)

# Symbols AWS allows in IAM passwords ("Setting an account password policy for IAM users").
PASSWORD_SYMBOLS = "!@#$%^&*()_+-=[]{}|'"
BACK = (reverse_lazy("accounts:user-list"), "Users")  # the error page's breadcrumb
# Secrets kept in the session for a one-time .csv download are dropped after this.
SECRET_TTL = 600
NEW_KEY_SESSION = "users_new_access_key"
NEW_PASSWORD_SESSION = "users_new_password"


def _now() -> float:
    # Through django.utils.timezone, so tests can move the clock.
    return timezone.now().timestamp()


# -- helpers -----------------------------------------------------------------------


def lookup_user(request: HttpRequest, user_name: str) -> IamUser:
    """The named user of the caller's account, or NoSuchEntity (404): no authorization here,
    the operation a view calls next decides. Other accounts' users never exist."""
    return find_user(principal_of(request).account_id, user_name)


def signin_url(request: HttpRequest, account_id: str) -> str:
    account = Account.objects.get(pk=account_id)
    return request.build_absolute_uri(f"/signin/{account.alias or account.id}/")


def forget_secrets(request: HttpRequest, *, stale_only: bool = False) -> None:
    """Drop one-time secrets (new access key, new password) kept for their .csv download."""
    now = _now()
    for key in (NEW_KEY_SESSION, NEW_PASSWORD_SESSION):
        held = request.session.get(key)
        if held is not None and (not stale_only or now - held.get("at", 0) > SECRET_TTL):
            del request.session[key]


def age_days(value: datetime | None) -> int | None:
    if value is None:
        return None
    return max(0, (timezone.now() - value).days)


def detail_url(user_name: str, tab: str = "permissions") -> str:
    return tab_url("user", user_name, tab)


# -- the security credentials tab -------------------------------------------------------------------------------


def credentials_context(request: HttpRequest, user: IamUser) -> dict[str, Any]:
    actor = principal_of(request)
    allowed = permission_checker(actor)
    console = user.console
    see_login = allowed("iam:GetLoginProfile", user.arn)
    keys = section(lambda: list(list_access_keys(actor=actor, user_name=user.name).items))
    return {
        "login": {
            "visible": see_login,
            "enabled": console.login_profile_created is not None,
            "created": console.login_profile_created,
            "reset_required": console.password_reset_required,
            "last_used": user.password_last_used,
        }
        if see_login
        else None,
        "signin_url": signin_url(request, user.account_id),
        "mfa_devices": section(
            lambda: list(list_mfa_devices(actor=actor, user_name=user.name).items)
        ),
        "access_keys": keys,
        # The console's key descriptions: tags on the user keyed by the access key id.
        "key_descriptions": key_descriptions(user.tags),
        "key_use_visible": allowed("iam:GetAccessKeyLastUsed", user.arn),
        "key_quota_reached": len(keys.value or []) >= 2,
        # SSH keys, signing certificates, service-specific credentials
        # (accounts/pages/users_credentials.py has their views).
        "ssh_keys": section(
            lambda: list(list_ssh_public_keys(actor=actor, user_name=user.name).items)
        ),
        "signing_certificates": section(
            lambda: list(list_signing_certificates(actor=actor, user_name=user.name).items)
        ),
        "service_credentials": section(
            lambda: list(list_service_specific_credentials(actor=actor, user_name=user.name).items)
        ),
    }


# -- one-time passwords -----------------------------------------------------------------


def generate_password(account_id: str) -> str:
    """A random password that meets any password policy: every character class, and at
    least 20 characters (more if the policy's minimum is higher)."""
    policy = PasswordPolicy.objects.filter(account_id=account_id).first()
    length = max(20, policy.minimum_password_length if policy else 0)
    classes = [string.ascii_uppercase, string.ascii_lowercase, string.digits, PASSWORD_SYMBOLS]
    chars = [secrets.choice(c) for c in classes]
    everything = "".join(classes)
    chars += [secrets.choice(everything) for _ in range(length - len(chars) - 1)]
    secrets.SystemRandom().shuffle(chars)
    # A letter first: easier to copy, and never read as a spreadsheet formula.
    return secrets.choice(string.ascii_letters) + "".join(chars)


def remember_password(request: HttpRequest, user: IamUser, password: str) -> dict[str, str]:
    """Keep a new password for its one .csv download; returns what the page shows once."""
    shown = {
        "user": user.name,
        "password": password,
        "signin_url": signin_url(request, user.account_id),
    }
    sealed = seal_for_session(request, password, NEW_PASSWORD_SESSION)
    request.session[NEW_PASSWORD_SESSION] = {**shown, "password": sealed, "at": _now()}
    return shown


# -- user detail ---------------------------------------------------------------------------


@dataclass
class GroupPolicies:
    group: Group
    attached: Section = field(default_factory=Section)
    inline: Section = field(default_factory=Section)


def _permissions_context(actor: Principal, user: IamUser) -> dict[str, Any]:
    name = user.name
    groups = section(lambda: list(list_groups_for_user(actor=actor, user_name=name).items))
    from_groups = []
    for g in groups.value or []:
        from_groups.append(
            GroupPolicies(
                group=g,
                attached=section(
                    lambda g=g: list(
                        list_attached_group_policies(actor=actor, group_name=g.name).items
                    )
                ),
                inline=section(
                    lambda g=g: list(list_group_policies(actor=actor, group_name=g.name).items)
                ),
            )
        )
    attached = section(lambda: list(list_attached_user_policies(actor=actor, user_name=name).items))
    inline = section(lambda: list(list_user_policies(actor=actor, user_name=name).items))
    any_policies = bool(attached.value or inline.value) or any(
        gp.attached.value or gp.inline.value for gp in from_groups
    )
    return {
        "attached": attached,
        "inline": inline,
        "group_section": groups,
        "from_groups": from_groups,
        "any_policies": any_policies,
    }


def _groups_context(actor: Principal, user: IamUser) -> dict[str, Any]:
    member = section(lambda: list(list_groups_for_user(actor=actor, user_name=user.name).items))
    names = {g.name for g in member.value or []}
    available = section(
        lambda: [g for g in list_groups(actor=actor, max_items=1000).items if g.name not in names]
    )
    return {"member_groups": member, "available_groups": available}


def _tags_context(actor: Principal, user: IamUser) -> dict[str, Any]:
    return {"tags": section(lambda: list_user_tags(actor=actor, name=user.name))}


def _advisor_context(actor: Principal, user: IamUser) -> dict[str, Any]:
    return {
        "services": section(lambda: get_service_last_accessed(actor=actor, user_name=user.name))
    }


def _summary(actor: Principal, user: IamUser) -> dict[str, Any]:
    """The summary card: what the caller may see of the user's credentials."""
    allowed = permission_checker(actor)
    console = user.console
    return {
        "console": (console.login_profile_created is not None)
        if allowed("iam:GetLoginProfile", user.arn)
        else None,
        "reset_required": console.password_reset_required,
        "last_signin": user.password_last_used,
        "keys": list(user.access_keys.all()) if allowed("iam:ListAccessKeys", user.arn) else None,
        "mfa_count": user.mfa_devices.filter(enabled__isnull=False).count()
        if allowed("iam:ListMFADevices", user.arn)
        else None,
    }


def detail_context(request: HttpRequest, user: IamUser, tab: str, **extra: Any) -> dict[str, Any]:
    actor = principal_of(request)
    context: dict[str, Any] = {
        "user": user,
        "tab": tab,
        "tabs": tab_links("user", user.name),
        "hidden": HIDDEN,
        "summary": _summary(actor, user),
    }
    if tab == "permissions":
        context.update(_permissions_context(actor, user))
    elif tab == "groups":
        context.update(_groups_context(actor, user))
    elif tab == "tags":
        context.update(_tags_context(actor, user))
    elif tab == "security-credentials":
        context.update(credentials_context(request, user))
    elif tab == "access-advisor":
        context.update(_advisor_context(actor, user))
    context.update(extra)
    return context


def render_detail(
    request: HtmxHttpRequest,
    user_name: str,
    tab: str,
    *,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    """The detail page, or (for htmx) only its tab section."""
    actor = principal_of(request)
    try:
        user = get_user(actor=actor, name=user_name)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    assert user is not None
    context = detail_context(request, user, tab, **extra)
    template = "accounts/users/detail.html"
    if request.htmx:
        template += "#summary" if request.htmx.target == "user-summary" else "#tab"
    response = render(request, template, context, status=status)
    if request.method == "POST" and request.htmx:
        trigger_client_event(response, "userChanged")  # the summary card reloads itself
    return response


def after_action(
    request: HtmxHttpRequest,
    user_name: str,
    tab: str,
    *,
    error: IamError | None = None,
    notice: str = "",
    **extra: Any,
) -> HttpResponse:
    """What an action answers: the tab again (htmx) or a redirect to it; errors in place
    with AWS's status (a user that does not exist is a 404 page)."""
    if error is not None:
        if error.code == "NoSuchEntity" and not _user_exists(request, user_name):
            return render_error(request, error)
        return render_detail(
            request, user_name, tab, status=error.status, action_error=error, **extra
        )
    if request.htmx:
        return render_detail(request, user_name, tab, notice=notice, **extra)
    if notice:
        messages.success(request, notice)
    return redirect(detail_url(user_name, tab))


def _user_exists(request: HttpRequest, user_name: str) -> bool:
    return IamUser.objects.filter(
        account_id=principal_of(request).account_id, name__iexact=user_name
    ).exists()
