"""One handler per IAM and STS action: botocore input dict -> operation -> output dict.

A handler takes the acting principal and the parsed input (``parse_query``'s
dict, keyed by the model's member names) and returns the output dict that
``serialize_response`` writes (or None for actions without output). Handlers
live by area, like the operations; the tables below are the whole registry.
Actions absent from them answer ``InvalidAction``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from accounts.principal import Principal
from api.handlers import (
    account,
    credentials,
    groups,
    policies,
    reports,
    roles,
    simulate,
    sts,
    users,
)

__all__ = ["HANDLERS", "IAM_HANDLERS", "STS_HANDLERS", "Handler"]

Handler = Callable[[Principal, dict[str, Any]], dict[str, Any] | None]

IAM_HANDLERS: dict[str, Handler] = {
    # users
    "CreateUser": users.create_user,
    "GetUser": users.get_user,
    "ListUsers": users.list_users,
    "UpdateUser": users.update_user,
    "DeleteUser": users.delete_user,
    "TagUser": users.tag_user,
    "UntagUser": users.untag_user,
    "ListUserTags": users.list_user_tags,
    "AttachUserPolicy": users.attach_user_policy,
    "DetachUserPolicy": users.detach_user_policy,
    "ListAttachedUserPolicies": users.list_attached_user_policies,
    "PutUserPolicy": users.put_user_policy,
    "GetUserPolicy": users.get_user_policy,
    "DeleteUserPolicy": users.delete_user_policy,
    "ListUserPolicies": users.list_user_policies,
    "PutUserPermissionsBoundary": users.put_user_permissions_boundary,
    "DeleteUserPermissionsBoundary": users.delete_user_permissions_boundary,
    # groups
    "CreateGroup": groups.create_group,
    "GetGroup": groups.get_group,
    "ListGroups": groups.list_groups,
    "ListGroupsForUser": groups.list_groups_for_user,
    "AddUserToGroup": groups.add_user_to_group,
    "RemoveUserFromGroup": groups.remove_user_from_group,
    "UpdateGroup": groups.update_group,
    "DeleteGroup": groups.delete_group,
    "AttachGroupPolicy": groups.attach_group_policy,
    "DetachGroupPolicy": groups.detach_group_policy,
    "ListAttachedGroupPolicies": groups.list_attached_group_policies,
    "PutGroupPolicy": groups.put_group_policy,
    "GetGroupPolicy": groups.get_group_policy,
    "DeleteGroupPolicy": groups.delete_group_policy,
    "ListGroupPolicies": groups.list_group_policies,
    # roles
    "CreateRole": roles.create_role,
    "GetRole": roles.get_role,
    "ListRoles": roles.list_roles,
    "UpdateRole": roles.update_role,
    "UpdateRoleDescription": roles.update_role_description,
    "UpdateAssumeRolePolicy": roles.update_assume_role_policy,
    "DeleteRole": roles.delete_role,
    "TagRole": roles.tag_role,
    "UntagRole": roles.untag_role,
    "ListRoleTags": roles.list_role_tags,
    "AttachRolePolicy": roles.attach_role_policy,
    "DetachRolePolicy": roles.detach_role_policy,
    "ListAttachedRolePolicies": roles.list_attached_role_policies,
    "PutRolePolicy": roles.put_role_policy,
    "GetRolePolicy": roles.get_role_policy,
    "DeleteRolePolicy": roles.delete_role_policy,
    "ListRolePolicies": roles.list_role_policies,
    "PutRolePermissionsBoundary": roles.put_role_permissions_boundary,
    "DeleteRolePermissionsBoundary": roles.delete_role_permissions_boundary,
    # managed policies
    "CreatePolicy": policies.create_policy,
    "GetPolicy": policies.get_policy,
    "ListPolicies": policies.list_policies,
    "DeletePolicy": policies.delete_policy,
    "CreatePolicyVersion": policies.create_policy_version,
    "GetPolicyVersion": policies.get_policy_version,
    "ListPolicyVersions": policies.list_policy_versions,
    "DeletePolicyVersion": policies.delete_policy_version,
    "SetDefaultPolicyVersion": policies.set_default_policy_version,
    "TagPolicy": policies.tag_policy,
    "UntagPolicy": policies.untag_policy,
    "ListPolicyTags": policies.list_policy_tags,
    "ListEntitiesForPolicy": policies.list_entities_for_policy,
    # access keys, login profiles, MFA
    "CreateAccessKey": credentials.create_access_key,
    "UpdateAccessKey": credentials.update_access_key,
    "DeleteAccessKey": credentials.delete_access_key,
    "ListAccessKeys": credentials.list_access_keys,
    "GetAccessKeyLastUsed": credentials.get_access_key_last_used,
    "CreateLoginProfile": credentials.create_login_profile,
    "GetLoginProfile": credentials.get_login_profile,
    "UpdateLoginProfile": credentials.update_login_profile,
    "DeleteLoginProfile": credentials.delete_login_profile,
    "ChangePassword": credentials.change_password,
    "CreateVirtualMFADevice": credentials.create_virtual_mfa_device,
    "EnableMFADevice": credentials.enable_mfa_device,
    "ResyncMFADevice": credentials.resync_mfa_device,
    "DeactivateMFADevice": credentials.deactivate_mfa_device,
    "DeleteVirtualMFADevice": credentials.delete_virtual_mfa_device,
    "ListMFADevices": credentials.list_mfa_devices,
    "ListVirtualMFADevices": credentials.list_virtual_mfa_devices,
    # account
    "CreateAccountAlias": account.create_account_alias,
    "DeleteAccountAlias": account.delete_account_alias,
    "ListAccountAliases": account.list_account_aliases,
    "GetAccountPasswordPolicy": account.get_account_password_policy,
    "UpdateAccountPasswordPolicy": account.update_account_password_policy,
    "DeleteAccountPasswordPolicy": account.delete_account_password_policy,
    "GetAccountSummary": account.get_account_summary,
    "GetAccountAuthorizationDetails": account.get_account_authorization_details,
    # credential report
    "GenerateCredentialReport": reports.generate_credential_report,
    "GetCredentialReport": reports.get_credential_report,
    # policy simulator
    "SimulatePrincipalPolicy": simulate.simulate_principal_policy,
    "SimulateCustomPolicy": simulate.simulate_custom_policy,
    "GetContextKeysForPrincipalPolicy": simulate.get_context_keys_for_principal_policy,
    "GetContextKeysForCustomPolicy": simulate.get_context_keys_for_custom_policy,
}

STS_HANDLERS: dict[str, Handler] = {
    "GetCallerIdentity": sts.get_caller_identity,
    "AssumeRole": sts.assume_role,
    "GetSessionToken": sts.get_session_token,
    "GetAccessKeyInfo": sts.get_access_key_info,
    "DecodeAuthorizationMessage": sts.decode_authorization_message,
}

HANDLERS: dict[str, dict[str, Handler]] = {"iam": IAM_HANDLERS, "sts": STS_HANDLERS}
