"""No cache outlives a change: under ``make serve`` with several workers, a deleted (or
deactivated) access key, a detached policy, a new default policy version and a changed
trust policy take effect on the very next request, whichever worker it lands on.

The server is gunicorn with gunicorn.conf.py (as tests/iamconsole/test_serve.py starts
it), WORKERS=3, over a fresh SQLite database. Every check first warms the caches (the
signing key's opened secret, the compiled policies) with several requests, each on a
new connection so they spread over the workers, makes the change, then requires every
one of several requests after it, again each on a new connection, to see the change.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVE = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]  # Makefile: SERVE
START_TIMEOUT = 90  # seconds: only detects a server that never comes up
TRIES = 9  # requests before and after each change: three per worker on average

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _manage(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    return out.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Any:
    import boto3

    tmp = tmp_path_factory.mktemp("invalidation")
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "IAM_")) and k not in ("DATABASE_URL", "WORKERS", "THREADS")
    }
    env.update(
        IAM_VAR_DIR=str(tmp / "var"),
        DATABASE_URL=f"sqlite:///{tmp / 'serve.sqlite3'}",
        HOST="127.0.0.1",
        PORT=str(port),
        WORKERS="3",
        THREADS="2",
        GUNICORN_LOG_LEVEL="warning",
    )
    _manage(env, "migrate", "--noinput", "-v", "0")
    creds = json.loads(
        _manage(
            env,
            "create_account",
            "--email",
            "invalidation@example.com",
            "--password",
            "invalidation-pass-1",
            "--admin-user",
            "admin",
            "--json",
        )
        .strip()
        .splitlines()[-1]
    )
    logs = tmp / "server.log"
    with logs.open("w") as log:
        proc = subprocess.Popen(SERVE, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited ({proc.returncode}):\n{logs.read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"no server on port {port}:\n{logs.read_text()[-3000:]}")
                time.sleep(0.2)
        yield _Server(
            url=f"http://127.0.0.1:{port}",
            session=boto3.session.Session(),
            admin=(creds["admin_access_key_id"], creds["admin_secret_access_key"]),
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


class _Server:
    def __init__(self, url: str, session: Any, admin: tuple[str, str]) -> None:
        self.url, self.session, self.admin = url, session, admin

    def client(self, service: str, key: tuple[str, str], token: str | None = None) -> Any:
        """A new client, so a new connection: the next request may land on any worker."""
        from botocore.config import Config

        return self.session.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=key[0],
            aws_secret_access_key=key[1],
            aws_session_token=token,
            config=Config(retries={"total_max_attempts": 1}),
        )

    def iam(self, key: tuple[str, str] | None = None) -> Any:
        return self.client("iam", key or self.admin)


def _codes(calls: Any) -> list[str]:
    """Each call's outcome: "ok" or the AWS error code, for TRIES calls."""
    from botocore.exceptions import ClientError

    out = []
    for _ in range(TRIES):
        try:
            calls()
            out.append("ok")
        except ClientError as exc:
            out.append(exc.response["Error"]["Code"])
    return out


def _user_with_key(server: _Server, policy: dict | None = None) -> tuple[str, tuple[str, str]]:
    admin = server.iam()
    name = f"inv-{uuid.uuid4().hex[:8]}"
    admin.create_user(UserName=name)
    if policy is not None:
        admin.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=json.dumps(policy))
    key = admin.create_access_key(UserName=name)["AccessKey"]
    return name, (key["AccessKeyId"], key["SecretAccessKey"])


def _allow(*actions: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
    }


def test_a_deleted_access_key_is_refused_on_the_next_request(server):
    name, key = _user_with_key(server, _allow("iam:GetUser"))
    assert _codes(lambda: server.iam(key).get_user(UserName=name)) == ["ok"] * TRIES

    server.iam().delete_access_key(UserName=name, AccessKeyId=key[0])

    assert (
        _codes(lambda: server.iam(key).get_user(UserName=name)) == ["InvalidClientTokenId"] * TRIES
    )


def test_a_deactivated_access_key_is_refused_on_the_next_request(server):
    name, key = _user_with_key(server, _allow("iam:GetUser"))
    assert _codes(lambda: server.iam(key).get_user(UserName=name)) == ["ok"] * TRIES

    server.iam().update_access_key(UserName=name, AccessKeyId=key[0], Status="Inactive")

    assert (
        _codes(lambda: server.iam(key).get_user(UserName=name)) == ["InvalidClientTokenId"] * TRIES
    )


def test_a_detached_policy_stops_allowing_on_the_next_request(server):
    admin = server.iam()
    name, key = _user_with_key(server)
    arn = admin.create_policy(
        PolicyName=f"list-{name}", PolicyDocument=json.dumps(_allow("iam:ListUsers"))
    )["Policy"]["Arn"]
    admin.attach_user_policy(UserName=name, PolicyArn=arn)
    assert _codes(lambda: server.iam(key).list_users()) == ["ok"] * TRIES

    admin.detach_user_policy(UserName=name, PolicyArn=arn)

    assert _codes(lambda: server.iam(key).list_users()) == ["AccessDenied"] * TRIES


def test_a_new_default_policy_version_decides_the_next_request(server):
    admin = server.iam()
    name, key = _user_with_key(server)
    arn = admin.create_policy(
        PolicyName=f"get-{name}", PolicyDocument=json.dumps(_allow("iam:GetUser"))
    )["Policy"]["Arn"]
    admin.attach_user_policy(UserName=name, PolicyArn=arn)
    assert _codes(lambda: server.iam(key).get_user(UserName=name)) == ["ok"] * TRIES

    admin.create_policy_version(
        PolicyArn=arn, PolicyDocument=json.dumps(_allow("iam:ListUsers")), SetAsDefault=True
    )

    assert _codes(lambda: server.iam(key).get_user(UserName=name)) == ["AccessDenied"] * TRIES
    assert _codes(lambda: server.iam(key).list_users()) == ["ok"] * TRIES


def test_a_changed_trust_policy_decides_the_next_assume_role(server):
    admin = server.iam()
    name, key = _user_with_key(server, _allow("sts:AssumeRole"))
    other, _ = _user_with_key(server)
    arn_of = {u: admin.get_user(UserName=u)["User"]["Arn"] for u in (name, other)}

    def trust(principal_arn: str) -> str:
        return json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": principal_arn},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        )

    role = f"role-{name}"
    role_arn = admin.create_role(RoleName=role, AssumeRolePolicyDocument=trust(arn_of[name]))[
        "Role"
    ]["Arn"]

    def assume() -> Any:
        return server.client("sts", key).assume_role(RoleArn=role_arn, RoleSessionName="session")

    assert _codes(assume) == ["ok"] * TRIES

    admin.update_assume_role_policy(RoleName=role, PolicyDocument=trust(arn_of[other]))

    assert _codes(assume) == ["AccessDenied"] * TRIES


def test_a_role_session_loses_a_detached_role_policy_on_the_next_request(server):
    admin = server.iam()
    name, key = _user_with_key(server, _allow("sts:AssumeRole"))
    user_arn = admin.get_user(UserName=name)["User"]["Arn"]
    role = f"session-{name}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"}
        ],
    }
    role_arn = admin.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    policy_arn = admin.create_policy(
        PolicyName=f"role-list-{name}", PolicyDocument=json.dumps(_allow("iam:ListUsers"))
    )["Policy"]["Arn"]
    admin.attach_role_policy(RoleName=role, PolicyArn=policy_arn)
    creds = server.client("sts", key).assume_role(RoleArn=role_arn, RoleSessionName="session")[
        "Credentials"
    ]
    session = (creds["AccessKeyId"], creds["SecretAccessKey"])

    def list_users() -> Any:
        return server.client("iam", session, creds["SessionToken"]).list_users()

    assert _codes(list_users) == ["ok"] * TRIES

    admin.detach_role_policy(RoleName=role, PolicyArn=policy_arn)

    assert _codes(list_users) == ["AccessDenied"] * TRIES
