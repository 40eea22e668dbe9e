"""The production server, as ``make serve`` runs it: gunicorn with gunicorn.conf.py.

One server on a free port over a fresh, migrated SQLite database: the console's sign-in
(CSRF and session cookies through the email and password steps), hashed static files
with a long cache lifetime, a SigV4-signed boto3 call, an access log that never
carries a query string, and a clean exit (0) on SIGTERM.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Exactly what `make serve` runs (Makefile: SERVE).
SERVE = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
START_TIMEOUT = 60  # seconds: only detects a server that never comes up
STOP_TIMEOUT = 60  # seconds: only detects a hang on SIGTERM
SECRET_MARK = "SigSecretDoNotLog0123456789"
TOKEN_MARK = "TokenSecretDoNotLog9876543210"

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp: Path, port: int) -> dict[str, str]:
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
        WORKERS="2",
        THREADS="2",
    )
    return env


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


def _wait_for_port(port: int, proc: subprocess.Popen, logs: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited ({proc.returncode}):\n{logs.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"no server on port {port} after {START_TIMEOUT}s:\n{logs.read_text()[-3000:]}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    env = _env(tmp_path, port)
    _manage(env, "migrate", "--noinput", "-v", "0")
    creds = json.loads(
        _manage(
            env,
            "create_account",
            "--email",
            "serve@example.com",
            "--password",
            "serve-password-1",
            "--root-access-key",
            "--json",
        )
        .strip()
        .splitlines()[-1]
    )
    logs = tmp_path / "server.log"
    with logs.open("w") as log:
        proc = subprocess.Popen(SERVE, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, proc, logs)
        yield {"url": f"http://127.0.0.1:{port}", "proc": proc, "logs": logs, "creds": creds}
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def test_the_production_server_serves_and_stops_cleanly(server, tmp_path):
    url, proc, logs, creds = server["url"], server["proc"], server["logs"], server["creds"]
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)

    # The console: the sign-in page (a query string that must never reach the log) ...
    query = urllib.parse.urlencode(
        {"X-Amz-Signature": SECRET_MARK, "X-Amz-Security-Token": TOKEN_MARK}
    )
    page = browser.open(f"{url}/signin/?{query}", timeout=30)
    html = page.read().decode()
    assert page.status == 200 and "Content-Security-Policy" in page.headers
    assert "Traceback" not in html

    # ... its hashed stylesheet, from WhiteNoise with a year-long immutable cache ...
    css = re.search(r'href="(/static/css/console\.[0-9a-f]{12}\.css)"', html)
    assert css, "the page links no hashed console.css"
    sheet = browser.open(url + css.group(1), timeout=30)
    assert sheet.status == 200 and sheet.headers["Content-Type"].startswith("text/css")
    max_age = int(re.search(r"max-age=(\d+)", sheet.headers["Cache-Control"]).group(1))
    assert max_age >= 365 * 24 * 3600 and "immutable" in sheet.headers["Cache-Control"]
    assert b"{" in sheet.read()

    # ... and the email and password steps (CSRF token, session cookie) up to the MFA step.
    def post(path: str, form_html: str, **data: str) -> str:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form_html).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **data}).encode()
        request = urllib.request.Request(url + path, data=body, headers={"Referer": url + path})
        try:
            browser.open(request, timeout=60)
        except urllib.error.HTTPError as answer:  # the redirect, not followed
            assert answer.code == 302, (path, answer.code, answer.read()[:500])
            return answer.headers["Location"]
        pytest.fail(f"POST {path} did not redirect")

    assert post("/signin/", html, email="serve@example.com") == "/signin/root/password/"
    form = browser.open(url + "/signin/root/password/", timeout=30).read().decode()
    assert "serve@example.com" in form
    next_step = post("/signin/root/password/", form, password="serve-password-1")
    assert next_step.startswith("/signin/root/mfa/"), next_step

    # The Query API: a SigV4-signed boto3 call with the root's access key.
    import boto3

    iam = boto3.client(
        "iam",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=creds["root_access_key_id"],
        aws_secret_access_key=creds["root_secret_access_key"],
    )
    assert iam.list_users()["ResponseMetadata"]["HTTPStatusCode"] == 200

    # SIGTERM: gunicorn finishes in-flight requests, stops its workers and exits 0.
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running {STOP_TIMEOUT}s after SIGTERM:\n{logs.read_text()[-3000:]}")
    log = logs.read_text()
    assert code == 0, log[-3000:]
    assert "Shutting down: Master" in log

    # The access log: on, one line per request, the path without its query string.
    assert '"GET /signin/ HTTP/1.1" 200' in log
    assert f'"GET {css.group(1)} HTTP/1.1" 200' in log
    assert '"POST / HTTP/1.1" 200' in log
    assert SECRET_MARK not in log and TOKEN_MARK not in log
    assert creds["root_secret_access_key"] not in log
    # Production mode: collected, compressed static files in the (temporary) var/static.
    assert list((tmp_path / "var" / "static" / "css").glob("console.*.css.gz"))
