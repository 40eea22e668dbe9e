"""Unused access and policy generation, driven through the API with a controlled clock.

The clock moves ``django.utils.timezone.now`` (the audit trail's, the last-used
bookkeeping's and the analyzer's time); SigV4 still checks signatures against the real
time, so requests stay valid while their events land on the controlled dates.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from policies.engine import Request, evaluate
from tests.api.conftest import ACCOUNT_A, allow, error_code

DAY = timedelta(days=1)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now_value = start

    def now(self) -> datetime:
        return self.now_value

    def advance(self, delta: timedelta) -> None:
        self.now_value += delta


@pytest.fixture
def past(monkeypatch):
    """Start 120 days ago (whole seconds), move by hand."""
    from django.utils import timezone

    start = datetime.now(UTC).replace(microsecond=0) - 120 * DAY
    clock = Clock(start)
    monkeypatch.setattr(timezone, "now", clock.now)
    return clock


@pytest.fixture
def worker(acct, past, api):
    """A user allowed some IAM writes, a read and S3 listing, and an unused role; on day
    100 the user creates a user, tags it and reads it back, through the API. (The audit
    trail records successful reads too, as read-only events: they are activity.)"""
    from accounts.operations.roles import create_role

    policy = allow(
        ["iam:CreateUser", "iam:TagUser", "iam:GetUser", "iam:DeleteUser", "s3:ListAllMyBuckets"]
    )
    user, creds = acct.make_user("worker", policy=policy)
    create_role(
        actor=acct.root,
        name="idle",
        trust_policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_A}:root"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    past.advance(100 * DAY)
    iam = api.iam(creds)
    iam.create_user(UserName="made")
    iam.tag_user(UserName="made", Tags=[{"Key": "k", "Value": "v"}])
    iam.get_user(UserName="made")
    past.advance(20 * DAY)  # now: today
    return user, creds


def test_unused_access_findings(api, acct, worker):
    aa = api.client("accessanalyzer", acct.root_creds)
    arn = aa.create_analyzer(
        analyzerName="unused",
        type="ACCOUNT_UNUSED_ACCESS",
        configuration={"unusedAccess": {"unusedAccessAge": 30}},
    )["arn"]
    got = aa.get_analyzer(analyzerName="unused")["analyzer"]
    assert got["configuration"] == {"unusedAccess": {"unusedAccessAge": 30}}
    findings = aa.list_findings_v2(analyzerArn=arn)["findings"]
    kinds = sorted((f["findingType"], f["resource"].rsplit("/", 1)[-1]) for f in findings)
    # The key was used 20 days ago (inside 30), the role never; IAM was used but not
    # every allowed IAM action, and S3 not at all.
    assert kinds == [("UnusedIAMRole", "idle"), ("UnusedPermission", "worker")]
    perm = next(f for f in findings if f["findingType"] == "UnusedPermission")
    detail = aa.get_finding_v2(analyzerArn=arn, id=perm["id"])
    assert detail["resourceType"] == "AWS::IAM::User" and detail["status"] == "ACTIVE"
    by_service = {
        d["unusedPermissionDetails"]["serviceNamespace"]: d["unusedPermissionDetails"]
        for d in detail["findingDetails"]
    }
    assert set(by_service) == {"iam", "s3"}
    assert [a["action"] for a in by_service["iam"]["actions"]] == ["iam:DeleteUser"]
    assert "lastAccessed" in by_service["iam"] and "lastAccessed" not in by_service["s3"]
    role = next(f for f in findings if f["findingType"] == "UnusedIAMRole")
    role_detail = aa.get_finding_v2(analyzerArn=arn, id=role["id"])
    assert role_detail["findingDetails"] == [{"unusedIamRoleDetails": {}}]

    aa.update_findings(analyzerArn=arn, ids=[role["id"]], status="ARCHIVED")
    statuses = {f["id"]: f["status"] for f in aa.list_findings_v2(analyzerArn=arn)["findings"]}
    assert statuses[role["id"]] == "ARCHIVED"
    active = aa.list_findings_v2(analyzerArn=arn, filter={"status": {"eq": ["ACTIVE"]}})
    assert [f["id"] for f in active["findings"]] == [perm["id"]]
    with pytest.raises(ClientError) as exc:
        aa.list_findings(analyzerArn=arn)  # v1 reads external access analyzers only
    assert error_code(exc) == "ValidationException"


def test_unused_access_key_and_password(api, acct, past):
    from accounts.operations.credentials import create_login_profile

    _user, creds = acct.make_user("sleeper", policy=allow("iam:ListUsers"))
    create_login_profile(actor=acct.root, user_name="sleeper", password="Sleeper-password-1!")
    api.iam(creds).list_users()
    past.advance(120 * DAY)
    aa = api.client("accessanalyzer", acct.root_creds)
    arn = aa.create_analyzer(analyzerName="u", type="ACCOUNT_UNUSED_ACCESS")["arn"]
    findings = aa.list_findings_v2(analyzerArn=arn)["findings"]
    types = sorted(f["findingType"] for f in findings)
    assert types == ["UnusedIAMUserAccessKey", "UnusedIAMUserPassword", "UnusedPermission"]
    key = next(f for f in findings if f["findingType"] == "UnusedIAMUserAccessKey")
    details = aa.get_finding_v2(analyzerArn=arn, id=key["id"])["findingDetails"][0]
    assert details["unusedIamUserAccessKeyDetails"]["accessKeyId"] == creds.access_key_id
    assert details["unusedIamUserAccessKeyDetails"]["lastAccessed"] < datetime.now(UTC) - 90 * DAY


def test_generated_policy_allows_exactly_what_was_used(api, acct, worker):
    user, _creds = worker
    aa = api.client("accessanalyzer", acct.root_creds)
    now = datetime.now(UTC)
    job = aa.start_policy_generation(
        policyGenerationDetails={"principalArn": user.arn},
        cloudTrailDetails={
            "trails": [
                {
                    "cloudTrailArn": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT_A}:trail/t",
                    "allRegions": True,
                }
            ],
            "accessRole": f"arn:aws:iam::{ACCOUNT_A}:role/trail-reader",
            "startTime": now - 60 * DAY,
            "endTime": now,
        },
    )["jobId"]
    out = aa.get_generated_policy(jobId=job)
    assert out["jobDetails"]["status"] == "SUCCEEDED"
    props = out["generatedPolicyResult"]["properties"]
    assert props["principalArn"] == user.arn and props["isComplete"] is True
    assert props["cloudTrailProperties"]["trailProperties"][0]["allRegions"] is True
    (generated,) = out["generatedPolicyResult"]["generatedPolicies"]
    policy = json.loads(generated["policy"])
    made = f"arn:aws:iam::{ACCOUNT_A}:user/made"
    assert policy["Statement"] == [
        {
            "Effect": "Allow",
            "Action": ["iam:CreateUser", "iam:GetUser", "iam:TagUser"],
            "Resource": made,
        }
    ]

    def decide(action: str, resource: str) -> str:
        request = Request(principal=user.arn, action=action, resource=resource)
        return evaluate(request, identity_policies=[policy]).effect

    assert decide("iam:CreateUser", made) == "Allow"
    assert decide("iam:TagUser", made) == "Allow"
    assert decide("iam:GetUser", made) == "Allow"
    assert decide("iam:CreateUser", f"arn:aws:iam::{ACCOUNT_A}:user/other") != "Allow"
    assert decide("iam:DeleteUser", made) != "Allow"
    assert decide("s3:ListAllMyBuckets", "*") != "Allow"

    placeholders = aa.get_generated_policy(jobId=job, includeResourcePlaceholders=True)
    (p,) = placeholders["generatedPolicyResult"]["generatedPolicies"]
    assert json.loads(p["policy"]) == policy  # every action has a recorded resource or none
    listed = aa.list_policy_generations(principalArn=user.arn)["policyGenerations"]
    assert [g["jobId"] for g in listed] == [job] and listed[0]["status"] == "SUCCEEDED"
    aa.cancel_policy_generation(jobId=job)
    assert aa.get_generated_policy(jobId=job)["jobDetails"]["status"] == "SUCCEEDED"


def test_generation_over_a_window_without_activity_is_empty(api, acct, worker):
    user, _ = worker
    aa = api.client("accessanalyzer", acct.root_creds)
    now = datetime.now(UTC)
    job = aa.start_policy_generation(
        policyGenerationDetails={"principalArn": user.arn},
        cloudTrailDetails={
            "trails": [],
            "accessRole": f"arn:aws:iam::{ACCOUNT_A}:role/r",
            "startTime": now - 10 * DAY,
        },
    )["jobId"]
    out = aa.get_generated_policy(jobId=job)
    assert out["generatedPolicyResult"]["generatedPolicies"] == []
    with pytest.raises(ClientError) as exc:
        aa.start_policy_generation(
            policyGenerationDetails={"principalArn": f"arn:aws:iam::{ACCOUNT_A}:user/nobody"},
            cloudTrailDetails={
                "trails": [],
                "accessRole": f"arn:aws:iam::{ACCOUNT_A}:role/r",
                "startTime": now - DAY,
            },
        )
    assert error_code(exc) == "ValidationException"


def test_role_sessions_count_as_the_roles_activity(api, acct, past):
    from accounts.operations.roles import create_role
    from policies.operations import put_role_policy
    from tests.api.conftest import Creds

    create_role(
        actor=acct.root,
        name="builder",
        trust_policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_A}:root"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    put_role_policy(
        actor=acct.root,
        role_name="builder",
        policy_name="p",
        document=json.dumps(allow(["iam:CreateGroup", "iam:DeleteGroup"])),
    )
    _caller, caller_creds = acct.make_user("caller", policy=allow("sts:AssumeRole"))
    past.advance(120 * DAY)  # today: STS checks its tokens' expiry against the real time
    session = api.sts(caller_creds).assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT_A}:role/builder", RoleSessionName="ci"
    )["Credentials"]
    creds = Creds(session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])
    api.iam(creds).create_group(GroupName="built")

    aa = api.client("accessanalyzer", acct.root_creds)
    arn = aa.create_analyzer(analyzerName="u", type="ACCOUNT_UNUSED_ACCESS")["arn"]
    findings = aa.list_findings_v2(analyzerArn=arn)["findings"]
    assert [(f["findingType"], f["resource"]) for f in findings] == [
        ("UnusedPermission", f"arn:aws:iam::{ACCOUNT_A}:role/builder")
    ]
    page = aa.get_finding_v2(analyzerArn=arn, id=findings[0]["id"], maxResults=1)
    (detail,) = page["findingDetails"]
    assert detail["unusedPermissionDetails"]["serviceNamespace"] == "iam"
    assert [a["action"] for a in detail["unusedPermissionDetails"]["actions"]] == [
        "iam:DeleteGroup"
    ]
    assert "nextToken" not in page

    now = datetime.now(UTC)
    job = aa.start_policy_generation(
        policyGenerationDetails={"principalArn": f"arn:aws:iam::{ACCOUNT_A}:role/builder"},
        cloudTrailDetails={
            "trails": [],
            "accessRole": f"arn:aws:iam::{ACCOUNT_A}:role/r",
            "startTime": now - 30 * DAY,
        },
    )["jobId"]
    (generated,) = aa.get_generated_policy(jobId=job)["generatedPolicyResult"]["generatedPolicies"]
    assert json.loads(generated["policy"])["Statement"] == [
        {
            "Effect": "Allow",
            "Action": "iam:CreateGroup",
            "Resource": f"arn:aws:iam::{ACCOUNT_A}:group/built",
        }
    ]
