"""The labs shipped in labs/catalog/: each file validates, and each lab, run as a real
class, starts unsolved, is solvable by the trainee through the API (boto3 against the
live server, with the seat's own access key), resets to unsolved and ends cleanly.

Every lab has a solver below: the few calls a trainee who did the lab well would make.
A lab without a solver fails ``test_every_shipped_lab_has_a_solver``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Account, IamUser
from labs import operations as ops
from labs.format import DecisionCheck, Lab, load_lab_file
from labs.models import LabClass, Seat
from policies.engine import catalog, check_malformed

CATALOG = Path(__file__).resolve().parents[2] / "labs" / "catalog"
LAB_FILES = sorted(CATALOG.glob("*.yaml"))
VERSION = "2012-10-17"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": VERSION, "Statement": list(statements)})


# -- the solutions ---------------------------------------------------------------------


@dataclass(frozen=True)
class Trainee:
    """What a solver works with: the trainee's clients and the seat's account id."""

    iam: Any
    sts: Any
    account: str


Solver = Callable[[Trainee], None]


def solve_s3_prefix(t: Trainee) -> None:
    alpha = policy(
        {
            "Sid": "AlphaObjects",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": "arn:aws:s3:::acme-data/projects/alpha/*",
        },
        {
            "Sid": "ListAlphaOnly",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::acme-data",
            "Condition": {"StringLike": {"s3:prefix": ["projects/alpha/", "projects/alpha/*"]}},
        },
    )
    t.iam.put_group_policy(GroupName="developers", PolicyName="alpha-data", PolicyDocument=alpha)
    t.iam.delete_group_policy(GroupName="developers", PolicyName="s3-everything")


def solve_require_mfa(t: Trainee) -> None:
    # AWS's documented example: "Allows MFA-authenticated IAM users to manage their own
    # MFA device" (the DenyAllExceptListedIfNoMFA statement).
    require_mfa = policy(
        {
            "Sid": "DenyAllExceptListedIfNoMFA",
            "Effect": "Deny",
            "NotAction": [
                "iam:CreateVirtualMFADevice",
                "iam:EnableMFADevice",
                "iam:GetUser",
                "iam:ListMFADevices",
                "iam:ListVirtualMFADevices",
                "iam:ResyncMFADevice",
                "sts:GetSessionToken",
                "iam:ChangePassword",
                "iam:GetAccountPasswordPolicy",
            ],
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        }
    )
    t.iam.put_group_policy(GroupName="admins", PolicyName="require-mfa", PolicyDocument=require_mfa)


def solve_cross_account(t: Trainee) -> None:
    trust = policy(
        {
            "Sid": "AuditCo",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "AcmeAudit-7731"}},
        }
    )
    t.iam.update_assume_role_policy(RoleName="partner-audit", PolicyDocument=trust)
    t.iam.detach_role_policy(
        RoleName="partner-audit", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    t.iam.attach_role_policy(
        RoleName="partner-audit", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"
    )


def solve_boundary(t: Trainee) -> None:
    boundary = f"arn:aws:iam::{t.account}:policy/team-boundary"
    lead = policy(
        {
            "Sid": "ManageUsersWithTheTeamBoundary",
            "Effect": "Allow",
            "Action": [
                "iam:CreateUser",
                "iam:PutUserPermissionsBoundary",
                "iam:AttachUserPolicy",
                "iam:DetachUserPolicy",
                "iam:PutUserPolicy",
                "iam:DeleteUserPolicy",
            ],
            "Resource": f"arn:aws:iam::{t.account}:user/*",
            "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary}},
        },
        {"Sid": "ReadIam", "Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"},
        {
            "Sid": "ProtectTheBoundary",
            "Effect": "Deny",
            "Action": [
                "iam:CreatePolicyVersion",
                "iam:DeletePolicy",
                "iam:DeletePolicyVersion",
                "iam:SetDefaultPolicyVersion",
            ],
            "Resource": boundary,
        },
        {
            "Sid": "KeepBoundaries",
            "Effect": "Deny",
            "Action": "iam:DeleteUserPermissionsBoundary",
            "Resource": "*",
        },
    )
    t.iam.put_user_policy(UserName="lead-lee", PolicyName="team-lead", PolicyDocument=lead)


def solve_privilege_escalation(t: Trainee) -> None:
    arn = f"arn:aws:iam::{t.account}:policy/developer-tools"
    current = t.iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
    compute = next(s for s in current["Statement"] if s.get("Sid") == "Compute")
    tools = policy(
        compute,
        {
            "Sid": "PassOnlyTheAppRole",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": f"arn:aws:iam::{t.account}:role/app-runtime",
            "Condition": {
                "StringEquals": {
                    "iam:PassedToService": ["ec2.amazonaws.com", "lambda.amazonaws.com"]
                }
            },
        },
        {"Sid": "ReadIam", "Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"},
    )
    t.iam.create_policy_version(PolicyArn=arn, PolicyDocument=tools, SetAsDefault=True)
    t.iam.delete_policy_version(PolicyArn=arn, VersionId="v1")


def solve_abac(t: Trainee) -> None:
    access = policy(
        {
            "Sid": "ReadOwnProjectSecrets",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:ResourceTag/project": "${aws:PrincipalTag/project}"}
            },
        },
        {
            "Sid": "ListSecrets",
            "Effect": "Allow",
            "Action": "secretsmanager:ListSecrets",
            "Resource": "*",
        },
        {
            "Sid": "SeeOwnUser",
            "Effect": "Allow",
            "Action": ["iam:GetUser", "iam:ListUserTags"],
            "Resource": "arn:aws:iam::*:user/${aws:username}",
        },
    )
    t.iam.put_group_policy(
        GroupName="engineers", PolicyName="engineers-access", PolicyDocument=access
    )


def solve_hygiene(t: Trainee) -> None:
    t.iam.generate_credential_report()
    t.iam.update_account_password_policy(
        MinimumPasswordLength=14,
        RequireSymbols=True,
        RequireNumbers=True,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        AllowUsersToChangePassword=True,
        PasswordReusePrevention=24,
        MaxPasswordAge=90,
    )
    for key in t.iam.list_access_keys(UserName="old-admin")["AccessKeyMetadata"]:
        t.iam.update_access_key(
            UserName="old-admin", AccessKeyId=key["AccessKeyId"], Status="Inactive"
        )
    assert t.iam.get_account_summary()["SummaryMap"]["AccountAccessKeysPresent"] == 0


def solve_roles_instead_of_keys(t: Trainee) -> None:
    role_arn = f"arn:aws:iam::{t.account}:role/support-readonly"
    trust = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{t.account}:root"},
            "Action": "sts:AssumeRole",
        }
    )
    t.iam.create_role(RoleName="support-readonly", AssumeRolePolicyDocument=trust)
    t.iam.attach_role_policy(
        RoleName="support-readonly", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"
    )
    assume = policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn})
    t.iam.put_group_policy(
        GroupName="support", PolicyName="assume-support-role", PolicyDocument=assume
    )
    for key in t.iam.list_access_keys(UserName="support-shared")["AccessKeyMetadata"]:
        t.iam.update_access_key(
            UserName="support-shared", AccessKeyId=key["AccessKeyId"], Status="Inactive"
        )
    session = t.sts.assume_role(RoleArn=role_arn, RoleSessionName="trainee")
    assert session["AssumedRoleUser"]["Arn"].endswith(":assumed-role/support-readonly/trainee")


@dataclass(frozen=True)
class Solution:
    solve: Solver
    # The "what must keep working" objectives: they pass before the trainee acts.
    # Every other objective must fail at the start.
    passing_at_start: frozenset[str]


SOLUTIONS: dict[str, Solution] = {
    "s3-prefix-least-privilege": Solution(
        solve_s3_prefix, frozenset({"alpha-objects-writable", "list-alpha-prefix"})
    ),
    "require-mfa-for-admins": Solution(
        solve_require_mfa,
        frozenset({"admin-with-mfa", "enroll-own-device", "enable-own-device"}),
    ),
    "cross-account-role-external-id": Solution(
        solve_cross_account, frozenset({"partner-with-external-id", "other-accounts-refused"})
    ),
    "boundary-team-lead": Solution(solve_boundary, frozenset({"create-with-boundary"})),
    "close-privilege-escalation": Solution(
        solve_privilege_escalation, frozenset({"pass-app-role", "still-launch-instances"})
    ),
    "abac-project-tags": Solution(
        solve_abac, frozenset({"alice-reads-alpha", "new-project-works"})
    ),
    "account-hygiene": Solution(
        solve_hygiene, frozenset({"build-key-active", "no-root-keys", "alias-kept"})
    ),
    "roles-instead-of-shared-keys": Solution(
        solve_roles_instead_of_keys, frozenset({"others-cannot-assume"})
    ),
}


# -- near misses: plausible mistakes the grader must catch -------------------------------


def s3_list_without_prefix_condition(t: Trainee) -> None:
    objects = {
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": "arn:aws:s3:::acme-data/projects/alpha/*",
    }
    listing = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::acme-data"}
    t.iam.put_group_policy(
        GroupName="developers", PolicyName="s3-everything", PolicyDocument=policy(objects, listing)
    )


def mfa_deny_only_iam(t: Trainee) -> None:
    deny = {
        "Effect": "Deny",
        "Action": "iam:*",
        "Resource": "*",
        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    }
    t.iam.put_group_policy(
        GroupName="admins", PolicyName="require-mfa", PolicyDocument=policy(deny)
    )


def mfa_exempting_every_mfa_action(t: Trainee) -> None:
    deny = {
        "Effect": "Deny",
        "NotAction": ["iam:*MFADevice*", "iam:GetUser", "sts:GetSessionToken"],
        "Resource": "*",
        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    }
    t.iam.put_group_policy(
        GroupName="admins", PolicyName="require-mfa", PolicyDocument=policy(deny)
    )


def external_id_wildcard(t: Trainee) -> None:
    trust = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringLike": {"sts:ExternalId": "*"}},
    }
    t.iam.update_assume_role_policy(RoleName="partner-audit", PolicyDocument=policy(trust))
    t.iam.detach_role_policy(
        RoleName="partner-audit", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    t.iam.attach_role_policy(
        RoleName="partner-audit", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"
    )


def read_only_added_beside_admin(t: Trainee) -> None:
    solve_cross_account(t)
    t.iam.attach_role_policy(
        RoleName="partner-audit", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )


def boundary_matched_with_wildcard(t: Trainee) -> None:
    lead = {
        "Effect": "Allow",
        "Action": ["iam:CreateUser", "iam:PutUserPermissionsBoundary", "iam:AttachUserPolicy"],
        "Resource": "*",
        "Condition": {"StringLike": {"iam:PermissionsBoundary": "arn:aws:iam::*:policy/*"}},
    }
    t.iam.put_user_policy(UserName="lead-lee", PolicyName="team-lead", PolicyDocument=policy(lead))


def pass_role_scoped_but_own_policy_editable(t: Trainee) -> None:
    arn = f"arn:aws:iam::{t.account}:policy/developer-tools"
    current = t.iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
    kept = [s for s in current["Statement"] if s.get("Sid") not in ("PassRolesToCompute",)]
    passing = {
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": f"arn:aws:iam::{t.account}:role/app-runtime",
    }
    t.iam.create_policy_version(
        PolicyArn=arn, PolicyDocument=policy(*kept, passing), SetAsDefault=True
    )


def abac_with_project_names(t: Trainee) -> None:
    def project(name: str) -> dict[str, Any]:
        return {
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "aws:ResourceTag/project": name,
                    "aws:PrincipalTag/project": name,
                }
            },
        }

    t.iam.put_group_policy(
        GroupName="engineers",
        PolicyName="engineers-access",
        PolicyDocument=policy(project("alpha"), project("beta")),
    )


def hygiene_too_short_and_every_key_off(t: Trainee) -> None:
    t.iam.generate_credential_report()
    t.iam.update_account_password_policy(
        MinimumPasswordLength=12,
        RequireSymbols=True,
        RequireNumbers=True,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        PasswordReusePrevention=24,
    )
    for user in ("old-admin", "build-bot"):
        for key in t.iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
            t.iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])


def role_trusting_everyone(t: Trainee) -> None:
    trust = policy({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})
    t.iam.create_role(RoleName="support-readonly", AssumeRolePolicyDocument=trust)
    t.iam.attach_role_policy(
        RoleName="support-readonly", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"
    )
    for key in t.iam.list_access_keys(UserName="support-shared")["AccessKeyMetadata"]:
        t.iam.delete_access_key(UserName="support-shared", AccessKeyId=key["AccessKeyId"])
    t.sts.assume_role(
        RoleArn=f"arn:aws:iam::{t.account}:role/support-readonly", RoleSessionName="trainee"
    )


# (lab, mistake, the objectives it must fail): every other objective passes.
NEAR_MISSES: list[tuple[str, Solver, set[str]]] = [
    ("s3-prefix-least-privilege", s3_list_without_prefix_condition, {"list-other-prefix-blocked"}),
    (
        "require-mfa-for-admins",
        mfa_deny_only_iam,
        {"other-services-need-mfa", "enroll-own-device", "enable-own-device"},
    ),
    ("require-mfa-for-admins", mfa_exempting_every_mfa_action, {"no-mfa-removal-without-mfa"}),
    ("cross-account-role-external-id", external_id_wildcard, {"partner-wrong-external-id"}),
    ("cross-account-role-external-id", read_only_added_beside_admin, {"role-cannot-write"}),
    ("boundary-team-lead", boundary_matched_with_wildcard, {"create-with-other-boundary"}),
    (
        "close-privilege-escalation",
        pass_role_scoped_but_own_policy_editable,
        {"no-own-policy-rewrite", "no-old-version-switch", "no-admin-on-app-role"},
    ),
    ("abac-project-tags", abac_with_project_names, {"new-project-works"}),
    (
        "account-hygiene",
        hygiene_too_short_and_every_key_off,
        {"strong-password-policy", "build-key-active"},
    ),
    ("roles-instead-of-shared-keys", role_trusting_everyone, {"others-cannot-assume"}),
]


# -- helpers ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def boto_session() -> Any:
    return boto3.session.Session()  # one session: botocore's models load once


def trainee(session: Any, url: str, creds: ops.SeatCredentials) -> Trainee:
    """The seat's trainee at the API, with the access key the handout gives them."""
    assert creds.access_key_id and creds.secret_access_key

    def client(service: str) -> Any:
        return session.client(
            service,
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id=creds.access_key_id,
            aws_secret_access_key=creds.secret_access_key,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}),
        )

    return Trainee(iam=client("iam"), sts=client("sts"), account=creds.account_id)


def results(lab_class: LabClass, seat: int) -> tuple[ops.SeatGrade, dict[str, bool]]:
    (grade,) = ops.grade_class(lab_class=lab_class, seat=seat)
    return grade, {o.id: o.passed for o in grade.objectives}


def details(grade: ops.SeatGrade) -> str:
    return "\n".join(
        f"{o.id}: {'pass' if o.passed else 'FAIL'}: {o.detail}" for o in grade.objectives
    )


def assert_unsolved(lab: Lab, lab_class: LabClass, seat: int) -> None:
    grade, passed = results(lab_class, seat)
    expected = {o.id: o.id in SOLUTIONS[lab.id].passing_at_start for o in lab.objectives}
    assert passed == expected, details(grade)
    assert grade.score < grade.max_score


def statements_of(document: Any) -> list[dict[str, Any]]:
    body = json.loads(document) if isinstance(document, str) else document
    found = body["Statement"]
    return found if isinstance(found, list) else [found]


def start_documents(lab: Lab) -> list[tuple[str, Any]]:
    """(policy type, document) of every policy in the start state."""
    start = lab.start.authorization_details
    out: list[tuple[str, Any]] = []
    for user in start.get("UserDetailList", []):
        out += [("IDENTITY_POLICY", p["PolicyDocument"]) for p in user.get("UserPolicyList", [])]
    for group in start.get("GroupDetailList", []):
        out += [("IDENTITY_POLICY", p["PolicyDocument"]) for p in group.get("GroupPolicyList", [])]
    for role in start.get("RoleDetailList", []):
        out.append(("TRUST_POLICY", role["AssumeRolePolicyDocument"]))
        out += [("IDENTITY_POLICY", p["PolicyDocument"]) for p in role.get("RolePolicyList", [])]
    for managed in start.get("Policies", []):
        out += [("IDENTITY_POLICY", v["Document"]) for v in managed.get("PolicyVersionList", [])]
    return out


# -- the files -------------------------------------------------------------------------


def test_at_least_seven_labs_ship() -> None:
    assert len(LAB_FILES) >= 7


def test_every_shipped_lab_has_a_solver() -> None:
    assert {load_lab_file(p).id for p in LAB_FILES} == set(SOLUTIONS)


@pytest.mark.parametrize("path", LAB_FILES, ids=lambda p: p.stem)
def test_lab_file_validates_and_reads_well(path: Path) -> None:
    lab = load_lab_file(path)
    assert lab.id == path.stem
    assert 3 <= len(lab.objectives) <= 6
    assert all(o.hint and o.points > 0 for o in lab.objectives)
    assert len({o.title for o in lab.objectives}) == len(lab.objectives)
    for heading in ("## The scenario", "## What to do", "## What must keep working"):
        assert heading in lab.instructions
    # The solution's "keep working" objectives are objectives of this lab.
    assert SOLUTIONS[lab.id].passing_at_start <= {o.id for o in lab.objectives}


@pytest.mark.parametrize("path", LAB_FILES, ids=lambda p: p.stem)
def test_lab_policies_are_well_formed_and_name_real_actions(path: Path) -> None:
    lab = load_lab_file(path)
    for policy_type, document in start_documents(lab):
        text = ops.for_seat(json.dumps(document), "123456789012")
        assert check_malformed(text, policy_type) is None, text
        for statement in statements_of(text):
            for key in ("Action", "NotAction"):
                names = statement.get(key, [])
                for name in [names] if isinstance(names, str) else names:
                    assert catalog.expand(name) if "*" in name else catalog.action_exists(name), (
                        name
                    )
    for objective in lab.objectives:
        if isinstance(objective.check, DecisionCheck):
            assert catalog.action_exists(objective.check.action), objective.id


# -- the labs, run as classes ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", LAB_FILES, ids=lambda p: p.stem)
def test_lab_starts_unsolved_is_solved_through_the_api_resets_and_ends(
    path: Path, live_server: Any, boto_session: Any
) -> None:
    lab = load_lab_file(path)
    solution = SOLUTIONS[lab.id]
    started = ops.start_class(lab=lab, seats=2, base_url=live_server.url)
    lab_class = started.lab_class
    first, second = started.seats
    account_ids = [first.account_id, second.account_id]

    for seat in (1, 2):
        assert_unsolved(lab, lab_class, seat)

    before_reset = trainee(boto_session, live_server.url, first)
    solution.solve(before_reset)
    grade, _ = results(lab_class, 1)
    assert grade.score == grade.max_score, details(grade)
    assert_unsolved(lab, lab_class, 2)  # the other trainee's seat is untouched

    fresh = ops.reset_seat(seat=Seat.objects.get(lab_class=lab_class, number=1))
    assert_unsolved(lab, lab_class, 1)
    with pytest.raises(ClientError):  # the reset replaced the trainee's key
        before_reset.iam.get_user()

    # A reset seat can be done again from the start, with its new key.
    solution.solve(trainee(boto_session, live_server.url, fresh))
    grade, _ = results(lab_class, 1)
    assert grade.score == grade.max_score, details(grade)

    ops.end_class(lab_class=lab_class)
    assert not LabClass.objects.filter(pk=lab_class.pk).exists()
    assert not Account.objects.filter(pk__in=account_ids).exists()
    assert not IamUser.objects.filter(account_id__in=account_ids).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("lab_id", "mistake", "failing"),
    NEAR_MISSES,
    ids=[f"{lab_id}-{mistake.__name__}" for lab_id, mistake, _ in NEAR_MISSES],
)
def test_a_plausible_mistake_does_not_earn_full_score(
    lab_id: str, mistake: Solver, failing: set[str], live_server: Any, boto_session: Any
) -> None:
    lab = load_lab_file(CATALOG / f"{lab_id}.yaml")
    (seat,) = ops.start_class(lab=lab, seats=1, base_url=live_server.url).seats
    mistake(trainee(boto_session, live_server.url, seat))
    grade, passed = results(LabClass.objects.get(), 1)
    assert {o for o, ok in passed.items() if not ok} == failing, details(grade)


# -- the console: the trainee signs in and opens the pages the lab needs --------------

# (URL name, arguments, a text the page shows from the lab's start state)
CONSOLE_PAGES: dict[str, list[tuple[str, tuple[str, ...], str]]] = {
    "s3-prefix-least-privilege": [
        ("accounts:group-detail-tab", ("developers", "permissions"), "s3-everything"),
        ("policies:simulator", (), "dev-ana"),
    ],
    "require-mfa-for-admins": [
        ("accounts:group-detail-tab", ("admins", "permissions"), "AdministratorAccess"),
        ("accounts:user-detail", ("ops-olga",), "admins"),
    ],
    "cross-account-role-external-id": [
        ("accounts:role-detail", ("partner-audit",), "999988887777"),
    ],
    "boundary-team-lead": [
        ("accounts:user-detail", ("lead-lee",), "team-lead"),
        ("accounts:user-detail", ("web-wanda",), "team-boundary"),
        ("policies:policy-list", (), "team-boundary"),
    ],
    "close-privilege-escalation": [
        ("accounts:user-detail", ("dev-dana",), "developer-tools"),
        ("accounts:role-detail", ("ops-admin",), "AdministratorAccess"),
        ("policies:policy-list", (), "developer-tools"),
    ],
    "abac-project-tags": [
        ("accounts:group-detail-tab", ("engineers", "permissions"), "engineers-access"),
        ("accounts:user-detail-tab", ("alice", "tags"), "alpha"),
        ("policies:simulator", (), "carol"),
    ],
    "roles-instead-of-shared-keys": [
        ("accounts:group-detail", ("support",), "sam"),
        ("accounts:role-create", (), "Trusted entity"),
    ],
    "account-hygiene": [
        ("accounts:account-settings", (), "Minimum password length: <strong>8</strong>"),
        ("accounts:user-list", (), "build-bot"),
        ("accounts:user-detail-tab", ("old-admin", "security-credentials"), "Active"),
    ],
}


def test_every_shipped_lab_lists_its_console_pages() -> None:
    assert set(CONSOLE_PAGES) == set(SOLUTIONS)


@pytest.mark.django_db
@pytest.mark.parametrize("path", LAB_FILES, ids=lambda p: p.stem)
def test_trainee_signs_in_and_opens_the_labs_pages(path: Path, client: Any) -> None:
    lab = load_lab_file(path)
    (seat,) = ops.start_class(lab=lab, seats=1).seats
    r = client.post(
        reverse("accounts:user-signin", args=[seat.alias]),
        {"account": seat.alias, "username": seat.user_name, "password": seat.password},
    )
    assert r.status_code == 302 and r.url == reverse("accounts:user-signin-change-password")
    new_password = "Lab-trainee-password-2024!"
    r = client.post(
        r.url,
        {
            "old_password": seat.password,
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    pages = [
        ("iamconsole:dashboard", (), seat.alias),
        ("labs:lab", (), escape(lab.title)),
        *CONSOLE_PAGES[lab.id],
    ]
    for name, args, text in pages:
        r = client.get(reverse(name, args=args))
        html = r.content.decode()
        assert r.status_code == 200, (name, r.status_code)
        assert text in html, (name, text)
        assert "not authorized" not in html, (name, html[html.find("not authorized") - 300 :][:600])
