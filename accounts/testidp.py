"""The built-in test identity provider: OIDC issuers and SAML IdPs served by this
installation itself, so web identity and SAML federation can be practised offline
(labs, demos, tests: there is no network at test time).

Per issuer NAME, under the project's own URL (``iamconsole/urls.py`` includes this
module's ``urlpatterns`` at ``/testidp/``):

* ``/testidp/<name>/.well-known/openid-configuration``: OIDC discovery;
* ``/testidp/<name>/jwks.json``: the issuer's public keys (JWKS, RFC 7517);
* ``/testidp/<name>/saml/metadata.xml``: SAML 2.0 IdP metadata with its signing
  certificate.

The issuer URL, ``<base-url>/testidp/<name>``, is the tokens' ``iss`` claim and the
SAML ``Issuer``/``entityID``: register it with CreateOpenIDConnectProvider (or the
metadata with CreateSAMLProvider) and AssumeRoleWithWebIdentity (AssumeRoleWithSAML)
accepts what :func:`mint_web_identity_token` (:func:`mint_saml_response`) issues. When
a token's keys are wanted from one of this installation's own issuer URLs
(:func:`local_issuer_name`), they are read from the database, never over HTTP: no
network is needed, and a single-threaded server cannot wait on itself.

Keys are made on an issuer's first use (minting, or :func:`saml_metadata`) and kept
sealed (``iamconsole.crypto``): an RSA-2048 key (RS256 tokens, SAML signatures, with a
self-signed X.509 certificate) and a P-256 key (ES256 tokens). The endpoints only read:
an issuer nobody minted for is a 404.

This is a lab tool, not an IAM action: no actor, no authorization, nothing audited.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.request import split_domain_port, validate_host
from django.urls import path
from django.views.decorators.http import require_GET

from accounts.models import BuiltinIdpIssuer

__all__ = [
    "AWS_SAML_ENDPOINT",
    "NAME_PATTERN",
    "discovery_document",
    "get_issuer",
    "issuer_url",
    "jwks",
    "local_issuer_name",
    "mint_saml_response",
    "mint_web_identity_token",
    "saml_metadata",
    "urlpatterns",
]

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
PREFIX = "/testidp/"
# AWS's SAML endpoint: the Recipient and Audience AWS expects ("Configure SAML assertions
# for the authentication response", IAM User Guide).
AWS_SAML_ENDPOINT = "https://signin.aws.amazon.com/saml"
CERT_YEARS = 10

_SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
_DS = "http://www.w3.org/2000/09/xmldsig#"
_NAMEID_FORMATS = {
    "persistent": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "transient": "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
    "email": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    "unspecified": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
}


# ------------------------------------------------------------------ issuers and keys


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ValueError(
            f"Invalid issuer name {name!r}: 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    return name


def _new_issuer(name: str) -> BuiltinIdpIssuer:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"IAM console test IdP {name}")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(rsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * CERT_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(rsa_key, hashes.SHA256())
    )

    def pem(key: Any) -> str:
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    issuer = BuiltinIdpIssuer(
        name=name,
        certificate=certificate.public_bytes(serialization.Encoding.PEM).decode(),
    )
    issuer.set_private_keys({"rsa": pem(rsa_key), "ec": pem(ec_key)})
    return issuer


def get_issuer(name: str, *, create: bool = True) -> BuiltinIdpIssuer | None:
    """The issuer ``name``; made (keys and certificate) on first use when ``create``."""
    _check_name(name)
    found = BuiltinIdpIssuer.objects.filter(name=name).first()
    if found is not None or not create:
        return found
    issuer = _new_issuer(name)
    try:
        with transaction.atomic():
            issuer.save(force_insert=True)
    except IntegrityError:  # made meanwhile by another request: use that one
        return BuiltinIdpIssuer.objects.get(name=name)
    return issuer


def _private_keys(issuer: BuiltinIdpIssuer) -> dict[str, Any]:
    pems = issuer.private_keys()
    return {
        kind: serialization.load_pem_private_key(text.encode(), password=None)
        for kind, text in pems.items()
    }


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64(value: int) -> str:
    return _b64url(value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def _public_jwk(key: Any) -> dict[str, str]:
    """A public key as a JWK with its RFC 7638 thumbprint as ``kid``."""
    public = key.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        members = {"e": _int_b64(numbers.e), "kty": "RSA", "n": _int_b64(numbers.n)}
        alg = "RS256"
    else:
        numbers = public.public_numbers()
        members = {
            "crv": "P-256",
            "kty": "EC",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
        }
        alg = "ES256"
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    kid = _b64url(hashlib.sha256(canonical).digest())
    return {**members, "kid": kid, "use": "sig", "alg": alg}


def jwks(name: str) -> dict[str, Any] | None:
    """The issuer's JWKS (``{"keys": [...]}``), or None for an issuer never made."""
    issuer = get_issuer(name, create=False)
    if issuer is None:
        return None
    keys = _private_keys(issuer)
    return {"keys": [_public_jwk(keys["rsa"]), _public_jwk(keys["ec"])]}


# ------------------------------------------------------------------ URLs


def issuer_url(name: str, base_url: str) -> str:
    """``<base-url>/testidp/<name>``: the issuer identifier (``iss``, SAML Issuer)."""
    base = (base_url or "").rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ValueError(f"The base URL must start with http:// or https://, not {base_url!r}.")
    return f"{base}{PREFIX}{_check_name(name)}"


def _default_base_url() -> str:
    """Where this installation is reached when no base URL is given: the first allowed
    host that is not a local one, over https; else ``http://localhost:<PORT>`` (``make
    run``'s, 8000 unless ``PORT`` says otherwise). Give ``base_url`` when in doubt: the
    ``iss`` must be the URL the provider was registered with."""
    local = ("localhost", "127.0.0.1", "[::1]", "testserver")
    hosts = [h for h in settings.ALLOWED_HOSTS if h and h != "*" and not h.startswith(".")]
    public = [h for h in hosts if h not in local]
    if public:
        return f"https://{public[0]}"
    return f"http://localhost:{os.environ.get('PORT', '8000')}"


def local_issuer_name(url: str) -> str | None:
    """The issuer name when ``url`` (an issuer URL, or a URL under one) is one of this
    installation's own test IdP URLs, else None.

    Own: the path is ``/testidp/<name>[/...]`` and the host is one this installation
    serves (``ALLOWED_HOSTS``). Keys for such a URL come from the database, not over
    HTTP. A look-alike elsewhere gains nothing: the tokens must still carry a signature
    by the key kept here.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        return None
    if not parts.path.startswith(PREFIX):
        return None
    name = parts.path[len(PREFIX) :].split("/", 1)[0]
    if not NAME_PATTERN.fullmatch(name):
        return None
    domain, _port = split_domain_port(parts.netloc.rsplit("@", 1)[-1])
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    return name


def discovery_document(name: str, url: str) -> dict[str, Any]:
    """The OIDC discovery document of issuer ``name`` published at issuer URL ``url``."""
    return {
        "issuer": url,
        "jwks_uri": f"{url}/jwks.json",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "claims_supported": ["aud", "exp", "iat", "iss", "sub", "amr", "azp", "email"],
    }


# ------------------------------------------------------------------ web identity tokens


def mint_web_identity_token(
    issuer: str,
    *,
    sub: str,
    aud: str | list[str],
    claims: Mapping[str, Any] | None = None,
    lifetime: int = 3600,
    base_url: str | None = None,
    algorithm: str = "RS256",
) -> str:
    """A signed OIDC ID token (JWT) from test issuer ``issuer``.

    ``iss`` is ``<base_url>/testidp/<issuer>``; ``iat`` and ``nbf`` now, ``exp`` after
    ``lifetime`` seconds (a negative lifetime makes an expired token, for practice).
    ``claims`` are added last and may override any of these. ``algorithm``: RS256 or
    ES256.
    """
    if algorithm not in ("RS256", "ES256"):
        raise ValueError("algorithm must be RS256 or ES256")
    found = get_issuer(issuer)
    assert found is not None
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": issuer_url(issuer, base_url or _default_base_url()),
        "sub": sub,
        "aud": aud,
        "iat": now,
        "nbf": now,
        "exp": now + int(lifetime),
        "jti": secrets.token_hex(16),
    }
    payload.update(dict(claims or {}))
    key = _private_keys(found)["rsa" if algorithm == "RS256" else "ec"]
    header = {"alg": algorithm, "typ": "JWT", "kid": _public_jwk(key)["kid"]}
    signing_input = (
        _b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64url(json.dumps(payload, separators=(",", ":")).encode())
    )
    if algorithm == "RS256":
        signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    else:
        r, s = decode_dss_signature(
            key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
        )
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return f"{signing_input}.{_b64url(signature)}"


# ------------------------------------------------------------------ SAML


def _cert_body(issuer: BuiltinIdpIssuer) -> str:
    """The certificate's DER in base64 (as ``ds:X509Certificate`` carries it)."""
    cert = x509.load_pem_x509_certificate(issuer.certificate.encode())
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def saml_metadata(issuer: str, *, base_url: str | None = None) -> str:
    """The SAML 2.0 metadata of test issuer ``issuer``: an EntityDescriptor (entityID:
    the issuer URL) with an IDPSSODescriptor and the signing certificate. Give it to
    CreateSAMLProvider. (The single sign-on location is required by the schema; this
    IdP issues assertions only through :func:`mint_saml_response`.)"""
    found = get_issuer(issuer)
    assert found is not None
    url = issuer_url(issuer, base_url or _default_base_url())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<md:EntityDescriptor xmlns:md="{_MD}" xmlns:ds="{_DS}" entityID={quoteattr(url)}>\n'
        '  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" '
        f'protocolSupportEnumeration="{_SAMLP}">\n'
        '    <md:KeyDescriptor use="signing">\n'
        "      <ds:KeyInfo>\n"
        "        <ds:X509Data>\n"
        f"          <ds:X509Certificate>{_cert_body(found)}</ds:X509Certificate>\n"
        "        </ds:X509Data>\n"
        "      </ds:KeyInfo>\n"
        "    </md:KeyDescriptor>\n"
        f"    <md:NameIDFormat>{_NAMEID_FORMATS['persistent']}</md:NameIDFormat>\n"
        f"    <md:NameIDFormat>{_NAMEID_FORMATS['transient']}</md:NameIDFormat>\n"
        '    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
        f"Location={quoteattr(url + '/saml/sso')}/>\n"
        "  </md:IDPSSODescriptor>\n"
        "</md:EntityDescriptor>\n"
    )


def _instant(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def _attribute(name: str, values: list[str]) -> str:
    body = "".join(f"<saml:AttributeValue>{escape(str(v))}</saml:AttributeValue>" for v in values)
    return f"<saml:Attribute Name={quoteattr(name)}>{body}</saml:Attribute>"


def mint_saml_response(
    issuer: str,
    *,
    role_arn: str,
    provider_arn: str,
    subject: str,
    base_url: str | None = None,
    session_name: str | None = None,
    lifetime: int = 300,
    subject_format: str = "persistent",
    session_duration: int | None = None,
    attributes: Mapping[str, str | list[str]] | None = None,
    audience: str = AWS_SAML_ENDPOINT,
    recipient: str = AWS_SAML_ENDPOINT,
) -> str:
    """A signed SAML 2.0 Response from test issuer ``issuer``, base64-encoded (the
    ``SAMLResponse`` AssumeRoleWithSAML takes as ``SAMLAssertion``).

    The assertion carries what AWS asks of an IdP ("Configure SAML assertions for the
    authentication response"): the subject's NameID, one SubjectConfirmation whose data
    has NotOnOrAfter and the Recipient, the audience, the ``Role`` attribute pairing
    ``role_arn`` with ``provider_arn`` and ``RoleSessionName`` (``session_name``, default
    the subject). ``lifetime`` seconds of validity (negative: an expired assertion);
    ``session_duration`` sets the ``SessionDuration`` attribute; ``attributes`` adds more
    (for instance ``https://aws.amazon.com/SAML/Attributes/PrincipalTag:Project``). The
    assertion is signed (RSA-SHA256, exclusive canonicalization, enveloped) with the
    issuer's key, the certificate of :func:`saml_metadata`.
    """
    # Deferred: signxml (and lxml) load only where SAML is minted or verified.
    from lxml import etree
    from signxml import XMLSigner
    from signxml.algorithms import CanonicalizationMethod

    found = get_issuer(issuer)
    assert found is not None
    url = issuer_url(issuer, base_url or _default_base_url())
    now = datetime.now(UTC)
    until = now + timedelta(seconds=int(lifetime))
    assertion_id = "_" + secrets.token_hex(20)
    response_id = "_" + secrets.token_hex(20)
    name_format = _NAMEID_FORMATS.get(subject_format, subject_format)
    attrs = [
        _attribute("https://aws.amazon.com/SAML/Attributes/Role", [f"{role_arn},{provider_arn}"]),
        _attribute(
            "https://aws.amazon.com/SAML/Attributes/RoleSessionName", [session_name or subject]
        ),
    ]
    if session_duration is not None:
        attrs.append(
            _attribute(
                "https://aws.amazon.com/SAML/Attributes/SessionDuration", [str(session_duration)]
            )
        )
    for attr_name, value in (attributes or {}).items():
        attrs.append(_attribute(attr_name, value if isinstance(value, list) else [value]))
    assertion_xml = (
        f'<saml:Assertion xmlns:saml="{_SAML}" ID="{assertion_id}" Version="2.0" '
        f'IssueInstant="{_instant(now)}">'
        f"<saml:Issuer>{escape(url)}</saml:Issuer>"
        f'<ds:Signature xmlns:ds="{_DS}" Id="placeholder"/>'
        "<saml:Subject>"
        f"<saml:NameID Format={quoteattr(name_format)}>{escape(subject)}</saml:NameID>"
        '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData NotOnOrAfter="{_instant(until)}" '
        f"Recipient={quoteattr(recipient)}/>"
        "</saml:SubjectConfirmation>"
        "</saml:Subject>"
        f'<saml:Conditions NotBefore="{_instant(now - timedelta(seconds=5))}" '
        f'NotOnOrAfter="{_instant(until)}">'
        f"<saml:AudienceRestriction><saml:Audience>{escape(audience)}</saml:Audience>"
        "</saml:AudienceRestriction>"
        "</saml:Conditions>"
        f'<saml:AuthnStatement AuthnInstant="{_instant(now)}" SessionIndex="{assertion_id}">'
        "<saml:AuthnContext><saml:AuthnContextClassRef>"
        "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        "</saml:AuthnContextClassRef></saml:AuthnContext>"
        "</saml:AuthnStatement>"
        f"<saml:AttributeStatement>{''.join(attrs)}</saml:AttributeStatement>"
        "</saml:Assertion>"
    )
    keys = _private_keys(found)
    signed = XMLSigner(
        signature_algorithm="rsa-sha256",
        digest_algorithm="sha256",
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    ).sign(
        etree.fromstring(assertion_xml.encode()),
        key=keys["rsa"],
        cert=found.certificate,
        reference_uri=assertion_id,
    )
    response = etree.fromstring(
        (
            f'<samlp:Response xmlns:samlp="{_SAMLP}" xmlns:saml="{_SAML}" ID="{response_id}" '
            f'Version="2.0" IssueInstant="{_instant(now)}" Destination={quoteattr(recipient)}>'
            f"<saml:Issuer>{escape(url)}</saml:Issuer>"
            '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
            "</samlp:Status>"
            "</samlp:Response>"
        ).encode()
    )
    response.append(signed)
    return base64.b64encode(etree.tostring(response, xml_declaration=False)).decode()


# ------------------------------------------------------------------ public endpoints


def _base_of(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _known(name: str) -> BuiltinIdpIssuer:
    if not NAME_PATTERN.fullmatch(name):
        raise Http404("No such test issuer.")
    found = get_issuer(name, create=False)
    if found is None:
        raise Http404("No such test issuer.")
    return found


@require_GET
def openid_configuration_view(request: HttpRequest, name: str) -> HttpResponse:
    _known(name)
    return JsonResponse(discovery_document(name, issuer_url(name, _base_of(request))))


@require_GET
def jwks_view(request: HttpRequest, name: str) -> HttpResponse:
    _known(name)
    response = JsonResponse(jwks(name))
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def saml_metadata_view(request: HttpRequest, name: str) -> HttpResponse:
    _known(name)
    return HttpResponse(
        saml_metadata(name, base_url=_base_of(request)), content_type="application/samlmetadata+xml"
    )


app_name = "testidp"
urlpatterns = [
    path(
        "<str:name>/.well-known/openid-configuration",
        openid_configuration_view,
        name="openid-configuration",
    ),
    path("<str:name>/jwks.json", jwks_view, name="jwks"),
    path("<str:name>/saml/metadata.xml", saml_metadata_view, name="saml-metadata"),
]
