"""The console shell: the IAM dashboard."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.errors import AccessDenied
from accounts.models import AccessKey, Account, IamUser
from accounts.operations.account import get_account_summary
from iamconsole.console import console_login_required, principal_of
from policies.authorization import authorize

# IAM best practices: rotate access keys regularly; the console flags active
# keys older than 90 days ("Rotate access keys regularly",
# https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#rotate-credentials).
KEY_MAX_AGE = timedelta(days=90)


@console_login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """IAM dashboard: resource counts and security recommendations for the account.

    Like AWS's dashboard, each panel is authorized on its own: a caller who may not
    read a panel sees AWS's AccessDenied message in it, not a refused page.
    """
    actor = principal_of(request)
    account = Account.objects.get(pk=actor.account_id)
    context: dict[str, object] = {
        "account": account,
        "signin_url": request.build_absolute_uri(f"/signin/{account.alias or account.id}/"),
    }
    try:
        summary = get_account_summary(actor=actor)  # authorized as iam:GetAccountSummary
    except AccessDenied as exc:
        context["summary_error"] = exc.message
    else:
        context.update(
            summary=summary,
            counts=[
                ("User groups", summary["Groups"], "/groups/"),
                ("Users", summary["Users"], "/users/"),
                ("Roles", summary["Roles"], "/roles/"),
                ("Policies", summary["Policies"], "/policies/"),
            ],
            root_mfa=bool(summary["AccountMFAEnabled"]),
            root_keys=bool(summary["AccountAccessKeysPresent"]),
        )
    try:
        # Naming users and their keys is what ListUsers and ListAccessKeys reveal.
        authorize(actor, "iam:ListUsers", f"arn:aws:iam::{account.id}:user/")
        authorize(actor, "iam:ListAccessKeys", f"arn:aws:iam::{account.id}:user/")
    except AccessDenied as exc:
        context["users_error"] = exc.message
    else:
        users_without_mfa = (
            IamUser.objects.filter(account_id=account.id)
            .exclude(mfa_devices__enabled__isnull=False)
            .select_related("console")
            .order_by("name")
        )
        old_keys = (
            AccessKey.objects.filter(
                account_id=account.id, status="Active", created__lt=timezone.now() - KEY_MAX_AGE
            )
            .select_related("user")
            .order_by("created")
        )
        context.update(
            users_without_mfa=list(users_without_mfa[:50]),
            users_without_mfa_count=users_without_mfa.count(),
            old_keys=list(old_keys[:50]),
            old_keys_count=old_keys.count(),
        )
    return render(request, "iamconsole/dashboard.html", context)
