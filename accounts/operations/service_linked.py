"""Service-linked roles: CreateServiceLinkedRole, DeleteServiceLinkedRole,
GetServiceLinkedRoleDeletionStatus.

A service-linked role lives under ``/aws-service-role/<service principal>/``, trusts
only that service principal, and carries the service's AWS-managed policy. AWS lets
only the service change it: DeleteRole, UpdateAssumeRolePolicy and the role's policy
actions answer UnmodifiableEntity (accounts/operations/roles.py); only
DeleteServiceLinkedRole deletes it. A role is service-linked exactly when its path
is under ``/aws-service-role/`` (CreateRole refuses that path to everyone else), so
roles imported from a real account's export are protected too.

The services known here, their role names, managed policies and whether they take
a CustomSuffix, are AWS's answers as localstack recorded them against AWS
(tests/aws/services/iam/test_iam.py ``TestIAMServiceRoles`` and its snapshot:
every ``AWSServiceRoleFor…`` name, path and attached policy below is a recorded
answer, as are the error texts unless a comment says otherwise).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from accounts.errors import DeleteConflict, InvalidInput, NoSuchEntity, UnmodifiableEntity
from accounts.ids import unique_id
from accounts.models import Role, ServiceLinkedRoleDeletion
from accounts.operations.common import ROLES_PER_ACCOUNT, check_new_entity, find_role, iam_arn
from accounts.principal import Principal
from accounts.validation import check_name
from audit.trail import record_event
from iamconsole.ops import operation, save_unique
from policies.authorization import authorize
from policies.cache import invalidate
from policies.models import InlinePolicy, ManagedPolicy, PolicyAttachment

__all__ = [
    "SERVICE_ROLE_PATH",
    "SERVICES",
    "ServiceRole",
    "create_service_linked_role",
    "delete_service_linked_role",
    "get_service_linked_role_deletion_status",
    "is_service_linked",
    "linked_service",
    "refuse_protected",
]

SERVICE_ROLE_PATH = "/aws-service-role/"


@dataclass(frozen=True)
class ServiceRole:
    role_name: str
    policy: str  # under arn:aws:iam::aws:policy/aws-service-role/
    custom_suffix: bool = False


# Service principal -> AWS's role name and policy (localstack's AWS recordings; the three
# services taking a CustomSuffix are the recorded SERVICES_CUSTOM_SUFFIX, every other one
# answered "Custom suffix is not allowed for …").
SERVICES: dict[str, ServiceRole] = {
    s: ServiceRole(*v)  # type: ignore[arg-type]
    for s, v in {
        "accountdiscovery.ssm.amazonaws.com": (
            "AWSServiceRoleForAmazonSSM_AccountDiscovery",
            "AWSSystemsManagerAccountDiscoveryServicePolicy",
        ),
        "acm.amazonaws.com": (
            "AWSServiceRoleForCertificateManager",
            "CertificateManagerServiceRolePolicy",
        ),
        "appmesh.amazonaws.com": ("AWSServiceRoleForAppMesh", "AWSAppMeshServiceRolePolicy"),
        "autoscaling-plans.amazonaws.com": (
            "AWSServiceRoleForAutoScalingPlans_EC2AutoScaling",
            "AWSAutoScalingPlansEC2AutoScalingPolicy",
        ),
        "autoscaling.amazonaws.com": (
            "AWSServiceRoleForAutoScaling",
            "AutoScalingServiceRolePolicy",
            True,
        ),
        "backup.amazonaws.com": (
            "AWSServiceRoleForBackup",
            "AWSBackupServiceLinkedRolePolicyForBackup",
        ),
        "batch.amazonaws.com": ("AWSServiceRoleForBatch", "BatchServiceRolePolicy"),
        "cassandra.application-autoscaling.amazonaws.com": (
            "AWSServiceRoleForApplicationAutoScaling_CassandraTable",
            "AWSApplicationAutoscalingCassandraTablePolicy",
        ),
        "cks.kms.amazonaws.com": (
            "AWSServiceRoleForKeyManagementServiceCustomKeyStores",
            "AWSKeyManagementServiceCustomKeyStoresServiceRolePolicy",
        ),
        "cloudtrail.amazonaws.com": ("AWSServiceRoleForCloudTrail", "CloudTrailServiceRolePolicy"),
        "codestar-notifications.amazonaws.com": (
            "AWSServiceRoleForCodeStarNotifications",
            "AWSCodeStarNotificationsServiceRolePolicy",
        ),
        "config.amazonaws.com": ("AWSServiceRoleForConfig", "AWSConfigServiceRolePolicy"),
        "connect.amazonaws.com": (
            "AWSServiceRoleForAmazonConnect",
            "AmazonConnectServiceLinkedRolePolicy",
            True,
        ),
        "dms-fleet-advisor.amazonaws.com": (
            "AWSServiceRoleForDMSFleetAdvisor",
            "AWSDMSFleetAdvisorServiceRolePolicy",
        ),
        "dms.amazonaws.com": (
            "AWSServiceRoleForDMSServerless",
            "AWSDMSServerlessServiceRolePolicy",
        ),
        "docdb-elastic.amazonaws.com": (
            "AWSServiceRoleForDocDB-Elastic",
            "AmazonDocDB-ElasticServiceRolePolicy",
        ),
        "ec2-instance-connect.amazonaws.com": (
            "AWSServiceRoleForEc2InstanceConnect",
            "Ec2InstanceConnectEndpoint",
        ),
        "ec2.application-autoscaling.amazonaws.com": (
            "AWSServiceRoleForApplicationAutoScaling_EC2SpotFleetRequest",
            "AWSApplicationAutoscalingEC2SpotFleetRequestPolicy",
        ),
        "ecr.amazonaws.com": ("AWSServiceRoleForECRTemplate", "ECRTemplateServiceRolePolicy"),
        "ecs.amazonaws.com": ("AWSServiceRoleForECS", "AmazonECSServiceRolePolicy"),
        "eks-connector.amazonaws.com": (
            "AWSServiceRoleForAmazonEKSConnector",
            "AmazonEKSConnectorServiceRolePolicy",
        ),
        "eks-fargate.amazonaws.com": (
            "AWSServiceRoleForAmazonEKSForFargate",
            "AmazonEKSForFargateServiceRolePolicy",
        ),
        "eks-nodegroup.amazonaws.com": (
            "AWSServiceRoleForAmazonEKSNodegroup",
            "AWSServiceRoleForAmazonEKSNodegroup",
        ),
        "eks.amazonaws.com": ("AWSServiceRoleForAmazonEKS", "AmazonEKSServiceRolePolicy"),
        "elasticache.amazonaws.com": (
            "AWSServiceRoleForElastiCache",
            "ElastiCacheServiceRolePolicy",
        ),
        "elasticbeanstalk.amazonaws.com": (
            "AWSServiceRoleForElasticBeanstalk",
            "AWSElasticBeanstalkServiceRolePolicy",
        ),
        "elasticfilesystem.amazonaws.com": (
            "AWSServiceRoleForAmazonElasticFileSystem",
            "AmazonElasticFileSystemServiceRolePolicy",
        ),
        "elasticloadbalancing.amazonaws.com": (
            "AWSServiceRoleForElasticLoadBalancing",
            "AWSElasticLoadBalancingServiceRolePolicy",
        ),
        "email.cognito-idp.amazonaws.com": (
            "AWSServiceRoleForAmazonCognitoIdpEmailService",
            "AmazonCognitoIdpEmailServiceRolePolicy",
        ),
        "emr-containers.amazonaws.com": (
            "AWSServiceRoleForAmazonEMRContainers",
            "AmazonEMRContainersServiceRolePolicy",
        ),
        "emrwal.amazonaws.com": ("AWSServiceRoleForEMRWAL", "EMRDescribeClusterPolicyForEMRWAL"),
        "fis.amazonaws.com": ("AWSServiceRoleForFIS", "AmazonFISServiceRolePolicy"),
        "grafana.amazonaws.com": (
            "AWSServiceRoleForAmazonGrafana",
            "AmazonGrafanaServiceLinkedRolePolicy",
        ),
        "imagebuilder.amazonaws.com": (
            "AWSServiceRoleForImageBuilder",
            "AWSServiceRoleForImageBuilder",
        ),
        "iotmanagedintegrations.amazonaws.com": (
            "AWSServiceRoleForIoTManagedIntegrations",
            "AWSIoTManagedIntegrationsRolePolicy",
        ),
        "kafka.amazonaws.com": ("AWSServiceRoleForKafka", "KafkaServiceRolePolicy"),
        "kafkaconnect.amazonaws.com": (
            "AWSServiceRoleForKafkaConnect",
            "KafkaConnectServiceRolePolicy",
        ),
        "lakeformation.amazonaws.com": (
            "AWSServiceRoleForLakeFormationDataAccess",
            "LakeFormationDataAccessServiceRolePolicy",
        ),
        "lex.amazonaws.com": ("AWSServiceRoleForLexBots", "AmazonLexBotPolicy"),
        "lexv2.amazonaws.com": ("AWSServiceRoleForLexV2Bots", "AmazonLexV2BotPolicy", True),
        "lightsail.amazonaws.com": ("AWSServiceRoleForLightsail", "LightsailExportAccess"),
        "m2.amazonaws.com": ("AWSServiceRoleForAWSM2", "AWSM2ServicePolicy"),
        "memorydb.amazonaws.com": ("AWSServiceRoleForMemoryDB", "MemoryDBServiceRolePolicy"),
        "mq.amazonaws.com": ("AWSServiceRoleForAmazonMQ", "AmazonMQServiceRolePolicy"),
        "mrk.kms.amazonaws.com": (
            "AWSServiceRoleForKeyManagementServiceMultiRegionKeys",
            "AWSKeyManagementServiceMultiRegionKeysServiceRolePolicy",
        ),
        "notifications.amazonaws.com": (
            "AWSServiceRoleForAwsUserNotifications",
            "AWSUserNotificationsServiceLinkedRolePolicy",
        ),
        "observability.aoss.amazonaws.com": (
            "AWSServiceRoleForAmazonOpenSearchServerless",
            "AmazonOpenSearchServerlessServiceRolePolicy",
        ),
        "opensearchservice.amazonaws.com": (
            "AWSServiceRoleForAmazonOpenSearchService",
            "AmazonOpenSearchServiceRolePolicy",
        ),
        "ops.apigateway.amazonaws.com": (
            "AWSServiceRoleForAPIGateway",
            "APIGatewayServiceRolePolicy",
        ),
        "ops.emr-serverless.amazonaws.com": (
            "AWSServiceRoleForAmazonEMRServerless",
            "AmazonEMRServerlessServiceRolePolicy",
        ),
        "opsdatasync.ssm.amazonaws.com": (
            "AWSServiceRoleForSystemsManagerOpsDataSync",
            "AWSSystemsManagerOpsDataSyncServiceRolePolicy",
        ),
        "opsinsights.ssm.amazonaws.com": (
            "AWSServiceRoleForAmazonSSM_OpsInsights",
            "AWSSSMOpsInsightsServiceRolePolicy",
        ),
        "pullthroughcache.ecr.amazonaws.com": (
            "AWSServiceRoleForECRPullThroughCache",
            "AWSECRPullThroughCache_ServiceRolePolicy",
        ),
        "ram.amazonaws.com": (
            "AWSServiceRoleForResourceAccessManager",
            "AWSResourceAccessManagerServiceRolePolicy",
        ),
        "rds.amazonaws.com": ("AWSServiceRoleForRDS", "AmazonRDSServiceRolePolicy"),
        "redshift.amazonaws.com": (
            "AWSServiceRoleForRedshift",
            "AmazonRedshiftServiceLinkedRolePolicy",
        ),
        "replication.cassandra.amazonaws.com": (
            "AWSServiceRoleForKeyspacesReplication",
            "KeyspacesReplicationServiceRolePolicy",
        ),
        "replication.ecr.amazonaws.com": (
            "AWSServiceRoleForECRReplication",
            "ECRReplicationServiceRolePolicy",
        ),
        "repository.sync.codeconnections.amazonaws.com": (
            "AWSServiceRoleForGitSync",
            "AWSGitSyncServiceRolePolicy",
        ),
        "resource-explorer-2.amazonaws.com": (
            "AWSServiceRoleForResourceExplorer",
            "AWSResourceExplorerServiceRolePolicy",
        ),
        "rolesanywhere.amazonaws.com": (
            "AWSServiceRoleForRolesAnywhere",
            "AWSRolesAnywhereServicePolicy",
        ),
        "s3-outposts.amazonaws.com": (
            "AWSServiceRoleForS3OnOutposts",
            "AWSS3OnOutpostsServiceRolePolicy",
        ),
        "ses.amazonaws.com": ("AWSServiceRoleForAmazonSES", "AmazonSESServiceRolePolicy"),
        "shield.amazonaws.com": ("AWSServiceRoleForAWSShield", "AWSShieldServiceRolePolicy"),
        "ssm-incidents.amazonaws.com": (
            "AWSServiceRoleForIncidentManager",
            "AWSIncidentManagerServiceRolePolicy",
        ),
        "ssm-quicksetup.amazonaws.com": (
            "AWSServiceRoleForSSMQuickSetup",
            "SSMQuickSetupRolePolicy",
        ),
        "ssm.amazonaws.com": ("AWSServiceRoleForAmazonSSM", "AmazonSSMServiceRolePolicy"),
        "sso.amazonaws.com": ("AWSServiceRoleForSSO", "AWSSSOServiceRolePolicy"),
        "vpcorigin.cloudfront.amazonaws.com": (
            "AWSServiceRoleForCloudFrontVPCOrigin",
            "AWSCloudFrontVPCOriginServiceRolePolicy",
        ),
        "waf.amazonaws.com": ("AWSServiceRoleForWAFLogging", "WAFLoggingServiceRolePolicy"),
        "wafv2.amazonaws.com": ("AWSServiceRoleForWAFV2Logging", "WAFV2LoggingServiceRolePolicy"),
    }.items()
}

POLICY_PREFIX = "arn:aws:iam::aws:policy/aws-service-role/"


def is_service_linked(role: Role) -> bool:
    return role.path.startswith(SERVICE_ROLE_PATH)


def refuse_protected(role: Role) -> None:
    """UnmodifiableEntity for a change AWS lets only the service make. AWS's text, as
    its API answers DeleteRole, DetachRolePolicy, PutRolePolicy … on a protected role
    (quoted in aws-nuke #441 and #1028, cloud-nuke #880: "UnmodifiableEntity: Cannot
    perform the operation on the protected role 'AWSServiceRoleForSupport' - this role
    is only modifiable by AWS")."""
    if is_service_linked(role):
        raise UnmodifiableEntity(
            f"Cannot perform the operation on the protected role '{role.name}' - "
            "this role is only modifiable by AWS"
        )


def linked_service(role: Role) -> str | None:
    """The service principal a service-linked role belongs to (its path's second
    segment), or None for any other role."""
    if not is_service_linked(role):
        return None
    return role.path[len(SERVICE_ROLE_PATH) :].split("/", 1)[0] or None


def trust_policy(service: str) -> str:
    """The trust policy AWS writes: the service principal may assume the role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
        indent=4,
    )


@operation("CreateServiceLinkedRole")
def create_service_linked_role(
    *,
    actor: Principal,
    service: str,
    description: str | None = None,
    custom_suffix: str | None = None,
) -> Role:
    """CreateServiceLinkedRole for a service this installation knows (SERVICES)."""
    known = SERVICES.get(service)
    if known is None:
        # AWS refuses a service principal that has no service-linked role with
        # InvalidInput; its exact sentence is not established (no recording found).
        raise InvalidInput(f"Invalid service name: {service}. No service-linked role is defined.")
    if custom_suffix and not known.custom_suffix:
        raise InvalidInput(f"Custom suffix is not allowed for {service}")
    name = f"{known.role_name}_{custom_suffix}" if custom_suffix else known.role_name
    check_name(name, member="roleName", max_length=64)
    path = f"{SERVICE_ROLE_PATH}{service}/"
    arn = iam_arn(actor.account_id, "role", path, name)
    authorize(actor, "iam:CreateServiceLinkedRole", arn, context={"iam:AWSServiceName": service})
    taken = InvalidInput(
        f"Service role name {name} has been taken in this account, please try a different suffix."
    )
    check_new_entity(
        actor, Role, name, exists=taken, quota=ROLES_PER_ACCOUNT, quota_name="RolesPerAccount"
    )
    role = Role(
        account_id=actor.account_id,
        name=name,
        path=path,
        arn=arn,
        unique_id=unique_id("AROA"),
        trust_policy=trust_policy(service),
        description=description or "",
    )
    save_unique(role, taken)
    # The service's AWS-managed policy, when the shipped catalog has it (migrate loads
    # the catalog into ManagedPolicy rows).
    policy = ManagedPolicy.objects.filter(
        account__isnull=True, arn=POLICY_PREFIX + known.policy
    ).first()
    if policy is not None:
        PolicyAttachment.objects.create(policy=policy, role=role, account_id=role.account_id)
    invalidate(actor.account_id)
    record_event(
        actor, "CreateServiceLinkedRole", arn, request={"AWSServiceName": service, "RoleName": name}
    )
    return role


@operation("DeleteServiceLinkedRole")
def delete_service_linked_role(*, actor: Principal, name: str) -> str:
    """DeleteServiceLinkedRole: the role and its policies go at once (no AWS service
    uses it here), and the task is recorded as SUCCEEDED. Returns the DeletionTaskId,
    ``task/aws-service-role/<service>/<name>/<uuid>`` as AWS answers it."""
    role = find_role(actor.account_id, name, actor=actor, action="iam:DeleteServiceLinkedRole")
    authorize(actor, "iam:DeleteServiceLinkedRole", role.arn)
    if not is_service_linked(role):
        # AWS refuses a role that is not service-linked; its exact code and sentence are
        # not established (no recording found).
        raise InvalidInput(f"Role {role.name} is not a service-linked role.")
    if role.instance_profiles.exists():
        # DeleteRole's DeleteConflict (a service-linked role in a profile is unusual).
        raise DeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
    task_id = f"task{role.path}{role.name}/{uuid.uuid4()}"
    PolicyAttachment.objects.filter(role=role).delete()
    InlinePolicy.objects.filter(role=role).delete()
    role.delete()
    ServiceLinkedRoleDeletion.objects.create(
        account_id=actor.account_id, task_id=task_id, role_name=role.name
    )
    invalidate(actor.account_id)
    record_event(actor, "DeleteServiceLinkedRole", role.arn, request={"RoleName": name})
    return task_id


@operation("GetServiceLinkedRoleDeletionStatus", read_only=True)
def get_service_linked_role_deletion_status(*, actor: Principal, task_id: str) -> str:
    """The task's status (SUCCEEDED: deletions complete within their request here),
    authorized on the role the task id names (``task/<path><name>/<uuid>``)."""
    if not isinstance(task_id, str) or not task_id.startswith(f"task{SERVICE_ROLE_PATH}"):
        # The code is one the model lists for this action; the sentence is not
        # established (no recording found).
        raise InvalidInput(f"Invalid deletion task id: {task_id}")
    role_part = task_id[len("task") :].rpartition("/")[0]  # /aws-service-role/<svc>/<name>
    path, _, role_name = role_part.rpartition("/")
    arn = iam_arn(actor.account_id, "role", path + "/", role_name)
    authorize(actor, "iam:GetServiceLinkedRoleDeletionStatus", arn)
    task = ServiceLinkedRoleDeletion.objects.filter(
        account_id=actor.account_id, task_id=task_id
    ).first()
    if task is None:
        # Sentence not established (no recording found).
        raise NoSuchEntity(f"Deletion task {task_id} cannot be found.")
    return task.status
