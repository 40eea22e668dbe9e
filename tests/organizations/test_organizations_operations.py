"""The Organizations operations: ids in AWS's formats, structure, accounts, handshakes,
policies, and every refusal with AWS's code (and reason where the model has one)."""

from __future__ import annotations

import json
import re
import threading

import pytest
from django.db import connection

from accounts.models import Account, Role
from accounts.principal import root_principal
from audit.models import AuditEvent
from organizations import operations as o
from organizations.errors import AccessDeniedException, OrgError
from organizations.lookup import org_path, organization_of
from organizations.models import Member, OrgPolicyAttachment
from policies.models import PolicyAttachment
from tests.organizations.conftest import DENY_CREATE_USER

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"


def code(exc_info: pytest.ExceptionInfo) -> str:
    return exc_info.value.code


def test_create_organization_makes_the_caller_the_management_account(root, account):
    org = o.create_organization(actor=root)
    assert re.fullmatch(r"o-[a-z0-9]{10}", org.id)
    assert re.fullmatch(r"r-[a-z0-9]{4}", org.root_id)
    assert org.arn == f"arn:aws:organizations::{account.id}:organization/{org.id}"
    assert org.management_account_id == account.id
    described = o.describe_organization(actor=root)
    assert described.id == org.id
    accounts = o.list_accounts(actor=root).items
    assert [m.account_id for m in accounts] == [account.id]
    event = AuditEvent.objects.get(event_name="CreateOrganization")
    assert event.event_source == "organizations.amazonaws.com" and event.allowed


def test_a_second_organization_is_refused(root, org):
    with pytest.raises(OrgError) as e:
        o.create_organization(actor=root)
    assert code(e) == "AlreadyInOrganizationException"


def test_an_account_outside_any_organization_is_told_so(outsider, org):
    with pytest.raises(OrgError) as e:
        o.describe_organization(actor=outsider)
    assert code(e) == "AWSOrganizationsNotInUseException"
    assert e.value.message == "Your account is not a member of an organization."


def test_members_cannot_call_management_operations(member_root, org):
    assert o.describe_organization(actor=member_root).id == org.id
    for call in (
        lambda: o.list_accounts(actor=member_root),
        lambda: o.list_roots(actor=member_root),
        lambda: o.create_organizational_unit(actor=member_root, parent_id=org.root_id, name="x"),
    ):
        with pytest.raises(Exception) as e:
            call()
        assert e.value.code == "AccessDeniedException"
        assert e.value.message == "You don't have permissions to access this resource."


def test_iam_policies_decide_organizations_actions(root, org, alice):
    with pytest.raises(Exception) as e:
        o.list_accounts(actor=alice)
    assert e.value.code == "AccessDeniedException"
    assert "organizations:ListAccounts" in e.value.message
    assert AuditEvent.objects.filter(event_name="ListAccounts", allowed=False).exists()


def test_ous_nest_five_deep_and_no_deeper(root, org):
    parent = org.root_id
    for depth in range(1, 6):
        ou = o.create_organizational_unit(actor=root, parent_id=parent, name=f"level{depth}")
        assert re.fullmatch(rf"ou-{org.root_id[2:]}-[a-z0-9]{{8}}", ou.id)
        parent = ou.id
    with pytest.raises(OrgError) as e:
        o.create_organizational_unit(actor=root, parent_id=parent, name="level6")
    assert code(e) == "ConstraintViolationException"
    assert e.value.fields == {"Reason": "OU_DEPTH_LIMIT_EXCEEDED"}


def test_ou_names_are_unique_under_one_parent(root, org):
    o.create_organizational_unit(actor=root, parent_id=org.root_id, name="prod")
    with pytest.raises(OrgError) as e:
        o.create_organizational_unit(actor=root, parent_id=org.root_id, name="prod")
    assert code(e) == "DuplicateOrganizationalUnitException"
    assert e.value.message == "An OU with the same name already exists."


def test_ou_lifecycle_and_errors(root, org, member_account):
    ou = o.create_organizational_unit(actor=root, parent_id=org.root_id, name="dev")
    child = o.create_organizational_unit(actor=root, parent_id=ou.id, name="team")
    assert o.describe_organizational_unit(actor=root, ou_id=ou.id).name == "dev"
    assert [
        u.id for u in o.list_organizational_units_for_parent(actor=root, parent_id=ou.id).items
    ] == [child.id]
    assert o.update_organizational_unit(actor=root, ou_id=child.id, name="squad").name == "squad"
    with pytest.raises(OrgError) as e:
        o.delete_organizational_unit(actor=root, ou_id=ou.id)
    assert code(e) == "OrganizationalUnitNotEmptyException"
    o.delete_organizational_unit(actor=root, ou_id=child.id)
    o.move_account(
        actor=root,
        account_id=member_account,
        source_parent_id=org.root_id,
        destination_parent_id=ou.id,
    )
    with pytest.raises(OrgError) as e:
        o.delete_organizational_unit(actor=root, ou_id=ou.id)
    assert code(e) == "OrganizationalUnitNotEmptyException"
    with pytest.raises(OrgError) as e:
        o.describe_organizational_unit(actor=root, ou_id=f"ou-{org.root_id[2:]}-00000000")
    assert code(e) == "OrganizationalUnitNotFoundException"
    with pytest.raises(OrgError) as e:
        o.describe_organizational_unit(actor=root, ou_id="nope")
    assert code(e) == "InvalidInputException" and e.value.fields["Reason"] == "INVALID_PATTERN"
    with pytest.raises(OrgError) as e:
        o.create_organizational_unit(
            actor=root, parent_id=f"ou-{org.root_id[2:]}-00000000", name="x"
        )
    assert code(e) == "ParentNotFoundException"


def test_children_parents_and_moves(root, org, member_account):
    ou = o.create_organizational_unit(actor=root, parent_id=org.root_id, name="lab")
    kids = o.list_children(actor=root, parent_id=org.root_id, child_type="ACCOUNT").items
    assert set(kids) == {member_account, org.management_account_id}
    assert o.list_children(
        actor=root, parent_id=org.root_id, child_type="ORGANIZATIONAL_UNIT"
    ).items == [ou.id]
    o.move_account(
        actor=root,
        account_id=member_account,
        source_parent_id=org.root_id,
        destination_parent_id=ou.id,
    )
    assert o.list_parents(actor=root, child_id=member_account)[1].items == [ou.id]
    assert o.list_parents(actor=root, child_id=ou.id)[1].items == [org.root_id]
    assert [
        m.account_id for m in o.list_accounts_for_parent(actor=root, parent_id=ou.id).items
    ] == [member_account]
    assert org_path(member_account) == f"{org.id}/{org.root_id}/{ou.id}/"
    with pytest.raises(OrgError) as e:
        o.move_account(
            actor=root,
            account_id=member_account,
            source_parent_id=org.root_id,
            destination_parent_id=ou.id,
        )
    assert code(e) == "SourceParentNotFoundException"
    with pytest.raises(OrgError) as e:
        o.move_account(
            actor=root,
            account_id=member_account,
            source_parent_id=ou.id,
            destination_parent_id=ou.id,
        )
    assert code(e) == "DuplicateAccountException"
    with pytest.raises(OrgError) as e:
        o.move_account(
            actor=root,
            account_id=member_account,
            source_parent_id=ou.id,
            destination_parent_id=f"ou-{org.root_id[2:]}-00000000",
        )
    assert code(e) == "DestinationParentNotFoundException"
    with pytest.raises(OrgError) as e:
        o.list_parents(actor=root, child_id="999999999999")
    assert code(e) == "ChildNotFoundException"


def test_create_account_makes_a_new_account_with_the_access_role(root, org, account):
    request = o.create_account(actor=root, email="new@example.com", account_name="Dev")
    assert re.fullmatch(r"car-[a-z0-9]{8}", request.id)
    assert request.state == "SUCCEEDED" and request.completed is not None
    new = request.account_id
    assert Account.objects.filter(pk=new).exists()
    member = o.describe_account(actor=root, account_id=new)
    assert (member.name, member.email, member.joined_method, member.status) == (
        "Dev",
        "new@example.com",
        "CREATED",
        "ACTIVE",
    )
    role = Role.objects.get(account_id=new, name="OrganizationAccountAccessRole")
    trust = json.loads(role.trust_policy)
    assert trust["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{account.id}:root"}
    attached = [
        a.policy.arn for a in PolicyAttachment.objects.filter(role=role).select_related("policy")
    ]
    assert attached == ["arn:aws:iam::aws:policy/AdministratorAccess"]
    assert o.describe_create_account_status(actor=root, request_id=request.id).account_id == new
    assert [r.id for r in o.list_create_account_status(actor=root, states=["SUCCEEDED"]).items] == [
        request.id
    ]
    info = organization_of(new)
    assert info is not None and info.member_account_ids == frozenset({new, account.id})


def test_create_account_with_a_taken_email_fails_as_aws_reports_it(root, org):
    request = o.create_account(actor=root, email="root@example.com", account_name="dup")
    assert (request.state, request.failure_reason, request.account_id) == (
        "FAILED",
        "EMAIL_ALREADY_EXISTS",
        "",
    )
    with pytest.raises(OrgError) as e:
        o.describe_create_account_status(actor=root, request_id="car-00000000")
    assert code(e) == "CreateAccountStatusNotFoundException"


def test_create_account_takes_a_role_name_and_checks_input(root, org):
    request = o.create_account(
        actor=root, email="x@example.com", account_name="x", role_name="Admin"
    )
    assert Role.objects.filter(account_id=request.account_id, name="Admin").exists()
    with pytest.raises(OrgError) as e:
        o.create_account(actor=root, email="not-an-email", account_name="x")
    assert code(e) == "InvalidInputException"
    with pytest.raises(OrgError) as e:
        o.create_account(actor=root, email="y@example.com", account_name="x", role_name="bad name!")
    assert e.value.fields == {"Reason": "INVALID_ROLE_NAME"}


def test_invitation_accepted_joins_the_account(root, org, outsider, other_account):
    h = o.invite_account_to_organization(
        actor=root, target_id=other_account.id, target_type="ACCOUNT"
    )
    assert re.fullmatch(r"h-[a-z0-9]{10}", h.id)
    assert [x.id for x in o.list_handshakes_for_account(actor=outsider).items] == [h.id]
    assert [x.id for x in o.list_handshakes_for_organization(actor=root).items] == [h.id]
    with pytest.raises(OrgError) as e:
        o.invite_account_to_organization(
            actor=root, target_id=other_account.id, target_type="ACCOUNT"
        )
    assert code(e) == "DuplicateHandshakeException"
    with pytest.raises(Exception) as e:
        o.accept_handshake(actor=root, handshake_id=h.id)
    assert e.value.code == "AccessDeniedException"
    accepted = o.accept_handshake(actor=outsider, handshake_id=h.id)
    assert accepted.state == "ACCEPTED"
    assert Member.objects.get(pk=other_account.id).joined_method == "INVITED"
    with pytest.raises(OrgError) as e:
        o.accept_handshake(actor=outsider, handshake_id=h.id)
    assert code(e) == "HandshakeAlreadyInStateException"
    with pytest.raises(OrgError) as e:
        o.invite_account_to_organization(
            actor=root, target_id=other_account.id, target_type="ACCOUNT"
        )
    assert code(e) == "HandshakeConstraintViolationException"
    assert e.value.fields == {"Reason": "ALREADY_IN_AN_ORGANIZATION"}


def test_invitations_declined_or_canceled(root, org, outsider, other_account):
    h = o.invite_account_to_organization(
        actor=root, target_id="other@example.org", target_type="EMAIL"
    )
    assert h.account_id == other_account.id
    assert o.decline_handshake(actor=outsider, handshake_id=h.id).state == "DECLINED"
    with pytest.raises(OrgError) as e:
        o.cancel_handshake(actor=root, handshake_id=h.id)
    assert code(e) == "InvalidHandshakeTransitionException"
    h2 = o.invite_account_to_organization(
        actor=root, target_id=other_account.id, target_type="ACCOUNT"
    )
    assert o.cancel_handshake(actor=root, handshake_id=h2.id).state == "CANCELED"
    with pytest.raises(OrgError) as e:
        o.accept_handshake(actor=outsider, handshake_id="h-0000000000")
    assert code(e) == "HandshakeNotFoundException"
    with pytest.raises(OrgError) as e:
        o.invite_account_to_organization(
            actor=root, target_id="999999999999", target_type="ACCOUNT"
        )
    assert code(e) == "AccountNotFoundException"


def test_leaving_removing_closing_and_deleting(root, org, member_account, member_root):
    with pytest.raises(OrgError) as e:
        o.delete_organization(actor=root)
    assert code(e) == "OrganizationNotEmptyException"
    with pytest.raises(OrgError) as e:
        o.leave_organization(actor=root)
    assert code(e) == "MasterCannotLeaveOrganizationException"
    with pytest.raises(OrgError) as e:
        o.remove_account_from_organization(actor=root, account_id=root.account_id)
    assert code(e) == "MasterCannotLeaveOrganizationException"
    closed = o.close_account(actor=root, account_id=member_account)
    assert closed.status == "SUSPENDED"
    with pytest.raises(OrgError) as e:
        o.close_account(actor=root, account_id=member_account)
    assert code(e) == "AccountAlreadyClosedException"
    with pytest.raises(OrgError) as e:
        o.close_account(actor=root, account_id=root.account_id)
    assert e.value.fields == {"Reason": "CANNOT_CLOSE_MANAGEMENT_ACCOUNT"}
    # A closed account can do nothing, leaving its organization included.
    with pytest.raises(AccessDeniedException):
        o.leave_organization(actor=member_root)
    o.remove_account_from_organization(actor=root, account_id=member_account)
    assert organization_of(member_account) is None
    with pytest.raises(OrgError) as e:
        o.remove_account_from_organization(actor=root, account_id=member_account)
    assert code(e) == "AccountNotFoundException"
    o.delete_organization(actor=root)
    assert organization_of(root.account_id) is None


def test_enabling_scps_attaches_full_aws_access_everywhere(root, org, member_account):
    ou = o.create_organizational_unit(actor=root, parent_id=org.root_id, name="before")
    o.enable_policy_type(actor=root, root_id=org.root_id, policy_type=SCP)
    later = o.create_organizational_unit(actor=root, parent_id=org.root_id, name="after")
    for target in (org.root_id, ou.id, later.id, member_account, root.account_id):
        _, page = o.list_policies_for_target(actor=root, target_id=target, policy_filter=SCP)
        assert [p.id for p in page.items] == ["p-FullAWSAccess"]
    _, page = o.list_policies(actor=root, policy_filter=SCP)
    full = page.items[0]
    assert full.aws_managed and full.arn_in(org) == (
        "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
    )
    with pytest.raises(OrgError) as e:
        o.enable_policy_type(actor=root, root_id=org.root_id, policy_type=SCP)
    assert code(e) == "PolicyTypeAlreadyEnabledException"
    with pytest.raises(OrgError) as e:
        o.enable_policy_type(actor=root, root_id="r-zzzz", policy_type=SCP)
    assert code(e) == "RootNotFoundException"
    with pytest.raises(OrgError) as e:
        o.enable_policy_type(actor=root, root_id=org.root_id, policy_type="TAG_POLICY")
    assert e.value.fields == {"Reason": "INVALID_ENUM_POLICY_TYPE"}
    o.disable_policy_type(actor=root, root_id=org.root_id, policy_type=SCP)
    assert not OrgPolicyAttachment.objects.filter(policy_type=SCP).exists()
    with pytest.raises(OrgError) as e:
        o.disable_policy_type(actor=root, root_id=org.root_id, policy_type=SCP)
    assert code(e) == "PolicyTypeNotEnabledException"


def test_policy_lifecycle_and_refusals(root, org, scps_enabled, member_account):
    _, policy = o.create_policy(
        actor=root,
        content=DENY_CREATE_USER,
        description="no users",
        name="NoUsers",
        policy_type=SCP,
    )
    assert re.fullmatch(r"p-[a-z0-9]{8}", policy.id)
    assert policy.arn_in(org) == (
        f"arn:aws:organizations::{root.account_id}:policy/{org.id}/service_control_policy/{policy.id}"
    )
    with pytest.raises(OrgError) as e:
        o.create_policy(
            actor=root, content=DENY_CREATE_USER, description="", name="NoUsers", policy_type=SCP
        )
    assert code(e) == "DuplicatePolicyException"
    o.attach_policy(actor=root, policy_id=policy.id, target_id=member_account)
    with pytest.raises(OrgError) as e:
        o.attach_policy(actor=root, policy_id=policy.id, target_id=member_account)
    assert code(e) == "DuplicatePolicyAttachmentException"
    targets = o.list_targets_for_policy(actor=root, policy_id=policy.id).items
    assert [(t.target_id, t.type) for t in targets] == [(member_account, "ACCOUNT")]
    with pytest.raises(OrgError) as e:
        o.delete_policy(actor=root, policy_id=policy.id)
    assert code(e) == "PolicyInUseException"
    with pytest.raises(OrgError) as e:
        o.attach_policy(actor=root, policy_id=policy.id, target_id="999999999999")
    assert code(e) == "TargetNotFoundException"
    with pytest.raises(OrgError) as e:
        o.describe_policy(actor=root, policy_id="p-00000000")
    assert code(e) == "PolicyNotFoundException"
    o.detach_policy(actor=root, policy_id=policy.id, target_id=member_account)
    with pytest.raises(OrgError) as e:
        o.detach_policy(actor=root, policy_id=policy.id, target_id=member_account)
    assert code(e) == "PolicyNotAttachedException"
    # The last SCP of a target stays, as in AWS.
    with pytest.raises(OrgError) as e:
        o.detach_policy(actor=root, policy_id="p-FullAWSAccess", target_id=member_account)
    assert e.value.fields == {"Reason": "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"}
    with pytest.raises(OrgError) as e:
        o.update_policy(actor=root, policy_id="p-FullAWSAccess", name="mine")
    assert e.value.fields == {"Reason": "IMMUTABLE_POLICY"}
    _, updated = o.update_policy(actor=root, policy_id=policy.id, description="changed")
    assert o.describe_policy(actor=root, policy_id=policy.id)[1].description == "changed"
    assert updated.name == "NoUsers"
    o.delete_policy(actor=root, policy_id=policy.id)
    assert [p.id for p in o.list_policies(actor=root, policy_filter=SCP)[1].items] == [
        "p-FullAWSAccess"
    ]


def test_policies_are_validated_with_the_scp_grammar_and_size(root, org, scps_enabled):
    with_principal = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}],
        }
    )
    for bad in ("not json", with_principal):
        with pytest.raises(OrgError) as e:
            o.create_policy(actor=root, content=bad, description="", name="bad", policy_type=SCP)
        assert code(e) == "MalformedPolicyDocumentException"
    big = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Action": [f"iam:Get{n:05}" for n in range(400)],
                    "Resource": "*",
                }
            ],
        }
    )
    assert len(big) > 5120
    with pytest.raises(OrgError) as e:
        o.create_policy(actor=root, content=big, description="", name="big", policy_type=SCP)
    assert e.value.fields == {"Reason": "POLICY_CONTENT_LIMIT_EXCEEDED"}
    with pytest.raises(OrgError) as e:
        o.create_policy(actor=root, content="{}", description="", name="bad", policy_type="NOPE")
    assert code(e) == "InvalidInputException"


def test_attaching_a_type_that_is_not_enabled_is_refused(root, org):
    o.enable_policy_type(actor=root, root_id=org.root_id, policy_type=RCP)
    _, rcp = o.create_policy(
        actor=root,
        content=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}
                ],
            }
        ),
        description="",
        name="rcp",
        policy_type=RCP,
    )
    _, scp = o.create_policy(
        actor=root, content=DENY_CREATE_USER, description="", name="s", policy_type=SCP
    )
    with pytest.raises(OrgError) as e:
        o.attach_policy(actor=root, policy_id=scp.id, target_id=org.root_id)
    assert code(e) == "PolicyTypeNotEnabledException"
    o.attach_policy(actor=root, policy_id=rcp.id, target_id=org.root_id)
    with pytest.raises(OrgError) as e:
        o.detach_policy(actor=root, policy_id="p-RCPFullAWSAccess", target_id=org.root_id)
    assert e.value.fields == {"Reason": "NON_DETACHABLE_POLICY"}


def test_lists_page_with_next_token(root, org):
    for n in range(5):
        o.create_organizational_unit(actor=root, parent_id=org.root_id, name=f"ou{n}")
    first = o.list_organizational_units_for_parent(actor=root, parent_id=org.root_id, max_results=2)
    assert len(first.items) == 2 and first.next_token
    seen = [u.id for u in first.items]
    token = first.next_token
    while token:
        page = o.list_organizational_units_for_parent(
            actor=root, parent_id=org.root_id, max_results=2, next_token=token
        )
        seen += [u.id for u in page.items]
        token = page.next_token
    assert len(set(seen)) == 5
    with pytest.raises(OrgError) as e:
        o.list_accounts(actor=root, next_token="garbage")
    assert e.value.fields == {"Reason": "INVALID_NEXT_TOKEN"}
    with pytest.raises(OrgError) as e:
        o.list_accounts(actor=root, max_results=21)
    assert code(e) == "InvalidInputException"


def test_a_failed_operation_changes_nothing(root, org, scps_enabled, member_account):
    before = OrgPolicyAttachment.objects.count()
    with pytest.raises(OrgError):
        o.detach_policy(actor=root, policy_id="p-FullAWSAccess", target_id=member_account)
    assert OrgPolicyAttachment.objects.count() == before
    failure = AuditEvent.objects.filter(event_name="DetachPolicy").latest("time")
    assert failure.error_code == "ConstraintViolationException"
    assert failure.event_source == "organizations.amazonaws.com"


@pytest.mark.django_db(transaction=True)
def test_racing_creates_give_one_success_and_one_duplicate(account):
    root = root_principal(account.id)
    org = o.create_organization(actor=root)
    results: list[object] = []
    barrier = threading.Barrier(2)

    def create() -> None:
        barrier.wait()
        try:
            results.append(
                o.create_organizational_unit(actor=root, parent_id=org.root_id, name="race")
            )
        except OrgError as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r if isinstance(r, str) else "ok" for r in results)
    assert codes == ["DuplicateOrganizationalUnitException", "ok"]


@pytest.mark.django_db(transaction=True)
def test_racing_create_organization_gives_one_organization(account):
    root = root_principal(account.id)
    results: list[str] = []
    barrier = threading.Barrier(2)

    def create() -> None:
        barrier.wait()
        try:
            o.create_organization(actor=root)
            results.append("ok")
        except OrgError as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["AlreadyInOrganizationException", "ok"]


@pytest.mark.django_db(transaction=True)
def test_racing_create_account_with_one_email_creates_one_account(account):
    root = root_principal(account.id)
    o.create_organization(actor=root)
    results: list[str] = []
    barrier = threading.Barrier(2)

    def create() -> None:
        barrier.wait()
        try:
            request = o.create_account(actor=root, email="race@example.com", account_name="r")
            results.append(request.failure_reason or request.state)
        except OrgError as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["EMAIL_ALREADY_EXISTS", "SUCCEEDED"]
    assert Member.objects.filter(email="race@example.com").count() == 1
