"""Issue 10, API side: the SigV4 region, oversize bodies, presigned URLs, no-store on
secrets, aws:SourceIp / aws:SecureTransport, and the existence oracle.

Each test makes the attack the way it was made (hand-signed SigV4 requests through the
real endpoint, or the real boto3 client against a live server) and records its figure.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest

from tests.security.test_api_auth import code_of, signed_headers

pytestmark = pytest.mark.django_db

IAM_LIST = urlencode({"Action": "ListUsers", "Version": "2010-05-08"})


def _user_key(root, name: str, policy: dict) -> tuple[str, str]:
    from accounts.operations.credentials import create_access_key
    from accounts.operations.users import create_user
    from policies.operations import put_user_policy

    create_user(actor=root, name=name)
    put_user_policy(actor=root, user_name=name, policy_name="p", document=json.dumps(policy))
    new = create_access_key(actor=root, user_name=name)
    return new.key.access_key_id, new.secret


def _policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def _call(client, key, body: str = IAM_LIST, *, service: str = "iam", region="us-east-1", **meta):
    headers = signed_headers(key, body=body, service=service, region=region)
    sent = {"HTTP_HOST": "testserver"}
    for name, value in headers.items():
        if name.lower() not in ("content-type", "host"):
            sent["HTTP_" + name.upper().replace("-", "_")] = value
    return client.generic(
        "POST",
        "/",
        body,
        content_type="application/x-www-form-urlencoded; charset=utf-8",
        **sent,
        **meta,
    )


# -- 1. the SigV4 region ---------------------------------------------------------------


def test_signing_for_another_region_does_not_bypass_a_requested_region_deny(client, root, figure):
    deny_east = {
        "Effect": "Deny",
        "Action": "iam:*",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
    }
    key = _user_key(root, "regional", _policy(ALLOW_ALL, deny_east))
    outcomes = {}
    for region in ("us-east-1", "eu-west-1", "not-a-region", "x"):
        response = _call(client, key, region=region)
        outcomes[region] = (response.status_code, code_of(response), response.content)
    figure(", ".join(f"{r}: {s} {c}" for r, (s, c, _) in outcomes.items()))
    # IAM is global: whatever real region signed, aws:RequestedRegion is us-east-1.
    assert outcomes["us-east-1"][:2] == (403, "AccessDenied")
    assert outcomes["eu-west-1"][:2] == (403, "AccessDenied")
    for bogus in ("not-a-region", "x"):
        status, code, content = outcomes[bogus]
        assert (status, code) == (403, "SignatureDoesNotMatch")
        assert b"Credential should be scoped to a valid region" in content


def test_a_real_region_is_accepted_for_iam_and_sts_takes_the_signing_region(client, root, figure):
    from accounts.operations.roles import create_role

    trust = _policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{root.account_id}:root"},
            "Action": "sts:AssumeRole",
        }
    )
    create_role(actor=root, name="target", trust_policy=json.dumps(trust))
    deny_eu = {
        "Effect": "Deny",
        "Action": "sts:AssumeRole",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
    }
    key = _user_key(root, "assumer", _policy(ALLOW_ALL, deny_eu))
    body = urlencode(
        {
            "Action": "AssumeRole",
            "Version": "2011-06-15",
            "RoleArn": f"arn:aws:iam::{root.account_id}:role/target",
            "RoleSessionName": "sess",
        }
    )
    iam_eu = _call(client, key, region="eu-west-1")
    sts_east = _call(client, key, body, service="sts", region="us-east-1")
    sts_eu = _call(client, key, body, service="sts", region="eu-west-1")
    figure(
        f"IAM signed eu-west-1: {iam_eu.status_code}; AssumeRole signed us-east-1: "
        f"{sts_east.status_code}, eu-west-1: {sts_eu.status_code} {code_of(sts_eu)}"
    )
    assert iam_eu.status_code == 200
    assert sts_east.status_code == 200
    assert (sts_eu.status_code, code_of(sts_eu)) == (403, "AccessDenied")


# -- 2. oversize bodies ------------------------------------------------------------------


def test_an_oversize_body_is_a_413_xml_error_not_a_500(client, root, figure):
    big = IAM_LIST + "&Padding=" + "a" * (3 * 1024 * 1024)
    unauthenticated = client.generic(
        "POST", "/", big, content_type="application/x-www-form-urlencoded", HTTP_HOST="testserver"
    )
    key = _user_key(root, "big", _policy(ALLOW_ALL))
    authenticated = _call(client, key, big)
    figure(
        f"3 MiB body: unauthenticated {unauthenticated.status_code} {code_of(unauthenticated)}, "
        f"signed {authenticated.status_code} {code_of(authenticated)}"
    )
    for response in (unauthenticated, authenticated):
        assert response.status_code == 413
        assert response["Content-Type"].startswith("text/xml")
        assert code_of(response) == "RequestEntityTooLargeException"
        assert b"<ErrorResponse" in response.content


# -- 4. no-store on secrets --------------------------------------------------------------


def test_responses_carrying_a_secret_are_not_stored(client, root, figure):
    from api.views import no_store_actions

    key = _user_key(root, "keymaker", _policy(ALLOW_ALL))
    calls = {
        "CreateAccessKey": ("iam", {"Action": "CreateAccessKey", "Version": "2010-05-08"}),
        "CreateVirtualMFADevice": (
            "iam",
            {
                "Action": "CreateVirtualMFADevice",
                "Version": "2010-05-08",
                "VirtualMFADeviceName": "d",
            },
        ),
        "GetSessionToken": ("sts", {"Action": "GetSessionToken", "Version": "2011-06-15"}),
        "ListUsers": ("iam", {"Action": "ListUsers", "Version": "2010-05-08"}),
    }
    seen = {}
    for action, (service, params) in calls.items():
        response = _call(client, key, urlencode(params), service=service)
        assert response.status_code == 200, response.content
        seen[action] = (response.get("Cache-Control"), response.get("Pragma"))
    figure(", ".join(f"{a}: {c or '-'}" for a, (c, _) in seen.items()))
    for action in ("CreateAccessKey", "CreateVirtualMFADevice", "GetSessionToken"):
        assert seen[action] == ("no-store", "no-cache")
    assert seen["ListUsers"][0] is None
    assert {"CreateAccessKey", "CreateVirtualMFADevice"} <= no_store_actions("iam")
    assert {"AssumeRole", "GetSessionToken", "GetFederationToken"} <= no_store_actions("sts")


# -- 5. aws:SecureTransport and aws:SourceIp ----------------------------------------------


def test_secure_transport_and_source_ip_come_from_the_request(client, root, figure):
    deny_plain = {
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    key = _user_key(root, "tls", _policy(ALLOW_ALL, deny_plain))
    plain = _call(client, key)
    tls = _call(client, key, secure=True)

    only_office = {
        "Effect": "Allow",
        "Action": "iam:ListUsers",
        "Resource": "*",
        "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    }
    ip_key = _user_key(root, "office", _policy(only_office))
    inside = _call(client, ip_key, REMOTE_ADDR="203.0.113.7")
    outside = _call(client, ip_key, REMOTE_ADDR="198.51.100.9")
    # A client-chosen header is no source address (only a trusted proxy's counts).
    spoofed = _call(client, ip_key, REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="203.0.113.7")
    figure(
        f"deny-unless-TLS: http {plain.status_code}, https {tls.status_code}; "
        f"SourceIp 203.0.113.0/24: inside {inside.status_code}, outside {outside.status_code}, "
        f"spoofed X-Forwarded-For {spoofed.status_code}"
    )
    assert (plain.status_code, code_of(plain)) == (403, "AccessDenied")
    assert tls.status_code == 200
    assert inside.status_code == 200
    assert (outside.status_code, code_of(outside)) == (403, "AccessDenied")
    assert spoofed.status_code == 403

    require_tls = _policy(
        {
            "Effect": "Allow",
            "Action": "iam:ListUsers",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}},
        }
    )
    tls_key = _user_key(root, "tlsonly", require_tls)
    assert _call(client, tls_key).status_code == 403
    assert _call(client, tls_key, secure=True).status_code == 200


# -- 3 and 6: the real boto3 client against a live server --------------------------------


@pytest.fixture
def live(live_server, transactional_db):
    """Account A with a root key and a user ``nobody`` without any permission."""
    import boto3
    from botocore.config import Config

    from accounts.operations.account import sign_up
    from accounts.operations.credentials import create_access_key
    from accounts.operations.users import create_user
    from accounts.principal import root_principal

    sign_up(email="live@example.com", password="correct-horse-1", account_id="210987654321")
    root = root_principal("210987654321", source_ip="127.0.0.1")
    session = boto3.session.Session()

    def client(service: str, key, *, region: str = "us-east-1"):
        return session.client(
            service,
            endpoint_url=live_server.url,
            region_name=region,
            aws_access_key_id=key.key.access_key_id,
            aws_secret_access_key=key.secret,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}),
        )

    create_user(actor=root, name="nobody")
    return (
        root,
        client,
        create_access_key(actor=root),
        create_access_key(actor=root, user_name="nobody"),
    )


def _fetch(url: str, method: str = "GET") -> tuple[int, str]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request) as response:  # noqa: S310 - the live test server
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_botocore_presigned_urls_work_for_iam_and_sts_within_their_expiry(live, figure):
    from datetime import datetime, timedelta
    from unittest import mock

    _root, client, root_key, _nobody = live
    iam, sts = client("iam", root_key, region="eu-west-1"), client("sts", root_key)
    get_user = iam.generate_presigned_url("get_user", ExpiresIn=60, HttpMethod="GET")
    whoami = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    # Without HttpMethod, botocore signs the operation's POST: AWS refuses that URL on
    # GET (boto/boto3#756) and accepts it POSTed.
    as_post = iam.generate_presigned_url("get_user", ExpiresIn=60)
    # A URL signed 16 minutes ago with a one-hour X-Amz-Expires: outside S3 a presigned
    # request lives about 15 minutes (aws/aws-sdk-go#2224).
    with mock.patch(
        "botocore.auth.get_current_datetime",
        return_value=datetime.utcnow() - timedelta(minutes=16),  # noqa: DTZ003 - botocore's naive UTC
    ):
        stale = sts.generate_presigned_url("get_caller_identity", ExpiresIn=3600, HttpMethod="GET")
    with mock.patch(
        "botocore.auth.get_current_datetime",
        return_value=datetime.utcnow() - timedelta(seconds=120),  # noqa: DTZ003
    ):
        expired = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    results = {
        "GetUser GET": _fetch(get_user),
        "GetCallerIdentity GET": _fetch(whoami),
        "POST-signed as POST": _fetch(as_post, "POST"),
        "POST-signed as GET": _fetch(as_post),
        "3600 s, signed 16 min ago": _fetch(stale),
        "60 s, signed 2 min ago": _fetch(expired),
    }
    figure(", ".join(f"{k}: {s}" for k, (s, _) in results.items()))
    assert results["GetUser GET"][0] == 200 and "<GetUserResponse" in results["GetUser GET"][1]
    assert "<Arn>arn:aws:iam::210987654321:root</Arn>" in results["GetCallerIdentity GET"][1]
    assert results["POST-signed as POST"][0] == 200
    assert results["POST-signed as GET"][0] == 403
    assert results["3600 s, signed 16 min ago"][0] == 403
    assert "Signature expired" in results["3600 s, signed 16 min ago"][1]
    assert results["60 s, signed 2 min ago"][0] == 403


def test_a_principal_without_permissions_cannot_tell_existing_names_from_missing(live, figure):
    from botocore.exceptions import ClientError

    from accounts.operations.groups import create_group
    from accounts.operations.roles import create_role
    from policies.operations import create_policy

    root, client, root_key, nobody_key = live
    trust = _policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    )
    create_group(actor=root, name="admins")
    create_role(actor=root, name="deployer", trust_policy=json.dumps(trust))
    create_policy(actor=root, name="secret-policy", document=json.dumps(_policy(ALLOW_ALL)))
    arn = "arn:aws:iam::210987654321:policy/"
    probes = {
        "get_user": ("UserName", "nobody", "ghost"),
        "get_group": ("GroupName", "admins", "ghosts"),
        "get_role": ("RoleName", "deployer", "ghost-role"),
        "get_policy": ("PolicyArn", arn + "secret-policy", arn + "ghost-policy"),
        "delete_user": ("UserName", "nobody", "ghost"),
        "delete_group": ("GroupName", "admins", "ghosts"),
        "delete_role": ("RoleName", "deployer", "ghost-role"),
        "delete_policy": ("PolicyArn", arn + "secret-policy", arn + "ghost-policy"),
        "get_user_policy": ("UserName", "nobody", "ghost"),
    }

    def outcome(iam, method: str, param: str, value: str) -> str:
        extra = {"PolicyName": "p"} if method == "get_user_policy" else {}
        try:
            getattr(iam, method)(**{param: value}, **extra)
        except ClientError as exc:
            return exc.response["Error"]["Code"]
        return "OK"

    nobody = client("iam", nobody_key)
    admin = client("iam", root_key)
    rows = {}
    for method, (param, existing, missing) in probes.items():
        rows[method] = (
            outcome(nobody, method, param, existing),
            outcome(nobody, method, param, missing),
            outcome(admin, method, param, missing),
        )
    figure(
        "no-permission caller, existing/missing: "
        + ", ".join(f"{m} {e}/{x}" for m, (e, x, _) in rows.items())
        + "; allowed caller, missing: "
        + ", ".join(sorted({a for _, _, a in rows.values()}))
    )
    for method, (existing, missing, allowed_missing) in rows.items():
        assert (existing, missing) == ("AccessDenied", "AccessDenied"), method
        assert allowed_missing == "NoSuchEntity", method
