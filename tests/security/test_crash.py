"""Crash durability: kill -9 a writer in the middle of writes, 200 times.

A forked child (a copy of this process, so no start-up cost) writes through the
operations layer and acknowledges each operation on a pipe only after it
returned (its transaction committed). The parent kills it with SIGKILL at a
random moment, then checks: the database is intact, every acknowledged write is
there, and no entity is half-written.
"""

from __future__ import annotations

import os
import random
import select
import signal
import time

import pytest
from django.db import connection, connections

pytestmark = pytest.mark.django_db(transaction=True)

KILLS = 200


def _writer(fd: int, root, start: int) -> None:  # runs in the child
    from accounts.operations.credentials import create_access_key
    from accounts.operations.users import create_user
    from policies.operations import attach_user_policy, put_user_policy
    from tests.conftest import allow_policy

    connections.close_all()  # never share the parent's connection
    n = start
    while True:
        name = f"crash{n}"
        create_user(actor=root, name=name, tags=[{"Key": "n", "Value": str(n)}])
        os.write(fd, f"user {name}\n".encode())
        create_access_key(actor=root, user_name=name)
        attach_user_policy(
            actor=root, user_name=name, policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess"
        )
        put_user_policy(
            actor=root, user_name=name, policy_name="inline", document=allow_policy("s3:GetObject")
        )
        os.write(fd, f"done {name}\n".encode())
        n += 1


def _read_acks(fd: int, buffer: bytearray) -> None:
    while select.select([fd], [], [], 0)[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buffer.extend(chunk)


def test_kill_9_during_writes_loses_no_acknowledged_write(root, figure):
    from accounts.models import AccessKey, ConsoleUser, IamUser
    from audit.models import AuditEvent
    from policies.models import InlinePolicy, PolicyAttachment

    rng = random.Random(1234)  # noqa: S311 - timing jitter, not security
    acked_users: set[str] = set()
    acked_done: set[str] = set()
    start = 0
    for _ in range(KILLS):
        connections.close_all()
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            os.close(read_fd)
            try:
                _writer(write_fd, root, start)
            finally:
                os._exit(0)
        os.close(write_fd)
        time.sleep(rng.uniform(0.002, 0.06))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        buffer = bytearray()
        _read_acks(read_fd, buffer)
        os.close(read_fd)
        for line in buffer.decode().splitlines():
            kind, name = line.split()
            (acked_users if kind == "user" else acked_done).add(name)
        start = (
            IamUser.objects.filter(name__startswith="crash").count()
            + len(acked_users)
            + 1000 * (_ + 1)
        )

    users = {u.name: u for u in IamUser.objects.filter(name__startswith="crash")}
    lost = acked_users - users.keys()
    lost_done = [
        n
        for n in acked_done
        if n not in users
        or not AccessKey.objects.filter(user=users[n]).exists()
        or not PolicyAttachment.objects.filter(user=users[n]).exists()
        or not InlinePolicy.objects.filter(user=users[n]).exists()
    ]
    # Half-written entities: a user without its console identity, tags or ARN; audit
    # events for users that do not exist.
    partial = [
        u
        for u in users.values()
        if not ConsoleUser.objects.filter(pk=u.console_id).exists()
        or u.tags != [{"Key": "n", "Value": u.name[5:]}]
        or not u.arn.endswith(u.name)
    ]
    created_events = set(
        AuditEvent.objects.filter(event_name="CreateUser").values_list("resource_arn", flat=True)
    )
    events_without_user = [
        a for a in created_events if "crash" in a and a.rsplit("/", 1)[-1] not in users
    ]
    orphans = ConsoleUser.objects.filter(is_root=False, iam_user__isnull=True).count()
    integrity = "n/a"
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            integrity = cursor.fetchone()[0]
    figure(
        f"{KILLS} kills: {len(users)} users written, {len(acked_users)} acknowledged, "
        f"{len(lost)} lost, {len(lost_done)} incomplete after ack, {len(partial)} partial, "
        f"{orphans} orphans, integrity_check {integrity}"
    )
    assert not lost and not lost_done and not partial and not events_without_user and orphans == 0
    assert integrity in ("ok", "n/a")
    assert len(acked_users) > 20  # the writer really got work done between kills
