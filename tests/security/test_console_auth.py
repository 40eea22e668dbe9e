"""Console authentication and sessions: brute force, look-alike failures, session
lifetime and sign-out, CSRF on every state change, GET never writes, no open
redirects, production headers and cookies."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import TOTP_SEED, signed_in

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
EMAIL, PASSWORD = "root@example.com", "root-password-1"


def password_attempt(client: Client, email: str, password: str):
    client.post(reverse("accounts:signin"), {"email": email})
    return client.post(reverse("accounts:signin-password"), {"password": password})


def test_brute_force_is_slowed_to_at_most_100_guesses_an_hour_and_never_locks_root_out(
    client, totp_device, clock, figure
):
    checked = refused = 0
    waits: list[int] = []
    hour_end = clock.t + 3600
    while clock.t < hour_end:
        response = password_attempt(client, EMAIL, f"guess-{checked}")
        if response.status_code == 429:
            refused += 1
            wait = int(response.headers["Retry-After"])
            waits.append(wait)
            clock.advance(wait)
        else:
            checked += 1
    # Root, after the attacker stops, waits at most 15 minutes and signs in.
    clock.advance(15 * 60)
    response = password_attempt(Client(), EMAIL, PASSWORD)
    figure(
        f"1 h of guessing: {checked} passwords checked, waits {waits[:6]}...max {max(waits)} s; "
        f"root then signs in: {response.status_code == 302}"
    )
    assert checked <= 100
    assert waits == sorted(waits) and max(waits) <= 15 * 60
    assert response.status_code == 302 and response.url == reverse("accounts:signin-mfa")


def test_unknown_user_and_wrong_password_look_identical(db, account, figure, monkeypatch):
    """Same status, same page, same work: one Argon2 computation at the same cost.

    Wall-clock time on a shared machine moved this row by 15% with no change in
    the code, so the guard is the work itself: the password hashes each path
    computes (what makes a timing difference an attacker could measure), counted,
    with their cost parameters. CPU time of the request (interleaved samples, the
    median) is reported as the figure only.
    """
    import re

    from django.contrib.auth.hashers import Argon2PasswordHasher

    hashes: list[tuple[str, tuple[int, int, int]]] = []
    real_encode, real_verify = Argon2PasswordHasher.encode, Argon2PasswordHasher.verify

    def params(hasher: Argon2PasswordHasher, encoded: str | None = None) -> tuple[int, int, int]:
        if encoded is not None:
            decoded = hasher.decode(encoded)
            return decoded["time_cost"], decoded["memory_cost"], decoded["parallelism"]
        return hasher.time_cost, hasher.memory_cost, hasher.parallelism

    def encode(self, password, salt):
        hashes.append(("encode", params(self)))
        return real_encode(self, password, salt)

    def verify(self, password, encoded):
        hashes.append(("verify", params(self, encoded)))
        return real_verify(self, password, encoded)

    monkeypatch.setattr(Argon2PasswordHasher, "encode", encode)
    monkeypatch.setattr(Argon2PasswordHasher, "verify", verify)

    def attempt(email: str) -> tuple[int, str, float, list[tuple[int, int, int]]]:
        from accounts.models import SignInThrottle

        SignInThrottle.objects.all().delete()  # measure the check, not the throttle
        client = Client()
        client.post(reverse("accounts:signin"), {"email": email})
        hashes.clear()
        started = time.thread_time()  # CPU time: a busy machine does not inflate it much
        response = client.post(
            reverse("accounts:signin-password"), {"password": "wrong-password-9"}
        )
        cpu = time.thread_time() - started
        work = [p for _, p in hashes]
        html = re.sub(
            r'value="[^"]*"|"X-CSRFToken": "[^"]*"', "", response.content.decode()
        )  # tokens differ
        return response.status_code, html, cpu, work

    known, unknown = [], []
    for _ in range(9):  # interleaved, so drift in machine load hits both alike
        known.append(attempt(EMAIL))
        unknown.append(attempt("nobody@example.com"))
    k_cpu = sorted(t for _, _, t, _ in known)[len(known) // 2]
    u_cpu = sorted(t for _, _, t, _ in unknown)[len(unknown) // 2]
    differ = abs(k_cpu - u_cpu) / max(k_cpu, u_cpu)
    same = known[0][1].replace(EMAIL, "X") == unknown[0][1].replace("nobody@example.com", "X")
    figure(
        f"status {known[0][0]} vs {unknown[0][0]}, same page {same}, "
        f"Argon2 hashes {len(known[0][3])} vs {len(unknown[0][3])} at cost {known[0][3]} vs "
        f"{unknown[0][3]}; median CPU {k_cpu * 1000:.1f} ms vs {u_cpu * 1000:.1f} ms "
        f"({differ:.1%} apart, reported only)"
    )
    assert known[0][0] == unknown[0][0]
    assert "Your authentication information is incorrect" in known[0][1]
    assert known[0][1].replace(EMAIL, "X") == unknown[0][1].replace("nobody@example.com", "X")
    # The same work on both paths, every time: exactly one hash at the current cost (the
    # configured hasher's: tests/settings.py's cheap Argon2 here; production's strength
    # is test_production_settings_hash_with_strong_argon2's).
    from django.contrib.auth.hashers import get_hasher

    current = params(get_hasher())
    assert isinstance(get_hasher(), Argon2PasswordHasher)
    assert all(work == [current] for *_, work in known + unknown), (known[0][3], unknown[0][3])


def test_production_settings_hash_with_strong_argon2():
    """The test process hashes with a cheap Argon2 (tests/settings.py); production
    settings (iamconsole.settings) keep Django's Argon2 at its strong defaults."""
    import importlib

    from django.contrib.auth.hashers import Argon2PasswordHasher
    from django.utils.module_loading import import_string

    production = importlib.import_module("iamconsole.settings")
    hasher = import_string(production.PASSWORD_HASHERS[0])()
    assert type(hasher) is Argon2PasswordHasher
    decoded = hasher.decode(hasher.encode("a password", hasher.salt()))
    assert decoded["algorithm"] == "argon2" and decoded["variety"] == "argon2id"
    # Django 5.2's defaults, above OWASP's minimum (19 MiB, 2 passes, 1 lane).
    assert decoded["time_cost"] >= 2 and decoded["memory_cost"] >= 19 * 1024
    assert decoded["parallelism"] >= 1
    # The tests' cheap hashes verify under the production hasher (parameters are stored
    # in each hash), so a database made by the tests is no different in kind.
    from django.contrib.auth.hashers import make_password

    cheap = make_password("a password")
    assert hasher.verify("a password", cheap) and not hasher.verify("another", cheap)


def test_session_limits_idle_30_minutes_absolute_12_hours(console, figure):
    from iamconsole.middleware import SESSION_STARTED_KEY

    assert settings.SESSION_COOKIE_AGE <= 30 * 60 and settings.SESSION_SAVE_EVERY_REQUEST
    assert settings.IAM_SESSION_ABSOLUTE_SECONDS <= 12 * 3600
    assert console.get("/").status_code == 200
    session = console.session
    session[SESSION_STARTED_KEY] = time.time() - settings.IAM_SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    ended = console.get("/")
    figure(
        f"idle {settings.SESSION_COOKIE_AGE // 60} min, absolute {settings.IAM_SESSION_ABSOLUTE_SECONDS // 3600} h; "
        f"older session -> {ended.status_code} to sign-in"
    )
    assert ended.status_code == 302 and "/signin/" in ended.url


def test_idle_session_expires(console):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    Session.objects.update(expire_date=timezone.now() - timezone.timedelta(seconds=1))
    response = console.get("/")
    assert response.status_code == 302 and "/signin/" in response.url


def test_sign_out_ends_the_session_for_good(console):
    old_key = console.session.session_key
    console.post(reverse("accounts:signout"))
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old_key
    response = replay.get("/")
    assert response.status_code == 302 and "/signin/" in response.url


# -- every URL ----------------------------------------------------------------------------


def all_patterns(
    resolver=None, prefix: str = "", namespace: str = ""
) -> list[tuple[str, str, list[str]]]:
    """(qualified name, route, argument names) for every named console URL."""
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += all_patterns(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and entry.name:
            found.append(
                (
                    namespace + entry.name,
                    prefix + str(entry.pattern),
                    list(entry.pattern.regex.groupindex),
                )
            )
    return found


def fill(args: list[str], values: dict[str, str]) -> dict[str, str]:
    return {a: values.get(a, "x") for a in args}


def test_every_post_without_a_csrf_token_is_refused(root, totp_device, figure, caplog):
    """Every console URL refuses a cookie-authenticated POST without a token, and the
    refusal is CSRF's own (Django logs it to django.security.csrf), not some other 403.
    ``POST /`` is the Query API, authenticated by SigV4 rather than by the session
    cookie: CSRF does not apply to it and it is not counted."""
    import logging

    strict = signed_in(Client(enforce_csrf_checks=True), root, device=totp_device)
    patterns = [p for p in all_patterns() if reverse(p[0], kwargs=fill(p[2], {})) != "/"]
    not_csrf = []
    caplog.set_level(logging.WARNING, logger="django.security.csrf")
    for name, _route, args in patterns:
        url = reverse(name, kwargs=fill(args, {}))
        caplog.clear()
        response = strict.post(url, {"anything": "1"})
        csrf = any(r.name == "django.security.csrf" for r in caplog.records)
        if response.status_code != 403 or not csrf:
            not_csrf.append((name, response.status_code, csrf))
    figure(
        f"{len(patterns)} console URLs POSTed without token (POST / is the SigV4 API): "
        f"{len(patterns) - len(not_csrf)} refused 403 by the CSRF check"
    )
    assert not not_csrf, not_csrf


def _row_digest(row) -> bytes:
    parts = []
    for value in row:
        if type(value) is str:  # the bulk (policy documents): no repr of megabytes
            parts.append(b"s%d:" % len(value))
            parts.append(value.encode())
        else:
            parts.append(repr(value).encode())
        parts.append(b"\x1f")
    return hashlib.sha256(b"".join(parts)).digest()


def _db_fingerprint() -> str:
    """A digest of every row of every table (but bookkeeping), whatever the row order.

    Each row is digested on its own and the sorted row digests make the table's: the
    same comparison as sorting the rows' reprs, without a repr and a sort of the AWS
    managed policies' documents (megabytes) at each call.
    """
    # Sessions and throttles are bookkeeping; the audit trail records reads too (as
    # CloudTrail does, failed ones included): none of these is state a GET may not touch.
    skip = {
        "django_session",
        "accounts_signinthrottle",
        "otp_static_staticdevice",
        "policies_auditevent",
    }
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        counts = _sqlite_counts(cursor) if connection.vendor == "sqlite" else {}
        for table in sorted(connection.introspection.table_names(cursor)):
            if table in skip:
                continue
            digest.update(table.encode())
            if connection.vendor == "postgresql":
                # Each row's whole text form, hashed by the server: the same comparison
                # without sending the catalog's megabytes of documents at every call.
                cursor.execute(f'SELECT md5(t::text) FROM "{table}" t')  # noqa: S608
                digest.update("".join(sorted(r[0] for r in cursor.fetchall())).encode())
                continue
            digest.update(_sqlite_table_digest(cursor, table, counts))
    return digest.hexdigest()


# SQLite: a table's digest is reused while nothing has changed the table since it was
# computed. TEMP triggers on every table count each write twice: in ``fp_touch``, a
# Python function whose count a rollback does not undo, and in the TEMP table
# ``fp_log``, whose count a rollback does undo. A digest is reused only while both
# counts are what they were: a write since changes the first, a rollback of a write
# before it the second (a rollback fires no trigger). The triggers live in the
# connection's temp schema, which a test's rollback or a new connection undoes: they
# are looked up at each call and made again where missing, and a table whose triggers
# had to be made is digested afresh. Another connection's commits fire no trigger of
# this one: they change ``PRAGMA data_version``, and then nothing is reused.
_TOUCHED: dict[str, int] = {}
_SQLITE_DIGESTS: dict[str, tuple[tuple[int, int], bytes]] = {}  # table -> (counts, digest)
_DATA_VERSION: list[object] = [None]


def _fp_touch(table: str) -> None:
    _TOUCHED[table] = _TOUCHED.get(table, 0) + 1


def _sqlite_counts(cursor) -> dict[str, int]:
    """Each table's rolled-back-with-the-data count (the TEMP table, made if missing)."""
    cursor.execute("PRAGMA data_version")
    version = (id(connection.connection), cursor.fetchone()[0])
    if version != _DATA_VERSION[0]:
        _SQLITE_DIGESTS.clear()
        _DATA_VERSION[0] = version
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS fp_log (t TEXT PRIMARY KEY, n INTEGER NOT NULL)"
    )
    cursor.execute("SELECT tbl_name FROM sqlite_temp_master WHERE type = 'trigger'")
    armed: dict[str, int] = {}
    for (table,) in cursor.fetchall():
        armed[table] = armed.get(table, 0) + 1
    cursor.execute("SELECT t, n FROM temp.fp_log")
    counts = dict(cursor.fetchall())
    for table in connection.introspection.table_names(cursor):
        if armed.get(table) == 3:
            continue
        connection.connection.create_function("fp_touch", 1, _fp_touch)
        for event in ("INSERT", "UPDATE", "DELETE"):
            cursor.execute(
                f'CREATE TEMP TRIGGER IF NOT EXISTS "fp_{event.lower()}_{table}" AFTER {event} '
                f"ON main.\"{table}\" BEGIN SELECT fp_touch('{table}'); "
                f"INSERT INTO fp_log VALUES ('{table}', 1) "
                "ON CONFLICT (t) DO UPDATE SET n = n + 1; END"
            )
        _SQLITE_DIGESTS.pop(table, None)
    return counts


def _sqlite_table_digest(cursor, table: str, counts: dict[str, int]) -> bytes:
    key = (_TOUCHED.get(table, 0), counts.get(table, 0))
    cached = _SQLITE_DIGESTS.get(table)
    if cached is not None and cached[0] == key:
        return cached[1]
    cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from introspection
    value = b"".join(sorted(map(_row_digest, cursor.fetchall())))
    _SQLITE_DIGESTS[table] = (key, value)
    return value


def test_get_never_changes_state(console, root, iam_user, group, figure):
    from accounts.operations.roles import create_role
    from policies.operations import create_policy
    from tests.conftest import allow_policy

    role = create_role(
        actor=root,
        name="app",
        trust_policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    policy = create_policy(actor=root, name="Mine", document=allow_policy("s3:*"))
    values = {
        "user_name": iam_user.name,
        "name": iam_user.name,
        "group_name": group.name,
        "role_name": role.name,
        "policy_id": policy.policy_id,
        "arn": policy.arn,
        "access_key_id": "AKIAXXXXXXXXXXXXXXXX",
    }
    statuses: dict[int, int] = {}
    writers = []
    before = _db_fingerprint()
    for name, _route, args in all_patterns():
        if name == "accounts:signout":
            continue
        url = reverse(name, kwargs=fill(args, values))
        response = console.get(url)
        after = _db_fingerprint()  # nothing runs in between: the next GET's "before"
        if after != before:
            writers.append(url)
        before = after
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    figure(
        f"GET of every URL: statuses {dict(sorted(statuses.items()))}; {len(writers)} changed the database"
    )
    assert not writers, writers
    assert 500 not in statuses


UNSAFE_NEXT = [
    "https://evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "http:evil.example",
    "https:/evil.example",
    "/%2F%2Fevil.example",
    "javascript:alert(1)",
    "data:text/html,x",
    " //evil.example",
    "\t//evil.example",
    "///evil.example",
    "https://testserver@evil.example",
    "/\t/evil.example",
]


def test_next_never_redirects_off_site(client, totp_device, clock, figure):
    from accounts.totp import code_at

    off_site = []
    for target in UNSAFE_NEXT:
        c = Client()
        c.get(reverse("accounts:signin"), {"next": target})
        c.post(reverse("accounts:signin"), {"email": EMAIL, "next": target})
        c.post(reverse("accounts:signin-password"), {"password": PASSWORD, "next": target})
        clock.advance(30)
        response = c.post(
            reverse("accounts:signin-mfa"), {"code": code_at(TOTP_SEED, clock.step), "next": target}
        )
        location = response.headers.get("Location", "")
        if response.status_code in (301, 302) and not (
            location.startswith("/") and not location.startswith(("//", "/\\"))
        ):
            off_site.append((target, location))
        from accounts.models import SignInThrottle

        SignInThrottle.objects.all().delete()
    figure(f"{len(UNSAFE_NEXT)} hostile next= values: {len(off_site)} redirected off-site")
    assert not off_site, off_site


def test_production_headers_and_cookies(figure):
    script = r"""
import json, django
django.setup()
from django.conf import settings
from django.test import Client
c = Client()
r = c.get("/signin/", secure=True, HTTP_HOST="iam.example.com")
cookie = r.cookies.get(settings.CSRF_COOKIE_NAME)
print(json.dumps({
  "csp": r.headers.get("Content-Security-Policy", ""),
  "hsts": r.headers.get("Strict-Transport-Security", ""),
  "session_secure": settings.SESSION_COOKIE_SECURE, "session_httponly": settings.SESSION_COOKIE_HTTPONLY,
  "session_samesite": settings.SESSION_COOKIE_SAMESITE, "csrf_secure": settings.CSRF_COOKIE_SECURE,
  "csrf_cookie_secure": bool(cookie and cookie["secure"]), "xfo": r.headers.get("X-Frame-Options", ""),
  "nosniff": r.headers.get("X-Content-Type-Options", ""),
}))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x" * 60 + "production-test-key",
        DJANGO_ALLOWED_HOSTS="iam.example.com",
        DJANGO_SETTINGS_MODULE="iamconsole.settings",
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    script_src = [d for d in got["csp"].split(";") if d.strip().startswith("script-src")]
    figure(
        f"CSP script-src {script_src[0].strip() if script_src else 'missing'}; HSTS '{got['hsts']}'; "
        f"session cookie Secure={got['session_secure']} HttpOnly={got['session_httponly']} SameSite={got['session_samesite']}"
    )
    assert (
        script_src and "unsafe-inline" not in script_src[0] and "unsafe-eval" not in script_src[0]
    )
    assert (
        "max-age=" in got["hsts"]
        and int(got["hsts"].split("max-age=")[1].split(";")[0]) >= 31536000
    )
    assert (
        got["session_secure"]
        and got["session_httponly"]
        and got["session_samesite"] in ("Lax", "Strict")
    )
    assert got["csrf_secure"] and got["xfo"] == "DENY" and got["nosniff"] == "nosniff"
