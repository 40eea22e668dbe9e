"""IAM actions: translate botocore input dicts to operation calls and model objects
back to the output shapes of botocore's ``iam`` model.

Policy documents are returned URL-encoded, as IAM returns them (botocore and the
AWS CLI decode them). Lists carry AWS's ``IsTruncated``/``Marker``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from accounts import operations as ops
from accounts.principal import Principal
from api.handlers import authdetails
from iamconsole.ops import Page, decode_marker, encode_marker
from policies import operations as pops

Handler = Callable[[Principal, dict[str, Any]], dict[str, Any] | None]
HANDLERS: dict[str, Handler] = {}


def action(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return register


# -- shapes -------------------------------------------------------------------------------


def encode_document(document: str) -> str:
    """IAM returns policy documents URL-encoded (RFC 3986)."""
    return quote(document, safe="")


def _page(page: Page, key: str, fn: Callable[[Any], Any]) -> dict[str, Any]:
    out: dict[str, Any] = {key: [fn(item) for item in page.items], "IsTruncated": page.is_truncated}
    if page.is_truncated and page.marker:
        out["Marker"] = page.marker
    return out


def _boundary(obj: Any) -> dict[str, str] | None:
    if not obj.permissions_boundary_id:
        return None
    return {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": obj.permissions_boundary.arn,
    }


def _tags(tags: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"Key": t["Key"], "Value": t["Value"]} for t in tags]


def user_out(user: Any, *, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Path": user.path,
        "UserName": user.name,
        "UserId": user.unique_id,
        "Arn": user.arn,
        "CreateDate": user.created,
    }
    if user.password_last_used:
        out["PasswordLastUsed"] = user.password_last_used
    if full:
        boundary = _boundary(user)
        if boundary:
            out["PermissionsBoundary"] = boundary
        if user.tags:
            out["Tags"] = _tags(user.tags)
    return out


def group_out(group: Any) -> dict[str, Any]:
    return {
        "Path": group.path,
        "GroupName": group.name,
        "GroupId": group.unique_id,
        "Arn": group.arn,
        "CreateDate": group.created,
    }


def role_out(role: Any, *, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.unique_id,
        "Arn": role.arn,
        "CreateDate": role.created,
        "AssumeRolePolicyDocument": encode_document(role.trust_policy),
        "MaxSessionDuration": role.max_session_duration,
    }
    if role.description:
        out["Description"] = role.description
    if full:
        boundary = _boundary(role)
        if boundary:
            out["PermissionsBoundary"] = boundary
        if role.tags:
            out["Tags"] = _tags(role.tags)
        last: dict[str, Any] = {}
        if role.last_used:
            last = {"LastUsedDate": role.last_used, "Region": role.last_used_region}
        out["RoleLastUsed"] = last
    return out


def _attachment_counts(policy: Any, account_id: str) -> tuple[int, int]:
    from django.db.models import Q

    from accounts.models import IamUser, Role

    in_account = (
        Q(user__account_id=account_id)
        | Q(group__account_id=account_id)
        | Q(role__account_id=account_id)
    )
    attached = policy.attachments.filter(in_account).count()
    boundary = (
        IamUser.objects.filter(account_id=account_id, permissions_boundary=policy).count()
        + Role.objects.filter(account_id=account_id, permissions_boundary=policy).count()
    )
    return attached, boundary


def policy_out(policy: Any, account_id: str, *, full: bool = False) -> dict[str, Any]:
    attached = getattr(policy, "attachment_count", None)
    if attached is None or full:
        attached, boundary = _attachment_counts(policy, account_id)
    else:
        boundary = 0
    out: dict[str, Any] = {
        "PolicyName": policy.name,
        "PolicyId": policy.policy_id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": policy.default_version_id,
        "AttachmentCount": attached,
        "PermissionsBoundaryUsageCount": boundary,
        "IsAttachable": policy.is_attachable,
        "CreateDate": policy.created,
        "UpdateDate": policy.updated,
    }
    if full:
        if policy.description:
            out["Description"] = policy.description
        if policy.tags:
            out["Tags"] = _tags(policy.tags)
    return out


def version_out(version: Any, *, document: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "VersionId": version.version_id,
        "IsDefaultVersion": version.is_default,
        "CreateDate": version.created,
    }
    if document:
        out["Document"] = encode_document(version.document)
    return out


def attached_out(policy: Any) -> dict[str, str]:
    return {"PolicyName": policy.name, "PolicyArn": policy.arn}


def key_out(key: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "AccessKeyId": key.access_key_id,
        "Status": key.status,
        "CreateDate": key.created,
    }
    if key.user_id is not None:
        out["UserName"] = key.user.name
    return out


def _slice(items: list[Any], p: dict[str, Any]) -> Page:
    """One page of an in-memory list (tags, a policy's entities): AWS's Marker/MaxItems
    with the same 1..1000 range and opaque marker as ``paginate``."""
    from accounts.errors import ValidationError

    limit = p.get("MaxItems") or 100
    if not 1 <= limit <= 1000:
        raise ValidationError(
            f"1 validation error detected: Value '{limit}' at 'maxItems' failed to satisfy "
            "constraint: Member must have value between 1 and 1000"
        )
    start = 0
    raw = decode_marker(p.get("Marker"))
    if raw is not None:
        if not raw.isdigit() or int(raw) > len(items):
            raise ValidationError("Invalid Marker.")
        start = int(raw)
    end = start + limit
    truncated = end < len(items)
    return Page(items[start:end], truncated, encode_marker(str(end)) if truncated else None)


def _tag_list(tags: list[dict[str, str]], p: dict[str, Any]) -> dict[str, Any]:
    return _page(_slice(list(tags), p), "Tags", lambda t: {"Key": t["Key"], "Value": t["Value"]})


# -- users ---------------------------------------------------------------------------------


@action("CreateUser")
def create_user(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    user = ops.create_user(
        actor=actor,
        name=p["UserName"],
        path=p.get("Path"),
        tags=p.get("Tags"),
        permissions_boundary=p.get("PermissionsBoundary"),
    )
    return {"User": user_out(user, full=True)}


@action("GetUser")
def get_user(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    user = ops.get_user(actor=actor, name=p.get("UserName"))
    if user is None:  # root: the account is the user
        from accounts.models import Account

        account = Account.objects.get(pk=actor.account_id)
        return {
            "User": {"UserId": account.id, "Arn": account.root_arn, "CreateDate": account.created}
        }
    return {"User": user_out(user, full=True)}


@action("ListUsers")
def list_users(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = ops.list_users(
        actor=actor,
        path_prefix=p.get("PathPrefix"),
        marker=p.get("Marker"),
        max_items=p.get("MaxItems"),
    )
    return _page(page, "Users", user_out)


@action("UpdateUser")
def update_user(actor: Principal, p: dict[str, Any]) -> None:
    ops.update_user(
        actor=actor, name=p["UserName"], new_name=p.get("NewUserName"), new_path=p.get("NewPath")
    )


@action("DeleteUser")
def delete_user(actor: Principal, p: dict[str, Any]) -> None:
    ops.delete_user(actor=actor, name=p["UserName"])


@action("TagUser")
def tag_user(actor: Principal, p: dict[str, Any]) -> None:
    ops.tag_user(actor=actor, name=p["UserName"], tags=p["Tags"])


@action("UntagUser")
def untag_user(actor: Principal, p: dict[str, Any]) -> None:
    ops.untag_user(actor=actor, name=p["UserName"], tag_keys=p["TagKeys"])


@action("ListUserTags")
def list_user_tags(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    return _tag_list(ops.list_user_tags(actor=actor, name=p["UserName"]), p)


# -- groups -----------------------------------------------------------------------------------


@action("CreateGroup")
def create_group(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    return {
        "Group": group_out(ops.create_group(actor=actor, name=p["GroupName"], path=p.get("Path")))
    }


@action("GetGroup")
def get_group(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    found = ops.get_group(
        actor=actor, name=p["GroupName"], marker=p.get("Marker"), max_items=p.get("MaxItems")
    )
    return {"Group": group_out(found.group), **_page(found.users, "Users", user_out)}


@action("ListGroups")
def list_groups(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = ops.list_groups(
        actor=actor,
        path_prefix=p.get("PathPrefix"),
        marker=p.get("Marker"),
        max_items=p.get("MaxItems"),
    )
    return _page(page, "Groups", group_out)


@action("ListGroupsForUser")
def list_groups_for_user(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = ops.list_groups_for_user(
        actor=actor, user_name=p["UserName"], marker=p.get("Marker"), max_items=p.get("MaxItems")
    )
    return _page(page, "Groups", group_out)


@action("AddUserToGroup")
def add_user_to_group(actor: Principal, p: dict[str, Any]) -> None:
    ops.add_user_to_group(actor=actor, group_name=p["GroupName"], user_name=p["UserName"])


@action("RemoveUserFromGroup")
def remove_user_from_group(actor: Principal, p: dict[str, Any]) -> None:
    ops.remove_user_from_group(actor=actor, group_name=p["GroupName"], user_name=p["UserName"])


@action("UpdateGroup")
def update_group(actor: Principal, p: dict[str, Any]) -> None:
    ops.update_group(
        actor=actor, name=p["GroupName"], new_name=p.get("NewGroupName"), new_path=p.get("NewPath")
    )


@action("DeleteGroup")
def delete_group(actor: Principal, p: dict[str, Any]) -> None:
    ops.delete_group(actor=actor, name=p["GroupName"])


# -- roles --------------------------------------------------------------------------------------


@action("CreateRole")
def create_role(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    role = ops.create_role(
        actor=actor,
        name=p["RoleName"],
        trust_policy=p["AssumeRolePolicyDocument"],
        path=p.get("Path"),
        description=p.get("Description"),
        max_session_duration=p.get("MaxSessionDuration"),
        tags=p.get("Tags"),
        permissions_boundary=p.get("PermissionsBoundary"),
    )
    out = role_out(role, full=True)
    out.pop("RoleLastUsed", None)
    return {"Role": out}


@action("GetRole")
def get_role(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    return {"Role": role_out(ops.get_role(actor=actor, name=p["RoleName"]), full=True)}


@action("ListRoles")
def list_roles(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = ops.list_roles(
        actor=actor,
        path_prefix=p.get("PathPrefix"),
        marker=p.get("Marker"),
        max_items=p.get("MaxItems"),
    )
    return _page(page, "Roles", role_out)


@action("UpdateRole")
def update_role(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    ops.update_role(
        actor=actor,
        name=p["RoleName"],
        description=p.get("Description"),
        max_session_duration=p.get("MaxSessionDuration"),
    )
    return {}


@action("UpdateRoleDescription")
def update_role_description(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    role = ops.update_role_description(
        actor=actor, name=p["RoleName"], description=p["Description"]
    )
    return {"Role": role_out(role, full=True)}


@action("UpdateAssumeRolePolicy")
def update_assume_role_policy(actor: Principal, p: dict[str, Any]) -> None:
    ops.update_assume_role_policy(actor=actor, name=p["RoleName"], document=p["PolicyDocument"])


@action("DeleteRole")
def delete_role(actor: Principal, p: dict[str, Any]) -> None:
    ops.delete_role(actor=actor, name=p["RoleName"])


@action("TagRole")
def tag_role(actor: Principal, p: dict[str, Any]) -> None:
    ops.tag_role(actor=actor, name=p["RoleName"], tags=p["Tags"])


@action("UntagRole")
def untag_role(actor: Principal, p: dict[str, Any]) -> None:
    ops.untag_role(actor=actor, name=p["RoleName"], tag_keys=p["TagKeys"])


@action("ListRoleTags")
def list_role_tags(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    return _tag_list(ops.list_role_tags(actor=actor, name=p["RoleName"]), p)


# -- managed policies ---------------------------------------------------------------------------


@action("CreatePolicy")
def create_policy(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    policy = pops.create_policy(
        actor=actor,
        name=p["PolicyName"],
        document=p["PolicyDocument"],
        path=p.get("Path"),
        description=p.get("Description"),
        tags=p.get("Tags"),
    )
    out = policy_out(policy, actor.account_id, full=True)
    out.pop("Description", None)  # CreatePolicy's answer omits it, as IAM's does
    return {"Policy": out}


@action("GetPolicy")
def get_policy(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    policy = pops.get_policy(actor=actor, arn=p["PolicyArn"])
    return {"Policy": policy_out(policy, actor.account_id, full=True)}


@action("ListPolicies")
def list_policies(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = pops.list_policies(
        actor=actor,
        scope=p.get("Scope", "All"),
        only_attached=p.get("OnlyAttached", False),
        path_prefix=p.get("PathPrefix"),
        policy_usage_filter=p.get("PolicyUsageFilter"),
        marker=p.get("Marker"),
        max_items=p.get("MaxItems"),
    )
    return _page(page, "Policies", lambda pol: policy_out(pol, actor.account_id))


@action("DeletePolicy")
def delete_policy(actor: Principal, p: dict[str, Any]) -> None:
    pops.delete_policy(actor=actor, arn=p["PolicyArn"])


@action("CreatePolicyVersion")
def create_policy_version(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    version = pops.create_policy_version(
        actor=actor,
        arn=p["PolicyArn"],
        document=p["PolicyDocument"],
        set_as_default=p.get("SetAsDefault", False),
    )
    return {"PolicyVersion": version_out(version)}


@action("GetPolicyVersion")
def get_policy_version(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    version = pops.get_policy_version(actor=actor, arn=p["PolicyArn"], version_id=p["VersionId"])
    return {"PolicyVersion": version_out(version, document=True)}


@action("ListPolicyVersions")
def list_policy_versions(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = pops.list_policy_versions(
        actor=actor, arn=p["PolicyArn"], marker=p.get("Marker"), max_items=p.get("MaxItems")
    )
    return _page(page, "Versions", version_out)


@action("DeletePolicyVersion")
def delete_policy_version(actor: Principal, p: dict[str, Any]) -> None:
    pops.delete_policy_version(actor=actor, arn=p["PolicyArn"], version_id=p["VersionId"])


@action("SetDefaultPolicyVersion")
def set_default_policy_version(actor: Principal, p: dict[str, Any]) -> None:
    pops.set_default_policy_version(actor=actor, arn=p["PolicyArn"], version_id=p["VersionId"])


@action("TagPolicy")
def tag_policy(actor: Principal, p: dict[str, Any]) -> None:
    pops.tag_policy(actor=actor, arn=p["PolicyArn"], tags=p["Tags"])


@action("UntagPolicy")
def untag_policy(actor: Principal, p: dict[str, Any]) -> None:
    pops.untag_policy(actor=actor, arn=p["PolicyArn"], tag_keys=p["TagKeys"])


@action("ListPolicyTags")
def list_policy_tags(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    return _tag_list(pops.list_policy_tags(actor=actor, arn=p["PolicyArn"]), p)


# -- attachments, inline policies, boundaries: the same three shapes for users/groups/roles --

_KINDS = (("User", "user"), ("Group", "group"), ("Role", "role"))


def _register_entity_actions() -> None:
    for noun, kind in _KINDS:
        name_key = f"{noun}Name"
        arg = f"{kind}_name"

        def attach(actor: Principal, p: dict[str, Any], *, _n=name_key, _a=arg, _k=kind) -> None:
            getattr(pops, f"attach_{_k}_policy")(
                actor=actor, **{_a: p[_n]}, policy_arn=p["PolicyArn"]
            )

        def detach(actor: Principal, p: dict[str, Any], *, _n=name_key, _a=arg, _k=kind) -> None:
            getattr(pops, f"detach_{_k}_policy")(
                actor=actor, **{_a: p[_n]}, policy_arn=p["PolicyArn"]
            )

        def list_attached(
            actor: Principal, p: dict[str, Any], *, _n=name_key, _a=arg, _k=kind
        ) -> dict[str, Any]:
            page = getattr(pops, f"list_attached_{_k}_policies")(
                actor=actor,
                **{_a: p[_n]},
                path_prefix=p.get("PathPrefix"),
                marker=p.get("Marker"),
                max_items=p.get("MaxItems"),
            )
            return _page(page, "AttachedPolicies", attached_out)

        def put_inline(
            actor: Principal, p: dict[str, Any], *, _n=name_key, _a=arg, _k=kind
        ) -> None:
            getattr(pops, f"put_{_k}_policy")(
                actor=actor,
                **{_a: p[_n]},
                policy_name=p["PolicyName"],
                document=p["PolicyDocument"],
            )

        def get_inline(
            actor: Principal, p: dict[str, Any], *, _n=name_key, _a=arg, _k=kind
        ) -> dict[str, Any]:
            policy = getattr(pops, f"get_{_k}_policy")(
                actor=actor, **{_a: p[_n]}, policy_name=p["PolicyName"]
            )
            owner = getattr(policy, _k)
            return {
                _n: owner.name,
                "PolicyName": policy.name,
                "PolicyDocument": encode_document(policy.document),
            }

        def delete_inline(
            actor: Principal, p: dict[str, Any], *, _n=name_key, _a=arg, _k=kind
        ) -> None:
            getattr(pops, f"delete_{_k}_policy")(
                actor=actor, **{_a: p[_n]}, policy_name=p["PolicyName"]
            )

        def list_inline(
            actor: Principal, p: dict[str, Any], *, _n=name_key, _a=arg, _k=kind
        ) -> dict[str, Any]:
            page = getattr(pops, f"list_{_k}_policies")(
                actor=actor, **{_a: p[_n]}, marker=p.get("Marker"), max_items=p.get("MaxItems")
            )
            return _page(page, "PolicyNames", lambda policy: policy.name)

        HANDLERS[f"Attach{noun}Policy"] = attach
        HANDLERS[f"Detach{noun}Policy"] = detach
        HANDLERS[f"ListAttached{noun}Policies"] = list_attached
        HANDLERS[f"Put{noun}Policy"] = put_inline
        HANDLERS[f"Get{noun}Policy"] = get_inline
        HANDLERS[f"Delete{noun}Policy"] = delete_inline
        HANDLERS[f"List{noun}Policies"] = list_inline
        if kind != "group":

            def put_boundary(
                actor: Principal, p: dict[str, Any], *, _n=name_key, _a=arg, _k=kind
            ) -> None:
                getattr(pops, f"put_{_k}_permissions_boundary")(
                    actor=actor, **{_a: p[_n]}, policy_arn=p["PermissionsBoundary"]
                )

            def delete_boundary(
                actor: Principal, p: dict[str, Any], *, _n=name_key, _a=arg, _k=kind
            ) -> None:
                getattr(pops, f"delete_{_k}_permissions_boundary")(actor=actor, **{_a: p[_n]})

            HANDLERS[f"Put{noun}PermissionsBoundary"] = put_boundary
            HANDLERS[f"Delete{noun}PermissionsBoundary"] = delete_boundary


_register_entity_actions()


@action("ListEntitiesForPolicy")
def list_entities_for_policy(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    entity_filter = p.get("EntityFilter")
    if entity_filter in ("LocalManagedPolicy", "AWSManagedPolicy"):
        entity_filter = None
    found = pops.list_entities_for_policy(
        actor=actor,
        arn=p["PolicyArn"],
        entity_filter=entity_filter,
        path_prefix=p.get("PathPrefix"),
        usage=p.get("PolicyUsageFilter"),
    )
    # One sequence (groups, users, roles, each by name) paged as a whole, as IAM pages
    # ListEntitiesForPolicy: a page may hold several kinds.
    sequence = (
        [("group", g) for g in found.groups]
        + [("user", u) for u in found.users]
        + [("role", r) for r in found.roles]
    )
    page = _slice(sequence, p)
    out: dict[str, Any] = {
        "PolicyGroups": [
            {"GroupName": g.name, "GroupId": g.unique_id} for k, g in page.items if k == "group"
        ],
        "PolicyUsers": [
            {"UserName": u.name, "UserId": u.unique_id} for k, u in page.items if k == "user"
        ],
        "PolicyRoles": [
            {"RoleName": r.name, "RoleId": r.unique_id} for k, r in page.items if k == "role"
        ],
        "IsTruncated": page.is_truncated,
    }
    if page.marker:
        out["Marker"] = page.marker
    return out


# -- access keys ----------------------------------------------------------------------------------


@action("CreateAccessKey")
def create_access_key(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    new = ops.create_access_key(actor=actor, user_name=p.get("UserName"))
    return {
        "AccessKey": {
            "UserName": new.user_name,
            "AccessKeyId": new.key.access_key_id,
            "Status": new.key.status,
            "SecretAccessKey": new.secret,
            "CreateDate": new.key.created,
        }
    }


@action("UpdateAccessKey")
def update_access_key(actor: Principal, p: dict[str, Any]) -> None:
    ops.update_access_key(
        actor=actor, access_key_id=p["AccessKeyId"], status=p["Status"], user_name=p.get("UserName")
    )


@action("DeleteAccessKey")
def delete_access_key(actor: Principal, p: dict[str, Any]) -> None:
    ops.delete_access_key(actor=actor, access_key_id=p["AccessKeyId"], user_name=p.get("UserName"))


@action("ListAccessKeys")
def list_access_keys(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = ops.list_access_keys(
        actor=actor,
        user_name=p.get("UserName"),
        marker=p.get("Marker"),
        max_items=p.get("MaxItems"),
    )
    return _page(page, "AccessKeyMetadata", key_out)


@action("GetAccessKeyLastUsed")
def get_access_key_last_used(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    key = ops.get_access_key_last_used(actor=actor, access_key_id=p["AccessKeyId"])
    # IAM answers "N/A" for the service and region of a key never used.
    last: dict[str, Any] = {
        "ServiceName": key.last_used_service or "N/A",
        "Region": key.last_used_region or "N/A",
    }
    if key.last_used:
        last["LastUsedDate"] = key.last_used
    out: dict[str, Any] = {"AccessKeyLastUsed": last}
    if key.user is not None:
        out["UserName"] = key.user.name
    return out


# -- login profiles -------------------------------------------------------------------------------


def _login_user(actor: Principal, p: dict[str, Any]) -> str:
    name = p.get("UserName")
    if name:
        return name
    if actor.kind == "user":
        return actor.user_name
    from accounts.errors import ValidationError

    raise ValidationError("Must specify userName when calling with non-User credentials")


def _profile_out(user_name: str, console: Any) -> dict[str, Any]:
    return {
        "LoginProfile": {
            "UserName": user_name,
            "CreateDate": console.login_profile_created,
            "PasswordResetRequired": console.password_reset_required,
        }
    }


@action("CreateLoginProfile")
def create_login_profile(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    name = _login_user(actor, p)
    if "Password" not in p:
        from accounts.errors import ValidationError

        raise ValidationError("Password is required.")
    console = ops.create_login_profile(
        actor=actor,
        user_name=name,
        password=p["Password"],
        password_reset_required=p.get("PasswordResetRequired", False),
    )
    return _profile_out(ops.find_user(actor.account_id, name).name, console)


@action("GetLoginProfile")
def get_login_profile(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    name = _login_user(actor, p)
    console = ops.get_login_profile(actor=actor, user_name=name)
    return _profile_out(console.iam_user.name, console)


@action("UpdateLoginProfile")
def update_login_profile(actor: Principal, p: dict[str, Any]) -> None:
    ops.update_login_profile(
        actor=actor,
        user_name=p["UserName"],
        password=p.get("Password"),
        password_reset_required=p.get("PasswordResetRequired"),
    )


@action("DeleteLoginProfile")
def delete_login_profile(actor: Principal, p: dict[str, Any]) -> None:
    ops.delete_login_profile(actor=actor, user_name=_login_user(actor, p))


@action("ChangePassword")
def change_password(actor: Principal, p: dict[str, Any]) -> None:
    ops.change_password(actor=actor, old_password=p["OldPassword"], new_password=p["NewPassword"])


# -- MFA --------------------------------------------------------------------------------------------


def _qr_png(uri: str) -> bytes:
    import segno

    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="png", scale=4, border=2)
    return buffer.getvalue()


@action("CreateVirtualMFADevice")
def create_virtual_mfa_device(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    from accounts.models import Account

    new = ops.create_virtual_mfa_device(
        actor=actor, name=p["VirtualMFADeviceName"], path=p.get("Path"), tags=p.get("Tags")
    )
    account = Account.objects.get(pk=actor.account_id)
    # AWS's label: "Amazon Web Services:<device name>@<account alias or id>".
    label = f"Amazon Web Services:{new.device.name}@{account.alias or account.id}"
    uri = ops.mfa_otpauth_uri(new.device, new.seed, label)
    out: dict[str, Any] = {
        "SerialNumber": new.device.serial_number,
        "Base32StringSeed": new.base32.encode("ascii"),
        "QRCodePNG": _qr_png(uri),
    }
    if new.device.tags:
        out["Tags"] = _tags(new.device.tags)
    return {"VirtualMFADevice": out}


@action("EnableMFADevice")
def enable_mfa_device(actor: Principal, p: dict[str, Any]) -> None:
    ops.enable_mfa_device(
        actor=actor,
        user_name=p.get("UserName"),
        serial_number=p["SerialNumber"],
        code1=p["AuthenticationCode1"],
        code2=p["AuthenticationCode2"],
    )


@action("ResyncMFADevice")
def resync_mfa_device(actor: Principal, p: dict[str, Any]) -> None:
    ops.resync_mfa_device(
        actor=actor,
        user_name=p.get("UserName"),
        serial_number=p["SerialNumber"],
        code1=p["AuthenticationCode1"],
        code2=p["AuthenticationCode2"],
    )


@action("DeactivateMFADevice")
def deactivate_mfa_device(actor: Principal, p: dict[str, Any]) -> None:
    ops.deactivate_mfa_device(
        actor=actor, user_name=p.get("UserName"), serial_number=p["SerialNumber"]
    )


@action("DeleteVirtualMFADevice")
def delete_virtual_mfa_device(actor: Principal, p: dict[str, Any]) -> None:
    ops.delete_virtual_mfa_device(actor=actor, serial_number=p["SerialNumber"])


def _mfa_user_name(device: Any) -> str | None:
    return device.iam_user.name if device.iam_user_id else None


@action("ListMFADevices")
def list_mfa_devices(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = ops.list_mfa_devices(
        actor=actor,
        user_name=p.get("UserName"),
        marker=p.get("Marker"),
        max_items=p.get("MaxItems"),
    )

    def out(device: Any) -> dict[str, Any]:
        item: dict[str, Any] = {"SerialNumber": device.serial_number, "EnableDate": device.enabled}
        name = _mfa_user_name(device)
        if name:
            item["UserName"] = name
        return item

    return _page(page, "MFADevices", out)


@action("ListVirtualMFADevices")
def list_virtual_mfa_devices(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = ops.list_virtual_mfa_devices(
        actor=actor,
        assignment_status=p.get("AssignmentStatus", "Any"),
        marker=p.get("Marker"),
        max_items=p.get("MaxItems"),
    )

    def out(device: Any) -> dict[str, Any]:
        item: dict[str, Any] = {"SerialNumber": device.serial_number}
        if device.enabled:
            item["EnableDate"] = device.enabled
            if device.iam_user_id:
                item["User"] = user_out(device.iam_user)
        if device.tags:
            item["Tags"] = _tags(device.tags)
        return item

    return _page(page, "VirtualMFADevices", out)


# -- account -------------------------------------------------------------------------------------------


@action("CreateAccountAlias")
def create_account_alias(actor: Principal, p: dict[str, Any]) -> None:
    ops.create_account_alias(actor=actor, alias=p["AccountAlias"])


@action("DeleteAccountAlias")
def delete_account_alias(actor: Principal, p: dict[str, Any]) -> None:
    ops.delete_account_alias(actor=actor, alias=p["AccountAlias"])


@action("ListAccountAliases")
def list_account_aliases(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    return {"AccountAliases": ops.list_account_aliases(actor=actor), "IsTruncated": False}


@action("GetAccountPasswordPolicy")
def get_account_password_policy(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    policy = ops.get_account_password_policy(actor=actor)
    out: dict[str, Any] = {
        "MinimumPasswordLength": policy.minimum_password_length,
        "RequireSymbols": policy.require_symbols,
        "RequireNumbers": policy.require_numbers,
        "RequireUppercaseCharacters": policy.require_uppercase_characters,
        "RequireLowercaseCharacters": policy.require_lowercase_characters,
        "AllowUsersToChangePassword": policy.allow_users_to_change_password,
        "ExpirePasswords": policy.max_password_age is not None,
        "HardExpiry": policy.hard_expiry,
    }
    if policy.max_password_age is not None:
        out["MaxPasswordAge"] = policy.max_password_age
    if policy.password_reuse_prevention is not None:
        out["PasswordReusePrevention"] = policy.password_reuse_prevention
    return {"PasswordPolicy": out}


@action("UpdateAccountPasswordPolicy")
def update_account_password_policy(actor: Principal, p: dict[str, Any]) -> None:
    ops.update_account_password_policy(
        actor=actor,
        minimum_password_length=p.get("MinimumPasswordLength"),
        require_symbols=p.get("RequireSymbols", False),
        require_numbers=p.get("RequireNumbers", False),
        require_uppercase_characters=p.get("RequireUppercaseCharacters", False),
        require_lowercase_characters=p.get("RequireLowercaseCharacters", False),
        allow_users_to_change_password=p.get("AllowUsersToChangePassword", False),
        max_password_age=p.get("MaxPasswordAge"),
        password_reuse_prevention=p.get("PasswordReusePrevention"),
        hard_expiry=p.get("HardExpiry", False),
    )


@action("DeleteAccountPasswordPolicy")
def delete_account_password_policy(actor: Principal, p: dict[str, Any]) -> None:
    ops.delete_account_password_policy(actor=actor)


@action("GetAccountSummary")
def get_account_summary(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    return {"SummaryMap": ops.get_account_summary(actor=actor)}


@action("GetAccountAuthorizationDetails")
def get_account_authorization_details(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    return authdetails.get_account_authorization_details(
        actor=actor,
        filters=p.get("Filter") or [],
        marker=p.get("Marker"),
        max_items=p.get("MaxItems"),
    )


# Actions served from their own modules register into HANDLERS when imported here.
from api.handlers import reports, simulate  # noqa: E402,F401
