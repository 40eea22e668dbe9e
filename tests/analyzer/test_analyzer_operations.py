"""Access Analyzer's operations layer: analyzers, archive rules, findings, generation."""

from __future__ import annotations

import json

import pytest

from accounts.errors import AccessDenied
from analyzer import findings as analysis
from analyzer.errors import ConflictException, ResourceNotFoundException, ValidationException
from analyzer.operations import analyzers, archive_rules, findings, policy_checks
from tests.conftest import allow_policy

OUTSIDER = "444455556666"


def trust(principal, **extra) -> str:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.fixture
def make_role(root):
    from accounts.operations.roles import create_role

    def make(name, principal, **extra):
        return create_role(actor=root, name=name, trust_policy=trust(principal, **extra))

    return make


def test_create_get_list_delete_analyzer(root):
    a = analyzers.create_analyzer(actor=root, name="acct", type="ACCOUNT", tags={"team": "sec"})
    assert a.arn == "arn:aws:access-analyzer:us-east-1:111122223333:analyzer/acct"
    assert analyzers.get_analyzer(actor=root, name="acct").tags == {"team": "sec"}
    assert [x.name for x in analyzers.list_analyzers(actor=root).items] == ["acct"]
    assert analyzers.list_analyzers(actor=root, type="ACCOUNT_UNUSED_ACCESS").items == []
    with pytest.raises(ConflictException):
        analyzers.create_analyzer(actor=root, name="acct", type="ACCOUNT")
    analyzers.delete_analyzer(actor=root, name="acct")
    with pytest.raises(ResourceNotFoundException) as exc:
        analyzers.get_analyzer(actor=root, name="acct")
    assert exc.value.fields == {"resourceId": "acct", "resourceType": "Analyzer"}


def test_create_analyzer_validates_name_type_and_age(root):
    with pytest.raises(ValidationException) as exc:
        analyzers.create_analyzer(actor=root, name="9bad", type="ACCOUNT")
    assert exc.value.fields["reason"] == "fieldValidationFailed"
    assert exc.value.fields["fieldList"][0]["name"] == "analyzerName"
    with pytest.raises(ValidationException):
        analyzers.create_analyzer(
            actor=root,
            name="u",
            type="ACCOUNT_UNUSED_ACCESS",
            configuration={"unusedAccess": {"unusedAccessAge": 400}},
        )
    with pytest.raises(ValidationException):
        analyzers.create_analyzer(
            actor=root,
            name="x",
            type="ACCOUNT",
            configuration={"unusedAccess": {"unusedAccessAge": 30}},
        )
    u = analyzers.create_analyzer(actor=root, name="u", type="ACCOUNT_UNUSED_ACCESS")
    assert u.configuration == {"unusedAccess": {"unusedAccessAge": 90}}


def test_organization_analyzer_needs_the_management_account(root):
    with pytest.raises(ValidationException):
        analyzers.create_analyzer(actor=root, name="org", type="ORGANIZATION")


def test_organization_analyzer_trusts_member_accounts(root, other_account, make_role):
    from accounts.principal import root_principal
    from organizations.operations import (
        accept_handshake,
        create_organization,
        invite_account_to_organization,
    )

    create_organization(actor=root)
    handshake = invite_account_to_organization(
        actor=root, target_id=OUTSIDER, target_type="ACCOUNT"
    )
    accept_handshake(actor=root_principal(OUTSIDER), handshake_id=handshake.id)
    make_role("member-trust", {"AWS": f"arn:aws:iam::{OUTSIDER}:root"})
    account = analyzers.create_analyzer(actor=root, name="acct", type="ACCOUNT")
    orga = analyzers.create_analyzer(actor=root, name="org", type="ORGANIZATION")
    assert len(findings.list_findings(actor=root, analyzer_arn=account.arn).items) == 1
    assert findings.list_findings(actor=root, analyzer_arn=orga.arn).items == []


def test_external_access_findings_for_role_trust(root, make_role):
    make_role(
        "cross",
        {"AWS": f"arn:aws:iam::{OUTSIDER}:root"},
        Condition={"StringEquals": {"sts:ExternalId": "x1"}},
    )
    make_role("public", {"AWS": "*"})
    make_role("own", {"AWS": "arn:aws:iam::111122223333:root"})
    make_role("service", {"Service": "ec2.amazonaws.com"})
    make_role(
        "pinned", {"AWS": "*"}, Condition={"StringEquals": {"aws:PrincipalAccount": "111122223333"}}
    )
    a = analyzers.create_analyzer(actor=root, name="acct", type="ACCOUNT")
    items = findings.list_findings(actor=root, analyzer_arn=a.arn).items
    by_role = {f.resource.rsplit("/", 1)[-1]: f for f in items}
    assert set(by_role) == {"cross", "public"}
    cross = by_role["cross"].details
    assert cross["principal"] == {"AWS": f"arn:aws:iam::{OUTSIDER}:root"}
    assert cross["condition"] == {"sts:ExternalId": "x1"}
    assert cross["action"] == ["sts:AssumeRole"] and cross["isPublic"] is False
    assert by_role["public"].details["isPublic"] is True
    assert all(f.resource_type == "AWS::IAM::Role" and f.status == "ACTIVE" for f in items)


def test_finding_ids_are_stable_and_resolved_when_access_goes(root, make_role):
    from accounts.operations.roles import update_assume_role_policy

    make_role("cross", {"AWS": OUTSIDER})
    a = analyzers.create_analyzer(actor=root, name="acct", type="ACCOUNT")
    (first,) = findings.list_findings(actor=root, analyzer_arn=a.arn).items
    findings.update_findings(
        actor=root, analyzer_arn=a.arn, status="ARCHIVED", ids=[first.finding_id]
    )
    (again,) = findings.list_findings(actor=root, analyzer_arn=a.arn).items
    assert again.finding_id == first.finding_id and again.status == "ARCHIVED"
    update_assume_role_policy(actor=root, name="cross", document=trust({"AWS": "111122223333"}))
    (gone,) = findings.list_findings(actor=root, analyzer_arn=a.arn).items
    assert gone.status == "RESOLVED"
    with pytest.raises(ResourceNotFoundException):
        findings.update_findings(
            actor=root, analyzer_arn=a.arn, status="ACTIVE", ids=[first.finding_id]
        )


def test_archive_rules_archive_new_and_applied_findings(root, make_role):
    make_role("cross", {"AWS": OUTSIDER})
    a = analyzers.create_analyzer(
        actor=root,
        name="acct",
        type="ACCOUNT",
        archive_rules=[{"ruleName": "trusted", "filter": {"principal.AWS": {"eq": [OUTSIDER]}}}],
    )
    (f,) = findings.list_findings(actor=root, analyzer_arn=a.arn).items
    assert f.status == "ARCHIVED"
    make_role("public", {"AWS": "*"})
    assert len(findings.list_findings(actor=root, analyzer_arn=a.arn).items) == 2  # public: ACTIVE
    archive_rules.create_archive_rule(
        actor=root, analyzer_name="acct", rule_name="public", filter={"isPublic": {"eq": ["true"]}}
    )
    statuses = {
        x.resource.rsplit("/", 1)[-1]: x.status
        for x in findings.list_findings(actor=root, analyzer_arn=a.arn).items
    }
    assert statuses == {"cross": "ARCHIVED", "public": "ACTIVE"}  # a rule acts on new findings
    assert archive_rules.apply_archive_rule(actor=root, analyzer_arn=a.arn, rule_name="public") == 1
    active = findings.list_findings(
        actor=root, analyzer_arn=a.arn, filter={"status": {"eq": ["ACTIVE"]}}
    )
    assert active.items == []
    rule = archive_rules.update_archive_rule(
        actor=root,
        analyzer_name="acct",
        rule_name="public",
        filter={"resource": {"contains": ["pub"]}},
    )
    assert (
        archive_rules.get_archive_rule(actor=root, analyzer_name="acct", rule_name="public").filter
        == rule.filter
    )
    assert [
        r.name for r in archive_rules.list_archive_rules(actor=root, analyzer_name="acct").items
    ] == [
        "public",
        "trusted",
    ]
    with pytest.raises(ConflictException):
        archive_rules.create_archive_rule(
            actor=root, analyzer_name="acct", rule_name="public", filter={"id": {"exists": True}}
        )
    archive_rules.delete_archive_rule(actor=root, analyzer_name="acct", rule_name="public")
    with pytest.raises(ResourceNotFoundException):
        archive_rules.get_archive_rule(actor=root, analyzer_name="acct", rule_name="public")


def test_tags(root):
    a = analyzers.create_analyzer(actor=root, name="acct", type="ACCOUNT")
    analyzers.tag_resource(actor=root, resource_arn=a.arn, tags={"a": "1", "b": "2"})
    analyzers.untag_resource(actor=root, resource_arn=a.arn, tag_keys=["a"])
    assert analyzers.list_tags_for_resource(actor=root, resource_arn=a.arn) == {"b": "2"}


def test_iam_user_needs_access_analyzer_permissions(root, alice):
    from policies.operations import put_user_policy

    with pytest.raises(AccessDenied):
        analyzers.list_analyzers(actor=alice)
    with pytest.raises(AccessDenied):
        policy_checks.validate_policy(
            actor=alice, policy_document="{}", policy_type="IDENTITY_POLICY"
        )
    put_user_policy(
        actor=root,
        user_name="alice",
        policy_name="aa",
        document=allow_policy(
            ["access-analyzer:ListAnalyzers", "access-analyzer:CreateAnalyzer"],
            "*",
        ),
    )
    analyzers.create_analyzer(actor=alice, name="mine", type="ACCOUNT")
    assert [a.name for a in analyzers.list_analyzers(actor=alice).items] == ["mine"]
    with pytest.raises(AccessDenied):
        analyzers.delete_analyzer(actor=alice, name="mine")


def test_denied_call_is_audited_as_access_analyzer_event(alice):
    from audit.models import AuditEvent

    with pytest.raises(AccessDenied):
        analyzers.list_analyzers(actor=alice)
    event = AuditEvent.objects.get(event_name="ListAnalyzers")
    assert event.event_source == "access-analyzer.amazonaws.com" and not event.allowed


def test_outsider_does_not_see_analyzers(root, outsider):
    a = analyzers.create_analyzer(actor=root, name="acct", type="ACCOUNT")
    assert analyzers.list_analyzers(actor=outsider).items == []
    with pytest.raises(AccessDenied):
        findings.list_findings(actor=outsider, analyzer_arn=a.arn)


def test_list_paging(root):
    for i in range(3):
        analyzers.create_analyzer(actor=root, name=f"a{i}", type="ACCOUNT_UNUSED_ACCESS")
    first = analyzers.list_analyzers(actor=root, max_results=2)
    assert [a.name for a in first.items] == ["a0", "a1"] and first.next_token
    second = analyzers.list_analyzers(actor=root, max_results=2, next_token=first.next_token)
    assert [a.name for a in second.items] == ["a2"] and second.next_token is None
    with pytest.raises(ValidationException):
        analyzers.list_analyzers(actor=root, next_token="garbage")


def test_federated_and_not_principal_trust_are_external(root):
    from accounts.operations.roles import create_role

    saml = "arn:aws:iam::111122223333:saml-provider/corp"
    create_role(
        actor=root,
        name="web",
        trust_policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": saml},
                        "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                        "Condition": {
                            "StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}
                        },
                    }
                ],
            }
        ),
    )
    a = analyzers.create_analyzer(actor=root, name="acct", type="ACCOUNT")
    (f,) = findings.list_findings(actor=root, analyzer_arn=a.arn).items
    assert f.details["principal"] == {"Federated": saml}
    assert f.details["action"] == ["sts:AssumeRoleWithSAML", "sts:TagSession"]
    assert f.details["condition"] == {"SAML:aud": "https://signin.aws.amazon.com/saml"}


def test_org_id_condition_is_external_for_an_account_analyzer_only_named_in_the_finding(
    root, make_role
):
    make_role(
        "org-wide", {"AWS": "*"}, Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}}
    )
    a = analyzers.create_analyzer(actor=root, name="acct", type="ACCOUNT")
    (f,) = findings.list_findings(actor=root, analyzer_arn=a.arn).items
    assert f.details["isPublic"] is False
    assert f.details["condition"] == {"aws:PrincipalOrgID": "o-abcdefghij"}
    # The caller pinned to this account's roles: no finding; to any account's: public.
    make_role(
        "pinned",
        {"AWS": "*"},
        Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}},
    )
    make_role(
        "loose", {"AWS": "*"}, Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ci"}}
    )
    found = {
        f.resource.rsplit("/", 1)[-1]: f.details
        for f in findings.list_findings(actor=root, analyzer_arn=a.arn).items
    }
    assert set(found) == {"org-wide", "loose"} and found["loose"]["isPublic"] is True


def test_validate_and_checks_are_audited_without_the_document(root):
    from audit.models import AuditEvent

    policy_checks.validate_policy(
        actor=root, policy_document='{"Statement": []}', policy_type="IDENTITY_POLICY"
    )
    event = AuditEvent.objects.get(event_name="ValidatePolicy")
    assert event.event_source == "access-analyzer.amazonaws.com"
    assert event.request == {"policyType": "IDENTITY_POLICY"}


@pytest.fixture
def analyses(monkeypatch):
    """The external access analyses run (one per refresh of an account analyzer)."""
    calls = []
    real = analysis.external_access

    def counted(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(analysis, "external_access", counted)
    return calls


def test_each_findings_read_on_its_own_brings_the_findings_up_to_date(root, make_role, analyses):
    make_role("cross", {"AWS": OUTSIDER})
    a = analyzers.create_analyzer(actor=root, name="acct", type="ACCOUNT")
    analyses.clear()
    (f,) = findings.list_findings(actor=root, analyzer_arn=a.arn).items
    findings.get_finding(actor=root, analyzer_arn=a.arn, finding_id=f.finding_id)
    findings.get_findings_statistics(actor=root, analyzer_arn=a.arn)
    assert len(analyses) == 3


def test_reads_in_one_refresh_block_refresh_each_analyzer_once(root, make_role, analyses):
    make_role("cross", {"AWS": OUTSIDER})
    a = analyzers.create_analyzer(actor=root, name="acct", type="ACCOUNT")
    b = analyzers.create_analyzer(actor=root, name="other", type="ACCOUNT")
    analyses.clear()
    with findings.one_refresh_per_analyzer():
        (f,) = findings.list_findings(actor=root, analyzer_arn=a.arn).items
        findings.get_finding(actor=root, analyzer_arn=a.arn, finding_id=f.finding_id)
        stats = findings.get_findings_statistics(actor=root, analyzer_arn=a.arn)
        findings.list_findings(actor=root, analyzer_arn=b.arn)
    assert len(analyses) == 2  # a once, b once
    totals = stats.statistics["externalAccessFindingsStatistics"]
    assert totals["totalActiveFindings"] == 1
    findings.list_findings(actor=root, analyzer_arn=a.arn)
    assert len(analyses) == 3  # after the block, every read refreshes again


def test_a_failed_read_in_a_refresh_block_does_not_count_as_the_refresh(root, make_role, analyses):
    a = analyzers.create_analyzer(actor=root, name="acct", type="ACCOUNT")
    analyses.clear()
    with findings.one_refresh_per_analyzer():
        with pytest.raises(ValidationException):
            findings.list_findings(actor=root, analyzer_arn=a.arn, next_token="bogus")
        make_role("cross", {"AWS": OUTSIDER})
        stats = findings.get_findings_statistics(actor=root, analyzer_arn=a.arn)
    assert len(analyses) == 2  # the failed read's refresh was rolled back with it
    assert stats.statistics["externalAccessFindingsStatistics"]["totalActiveFindings"] == 1
