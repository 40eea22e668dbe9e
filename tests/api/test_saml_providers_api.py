"""IAM SAML providers through boto3 against the live server: the metadata document
parsed and checked, the actions' shapes (localstack's recordings of AWS,
test_iam_saml_providers), errors, quotas and tags."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_A, allow, error_code


def message(exc_info) -> str:
    return exc_info.value.response["Error"]["Message"]


@pytest.fixture
def metadata(live_server) -> str:
    from accounts import testidp

    return testidp.saml_metadata("corp", base_url=live_server.url)


def arn_of(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT_A}:saml-provider/{name}"


def test_create_get_list_update_and_delete(root_iam, metadata, live_server):
    from accounts import testidp

    created = root_iam.create_saml_provider(Name="Corp", SAMLMetadataDocument=metadata)
    assert created["SAMLProviderArn"] == arn_of("Corp") and "Tags" not in created
    got = root_iam.get_saml_provider(SAMLProviderArn=arn_of("Corp"))
    assert got["SAMLMetadataDocument"] == metadata
    assert re.fullmatch(r"[A-Z0-9]{22,64}", got["SAMLProviderUUID"])
    assert got["Tags"] == [] and got["PrivateKeyList"] == []
    assert got["AssertionEncryptionMode"] == "Allowed"
    assert got["ValidUntil"] - got["CreateDate"] > timedelta(days=365 * 99)
    listed = root_iam.list_saml_providers()["SAMLProviderList"]
    assert [p["Arn"] for p in listed] == [arn_of("Corp")]
    assert set(listed[0]) == {"Arn", "ValidUntil", "CreateDate"}

    rotated = testidp.saml_metadata("corp-2", base_url=live_server.url)
    updated = root_iam.update_saml_provider(
        SAMLProviderArn=arn_of("Corp"), SAMLMetadataDocument=rotated
    )
    assert updated["SAMLProviderArn"] == arn_of("Corp")
    assert root_iam.get_saml_provider(SAMLProviderArn=arn_of("Corp"))["SAMLMetadataDocument"] == (
        rotated
    )
    assert (
        root_iam.get_saml_provider(SAMLProviderArn=arn_of("Corp"))["SAMLProviderUUID"]
        == (got["SAMLProviderUUID"])
    )
    root_iam.delete_saml_provider(SAMLProviderArn=arn_of("Corp"))
    assert root_iam.list_saml_providers()["SAMLProviderList"] == []


def test_the_metadata_valid_until_becomes_the_providers(root_iam, metadata):
    document = metadata.replace('entityID="', 'validUntil="2031-05-06T07:08:09Z" entityID="', 1)
    root_iam.create_saml_provider(Name="Dated", SAMLMetadataDocument=document)
    got = root_iam.get_saml_provider(SAMLProviderArn=arn_of("Dated"))
    assert got["ValidUntil"] == datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)


def test_a_missing_provider_is_manifest_not_found(root_iam, metadata):
    arn = arn_of("NonExistentProvider")
    for call in (root_iam.get_saml_provider, root_iam.delete_saml_provider):
        with pytest.raises(ClientError) as exc:
            call(SAMLProviderArn=arn)
        assert (error_code(exc), message(exc)) == (
            "NoSuchEntity",
            f"Manifest not found for arn {arn}",
        )
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as exc:
        root_iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=metadata)
    assert error_code(exc) == "NoSuchEntity"


def _padded(xml: str) -> str:
    return xml + "<!--" + "x" * 1000 + "-->"  # the model's 1000-character minimum


@pytest.mark.parametrize(
    "document",
    [
        _padded("<not-xml"),
        _padded('<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"/>'),
        _padded(
            '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x">'
            '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/>'
            "</md:EntityDescriptor>"
        ),
        _padded(
            '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x">'
            '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/>'
            "</md:EntityDescriptor>"
        ),
    ],
    ids=["not-xml", "no-idp-descriptor", "sp-only", "no-certificate"],
)
def test_malformed_metadata_is_invalid_input_could_not_parse(root_iam, document):
    with pytest.raises(ClientError) as exc:
        root_iam.create_saml_provider(Name="Bad", SAMLMetadataDocument=document)
    assert (error_code(exc), message(exc)) == ("InvalidInput", "Could not parse metadata.")
    assert root_iam.list_saml_providers()["SAMLProviderList"] == []


def test_a_certificate_that_is_not_x509_is_refused(root_iam, metadata):
    broken = re.sub(
        r"<ds:X509Certificate>[^<]+</ds:X509Certificate>",
        "<ds:X509Certificate>" + "QUJD" * 300 + "</ds:X509Certificate>",
        metadata,
    )
    with pytest.raises(ClientError) as exc:
        root_iam.create_saml_provider(Name="Bad", SAMLMetadataDocument=broken)
    assert (error_code(exc), message(exc)) == ("InvalidInput", "Could not parse metadata.")


def test_a_dtd_in_the_metadata_is_refused(root_iam, metadata):
    evil = metadata.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    )
    with pytest.raises(ClientError) as exc:
        root_iam.create_saml_provider(Name="Evil", SAMLMetadataDocument=evil)
    assert error_code(exc) == "InvalidInput"


def test_a_short_document_and_a_bad_name_fail_the_models_constraints(api, acct, root_iam, metadata):
    from botocore.config import Config

    unchecked = api.session.client(  # botocore itself would refuse the short document
        "iam",
        endpoint_url=api.url,
        region_name="us-east-1",
        aws_access_key_id=acct.root_creds.access_key_id,
        aws_secret_access_key=acct.root_creds.secret_access_key,
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )
    with pytest.raises(ClientError) as exc:
        unchecked.create_saml_provider(Name="Short", SAMLMetadataDocument="<x/>")
    assert error_code(exc) == "ValidationError"
    assert "greater than or equal to 1000" in message(exc)
    with pytest.raises(ClientError) as exc:
        root_iam.create_saml_provider(Name="bad name", SAMLMetadataDocument=metadata)
    assert error_code(exc) == "ValidationError"


def test_the_same_name_twice_is_entity_already_exists(root_iam, metadata):
    root_iam.create_saml_provider(Name="Corp", SAMLMetadataDocument=metadata)
    with pytest.raises(ClientError) as exc:
        root_iam.create_saml_provider(Name="corp", SAMLMetadataDocument=metadata)
    assert error_code(exc) == "EntityAlreadyExists"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_100_saml_providers_per_account(acct, root_iam, metadata):
    from accounts.operations.providers import create_saml_provider

    for i in range(100):
        create_saml_provider(actor=acct.root, name=f"p{i}", metadata=metadata)
    with pytest.raises(ClientError) as exc:
        root_iam.create_saml_provider(Name="one-more", SAMLMetadataDocument=metadata)
    assert error_code(exc) == "LimitExceeded"
    assert root_iam.get_account_summary()["SummaryMap"]["Providers"] == 100


def test_tags_on_create_tag_untag_and_list(root_iam, metadata):
    created = root_iam.create_saml_provider(
        Name="Corp", SAMLMetadataDocument=metadata, Tags=[{"Key": "team", "Value": "sec"}]
    )
    assert created["Tags"] == [{"Key": "team", "Value": "sec"}]
    arn = created["SAMLProviderArn"]
    root_iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "env", "Value": "lab"}])
    listed = root_iam.list_saml_provider_tags(SAMLProviderArn=arn)
    assert listed["Tags"] == [{"Key": "team", "Value": "sec"}, {"Key": "env", "Value": "lab"}]
    assert listed["IsTruncated"] is False
    root_iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["TEAM"])
    assert root_iam.get_saml_provider(SAMLProviderArn=arn)["Tags"] == [
        {"Key": "env", "Value": "lab"}
    ]


def test_assertion_encryption_is_not_offered(root_iam, metadata):
    with pytest.raises(ClientError) as exc:
        root_iam.create_saml_provider(
            Name="Enc", SAMLMetadataDocument=metadata, AssertionEncryptionMode="Required"
        )
    assert error_code(exc) == "InvalidInput"


def test_a_user_needs_permission(api, acct, root_iam, metadata):
    root_iam.create_saml_provider(Name="Corp", SAMLMetadataDocument=metadata)
    _, creds = acct.make_user("lister", policy=allow("iam:ListSAMLProviders"))
    iam = api.iam(creds)
    assert [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]] == [arn_of("Corp")]
    with pytest.raises(ClientError) as exc:
        iam.get_saml_provider(SAMLProviderArn=arn_of("Corp"))
    assert error_code(exc) == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        iam.create_saml_provider(Name="Mine", SAMLMetadataDocument=metadata)
    assert error_code(exc) == "AccessDenied"


def test_the_test_idp_serves_its_metadata_and_404_for_an_unknown_issuer(live_server, metadata):
    import urllib.error
    import urllib.request

    with urllib.request.urlopen(f"{live_server.url}/testidp/corp/saml/metadata.xml") as r:  # noqa: S310
        served = r.read().decode()
    assert served == metadata
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(f"{live_server.url}/testidp/nobody/saml/metadata.xml")  # noqa: S310
    assert exc.value.code == 404
