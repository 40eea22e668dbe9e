"""UpdateAnalyzer, GetFindingsStatistics and access previews through boto3's
``accessanalyzer`` client on the live server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_A, ACCOUNT_B, allow, error_code

ROLE_ARN = f"arn:aws:iam::{ACCOUNT_A}:role/partner"


@pytest.fixture
def aa(api, acct):
    return api.client("accessanalyzer", acct.root_creds)


def _trust(*principals, **extra):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": p, "Action": "sts:AssumeRole", **extra}
                for p in principals
            ],
        }
    )


SERVICE = {"Service": "ec2.amazonaws.com"}
PARTNER = {"AWS": f"arn:aws:iam::{ACCOUNT_B}:root"}


def _role(acct, name, trust, path="/"):
    from accounts.operations.roles import create_role

    return create_role(actor=acct.root, name=name, trust_policy=trust, path=path)


def _stored_findings():
    from analyzer.models import Finding

    return list(
        Finding.objects.values_list("finding_id", "resource", "status", "details").order_by("id")
    )


def _preview(aa, arn, configurations):
    pid = aa.create_access_preview(analyzerArn=arn, configurations=configurations)["id"]
    return pid, aa.get_access_preview(analyzerArn=arn, accessPreviewId=pid)["accessPreview"]


# ------------------------------------------------------------------ access previews


def test_preview_opening_a_role_to_another_account_is_new_and_stores_nothing(acct, aa):
    _role(acct, "partner", _trust(SERVICE))
    arn = aa.create_analyzer(analyzerName="ext", type="ACCOUNT")["arn"]
    assert aa.list_findings_v2(analyzerArn=arn)["findings"] == []
    before = _stored_findings()

    pid, preview = _preview(
        aa, arn, {ROLE_ARN: {"iamRole": {"trustPolicy": _trust(SERVICE, PARTNER)}}}
    )
    assert preview["status"] == "COMPLETED" and "statusReason" not in preview
    assert preview["analyzerArn"] == arn and preview["id"] == pid
    assert preview["configurations"] == {
        ROLE_ARN: {"iamRole": {"trustPolicy": _trust(SERVICE, PARTNER)}}
    }
    assert isinstance(preview["createdAt"], datetime)
    (finding,) = aa.list_access_preview_findings(analyzerArn=arn, accessPreviewId=pid)["findings"]
    assert finding["changeType"] == "NEW" and finding["status"] == "ACTIVE"
    assert "existingFindingId" not in finding and "existingFindingStatus" not in finding
    assert finding["principal"] == PARTNER and finding["action"] == ["sts:AssumeRole"]
    assert finding["resource"] == ROLE_ARN and finding["resourceType"] == "AWS::IAM::Role"
    assert finding["resourceOwnerAccount"] == ACCOUNT_A and finding["isPublic"] is False

    # The preview changed neither the role nor the analyzer's findings.
    assert _stored_findings() == before
    assert aa.list_findings_v2(analyzerArn=arn)["findings"] == []
    from accounts.models import Role

    assert Role.objects.get(arn=ROLE_ARN).trust_policy == _trust(SERVICE)
    (summary,) = aa.list_access_previews(analyzerArn=arn)["accessPreviews"]
    assert summary == {**summary, "id": pid, "status": "COMPLETED", "analyzerArn": arn}


def test_preview_of_the_current_policy_is_unchanged_and_removal_is_resolved(acct, aa):
    _role(acct, "partner", _trust(PARTNER, Condition={"StringEquals": {"sts:ExternalId": "x"}}))
    arn = aa.create_analyzer(analyzerName="ext", type="ACCOUNT")["arn"]
    (existing,) = aa.list_findings_v2(analyzerArn=arn)["findings"]

    # No trustPolicy for an existing role: its current trust policy is analyzed.
    pid, _ = _preview(aa, arn, {ROLE_ARN: {"iamRole": {}}})
    (same,) = aa.list_access_preview_findings(analyzerArn=arn, accessPreviewId=pid)["findings"]
    assert same["changeType"] == "UNCHANGED" and same["status"] == "ACTIVE"
    assert same["existingFindingId"] == existing["id"]
    assert same["existingFindingStatus"] == "ACTIVE"
    assert same["condition"] == {"sts:ExternalId": "x"}

    # Proposing a trust policy without the partner: the existing finding would resolve.
    pid, _ = _preview(aa, arn, {ROLE_ARN: {"iamRole": {"trustPolicy": _trust(SERVICE)}}})
    (gone,) = aa.list_access_preview_findings(analyzerArn=arn, accessPreviewId=pid)["findings"]
    assert gone["changeType"] == "CHANGED" and gone["status"] == "RESOLVED"
    assert gone["existingFindingId"] == existing["id"]

    # An archived finding kept by the proposal stays archived: unchanged.
    aa.update_findings(analyzerArn=arn, ids=[existing["id"]], status="ARCHIVED")
    pid, _ = _preview(aa, arn, {ROLE_ARN: {"iamRole": {}}})
    (kept,) = aa.list_access_preview_findings(analyzerArn=arn, accessPreviewId=pid)["findings"]
    assert (kept["changeType"], kept["status"], kept["existingFindingStatus"]) == (
        "UNCHANGED",
        "ARCHIVED",
        "ARCHIVED",
    )
    assert [f["status"] for f in aa.list_findings_v2(analyzerArn=arn)["findings"]] == ["ARCHIVED"]


def test_preview_for_a_new_role_public_access_filters_and_archive_rules(acct, aa):
    arn = aa.create_analyzer(
        analyzerName="ext",
        type="ACCOUNT",
        archiveRules=[{"ruleName": "partner", "filter": {"principal.AWS": {"eq": [ACCOUNT_B]}}}],
    )["arn"]
    new_role = f"arn:aws:iam::{ACCOUNT_A}:role/team/fresh"
    trust = _trust({"AWS": "*"}, {"AWS": ACCOUNT_B}, SERVICE)
    pid, preview = _preview(aa, arn, {new_role: {"iamRole": {"trustPolicy": trust}}})
    assert preview["status"] == "COMPLETED"
    found = aa.list_access_preview_findings(analyzerArn=arn, accessPreviewId=pid)["findings"]
    by_principal = {f["principal"]["AWS"]: f for f in found}
    assert set(by_principal) == {"*", ACCOUNT_B}
    assert by_principal["*"]["isPublic"] is True and by_principal["*"]["status"] == "ACTIVE"
    # An archive rule matching the new finding files it as the analyzer would.
    assert by_principal[ACCOUNT_B]["status"] == "ARCHIVED"
    assert {f["changeType"] for f in found} == {"NEW"}
    public = aa.list_access_preview_findings(
        analyzerArn=arn, accessPreviewId=pid, filter={"isPublic": {"eq": ["true"]}}
    )["findings"]
    assert [f["principal"] for f in public] == [{"AWS": "*"}]
    paged = aa.list_access_preview_findings(analyzerArn=arn, accessPreviewId=pid, maxResults=1)
    assert len(paged["findings"]) == 1 and paged["nextToken"]
    rest = aa.list_access_preview_findings(
        analyzerArn=arn, accessPreviewId=pid, nextToken=paged["nextToken"]
    )
    assert {f["id"] for f in paged["findings"] + rest["findings"]} == {f["id"] for f in found}
    from accounts.models import Role

    assert not Role.objects.filter(arn=new_role).exists()


@pytest.mark.parametrize(
    "trust",
    [
        "{not json",
        _trust(PARTNER, Resource="*"),  # IAM refuses a Resource in a trust policy
        _trust(PARTNER, Sid="x" * 2100),  # over the trust policy quota (2,048)
    ],
)
def test_invalid_trust_policy_gives_a_failed_preview(acct, aa, trust):
    _role(acct, "partner", _trust(SERVICE))
    arn = aa.create_analyzer(analyzerName="ext", type="ACCOUNT")["arn"]
    pid, preview = _preview(aa, arn, {ROLE_ARN: {"iamRole": {"trustPolicy": trust}}})
    assert preview["status"] == "FAILED"
    assert preview["statusReason"] == {"code": "INVALID_CONFIGURATION"}
    with pytest.raises(ClientError) as exc:
        aa.list_access_preview_findings(analyzerArn=arn, accessPreviewId=pid)
    assert error_code(exc) == "ConflictException"


def test_client_token_makes_create_access_preview_idempotent(acct, aa):
    _role(acct, "partner", _trust(SERVICE))
    arn = aa.create_analyzer(analyzerName="ext", type="ACCOUNT")["arn"]
    config = {ROLE_ARN: {"iamRole": {}}}
    one = aa.create_access_preview(analyzerArn=arn, configurations=config, clientToken="t-1")
    two = aa.create_access_preview(analyzerArn=arn, configurations=config, clientToken="t-1")
    assert one["id"] == two["id"]
    assert len(aa.list_access_previews(analyzerArn=arn)["accessPreviews"]) == 1


@pytest.mark.parametrize(
    "configurations, field",
    [
        ({ROLE_ARN: {"s3Bucket": {"bucketPolicy": "{}"}}}, "s3Bucket"),
        ({ROLE_ARN: {"kmsKey": {"keyPolicies": {"default": "{}"}}}}, "kmsKey"),
        ({f"arn:aws:iam::{ACCOUNT_A}:role/new": {"iamRole": {}}}, "trustPolicy"),
        ({f"arn:aws:iam::{ACCOUNT_B}:role/theirs": {"iamRole": {"trustPolicy": "{}"}}}, "role"),
        ({"arn:aws:s3:::bucket": {"iamRole": {"trustPolicy": "{}"}}}, "arn"),
        ({ROLE_ARN: {"iamRole": {"trustPolicy": ""}}}, "empty"),
        (
            {
                ROLE_ARN: {"iamRole": {}},
                f"arn:aws:iam::{ACCOUNT_A}:role/other": {"iamRole": {"trustPolicy": "{}"}},
            },
            "two",
        ),
    ],
)
def test_create_access_preview_refuses_what_it_cannot_preview(acct, aa, configurations, field):
    _role(acct, "partner", _trust(SERVICE))
    arn = aa.create_analyzer(analyzerName="ext", type="ACCOUNT")["arn"]
    with pytest.raises(ClientError) as exc:
        aa.create_access_preview(analyzerArn=arn, configurations=configurations)
    assert error_code(exc) == "ValidationException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    if field in ("s3Bucket", "kmsKey"):
        assert exc.value.response["reason"] == "notSupported"
        assert "only iamRole configurations" in exc.value.response["Error"]["Message"]
        assert exc.value.response["fieldList"][0]["name"].endswith(field)
    assert aa.list_access_previews(analyzerArn=arn)["accessPreviews"] == []


def test_access_preview_errors(acct, aa):
    arn = aa.create_analyzer(analyzerName="ext", type="ACCOUNT")["arn"]
    unused = aa.create_analyzer(analyzerName="unused", type="ACCOUNT_UNUSED_ACCESS")["arn"]
    missing = f"arn:aws:access-analyzer:us-east-1:{ACCOUNT_A}:analyzer/none"
    config = {ROLE_ARN: {"iamRole": {"trustPolicy": _trust(SERVICE)}}}
    with pytest.raises(ClientError) as exc:
        aa.create_access_preview(analyzerArn=unused, configurations=config)
    assert error_code(exc) == "ValidationException"
    with pytest.raises(ClientError) as exc:
        aa.create_access_preview(analyzerArn=missing, configurations=config)
    assert error_code(exc) == "ResourceNotFoundException"
    assert exc.value.response["resourceType"] == "Analyzer"
    unknown = "01234567-89ab-cdef-0123-456789abcdef"
    with pytest.raises(ClientError) as exc:
        aa.get_access_preview(analyzerArn=arn, accessPreviewId=unknown)
    assert error_code(exc) == "ResourceNotFoundException"
    assert exc.value.response["resourceId"] == unknown
    with pytest.raises(ClientError) as exc:
        aa.list_access_preview_findings(analyzerArn=arn, accessPreviewId=unknown)
    assert error_code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        aa.get_access_preview(analyzerArn=arn, accessPreviewId="not-an-id")
    assert error_code(exc) == "ValidationException"
    # A preview belongs to its analyzer.
    pid = aa.create_access_preview(analyzerArn=arn, configurations=config)["id"]
    aa.create_analyzer(analyzerName="ext2", type="ACCOUNT")
    with pytest.raises(ClientError) as exc:
        aa.get_access_preview(analyzerArn=arn.replace("/ext", "/ext2"), accessPreviewId=pid)
    assert error_code(exc) == "ResourceNotFoundException"


def test_access_previews_are_authorized_per_action(api, acct):
    from analyzer.operations import analyzers

    analyzer = analyzers.create_analyzer(actor=acct.root, name="ext", type="ACCOUNT")
    _role(acct, "partner", _trust(SERVICE))
    _user, creds = acct.make_user(
        "previewer",
        policy=allow(
            ["access-analyzer:CreateAccessPreview", "access-analyzer:GetAccessPreview"],
            analyzer.arn,
        ),
    )
    aa = api.client("accessanalyzer", creds)
    config = {ROLE_ARN: {"iamRole": {}}}
    pid = aa.create_access_preview(analyzerArn=analyzer.arn, configurations=config)["id"]
    assert aa.get_access_preview(analyzerArn=analyzer.arn, accessPreviewId=pid)
    for call in (
        lambda: aa.list_access_previews(analyzerArn=analyzer.arn),
        lambda: aa.list_access_preview_findings(analyzerArn=analyzer.arn, accessPreviewId=pid),
        lambda: aa.get_findings_statistics(analyzerArn=analyzer.arn),
        lambda: aa.update_analyzer(analyzerName="ext", configuration={"unusedAccess": {}}),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_code(exc) == "AccessDeniedException"
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


# ------------------------------------------------------------- findings statistics


def test_external_access_statistics(acct, aa):
    _role(acct, "partner", _trust(PARTNER))
    _role(acct, "open", _trust({"AWS": "*"}))
    _role(acct, "both", _trust(PARTNER, {"AWS": "*"}))
    arn = aa.create_analyzer(analyzerName="ext", type="ACCOUNT")["arn"]
    findings = aa.list_findings_v2(analyzerArn=arn)["findings"]
    assert len(findings) == 4
    partner = next(f for f in findings if f["resource"].endswith("/partner"))
    aa.update_findings(analyzerArn=arn, ids=[partner["id"]], status="ARCHIVED")
    from accounts.operations.roles import delete_role

    delete_role(actor=acct.root, name="open")
    out = aa.get_findings_statistics(analyzerArn=arn)
    assert isinstance(out["lastUpdatedAt"], datetime)
    assert out["findingsStatistics"] == [
        {
            "externalAccessFindingsStatistics": {
                "resourceTypeStatistics": {
                    "AWS::IAM::Role": {
                        "totalActivePublic": 1,
                        "totalActiveCrossAccount": 1,
                        "totalActiveErrors": 0,
                    }
                },
                "totalActiveFindings": 2,
                "totalArchivedFindings": 1,
                "totalResolvedFindings": 1,
            }
        }
    ]


def test_statistics_errors(acct, aa):
    with pytest.raises(ClientError) as exc:
        aa.get_findings_statistics(
            analyzerArn=f"arn:aws:access-analyzer:us-east-1:{ACCOUNT_A}:analyzer/none"
        )
    assert error_code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        aa.get_findings_statistics(analyzerArn="not-an-arn")
    assert error_code(exc) == "ValidationException"


# ---------------------------------------------------- UpdateAnalyzer, unused access


DAY = timedelta(days=1)


@pytest.fixture
def idle_roles(acct, monkeypatch):
    """Two roles created 120 days ago and never used (one tagged team=lab); the clock
    is back at today when the test runs."""
    from django.utils import timezone

    real_now = timezone.now
    start = datetime.now(UTC) - 120 * DAY
    monkeypatch.setattr(timezone, "now", lambda: start)
    _role(acct, "idle", _trust(SERVICE))
    from accounts.operations.roles import create_role

    create_role(
        actor=acct.root,
        name="lab",
        trust_policy=_trust(SERVICE),
        tags=[{"Key": "team", "Value": "lab"}],
    )
    monkeypatch.setattr(timezone, "now", real_now)


def _unused(aa, arn):
    return {
        f["resource"].rsplit("/", 1)[-1]: f["status"]
        for f in aa.list_findings_v2(analyzerArn=arn)["findings"]
    }


def test_update_analyzer_exclusions_and_age_rederive_findings(acct, aa, idle_roles):
    arn = aa.create_analyzer(
        analyzerName="unused",
        type="ACCOUNT_UNUSED_ACCESS",
        configuration={"unusedAccess": {"unusedAccessAge": 30}},
    )["arn"]
    assert _unused(aa, arn) == {"idle": "ACTIVE", "lab": "ACTIVE"}

    rule = {"exclusions": [{"resourceTags": [{"team": "lab"}]}]}
    out = aa.update_analyzer(
        analyzerName="unused", configuration={"unusedAccess": {"analysisRule": rule}}
    )
    assert out["configuration"] == {"unusedAccess": {"unusedAccessAge": 30, "analysisRule": rule}}
    got = aa.get_analyzer(analyzerName="unused")["analyzer"]
    assert got["configuration"] == out["configuration"]
    # The excluded role's finding stops being active; the other is untouched.
    assert _unused(aa, arn) == {"idle": "ACTIVE", "lab": "ARCHIVED"}

    stats = aa.get_findings_statistics(analyzerArn=arn)["findingsStatistics"]
    assert stats == [
        {
            "unusedAccessFindingsStatistics": {
                "unusedAccessTypeStatistics": [{"unusedAccessType": "UnusedIAMRole", "total": 1}],
                "topAccounts": [
                    {
                        "account": ACCOUNT_A,
                        "numberOfActiveFindings": 1,
                        "details": {"UnusedIAMRole": 1},
                    }
                ],
                "totalActiveFindings": 1,
                "totalArchivedFindings": 1,
                "totalResolvedFindings": 0,
            }
        }
    ]

    # A longer tracking period than the roles' age: nothing is unused any more; the
    # analysis rule is kept when only the age changes.
    out = aa.update_analyzer(
        analyzerName="unused", configuration={"unusedAccess": {"unusedAccessAge": 200}}
    )
    assert out["configuration"]["unusedAccess"] == {"unusedAccessAge": 200, "analysisRule": rule}
    assert _unused(aa, arn) == {"idle": "RESOLVED", "lab": "RESOLVED"}
    (stats,) = aa.get_findings_statistics(analyzerArn=arn)["findingsStatistics"]
    assert stats["unusedAccessFindingsStatistics"] == {
        "unusedAccessTypeStatistics": [],
        "totalActiveFindings": 0,
        "totalArchivedFindings": 0,
        "totalResolvedFindings": 2,
    }


def test_create_analyzer_with_exclusions_generates_no_finding_for_them(acct, aa, idle_roles):
    arn = aa.create_analyzer(
        analyzerName="unused",
        type="ACCOUNT_UNUSED_ACCESS",
        configuration={
            "unusedAccess": {
                "unusedAccessAge": 30,
                # An empty tag value matches any value of the key.
                "analysisRule": {"exclusions": [{"resourceTags": [{"team": ""}]}]},
            }
        },
    )["arn"]
    assert _unused(aa, arn) == {"idle": "ACTIVE"}


@pytest.mark.parametrize(
    "configuration",
    [
        {"unusedAccess": {"unusedAccessAge": 0}},
        {"unusedAccess": {"unusedAccessAge": 366}},
        {"unusedAccess": {"analysisRule": {"exclusions": [{"accountIds": [ACCOUNT_B]}]}}},
        {"unusedAccess": {"analysisRule": {"exclusions": [{"resourceTags": [{"aws:x": "1"}]}]}}},
        {"unusedAccess": {"analysisRule": {"exclusions": [{}]}}},
        {"internalAccess": {"analysisRule": {"inclusions": []}}},
    ],
)
def test_update_analyzer_refuses_bad_configurations(acct, aa, configuration):
    aa.create_analyzer(
        analyzerName="unused",
        type="ACCOUNT_UNUSED_ACCESS",
        configuration={"unusedAccess": {"unusedAccessAge": 30}},
    )
    with pytest.raises(ClientError) as exc:
        aa.update_analyzer(analyzerName="unused", configuration=configuration)
    assert error_code(exc) == "ValidationException"
    got = aa.get_analyzer(analyzerName="unused")["analyzer"]
    assert got["configuration"] == {"unusedAccess": {"unusedAccessAge": 30}}


def test_update_analyzer_errors(acct, aa):
    aa.create_analyzer(analyzerName="ext", type="ACCOUNT")
    with pytest.raises(ClientError) as exc:
        aa.update_analyzer(
            analyzerName="ext", configuration={"unusedAccess": {"unusedAccessAge": 30}}
        )
    assert error_code(exc) == "ValidationException"
    assert exc.value.response["reason"] == "notSupported"
    with pytest.raises(ClientError) as exc:
        aa.update_analyzer(
            analyzerName="none", configuration={"unusedAccess": {"unusedAccessAge": 30}}
        )
    assert error_code(exc) == "ResourceNotFoundException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
