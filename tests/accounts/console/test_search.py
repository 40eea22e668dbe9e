"""Issue 16, top bar: search users, groups, roles and policies by name from any page.

Each kind comes from its list operation with its name filter, so the caller's own
permissions decide what shows; a plain GET page without JavaScript, a fragment for
htmx.
"""

from __future__ import annotations

import json

from django.urls import reverse

from accounts.operations.groups import create_group
from accounts.operations.roles import create_role
from accounts.operations.users import create_user
from audit.models import AuditEvent
from policies.operations import create_policy, put_user_policy
from tests.conftest import HTMX, allow_policy

SEARCH = "/search/"
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


def seed(root) -> None:
    create_user(actor=root, name="payments-dev")
    create_user(actor=root, name="carol")
    create_group(actor=root, name="payments-admins")
    create_role(actor=root, name="PaymentsDeploy", trust_policy=TRUST)
    create_policy(actor=root, name="PaymentsRead", document=allow_policy("s3:GetObject"))


def test_search_finds_each_kind_by_part_of_its_name(console, root):
    seed(root)
    r = console.get(SEARCH, {"q": "payments"})
    html = r.content.decode()
    assert r.status_code == 200 and "<html" in html
    assert f'href="{reverse("accounts:user-detail", args=["payments-dev"])}"' in html
    assert f'href="{reverse("accounts:group-detail", args=["payments-admins"])}"' in html
    assert f'href="{reverse("accounts:role-detail", args=["PaymentsDeploy"])}"' in html
    assert ">PaymentsRead</a>" in html and "Customer managed" in html
    assert "carol" not in html


def test_aws_managed_policies_are_found_too(console):
    html = console.get(SEARCH, {"q": "IAMReadOnly"}).content.decode()
    assert ">IAMReadOnlyAccess</a>" in html and "AWS managed" in html


def test_htmx_gets_only_the_results(console, root):
    seed(root)
    r = console.get(SEARCH, {"q": "carol"}, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and "topbar" not in html
    assert ">carol</a>" in html
    assert "HX-Request" in r.headers.get("Vary", "")


def test_a_cleared_top_bar_box_closes_its_results(console):
    r = console.get(SEARCH, {"q": "", "in": "topbar"}, headers=HTMX)
    assert r.status_code == 200 and r.content == b""


def test_the_page_without_a_query_asks_for_one(console):
    html = console.get(SEARCH).content.decode()
    assert "Type part of a name" in html and '<label for="search-page-q">' in html


def test_nothing_matching_says_so(console):
    html = console.get(SEARCH, {"q": "zzz-nothing"}).content.decode()
    assert "Nothing matches" in html and "zzz-nothing" in html


def test_the_query_is_escaped(console):
    html = console.get(SEARCH, {"q": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_user_sees_only_the_kinds_their_permissions_list(root, user_console, alice_login):
    seed(root)
    put_user_policy(
        actor=root,
        user_name="alice",
        policy_name="list-users",
        document=allow_policy("iam:ListUsers"),
    )
    html = user_console(alice_login).get(SEARCH, {"q": "payments"}).content.decode()
    assert ">payments-dev</a>" in html
    # The other kinds answer AWS's AccessDenied in their own sections, naming no resource.
    assert "payments-admins" not in html and "PaymentsDeploy" not in html
    assert "PaymentsRead" not in html
    assert "iam:ListGroups" in html and "iam:ListRoles" in html and "iam:ListPolicies" in html
    refused = AuditEvent.objects.filter(allowed=False, event_name__in=["ListGroups", "ListRoles"])
    assert refused.count() == 2  # refusals are events, as every refusal is


def test_another_accounts_names_never_show(outsider_console, root):
    seed(root)
    html = outsider_console.get(SEARCH, {"q": "payments"}).content.decode()
    assert "payments-dev" not in html and "PaymentsDeploy" not in html
    assert "Nothing matches" in html


def test_a_long_query_is_cut_not_refused(console):
    r = console.get(SEARCH, {"q": "a" * 5000})
    assert r.status_code == 200


def test_more_than_ten_matches_link_to_the_filtered_list(console, root):
    for n in range(12):
        create_user(actor=root, name=f"bulk-{n:02d}")
    html = console.get(SEARCH, {"q": "bulk"}).content.decode()
    assert html.count('href="/users/bulk-') == 10
    assert f'href="{reverse("accounts:user-list")}?q=bulk"' in html


def test_search_needs_a_signed_in_console(client, db):
    r = client.get(SEARCH, {"q": "x"})
    assert r.status_code == 302 and r.url.startswith(reverse("accounts:signin"))


def test_search_is_get_only(console):
    assert console.post(SEARCH, {"q": "x"}).status_code == 405
