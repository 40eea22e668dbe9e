"""Crash durability: kill -9 the real server in the middle of real clients' writes.

The production server (gunicorn with gunicorn.conf.py, exactly what `make serve`
runs; one worker of 4 threads) serves this test's database. Three client threads
call CreateUser through boto3 (SigV4, no retries) as fast as it answers. A write is
*acknowledged* when its 200 answer arrived, *interrupted* when its connection died
under a kill. The test SIGKILLs the worker (gunicorn's master starts another) only
while writes are in flight and after the server acknowledged a write since the
previous kill; every tenth kill takes the master down with it and the server is
started again. Only kills that interrupted at least one in-flight write count.

Afterwards: every acknowledged user is there and whole (its console identity, ARN,
tags and CreateUser audit event), no user is half-written, and (SQLite) the
database file passes ``PRAGMA integrity_check``. The figure is counted work, never a
rate: a loaded machine only makes the test slower, and a server that does not come
up (or makes no progress) within a generous bound fails it clearly.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]

ROOT = Path(__file__).resolve().parents[2]
SERVE = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]  # Makefile: SERVE
KILLS = 20  # counted kills: each interrupted at least one in-flight write
MAX_KILLS = 60  # kills sent at most (a kill may land between requests)
CLIENTS = 3
PROGRESS_TIMEOUT = 240  # seconds: only detects a server that never comes up or stalls


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user, host, port = db["USER"], db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


class Server:
    def __init__(self, tmp: Path) -> None:
        self.port = _free_port()
        self.logs = tmp / "server.log"
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "IAM_"))
            and k not in ("DATABASE_URL", "WORKERS", "THREADS")
        }
        self.env.update(
            IAM_VAR_DIR=str(tmp / "var"),
            DATABASE_URL=_database_url(),
            DJANGO_SECRET_KEY=settings.SECRET_KEY,  # the test's sealed key secrets open
            HOST="127.0.0.1",
            PORT=str(self.port),
            WORKERS="1",
            THREADS="4",
            GUNICORN_LOG_LEVEL="warning",
        )
        if settings.IAM_SECRETS_KEY:
            self.env["IAM_SECRETS_KEY"] = settings.IAM_SECRETS_KEY
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with self.logs.open("a") as log:
            self.proc = subprocess.Popen(
                SERVE, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def tail(self) -> str:
        return self.logs.read_text(errors="replace")[-3000:]

    def kill_worker(self) -> list[int]:
        # The master may be between workers (one just exited, recycled by max_requests,
        # or reaped after the last kill): wait for the next one to be forked.
        deadline = time.monotonic() + 30
        workers = _children(self.proc.pid)
        while not workers and time.monotonic() < deadline and self.proc.poll() is None:
            time.sleep(0.01)
            workers = _children(self.proc.pid)
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        return workers

    def kill_all(self) -> None:
        workers = _children(self.proc.pid)
        self.proc.kill()
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(timeout=60)


class Load:
    """CLIENTS threads creating users through boto3; what happened to each request."""

    def __init__(self, url: str, key_id: str, secret: str) -> None:
        import boto3
        from botocore.config import Config

        config = Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=PROGRESS_TIMEOUT,
            read_timeout=PROGRESS_TIMEOUT,
        )
        self.client = boto3.client(
            "iam",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            config=config,
        )
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.in_flight: dict[str, float] = {}
        self.acked: list[str] = []
        self.interrupted: list[tuple[str, float, float]] = []  # name, sent, failed
        self.errors: list[str] = []  # answers that were neither 200 nor a dead connection
        self.threads = [
            threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(CLIENTS)
        ]

    def _run(self, i: int) -> None:
        from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

        n = 0
        while not self.stop.is_set():
            name = f"crash{i}-{n}"
            n += 1
            sent = time.monotonic()
            with self.lock:
                self.in_flight[name] = sent
            try:
                self.client.create_user(UserName=name, Tags=[{"Key": "n", "Value": name}])
            except (ConnectionError, HTTPClientError):
                with self.lock:
                    self.interrupted.append((name, sent, time.monotonic()))
                time.sleep(0.05)  # the server is restarting: do not spin
            except ClientError as exc:
                with self.lock:
                    self.errors.append(f"{name}: {exc}")
            else:
                with self.lock:
                    self.acked.append(name)
            finally:
                with self.lock:
                    self.in_flight.pop(name, None)

    def wait(self, predicate, what: str, server: Server) -> None:
        deadline = time.monotonic() + PROGRESS_TIMEOUT
        while time.monotonic() < deadline:
            if server.proc.poll() is not None:
                pytest.fail(f"the server exited ({server.proc.returncode}):\n{server.tail()}")
            with self.lock:
                if predicate():
                    return
            time.sleep(0.01)
        pytest.fail(f"{what} after {PROGRESS_TIMEOUT}s:\n{server.tail()}\n{self.errors[:5]}")


def test_kill_9_of_the_server_under_load_loses_no_acknowledged_write(root, tmp_path, figure):
    from accounts.models import ConsoleUser, IamUser
    from accounts.operations.credentials import create_access_key
    from audit.models import AuditEvent

    new = create_access_key(actor=root)
    server = Server(tmp_path)
    server.start()
    load = Load(f"http://127.0.0.1:{server.port}", new.key.access_key_id, new.secret)
    rng = random.Random(1234)  # noqa: S311 - timing jitter, not security
    kill_times: list[float] = []
    counted = sent_kills = restarts = 0
    try:
        for t in load.threads:
            t.start()
        load.wait(lambda: load.acked, "no acknowledged write", server)
        while counted < KILLS and sent_kills < MAX_KILLS:
            acked_before = len(load.acked)
            # The server answered since the last kill, and writes are in flight now.
            load.wait(lambda a=acked_before: len(load.acked) > a, "no progress", server)
            time.sleep(rng.uniform(0, 0.05))
            load.wait(lambda: load.in_flight, "no write in flight", server)
            sent_kills += 1
            kill_at = time.monotonic()
            if sent_kills % 10 == 0:
                server.kill_all()
                restarts += 1
                server.start()
            else:
                assert server.kill_worker(), "gunicorn has no worker to kill"
            kill_times.append(kill_at)
            # A kill counts once a write that was in flight when it landed died with it.
            load.wait(
                lambda k=kill_at: not any(s <= k for s in load.in_flight.values()),
                "requests in flight at the kill never ended",
                server,
            )
            with load.lock:
                if any(s <= kill_at <= f for _, s, f in load.interrupted):
                    counted += 1
    finally:
        load.stop.set()
        for t in load.threads:
            t.join(PROGRESS_TIMEOUT)
        if server.proc.poll() is None:
            server.kill_all()

    users = {u.name: u for u in IamUser.objects.filter(name__startswith="crash")}
    lost = [n for n in load.acked if n not in users]
    events = set(
        AuditEvent.objects.filter(event_name="CreateUser").values_list("resource_arn", flat=True)
    )
    # Half-written: a user without its console identity, tags, ARN or audit event.
    partial = [
        u.name
        for u in users.values()
        if not ConsoleUser.objects.filter(pk=u.console_id).exists()
        or u.tags != [{"Key": "n", "Value": u.name}]
        or u.arn != f"arn:aws:iam::{root.account_id}:user/{u.name}"
        or u.arn not in events
    ]
    orphans = ConsoleUser.objects.filter(
        is_root=False, iam_user__isnull=True, username__contains=":crash"
    ).count()
    integrity = "n/a"
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            integrity = cursor.fetchone()[0]
    # Interrupted: in flight when a kill landed (not refused while the server restarted).
    interrupted = [name for name, s, f in load.interrupted if any(s <= k <= f for k in kill_times)]
    landed = sum(1 for name in interrupted if name in users)
    figure(
        f"{counted} kills -9 that interrupted in-flight writes ({sent_kills} sent, "
        f"{restarts} of the whole server); {len(load.acked)} acknowledged writes checked, "
        f"{len(lost)} lost; {len(interrupted)} interrupted ({landed} committed, all whole); "
        f"{len(partial)} partial, {orphans} orphans; integrity_check {integrity} "
        f"({connection.vendor}, {len(users)} users)"
    )
    assert not load.errors, load.errors[:5]
    assert not lost, lost[:10]
    assert not partial and orphans == 0, (partial[:10], orphans)
    assert integrity in ("ok", "n/a")
    assert counted == KILLS, f"only {counted} of {sent_kills} kills interrupted a write"
