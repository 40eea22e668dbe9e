"""GenerateCredentialReport and GetCredentialReport: AWS's CSV of every user's credentials.

AWS docs: "Generate credential reports for your AWS account" (IAM User Guide,
id_credentials_getting-report.html) and the IAM API reference.

- The report lists the root user first (``<root_account>``), then every IAM user.
- Columns, in AWS's order: ``COLUMNS`` below. Dates are ISO 8601 in UTC with ``Z``
  (``2024-01-02T03:04:05Z``, as localstack's AWS recording of the report shows them);
  booleans ``true``/``false``.
- ``N/A`` where the credential does not exist (no password, no key, a key never used),
  ``no_information`` for a password never used, ``not_supported`` for what root does
  not have (password_enabled, password_last_changed, password_next_rotation).
- "IAM first checks whether a report for the AWS account has been generated within the
  past four hours. If so, the last report is downloaded. If the most recent report is
  more than four hours old, or if there are no previous reports, IAM generates a new
  report." A report older than four hours is expired (GetCredentialReport answers
  ReportExpired); before any, ReportNotPresent.

Generation is synchronous here; GenerateCredentialReport still answers as AWS does:
STARTED when it (re)generated, COMPLETE when a fresh report was already there.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from accounts.errors import IamError
from accounts.models import (
    AccessKey,
    Account,
    ConsoleUser,
    CredentialReport,
    IamUser,
    MfaDevice,
    PasswordPolicy,
    SigningCertificate,
)
from accounts.principal import Principal
from audit.trail import record_event
from iamconsole.ops import operation
from policies.authorization import authorize

__all__ = [
    "COLUMNS",
    "REPORT_LIFETIME",
    "GenerateResult",
    "ReportExpired",
    "ReportNotPresent",
    "build_report",
    "generate_credential_report",
    "get_credential_report",
]

REPORT_LIFETIME = timedelta(hours=4)
ROOT_NAME = "<root_account>"
COLUMNS = (
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
)
NA = "N/A"
NO_INFORMATION = "no_information"
NOT_SUPPORTED = "not_supported"


class ReportNotPresent(IamError):
    code, status = "ReportNotPresent", 410


class ReportExpired(IamError):
    code, status = "ReportExpired", 410


@dataclass(frozen=True)
class GenerateResult:
    state: str  # STARTED | INPROGRESS | COMPLETE
    description: str | None


def _date(value: datetime | None, absent: str = NA) -> str:
    if value is None:
        return absent
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _key_columns(keys: list[AccessKey]) -> list[str]:
    """Two keys, oldest first (AWS numbers them 1 and 2); N/A for a missing or unused one."""
    out: list[str] = []
    for n in range(2):
        key = keys[n] if n < len(keys) else None
        if key is None:
            out += ["false", NA, NA, NA, NA]
            continue
        used = key.last_used is not None
        out += [
            _bool(key.status == "Active"),
            _date(key.created),
            _date(key.last_used),
            (key.last_used_region or NA) if used else NA,
            (key.last_used_service or NA) if used else NA,
        ]
    return out


def _cert_columns(certs: list[SigningCertificate]) -> list[str]:
    """cert_1_active, cert_1_last_rotated, cert_2_…: two signing certificates, oldest
    first, as the access keys: active is true for a certificate whose status is Active,
    last_rotated when it was created or last changed, N/A without one (IAM User Guide,
    "Generate credential reports", the report's format; paraphrased)."""
    out: list[str] = []
    for n in range(2):
        cert = certs[n] if n < len(certs) else None
        out += (
            ["false", NA]
            if cert is None
            else [_bool(cert.status == "Active"), _date(cert.uploaded)]
        )
    return out


def build_report(account_id: str) -> str:
    """The CSV text of the account's credential report, as of now."""
    account = Account.objects.get(pk=account_id)
    policy = PasswordPolicy.objects.filter(account_id=account_id).first()
    max_age = policy.max_password_age if policy else None
    keys: dict[int | None, list[AccessKey]] = {}
    for key in AccessKey.objects.filter(account_id=account_id).order_by("created", "pk"):
        keys.setdefault(key.user_id, []).append(key)
    certs: dict[int | None, list[SigningCertificate]] = {}
    for cert in SigningCertificate.objects.filter(account_id=account_id).order_by("uploaded", "pk"):
        certs.setdefault(cert.user_id, []).append(cert)
    mfa_users = set(
        MfaDevice.objects.filter(
            account_id=account_id, confirmed=True, enabled__isnull=False
        ).values_list("iam_user_id", flat=True)
    )

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)

    root = ConsoleUser.objects.filter(account_id=account_id, is_root=True).first()
    writer.writerow(
        [
            ROOT_NAME,
            account.root_arn,
            _date(account.created),
            NOT_SUPPORTED,
            _date(root.last_login if root else None, NO_INFORMATION),
            NOT_SUPPORTED,
            NOT_SUPPORTED,
            _bool(None in mfa_users),
            *_key_columns(keys.get(None, [])),
            *_cert_columns(certs.get(None, [])),
        ]
    )

    users = IamUser.objects.filter(account_id=account_id).select_related("console")
    for user in users.order_by("name"):
        console = user.console
        has_password = console.login_profile_created is not None
        changed = console.password_changed or console.login_profile_created
        if not has_password:
            last_used = last_changed = next_rotation = NA
        else:
            last_used = _date(user.password_last_used, NO_INFORMATION)
            last_changed = _date(changed)
            next_rotation = _date(changed + timedelta(days=max_age)) if max_age and changed else NA
        writer.writerow(
            [
                user.name,
                user.arn,
                _date(user.created),
                _bool(has_password),
                last_used,
                last_changed,
                next_rotation,
                _bool(user.pk in mfa_users),
                *_key_columns(keys.get(user.pk, [])),
                *_cert_columns(certs.get(user.pk, [])),
            ]
        )
    return buffer.getvalue()


@operation("GenerateCredentialReport")
def generate_credential_report(*, actor: Principal) -> GenerateResult:
    """Generate a new report unless one from the last four hours exists (AWS's rule)."""
    authorize(actor, "iam:GenerateCredentialReport", "*")
    now = timezone.now()
    current = (
        CredentialReport.objects.select_for_update().filter(account_id=actor.account_id).first()
    )
    if current is not None and now - current.generated < REPORT_LIFETIME:
        return GenerateResult("COMPLETE", None)
    CredentialReport.objects.update_or_create(
        account_id=actor.account_id,
        defaults={"generated": now, "content": build_report(actor.account_id)},
    )
    record_event(actor, "GenerateCredentialReport")
    # AWS's answer when it starts a report.
    return GenerateResult("STARTED", "No report exists. Starting a new report generation task")


@operation("GetCredentialReport", read_only=True)
def get_credential_report(*, actor: Principal) -> CredentialReport:
    authorize(actor, "iam:GetCredentialReport", "*")
    report = CredentialReport.objects.filter(account_id=actor.account_id).first()
    if report is None:
        raise ReportNotPresent(
            "Credential report not present. Use GenerateCredentialReport to generate a report."
        )
    if timezone.now() - report.generated >= REPORT_LIFETIME:
        raise ReportExpired(
            "The credential report has expired. To generate a new credential report, "
            "use GenerateCredentialReport."
        )
    return report
