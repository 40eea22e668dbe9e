"""GenerateCredentialReport and GetCredentialReport (accounts/operations/reports.py).

GetCredentialReport's Content is a blob: the Query protocol carries it base64
encoded and botocore decodes it back to the CSV bytes.
"""

from __future__ import annotations

from typing import Any

from accounts.operations import reports
from accounts.principal import Principal

__all__ = ["generate_credential_report", "get_credential_report"]


def generate_credential_report(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    result = reports.generate_credential_report(actor=actor)
    out: dict[str, Any] = {"State": result.state}
    if result.description:
        out["Description"] = result.description
    return out


def get_credential_report(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    report = reports.get_credential_report(actor=actor)
    return {
        "Content": report.content.encode("utf-8"),
        "ReportFormat": "text/csv",
        "GeneratedTime": report.generated,
    }
