"""The decision flow of AWS "Policy evaluation logic", same- and cross-account."""

import pytest

from policies.engine import Request, compile_policy, denial_message, evaluate

ACCT = "111122223333"
OTHER = "444455556666"
ALICE = f"arn:aws:iam::{ACCT}:user/alice"
ROLE = f"arn:aws:iam::{ACCT}:role/app"
SESSION = f"arn:aws:sts::{ACCT}:assumed-role/app/s1"
BUCKET = "arn:aws:s3:::logs/k"


def pol(effect, action, resource="*", **extra):
    st = {"Effect": effect, "Action": action, "Resource": resource, **extra}
    return {"Version": "2012-10-17", "Statement": [st]}


def allow(action, resource="*", **extra):
    return pol("Allow", action, resource, **extra)


def deny(action, resource="*", **extra):
    return pol("Deny", action, resource, **extra)


def rp(effect, principal, action="s3:GetObject", resource=BUCKET):
    return pol(effect, action, resource, Principal=principal)


def req(principal=ALICE, action="s3:GetObject", resource=BUCKET, account=ACCT, **ctx):
    return Request(principal, action, resource, ctx, account)


def test_explicit_deny_beats_allow():
    policies = [allow("s3:*"), deny("s3:DeleteBucket", "arn:aws:s3:::logs")]
    request = req(action="s3:DeleteBucket", resource="arn:aws:s3:::logs")
    decision = evaluate(request, identity_policies=policies)
    assert decision.effect == "ExplicitDeny"
    assert [(s.policy, s.index) for s in decision.statements] == [("identity[1]", 0)]


def test_nothing_applies_means_implicit_deny():
    assert evaluate(req(), identity_policies=[allow("ec2:*")]).effect == "ImplicitDeny"


def test_not_action_with_allow_grants_everything_else():
    p = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
    }
    assert evaluate(req(), identity_policies=[p]).effect == "Allow"
    assert evaluate(req(action="iam:CreateUser"), identity_policies=[p]).effect == "ImplicitDeny"


def test_not_resource_with_deny_denies_everything_else():
    p = [
        allow("s3:*"),
        {
            "Version": "2012-10-17",
            "Statement": {"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::logs/*"},
        },
    ]
    assert evaluate(req(), identity_policies=p).effect == "Allow"
    assert (
        evaluate(req(resource="arn:aws:s3:::secret/k"), identity_policies=p).effect
        == "ExplicitDeny"
    )


def test_policy_variable_in_resource_scopes_users_to_their_home_prefix():
    # AWS docs: "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*"
    p = allow("s3:GetObject", "arn:aws:s3:::bucket/home/${aws:username}/*")
    ok = Request(
        ALICE,
        "s3:GetObject",
        "arn:aws:s3:::bucket/home/alice/a.txt",
        {"aws:username": "alice"},
        ACCT,
    )
    other = Request(
        ALICE, "s3:GetObject", "arn:aws:s3:::bucket/home/bob/a.txt", {"aws:username": "alice"}, ACCT
    )
    missing = Request(ALICE, "s3:GetObject", "arn:aws:s3:::bucket/home/alice/a.txt", {}, ACCT)
    assert evaluate(ok, identity_policies=[p]).effect == "Allow"
    assert evaluate(other, identity_policies=[p]).effect == "ImplicitDeny"
    assert evaluate(missing, identity_policies=[p]).effect == "ImplicitDeny"


def test_request_build_adds_the_keys_aws_derives_from_the_principal():
    p = allow("s3:GetObject", "arn:aws:s3:::bucket/home/${aws:username}/*")
    r = Request.build(ALICE, "s3:GetObject", "arn:aws:s3:::bucket/home/alice/x", {}, ACCT)
    assert r.context["aws:PrincipalAccount"] == ACCT
    assert evaluate(r, identity_policies=[p]).effect == "Allow"


# (principal, resource policy principal, boundary?, expected) — AWS "Policy evaluation
# for requests within a single account".
SAME_ACCOUNT = [
    (ALICE, {"AWS": ALICE}, False, "Allow"),  # RP naming the user grants alone
    (ALICE, {"AWS": ALICE}, True, "Allow"),  # ... even with a boundary that does not allow
    (ALICE, {"AWS": f"arn:aws:iam::{ACCT}:root"}, False, "ImplicitDeny"),  # account: delegates
    (ALICE, {"AWS": ACCT}, False, "ImplicitDeny"),  # account id == root ARN
    (SESSION, {"AWS": SESSION}, True, "Allow"),  # session ARN: not limited by boundary
    (SESSION, {"AWS": ROLE}, False, "Allow"),  # role ARN covers its sessions
    (SESSION, {"AWS": ROLE}, True, "ImplicitDeny"),  # ... but the boundary still applies
    (ALICE, {"AWS": f"arn:aws:iam::{ACCT}:user/bob"}, False, "ImplicitDeny"),
    (ALICE, "*", True, "Allow"),
]


@pytest.mark.parametrize("principal, rp_principal, with_boundary, expected", SAME_ACCOUNT)
def test_resource_policies_within_one_account(principal, rp_principal, with_boundary, expected):
    boundary = allow("ec2:*") if with_boundary else None
    decision = evaluate(
        req(principal=principal),
        identity_policies=[],
        resource_policy=rp("Allow", rp_principal),
        permissions_boundary=boundary,
    )
    assert decision.effect == expected


@pytest.mark.parametrize(
    "identity, resource_policy, expected",
    [
        ([allow("s3:GetObject")], None, "ImplicitDeny"),
        ([], rp("Allow", {"AWS": ALICE}), "ImplicitDeny"),
        ([allow("s3:GetObject")], rp("Allow", {"AWS": ALICE}), "Allow"),
        ([allow("s3:GetObject")], rp("Allow", {"AWS": ACCT}), "Allow"),
        ([allow("s3:GetObject")], rp("Deny", {"AWS": ALICE}), "ExplicitDeny"),
    ],
)
def test_cross_account_needs_both_identity_and_resource_policy(identity, resource_policy, expected):
    decision = evaluate(
        req(account=OTHER), identity_policies=identity, resource_policy=resource_policy
    )
    assert decision.effect == expected


def test_permissions_boundary_must_allow_what_identity_allows():
    r = req(principal=ROLE)
    assert (
        evaluate(r, identity_policies=[allow("s3:*")], permissions_boundary=allow("s3:*")).effect
        == "Allow"
    )
    d = evaluate(r, identity_policies=[allow("s3:*")], permissions_boundary=allow("ec2:*"))
    assert d.effect == "ImplicitDeny" and d.reason == "permissions_boundary"
    assert "because no permissions boundary allows the s3:GetObject action" in denial_message(d)


def test_session_policies_limit_a_role_session():
    r = req(principal=SESSION)
    assert (
        evaluate(r, identity_policies=[allow("s3:*")], session_policies=[allow("s3:Get*")]).effect
        == "Allow"
    )
    d = evaluate(r, identity_policies=[allow("s3:*")], session_policies=[allow("ec2:*")])
    assert d.effect == "ImplicitDeny" and d.reason == "session"
    assert evaluate(r, identity_policies=[], session_policies=[allow("*")]).effect == "ImplicitDeny"


def test_every_scp_level_must_allow():
    full = allow("*")
    r = req()
    assert evaluate(r, identity_policies=[allow("s3:*")], scps=[[full], [full]]).effect == "Allow"
    d = evaluate(r, identity_policies=[allow("s3:*")], scps=[[full], [allow("ec2:*")]])
    assert d.effect == "ImplicitDeny" and d.reason == "scp"
    assert (
        evaluate(r, identity_policies=[allow("s3:*")], scps=[[full, deny("s3:GetObject")]]).effect
        == "ExplicitDeny"
    )


def test_scps_never_grant_by_themselves():
    assert evaluate(req(), identity_policies=[], scps=[[allow("*")]]).effect == "ImplicitDeny"


def test_rcps_deny_even_anonymous_callers():
    public = rp("Allow", "*")
    rcp_deny = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"},
    }
    anon = req(principal=None)
    assert evaluate(anon, resource_policy=public).effect == "Allow"
    assert (
        evaluate(
            anon,
            resource_policy=public,
            rcps=[{"policies": [rcp_deny], "implicit_RCPFullAccess": True}],
        ).effect
        == "ExplicitDeny"
    )


def test_anonymous_callers_are_covered_only_by_principal_star():
    assert (
        evaluate(req(principal=None), resource_policy=rp("Allow", {"AWS": ACCT})).effect
        == "ImplicitDeny"
    )
    assert (
        evaluate(req(principal=None), resource_policy=rp("Allow", {"AWS": "*"})).effect == "Allow"
    )


def test_resource_policy_statement_without_principal_applies_to_no_one():
    p = allow("s3:GetObject")
    assert evaluate(req(), identity_policies=[], resource_policy=p).effect == "ImplicitDeny"


def test_not_principal_allow_covers_everyone_not_listed():
    np = pol("Allow", "s3:GetObject", BUCKET, NotPrincipal={"AWS": f"arn:aws:iam::{ACCT}:user/bob"})
    assert evaluate(req(), resource_policy=np).effect == "Allow"
    np2 = pol("Allow", "s3:GetObject", BUCKET, NotPrincipal={"AWS": ALICE})
    assert evaluate(req(), resource_policy=np2).effect == "ImplicitDeny"


def test_deny_with_not_principal_always_denies_principals_with_a_boundary():
    # AWS "NotPrincipal": with a permissions boundary the Deny applies whatever is listed.
    np = pol("Deny", "s3:GetObject", BUCKET, NotPrincipal={"AWS": ROLE})
    r = req(principal=ROLE)
    assert evaluate(r, identity_policies=[allow("s3:*")], resource_policy=np).effect == "Allow"
    d = evaluate(
        r, identity_policies=[allow("s3:*")], resource_policy=np, permissions_boundary=allow("*")
    )
    assert d.effect == "ExplicitDeny"


def test_role_trust_policy_must_allow_assume_role_even_in_the_same_account():
    r = req(action="sts:AssumeRole", resource=ROLE)
    assert evaluate(r, identity_policies=[allow("sts:AssumeRole")]).effect == "ImplicitDeny"
    trust = rp("Allow", {"AWS": ALICE}, "sts:AssumeRole", "*")
    assert evaluate(r, identity_policies=[], resource_policy=trust).effect == "Allow"


def test_kms_key_policy_naming_the_account_needs_an_identity_allow():
    key = f"arn:aws:kms:us-east-1:{ACCT}:key/1"
    r = req(action="kms:Decrypt", resource=key)
    kp = rp("Allow", {"AWS": f"arn:aws:iam::{ACCT}:root"}, "kms:*", "*")
    assert evaluate(r, identity_policies=[], resource_policy=kp).effect == "ImplicitDeny"
    assert (
        evaluate(r, identity_policies=[allow("kms:Decrypt")], resource_policy=kp).effect == "Allow"
    )


def test_service_principals_are_granted_by_resource_policies_only():
    r = req(principal="lambda.amazonaws.com", action="sts:AssumeRole", resource=ROLE)
    trust = rp("Allow", {"Service": "lambda.amazonaws.com"}, "sts:AssumeRole", "*")
    assert evaluate(r, resource_policy=trust).effect == "Allow"
    assert evaluate(r, identity_policies=[allow("*")]).effect == "ImplicitDeny"


def test_get_caller_identity_is_always_allowed():
    d = evaluate(req(action="sts:GetCallerIdentity", resource="*"), identity_policies=[deny("*")])
    assert d.effect == "Allow"


@pytest.mark.parametrize(
    "action, resource, expected",
    [
        ("iam:GetPolicy", "arn:aws:iam::aws:policy/AdministratorAccess", "Allow"),
        ("iam:DeletePolicy", "arn:aws:iam::aws:policy/AdministratorAccess", "ImplicitDeny"),
        (
            "iam:DeleteRole",
            f"arn:aws:iam::{ACCT}:role/aws-reserved/sso.amazonaws.com/X",
            "ImplicitDeny",
        ),
        ("kms:DeleteAlias", f"arn:aws:kms:us-east-1:{ACCT}:alias/aws/s3", "ImplicitDeny"),
        ("kms:DeleteAlias", f"arn:aws:kms:us-east-1:{ACCT}:alias/mine", "Allow"),
    ],
)
def test_resources_aws_owns_take_only_read_and_list_actions(action, resource, expected):
    assert (
        evaluate(req(action=action, resource=resource), identity_policies=[allow("*")]).effect
        == expected
    )


def test_wildcard_only_actions_need_resource_star():
    r = req(action="s3:ListAllMyBuckets", resource="*")
    assert (
        evaluate(r, identity_policies=[allow("s3:ListAllMyBuckets", "arn:aws:s3:::b")]).effect
        == "ImplicitDeny"
    )
    assert evaluate(r, identity_policies=[allow("s3:ListAllMyBuckets", "*")]).effect == "Allow"


def test_pattern_requests_allow_on_overlap_and_deny_only_on_cover():
    r = req(resource="arn:aws:s3:::bucket/*")
    policies = [
        allow("s3:GetObject", "arn:aws:s3:::bucket/*"),
        deny("s3:GetObject", "arn:aws:s3:::bucket/private/*"),
    ]
    assert evaluate(r, identity_policies=policies).effect == "Allow"
    r2 = req(resource="arn:aws:s3:::bucket/private/*")
    assert evaluate(r2, identity_policies=policies).effect == "ExplicitDeny"


def test_evaluate_accepts_json_text_and_compiled_policies_alike():
    import json

    doc = allow("s3:GetObject")
    for form in (doc, json.dumps(doc), compile_policy(doc)):
        assert evaluate(req(), identity_policies=[form]).effect == "Allow"


def test_explain_says_which_element_did_not_match():
    p = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Other", "Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
            {
                "Sid": "Ip",
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            },
        ],
    }
    d = evaluate(req(**{"aws:SourceIp": "203.0.113.1"}), identity_policies=[p])
    traces = d.explain().traces
    assert [(t.sid, t.matched, t.element) for t in traces] == [
        ("Other", False, "Action"),
        ("Ip", False, "Condition"),
    ]
    assert "Condition" in d.explain().text()
    assert d.explain().as_dicts()[0]["sid"] == "Other"


@pytest.mark.parametrize(
    "identity, boundary, expected",
    [
        ([], None, "because no identity-based policy allows the s3:GetObject action"),
        ([deny("s3:*")], None, "with an explicit deny in an identity-based policy"),
        ([allow("s3:*")], deny("*"), "with an explicit deny in a permissions boundary"),
    ],
)
def test_denial_messages_use_aws_wording(identity, boundary, expected):
    d = evaluate(req(), identity_policies=identity, permissions_boundary=boundary)
    msg = denial_message(d)
    assert (
        msg
        == f"User: {ALICE} is not authorized to perform: s3:GetObject on resource: {BUCKET} {expected}"
    )


def test_version_2008_and_missing_version_treat_variables_as_text():
    p = {
        "Statement": {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/${aws:username}",
        }
    }
    literal = Request(
        ALICE, "s3:GetObject", "arn:aws:s3:::b/${aws:username}", {"aws:username": "alice"}, ACCT
    )
    assert evaluate(literal, identity_policies=[p]).effect == "Allow"


def test_scps_do_not_affect_service_linked_roles():
    slr = (
        f"arn:aws:iam::{ACCT}:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport"
    )
    r = req(principal=slr)
    assert evaluate(r, identity_policies=[allow("s3:*")], scps=[[deny("*")]]).effect == "Allow"
    assert (
        evaluate(req(principal=ROLE), identity_policies=[allow("s3:*")], scps=[[deny("*")]]).effect
        == "ExplicitDeny"
    )


def test_a_single_document_is_accepted_where_a_list_is_expected():
    r = req(principal=SESSION)
    assert (
        evaluate(r, identity_policies=[allow("s3:*")], session_policies=allow("s3:*")).effect
        == "Allow"
    )
