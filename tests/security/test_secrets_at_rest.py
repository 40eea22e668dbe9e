"""Secrets: after creation no access-key secret or TOTP seed appears in the database
or the logs; sealed values moved between rows fail closed; TOTP windows and replay."""

from __future__ import annotations

import base64
import logging
import sqlite3
import threading

import pytest
from django.db import connection

from iamconsole.crypto import SealError

pytestmark = pytest.mark.django_db(transaction=True)


def _database_dump() -> bytes:
    """Every value of every table, as bytes, through the live connection; session data
    decoded too (Django stores it signed and compressed, not encrypted)."""
    import json as _json

    from django.contrib.sessions.models import Session

    chunks: list[bytes] = [_json.dumps(s.get_decoded()).encode() for s in Session.objects.all()]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from introspection
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes | bytearray):
                        chunks.append(bytes(value))
                    elif value is not None:
                        chunks.append(str(value).encode())
    return b"\n".join(chunks)


def test_no_secret_or_seed_in_database_or_logs(root, iam_user, figure, caplog):
    from accounts.operations.credentials import create_access_key, create_virtual_mfa_device

    caplog.set_level(logging.DEBUG)
    secrets = [create_access_key(actor=root, user_name="alice").secret for _ in range(2)]
    secrets.append(create_access_key(actor=root).secret)
    seeds = [create_virtual_mfa_device(actor=root, name=f"d{i}").seed for i in range(3)]
    needles = [s.encode() for s in secrets]
    for seed in seeds:
        needles += [seed, seed.hex().encode(), base64.b32encode(seed).rstrip(b"=")]
    dump = _database_dump() + caplog.text.encode()
    hits = sum(dump.count(n) for n in needles)
    figure(f"{len(secrets)} secrets, {len(seeds)} seeds, {len(dump)} bytes searched: {hits} hits")
    assert hits == 0


def test_swapped_sealed_values_fail_closed(root, iam_user, figure):
    from accounts.models import AccessKey, MfaDevice
    from accounts.operations.credentials import create_access_key, create_virtual_mfa_device

    a = create_access_key(actor=root, user_name="alice").key
    b = create_access_key(actor=root, user_name="alice").key
    AccessKey.objects.filter(pk=a.pk).update(secret_sealed=b.secret_sealed)
    with pytest.raises(SealError):
        AccessKey.objects.get(pk=a.pk).secret()
    d1 = create_virtual_mfa_device(actor=root, name="one").device
    d2 = create_virtual_mfa_device(actor=root, name="two").device
    MfaDevice.objects.filter(pk=d1.pk).update(seed_sealed=d2.seed_sealed)
    with pytest.raises(SealError):
        MfaDevice.objects.get(pk=d1.pk).seed()
    figure("access-key secret and TOTP seed swapped between rows: both refuse to open")


def _enabled_device(root):
    from accounts.models import MfaDevice
    from accounts.operations.credentials import create_virtual_mfa_device, enable_mfa_device
    from accounts.totp import code_at, current_step

    new = create_virtual_mfa_device(actor=root, name="root-mfa")
    t = current_step()
    enable_mfa_device(
        actor=root,
        user_name=None,
        serial_number=new.device.serial_number,
        code1=code_at(new.seed, t - 1),
        code2=code_at(new.seed, t),
    )
    return MfaDevice.objects.get(pk=new.device.pk), new.seed, t


def test_totp_accepts_steps_minus_one_to_plus_one_only(root, figure):
    from accounts.models import MfaDevice
    from accounts.totp import code_at, verify_and_consume

    device, seed, t = _enabled_device(root)
    now_step = t + 10  # well after enrollment
    outcomes = {}
    for offset in (-2, -1, 0, 1, 2):
        MfaDevice.objects.filter(pk=device.pk).update(last_t=t)  # fresh for each probe
        device.refresh_from_db()
        outcomes[offset] = verify_and_consume(
            device, code_at(seed, now_step + offset), now=now_step * 30 + 1
        )
    figure("steps " + ", ".join(f"{o:+d}:{'ok' if v else 'refused'}" for o, v in outcomes.items()))
    assert outcomes == {-2: False, -1: True, 0: True, 1: True, 2: False}


def test_ten_parallel_uses_of_one_code_give_exactly_one_success(root, figure):
    from accounts.models import MfaDevice
    from accounts.totp import code_at, verify_and_consume

    device, seed, t = _enabled_device(root)
    step = t + 1
    code = code_at(seed, step)
    barrier = threading.Barrier(10)
    results: list[bool] = []
    lock = threading.Lock()

    def use() -> None:
        try:
            mine = MfaDevice.objects.get(pk=device.pk)
            barrier.wait()
            ok = verify_and_consume(mine, code, now=step * 30 + 1)
            with lock:
                results.append(ok)
        finally:
            connection.close()

    threads = [threading.Thread(target=use) for _ in range(10)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    figure(
        f"10 parallel uses: {sum(results)} accepted, {results.count(False)} refused ({connection.vendor})"
    )
    assert sum(results) == 1 and len(results) == 10


def test_sqlite_integrity_check_is_clean(root, figure):
    """``PRAGMA integrity_check`` over a database the operations really wrote to (users,
    keys, policies and their versions, attachments, deletes), not an empty one."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    from accounts.operations.credentials import create_access_key
    from accounts.operations.users import create_user, delete_user
    from policies import operations as ops
    from tests.conftest import allow_policy

    policy = ops.create_policy(actor=root, name="Checked", document=allow_policy("s3:*"))
    ops.create_policy_version(
        actor=root, arn=policy.arn, document=allow_policy("ec2:*"), set_as_default=True
    )
    for n in range(30):
        create_user(actor=root, name=f"checked{n}", tags=[{"Key": "n", "Value": "x" * 200}])
        create_access_key(actor=root, user_name=f"checked{n}")
        ops.attach_user_policy(actor=root, user_name=f"checked{n}", policy_arn=policy.arn)
    for n in range(0, 30, 3):
        delete_user(actor=root, name=f"checked{n}", force=True)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM accounts_iamuser")
        users = cursor.fetchone()[0]
        cursor.execute("PRAGMA integrity_check")
        result = cursor.fetchone()[0]
    figure(
        f"PRAGMA integrity_check: {result} over {pages} pages, {users} users after 30 creates "
        f"and 10 deletes (sqlite {sqlite3.sqlite_version})"
    )
    assert users == 20
    assert result == "ok"


def test_console_created_secrets_are_sealed_in_the_session_store(console, iam_user, clock, figure):
    """A key's secret and a generated password wait in the session for their one .csv
    download: sealed, so the session table never holds them in the clear."""
    import re

    from django.urls import reverse

    from accounts.pages.users_credentials import REAUTH_SESSION

    session = console.session
    session[REAUTH_SESSION] = clock.time()
    session.save()
    page = console.post(reverse("accounts:user-create-access-key", args=["alice"])).content.decode()
    secret = re.search(r"[A-Za-z0-9/+]{40}", page.split("Secret access key", 1)[-1]).group(0)
    from accounts.models import AccessKey

    assert AccessKey.objects.get(user=iam_user).secret() == secret  # the page showed the real one
    dump = _database_dump()
    hits = dump.count(secret.encode())
    figure(
        f"new key's secret shown once on the page; {hits} copies in the database (sessions included)"
    )
    assert hits == 0


def test_no_secret_seed_or_session_token_on_any_page(console, root, iam_user, figure):
    """After creation, no console page shows an access-key secret, TOTP seed or STS
    session token again, and the database holds the token only as a hash."""
    import json as _json

    from django.urls import reverse

    from accounts.operations.credentials import (
        create_access_key,
        create_login_profile,
        create_virtual_mfa_device,
    )
    from accounts.operations.roles import create_role
    from accounts.operations.sts import assume_role
    from accounts.principal import user_principal
    from policies.operations import put_user_policy
    from tests.conftest import allow_policy
    from tests.security.test_console_auth import all_patterns, fill

    key = create_access_key(actor=root, user_name="alice")
    mfa = create_virtual_mfa_device(actor=root, name="alice-phone")
    create_login_profile(actor=root, user_name="alice", password="Long-password-123")
    put_user_policy(
        actor=root, user_name="alice", policy_name="assume", document=allow_policy("sts:AssumeRole")
    )
    create_role(
        actor=root,
        name="app",
        trust_policy=_json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": iam_user.arn},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    session = assume_role(
        actor=user_principal(iam_user),
        role_arn=iam_user.arn.replace(":user/alice", ":role/app"),
        session_name="s",
    )
    needles = {
        "access key secret": key.secret.encode(),
        "session secret": session.secret.encode(),
        "session token": session.session_token.encode(),
        "seed hex": mfa.seed.hex().encode(),
        "seed base32": base64.b32encode(mfa.seed).rstrip(b"="),
    }
    values = {
        "user_name": "alice",
        "group_name": "x",
        "role_name": "app",
        "access_key_id": key.key.access_key_id,
        "policy_id": "x",
        "version_id": "v1",
        "account": root.account_id,
        "tab": "security-credentials",
    }
    pages = 0
    found: list[str] = []
    for name, _route, args in all_patterns():
        if name == "accounts:signout":
            continue
        response = console.get(reverse(name, kwargs=fill(args, values)))
        pages += 1
        found += [f"{what} on {name}" for what, n in needles.items() if n in response.content]
    dump = _database_dump()
    found += [f"{what} in the database" for what, n in needles.items() if n in dump]
    figure(f"{pages} pages and the database searched for 5 secrets: {len(found)} hits")
    assert not found, found


def test_removing_a_users_console_access_ends_their_sessions(root, iam_user, user_console, figure):
    from accounts.operations.credentials import create_login_profile, delete_login_profile

    create_login_profile(actor=root, user_name="alice", password="Long-password-123")
    client = user_console(iam_user)
    assert client.get("/").status_code == 200
    delete_login_profile(actor=root, user_name="alice")
    response = client.get("/")
    figure(
        f"after DeleteLoginProfile the user's open session gets {response.status_code} to {response.headers.get('Location')}"
    )
    assert response.status_code == 302 and "/signin/" in response.url
