"""SigV4 through the real API endpoint (Django's test client): malformed headers, clock
skew, scope errors, unsigned host or token, dead keys, cookies. Never a 500."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock
from urllib.parse import urlencode

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
BODY = urlencode({"Action": "ListUsers", "Version": "2010-05-08"})


@pytest.fixture
def admin_key(root):
    from accounts.operations.credentials import create_access_key
    from accounts.operations.users import create_user
    from policies.operations import attach_user_policy

    create_user(actor=root, name="admin")
    attach_user_policy(
        actor=root, user_name="admin", policy_arn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    new = create_access_key(actor=root, user_name="admin")
    return new.key.access_key_id, new.secret


def signed_headers(
    key, *, body=BODY, service="iam", region="us-east-1", when=None, token=None, host="testserver"
) -> dict[str, str]:
    request = AWSRequest(
        method="POST",
        url=f"http://{host}/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    creds = Credentials(key[0], key[1], token)
    if when is None:
        SigV4Auth(creds, service, region).add_auth(request)
    else:
        with mock.patch(
            "botocore.auth.get_current_datetime", return_value=when.replace(tzinfo=None)
        ):
            SigV4Auth(creds, service, region).add_auth(request)
    return dict(request.headers.items())


def send(client, headers: dict[str, str], body: str = BODY):
    meta = {"HTTP_HOST": "testserver"}  # real clients always send Host; the test client does not
    for name, value in headers.items():
        if name.lower() in ("content-type", "host"):
            continue
        meta["HTTP_" + name.upper().replace("-", "_")] = value
    return client.generic(
        "POST", "/", body, content_type="application/x-www-form-urlencoded; charset=utf-8", **meta
    )


def code_of(response) -> str:
    match = re.search(rb"<Code>([^<]+)</Code>", response.content)
    return match.group(1).decode() if match else ""


def test_signed_request_is_accepted(client, admin_key):
    response = send(client, signed_headers(admin_key))
    assert response.status_code == 200 and b"<ListUsersResponse" in response.content


def test_clock_skew_limit_is_fifteen_minutes(client, admin_key, figure, monkeypatch):
    now = datetime.now(UTC).replace(microsecond=0)

    class _ServerClock(datetime):
        """The server's clock stands still at ``now``: the one-second margins below
        measure the skew rule, not how long a loaded machine takes to answer."""

        @classmethod
        def now(cls, tz=None):
            return now if tz is not None else now.replace(tzinfo=None)

    monkeypatch.setattr("api.views.datetime", _ServerClock)
    outcomes = {}
    for label, delta in {"-14:59": -899, "+14:59": 899, "-15:01": -901, "+15:01": 901}.items():
        response = send(client, signed_headers(admin_key, when=now + timedelta(seconds=delta)))
        outcomes[label] = (response.status_code, code_of(response), response.content)
    figure(", ".join(f"{k}: {v[0]} {v[1] or 'OK'}" for k, v in outcomes.items()))
    assert outcomes["-14:59"][0] == 200 and outcomes["+14:59"][0] == 200
    for label in ("-15:01", "+15:01"):
        status, code, content = outcomes[label]
        assert status == 403 and code == "SignatureDoesNotMatch"
        assert b"Signature expired" in content or b"Signature not yet current" in content


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda h: h["Authorization"].replace("us-east-1", "eu-west-1"), "SignatureDoesNotMatch"),
        (lambda h: h["Authorization"].replace("/iam/", "/ec2/"), "SignatureDoesNotMatch"),
        (
            lambda h: h["Authorization"].replace("aws4_request", "aws5_request"),
            "SignatureDoesNotMatch",
        ),
        (
            lambda h: re.sub(
                r"Credential=([^/]+)/\d{8}/", r"Credential=\1/20200101/", h["Authorization"]
            ),
            "SignatureDoesNotMatch",
        ),
        (
            lambda h: h["Authorization"].replace("host;", "").replace(";host", ""),
            "IncompleteSignature",
        ),
        (lambda h: h["Authorization"].replace("AKIA", "AKIB"), "InvalidClientTokenId"),
    ],
    ids=[
        "wrong region",
        "wrong service",
        "wrong terminator",
        "wrong date",
        "host unsigned",
        "unknown key",
    ],
)
def test_bad_credential_scopes_are_refused(client, admin_key, mutate, expected):
    headers = signed_headers(admin_key)
    headers["Authorization"] = mutate(headers)
    response = send(client, headers)
    assert code_of(response) == expected and response.status_code in (400, 403)


def test_unsigned_security_token_is_refused(client, admin_key):
    headers = signed_headers(admin_key)
    headers["X-Amz-Security-Token"] = "added-after-signing"
    response = send(client, headers)
    assert response.status_code in (400, 403) and code_of(response)


def test_every_single_byte_change_of_the_body_or_signature_is_refused(client, admin_key, figure):
    headers = signed_headers(admin_key)
    refused = total = 0
    for i in range(len(BODY)):
        body = BODY[:i] + chr(ord(BODY[i]) ^ 1) + BODY[i + 1 :]
        total += 1
        refused += code_of(send(client, headers, body)) == "SignatureDoesNotMatch"
    sig_at = headers["Authorization"].index("Signature=") + len("Signature=")
    for i in range(sig_at, len(headers["Authorization"])):
        auth = headers["Authorization"]
        changed = dict(
            headers, Authorization=auth[:i] + ("0" if auth[i] != "0" else "1") + auth[i + 1 :]
        )
        total += 1
        refused += code_of(send(client, changed)) == "SignatureDoesNotMatch"
    figure(f"{refused}/{total} single-byte changes refused with SignatureDoesNotMatch")
    assert refused == total


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.one_of(
        st.text(max_size=200),
        st.builds(
            lambda a, b, c: f"AWS4-HMAC-SHA256 Credential={a}, SignedHeaders={b}, Signature={c}",
            st.text(max_size=60),
            st.text(max_size=40),
            st.text(max_size=70),
        ),
        st.sampled_from(
            [
                "AWS4-HMAC-SHA256",
                "AWS4-HMAC-SHA256 ",
                "AWS4-HMAC-SHA256 Credential=",
                "AWS4-HMAC-SHA256 Credential=AKIA/2020/us-east-1/iam/aws4_request",
            ]
        ),
    )
)
def test_malformed_authorization_headers_never_crash(client, header):
    if any(ord(ch) < 32 or ord(ch) > 126 for ch in header):
        header = header.encode("ascii", "replace").decode()
    response = client.generic(
        "POST",
        "/",
        BODY,
        content_type="application/x-www-form-urlencoded",
        HTTP_HOST="testserver",
        HTTP_AUTHORIZATION="AWS4-" + header if not header.startswith("AWS4") else header,
    )
    assert response.status_code in (400, 403), response.status_code
    assert code_of(response) in {
        "IncompleteSignature",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "MissingAuthenticationToken",
        "IncompleteSignatureException",
    }


def test_inactive_and_deleted_keys_are_refused(client, root, admin_key, figure):
    from accounts.operations.credentials import delete_access_key, update_access_key

    update_access_key(actor=root, user_name="admin", access_key_id=admin_key[0], status="Inactive")
    inactive = send(client, signed_headers(admin_key))
    delete_access_key(actor=root, user_name="admin", access_key_id=admin_key[0])
    deleted = send(client, signed_headers(admin_key))
    figure(
        f"inactive: {inactive.status_code} {code_of(inactive)}; deleted: {deleted.status_code} {code_of(deleted)}"
    )
    assert (inactive.status_code, code_of(inactive)) == (403, "InvalidClientTokenId")
    assert (deleted.status_code, code_of(deleted)) == (403, "InvalidClientTokenId")


def test_expired_temporary_credentials_are_refused(client, root, admin_key):
    from accounts.models import IamUser, TemporaryCredential
    from accounts.operations.sts import get_session_token
    from accounts.principal import user_principal

    admin = user_principal(IamUser.objects.get(name="admin"))
    new = get_session_token(actor=admin, duration_seconds=900)
    TemporaryCredential.objects.filter(pk=new.credential.pk).update(
        expires=datetime.now(UTC) - timedelta(seconds=1)
    )
    key = (new.credential.access_key_id, new.secret)
    response = send(client, signed_headers(key, token=new.session_token))
    assert (response.status_code, code_of(response)) == (403, "ExpiredToken")


def test_a_browser_session_alone_cannot_call_the_api(console, figure):
    from accounts.models import IamUser

    response = console.post(
        "/", {"Action": "CreateUser", "Version": "2010-05-08", "UserName": "csrf-victim"}
    )
    figure(
        f"cookie-only POST /: {response.status_code} {code_of(response)}, users created: {IamUser.objects.filter(name='csrf-victim').count()}"
    )
    assert code_of(response) == "MissingAuthenticationToken" and response.status_code == 403
    assert not IamUser.objects.filter(name="csrf-victim").exists()


def test_secrets_and_signatures_are_compared_only_with_compare_digest(figure):
    """No ``==``/``!=`` on a signature, secret or token in the code that checks them."""
    secret_words = re.compile(r"signature|secret|token_hash|session_token|token_code|otp")

    def names_a_secret(operand: ast.expr) -> bool:
        ident = (
            operand.id
            if isinstance(operand, ast.Name)
            else operand.attr
            if isinstance(operand, ast.Attribute)
            else ""
        )
        return bool(secret_words.search(ident.lower())) or (
            isinstance(operand, ast.Name) and operand.id == "code"
        )

    suspicious = []
    for path in [
        ROOT / "api" / "sigv4.py",
        ROOT / "api" / "views.py",
        ROOT / "accounts" / "totp.py",
        ROOT / "accounts" / "operations" / "sts.py",
    ]:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and any(
                isinstance(op, ast.Eq | ast.NotEq) for op in node.ops
            ):
                operands = [node.left, *node.comparators]
                if any(isinstance(o, ast.Constant) and o.value is None for o in operands):
                    continue
                if any(names_a_secret(o) for o in operands):
                    suspicious.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    figure(f"{len(suspicious)} equality comparisons on secrets outside hmac.compare_digest")
    assert not suspicious, suspicious


def test_aws_sigv4_test_suite_vectors_all_pass(request, figure):
    """AWS's aws4_testsuite (from botocore's sdist): canonical request and string to
    sign byte-equal, signature accepted, for every case."""
    from api import sigv4
    from tests.api import sigv4_vectors as vectors
    from tests.api.test_sigv4 import VECTOR_NOW, VECTOR_SCOPE, _vector_lookup, _vector_request

    cache = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    if cache is not None:
        cache_dir = Path(cache.mkdir("aws4-testsuite"))
    else:
        import tempfile

        cache_dir = Path(tempfile.gettempdir()) / "iamconsole-aws4-testsuite"
        cache_dir.mkdir(exist_ok=True)
    suite = vectors.fetch_suite(cache_dir)
    equal = accepted = 0
    for name in vectors.CASES:
        vector = vectors.load_vector(suite, name)
        signed = vector.canonical_request.split("\n")[-2].split(";")
        creq = sigv4.build_canonical_request(_vector_request(vector), signed)
        sts = sigv4.build_string_to_sign(vectors.AMZ_DATE, VECTOR_SCOPE, creq)
        equal += creq == vector.canonical_request and sts == vector.string_to_sign
        try:
            sigv4.verify_request(
                _vector_request(vector, authorization=vector.authorization),
                now=VECTOR_NOW,
                lookup_secret=_vector_lookup(vector),
            )
            accepted += 1
        except sigv4.SigV4Error:
            pass
    n = len(vectors.CASES)
    figure(
        f"{equal}/{n} canonical request + string to sign byte-equal, {accepted}/{n} signatures accepted"
    )
    assert equal == n and accepted == n
