"""The test process's flush between transactional tests (tests/flush.py) empties every
table but leaves the AWS-managed catalog exactly as it was."""

from __future__ import annotations

import pytest
from django.core.management import call_command


def _catalog() -> tuple[int, int, str]:
    from policies.models import CatalogState, ManagedPolicy, PolicyVersion

    return (
        ManagedPolicy.objects.filter(account__isnull=True).count(),
        PolicyVersion.objects.filter(policy__account__isnull=True).count(),
        CatalogState.objects.get(key="aws-managed").value,
    )


@pytest.mark.django_db(transaction=True)
def test_flush_keeps_the_catalog_and_empties_the_rest(root):
    from accounts.models import Account
    from accounts.operations.users import create_user
    from policies.models import ManagedPolicy, PolicyVersion
    from policies.operations import attach_user_policy, create_policy
    from tests.conftest import allow_policy

    before = _catalog()
    assert before[0] > 1000
    create_user(actor=root, name="u")
    create_policy(actor=root, name="mine", document=allow_policy("s3:GetObject"))
    attach_user_policy(
        actor=root, user_name="u", policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess"
    )
    call_command("flush", interactive=False, reset_sequences=False, verbosity=0)
    assert _catalog() == before
    assert not Account.objects.exists()
    assert not ManagedPolicy.objects.filter(account__isnull=False).exists()
    assert not PolicyVersion.objects.filter(policy__account__isnull=False).exists()
