"""Races and durability: quotas hold and nothing half-done survives under concurrency."""

from __future__ import annotations

import gc
import json
import threading
import time

import pytest
from django.db import OperationalError, connection

from accounts.errors import EntityAlreadyExists, IamError, LimitExceeded

pytestmark = pytest.mark.django_db(transaction=True)


JOIN_TIMEOUT = 240  # seconds: a stuck racer fails the test clearly instead of hanging it


def race(n: int, fn):
    """Run ``fn(i)`` in ``n`` threads released together; return results or exceptions.

    The cyclic garbage collector is off while the racers run. Left on, it runs in
    whichever thread happens to allocate, and may finalize another thread's SQLite
    cursor there (Django opens SQLite with ``check_same_thread=False``): finalizing
    needs that connection's mutex, which its owner holds while it sleeps in the busy
    handler waiting for the write lock, which the collecting thread holds. Each such
    stall lasted the 30 s busy timeout and ended in "database is locked"; in a row,
    they once kept the 16-writer row busy for over five minutes.
    """
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=JOIN_TIMEOUT)
            results[i] = fn(i)
        except Exception as exc:  # noqa: BLE001
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        deadline = time.monotonic() + JOIN_TIMEOUT
        for t in threads:
            t.start()
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
    finally:
        if was_enabled:
            gc.enable()
    stuck = [i for i, t in enumerate(threads) if t.is_alive()]
    assert not stuck, f"{len(stuck)} of {n} racers still running after {JOIN_TIMEOUT}s: {stuck}"
    gc.collect()  # now, in this thread, with every racer's connection closed
    return results


def test_20_concurrent_creates_of_one_name_give_exactly_one_success(root, figure):
    from accounts.models import IamUser
    from accounts.operations.users import create_user

    results = race(20, lambda i: create_user(actor=root, name="Racer" if i % 2 else "racer"))
    errors = [r for r in results if isinstance(r, Exception)]
    figure(f"20 racers: {20 - len(errors)} success, {len(errors)} EntityAlreadyExists")
    assert len(errors) == 19 and all(isinstance(e, EntityAlreadyExists) for e in errors), errors
    assert IamUser.objects.filter(name__iexact="racer").count() == 1


def test_10_way_access_key_race_never_exceeds_two_keys(root, iam_user, figure):
    from accounts.models import AccessKey
    from accounts.operations.credentials import create_access_key

    results = race(10, lambda i: create_access_key(actor=root, user_name="alice"))
    errors = [r for r in results if isinstance(r, Exception)]
    count = AccessKey.objects.filter(user=iam_user).count()
    figure(f"10 racers: {count} keys, {len(errors)} LimitExceeded")
    assert count == 2 and all(isinstance(e, LimitExceeded) for e in errors), errors


def test_10_way_policy_version_race_never_exceeds_five_versions(root, figure):
    from policies.models import PolicyVersion
    from policies.operations import create_policy, create_policy_version
    from tests.conftest import allow_policy

    policy = create_policy(actor=root, name="Raced", document=allow_policy("s3:*"))
    results = race(
        10,
        lambda i: create_policy_version(
            actor=root, arn=policy.arn, document=allow_policy(f"ec2:Describe{i}")
        ),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    versions = PolicyVersion.objects.filter(policy=policy)
    ids = sorted(v.version_id for v in versions)
    figure(f"10 racers: {versions.count()} versions {ids}, {len(errors)} LimitExceeded")
    assert versions.count() == 5 and len(set(ids)) == 5
    assert all(isinstance(e, LimitExceeded) for e in errors), errors


def test_10_way_attachment_race_never_exceeds_ten_policies(root, iam_user, figure):
    from policies.models import PolicyAttachment
    from policies.operations import attach_user_policy, create_policy
    from tests.conftest import allow_policy

    arns = [create_policy(actor=root, name=f"P{i}", document=allow_policy()).arn for i in range(14)]
    for arn in arns[:6]:
        attach_user_policy(actor=root, user_name="alice", policy_arn=arn)
    results = race(
        8, lambda i: attach_user_policy(actor=root, user_name="alice", policy_arn=arns[6 + i])
    )
    errors = [r for r in results if isinstance(r, Exception)]
    count = PolicyAttachment.objects.filter(user=iam_user).count()
    figure(f"6 attached + 8 racers: {count} attached, {len(errors)} LimitExceeded")
    assert count == 10 and all(isinstance(e, LimitExceeded) for e in errors), errors


def test_delete_user_racing_key_creation_never_deletes_an_acknowledged_key(root, figure):
    """DeleteUser (not forced) against two CreateAccessKey calls for the same user.

    AWS refuses DeleteUser while the user has keys (DeleteConflict). Whatever the
    interleaving, the outcome must be one of the serial ones: either the delete came
    first (the user and its console identity are gone, each key call got NoSuchEntity)
    or a key came first (DeleteConflict; the user is there with every key that was
    acknowledged). What the code controls, and a database cascade cannot hide: the
    delete's check for keys and the key's insert must serialize on the user's row, or
    a delete that saw no key cascades away a key its caller was just given.
    """
    from accounts.errors import DeleteConflict, NoSuchEntity
    from accounts.models import AccessKey, ConsoleUser, IamUser
    from accounts.operations.credentials import create_access_key
    from accounts.operations.users import create_user, delete_user

    rounds = 20
    acked: list[str] = []
    unexpected: list[object] = []
    deleted = conflicts = 0
    inconsistent: list[str] = []
    for n in range(rounds):
        name = f"victim{n}"
        console_id = create_user(actor=root, name=name).console_id

        def act(i: int, name: str = name):
            if i == 0:
                return delete_user(actor=root, name=name)
            return create_access_key(actor=root, user_name=name).key.access_key_id

        results = race(3, act)
        keys = [r for r in results[1:] if isinstance(r, str)]
        acked += keys
        unexpected += [
            r
            for r in results
            if isinstance(r, Exception) and not isinstance(r, (DeleteConflict, NoSuchEntity))
        ]
        user_left = IamUser.objects.filter(name=name).exists()
        if results[0] is None:  # the delete won: nothing of the user may remain
            deleted += 1
            if keys or user_left or ConsoleUser.objects.filter(pk=console_id).exists():
                inconsistent.append(f"{name}: deleted, yet keys {keys}, user left {user_left}")
        elif isinstance(results[0], DeleteConflict):  # a key won: the user keeps every key
            conflicts += 1
            if not keys or not user_left:
                inconsistent.append(f"{name}: DeleteConflict, keys {keys}, user left {user_left}")
    lost = len(set(acked) - set(AccessKey.objects.values_list("access_key_id", flat=True)))
    figure(
        f"{rounds} rounds of DeleteUser vs 2 CreateAccessKey: {deleted} deletes first, "
        f"{conflicts} DeleteConflict; {len(acked)} keys acknowledged, {lost} of them deleted "
        f"without DeleteConflict; {len(inconsistent)} non-serial outcomes ({connection.vendor})"
    )
    assert not unexpected, unexpected
    assert lost == 0 and not inconsistent, inconsistent
    assert deleted + conflicts == rounds


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite locking behaviour")
def test_16_writers_x_200_writes_on_sqlite_never_see_database_locked(root, figure):
    from accounts.operations.users import create_user, tag_user

    writers, writes = 16, 200
    for w in range(writers):
        create_user(actor=root, name=f"w{w}")
    locked: list[str] = []
    other: list[Exception] = []

    def write(i: int) -> int:
        done = 0
        for j in range(writes):
            try:
                tag_user(actor=root, name=f"w{i}", tags=[{"Key": "n", "Value": str(j)}])
                done += 1
            except OperationalError as exc:
                if "locked" in str(exc):
                    locked.append(str(exc))
                else:
                    other.append(exc)
            except IamError as exc:
                other.append(exc)
        return done

    started = time.perf_counter()
    results = race(writers, write)
    elapsed = time.perf_counter() - started
    total = sum(r for r in results if isinstance(r, int))
    figure(
        f"{writers}x{writes}: {total} writes in {elapsed:.1f}s, {len(locked)} 'database is locked'"
    )
    assert not locked and not other and total == writers * writes
    from accounts.models import IamUser

    assert all(
        json.dumps(u.tags) == json.dumps([{"Key": "n", "Value": str(writes - 1)}])
        for u in IamUser.objects.filter(name__startswith="w")
    )
