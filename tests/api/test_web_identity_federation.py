"""AssumeRoleWithWebIdentity through boto3 against the live server, with tokens of the
built-in test IdP (accounts/testidp.py) and of an "external" issuer whose discovery
document and JWKS come over a stubbed HTTPS fetch: the token really verified
(signature, issuer, audience, times), the trust policy's conditions on the claims, AWS's
errors and texts, and the session's credentials in use."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from types import SimpleNamespace
from typing import Any

import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_A, Creds, allow, error_code

AUD = "sts.amazonaws.com"
SUB = "repo:org/app:ref:refs/heads/main"


def message(exc_info: Any) -> str:
    return exc_info.value.response["Error"]["Message"]


def unsigned_sts(api: Any) -> Any:
    """An STS client without credentials: botocore sends the two calls unsigned."""
    return api.session.client(
        "sts",
        endpoint_url=api.url,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )


def web_trust(provider_arn: str, condition: dict | None = None, actions: list | None = None) -> str:
    statement: dict = {
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": actions or ["sts:AssumeRoleWithWebIdentity"],
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def make_role(acct: Any, name: str, trust_policy: str, policy: dict | None = None, **kw: Any):
    from accounts.operations.roles import create_role
    from policies.operations import put_role_policy

    role = create_role(actor=acct.root, name=name, trust_policy=trust_policy, **kw)
    if policy is not None:
        put_role_policy(
            actor=acct.root, role_name=name, policy_name="p", document=json.dumps(policy)
        )
    return role


def session_creds(response: dict) -> Creds:
    c = response["Credentials"]
    return Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


@pytest.fixture
def oidc(api: Any, root_iam: Any) -> SimpleNamespace:
    """The built-in issuer ``lab`` of this live server, registered in account A."""
    url = f"{api.url}/testidp/lab"
    arn = root_iam.create_open_id_connect_provider(Url=url, ClientIDList=[AUD])[
        "OpenIDConnectProviderArn"
    ]
    return SimpleNamespace(url=url, arn=arn, prefix=url.split("://", 1)[1])


def mint(api: Any, issuer: str = "lab", **kw: Any) -> str:
    from accounts.testidp import mint_web_identity_token

    kw.setdefault("aud", AUD)
    kw.setdefault("sub", SUB)
    return mint_web_identity_token(issuer, base_url=api.url, **kw)


@pytest.fixture
def deployer(acct: Any, oidc: SimpleNamespace):
    """A role trusting the provider for one repository's main branch."""
    condition = {
        "StringEquals": {f"{oidc.prefix}:aud": AUD, f"{oidc.prefix}:sub": SUB},
    }
    return make_role(
        acct,
        "deployer",
        web_trust(oidc.arn, condition),
        policy=allow(["iam:ListRoles", "iam:GetRole"]),
    )


def assume(api: Any, role: Any, token: str, **kw: Any) -> dict:
    return unsigned_sts(api).assume_role_with_web_identity(
        RoleArn=role.arn,
        RoleSessionName=kw.pop("RoleSessionName", "gha"),
        WebIdentityToken=token,
        **kw,
    )


def test_a_good_token_gives_a_role_session_with_the_models_output(api, acct, oidc, deployer):
    before = time.time()
    out = assume(api, deployer, mint(api))
    assert out["SubjectFromWebIdentityToken"] == SUB
    assert out["Audience"] == AUD
    assert out["Provider"] == oidc.arn
    assert out["AssumedRoleUser"] == {
        "Arn": f"arn:aws:sts::{ACCOUNT_A}:assumed-role/deployer/gha",
        "AssumedRoleId": f"{deployer.unique_id}:gha",
    }
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["SecretAccessKey"]) == 40
    assert abs(creds["Expiration"].timestamp() - before - 3600) < 30  # one hour by default
    assert "PackedPolicySize" not in out
    session = session_creds(out)
    ident = api.sts(session).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{ACCOUNT_A}:assumed-role/deployer/gha"
    assert ident["UserId"] == f"{deployer.unique_id}:gha"
    assert api.iam(session).get_role(RoleName="deployer")["Role"]["Arn"] == deployer.arn
    with pytest.raises(ClientError) as exc:
        api.iam(session).list_users()
    assert error_code(exc) == "AccessDenied"


def test_the_call_is_served_unsigned_over_plain_http(api, oidc, deployer):
    from urllib.parse import urlencode

    body = urlencode(
        {
            "Action": "AssumeRoleWithWebIdentity",
            "Version": "2011-06-15",
            "RoleArn": deployer.arn,
            "RoleSessionName": "raw",
            "WebIdentityToken": mint(api),
        }
    ).encode()
    request = urllib.request.Request(api.url + "/", data=body, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(request) as response:  # noqa: S310 - the live test server
        text = response.read().decode()
        assert response.headers["Cache-Control"] == "no-store"
    assert "<AssumeRoleWithWebIdentityResponse" in text and "<SessionToken>" in text


def test_other_actions_still_need_a_signature(api):
    for body in (
        b"Action=GetCallerIdentity&Version=2011-06-15",
        b"Action=GetFederationToken&Version=2011-06-15&Name=bob",
        b"Action=AssumeRoleWithWebIdentity&Version=2010-05-08",  # IAM's version: not STS's
    ):
        request = urllib.request.Request(api.url + "/", data=body, method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(request)  # noqa: S310
        assert exc.value.code == 403
        assert b"<Code>MissingAuthenticationToken</Code>" in exc.value.read()


def test_a_client_with_credentials_configured_works_too(api, acct, oidc, deployer):
    # botocore sends this operation unsigned even when credentials are configured.
    out = api.sts(acct.root_creds).assume_role_with_web_identity(
        RoleArn=deployer.arn, RoleSessionName="s2", WebIdentityToken=mint(api)
    )
    assert out["AssumedRoleUser"]["Arn"].endswith(":assumed-role/deployer/s2")


def test_an_es256_token_is_verified_too(api, oidc, deployer):
    out = assume(api, deployer, mint(api, algorithm="ES256"))
    assert out["SubjectFromWebIdentityToken"] == SUB


def tampered(token: str, **changes: Any) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{body}.{signature}"


def test_a_bad_signature_is_an_invalid_identity_token(api, oidc, deployer):
    with pytest.raises(ClientError) as exc:
        assume(api, deployer, tampered(mint(api, sub="repo:org/app:pull_request"), sub=SUB))
    assert error_code(exc) == "InvalidIdentityToken"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_token_of_another_issuers_key_is_refused(api, oidc, deployer):
    token = mint(api, issuer="intruder", claims={"iss": oidc.url})  # right iss, wrong key
    with pytest.raises(ClientError) as exc:
        assume(api, deployer, token)
    assert error_code(exc) in ("InvalidIdentityToken",)


def test_an_issuer_with_no_provider_in_the_account_is_named(api, oidc, deployer):
    token = mint(api, issuer="elsewhere")
    with pytest.raises(ClientError) as exc:
        assume(api, deployer, token)
    assert (error_code(exc), message(exc)) == (
        "InvalidIdentityToken",
        f"No OpenIDConnect provider found in your account for {api.url}/testidp/elsewhere",
    )


def test_a_role_of_an_account_unknown_here_finds_no_provider(api, oidc):
    from audit.models import AuditEvent

    elsewhere = SimpleNamespace(arn="arn:aws:iam::999999999999:role/deployer")
    with pytest.raises(ClientError) as exc:
        assume(api, elsewhere, mint(api))
    assert (error_code(exc), message(exc)) == (
        "InvalidIdentityToken",
        f"No OpenIDConnect provider found in your account for {oidc.url}",
    )
    assert not AuditEvent.objects.filter(event_name="AssumeRoleWithWebIdentity").exists()


def test_a_wrong_audience_is_incorrect_token_audience(api, oidc, deployer):
    with pytest.raises(ClientError) as exc:
        assume(api, deployer, mint(api, aud="some-other-client"))
    assert (error_code(exc), message(exc)) == ("InvalidIdentityToken", "Incorrect token audience")
    with pytest.raises(ClientError) as exc:
        assume(api, deployer, mint(api, claims={"aud": None}))
    assert message(exc) == "Missing a required claim: aud"


def test_azp_or_any_listed_audience_is_accepted(api, acct, oidc):
    role = make_role(acct, "open", web_trust(oidc.arn))
    out = assume(api, role, mint(api, aud=["other", AUD]))
    assert out["Audience"] == AUD
    out = assume(api, role, mint(api, aud="web-client", claims={"azp": AUD}))
    assert out["Audience"] == AUD


def test_an_expired_token_is_expired_token_exception(api, oidc, deployer):
    with pytest.raises(ClientError) as exc:
        assume(api, deployer, mint(api, lifetime=-60))
    assert error_code(exc) == "ExpiredTokenException"
    assert message(exc).startswith("Token expired: current date/time ")
    assert " must be before the expiration date/time " in message(exc)


def test_a_token_not_yet_valid_is_refused(api, oidc, deployer):
    later = int(time.time()) + 3600
    with pytest.raises(ClientError) as exc:
        assume(api, deployer, mint(api, claims={"nbf": later, "exp": later + 3600}))
    assert error_code(exc) == "InvalidIdentityToken"


def test_garbage_is_an_invalid_identity_token(api, deployer):
    for token in ("not-a-jwt", "a.b.c", mint(api).rsplit(".", 1)[0] + ".", "e30.e30.e30"):
        with pytest.raises(ClientError) as exc:
            assume(api, deployer, token)
        assert error_code(exc) == "InvalidIdentityToken"


def test_a_sub_the_trust_policy_does_not_allow_is_access_denied(api, oidc, deployer):
    with pytest.raises(ClientError) as exc:
        assume(api, deployer, mint(api, sub="repo:org/app:ref:refs/heads/feature"))
    assert (error_code(exc), message(exc)) == (
        "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
    )
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_an_unknown_role_or_a_role_not_trusting_the_provider_is_access_denied(api, acct, oidc):
    from accounts.operations.roles import create_role

    missing = SimpleNamespace(arn=f"arn:aws:iam::{ACCOUNT_A}:role/nobody")
    with pytest.raises(ClientError) as exc:
        assume(api, missing, mint(api))
    assert message(exc) == "Not authorized to perform sts:AssumeRoleWithWebIdentity"
    plain = create_role(
        actor=acct.root,
        name="plain",
        trust_policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_A}:root"},
                        "Action": "sts:AssumeRoleWithWebIdentity",
                    }
                ],
            }
        ),
    )
    with pytest.raises(ClientError) as exc:
        assume(api, plain, mint(api))
    assert error_code(exc) == "AccessDenied"


def test_string_like_amr_and_session_name_conditions(api, acct, oidc):
    condition = {
        "StringLike": {f"{oidc.prefix}:sub": "repo:org/*"},
        "ForAnyValue:StringEquals": {f"{oidc.prefix}:amr": "mfa"},
        "StringEquals": {"sts:RoleSessionName": "ci"},
    }
    role = make_role(acct, "mfa-only", web_trust(oidc.arn, condition))
    assert assume(api, role, mint(api, claims={"amr": ["pwd", "mfa"]}), RoleSessionName="ci")
    with pytest.raises(ClientError):
        assume(api, role, mint(api, claims={"amr": ["pwd"]}), RoleSessionName="ci")
    with pytest.raises(ClientError):
        assume(api, role, mint(api, claims={"amr": ["mfa"]}), RoleSessionName="other")


def test_session_policies_and_durations(api, acct, oidc, deployer):
    out = assume(
        api,
        deployer,
        mint(api),
        Policy=json.dumps(allow("iam:GetRole")),
        DurationSeconds=900,
    )
    assert isinstance(out["PackedPolicySize"], int)
    session = session_creds(out)
    assert api.iam(session).get_role(RoleName="deployer")
    with pytest.raises(ClientError) as exc:
        api.iam(session).list_roles()  # the role allows it; the session policy does not
    assert error_code(exc) == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        assume(api, deployer, mint(api), DurationSeconds=7200)  # over the role's maximum
    assert (error_code(exc), message(exc)) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    )
    with pytest.raises(ClientError) as exc:
        assume(api, deployer, mint(api), Policy="{not json")
    assert error_code(exc) == "MalformedPolicyDocument"


def test_session_tags_from_the_token_need_tag_session(api, acct, oidc):
    tags_claim = {
        "https://aws.amazon.com/tags": {
            "principal_tags": {"team": ["blue"]},
            "transitive_tag_keys": ["team"],
        }
    }
    plain = make_role(acct, "untagged", web_trust(oidc.arn))
    with pytest.raises(ClientError) as exc:
        assume(api, plain, mint(api, claims=tags_claim))
    assert error_code(exc) == "AccessDenied"
    tagging = make_role(
        acct,
        "tagged",
        web_trust(
            oidc.arn,
            {"StringEquals": {"aws:RequestTag/team": "blue"}},
            actions=["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
        ),
        policy=allow("iam:GetRole"),
    )
    out = assume(api, tagging, mint(api, claims=tags_claim))
    assert out["PackedPolicySize"] >= 1
    from accounts.models import TemporaryCredential

    cred = TemporaryCredential.objects.get(access_key_id=out["Credentials"]["AccessKeyId"])
    assert cred.session_tags == [{"Key": "team", "Value": "blue", "Transitive": True}]
    assert cred.source_arn == oidc.arn


def test_events_are_recorded_in_the_roles_account(api, acct, oidc, deployer):
    from audit.models import AuditEvent

    assume(api, deployer, mint(api))
    with pytest.raises(ClientError):
        assume(api, deployer, mint(api, sub="repo:evil/app:ref:refs/heads/main"))
    events = AuditEvent.objects.filter(account_id=ACCOUNT_A, event_name="AssumeRoleWithWebIdentity")
    assert [(e.allowed, e.actor_arn) for e in events.order_by("time", "id")] == [
        (True, oidc.arn),
        (False, "anonymous"),
    ]


# -- an external issuer: discovery and JWKS over (stubbed) HTTPS ---------------------------


class _Response:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def read(self, limit: int = -1) -> bytes:
        return self.body

    def __enter__(self) -> _Response:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sign(key: Any, alg: str, claims: dict, kid: str = "k1") -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    head = _b64(json.dumps({"alg": alg, "kid": kid}).encode())
    body = _b64(json.dumps(claims).encode())
    data = f"{head}.{body}".encode()
    if alg == "RS384":
        sig = key.sign(data, padding.PKCS1v15(), hashes.SHA384())
    else:  # PS256
        sig = key.sign(
            data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256()
        )
    return f"{head}.{body}.{_b64(sig)}"


@pytest.fixture
def external(monkeypatch: Any, acct: Any, root_iam: Any) -> SimpleNamespace:
    """``https://idp.example.com`` with an RSA key, its documents served by a stub of
    urllib's urlopen (the live server runs in this process); fetches are counted."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    from accounts.operations import federation

    federation._keys_cache.clear()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()
    jwk = {
        "kty": "RSA",
        "kid": "k1",
        "n": _b64(numbers.n.to_bytes(256, "big")),
        "e": _b64(numbers.e.to_bytes(3, "big")),
    }
    issuer = "https://idp.example.com"
    documents = {
        f"{issuer}/.well-known/openid-configuration": {
            "issuer": issuer,
            "jwks_uri": f"{issuer}/keys",
        },
        f"{issuer}/keys": {"keys": [jwk]},
    }
    fetched: list[str] = []
    state = SimpleNamespace(down=False)

    def fake_urlopen(request: Any, timeout: float = 0) -> _Response:
        url = request.full_url
        fetched.append(url)
        assert timeout == federation.FETCH_TIMEOUT
        if state.down:
            raise urllib.error.URLError("connection refused")
        if url not in documents:
            raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)  # type: ignore[arg-type]
        return _Response(json.dumps(documents[url]).encode())

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    arn = root_iam.create_open_id_connect_provider(Url=issuer, ClientIDList=["app"])[
        "OpenIDConnectProviderArn"
    ]
    role = make_role(
        acct,
        "external",
        web_trust(arn, {"StringEquals": {"idp.example.com:sub": "alice"}}),
    )
    yield SimpleNamespace(
        key=key, issuer=issuer, arn=arn, role=role, fetched=fetched, state=state, docs=documents
    )
    federation._keys_cache.clear()


def _claims(issuer: str, **extra: Any) -> dict:
    now = int(time.time())
    return {"iss": issuer, "sub": "alice", "aud": "app", "iat": now, "exp": now + 300, **extra}


def test_an_external_issuers_keys_are_fetched_once_and_kept(api, external):
    for alg in ("RS384", "PS256"):
        token = _sign(external.key, alg, _claims(external.issuer))
        out = assume(api, external.role, token)
        assert out["Provider"] == external.arn
    assert external.fetched == [
        f"{external.issuer}/.well-known/openid-configuration",
        f"{external.issuer}/keys",
    ]


def test_an_unreachable_issuer_is_idp_communication_error(api, external):
    external.state.down = True
    with pytest.raises(ClientError) as exc:
        assume(api, external.role, _sign(external.key, "RS384", _claims(external.issuer)))
    assert error_code(exc) == "IDPCommunicationError"


def test_an_issuer_without_usable_keys_is_couldnt_retrieve_verification_key(api, external):
    external.docs[f"{external.issuer}/keys"] = {"keys": []}
    with pytest.raises(ClientError) as exc:
        assume(api, external.role, _sign(external.key, "RS384", _claims(external.issuer)))
    assert (error_code(exc), message(exc)) == (
        "InvalidIdentityToken",
        "Couldn't retrieve verification key from your identity provider,  please reference "
        "AssumeRoleWithWebIdentity documentation for requirements",
    )


def test_unsafe_algorithms_are_never_accepted():
    from accounts.operations.federation import verify_jwt_signature

    unsigned = _b64(b'{"alg":"none"}') + "." + _b64(b'{"sub":"x"}') + "."
    assert verify_jwt_signature(unsigned, {"keys": []}) is None
    hmac = _b64(b'{"alg":"HS256"}') + "." + _b64(b'{"sub":"x"}') + "." + _b64(b"sig")
    assert verify_jwt_signature(hmac, {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}) is None


def test_the_test_idp_publishes_discovery_and_jwks(api):
    mint(api)  # makes the issuer
    with urllib.request.urlopen(f"{api.url}/testidp/lab/.well-known/openid-configuration") as r:  # noqa: S310
        config = json.loads(r.read())
    assert config["issuer"] == f"{api.url}/testidp/lab"
    assert config["jwks_uri"] == f"{api.url}/testidp/lab/jwks.json"
    with urllib.request.urlopen(config["jwks_uri"]) as r:  # noqa: S310
        keys = json.loads(r.read())["keys"]
    assert {k["kty"] for k in keys} == {"RSA", "EC"} and all("d" not in k for k in keys)
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(f"{api.url}/testidp/unknown/jwks.json")  # noqa: S310
    assert exc.value.code == 404
