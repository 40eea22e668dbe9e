"""The Access Analyzer console pages through Django's test client."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from analyzer import findings as analysis
from analyzer.models import Analyzer, Finding
from analyzer.operations import analyzers, policy_generation

OUTSIDER = "444455556666"


@pytest.fixture
def cross_role(root):
    from accounts.operations.roles import create_role

    return create_role(
        actor=root,
        name="partner",
        trust_policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": OUTSIDER}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )


def test_nav_and_empty_list(console):
    r = console.get(reverse("analyzer:analyzer-list"))
    html = r.content.decode()
    assert r.status_code == 200 and "No analyzers yet." in html
    assert 'href="/access-analyzer/"' in html


def test_create_analyzer_and_see_external_finding_then_archive_it(console, cross_role):
    r = console.post(reverse("analyzer:analyzer-list"), {"name": "ext", "type": "ACCOUNT"})
    assert r.status_code == 302 and r["Location"] == reverse(
        "analyzer:analyzer-detail", args=["ext"]
    )
    page = console.get(r["Location"]).content.decode()
    assert cross_role.arn in page and f"AWS: {OUTSIDER}" in page and "sts:AssumeRole" in page
    finding = Finding.objects.get()
    r = console.post(
        reverse("analyzer:finding-update", args=["ext"]),
        {"id": finding.finding_id, "status": "ARCHIVED", "shown": "ACTIVE"},
    )
    assert r.status_code == 302
    finding.refresh_from_db()
    assert finding.status == "ARCHIVED"
    active = console.get(reverse("analyzer:analyzer-detail", args=["ext"])).content.decode()
    assert "No active findings." in active
    archived = console.get(reverse("analyzer:analyzer-detail", args=["ext"]) + "?status=ARCHIVED")
    assert "Unarchive" in archived.content.decode()


def test_create_analyzer_error_is_shown_and_nothing_created(console):
    r = console.post(reverse("analyzer:analyzer-list"), {"name": "9no", "type": "ACCOUNT"})
    assert r.status_code == 400 and "ValidationException" in r.content.decode()
    assert not Analyzer.objects.exists()


def test_delete_analyzer(console, root):
    analyzers.create_analyzer(actor=root, name="gone", type="ACCOUNT")
    r = console.post(reverse("analyzer:analyzer-delete", args=["gone"]))
    assert r.status_code == 302 and not Analyzer.objects.exists()


def test_unused_access_by_principal_with_remove_suggestion(console, root, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.operations.roles import create_role

    real_now = timezone.now
    earlier = real_now() - timedelta(days=100)
    monkeypatch.setattr(timezone, "now", lambda: earlier)  # the role was made 100 days ago
    create_role(
        actor=root,
        name="stale",
        trust_policy=json.dumps(
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
        ),
    )
    monkeypatch.setattr(timezone, "now", real_now)
    analyzers.create_analyzer(actor=root, name="unused", type="ACCOUNT_UNUSED_ACCESS")
    html = console.get(reverse("analyzer:analyzer-detail", args=["unused"])).content.decode()
    assert "arn:aws:iam::111122223333:role/stale" in html
    assert "UnusedIAMRole" in html and "Suggestion: Delete the role" in html


def test_policy_checks_page_validates_and_checks(console):
    doc = json.dumps(
        {"Statement": [{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}]}
    )
    r = console.post(
        reverse("analyzer:policy-checks"),
        {"check": "validate", "document": doc, "policy_type": "IDENTITY_POLICY"},
    )
    html = r.content.decode()
    assert r.status_code == 200 and "INVALID_ACTION" in html and "MISSING_VERSION" in html
    r = console.post(
        reverse("analyzer:policy-checks"),
        {
            "check": "access-not-granted",
            "document": doc.replace("GetObjekt", "*"),
            "actions": "s3:PutObject",
        },
    )
    assert "Result: FAIL" in r.content.decode()
    r = console.post(
        reverse("analyzer:policy-checks"),
        {"check": "no-new-access", "document": doc, "existing": "{}"},
    )
    assert "Result: FAIL" in r.content.decode()


def test_generate_policy_from_user_page_then_create_it(console, root, iam_user):
    from policies.models import ManagedPolicy

    detail = console.get(reverse("accounts:user-detail", args=[iam_user.name])).content.decode()
    url = reverse("analyzer:generate-policy", args=["user", iam_user.name])
    assert url in detail
    from accounts.principal import user_principal
    from policies.operations import put_user_policy

    put_user_policy(
        actor=root,
        user_name="alice",
        policy_name="tags",
        document=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "iam:TagUser", "Resource": "*"}],
            }
        ),
    )
    from accounts.operations.users import tag_user

    tag_user(actor=user_principal(iam_user), name="alice", tags=[{"Key": "a", "Value": "b"}])
    r = console.post(url, {"days": "7"})
    assert r.status_code == 302
    review = console.get(r["Location"]).content.decode()
    assert "iam:TagUser" in review and iam_user.arn in review
    generated = json.loads(
        policy_generation.get_generated_policy(
            actor=root, job_id=r["Location"].rstrip("/").rsplit("/", 1)[-1]
        ).policies[0]
    )
    r = console.post(r["Location"], {"name": "alice-least", "document": json.dumps(generated)})
    assert r.status_code == 302
    policy = ManagedPolicy.objects.get(name="alice-least")
    assert json.loads(policy.versions.get(is_default=True).document) == generated


def test_role_page_links_to_generate_policy(console, cross_role):
    html = console.get(reverse("accounts:role-detail", args=[cross_role.name])).content.decode()
    assert reverse("analyzer:generate-policy", args=["role", cross_role.name]) in html


def test_detail_page_shows_finding_statistics(console, root, cross_role):
    analyzers.create_analyzer(actor=root, name="ext", type="ACCOUNT")
    html = console.get(reverse("analyzer:analyzer-detail", args=["ext"])).content.decode()
    assert 'id="finding-statistics"' in html
    assert "<strong>1</strong> active · <strong>0</strong> archived" in html
    stats = html.split('id="stats-by-resource"', 1)[1].split("</table>", 1)[0]
    assert '<td class="mono">AWS::IAM::Role</td><td>0</td><td>1</td>' in stats


@pytest.fixture
def analyses(monkeypatch):
    """The external access analyses run (one per refresh of an account analyzer)."""
    calls = []
    real = analysis.external_access

    def counted(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(analysis, "external_access", counted)
    return calls


def test_detail_page_brings_the_findings_up_to_date_once(console, root, cross_role, analyses):
    analyzers.create_analyzer(actor=root, name="ext", type="ACCOUNT")
    analyses.clear()
    html = console.get(reverse("analyzer:analyzer-detail", args=["ext"])).content.decode()
    assert analyses == [root.account_id]  # one refresh serves the list and the statistics
    assert cross_role.arn in html
    assert "<strong>1</strong> active · <strong>0</strong> archived" in html


def test_detail_page_shows_a_role_made_since_the_last_visit(console, root, cross_role, analyses):
    from accounts.operations.roles import create_role

    analyzers.create_analyzer(actor=root, name="ext", type="ACCOUNT")
    console.get(reverse("analyzer:analyzer-detail", args=["ext"]))
    trust = json.loads(cross_role.trust_policy)
    create_role(actor=root, name="partner-2", trust_policy=json.dumps(trust))
    analyses.clear()
    html = console.get(reverse("analyzer:analyzer-detail", args=["ext"])).content.decode()
    assert analyses == [root.account_id]  # each request refreshes, once
    assert "role/partner-2" in html
    assert "<strong>2</strong> active · <strong>0</strong> archived" in html
