"""The console shell: the IAM dashboard.

Besides AWS's panels (recommendations, resource counts, the account), the dashboard
has the sign-in URL with a copy button, the account alias edited in place
(CreateAccountAlias / DeleteAccountAlias) and a tools panel (the policy simulator, the
credential report download: GenerateCredentialReport then GetCredentialReport, as
AWS's console "Download credential report" does).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.errors import AccessDenied, IamError
from accounts.models import AccessKey, Account, IamUser
from accounts.operations.account import (
    create_account_alias,
    delete_account_alias,
    get_account_summary,
)
from accounts.operations.reports import generate_credential_report, get_credential_report
from accounts.pages.account_settings import AliasForm
from accounts.pages.user_signin import signin_url
from iamconsole.console import (
    authorize_page,
    console_login_required,
    principal_of,
    render_console_error,
)
from iamconsole.pages import is_htmx

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
    context: dict[str, object] = _account_context(request, account)
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
        # authorize_page: a refusal here is audited like any other.
        authorize_page(actor, "iam:ListUsers", f"arn:aws:iam::{account.id}:user/")
        authorize_page(actor, "iam:ListAccessKeys", f"arn:aws:iam::{account.id}:user/")
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


def _account_context(request: HttpRequest, account: Account, **extra: object) -> dict[str, object]:
    return {
        "account": account,
        "signin_url": signin_url(request, account),
        "alias_form": AliasForm(initial={"alias": account.alias or ""}),
        **extra,
    }


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def dashboard_alias(request: HttpRequest) -> HttpResponse:
    """The alias edited in place: a new alias replaces the old one (CreateAccountAlias);
    an empty one deletes it (DeleteAccountAlias). htmx gets the account panel back, with
    AWS's error in it when the operation refuses; a plain form post gets the dashboard."""
    actor = principal_of(request)
    alias = request.POST.get("alias", "")[:200].strip()
    error: IamError | None = None
    account = Account.objects.get(pk=actor.account_id)
    try:
        if alias:
            if alias != account.alias:
                create_account_alias(actor=actor, alias=alias)
        elif account.alias:
            delete_account_alias(actor=actor, alias=account.alias)
    except IamError as exc:
        error = exc
    account = Account.objects.get(pk=actor.account_id)
    if not is_htmx(request):
        if error is not None:
            messages.error(request, error.message)
        return redirect("iamconsole:dashboard")
    context = _account_context(request, account, alias_error=error, alias_editing=error is not None)
    if error is not None:
        context["alias_form"] = AliasForm(initial={"alias": alias})
    status = error.status if error is not None else 200
    return render(request, "iamconsole/dashboard.html#account", context, status=status)


@console_login_required
@require_POST
def credential_report_download(request: HttpRequest) -> HttpResponse:
    """Download credential report: generate it (a report from the last four hours is
    reused, as AWS does) and send AWS's CSV. A refusal is AWS's error page."""
    actor = principal_of(request)
    try:
        generate_credential_report(actor=actor)
        report = get_credential_report(actor=actor)
    except IamError as exc:
        return render_console_error(request, exc)
    response = HttpResponse(report.content, content_type="text/csv; charset=utf-8")
    # The console's file name as AWS's console names it (status_reports_<time>.csv); it
    # is not in AWS's documentation, so the time format here is ours.
    stamp = report.generated.strftime("%Y-%m-%dT%H_%M_%S")
    response["Content-Disposition"] = f'attachment; filename="status_reports_{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
