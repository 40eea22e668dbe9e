"""The create-user wizard's policy tables count and page in SQL: one ListPolicies call
per table (never the catalog read to its end), a query count that does not grow with
the number of policies, and the "AWS managed" type filtered in the query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.pages import users_wizard_policies
from policies.models import ManagedPolicy
from policies.operations import create_policy, list_policies
from tests.conftest import allow_policy

URL = "/users/create/"


@pytest.fixture
def started(console):
    assert console.post(URL, {"step": "details", "name": "carol"}).status_code == 302
    return console


def _queries(client, **query) -> int:
    client.get(URL, {"step": "permissions", **query})  # warm
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL, {"step": "permissions", **query}).status_code == 200
    return len(ctx)


def test_the_policy_tables_query_count_does_not_grow_with_the_policies(started, root):
    for i in range(10):
        create_policy(actor=root, name=f"p{i:03d}", document=allow_policy("s3:GetObject"))
    few = [_queries(started, mode="attach"), _queries(started, mode="attach", page="3")]
    for i in range(10, 100):
        create_policy(actor=root, name=f"p{i:03d}", document=allow_policy("s3:GetObject"))
    many = [_queries(started, mode="attach"), _queries(started, mode="attach", page="3")]
    assert many == few


def test_each_table_calls_list_policies_once_for_one_page(started, monkeypatch):
    calls: list[dict] = []

    def counting(**kwargs):
        calls.append(kwargs)
        return list_policies(**kwargs)

    monkeypatch.setattr(users_wizard_policies, "list_policies", counting)
    assert started.get(URL, {"step": "permissions", "mode": "attach"}).status_code == 200
    assert len(calls) == 2  # the policies table and the boundary's
    assert all(c["max_items"] == users_wizard_policies.PAGE_SIZE for c in calls)
    assert all(c["page_number"] == 1 and not c.get("marker") for c in calls)


def test_the_aws_managed_type_leaves_out_job_functions_in_the_query(root):
    page = list_policies(
        actor=root,
        scope="AWS",
        exclude_path_prefix="/job-function/",
        page_number=1,
        max_items=1000,
    )
    aws = ManagedPolicy.objects.filter(account__isnull=True)
    jobs = aws.filter(path__startswith="/job-function/").count()
    assert jobs > 0
    assert page.total == aws.count() - jobs
    assert not any(p.path.startswith("/job-function/") for p in page.items)
