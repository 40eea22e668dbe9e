"""The Policies list: AWS and customer managed, filters, paging in place, query count."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from policies.operations import attach_user_policy, create_policy
from tests.conftest import HTMX, allow_policy

URL = "/policies/"


def test_policy_list_renders_aws_and_customer_policies_for_root(console, s3_policy):
    r = console.get(reverse("policies:policy-list"))
    html = r.content.decode()
    assert r.status_code == 200 and "<html" in html
    assert "s3-read" in html and "Customer managed" in html
    assert "AWS managed" in html and "Read objects in S3" in html
    html = console.get(URL, {"q": "AdministratorAccess"}).content.decode()
    assert "AdministratorAccess" in html and "AWS managed" in html


def test_htmx_request_returns_only_the_table_fragment(console, s3_policy):
    r = console.get(URL, {"q": "s3-read"}, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200
    assert "<html" not in html and 'id="policy-table"' in html
    assert "s3-read" in html


def test_type_filter_shows_only_customer_or_only_aws_policies(console, s3_policy):
    local = console.get(URL, {"scope": "Local"}).content.decode()
    assert "s3-read" in local and "AdministratorAccess" not in local
    aws = console.get(URL, {"scope": "AWS", "q": "AdministratorAccess"}).content.decode()
    assert "AdministratorAccess" in aws and "s3-read" not in aws


def test_search_filters_by_name(console, s3_policy):
    html = console.get(URL, {"q": "IAMReadOnly", "scope": "AWS"}).content.decode()
    assert "IAMReadOnlyAccess" in html and "AdministratorAccess<" not in html


def test_attached_filter_lists_only_policies_in_use_with_their_count(
    console, root, iam_user, s3_policy
):
    create_policy(actor=root, name="unused", document=allow_policy("ec2:Describe*"))
    attach_user_policy(actor=root, user_name="alice", policy_arn=s3_policy.arn)
    html = console.get(URL, {"usage": "attached"}).content.decode()
    assert "s3-read" in html and "unused" not in html
    assert "Permissions policy (1)" in html


def test_pages_forward_with_a_next_link_keeping_the_filters(console):
    first = console.get(URL, {"scope": "AWS"}).content.decode()
    assert "Next page" in first and "scope=AWS" in first
    # Numbered pages since issue 16 (a Marker link before).
    assert 'href="?scope=AWS&amp;page=2"' in first
    second = console.get(f"{URL}?scope=AWS&page=2", headers=HTMX)
    html = second.content.decode()
    assert second.status_code == 200 and 'rel="prev"' in html
    assert (
        '<span class="page-current" aria-current="page"><span class="visually-hidden">Page </span>2</span>'
        in html
    )


def test_a_bad_marker_is_a_400_with_the_aws_message_not_a_500(console):
    r = console.get(URL, {"marker": "%%%not-base64"})
    assert r.status_code == 400 and "Invalid Marker" in r.content.decode()


def _queries(client, count: int, root) -> int:
    for n in range(count):
        create_policy(actor=root, name=f"bulk-{count}-{n:03d}", document=allow_policy())
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(URL, {"scope": "Local"})
    assert r.status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_rows(console, root):
    ten = _queries(console, 10, root)
    hundred = _queries(console, 90, root)  # 100 customer policies now
    assert hundred == ten, (ten, hundred)


def test_not_attached_filter_lists_only_unused_policies(console, root, iam_user):
    from policies.operations import attach_user_policy, create_policy

    create_policy(actor=root, name="unused-one", document=allow_policy("s3:*"))
    used = create_policy(actor=root, name="used-one", document=allow_policy("s3:*"))
    attach_user_policy(actor=root, user_name=iam_user.name, policy_arn=used.arn)
    html = console.get("/policies/", {"scope": "Local", "usage": "unattached"}).content.decode()
    assert "unused-one" in html and ">used-one</a>" not in html
