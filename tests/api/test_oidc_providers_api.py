"""IAM OpenID Connect providers through boto3 against the live server: the actions'
shapes, errors and AWS's texts (localstack's recordings of AWS, test_iam_oidc), quotas,
tags and authorization."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_A, allow, error_code

GITHUB = "https://token.actions.githubusercontent.com"
GITHUB_ARN = f"arn:aws:iam::{ACCOUNT_A}:oidc-provider/token.actions.githubusercontent.com"


def message(exc_info) -> str:
    return exc_info.value.response["Error"]["Message"]


def status(exc_info) -> int:
    return exc_info.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_create_get_list_and_delete_a_provider(root_iam):
    created = root_iam.create_open_id_connect_provider(
        Url=GITHUB, ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40]
    )
    assert created["OpenIDConnectProviderArn"] == GITHUB_ARN
    assert "Tags" not in created
    got = root_iam.get_open_id_connect_provider(OpenIDConnectProviderArn=GITHUB_ARN)
    assert got["Url"] == "token.actions.githubusercontent.com"  # no scheme, as AWS answers
    assert got["ClientIDList"] == ["sts.amazonaws.com"]
    assert got["ThumbprintList"] == ["a" * 40]
    assert got["Tags"] == [] and got["CreateDate"]
    listed = root_iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert listed == [{"Arn": GITHUB_ARN}]
    root_iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=GITHUB_ARN)
    assert root_iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
    with pytest.raises(ClientError) as exc:  # not idempotent (AWS's recording)
        root_iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=GITHUB_ARN)
    assert error_code(exc) == "NoSuchEntity"


def test_thumbprints_and_client_ids_are_optional_and_a_path_is_kept(root_iam):
    arn = root_iam.create_open_id_connect_provider(Url="https://idp.example.com/tenant/x/")[
        "OpenIDConnectProviderArn"
    ]
    assert arn == f"arn:aws:iam::{ACCOUNT_A}:oidc-provider/idp.example.com/tenant/x/"
    got = root_iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ThumbprintList"] == [] and got["ClientIDList"] == []
    assert got["Url"] == "idp.example.com/tenant/x/"


@pytest.mark.parametrize(
    "url", ["example.org", "http://example.org", "https://example.org:8443", "https://x?y=1"]
)
def test_a_url_that_is_not_https_without_port_is_refused(root_iam, url):
    with pytest.raises(ClientError) as exc:
        root_iam.create_open_id_connect_provider(Url=url, ThumbprintList=["a" * 40])
    assert (error_code(exc), message(exc), status(exc)) == (
        "ValidationError",
        "Invalid Open ID Connect Provider URL",
        400,
    )


def test_the_same_url_twice_is_entity_already_exists(root_iam):
    root_iam.create_open_id_connect_provider(Url=GITHUB)
    with pytest.raises(ClientError) as exc:
        root_iam.create_open_id_connect_provider(Url=GITHUB)
    assert (error_code(exc), message(exc), status(exc)) == (
        "EntityAlreadyExists",
        f"Provider with url {GITHUB} already exists.",
        409,
    )


def test_six_thumbprints_are_refused_with_aws_text(root_iam):
    with pytest.raises(ClientError) as exc:
        root_iam.create_open_id_connect_provider(
            Url=GITHUB, ThumbprintList=[c * 40 for c in "abcdef"]
        )
    assert (error_code(exc), message(exc)) == (
        "InvalidInput",
        "Thumbprint list must contain fewer than 5 entries.",
    )
    arn = root_iam.create_open_id_connect_provider(Url=GITHUB, ThumbprintList=["a" * 40] * 5)[
        "OpenIDConnectProviderArn"
    ]
    with pytest.raises(ClientError) as exc:
        root_iam.update_open_id_connect_provider_thumbprint(
            OpenIDConnectProviderArn=arn, ThumbprintList=[c * 40 for c in "abcdef"]
        )
    assert error_code(exc) == "InvalidInput"


def test_more_than_100_client_ids_exceed_the_quota(root_iam):
    with pytest.raises(ClientError) as exc:
        root_iam.create_open_id_connect_provider(
            Url=GITHUB, ClientIDList=[str(i) for i in range(101)]
        )
    assert (error_code(exc), message(exc), status(exc)) == (
        "LimitExceeded",
        "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100",
        409,
    )
    arn = root_iam.create_open_id_connect_provider(
        Url=GITHUB, ClientIDList=[str(i) for i in range(100)]
    )["OpenIDConnectProviderArn"]
    root_iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="5")
    with pytest.raises(ClientError) as exc:
        root_iam.add_client_id_to_open_id_connect_provider(
            OpenIDConnectProviderArn=arn, ClientID="one-more"
        )
    assert error_code(exc) == "LimitExceeded"


def test_lengths_are_checked_as_the_model_says(root_iam):
    with pytest.raises(ClientError) as exc:
        root_iam.create_open_id_connect_provider(
            Url="b" * 256, ThumbprintList=["b" * 41], ClientIDList=["b" * 256]
        )
    assert error_code(exc) == "ValidationError"
    assert message(exc).startswith("3 validation errors detected: ")


def test_a_missing_provider_is_no_such_entity_with_aws_text(root_iam):
    arn = f"arn:aws:iam::{ACCOUNT_A}:oidc-provider/non-existent.example.com"
    for call in (
        root_iam.get_open_id_connect_provider,
        root_iam.delete_open_id_connect_provider,
        root_iam.list_open_id_connect_provider_tags,
    ):
        with pytest.raises(ClientError) as exc:
            call(OpenIDConnectProviderArn=arn)
        assert (error_code(exc), message(exc), status(exc)) == (
            "NoSuchEntity",
            f"OpenIDConnect Provider not found for arn {arn}",
            404,
        )


def test_an_arn_of_something_else_is_invalid_input(root_iam):
    with pytest.raises(ClientError) as exc:
        root_iam.get_open_id_connect_provider(
            OpenIDConnectProviderArn=f"arn:aws:iam::{ACCOUNT_A}:saml-provider/x"
        )
    assert error_code(exc) == "InvalidInput"


def test_client_ids_are_added_and_removed_idempotently(root_iam):
    arn = root_iam.create_open_id_connect_provider(Url=GITHUB, ClientIDList=["a"])[
        "OpenIDConnectProviderArn"
    ]
    for _ in range(2):
        root_iam.add_client_id_to_open_id_connect_provider(
            OpenIDConnectProviderArn=arn, ClientID="b"
        )
    got = root_iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ClientIDList"] == ["a", "b"]
    for _ in range(2):
        root_iam.remove_client_id_from_open_id_connect_provider(
            OpenIDConnectProviderArn=arn, ClientID="a"
        )
    got = root_iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ClientIDList"] == ["b"]


def test_thumbprints_are_replaced(root_iam):
    arn = root_iam.create_open_id_connect_provider(Url=GITHUB, ThumbprintList=["b" * 40])[
        "OpenIDConnectProviderArn"
    ]
    root_iam.update_open_id_connect_provider_thumbprint(
        OpenIDConnectProviderArn=arn, ThumbprintList=["c" * 40, "d" * 40]
    )
    got = root_iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ThumbprintList"] == ["c" * 40, "d" * 40]


def test_tags_on_create_tag_untag_list_and_page(root_iam):
    tags = [{"Key": f"k{i:02d}", "Value": f"v{i}"} for i in range(10)]
    created = root_iam.create_open_id_connect_provider(Url=GITHUB, Tags=tags)
    assert created["Tags"] == tags
    arn = created["OpenIDConnectProviderArn"]
    first = root_iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn, MaxItems=4)
    assert len(first["Tags"]) == 4 and first["IsTruncated"]
    second = root_iam.list_open_id_connect_provider_tags(
        OpenIDConnectProviderArn=arn, Marker=first["Marker"], MaxItems=4
    )
    last = root_iam.list_open_id_connect_provider_tags(
        OpenIDConnectProviderArn=arn, Marker=second["Marker"]
    )
    assert len(last["Tags"]) == 2 and "Marker" not in last and not last["IsTruncated"]
    root_iam.untag_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, TagKeys=[t["Key"] for t in tags[1:]]
    )
    root_iam.tag_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, Tags=[{"Key": "k2", "Value": "v2"}]
    )
    got = root_iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Tags"] == [{"Key": "k00", "Value": "v0"}, {"Key": "k2", "Value": "v2"}]


def test_the_51st_tag_is_refused_with_aws_text(root_iam):
    tags = [{"Key": f"k{i:02d}", "Value": f"v{i}"} for i in range(50)]
    arn = root_iam.create_open_id_connect_provider(Url=GITHUB, Tags=tags)[
        "OpenIDConnectProviderArn"
    ]
    with pytest.raises(ClientError) as exc:
        root_iam.tag_open_id_connect_provider(
            OpenIDConnectProviderArn=arn, Tags=[{"Key": "string", "Value": "string"}]
        )
    assert (error_code(exc), message(exc), status(exc)) == (
        "LimitExceeded",
        "The number of tags has reached the maximum limit.",
        409,
    )


def test_100_providers_per_account_then_limit_exceeded(acct, root_iam):
    from accounts.operations.providers import create_open_id_connect_provider

    for i in range(100):
        create_open_id_connect_provider(actor=acct.root, url=f"https://idp{i}.example.com")
    with pytest.raises(ClientError) as exc:
        root_iam.create_open_id_connect_provider(Url="https://one-more.example.com")
    assert error_code(exc) == "LimitExceeded"
    summary = root_iam.get_account_summary()["SummaryMap"]
    assert summary["Providers"] == 100


def test_a_user_needs_the_action_allowed_on_the_provider_arn(api, acct, root_iam):
    arn = root_iam.create_open_id_connect_provider(Url=GITHUB)["OpenIDConnectProviderArn"]
    _, reader_creds = acct.make_user(
        "reader", policy=allow("iam:GetOpenIDConnectProvider", GITHUB_ARN)
    )
    reader = api.iam(reader_creds)
    assert reader.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["Url"]
    with pytest.raises(ClientError) as exc:
        reader.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert error_code(exc) == "AccessDenied"
    assert "iam:DeleteOpenIDConnectProvider" in message(exc)
    missing = f"arn:aws:iam::{ACCOUNT_A}:oidc-provider/elsewhere.example.com"
    with pytest.raises(ClientError) as exc:  # denied before any lookup: nothing to probe
        reader.get_open_id_connect_provider(OpenIDConnectProviderArn=missing)
    assert error_code(exc) == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        reader.create_open_id_connect_provider(Url="https://other.example.com")
    assert error_code(exc) == "AccessDenied"


def test_creating_with_tags_needs_the_tag_permission_too(api, acct):
    _, creds = acct.make_user("maker", policy=allow("iam:CreateOpenIDConnectProvider"))
    iam = api.iam(creds)
    with pytest.raises(ClientError) as exc:
        iam.create_open_id_connect_provider(Url=GITHUB, Tags=[{"Key": "a", "Value": "b"}])
    assert error_code(exc) == "AccessDenied" and "iam:TagOpenIDConnectProvider" in message(exc)
    assert iam.create_open_id_connect_provider(Url=GITHUB)["OpenIDConnectProviderArn"]


def test_another_accounts_provider_is_not_found(api, acct, acct_b, root_iam):
    root_iam.create_open_id_connect_provider(Url=GITHUB)
    other = api.iam(acct_b.root_creds)
    with pytest.raises(ClientError) as exc:
        other.get_open_id_connect_provider(OpenIDConnectProviderArn=GITHUB_ARN)
    assert error_code(exc) == "AccessDenied"  # root may act only in its own account
    assert other.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []


def test_the_built_in_issuer_url_of_this_server_may_be_http_with_a_port(api, root_iam):
    url = f"{api.url}/testidp/lab"
    arn = root_iam.create_open_id_connect_provider(Url=url, ClientIDList=["sts.amazonaws.com"])[
        "OpenIDConnectProviderArn"
    ]
    assert arn == f"arn:aws:iam::{ACCOUNT_A}:oidc-provider/{url.split('://', 1)[1]}"
    with pytest.raises(ClientError) as exc:  # another host's /testidp/ is no exception
        root_iam.create_open_id_connect_provider(Url="http://elsewhere.example.com/testidp/lab")
    assert error_code(exc) == "ValidationError"
