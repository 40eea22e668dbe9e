"""The user operations, their AWS errors, audit events and tenant isolation."""

from __future__ import annotations

import pytest

from accounts.errors import (
    AccessDenied,
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
    ValidationError,
)
from accounts.models import IamUser
from accounts.operations.users import (
    create_user,
    delete_user,
    get_user,
    list_user_tags,
    list_users,
    tag_user,
    untag_user,
    update_user,
)
from audit.models import AuditEvent


def test_create_user_gives_aws_identifiers(root, account):
    user = create_user(actor=root, name="bob", path="/eng/")
    assert user.arn == f"arn:aws:iam::{account.id}:user/eng/bob"
    assert user.unique_id.startswith("AIDA") and len(user.unique_id) == 21
    assert AuditEvent.objects.filter(
        event_name="CreateUser", resource_arn=user.arn, allowed=True
    ).exists()


def test_user_names_are_unique_case_insensitively(root):
    create_user(actor=root, name="Bob")
    with pytest.raises(EntityAlreadyExists, match="User with name bob already exists"):
        create_user(actor=root, name="bob")
    assert IamUser.objects.count() == 1


@pytest.mark.parametrize(
    "name",
    ["", "a" * 65, "has space", "bad/slash", "ünïcode", "tab\tname", "<script>"],
)
def test_invalid_user_names_are_refused_with_validation_error(root, name):
    with pytest.raises(ValidationError):
        create_user(actor=root, name=name)
    assert not IamUser.objects.exists()


@pytest.mark.parametrize("path", ["noslash", "/no-trailing", "/ü/", "//x" * 200])
def test_invalid_paths_are_refused(root, path):
    with pytest.raises(ValidationError):
        create_user(actor=root, name="carol", path=path)


def test_name_of_exactly_64_characters_is_accepted(root):
    assert create_user(actor=root, name="a" * 64).name == "a" * 64


def test_get_user_of_unknown_name_is_no_such_entity(root):
    with pytest.raises(NoSuchEntity, match="The user with name ghost cannot be found."):
        get_user(actor=root, name="ghost")


def test_outsider_cannot_see_or_touch_another_accounts_user(iam_user, outsider):
    with pytest.raises(NoSuchEntity):
        get_user(actor=outsider, name=iam_user.name)
    with pytest.raises(NoSuchEntity):
        delete_user(actor=outsider, name=iam_user.name)
    assert [u.name for u in list_users(actor=outsider).items] == []


def test_list_users_pages_with_markers(root):
    for i in range(7):
        create_user(actor=root, name=f"user{i}")
    first = list_users(actor=root, max_items=3)
    assert [u.name for u in first.items] == ["user0", "user1", "user2"] and first.is_truncated
    second = list_users(actor=root, max_items=3, marker=first.marker)
    third = list_users(actor=root, max_items=3, marker=second.marker)
    assert [u.name for u in third.items] == ["user6"] and not third.is_truncated


def test_path_prefix_is_literal_and_case_sensitive(root):
    create_user(actor=root, name="a", path="/team_a/")
    create_user(actor=root, name="b", path="/teamXa/")
    create_user(actor=root, name="c", path="/Team_a/")
    create_user(actor=root, name="d", path="/100%/")
    assert [u.name for u in list_users(actor=root, path_prefix="/team_a/").items] == ["a"]
    assert [u.name for u in list_users(actor=root, path_prefix="/100%").items] == ["d"]


def test_max_items_out_of_range_is_validation_error(root):
    with pytest.raises(ValidationError):
        list_users(actor=root, max_items=0)


def test_update_user_renames_and_moves(root, iam_user, account):
    user = update_user(actor=root, name="alice", new_name="alicia", new_path="/ops/")
    assert user.arn == f"arn:aws:iam::{account.id}:user/ops/alicia"
    assert get_user(actor=root, name="alicia").pk == iam_user.pk


def test_rename_onto_existing_name_is_refused(root, iam_user):
    create_user(actor=root, name="bob")
    with pytest.raises(EntityAlreadyExists):
        update_user(actor=root, name="alice", new_name="BOB")


def test_delete_user_with_access_key_is_delete_conflict(root, iam_user):
    from accounts.operations.credentials import create_access_key

    create_access_key(actor=root, user_name="alice")
    with pytest.raises(DeleteConflict):
        delete_user(actor=root, name="alice")
    assert IamUser.objects.filter(pk=iam_user.pk).exists()


def test_forced_delete_cleans_up_everything(root, iam_user, group):
    from accounts.models import AccessKey, ConsoleUser
    from accounts.operations.credentials import create_access_key, create_login_profile
    from accounts.operations.groups import add_user_to_group
    from policies.models import InlinePolicy, PolicyAttachment
    from policies.operations import attach_user_policy, put_user_policy
    from tests.conftest import allow_policy

    create_access_key(actor=root, user_name="alice")
    create_login_profile(actor=root, user_name="alice", password="Sup3r-secret!")
    add_user_to_group(actor=root, group_name=group.name, user_name="alice")
    attach_user_policy(
        actor=root, user_name="alice", policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess"
    )
    put_user_policy(
        actor=root, user_name="alice", policy_name="inline", document=allow_policy("s3:*")
    )
    delete_user(actor=root, name="alice", force=True)
    assert not IamUser.objects.exists()
    assert not AccessKey.objects.exists()
    assert not PolicyAttachment.objects.filter(user__isnull=False).exists()
    assert not InlinePolicy.objects.exists()
    assert not ConsoleUser.objects.filter(is_root=False).exists()


def test_tags_merge_case_insensitively_and_untag(root, iam_user):
    tag_user(actor=root, name="alice", tags=[{"Key": "team", "Value": "red"}])
    tag_user(
        actor=root,
        name="alice",
        tags=[{"Key": "Team", "Value": "blue"}, {"Key": "cost", "Value": "1"}],
    )
    assert list_user_tags(actor=root, name="alice") == [
        {"Key": "Team", "Value": "blue"},
        {"Key": "cost", "Value": "1"},
    ]
    untag_user(actor=root, name="alice", tag_keys=["TEAM"])
    assert list_user_tags(actor=root, name="alice") == [{"Key": "cost", "Value": "1"}]


def test_more_than_50_tags_is_limit_exceeded(root, iam_user):
    with pytest.raises(LimitExceeded):
        tag_user(actor=root, name="alice", tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])


def test_reserved_aws_tag_prefix_is_refused(root, iam_user):
    from accounts.errors import InvalidInput

    with pytest.raises(InvalidInput):
        tag_user(actor=root, name="alice", tags=[{"Key": "aws:thing", "Value": "v"}])


def test_user_without_policies_is_denied_and_the_denial_is_audited(alice):
    with pytest.raises(AccessDenied) as excinfo:
        create_user(actor=alice, name="mallory")
    assert "is not authorized to perform: iam:CreateUser" in excinfo.value.message
    assert not IamUser.objects.filter(name="mallory").exists()
    event = AuditEvent.objects.get(event_name="CreateUser", allowed=False)
    assert event.error_code == "AccessDenied" and event.actor_arn == alice.arn


def test_root_may_do_anything_in_its_own_account(root):
    create_user(actor=root, name="x")
    assert get_user(actor=root, name="x").name == "x"
