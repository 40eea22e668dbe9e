"""IAM group operations: CreateGroup, GetGroup, ListGroups, membership, UpdateGroup, DeleteGroup."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded
from accounts.ids import unique_id
from accounts.models import Group, GroupMembership, IamUser
from accounts.operations.common import (
    GROUPS_PER_ACCOUNT,
    GROUPS_PER_USER,
    NAME_MAX,
    check_lookup_name,
    check_new_entity,
    find_group,
    find_user,
    iam_arn,
    list_in_account,
)
from accounts.principal import Principal
from accounts.validation import check_name, check_path
from audit.trail import record_event
from iamconsole.ops import (
    NumberedPage,
    Page,
    operation,
    page_size,
    paginate,
    paginate_numbered,
    save_unique,
)
from policies.authorization import authorize
from policies.cache import invalidate

__all__ = [
    "GroupWithUsers",
    "add_user_to_group",
    "create_group",
    "delete_group",
    "get_group",
    "list_groups",
    "list_groups_for_user",
    "list_users_not_in_group",
    "remove_user_from_group",
    "update_group",
]


@operation("CreateGroup")
def create_group(*, actor: Principal, name: str, path: str | None = None) -> Group:
    check_name(name, member="groupName", max_length=128)
    path = check_path(path)
    arn = iam_arn(actor.account_id, "group", path, name)
    authorize(actor, "iam:CreateGroup", arn)
    error = EntityAlreadyExists(f"Group with name {name} already exists.")
    check_new_entity(
        actor, Group, name, exists=error, quota=GROUPS_PER_ACCOUNT, quota_name="GroupsPerAccount"
    )
    group = Group(
        account_id=actor.account_id, name=name, path=path, arn=arn, unique_id=unique_id("AGPA")
    )
    save_unique(group, error)
    record_event(actor, "CreateGroup", arn, request={"GroupName": name, "Path": path})
    return group


@dataclass(frozen=True)
class GroupWithUsers:
    group: Group
    users: Page


@operation("GetGroup", read_only=True)
def get_group(
    *, actor: Principal, name: str, marker: str | None = None, max_items: int | None = None
) -> GroupWithUsers:
    group = find_group(actor.account_id, name, actor=actor, action="iam:GetGroup")
    authorize(actor, "iam:GetGroup", group.arn)
    users = paginate(group.users.all(), key="name", marker=marker, max_items=max_items)
    return GroupWithUsers(group, users)


@operation("ListGroups", read_only=True)
def list_groups(
    *,
    actor: Principal,
    path_prefix: str | None = None,
    marker: str | None = None,
    max_items: int | None = None,
    name_contains: str | None = None,
    page_number: int | None = None,
) -> Page:
    return list_in_account(
        actor,
        Group,
        "group",
        path_prefix=path_prefix,
        marker=marker,
        max_items=max_items,
        name_contains=name_contains,
        page_number=page_number,
    )


@operation("ListGroupsForUser", read_only=True)
def list_groups_for_user(
    *, actor: Principal, user_name: str, marker: str | None = None, max_items: int | None = None
) -> Page:
    user = find_user(actor.account_id, user_name, actor=actor, action="iam:ListGroupsForUser")
    authorize(actor, "iam:ListGroupsForUser", user.arn)
    return paginate(user.groups.all(), key="name", marker=marker, max_items=max_items)


@operation("ListUsers", read_only=True)
def list_users_not_in_group(
    *,
    actor: Principal,
    group_name: str,
    name_contains: str | None = None,
    page_number: int = 1,
    max_items: int | None = None,
    count: bool = True,
) -> NumberedPage:
    """The console's "Add users to group" table: a numbered page of the account's users
    who are not members of the group, filtered by a name substring. No IAM action of its
    own: AWS's console reads it with ListUsers (and the group with GetGroup), so both are
    authorized. Counted and cut in SQL (one COUNT, LIMIT/OFFSET over (account, name)),
    whatever the number of users or members. ``count=False``: the first ``max_items``
    only, without the COUNT (``total`` is then the rows read: "are there any?")."""
    group = find_group(actor.account_id, group_name, actor=actor, action="iam:GetGroup")
    authorize(actor, "iam:GetGroup", group.arn)
    authorize(actor, "iam:ListUsers", f"arn:aws:iam::{actor.account_id}:user/")
    qs = IamUser.objects.filter(account_id=actor.account_id).exclude(
        pk__in=GroupMembership.objects.filter(group=group).values("user_id")
    )
    if name_contains and len(name_contains) > NAME_MAX["user"]:
        qs = qs.none()  # no name is that long (and SQLite's LIKE refuses 50,000 bytes)
    elif name_contains:
        qs = qs.filter(name__icontains=name_contains)
    if not count:
        limit = page_size(max_items, 100)
        rows = list(qs.order_by("name")[:limit])
        return NumberedPage(rows, False, None, total=len(rows), number=1, size=limit)
    return paginate_numbered(qs, key="name", number=page_number, max_items=max_items)


@operation("AddUserToGroup")
def add_user_to_group(*, actor: Principal, group_name: str, user_name: str) -> None:
    """AddUserToGroup. Adding an existing member changes nothing."""
    # Authorized before either lookup, so a caller without the action cannot tell which
    # names exist (issue 10); then AWS resolves the user before the group (localstack's
    # AWS recordings, test_iam_groups).
    authorize(actor, "iam:AddUserToGroup", _group_arn(actor.account_id, group_name))
    user = find_user(actor.account_id, user_name, for_update=True)
    group = find_group(actor.account_id, group_name)
    authorize(actor, "iam:AddUserToGroup", group.arn)
    if not GroupMembership.objects.filter(group=group, user=user).exists():
        if GroupMembership.objects.filter(user=user).count() >= GROUPS_PER_USER:
            raise LimitExceeded(f"Cannot exceed quota for GroupsPerUser: {GROUPS_PER_USER}.")
        GroupMembership.objects.get_or_create(group=group, user=user)
    _invalidate(user)
    record_event(
        actor, "AddUserToGroup", group.arn, request={"GroupName": group.name, "UserName": user.name}
    )


@operation("RemoveUserFromGroup")
def remove_user_from_group(*, actor: Principal, group_name: str, user_name: str) -> None:
    """RemoveUserFromGroup. The user is resolved first, as AWS does; removing an
    existing user who is not a member succeeds and changes nothing."""
    authorize(actor, "iam:RemoveUserFromGroup", _group_arn(actor.account_id, group_name))
    user = find_user(actor.account_id, user_name)
    group = find_group(actor.account_id, group_name)
    authorize(actor, "iam:RemoveUserFromGroup", group.arn)
    deleted, _ = GroupMembership.objects.filter(group=group, user=user).delete()
    if deleted:
        _invalidate(user)
    record_event(
        actor,
        "RemoveUserFromGroup",
        group.arn,
        request={"GroupName": group.name, "UserName": user.name},
    )


@operation("UpdateGroup")
def update_group(
    *, actor: Principal, name: str, new_name: str | None = None, new_path: str | None = None
) -> Group:
    group = find_group(actor.account_id, name, actor=actor, action="iam:UpdateGroup")
    if new_name is not None:
        check_name(new_name, member="newGroupName", max_length=128)
    path = check_path(new_path, member="newPath") if new_path is not None else group.path
    final = new_name or group.name
    new_arn = iam_arn(actor.account_id, "group", path, final)
    authorize(actor, "iam:UpdateGroup", group.arn)
    if new_arn != group.arn:
        authorize(actor, "iam:UpdateGroup", new_arn)
    if (
        final.lower() != group.name.lower()
        and Group.objects.filter(account_id=actor.account_id, name__iexact=final).exists()
    ):
        raise EntityAlreadyExists(f"Group with name {final} already exists.")
    old = group.arn
    group.name, group.path, group.arn = final, path, new_arn
    group.save(update_fields=["name", "path", "arn"])
    record_event(
        actor,
        "UpdateGroup",
        old,
        request={"GroupName": name, "NewGroupName": new_name, "NewPath": new_path},
    )
    return group


@operation("DeleteGroup")
def delete_group(*, actor: Principal, name: str, force: bool = False) -> None:
    """DeleteGroup. AWS refuses while it has members or policies; the console's
    delete (``force=True``) removes them first."""
    group = find_group(actor.account_id, name, actor=actor, action="iam:DeleteGroup")
    authorize(actor, "iam:DeleteGroup", group.arn)
    if not force:
        if group.users.exists():
            raise DeleteConflict("Cannot delete entity, must remove users from group first.")
        if group.policy_attachments.exists():
            raise DeleteConflict("Cannot delete entity, must detach all policies first.")
        if group.inline_policies.exists():
            raise DeleteConflict("Cannot delete entity, must delete policies first.")
    else:
        if group.users.exists():
            authorize(actor, "iam:RemoveUserFromGroup", group.arn)
        for attachment in group.policy_attachments.select_related("policy"):
            authorize(
                actor,
                "iam:DetachGroupPolicy",
                group.arn,
                context={"iam:PolicyARN": attachment.policy.arn},
            )
        if group.inline_policies.exists():
            authorize(actor, "iam:DeleteGroupPolicy", group.arn)
        members = list(group.users.all())
        group.policy_attachments.all().delete()
        group.inline_policies.all().delete()
        group.users.clear()
        for user in members:
            _invalidate(user)
    group.delete()
    record_event(actor, "DeleteGroup", group.arn, request={"GroupName": name})


def _group_arn(account_id: str, name: str) -> str:
    """The group's ARN, or the one its name would have (AWS authorizes on the ARN built
    from the name before it looks the group up; see ``authorize_missing``)."""
    check_lookup_name("group", name)
    group = Group.objects.filter(account_id=account_id, name__iexact=name).first()
    return group.arn if group is not None else iam_arn(account_id, "group", "/", name)


def _invalidate(user: IamUser) -> None:
    invalidate(user.account_id)
