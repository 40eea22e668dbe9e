"""The visual policy editor's catalog endpoint: AWS's public catalog as JSON, only for a
signed-in console, cacheable per deploy (ETag, private max-age), 404 JSON for a bad
service prefix."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from policies.engine import catalog

pytestmark = pytest.mark.django_db

SERVICES = reverse("policies:catalog-services")


def service_url(prefix: str) -> str:
    return reverse("policies:catalog-service", args=[prefix])


def test_the_service_list_names_every_catalog_service(console):
    r = console.get(SERVICES)
    assert r.status_code == 200 and r["Content-Type"] == "application/json"
    data = r.json()
    assert [s["prefix"] for s in data["services"]] == list(catalog.services())
    iam = next(s for s in data["services"] if s["prefix"] == "iam")
    assert iam["name"] == catalog.service_name("iam")
    keys = {k["key"] for k in data["global_condition_keys"]}
    assert {"aws:SourceIp", "aws:MultiFactorAuthPresent", "aws:PrincipalTag/${TagKey}"} <= keys
    assert "StringEquals" in data["condition_operators"]
    assert data["access_levels"] == list(catalog.ACCESS_LEVELS)


def test_one_service_has_its_actions_by_access_level_with_resources_and_keys(console):
    data = console.get(service_url("iam")).json()
    assert data["prefix"] == "iam" and data["name"] == catalog.service_name("iam")
    by_level = {g["level"]: g["actions"] for g in data["access_levels"]}
    for info in catalog.actions("iam"):
        listed = {a["name"]: a for a in by_level[info.access_level]}
        item = listed[info.name]
        assert item["resource_types"] == list(info.resource_types)
        assert item["condition_keys"] == list(info.condition_keys)
        assert item["description"] == info.description
    assert sum(len(v) for v in by_level.values()) == len(catalog.actions("iam"))
    # AWS's five levels first, in their order; combined ones the catalog also holds
    # (e.g. "Permissions management, Write") after them.
    known = [lvl for lvl in catalog.ACCESS_LEVELS if lvl in by_level]
    assert [g["level"] for g in data["access_levels"]][: len(known)] == known
    user = next(t for t in data["resource_types"] if t["name"] == "user")
    assert user["arn"] == catalog.resource_types("iam")["user"]["arn"]
    assert user["arn"] == "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}"
    keys = {k["key"] for k in data["condition_keys"]}
    assert keys == {item["key"] for item in catalog.condition_keys("iam").values()}


def test_a_prefix_is_read_case_insensitively(console):
    assert console.get(service_url("IAM")).json()["prefix"] == "iam"


@pytest.mark.parametrize("prefix", ["nosuchservice", "s3%00", "..", "a" * 300, "iam.json"])
def test_a_bad_prefix_is_a_404_json_answer(console, prefix):
    r = console.get(service_url(prefix))
    assert r.status_code == 404 and r["Content-Type"] == "application/json"
    assert r.json()["error"] == "NoSuchService"
    assert "ETag" not in r and r["Cache-Control"] == "no-store"


def test_answers_are_cacheable_per_deploy_and_revalidate_with_the_etag(console):
    first = console.get(service_url("s3"))
    assert first["Cache-Control"] == "private, max-age=3600"
    etag = first["ETag"]
    again = console.get(service_url("s3"), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert console.get(service_url("iam"))["ETag"] != etag
    assert console.get(SERVICES)["ETag"] not in (etag, "")


@pytest.mark.parametrize("url", [SERVICES, service_url("iam"), service_url("nosuchservice")])
def test_signed_out_the_catalog_redirects_to_sign_in(db, url):
    r = Client().get(url)
    assert r.status_code == 302 and reverse("accounts:signin") in r["Location"]


def test_before_the_mfa_step_the_catalog_is_refused(client, root):
    from tests.conftest import signed_in

    r = signed_in(client, root, mfa=False).get(SERVICES)
    assert r.status_code == 302 and r["Location"].startswith("/signin/root/mfa/")


def test_an_iam_user_without_any_permission_reads_the_catalog(root, user_console):
    """The catalog is AWS's public reference, not account data: no IAM action guards it."""
    from accounts.operations.credentials import create_login_profile
    from accounts.operations.users import create_user

    create_user(actor=root, name="nobody")
    create_login_profile(actor=root, user_name="nobody", password="Long-enough-password-1!")
    from accounts.models import IamUser

    c = user_console(IamUser.objects.get(name="nobody"))
    assert c.get(service_url("iam")).status_code == 200


def test_the_catalog_is_read_only(console):
    assert console.post(SERVICES).status_code == 405
