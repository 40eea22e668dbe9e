"""Access Analyzer tests: the live-server fixtures of tests/api (boto3, the AWS CLI)."""

from tests.api.conftest import acct, acct_b, api, aws_cli, boto_session  # noqa: F401
