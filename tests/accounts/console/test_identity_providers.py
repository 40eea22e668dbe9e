"""Identity providers: list, Add provider (OpenID Connect, SAML), each provider's page
(audiences, thumbprints, metadata, tags), delete; refusals and escaping."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts import testidp
from accounts.models import OpenIdConnectProvider, SamlProvider
from accounts.operations.providers import create_open_id_connect_provider, create_saml_provider
from tests.conftest import HTMX

GITHUB = "https://token.actions.githubusercontent.com"
GITHUB_ARN = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
XSS = "<script>alert(1)</script>"
THUMB = "6938fd4d98bab03faadb97b34396831e3780aea1"


def metadata(name: str = "corp") -> str:
    """A valid SAML 2.0 metadata document (the built-in test IdP's)."""
    return testidp.saml_metadata(f"meta-{name}", base_url="http://testserver")


def upload(text: str, name: str = "metadata.xml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="application/xml")


@pytest.fixture
def github(root):
    return create_open_id_connect_provider(
        actor=root,
        url=GITHUB,
        client_ids=["sts.amazonaws.com"],
        tags=[{"Key": "team", "Value": "ci"}],
    )


@pytest.fixture
def corp(root):
    return create_saml_provider(actor=root, name="corp", metadata=metadata())


def oidc(name: str, *args: str) -> str:
    return reverse(
        f"accounts:oidc-provider-{name}", args=["token.actions.githubusercontent.com", *args]
    )


def saml(name: str) -> str:
    return reverse(f"accounts:saml-provider-{name}", args=["corp"])


# -- list --------------------------------------------------------------------------------------


def test_navigation_names_identity_providers_after_policies(console):
    html = console.get("/identity-providers/").content.decode()
    nav = html[html.index('aria-label="Identity and Access Management"') :]
    assert (
        nav.index(">Policies<")
        < nav.index(">Identity providers<")
        < nav.index(">Account settings<")
    )
    assert 'href="/identity-providers/" class="active" aria-current="page"' in nav


def test_list_shows_both_kinds_with_their_type_and_creation_time(console, github, corp):
    r = console.get("/identity-providers/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "token.actions.githubusercontent.com" in html and "OpenID Connect" in html
    assert ">corp</a>" in html and "<td>SAML</td>" in html
    assert "2 providers" in html and "<time datetime=" in html
    assert oidc("detail") in html and saml("detail") in html


def test_list_filter_answers_the_table_fragment_for_htmx(console, github, corp):
    r = console.get("/identity-providers/?q=CORP", headers={**HTMX, "HX-Target": "provider-table"})
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and 'id="provider-table"' in html
    assert ">corp</a>" in html and "githubusercontent" not in html


def test_list_is_empty_for_a_new_account(console):
    assert "No identity providers yet." in console.get("/identity-providers/").content.decode()


# -- add provider ------------------------------------------------------------------------------


def test_add_form_offers_both_types_and_carries_a_csrf_token(console):
    r = console.get(reverse("accounts:provider-create"))
    html = r.content.decode()
    assert r.status_code == 200
    assert 'value="saml"' in html and 'value="oidc"' in html
    assert 'enctype="multipart/form-data"' in html and "csrfmiddlewaretoken" in html


def test_adding_an_oidc_provider_with_an_audience_and_a_tag_opens_its_page(console):
    r = console.post(
        reverse("accounts:provider-create"),
        {
            "provider_type": "oidc",
            "url": GITHUB,
            "audience": "sts.amazonaws.com",
            "tag-key-0": "team",
            "tag-value-0": "ci",
        },
    )
    assert r.status_code == 302 and r["Location"] == oidc("detail")
    provider = OpenIdConnectProvider.objects.get(arn=GITHUB_ARN)
    assert provider.client_ids == ["sts.amazonaws.com"] and provider.thumbprints == []
    assert provider.tags == [{"Key": "team", "Value": "ci"}]
    html = console.get(r["Location"]).content.decode()
    assert "Provider token.actions.githubusercontent.com added." in html and GITHUB_ARN in html


@pytest.mark.parametrize("url", ["http://example.com", "https://example.com:8443", "example.org"])
def test_an_invalid_provider_url_shows_aws_error_by_the_field(console, url):
    r = console.post(
        reverse("accounts:provider-create"),
        {"provider_type": "oidc", "url": url, "audience": "app"},
    )
    html = r.content.decode()
    assert r.status_code == 400 and "Invalid Open ID Connect Provider URL" in html
    assert "field-invalid" in html and not OpenIdConnectProvider.objects.exists()


def test_a_second_provider_for_the_same_url_is_refused_with_409(console, github):
    r = console.post(
        reverse("accounts:provider-create"),
        {"provider_type": "oidc", "url": GITHUB, "audience": "other"},
    )
    assert r.status_code == 409
    assert f"Provider with url {GITHUB} already exists." in r.content.decode()


def test_missing_fields_are_named_before_anything_is_called(console):
    r = console.post(reverse("accounts:provider-create"), {"provider_type": "oidc", "url": GITHUB})
    assert r.status_code == 400 and "Enter an audience" in r.content.decode()
    r = console.post(reverse("accounts:provider-create"), {"provider_type": "saml", "name": "corp"})
    assert r.status_code == 400 and "Choose the metadata document" in r.content.decode()
    assert not OpenIdConnectProvider.objects.exists() and not SamlProvider.objects.exists()


def test_adding_a_saml_provider_from_its_metadata_file(console):
    r = console.post(
        reverse("accounts:provider-create"),
        {"provider_type": "saml", "name": "corp", "metadata": upload(metadata())},
    )
    assert r.status_code == 302 and r["Location"] == saml("detail")
    provider = SamlProvider.objects.get(name="corp")
    assert provider.arn == "arn:aws:iam::111122223333:saml-provider/corp"
    html = console.get(r["Location"]).content.decode()
    assert "Valid until" in html and provider.uuid in html
    assert "http://testserver/testidp/meta-corp" in html  # the metadata's entity id


def test_saml_metadata_that_does_not_parse_shows_aws_message(console):
    r = console.post(
        reverse("accounts:provider-create"),
        {"provider_type": "saml", "name": "corp", "metadata": upload("<not-metadata/>")},
    )
    assert r.status_code == 400 and "Could not parse metadata." in r.content.decode()
    assert not SamlProvider.objects.exists()


def test_saml_metadata_in_another_encoding_is_refused_not_a_server_error(console):
    r = console.post(
        reverse("accounts:provider-create"),
        {
            "provider_type": "saml",
            "name": "corp",
            "metadata": SimpleUploadedFile("m.xml", "<é/>".encode("latin-1")),
        },
    )
    assert r.status_code == 400 and "Could not parse metadata." in r.content.decode()


def test_an_invalid_saml_name_shows_the_validation_error_by_the_name(console):
    r = console.post(
        reverse("accounts:provider-create"),
        {"provider_type": "saml", "name": "bad name!", "metadata": upload(metadata())},
    )
    html = r.content.decode()
    assert r.status_code == 400 and "failed to satisfy constraint" in html
    assert not SamlProvider.objects.exists()


# -- an OIDC provider's page -------------------------------------------------------------------


def test_oidc_page_shows_summary_audiences_thumbprints_tags_and_assign_role(console, github):
    r = console.get(oidc("detail"))
    html = r.content.decode()
    assert r.status_code == 200
    assert GITHUB_ARN in html and "Audiences (1)" in html and "sts.amazonaws.com" in html
    assert "Thumbprints (0)" in html and 'value="team"' in html
    assert "/roles/create/?entity_type=web_identity&amp;web_provider=arn%3Aaws%3Aiam" in html


def test_adding_and_removing_an_audience_in_place(console, github):
    r = console.post(oidc("add-audience"), {"client_id": "my-app"}, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and 'id="oidc-audiences"' in html
    assert "Audience my-app added." in html and "Audiences (2)" in html
    github.refresh_from_db()
    assert github.client_ids == ["sts.amazonaws.com", "my-app"]
    r = console.post(oidc("remove-audience"), {"client_id": "sts.amazonaws.com"}, headers=HTMX)
    assert r.status_code == 200 and "Audiences (1)" in r.content.decode()
    github.refresh_from_db()
    assert github.client_ids == ["my-app"]


def test_an_empty_audience_is_refused_in_place(console, github):
    r = console.post(oidc("add-audience"), {"client_id": "  "}, headers=HTMX)
    assert (
        r.status_code == 400 and "Member must have length between 1 and 255" in r.content.decode()
    )
    github.refresh_from_db()
    assert github.client_ids == ["sts.amazonaws.com"]


def test_without_htmx_a_change_redirects_to_the_page_with_a_message(console, github):
    r = console.post(oidc("add-audience"), {"client_id": "my-app"})
    assert r.status_code == 302 and r["Location"] == oidc("detail")
    assert "Audience my-app added." in console.get(r["Location"]).content.decode()


def test_thumbprints_are_replaced_and_checked(console, github):
    r = console.post(oidc("thumbprints"), {"thumbprints": f"{THUMB}\n"}, headers=HTMX)
    assert r.status_code == 200 and "Thumbprints (1)" in r.content.decode()
    github.refresh_from_db()
    assert github.thumbprints == [THUMB]
    r = console.post(oidc("thumbprints"), {"thumbprints": "not-a-thumbprint"}, headers=HTMX)
    assert r.status_code == 400 and "40-character" in r.content.decode()
    six = "\n".join(f"{i:040x}" for i in range(6))
    r = console.post(oidc("thumbprints"), {"thumbprints": six}, headers=HTMX)
    assert r.status_code == 400
    assert "Thumbprint list must contain fewer than 5 entries." in r.content.decode()
    github.refresh_from_db()
    assert github.thumbprints == [THUMB]


def test_tags_are_saved_and_removed_through_the_tag_editor(console, github):
    r = console.post(
        oidc("tags"),
        {
            "tag-key-0": "team",
            "tag-value-0": "platform",
            "tag-key-55": "env",
            "tag-value-55": "prod",
        },
        headers=HTMX,
    )
    html = r.content.decode()
    assert r.status_code == 200 and 'id="provider-tags"' in html and "Tags saved." in html
    github.refresh_from_db()
    assert github.tags == [{"Key": "team", "Value": "platform"}, {"Key": "env", "Value": "prod"}]
    r = console.post(oidc("tags"), {"remove": "team"}, headers=HTMX)
    github.refresh_from_db()
    assert r.status_code == 200 and github.tags == [{"Key": "env", "Value": "prod"}]


def test_duplicate_tag_keys_are_refused(console, github):
    r = console.post(
        oidc("tags"),
        {"tag-key-0": "team", "tag-value-0": "a", "tag-key-1": "TEAM", "tag-value-1": "b"},
        headers=HTMX,
    )
    assert r.status_code == 400 and "Duplicate tag keys found" in r.content.decode()


def test_a_provider_url_with_a_path_and_port_has_its_page(console, root):
    url = testidp.issuer_url("111122223333-lab", "http://localhost:8000")
    provider = create_open_id_connect_provider(actor=root, url=url, client_ids=["x"])
    page = reverse("accounts:oidc-provider-detail", args=[provider.host_path])
    assert page == "/identity-providers/oidc/localhost:8000/testidp/111122223333-lab/"
    r = console.get(page)
    assert r.status_code == 200 and provider.arn in r.content.decode()
    add = reverse("accounts:oidc-provider-add-audience", args=[provider.host_path])
    assert console.post(add, {"client_id": "y"}).status_code == 302
    provider.refresh_from_db()
    assert provider.client_ids == ["x", "y"]


# -- a SAML provider's page --------------------------------------------------------------------


def test_saml_metadata_downloads_as_registered(console, corp):
    r = console.get(saml("metadata"))
    assert r.status_code == 200 and r["Content-Type"] == "application/samlmetadata+xml"
    assert 'filename="corp-metadata.xml"' in r["Content-Disposition"]
    assert r.content.decode() == corp.metadata


def test_saml_metadata_is_replaced_in_place(console, corp):
    new = metadata("rotated")
    r = console.post(saml("update"), {"metadata": upload(new)}, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and 'id="saml-metadata"' in html and "replaced" in html
    corp.refresh_from_db()
    assert corp.metadata == new
    r = console.post(saml("update"), {"metadata": upload("<x/>")}, headers=HTMX)
    assert r.status_code == 400 and "Could not parse metadata." in r.content.decode()
    corp.refresh_from_db()
    assert corp.metadata == new


def test_saml_page_assigns_a_role_with_saml_trust(console, corp):
    html = console.get(saml("detail")).content.decode()
    assert (
        "/roles/create/?entity_type=saml&amp;saml_provider=arn%3Aaws%3Aiam%3A%3A111122223333"
        in html
    )


# -- delete ------------------------------------------------------------------------------------


def test_delete_asks_for_the_name_then_deletes(console, github):
    assert console.get(oidc("delete")).status_code == 200
    r = console.post(oidc("delete"), {"confirm": "wrong"})
    assert r.status_code == 400 and OpenIdConnectProvider.objects.exists()
    r = console.post(oidc("delete"), {"confirm": "token.actions.githubusercontent.com"})
    assert r.status_code == 302 and r["Location"] == "/identity-providers/"
    assert not OpenIdConnectProvider.objects.exists()


def test_delete_from_htmx_redirects_the_browser(console, corp):
    r = console.post(saml("delete"), {"confirm": "corp"}, headers=HTMX)
    assert r.status_code == 200 and r["HX-Redirect"] == "/identity-providers/"
    assert not SamlProvider.objects.exists()


# -- who may --------------------------------------------------------------------------------------


def test_read_only_user_browses_but_every_write_is_refused_with_aws_text(
    readonly_console, github, corp
):
    assert readonly_console.get("/identity-providers/").status_code == 200
    assert readonly_console.get(oidc("detail")).status_code == 200
    assert readonly_console.get(saml("detail")).status_code == 200
    r = readonly_console.get(reverse("accounts:provider-create"))
    assert r.status_code == 403
    assert "is not authorized to perform: iam:CreateOpenIDConnectProvider" in r.content.decode()
    r = readonly_console.post(
        reverse("accounts:provider-create"),
        {"provider_type": "oidc", "url": "https://example.com", "audience": "a"},
    )
    assert r.status_code == 403
    writes = [
        (oidc("add-audience"), {"client_id": "x"}, "iam:AddClientIDToOpenIDConnectProvider"),
        (oidc("remove-audience"), {"client_id": "sts.amazonaws.com"}, "iam:RemoveClientIDFromOpenIDConnectProvider"),
        (oidc("thumbprints"), {"thumbprints": THUMB}, "iam:UpdateOpenIDConnectProviderThumbprint"),
        (oidc("tags"), {"tag-key-0": "team", "tag-value-0": "ci", "tag-key-1": "k"}, "iam:TagOpenIDConnectProvider"),
        (oidc("tags"), {"remove": "team"}, "iam:UntagOpenIDConnectProvider"),
        (saml("update"), {"metadata": upload(metadata("x"))}, "iam:UpdateSAMLProvider"),
        (saml("tags"), {"tag-key-0": "k", "tag-value-0": "v"}, "iam:TagSAMLProvider"),
    ]  # fmt: skip
    for url, data, action in writes:
        r = readonly_console.post(url, data, headers=HTMX)
        assert r.status_code == 403, url
        assert f"is not authorized to perform: {action}" in r.content.decode(), url
    r = readonly_console.post(oidc("delete"), {"confirm": "token.actions.githubusercontent.com"})
    assert r.status_code == 403 and "iam:DeleteOpenIDConnectProvider" in r.content.decode()
    github.refresh_from_db()
    corp.refresh_from_db()
    assert github.client_ids == ["sts.amazonaws.com"] and github.thumbprints == []
    assert github.tags == [{"Key": "team", "Value": "ci"}] and corp.metadata == metadata()
    assert OpenIdConnectProvider.objects.count() == 1 and SamlProvider.objects.count() == 1


def test_another_accounts_root_finds_no_such_provider(outsider_console, github, corp):
    r = outsider_console.get(oidc("detail"))
    assert r.status_code == 404 and "OpenIDConnect Provider not found" in r.content.decode()
    assert outsider_console.get(saml("detail")).status_code == 404
    assert outsider_console.post(oidc("add-audience"), {"client_id": "x"}).status_code == 404
    r = outsider_console.post(saml("delete"), {"confirm": "corp"})
    assert r.status_code == 404 and SamlProvider.objects.exists()
    assert "githubusercontent" not in outsider_console.get("/identity-providers/").content.decode()


def test_user_input_is_escaped_everywhere(console, github):
    console.post(oidc("add-audience"), {"client_id": XSS})
    console.post(oidc("tags"), {"tag-key-0": "team", "tag-value-0": XSS})
    html = console.get(oidc("detail")).content.decode()
    assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    r = console.get(f"/identity-providers/?q={XSS}")
    assert XSS not in r.content.decode()
