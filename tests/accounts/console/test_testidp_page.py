"""The test identity provider's page: the account's issuers, registering one as a provider,
minting a web identity token or a SAML response, and "Try it"."""

from __future__ import annotations

import base64
import json
import logging

import pytest
from django.urls import reverse

from accounts import testidp
from accounts.models import OpenIdConnectProvider, SamlProvider
from accounts.operations.providers import (
    add_client_id_to_open_id_connect_provider,
    create_open_id_connect_provider,
    create_saml_provider,
)
from accounts.operations.roles import create_role
from tests.conftest import HTMX

PAGE = "/identity-providers/test-idp/"
ISSUER = "111122223333-lab"
ISSUER_URL = "http://testserver/testidp/111122223333-lab"
ROLE_ARN = "arn:aws:iam::111122223333:role/web"
SAML_ROLE_ARN = "arn:aws:iam::111122223333:role/corp-role"
XSS = "<script>alert(1)</script>"


def claims_of(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def minted(response) -> str:
    return response.context["token"]


@pytest.fixture
def issuer(db):
    return testidp.get_issuer(ISSUER)


@pytest.fixture
def provider(root, issuer):
    return create_open_id_connect_provider(actor=root, url=ISSUER_URL, client_ids=["my-client"])


@pytest.fixture
def web_role(root, provider):
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider.arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {f"{provider.host_path}:aud": "my-client"}},
            }
        ],
    }
    return create_role(actor=root, name="web", trust_policy=json.dumps(trust))


def mint(client, **fields):
    data = {"issuer": ISSUER, "sub": "ana", "aud": "my-client", "lifetime": "600"} | fields
    return client.post(reverse("accounts:testidp-mint-token"), data, headers=HTMX)


def test_page_opens_with_its_forms_a_csrf_token_and_the_copy_script(console, issuer):
    r = console.get(PAGE)
    html = r.content.decode()
    assert r.status_code == 200 and "Test identity provider" in html
    assert ISSUER_URL in html and f"{ISSUER_URL}/.well-known/openid-configuration" in html
    assert "csrfmiddlewaretoken" in html and "/static/js/copy.js" in html
    assert 'aria-current="page">Identity providers<' in html


def test_creating_an_issuer_names_it_after_the_account(console):
    r = console.post(reverse("accounts:testidp-issuer-create"), {"name": "ci"})
    assert r.status_code == 302 and r["Location"] == PAGE
    html = console.get(PAGE).content.decode()
    assert "Test issuer 111122223333-ci is ready." in html
    assert "http://testserver/testidp/111122223333-ci" in html
    assert console.get("/testidp/111122223333-ci/jwks.json").status_code == 200


def test_an_invalid_issuer_name_is_refused(console):
    r = console.post(reverse("accounts:testidp-issuer-create"), {"name": "no spaces"})
    assert r.status_code == 400 and "Invalid issuer name" in r.content.decode()


def test_other_accounts_issuers_are_not_listed_nor_minted_from(console, outsider_console, issuer):
    testidp.get_issuer("444455556666-theirs")
    html = console.get(PAGE).content.decode()
    assert "444455556666-theirs" not in html and ISSUER in html
    assert ISSUER not in outsider_console.get(PAGE).content.decode()
    r = mint(outsider_console)
    assert r.status_code == 400 and "Choose a test issuer of this account." in r.content.decode()


def test_registering_an_issuer_as_an_oidc_provider(console, issuer):
    r = console.post(
        reverse("accounts:testidp-register"),
        {"kind": "oidc", "issuer": ISSUER, "audience": "my-client"},
    )
    assert r.status_code == 302
    provider = OpenIdConnectProvider.objects.get()
    assert provider.url == ISSUER_URL and provider.client_ids == ["my-client"]
    html = console.get(PAGE).content.decode()
    assert provider.arn in html and "Add as OIDC provider" not in html


def test_registering_an_issuer_as_a_saml_provider(console, issuer):
    r = console.post(reverse("accounts:testidp-register"), {"kind": "saml", "issuer": ISSUER})
    assert r.status_code == 302
    assert SamlProvider.objects.get().arn == f"arn:aws:iam::111122223333:saml-provider/{ISSUER}"


def test_registering_twice_shows_aws_error(console, provider):
    r = console.post(reverse("accounts:testidp-register"), {"kind": "oidc", "issuer": ISSUER})
    assert r.status_code == 409 and "already exists" in r.content.decode()


def test_a_read_only_user_mints_but_may_not_register(readonly_console, issuer):
    assert readonly_console.get(PAGE).status_code == 200
    r = readonly_console.post(
        reverse("accounts:testidp-register"), {"kind": "oidc", "issuer": ISSUER}
    )
    assert r.status_code == 403
    assert "is not authorized to perform: iam:CreateOpenIDConnectProvider" in r.content.decode()
    r = readonly_console.post(
        reverse("accounts:testidp-register"), {"kind": "saml", "issuer": ISSUER}
    )
    assert r.status_code == 403 and "iam:CreateSAMLProvider" in r.content.decode()
    assert not OpenIdConnectProvider.objects.exists() and not SamlProvider.objects.exists()
    assert mint(readonly_console).status_code == 200


def test_minting_answers_the_token_fragment_with_the_chosen_claims(console, issuer):
    r = mint(console, claims='{"email": "ana@example.com", "amr": ["authenticated"]}')
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and 'id="web-minted"' in html
    assert r["Cache-Control"] == "no-store"
    assert 'data-copy="minted-token"' in html
    assert 'id="id_try_token" rows="4" class="token-box" hx-swap-oob="true"' in html
    claims = claims_of(minted(r))
    assert claims["iss"] == ISSUER_URL and claims["sub"] == "ana" and claims["aud"] == "my-client"
    assert claims["email"] == "ana@example.com" and claims["amr"] == ["authenticated"]
    assert claims["exp"] - claims["iat"] == 600


def test_several_audiences_and_es256(console, issuer):
    r = mint(console, aud="a, b", algorithm="ES256")
    token = minted(r)
    assert claims_of(token)["aud"] == ["a", "b"]
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "ES256"


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"claims": "[1, 2]"}, "must be a JSON object"),
        ({"claims": "{not json"}, "must be a JSON object"),
        ({"lifetime": "999999"}, "The lifetime is a number of seconds"),
        ({"lifetime": "soon"}, "The lifetime is a number of seconds"),
        ({"sub": ""}, "Enter the subject"),
        ({"aud": " , "}, "Enter the audience"),
        ({"issuer": "someone-else"}, "Choose a test issuer of this account."),
    ],
)
def test_mint_inputs_are_checked(console, issuer, fields, error):
    r = mint(console, **fields)
    assert r.status_code == 400 and error in r.content.decode()


def test_minted_values_are_escaped(console, issuer):
    r = mint(console, sub=XSS, claims=json.dumps({"name": XSS}))
    html = r.content.decode()
    assert r.status_code == 200 and XSS not in html and "&lt;script&gt;" in html


def test_try_it_assumes_the_role_and_shows_the_session_once(console, web_role, caplog):
    caplog.set_level(logging.DEBUG)
    token = minted(mint(console))
    r = console.post(
        reverse("accounts:testidp-try"),
        {"role_arn": ROLE_ARN, "session_name": "practice", "token": token},
        headers=HTMX,
    )
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and 'id="try-result"' in html
    assert "arn:aws:sts::111122223333:assumed-role/web/practice" in html
    assert r["Cache-Control"] == "no-store"
    secret = r.context["session"]["new"].secret
    assert secret in html  # this one answer only
    assert secret not in console.get(PAGE).content.decode()
    assert not any(secret in rec.getMessage() for rec in caplog.records)


def test_try_it_lists_the_roles_that_trust_web_identity(console, web_role):
    html = console.get(PAGE).content.decode()
    assert f'<option value="{ROLE_ARN}"' in html


def test_try_it_with_an_audience_the_trust_does_not_allow_is_aws_access_denied(
    console, root, provider, web_role
):
    token = minted(mint(console, aud="other"))
    # An audience the provider does not list: STS refuses the token itself.
    r = console.post(
        reverse("accounts:testidp-try"), {"role_arn": ROLE_ARN, "token": token}, headers=HTMX
    )
    assert r.status_code == 400 and "Incorrect token audience" in r.content.decode()
    # Listed by the provider but not by the trust policy: the trust policy refuses.
    add_client_id_to_open_id_connect_provider(actor=root, arn=provider.arn, client_id="other")
    r = console.post(
        reverse("accounts:testidp-try"), {"role_arn": ROLE_ARN, "token": token}, headers=HTMX
    )
    assert r.status_code == 403
    assert "Not authorized to perform sts:AssumeRoleWithWebIdentity" in r.content.decode()


def test_try_it_with_an_expired_token_says_so(console, web_role):
    token = minted(mint(console, lifetime="-120"))
    r = console.post(
        reverse("accounts:testidp-try"), {"role_arn": ROLE_ARN, "token": token}, headers=HTMX
    )
    assert r.status_code == 400 and "Token expired" in r.content.decode()


def test_try_it_without_a_token_is_refused(console, web_role):
    r = console.post(reverse("accounts:testidp-try"), {"role_arn": ROLE_ARN}, headers=HTMX)
    assert r.status_code == 400 and "Mint a token first" in r.content.decode()


def test_any_signed_in_identity_may_mint_and_try(user_console, alice_login, web_role):
    client = user_console(alice_login)  # alice has no permission at all
    r = client.get(PAGE)
    assert r.status_code == 200
    token = minted(mint(client))
    r = client.post(
        reverse("accounts:testidp-try"), {"role_arn": ROLE_ARN, "token": token}, headers=HTMX
    )
    assert r.status_code == 200 and "assumed-role/web/testidp-session" in r.content.decode()


def test_saml_response_is_minted_and_tried(console, root, issuer):
    metadata = testidp.saml_metadata(ISSUER, base_url="http://testserver")
    provider = create_saml_provider(actor=root, name="corp", metadata=metadata)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider.arn},
                "Action": "sts:AssumeRoleWithSAML",
                "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
            }
        ],
    }
    create_role(actor=root, name="corp-role", trust_policy=json.dumps(trust))
    r = console.post(
        reverse("accounts:testidp-mint-saml"),
        {
            "issuer": ISSUER,
            "role_arn": SAML_ROLE_ARN,
            "provider_arn": provider.arn,
            "subject": "ana@example.com",
            "saml_session_name": "ana",
        },
        headers=HTMX,
    )
    html = r.content.decode()
    assert r.status_code == 200 and 'id="saml-minted"' in html and r["Cache-Control"] == "no-store"
    assertion = r.context["saml_response"]
    assert b"ana@example.com" in base64.b64decode(assertion)
    r = console.post(
        reverse("accounts:testidp-try-saml"),
        {"role_arn": SAML_ROLE_ARN, "provider_arn": provider.arn, "saml_assertion": assertion},
        headers=HTMX,
    )
    assert r.status_code == 200
    assert "arn:aws:sts::111122223333:assumed-role/corp-role/ana" in r.content.decode()


def test_without_htmx_minting_renders_the_whole_page_with_the_token_in_try_it(console, issuer):
    r = console.post(
        reverse("accounts:testidp-mint-token"),
        {"issuer": ISSUER, "sub": "ana", "aud": "my-client", "lifetime": "600"},
    )
    html = r.content.decode()
    assert r.status_code == 200 and "<html" in html
    token = r.context["token"]
    assert html.count(token) == 2  # the token box and the Try it field
    assert "hx-swap-oob" not in html
