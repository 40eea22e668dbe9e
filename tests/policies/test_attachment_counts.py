"""AttachmentCount and the "attached" filters count the caller's account only, however
many other accounts attach the same AWS-managed policy (issue 15, bench/scale.py)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.operations.authdetails import (
    get_account_authorization_details,
    policy_usage_counts,
)
from accounts.operations.groups import create_group
from accounts.operations.roles import create_role
from accounts.operations.users import create_user
from policies import operations as ops
from policies.models import ManagedPolicy

pytestmark = pytest.mark.django_db

READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
TRUST = json.dumps(
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
)


def _attach_everywhere(actor, policy_arn: str, suffix: str) -> None:
    create_user(actor=actor, name=f"u-{suffix}")
    create_group(actor=actor, name=f"g-{suffix}")
    create_role(actor=actor, name=f"r-{suffix}", trust_policy=TRUST)
    ops.attach_user_policy(actor=actor, user_name=f"u-{suffix}", policy_arn=policy_arn)
    ops.attach_group_policy(actor=actor, group_name=f"g-{suffix}", policy_arn=policy_arn)
    ops.attach_role_policy(actor=actor, role_name=f"r-{suffix}", policy_arn=policy_arn)


def _counts(page) -> dict[str, int]:
    return {p.name: p.attachment_count for p in page.items}


def test_counts_and_filters_see_only_the_callers_account(root, outsider):
    _attach_everywhere(root, READ_ONLY, "a")  # user, group and role: 3 in this account
    _attach_everywhere(outsider, READ_ONLY, "b")
    _attach_everywhere(outsider, S3_READ, "c")  # attached only in the other account
    mine = ops.create_policy(actor=root, name="Mine", document=json.dumps(_doc()))
    ops.attach_user_policy(actor=root, user_name="u-a", policy_arn=mine.arn)

    attached = ops.list_policies(actor=root, only_attached=True)
    assert _counts(attached) == {"Mine": 1, "ReadOnlyAccess": 3}
    assert _counts(ops.list_policies(actor=outsider, only_attached=True)) == {
        "AmazonS3ReadOnlyAccess": 3,
        "ReadOnlyAccess": 3,
    }

    unattached = ops.list_policies(actor=root, only_unattached=True, max_items=1000)
    names = {p.name for p in unattached.items}
    assert "AmazonS3ReadOnlyAccess" in names and not names & {"Mine", "ReadOnlyAccess"}
    assert all(p.attachment_count == 0 for p in unattached.items)
    local = ops.list_policies(actor=root, scope="Local")
    assert _counts(local) == {"Mine": 1}

    s3 = ManagedPolicy.objects.get(arn=S3_READ)
    read_only = ManagedPolicy.objects.get(arn=READ_ONLY)
    assert policy_usage_counts(root.account_id, [s3.pk, read_only.pk, mine.pk]) == {
        s3.pk: (0, 0),
        read_only.pk: (3, 0),
        mine.pk: (1, 0),
    }
    details = get_account_authorization_details(actor=root, filters=["AWSManagedPolicy"])
    assert [(p["PolicyName"], p["AttachmentCount"]) for p in details["Policies"]] == [
        ("ReadOnlyAccess", 3)
    ]


def test_a_listing_page_costs_the_same_queries_however_many_accounts_attach(root, outsider):
    _attach_everywhere(root, READ_ONLY, "a")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            page = ops.list_policies(actor=root, only_attached=True)
        assert _counts(page) == {"ReadOnlyAccess": 3}
        return len(ctx.captured_queries)

    queries()  # the caller's guardrails cached, as on any later request
    before = queries()
    for n in range(5):
        _attach_everywhere(outsider, READ_ONLY, f"x{n}")
    assert queries() == before


def _doc() -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
