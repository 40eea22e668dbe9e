"""IAM's GenerateOrganizationsAccessReport / GetOrganizationsAccessReport: the services
the SCPs on an entity path leave accessible, and which of them the accounts under it
used (from the audit trail)."""

from __future__ import annotations

import json

import pytest

from accounts.errors import AccessDenied, NoSuchEntity
from accounts.operations.users import create_user
from organizations import operations as o

SCP = "SERVICE_CONTROL_POLICY"


@pytest.fixture
def lab(root, org, scps_enabled, member_account, member_root):
    ou = o.create_organizational_unit(actor=root, parent_id=org.root_id, name="lab")
    o.move_account(
        actor=root,
        account_id=member_account,
        source_parent_id=org.root_id,
        destination_parent_id=ou.id,
    )
    create_user(actor=member_root, name="someone")  # an IAM call by the member account
    return ou


def test_report_for_an_ou_lists_what_its_accounts_used(root, org, lab, member_account):
    path = f"{org.id}/{org.root_id}/{lab.id}/"
    job = o.generate_organizations_access_report(actor=root, entity_path=path)
    report = o.get_organizations_access_report(actor=root, job_id=job.job_id)
    by_ns = {d.namespace: d for d in report.details}
    assert by_ns["iam"].last is not None and by_ns["iam"].total == 1
    assert by_ns["iam"].entity_path == f"{org.id}/{org.root_id}/{lab.id}/{member_account}"
    assert by_ns["s3"].last is None
    assert report.accessible == len(report.details)
    assert report.not_accessed == report.accessible - 1


def test_an_allow_list_scp_narrows_the_accessible_services(root, org, lab):
    _, only_iam = o.create_policy(
        actor=root,
        content=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": ["iam:*", "sts:*"], "Resource": "*"}],
            }
        ),
        description="",
        name="OnlyIam",
        policy_type=SCP,
    )
    o.attach_policy(actor=root, policy_id=only_iam.id, target_id=lab.id)
    o.detach_policy(actor=root, policy_id="p-FullAWSAccess", target_id=lab.id)
    path = f"{org.id}/{org.root_id}/{lab.id}/"
    job = o.generate_organizations_access_report(actor=root, entity_path=path)
    report = o.get_organizations_access_report(actor=root, job_id=job.job_id)
    assert [d.namespace for d in report.details] == ["iam", "sts"]
    assert (report.accessible, report.not_accessed) == (2, 1)
    by_policy = o.generate_organizations_access_report(
        actor=root, entity_path=f"{org.id}/{org.root_id}/", policy_id=only_iam.id
    )
    assert o.get_organizations_access_report(actor=root, job_id=by_policy.job_id).accessible == 2


def test_only_the_management_account_may_ask_and_paths_must_exist(
    root, org, lab, member_root, member_account
):
    with pytest.raises(AccessDenied):
        o.generate_organizations_access_report(
            actor=member_root, entity_path=f"{org.id}/{org.root_id}/"
        )
    for bad in (
        f"{org.id}/r-zzzz/",
        f"{org.id}/{org.root_id}/ou-{org.root_id[2:]}-00000000/",
        f"{org.id}/{org.root_id}/{member_account}",  # the account is under the OU
    ):
        with pytest.raises(NoSuchEntity):
            o.generate_organizations_access_report(actor=root, entity_path=bad)
    with pytest.raises(NoSuchEntity):
        o.get_organizations_access_report(actor=root, job_id="missing")
    account_path = f"{org.id}/{org.root_id}/{lab.id}/{member_account}"
    job = o.generate_organizations_access_report(actor=root, entity_path=account_path)
    report = o.get_organizations_access_report(
        actor=root, job_id=job.job_id, sort_key="LAST_AUTHENTICATED_TIME_DESCENDING"
    )
    assert report.details[0].namespace == "iam"
