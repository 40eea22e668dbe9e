"""Managed policies and versions, attachments, inline policies, boundaries."""

from __future__ import annotations

import json

import pytest

from accounts.errors import (
    AccessDenied,
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
    ValidationError,
)
from policies import operations as ops
from policies.models import ManagedPolicy, PolicyAttachment, PolicyVersion
from tests.conftest import allow_policy

READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def test_aws_managed_catalog_is_loaded(db):
    assert ManagedPolicy.objects.filter(account__isnull=True).count() > 1000
    admin = ManagedPolicy.objects.get(arn="arn:aws:iam::aws:policy/AdministratorAccess")
    assert json.loads(admin.default_version().document)["Statement"][0]["Action"] == "*"


def test_create_policy_has_v1_as_default(root, account):
    policy = ops.create_policy(actor=root, name="S3Read", document=allow_policy("s3:Get*"))
    assert policy.arn == f"arn:aws:iam::{account.id}:policy/S3Read"
    assert policy.policy_id.startswith("ANPA")
    assert policy.default_version().version_id == "v1"


def test_policy_names_are_unique_per_account(root, outsider):
    ops.create_policy(actor=root, name="P", document=allow_policy())
    with pytest.raises(EntityAlreadyExists):
        ops.create_policy(actor=root, name="p", document=allow_policy())
    ops.create_policy(actor=outsider, name="P", document=allow_policy())  # another account: fine


@pytest.mark.parametrize(
    "document", ["", "not json", "{", "[]", json.dumps({"Statement": []}) + "x"]
)
def test_malformed_documents_are_refused(root, document):
    with pytest.raises((MalformedPolicyDocument,)):
        ops.create_policy(actor=root, name="Bad", document=document)
    assert not ManagedPolicy.objects.filter(name="Bad").exists()


def test_managed_policy_size_limit_counts_non_whitespace(root):
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/"}
    base = {"Version": "2012-10-17", "Statement": [statement]}
    base_size = len(json.dumps(base, separators=(",", ":")))
    pad = 6144 - base_size
    statement["Resource"] = "arn:aws:s3:::b/" + "k" * pad
    at_limit = json.dumps(base, separators=(",", ":"))
    assert len(at_limit) == 6144
    ops.create_policy(
        actor=root, name="AtLimit", document=json.dumps(base, indent=8)
    )  # whitespace free
    statement["Resource"] += "k"
    with pytest.raises(LimitExceeded):
        ops.create_policy(
            actor=root, name="OverLimit", document=json.dumps(base, separators=(",", ":"))
        )


def test_versions_v1_to_v5_then_limit_and_ids_never_reused(root):
    policy = ops.create_policy(actor=root, name="P", document=allow_policy("s3:*"))
    for _ in range(4):
        ops.create_policy_version(actor=root, arn=policy.arn, document=allow_policy("ec2:*"))
    with pytest.raises(LimitExceeded):
        ops.create_policy_version(actor=root, arn=policy.arn, document=allow_policy("ec2:*"))
    ops.delete_policy_version(actor=root, arn=policy.arn, version_id="v2")
    version = ops.create_policy_version(
        actor=root, arn=policy.arn, document=allow_policy("iam:*"), set_as_default=True
    )
    assert version.version_id == "v6"
    policy.refresh_from_db()
    assert policy.default_version_id == "v6"
    assert PolicyVersion.objects.filter(policy=policy, is_default=True).count() == 1


def test_default_version_cannot_be_deleted(root):
    policy = ops.create_policy(actor=root, name="P", document=allow_policy())
    with pytest.raises(DeleteConflict, match="Cannot delete the default version"):
        ops.delete_policy_version(actor=root, arn=policy.arn, version_id="v1")


def test_set_default_version_of_unknown_version_is_no_such_entity(root):
    policy = ops.create_policy(actor=root, name="P", document=allow_policy())
    with pytest.raises(NoSuchEntity):
        ops.set_default_policy_version(actor=root, arn=policy.arn, version_id="v9")


def test_attached_policy_cannot_be_deleted(root, iam_user):
    policy = ops.create_policy(actor=root, name="P", document=allow_policy())
    ops.attach_user_policy(actor=root, user_name="alice", policy_arn=policy.arn)
    with pytest.raises(DeleteConflict):
        ops.delete_policy(actor=root, arn=policy.arn)
    ops.detach_user_policy(actor=root, user_name="alice", policy_arn=policy.arn)
    ops.delete_policy(actor=root, arn=policy.arn)
    assert not ManagedPolicy.objects.filter(pk=policy.pk).exists()


def test_aws_managed_policies_are_read_only(root):
    with pytest.raises(AccessDenied):
        ops.delete_policy(actor=root, arn=READ_ONLY)
    with pytest.raises(AccessDenied):
        ops.create_policy_version(actor=root, arn=READ_ONLY, document=allow_policy())


def test_attach_more_than_ten_managed_policies_is_limit_exceeded(root, iam_user):
    arns = [
        ops.create_policy(actor=root, name=f"P{i}", document=allow_policy()).arn for i in range(11)
    ]
    for arn in arns[:10]:
        ops.attach_user_policy(actor=root, user_name="alice", policy_arn=arn)
    with pytest.raises(LimitExceeded):
        ops.attach_user_policy(actor=root, user_name="alice", policy_arn=arns[10])
    assert PolicyAttachment.objects.filter(user=iam_user).count() == 10


def test_attaching_twice_changes_nothing(root, iam_user):
    ops.attach_user_policy(actor=root, user_name="alice", policy_arn=READ_ONLY)
    ops.attach_user_policy(actor=root, user_name="alice", policy_arn=READ_ONLY)
    assert PolicyAttachment.objects.filter(user=iam_user).count() == 1


def test_detach_of_unattached_policy_is_no_such_entity(root, iam_user):
    with pytest.raises(NoSuchEntity):
        ops.detach_user_policy(actor=root, user_name="alice", policy_arn=READ_ONLY)


def test_invalid_policy_arn_is_a_validation_error_and_a_non_policy_arn_invalid_input(
    root, iam_user
):
    # AWS: ValidationError "ARN not-an-arn is not valid." for what is not an ARN,
    # InvalidInput for an ARN that is not a policy's.
    with pytest.raises(ValidationError, match="ARN not-an-arn is not valid."):
        ops.attach_user_policy(actor=root, user_name="alice", policy_arn="not-an-arn")
    with pytest.raises(InvalidInput):
        ops.attach_user_policy(
            actor=root, user_name="alice", policy_arn="arn:aws:iam::123456789012:role/x"
        )


def test_outsider_cannot_attach_another_accounts_policy(root, outsider, iam_user):
    from accounts.operations.users import create_user

    policy = ops.create_policy(actor=root, name="Mine", document=allow_policy())
    create_user(actor=outsider, name="eve")
    with pytest.raises(NoSuchEntity):
        ops.attach_user_policy(actor=outsider, user_name="eve", policy_arn=policy.arn)


def test_list_entities_for_policy(root, iam_user, group):
    ops.attach_user_policy(actor=root, user_name="alice", policy_arn=READ_ONLY)
    ops.attach_group_policy(actor=root, group_name=group.name, policy_arn=READ_ONLY)
    entities = ops.list_entities_for_policy(actor=root, arn=READ_ONLY)
    assert [u.name for u in entities.users] == ["alice"]
    assert [g.name for g in entities.groups] == [group.name]
    assert entities.roles == []


def test_list_policies_scopes_and_only_attached(root, iam_user):
    ops.create_policy(actor=root, name="Local1", document=allow_policy())
    local = ops.list_policies(actor=root, scope="Local")
    assert [p.name for p in local.items] == ["Local1"]
    ops.attach_user_policy(actor=root, user_name="alice", policy_arn=READ_ONLY)
    attached = ops.list_policies(actor=root, only_attached=True)
    assert [(p.name, p.attachment_count) for p in attached.items] == [("ReadOnlyAccess", 1)]


def test_inline_policy_put_get_list_delete(root, iam_user):
    ops.put_user_policy(
        actor=root, user_name="alice", policy_name="s3", document=allow_policy("s3:*")
    )
    ops.put_user_policy(
        actor=root, user_name="alice", policy_name="s3", document=allow_policy("s3:Get*")
    )
    assert (
        "s3:Get*" in ops.get_user_policy(actor=root, user_name="alice", policy_name="s3").document
    )
    assert [p.name for p in ops.list_user_policies(actor=root, user_name="alice").items] == ["s3"]
    ops.delete_user_policy(actor=root, user_name="alice", policy_name="s3")
    with pytest.raises(NoSuchEntity):
        ops.get_user_policy(actor=root, user_name="alice", policy_name="s3")


def test_user_inline_policies_share_a_2048_character_budget(root, iam_user):
    def doc(n: int) -> str:
        base = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": ""}],
        }
        fixed = len(json.dumps(base, separators=(",", ":")))
        base["Statement"][0]["Resource"] = "arn:aws:s3:::" + "k" * (
            n - fixed - len("arn:aws:s3:::")
        )
        text = json.dumps(base, separators=(",", ":"))
        assert len(text) == n
        return text

    ops.put_user_policy(actor=root, user_name="alice", policy_name="a", document=doc(1024))
    ops.put_user_policy(actor=root, user_name="alice", policy_name="b", document=doc(1024))
    with pytest.raises(LimitExceeded):
        ops.put_user_policy(actor=root, user_name="alice", policy_name="c", document=doc(200))


def test_role_inline_policy_limit_is_10240(root):
    from accounts.operations.roles import create_role

    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    create_role(actor=root, name="r", trust_policy=trust)
    big = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "k" * 9000}
        ],
    }
    ops.put_role_policy(actor=root, role_name="r", policy_name="big", document=json.dumps(big))
    big["Statement"][0]["Resource"] += "k" * 1200
    with pytest.raises(LimitExceeded):
        ops.put_role_policy(actor=root, role_name="r", policy_name="big", document=json.dumps(big))


def test_permissions_boundary_put_and_delete(root, iam_user):
    ops.put_user_permissions_boundary(actor=root, user_name="alice", policy_arn=READ_ONLY)
    iam_user.refresh_from_db()
    assert iam_user.permissions_boundary.arn == READ_ONLY
    ops.delete_user_permissions_boundary(actor=root, user_name="alice")
    iam_user.refresh_from_db()
    assert iam_user.permissions_boundary is None
    with pytest.raises(NoSuchEntity):
        ops.delete_user_permissions_boundary(actor=root, user_name="alice")


def test_unknown_boundary_policy_is_no_such_entity(root, iam_user, account):
    with pytest.raises(NoSuchEntity):
        ops.put_user_permissions_boundary(
            actor=root, user_name="alice", policy_arn=f"arn:aws:iam::{account.id}:policy/Nope"
        )


def test_list_policies_not_attached_filter(root, iam_user):
    ops.create_policy(actor=root, name="Unused", document=allow_policy())
    used = ops.create_policy(actor=root, name="Used", document=allow_policy())
    ops.attach_user_policy(actor=root, user_name="alice", policy_arn=used.arn)
    names = [
        p.name for p in ops.list_policies(actor=root, scope="Local", only_unattached=True).items
    ]
    assert names == ["Unused"]
