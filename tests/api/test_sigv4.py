"""SigV4 verification: AWS's published vectors, botocore-signed requests, refusals.

Pure tests: no database, no Django.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import botocore.session
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api import sigv4
from api.sigv4 import HttpRequest, SigningSecret, SigV4Error, verify_request

try:  # tests/ may or may not become a package
    from tests.api import sigv4_vectors as vectors
except ImportError:  # pragma: no cover
    import sigv4_vectors as vectors  # type: ignore[no-redef]

VECTOR_NOW = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)
VECTOR_SCOPE = "20150830/us-east-1/service/aws4_request"

AKID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TEMP_AKID = "ASIAIOSFODNN7EXAMPLE"
TEMP_SECRET = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLE//////////wEaDFAKETOKEN+/="


# ---------------------------------------------------------------------------
# AWS's aws4_testsuite


@pytest.fixture(scope="session")
def aws4_suite(request: pytest.FixtureRequest) -> Path:
    """The suite, downloaded from botocore's sdist once and cached in .pytest_cache."""
    cache_dir = Path(request.config.cache.mkdir("aws4-testsuite"))
    try:
        suite = vectors.fetch_suite(cache_dir)
    except (subprocess.SubprocessError, OSError) as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"could not fetch botocore=={vectors.BOTOCORE_VERSION} sdist: {exc}")
    assert vectors.list_cases(suite) == sorted(vectors.CASES)
    return suite


def _vector_request(vector: vectors.Vector, *, authorization: str | None = None) -> HttpRequest:
    raw = vector.request
    headers = list(raw.headers)
    # get-vanilla-with-session-token: the .req lacks the token header that the
    # .creq/.authz were computed with (and its .sreq carries a garbled
    # signature), so the token is taken from the .creq.
    token = _vector_token(vector)
    if token and not any(k.lower() == "x-amz-security-token" for k, _ in headers):
        headers.append(("X-Amz-Security-Token", token))
    if authorization is not None:
        headers.append(("Authorization", authorization))
    return HttpRequest(raw.method, raw.path, raw.query, tuple(headers), raw.body)


def _vector_token(vector: vectors.Vector) -> str | None:
    match = re.search(r"^x-amz-security-token:(.*)$", vector.canonical_request, re.MULTILINE)
    return match.group(1) if match else None


def _vector_lookup(vector: vectors.Vector):
    token = _vector_token(vector)

    def lookup(akid: str) -> SigningSecret | None:
        if akid != vectors.ACCESS_KEY:
            return None
        return SigningSecret(vectors.SECRET_KEY, session_token=token)

    return lookup


@pytest.mark.parametrize("name", vectors.CASES)
def test_vector_canonical_request_and_string_to_sign_are_byte_equal(aws4_suite, name):
    vector = vectors.load_vector(aws4_suite, name)
    signed_headers = vector.canonical_request.split("\n")[-2].split(";")
    creq = sigv4.build_canonical_request(_vector_request(vector), signed_headers)
    assert creq.encode() == vector.canonical_request.encode()
    sts = sigv4.build_string_to_sign(vectors.AMZ_DATE, VECTOR_SCOPE, creq)
    assert sts.encode() == vector.string_to_sign.encode()
    key = sigv4.derive_signing_key(vectors.SECRET_KEY, "20150830", "us-east-1", "service")
    assert vector.authorization.endswith("Signature=" + sigv4.calculate_signature(key, sts))


@pytest.mark.parametrize("name", vectors.CASES)
def test_vector_signature_is_accepted(aws4_suite, name):
    vector = vectors.load_vector(aws4_suite, name)
    request = _vector_request(vector, authorization=vector.authorization)
    verified = verify_request(request, now=VECTOR_NOW, lookup_secret=_vector_lookup(vector))
    assert verified.access_key_id == vectors.ACCESS_KEY
    assert (verified.region, verified.service, verified.date) == (
        "us-east-1",
        "service",
        "20150830",
    )
    assert verified.security_token == _vector_token(vector)


@pytest.mark.parametrize("name", vectors.CASES)
def test_vector_with_one_signature_byte_changed_is_refused(aws4_suite, name):
    vector = vectors.load_vector(aws4_suite, name)
    sig = vector.authorization[-64:]
    flipped = ("1" if sig[0] == "0" else "0") + sig[1:]
    request = _vector_request(vector, authorization=vector.authorization[:-64] + flipped)
    with pytest.raises(SigV4Error) as err:
        verify_request(request, now=VECTOR_NOW, lookup_secret=_vector_lookup(vector))
    assert err.value.code == "SignatureDoesNotMatch"


def test_token_added_after_signing_is_refused(aws4_suite):
    # post-sts-header-after shows a client adding X-Amz-Security-Token after
    # signing. Some AWS services tolerate that; we refuse an unsigned token.
    vector = vectors.load_vector(aws4_suite, "post-sts-token/post-sts-header-after")
    raw = vector.signed_request
    request = HttpRequest(raw.method, raw.path, raw.query, raw.headers, raw.body)
    with pytest.raises(SigV4Error) as err:
        verify_request(request, now=VECTOR_NOW, lookup_secret=lambda k: vectors.SECRET_KEY)
    assert (err.value.code, err.value.http_status) == ("IncompleteSignature", 400)


# ---------------------------------------------------------------------------
# Requests signed by botocore itself


class _Captured(Exception):
    def __init__(self, request) -> None:
        self.request = request


def _to_http_request(method: str, url: str, headers, body) -> HttpRequest:
    parts = urlsplit(url)
    pairs = []
    for name, value in headers.items():
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        pairs.append((name, value))
    if not any(n.lower() == "host" for n, _ in pairs):
        pairs.append(("Host", parts.netloc))  # added by urllib3 on the wire
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
    return HttpRequest(method, parts.path or "/", parts.query, tuple(pairs), body)


def botocore_request(service: str, operation: str, params: dict, *, token: str | None = None):
    """What boto3 would send for ``operation``, captured before it leaves."""
    session = botocore.session.get_session()
    client = session.create_client(
        service,
        region_name="us-east-1",
        aws_access_key_id=TEMP_AKID if token else AKID,
        aws_secret_access_key=TEMP_SECRET if token else SECRET,
        aws_session_token=token,
    )

    def capture(request, **kwargs):
        raise _Captured(request)

    client.meta.events.register("before-send", capture)
    with pytest.raises(_Captured) as captured:
        getattr(client, operation)(**params)
    sent = captured.value.request
    return _to_http_request(sent.method, sent.url, sent.headers, sent.body)


def lookup(akid: str) -> SigningSecret | str | None:
    if akid == AKID:
        return SECRET
    if akid == TEMP_AKID:
        return SigningSecret(TEMP_SECRET, session_token=TOKEN, expiration=_future())
    return None


def _future() -> datetime:
    return datetime.now(UTC) + timedelta(hours=1)


def _now() -> datetime:
    return datetime.now(UTC)


BOTOCORE_CALLS = [
    ("iam", "list_users", {}),
    (
        "iam",
        "create_user",
        {"UserName": "alice", "Path": "/dev/", "Tags": [{"Key": "k", "Value": "v w"}]},
    ),
    (
        "iam",
        "put_user_policy",
        {
            "UserName": "bob",
            "PolicyName": "p",
            "PolicyDocument": '{"Version":"2012-10-17","Statement":[]}',
        },
    ),
    ("sts", "get_caller_identity", {}),
    (
        "sts",
        "assume_role",
        {"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "s~é"},
    ),
]


@pytest.mark.parametrize(("service", "operation", "params"), BOTOCORE_CALLS)
@pytest.mark.parametrize("token", [None, TOKEN])
def test_botocore_signed_request_is_accepted(service, operation, params, token):
    request = botocore_request(service, operation, params, token=token)
    verified = verify_request(
        request, now=_now(), lookup_secret=lookup, services={"iam", "sts"}, regions={"us-east-1"}
    )
    assert verified.service == service
    assert verified.region == "us-east-1"
    assert verified.access_key_id == (TEMP_AKID if token else AKID)
    assert verified.security_token == token
    assert "host" in verified.signed_headers
    assert not verified.presigned


@pytest.mark.parametrize(
    ("service", "operation"), [("sts", "get_caller_identity"), ("iam", "list_users")]
)
@pytest.mark.parametrize("token", [None, TOKEN])
def test_botocore_presigned_url_is_accepted(service, operation, token):
    session = botocore.session.get_session()
    client = session.create_client(
        service,
        region_name="us-east-1",
        aws_access_key_id=TEMP_AKID if token else AKID,
        aws_secret_access_key=TEMP_SECRET if token else SECRET,
        aws_session_token=token,
    )
    # As `aws eks get-token` does: without HttpMethod, botocore signs the URL
    # for the operation's POST, and AWS then refuses it on GET (boto/boto3#756).
    url = client.generate_presigned_url(operation, ExpiresIn=300, HttpMethod="GET")
    parts = urlsplit(url)
    request = HttpRequest("GET", parts.path or "/", parts.query, (("Host", parts.netloc),))
    verified = verify_request(request, now=_now(), lookup_secret=lookup)
    assert verified.presigned and verified.expires == 300
    assert verified.service == service and verified.security_token == token

    post_url = urlsplit(client.generate_presigned_url(operation, ExpiresIn=300))
    as_get = HttpRequest("GET", "/", post_url.query, (("Host", post_url.netloc),))
    with pytest.raises(SigV4Error) as err:
        verify_request(as_get, now=_now(), lookup_secret=lookup)
    assert err.value.code == "SignatureDoesNotMatch"
    as_post = HttpRequest("POST", "/", post_url.query, (("Host", post_url.netloc),))
    assert verify_request(as_post, now=_now(), lookup_secret=lookup).presigned


def _query_auth_request(expires: int = 3600, *, when: datetime | None = None) -> HttpRequest:
    creds = Credentials(AKID, SECRET)
    aws_request = AWSRequest(
        method="GET",
        url="https://sts.amazonaws.com/",
        params={"Action": "GetCallerIdentity", "Version": "2011-06-15"},
    )
    signer = SigV4QueryAuth(creds, "sts", "us-east-1", expires=expires)
    if when is not None:
        from unittest import mock

        with mock.patch(
            "botocore.auth.get_current_datetime", return_value=when.replace(tzinfo=None)
        ):
            signer.add_auth(aws_request)
    else:
        signer.add_auth(aws_request)
    prepared = aws_request.prepare()
    parts = urlsplit(prepared.url)
    return HttpRequest("GET", parts.path, parts.query, (("Host", parts.netloc),))


def test_sigv4_query_auth_url_is_accepted_until_it_expires():
    signed_at = datetime(2024, 1, 1, tzinfo=UTC)
    request = _query_auth_request(600, when=signed_at)
    verify_request(request, now=signed_at + timedelta(seconds=600), lookup_secret=lookup)
    with pytest.raises(SigV4Error) as err:
        verify_request(request, now=signed_at + timedelta(seconds=601), lookup_secret=lookup)
    assert (err.value.code, err.value.message, err.value.http_status) == (
        "AccessDenied",
        "Request has expired",
        403,
    )


def test_presigned_url_from_the_future_is_refused():
    signed_at = datetime(2024, 1, 1, 0, 20, tzinfo=UTC)
    request = _query_auth_request(600, when=signed_at)
    with pytest.raises(SigV4Error) as err:
        verify_request(
            request, now=signed_at - timedelta(minutes=15, seconds=1), lookup_secret=lookup
        )
    assert err.value.code == "SignatureDoesNotMatch"
    assert err.value.message.startswith("Signature not yet current: 20240101T002000Z")


def test_sigv4_auth_signed_request_for_iam_and_sts_is_accepted():
    for service in ("iam", "sts"):
        aws_request = AWSRequest(
            method="POST",
            url=f"https://{service}.amazonaws.com/",
            data={"Action": "ListUsers", "Version": "2010-05-08"},
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        SigV4Auth(Credentials(AKID, SECRET), service, "us-east-1").add_auth(aws_request)
        prepared = aws_request.prepare()
        request = _to_http_request("POST", prepared.url, prepared.headers, prepared.body)
        assert verify_request(request, now=_now(), lookup_secret=lookup).service == service


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("X-Amz-Expires=604801", "IncompleteSignature"),
        ("X-Amz-Expires=abc", "IncompleteSignature"),
        ("X-Amz-Expires=0", "IncompleteSignature"),
    ],
)
def test_presigned_expires_out_of_range_is_refused(query, code):
    good = _query_auth_request(60)
    bad_query = re.sub(r"X-Amz-Expires=\d+", query, good.query)
    with pytest.raises(SigV4Error) as err:
        verify_request(
            HttpRequest("GET", "/", bad_query, good.headers), now=_now(), lookup_secret=lookup
        )
    assert err.value.code == code


def test_presigned_url_missing_a_parameter_names_it():
    good = _query_auth_request(60)
    bad_query = re.sub(r"&?X-Amz-Credential=[^&]*", "", good.query)
    with pytest.raises(SigV4Error) as err:
        verify_request(
            HttpRequest("GET", "/", bad_query, good.headers), now=_now(), lookup_secret=lookup
        )
    assert err.value.code == "IncompleteSignature"
    assert "'X-Amz-Credential'" in err.value.message


# ---------------------------------------------------------------------------
# Every single-byte change to a signed request is refused

SIGNED_AT = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def signed_post() -> HttpRequest:
    """An IAM CreateUser request as botocore signs it, at SIGNED_AT."""
    from unittest import mock

    with mock.patch(
        "botocore.auth.get_current_datetime", return_value=SIGNED_AT.replace(tzinfo=None)
    ):
        request = botocore_request(
            "iam", "create_user", {"UserName": "alice", "Tags": [{"Key": "team", "Value": "blue"}]}
        )
    verify_request(request, now=SIGNED_AT, lookup_secret=lookup)  # sanity: accepted as is
    return request


def _flips(value: str):
    """Each position changed to two different characters (xor 0x01 and xor 0x20)."""
    for i, ch in enumerate(value):
        for mask in (0x01, 0x20):
            yield i, value[:i] + chr(ord(ch) ^ mask) + value[i + 1 :]


def _with_header(request: HttpRequest, name: str, value: str) -> HttpRequest:
    headers = tuple((n, value if n.lower() == name else v) for n, v in request.headers)
    return HttpRequest(request.method, request.path, request.query, headers, request.body)


def _refusal(request: HttpRequest) -> SigV4Error:
    try:
        verify_request(request, now=SIGNED_AT, lookup_secret=lookup)
    except SigV4Error as exc:
        return exc
    raise AssertionError("mutated request was accepted")


def test_every_signed_header_byte_change_is_refused(signed_post):
    authz = signed_post.header("authorization")
    signed = re.search(r"SignedHeaders=([^,]+)", authz).group(1).split(";")
    checked = 0
    for name in signed:
        original = signed_post.header(name)
        for _, mutated in _flips(original):
            if " ".join(mutated.split()) == " ".join(original.split()):
                continue  # only whitespace changed in a way Trimall folds back
            code = _refusal(_with_header(signed_post, name, mutated)).code
            if name == "x-amz-date":
                # A broken date is malformed (IncompleteSignature); a valid one
                # no longer matches the scope date, the clock or the signature.
                assert code in {"SignatureDoesNotMatch", "IncompleteSignature"}, mutated
            else:
                assert code == "SignatureDoesNotMatch", (name, mutated)
            checked += 1
    assert checked > 100


def test_every_body_byte_change_is_refused(signed_post):
    body = signed_post.body
    for i in range(len(body)):
        for mask in (0x01, 0x20, 0x80):
            mutated = body[:i] + bytes([body[i] ^ mask]) + body[i + 1 :]
            request = HttpRequest(
                signed_post.method,
                signed_post.path,
                signed_post.query,
                signed_post.headers,
                mutated,
            )
            assert _refusal(request).code == "SignatureDoesNotMatch"


def test_every_signature_byte_change_is_refused(signed_post):
    authz = signed_post.header("authorization")
    head, sig = authz[:-64], authz[-64:]
    for _, mutated in _flips(sig):
        error = _refusal(_with_header(signed_post, "authorization", head + mutated))
        assert (error.code, error.http_status) == ("SignatureDoesNotMatch", 403)


def test_every_credential_scope_byte_change_is_refused_with_the_right_code(signed_post):
    authz = signed_post.header("authorization")
    match = re.search(r"Credential=([^,]+)", authz)
    credential = match.group(1)
    starts = [0]
    for part in credential.split("/"):
        starts.append(starts[-1] + len(part) + 1)
    for i, mutated in _flips(credential):
        new_authz = authz[: match.start(1)] + mutated + authz[match.end(1) :]
        error = _refusal(_with_header(signed_post, "authorization", new_authz))
        if credential[i] == "/" or mutated[i] in "/, ":
            assert error.code in {"IncompleteSignature", "SignatureDoesNotMatch"}, mutated
        elif i < starts[1]:  # access key id: no such key
            assert (error.code, error.http_status) == ("InvalidClientTokenId", 403), mutated
        else:  # date, region, service, terminator
            assert (error.code, error.http_status) == ("SignatureDoesNotMatch", 403), mutated


def test_method_path_and_query_changes_are_refused(signed_post):
    r = signed_post
    for changed in (
        HttpRequest("PUT", r.path, r.query, r.headers, r.body),
        HttpRequest(r.method, "/x", r.query, r.headers, r.body),
        HttpRequest(r.method, r.path, "Action=DeleteUser", r.headers, r.body),
    ):
        assert _refusal(changed).code == "SignatureDoesNotMatch"


# ---------------------------------------------------------------------------
# Clock skew: 15 minutes either way


@pytest.mark.parametrize(
    "offset", [timedelta(minutes=14, seconds=59), -timedelta(minutes=14, seconds=59), timedelta(0)]
)
def test_clock_skew_within_fifteen_minutes_is_accepted(signed_post, offset):
    verify_request(signed_post, now=SIGNED_AT + offset, lookup_secret=lookup)


def test_request_older_than_fifteen_minutes_is_refused_as_aws_words_it(signed_post):
    now = SIGNED_AT + timedelta(minutes=15, seconds=1)
    with pytest.raises(SigV4Error) as err:
        verify_request(signed_post, now=now, lookup_secret=lookup)
    assert (err.value.code, err.value.http_status) == ("SignatureDoesNotMatch", 403)
    assert err.value.message == (
        "Signature expired: 20240102T030405Z is now earlier than 20240102T030406Z "
        "(20240102T031906Z - 15 min.)"
    )


def test_request_more_than_fifteen_minutes_ahead_is_refused(signed_post):
    now = SIGNED_AT - timedelta(minutes=15, seconds=1)
    with pytest.raises(SigV4Error) as err:
        verify_request(signed_post, now=now, lookup_secret=lookup)
    assert err.value.code == "SignatureDoesNotMatch"
    assert err.value.message == (
        "Signature not yet current: 20240102T030405Z is still later than 20240102T030404Z "
        "(20240102T024904Z + 15 min.)"
    )


# ---------------------------------------------------------------------------
# Structural refusals, on requests we sign ourselves with the verified primitives

NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
AMZ_NOW = "20240506T070809Z"


def sign(
    headers: list[tuple[str, str]],
    *,
    signed: list[str],
    body: bytes = b"Action=ListUsers&Version=2010-05-08",
    scope_date: str = "20240506",
    amz_date: str = AMZ_NOW,
    region: str = "us-east-1",
    service: str = "iam",
    terminator: str = "aws4_request",
    akid: str = AKID,
    secret: str = SECRET,
    hashed_payload: str | None = None,
) -> HttpRequest:
    unsigned = HttpRequest("POST", "/", "", tuple(headers), body)
    creq = sigv4.build_canonical_request(unsigned, signed, hashed_payload=hashed_payload)
    scope = f"{scope_date}/{region}/{service}/{terminator}"
    sts = sigv4.build_string_to_sign(amz_date, scope, creq)
    key = sigv4.derive_signing_key(secret, scope_date, region, service)
    signature = sigv4.calculate_signature(key, sts)
    authz = (
        f"AWS4-HMAC-SHA256 Credential={akid}/{scope}, "
        f"SignedHeaders={';'.join(sorted(signed))}, Signature={signature}"
    )
    return HttpRequest("POST", "/", "", (*headers, ("Authorization", authz)), body)


BASE_HEADERS = [("Host", "iam.amazonaws.com"), ("X-Amz-Date", AMZ_NOW)]


def _error(request: HttpRequest, **kwargs) -> SigV4Error:
    with pytest.raises(SigV4Error) as err:
        verify_request(request, now=NOW, lookup_secret=lookup, **kwargs)
    return err.value


def test_own_signed_request_is_accepted():
    verify_request(sign(BASE_HEADERS, signed=["host", "x-amz-date"]), now=NOW, lookup_secret=lookup)


def test_date_header_is_used_when_there_is_no_x_amz_date():
    headers = [("Host", "iam.amazonaws.com"), ("Date", "Mon, 06 May 2024 07:08:09 GMT")]
    verified = verify_request(sign(headers, signed=["date", "host"]), now=NOW, lookup_secret=lookup)
    assert verified.timestamp == NOW


def test_request_without_any_authentication_is_refused():
    error = _error(HttpRequest("POST", "/", "", tuple(BASE_HEADERS), b"Action=ListUsers"))
    assert (error.code, error.message, error.http_status) == (
        "MissingAuthenticationToken",
        "Request is missing Authentication Token",
        403,
    )


def test_missing_date_is_incomplete_signature():
    request = sign([("Host", "iam.amazonaws.com")], signed=["host"])
    error = _error(request)
    assert (error.code, error.http_status) == ("IncompleteSignature", 400)
    assert error.message.startswith(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
    )


def test_authorization_without_parameters_lists_every_missing_one():
    request = HttpRequest("POST", "/", "", (("Authorization", "Bearer abc"),), b"")
    error = _error(request)
    assert error.code == "IncompleteSignature"
    assert error.message == (
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=Bearer abc"
    )


def test_wrong_terminator_is_refused():
    error = _error(sign(BASE_HEADERS, signed=["host", "x-amz-date"], terminator="aws4_requesu"))
    assert (error.code, error.message) == (
        "SignatureDoesNotMatch",
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_requesu'. ",
    )


def test_scope_date_other_than_request_date_is_refused():
    error = _error(sign(BASE_HEADERS, signed=["host", "x-amz-date"], scope_date="20240505"))
    assert error.code == "SignatureDoesNotMatch"
    assert error.message == (
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        "HTTP: '20240505' != '20240506', from '20240506T070809Z'."
    )


def test_host_must_be_signed():
    error = _error(sign(BASE_HEADERS, signed=["x-amz-date"]))
    assert error.code == "IncompleteSignature"
    assert (
        error.message == "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    )


def test_unsigned_security_token_header_is_refused():
    headers = [*BASE_HEADERS, ("X-Amz-Security-Token", TOKEN)]
    error = _error(sign(headers, signed=["host", "x-amz-date"], akid=TEMP_AKID, secret=TEMP_SECRET))
    assert error.code == "IncompleteSignature"


def test_malformed_date_is_incomplete_signature():
    headers = [("Host", "iam.amazonaws.com"), ("X-Amz-Date", "2024-05-06T07:08:09Z")]
    error = _error(sign(headers, signed=["host", "x-amz-date"], amz_date="2024-05-06T07:08:09Z"))
    assert error.code == "IncompleteSignature"
    assert error.message.startswith("Date must be in ISO-8601 'basic format'.")


def test_unknown_access_key_is_invalid_client_token_id():
    error = _error(sign(BASE_HEADERS, signed=["host", "x-amz-date"], akid="AKIAUNKNOWN000000000"))
    assert (error.code, error.message, error.http_status) == (
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
        403,
    )


def test_temporary_key_needs_its_own_session_token():
    for token in (None, TOKEN + "x"):
        headers = list(BASE_HEADERS) + ([("X-Amz-Security-Token", token)] if token else [])
        signed = ["host", "x-amz-date"] + (["x-amz-security-token"] if token else [])
        error = _error(sign(headers, signed=signed, akid=TEMP_AKID, secret=TEMP_SECRET))
        assert error.code == "InvalidClientTokenId"


def test_long_term_key_with_a_session_token_is_refused():
    headers = [*BASE_HEADERS, ("X-Amz-Security-Token", TOKEN)]
    error = _error(sign(headers, signed=["host", "x-amz-date", "x-amz-security-token"]))
    assert error.code == "InvalidClientTokenId"


def test_expired_session_is_expired_token():
    headers = [*BASE_HEADERS, ("X-Amz-Security-Token", TOKEN)]
    request = sign(
        headers,
        signed=["host", "x-amz-date", "x-amz-security-token"],
        akid=TEMP_AKID,
        secret=TEMP_SECRET,
    )
    expired = SigningSecret(TEMP_SECRET, session_token=TOKEN, expiration=NOW - timedelta(seconds=1))
    with pytest.raises(SigV4Error) as err:
        verify_request(request, now=NOW, lookup_secret=lambda k: expired)
    assert (err.value.code, err.value.message, err.value.http_status) == (
        "ExpiredToken",
        "The security token included in the request is expired",
        403,
    )


def test_scope_for_another_region_or_service_is_refused_as_aws_words_it():
    request = sign(BASE_HEADERS, signed=["host", "x-amz-date"], region="eu-west-3", service="sqs")
    error = _error(request, regions={"us-east-1"})
    assert error.message == "Credential should be scoped to a valid region, not 'eu-west-3'. "
    error = _error(request, services={"iam"})
    assert error.message == "Credential should be scoped to correct service: 'iam'. "
    assert error.code == "SignatureDoesNotMatch"


def test_content_sha256_header_must_match_the_body():
    body = b"Action=ListUsers&Version=2010-05-08"
    signed = ["host", "x-amz-date", "x-amz-content-sha256"]
    for declared in ("0" * 64, "UNSIGNED-PAYLOAD"):
        headers = [*BASE_HEADERS, ("X-Amz-Content-Sha256", declared)]
        error = _error(sign(headers, signed=signed, body=body, hashed_payload=declared))
        assert (error.code, error.http_status) == ("XAmzContentSHA256Mismatch", 400)
    good = hashlib.sha256(body).hexdigest()
    headers = [*BASE_HEADERS, ("X-Amz-Content-Sha256", good)]
    verify_request(sign(headers, signed=signed, body=body), now=NOW, lookup_secret=lookup)


def test_both_header_and_query_authentication_is_refused():
    request = sign(BASE_HEADERS, signed=["host", "x-amz-date"])
    both = HttpRequest(
        "POST", "/", "X-Amz-Algorithm=AWS4-HMAC-SHA256", request.headers, request.body
    )
    assert _error(both).code == "IncompleteSignature"


# ---------------------------------------------------------------------------
# Malformed Authorization headers never escape as unexpected exceptions

MALFORMED_CODES = {"IncompleteSignature", "InvalidClientTokenId", "MissingAuthenticationToken"}
SCOPE_CODES = MALFORMED_CODES | {"SignatureDoesNotMatch"}


def _check_header(authorization: str, allowed: set[str]) -> None:
    request = HttpRequest(
        "POST", "/", "", (*BASE_HEADERS, ("Authorization", authorization)), b"Action=ListUsers"
    )
    try:
        verify_request(request, now=NOW, lookup_secret=lookup)
    except SigV4Error as exc:
        assert exc.code in allowed, (exc.code, authorization)
        expected_status = 400 if exc.code in {"IncompleteSignature"} else 403
        assert exc.http_status == expected_status
    else:
        raise AssertionError(f"accepted: {authorization!r}")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text(max_size=200))
def test_random_authorization_header_is_refused_cleanly(authorization):
    _check_header(authorization, MALFORMED_CODES)


_part = st.text(alphabet=st.characters(codec="utf-8"), max_size=30)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.lists(_part, min_size=0, max_size=7),
    st.sampled_from(["Credential", "SignedHeaders", "Signature", "credential", "Foo", ""]),
    _part,
    st.sampled_from([",", ", ", " ", ",,", ";"]),
)
def test_near_valid_authorization_header_is_refused_cleanly(parts, key, value, sep):
    credential = "/".join(parts)
    header = sep.join(
        [
            f"AWS4-HMAC-SHA256 Credential={credential}",
            "SignedHeaders=host;x-amz-date",
            f"{key}={value}",
            "Signature=" + "a" * 64,
        ]
    )
    _check_header(header, SCOPE_CODES)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120), st.text(max_size=40))
def test_random_presigned_query_is_refused_cleanly(query, algorithm):
    request = HttpRequest(
        "GET", "/", f"X-Amz-Algorithm={algorithm}&{query}", (("Host", "sts.amazonaws.com"),)
    )
    with pytest.raises(SigV4Error) as err:
        verify_request(request, now=NOW, lookup_secret=lookup)
    assert err.value.code in SCOPE_CODES | {"AccessDenied"}


def test_unencodable_characters_are_refused_cleanly():
    request = sign(BASE_HEADERS, signed=["host", "x-amz-date"])
    broken = _with_header(request, "host", "iam.amazonaws.com\ud800")
    assert _error(broken).code == "IncompleteSignature"
    assert _error(HttpRequest("POST", "/\udc80", "", request.headers, request.body)).code in {
        "IncompleteSignature"
    }


def test_sigv4_and_protocol_never_import_django():
    code = "import sys, api.sigv4, api.protocol; assert not any(m.startswith('django') for m in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
