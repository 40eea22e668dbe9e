"""The unmodified AWS CLI against the live server: output parses as JSON."""

from __future__ import annotations

import json

from tests.api.conftest import ACCOUNT_A


def test_cli_user_commands_and_caller_identity(aws_cli, acct):
    creds = acct.root_creds
    created = aws_cli(creds, "iam", "create-user", "--user-name", "cli-user")
    assert created["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT_A}:user/cli-user"
    listed = aws_cli(creds, "iam", "list-users")
    assert [u["UserName"] for u in listed["Users"]] == ["cli-user"]
    got = aws_cli(creds, "iam", "get-user", "--user-name", "cli-user")
    assert got["User"]["UserId"] == created["User"]["UserId"]
    ident = aws_cli(creds, "sts", "get-caller-identity")
    assert ident["Account"] == ACCOUNT_A and ident["Arn"].endswith(":root")


def test_cli_create_policy_from_a_file_and_errors(aws_cli, acct, tmp_path):
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document))
    creds = acct.root_creds
    created = aws_cli(
        creds, "iam", "create-policy", "--policy-name", "cli", "--policy-document", f"file://{path}"
    )
    arn = created["Policy"]["Arn"]
    version = aws_cli(creds, "iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v1")
    assert version["PolicyVersion"]["Document"] == document
    proc = aws_cli(creds, "iam", "get-user", "--user-name", "nobody", check=False)
    assert proc.returncode != 0 and "NoSuchEntity" in proc.stderr
