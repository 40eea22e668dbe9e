"""policies.0003's backfill: every attachment gets the account of its user, group or
role (the migration then makes the column required)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from accounts.operations.account import sign_up
from accounts.operations.groups import create_group
from accounts.operations.roles import create_role
from accounts.operations.users import create_user
from accounts.principal import root_principal
from policies.models import PolicyAttachment
from policies.operations import attach_group_policy, attach_role_policy, attach_user_policy

migration = importlib.import_module("policies.migrations.0003_attachment_account")
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'


@pytest.mark.django_db
def test_the_backfill_gives_each_attachment_its_entitys_account():
    expected = {}
    for n, account_id in enumerate(("111111111111", "222222222222")):
        sign_up(email=f"r{n}@example.com", password="root-password-1", account_id=account_id)
        root = root_principal(account_id)
        create_user(actor=root, name=f"u{n}")
        create_group(actor=root, name=f"g{n}")
        create_role(actor=root, name=f"r{n}", trust_policy=TRUST)
        attach_user_policy(actor=root, user_name=f"u{n}", policy_arn=READ_ONLY)
        attach_group_policy(actor=root, group_name=f"g{n}", policy_arn=READ_ONLY)
        attach_role_policy(actor=root, role_name=f"r{n}", policy_arn=READ_ONLY)
        expected |= {
            pk: account_id
            for pk in PolicyAttachment.objects.filter(account_id=account_id).values_list(
                "pk", flat=True
            )
        }
    assert len(expected) == 6
    # As before the column existed: every row says the same (wrong) account.
    PolicyAttachment.objects.update(account_id="111111111111")
    migration.fill_accounts(apps, None)
    assert dict(PolicyAttachment.objects.values_list("pk", "account_id")) == expected
