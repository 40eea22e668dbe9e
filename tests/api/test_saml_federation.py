"""AssumeRoleWithSAML through boto3 against the live server, with responses of the
built-in test IdP (accounts/testidp.py): the XML signature verified against the
provider metadata's certificate, issuer, audience and recipient, validity, the Role
attribute's role/provider pair, RoleSessionName, the ``saml:*`` trust keys, AWS's texts."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from types import SimpleNamespace
from typing import Any

import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_A, Creds, allow, error_code

ATTR = "https://aws.amazon.com/SAML/Attributes/"


def message(exc_info: Any) -> str:
    return exc_info.value.response["Error"]["Message"]


def unsigned_sts(api: Any) -> Any:
    return api.session.client(
        "sts",
        endpoint_url=api.url,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )


def saml_trust(
    provider_arn: str, condition: dict | None = None, actions: list | None = None
) -> str:
    statement: dict = {
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": actions or ["sts:AssumeRoleWithSAML"],
        "Condition": condition
        or {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
    }
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


@pytest.fixture
def idp(api: Any, acct: Any, root_iam: Any) -> SimpleNamespace:
    """The built-in issuer ``corp`` registered as SAML provider Corp, and a role
    ``admins`` trusting it."""
    from accounts import testidp

    metadata = testidp.saml_metadata("corp", base_url=api.url)
    arn = root_iam.create_saml_provider(Name="Corp", SAMLMetadataDocument=metadata)[
        "SAMLProviderArn"
    ]
    role = make_role(acct, "admins", saml_trust(arn), policy=allow("iam:GetRole"))
    return SimpleNamespace(arn=arn, role=role, issuer=f"{api.url}/testidp/corp")


def response(api: Any, idp: SimpleNamespace, *, issuer: str = "corp", **kw: Any) -> str:
    from accounts import testidp

    kw.setdefault("role_arn", idp.role.arn)
    kw.setdefault("provider_arn", idp.arn)
    kw.setdefault("subject", "alice@example.com")
    return testidp.mint_saml_response(issuer, base_url=api.url, **kw)


def assume(api: Any, idp: SimpleNamespace, assertion: str, **kw: Any) -> dict:
    return unsigned_sts(api).assume_role_with_saml(
        RoleArn=kw.pop("RoleArn", idp.role.arn),
        PrincipalArn=kw.pop("PrincipalArn", idp.arn),
        SAMLAssertion=assertion,
        **kw,
    )


def rewrite(assertion: str, old: str, new: str) -> str:
    xml = base64.b64decode(assertion).decode()
    assert old in xml
    return base64.b64encode(xml.replace(old, new, 1).encode()).decode()


def test_a_good_assertion_gives_a_role_session_with_the_models_output(api, acct, idp):
    out = assume(api, idp, response(api, idp, session_name="alice"))
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_A}:assumed-role/admins/alice"
    assert out["AssumedRoleUser"]["AssumedRoleId"] == f"{idp.role.unique_id}:alice"
    assert out["Subject"] == "alice@example.com"
    assert out["SubjectType"] == "persistent"  # the nameid-format prefix removed
    assert out["Issuer"] == idp.issuer
    assert out["Audience"] == "https://signin.aws.amazon.com/saml"
    expected = base64.b64encode(
        hashlib.sha1(f"{idp.issuer}{ACCOUNT_A}/Corp".encode()).digest()  # noqa: S324 - AWS's
    ).decode()
    assert out["NameQualifier"] == expected
    creds = out["Credentials"]
    session = Creds(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    ident = api.sts(session).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{ACCOUNT_A}:assumed-role/admins/alice"
    assert api.iam(session).get_role(RoleName="admins")["Role"]["Arn"] == idp.role.arn


def test_a_tampered_assertion_is_response_signature_invalid(api, idp):
    forged = rewrite(
        response(api, idp), "alice@example.com</saml:NameID>", "root@example.com</saml:NameID>"
    )
    with pytest.raises(ClientError) as exc:
        assume(api, idp, forged)
    assert (error_code(exc), message(exc)) == ("InvalidIdentityToken", "Response signature invalid")


def test_an_assertion_signed_by_another_key_is_response_signature_invalid(api, idp):
    other = response(api, idp, issuer="intruder")
    forged = rewrite(
        other, f"{api.url}/testidp/intruder</saml:Issuer>", f"{idp.issuer}</saml:Issuer>"
    )
    with pytest.raises(ClientError) as exc:
        assume(api, idp, forged)
    assert message(exc) == "Response signature invalid"


def test_an_unsigned_assertion_is_refused(api, idp):
    xml = base64.b64decode(response(api, idp)).decode()
    stripped = re.sub(r"<ds:Signature.*?</ds:Signature>", "", xml, flags=re.S)
    with pytest.raises(ClientError) as exc:
        assume(api, idp, base64.b64encode(stripped.encode()).decode())
    assert message(exc) == "Response signature invalid"


def test_a_wrapped_second_assertion_is_refused(api, idp):
    xml = base64.b64decode(response(api, idp)).decode()
    start = xml.index("<saml:Assertion")
    evil = xml[start:].replace("</samlp:Response>", "").replace("alice@example.com", "eve")
    evil = re.sub(r'ID="[^"]+"', 'ID="_evil"', evil, count=1)
    wrapped = xml.replace("</samlp:Response>", evil + "</samlp:Response>")
    with pytest.raises(ClientError) as exc:
        assume(api, idp, base64.b64encode(wrapped.encode()).decode())
    assert error_code(exc) == "InvalidIdentityToken"


def test_the_issuer_must_be_the_metadatas(api, acct, root_iam, idp):
    from accounts import testidp

    # The same key, published under another entity id: signature good, issuer not.
    other = testidp.saml_metadata("corp", base_url="https://elsewhere.example.com")
    arn = root_iam.create_saml_provider(Name="Elsewhere", SAMLMetadataDocument=other)[
        "SAMLProviderArn"
    ]
    role = make_role(acct, "elsewhere", saml_trust(arn))
    assertion = response(api, idp, role_arn=role.arn, provider_arn=arn)
    with pytest.raises(ClientError) as exc:
        assume(api, idp, assertion, RoleArn=role.arn, PrincipalArn=arn)
    assert (error_code(exc), message(exc)) == (
        "InvalidIdentityToken",
        "Issuer not present in specified provider",
    )


def test_an_expired_assertion_is_expired_token_exception(api, idp):
    with pytest.raises(ClientError) as exc:
        assume(api, idp, response(api, idp, lifetime=-60))
    assert (error_code(exc), message(exc)) == (
        "ExpiredTokenException",
        "Token must be redeemed within 5 minutes of issuance",
    )


def test_an_assertion_for_another_audience_or_recipient_is_refused(api, idp):
    with pytest.raises(ClientError) as exc:
        assume(api, idp, response(api, idp, audience="https://app.example.com/saml"))
    assert error_code(exc) == "InvalidIdentityToken"
    with pytest.raises(ClientError) as exc:
        assume(api, idp, response(api, idp, recipient="https://app.example.com/acs"))
    assert error_code(exc) == "InvalidIdentityToken"
    out = assume(api, idp, response(api, idp, audience="urn:amazon:webservices"))
    assert out["Audience"] == "https://signin.aws.amazon.com/saml"  # from the Recipient


def test_the_role_pair_must_name_the_calls_role_and_provider(api, acct, idp):
    other = make_role(acct, "others", saml_trust(idp.arn))
    assertion = response(api, idp, role_arn=other.arn)  # the assertion grants "others" only
    with pytest.raises(ClientError) as exc:
        assume(api, idp, assertion)
    assert (error_code(exc), message(exc)) == (
        "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithSAML",
    )
    assert assume(api, idp, assertion, RoleArn=other.arn)  # in either order of the pair
    reversed_pair = rewrite(
        response(api, idp), f"{idp.role.arn},{idp.arn}", f"{idp.arn},{idp.role.arn}"
    )
    with pytest.raises(ClientError):  # editing the pair breaks the signature
        assume(api, idp, reversed_pair)


def test_an_unknown_provider_is_specified_provider_doesnt_exist(api, idp):
    missing = f"arn:aws:iam::{ACCOUNT_A}:saml-provider/Nobody"
    with pytest.raises(ClientError) as exc:
        assume(api, idp, response(api, idp, provider_arn=missing), PrincipalArn=missing)
    assert (error_code(exc), message(exc)) == (
        "InvalidIdentityToken",
        "Specified provider doesn't exist.",
    )


def test_role_session_name_is_required_and_checked(api, idp):
    no_name = rewrite(
        response(api, idp, session_name="alice"),
        f'<saml:Attribute Name="{ATTR}RoleSessionName"><saml:AttributeValue>alice'
        "</saml:AttributeValue></saml:Attribute>",
        "",
    )
    with pytest.raises(ClientError) as exc:  # removing it also breaks the signature
        assume(api, idp, no_name)
    assert error_code(exc) == "InvalidIdentityToken"
    with pytest.raises(ClientError) as exc:
        assume(api, idp, response(api, idp, session_name="John Doe"))
    assert (error_code(exc), message(exc)) == (
        "InvalidIdentityToken",
        "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
    )


def test_saml_keys_in_the_trust_policy(api, acct, idp):
    condition = {
        "StringEquals": {
            "SAML:aud": "https://signin.aws.amazon.com/saml",
            "saml:sub": "alice@example.com",
            "saml:sub_type": "persistent",
            "saml:iss": idp.issuer,
            "saml:doc": f"{ACCOUNT_A}/Corp",
        },
        "ForAnyValue:StringEquals": {"saml:edupersonaffiliation": "staff"},
    }
    role = make_role(acct, "staff", saml_trust(idp.arn, condition))
    affiliation = {"urn:oid:1.3.6.1.4.1.5923.1.1.1.1": ["member", "staff"]}
    assert assume(
        api,
        idp,
        response(api, idp, role_arn=role.arn, attributes=affiliation),
        RoleArn=role.arn,
    )
    with pytest.raises(ClientError) as exc:
        assume(
            api,
            idp,
            response(
                api, idp, role_arn=role.arn, subject="bob@example.com", attributes=affiliation
            ),
            RoleArn=role.arn,
        )
    assert error_code(exc) == "AccessDenied"
    with pytest.raises(ClientError):
        assume(
            api,
            idp,
            response(
                api, idp, role_arn=role.arn, subject_format="transient", attributes=affiliation
            ),
            RoleArn=role.arn,
        )


def test_session_duration_attribute_shortens_the_session(api, idp):
    import time

    before = time.time()
    out = assume(api, idp, response(api, idp, session_duration=900))
    assert abs(out["Credentials"]["Expiration"].timestamp() - before - 900) < 30
    with pytest.raises(ClientError) as exc:
        assume(api, idp, response(api, idp), DurationSeconds=7200)
    assert error_code(exc) == "ValidationError"


def test_principal_tags_need_tag_session(api, acct, idp):
    tag = {f"{ATTR}PrincipalTag:Project": "Pegasus"}
    with pytest.raises(ClientError) as exc:
        assume(api, idp, response(api, idp, attributes=tag))
    assert error_code(exc) == "AccessDenied"
    role = make_role(
        acct,
        "tagged",
        saml_trust(idp.arn, actions=["sts:AssumeRoleWithSAML", "sts:TagSession"]),
    )
    out = assume(api, idp, response(api, idp, role_arn=role.arn, attributes=tag), RoleArn=role.arn)
    from accounts.models import TemporaryCredential

    cred = TemporaryCredential.objects.get(access_key_id=out["Credentials"]["AccessKeyId"])
    assert cred.session_tags == [{"Key": "Project", "Value": "Pegasus"}]


def test_garbage_is_an_invalid_identity_token(api, idp):
    for assertion in (
        "!!!!",
        base64.b64encode(b"<not-xml").decode(),
        base64.b64encode(b"<a/>").decode(),
    ):
        with pytest.raises(ClientError) as exc:
            assume(api, idp, assertion)
        assert error_code(exc) == "InvalidIdentityToken"
