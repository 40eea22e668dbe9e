"""Live-server fixtures for the Query API: boto3 clients and the AWS CLI against a
real (threaded WSGI) server, with accounts, users and keys made through the
operations layer.

Tests that use these need committed data, so they run under ``transactional_db``
(pytest-django's ``live_server`` asks for it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

ACCOUNT_A = "210987654321"
ACCOUNT_B = "876543210987"


@pytest.fixture(scope="session")
def boto_session() -> Any:
    """One botocore session for every client: service models are loaded once."""
    import boto3

    return boto3.session.Session()


@dataclass
class Creds:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    arn: str = ""


@dataclass
class Api:
    """Clients for the live server."""

    url: str
    session: Any
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    def client(self, service: str, creds: Creds, *, region: str = "us-east-1") -> Any:
        from botocore.config import Config

        key = (service, f"{creds.access_key_id}:{creds.session_token}:{region}")
        if key not in self._clients:
            self._clients[key] = self.session.client(
                service,
                endpoint_url=self.url,
                region_name=region,
                aws_access_key_id=creds.access_key_id,
                aws_secret_access_key=creds.secret_access_key,
                aws_session_token=creds.session_token,
                config=Config(retries={"max_attempts": 1, "mode": "standard"}),
            )
        return self._clients[key]

    def iam(self, creds: Creds) -> Any:
        return self.client("iam", creds)

    def sts(self, creds: Creds) -> Any:
        return self.client("sts", creds)


@pytest.fixture
def api(live_server: Any, boto_session: Any) -> Api:
    return Api(url=live_server.url, session=boto_session)


@dataclass
class AccountFixture:
    id: str
    root: Any  # Principal
    root_creds: Creds
    make_user: Callable[..., tuple[Any, Creds]]


def _account(account_id: str, email: str) -> AccountFixture:
    from accounts.operations.account import sign_up
    from accounts.operations.credentials import create_access_key
    from accounts.operations.users import create_user
    from accounts.principal import root_principal
    from policies.operations import put_user_policy

    sign_up(email=email, password="correct-horse-1", account_id=account_id)
    root = root_principal(account_id, source_ip="127.0.0.1")
    key = create_access_key(actor=root)

    def make_user(name: str, *, policy: str | dict | None = None) -> tuple[Any, Creds]:
        user = create_user(actor=root, name=name)
        if policy is not None:
            document = policy if isinstance(policy, str) else json.dumps(policy)
            put_user_policy(actor=root, user_name=name, policy_name="inline", document=document)
        new = create_access_key(actor=root, user_name=name)
        return user, Creds(new.key.access_key_id, new.secret, arn=user.arn)

    return AccountFixture(
        id=account_id,
        root=root,
        root_creds=Creds(key.key.access_key_id, key.secret, arn=f"arn:aws:iam::{account_id}:root"),
        make_user=make_user,
    )


@pytest.fixture
def acct(transactional_db: Any) -> AccountFixture:
    """Account A with a root access key; ``acct.make_user(name, policy=…)`` adds users."""
    return _account(ACCOUNT_A, "root-a@example.com")


@pytest.fixture
def acct_b(transactional_db: Any) -> AccountFixture:
    """Account B, for cross-account cases."""
    return _account(ACCOUNT_B, "root-b@example.com")


@pytest.fixture
def root_iam(api: Api, acct: AccountFixture) -> Any:
    return api.iam(acct.root_creds)


def allow(action: str | list[str] = "*", resource: str | list[str] = "*", **extra: Any) -> dict:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource, **extra}
    return {"Version": "2012-10-17", "Statement": [statement]}


def error_code(exc_info: Any) -> str:
    return exc_info.value.response["Error"]["Code"]


@pytest.fixture
def aws_cli(live_server: Any) -> Callable[..., Any]:
    """Run the AWS CLI (``python -m awscli``) against the live server; JSON output parsed."""

    def run(creds: Creds, *args: str, check: bool = True, cwd: str | None = None) -> Any:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {
            "AWS_ACCESS_KEY_ID": creds.access_key_id,
            "AWS_SECRET_ACCESS_KEY": creds.secret_access_key,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_PAGER": "",
            "AWS_MAX_ATTEMPTS": "1",
        }
        if creds.session_token:
            env["AWS_SESSION_TOKEN"] = creds.session_token
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "awscli",
                *args,
                "--endpoint-url",
                live_server.url,
                "--output",
                "json",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=cwd,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed: {proc.stderr}")
        if not check:
            return proc
        return json.loads(proc.stdout) if proc.stdout.strip() else None

    return run
