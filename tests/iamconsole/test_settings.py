"""Production settings pass Django's deployment checklist; DEBUG is off unless asked for;
the secret key comes from the environment or a generated owner-only file."""

from __future__ import annotations

import json
import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OLD_DEV_KEY = "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"

# Prints the settings (and a 500's body) as the process started with this environment sees them.
PROBE = r"""
import json, django
django.setup()
from django.conf import settings
from django.test import Client
from django.urls import path
import iamconsole.urls

def boom(request):
    raise ZeroDivisionError("probe-failure")

iamconsole.urls.urlpatterns.append(path("probe-boom/", boom))
r = Client(raise_request_exception=False).get("/probe-boom/")
print(json.dumps({
    "debug": settings.DEBUG, "secret_key": settings.SECRET_KEY,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT, "session_secure": settings.SESSION_COOKIE_SECURE,
    "hsts": settings.SECURE_HSTS_SECONDS, "status": r.status_code, "body": r.content.decode(),
}))
"""


def _env(var_dir: Path, **env: str) -> dict[str, str]:
    full = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "IAM_")) and k != "DATABASE_URL"
    }
    full.update(IAM_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="iamconsole.settings", **env)
    return full


def _manage(var_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_env(var_dir, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _probe(var_dir: Path, **env: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=_env(var_dir, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_with_production_environment(tmp_path):
    result = _manage(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        DJANGO_ALLOWED_HOSTS="iam.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_is_clean_with_the_generated_key(tmp_path):
    result = _manage(
        tmp_path, "check", "--deploy", "--fail-level", "WARNING", DJANGO_ALLOWED_HOSTS="iam.x.com"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_debug_is_off_by_default_and_a_500_shows_no_debug_page(tmp_path):
    got = _probe(tmp_path)
    assert got["debug"] is False
    assert got["status"] == 500
    assert "probe-failure" not in got["body"] and "Traceback" not in got["body"]


def test_a_developer_can_turn_debug_on(tmp_path):
    got = _probe(tmp_path, DJANGO_DEBUG="1")
    assert got["debug"] is True
    assert got["status"] == 500 and "probe-failure" in got["body"]  # Django's debug page


def test_without_a_secret_key_one_is_generated_once_owner_only_and_reused(tmp_path):
    first = _probe(tmp_path)["secret_key"]
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() == first and len(first) >= 50
    assert first != OLD_DEV_KEY
    assert _probe(tmp_path)["secret_key"] == first  # reused after a restart
    other = tmp_path / "other"
    other.mkdir()
    assert _probe(other)["secret_key"] != first  # random, not written in the code


def test_the_environment_key_wins_and_no_file_is_written(tmp_path):
    key = secrets.token_urlsafe(60)
    assert _probe(tmp_path, DJANGO_SECRET_KEY=key)["secret_key"] == key
    assert not (tmp_path / "secret_key").exists()


def test_processes_starting_together_agree_on_one_key(tmp_path):
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    keys = set()
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-2000:]
        keys.add(out.strip())
    assert len(keys) == 1
    assert keys == {(tmp_path / "secret_key").read_text().strip()}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".secret_key")] == []


def test_a_key_file_readable_by_others_is_made_owner_only(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text(secrets.token_urlsafe(64))
    key_file.chmod(0o644)
    assert _probe(tmp_path)["secret_key"] == key_file.read_text().strip()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "env,https",
    [
        ({}, False),  # loopback names only (make run, tests): plain HTTP works
        ({"DJANGO_ALLOWED_HOSTS": "iam.example.com"}, True),
        ({"DJANGO_ALLOWED_HOSTS": "iam.example.com", "IAM_HTTPS": "0"}, False),
        ({"IAM_HTTPS": "1"}, True),
        ({"DJANGO_ALLOWED_HOSTS": "iam.example.com", "DJANGO_DEBUG": "1"}, False),
    ],
)
def test_https_is_enforced_once_a_real_host_is_served(tmp_path, env, https):
    got = _probe(tmp_path, **env)
    assert got["ssl_redirect"] is https and got["session_secure"] is https
    assert (got["hsts"] >= 31536000) is https


def test_a_bad_trusted_proxy_stops_the_start(tmp_path):
    result = _manage(tmp_path, "check", IAM_TRUSTED_PROXIES="10.0.0.0/8, proxy.example.com")
    assert result.returncode != 0
    assert "IAM_TRUSTED_PROXIES" in result.stderr and "proxy.example.com" in result.stderr


def test_passwords_are_hashed_with_argon2(settings):
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
