"""The console shell and the IAM dashboard: counts, recommendations, header."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessKey
from accounts.operations.credentials import create_access_key
from accounts.operations.groups import create_group
from accounts.operations.roles import create_role
from accounts.operations.users import create_user
from policies.operations import create_policy
from tests.conftest import allow_policy

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


def count_of(html: str, label: str) -> int:
    match = re.search(
        rf'<span class="count-label">{label}</span><span class="count-value">(\d+)</span>', html
    )
    assert match, label
    return int(match.group(1))


def test_dashboard_counts_the_accounts_resources(console, root, outsider):
    for name in ["alice", "bob"]:
        create_user(actor=root, name=name)
    create_group(actor=root, name="admins")
    create_role(actor=root, name="app", trust_policy=TRUST)
    create_policy(actor=root, name="read", document=allow_policy("s3:Get*"))
    create_user(actor=outsider, name="mallory")  # another account: not counted
    create_policy(actor=outsider, name="other", document=allow_policy())

    html = console.get(reverse("iamconsole:dashboard")).content.decode()
    assert count_of(html, "Users") == 2
    assert count_of(html, "User groups") == 1
    assert count_of(html, "Roles") == 1
    assert count_of(html, "Policies") == 1  # customer managed only
    assert "mallory" not in html


def test_dashboard_shows_root_mfa_and_no_root_keys_as_fine(console):
    html = console.get("/").content.decode()
    assert "Root user has MFA" in html
    assert "Root user has no active access keys" in html
    assert "rec-risk" not in html


def test_root_access_keys_are_flagged_as_a_risk(console, root):
    create_access_key(actor=root)
    html = console.get("/").content.decode()
    assert "Root user has active access keys" in html and "rec-risk" in html


def test_users_without_mfa_and_old_keys_are_listed(console, root, iam_user):
    key = create_access_key(actor=root, user_name="alice").key
    fresh = create_access_key(actor=root, user_name="alice").key
    AccessKey.objects.filter(pk=key.pk).update(created=timezone.now() - timedelta(days=91))
    html = console.get("/").content.decode()
    assert "1 IAM user without MFA" in html and "alice" in html
    assert "1 active access key older than 90 days" in html
    assert key.access_key_id in html and fresh.access_key_id not in html


def test_inactive_old_keys_are_not_flagged(console, root, iam_user):
    from accounts.operations.credentials import update_access_key

    key = create_access_key(actor=root, user_name="alice").key
    AccessKey.objects.filter(pk=key.pk).update(created=timezone.now() - timedelta(days=200))
    update_access_key(
        actor=root, user_name="alice", access_key_id=key.access_key_id, status="Inactive"
    )
    assert "No active access keys older than 90 days" in console.get("/").content.decode()


def test_header_shows_account_alias_identity_and_signout(console, account):
    account.alias = "acme-lab"
    account.save()
    html = console.get("/").content.decode()
    assert account.id in html and "acme-lab" in html
    assert 'class="identity-name">root<' in html
    assert f'action="{reverse("accounts:signout")}"' in html
    assert "http://testserver/signin/acme-lab/" in html


def test_signin_url_uses_the_account_id_without_alias(console, account):
    assert f"http://testserver/signin/{account.id}/" in console.get("/").content.decode()


def test_navigation_links_to_the_iam_pages(console):
    html = console.get("/").content.decode()
    for href in ["/groups/", "/users/", "/roles/", "/policies/", "/account/"]:
        assert f'href="{href}"' in html
    assert 'aria-current="page"' in html


def test_shell_loads_htmx_from_a_static_file_and_sends_csrf(console):
    html = console.get("/").content.decode()
    assert re.search(r'<script src="/static/django_htmx/htmx-2[^"]*" defer></script>', html)
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []  # no inline scripts
    assert " style=" not in html and "<style" not in html
    assert re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"[^\"]+\"\}'", html)
    assert "/static/css/console.css" in html


def test_user_names_are_escaped(console, root):
    # IAM names cannot hold markup, but the page must not rely on that.
    from accounts.models import IamUser

    create_user(actor=root, name="eve")
    IamUser.objects.filter(name="eve").update(name="<i>eve</i>")
    html = console.get("/").content.decode()
    assert "<i>eve</i>" not in html and "&lt;i&gt;eve&lt;/i&gt;" in html


def test_dashboard_is_never_cached_and_carries_the_csp(console):
    r = console.get("/")
    assert r["Cache-Control"] == "no-store"
    assert "script-src 'self'" in r["Content-Security-Policy"]


def test_post_to_root_is_not_the_console(console):
    # POST / is the AWS Query API (api/middleware.py), never the dashboard.
    r = console.post("/", {"Action": "ListUsers"})
    assert "IAM dashboard" not in r.content.decode()


def test_principal_of_builds_the_mfa_authenticated_root(console, account):
    r = console.get("/", REMOTE_ADDR="203.0.113.9", headers={"User-Agent": "pytest-browser"})
    principal = r.wsgi_request.principal
    assert principal.arn == f"arn:aws:iam::{account.id}:root" and principal.is_root
    assert principal.mfa_authenticated and principal.mfa_auth_time is not None
    assert principal.source_ip == "203.0.113.9" and principal.user_agent == "pytest-browser"
    assert principal.via == "console"


def test_an_unknown_identity_kind_gets_no_principal(console):
    from iamconsole.console import IDENTITY_KEY

    session = console.session
    session[IDENTITY_KEY] = {"kind": "martian"}
    session.save()
    assert console.get("/").status_code == 403


def test_dashboard_shows_access_denied_in_its_panels_for_a_user_without_permissions(
    user_console, root, iam_user
):
    from accounts.operations.credentials import create_login_profile

    create_login_profile(actor=root, user_name="alice", password="Long-password-123")
    response = user_console(iam_user).get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "is not authorized to perform: iam:GetAccountSummary" in html
    assert "is not authorized to perform: iam:ListUsers" in html
    assert 'href="/users/alice/"' not in html  # no user names without ListUsers
