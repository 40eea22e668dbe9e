"""Races: concurrent creates of one name give one success and EntityAlreadyExists."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.errors import EntityAlreadyExists, LimitExceeded


def _race(n: int, fn):
    barrier = threading.Barrier(n)
    results: list[object] = []
    lock = threading.Lock()

    def run():
        try:
            barrier.wait()
            outcome = fn()
        except Exception as exc:  # noqa: BLE001
            outcome = exc
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_of_one_user_name_give_one_success(root):
    from accounts.models import IamUser
    from accounts.operations.users import create_user

    results = _race(10, lambda: create_user(actor=root, name="racer"))
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(results) - len(errors) == 1
    assert all(isinstance(e, EntityAlreadyExists) for e in errors), errors
    assert IamUser.objects.filter(name="racer").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_access_key_creation_never_exceeds_two(root, iam_user):
    from accounts.models import AccessKey
    from accounts.operations.credentials import create_access_key

    results = _race(8, lambda: create_access_key(actor=root, user_name="alice"))
    errors = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, LimitExceeded) for e in errors), errors
    assert AccessKey.objects.filter(user=iam_user).count() == 2
