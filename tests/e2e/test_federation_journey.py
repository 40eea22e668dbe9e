"""Web identity federation end to end, in a real browser: root registers the built-in test
issuer as an OpenID Connect provider, creates a role with the Web identity card, mints a
token on the test identity provider's page and runs "Try it"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import sign_in_root

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT_EMAIL = "root@example.com"
ROOT_PASSWORD = "root-password-1"  # tests/conftest.py's ``account``
ISSUER = "111122223333-lab"


@pytest.fixture
def signed_in_root(page, totp_device):
    from tests.conftest import TOTP_SEED

    if page is None:  # no browser under CI: the journey fails in its call (conftest.py)
        return page
    sign_in_root(page, email=ROOT_EMAIL, password=ROOT_PASSWORD, device=totp_device, seed=TOTP_SEED)
    return page


def test_root_federates_a_test_issuer_into_a_role_and_assumes_it(signed_in_root, page, live_server):
    from accounts.models import OpenIdConnectProvider, Role

    nav = page.get_by_role("navigation", name="Identity and Access Management")
    nav.get_by_role("link", name="Identity providers").click()
    expect(page.get_by_role("heading", name="Identity providers", exact=True)).to_be_visible()
    expect(page.get_by_text("No identity providers yet.")).to_be_visible()
    page.get_by_role("link", name="Test identity provider").click()

    # 1. The account's issuer, registered as an OpenID Connect provider.
    expect(page.get_by_role("heading", name="Test identity provider", exact=True)).to_be_visible()
    page.get_by_label("New issuer name").fill("lab")
    page.get_by_role("button", name="Create issuer").click()
    expect(page.get_by_text(f"Test issuer {ISSUER} is ready.")).to_be_visible()
    issuer_url = f"{live_server.url}/testidp/{ISSUER}"
    issuers = page.locator("#testidp-issuers")
    expect(issuers).to_contain_text(issuer_url)
    issuers.get_by_role("button", name="Add as OIDC provider").click()
    expect(
        page.get_by_text(re.compile(r"Identity provider arn:aws:iam::111122223333:oidc-provider/"))
    ).to_be_visible()
    provider = OpenIdConnectProvider.objects.get(account_id="111122223333")
    assert provider.url == issuer_url and provider.client_ids == ["sts.amazonaws.com"]

    # 2. A role trusting it, made with the wizard's Web identity card.
    nav.get_by_role("link", name="Roles").click()
    page.get_by_role("link", name="Create role").click()
    page.get_by_role("radio", name=re.compile(r"^Web identity")).check()
    page.get_by_label("Identity provider", exact=True).select_option(label=provider.host_path)
    page.get_by_label("Audience", exact=True).fill("sts.amazonaws.com")
    preview = page.locator("#trust-preview-body")
    expect(preview).to_contain_text("sts:AssumeRoleWithWebIdentity")
    expect(preview).to_contain_text(f"{provider.host_path}:aud")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Add permissions")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Role name").fill("web-app")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Review and create")).to_be_visible()
    expect(page.get_by_text(f"Identity Provider: {ISSUER}")).to_be_visible()
    page.get_by_role("button", name="Create role").click()
    expect(page.get_by_text("Role web-app created.")).to_be_visible()
    assert "AssumeRoleWithWebIdentity" in Role.objects.get(name="web-app").trust_policy

    # 3. A token minted on the test IdP's page, copied, and tried.
    nav.get_by_role("link", name="Identity providers").click()
    page.get_by_role("link", name="Test identity provider").click()
    page.get_by_label("Subject (sub)").fill("ana")
    expect(page.get_by_label("Audience (aud)")).to_have_value("sts.amazonaws.com")
    page.get_by_role("button", name="Mint token").click()
    token_box = page.locator("#minted-token")
    expect(token_box).to_be_visible()
    expect(page.locator("#minted-claims")).to_contain_text('"sub": "ana"')
    expect(page.locator("#minted-claims")).to_contain_text(issuer_url)
    page.get_by_role("button", name="Copy token").click()
    expect(page.locator("#web-minted .copy-status")).not_to_be_empty()
    # The Try it form took the minted token.
    assert page.locator("#id_try_token").input_value() == token_box.input_value()

    expect(page.locator("#id_try_role")).to_have_value("arn:aws:iam::111122223333:role/web-app")
    page.get_by_role("button", name="Try it", exact=True).click()
    expect(page.locator("#assumed-role-arn")).to_have_text(
        "arn:aws:sts::111122223333:assumed-role/web-app/testidp-session"
    )
    expect(page.locator("#try-result")).to_contain_text("ana")
