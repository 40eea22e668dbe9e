"""AWS Query API entry point: SigV4, then IAM or STS actions through the operations.

One request: verify the SigV4 signature (``Authorization`` header or presigned
query), find who signed it (a long-term ``AccessKey`` or an STS
``TemporaryCredential``), parse the Query parameters with botocore's model
(api/protocol.py), call the action's handler (api/handlers/), and answer with
AWS's XML. Every failure is an AWS ``<ErrorResponse>``, never a Django 500.

Authentication is by SigV4 only: a browser's session cookie carries no weight
here (the middleware routes API requests before the session middleware runs),
hence ``csrf_exempt``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote

from botocore.loaders import create_loader
from botocore.model import Shape
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.auth import find_signing_key
from accounts.errors import AccessDenied, IamError
from accounts.models import AccessKey, TemporaryCredential
from accounts.operations.activity import record_access_key_use, record_role_use
from accounts.principal import (
    Principal,
    anonymous_principal,
    federated_user_principal,
    root_principal,
    temporary_credential_principal,
    user_principal,
)
from api import sigv4
from api.handlers import HANDLERS
from api.jsonproto import (
    CONTENT_TYPE,
    JsonError,
    json_operation,
    load_body,
    parse_input,
    rest_input,
    rest_route,
)
from api.jsonproto import serialize_error as serialize_json_error
from api.jsonproto import serialize_output as serialize_json_output
from api.protocol import (
    QueryError,
    load_service_model,
    parse_query,
    serialize_error,
    serialize_response,
)
from audit.trail import record_event
from iamconsole.crypto import unseal_cached
from policies.cache import request_generation

log = logging.getLogger(__name__)

VERSIONS = {"iam": "2010-05-08", "sts": "2011-06-15"}


def _aws_regions() -> frozenset[str]:
    """Every region of every partition in botocore's endpoints data (endpoints.json).

    Clients sign with their own configured region (boto3 and the AWS CLI do so with
    ``--endpoint-url``), so any real region is accepted; anything else is refused as
    AWS refuses it: "Credential should be scoped to a valid region, not '…'. "
    """
    data = create_loader().load_data("endpoints")
    return frozenset(region for part in data["partitions"] for region in part["regions"])


REGIONS = _aws_regions()
_SIGNING_PARAMS = {
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
}


@dataclass
class Caller:
    """Who signed the request: the credential row and the principal built from it."""

    principal: Principal
    access_key: AccessKey | None = None
    temporary: TemporaryCredential | None = None


# The services served beside IAM and STS, by SigV4 signing name: botocore model name.
JSON_SERVICES = {"organizations": "organizations", "access-analyzer": "accessanalyzer"}
SERVICES = ("iam", "sts", *JSON_SERVICES)

# AWS's JSON services answer a failed signature with their own codes: an unknown key
# is UnrecognizedClientException ("The security token included in the request is
# invalid."), a wrong signature InvalidSignatureException (the common errors of the
# JSON-protocol API references, e.g. DynamoDB's and KMS's; not recorded for
# Organizations or Access Analyzer specifically).
_JSON_SIGV4_CODES = {
    "InvalidClientTokenId": "UnrecognizedClientException",
    "SignatureDoesNotMatch": "InvalidSignatureException",
}


def _error(
    code: str, message: str, status: int, request_id: str, service: str, *, sender: bool = True
) -> HttpResponse:
    if service in JSON_SERVICES:
        code = _JSON_SIGV4_CODES.get(code, code)
        return _json_error(JsonError(code, message, status), request_id, service)
    body = serialize_error(code, message, request_id, sender_fault=sender, service=service)
    response = HttpResponse(body, status=status, content_type="text/xml")
    response["x-amzn-RequestId"] = request_id
    return response


def _json_error(error: JsonError, request_id: str, service: str) -> HttpResponse:
    model = load_service_model(JSON_SERVICES[service])
    response = HttpResponse(
        serialize_json_error(model, error),
        status=error.status,
        content_type=CONTENT_TYPE[model.protocol],
    )
    response["x-amzn-RequestId"] = request_id
    if model.protocol == "rest-json":
        response["x-amzn-ErrorType"] = error.code
    return response


def _wire_request(request: HttpRequest) -> sigv4.HttpRequest:
    meta = request.META
    headers: list[tuple[str, str]] = []
    for key, value in meta.items():
        if key.startswith("HTTP_"):
            headers.append((key[5:].replace("_", "-").lower(), str(value)))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            headers.append((key.replace("_", "-").lower(), str(value)))
    raw = meta.get("RAW_URI") or meta.get("REQUEST_URI")
    path = raw.split("?", 1)[0] if raw else quote(request.path, safe="/~!$&'()*+,;=:@%")
    return sigv4.HttpRequest(
        method=request.method or "GET",
        path=path,
        query=meta.get("QUERY_STRING", ""),
        headers=tuple(headers),
        body=request.body,
    )


def _sent_token(request: HttpRequest) -> str | None:
    token = request.META.get("HTTP_X_AMZ_SECURITY_TOKEN")
    if token is None:
        for key, value in parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True):
            if key == "X-Amz-Security-Token":
                token = value
    return token


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class _Lookup:
    """SigV4's secret lookup, remembering the credential row it found."""

    def __init__(self, sent_token: str | None) -> None:
        self.sent_token = sent_token
        self.access_key: AccessKey | None = None
        self.temporary: TemporaryCredential | None = None
        # The credential's account and its authz_generation, read with the credential.
        self.account_id: str | None = None
        self.generation: int | None = None

    def __call__(self, access_key_id: str) -> sigv4.SigningSecret | str | None:
        # One query on every request, never a cached row: a deleted or deactivated key
        # is not found. Only the opening of the sealed secret is remembered, keyed by
        # the sealed blob itself (iamconsole.crypto.unseal_cached).
        found = find_signing_key(access_key_id)
        if found is not None:
            key, self.generation = found
            self.access_key, self.account_id = key, key.account_id
            return unseal_cached(
                key.secret_sealed, context=AccessKey.seal_context(key.access_key_id)
            )
        temp = (
            TemporaryCredential.objects.filter(access_key_id=access_key_id)
            .select_related("role", "user", "account")
            .first()
        )
        if temp is None:
            return None
        # Only the token's SHA-256 is stored; the signer compares what was sent.
        sent = self.sent_token or ""
        if not hmac.compare_digest(token_hash(sent).encode(), temp.session_token_hash.encode()):
            return None
        self.temporary = temp
        self.account_id, self.generation = temp.account_id, temp.account.authz_generation
        return sigv4.SigningSecret(
            secret_access_key=temp.secret(), session_token=sent, expiration=temp.expires
        )


def requested_region(verified: sigv4.VerifiedRequest) -> str:
    """``aws:RequestedRegion`` (and the key's last-used region): for IAM, a global service,
    us-east-1 (``IAM_REGION``) whatever region signed: IAM is one of the "global services
    with a single endpoint that is physically located in the us-east-1 Region. Because all
    requests to these services are made to the us-east-1 Region, …" (IAM User Guide,
    reference_policies_examples_aws_deny-requested-region). For STS, the region the request
    was signed for (a regional endpoint's)."""
    if verified.service == "iam":
        return str(getattr(settings, "IAM_REGION", "us-east-1"))
    return verified.region


def _principal(lookup: _Lookup, verified: sigv4.VerifiedRequest, request: HttpRequest) -> Caller:
    # aws:SourceIp and aws:SecureTransport from the connection itself: REMOTE_ADDR and
    # the scheme are the client's (iamconsole.middleware.TrustedProxyMiddleware rewrites
    # them only for a trusted proxy), never a header the client chose.
    secure = "true" if request.is_secure() else "false"
    common: dict[str, Any] = {
        "access_key_id": verified.access_key_id,
        "source_ip": request.META.get("REMOTE_ADDR") or None,
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:512],
        "via": "api",
        "region": requested_region(verified),
        "extra_context": (("aws:SecureTransport", secure),),
    }
    if lookup.access_key is not None:
        key = lookup.access_key
        if key.user is None:
            return Caller(root_principal(key.account_id, **common), access_key=key)
        return Caller(user_principal(key.user, **common), access_key=key)
    temp = lookup.temporary
    assert temp is not None  # SigV4 verified one of the two credentials
    mfa = {
        "mfa_authenticated": temp.mfa_authenticated,
        "mfa_auth_time": temp.issued if temp.mfa_authenticated else None,
    }
    if temp.role is not None:
        principal = temporary_credential_principal(temp, **mfa, **common)
    elif temp.session_name:  # GetFederationToken: a federated user (of an IAM user or root)
        principal = federated_user_principal(temp, **mfa, **common)
    elif temp.user is not None:
        principal = user_principal(temp.user, **mfa, **common)
    else:
        principal = root_principal(temp.account_id, **mfa, **common)
    return Caller(principal, temporary=temp)


# STS actions AWS serves without a signature: "Calling AssumeRoleWithWebIdentity
# [AssumeRoleWithSAML] does not require the use of AWS security credentials" (STS API
# Reference); botocore's sts model marks both ``smithy.api#noAuth``. Every other action
# of either service still needs SigV4.
UNSIGNED_ACTIONS = frozenset({"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"})


def _unsigned_action(request: HttpRequest) -> bool:
    """Whether an unsigned request names one of ``UNSIGNED_ACTIONS`` (STS's version)."""
    try:
        params = _params(request)
    except QueryError:
        return False
    action = next((v for k, v in params if k == "Action"), None)
    version = next((v for k, v in params if k == "Version"), None)
    return action in UNSIGNED_ACTIONS and version == VERSIONS["sts"]


def _anonymous(request: HttpRequest) -> Principal:
    """The unsigned caller: who it is, the operation learns from the token it brings."""
    secure = "true" if request.is_secure() else "false"
    return anonymous_principal(
        source_ip=request.META.get("REMOTE_ADDR") or None,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:512],
        via="api",
        region=str(getattr(settings, "IAM_REGION", "us-east-1")),
        extra_context=(("aws:SecureTransport", secure),),
    )


def _params(request: HttpRequest) -> list[tuple[str, str]]:
    if request.method == "POST":
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise QueryError("MalformedQueryString", "The request body is not UTF-8.") from exc
        pairs = parse_qsl(text, keep_blank_values=True)
        # A signed POST may also carry parameters in the query string.
        pairs += parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)
    else:
        pairs = parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)
    return [(k, v) for k, v in pairs if k not in _SIGNING_PARAMS]


def _record_use(caller: Caller, service: str, region: str) -> None:
    """Last-used bookkeeping for the signing key, or the role behind a role session."""
    if caller.access_key is not None:
        record_access_key_use(caller.access_key, service=service, region=region)
    temp = caller.temporary
    if temp is not None and temp.role is not None:
        record_role_use(temp.role, region=region)


def _check_session_credentials(caller: Caller, service: str, action: str) -> None:
    """What GetSessionToken credentials may not do (AWS GetSessionToken docs):
    call IAM without MFA, or call STS other than AssumeRole and GetCallerIdentity."""
    temp = caller.temporary
    if temp is None or temp.role is not None or service not in ("iam", "sts"):
        return  # the rules below are IAM's and STS's; other services take these keys
    if temp.session_name:
        # GetFederationToken credentials: "Cannot call IAM operations using the AWS CLI or
        # AWS API. Cannot call AWS STS operations except GetCallerIdentity" (IAM User
        # Guide, "Comparing the AWS STS API operations"). IAM answers them as it answers
        # GetSessionToken credentials without MFA: an invalid token.
        if service == "iam":
            raise sigv4.SigV4Error("InvalidClientTokenId", sigv4.MSG_INVALID_TOKEN, 403)
        if action != "GetCallerIdentity":
            raise IamAccessDenied(f"Cannot call {action} with session credentials")
        return
    if service == "iam" and not temp.mfa_authenticated:
        raise sigv4.SigV4Error("InvalidClientTokenId", sigv4.MSG_INVALID_TOKEN, 403)
    if service == "sts" and action not in ("AssumeRole", "GetCallerIdentity", "GetAccessKeyInfo"):
        raise IamAccessDenied(f"Cannot call {action} with session credentials")


class IamAccessDenied(IamError):
    code, status = "AccessDenied", 403


def _carries_secret(shape: Shape | None, seen: frozenset[str] = frozenset()) -> bool:
    if shape is None or shape.name in seen:
        return False
    if shape.serialization.get("sensitive") or shape.metadata.get("sensitive"):
        return True
    seen = seen | {shape.name}
    if shape.type_name == "structure":
        return any(_carries_secret(m, seen) for m in shape.members.values())  # type: ignore[attr-defined]
    if shape.type_name == "list":
        return _carries_secret(shape.member, seen)  # type: ignore[attr-defined]
    if shape.type_name == "map":
        return _carries_secret(shape.value, seen)  # type: ignore[attr-defined]
    return False


@functools.cache
def no_store_actions(service: str) -> frozenset[str]:
    """Actions whose output carries a member botocore's model marks ``sensitive``: a
    secret access key, session token, virtual MFA seed or QR code (CreateAccessKey,
    CreateVirtualMFADevice, AssumeRole, GetSessionToken, …). Their responses must
    not be kept by a cache or proxy, so they are sent with ``Cache-Control: no-store``."""
    model = load_service_model(service)
    return frozenset(
        name
        for name in model.operation_names
        if _carries_secret(model.operation_model(name).output_shape)
    )


def _request_too_big(request_id: str, service: str) -> HttpResponse:
    """A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (Django's RequestDataTooBig), before or
    after authentication: AWS's common error RequestEntityTooLargeException, "The request
    entity is too large.", HTTP 413 ("Common Errors" of the AWS API references; the
    Query services' exact wording for IAM and STS is not established)."""
    return _error(
        "RequestEntityTooLargeException",
        "The request entity is too large.",
        413,
        request_id,
        service,
    )


@csrf_exempt
def handle(request: HttpRequest) -> HttpResponse:
    request_id = str(uuid.uuid4())
    service = "iam"
    try:
        return _handle(request, request_id)
    except RequestDataTooBig:
        return _request_too_big(request_id, service)
    except sigv4.SigV4Error as exc:
        log.info("SigV4 refused: %s", exc.code)
        return _error(exc.code, exc.message, exc.http_status, request_id, service)
    except QueryError as exc:
        return _error(
            exc.code, exc.message, exc.status, request_id, service, sender=exc.sender_fault
        )
    except IamError as exc:
        return _error(exc.code, exc.message, exc.status, request_id, service, sender=exc.sender)
    except Exception:
        log.exception("API request %s failed", request_id)
        return _error(
            "ServiceFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
            500,
            request_id,
            service,
            sender=False,
        )


def _credential_service(wire: sigv4.HttpRequest) -> str:
    """The service named in the credential scope, for the error namespace (best effort)."""
    text = wire.header("authorization") or wire.query
    for service in ("sts", *JSON_SERVICES):
        for name in (f"/{service}/", f"%2F{service}%2F"):
            if name in text:
                return service
    return "iam"


def _audit_refused(
    request: HttpRequest, lookup: _Lookup, exc: sigv4.SigV4Error, service: str
) -> None:
    """A request signed with a known key that failed verification (wrong signature,
    stale date, expired token) goes into the key owner's event history."""
    cred = lookup.access_key or lookup.temporary
    if cred is None:
        return
    try:
        caller = _principal(
            lookup,
            sigv4.VerifiedRequest(
                access_key_id=cred.access_key_id,
                region="",
                service=service,
                date="",
                timestamp=datetime.now(UTC),
                signed_headers=(),
            ),
            request,
        )
        params = dict(_params(request))
        error = AccessDenied(exc.message)
        error.code = exc.code  # the SigV4 code (SignatureDoesNotMatch, ExpiredToken…)
        record_event(
            caller.principal,
            str(params.get("Action") or "Unknown")[:64],
            allowed=False,
            error=error,
            event_source=f"{service}.amazonaws.com",
        )
    except Exception:  # auditing must never turn a refusal into a failure
        log.exception("could not audit a refused request")


def _handle(request: HttpRequest, request_id: str) -> HttpResponse:
    try:
        wire = _wire_request(request)
    except RequestDataTooBig:
        # Django refuses to read the body from its Content-Length alone, so the body
        # is never buffered; the scope's service names the error namespace.
        text = request.META.get("HTTP_AUTHORIZATION", "") + request.META.get("QUERY_STRING", "")
        service = "sts" if "/sts/" in text or "%2Fsts%2F" in text else "iam"
        return _request_too_big(request_id, service)
    service = _credential_service(wire)
    lookup = _Lookup(_sent_token(request))
    verified: sigv4.VerifiedRequest | None
    try:
        verified = sigv4.verify_request(
            wire,
            now=datetime.now(UTC),
            lookup_secret=lookup,
            services=SERVICES,
            regions=REGIONS,
        )
    except sigv4.SigV4Error as exc:
        if exc.code == "MissingAuthenticationToken" and _unsigned_action(request):
            verified = None  # AssumeRoleWithWebIdentity / AssumeRoleWithSAML: no signature
        else:
            if exc.code != "MissingAuthenticationToken":
                log.info("SigV4 refused (%s) for %s", exc.code, request.META.get("REMOTE_ADDR"))
                _audit_refused(request, lookup, exc, service)
            return _error(exc.code, exc.message, exc.http_status, request_id, service)
    service = verified.service if verified is not None else "sts"
    if service in JSON_SERVICES:
        assert verified is not None  # only STS serves unsigned actions
        return _handle_json(request, request_id, wire, verified, lookup)
    try:
        params = _params(request)
        action = next((v for k, v in params if k == "Action"), None)
        version = next((v for k, v in params if k == "Version"), None)
        if not action:
            raise QueryError("MissingAction", "Missing Action", 400)
        model = load_service_model(service)
        handler = HANDLERS[service].get(action)
        if version != VERSIONS[service] or handler is None:
            raise QueryError(
                "InvalidAction",
                f"Could not find operation {action} for version {version or 'NO_VERSION_SPECIFIED'}",
                400,
            )
        if verified is None:
            caller = Caller(_anonymous(request))
        else:
            caller = _principal(lookup, verified, request)
            _record_use(caller, service, caller.principal.region)
            _check_session_credentials(caller, service, action)
        parsed = parse_query(model, action, params)
        if lookup.account_id is not None and lookup.generation is not None:
            # The generation was read in the credential's own query, for this request:
            # the policy cache needs no second query to know it is current.
            with request_generation(lookup.account_id, lookup.generation):
                output = handler(caller.principal, parsed)
        else:
            output = handler(caller.principal, parsed)
        body = serialize_response(model, action, output, request_id)
    except sigv4.SigV4Error as exc:
        return _error(exc.code, exc.message, exc.http_status, request_id, service)
    except QueryError as exc:
        return _error(
            exc.code, exc.message, exc.status, request_id, service, sender=exc.sender_fault
        )
    except IamError as exc:
        return _error(exc.code, exc.message, exc.status, request_id, service, sender=exc.sender)
    except Exception:
        log.exception("API request %s (%s) failed", request_id, service)
        return _error(
            "ServiceFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
            500,
            request_id,
            service,
            sender=False,
        )
    response = HttpResponse(body, content_type="text/xml")
    response["x-amzn-RequestId"] = request_id
    if action in no_store_actions(service):
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"  # HTTP/1.0 caches
    return response


def _handle_json(
    request: HttpRequest,
    request_id: str,
    wire: sigv4.HttpRequest,
    verified: sigv4.VerifiedRequest,
    lookup: _Lookup,
) -> HttpResponse:
    """One signed request to a JSON service: Organizations (JSON 1.1, the operation in
    ``X-Amz-Target``) or Access Analyzer (REST-JSON, the operation in method and path)."""
    service = verified.service
    model = load_service_model(JSON_SERVICES[service])
    try:
        if model.protocol == "json":
            op = json_operation(model, request.META.get("HTTP_X_AMZ_TARGET"))
            data = load_body(request.body)
        else:
            op, labels = rest_route(model, wire.method, wire.path, wire.query)
            headers = dict(wire.headers)
            data = rest_input(op, labels, wire.query, headers, request.body)
        handler = HANDLERS[service].get(op.name)
        if handler is None:
            # An operation of the model this server does not implement (our text).
            raise JsonError("UnknownOperationException", f"{op.name} is not supported.", 400)
        caller = _principal(lookup, verified, request)
        _record_use(caller, service, caller.principal.region)
        parsed = parse_input(model, op, data)
        assert lookup.account_id is not None and lookup.generation is not None
        with request_generation(lookup.account_id, lookup.generation):
            output = handler(caller.principal, parsed)
        body = serialize_json_output(op, output)
    except JsonError as exc:
        return _json_error(exc, request_id, service)
    except sigv4.SigV4Error as exc:
        return _error(exc.code, exc.message, exc.http_status, request_id, service)
    except IamError as exc:
        code = "AccessDeniedException" if exc.code == "AccessDenied" else exc.code
        fields = dict(getattr(exc, "fields", None) or {})
        return _json_error(JsonError(code, exc.message, exc.status, fields), request_id, service)
    except Exception:
        log.exception("API request %s (%s) failed", request_id, service)
        # The JSON services' internal error (botocore retries it); text ours.
        error = JsonError("InternalFailure", "The request processing has failed.", 500)
        return _json_error(error, request_id, service)
    response = HttpResponse(
        body, status=op.http.get("responseCode", 200), content_type=CONTENT_TYPE[model.protocol]
    )
    response["x-amzn-RequestId"] = request_id
    if op.name in no_store_actions(JSON_SERVICES[service]):
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
    return response
