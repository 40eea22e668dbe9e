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
    analyzer,
    credentials,
    federation,
    groups,
    instance_profiles,
    organizations,
    policies,
    providers,
    reports,
    roles,
    server_certificates,
    simulate,
    sts,
    user_credentials,
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
    # instance profiles and service-linked roles
    "CreateInstanceProfile": instance_profiles.create_instance_profile,
    "GetInstanceProfile": instance_profiles.get_instance_profile,
    "DeleteInstanceProfile": instance_profiles.delete_instance_profile,
    "ListInstanceProfiles": instance_profiles.list_instance_profiles,
    "ListInstanceProfilesForRole": instance_profiles.list_instance_profiles_for_role,
    "AddRoleToInstanceProfile": instance_profiles.add_role_to_instance_profile,
    "RemoveRoleFromInstanceProfile": instance_profiles.remove_role_from_instance_profile,
    "TagInstanceProfile": instance_profiles.tag_instance_profile,
    "UntagInstanceProfile": instance_profiles.untag_instance_profile,
    "ListInstanceProfileTags": instance_profiles.list_instance_profile_tags,
    "CreateServiceLinkedRole": instance_profiles.create_service_linked_role,
    "DeleteServiceLinkedRole": instance_profiles.delete_service_linked_role,
    "GetServiceLinkedRoleDeletionStatus": instance_profiles.get_service_linked_role_deletion_status,
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
    "GetMFADevice": instance_profiles.get_mfa_device,
    "TagMFADevice": instance_profiles.tag_mfa_device,
    "UntagMFADevice": instance_profiles.untag_mfa_device,
    "ListMFADeviceTags": instance_profiles.list_mfa_device_tags,
    # SSH public keys, signing certificates, service-specific credentials
    "UploadSSHPublicKey": user_credentials.upload_ssh_public_key,
    "GetSSHPublicKey": user_credentials.get_ssh_public_key,
    "UpdateSSHPublicKey": user_credentials.update_ssh_public_key,
    "DeleteSSHPublicKey": user_credentials.delete_ssh_public_key,
    "ListSSHPublicKeys": user_credentials.list_ssh_public_keys,
    "UploadSigningCertificate": user_credentials.upload_signing_certificate,
    "UpdateSigningCertificate": user_credentials.update_signing_certificate,
    "DeleteSigningCertificate": user_credentials.delete_signing_certificate,
    "ListSigningCertificates": user_credentials.list_signing_certificates,
    "CreateServiceSpecificCredential": user_credentials.create_service_specific_credential,
    "ResetServiceSpecificCredential": user_credentials.reset_service_specific_credential,
    "UpdateServiceSpecificCredential": user_credentials.update_service_specific_credential,
    "DeleteServiceSpecificCredential": user_credentials.delete_service_specific_credential,
    "ListServiceSpecificCredentials": user_credentials.list_service_specific_credentials,
    # server certificates
    "UploadServerCertificate": server_certificates.upload_server_certificate,
    "GetServerCertificate": server_certificates.get_server_certificate,
    "UpdateServerCertificate": server_certificates.update_server_certificate,
    "DeleteServerCertificate": server_certificates.delete_server_certificate,
    "ListServerCertificates": server_certificates.list_server_certificates,
    "TagServerCertificate": server_certificates.tag_server_certificate,
    "UntagServerCertificate": server_certificates.untag_server_certificate,
    "ListServerCertificateTags": server_certificates.list_server_certificate_tags,
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
    # Access Advisor (service last accessed)
    "GenerateOrganizationsAccessReport": organizations.generate_organizations_access_report,
    "GetOrganizationsAccessReport": organizations.get_organizations_access_report,
    "GenerateServiceLastAccessedDetails": instance_profiles.generate_service_last_accessed_details,
    "GetServiceLastAccessedDetails": instance_profiles.get_service_last_accessed_details,
    "GetServiceLastAccessedDetailsWithEntities": (
        instance_profiles.get_service_last_accessed_details_with_entities
    ),
    "ListPoliciesGrantingServiceAccess": instance_profiles.list_policies_granting_service_access,
    # policy simulator
    "SimulatePrincipalPolicy": simulate.simulate_principal_policy,
    "SimulateCustomPolicy": simulate.simulate_custom_policy,
    "GetContextKeysForPrincipalPolicy": simulate.get_context_keys_for_principal_policy,
    "GetContextKeysForCustomPolicy": simulate.get_context_keys_for_custom_policy,
    # identity providers (OpenID Connect, SAML)
    "CreateOpenIDConnectProvider": providers.create_open_id_connect_provider,
    "GetOpenIDConnectProvider": providers.get_open_id_connect_provider,
    "ListOpenIDConnectProviders": providers.list_open_id_connect_providers,
    "DeleteOpenIDConnectProvider": providers.delete_open_id_connect_provider,
    "AddClientIDToOpenIDConnectProvider": providers.add_client_id_to_open_id_connect_provider,
    "RemoveClientIDFromOpenIDConnectProvider": (
        providers.remove_client_id_from_open_id_connect_provider
    ),
    "UpdateOpenIDConnectProviderThumbprint": providers.update_open_id_connect_provider_thumbprint,
    "TagOpenIDConnectProvider": providers.tag_open_id_connect_provider,
    "UntagOpenIDConnectProvider": providers.untag_open_id_connect_provider,
    "ListOpenIDConnectProviderTags": providers.list_open_id_connect_provider_tags,
    "CreateSAMLProvider": providers.create_saml_provider,
    "GetSAMLProvider": providers.get_saml_provider,
    "UpdateSAMLProvider": providers.update_saml_provider,
    "DeleteSAMLProvider": providers.delete_saml_provider,
    "ListSAMLProviders": providers.list_saml_providers,
    "TagSAMLProvider": providers.tag_saml_provider,
    "UntagSAMLProvider": providers.untag_saml_provider,
    "ListSAMLProviderTags": providers.list_saml_provider_tags,
}

STS_HANDLERS: dict[str, Handler] = {
    "GetCallerIdentity": sts.get_caller_identity,
    "AssumeRole": sts.assume_role,
    "GetSessionToken": sts.get_session_token,
    "GetAccessKeyInfo": sts.get_access_key_info,
    "DecodeAuthorizationMessage": sts.decode_authorization_message,
    # federation (the first two are served unsigned: api/views.py)
    "AssumeRoleWithWebIdentity": federation.assume_role_with_web_identity,
    "AssumeRoleWithSAML": federation.assume_role_with_saml,
    "GetFederationToken": federation.get_federation_token,
}

# By SigV4 signing name (api/views.py): Organizations and Access Analyzer speak JSON.
HANDLERS: dict[str, dict[str, Handler]] = {
    "iam": IAM_HANDLERS,
    "sts": STS_HANDLERS,
    "organizations": organizations.HANDLERS,
    "access-analyzer": analyzer.HANDLERS,
}
