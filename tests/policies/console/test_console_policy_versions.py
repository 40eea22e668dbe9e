"""Policy versions: create (as default or not), set default, delete, diff; delete with confirmation."""

from __future__ import annotations

from django.urls import reverse

from policies.models import ManagedPolicy
from policies.operations import attach_user_policy, create_policy_version
from tests.conftest import HTMX, allow_policy
from tests.policies.console.conftest import S3_READ

TAB = {**HTMX, "HX-Target": "policy-tab"}


def url(name: str, policy, *args: str) -> str:
    return reverse(f"policies:{name}", args=[policy.policy_id, *args])


def versions_of(policy) -> dict[str, bool]:
    return {v.version_id: v.is_default for v in policy.versions.all()}


def test_edit_page_starts_from_the_default_document(console, s3_policy):
    r = console.get(url("version-create", s3_policy))
    html = r.content.decode()
    assert r.status_code == 200 and "ReadBuckets" in html and 'id="policy-validation"' in html


def test_new_version_as_default_and_not(console, s3_policy):
    r = console.post(
        url("version-create", s3_policy), {"document": allow_policy("s3:*"), "set_as_default": "on"}
    )
    assert r.status_code == 302 and r["Location"].endswith("?tab=versions")
    r = console.post(url("version-create", s3_policy), {"document": allow_policy("ec2:*")})
    assert r.status_code == 302
    assert versions_of(s3_policy) == {"v1": False, "v2": True, "v3": False}


def test_malformed_new_version_is_refused_inline(console, s3_policy):
    r = console.post(url("version-create", s3_policy), {"document": '{"Statement": []'})
    assert r.status_code == 400 and "Syntax errors in policy." in r.content.decode()
    assert versions_of(s3_policy) == {"v1": True}


def test_sixth_version_is_refused_with_limit_exceeded(console, root, s3_policy):
    for action in ["s3:A", "s3:B", "s3:C", "s3:D"]:
        create_policy_version(actor=root, arn=s3_policy.arn, document=allow_policy(action))
    r = console.post(url("version-create", s3_policy), {"document": allow_policy("s3:E")})
    assert r.status_code == 409 and "up to 5 versions" in r.content.decode()


def test_set_default_in_place_returns_the_versions_tab(console, root, s3_policy):
    create_policy_version(actor=root, arn=s3_policy.arn, document=allow_policy("s3:*"))
    r = console.post(url("version-set-default", s3_policy, "v2"), headers=TAB)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and 'id="policy-tab"' in html
    assert versions_of(s3_policy) == {"v1": False, "v2": True}
    s3_policy.refresh_from_db()
    assert s3_policy.default_version_id == "v2"


def test_delete_non_default_version_and_refuse_the_default(console, root, s3_policy):
    create_policy_version(actor=root, arn=s3_policy.arn, document=allow_policy("s3:*"))
    r = console.post(url("version-delete", s3_policy, "v1"), headers=TAB)
    assert r.status_code == 409 and "Cannot delete the default version" in r.content.decode()
    r = console.post(url("version-delete", s3_policy, "v2"))
    assert r.status_code == 302
    assert versions_of(s3_policy) == {"v1": True}


def test_missing_version_is_a_404_not_a_500(console, s3_policy):
    r = console.post(url("version-set-default", s3_policy, "v9"), headers=TAB)
    assert r.status_code == 404 and "version v9 does not exist" in r.content.decode()


def test_get_does_not_change_versions(console, root, s3_policy):
    create_policy_version(actor=root, arn=s3_policy.arn, document=allow_policy("s3:*"))
    assert console.get(url("version-set-default", s3_policy, "v2")).status_code == 405
    assert console.get(url("version-delete", s3_policy, "v2")).status_code == 405
    assert versions_of(s3_policy) == {"v1": True, "v2": False}


def test_diff_side_by_side_and_unified_escape_the_documents(console, root, s3_policy):
    changed = S3_READ.replace("s3:Get*", "s3:<b>Put*</b>")
    create_policy_version(actor=root, arn=s3_policy.arn, document=changed)
    side = console.get(url("version-diff", s3_policy), {"a": "v1", "b": "v2"}, headers=HTMX)
    html = side.content.decode()
    assert side.status_code == 200 and "<html" not in html and "diff-side" in html
    assert 'class="diff-change"' in html
    assert "s3:Get*" in html and "s3:&lt;b&gt;Put*&lt;/b&gt;" in html and "<b>Put" not in html
    uni = console.get(url("version-diff", s3_policy), {"a": "v1", "b": "v2", "mode": "unified"})
    html = uni.content.decode()
    assert uni.status_code == 200 and "<html" in html  # without htmx: a page of its own
    assert "diff-delete" in html and "diff-insert" in html and "@@" in html


def test_diff_of_identical_versions_says_so(console, root, s3_policy):
    create_policy_version(actor=root, arn=s3_policy.arn, document=S3_READ)
    html = console.get(url("version-diff", s3_policy), {"a": "v1", "b": "v2"}).content.decode()
    assert "are identical" in html


def test_diff_of_unknown_version_is_a_404(console, s3_policy):
    r = console.get(url("version-diff", s3_policy), {"a": "v1", "b": "v7"}, headers=HTMX)
    assert r.status_code == 404


def test_aws_managed_versions_can_be_diffed_but_not_changed(console):
    admin = ManagedPolicy.objects.get(arn="arn:aws:iam::aws:policy/AdministratorAccess")
    html = console.get(url("policy-detail", admin) + "?tab=versions").content.decode()
    assert "Set as default" not in html and "Create version" not in html
    r = console.post(url("version-set-default", admin, admin.default_version_id), headers=TAB)
    assert r.status_code == 403


def test_delete_asks_for_the_policy_name(console, s3_policy):
    page = console.get(url("policy-delete", s3_policy))
    assert page.status_code == 200 and "enter the policy name" in page.content.decode()
    r = console.post(url("policy-delete", s3_policy), {"confirm": "wrong"}, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 400 and "<html" not in html and "exactly" in html
    assert ManagedPolicy.objects.filter(pk=s3_policy.pk).exists()
    r = console.post(url("policy-delete", s3_policy), {"confirm": "s3-read"})
    assert r.status_code == 302 and r["Location"] == reverse("policies:policy-list")
    assert not ManagedPolicy.objects.filter(pk=s3_policy.pk).exists()


def test_delete_of_an_attached_policy_shows_delete_conflict(console, root, iam_user, s3_policy):
    attach_user_policy(actor=root, user_name="alice", policy_arn=s3_policy.arn)
    r = console.post(url("policy-delete", s3_policy), {"confirm": "s3-read"}, headers=HTMX)
    assert r.status_code == 409
    assert "Cannot delete a policy attached to entities." in r.content.decode()
    assert ManagedPolicy.objects.filter(pk=s3_policy.pk).exists()


def test_htmx_delete_redirects_the_whole_page(console, s3_policy):
    r = console.post(url("policy-delete", s3_policy), {"confirm": "s3-read"}, headers=HTMX)
    assert r.status_code == 200 and r["HX-Redirect"] == reverse("policies:policy-list")


def test_aws_managed_policy_cannot_be_deleted(console):
    admin = ManagedPolicy.objects.get(arn="arn:aws:iam::aws:policy/AdministratorAccess")
    r = console.post(url("policy-delete", admin), {"confirm": "AdministratorAccess"})
    assert r.status_code == 403 and "is not authorized" in r.content.decode()
    assert ManagedPolicy.objects.filter(pk=admin.pk).exists()
