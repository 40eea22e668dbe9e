"""IAM identity providers: OpenID Connect (CreateOpenIDConnectProvider …) and SAML 2.0
(CreateSAMLProvider …), with their tags.

AWS docs followed: "Create an OpenID Connect (OIDC) identity provider in IAM" (the URL
begins with https://, is case-sensitive, names no port; each URL once per account; at
most 5 thumbprints and 100 client ids), "Create a SAML identity provider in IAM" and
"Troubleshoot SAML 2.0 federation with AWS" (the metadata document; "Could not parse
metadata."), "IAM and AWS STS quotas" (100 OIDC and 100 SAML providers per account),
and the API reference of each action. AWS's answers recorded by localstack
(tests/aws/services/iam/test_iam_oidc.snapshot.json, test_iam_saml_providers.snapshot.json,
2026) give the error texts quoted below where they say so.

ARNs: ``arn:aws:iam::ACCOUNT:oidc-provider/<url without https://>`` and
``arn:aws:iam::ACCOUNT:saml-provider/NAME``.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, rsa
from django.utils import timezone

from accounts import testidp
from accounts.errors import (
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
    ValidationError,
)
from accounts.models import OpenIdConnectProvider, SamlProvider
from accounts.operations.common import tag_context
from accounts.principal import Principal
from accounts.validation import check_tags
from audit.trail import record_event
from iamconsole.ops import operation, save_unique
from policies.authorization import authorize

__all__ = [
    "CLIENT_IDS_PER_PROVIDER",
    "OIDC_PROVIDERS_PER_ACCOUNT",
    "SAML_PROVIDERS_PER_ACCOUNT",
    "THUMBPRINTS_PER_PROVIDER",
    "SamlMetadata",
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
    "oidc_provider_arn",
    "parse_saml_metadata",
    "provider_count",
    "remove_client_id_from_open_id_connect_provider",
    "tag_open_id_connect_provider",
    "tag_saml_provider",
    "untag_open_id_connect_provider",
    "untag_saml_provider",
    "update_open_id_connect_provider_thumbprint",
    "update_saml_provider",
]

OIDC_PROVIDERS_PER_ACCOUNT = 100
SAML_PROVIDERS_PER_ACCOUNT = 100
CLIENT_IDS_PER_PROVIDER = 100
THUMBPRINTS_PER_PROVIDER = 5
# A SAML provider's ValidUntil when its metadata sets none: AWS's example answer shows
# 100 years after CreateDate (AWS CLI examples, get-saml-provider); not otherwise
# documented.
SAML_DEFAULT_VALIDITY = timedelta(days=36525)

# Recorded (localstack, AWS 2026-02-17/18): CreateOpenIDConnectProvider with Url
# "example.org" -> ValidationError "Invalid Open ID Connect Provider URL"; with 6
# thumbprints -> InvalidInput "Thumbprint list must contain fewer than 5 entries."; with
# 101 client ids -> LimitExceeded "Cannot exceed quota for
# ClientIdsPerOpenIdConnectProvider: 100"; a second provider for a URL ->
# EntityAlreadyExists "Provider with url https://… already exists."; GetOpenIDConnect
# Provider of a missing one -> NoSuchEntity "OpenIDConnect Provider not found for arn …";
# the 51st tag -> LimitExceeded "The number of tags has reached the maximum limit.".
INVALID_URL = "Invalid Open ID Connect Provider URL"
TOO_MANY_THUMBPRINTS = "Thumbprint list must contain fewer than 5 entries."
CLIENT_ID_QUOTA = (
    f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {CLIENT_IDS_PER_PROVIDER}"
)
OIDC_TAG_LIMIT = "The number of tags has reached the maximum limit."
# Recorded (localstack, AWS 2026-02-13): GetSAMLProvider / DeleteSAMLProvider of a missing
# provider -> NoSuchEntity "Manifest not found for arn …".
# "Could not parse metadata." is the error "Troubleshoot SAML 2.0 federation" names for a
# malformed document ("Unable to parse metadata" for a certificate key under 1024 bits).
COULD_NOT_PARSE = "Could not parse metadata."
KEY_TOO_SMALL = "Unable to parse metadata"

_ARN = re.compile(r"arn:aws:iam::(\d{12}):(oidc-provider|saml-provider)/(.+)", re.ASCII | re.S)
_SAML_NAME = re.compile(r"[\w._-]+", re.ASCII)
_UUID_ALPHABET = string.ascii_uppercase + string.digits


def provider_count(account_id: str) -> int:
    """GetAccountSummary's ``Providers``: the account's OIDC and SAML providers."""
    return (
        OpenIdConnectProvider.objects.filter(account_id=account_id).count()
        + SamlProvider.objects.filter(account_id=account_id).count()
    )


def _parse_arn(arn: str, kind: str) -> tuple[str, str]:
    """(account, resource name) of a provider ARN; what is not an ARN at all is a
    ValidationError and an ARN of something else an InvalidInput, "ARN … is not valid."
    (the texts AWS answers for malformed policy ARNs, localstack's recordings of
    test_iam_roles; for provider ARNs not recorded)."""
    if not isinstance(arn, str) or not arn.startswith("arn:") or arn.count(":") < 5:
        raise ValidationError(f"ARN {arn} is not valid.")
    match = _ARN.fullmatch(arn)
    if match is None or match.group(2) != kind:
        raise InvalidInput(f"ARN {arn} is not valid.")
    return match.group(1), match.group(3)


def _limit_tags(add: list[dict[str, str]], existing: list[dict[str, str]], message: str) -> Any:
    try:
        return check_tags(add, existing)
    except LimitExceeded as exc:
        raise LimitExceeded(message) from exc


def _tag(
    actor: Principal, obj: Any, event: str, tags: list[dict[str, str]], *, message: str, key: str
) -> None:
    merged = _limit_tags(tags, obj.tags, message) if message else check_tags(tags, obj.tags)
    authorize(actor, f"iam:{event}", obj.arn, context=tag_context(tags))
    obj.tags = merged
    obj.save(update_fields=["tags"])
    record_event(actor, event, obj.arn, request={key: obj.arn, "TagKeys": [t["Key"] for t in tags]})


def _untag(actor: Principal, obj: Any, event: str, tag_keys: list[str], *, key: str) -> None:
    keys = list(tag_keys)
    authorize(actor, f"iam:{event}", obj.arn, context={"aws:TagKeys": keys})
    lowered = {k.lower() for k in keys}
    obj.tags = [t for t in obj.tags if t["Key"].lower() not in lowered]
    obj.save(update_fields=["tags"])
    record_event(actor, event, obj.arn, request={key: obj.arn, "TagKeys": keys})


# ================================================================== OpenID Connect


def _check_url(url: str) -> str:
    """The provider URL: ``https://host[/path]``, no port, no query or fragment.

    One exception, for the built-in test IdP (accounts/testidp.py): an issuer URL of this
    installation itself may be ``http://`` and carry a port (a lab server on
    http://localhost:8000), since that is the ``iss`` its tokens carry.
    """
    if not isinstance(url, str):
        raise ValidationError(INVALID_URL)
    own = testidp.local_issuer_name(url) is not None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValidationError(INVALID_URL) from exc
    if parts.scheme != "https" and not (own and parts.scheme == "http"):
        raise ValidationError(INVALID_URL)
    if not parts.hostname or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValidationError(INVALID_URL)
    if (port is not None or parts.netloc.endswith(":")) and not own:
        raise ValidationError(INVALID_URL)
    if any(ch.isspace() for ch in url):
        raise ValidationError(INVALID_URL)
    return url


def oidc_provider_arn(account_id: str, url: str) -> str:
    return f"arn:aws:iam::{account_id}:oidc-provider/{url.split('://', 1)[-1]}"


def _check_thumbprints(thumbprints: list[str] | None) -> list[str]:
    values = list(thumbprints or [])
    if len(values) > THUMBPRINTS_PER_PROVIDER:
        raise InvalidInput(TOO_MANY_THUMBPRINTS)
    return list(dict.fromkeys(values))


def _check_client_ids(client_ids: list[str] | None) -> list[str]:
    values = list(dict.fromkeys(client_ids or []))
    if len(values) > CLIENT_IDS_PER_PROVIDER:
        raise LimitExceeded(CLIENT_ID_QUOTA)
    return values


def _find_oidc(
    actor: Principal, arn: str, action: str, context: dict[str, object] | None = None
) -> OpenIdConnectProvider:
    """The caller's provider ``arn``; authorized on the ARN before it is looked up, so a
    caller not allowed ``action`` learns nothing of which providers exist."""
    account, _ = _parse_arn(arn, "oidc-provider")
    authorize(actor, action, arn, context=context)
    found = OpenIdConnectProvider.objects.filter(account_id=actor.account_id, arn=arn).first()
    if found is None or account != actor.account_id:
        raise NoSuchEntity(f"OpenIDConnect Provider not found for arn {arn}")
    return found


@operation("CreateOpenIDConnectProvider")
def create_open_id_connect_provider(
    *,
    actor: Principal,
    url: str,
    client_ids: list[str] | None = None,
    thumbprints: list[str] | None = None,
    tags: list[dict[str, str]] | None = None,
) -> OpenIdConnectProvider:
    """CreateOpenIDConnectProvider. ThumbprintList is optional, as it now is in AWS
    (AWS then works the thumbprint out from the IdP's certificate; nothing is fetched
    here, so the list stays empty: tokens are checked against the IdP's JWKS alone)."""
    url = _check_url(url)
    thumbs = _check_thumbprints(thumbprints)
    ids = _check_client_ids(client_ids)
    tags = check_tags(tags or [])
    arn = oidc_provider_arn(actor.account_id, url)
    ctx = tag_context(tags)
    authorize(actor, "iam:CreateOpenIDConnectProvider", arn, context=ctx)
    if tags:
        authorize(actor, "iam:TagOpenIDConnectProvider", arn, context=ctx)
    exists = EntityAlreadyExists(f"Provider with url {url} already exists.")
    in_account = OpenIdConnectProvider.objects.filter(account_id=actor.account_id)
    if in_account.filter(arn=arn).exists():
        raise exists
    if in_account.count() >= OIDC_PROVIDERS_PER_ACCOUNT:
        # The quota's name as AWS would spell it is not recorded; the form follows the
        # recorded ClientIdsPerOpenIdConnectProvider message.
        raise LimitExceeded(
            f"Cannot exceed quota for OpenIdConnectProvidersPerAccount: {OIDC_PROVIDERS_PER_ACCOUNT}"
        )
    provider = OpenIdConnectProvider(
        account_id=actor.account_id,
        url=url,
        arn=arn,
        client_ids=ids,
        thumbprints=thumbs,
        tags=tags,
    )
    save_unique(provider, exists)
    record_event(
        actor, "CreateOpenIDConnectProvider", arn, request={"Url": url, "ClientIDList": ids}
    )
    return provider


@operation("GetOpenIDConnectProvider", read_only=True)
def get_open_id_connect_provider(*, actor: Principal, arn: str) -> OpenIdConnectProvider:
    return _find_oidc(actor, arn, "iam:GetOpenIDConnectProvider")


@operation("ListOpenIDConnectProviders", read_only=True)
def list_open_id_connect_providers(*, actor: Principal) -> list[OpenIdConnectProvider]:
    """ListOpenIDConnectProviders: every provider of the account (AWS pages nothing)."""
    authorize(actor, "iam:ListOpenIDConnectProviders", "*")
    return list(OpenIdConnectProvider.objects.filter(account_id=actor.account_id))


@operation("DeleteOpenIDConnectProvider")
def delete_open_id_connect_provider(*, actor: Principal, arn: str) -> None:
    """DeleteOpenIDConnectProvider. Roles trusting it stay as they are (as in AWS): their
    web identity sessions fail from now on, the provider being unknown."""
    provider = _find_oidc(actor, arn, "iam:DeleteOpenIDConnectProvider")
    provider.delete()
    record_event(
        actor, "DeleteOpenIDConnectProvider", arn, request={"OpenIDConnectProviderArn": arn}
    )


@operation("AddClientIDToOpenIDConnectProvider")
def add_client_id_to_open_id_connect_provider(
    *, actor: Principal, arn: str, client_id: str
) -> None:
    """AddClientIDToOpenIDConnectProvider: adding a client id already listed changes
    nothing ("This operation is idempotent", API reference)."""
    provider = _find_oidc(actor, arn, "iam:AddClientIDToOpenIDConnectProvider")
    if client_id not in provider.client_ids:
        provider.client_ids = _check_client_ids([*provider.client_ids, client_id])
        provider.save(update_fields=["client_ids"])
    record_event(actor, "AddClientIDToOpenIDConnectProvider", arn, request={"ClientID": client_id})


@operation("RemoveClientIDFromOpenIDConnectProvider")
def remove_client_id_from_open_id_connect_provider(
    *, actor: Principal, arn: str, client_id: str
) -> None:
    """RemoveClientIDFromOpenIDConnectProvider: removing a client id not listed changes
    nothing ("This operation is idempotent", API reference)."""
    provider = _find_oidc(actor, arn, "iam:RemoveClientIDFromOpenIDConnectProvider")
    if client_id in provider.client_ids:
        provider.client_ids = [c for c in provider.client_ids if c != client_id]
        provider.save(update_fields=["client_ids"])
    record_event(
        actor, "RemoveClientIDFromOpenIDConnectProvider", arn, request={"ClientID": client_id}
    )


@operation("UpdateOpenIDConnectProviderThumbprint")
def update_open_id_connect_provider_thumbprint(
    *, actor: Principal, arn: str, thumbprints: list[str]
) -> None:
    """UpdateOpenIDConnectProviderThumbprint: the list replaces the provider's."""
    provider = _find_oidc(actor, arn, "iam:UpdateOpenIDConnectProviderThumbprint")
    provider.thumbprints = _check_thumbprints(thumbprints)
    provider.save(update_fields=["thumbprints"])
    record_event(
        actor,
        "UpdateOpenIDConnectProviderThumbprint",
        arn,
        request={"OpenIDConnectProviderArn": arn},
    )


@operation("TagOpenIDConnectProvider")
def tag_open_id_connect_provider(*, actor: Principal, arn: str, tags: list[dict[str, str]]) -> None:
    provider = _find_oidc(actor, arn, "iam:TagOpenIDConnectProvider", tag_context(check_tags(tags)))
    _tag(
        actor,
        provider,
        "TagOpenIDConnectProvider",
        tags,
        message=OIDC_TAG_LIMIT,
        key="OpenIDConnectProviderArn",
    )


@operation("UntagOpenIDConnectProvider")
def untag_open_id_connect_provider(*, actor: Principal, arn: str, tag_keys: list[str]) -> None:
    provider = _find_oidc(
        actor, arn, "iam:UntagOpenIDConnectProvider", {"aws:TagKeys": list(tag_keys)}
    )
    _untag(actor, provider, "UntagOpenIDConnectProvider", tag_keys, key="OpenIDConnectProviderArn")


@operation("ListOpenIDConnectProviderTags", read_only=True)
def list_open_id_connect_provider_tags(*, actor: Principal, arn: str) -> list[dict[str, str]]:
    return list(_find_oidc(actor, arn, "iam:ListOpenIDConnectProviderTags").tags)


# ================================================================== SAML

_NS = {
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
}


@dataclass(frozen=True)
class SamlMetadata:
    """What a SAML provider's metadata document says: the IdP's entity id, its signing
    certificates (those that verify its assertions) and the document's validUntil."""

    entity_id: str
    certificates: tuple[x509.Certificate, ...]
    valid_until: datetime | None


def _xml_datetime(value: str) -> datetime:
    """An xs:dateTime (UTC when it names no zone)."""
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_saml_metadata(document: str) -> SamlMetadata:
    """Parse and check a SAML 2.0 metadata document as CreateSAMLProvider does: an
    ``md:EntityDescriptor`` (possibly inside ``md:EntitiesDescriptor``) with an
    ``entityID``, an ``md:IDPSSODescriptor`` and at least one signing X.509 certificate
    (a KeyDescriptor with ``use="signing"`` or no ``use``). UTF-8 without a byte order
    mark, no DTD ("Troubleshoot SAML 2.0 federation": the metadata "must be encoded in
    UTF-8 format without a byte order mark (BOM)"; keys of at least 1024 bits).
    Anything else is InvalidInput."""
    # Deferred: lxml loads only where SAML documents are read.
    from lxml import etree

    if not isinstance(document, str) or document.startswith("\ufeff"):
        raise InvalidInput(COULD_NOT_PARSE)
    data = document.encode("utf-8")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise InvalidInput(COULD_NOT_PARSE)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise InvalidInput(COULD_NOT_PARSE) from exc
    entity = root
    if root.tag == f"{{{_NS['md']}}}EntitiesDescriptor":
        found = root.findall("md:EntityDescriptor", _NS)
        if len(found) != 1:
            raise InvalidInput(COULD_NOT_PARSE)
        entity = found[0]
    if entity.tag != f"{{{_NS['md']}}}EntityDescriptor" or not entity.get("entityID"):
        raise InvalidInput(COULD_NOT_PARSE)
    idp = entity.find("md:IDPSSODescriptor", _NS)
    if idp is None:
        raise InvalidInput(COULD_NOT_PARSE)
    certificates: list[x509.Certificate] = []
    for descriptor in idp.findall("md:KeyDescriptor", _NS):
        if descriptor.get("use") not in (None, "signing"):
            continue
        for node in descriptor.findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", _NS):
            try:
                der = base64.b64decode("".join((node.text or "").split()), validate=True)
                cert = x509.load_der_x509_certificate(der)
            except (binascii.Error, ValueError) as exc:
                raise InvalidInput(COULD_NOT_PARSE) from exc
            key = cert.public_key()
            if isinstance(key, rsa.RSAPublicKey | dsa.DSAPublicKey) and key.key_size < 1024:
                raise InvalidInput(KEY_TOO_SMALL)
            certificates.append(cert)
    if not certificates:
        raise InvalidInput(COULD_NOT_PARSE)
    valid_until = None
    for holder in (entity, root):
        if holder.get("validUntil"):
            try:
                valid_until = _xml_datetime(holder.get("validUntil"))
            except ValueError as exc:
                raise InvalidInput(COULD_NOT_PARSE) from exc
            break
    return SamlMetadata(entity.get("entityID"), tuple(certificates), valid_until)


def _check_saml_name(name: str) -> str:
    if not isinstance(name, str) or not 1 <= len(name) <= 128 or not _SAML_NAME.fullmatch(name):
        # What the Query protocol answers for the model's constraint (api/protocol.py).
        raise ValidationError(
            f"1 validation error detected: Value '{name}' at 'name' failed to satisfy "
            r"constraint: Member must satisfy regular expression pattern: [\w._-]+"
        )
    return name


def _unsupported_encryption(mode: str | None, private_key: str | None) -> None:
    """SAML assertion encryption (AssertionEncryptionMode Required, AddPrivateKey) is not
    offered here: assertions must come unencrypted. Not an AWS text: a limitation of
    this service, said plainly."""
    if (mode is not None and mode != "Allowed") or private_key:
        raise InvalidInput("SAML assertion encryption is not supported by this service.")


def _find_saml(
    actor: Principal, arn: str, action: str, context: dict[str, object] | None = None
) -> SamlProvider:
    account, _ = _parse_arn(arn, "saml-provider")
    authorize(actor, action, arn, context=context)
    found = SamlProvider.objects.filter(account_id=actor.account_id, arn=arn).first()
    if found is None or account != actor.account_id:
        raise NoSuchEntity(f"Manifest not found for arn {arn}")
    return found


def _saml_uuid() -> str:
    return "".join(secrets.choice(_UUID_ALPHABET) for _ in range(26))


@operation("CreateSAMLProvider")
def create_saml_provider(
    *,
    actor: Principal,
    name: str,
    metadata: str,
    tags: list[dict[str, str]] | None = None,
    assertion_encryption_mode: str | None = None,
    add_private_key: str | None = None,
) -> SamlProvider:
    name = _check_saml_name(name)
    _unsupported_encryption(assertion_encryption_mode, add_private_key)
    parsed = parse_saml_metadata(metadata)
    tags = check_tags(tags or [])
    arn = f"arn:aws:iam::{actor.account_id}:saml-provider/{name}"
    ctx = tag_context(tags)
    authorize(actor, "iam:CreateSAMLProvider", arn, context=ctx)
    if tags:
        authorize(actor, "iam:TagSAMLProvider", arn, context=ctx)
    # Not recorded from AWS; the form of the OIDC text, as a third-party tool reported
    # AWS's answer ("Provider with name … already exists.").
    exists = EntityAlreadyExists(f"Provider with name {name} already exists.")
    in_account = SamlProvider.objects.filter(account_id=actor.account_id)
    if in_account.filter(name__iexact=name).exists():
        raise exists
    if in_account.count() >= SAML_PROVIDERS_PER_ACCOUNT:
        # Quota name not recorded; the form of the recorded OIDC quota message.
        raise LimitExceeded(
            f"Cannot exceed quota for SAMLProvidersPerAccount: {SAML_PROVIDERS_PER_ACCOUNT}"
        )
    now = timezone.now()
    provider = SamlProvider(
        account_id=actor.account_id,
        name=name,
        arn=arn,
        uuid=_saml_uuid(),
        metadata=metadata,
        valid_until=parsed.valid_until or now + SAML_DEFAULT_VALIDITY,
        tags=tags,
    )
    save_unique(provider, exists)
    record_event(actor, "CreateSAMLProvider", arn, request={"Name": name})
    return provider


@operation("GetSAMLProvider", read_only=True)
def get_saml_provider(*, actor: Principal, arn: str) -> SamlProvider:
    return _find_saml(actor, arn, "iam:GetSAMLProvider")


@operation("UpdateSAMLProvider")
def update_saml_provider(
    *,
    actor: Principal,
    arn: str,
    metadata: str | None = None,
    assertion_encryption_mode: str | None = None,
    add_private_key: str | None = None,
) -> SamlProvider:
    """UpdateSAMLProvider: a new metadata document (a rotated signing certificate)."""
    provider = _find_saml(actor, arn, "iam:UpdateSAMLProvider")
    _unsupported_encryption(assertion_encryption_mode, add_private_key)
    if metadata is not None:
        parsed = parse_saml_metadata(metadata)
        provider.metadata = metadata
        provider.valid_until = parsed.valid_until or provider.created + SAML_DEFAULT_VALIDITY
        provider.save(update_fields=["metadata", "valid_until"])
    record_event(actor, "UpdateSAMLProvider", arn, request={"SAMLProviderArn": arn})
    return provider


@operation("DeleteSAMLProvider")
def delete_saml_provider(*, actor: Principal, arn: str) -> None:
    provider = _find_saml(actor, arn, "iam:DeleteSAMLProvider")
    provider.delete()
    record_event(actor, "DeleteSAMLProvider", arn, request={"SAMLProviderArn": arn})


@operation("ListSAMLProviders", read_only=True)
def list_saml_providers(*, actor: Principal) -> list[SamlProvider]:
    authorize(actor, "iam:ListSAMLProviders", "*")
    return list(SamlProvider.objects.filter(account_id=actor.account_id))


@operation("TagSAMLProvider")
def tag_saml_provider(*, actor: Principal, arn: str, tags: list[dict[str, str]]) -> None:
    provider = _find_saml(actor, arn, "iam:TagSAMLProvider", tag_context(check_tags(tags)))
    _tag(actor, provider, "TagSAMLProvider", tags, message="", key="SAMLProviderArn")


@operation("UntagSAMLProvider")
def untag_saml_provider(*, actor: Principal, arn: str, tag_keys: list[str]) -> None:
    provider = _find_saml(actor, arn, "iam:UntagSAMLProvider", {"aws:TagKeys": list(tag_keys)})
    _untag(actor, provider, "UntagSAMLProvider", tag_keys, key="SAMLProviderArn")


@operation("ListSAMLProviderTags", read_only=True)
def list_saml_provider_tags(*, actor: Principal, arn: str) -> list[dict[str, str]]:
    return list(_find_saml(actor, arn, "iam:ListSAMLProviderTags").tags)
