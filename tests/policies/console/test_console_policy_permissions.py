"""IAM users in the console: read-only may browse but not change; no permissions, 403 everywhere.

``readonly_console`` (tests/conftest.py) is ``reader``, with only IAMReadOnlyAccess.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from policies.models import ManagedPolicy
from policies.operations import create_policy_version
from tests.conftest import HTMX, allow_policy
from tests.policies.console.conftest import S3_READ


@pytest.fixture
def nobody(iam_console):
    return iam_console("nobody")


def test_every_policy_page_renders_for_root(console, root, s3_policy):
    create_policy_version(actor=root, arn=s3_policy.arn, document=allow_policy("s3:*"))
    pid = s3_policy.policy_id
    pages = [
        "/policies/",
        "/policies/create/",
        "/policies/simulator/",
        reverse("policies:policy-delete", args=[pid]),
        reverse("policies:version-create", args=[pid]),
        reverse("policies:version-diff", args=[pid]) + "?a=v1&b=v2",
    ] + [
        reverse("policies:policy-detail", args=[pid]) + f"?tab={tab}"
        for tab in ("permissions", "versions", "entities", "tags")
    ]
    for url in pages:
        r = console.get(url)
        assert r.status_code == 200, url
        html = r.content.decode()
        assert "<html" in html and "css/policies.css" in html, url
        assert " style=" not in html and "<script>" not in html, url  # CSP: nothing inline
    fragment = console.get(reverse("policies:policy-detail", args=[pid]), headers=HTMX)
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()


def test_read_only_user_browses_list_detail_versions_diff_and_simulator(
    readonly_console, root, s3_policy
):
    create_policy_version(actor=root, arn=s3_policy.arn, document=allow_policy("s3:*"))
    detail = reverse("policies:policy-detail", args=[s3_policy.policy_id])
    assert "s3-read" in readonly_console.get("/policies/", {"scope": "Local"}).content.decode()
    for tab in ("permissions", "versions", "entities", "tags"):
        assert readonly_console.get(f"{detail}?tab={tab}").status_code == 200, tab
    diff = reverse("policies:version-diff", args=[s3_policy.policy_id])
    assert readonly_console.get(diff, {"a": "v1", "b": "v2"}).status_code == 200
    page = readonly_console.get("/policies/simulator/")
    assert page.status_code == 200 and 'value="user:reader"' in page.content.decode()
    r = readonly_console.post(
        "/policies/simulator/",
        {
            "source": "entity",
            "entity": "user:reader",
            "extra_actions": "iam:ListUsers iam:CreateUser",
            "resources": "*",
        },
        headers=HTMX,
    )
    html = r.content.decode()
    assert r.status_code == 200 and "Allowed" in html and "Implicit deny" in html


def test_read_only_user_cannot_create_with_aws_access_denied_on_the_page(readonly_console):
    r = readonly_console.post("/policies/create/", {"name": "mine", "document": S3_READ})
    html = r.content.decode()
    assert r.status_code == 403
    assert (
        "User: arn:aws:iam::111122223333:user/reader is not authorized to perform: "
        "iam:CreatePolicy on resource: arn:aws:iam::111122223333:policy/mine"
    ) in html
    assert "Access denied" in html and "mine" in html  # the form is kept
    assert not ManagedPolicy.objects.filter(name="mine").exists()


def test_read_only_user_cannot_delete_or_change_versions(readonly_console, root, s3_policy):
    create_policy_version(actor=root, arn=s3_policy.arn, document=allow_policy("s3:*"))
    pid = s3_policy.policy_id
    r = readonly_console.post(reverse("policies:policy-delete", args=[pid]), {"confirm": "s3-read"})
    assert (
        r.status_code == 403 and "not authorized to perform: iam:DeletePolicy" in r.content.decode()
    )
    r = readonly_console.post(
        reverse("policies:version-set-default", args=[pid, "v2"]),
        headers={**HTMX, "HX-Target": "policy-tab"},
    )
    html = r.content.decode()
    assert r.status_code == 403 and "<html" not in html
    assert "iam:SetDefaultPolicyVersion" in html
    r = readonly_console.post(reverse("policies:version-create", args=[pid]), {"document": S3_READ})
    assert r.status_code == 403 and "iam:CreatePolicyVersion" in r.content.decode()
    r = readonly_console.post(
        reverse("policies:policy-tag", args=[pid]), {"key": "a", "value": "b"}
    )
    assert r.status_code == 403 and "iam:TagPolicy" in r.content.decode()
    assert ManagedPolicy.objects.filter(pk=s3_policy.pk).exists()
    assert s3_policy.versions.get(version_id="v1").is_default


def test_user_without_permissions_gets_403_on_every_page(nobody, root, s3_policy):
    pid = s3_policy.policy_id
    create_policy_version(actor=root, arn=s3_policy.arn, document=allow_policy("s3:*"))
    gets = [
        "/policies/",
        reverse("policies:policy-detail", args=[pid]),
        reverse("policies:policy-detail", args=[pid]) + "?tab=versions",
        reverse("policies:version-diff", args=[pid]) + "?a=v1&b=v2",
        reverse("policies:version-create", args=[pid]),
        reverse("policies:policy-delete", args=[pid]),
        "/policies/simulator/",
    ]
    for url in gets:
        r = nobody.get(url)
        assert r.status_code == 403, url
        assert "is not authorized to perform" in r.content.decode(), url
        r = nobody.get(url, headers=HTMX)
        assert r.status_code == 403 and "<html" not in r.content.decode(), url
    posts = [
        ("/policies/create/", {"name": "x", "document": S3_READ}),
        (reverse("policies:policy-delete", args=[pid]), {"confirm": "s3-read"}),
        (reverse("policies:version-delete", args=[pid, "v1"]), {}),
        (reverse("policies:version-set-default", args=[pid, "v2"]), {}),
        (reverse("policies:policy-tag", args=[pid]), {"key": "a", "value": "b"}),
        (
            "/policies/simulator/",
            {
                "source": "custom",
                "policies": S3_READ,
                "extra_actions": "s3:GetObject",
                "resources": "*",
            },
        ),
    ]
    for url, data in posts:
        r = nobody.post(url, data)
        assert r.status_code == 403, url
        assert "is not authorized to perform" in r.content.decode(), url


def test_signed_out_browser_is_sent_to_sign_in(client):
    r = client.get("/policies/")
    assert r.status_code == 302 and "/signin/" in r["Location"]
    r = client.get("/policies/", headers=HTMX)
    assert r["HX-Redirect"].startswith("/signin/")
