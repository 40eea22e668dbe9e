"""Roles list: trusted entities, last activity, filter and pages in place, query count."""

from __future__ import annotations

import json
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.operations.roles import create_role
from accounts.pages.roles import trusted_entities
from tests.conftest import HTMX

URL = "/roles/"


def trust(principal: object) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
        }
    )


def test_roles_url_is_named_role_list():
    assert reverse("accounts:role-list") == URL


def test_list_shows_trusted_entities_last_activity_and_creation_for_root(console, root):
    create_role(actor=root, name="ec2-app", trust_policy=trust({"Service": "ec2.amazonaws.com"}))
    create_role(
        actor=root,
        name="cross",
        trust_policy=trust({"AWS": "arn:aws:iam::444455556666:root"}),
    )
    Role.objects.filter(name="cross").update(last_used=timezone.now() - timedelta(days=3))
    r = console.get(URL)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" in html
    assert "AWS Service: ec2" in html and "Account: 444455556666" in html
    assert "3\xa0days ago" in html
    assert 'href="/roles/ec2-app/"' in html


def test_trusted_entities_summary_reads_every_principal_kind():
    doc = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {
                        "Service": ["lambda.amazonaws.com", "ecs-tasks.amazonaws.com"],
                        "AWS": ["111122223333", "arn:aws:iam::111122223333:user/bob"],
                        "Federated": "arn:aws:iam::111122223333:saml-provider/Okta",
                    },
                    "Action": "sts:AssumeRole",
                },
                {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"},
            ],
        }
    )
    assert trusted_entities(doc) == [
        "AWS Service: lambda",
        "AWS Service: ecs-tasks",
        "Account: 111122223333",
        "user/bob (111122223333)",
        "Identity Provider: Okta",
    ]
    assert trusted_entities("not json") == []


def test_htmx_filter_returns_only_the_table(console, root):
    create_role(actor=root, name="alpha", trust_policy=trust({"Service": "ec2.amazonaws.com"}))
    create_role(actor=root, name="beta", trust_policy=trust({"Service": "ec2.amazonaws.com"}))
    r = console.get(URL, {"q": "ALP"}, headers={**HTMX, "HX-Target": "role-table"})
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and 'id="role-table"' in html
    assert "alpha" in html and "beta" not in html


def test_pages_forward_and_back_to_the_first_page(console, root):
    for n in range(60):
        create_role(
            actor=root, name=f"r-{n:02d}", trust_policy=trust({"Service": "ec2.amazonaws.com"})
        )
    first = console.get(URL)
    assert "r-49" in first.content.decode() and "r-50" not in first.content.decode()
    marker = first.context["page"].marker
    second = console.get(URL, {"marker": marker}, headers={**HTMX, "HX-Target": "role-table"})
    html = second.content.decode()
    assert "<html" not in html and "r-50" in html and "r-59" in html and "First page" in html
    assert "Next page" not in html


def _queries(client, root, count: int) -> int:
    for n in range(Role.objects.count(), count):
        create_role(actor=root, name=f"bulk-{n:03d}", trust_policy=trust({"AWS": "111122223333"}))
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(URL)
    assert r.status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_rows(console, root):
    ten = _queries(console, root, 10)
    hundred = _queries(console, root, 100)
    assert ten == hundred, (ten, hundred)
    print(f"role list queries: {ten} (10 rows), {hundred} (100 rows)")


def test_role_description_and_trust_are_escaped_in_the_list(console, root):
    create_role(
        actor=root,
        name="x",
        trust_policy=trust({"AWS": "arn:aws:iam::111122223333:root"}),
        description="<script>alert(1)</script>",
    )
    r = console.get(URL, {"q": "<img src=x onerror=alert(1)>"})
    html = r.content.decode()
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_signed_out_browser_is_sent_to_sign_in(client):
    r = client.get(URL)
    assert r.status_code == 302 and r["Location"].startswith("/signin/")
