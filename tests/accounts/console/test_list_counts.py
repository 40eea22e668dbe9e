"""List headings carry AWS's "Users (n)" count, with no query of their own."""

from __future__ import annotations

import json
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.operations.groups import create_group
from accounts.operations.roles import create_role
from accounts.operations.users import create_user
from policies.operations import create_policy
from tests.conftest import HTMX, allow_policy

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


def heading_count(html: str, noun: str) -> str:
    match = re.search(rf'<span id="{noun}-count" class="list-count"[^>]*>([^<]*)</span>', html)
    assert match, noun
    return match.group(1)


def test_the_users_heading_counts_the_users(console, root):
    for name in ("ann", "ben", "cat"):
        create_user(actor=root, name=name)
    assert heading_count(console.get("/users/").content.decode(), "user") == "(3)"


def test_a_paged_list_counts_every_match_on_every_page(console, root):
    """Numbered pages since issue 16: one COUNT gives the total ("(10+)" before)."""
    for i in range(12):
        create_user(actor=root, name=f"u{i:02d}")
    html = console.get("/users/", {"size": 10}).content.decode()
    assert heading_count(html, "user") == "(12)"
    later = console.get("/users/", {"size": 10, "page": 2}).content.decode()
    assert heading_count(later, "user") == "(12)"


def test_a_marker_page_does_not_know_the_total(console, root):
    """A Marker (links from before the numbers) still continues the list."""
    for i in range(12):
        create_user(actor=root, name=f"u{i:02d}")
    first = console.get("/users/", {"size": 10})
    marker = first.context["page"].marker
    later = console.get("/users/", {"size": 10, "marker": marker}).content.decode()
    assert heading_count(later, "user") == ""
    assert ">u10</a>" in later and ">u09</a>" not in later and "First page" in later


def test_filtering_in_place_updates_the_heading_out_of_band(console, root):
    for name in ("ann", "anna", "ben"):
        create_user(actor=root, name=name)
    r = console.get("/users/", {"q": "ann"}, headers={**HTMX, "HX-Target": "user-table"})
    html = r.content.decode()
    assert "<html" not in html
    assert re.search(
        r'<span id="user-count" class="list-count" hx-swap-oob="true">\(2\)</span>', html
    )


def test_the_full_page_has_one_count(console, root):
    create_user(actor=root, name="ann")
    html = console.get("/users/").content.decode()
    assert html.count('id="user-count"') == 1


def test_groups_roles_and_policies_headings_count_too(console, root):
    create_group(actor=root, name="g1")
    create_group(actor=root, name="g2")
    create_role(actor=root, name="r1", trust_policy=TRUST)
    create_policy(actor=root, name="p1", document=allow_policy("s3:GetObject"))
    assert heading_count(console.get("/groups/").content.decode(), "group") == "(2)"
    assert heading_count(console.get("/roles/").content.decode(), "role") == "(1)"
    html = console.get("/policies/", {"scope": "Local"}).content.decode()
    assert heading_count(html, "policy") == "(1)"


def test_the_count_costs_no_query(console, root):
    for i in range(3):
        create_user(actor=root, name=f"u{i}")
    console.get("/users/")
    with CaptureQueriesContext(connection) as few:
        console.get("/users/")
    for i in range(3, 20):
        create_user(actor=root, name=f"u{i}")
    console.get("/users/")
    with CaptureQueriesContext(connection) as many:
        html = console.get("/users/").content.decode()
    assert heading_count(html, "user") == "(20)"
    assert len(few) == len(many)
