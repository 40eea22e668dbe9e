"""STS federation: AssumeRoleWithWebIdentity and AssumeRoleWithSAML (unsigned calls: the
caller is proven by a token its identity provider signed) and GetFederationToken.

AWS docs followed: the STS API Reference of the three actions; "Requesting temporary
security credentials" and "Comparing the AWS STS API operations"; "Configure SAML
assertions for the authentication response" (what an assertion must carry, the
``saml:*`` keys); "IAM and AWS STS condition context keys" (web identity keys named
``<provider URL without https://>:<claim>``, ``aud`` from ``azp`` when the token sets
it); "Passing session tags in AWS STS"; "Troubleshoot SAML 2.0 federation with AWS".

Web identity tokens are JWTs checked as an OIDC relying party checks them: a signature
(RS256/384/512, PS256/384/512, ES256/384/512) by a key of the issuer's JWKS (found
through ``<iss>/.well-known/openid-configuration`` → ``jwks_uri``, fetched with a
2-second timeout and kept 5 minutes; the built-in test IdP's keys are read from the
database), ``iss`` equal to a provider's URL in the role's account, ``aud`` (or
``azp``) among its client ids, ``exp``/``nbf``/``iat``. SAML responses are checked with
signxml against the provider metadata's signing certificates: the signed assertion (or
response) is the only data read afterwards. Then the role's trust policy decides, as a
resource-based policy naming the provider as ``Federated`` principal, with the claims as
condition keys.

AWS's error texts: where a text was seen in AWS's real answers its source is named;
where no exact text could be established the error carries the description botocore's
sts model gives for that error (marked "model text").
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.client
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.db import transaction
from django.db.models import Q

from accounts import testidp
from accounts.errors import AccessDenied, IamError, ValidationError
from accounts.models import Account, IamUser, OpenIdConnectProvider, Role, SamlProvider
from accounts.operations.providers import parse_saml_metadata
from accounts.operations.sts import (
    MIN_DURATION,
    PACKED_LIMIT,
    SESSION_TAGS_MAX,
    STS,
    InvalidParameterValue,
    NewCredentials,
    PackedPolicyTooLarge,
    _issue,
)
from accounts.principal import Principal, federated_user_arn, role_session_arn
from audit.trail import record_event
from iamconsole.ops import operation
from policies.authorization import authorize
from policies.documents import check_policy_document, policy_size
from policies.models import ManagedPolicy

__all__ = [
    "ExpiredToken",
    "FederationToken",
    "IDPCommunicationError",
    "IDPRejectedClaim",
    "InvalidIdentityToken",
    "SamlSession",
    "WebIdentitySession",
    "assume_role_with_saml",
    "assume_role_with_web_identity",
    "get_federation_token",
    "issuer_keys",
    "verify_jwt_signature",
]

DEFAULT_ROLE_DURATION = 3600
FEDERATION_DEFAULT = 43200
FEDERATION_MAX = 129600
ROOT_FEDERATION_MAX = 3600
FETCH_TIMEOUT = 2.0  # seconds, for each of the discovery document and the JWKS
KEYS_TTL = 300.0  # seconds an issuer's JWKS is kept
KEYS_REFRESH_AFTER = 30.0  # an unknown kid refetches a JWKS at most this often
MAX_DOCUMENT = 1 << 20  # bytes of a discovery document or JWKS
CLOCK_SKEW = 60  # seconds of leeway for nbf/iat and SAML NotBefore

# -- AWS's texts -------------------------------------------------------------------------
# Seen in AWS's answers (GitHub issues quoting STS): "No OpenIDConnect provider found in
# your account for https://…" (aws-actions/configure-aws-credentials#721 and others),
# "Incorrect token audience" (awslabs/amazon-eks-irsa-cfn#18), "Couldn't retrieve
# verification key from your identity provider,  please reference AssumeRoleWithWeb
# Identity documentation for requirements" (two spaces, aws/aws-sdk-php#1725,
# awslabs/aws-sdk-rust#827), "Missing a required claim: aud" (aws/aws-sdk-ruby#2698),
# "Token expired: current date/time 1731098245 must be before the expiration date/time
# 1731095240" (aws/aws-sdk-java-v2#5709; an older report has no space before the second
# number), "Not authorized to perform sts:AssumeRoleWithWebIdentity" (many).
# SAML, from "Troubleshoot SAML 2.0 federation with AWS" (IAM User Guide): "Response
# signature invalid", "RoleSessionName is required in AuthnResponse", "RoleSessionName
# in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}", "Not authorized to perform
# sts:AssumeRoleWithSAML", "Specified provider doesn't exist.", "Issuer not present in
# specified provider"; and "Token must be redeemed within 5 minutes of issuance"
# (ExpiredTokenException, Nike-Inc/gimme-aws-creds#251).
NO_KEY = (
    "Couldn't retrieve verification key from your identity provider,  please reference "
    "AssumeRoleWithWebIdentity documentation for requirements"
)
# Model texts (botocore's sts model), where AWS's exact message is not established: a
# malformed token, a bad signature, a token not yet valid, a SAML response failing a
# check the docs name no text for.
INVALID_TOKEN = (
    "The web identity token that was passed could not be validated by Amazon Web Services. "
    "Get a new identity token from the identity provider and then retry the request."
)
IDP_UNREACHABLE = (
    "The request could not be fulfilled because the identity provider (IDP) that was asked "
    "to verify the incoming identity token could not be reached. This is often a transient "
    "error caused by network conditions. Retry the request a limited number of times so "
    "that you don't exceed the request rate. If the error persists, the identity provider "
    "might be down or not responding."
)
IDP_REJECTED = (
    "The identity provider (IdP) reported that authentication failed. This might be because "
    "the claim is invalid."
)
SAML_EXPIRED = "Token must be redeemed within 5 minutes of issuance"
SESSION_NAME_RULE = "[a-zA-Z_0-9+=,.@-]{2,64}"
FEDERATION_SESSION_CREDENTIALS = "Cannot call GetFederationToken with session credentials"

_ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role(/(?:[^/]+/)*)([\w+=,.@-]+)", re.ASCII)
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
_SOURCE_IDENTITY = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
_FEDERATED_NAME = re.compile(r"[\w+=,.@-]{2,32}", re.ASCII)


class InvalidIdentityToken(IamError):
    code, status = "InvalidIdentityToken", 400


class ExpiredToken(IamError):
    code, status = "ExpiredTokenException", 400


class IDPRejectedClaim(IamError):
    code, status = "IDPRejectedClaim", 403


class IDPCommunicationError(IamError):
    code, status = "IDPCommunicationError", 400


@dataclass(frozen=True)
class WebIdentitySession:
    """AssumeRoleWithWebIdentity's answer (besides the credentials)."""

    new: NewCredentials
    subject: str
    audience: str
    provider: str
    source_identity: str = ""


@dataclass(frozen=True)
class SamlSession:
    """AssumeRoleWithSAML's answer (besides the credentials)."""

    new: NewCredentials
    subject: str
    subject_type: str
    issuer: str
    audience: str
    name_qualifier: str
    source_identity: str = ""


@dataclass(frozen=True)
class FederationToken:
    """GetFederationToken's answer."""

    new: NewCredentials
    arn: str
    federated_user_id: str
    packed_policy_size: int


# ================================================================== shared


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _role_account(role_arn: str) -> str | None:
    match = _ROLE_ARN.fullmatch(role_arn or "")
    return match.group(1) if match else None


def _in_role_account(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Unsigned calls: the caller belongs to no account until its token is checked. Its
    events are recorded in the role's account (as CloudTrail records them where the role
    lives). A role ARN naming no account here has no event history to record into: the
    checks then run in one transaction all the same, unaudited."""

    @functools.wraps(fn)
    def wrapper(*, actor: Principal, role_arn: str, **kw: Any) -> Any:
        account = _role_account(role_arn)
        caller = replace(
            actor,
            kind="anonymous",
            arn="anonymous",
            account_id=account or "",
            user_id=None,
            user_name="",
            unique_id="",
            role_id=None,
            session_name="",
            session_issued=None,
            session_policies=(),
            session_tags=(),
            source_identity="",
            mfa_authenticated=False,
            mfa_auth_time=None,
            access_key_id="",
        )
        if account is None or not Account.objects.filter(pk=account).exists():
            with transaction.atomic():
                return fn.__wrapped__(actor=caller, role_arn=role_arn, **kw)
        return fn(actor=caller, role_arn=role_arn, **kw)

    return wrapper


def _role(role_arn: str, denied: AccessDenied) -> Role:
    match = _ROLE_ARN.fullmatch(role_arn or "")
    if match is None:
        raise ValidationError(f"{role_arn} is invalid")  # AssumeRole's text
    role = Role.objects.filter(account_id=match.group(1), name__iexact=match.group(3)).first()
    if role is None or role.arn != role_arn:
        raise denied  # AWS does not reveal whether a role exists
    return role


def _duration(requested: int | None, role: Role, *, shorter: int | None = None) -> int:
    """DurationSeconds: 900 s up to the role's maximum, one hour by default (the same
    checks and texts as AssumeRole)."""
    duration = DEFAULT_ROLE_DURATION if requested is None else int(requested)
    if duration < MIN_DURATION:
        raise ValidationError(
            f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to "
            f"satisfy constraint: Member must have value greater than or equal to {MIN_DURATION}"
        )
    if duration > role.max_session_duration:
        raise ValidationError(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        )
    if shorter is not None:
        duration = min(duration, shorter)
    return duration


def _session_policies(
    account_id: str, policy: str | None, policy_arns: list[str] | None
) -> tuple[list[str], int]:
    """Session policies (an inline document and managed policy ARNs of the account or
    AWS's), as AssumeRole takes them, and their packed size in characters."""
    docs: list[str] = []
    packed = 0
    if policy is not None:
        docs.append(check_policy_document(policy))
        packed += policy_size(policy)
    for arn in policy_arns or []:
        managed = (
            ManagedPolicy.objects.filter(arn=arn)
            .filter(Q(account_id=account_id) | Q(account__isnull=True))
            .first()
        )
        if managed is None:
            raise ValidationError(f"Policy {arn} does not exist or is not attachable.")
        docs.append(managed.default_version().document)
        packed += len(arn)
    return docs, packed


def _check_session_tags(tags: list[dict[str, str]]) -> None:
    if len(tags) > SESSION_TAGS_MAX:
        raise ValidationError(f"Cannot exceed quota for SessionTags: {SESSION_TAGS_MAX}")
    lowered = [t["Key"].lower() for t in tags]
    if len(set(lowered)) != len(lowered):
        raise InvalidParameterValue(
            "Duplicate tag keys found. Please note that Tag keys are case insensitive."
        )


def _packed_percent(chars: int, tags: list[dict[str, str]]) -> int:
    chars += sum(len(t["Key"]) + len(t.get("Value", "")) for t in tags)
    percent = (chars * 100 + PACKED_LIMIT - 1) // PACKED_LIMIT if chars else 0
    if percent > 100:
        raise PackedPolicyTooLarge(
            f"Packed policy consumes {percent}% of allotted space, please use smaller policy."
        )
    return percent


def _tag_context(tags: list[dict[str, str]]) -> dict[str, Any]:
    if not tags:
        return {}
    ctx: dict[str, Any] = {f"aws:RequestTag/{t['Key']}": t.get("Value", "") for t in tags}
    ctx["aws:TagKeys"] = [t["Key"] for t in tags]
    return ctx


def _trust(
    caller: Principal,
    action: str,
    role: Role,
    context: dict[str, Any],
    *,
    tags: bool,
    source_identity: bool,
) -> None:
    """The trust policy (a resource-based policy naming the provider as ``Federated``)
    must allow ``action``, and sts:TagSession / sts:SetSourceIdentity when the token
    brings session tags / a source identity ("Permissions required to tag sessions").
    Any refusal is AWS's one text, "Not authorized to perform <action>"."""
    kw = {
        "resource_account": role.account_id,
        "context": context,
        "resource_policy": role.trust_policy,
    }
    try:
        authorize(caller, action, role.arn, **kw)
        if tags:
            authorize(caller, "sts:TagSession", role.arn, **kw)
        if source_identity:
            authorize(caller, "sts:SetSourceIdentity", role.arn, **kw)
    except AccessDenied:
        raise AccessDenied(
            f"Not authorized to perform {action}", action=action, resource=role.arn
        ) from None


def _role_session(
    *,
    caller: Principal,
    event: str,
    role: Role,
    session_name: str,
    duration: int,
    docs: list[str],
    tags: list[dict[str, str]],
    transitive: set[str],
    source_identity: str,
    percent: int,
    provider_arn: str,
    request: dict[str, Any],
) -> NewCredentials:
    """Issue the role session's credentials and record the event in the role's account."""
    new = _issue(
        account_id=role.account_id,
        issued=_now(),
        seconds=duration,
        role=role,
        session_name=session_name,
        session_policies=docs,
        session_tags=[
            {"Key": t["Key"], "Value": t.get("Value", "")}
            | ({"Transitive": True} if t["Key"].lower() in transitive else {})
            for t in tags
        ],
        source_identity=source_identity,
        mfa_authenticated=False,
        source_arn=provider_arn,
    )
    record_event(
        caller,
        event,
        role.arn,
        request={
            **request,
            "DurationSeconds": duration,
            "AccessKeyId": new.credential.access_key_id,
        },
        event_source=STS,
    )
    return NewCredentials(
        credential=new.credential,
        secret=new.secret,
        session_token=new.session_token,
        assumed_role_arn=role_session_arn(role.account_id, role.name, session_name),
        assumed_role_id=f"{role.unique_id}:{session_name}",
        packed_policy_size=percent if (docs or tags) else None,
    )


# ================================================================== web identity: JWT

# alg -> (key type, hash, curve and coordinate size for EC)
_ALGORITHMS: dict[str, tuple[str, type[hashes.HashAlgorithm], str, int]] = {
    "RS256": ("RSA", hashes.SHA256, "", 0),
    "RS384": ("RSA", hashes.SHA384, "", 0),
    "RS512": ("RSA", hashes.SHA512, "", 0),
    "PS256": ("RSA-PSS", hashes.SHA256, "", 0),
    "PS384": ("RSA-PSS", hashes.SHA384, "", 0),
    "PS512": ("RSA-PSS", hashes.SHA512, "", 0),
    "ES256": ("EC", hashes.SHA256, "P-256", 32),
    "ES384": ("EC", hashes.SHA384, "P-384", 48),
    "ES512": ("EC", hashes.SHA512, "P-521", 66),
}
_CURVES = {"P-256": ec.SECP256R1, "P-384": ec.SECP384R1, "P-521": ec.SECP521R1}


def _b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class _Jwt:
    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def _decode_jwt(token: str) -> _Jwt:
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise InvalidIdentityToken(INVALID_TOKEN)
    try:
        header = json.loads(_b64url_decode(parts[0]))
        claims = json.loads(_b64url_decode(parts[1]))
        signature = _b64url_decode(parts[2])
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidIdentityToken(INVALID_TOKEN) from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise InvalidIdentityToken(INVALID_TOKEN)
    return _Jwt(header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


def _b64_int(text: Any) -> int:
    return int.from_bytes(_b64url_decode(text), "big")


def _jwk_key(jwk: dict[str, Any], kind: str, curve: str) -> Any:
    """The public key of one JWK, if it suits the algorithm's key type (else None)."""
    kty = jwk.get("kty")
    try:
        if jwk.get("n") is None and jwk.get("x") is None and isinstance(jwk.get("x5c"), list):
            cert = x509.load_der_x509_certificate(base64.b64decode(jwk["x5c"][0]))
            key = cert.public_key()
        elif kty == "RSA":
            key = rsa.RSAPublicNumbers(_b64_int(jwk["e"]), _b64_int(jwk["n"])).public_key()
        elif kty == "EC":
            if jwk.get("crv") != curve or curve not in _CURVES:
                return None
            key = ec.EllipticCurvePublicNumbers(
                _b64_int(jwk["x"]), _b64_int(jwk["y"]), _CURVES[curve]()
            ).public_key()
        else:
            return None
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    if kind in ("RSA", "RSA-PSS"):
        return key if isinstance(key, rsa.RSAPublicKey) else None
    if isinstance(key, ec.EllipticCurvePublicKey) and _CURVES[curve]().name == key.curve.name:
        return key
    return None


def _candidate_keys(jwt: _Jwt, jwks: dict[str, Any]) -> list[Any]:
    alg = jwt.header.get("alg")
    kind, _, curve, _ = _ALGORITHMS[alg]
    kid = jwt.header.get("kid")
    keys = []
    for jwk in jwks.get("keys") or ():
        if not isinstance(jwk, dict):
            continue
        if kid is not None and jwk.get("kid") != kid:
            continue
        if jwk.get("use") not in (None, "sig") or jwk.get("alg") not in (None, alg):
            continue
        key = _jwk_key(jwk, kind, curve)
        if key is not None:
            keys.append(key)
    return keys


def verify_jwt_signature(token: str, jwks: dict[str, Any]) -> dict[str, Any] | None:
    """The token's claims when a key of ``jwks`` verifies its signature, else None.

    Pure: no clock, no network. Algorithms RS256/384/512 (PKCS#1 v1.5), PS256/384/512
    (PSS) and ES256/384/512 (JWS's raw r||s signatures); "none" and HMAC are refused.
    """
    jwt = _decode_jwt(token)
    if jwt.header.get("alg") not in _ALGORITHMS:
        return None
    return jwt.claims if _signature_ok(jwt, _candidate_keys(jwt, jwks)) else None


def _signature_ok(jwt: _Jwt, keys: list[Any]) -> bool:
    kind, hash_type, _, size = _ALGORITHMS[jwt.header["alg"]]
    for key in keys:
        try:
            if kind == "RSA":
                key.verify(jwt.signature, jwt.signing_input, padding.PKCS1v15(), hash_type())
            elif kind == "RSA-PSS":
                pss = padding.PSS(mgf=padding.MGF1(hash_type()), salt_length=hash_type.digest_size)
                key.verify(jwt.signature, jwt.signing_input, pss, hash_type())
            else:
                if len(jwt.signature) != 2 * size:
                    continue
                r = int.from_bytes(jwt.signature[:size], "big")
                s = int.from_bytes(jwt.signature[size:], "big")
                key.verify(encode_dss_signature(r, s), jwt.signing_input, ec.ECDSA(hash_type()))
        except InvalidSignature:
            continue
        return True
    return False


# -- the issuer's keys ---------------------------------------------------------------------

_keys_lock = threading.Lock()
_keys_cache: dict[str, tuple[float, dict[str, Any]]] = {}


def _fetch_json(url: str) -> Any:
    """GET ``url`` (https) as JSON within FETCH_TIMEOUT. Unreachable: IDPCommunicationError;
    reached but no usable document: InvalidIdentityToken (AWS's "Couldn't retrieve
    verification key …")."""
    if not url.startswith("https://"):
        raise InvalidIdentityToken(NO_KEY)
    headers = {"Accept": "application/json", "User-Agent": "iam-console-sts"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - https only (above)
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:  # noqa: S310
            body = response.read(MAX_DOCUMENT + 1)
    except urllib.error.HTTPError as exc:
        raise InvalidIdentityToken(NO_KEY) from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise IDPCommunicationError(IDP_UNREACHABLE) from exc
    if len(body) > MAX_DOCUMENT:
        raise InvalidIdentityToken(NO_KEY)
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidIdentityToken(NO_KEY) from exc


def issuer_keys(issuer: str, *, refresh: bool = False) -> dict[str, Any]:
    """The JWKS of OIDC issuer ``issuer`` (a provider's URL).

    The built-in test IdP's issuers (accounts/testidp.py) are answered from the database:
    no HTTP request to this very server. Others: ``<issuer>/.well-known/openid-
    configuration`` names the ``jwks_uri``; both are fetched over HTTPS and the JWKS kept
    KEYS_TTL seconds (``refresh``: fetch again, at most every KEYS_REFRESH_AFTER s).
    """
    name = testidp.local_issuer_name(issuer)
    if name is not None:
        found = testidp.jwks(name)
        if found is None:
            raise InvalidIdentityToken(NO_KEY)
        return found
    now = time.monotonic()
    with _keys_lock:
        hit = _keys_cache.get(issuer)
    if hit is not None:
        age = now - hit[0]
        if age < KEYS_TTL and not (refresh and age >= KEYS_REFRESH_AFTER):
            return hit[1]
    config = _fetch_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    jwks_uri = config.get("jwks_uri") if isinstance(config, dict) else None
    if not isinstance(jwks_uri, str):
        raise InvalidIdentityToken(NO_KEY)
    keys = _fetch_json(jwks_uri)
    if not isinstance(keys, dict) or not isinstance(keys.get("keys"), list):
        raise InvalidIdentityToken(NO_KEY)
    with _keys_lock:
        _keys_cache[issuer] = (now, keys)
    return keys


def _numeric(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidIdentityToken(INVALID_TOKEN)
    return float(value)


def _check_times(claims: dict[str, Any], now: float) -> None:
    exp = _numeric(claims, "exp")
    if exp is None:
        # The form of AWS's "Missing a required claim: aud"; not seen for exp.
        raise InvalidIdentityToken("Missing a required claim: exp")
    if now >= exp:
        raise ExpiredToken(
            f"Token expired: current date/time {int(now)} must be before the expiration "
            f"date/time {int(exp)}"
        )
    nbf = _numeric(claims, "nbf")
    iat = _numeric(claims, "iat")
    if (nbf is not None and nbf > now + CLOCK_SKEW) or (iat is not None and iat > now + CLOCK_SKEW):
        raise InvalidIdentityToken(INVALID_TOKEN)  # model text: not yet valid


def _claim_tags(claims: dict[str, Any]) -> tuple[list[dict[str, str]], set[str]]:
    """Session tags a token passes: ``"https://aws.amazon.com/tags": {"principal_tags":
    {"Key": ["Value"]}, "transitive_tag_keys": ["Key"]}`` ("Passing session tags using
    AssumeRoleWithWebIdentity")."""
    spec = claims.get("https://aws.amazon.com/tags")
    if spec is None:
        return [], set()
    if not isinstance(spec, dict) or not isinstance(spec.get("principal_tags", {}), dict):
        raise InvalidIdentityToken(INVALID_TOKEN)
    tags = []
    for key, value in (spec.get("principal_tags") or {}).items():
        values = value if isinstance(value, list) else [value]
        if len(values) != 1 or not isinstance(values[0], str) or not isinstance(key, str):
            raise InvalidIdentityToken(INVALID_TOKEN)
        tags.append({"Key": key, "Value": values[0]})
    transitive = spec.get("transitive_tag_keys") or []
    if not isinstance(transitive, list) or not all(isinstance(k, str) for k in transitive):
        raise InvalidIdentityToken(INVALID_TOKEN)
    lowered = {k.lower() for k in transitive}
    if not lowered <= {t["Key"].lower() for t in tags}:
        raise InvalidParameterValue(
            "The specified transitive tag key must be included in the requested tags."
        )
    return tags, lowered


def _audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if aud is None:
        raise InvalidIdentityToken("Missing a required claim: aud")
    values = aud if isinstance(aud, list) else [aud]
    if not values or not all(isinstance(v, str) for v in values):
        raise InvalidIdentityToken(INVALID_TOKEN)
    return values


def _web_identity_context(
    provider: OpenIdConnectProvider, claims: dict[str, Any], audiences: list[str], sub: str
) -> dict[str, Any]:
    """The provider's condition keys, ``<URL without https://>:<claim>``: ``sub``; ``aud``
    (the ``azp`` claim when the token sets one, else ``aud``), ``oaud`` (``aud``), ``amr``
    (multivalued) and ``email`` when present ("IAM and AWS STS condition context keys",
    web identity federation keys; ``aud``/``oaud`` as documented for Google)."""
    prefix = provider.host_path
    azp = claims.get("azp")
    aud_value: str | list[str] = audiences[0] if len(audiences) == 1 else audiences
    ctx: dict[str, Any] = {
        f"{prefix}:sub": sub,
        f"{prefix}:aud": azp if isinstance(azp, str) else aud_value,
        f"{prefix}:oaud": aud_value,
    }
    amr = claims.get("amr")
    if isinstance(amr, str):
        ctx[f"{prefix}:amr"] = [amr]
    elif isinstance(amr, list):
        ctx[f"{prefix}:amr"] = [str(v) for v in amr]
    if isinstance(claims.get("email"), str):
        ctx[f"{prefix}:email"] = claims["email"]
    return ctx


@_in_role_account  # outermost: the caller is placed in the role's account first
@operation("AssumeRoleWithWebIdentity", event_source=STS)
def assume_role_with_web_identity(
    *,
    actor: Principal,
    role_arn: str,
    session_name: str,
    web_identity_token: str,
    provider_id: str | None = None,
    policy: str | None = None,
    policy_arns: list[str] | None = None,
    duration_seconds: int | None = None,
) -> WebIdentitySession:
    """AssumeRoleWithWebIdentity with an OpenID Connect ID token.

    The issuer (``iss``) must be an OIDC provider of the role's account, the token signed
    by a key of its JWKS, unexpired, meant for one of the provider's client ids; then the
    role's trust policy must allow ``sts:AssumeRoleWithWebIdentity`` to the provider's
    ARN (``Federated``) given the token's claims as condition keys.
    """
    denied = AccessDenied(
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        action="sts:AssumeRoleWithWebIdentity",
        resource=role_arn,
    )
    account = _role_account(role_arn)
    if account is None:
        raise ValidationError(f"{role_arn} is invalid")
    if not isinstance(session_name, str) or not _SESSION_NAME.fullmatch(session_name):
        raise ValidationError(
            f"1 validation error detected: Value '{session_name}' at 'roleSessionName' failed "
            r"to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*"
        )
    if provider_id:
        # OAuth 2.0 access tokens (ProviderId www.amazon.com, graph.facebook.com) are
        # checked by asking those services, which this installation cannot do (model text).
        raise IDPCommunicationError(IDP_UNREACHABLE)
    jwt = _decode_jwt(web_identity_token)
    iss = jwt.claims.get("iss")
    if not isinstance(iss, str) or not iss:
        raise InvalidIdentityToken(INVALID_TOKEN)
    provider = OpenIdConnectProvider.objects.filter(account_id=account, url=iss).first()
    if provider is None:
        raise InvalidIdentityToken(f"No OpenIDConnect provider found in your account for {iss}")
    if jwt.header.get("alg") not in _ALGORITHMS:
        raise InvalidIdentityToken(INVALID_TOKEN)
    keys = _candidate_keys(jwt, issuer_keys(provider.url))
    if not keys:  # a kid the cached JWKS lacks: the issuer may have rotated its keys
        keys = _candidate_keys(jwt, issuer_keys(provider.url, refresh=True))
        if not keys:
            raise InvalidIdentityToken(NO_KEY)
    if not _signature_ok(jwt, keys):
        raise InvalidIdentityToken(INVALID_TOKEN)  # model text: bad signature
    claims = jwt.claims
    _check_times(claims, time.time())
    audiences = _audiences(claims)
    azp = claims.get("azp")
    accepted = [
        a for a in ([azp] if isinstance(azp, str) else []) + audiences if a in provider.client_ids
    ]
    if not accepted:
        raise InvalidIdentityToken("Incorrect token audience")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise InvalidIdentityToken("Missing a required claim: sub")  # the form of aud's text
    tags, transitive = _claim_tags(claims)
    _check_session_tags(tags)
    source_identity = claims.get("https://aws.amazon.com/source_identity") or ""
    if source_identity and (
        not isinstance(source_identity, str) or not _SOURCE_IDENTITY.fullmatch(source_identity)
    ):
        raise InvalidIdentityToken(INVALID_TOKEN)

    role = _role(role_arn, denied)
    duration = _duration(duration_seconds, role)
    docs, chars = _session_policies(role.account_id, policy, policy_arns)
    percent = _packed_percent(chars, tags)

    context = _web_identity_context(provider, claims, audiences, sub)
    context["sts:RoleSessionName"] = session_name
    context.update(_tag_context(tags))
    if source_identity:
        context["sts:SourceIdentity"] = source_identity
    caller = replace(actor, arn=provider.arn, account_id=role.account_id)
    _trust(
        caller,
        "sts:AssumeRoleWithWebIdentity",
        role,
        context,
        tags=bool(tags),
        source_identity=bool(source_identity),
    )
    new = _role_session(
        caller=caller,
        event="AssumeRoleWithWebIdentity",
        role=role,
        session_name=session_name,
        duration=duration,
        docs=docs,
        tags=tags,
        transitive=transitive,
        source_identity=source_identity,
        percent=percent,
        provider_arn=provider.arn,
        request={"RoleArn": role_arn, "RoleSessionName": session_name, "Provider": provider.arn},
    )
    return WebIdentitySession(
        new=new,
        subject=sub,
        audience=accepted[0],
        provider=provider.arn,
        source_identity=source_identity,
    )


# ================================================================== SAML

_SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
_DSIG = "http://www.w3.org/2000/09/xmldsig#"
_NS = {"samlp": _SAMLP, "saml": _SAML, "ds": _DSIG}
_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
_NAMEID_PREFIX = "urn:oasis:names:tc:SAML:2.0:nameid-format:"
_ATTR = "https://aws.amazon.com/SAML/Attributes/"
# The audiences AWS names for a SAML assertion: "specify either https://signin.aws.amazon
# .com/saml or urn:amazon:webservices" (regional sign-in endpoints too); the Recipient
# "must match the AWS endpoint" (https://[region.]signin.aws.amazon.com/saml, also
# …/static/saml, and …/saml/acs/<IdP id> when assertions are encrypted).
_AWS_ENDPOINT = re.compile(
    r"https://(?:[a-z0-9-]+\.)?signin\.(?:aws\.amazon\.com|amazonaws-us-gov\.com|amazonaws\.cn)"
    r"/(?:static/)?saml(?:/acs/[A-Za-z0-9]+)?"
)
_AWS_AUDIENCES = ("urn:amazon:webservices",)

# SAML attributes mapped to saml: condition keys ("Mapping SAML attributes to AWS trust
# policy context keys"): attribute Name -> (key, multivalued).
_SAML_KEYS: dict[str, tuple[str, bool]] = {
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.1": ("saml:edupersonaffiliation", True),
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.2": ("saml:edupersonnickname", True),
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.3": ("saml:edupersonorgdn", False),
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.4": ("saml:edupersonorgunitdn", True),
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.5": ("saml:edupersonprimaryaffiliation", False),
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.6": ("saml:edupersonprincipalname", False),
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.7": ("saml:edupersonentitlement", True),
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.8": ("saml:edupersonprimaryorgunitdn", False),
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.9": ("saml:edupersonscopedaffiliation", True),
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.10": ("saml:edupersontargetedid", True),
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.11": ("saml:edupersonassurance", True),
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.2": ("saml:eduorghomepageuri", True),
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.3": ("saml:eduorgidentityauthnpolicyuri", True),
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.4": ("saml:eduorglegalname", True),
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.5": ("saml:eduorgsuperioruri", True),
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.6": ("saml:eduorgwhitepagesuri", True),
    "urn:oid:2.5.4.3": ("saml:cn", True),
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name": ("saml:name", False),
    "http://schemas.xmlsoap.org/claims/CommonName": ("saml:commonName", False),
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname": ("saml:givenName", False),
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname": ("saml:surname", False),
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": ("saml:mail", False),
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/primarygroupsid": ("saml:uid", False),
    "2.5.4.3": ("saml:commonName", False),
    "2.5.4.4": ("saml:surname", False),
    "2.4.5.42": ("saml:givenName", False),
    "2.5.4.45": ("saml:x500UniqueIdentifier", False),
    "0.9.2342.19200300100.1.1": ("saml:uid", False),
    "0.9.2342.19200300100.1.3": ("saml:mail", False),
    "0.9.2342.19200300.100.1.45": ("saml:organizationStatus", False),
}


def _xml_time(value: str | None) -> float | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidIdentityToken(INVALID_TOKEN) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _parse_saml_response(encoded: str) -> Any:
    # Deferred: lxml and signxml load only where SAML is verified.
    from lxml import etree

    try:
        data = base64.b64decode("".join((encoded or "").split()), validate=True)
    except ValueError as exc:
        raise InvalidIdentityToken(INVALID_TOKEN) from exc
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise InvalidIdentityToken(INVALID_TOKEN)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise InvalidIdentityToken(INVALID_TOKEN) from exc
    if root.tag != f"{{{_SAMLP}}}Response":
        raise InvalidIdentityToken(INVALID_TOKEN)
    return root


def _verified_assertion(root: Any, certificates: tuple[x509.Certificate, ...]) -> Any:
    """The assertion as signed: verified by the Response's signature (when the Response
    is signed) or by the Assertion's own, with one of the metadata's certificates. Only
    what signxml returns as signed is read afterwards (no signature wrapping)."""
    from lxml import etree
    from signxml import SignatureConfiguration, XMLVerifier
    from signxml.exceptions import SignXMLException

    assertions = root.findall("saml:Assertion", _NS)
    if len(assertions) != 1:  # encrypted assertions are not supported (model text)
        raise InvalidIdentityToken(INVALID_TOKEN)
    assertion_id = assertions[0].get("ID")
    signed_response = root.find("ds:Signature", _NS) is not None
    location = "./" if signed_response else f"./{{{_SAML}}}Assertion/"
    data = etree.tostring(root)
    for cert in certificates:
        # The metadata's certificate is trusted as uploaded, whatever its validity dates
        # (checked at its not-before instant): whether AWS refuses an expired IdP
        # certificate is not established here.
        config = SignatureConfiguration(
            location=location, verification_time=cert.not_valid_before_utc
        )
        try:
            result = XMLVerifier().verify(data, x509_cert=cert, expect_config=config)
        except (SignXMLException, ValueError):
            continue
        signed = result.signed_xml
        if signed is None:
            continue
        if signed_response:
            if signed.tag != f"{{{_SAMLP}}}Response":
                continue
            inner = signed.findall("saml:Assertion", _NS)
            if len(inner) != 1:
                continue
            return inner[0]
        if signed.tag == f"{{{_SAML}}}Assertion" and signed.get("ID") == assertion_id:
            return signed
    # AWS's text when the metadata's keys do not verify the response ("Troubleshoot SAML").
    raise InvalidIdentityToken("Response signature invalid")


@dataclass(frozen=True)
class _Assertion:
    issuer: str
    subject: str
    subject_format: str
    recipient: str
    attributes: dict[str, list[str]]


def _read_assertion(root: Any, assertion: Any, now: float) -> _Assertion:
    status = root.find("samlp:Status/samlp:StatusCode", _NS)
    if status is None or status.get("Value") != _SUCCESS:
        raise IDPRejectedClaim(IDP_REJECTED)  # model text
    issuer = (assertion.findtext("saml:Issuer", default="", namespaces=_NS) or "").strip()
    name_id = assertion.find("saml:Subject/saml:NameID", _NS)
    subject = (name_id.text or "").strip() if name_id is not None else ""
    if not subject:
        raise AccessDenied("Not authorized to perform sts:AssumeRoleWithSAML")
    subject_format = (
        name_id.get("Format") or "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
    )
    confirmations = assertion.findall(
        "saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", _NS
    )
    # "There must be exactly one SubjectConfirmation element with a SubjectConfirmation
    # Data element that includes both the NotOnOrAfter attribute and a Recipient."
    if len(confirmations) != 1:
        raise InvalidIdentityToken(INVALID_TOKEN)
    data = confirmations[0]
    recipient = data.get("Recipient") or ""
    not_after = _xml_time(data.get("NotOnOrAfter"))
    if not_after is None or not _AWS_ENDPOINT.fullmatch(recipient):
        raise InvalidIdentityToken(INVALID_TOKEN)
    conditions = assertion.find("saml:Conditions", _NS)
    if conditions is not None:
        not_before = _xml_time(conditions.get("NotBefore"))
        if not_before is not None and not_before > now + CLOCK_SKEW:
            raise InvalidIdentityToken(INVALID_TOKEN)
        cond_after = _xml_time(conditions.get("NotOnOrAfter"))
        if cond_after is not None:
            not_after = min(not_after, cond_after)
    if now >= not_after:
        raise ExpiredToken(SAML_EXPIRED)
    audiences = [
        (a.text or "").strip()
        for a in assertion.findall("saml:Conditions/saml:AudienceRestriction/saml:Audience", _NS)
    ]
    if not any(_AWS_ENDPOINT.fullmatch(a) or a in _AWS_AUDIENCES for a in audiences):
        raise InvalidIdentityToken(INVALID_TOKEN)  # model text: not meant for AWS
    attributes: dict[str, list[str]] = {}
    for attr in assertion.findall("saml:AttributeStatement/saml:Attribute", _NS):
        values = [(v.text or "").strip() for v in attr.findall("saml:AttributeValue", _NS)]
        attributes.setdefault(attr.get("Name") or "", []).extend(values)
    return _Assertion(issuer, subject, subject_format, recipient, attributes)


def _role_pair(values: list[str], role_arn: str, provider_arn: str) -> bool:
    """Whether a ``Role`` attribute value pairs the call's RoleArn and PrincipalArn (the
    two ARNs comma-separated, in either order)."""
    for value in values:
        parts = [p.strip() for p in value.split(",")]
        if len(parts) == 2 and set(parts) == {role_arn, provider_arn}:
            return True
    return False


def _subject_type(fmt: str) -> str:
    """SubjectType: the NameID Format without ``urn:oasis:names:tc:SAML:2.0:nameid-format:``
    (botocore's sts model); other formats as they are."""
    return fmt[len(_NAMEID_PREFIX) :] if fmt.startswith(_NAMEID_PREFIX) else fmt


@_in_role_account  # outermost: the caller is placed in the role's account first
@operation("AssumeRoleWithSAML", event_source=STS)
def assume_role_with_saml(
    *,
    actor: Principal,
    role_arn: str,
    principal_arn: str,
    saml_assertion: str,
    policy: str | None = None,
    policy_arns: list[str] | None = None,
    duration_seconds: int | None = None,
) -> SamlSession:
    """AssumeRoleWithSAML with a base64 SAML 2.0 Response.

    The response must be signed by a certificate of the SAML provider ``principal_arn``,
    come from its issuer, be meant for AWS (Audience, Recipient), be within its validity;
    its ``Role`` attribute must pair ``role_arn`` with ``principal_arn``; its
    ``RoleSessionName`` attribute names the session. Then the role's trust policy must
    allow ``sts:AssumeRoleWithSAML`` to the provider, given the ``saml:*`` keys.
    """
    denied = AccessDenied(
        "Not authorized to perform sts:AssumeRoleWithSAML",
        action="sts:AssumeRoleWithSAML",
        resource=role_arn,
    )
    if _role_account(role_arn) is None:
        raise ValidationError(f"{role_arn} is invalid")
    provider = SamlProvider.objects.filter(arn=principal_arn).first()
    if provider is None:
        raise InvalidIdentityToken("Specified provider doesn't exist.")
    metadata = parse_saml_metadata(provider.metadata)
    root = _parse_saml_response(saml_assertion)
    assertion = _verified_assertion(root, metadata.certificates)
    facts = _read_assertion(root, assertion, time.time())
    if facts.issuer != metadata.entity_id:
        raise InvalidIdentityToken("Issuer not present in specified provider")
    if not _role_pair(facts.attributes.get(_ATTR + "Role", []), role_arn, principal_arn):
        raise denied
    names = facts.attributes.get(_ATTR + "RoleSessionName") or []
    if not names:
        raise InvalidIdentityToken("RoleSessionName is required in AuthnResponse")
    session_name = names[0]
    if len(names) != 1 or not _SESSION_NAME.fullmatch(session_name):
        raise InvalidIdentityToken(
            f"RoleSessionName in AuthnResponse must match {SESSION_NAME_RULE}"
        )
    shorter = None
    if facts.attributes.get(_ATTR + "SessionDuration"):
        # "if it is present in an AssumeRoleWithSAML API call, it can be used to shorten
        # the duration of the session" (900 to 43200 seconds).
        try:
            shorter = int(facts.attributes[_ATTR + "SessionDuration"][0])
        except ValueError as exc:
            raise InvalidIdentityToken(INVALID_TOKEN) from exc
        if not MIN_DURATION <= shorter <= 43200:
            raise InvalidIdentityToken(INVALID_TOKEN)
    tags = [
        {"Key": name[len(_ATTR + "PrincipalTag:") :], "Value": values[0] if values else ""}
        for name, values in facts.attributes.items()
        if name.startswith(_ATTR + "PrincipalTag:")
    ]
    _check_session_tags(tags)
    transitive = {k.lower() for k in facts.attributes.get(_ATTR + "TransitiveTagKeys", [])}
    if not transitive <= {t["Key"].lower() for t in tags}:
        raise InvalidParameterValue(
            "The specified transitive tag key must be included in the requested tags."
        )
    source_identity = (facts.attributes.get(_ATTR + "SourceIdentity") or [""])[0]
    if source_identity and not _SOURCE_IDENTITY.fullmatch(source_identity):
        raise InvalidIdentityToken(INVALID_TOKEN)

    role = _role(role_arn, denied)
    duration = _duration(duration_seconds, role, shorter=shorter)
    docs, chars = _session_policies(role.account_id, policy, policy_arns)
    percent = _packed_percent(chars, tags)

    doc = f"{provider.account_id}/{provider.name}"
    # saml:namequalifier: "Base64 ( SHA1 ( "https://example.com/saml" + "123456789012" +
    # "/MySAMLIdP" ) )" ("Uniquely identifying users in SAML-based federation").
    qualifier = base64.b64encode(
        hashlib.sha1((facts.issuer + doc).encode(), usedforsecurity=False).digest()
    ).decode()
    sub_type = _subject_type(facts.subject_format)
    context: dict[str, Any] = {
        "saml:aud": facts.recipient,  # from the Recipient, "not the Audience field"
        "saml:sub": facts.subject,
        "saml:sub_type": sub_type,
        "saml:iss": facts.issuer,
        "saml:namequalifier": qualifier,
        "saml:doc": doc,
        "sts:RoleSessionName": session_name,
    }
    for name, values in facts.attributes.items():
        if name in _SAML_KEYS:
            key, multivalued = _SAML_KEYS[name]
            context[key] = values if multivalued else (values[0] if values else "")
    context.update(_tag_context(tags))
    if source_identity:
        context["sts:SourceIdentity"] = source_identity
    caller = replace(actor, arn=provider.arn, account_id=role.account_id)
    _trust(
        caller,
        "sts:AssumeRoleWithSAML",
        role,
        context,
        tags=bool(tags),
        source_identity=bool(source_identity),
    )
    new = _role_session(
        caller=caller,
        event="AssumeRoleWithSAML",
        role=role,
        session_name=session_name,
        duration=duration,
        docs=docs,
        tags=tags,
        transitive=transitive,
        source_identity=source_identity,
        percent=percent,
        provider_arn=provider.arn,
        request={"RoleArn": role_arn, "PrincipalArn": principal_arn},
    )
    return SamlSession(
        new=new,
        subject=facts.subject,
        subject_type=sub_type,
        issuer=facts.issuer,
        audience=facts.recipient,
        name_qualifier=qualifier,
        source_identity=source_identity,
    )


# ================================================================== GetFederationToken


@operation("GetFederationToken", event_source=STS)
def get_federation_token(
    *,
    actor: Principal,
    name: str,
    policy: str | None = None,
    policy_arns: list[str] | None = None,
    duration_seconds: int | None = None,
    tags: list[dict[str, str]] | None = None,
) -> FederationToken:
    """GetFederationToken: temporary credentials of a federated user
    (``arn:aws:sts::ACCOUNT:federated-user/NAME``) for an IAM user's (or root's)
    long-term credentials. The federated user's permissions are the user's policies
    intersected with the session policies passed; passing none leaves it none
    ("Permissions for GetFederationToken"). 900 s to 36 hours, 12 by default; one hour
    at most for root ("Comparing the AWS STS API operations"). Session credentials are
    refused with AWS's "Cannot call GetFederationToken with session credentials"."""
    if actor.kind not in ("user", "root") or actor.access_key_id.startswith("ASIA"):
        raise AccessDenied(FEDERATION_SESSION_CREDENTIALS)
    if not isinstance(name, str) or not _FEDERATED_NAME.fullmatch(name):
        raise ValidationError(
            f"1 validation error detected: Value '{name}' at 'name' failed to satisfy "
            r"constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*"
        )
    maximum = ROOT_FEDERATION_MAX if actor.kind == "root" else FEDERATION_MAX
    duration = (
        min(FEDERATION_DEFAULT, maximum) if duration_seconds is None else int(duration_seconds)
    )
    if not MIN_DURATION <= duration <= FEDERATION_MAX:
        raise ValidationError(
            f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to "
            f"satisfy constraint: Member must have value between {MIN_DURATION} and {FEDERATION_MAX}"
        )
    duration = min(duration, maximum)  # root: at most one hour, as for GetSessionToken
    tags = [{"Key": t["Key"], "Value": t.get("Value", "")} for t in tags or []]
    _check_session_tags(tags)
    docs, chars = _session_policies(actor.account_id, policy, policy_arns)
    percent = _packed_percent(chars, tags)
    arn = federated_user_arn(actor.account_id, name)
    context = _tag_context(tags)
    authorize(actor, "sts:GetFederationToken", arn, context=context)
    if tags:
        authorize(actor, "sts:TagSession", arn, context=context)
    user = IamUser.objects.get(pk=actor.user_id) if actor.kind == "user" else None
    new = _issue(
        account_id=actor.account_id,
        issued=_now(),
        seconds=duration,
        user=user,
        is_root=actor.kind == "root",
        session_name=name,
        session_policies=docs,
        session_tags=tags,
        mfa_authenticated=False,
        source_arn=actor.arn,
    )
    record_event(
        actor,
        "GetFederationToken",
        arn,
        request={
            "Name": name,
            "DurationSeconds": duration,
            "AccessKeyId": new.credential.access_key_id,
        },
        event_source=STS,
    )
    return FederationToken(
        new=new,
        arn=arn,
        federated_user_id=f"{actor.account_id}:{name}",
        packed_policy_size=percent,
    )
