"""The console shell: the IAM dashboard."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.models import AccessKey, Account, IamUser
from accounts.operations.account import get_account_summary
from iamconsole.console import console_login_required, principal_of

# IAM best practices: rotate access keys regularly; the console flags active
# keys older than 90 days ("Rotate access keys regularly",
# https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#rotate-credentials).
KEY_MAX_AGE = timedelta(days=90)


@console_login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """IAM dashboard: resource counts and security recommendations for the account."""
    actor = principal_of(request)
    summary = get_account_summary(actor=actor)  # authorized as iam:GetAccountSummary
    account = Account.objects.get(pk=actor.account_id)
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
    signin_path = f"/signin/{account.alias or account.id}/"
    return render(
        request,
        "iamconsole/dashboard.html",
        {
            "account": account,
            "summary": summary,
            "counts": [
                ("User groups", summary["Groups"], "/groups/"),
                ("Users", summary["Users"], "/users/"),
                ("Roles", summary["Roles"], "/roles/"),
                ("Policies", summary["Policies"], "/policies/"),
            ],
            "root_mfa": bool(summary["AccountMFAEnabled"]),
            "root_keys": bool(summary["AccountAccessKeysPresent"]),
            "users_without_mfa": list(users_without_mfa[:50]),
            "users_without_mfa_count": users_without_mfa.count(),
            "old_keys": list(old_keys[:50]),
            "old_keys_count": old_keys.count(),
            "signin_url": request.build_absolute_uri(signin_path),
        },
    )
