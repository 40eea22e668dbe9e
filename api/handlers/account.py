"""The account: alias, password policy, summary and authorization details
(accounts/operations/account.py, accounts/operations/authdetails.py)."""

from __future__ import annotations

from typing import Any

from accounts.operations import account as account_ops
from accounts.operations import authdetails
from accounts.principal import Principal
from api.shapes import encode_document, password_policy_out

__all__ = [
    "create_account_alias",
    "delete_account_alias",
    "delete_account_password_policy",
    "get_account_authorization_details",
    "get_account_password_policy",
    "get_account_summary",
    "list_account_aliases",
    "update_account_password_policy",
]


def create_account_alias(actor: Principal, p: dict[str, Any]) -> None:
    account_ops.create_account_alias(actor=actor, alias=p["AccountAlias"])


def delete_account_alias(actor: Principal, p: dict[str, Any]) -> None:
    account_ops.delete_account_alias(actor=actor, alias=p["AccountAlias"])


def list_account_aliases(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    return {"AccountAliases": account_ops.list_account_aliases(actor=actor), "IsTruncated": False}


def get_account_password_policy(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    policy = account_ops.get_account_password_policy(actor=actor)
    return {"PasswordPolicy": password_policy_out(policy)}


def update_account_password_policy(actor: Principal, p: dict[str, Any]) -> None:
    account_ops.update_account_password_policy(
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


def delete_account_password_policy(actor: Principal, p: dict[str, Any]) -> None:
    account_ops.delete_account_password_policy(actor=actor)


def get_account_summary(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    return {"SummaryMap": account_ops.get_account_summary(actor=actor)}


# Where each detail list carries policy documents, and under which key: the operation
# returns them as JSON text, the Query API URL-encodes them as IAM does.
_INLINE_LISTS = {
    "UserDetailList": "UserPolicyList",
    "GroupDetailList": "GroupPolicyList",
    "RoleDetailList": "RolePolicyList",
}


def get_account_authorization_details(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    out = authdetails.get_account_authorization_details(
        actor=actor,
        filters=p.get("Filter") or [],
        marker=p.get("Marker"),
        max_items=p.get("MaxItems"),
    )
    for detail_list, inline_key in _INLINE_LISTS.items():
        for item in out[detail_list]:
            for inline in item.get(inline_key, []):
                inline["PolicyDocument"] = encode_document(inline["PolicyDocument"])
    # AWS leaves UserPolicyList out for a user without inline policies; groups and
    # roles keep theirs, empty (localstack's AWS recordings of
    # GetAccountAuthorizationDetails, "no_filter").
    for item in out["UserDetailList"]:
        if not item.get("UserPolicyList"):
            item.pop("UserPolicyList", None)
    for role in out["RoleDetailList"]:
        role["AssumeRolePolicyDocument"] = encode_document(role["AssumeRolePolicyDocument"])
    for policy in out["Policies"]:
        for version in policy["PolicyVersionList"]:
            version["Document"] = encode_document(version["Document"])
    return out
