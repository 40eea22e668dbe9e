"""Create role wizard: the Web identity and SAML 2.0 federation trusted-entity cards and the
trust policies they write (AWS's documents: "Create a role for OpenID Connect federation
(console)", "Create a role for SAML 2.0 federation (console)")."""

from __future__ import annotations

import json

import pytest

from accounts import testidp
from accounts.models import Role
from accounts.operations.federation import assume_role_with_web_identity
from accounts.operations.providers import create_open_id_connect_provider, create_saml_provider
from tests.accounts.console.test_role_create import create_through_every_step, wizard
from tests.conftest import HTMX

GITHUB_ARN = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
EXAMPLE_ARN = "arn:aws:iam::111122223333:oidc-provider/server.example.com"
SAML_ARN = "arn:aws:iam::111122223333:saml-provider/corp"


@pytest.fixture
def providers(root):
    create_open_id_connect_provider(
        actor=root,
        url="https://token.actions.githubusercontent.com",
        client_ids=["sts.amazonaws.com"],
    )
    create_open_id_connect_provider(
        actor=root, url="https://server.example.com", client_ids=["appid_from_oidc_idp"]
    )
    metadata = testidp.saml_metadata("corp-idp", base_url="http://testserver")
    create_saml_provider(actor=root, name="corp", metadata=metadata)


def trust_of(name: str = "app-role") -> dict:
    return json.loads(Role.objects.get(name=name).trust_policy)


def statement(principal: str, action: str, condition: dict) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": principal},
                "Action": action,
                "Condition": condition,
            }
        ],
    }


def test_step_one_offers_the_web_identity_and_saml_cards_with_the_accounts_providers(
    console, providers
):
    html = console.get("/roles/create/").content.decode()
    assert 'value="web_identity"' in html and "Web identity" in html
    assert 'value="saml"' in html and "SAML 2.0 federation" in html
    assert f'value="{GITHUB_ARN}" data-github' in html and f'value="{EXAMPLE_ARN}"' in html
    assert f'value="{SAML_ARN}"' in html
    assert 'value="accounts.google.com"' in html  # the well-known providers too
    assert '<option value="sts.amazonaws.com">' in html  # audiences suggested


def test_web_identity_with_an_oidc_provider_trusts_it_with_its_audience(console, providers):
    r = create_through_every_step(
        console,
        {
            "entity_type": "web_identity",
            "web_provider": EXAMPLE_ARN,
            "web_audience": "appid_from_oidc_idp",
        },
    )
    assert r.status_code == 200 and r["HX-Redirect"] == "/roles/app-role/"
    assert trust_of() == statement(
        EXAMPLE_ARN,
        "sts:AssumeRoleWithWebIdentity",
        {"StringEquals": {"server.example.com:aud": "appid_from_oidc_idp"}},
    )


@pytest.mark.parametrize(
    ("repo", "branch", "sub"),
    [
        ("my-repo", "main", "repo:my-org/my-repo:ref:refs/heads/main"),
        ("my-repo", "", "repo:my-org/my-repo:*"),
        ("", "", "repo:my-org/*"),
    ],
)
def test_github_adds_the_sub_condition_of_organization_repository_and_branch(
    console, providers, repo, branch, sub
):
    r = create_through_every_step(
        console,
        {
            "entity_type": "web_identity",
            "web_provider": GITHUB_ARN,
            "web_audience": "sts.amazonaws.com",
            "github_org": "my-org",
            "github_repo": repo,
            "github_branch": branch,
        },
    )
    assert r.status_code == 200
    assert trust_of() == statement(
        GITHUB_ARN,
        "sts:AssumeRoleWithWebIdentity",
        {
            "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
            "StringLike": {"token.actions.githubusercontent.com:sub": sub},
        },
    )


def test_github_needs_the_organization(console, providers):
    r = wizard(
        console,
        {
            "step": "trust",
            "go": "next",
            "entity_type": "web_identity",
            "web_provider": GITHUB_ARN,
            "web_audience": "sts.amazonaws.com",
        },
    )
    assert r.status_code == 400 and r.context["step"] == "trust"
    assert "Enter the GitHub organization" in r.content.decode()


@pytest.mark.parametrize(
    ("provider", "key"),
    [
        ("accounts.google.com", "accounts.google.com:aud"),
        ("graph.facebook.com", "graph.facebook.com:app_id"),
        ("www.amazon.com", "www.amazon.com:app_id"),
        ("cognito-identity.amazonaws.com", "cognito-identity.amazonaws.com:aud"),
    ],
)
def test_well_known_providers_are_named_as_aws_documents_them(console, provider, key):
    r = create_through_every_step(
        console, {"entity_type": "web_identity", "web_provider": provider, "web_audience": "app-1"}
    )
    assert r.status_code == 200
    assert trust_of() == statement(
        provider, "sts:AssumeRoleWithWebIdentity", {"StringEquals": {key: "app-1"}}
    )


def test_an_added_condition_on_a_claim_joins_the_audience(console, providers):
    create_through_every_step(
        console,
        {
            "entity_type": "web_identity",
            "web_provider": EXAMPLE_ARN,
            "web_audience": "appid_from_oidc_idp",
            "web_condition_claim": "sub",
            "web_condition_operator": "StringLike",
            "web_condition_value": "team-*",
        },
    )
    assert trust_of()["Statement"][0]["Condition"] == {
        "StringEquals": {"server.example.com:aud": "appid_from_oidc_idp"},
        "StringLike": {"server.example.com:sub": "team-*"},
    }


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"web_provider": ""}, "Choose an identity provider."),
        ({"web_provider": EXAMPLE_ARN, "web_audience": ""}, "Enter the audience"),
        (
            {"web_provider": EXAMPLE_ARN, "web_audience": "a", "web_condition_claim": "nope",
             "web_condition_value": "x"},
            "Choose a claim.",
        ),
    ],
)  # fmt: skip
def test_web_identity_inputs_are_checked_before_next(console, providers, fields, error):
    r = wizard(console, {"step": "trust", "go": "next", "entity_type": "web_identity", **fields})
    assert r.status_code == 400 and error in r.content.decode()


def test_saml_with_console_access_requires_the_aws_sign_in_audience(console, providers):
    r = create_through_every_step(
        console, {"entity_type": "saml", "saml_provider": SAML_ARN, "saml_access": "console"}
    )
    assert r.status_code == 200
    assert trust_of() == statement(
        SAML_ARN,
        "sts:AssumeRoleWithSAML",
        {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
    )


def test_saml_programmatic_access_requires_the_chosen_attribute(console, providers):
    r = create_through_every_step(
        console,
        {
            "entity_type": "saml",
            "saml_provider": SAML_ARN,
            "saml_access": "programmatic",
            "saml_attribute": "SAML:sub",
            "saml_value": "ana@example.com",
        },
    )
    assert r.status_code == 200
    assert trust_of() == statement(
        SAML_ARN, "sts:AssumeRoleWithSAML", {"StringEquals": {"SAML:sub": "ana@example.com"}}
    )


def test_saml_programmatic_access_without_a_value_is_refused(console, providers):
    r = wizard(
        console,
        {
            "step": "trust",
            "go": "next",
            "entity_type": "saml",
            "saml_provider": SAML_ARN,
            "saml_access": "programmatic",
            "saml_attribute": "SAML:sub",
        },
    )
    assert r.status_code == 400 and "Enter the value the attribute must have" in r.content.decode()
    r = wizard(
        console, {"step": "trust", "go": "next", "entity_type": "saml", "saml_access": "console"}
    )
    assert r.status_code == 400 and "Choose a SAML provider" in r.content.decode()


def test_assign_role_from_a_provider_opens_the_wizard_with_its_trust_chosen(console, providers):
    r = console.get(f"/roles/create/?entity_type=web_identity&web_provider={EXAMPLE_ARN}")
    html = r.content.decode()
    assert r.status_code == 200
    assert 'value="web_identity" id="type-web_identity" checked' in html
    assert f'value="{EXAMPLE_ARN}" selected' in html
    r = console.get(f"/roles/create/?entity_type=saml&saml_provider={SAML_ARN}")
    html = r.content.decode()
    assert 'value="saml" id="type-saml" checked' in html and f'value="{SAML_ARN}" selected' in html
    r = console.get("/roles/create/?entity_type=web_identity&web_provider=javascript:x")
    assert 'id="type-web_identity" checked' not in r.content.decode()  # only provider ARNs


def test_the_preview_shows_the_federated_trust_and_escapes_input(console, providers):
    r = console.post(
        "/roles/create/trust-preview/",
        {"entity_type": "web_identity", "web_provider": EXAMPLE_ARN, "web_audience": "<b>x</b>"},
        headers=HTMX,
    )
    html = r.content.decode()
    assert r.status_code == 200 and "sts:AssumeRoleWithWebIdentity" in html
    assert "server.example.com:aud" in html and "<b>x</b>" not in html


def test_review_names_the_identity_provider(console, providers):
    r = wizard(
        console,
        {
            "step": "trust",
            "go": "goto:review",
            "entity_type": "saml",
            "saml_provider": SAML_ARN,
            "saml_access": "console",
        },
    )
    assert "Identity Provider: corp" in r.content.decode()


def test_a_role_made_by_the_web_identity_card_is_assumed_with_a_test_idp_token(console, root):
    """The card's document is one AssumeRoleWithWebIdentity accepts (the built-in IdP)."""
    url = testidp.issuer_url("111122223333-lab", "http://testserver")
    provider = create_open_id_connect_provider(actor=root, url=url, client_ids=["my-client"])
    create_through_every_step(
        console,
        {"entity_type": "web_identity", "web_provider": provider.arn, "web_audience": "my-client"},
    )
    token = testidp.mint_web_identity_token(
        "111122223333-lab", sub="ana", aud="my-client", base_url="http://testserver"
    )
    session = assume_role_with_web_identity(
        actor=root,
        role_arn="arn:aws:iam::111122223333:role/app-role",
        session_name="s1",
        web_identity_token=token,
    )
    assert session.new.assumed_role_arn == "arn:aws:sts::111122223333:assumed-role/app-role/s1"
    wrong = testidp.mint_web_identity_token(
        "111122223333-lab", sub="ana", aud="other", base_url="http://testserver"
    )
    from accounts.errors import IamError

    with pytest.raises(IamError):
        assume_role_with_web_identity(
            actor=root,
            role_arn="arn:aws:iam::111122223333:role/app-role",
            session_name="s2",
            web_identity_token=wrong,
        )
