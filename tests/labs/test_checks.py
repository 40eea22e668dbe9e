"""Grading an objective against one seat account (labs/checks.py) and the seat
snapshot query checks read (labs/snapshot.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.errors import AccessDenied
from accounts.models import CredentialReport
from accounts.operations.account import (
    create_account_alias,
    sign_up,
    update_account_password_policy,
)
from accounts.operations.authdetails import get_account_authorization_details
from accounts.operations.credentials import create_access_key
from accounts.operations.groups import add_user_to_group, create_group
from accounts.operations.reports import COLUMNS
from accounts.operations.roles import create_role
from accounts.operations.users import create_user
from accounts.principal import (
    Principal,
    role_session_principal,
    root_principal,
    user_principal,
)
from audit.models import AuditEvent
from audit.trail import record_event
from labs.checks import CheckResult, grade_account, lazy_snapshot, run_check
from labs.format import DecisionCheck, EventCheck, Objective, QueryCheck
from labs.snapshot import iso, seat_snapshot
from policies.operations import (
    attach_group_policy,
    attach_role_policy,
    attach_user_policy,
    create_policy,
    create_policy_version,
    put_group_policy,
    put_role_policy,
    put_user_permissions_boundary,
    put_user_policy,
)
from tests.conftest import allow_policy, virtual_mfa_device

ACCOUNT = "111122223333"
EXTERNAL = "999988887777"
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(principal: dict, **condition: dict) -> str:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return doc(statement)


def check(c, account_id: str = ACCOUNT, since: datetime | None = None) -> CheckResult:
    since = since or datetime.now(UTC) - timedelta(hours=1)
    return run_check(c, account_id=account_id, since=since, snapshot=lazy_snapshot(account_id))


# -- decision checks ----------------------------------------------------------------------


def test_an_allowed_decision_passes_and_names_the_statement(root, iam_user):
    put_user_policy(
        actor=root,
        user_name="alice",
        policy_name="users",
        document=doc(
            {"Sid": "MakeUsers", "Effect": "Allow", "Action": "iam:CreateUser", "Resource": "*"}
        ),
    )
    result = check(DecisionCheck("allowed", "user/alice", "iam:CreateUser"))
    assert result == CheckResult(
        True, "allowed by statement 'MakeUsers' of an identity-based policy"
    )


def test_an_implicit_deny_fails_an_allowed_check_saying_no_statement_allows_it(root, iam_user):
    result = check(DecisionCheck("allowed", "user/alice", "iam:CreateUser"))
    assert not result.passed
    assert result.detail == "implicitly denied: no statement allows iam:CreateUser"


def test_a_denied_check_passes_on_an_implicit_deny(root, iam_user):
    result = check(DecisionCheck("denied", "user/alice", "iam:CreateUser"))
    assert result.passed
    assert result.detail.startswith("implicitly denied")


def test_an_explicit_deny_passes_a_denied_check_and_fails_an_allowed_one_by_name(root, iam_user):
    put_user_policy(actor=root, user_name="alice", policy_name="all", document=allow_policy())
    put_user_policy(
        actor=root,
        user_name="alice",
        policy_name="NoDeletes",
        document=doc(
            {"Sid": "KeepUsers", "Effect": "Deny", "Action": "iam:DeleteUser", "Resource": "*"}
        ),
    )
    arn = f"arn:aws:iam::{ACCOUNT}:user/bob"
    denied = check(DecisionCheck("denied", "user/alice", "iam:DeleteUser", arn))
    assert denied.passed and denied.detail.startswith("explicitly denied by statement 'KeepUsers'")

    allowed = check(DecisionCheck("allowed", "user/alice", "iam:DeleteUser", arn))
    assert not allowed.passed
    # The failure names the policy, not its position.
    assert allowed.detail == "explicitly denied by statement 'KeepUsers' of NoDeletes (inline)"


def test_an_unexpected_allow_fails_a_denied_check_naming_the_policy_that_allowed(root, iam_user):
    create_policy(actor=root, name="Everything", document=allow_policy())
    attach_user_policy(
        actor=root, user_name="alice", policy_arn=f"arn:aws:iam::{ACCOUNT}:policy/Everything"
    )
    result = check(DecisionCheck("denied", "user/alice", "iam:CreateUser"))
    assert result == CheckResult(False, "allowed by statement 1 of Everything")


def test_group_policies_count_for_the_user(root, iam_user, group):
    add_user_to_group(actor=root, group_name="developers", user_name="alice")
    attach_group_policy(actor=root, group_name="developers", policy_arn=READ_ONLY)
    assert check(DecisionCheck("allowed", "user/alice", "iam:ListUsers")).passed
    assert check(DecisionCheck("denied", "user/alice", "iam:CreateUser")).passed


def test_a_permissions_boundary_limits_the_user(root, iam_user):
    put_user_policy(actor=root, user_name="alice", policy_name="all", document=allow_policy())
    boundary = create_policy(actor=root, name="OnlyRead", document=allow_policy("iam:List*"))
    put_user_permissions_boundary(actor=root, user_name="alice", policy_arn=boundary.arn)
    assert check(DecisionCheck("allowed", "user/alice", "iam:ListUsers")).passed
    result = check(DecisionCheck("allowed", "user/alice", "iam:CreateUser"))
    assert not result.passed
    assert result.detail == (
        "implicitly denied: an identity-based policy allows iam:CreateUser, "
        "but the permissions boundary OnlyRead does not"
    )


DENY_WITHOUT_MFA = doc(
    {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
    {
        "Sid": "DenyWithoutMFA",
        "Effect": "Deny",
        "NotAction": ["iam:ChangePassword", "iam:GetUser"],
        "Resource": "*",
        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    },
)


def test_mfa_in_the_context_decides_a_deny_unless_mfa_policy(root, iam_user):
    put_user_policy(actor=root, user_name="alice", policy_name="mfa", document=DENY_WITHOUT_MFA)
    without = check(DecisionCheck("allowed", "user/alice", "iam:ListUsers"))
    assert not without.passed
    assert without.detail == "explicitly denied by statement 'DenyWithoutMFA' of mfa (inline)"
    assert check(DecisionCheck("denied", "user/alice", "iam:ListUsers")).passed
    given = {"aws:MultiFactorAuthPresent": "true"}
    assert check(DecisionCheck("allowed", "user/alice", "iam:ListUsers", context=given)).passed
    # Keys compare without case, and a given "false" is what it says.
    lower = {"aws:multifactorauthpresent": "false"}
    assert check(DecisionCheck("denied", "user/alice", "iam:ListUsers", context=lower)).passed


def test_mfa_age_is_set_only_when_mfa_is_present(root, iam_user):
    young = doc(
        {
            "Effect": "Allow",
            "Action": "iam:ListUsers",
            "Resource": "*",
            "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}},
        }
    )
    put_user_policy(actor=root, user_name="alice", policy_name="young", document=young)
    mfa = {"aws:MultiFactorAuthPresent": "true"}
    assert check(DecisionCheck("allowed", "user/alice", "iam:ListUsers", context=mfa)).passed
    assert check(DecisionCheck("denied", "user/alice", "iam:ListUsers")).passed
    old = {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "7200"}
    assert check(DecisionCheck("denied", "user/alice", "iam:ListUsers", context=old)).passed
    # An age without MFA is dropped: AWS never sends one.
    contradictory = {"aws:MultiFactorAuthPresent": "false", "aws:MultiFactorAuthAge": "10"}
    assert check(
        DecisionCheck("denied", "user/alice", "iam:ListUsers", context=contradictory)
    ).passed


def test_a_role_principal_is_a_session_of_the_role(root):
    create_role(
        actor=root, name="auditor", trust_policy=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    )
    attach_role_policy(actor=root, role_name="auditor", policy_arn=READ_ONLY)
    assert check(DecisionCheck("allowed", "role/auditor", "iam:ListRoles")).passed
    assert check(
        DecisionCheck("allowed", "role/AUDITOR", "iam:ListRoles")
    ).passed  # IAM ignores case
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/auditor/someone"
    assert check(DecisionCheck("allowed", session, "iam:ListRoles")).passed
    assert check(DecisionCheck("denied", "role/auditor", "iam:CreateRole")).passed
    # A session's aws:userid is the role id and the session name.
    put_role_policy(
        actor=root,
        role_name="auditor",
        policy_name="self",
        document=doc(
            {
                "Effect": "Allow",
                "Action": "iam:CreateUser",
                "Resource": "*",
                "Condition": {"StringLike": {"aws:userid": "*:lab-check"}},
            }
        ),
    )
    assert check(DecisionCheck("allowed", "role/auditor", "iam:CreateUser")).passed


def test_a_full_arn_of_the_seat_names_the_same_user(root):
    create_user(actor=root, name="carol", path="/dev/")
    put_user_policy(
        actor=root, user_name="carol", policy_name="list", document=allow_policy("iam:List*")
    )
    arn = f"arn:aws:iam::{ACCOUNT}:user/dev/carol"
    assert check(DecisionCheck("allowed", arn, "iam:ListUsers")).passed
    missing = check(DecisionCheck("allowed", f"arn:aws:iam::{ACCOUNT}:user/carol", "iam:ListUsers"))
    assert missing == CheckResult(
        False, f"no user arn:aws:iam::{ACCOUNT}:user/carol in the account"
    )


def test_an_unknown_user_or_role_fails_with_a_detail(account):
    assert check(DecisionCheck("allowed", "user/bob", "iam:ListUsers")) == CheckResult(
        False, "no user bob in the account"
    )
    assert check(DecisionCheck("denied", "role/admin", "iam:ListUsers")) == CheckResult(
        False, "no role admin in the account"
    )
    assert not check(DecisionCheck("allowed", "bob", "iam:ListUsers")).passed


def test_the_seat_root_may_do_anything_in_its_account(account):
    assert check(DecisionCheck("allowed", f"arn:aws:iam::{ACCOUNT}:root", "iam:CreateUser")).passed


EXTERNAL_ROOT = f"arn:aws:iam::{EXTERNAL}:root"


@pytest.fixture
def partner_role(root):
    return create_role(
        actor=root,
        name="partner",
        trust_policy=trust({"AWS": EXTERNAL_ROOT}, StringEquals={"sts:ExternalId": "Unicorn-42"}),
    )


def test_a_cross_account_trust_with_an_external_id_is_decided_by_the_trust_policy(partner_role):
    arn = partner_role.arn
    given = {"sts:ExternalId": "Unicorn-42"}
    ok = check(DecisionCheck("allowed", EXTERNAL_ROOT, "sts:AssumeRole", arn, given))
    assert ok == CheckResult(True, "allowed by statement 1 of the trust policy of role partner")

    without = check(DecisionCheck("allowed", EXTERNAL_ROOT, "sts:AssumeRole", arn))
    assert not without.passed
    assert without.detail.startswith(
        f"implicitly denied: the trust policy of role partner does not allow sts:AssumeRole "
        f"for {EXTERNAL_ROOT}; nearest: statement 1 of the trust policy of role partner: "
        "Condition:"
    )
    assert check(DecisionCheck("denied", EXTERNAL_ROOT, "sts:AssumeRole", arn)).passed
    # Passing session tags is asked of the trust policy too, which allows only AssumeRole.
    assert check(DecisionCheck("denied", EXTERNAL_ROOT, "sts:TagSession", arn, given)).passed
    wrong = check(
        DecisionCheck("denied", EXTERNAL_ROOT, "sts:AssumeRole", arn, {"sts:ExternalId": "x"})
    )
    assert wrong.passed

    # A user of the trusted account is covered by the account principal too; another
    # account is not.
    user = f"arn:aws:iam::{EXTERNAL}:user/partner-admin"
    assert check(DecisionCheck("allowed", user, "sts:AssumeRole", arn, given)).passed
    stranger = "arn:aws:iam::123412341234:root"
    result = check(DecisionCheck("allowed", stranger, "sts:AssumeRole", arn, given))
    assert not result.passed and "Principal" in result.detail


def test_an_external_principal_gets_nothing_without_a_resource_policy(partner_role):
    result = check(DecisionCheck("allowed", EXTERNAL_ROOT, "iam:ListUsers"))
    assert result == CheckResult(
        False,
        f"implicitly denied: no resource-based policy allows iam:ListUsers for {EXTERNAL_ROOT}",
    )


def test_a_trust_policy_must_allow_even_within_the_account(root, iam_user):
    role = create_role(actor=root, name="ops", trust_policy=trust({"Service": "ec2.amazonaws.com"}))
    put_user_policy(
        actor=root, user_name="alice", policy_name="assume", document=allow_policy("sts:AssumeRole")
    )
    result = check(DecisionCheck("allowed", "user/alice", "sts:AssumeRole", role.arn))
    assert not result.passed
    assert result.detail.startswith(
        "implicitly denied: the trust policy of role ops does not allow sts:AssumeRole"
    )
    missing = check(
        DecisionCheck(
            "allowed", "user/alice", "sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/nope"
        )
    )
    assert (
        missing.detail
        == f"implicitly denied: no role arn:aws:iam::{ACCOUNT}:role/nope in the account"
    )


# -- query checks -------------------------------------------------------------------------


def test_a_query_passes_only_on_exactly_true(root):
    assert check(QueryCheck("AccountAliases == `[]`")) == CheckResult(True, "query returned true")
    assert check(QueryCheck("AccountSummary.Users")) == CheckResult(False, "query returned 0")
    assert check(QueryCheck("PasswordPolicy")) == CheckResult(False, "query returned null")


def test_a_long_query_value_is_truncated_to_200_characters(root):
    result = check(QueryCheck("CredentialReport"))
    assert not result.passed
    value = result.detail.removeprefix("query returned ")
    assert len(value) == 200 and value.endswith("…")


def test_a_jmespath_error_fails_the_check_with_its_message(root):
    runtime = check(QueryCheck("length(PasswordPolicy) == `0`"))
    assert not runtime.passed and runtime.detail.startswith("query failed: ")
    assert "length" in runtime.detail
    syntax = check(QueryCheck("AccountSummary.["))
    assert not syntax.passed and syntax.detail.startswith("query failed: ")


def test_queries_over_the_password_policy(root):
    query = QueryCheck("PasswordPolicy.MinimumPasswordLength >= `14`")
    assert check(query) == CheckResult(False, "query returned null")
    update_account_password_policy(actor=root, minimum_password_length=12)
    assert check(query) == CheckResult(False, "query returned false")
    update_account_password_policy(actor=root, minimum_password_length=14, require_symbols=True)
    assert check(query).passed
    assert check(
        QueryCheck("PasswordPolicy.RequireSymbols && !(PasswordPolicy.ExpirePasswords)")
    ).passed


def test_queries_over_the_authorization_details(root, iam_user, group):
    create_user(actor=root, name="bob")
    add_user_to_group(actor=root, group_name="developers", user_name="bob")
    put_user_policy(actor=root, user_name="alice", policy_name="p", document=allow_policy("s3:*"))
    assert check(QueryCheck("length(AuthorizationDetails.UserDetailList) == `2`")).passed
    assert check(
        QueryCheck(
            "AuthorizationDetails.UserDetailList[?UserName=='bob'].GroupList[] == ['developers']"
        )
    ).passed
    # Documents are objects, not text.
    assert check(
        QueryCheck(
            "AuthorizationDetails.UserDetailList[?UserName=='alice'] | [0]"
            ".UserPolicyList[0].PolicyDocument.Statement[0].Action == 's3:*'"
        )
    ).passed


def test_queries_over_the_summary_and_the_credential_report(root, root_user, iam_user):
    mfa = QueryCheck("AccountSummary.AccountMFAEnabled == `1`")
    assert check(mfa) == CheckResult(False, "query returned false")
    virtual_mfa_device(root_user)
    assert check(mfa).passed
    create_access_key(actor=root, user_name="alice")
    keyed = "CredentialReport[?user=='alice'] | [0]"
    assert check(QueryCheck(f"{keyed}.access_key_1_active == 'true'")).passed
    assert check(QueryCheck(f"{keyed}.mfa_active == 'false'")).passed
    assert check(QueryCheck("CredentialReport[0].user == '<root_account>'")).passed


def test_queries_over_the_aliases(root):
    create_account_alias(actor=root, alias="seat-7")
    assert check(QueryCheck("contains(AccountAliases, 'seat-7')")).passed


# -- event checks -------------------------------------------------------------------------


def _event(actor: Principal, name: str, resource: str = "", *, allowed: bool = True) -> None:
    record_event(actor, name, resource, allowed=allowed)


def test_an_event_check_matches_name_result_and_principal(root, alice):
    with pytest.raises(AccessDenied):  # audited as a denied CreateUser by alice
        create_user(actor=alice, name="test1")
    assert check(EventCheck("CreateUser", principal="user/alice", result="denied")).passed
    by_alice = EventCheck("CreateUser", principal="user/alice", result="allowed")
    assert check(by_alice) == CheckResult(False, "no matching event")
    assert check(EventCheck("CreateUser", result="allowed")).passed  # root created alice
    assert check(EventCheck("createuser")) == CheckResult(False, "no matching event")  # case
    assert check(EventCheck("CreateUser", principal="user/ALICE")).passed  # names ignore case
    assert not check(EventCheck("CreateUser", principal="user/ali")).passed
    assert check(EventCheck("CreateUser", principal=alice.arn, result="denied")).passed
    assert check(EventCheck("CreateUser", principal=f"arn:aws:iam::{ACCOUNT}:user/a*")).passed
    assert not check(EventCheck("CreateUser", principal=f"arn:aws:iam::{ACCOUNT}:user/A*")).passed
    assert not check(EventCheck("CreateUser", principal="role/alice")).passed
    ok = check(EventCheck("CreateUser", principal="user/alice"))
    assert ok.detail.startswith(f"CreateUser by {alice.arn} at ")


def test_a_user_principal_matches_whatever_its_path(root):
    carol = create_user(actor=root, name="carol", path="/team/dev/")
    _event(user_principal(carol), "ListUsers")
    assert check(EventCheck("ListUsers", principal="user/carol")).passed
    by_path = check(EventCheck("ListUsers", principal="user/dev/carol"))
    assert by_path == CheckResult(
        False, "principal user/dev/carol: a name has no path (give the ARN for that)"
    )
    assert check(EventCheck("ListUsers", principal=carol.arn)).passed


def test_a_role_principal_matches_any_session_of_the_role(root):
    role = create_role(actor=root, name="deployer", trust_policy=trust({"AWS": ACCOUNT}))
    _event(role_session_principal(role, "ci-run-1"), "CreateRole")
    assert check(EventCheck("CreateRole", principal="role/deployer")).passed
    assert not check(EventCheck("CreateRole", principal="role/deploy")).passed
    assert check(
        EventCheck("CreateRole", principal=f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/ci-*")
    ).passed


def test_an_event_resource_is_an_arn_or_a_glob_with_case(root, alice):
    _event(alice, "CreateUser", f"arn:aws:iam::{ACCOUNT}:user/test1")
    user = f"arn:aws:iam::{ACCOUNT}:user/"
    assert check(EventCheck("CreateUser", resource=f"{user}test1")).passed
    assert not check(EventCheck("CreateUser", resource=f"{user}test")).passed
    assert check(EventCheck("CreateUser", resource=f"{user}te?t*")).passed
    assert check(EventCheck("CreateUser", resource="*:user/test?")).passed
    assert not check(EventCheck("CreateUser", resource=f"{user}TEST*")).passed
    assert not check(EventCheck("CreateUser", resource=f"{user}test1?")).passed
    # Only * and ? are special: a dot is a dot.
    assert not check(EventCheck("CreateUser", resource=f"arn.aws.iam::{ACCOUNT}:user/*")).passed


def test_events_before_since_and_events_the_lab_wrote_are_ignored(root, alice):
    since = datetime.now(UTC)
    _event(alice, "CreateGroup")
    AuditEvent.objects.filter(event_name="CreateGroup").update(time=since - timedelta(minutes=5))
    assert check(EventCheck("CreateGroup"), since=since) == CheckResult(False, "no matching event")
    assert check(EventCheck("CreateGroup"), since=since - timedelta(minutes=10)).passed

    _event(root_principal(ACCOUNT, via="lab"), "CreateRole")
    _event(user_principal_via(alice, "lab"), "CreateRole")
    assert check(EventCheck("CreateRole"), since=since) == CheckResult(False, "no matching event")
    _event(user_principal_via(alice, "api"), "CreateRole")
    assert check(EventCheck("CreateRole", principal="user/alice"), since=since).passed


def user_principal_via(actor: Principal, via: str) -> Principal:
    return actor.with_request(source_ip=actor.source_ip, via=via)


# -- seats are apart ----------------------------------------------------------------------


def _seat(number: int) -> str:
    account_id = f"5000000000{number:02d}"
    sign_up(email=f"seat{number}@example.com", password="seat-password-1", account_id=account_id)
    return account_id


def test_checks_on_one_seat_never_see_another_seats_users_or_events(db):
    a, b = _seat(1), _seat(2)
    bob = create_user(actor=root_principal(b), name="bob")
    put_user_policy(
        actor=root_principal(b), user_name="bob", policy_name="all", document=allow_policy()
    )
    _event(user_principal(bob), "CreateUser")

    assert check(DecisionCheck("allowed", "user/bob", "iam:ListUsers"), a) == CheckResult(
        False, "no user bob in the account"
    )
    assert check(DecisionCheck("allowed", bob.arn, "iam:ListUsers"), a).detail.startswith(
        "implicitly denied: no resource-based policy allows"  # another account's user
    )
    assert check(DecisionCheck("allowed", "user/bob", "iam:ListUsers"), b).passed
    assert not check(EventCheck("CreateUser"), a).passed
    assert not check(EventCheck("CreateUser", principal=bob.arn), a).passed
    assert check(EventCheck("CreateUser", principal="user/bob"), b).passed
    assert check(QueryCheck("length(AuthorizationDetails.UserDetailList) == `0`"), a).passed
    assert check(QueryCheck("length(AuthorizationDetails.UserDetailList) == `1`"), b).passed
    report = seat_snapshot(a)["CredentialReport"]
    assert [row["user"] for row in report] == ["<root_account>"]


# -- the snapshot -------------------------------------------------------------------------


def _populate(root: Principal, users: int) -> None:
    """A seat with users in groups, inline and attached policies, a boundary, roles."""
    create_group(actor=root, name="devs")
    put_group_policy(actor=root, group_name="devs", policy_name="g", document=allow_policy("s3:*"))
    attach_group_policy(actor=root, group_name="devs", policy_arn=READ_ONLY)
    policy = create_policy(actor=root, name="Custom", document=allow_policy("ec2:*"))
    create_policy_version(
        actor=root, arn=policy.arn, document=allow_policy("ec2:Describe*"), set_as_default=True
    )
    boundary = create_policy(actor=root, name="Boundary", document=allow_policy())
    create_role(actor=root, name="app", trust_policy=trust({"Service": "ec2.amazonaws.com"}))
    attach_role_policy(actor=root, role_name="app", policy_arn=policy.arn)
    put_role_policy(actor=root, role_name="app", policy_name="r", document=allow_policy("sqs:*"))
    for n in range(users):
        name = f"user{n:02d}"
        create_user(actor=root, name=name, tags=[{"Key": "team", "Value": "a"}])
        add_user_to_group(actor=root, group_name="devs", user_name=name)
        put_user_policy(actor=root, user_name=name, policy_name="u", document=allow_policy("sns:*"))
        attach_user_policy(actor=root, user_name=name, policy_arn=policy.arn)
        put_user_permissions_boundary(actor=root, user_name=name, policy_arn=boundary.arn)
        create_access_key(actor=root, user_name=name)


def _decoded(page_lists: dict) -> dict:
    """The operation's answer as the snapshot holds it: documents decoded, dates ISO."""

    def convert(value):
        if isinstance(value, datetime):
            return iso(value)
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    out = convert(page_lists)
    for kind, key in (
        ("UserDetailList", "UserPolicyList"),
        ("GroupDetailList", "GroupPolicyList"),
        ("RoleDetailList", "RolePolicyList"),
    ):
        for item in out[kind]:
            for inline in item[key]:
                inline["PolicyDocument"] = json.loads(inline["PolicyDocument"])
    for role in out["RoleDetailList"]:
        role["AssumeRolePolicyDocument"] = json.loads(role["AssumeRolePolicyDocument"])
    for policy in out["Policies"]:
        for version in policy["PolicyVersionList"]:
            version["Document"] = json.loads(version["Document"])
    return out


def test_the_authorization_details_are_the_operations_pages_merged(root):
    _populate(root, users=4)
    merged: dict[str, list] = {
        "UserDetailList": [],
        "GroupDetailList": [],
        "RoleDetailList": [],
        "Policies": [],
    }
    marker = None
    while True:
        page = get_account_authorization_details(actor=root, marker=marker, max_items=3)
        for key in merged:
            merged[key] += page[key]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    details = seat_snapshot(ACCOUNT)["AuthorizationDetails"]
    assert details == _decoded(merged)
    assert [p["PolicyName"] for p in details["Policies"]] == [
        "Boundary",
        "Custom",
        "IAMReadOnlyAccess",
    ]
    custom = details["Policies"][1]
    assert (custom["AttachmentCount"], len(custom["PolicyVersionList"])) == (5, 2)
    assert details["Policies"][0]["PermissionsBoundaryUsageCount"] == 4


def test_the_snapshot_is_one_json_document_of_every_section(root, iam_user):
    snapshot = seat_snapshot(ACCOUNT)
    assert set(snapshot) == {
        "AuthorizationDetails",
        "CredentialReport",
        "PasswordPolicy",
        "AccountSummary",
        "AccountAliases",
    }
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert snapshot["PasswordPolicy"] is None and snapshot["AccountAliases"] == []
    assert snapshot["AccountSummary"]["Users"] == 1
    user = snapshot["AuthorizationDetails"]["UserDetailList"][0]
    assert datetime.fromisoformat(user["CreateDate"]).utcoffset() == timedelta(0)
    rows = snapshot["CredentialReport"]
    assert [r["user"] for r in rows] == ["<root_account>", "alice"]
    assert all(
        list(r) == list(COLUMNS) and all(isinstance(v, str) for v in r.values()) for r in rows
    )
    assert rows[1]["password_enabled"] == "false" and rows[1]["access_key_1_active"] == "false"


def test_the_password_policy_is_shaped_as_the_api_answers(root):
    update_account_password_policy(actor=root, minimum_password_length=14, max_password_age=90)
    assert seat_snapshot(ACCOUNT)["PasswordPolicy"] == {
        "MinimumPasswordLength": 14,
        "RequireSymbols": False,
        "RequireNumbers": False,
        "RequireUppercaseCharacters": False,
        "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": False,
        "ExpirePasswords": True,
        "MaxPasswordAge": 90,
    }


def _queries(account_id: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        seat_snapshot(account_id)
    return len(ctx.captured_queries)


def test_the_snapshot_takes_a_fixed_number_of_queries(db):
    small, large = _seat(1), _seat(2)
    _populate(root_principal(small), users=2)
    _populate(root_principal(large), users=10)
    counts = (_queries(small), _queries(large))
    assert counts[0] == counts[1]
    # One query per kind of row; GetAccountSummary counts each kind of entity (its
    # count grows with the kinds IAM has, not with the entities).
    assert counts[0] <= 40


# -- grading as a whole -------------------------------------------------------------------


def test_grading_writes_nothing(root, iam_user):
    put_user_policy(actor=root, user_name="alice", policy_name="all", document=allow_policy())
    objectives = [
        Objective("a", "A", DecisionCheck("allowed", "user/alice", "iam:CreateUser")),
        Objective("b", "B", DecisionCheck("allowed", "user/nobody", "iam:CreateUser")),
        Objective("c", "C", DecisionCheck("denied", "user/alice", "iam:CreateUser")),
        Objective("d", "D", QueryCheck("PasswordPolicy.MinimumPasswordLength >= `14`")),
        Objective("e", "E", QueryCheck("length(PasswordPolicy)")),
        Objective("f", "F", EventCheck("CreateUser")),
    ]
    before = (AuditEvent.objects.count(), CredentialReport.objects.count())
    results = grade_account(objectives, account_id=ACCOUNT, since=datetime.now(UTC))
    assert [r.passed for _, r in results] == [True, False, False, False, False, False]
    assert (AuditEvent.objects.count(), CredentialReport.objects.count()) == before


def test_grade_account_builds_the_snapshot_once_and_only_when_asked(root, monkeypatch):
    import labs.checks

    built = []
    monkeypatch.setattr(labs.checks, "seat_snapshot", lambda a: built.append(a) or {"x": True})
    queries = [Objective(str(n), "q", QueryCheck("x")) for n in range(3)]
    results = grade_account(queries, account_id=ACCOUNT, since=datetime.now(UTC))
    assert [r for _, r in results] == [CheckResult(True, "query returned true")] * 3
    assert built == [ACCOUNT]

    built.clear()
    grade_account(
        [Objective("e", "e", EventCheck("CreateUser"))], account_id=ACCOUNT, since=datetime.now(UTC)
    )
    assert built == []


def test_a_failure_while_grading_is_a_failed_check_not_an_exception(account, caplog):
    def broken() -> dict:
        raise RuntimeError("disk on fire")

    result = run_check(
        QueryCheck("a"), account_id=ACCOUNT, since=datetime.now(UTC), snapshot=broken
    )
    assert result == CheckResult(False, "grading failed: RuntimeError: disk on fire")
    assert "grading" in caplog.text
    odd = run_check(object(), account_id=ACCOUNT, since=datetime.now(UTC), snapshot=broken)  # type: ignore[arg-type]
    assert odd == CheckResult(False, "unknown kind of check: object")


def test_a_failed_snapshot_is_not_built_again(account, monkeypatch):
    import labs.checks

    calls = []

    def failing(account_id: str) -> dict:
        calls.append(account_id)
        raise RuntimeError("no")

    monkeypatch.setattr(labs.checks, "seat_snapshot", failing)
    results = grade_account(
        [Objective(str(n), "q", QueryCheck("x")) for n in range(2)],
        account_id=ACCOUNT,
        since=datetime.now(UTC),
    )
    assert [r.passed for _, r in results] == [False, False]
    assert len(calls) == 1
