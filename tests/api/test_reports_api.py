"""GenerateCredentialReport / GetCredentialReport through boto3 and the AWS CLI: AWS's
states and errors, and the CSV with its documented columns and placeholder values."""

from __future__ import annotations

import base64
import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from accounts.operations.reports import COLUMNS
from tests.api.conftest import allow, error_code


def rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


@pytest.fixture
def pat(api: Any, acct: Any) -> Any:
    """pat: a console password and two access keys, the first one used once."""
    from accounts.operations.credentials import create_access_key, create_login_profile

    user, creds = acct.make_user("pat", policy=allow("iam:GetUser"))
    create_login_profile(actor=acct.root, user_name="pat", password="Pat-password-1")
    create_access_key(actor=acct.root, user_name="pat")
    api.iam(creds).get_user()  # key 1 used: IAM, us-east-1
    return user


def test_no_report_before_generation_then_started_then_complete(root_iam):
    with pytest.raises(ClientError) as exc:
        root_iam.get_credential_report()
    assert error_code(exc) == "ReportNotPresent"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    first = root_iam.generate_credential_report()
    assert first["State"] == "STARTED" and first["Description"]
    # A report from the last four hours is reused (AWS's rule).
    assert root_iam.generate_credential_report()["State"] == "COMPLETE"


def test_report_csv_lists_root_first_and_each_users_credentials(root_iam, acct, pat):
    from accounts.operations.users import create_user

    create_user(actor=acct.root, name="quinn")
    root_iam.generate_credential_report()
    report = root_iam.get_credential_report()
    assert report["ReportFormat"] == "text/csv"
    assert report["GeneratedTime"].tzinfo is not None
    content = report["Content"]  # botocore decodes the base64 blob
    assert content.decode().splitlines()[0] == ",".join(COLUMNS)

    root, by_name = rows(content)[0], {r["user"]: r for r in rows(content)[1:]}
    assert root["user"] == "<root_account>"
    assert root["arn"] == f"arn:aws:iam::{acct.id}:root"
    assert root["password_enabled"] == "not_supported"
    assert root["password_last_changed"] == "not_supported"
    assert root["password_next_rotation"] == "not_supported"
    assert root["access_key_1_active"] == "true"  # the fixture's root key
    assert root["access_key_1_last_used_service"] == "iam"
    assert root["access_key_2_active"] == "false"
    assert root["access_key_2_last_rotated"] == "N/A"

    p = by_name["pat"]
    assert p["arn"] == pat.arn
    assert p["user_creation_time"].endswith("Z")
    assert p["password_enabled"] == "true"
    assert p["password_last_used"] == "no_information"
    assert p["password_last_changed"].endswith("Z")
    assert p["password_next_rotation"] == "N/A"  # no password expiry in the account
    assert p["mfa_active"] == "false"
    assert p["access_key_1_active"] == "true"
    assert p["access_key_1_last_used_date"].endswith("Z")
    assert p["access_key_1_last_used_region"] == "us-east-1"
    assert p["access_key_1_last_used_service"] == "iam"
    assert p["access_key_2_active"] == "true"
    assert p["access_key_2_last_rotated"].endswith("Z")
    assert p["access_key_2_last_used_date"] == "N/A"
    assert p["access_key_2_last_used_region"] == "N/A"
    assert p["access_key_2_last_used_service"] == "N/A"
    assert (p["cert_1_active"], p["cert_1_last_rotated"]) == ("false", "N/A")
    assert (p["cert_2_active"], p["cert_2_last_rotated"]) == ("false", "N/A")

    q = by_name["quinn"]
    assert (q["password_enabled"], q["password_last_used"]) == ("false", "N/A")
    assert (q["access_key_1_active"], q["access_key_1_last_rotated"]) == ("false", "N/A")


def test_password_next_rotation_follows_the_password_policy(root_iam, acct, pat):
    from datetime import datetime

    from accounts.operations.account import update_account_password_policy

    update_account_password_policy(actor=acct.root, max_password_age=90)
    root_iam.generate_credential_report()
    p = {r["user"]: r for r in rows(root_iam.get_credential_report()["Content"])}["pat"]
    changed = datetime.fromisoformat(p["password_last_changed"])
    assert datetime.fromisoformat(p["password_next_rotation"]) == changed + timedelta(days=90)


def test_a_report_older_than_four_hours_has_expired_and_is_regenerated(root_iam, acct):
    from accounts.models import CredentialReport

    root_iam.generate_credential_report()
    CredentialReport.objects.filter(account_id=acct.id).update(
        generated=CredentialReport.objects.get(account_id=acct.id).generated - timedelta(hours=4)
    )
    with pytest.raises(ClientError) as exc:
        root_iam.get_credential_report()
    assert error_code(exc) == "ReportExpired"
    assert root_iam.generate_credential_report()["State"] == "STARTED"
    assert root_iam.get_credential_report()["Content"].startswith(b"user,arn,")


def test_reports_need_their_permissions(api, acct, acct_b):
    _, creds = acct.make_user("nobody", policy=allow("iam:GetUser"))
    iam = api.iam(creds)
    for call in (iam.generate_credential_report, iam.get_credential_report):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_code(exc) == "AccessDenied"
    _, creds = acct.make_user("auditor", policy=allow("iam:*CredentialReport"))
    auditor = api.iam(creds)
    auditor.generate_credential_report()
    users = [r["user"] for r in rows(auditor.get_credential_report()["Content"])]
    assert users == ["<root_account>", "auditor", "nobody"]
    # Another account has its own (absent) report.
    with pytest.raises(ClientError) as exc:
        api.iam(acct_b.root_creds).get_credential_report()
    assert error_code(exc) == "ReportNotPresent"


def test_aws_cli_generates_and_gets_the_report(aws_cli, acct, pat):
    assert aws_cli(acct.root_creds, "iam", "generate-credential-report")["State"] == "STARTED"
    got = aws_cli(acct.root_creds, "iam", "get-credential-report")
    assert got["ReportFormat"] == "text/csv"
    # The CLI prints the blob base64-encoded.
    lines = base64.b64decode(got["Content"]).decode().splitlines()
    assert lines[0].startswith("user,arn,user_creation_time,password_enabled")
    assert lines[1].startswith("<root_account>,")
    assert lines[2].startswith("pat,")
