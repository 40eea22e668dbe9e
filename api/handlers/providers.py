"""IAM identity providers: the OpenID Connect and SAML provider actions
(accounts/operations/providers.py)."""

from __future__ import annotations

from typing import Any

from accounts.operations import providers as ops
from accounts.principal import Principal
from api.paging import page_items, page_out
from api.shapes import (
    oidc_provider_out,
    saml_provider_item_out,
    saml_provider_out,
    tag_out,
    tags_out,
)

__all__ = [
    "add_client_id_to_open_id_connect_provider",
    "create_open_id_connect_provider",
    "create_saml_provider",
    "delete_open_id_connect_provider",
    "delete_saml_provider",
    "get_open_id_connect_provider",
    "get_saml_provider",
    "list_open_id_connect_provider_tags",
    "list_open_id_connect_providers",
    "list_saml_provider_tags",
    "list_saml_providers",
    "remove_client_id_from_open_id_connect_provider",
    "tag_open_id_connect_provider",
    "tag_saml_provider",
    "untag_open_id_connect_provider",
    "untag_saml_provider",
    "update_open_id_connect_provider_thumbprint",
    "update_saml_provider",
]

OIDC_ARN = "OpenIDConnectProviderArn"
SAML_ARN = "SAMLProviderArn"


# -- OpenID Connect -------------------------------------------------------------------------


def create_open_id_connect_provider(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    provider = ops.create_open_id_connect_provider(
        actor=actor,
        url=p["Url"],
        client_ids=p.get("ClientIDList"),
        thumbprints=p.get("ThumbprintList"),
        tags=p.get("Tags"),
    )
    out: dict[str, Any] = {OIDC_ARN: provider.arn}
    if provider.tags:
        out["Tags"] = tags_out(provider.tags)
    return out


def get_open_id_connect_provider(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    return oidc_provider_out(ops.get_open_id_connect_provider(actor=actor, arn=p[OIDC_ARN]))


def list_open_id_connect_providers(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    providers = ops.list_open_id_connect_providers(actor=actor)
    return {"OpenIDConnectProviderList": [{"Arn": provider.arn} for provider in providers]}


def delete_open_id_connect_provider(actor: Principal, p: dict[str, Any]) -> None:
    ops.delete_open_id_connect_provider(actor=actor, arn=p[OIDC_ARN])


def add_client_id_to_open_id_connect_provider(actor: Principal, p: dict[str, Any]) -> None:
    ops.add_client_id_to_open_id_connect_provider(
        actor=actor, arn=p[OIDC_ARN], client_id=p["ClientID"]
    )


def remove_client_id_from_open_id_connect_provider(actor: Principal, p: dict[str, Any]) -> None:
    ops.remove_client_id_from_open_id_connect_provider(
        actor=actor, arn=p[OIDC_ARN], client_id=p["ClientID"]
    )


def update_open_id_connect_provider_thumbprint(actor: Principal, p: dict[str, Any]) -> None:
    ops.update_open_id_connect_provider_thumbprint(
        actor=actor, arn=p[OIDC_ARN], thumbprints=p["ThumbprintList"]
    )


def tag_open_id_connect_provider(actor: Principal, p: dict[str, Any]) -> None:
    ops.tag_open_id_connect_provider(actor=actor, arn=p[OIDC_ARN], tags=p["Tags"])


def untag_open_id_connect_provider(actor: Principal, p: dict[str, Any]) -> None:
    ops.untag_open_id_connect_provider(actor=actor, arn=p[OIDC_ARN], tag_keys=p["TagKeys"])


def list_open_id_connect_provider_tags(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    tags = ops.list_open_id_connect_provider_tags(actor=actor, arn=p[OIDC_ARN])
    return page_out(page_items(tags, p), "Tags", tag_out)


# -- SAML -----------------------------------------------------------------------------------


def create_saml_provider(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    provider = ops.create_saml_provider(
        actor=actor,
        name=p["Name"],
        metadata=p["SAMLMetadataDocument"],
        tags=p.get("Tags"),
        assertion_encryption_mode=p.get("AssertionEncryptionMode"),
        add_private_key=p.get("AddPrivateKey"),
    )
    out: dict[str, Any] = {SAML_ARN: provider.arn}
    if provider.tags:
        out["Tags"] = tags_out(provider.tags)
    return out


def get_saml_provider(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    return saml_provider_out(ops.get_saml_provider(actor=actor, arn=p[SAML_ARN]))


def update_saml_provider(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    provider = ops.update_saml_provider(
        actor=actor,
        arn=p[SAML_ARN],
        metadata=p.get("SAMLMetadataDocument"),
        assertion_encryption_mode=p.get("AssertionEncryptionMode"),
        add_private_key=p.get("AddPrivateKey"),
    )
    return {SAML_ARN: provider.arn}


def delete_saml_provider(actor: Principal, p: dict[str, Any]) -> None:
    ops.delete_saml_provider(actor=actor, arn=p[SAML_ARN])


def list_saml_providers(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    providers = ops.list_saml_providers(actor=actor)
    return {"SAMLProviderList": [saml_provider_item_out(provider) for provider in providers]}


def tag_saml_provider(actor: Principal, p: dict[str, Any]) -> None:
    ops.tag_saml_provider(actor=actor, arn=p[SAML_ARN], tags=p["Tags"])


def untag_saml_provider(actor: Principal, p: dict[str, Any]) -> None:
    ops.untag_saml_provider(actor=actor, arn=p[SAML_ARN], tag_keys=p["TagKeys"])


def list_saml_provider_tags(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    tags = ops.list_saml_provider_tags(actor=actor, arn=p[SAML_ARN])
    return page_out(page_items(tags, p), "Tags", tag_out)
