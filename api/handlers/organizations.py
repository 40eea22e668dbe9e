"""AWS Organizations actions (JSON 1.1 protocol): botocore input dict -> operation -> output dict.

Shapes are those of botocore's ``organizations`` model (Organization, Root,
OrganizationalUnit, Account, Policy/PolicySummary, Handshake, CreateAccountStatus).
"""

from __future__ import annotations

from typing import Any

from accounts.principal import Principal
from api.paging import page_items, page_out
from organizations import operations as ops
from organizations.models import (
    CreateAccountRequest,
    Handshake,
    Member,
    Organization,
    OrganizationalUnit,
    OrgPolicy,
)

__all__ = ["HANDLERS"]


# ------------------------------------------------------------------ shapes


def _organization(org: Organization) -> dict[str, Any]:
    mgmt = org.management_account_id
    return {
        "Id": org.id,
        "Arn": org.arn,
        "FeatureSet": "ALL",
        "MasterAccountArn": ops.account_arn(org, mgmt),
        "MasterAccountId": mgmt,
        "MasterAccountEmail": ops.root_email(mgmt),
        # Deprecated in AWS's model ("use ListRoots"); AWS still answers the SCP entry.
        "AvailablePolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}],
    }


def _root(org: Organization) -> dict[str, Any]:
    return {
        "Id": org.root_id,
        "Arn": org.root_arn,
        "Name": "Root",
        "PolicyTypes": [{"Type": t, "Status": "ENABLED"} for t in org.policy_types],
    }


def _ou(ou: OrganizationalUnit) -> dict[str, Any]:
    return {
        "Id": ou.id,
        "Arn": ou.arn,
        "Name": ou.name,
        "Path": f"{ou.organization_id}/{ou.path}",
    }


def _account(member: Member) -> dict[str, Any]:
    return {
        "Id": member.account_id,
        "Arn": member.arn,
        "Email": member.email,
        "Name": member.name,
        "Status": member.status,
        "State": member.status,
        "JoinedMethod": member.joined_method,
        "JoinedTimestamp": member.joined,
    }


def _policy_summary(org: Organization, policy: OrgPolicy) -> dict[str, Any]:
    return {
        "Id": policy.id,
        "Arn": policy.arn_in(org),
        "Name": policy.name,
        "Description": policy.description,
        "Type": policy.type,
        "AwsManaged": policy.aws_managed,
    }


def _policy(org: Organization, policy: OrgPolicy) -> dict[str, Any]:
    return {"PolicySummary": _policy_summary(org, policy), "Content": policy.content}


def _handshake(h: Handshake) -> dict[str, Any]:
    org = h.organization
    mgmt_email = ops.root_email(org.management_account_id)
    resources: list[dict[str, Any]] = [
        {
            "Type": "ORGANIZATION",
            "Value": org.id,
            "Resources": [
                {"Type": "MASTER_EMAIL", "Value": mgmt_email},
                {"Type": "MASTER_NAME", "Value": org.management_account_id},
                {"Type": "ORGANIZATION_FEATURE_SET", "Value": "ALL"},
            ],
        },
        {"Type": "ACCOUNT", "Value": h.account_id},
    ]
    if h.notes:
        resources.append({"Type": "NOTES", "Value": h.notes})
    return {
        "Id": h.id,
        "Arn": h.arn,
        "Parties": [
            {"Id": org.id.removeprefix("o-"), "Type": "ORGANIZATION"},
            {"Id": h.account_id, "Type": "ACCOUNT"},
        ],
        "State": ops.handshake_state(h),
        "RequestedTimestamp": h.requested,
        "ExpirationTimestamp": h.expires,
        "Action": "INVITE",
        "Resources": resources,
    }


def _create_status(r: CreateAccountRequest) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Id": r.id,
        "AccountName": r.account_name,
        "State": r.state,
        "RequestedTimestamp": r.requested,
    }
    if r.completed:
        out["CompletedTimestamp"] = r.completed
    if r.account_id:
        out["AccountId"] = r.account_id
    if r.failure_reason:
        out["FailureReason"] = r.failure_reason
    return out


def _paged(key: str, page: ops.OrgPage, shape: Any) -> dict[str, Any]:
    out: dict[str, Any] = {key: [shape(i) for i in page.items]}
    if page.next_token:
        out["NextToken"] = page.next_token
    return out


def _paging(p: dict[str, Any]) -> dict[str, Any]:
    return {"next_token": p.get("NextToken"), "max_results": p.get("MaxResults")}


def _target_type(target_id: str) -> str:
    if target_id.startswith("r-"):
        return "ROOT"
    if target_id.startswith("ou-"):
        return "ORGANIZATIONAL_UNIT"
    return "ACCOUNT"


# ------------------------------------------------------------------ organization


def create_organization(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    org = ops.create_organization(actor=actor, feature_set=p.get("FeatureSet", "ALL"))
    return {"Organization": _organization(org)}


def describe_organization(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    return {"Organization": _organization(ops.describe_organization(actor=actor))}


def delete_organization(actor: Principal, p: dict[str, Any]) -> None:
    ops.delete_organization(actor=actor)


def list_roots(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    org, page = ops.list_roots(actor=actor, **_paging(p))
    return _paged("Roots", page, lambda _root_id: _root(org))


def enable_policy_type(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    org = ops.enable_policy_type(actor=actor, root_id=p["RootId"], policy_type=p["PolicyType"])
    return {"Root": _root(org)}


def disable_policy_type(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    org = ops.disable_policy_type(actor=actor, root_id=p["RootId"], policy_type=p["PolicyType"])
    return {"Root": _root(org)}


# ------------------------------------------------------------------ organizational units


def create_organizational_unit(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    ou = ops.create_organizational_unit(
        actor=actor, parent_id=p["ParentId"], name=p["Name"], tags=p.get("Tags")
    )
    return {"OrganizationalUnit": _ou(ou)}


def describe_organizational_unit(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    ou = ops.describe_organizational_unit(actor=actor, ou_id=p["OrganizationalUnitId"])
    return {"OrganizationalUnit": _ou(ou)}


def update_organizational_unit(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    ou = ops.update_organizational_unit(
        actor=actor, ou_id=p["OrganizationalUnitId"], name=p.get("Name")
    )
    return {"OrganizationalUnit": _ou(ou)}


def delete_organizational_unit(actor: Principal, p: dict[str, Any]) -> None:
    ops.delete_organizational_unit(actor=actor, ou_id=p["OrganizationalUnitId"])


def list_organizational_units_for_parent(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = ops.list_organizational_units_for_parent(
        actor=actor, parent_id=p["ParentId"], **_paging(p)
    )
    return _paged("OrganizationalUnits", page, _ou)


def list_children(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    child_type = p["ChildType"]
    page = ops.list_children(
        actor=actor, parent_id=p["ParentId"], child_type=child_type, **_paging(p)
    )
    return _paged("Children", page, lambda i: {"Id": i, "Type": child_type})


def list_parents(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    _org, page = ops.list_parents(actor=actor, child_id=p["ChildId"], **_paging(p))
    return _paged(
        "Parents",
        page,
        lambda i: {"Id": i, "Type": "ROOT" if i.startswith("r-") else "ORGANIZATIONAL_UNIT"},
    )


# ------------------------------------------------------------------ accounts


def list_accounts(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    return _paged("Accounts", ops.list_accounts(actor=actor, **_paging(p)), _account)


def list_accounts_for_parent(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = ops.list_accounts_for_parent(actor=actor, parent_id=p["ParentId"], **_paging(p))
    return _paged("Accounts", page, _account)


def describe_account(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    return {"Account": _account(ops.describe_account(actor=actor, account_id=p["AccountId"]))}


def move_account(actor: Principal, p: dict[str, Any]) -> None:
    ops.move_account(
        actor=actor,
        account_id=p["AccountId"],
        source_parent_id=p["SourceParentId"],
        destination_parent_id=p["DestinationParentId"],
    )


def create_account(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    request = ops.create_account(
        actor=actor,
        email=p["Email"],
        account_name=p["AccountName"],
        role_name=p.get("RoleName"),
        iam_user_access_to_billing=p.get("IamUserAccessToBilling"),
        tags=p.get("Tags"),
    )
    return {"CreateAccountStatus": _create_status(request)}


def describe_create_account_status(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    request = ops.describe_create_account_status(
        actor=actor, request_id=p["CreateAccountRequestId"]
    )
    return {"CreateAccountStatus": _create_status(request)}


def list_create_account_status(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = ops.list_create_account_status(actor=actor, states=p.get("States"), **_paging(p))
    return _paged("CreateAccountStatuses", page, _create_status)


def remove_account_from_organization(actor: Principal, p: dict[str, Any]) -> None:
    ops.remove_account_from_organization(actor=actor, account_id=p["AccountId"])


def leave_organization(actor: Principal, p: dict[str, Any]) -> None:
    ops.leave_organization(actor=actor)


def close_account(actor: Principal, p: dict[str, Any]) -> None:
    ops.close_account(actor=actor, account_id=p["AccountId"])


# ------------------------------------------------------------------ handshakes


def invite_account_to_organization(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    target = p["Target"]
    h = ops.invite_account_to_organization(
        actor=actor,
        target_id=target["Id"],
        target_type=target["Type"],
        notes=p.get("Notes"),
        tags=p.get("Tags"),
    )
    return {"Handshake": _handshake(h)}


def accept_handshake(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    return {
        "Handshake": _handshake(ops.accept_handshake(actor=actor, handshake_id=p["HandshakeId"]))
    }


def decline_handshake(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    h = ops.decline_handshake(actor=actor, handshake_id=p["HandshakeId"])
    return {"Handshake": _handshake(h)}


def cancel_handshake(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    return {
        "Handshake": _handshake(ops.cancel_handshake(actor=actor, handshake_id=p["HandshakeId"]))
    }


def describe_handshake(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    h = ops.describe_handshake(actor=actor, handshake_id=p["HandshakeId"])
    return {"Handshake": _handshake(h)}


def _action_type(p: dict[str, Any]) -> str | None:
    return (p.get("Filter") or {}).get("ActionType")


def list_handshakes_for_account(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = ops.list_handshakes_for_account(actor=actor, action_type=_action_type(p), **_paging(p))
    return _paged("Handshakes", page, _handshake)


def list_handshakes_for_organization(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = ops.list_handshakes_for_organization(
        actor=actor, action_type=_action_type(p), **_paging(p)
    )
    return _paged("Handshakes", page, _handshake)


# ------------------------------------------------------------------ policies


def create_policy(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    org, policy = ops.create_policy(
        actor=actor,
        content=p["Content"],
        description=p["Description"],
        name=p["Name"],
        policy_type=p["Type"],
        tags=p.get("Tags"),
    )
    return {"Policy": _policy(org, policy)}


def describe_policy(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    org, policy = ops.describe_policy(actor=actor, policy_id=p["PolicyId"])
    return {"Policy": _policy(org, policy)}


def update_policy(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    org, policy = ops.update_policy(
        actor=actor,
        policy_id=p["PolicyId"],
        name=p.get("Name"),
        description=p.get("Description"),
        content=p.get("Content"),
    )
    return {"Policy": _policy(org, policy)}


def delete_policy(actor: Principal, p: dict[str, Any]) -> None:
    ops.delete_policy(actor=actor, policy_id=p["PolicyId"])


def list_policies(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    org, page = ops.list_policies(actor=actor, policy_filter=p["Filter"], **_paging(p))
    return _paged("Policies", page, lambda policy: _policy_summary(org, policy))


def attach_policy(actor: Principal, p: dict[str, Any]) -> None:
    ops.attach_policy(actor=actor, policy_id=p["PolicyId"], target_id=p["TargetId"])


def detach_policy(actor: Principal, p: dict[str, Any]) -> None:
    ops.detach_policy(actor=actor, policy_id=p["PolicyId"], target_id=p["TargetId"])


def list_policies_for_target(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    org, page = ops.list_policies_for_target(
        actor=actor, target_id=p["TargetId"], policy_filter=p["Filter"], **_paging(p)
    )
    return _paged("Policies", page, lambda policy: _policy_summary(org, policy))


def list_targets_for_policy(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = ops.list_targets_for_policy(actor=actor, policy_id=p["PolicyId"], **_paging(p))
    return _paged(
        "Targets",
        page,
        lambda t: {"TargetId": t.target_id, "Arn": t.arn, "Name": t.name, "Type": t.type},
    )


# ------------------------------------------------------------------ tags


def tag_resource(actor: Principal, p: dict[str, Any]) -> None:
    ops.tag_resource(actor=actor, resource_id=p["ResourceId"], tags=p["Tags"])


def untag_resource(actor: Principal, p: dict[str, Any]) -> None:
    ops.untag_resource(actor=actor, resource_id=p["ResourceId"], tag_keys=p["TagKeys"])


def list_tags_for_resource(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = ops.list_tags_for_resource(
        actor=actor, resource_id=p["ResourceId"], next_token=p.get("NextToken")
    )
    return _paged("Tags", page, lambda kv: {"Key": kv[0], "Value": kv[1]})


# ------------------------------------------------------------------ IAM: access reports
# (Query protocol: registered in api/handlers/__init__.py's IAM_HANDLERS)


def generate_organizations_access_report(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    job = ops.generate_organizations_access_report(
        actor=actor, entity_path=p["EntityPath"], policy_id=p.get("OrganizationsPolicyId")
    )
    return {"JobId": job.job_id}


def _access_detail(d: ops.AccessDetail) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ServiceName": d.name,
        "ServiceNamespace": d.namespace,
        "TotalAuthenticatedEntities": d.total,
    }
    if d.last is not None:
        out["LastAuthenticatedTime"] = d.last
        out["EntityPath"] = d.entity_path
    return out


def get_organizations_access_report(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    report = ops.get_organizations_access_report(
        actor=actor, job_id=p["JobId"], sort_key=p.get("SortKey")
    )
    return {
        "JobStatus": "COMPLETED",
        "JobCreationDate": report.job.created,
        "JobCompletionDate": report.job.completed,
        "NumberOfServicesAccessible": report.accessible,
        "NumberOfServicesNotAccessed": report.not_accessed,
        **page_out(page_items(report.details, p), "AccessDetails", _access_detail),
    }


HANDLERS: dict[str, Any] = {
    "CreateOrganization": create_organization,
    "DescribeOrganization": describe_organization,
    "DeleteOrganization": delete_organization,
    "ListRoots": list_roots,
    "EnablePolicyType": enable_policy_type,
    "DisablePolicyType": disable_policy_type,
    "CreateOrganizationalUnit": create_organizational_unit,
    "DescribeOrganizationalUnit": describe_organizational_unit,
    "UpdateOrganizationalUnit": update_organizational_unit,
    "DeleteOrganizationalUnit": delete_organizational_unit,
    "ListOrganizationalUnitsForParent": list_organizational_units_for_parent,
    "ListChildren": list_children,
    "ListParents": list_parents,
    "ListAccounts": list_accounts,
    "ListAccountsForParent": list_accounts_for_parent,
    "DescribeAccount": describe_account,
    "MoveAccount": move_account,
    "CreateAccount": create_account,
    "DescribeCreateAccountStatus": describe_create_account_status,
    "ListCreateAccountStatus": list_create_account_status,
    "RemoveAccountFromOrganization": remove_account_from_organization,
    "LeaveOrganization": leave_organization,
    "CloseAccount": close_account,
    "InviteAccountToOrganization": invite_account_to_organization,
    "AcceptHandshake": accept_handshake,
    "DeclineHandshake": decline_handshake,
    "CancelHandshake": cancel_handshake,
    "DescribeHandshake": describe_handshake,
    "ListHandshakesForAccount": list_handshakes_for_account,
    "ListHandshakesForOrganization": list_handshakes_for_organization,
    "CreatePolicy": create_policy,
    "DescribePolicy": describe_policy,
    "UpdatePolicy": update_policy,
    "DeletePolicy": delete_policy,
    "ListPolicies": list_policies,
    "AttachPolicy": attach_policy,
    "DetachPolicy": detach_policy,
    "ListPoliciesForTarget": list_policies_for_target,
    "ListTargetsForPolicy": list_targets_for_policy,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}
