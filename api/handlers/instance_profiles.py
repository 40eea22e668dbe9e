"""Instance profiles, service-linked roles, the MFA device's own reads and tags, and the
Access Advisor reports (accounts/operations/instance_profiles.py, service_linked.py,
advisor.py)."""

from __future__ import annotations

from typing import Any

from accounts.operations import advisor as advisor_ops
from accounts.operations import instance_profiles as ip_ops
from accounts.operations import service_linked as slr_ops
from accounts.principal import Principal
from api.paging import list_args, page_items, page_out
from api.shapes import get_mfa_device_out, instance_profile_out, role_out, tag_out

__all__ = [
    "add_role_to_instance_profile",
    "create_instance_profile",
    "create_service_linked_role",
    "delete_instance_profile",
    "delete_service_linked_role",
    "generate_service_last_accessed_details",
    "get_instance_profile",
    "get_mfa_device",
    "get_service_last_accessed_details",
    "get_service_last_accessed_details_with_entities",
    "get_service_linked_role_deletion_status",
    "list_instance_profile_tags",
    "list_instance_profiles",
    "list_instance_profiles_for_role",
    "list_mfa_device_tags",
    "list_policies_granting_service_access",
    "remove_role_from_instance_profile",
    "tag_instance_profile",
    "tag_mfa_device",
    "untag_instance_profile",
    "untag_mfa_device",
]


# -- instance profiles ----------------------------------------------------------------------


def create_instance_profile(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    profile = ip_ops.create_instance_profile(
        actor=actor, name=p["InstanceProfileName"], path=p.get("Path"), tags=p.get("Tags")
    )
    return {"InstanceProfile": instance_profile_out(profile)}


def get_instance_profile(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    profile = ip_ops.get_instance_profile(actor=actor, name=p["InstanceProfileName"])
    return {"InstanceProfile": instance_profile_out(profile, tags="always")}


def delete_instance_profile(actor: Principal, p: dict[str, Any]) -> None:
    ip_ops.delete_instance_profile(actor=actor, name=p["InstanceProfileName"])


def list_instance_profiles(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = ip_ops.list_instance_profiles(actor=actor, **list_args(p, path_prefix=True))
    return page_out(page, "InstanceProfiles", instance_profile_out)


def list_instance_profiles_for_role(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    page = ip_ops.list_instance_profiles_for_role(
        actor=actor, role_name=p["RoleName"], **list_args(p)
    )
    return page_out(page, "InstanceProfiles", instance_profile_out)


def add_role_to_instance_profile(actor: Principal, p: dict[str, Any]) -> None:
    ip_ops.add_role_to_instance_profile(
        actor=actor, name=p["InstanceProfileName"], role_name=p["RoleName"]
    )


def remove_role_from_instance_profile(actor: Principal, p: dict[str, Any]) -> None:
    ip_ops.remove_role_from_instance_profile(
        actor=actor, name=p["InstanceProfileName"], role_name=p["RoleName"]
    )


def tag_instance_profile(actor: Principal, p: dict[str, Any]) -> None:
    ip_ops.tag_instance_profile(actor=actor, name=p["InstanceProfileName"], tags=p["Tags"])


def untag_instance_profile(actor: Principal, p: dict[str, Any]) -> None:
    ip_ops.untag_instance_profile(actor=actor, name=p["InstanceProfileName"], tag_keys=p["TagKeys"])


def list_instance_profile_tags(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    tags = ip_ops.list_instance_profile_tags(actor=actor, name=p["InstanceProfileName"])
    return page_out(page_items(tags, p), "Tags", tag_out)


# -- service-linked roles -------------------------------------------------------------------


def create_service_linked_role(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    role = slr_ops.create_service_linked_role(
        actor=actor,
        service=p["AWSServiceName"],
        description=p.get("Description"),
        custom_suffix=p.get("CustomSuffix"),
    )
    return {"Role": role_out(role, full=True, last_used=False)}  # as CreateRole's answer


def delete_service_linked_role(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    return {"DeletionTaskId": slr_ops.delete_service_linked_role(actor=actor, name=p["RoleName"])}


def get_service_linked_role_deletion_status(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    status = slr_ops.get_service_linked_role_deletion_status(
        actor=actor, task_id=p["DeletionTaskId"]
    )
    return {"Status": status}


# -- MFA devices ----------------------------------------------------------------------------


def get_mfa_device(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    device, user = ip_ops.get_mfa_device(
        actor=actor, serial_number=p["SerialNumber"], user_name=p.get("UserName")
    )
    return get_mfa_device_out(device, user)


def tag_mfa_device(actor: Principal, p: dict[str, Any]) -> None:
    ip_ops.tag_mfa_device(actor=actor, serial_number=p["SerialNumber"], tags=p["Tags"])


def untag_mfa_device(actor: Principal, p: dict[str, Any]) -> None:
    ip_ops.untag_mfa_device(actor=actor, serial_number=p["SerialNumber"], tag_keys=p["TagKeys"])


def list_mfa_device_tags(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    tags = ip_ops.list_mfa_device_tags(actor=actor, serial_number=p["SerialNumber"])
    return page_out(page_items(tags, p), "Tags", tag_out)


# -- Access Advisor -------------------------------------------------------------------------


def generate_service_last_accessed_details(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    job = advisor_ops.generate_service_last_accessed_details(
        actor=actor, arn=p["Arn"], granularity=p.get("Granularity")
    )
    return {"JobId": job.job_id}


def _service_out(service: advisor_ops.ServiceAccess, granularity: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ServiceName": service.name,
        "ServiceNamespace": service.namespace,
        "TotalAuthenticatedEntities": service.total,
    }
    if service.last is not None:
        out["LastAuthenticated"] = service.last
        out["LastAuthenticatedEntity"] = service.entity
    if granularity == "ACTION_LEVEL" and service.namespace in advisor_ops.TRACKED_SERVICES:
        out["TrackedActionsLastAccessed"] = [
            {"ActionName": action, "LastAccessedTime": when, "LastAccessedEntity": entity}
            for action, when, entity in service.actions
        ]
    return out


def get_service_last_accessed_details(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    report = advisor_ops.get_service_last_accessed_details(actor=actor, job_id=p["JobId"])
    job = report.job
    out = page_out(
        page_items(report.services, p),
        "ServicesLastAccessed",
        lambda s: _service_out(s, job.granularity),
    )
    return {
        "JobStatus": "COMPLETED",
        "JobType": job.granularity,
        "JobCreationDate": job.created,
        "JobCompletionDate": job.completed,
        **out,
    }


def _entity_info(obj: Any, kind: str) -> dict[str, Any]:
    return {
        "Arn": obj.arn,
        "Name": obj.name,
        "Type": kind,
        "Id": obj.unique_id,
        "Path": obj.path,
    }


def get_service_last_accessed_details_with_entities(
    actor: Principal, p: dict[str, Any]
) -> dict[str, Any]:
    job, entities = advisor_ops.get_service_last_accessed_details_with_entities(
        actor=actor, job_id=p["JobId"], namespace=p["ServiceNamespace"]
    )

    def detail(row: tuple[Any, str, Any]) -> dict[str, Any]:
        obj, kind, last = row
        out: dict[str, Any] = {"EntityInfo": _entity_info(obj, kind)}
        if last is not None:
            out["LastAuthenticated"] = last
        return out

    out = page_out(page_items(entities, p), "EntityDetailsList", detail)
    return {
        "JobStatus": "COMPLETED",
        "JobCreationDate": job.created,
        "JobCompletionDate": job.completed,
        **out,
    }


def list_policies_granting_service_access(actor: Principal, p: dict[str, Any]) -> dict[str, Any]:
    rows = advisor_ops.list_policies_granting_service_access(
        actor=actor, arn=p["Arn"], namespaces=p["ServiceNamespaces"]
    )
    return {
        "PoliciesGrantingServiceAccess": [
            {"ServiceNamespace": ns, "Policies": policies} for ns, policies in rows
        ],
        "IsTruncated": False,
    }
