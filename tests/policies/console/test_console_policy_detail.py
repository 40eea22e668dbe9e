"""Policy detail: permissions (document and summary), entities, tags, for AWS and customer policies."""

from __future__ import annotations

import json
from urllib.parse import quote

from django.urls import reverse

from policies.models import ManagedPolicy
from policies.operations import attach_group_policy, attach_user_policy, create_policy
from tests.conftest import HTMX


def detail(policy, tab: str = "") -> str:
    url = reverse("policies:policy-detail", args=[policy.policy_id])
    return f"{url}?tab={tab}" if tab else url


def test_customer_policy_shows_document_pretty_printed_and_its_summary(console, s3_policy):
    r = console.get(detail(s3_policy))
    html = r.content.decode()
    assert r.status_code == 200
    assert s3_policy.arn in html and "Read objects in S3" in html
    assert "&quot;Sid&quot;: &quot;ReadBuckets&quot;" in html  # indented JSON, escaped
    assert "Amazon S3" in html and "Limited: Read" in html
    assert "Delete" in html and "Edit" in html


def test_aws_managed_policy_detail_renders_without_edit_or_delete(console):
    admin = ManagedPolicy.objects.get(arn="arn:aws:iam::aws:policy/AdministratorAccess")
    html = console.get(detail(admin)).content.decode()
    assert "AWS managed" in html and "Full access" in html
    assert reverse("policies:policy-delete", args=[admin.policy_id]) not in html


def test_tab_request_from_htmx_returns_only_the_tab(console, s3_policy):
    r = console.get(detail(s3_policy, "versions"), headers={**HTMX, "HX-Target": "policy-tab"})
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html
    assert 'id="policy-tab"' in html and "v1" in html and "Default" in html


def test_entities_tab_lists_users_groups_and_roles_attached(
    console, root, iam_user, group, s3_policy
):
    attach_user_policy(actor=root, user_name="alice", policy_arn=s3_policy.arn)
    attach_group_policy(actor=root, group_name="developers", policy_arn=s3_policy.arn)
    html = console.get(detail(s3_policy, "entities")).content.decode()
    assert "alice" in html and "developers" in html and "Group" in html


def test_tags_can_be_added_and_removed_in_place(console, s3_policy):
    url = reverse("policies:policy-tag", args=[s3_policy.policy_id])
    tab = {**HTMX, "HX-Target": "policy-tab"}
    r = console.post(url, {"key": "team", "value": "platform"}, headers=tab)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and "platform" in html
    s3_policy.refresh_from_db()
    assert s3_policy.tags == [{"Key": "team", "Value": "platform"}]
    r = console.post(url, {"key": "x", "value": "<b>bad</b>"}, headers=tab)
    html = r.content.decode()
    assert r.status_code == 400 and "regular expression pattern" in html
    assert "<b>bad" not in html
    url = reverse("policies:policy-untag", args=[s3_policy.policy_id])
    r = console.post(url, {"key": "team"})
    assert r.status_code == 302
    s3_policy.refresh_from_db()
    assert s3_policy.tags == []


def test_unknown_policy_id_is_a_404(console):
    r = console.get("/policies/ANPANOSUCHPOLICY000/")
    assert r.status_code == 404 and "does not exist" in r.content.decode()


def test_outsider_cannot_see_the_accounts_customer_policy(outsider_console, s3_policy):
    outsider = outsider_console
    assert outsider.get(detail(s3_policy)).status_code == 404
    assert outsider.get(detail(s3_policy, "versions")).status_code == 404
    listing = outsider.get("/policies/", {"scope": "Local"}).content.decode()
    assert "s3-read" not in listing
    delete = reverse("policies:policy-delete", args=[s3_policy.policy_id])
    assert outsider.post(delete, {"confirm": "s3-read"}).status_code == 404
    assert ManagedPolicy.objects.filter(pk=s3_policy.pk).exists()


def test_script_payloads_in_description_tags_and_document_render_escaped(console, root):
    evil = "<script>alert(1)</script>"
    doc = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "x",
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::b/<script>alert(2)</script>",
                }
            ],
        }
    )
    policy = create_policy(actor=root, name="evil-policy", document=doc, description=evil)
    for tab in ("permissions", "tags"):
        html = console.get(detail(policy, tab)).content.decode()
        assert "<script>alert" not in html
    html = console.get(detail(policy)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    listing = console.get("/policies/", {"scope": "Local"}).content.decode()
    assert "<script>alert" not in listing


def test_policy_id_url_quoting_is_harmless(console):
    r = console.get("/policies/" + quote("arn:aws:iam::aws:policy/x", safe="") + "/")
    assert r.status_code == 404
