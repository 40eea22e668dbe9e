"""AWS Signature Version 4 verification (pure Python, no Django).

Implements the server side of SigV4 as AWS documents it in "Create a signed AWS
API request" (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html)
and "Elements of an AWS API request signature"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-signing-elements.html):

* the ``Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…``
  header, and presigned query strings (``X-Amz-Algorithm``, ``X-Amz-Credential``,
  ``X-Amz-Date``, ``X-Amz-Expires``, ``X-Amz-SignedHeaders``, ``X-Amz-Signature``,
  ``X-Amz-Security-Token``);
* the canonical request for non-S3 services (URI normalised and encoded twice,
  query parameters percent-encoded and sorted, header values trimmed);
* the string to sign, the signing-key derivation and a constant-time comparison.

Errors carry AWS's own codes and messages (``SigV4Error``) so the API view can
render them as AWS's XML error documents.

The caller passes a plain :class:`HttpRequest` (built from whatever web
framework it uses), the current time, and a ``lookup_secret`` callable that
maps an access key id to its secret (a ``str`` for long-term keys, or a
:class:`SigningSecret` for temporary credentials with a session token).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote_to_bytes

__all__ = [
    "ALGORITHM",
    "MAX_CLOCK_SKEW",
    "MAX_PRESIGN_EXPIRES",
    "HttpRequest",
    "SigV4Error",
    "SigningSecret",
    "VerifiedRequest",
    "build_canonical_request",
    "build_string_to_sign",
    "calculate_signature",
    "check_scope",
    "derive_signing_key",
    "verify_request",
]

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

# AWS rejects requests whose timestamp is more than 15 minutes away from its
# clock: "the request must reach AWS within five minutes of the time stamp …"
# was the old text; today the services answer "Signature expired: … (… - 15 min.)".
MAX_CLOCK_SKEW = timedelta(minutes=15)
# Presigned URLs: "The minimum value you can set is 1, and the maximum is 604800
# (seven days)" (Amazon S3 API Reference, "Authenticating Requests: Using Query
# Parameters"), because a signing key is valid for at most seven days.
MAX_PRESIGN_EXPIRES = 604800

_AMZ_DATE_RE = re.compile(r"\A\d{8}T\d{6}Z\Z", re.ASCII)
_SIGNATURE_RE = re.compile(r"\A[0-9a-f]{64}\Z", re.ASCII)

# Messages copied from what AWS services answer (see docstrings of SigV4Error).
MSG_MISSING_TOKEN = "Request is missing Authentication Token"
MSG_INVALID_TOKEN = "The security token included in the request is invalid."
MSG_EXPIRED_TOKEN = "The security token included in the request is expired"
MSG_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
_TS_FORMAT = "%Y%m%dT%H%M%SZ"


class SigV4Error(Exception):
    """A SigV4 failure, carrying AWS's error code, message and HTTP status.

    Codes used, as AWS's Query services (IAM, STS) answer them:

    * ``MissingAuthenticationToken`` (403): no ``Authorization`` header and no
      presigned query parameters.
    * ``IncompleteSignature`` (400): the header or query parameters are
      malformed or lack a required part.
    * ``InvalidClientTokenId`` (403): unknown access key id, or a session token
      that does not belong to it.
    * ``ExpiredToken`` (403): temporary credentials whose session has ended.
    * ``SignatureDoesNotMatch`` (403): wrong signature, and also the scope
      errors (region, service, terminator, date) and the clock-skew error,
      which AWS reports under this code.
    * ``AccessDenied`` (403): a presigned URL past its ``X-Amz-Expires``.
    """

    def __init__(self, code: str, message: str, http_status: int) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status

    @property
    def sender_fault(self) -> bool:
        """All SigV4 errors are the caller's fault (``<Type>Sender</Type>``)."""
        return True


def _incomplete(message: str) -> SigV4Error:
    return SigV4Error("IncompleteSignature", message, 400)


def _mismatch(message: str = MSG_SIGNATURE_MISMATCH) -> SigV4Error:
    return SigV4Error("SignatureDoesNotMatch", message, 403)


@dataclass(frozen=True)
class HttpRequest:
    """The parts of an HTTP request that SigV4 covers.

    ``path`` is the request-target path exactly as sent on the wire (still
    percent-encoded: WSGI's ``RAW_URI``/``REQUEST_URI``, or ``PATH_INFO``
    re-quoted), ``query`` the raw query string without ``?``, ``headers`` every
    header line in order (names in any case; repeated names allowed), and
    ``body`` the raw payload bytes.
    """

    method: str
    path: str
    query: str = ""
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""

    def header_values(self, name: str) -> list[str]:
        """All values of header ``name`` (case-insensitive), in request order."""
        lname = name.lower()
        return [v for k, v in self.headers if k.lower() == lname]

    def header(self, name: str) -> str | None:
        """The values of header ``name`` joined by commas, or None if absent."""
        values = self.header_values(name)
        return ",".join(values) if values else None


@dataclass(frozen=True)
class SigningSecret:
    """What ``lookup_secret`` returns for an access key id.

    Long-term keys (``AKIA…``) have only a secret. Temporary keys (``ASIA…``)
    also have the session token that must accompany them and their expiry.
    """

    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    expiration: datetime | None = None


SecretLookup = Callable[[str], "SigningSecret | str | None"]


@dataclass(frozen=True)
class VerifiedRequest:
    """A request whose SigV4 signature was verified.

    ``region`` and ``service`` come from the credential scope: the caller
    decides which it accepts (see :func:`check_scope`).
    """

    access_key_id: str
    region: str
    service: str
    date: str  # scope date, YYYYMMDD
    timestamp: datetime  # the request's X-Amz-Date (or Date), UTC
    signed_headers: tuple[str, ...]
    security_token: str | None = field(default=None, repr=False)
    presigned: bool = False
    expires: int | None = None  # X-Amz-Expires of a presigned URL


@dataclass(frozen=True)
class _Parsed:
    access_key_id: str
    date: str
    region: str
    service: str
    terminator: str
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str
    security_token: str | None
    presigned: bool
    expires: int | None


# ---------------------------------------------------------------------------
# Canonical request pieces


def _uri_encode(data: bytes | str, safe: str = "") -> str:
    """AWS's UriEncode: every byte except A-Z a-z 0-9 - _ . ~ becomes %XX (uppercase)."""
    return quote(data, safe=safe)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, plus AWS's collapsing of empty segments (``//``).

    "Normalize URI paths according to RFC 3986. Remove redundant and relative
    path components." (create-signed-request.html, step 1); the SigV4 test
    suite's ``normalize-path`` cases also turn ``//`` into ``/``.
    """
    if not path:
        return "/"
    out: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if out:
                out.pop()
        else:
            out.append(segment)
    first = "/" if path.startswith("/") else ""
    last = "/" if path.endswith("/") and out else ""
    result = first + "/".join(out) + last
    return result or "/"


def canonical_uri(path: str) -> str:
    """The CanonicalURI for non-S3 services.

    The path as received (already percent-encoded once by the client) is
    normalised and URI-encoded again: "each path segment must be URI-encoded
    twice (except for Amazon S3 which only gets URI-encoded once)".
    """
    return _uri_encode(_remove_dot_segments(path or "/").encode("utf-8"), safe="/~")


def _query_pairs(query: str) -> list[tuple[bytes, bytes]]:
    pairs: list[tuple[bytes, bytes]] = []
    for part in query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        # '+' is not a space here: AWS signs the URI-encoded form, in which a
        # space is always %20, so a literal '+' is a plus sign (%2B).
        pairs.append((unquote_to_bytes(key), unquote_to_bytes(value)))
    return pairs


def canonical_query_string(query: str, *, exclude: Collection[str] = ()) -> str:
    """The CanonicalQueryString: decode each name and value, re-encode with
    AWS's UriEncode, then sort by name and, for repeated names, by value.

    ``exclude`` drops parameters by decoded name (``X-Amz-Signature`` for
    presigned URLs: "The Canonical Query String must include all the query
    parameters … except for X-Amz-Signature").
    """
    excluded = {e.encode("utf-8") for e in exclude}
    encoded = sorted(
        (_uri_encode(k), _uri_encode(v)) for k, v in _query_pairs(query) if k not in excluded
    )
    return "&".join(f"{k}={v}" for k, v in encoded)


def _trim_all(value: str) -> str:
    """Trimall: strip and collapse runs of whitespace (including folded lines)."""
    return " ".join(value.split())


def canonical_headers(request: HttpRequest, signed_headers: Iterable[str]) -> str:
    """``lowercase(name):trimall(value)\\n`` for each signed header, sorted.

    Repeated headers are joined with commas in request order, as the
    ``get-header-key-duplicate`` and ``get-header-value-order`` vectors show.
    """
    lines = []
    for name in sorted(set(signed_headers)):
        values = request.header_values(name)
        lines.append(f"{name}:{','.join(_trim_all(v) for v in values)}\n")
    return "".join(lines)


def payload_hash(request: HttpRequest) -> str:
    """The HashedPayload: the ``X-Amz-Content-Sha256`` header if sent, else SHA-256 of the body.

    IAM and STS carry the whole operation in the form-encoded body, so an
    unsigned or mismatching payload hash would let the body be swapped: both
    are refused (S3's ``XAmzContentSHA256Mismatch`` idea, applied to Query).
    """
    body_hash = hashlib.sha256(request.body).hexdigest()
    declared = request.header("x-amz-content-sha256")
    if declared is None:
        return body_hash
    declared = declared.strip()
    if declared == UNSIGNED_PAYLOAD and not request.body:
        return declared
    if not hmac.compare_digest(declared.lower().encode(), body_hash.encode()):
        raise SigV4Error(
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            400,
        )
    return declared


def build_canonical_request(
    request: HttpRequest,
    signed_headers: Sequence[str],
    *,
    presigned: bool = False,
    hashed_payload: str | None = None,
) -> str:
    """The CanonicalRequest (create-signed-request.html, step 1)::

    HTTPMethod \\n CanonicalURI \\n CanonicalQueryString \\n
    CanonicalHeaders \\n SignedHeaders \\n HashedPayload
    """
    exclude = ("X-Amz-Signature",) if presigned else ()
    if hashed_payload is None:
        hashed_payload = payload_hash(request)
    return "\n".join(
        [
            request.method.upper(),
            canonical_uri(request.path),
            canonical_query_string(request.query, exclude=exclude),
            canonical_headers(request, signed_headers),
            ";".join(sorted(set(signed_headers))),
            hashed_payload,
        ]
    )


def build_string_to_sign(amz_date: str, scope: str, canonical_request: str) -> str:
    """``AWS4-HMAC-SHA256 \\n RequestDateTime \\n CredentialScope \\n Hex(SHA256(CanonicalRequest))``."""
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


def derive_signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")."""
    key = ("AWS4" + secret).encode("utf-8")
    for part in (date, region, service, TERMINATOR):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def calculate_signature(signing_key: bytes, string_to_sign: str) -> str:
    """Hex(HMAC-SHA256(kSigning, StringToSign))."""
    return hmac.new(signing_key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------
# Parsing the Authorization header and the presigned query


def _parse_credential(credential: str) -> tuple[str, str, str, str, str]:
    # Credential=AKID/YYYYMMDD/region/service/aws4_request
    parts = credential.split("/")
    if len(parts) != 5 or not all(parts):
        # Not one of AWS's verbatim texts (it varies by front end); the code is.
        raise _incomplete(
            f"Credential should be of the form "
            f"'<access key>/<date>/<region>/<service>/{TERMINATOR}', not '{credential}'."
        )
    akid, date, region, service, terminator = parts
    return akid, date, region, service, terminator


def _parse_signed_headers(value: str) -> tuple[str, ...]:
    names = tuple(value.split(";")) if value else ()
    if not names or any(not n or n != n.strip().lower() for n in names):
        raise _incomplete(f"Invalid SignedHeaders: '{value}'. Header names must be lowercase.")
    return names


def _request_amz_date(request: HttpRequest) -> str | None:
    """X-Amz-Date, else the Date header converted to ISO 8601 basic format.

    "The date can be in the X-Amz-Date header or the standard HTTP Date header;
    if both are present, X-Amz-Date takes precedence."
    """
    amz_date = request.header("x-amz-date")
    if amz_date is not None:
        return amz_date.strip()
    date = request.header("date")
    if date is None:
        return None
    try:
        parsed = parsedate_to_datetime(date.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return date.strip()  # reported as a malformed date below
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime(_TS_FORMAT)


def _parse_authorization(header: str, request: HttpRequest) -> _Parsed:
    """Parse ``AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…``.

    Missing parts are reported together, as AWS does: "Authorization header
    requires 'Credential' parameter. Authorization header requires 'Signature'
    parameter. … Authorization=<header>".
    """
    header = header.strip()
    algorithm, _, rest = header.partition(" ")
    params: dict[str, str] = {}
    if algorithm == ALGORITHM:
        for raw in rest.split(","):
            item = raw.strip()
            if not item:
                continue
            key, eq, value = item.partition("=")
            if not eq:
                raise _incomplete(
                    f"'{item}' not a valid key=value pair (missing equal-sign) "
                    f"in Authorization header: '{header}'."
                )
            params[key.strip()] = value.strip()

    amz_date = _request_amz_date(request)
    problems = [
        f"Authorization header requires '{name}' parameter. "
        for name in ("Credential", "Signature", "SignedHeaders")
        if not params.get(name)
    ]
    if amz_date is None:
        problems.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        )
    if problems:
        raise _incomplete("".join(problems) + f"Authorization={header}")

    akid, date, region, service, terminator = _parse_credential(params["Credential"])
    signed = _parse_signed_headers(params["SignedHeaders"])
    token = request.header("x-amz-security-token")
    if token is not None and "x-amz-security-token" not in signed:
        # The test suite's post-sts-header-after case shows some services accept
        # an unsigned token; we refuse it so a token cannot be swapped in transit.
        raise _incomplete(
            "'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS Authorization."
        )
    assert amz_date is not None
    return _Parsed(
        access_key_id=akid,
        date=date,
        region=region,
        service=service,
        terminator=terminator,
        signed_headers=signed,
        signature=params["Signature"],
        amz_date=amz_date,
        security_token=token.strip() if token is not None else None,
        presigned=False,
        expires=None,
    )


def _single_query_params(query: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in _query_pairs(query):
        out.setdefault(key.decode("utf-8", "replace"), []).append(value.decode("utf-8", "replace"))
    return out


def _parse_presigned(query_params: dict[str, list[str]]) -> _Parsed:
    """Parse the ``X-Amz-*`` query parameters of a presigned URL."""

    def one(name: str) -> str:
        values = query_params.get(name)
        if not values or not values[0]:
            raise _incomplete(
                f"AWS query-string parameters must include '{name}'. "
                "Re-examine the query-string parameters."
            )
        if len(values) > 1:
            raise _incomplete(f"Query-string parameter '{name}' must appear only once.")
        return values[0]

    algorithm = one("X-Amz-Algorithm")
    if algorithm != ALGORITHM:
        raise _incomplete(f"X-Amz-Algorithm only supports '{ALGORITHM}', not '{algorithm}'.")
    credential = one("X-Amz-Credential")
    amz_date = one("X-Amz-Date")
    expires_raw = one("X-Amz-Expires")
    signed = _parse_signed_headers(one("X-Amz-SignedHeaders"))
    signature = one("X-Amz-Signature")
    if not expires_raw.isascii() or not expires_raw.isdigit():
        raise _incomplete("X-Amz-Expires should be a number")
    expires = int(expires_raw)
    if expires < 1:
        raise _incomplete("X-Amz-Expires must be non-negative")
    if expires > MAX_PRESIGN_EXPIRES:
        raise _incomplete(
            f"X-Amz-Expires must be less than a week (in seconds) that is {MAX_PRESIGN_EXPIRES}"
        )
    tokens = query_params.get("X-Amz-Security-Token")
    if tokens is not None and len(tokens) > 1:
        raise _incomplete("Query-string parameter 'X-Amz-Security-Token' must appear only once.")
    akid, date, region, service, terminator = _parse_credential(credential)
    return _Parsed(
        access_key_id=akid,
        date=date,
        region=region,
        service=service,
        terminator=terminator,
        signed_headers=signed,
        signature=signature,
        amz_date=amz_date,
        security_token=tokens[0] if tokens else None,
        presigned=True,
        expires=expires,
    )


def _parse_timestamp(amz_date: str) -> datetime:
    if _AMZ_DATE_RE.match(amz_date):
        try:
            return datetime.strptime(amz_date, _TS_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            pass
    raise _incomplete(
        f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'. "
        "See http://en.wikipedia.org/wiki/ISO_8601"
    )


def _fmt(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime(_TS_FORMAT)


def _check_time(parsed: _Parsed, timestamp: datetime, now: datetime) -> None:
    """Clock skew (15 minutes either way) and presigned expiry.

    AWS's texts: "Signature expired: 20240101T000000Z is now earlier than
    20240101T000500Z (20240101T002000Z - 15 min.)" and "Signature not yet
    current: … is still later than … (… + 15 min.)", code SignatureDoesNotMatch.
    """
    earliest = now - MAX_CLOCK_SKEW
    latest = now + MAX_CLOCK_SKEW
    if timestamp > latest:
        raise _mismatch(
            f"Signature not yet current: {_fmt(timestamp)} is still later than "
            f"{_fmt(latest)} ({_fmt(now)} + 15 min.)"
        )
    if parsed.presigned:
        assert parsed.expires is not None
        # Presigned URLs live for X-Amz-Expires seconds, but outside S3 never past
        # the 15-minute window: "the expire parameter only will be used for Amazon
        # S3 presigned API requests. All other AWS services will use a fixed request
        # signature expiration of about 15 minutes" (aws/aws-sdk-go#2224, closing
        # #2167, where STS refused a one-hour GetCallerIdentity URL after 15 min).
        if timestamp < earliest:
            raise _mismatch(
                f"Signature expired: {_fmt(timestamp)} is now earlier than "
                f"{_fmt(earliest)} ({_fmt(now)} - 15 min.)"
            )
        if now > timestamp + timedelta(seconds=parsed.expires):
            # A shorter X-Amz-Expires that has run out. IAM's/STS's own text for
            # this case is not established; this is S3's answer (AccessDenied).
            raise SigV4Error("AccessDenied", "Request has expired", 403)
    elif timestamp < earliest:
        raise _mismatch(
            f"Signature expired: {_fmt(timestamp)} is now earlier than "
            f"{_fmt(earliest)} ({_fmt(now)} - 15 min.)"
        )


def check_scope(
    scope_region: str,
    scope_service: str,
    *,
    services: Collection[str] | None = None,
    regions: Collection[str] | None = None,
) -> None:
    """Refuse a credential scope for another service or region, with AWS's texts.

    "Credential should be scoped to a valid region, not 'eu-west-3'. " and
    "Credential should be scoped to correct service: 'iam'. " (both
    SignatureDoesNotMatch, 403, with AWS's trailing space).
    """
    if regions is not None and scope_region not in regions:
        raise _mismatch(f"Credential should be scoped to a valid region, not '{scope_region}'. ")
    if services is not None and scope_service not in services:
        expected = sorted(services)[0] if len(services) == 1 else "|".join(sorted(services))
        raise _mismatch(f"Credential should be scoped to correct service: '{expected}'. ")


def _resolve_secret(lookup_secret: SecretLookup, access_key_id: str) -> SigningSecret:
    found = lookup_secret(access_key_id)
    if found is None:
        raise SigV4Error("InvalidClientTokenId", MSG_INVALID_TOKEN, 403)
    if isinstance(found, str):
        return SigningSecret(secret_access_key=found)
    return found


def verify_request(
    request: HttpRequest,
    *,
    now: datetime,
    lookup_secret: SecretLookup,
    services: Collection[str] | None = None,
    regions: Collection[str] | None = None,
) -> VerifiedRequest:
    """Verify the SigV4 signature of ``request`` (header or presigned query).

    Order of checks: structure (IncompleteSignature), credential scope and
    clock (SignatureDoesNotMatch), access key and session token
    (InvalidClientTokenId, ExpiredToken), then the signature itself
    (SignatureDoesNotMatch), compared in constant time.

    ``services``/``regions``, when given, restrict the credential scope (see
    :func:`check_scope`); the view decides them (IAM and STS here).
    ``now`` must be timezone-aware.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    try:
        return _verify(request, now, lookup_secret, services, regions)
    except UnicodeError as exc:
        # Lone surrogates and the like: nothing a real client can have signed.
        raise _incomplete(
            "The request contains characters that cannot be encoded as UTF-8."
        ) from exc


def _verify(
    request: HttpRequest,
    now: datetime,
    lookup_secret: SecretLookup,
    services: Collection[str] | None,
    regions: Collection[str] | None,
) -> VerifiedRequest:
    authorization = request.header("authorization")
    query_params = _single_query_params(request.query)
    has_query_auth = "X-Amz-Algorithm" in query_params or "X-Amz-Signature" in query_params
    if authorization is not None and authorization.strip():
        if has_query_auth:
            raise _incomplete(
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter "
                "or the Authorization header should be specified"
            )
        parsed = _parse_authorization(authorization, request)
    elif has_query_auth:
        parsed = _parse_presigned(query_params)
    else:
        raise SigV4Error("MissingAuthenticationToken", MSG_MISSING_TOKEN, 403)

    timestamp = _parse_timestamp(parsed.amz_date)
    if parsed.terminator != TERMINATOR:
        raise _mismatch(
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', "
            f"not '{parsed.terminator}'. "
        )
    if parsed.date != parsed.amz_date[:8]:
        raise _mismatch(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{parsed.date}' != '{parsed.amz_date[:8]}', from '{parsed.amz_date}'."
        )
    if "host" not in parsed.signed_headers:
        raise _incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        )
    check_scope(parsed.region, parsed.service, services=services, regions=regions)
    _check_time(parsed, timestamp, now)

    secret = _resolve_secret(lookup_secret, parsed.access_key_id)
    if secret.session_token is None:
        if parsed.security_token is not None:
            # A long-term key with a session token attached.
            raise SigV4Error("InvalidClientTokenId", MSG_INVALID_TOKEN, 403)
    else:
        sent = (parsed.security_token or "").encode("utf-8")
        if not hmac.compare_digest(sent, secret.session_token.encode("utf-8")):
            raise SigV4Error("InvalidClientTokenId", MSG_INVALID_TOKEN, 403)
        if secret.expiration is not None and now >= secret.expiration:
            raise SigV4Error("ExpiredToken", MSG_EXPIRED_TOKEN, 403)

    canonical = build_canonical_request(request, parsed.signed_headers, presigned=parsed.presigned)
    scope = f"{parsed.date}/{parsed.region}/{parsed.service}/{parsed.terminator}"
    string_to_sign = build_string_to_sign(parsed.amz_date, scope, canonical)
    key = derive_signing_key(secret.secret_access_key, parsed.date, parsed.region, parsed.service)
    expected = calculate_signature(key, string_to_sign)
    provided = parsed.signature
    if not _SIGNATURE_RE.match(provided):
        provided = ""  # still compared below, so timing does not depend on the form
    if not hmac.compare_digest(expected.encode("ascii"), provided.encode("utf-8", "replace")):
        raise _mismatch()

    return VerifiedRequest(
        access_key_id=parsed.access_key_id,
        region=parsed.region,
        service=parsed.service,
        date=parsed.date,
        timestamp=timestamp,
        signed_headers=parsed.signed_headers,
        security_token=parsed.security_token,
        presigned=parsed.presigned,
        expires=parsed.expires,
    )
