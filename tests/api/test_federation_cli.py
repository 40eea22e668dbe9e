"""Federation end to end with the unmodified AWS CLI, and GetFederationToken.

The CLI journey: register the built-in test IdP's issuer (this live server) as an OIDC
provider, trust it in a role for one ``sub``, mint a token with
``manage.py issue_web_identity_token``, ``aws sts assume-role-with-web-identity`` with no
credentials configured at all (the CLI sends it unsigned), then use the session. And the
same with SAML through ``manage.py issue_saml_assertion``.

GetFederationToken: shapes, limits, the federated user's effective permissions (the
user's policies intersected with the session policies), what its credentials may call,
refusal with session credentials.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.core.management import call_command

from tests.api.conftest import ACCOUNT_A, Creds, allow, error_code

SUB = "repo:org/app:ref:refs/heads/main"


def message(exc_info: Any) -> str:
    return exc_info.value.response["Error"]["Message"]


def run_aws(
    url: str, *args: str, creds: Creds | None = None, tmp: Any
) -> subprocess.CompletedProcess:
    """``python -m awscli …`` against the live server; without ``creds`` no credentials
    exist anywhere (no environment variables, empty config and credentials files)."""
    config = tmp / "config"
    config.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(config),
        "AWS_PAGER": "",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if creds is not None:
        env |= {
            "AWS_ACCESS_KEY_ID": creds.access_key_id,
            "AWS_SECRET_ACCESS_KEY": creds.secret_access_key,
        }
        if creds.session_token:
            env["AWS_SESSION_TOKEN"] = creds.session_token
    return subprocess.run(
        [sys.executable, "-m", "awscli", *args, "--endpoint-url", url, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def command_output(name: str, *args: str) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue().strip()


def test_web_identity_end_to_end_with_the_aws_cli(live_server, acct, aws_cli, tmp_path):
    url = live_server.url
    issuer = f"{url}/testidp/ci"
    provider = aws_cli(
        acct.root_creds,
        "iam",
        "create-open-id-connect-provider",
        "--url",
        issuer,
        "--client-id-list",
        "sts.amazonaws.com",
    )["OpenIDConnectProviderArn"]
    prefix = issuer.split("://", 1)[1]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{prefix}:aud": "sts.amazonaws.com", f"{prefix}:sub": SUB}
                },
            }
        ],
    }
    (tmp_path / "trust.json").write_text(json.dumps(trust))
    role = aws_cli(
        acct.root_creds,
        "iam",
        "create-role",
        "--role-name",
        "gha-deploy",
        "--assume-role-policy-document",
        f"file://{tmp_path / 'trust.json'}",
    )["Role"]["Arn"]

    token = command_output(
        "issue_web_identity_token",
        "--issuer",
        "ci",
        "--sub",
        SUB,
        "--aud",
        "sts.amazonaws.com",
        "--claim",
        'amr=["mfa"]',
        "--base-url",
        url,
    )
    proc = run_aws(
        url,
        "sts",
        "assume-role-with-web-identity",
        "--role-arn",
        role,
        "--role-session-name",
        "deploy-1",
        "--web-identity-token",
        token,
        tmp=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["SubjectFromWebIdentityToken"] == SUB and out["Provider"] == provider
    c = out["Credentials"]
    session = Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    ident = run_aws(url, "sts", "get-caller-identity", creds=session, tmp=tmp_path)
    assert ident.returncode == 0, ident.stderr
    assert json.loads(ident.stdout)["Arn"] == (
        f"arn:aws:sts::{ACCOUNT_A}:assumed-role/gha-deploy/deploy-1"
    )

    other = command_output(
        "issue_web_identity_token",
        "--issuer",
        "ci",
        "--sub",
        "repo:org/app:ref:refs/heads/feature",
        "--aud",
        "sts.amazonaws.com",
        "--base-url",
        url,
    )
    refused = run_aws(
        url,
        "sts",
        "assume-role-with-web-identity",
        "--role-arn",
        role,
        "--role-session-name",
        "deploy-2",
        "--web-identity-token",
        other,
        tmp=tmp_path,
    )
    assert refused.returncode != 0
    assert "AccessDenied" in refused.stderr
    assert "Not authorized to perform sts:AssumeRoleWithWebIdentity" in refused.stderr


def test_saml_end_to_end_with_the_aws_cli(live_server, acct, aws_cli, tmp_path):
    url = live_server.url
    metadata = command_output(
        "issue_saml_assertion", "--issuer", "adfs", "--metadata", "--base-url", url
    )
    (tmp_path / "metadata.xml").write_text(metadata)
    provider = aws_cli(
        acct.root_creds,
        "iam",
        "create-saml-provider",
        "--name",
        "ADFS",
        "--saml-metadata-document",
        f"file://{tmp_path / 'metadata.xml'}",
    )["SAMLProviderArn"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider},
                "Action": "sts:AssumeRoleWithSAML",
                "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
            }
        ],
    }
    (tmp_path / "trust.json").write_text(json.dumps(trust))
    role = aws_cli(
        acct.root_creds,
        "iam",
        "create-role",
        "--role-name",
        "saml-admins",
        "--assume-role-policy-document",
        f"file://{tmp_path / 'trust.json'}",
    )["Role"]["Arn"]
    assertion = command_output(
        "issue_saml_assertion",
        "--issuer",
        "adfs",
        "--role-arn",
        role,
        "--provider-arn",
        provider,
        "--subject",
        "alice",
        "--base-url",
        url,
    )
    proc = run_aws(
        url,
        "sts",
        "assume-role-with-saml",
        "--role-arn",
        role,
        "--principal-arn",
        provider,
        "--saml-assertion",
        assertion,
        tmp=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["Subject"] == "alice" and out["Issuer"] == f"{url}/testidp/adfs"
    c = out["Credentials"]
    session = Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    ident = run_aws(url, "sts", "get-caller-identity", creds=session, tmp=tmp_path)
    assert json.loads(ident.stdout)["Arn"] == (
        f"arn:aws:sts::{ACCOUNT_A}:assumed-role/saml-admins/alice"
    )


def test_the_commands_explain_bad_input():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        command_output(
            "issue_web_identity_token", "--issuer", "bad name", "--sub", "x", "--aud", "y"
        )
    with pytest.raises(CommandError):
        command_output(
            "issue_web_identity_token",
            "--issuer",
            "i",
            "--sub",
            "x",
            "--aud",
            "y",
            "--claim",
            "novalue",
        )
    with pytest.raises(CommandError):
        command_output("issue_saml_assertion", "--issuer", "i")


# ------------------------------------------------------------------ GetFederationToken


def fed_creds(out: dict) -> Creds:
    c = out["Credentials"]
    return Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


@pytest.fixture
def broker(acct: Any) -> tuple[Any, Creds]:
    """An IAM user allowed to federate and to use S3 and EC2 reads."""
    return acct.make_user(
        "broker",
        policy=allow(["sts:GetFederationToken", "s3:GetObject", "s3:PutObject", "ec2:Describe*"]),
    )


def test_get_federation_token_shapes_and_default_duration(api, broker):
    _, creds = broker
    before = time.time()
    out = api.sts(creds).get_federation_token(Name="Bob")
    assert out["FederatedUser"] == {
        "Arn": f"arn:aws:sts::{ACCOUNT_A}:federated-user/Bob",
        "FederatedUserId": f"{ACCOUNT_A}:Bob",
    }
    assert out["PackedPolicySize"] == 0
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")
    assert abs(out["Credentials"]["Expiration"].timestamp() - before - 43200) < 30
    ident = api.sts(fed_creds(out)).get_caller_identity()
    assert ident == {
        "UserId": f"{ACCOUNT_A}:Bob",
        "Account": ACCOUNT_A,
        "Arn": f"arn:aws:sts::{ACCOUNT_A}:federated-user/Bob",
        "ResponseMetadata": ident["ResponseMetadata"],
    }


def test_get_federation_token_limits(api, acct, broker):
    _, creds = broker
    sts = api.sts(creds)
    out = sts.get_federation_token(Name="Max", DurationSeconds=129600)
    assert out["Credentials"]["Expiration"].timestamp() - time.time() > 129000
    with pytest.raises(ClientError) as exc:
        sts.get_federation_token(Name="Bad name!")
    assert error_code(exc) == "ValidationError"
    root = api.sts(acct.root_creds).get_federation_token(Name="RootFed", DurationSeconds=7200)
    assert root["Credentials"]["Expiration"].timestamp() - time.time() <= 3600 + 5  # one hour
    with pytest.raises(ClientError) as exc:
        sts.get_federation_token(
            Name="Tags", Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]
        )
    assert error_code(exc) == "InvalidParameterValue"


def test_short_names_and_durations_out_of_range_fail_the_model(api, acct, broker):
    from botocore.config import Config

    _, creds = broker
    unchecked = api.session.client(
        "sts",
        endpoint_url=api.url,
        region_name="us-east-1",
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_access_key,
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )
    for kw in (
        {"Name": "B"},
        {"Name": "x" * 33},
        {"Name": "Ok", "DurationSeconds": 899},
        {"Name": "Ok", "DurationSeconds": 129601},
    ):
        with pytest.raises(ClientError) as exc:
            unchecked.get_federation_token(**kw)
        assert error_code(exc) == "ValidationError"


def test_a_user_without_the_permission_is_denied(api, acct):
    user, creds = acct.make_user("plain", policy=allow("s3:*"))
    with pytest.raises(ClientError) as exc:
        api.sts(creds).get_federation_token(Name="Bob")
    assert error_code(exc) == "AccessDenied"
    assert message(exc).startswith(
        f"User: {user.arn} is not authorized to perform: sts:GetFederationToken on resource: "
        f"arn:aws:sts::{ACCOUNT_A}:federated-user/Bob"
    )


def test_session_credentials_cannot_get_a_federation_token(api, acct, broker):
    user, creds = broker
    session = api.sts(creds).get_session_token()["Credentials"]
    session_creds = Creds(
        session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"]
    )
    with pytest.raises(ClientError) as exc:
        api.sts(session_creds).get_federation_token(Name="Bob")
    assert (error_code(exc), message(exc)) == (
        "AccessDenied",
        "Cannot call GetFederationToken with session credentials",
    )
    from accounts.operations.roles import create_role

    role = create_role(
        actor=acct.root,
        name="hop",
        trust_policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": user.arn}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )
    from policies.operations import put_role_policy

    put_role_policy(
        actor=acct.root, role_name="hop", policy_name="p", document=json.dumps(allow("sts:*"))
    )
    assumed = api.sts(creds).assume_role(RoleArn=role.arn, RoleSessionName="s1")
    with pytest.raises(ClientError) as exc:
        api.sts(fed_creds(assumed)).get_federation_token(Name="Bob")
    assert message(exc) == "Cannot call GetFederationToken with session credentials"


def test_federated_credentials_call_no_iam_and_no_sts_but_get_caller_identity(api, broker):
    _, creds = broker
    fed = fed_creds(api.sts(creds).get_federation_token(Name="Bob", Policy=json.dumps(allow())))
    with pytest.raises(ClientError) as exc:
        api.iam(fed).list_users()
    assert error_code(exc) == "InvalidClientTokenId"
    with pytest.raises(ClientError) as exc:
        api.sts(fed).get_federation_token(Name="Again")
    assert error_code(exc) == "AccessDenied"
    assert api.sts(fed).get_caller_identity()["Arn"].endswith(":federated-user/Bob")


def _federated_allows(access_key_id: str, action: str, resource: str = "*") -> bool:
    from accounts.models import TemporaryCredential
    from accounts.principal import federated_user_principal
    from policies.evaluation import allows

    cred = TemporaryCredential.objects.select_related("user").get(access_key_id=access_key_id)
    principal = federated_user_principal(cred, via="api")
    return allows(principal, action, resource, resource_account=cred.account_id)


def test_effective_permissions_are_the_users_policies_and_the_session_policy(api, acct, broker):
    _, creds = broker
    sts = api.sts(creds)
    narrowed = sts.get_federation_token(
        Name="Reader", Policy=json.dumps(allow(["s3:GetObject", "dynamodb:*"]))
    )
    assert narrowed["PackedPolicySize"] >= 1
    key = narrowed["Credentials"]["AccessKeyId"]
    assert _federated_allows(key, "s3:GetObject", "arn:aws:s3:::bucket/k")
    assert not _federated_allows(key, "s3:PutObject", "arn:aws:s3:::bucket/k")  # not in session
    assert not _federated_allows(key, "dynamodb:GetItem")  # not in the user's policies
    nothing = sts.get_federation_token(Name="Nobody")["Credentials"]["AccessKeyId"]
    assert not _federated_allows(nothing, "s3:GetObject", "arn:aws:s3:::bucket/k")
    managed = sts.get_federation_token(
        Name="Managed", PolicyArns=[{"arn": "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"}]
    )["Credentials"]["AccessKeyId"]
    assert _federated_allows(managed, "ec2:DescribeInstances")
    assert not _federated_allows(managed, "s3:GetObject", "arn:aws:s3:::bucket/k")


def test_roots_federated_user_has_roots_access_within_the_session_policy(api, acct):
    root_fed = api.sts(acct.root_creds).get_federation_token(
        Name="RootReader", Policy=json.dumps(allow("s3:GetObject"))
    )["Credentials"]["AccessKeyId"]
    assert _federated_allows(root_fed, "s3:GetObject", "arn:aws:s3:::bucket/k")
    assert not _federated_allows(root_fed, "s3:DeleteObject", "arn:aws:s3:::bucket/k")


def test_session_tags_need_tag_session_and_become_principal_tags(api, acct):
    _, creds = acct.make_user(
        "tagger",
        policy={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["sts:GetFederationToken", "sts:TagSession"],
                    "Resource": "*",
                },
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}},
                },
            ],
        },
    )
    out = api.sts(creds).get_federation_token(
        Name="Tagged", Policy=json.dumps(allow("s3:*")), Tags=[{"Key": "team", "Value": "blue"}]
    )
    key = out["Credentials"]["AccessKeyId"]
    assert _federated_allows(key, "s3:GetObject", "arn:aws:s3:::bucket/k")
    _, untagger = acct.make_user("untagger", policy=allow("sts:GetFederationToken"))
    with pytest.raises(ClientError) as exc:
        api.sts(untagger).get_federation_token(Name="T2", Tags=[{"Key": "team", "Value": "blue"}])
    assert error_code(exc) == "AccessDenied" and "sts:TagSession" in message(exc)


def test_get_federation_token_is_audited(api, broker):
    from audit.models import AuditEvent

    user, creds = broker
    api.sts(creds).get_federation_token(Name="Bob")
    event = AuditEvent.objects.get(event_name="GetFederationToken", allowed=True)
    assert event.actor_arn == user.arn
    assert event.resource_arn == f"arn:aws:sts::{ACCOUNT_A}:federated-user/Bob"
