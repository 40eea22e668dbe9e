"""STS over the Query API: caller identity, AssumeRole (same and cross account,
session policies, MFA, tags, durations), GetSessionToken, and SigV4 refusals."""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_A, ACCOUNT_B, Creds, allow, error_code


def trust(principal: str | dict, **condition: dict) -> str:
    statement: dict = {
        "Effect": "Allow",
        "Principal": principal if isinstance(principal, dict) else {"AWS": principal},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def make_role(account, name: str, trust_policy: str, policy: dict | None = None, **kw):
    from accounts.operations.roles import create_role
    from policies.operations import put_role_policy

    role = create_role(actor=account.root, name=name, trust_policy=trust_policy, **kw)
    if policy is not None:
        put_role_policy(
            actor=account.root, role_name=name, policy_name="p", document=json.dumps(policy)
        )
    return role


def session_creds(response: dict) -> Creds:
    c = response["Credentials"]
    return Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


def test_get_caller_identity_for_root_user_and_role_session(api, acct):
    root = api.sts(acct.root_creds).get_caller_identity()
    assert root["Arn"] == f"arn:aws:iam::{ACCOUNT_A}:root" and root["Account"] == ACCOUNT_A
    user, creds = acct.make_user("ann")
    me = api.sts(creds).get_caller_identity()
    assert me["Arn"] == user.arn and me["UserId"] == user.unique_id
    role = make_role(acct, "dev", trust(user.arn))
    assumed = api.sts(creds).assume_role(RoleArn=role.arn, RoleSessionName="s1")
    assert assumed["Credentials"]["AccessKeyId"].startswith("ASIA")
    assert len(assumed["Credentials"]["SecretAccessKey"]) == 40
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_A}:assumed-role/dev/s1"
    ident = api.sts(session_creds(assumed)).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{ACCOUNT_A}:assumed-role/dev/s1"
    assert ident["UserId"] == f"{role.unique_id}:s1"


def test_same_account_trust_naming_the_user_suffices_but_naming_the_account_needs_identity_policy(
    api, acct
):
    user, creds = acct.make_user("bea")
    direct = make_role(acct, "direct", trust(user.arn))
    delegated = make_role(acct, "delegated", trust(f"arn:aws:iam::{ACCOUNT_A}:root"))
    sts = api.sts(creds)
    sts.assume_role(RoleArn=direct.arn, RoleSessionName="s0")
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=delegated.arn, RoleSessionName="s0")
    assert error_code(exc) == "AccessDenied"
    _, allowed = acct.make_user("cal", policy=allow("sts:AssumeRole", delegated.arn))
    api.sts(allowed).assume_role(RoleArn=delegated.arn, RoleSessionName="s0")


def test_root_may_not_assume_roles_and_unknown_roles_are_denied(api, acct):
    role = make_role(acct, "r", trust(f"arn:aws:iam::{ACCOUNT_A}:root"))
    with pytest.raises(ClientError) as exc:
        api.sts(acct.root_creds).assume_role(RoleArn=role.arn, RoleSessionName="s0")
    assert error_code(exc) == "AccessDenied"
    assert "Roles may not be assumed by root accounts" in exc.value.response["Error"]["Message"]
    _, creds = acct.make_user("dee", policy=allow())
    with pytest.raises(ClientError) as exc:
        api.sts(creds).assume_role(
            RoleArn=f"arn:aws:iam::{ACCOUNT_A}:role/missing", RoleSessionName="s0"
        )
    assert error_code(exc) == "AccessDenied"


def test_role_assumed_across_accounts_needs_both_sides(api, acct, acct_b):
    role = make_role(
        acct_b, "cross", trust(f"arn:aws:iam::{ACCOUNT_A}:root"), policy=allow("iam:ListUsers")
    )
    _, without = acct.make_user("eve")
    with pytest.raises(ClientError) as exc:
        api.sts(without).assume_role(RoleArn=role.arn, RoleSessionName="s0")
    assert error_code(exc) == "AccessDenied"
    _, creds = acct.make_user("fin", policy=allow("sts:AssumeRole", role.arn))
    assumed = api.sts(creds).assume_role(RoleArn=role.arn, RoleSessionName="visit")
    session = session_creds(assumed)
    ident = api.sts(session).get_caller_identity()
    assert ident["Account"] == ACCOUNT_B
    b_iam = api.iam(session)
    assert b_iam.list_users()["Users"] == []  # account B's users
    with pytest.raises(ClientError) as exc:
        b_iam.create_user(UserName="intruder")
    assert error_code(exc) == "AccessDenied"
    # The other account's role does not trust this one's users otherwise.
    untrusting = make_role(acct_b, "closed", trust(f"arn:aws:iam::{ACCOUNT_B}:root"))
    _, any_user = acct.make_user("gil", policy=allow("sts:AssumeRole"))
    with pytest.raises(ClientError) as exc:
        api.sts(any_user).assume_role(RoleArn=untrusting.arn, RoleSessionName="s0")
    assert error_code(exc) == "AccessDenied"


def test_session_policy_narrows_the_role(api, acct):
    user, creds = acct.make_user("hui")
    role = make_role(acct, "admin", trust(user.arn), policy=allow("iam:*"))
    sts = api.sts(creds)
    narrow = sts.assume_role(
        RoleArn=role.arn,
        RoleSessionName="narrow",
        Policy=json.dumps(allow("iam:ListUsers")),
    )
    assert narrow["PackedPolicySize"] > 0
    iam = api.iam(session_creds(narrow))
    iam.list_users()
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName="x")
    assert error_code(exc) == "AccessDenied"
    assert "session policy" in exc.value.response["Error"]["Message"]
    managed = sts.assume_role(
        RoleArn=role.arn,
        RoleSessionName="managed",
        PolicyArns=[{"arn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}],
    )
    iam = api.iam(session_creds(managed))
    iam.list_roles()
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName="x")
    assert error_code(exc) == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=role.arn, RoleSessionName="bad", Policy='{"Statement": 1}')
    assert error_code(exc) == "MalformedPolicyDocument"
    tags = [{"Key": f"k{i:03d}" + "x" * 120, "Value": "v" * 250} for i in range(20)]
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=role.arn, RoleSessionName="big", Tags=tags)
    assert error_code(exc) == "PackedPolicyTooLarge"


def test_durations_external_id_and_session_tags(api, acct):
    user, creds = acct.make_user("ida")
    role = make_role(
        acct,
        "ext",
        trust(user.arn, StringEquals={"sts:ExternalId": "secret-123"}),
        policy=allow(
            "iam:ListUsers", Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}}
        ),
        max_session_duration=7200,
    )
    sts = api.sts(creds)
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=role.arn, RoleSessionName="s0")
    assert error_code(exc) == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        sts.assume_role(
            RoleArn=role.arn, RoleSessionName="s0", ExternalId="secret-123", DurationSeconds=7201
        )
    assert error_code(exc) == "ValidationError"
    long = sts.assume_role(
        RoleArn=role.arn,
        RoleSessionName="s0",
        ExternalId="secret-123",
        DurationSeconds=7200,
        Tags=[{"Key": "team", "Value": "blue"}],
    )
    span = (
        long["Credentials"]["Expiration"]
        - long["ResponseMetadata"]["HTTPHeaders"].get("date", None)
        if False
        else None
    )
    del span
    from accounts.models import TemporaryCredential

    cred = TemporaryCredential.objects.get(access_key_id=long["Credentials"]["AccessKeyId"])
    assert cred.expires - cred.issued == timedelta(seconds=7200)
    api.iam(session_creds(long)).list_users()  # the session tag satisfies the role policy
    untagged = sts.assume_role(RoleArn=role.arn, RoleSessionName="tt", ExternalId="secret-123")
    with pytest.raises(ClientError) as exc:
        api.iam(session_creds(untagged)).list_users()
    assert error_code(exc) == "AccessDenied"


def test_role_chaining_is_limited_to_one_hour(api, acct):
    user, creds = acct.make_user("jan")
    first = make_role(acct, "first", trust(user.arn), policy=allow("sts:AssumeRole"))
    second = make_role(acct, "second", trust(first.arn), max_session_duration=7200)
    hop = session_creds(api.sts(creds).assume_role(RoleArn=first.arn, RoleSessionName="aa"))
    with pytest.raises(ClientError) as exc:
        api.sts(hop).assume_role(RoleArn=second.arn, RoleSessionName="bb", DurationSeconds=7200)
    assert error_code(exc) == "ValidationError"
    chained = api.sts(hop).assume_role(RoleArn=second.arn, RoleSessionName="bb")
    assert chained["AssumedRoleUser"]["Arn"].endswith(":assumed-role/second/bb")


def _enable_mfa(acct, user_name: str) -> tuple[str, bytes]:
    from accounts.operations.credentials import create_virtual_mfa_device, enable_mfa_device
    from accounts.totp import code_at, current_step

    new = create_virtual_mfa_device(actor=acct.root, name=f"{user_name}-mfa")
    t = current_step()
    enable_mfa_device(
        actor=acct.root,
        user_name=user_name,
        serial_number=new.device.serial_number,
        code1=code_at(new.seed, t - 1),
        code2=code_at(new.seed, t),
    )
    return new.device.serial_number, new.seed


def _next_code(seed: bytes) -> str:
    from accounts.totp import code_at, current_step

    return code_at(seed, current_step() + 1)  # the current step was used to enable


def test_mfa_protected_action_needs_get_session_token_with_mfa(api, acct):
    policy = allow("iam:ListUsers", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})
    _, creds = acct.make_user("kai", policy=policy)
    serial, seed = _enable_mfa(acct, "kai")
    with pytest.raises(ClientError) as exc:
        api.iam(creds).list_users()
    assert error_code(exc) == "AccessDenied"
    sts = api.sts(creds)
    with pytest.raises(ClientError) as exc:
        sts.get_session_token(SerialNumber=serial, TokenCode="000000")
    assert error_code(exc) == "AccessDenied"
    plain = session_creds(sts.get_session_token(DurationSeconds=900))
    with pytest.raises(ClientError) as exc:
        api.iam(plain).list_users()
    assert error_code(exc) == "InvalidClientTokenId"  # IAM needs MFA with session tokens
    assert api.sts(plain).get_caller_identity()["Arn"].endswith(":user/kai")
    with_mfa = session_creds(sts.get_session_token(SerialNumber=serial, TokenCode=_next_code(seed)))
    api.iam(with_mfa).list_users()
    with pytest.raises(ClientError) as exc:
        api.sts(with_mfa).get_session_token()
    assert error_code(exc) == "AccessDenied"


def test_assume_role_with_mfa_satisfies_the_trust_policy(api, acct):
    user, creds = acct.make_user("lou")
    serial, seed = _enable_mfa(acct, "lou")
    role = make_role(acct, "guarded", trust(user.arn, Bool={"aws:MultiFactorAuthPresent": "true"}))
    sts = api.sts(creds)
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=role.arn, RoleSessionName="s0")
    assert error_code(exc) == "AccessDenied"
    sts.assume_role(
        RoleArn=role.arn, RoleSessionName="s0", SerialNumber=serial, TokenCode=_next_code(seed)
    )


def test_revoked_role_sessions_are_denied(api, acct):
    from accounts.models import TemporaryCredential
    from accounts.operations.roles import revoke_role_sessions

    user, creds = acct.make_user("max")
    role = make_role(acct, "ops", trust(user.arn), policy=allow("iam:ListUsers"))
    assumed = session_creds(api.sts(creds).assume_role(RoleArn=role.arn, RoleSessionName="old"))
    api.iam(assumed).list_users()
    cred = TemporaryCredential.objects.get(access_key_id=assumed.access_key_id)
    TemporaryCredential.objects.filter(pk=cred.pk).update(issued=cred.issued - timedelta(seconds=5))
    revoke_role_sessions(actor=acct.root, name="ops")
    with pytest.raises(ClientError) as exc:
        api.iam(assumed).list_users()
    assert error_code(exc) == "AccessDenied"


def test_expired_and_forged_session_tokens_are_refused(api, acct):
    from accounts.models import TemporaryCredential

    user, creds = acct.make_user("ned")
    role = make_role(acct, "r", trust(user.arn))
    assumed = session_creds(api.sts(creds).assume_role(RoleArn=role.arn, RoleSessionName="s0"))
    forged = Creds(assumed.access_key_id, assumed.secret_access_key, assumed.session_token + "x")
    with pytest.raises(ClientError) as exc:
        api.sts(forged).get_caller_identity()
    assert error_code(exc) == "InvalidClientTokenId"
    TemporaryCredential.objects.filter(access_key_id=assumed.access_key_id).update(
        expires=TemporaryCredential.objects.get(access_key_id=assumed.access_key_id).issued
    )
    with pytest.raises(ClientError) as exc:
        api.sts(assumed).get_caller_identity()
    assert error_code(exc) == "ExpiredToken"
    assert exc.value.response["Error"]["Message"] == (
        "The security token included in the request is expired"
    )


def test_tampered_signatures_stale_dates_and_inactive_keys_are_refused(api, acct, monkeypatch):
    import botocore.auth

    from accounts.operations.credentials import update_access_key

    bad = Creds(acct.root_creds.access_key_id, "x" * 40)
    with pytest.raises(ClientError) as exc:
        api.sts(bad).get_caller_identity()
    assert error_code(exc) == "SignatureDoesNotMatch"
    from audit.models import AuditEvent

    refused = AuditEvent.objects.get(error_code="SignatureDoesNotMatch")
    assert refused.event_name == "GetCallerIdentity" and not refused.allowed
    assert refused.actor_arn == f"arn:aws:iam::{ACCOUNT_A}:root"
    assert refused.event_source == "sts.amazonaws.com"
    unknown = Creds("AKIAAAAAAAAAAAAAAAAA", "x" * 40)
    with pytest.raises(ClientError) as exc:
        api.iam(unknown).list_users()
    assert error_code(exc) == "InvalidClientTokenId"

    real = botocore.auth.get_current_datetime
    monkeypatch.setattr(
        botocore.auth, "get_current_datetime", lambda *a, **k: real(*a, **k) - timedelta(minutes=20)
    )
    with pytest.raises(ClientError) as exc:
        api.client("sts", acct.root_creds, region="eu-west-1").get_caller_identity()
    assert error_code(exc) == "SignatureDoesNotMatch"
    assert "Signature expired" in exc.value.response["Error"]["Message"]
    monkeypatch.undo()

    _, creds = acct.make_user("oli")
    api.sts(creds).get_caller_identity()
    update_access_key(
        actor=acct.root, access_key_id=creds.access_key_id, status="Inactive", user_name="oli"
    )
    with pytest.raises(ClientError) as exc:
        api.client("sts", creds, region="us-west-2").get_caller_identity()
    assert error_code(exc) == "InvalidClientTokenId"


def test_presigned_get_caller_identity(api, acct):
    url = api.sts(acct.root_creds).generate_presigned_url(
        "get_caller_identity", ExpiresIn=60, HttpMethod="GET"
    )
    try:
        with urllib.request.urlopen(url) as response:  # noqa: S310 - the live test server
            body = response.read().decode()
    except urllib.error.HTTPError as exc:
        raise AssertionError(exc.read()) from exc
    assert f"<Arn>arn:aws:iam::{ACCOUNT_A}:root</Arn>" in body


def test_unsigned_requests_and_browser_cookies_cannot_call_the_api(api, acct, client):
    from django.test import Client

    from accounts.models import IamUser

    data = b"Action=CreateUser&Version=2010-05-08&UserName=sneaky"
    request = urllib.request.Request(api.url + "/", data=data, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(request)  # noqa: S310
    assert exc.value.code == 403
    assert b"<Code>MissingAuthenticationToken</Code>" in exc.value.read()

    root = acct.root
    browser = Client(enforce_csrf_checks=True)
    from accounts.models import ConsoleUser

    browser.force_login(ConsoleUser.objects.get(account_id=root.account_id, is_root=True))
    r = browser.post("/", data.decode(), content_type="application/x-www-form-urlencoded")
    assert r.status_code == 403 and b"MissingAuthenticationToken" in r.content
    assert not IamUser.objects.filter(name="sneaky").exists()


def test_get_access_key_info_and_decode_authorization_message(api, acct, acct_b):
    sts = api.sts(acct.root_creds)
    assert sts.get_access_key_info(AccessKeyId=acct_b.root_creds.access_key_id)["Account"] == (
        ACCOUNT_B
    )
    with pytest.raises(ClientError) as exc:
        sts.decode_authorization_message(EncodedMessage="garbage")
    assert error_code(exc) == "InvalidAuthorizationMessageException"


def test_assume_role_is_audited_in_both_accounts(api, acct, acct_b):
    from audit.models import AuditEvent

    role = make_role(acct_b, "audited", trust(f"arn:aws:iam::{ACCOUNT_A}:root"))
    _, creds = acct.make_user("pam", policy=allow("sts:AssumeRole"))
    api.sts(creds).assume_role(RoleArn=role.arn, RoleSessionName="s0")
    events = AuditEvent.objects.filter(event_name="AssumeRole", allowed=True)
    assert {e.account_id for e in events} == {ACCOUNT_A, ACCOUNT_B}
