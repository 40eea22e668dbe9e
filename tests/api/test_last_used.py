"""Last-used bookkeeping (accounts/operations/activity.py): what the API records when a
key signs a request or a role session acts, and what it leaves alone."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AccessKey, IamUser, Role
from accounts.operations.activity import (
    LAST_USED_RESOLUTION,
    record_access_key_use,
    record_password_use,
    record_role_use,
)
from accounts.operations.credentials import create_access_key
from accounts.operations.roles import create_role

pytestmark = pytest.mark.django_db

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:*"}
        ],
    }
)


@pytest.fixture
def key(root, iam_user):
    return create_access_key(actor=root, user_name=iam_user.name).key


def _stored(key: AccessKey) -> tuple:
    row = AccessKey.objects.get(pk=key.pk)
    return row.last_used, row.last_used_service, row.last_used_region


def test_first_use_of_a_key_records_when_service_and_region(key):
    now = timezone.now()
    assert record_access_key_use(key, service="iam", region="eu-west-1", now=now) is True
    assert _stored(key) == (now, "iam", "eu-west-1")


def test_a_second_use_within_the_resolution_writes_nothing(key):
    now = timezone.now()
    record_access_key_use(key, service="iam", region="us-east-1", now=now)
    key.refresh_from_db()
    later = now + LAST_USED_RESOLUTION / 2
    assert record_access_key_use(key, service="iam", region="us-east-1", now=later) is False
    assert _stored(key) == (now, "iam", "us-east-1")


def test_a_stale_in_memory_row_still_does_not_overwrite_a_fresh_use(key):
    """Two requests with the same key: the second holds the row from before the first
    wrote, and the conditional UPDATE leaves the first one's (equal) answer."""
    now = timezone.now()
    stale = AccessKey.objects.get(pk=key.pk)
    record_access_key_use(key, service="iam", region="us-east-1", now=now)
    later = now + LAST_USED_RESOLUTION / 2
    assert record_access_key_use(stale, service="iam", region="us-east-1", now=later) is False
    assert _stored(key) == (now, "iam", "us-east-1")


def test_another_service_or_region_is_recorded_at_once(key):
    now = timezone.now()
    record_access_key_use(key, service="iam", region="us-east-1", now=now)
    key.refresh_from_db()
    soon = now + timedelta(milliseconds=10)
    assert record_access_key_use(key, service="sts", region="us-east-1", now=soon) is True
    key.refresh_from_db()
    assert record_access_key_use(key, service="sts", region="eu-west-1", now=soon) is True
    assert _stored(key) == (soon, "sts", "eu-west-1")


def test_a_use_after_the_resolution_moves_the_date(key):
    now = timezone.now()
    record_access_key_use(key, service="iam", region="us-east-1", now=now)
    key.refresh_from_db()
    later = now + LAST_USED_RESOLUTION * 2
    assert record_access_key_use(key, service="iam", region="us-east-1", now=later) is True
    assert _stored(key)[0] == later


def test_role_use_is_recorded_once_per_resolution(root):
    role = create_role(actor=root, name="worker", trust_policy=TRUST)
    now = timezone.now()
    assert record_role_use(role, region="ap-south-1", now=now) is True
    role.refresh_from_db()
    assert (role.last_used, role.last_used_region) == (now, "ap-south-1")
    assert record_role_use(role, region="ap-south-1", now=now + LAST_USED_RESOLUTION / 2) is False
    later = now + LAST_USED_RESOLUTION * 2
    assert record_role_use(role, region="eu-west-1", now=later) is True
    assert Role.objects.get(pk=role.pk).last_used == later


def test_password_use_sets_password_last_used(iam_user):
    assert iam_user.password_last_used is None
    now = timezone.now()
    record_password_use(iam_user, now=now)
    assert IamUser.objects.get(pk=iam_user.pk).password_last_used == now
