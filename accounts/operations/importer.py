"""Load an account from a GetAccountAuthorizationDetails (GAAD) document, export it in
that shape, and clear it: how training labs set a seat to its start state.

The document is what ``aws iam get-account-authorization-details --output json``
prints (botocore's ``GetAccountAuthorizationDetailsResponse``): ``UserDetailList``,
``GroupDetailList``, ``RoleDetailList`` and ``Policies``, each optional. Other top-level
keys (``IsTruncated``, ``Marker``, ``ResponseMetadata``) are ignored. Ids, ARNs and
dates may be left out: the import is the creation, so ids and dates are always new
and ARNs are built in the importing account (a given ``Arn`` must agree with the
item's name and path; its account is ignored). Policy documents may be JSON objects,
JSON text, or URL-encoded JSON text (as AWS's raw API returns them).

Not AWS actions: AWS has no import, clear or export of an account. The event names
``ImportAccountAuthorizationDetails`` and ``ClearAccountState`` are this project's
own; the work is authorized as the IAM actions it stands for (``iam:CreateUser`` on
``arn:aws:iam::ACCOUNT:user/PATH*`` and so on, once per kind of work and path) and
checked with the same validators as those actions. Messages that no AWS action
would give (a group named in GroupList that the document does not have, two
default versions) are this project's wording.

Labs import a start state into many seats at once, so the import is a fixed
number of queries whatever the size of the document: one ``bulk_create`` per table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.errors import (
    EntityAlreadyExists,
    IamError,
    InvalidInput,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
    PolicyNotAttachable,
    ValidationError,
)
from accounts.ids import access_key_id, secret_access_key, unique_id
from accounts.ids import account_id as random_account_id
from accounts.models import (
    AccessAdvisorJob,
    AccessKey,
    Account,
    ConsoleUser,
    CredentialReport,
    Group,
    GroupMembership,
    IamUser,
    InstanceProfile,
    MfaDevice,
    OpenIdConnectProvider,
    PasswordPolicy,
    Role,
    SamlProvider,
    ServerCertificate,
    ServiceLinkedRoleDeletion,
    ServiceSpecificCredential,
    SigningCertificate,
    SshPublicKey,
    TemporaryCredential,
)
from accounts.operations.account import NewAccount, sign_up
from accounts.operations.authdetails import get_account_authorization_details
from accounts.operations.common import (
    CUSTOMER_POLICIES_PER_ACCOUNT,
    GROUPS_PER_ACCOUNT,
    GROUPS_PER_USER,
    INLINE_LIMITS,
    MANAGED_POLICIES_PER_ENTITY,
    MANAGED_POLICY_LIMIT,
    ROLES_PER_ACCOUNT,
    TRUST_POLICY_LIMIT,
    USERS_PER_ACCOUNT,
    VERSIONS_PER_POLICY,
    iam_arn,
    replace_principal,
)
from accounts.operations.credentials import ROOT_MFA_DEVICE_NAME
from accounts.operations.instance_profiles import INSTANCE_PROFILES_PER_ACCOUNT
from accounts.operations.roles import MAX_SESSION, MIN_SESSION
from accounts.principal import Principal, root_principal
from accounts.validation import (
    DUPLICATE_POLICY_TAGS,
    DUPLICATE_TAGS,
    check_name,
    check_path,
    check_tags,
)
from audit.trail import record_event
from iamconsole.ops import operation
from policies.authorization import authorize
from policies.aws_managed import load_catalog
from policies.cache import invalidate
from policies.documents import Kind, check_policy_document, policy_size
from policies.models import InlinePolicy, ManagedPolicy, PolicyAttachment, PolicyVersion

__all__ = [
    "ImportResult",
    "check_authorization_details",
    "clear_account_state",
    "create_account_for_import",
    "export_authorization_details",
    "import_authorization_details",
]

LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


# -- the document, read and checked (no database) ----------------------------------------


@dataclass
class _Problem:
    path: str  # JSON path in the document: UserDetailList[2].GroupList[0]
    error: IamError  # the error the matching IAM action gives (its class and text)


@dataclass
class _Policy:
    where: str
    name: str
    path: str
    description: str
    tags: list[dict[str, str]]
    versions: list[tuple[str, str, bool]]  # (VersionId, document text, is default)
    default_version_id: str
    next_version: int
    row: ManagedPolicy | None = None


@dataclass
class _Ref:
    """A managed policy an entity attaches or uses as boundary."""

    arn: str  # as the document writes it (a customer policy's in any account)
    where: str
    customer: _Policy | None  # None: AWS-managed (a catalog ARN)

    def arn_in(self, account_id: str) -> str:
        """The ARN the policy has once imported into ``account_id``."""
        if self.customer is None:
            return self.arn
        return iam_arn(account_id, "policy", self.customer.path, self.customer.name)


@dataclass
class _Entity:
    kind: str  # user | group | role
    where: str
    name: str
    path: str
    inline: list[tuple[str, str]] = field(default_factory=list)  # (PolicyName, document)
    attached: list[_Ref] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    boundary: _Ref | None = None
    groups: list[_Entity] = field(default_factory=list)  # users: their groups
    trust: str = ""  # roles
    description: str = ""
    max_session_duration: int = MIN_SESSION
    row: Any = None


@dataclass
class _Profile:
    """An instance profile of a role's InstanceProfileList (GAAD lists a profile under
    the one role it holds)."""

    where: str
    name: str
    path: str
    tags: list[dict[str, str]]
    role: _Entity
    row: InstanceProfile | None = None


@dataclass
class _Plan:
    policies: list[_Policy] = field(default_factory=list)
    groups: list[_Entity] = field(default_factory=list)
    users: list[_Entity] = field(default_factory=list)
    roles: list[_Entity] = field(default_factory=list)
    profiles: list[_Profile] = field(default_factory=list)
    aws_managed_skipped: int = 0
    password_policy: dict[str, Any] | None = None
    access_keys: list[_Entity] = field(default_factory=list)

    def refs(self) -> Iterator[_Ref]:
        for entity in (*self.groups, *self.users, *self.roles):
            yield from entity.attached
            if entity.boundary is not None:
                yield entity.boundary


@dataclass(frozen=True)
class _Kind:
    label: str  # User
    list_key: str  # UserDetailList
    name_key: str  # UserName
    member: str  # userName (botocore's member name, as validation errors quote it)
    max_name: int
    inline_key: str  # UserPolicyList
    quota: int
    quota_name: str

    def exists(self, name: str) -> EntityAlreadyExists:
        # CreateUser / CreateGroup / CreateRole's own text.
        return EntityAlreadyExists(f"{self.label} with name {name} already exists.")


_KINDS = {
    "user": _Kind(
        "User",
        "UserDetailList",
        "UserName",
        "userName",
        64,
        "UserPolicyList",
        USERS_PER_ACCOUNT,
        "UsersPerAccount",
    ),
    "group": _Kind(
        "Group",
        "GroupDetailList",
        "GroupName",
        "groupName",
        128,
        "GroupPolicyList",
        GROUPS_PER_ACCOUNT,
        "GroupsPerAccount",
    ),
    "role": _Kind(
        "Role",
        "RoleDetailList",
        "RoleName",
        "roleName",
        64,
        "RolePolicyList",
        ROLES_PER_ACCOUNT,
        "RolesPerAccount",
    ),
}


def _policy_exists(name: str) -> EntityAlreadyExists:
    return EntityAlreadyExists(
        f"A policy called {name} already exists. Duplicate names are not allowed."
    )


# botocore's iam model: policyVersionIdType.
_VERSION_ID = re.compile(r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?")

# GetAccountPasswordPolicy's PasswordPolicy members -> PasswordPolicy fields, with
# UpdateAccountPasswordPolicy's ranges. ExpirePasswords is derived (MaxPasswordAge set).
_PASSWORD_INTS = {
    "MinimumPasswordLength": ("minimum_password_length", "minimumPasswordLength", 6, 128),
    "MaxPasswordAge": ("max_password_age", "maxPasswordAge", 1, 1095),
    "PasswordReusePrevention": ("password_reuse_prevention", "passwordReusePrevention", 1, 24),
}
_PASSWORD_BOOLS = {
    "RequireSymbols": "require_symbols",
    "RequireNumbers": "require_numbers",
    "RequireUppercaseCharacters": "require_uppercase_characters",
    "RequireLowercaseCharacters": "require_lowercase_characters",
    "AllowUsersToChangePassword": "allow_users_to_change_password",
    "HardExpiry": "hard_expiry",
}


class _Reader:
    """Walks the document once, collecting every problem instead of stopping at one."""

    def __init__(self) -> None:
        self.problems: list[_Problem] = []
        self.catalog = load_catalog()
        self.found_profiles: list[_Profile] = []

    def fail(self, path: str, error: IamError) -> None:
        self.problems.append(_Problem(path, error))

    def check(self, path: str, fn: Callable[[], Any], prefix: str = "") -> Any:
        """``fn()``, or None with the IamError it raised recorded at ``path``."""
        try:
            return fn()
        except IamError as exc:
            self.fail(path, type(exc)(f"{prefix}{exc.message}") if prefix else exc)
            return None

    # -- plain values

    def items(self, parent: dict[str, Any], key: str, where: str) -> list[tuple[str, Any]]:
        """``parent[key]`` as a list of (path, item); missing or null is empty."""
        value = parent.get(key)
        path = f"{where}.{key}" if where else key
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(path, ValidationError(f"{key} must be a list."))
            return []
        return [(f"{path}[{i}]", item) for i, item in enumerate(value)]

    def mapping(self, path: str, value: Any) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self.fail(path, ValidationError("Each entry must be a JSON object."))
        return None

    def text(self, item: dict[str, Any], key: str, where: str, *, required: bool = False) -> Any:
        value = item.get(key)
        if value is None:
            if required:
                self.fail(f"{where}.{key}", ValidationError(f"{key} is required."))
            return None
        if not isinstance(value, str):
            self.fail(f"{where}.{key}", ValidationError(f"{key} must be a string."))
            return None
        return value

    def document(
        self, path: str, value: Any, *, kind: Kind, limit: int | None, label: str
    ) -> str | None:
        """The document text IAM would store: objects are serialized, URL-encoded text
        decoded (check_policy_document, as CreatePolicy and Put*Policy check it)."""
        if isinstance(value, dict):
            value = json.dumps(value, indent=4, ensure_ascii=False)
        elif not isinstance(value, str):
            self.fail(path, MalformedPolicyDocument(f"{label}: Syntax errors in policy."))
            return None
        return self.check(
            path, lambda: check_policy_document(value, kind=kind, limit=limit), f"{label}: "
        )

    def arn_agrees(self, item: dict[str, Any], where: str, resource: str, label: str) -> None:
        """A given ``Arn`` must name this item (kind, path, name); partition and account
        are not compared: the importing account replaces them."""
        arn = self.text(item, "Arn", where)
        if arn is None:
            return
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or parts[5] != resource:
            self.fail(
                f"{where}.Arn",
                ValidationError(f"{label}: Arn {arn} does not agree with {resource}."),
            )

    def tags(self, item: dict[str, Any], where: str, label: str, duplicate: str) -> list[Any]:
        value = item.get("Tags")
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
            self.fail(f"{where}.Tags", ValidationError(f"{label}: Tags must be a list of objects."))
            return []
        return (
            self.check(
                f"{where}.Tags",
                lambda: check_tags(value, duplicate_message=duplicate),
                f"{label}: ",
            )
            or []
        )

    # -- managed policies

    def policies(self, details: dict[str, Any], plan: _Plan) -> dict[tuple[str, str], _Policy]:
        by_arn: dict[tuple[str, str], _Policy] = {}
        names: dict[str, str] = {}
        for where, raw in self.items(details, "Policies", ""):
            item = self.mapping(where, raw)
            if item is None:
                continue
            arn = item.get("Arn")
            if isinstance(arn, str) and arn.split(":")[4:5] == ["aws"]:
                # AWS-managed (real exports list the ones in use): the catalog has them.
                plan.aws_managed_skipped += 1
                continue
            policy = self.policy(item, where)
            if policy is None:
                continue
            first = names.setdefault(policy.name.lower(), where)
            if first != where:
                self.fail(f"{where}.PolicyName", _policy_exists(policy.name))
                continue
            by_arn[(policy.path, policy.name)] = policy
            plan.policies.append(policy)
        if len(plan.policies) > CUSTOMER_POLICIES_PER_ACCOUNT:
            self.fail("Policies", _quota("PoliciesPerAccount", CUSTOMER_POLICIES_PER_ACCOUNT))
        return by_arn

    def policy(self, item: dict[str, Any], where: str) -> _Policy | None:
        name = self.text(item, "PolicyName", where, required=True)
        if name is None:
            return None
        label = f"Policy {name}"
        self.check(
            f"{where}.PolicyName",
            lambda: check_name(name, member="policyName", max_length=128),
            f"{label}: ",
        )
        path = self.check(
            f"{where}.Path", lambda: check_path(self.text(item, "Path", where)), f"{label}: "
        )
        path = path or "/"
        self.arn_agrees(item, where, f"policy{path}{name}", label)
        description = self.text(item, "Description", where) or ""
        if len(description) > 1000:
            # CreatePolicy's text.
            self.fail(
                f"{where}.Description",
                ValidationError(
                    f"{label}: 1 validation error detected: Value at 'description' failed to "
                    "satisfy constraint: Member must have length less than or equal to 1000"
                ),
            )
        tags = self.tags(item, where, label, DUPLICATE_POLICY_TAGS)
        versions: list[tuple[str, str, bool]] = []
        flags: list[bool | None] = []
        listed = self.items(item, "PolicyVersionList", where)
        if not listed:
            self.fail(
                f"{where}.PolicyVersionList",
                ValidationError(f"{label}: PolicyVersionList must list at least one version."),
            )
        if len(listed) > VERSIONS_PER_POLICY:
            # CreatePolicyVersion's text.
            self.fail(
                f"{where}.PolicyVersionList",
                LimitExceeded(
                    f"{label}: A managed policy can have up to {VERSIONS_PER_POLICY} versions."
                ),
            )
        seen: set[str] = set()
        for i, (vwhere, raw) in enumerate(listed):
            version = self.mapping(vwhere, raw)
            if version is None:
                continue
            version_id = self.text(version, "VersionId", vwhere) or f"v{i + 1}"
            if not _VERSION_ID.fullmatch(version_id):
                self.fail(
                    f"{vwhere}.VersionId",
                    ValidationError(
                        f"{label}: 1 validation error detected: Value at 'versionId' failed to "
                        "satisfy constraint: Member must satisfy regular expression pattern: "
                        + _VERSION_ID.pattern
                    ),
                )
            if version_id in seen:
                self.fail(
                    f"{vwhere}.VersionId",
                    ValidationError(f"{label}: version {version_id} is listed twice."),
                )
            seen.add(version_id)
            flag = version.get("IsDefaultVersion")
            if flag is not None and not isinstance(flag, bool):
                self.fail(
                    f"{vwhere}.IsDefaultVersion",
                    ValidationError(f"{label}: IsDefaultVersion must be true or false."),
                )
                flag = None
            document = self.document(
                f"{vwhere}.Document",
                version.get("Document"),
                kind="identity",
                limit=MANAGED_POLICY_LIMIT,
                label=label,
            )
            flags.append(flag)
            versions.append((version_id, document or "", False))
        default = self.default_version(item, where, label, versions, flags) or ""
        # Returned even when refused, so references to it are not reported missing too.
        numbers = [int(v[0][1:].split(".", 1)[0]) for v in versions if _VERSION_ID.fullmatch(v[0])]
        return _Policy(
            where=where,
            name=name,
            path=path,
            description=description,
            tags=tags,
            versions=[(vid, doc, vid == default) for vid, doc, _ in versions],
            default_version_id=default,
            next_version=max(numbers, default=0) + 1,
        )

    def default_version(
        self,
        item: dict[str, Any],
        where: str,
        label: str,
        versions: list[tuple[str, str, bool]],
        flags: list[bool | None],
    ) -> str | None:
        """Exactly one default version: the one flagged IsDefaultVersion, which
        DefaultVersionId (when given) must name; without flags, DefaultVersionId or the
        only version."""
        ids = [v[0] for v in versions]
        named = self.text(item, "DefaultVersionId", where)
        if any(f is not None for f in flags):
            flagged = [vid for vid, f in zip(ids, flags, strict=True) if f]
            if len(flagged) != 1:
                self.fail(
                    f"{where}.PolicyVersionList",
                    ValidationError(
                        f"{label}: exactly one version must be the default "
                        f"({len(flagged)} have IsDefaultVersion true)."
                    ),
                )
                return None
            if named is not None and named != flagged[0]:
                self.fail(
                    f"{where}.DefaultVersionId",
                    ValidationError(
                        f"{label}: DefaultVersionId {named} is not the version marked default "
                        f"({flagged[0]})."
                    ),
                )
                return None
            return flagged[0]
        if named is not None:
            if named not in ids:
                self.fail(
                    f"{where}.DefaultVersionId",
                    ValidationError(f"{label}: DefaultVersionId {named} is not listed."),
                )
                return None
            return named
        if len(ids) == 1:
            return ids[0]
        if ids:
            self.fail(
                f"{where}.DefaultVersionId",
                ValidationError(f"{label}: which version is the default is not said."),
            )
        return None

    # -- references to managed policies

    def ref(
        self,
        arn: Any,
        where: str,
        label: str,
        customer: dict[tuple[str, str], _Policy],
        *,
        boundary: bool = False,
        name: Any = None,
    ) -> _Ref | None:
        if not isinstance(arn, str) or not arn.startswith("arn:") or arn.count(":") < 5:
            # find_policy's texts: not an ARN at all is a ValidationError ...
            self.fail(where, ValidationError(f"{label}: ARN {arn} is not valid."))
            return None
        parts = arn.split(":", 5)
        if parts[2] != "iam" or not parts[5].startswith("policy/"):
            # ... and an ARN that is not a policy's an InvalidInput.
            self.fail(where, InvalidInput(f"{label}: ARN {arn} is not valid."))
            return None
        resource = parts[5][len("policy") :]
        path, _, policy_name = resource.rpartition("/")
        if name is not None and name != policy_name:
            self.fail(
                where,
                ValidationError(f"{label}: PolicyName {name} does not agree with ARN {arn}."),
            )
            return None
        missing = (
            f"Scope ARN: {arn} does not exist or is not attachable."
            if boundary
            else f"Policy {arn} does not exist or is not attachable."
        )
        if parts[4] == "aws":
            known = self.catalog.get_by_arn(arn)
            if known is None:
                self.fail(
                    where,
                    NoSuchEntity(f"{label}: {missing} (not in this installation's AWS catalog)"),
                )
                return None
            if not known.is_attachable:
                self.fail(where, PolicyNotAttachable(f"{label}: Policy {arn} is not attachable."))
                return None
            return _Ref(arn=arn, where=where, customer=None)
        policy = customer.get((path + "/", policy_name))
        if policy is None:
            self.fail(where, NoSuchEntity(f"{label}: {missing} (not in Policies)"))
            return None
        return _Ref(arn=arn, where=where, customer=policy)

    # -- users, groups, roles

    def entities(
        self,
        details: dict[str, Any],
        kind: str,
        customer: dict[tuple[str, str], _Policy],
        groups: dict[str, _Entity],
    ) -> list[_Entity]:
        spec = _KINDS[kind]
        out: list[_Entity] = []
        names: dict[str, str] = {}
        for where, raw in self.items(details, spec.list_key, ""):
            item = self.mapping(where, raw)
            if item is None:
                continue
            entity = self.entity(kind, item, where, customer, groups)
            if entity is None:
                continue
            first = names.setdefault(entity.name.lower(), where)
            if first != where:  # names are unique case-insensitively, as in IAM
                self.fail(f"{where}.{spec.name_key}", spec.exists(entity.name))
                continue
            out.append(entity)
        if len(out) > spec.quota:
            self.fail(spec.list_key, _quota(spec.quota_name, spec.quota))
        return out

    def entity(
        self,
        kind: str,
        item: dict[str, Any],
        where: str,
        customer: dict[tuple[str, str], _Policy],
        groups: dict[str, _Entity],
    ) -> _Entity | None:
        spec = _KINDS[kind]
        name = self.text(item, spec.name_key, where, required=True)
        if name is None:
            return None
        label = f"{spec.label} {name}"
        self.check(
            f"{where}.{spec.name_key}",
            lambda: check_name(name, member=spec.member, max_length=spec.max_name),
            f"{label}: ",
        )
        path = self.check(
            f"{where}.Path", lambda: check_path(self.text(item, "Path", where)), f"{label}: "
        )
        path = path or "/"
        self.arn_agrees(item, where, f"{kind}{path}{name}", label)
        entity = _Entity(kind=kind, where=where, name=name, path=path)

        total = 0
        inline_names: set[str] = set()
        for pwhere, raw in self.items(item, spec.inline_key, where):
            inline = self.mapping(pwhere, raw)
            if inline is None:
                continue
            policy_name = self.text(inline, "PolicyName", pwhere, required=True)
            if policy_name is None:
                continue
            self.check(
                f"{pwhere}.PolicyName",
                lambda n=policy_name: check_name(n, member="policyName", max_length=128),
                f"{label}: ",
            )
            if policy_name in inline_names:
                self.fail(
                    f"{pwhere}.PolicyName",
                    ValidationError(f"{label}: two inline policies are named {policy_name}."),
                )
            inline_names.add(policy_name)
            document = self.document(
                f"{pwhere}.PolicyDocument",
                inline.get("PolicyDocument"),
                kind="identity",
                limit=None,
                label=label,
            )
            if document is not None:
                total += policy_size(document)
                entity.inline.append((policy_name, document))
        if total > INLINE_LIMITS[kind]:
            # Put*Policy's text for the aggregate inline size of one identity.
            self.fail(
                f"{where}.{spec.inline_key}",
                LimitExceeded(
                    f"{label}: Maximum policy size of {INLINE_LIMITS[kind]} bytes exceeded for "
                    f"{kind} {name}"
                ),
            )

        attached: dict[str, _Ref] = {}
        for awhere, raw in self.items(item, "AttachedManagedPolicies", where):
            attachment = self.mapping(awhere, raw)
            if attachment is None:
                continue
            ref = self.ref(
                attachment.get("PolicyArn"),
                f"{awhere}.PolicyArn",
                label,
                customer,
                name=attachment.get("PolicyName"),
            )
            if ref is not None:  # attaching twice changes nothing, as in IAM
                attached.setdefault(ref.arn_in(""), ref)
        entity.attached = list(attached.values())
        if len(entity.attached) > MANAGED_POLICIES_PER_ENTITY:
            self.fail(
                f"{where}.AttachedManagedPolicies",
                _quota(f"PoliciesPer{spec.label}", MANAGED_POLICIES_PER_ENTITY, prefix=label),
            )

        if kind in ("user", "role"):
            entity.tags = self.tags(item, where, label, DUPLICATE_TAGS)
            boundary = item.get("PermissionsBoundary")
            if boundary is not None:
                entity.boundary = self.boundary(
                    boundary, f"{where}.PermissionsBoundary", label, customer
                )
        if kind == "user":
            members: dict[str, _Entity] = {}
            for gwhere, group_name in self.items(item, "GroupList", where):
                group = groups.get(group_name.lower()) if isinstance(group_name, str) else None
                if group is None:
                    # AddUserToGroup's NoSuchEntity text, for a group the document lacks.
                    self.fail(
                        gwhere,
                        NoSuchEntity(
                            f"{label}: The group with name {group_name} cannot be found "
                            "in GroupDetailList."
                        ),
                    )
                    continue
                members.setdefault(group.name.lower(), group)  # adding twice changes nothing
            entity.groups = list(members.values())
            if len(entity.groups) > GROUPS_PER_USER:
                self.fail(
                    f"{where}.GroupList", _quota("GroupsPerUser", GROUPS_PER_USER, prefix=label)
                )
        if kind == "role":
            self.role(item, where, label, entity)
            self.profiles(item, where, label, entity)
        # Returned even when refused, so the users of a refused group do not report it
        # missing too (nothing is written once there is a problem).
        return entity

    def profiles(self, item: dict[str, Any], where: str, label: str, role: _Entity) -> None:
        """The role's InstanceProfileList: each profile with name, path and tags (as
        CreateInstanceProfile checks them); its ``Roles``, when given, may name only
        this role (a profile holds one role)."""
        found: list[_Profile] = []
        for pwhere, raw in self.items(item, "InstanceProfileList", where):
            profile = self.mapping(pwhere, raw)
            if profile is None:
                continue
            name = self.text(profile, "InstanceProfileName", pwhere, required=True)
            if name is None:
                continue
            plabel = f"{label}: Instance Profile {name}"
            self.check(
                f"{pwhere}.InstanceProfileName",
                lambda n=name: check_name(n, member="instanceProfileName", max_length=128),
                f"{plabel}: ",
            )
            path = self.check(
                f"{pwhere}.Path",
                lambda p=profile, w=pwhere: check_path(self.text(p, "Path", w)),
                f"{plabel}: ",
            )
            path = path or "/"
            self.arn_agrees(profile, pwhere, f"instance-profile{path}{name}", plabel)
            for rwhere, listed in self.items(profile, "Roles", pwhere):
                listed_name = listed.get("RoleName") if isinstance(listed, dict) else None
                if not isinstance(listed_name, str) or listed_name.lower() != role.name.lower():
                    # AddRoleToInstanceProfile's LimitExceeded: one role per profile.
                    self.fail(
                        rwhere,
                        LimitExceeded(
                            f"{plabel}: Cannot exceed quota for "
                            "InstanceSessionsPerInstanceProfile: 1"
                        ),
                    )
            tags = self.tags(profile, pwhere, plabel, DUPLICATE_TAGS)
            found.append(_Profile(where=pwhere, name=name, path=path, tags=tags, role=role))
        self.found_profiles.extend(found)

    def boundary(
        self, value: Any, where: str, label: str, customer: dict[tuple[str, str], _Policy]
    ) -> _Ref | None:
        boundary = self.mapping(where, value)
        if boundary is None:
            return None
        kind = boundary.get("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
        if kind != "PermissionsBoundaryPolicy":
            self.fail(
                f"{where}.PermissionsBoundaryType",
                ValidationError(
                    f"{label}: PermissionsBoundaryType must be PermissionsBoundaryPolicy."
                ),
            )
            return None
        return self.ref(
            boundary.get("PermissionsBoundaryArn"),
            f"{where}.PermissionsBoundaryArn",
            label,
            customer,
            boundary=True,
        )

    def role(self, item: dict[str, Any], where: str, label: str, entity: _Entity) -> None:
        if item.get("AssumeRolePolicyDocument") is None:
            self.fail(
                f"{where}.AssumeRolePolicyDocument",
                ValidationError(f"{label}: AssumeRolePolicyDocument is required."),
            )
        else:
            entity.trust = (
                self.document(
                    f"{where}.AssumeRolePolicyDocument",
                    item["AssumeRolePolicyDocument"],
                    kind="trust",
                    limit=TRUST_POLICY_LIMIT,
                    label=label,
                )
                or ""
            )
        # Description and MaxSessionDuration are GetRole's members, not GAAD's RoleDetail's:
        # read when a document carries them (an export never does).
        description = self.text(item, "Description", where) or ""
        if len(description) > 1000:
            self.fail(
                f"{where}.Description",
                ValidationError(  # CreateRole's text
                    f"{label}: 1 validation error detected: Value at 'description' failed to "
                    "satisfy constraint: Member must have length less than or equal to 1000"
                ),
            )
        entity.description = description
        duration = item.get("MaxSessionDuration")
        if duration is not None:
            if (
                isinstance(duration, bool)
                or not isinstance(duration, int)
                or not MIN_SESSION <= duration <= MAX_SESSION
            ):
                self.fail(
                    f"{where}.MaxSessionDuration",
                    ValidationError(  # CreateRole's text
                        f"{label}: 1 validation error detected: Value at 'maxSessionDuration' "
                        "failed to satisfy constraint: Member must have value between "
                        f"{MIN_SESSION} and {MAX_SESSION}"
                    ),
                )
            else:
                entity.max_session_duration = duration

    # -- what comes beside the document

    def password_policy(self, value: Any) -> dict[str, Any] | None:
        where = "password_policy"
        if not isinstance(value, dict):
            self.fail(where, ValidationError("The password policy must be a JSON object."))
            return None
        out: dict[str, Any] = {"minimum_password_length": 6}  # UpdateAccountPasswordPolicy's
        for key, raw in value.items():
            path = f"{where}.{key}"
            if key in _PASSWORD_INTS:
                column, member, low, high = _PASSWORD_INTS[key]
                if raw is None:
                    continue
                if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
                    # UpdateAccountPasswordPolicy's text (accounts.operations.account).
                    self.fail(
                        path,
                        ValidationError(
                            f"1 validation error detected: Value at '{member}' failed to "
                            f"satisfy constraint: Member must have value between {low} and {high}"
                        ),
                    )
                    continue
                out[column] = raw
            elif key in _PASSWORD_BOOLS:
                if not isinstance(raw, bool):
                    self.fail(path, ValidationError(f"{key} must be true or false."))
                    continue
                out[_PASSWORD_BOOLS[key]] = raw
            elif key != "ExpirePasswords":  # derived from MaxPasswordAge: read past
                self.fail(path, ValidationError(f"{key} is not a password policy setting."))
        return out

    def access_keys(self, names: Sequence[str], users: list[_Entity]) -> list[_Entity]:
        by_name = {u.name.lower(): u for u in users}
        out: list[_Entity] = []
        seen: set[str] = set()
        for i, name in enumerate(names):
            where = f"access_keys[{i}]"
            user = by_name.get(name.lower()) if isinstance(name, str) else None
            if user is None:
                self.fail(where, NoSuchEntity(f"The user with name {name} cannot be found."))
                continue
            if user.name.lower() in seen:
                self.fail(where, ValidationError(f"User {name} is listed twice for an access key."))
                continue
            seen.add(user.name.lower())
            out.append(user)
        return out


def _quota(name: str, limit: int, *, prefix: str = "") -> LimitExceeded:
    return LimitExceeded(
        f"{prefix + ': ' if prefix else ''}Cannot exceed quota for {name}: {limit}."
    )


def _read(
    details: Any, *, password_policy: Any = None, access_keys: Sequence[str] = ()
) -> tuple[_Plan, list[_Problem]]:
    reader = _Reader()
    plan = _Plan()
    if not isinstance(details, dict):
        reader.fail("", ValidationError("The document must be a JSON object."))
        return plan, reader.problems
    customer = reader.policies(details, plan)
    plan.groups = reader.entities(details, "group", customer, {})
    groups = {g.name.lower(): g for g in plan.groups}
    plan.users = reader.entities(details, "user", customer, groups)
    plan.roles = reader.entities(details, "role", customer, {})
    names: dict[str, str] = {}
    for profile in reader.found_profiles:
        if profile.role not in plan.roles:  # the role was refused (a duplicate)
            continue
        first = names.setdefault(profile.name.lower(), profile.where)
        if first != profile.where:  # CreateInstanceProfile's text
            reader.fail(
                f"{profile.where}.InstanceProfileName",
                EntityAlreadyExists(f"Instance Profile {profile.name} already exists."),
            )
            continue
        plan.profiles.append(profile)
    if len(plan.profiles) > INSTANCE_PROFILES_PER_ACCOUNT:
        reader.fail(
            "RoleDetailList",
            _quota("InstanceProfilesPerAccount", INSTANCE_PROFILES_PER_ACCOUNT),
        )
    if password_policy is not None:
        plan.password_policy = reader.password_policy(password_policy)
    if isinstance(access_keys, str):  # one name where a list was meant
        access_keys = [access_keys]
    plan.access_keys = reader.access_keys(access_keys, plan.users)
    return plan, reader.problems


def check_authorization_details(
    details: dict[str, Any],
    *,
    password_policy: dict[str, Any] | None = None,
    access_keys: Sequence[str] = (),
) -> list[tuple[str, str]]:
    """Every problem the import would refuse, as (JSON path, message); writes nothing
    and reads no database (the AWS-managed ARNs are looked up in the shipped catalog).

    What it cannot know without an account (a name the account already has, the
    account's quota left) only the import checks.
    """
    _, problems = _read(details, password_policy=password_policy, access_keys=access_keys)
    return [(p.path, p.error.message) for p in problems]


def _refusal(problems: list[_Problem]) -> IamError:
    """The first problem, as the IamError the matching IAM action would raise, naming
    its path (the message names the item); the count of the others."""
    first = problems[0]
    message = f"{first.path}: {first.error.message}" if first.path else first.error.message
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more problems)"
    return type(first.error)(message)


# -- import -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    account_id: str
    users: int
    groups: int
    roles: int
    policies: int
    policy_versions: int
    inline_policies: int
    attachments: int
    memberships: int
    aws_managed_skipped: int  # AWS-managed entries of Policies: the catalog has them
    password_policy: bool
    # Kept out of counts() (its keys are a fixed set callers compare); audited beside it.
    instance_profiles: int = 0
    # (user name, access key id, secret access key): the only time the secrets are shown.
    access_keys: tuple[tuple[str, str, str], ...] = field(default=(), repr=False)

    def counts(self) -> dict[str, int]:
        return {
            "users": self.users,
            "groups": self.groups,
            "roles": self.roles,
            "policies": self.policies,
            "policy_versions": self.policy_versions,
            "inline_policies": self.inline_policies,
            "attachments": self.attachments,
            "memberships": self.memberships,
            "aws_managed_skipped": self.aws_managed_skipped,
            "access_keys": len(self.access_keys),
        }


def _authorizations(plan: _Plan, account_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    """The IAM actions the import stands for, once per action, path and boundary:
    ``iam:CreateUser`` on ``arn:aws:iam::ACCOUNT:user/PATH*`` (with iam:PermissionsBoundary
    when the users carry one), ``iam:AttachUserPolicy``, ``iam:AddUserToGroup`` on the
    groups' path, and so on. Per-request keys of single calls (aws:RequestTag,
    iam:PolicyARN) are not supplied, so a policy that allows an action only under such
    a condition refuses the import: it fails closed."""
    wanted: dict[tuple[str, str, tuple[tuple[str, str], ...]], None] = {}

    def want(action: str, kind: str, path: str, boundary: _Ref | None = None) -> None:
        ctx = (("iam:PermissionsBoundary", boundary.arn_in(account_id)),) if boundary else ()
        wanted[(f"iam:{action}", iam_arn(account_id, kind, path, "*"), ctx)] = None

    for policy in plan.policies:
        want("CreatePolicy", "policy", policy.path)
        if len(policy.versions) > 1:
            want("CreatePolicyVersion", "policy", policy.path)
    for entity in (*plan.groups, *plan.users, *plan.roles):
        noun = _KINDS[entity.kind].label
        want(f"Create{noun}", entity.kind, entity.path, entity.boundary)
        if entity.tags:
            want(f"Tag{noun}", entity.kind, entity.path)
        if entity.inline:
            want(f"Put{noun}Policy", entity.kind, entity.path)
        if entity.attached:
            want(f"Attach{noun}Policy", entity.kind, entity.path)
        for group in entity.groups:
            want("AddUserToGroup", "group", group.path)
    for profile in plan.profiles:
        want("CreateInstanceProfile", "instance-profile", profile.path)
        want("AddRoleToInstanceProfile", "instance-profile", profile.path)
        if profile.tags:
            want("TagInstanceProfile", "instance-profile", profile.path)
    # AddRoleToInstanceProfile also needs iam:PassRole on each role it adds.
    for role in {id(p.role): p.role for p in plan.profiles}.values():
        want("PassRole", "role", role.path)
    for user in plan.access_keys:
        want("CreateAccessKey", "user", user.path)
    out: list[tuple[str, str, dict[str, Any] | None]] = [
        (action, resource, dict(ctx) or None) for action, resource, ctx in wanted
    ]
    if plan.password_policy is not None:
        out.append(("iam:UpdateAccountPasswordPolicy", "*", None))
    return out


def _refuse_taken(plan: _Plan, account_id: str) -> None:
    """EntityAlreadyExists for a name the account already has (case-insensitively, as
    Create* refuses it), LimitExceeded past the account's quotas. One query per table."""
    tables: list[tuple[Any, str, list[Any], Callable[[str], IamError], str, int, str]] = [
        (
            ManagedPolicy,
            "Policies",
            plan.policies,
            _policy_exists,
            "PolicyName",
            CUSTOMER_POLICIES_PER_ACCOUNT,
            "PoliciesPerAccount",
        )
    ]
    for model, kind, entities in (
        (Group, "group", plan.groups),
        (IamUser, "user", plan.users),
        (Role, "role", plan.roles),
    ):
        spec = _KINDS[kind]
        tables.append(
            (
                model,
                spec.list_key,
                entities,
                spec.exists,
                spec.name_key,
                spec.quota,
                spec.quota_name,
            )
        )
    tables.append(
        (
            InstanceProfile,
            "RoleDetailList",
            plan.profiles,
            lambda name: EntityAlreadyExists(f"Instance Profile {name} already exists."),
            "InstanceProfileName",
            INSTANCE_PROFILES_PER_ACCOUNT,
            "InstanceProfilesPerAccount",
        )
    )
    for model, list_key, entities, exists, name_key, quota, quota_name in tables:
        if not entities:
            continue
        taken = set(
            model.objects.filter(account_id=account_id)
            .annotate(lname=Lower("name"))
            .values_list("lname", flat=True)
        )
        for entity in entities:
            if entity.name.lower() in taken:
                error = exists(entity.name)
                raise type(error)(f"{entity.where}.{name_key}: {error.message}")
        if len(taken) + len(entities) > quota:
            raise LimitExceeded(f"{list_key}: {_quota(quota_name, quota).message}")


def _aws_managed_rows(plan: _Plan) -> dict[str, ManagedPolicy]:
    refs = [r for r in plan.refs() if r.customer is None]
    if not refs:
        return {}
    rows = {
        p.arn: p
        for p in ManagedPolicy.objects.filter(account__isnull=True, arn__in={r.arn for r in refs})
    }
    for ref in refs:
        if ref.arn not in rows:  # in the shipped catalog but not loaded (migrate loads it)
            raise NoSuchEntity(
                f"{ref.where}: Policy {ref.arn} does not exist or is not attachable."
            )
    return rows


def _row(ref: _Ref, aws: dict[str, ManagedPolicy]) -> ManagedPolicy:
    if ref.customer is not None:
        assert ref.customer.row is not None
        return ref.customer.row
    return aws[ref.arn]


@operation("ImportAccountAuthorizationDetails")  # this project's event: not an AWS action
def import_authorization_details(
    *,
    actor: Principal,
    details: dict[str, Any],
    password_policy: dict[str, Any] | None = None,
    access_keys: Sequence[str] = (),
) -> ImportResult:
    """Create what ``details`` describes in the actor's account, all of it or nothing.

    Customer-managed policies with all their versions (the default kept), groups,
    users (path, tags, inline and attached policies, groups, boundary) and roles
    (trust policy, description, max session duration, tags, policies, boundary).
    ``password_policy``: GetAccountPasswordPolicy's ``PasswordPolicy`` shape, set as
    UpdateAccountPasswordPolicy would. ``access_keys``: names of imported users that
    get one new access key each (returned with their secrets).

    Refused, with the first problem's path in the message: anything
    :func:`check_authorization_details` finds, a name the account already has
    (EntityAlreadyExists), the account's quotas (LimitExceeded).
    """
    plan, problems = _read(details, password_policy=password_policy, access_keys=access_keys)
    if problems:
        raise _refusal(problems)
    account_id = actor.account_id
    for action, resource, context in _authorizations(plan, account_id):
        authorize(actor, action, resource, context=context)
    # One import or clear of an account at a time (the name checks below stay true).
    Account.objects.select_for_update().filter(pk=account_id).first()
    _refuse_taken(plan, account_id)
    aws = _aws_managed_rows(plan)
    try:
        with transaction.atomic():
            keys = _write(plan, account_id, aws)
    except IntegrityError as exc:  # a name or id taken meanwhile by a concurrent create
        raise EntityAlreadyExists(
            "An entity of the document was created meanwhile; nothing was imported."
        ) from exc
    invalidate(account_id)
    result = ImportResult(
        account_id=account_id,
        users=len(plan.users),
        groups=len(plan.groups),
        roles=len(plan.roles),
        policies=len(plan.policies),
        policy_versions=sum(len(p.versions) for p in plan.policies),
        inline_policies=sum(len(e.inline) for e in (*plan.groups, *plan.users, *plan.roles)),
        attachments=sum(len(e.attached) for e in (*plan.groups, *plan.users, *plan.roles)),
        memberships=sum(len(u.groups) for u in plan.users),
        aws_managed_skipped=plan.aws_managed_skipped,
        password_policy=plan.password_policy is not None,
        access_keys=tuple(keys),
        instance_profiles=len(plan.profiles),
    )
    counts = result.counts() | {"instance_profiles": result.instance_profiles}
    record_event(
        actor,
        "ImportAccountAuthorizationDetails",
        "*",
        request={k: v for k, v in counts.items() if v},
    )
    return result


def _write(
    plan: _Plan, account_id: str, aws: dict[str, ManagedPolicy]
) -> list[tuple[str, str, str]]:
    """One bulk_create per table (a fixed number of queries)."""
    now = timezone.now()
    for policy in plan.policies:
        policy.row = ManagedPolicy(
            account_id=account_id,
            name=policy.name,
            path=policy.path,
            arn=iam_arn(account_id, "policy", policy.path, policy.name),
            policy_id=unique_id("ANPA"),
            description=policy.description,
            created=now,
            updated=now,
            default_version_id=policy.default_version_id,
            next_version=policy.next_version,
            tags=policy.tags,
        )
    ManagedPolicy.objects.bulk_create([p.row for p in plan.policies])
    PolicyVersion.objects.bulk_create(
        PolicyVersion(policy=p.row, version_id=vid, document=doc, is_default=default, created=now)
        for p in plan.policies
        for vid, doc, default in p.versions
    )

    for group in plan.groups:
        group.row = Group(
            account_id=account_id,
            name=group.name,
            path=group.path,
            arn=iam_arn(account_id, "group", group.path, group.name),
            unique_id=unique_id("AGPA"),
        )
    Group.objects.bulk_create([g.row for g in plan.groups])

    consoles = []
    for user in plan.users:
        # The user's console identity, as CreateUser makes it: no password until a
        # login profile is created.
        console = ConsoleUser(
            username=f"iam:{account_id}:{user.name.lower()}", account_id=account_id
        )
        console.set_unusable_password()
        consoles.append(console)
        user.row = IamUser(
            account_id=account_id,
            name=user.name,
            path=user.path,
            arn=iam_arn(account_id, "user", user.path, user.name),
            unique_id=unique_id("AIDA"),
            tags=user.tags,
            console=console,
            permissions_boundary=_row(user.boundary, aws) if user.boundary else None,
        )
    ConsoleUser.objects.bulk_create(consoles)  # their new pks reach IamUser.console_id
    IamUser.objects.bulk_create([u.row for u in plan.users])

    for role in plan.roles:
        role.row = Role(
            account_id=account_id,
            name=role.name,
            path=role.path,
            arn=iam_arn(account_id, "role", role.path, role.name),
            unique_id=unique_id("AROA"),
            trust_policy=role.trust,
            description=role.description,
            max_session_duration=role.max_session_duration,
            tags=role.tags,
            permissions_boundary=_row(role.boundary, aws) if role.boundary else None,
        )
    Role.objects.bulk_create([r.row for r in plan.roles])

    for profile in plan.profiles:
        profile.row = InstanceProfile(
            account_id=account_id,
            name=profile.name,
            path=profile.path,
            arn=iam_arn(account_id, "instance-profile", profile.path, profile.name),
            unique_id=unique_id("AIPA"),
            created=now,
            tags=profile.tags,
            role=profile.role.row,
        )
    InstanceProfile.objects.bulk_create([p.row for p in plan.profiles])

    entities = (*plan.groups, *plan.users, *plan.roles)
    InlinePolicy.objects.bulk_create(
        InlinePolicy(**{e.kind: e.row}, name=name, document=document)
        for e in entities
        for name, document in e.inline
    )
    PolicyAttachment.objects.bulk_create(
        PolicyAttachment(policy=_row(ref, aws), account_id=e.row.account_id, **{e.kind: e.row})
        for e in entities
        for ref in e.attached
    )
    GroupMembership.objects.bulk_create(
        GroupMembership(group=g.row, user=u.row) for u in plan.users for g in u.groups
    )

    # CreateAccessKey's way: a new AKIA id, a new secret, sealed to the key's id.
    keys, created = [], []
    for user in plan.access_keys:
        secret = secret_access_key()
        key = AccessKey(access_key_id=access_key_id("AKIA"), account_id=account_id, user=user.row)
        key.set_secret(secret)
        keys.append(key)
        created.append((user.name, key.access_key_id, secret))
    AccessKey.objects.bulk_create(keys)

    if plan.password_policy is not None:
        # As UpdateAccountPasswordPolicy: a policy the account had is replaced.
        PasswordPolicy.objects.update_or_create(
            account_id=account_id, defaults=_password_defaults(plan.password_policy)
        )
    return created


def _password_defaults(values: dict[str, Any]) -> dict[str, Any]:
    """Members left out take UpdateAccountPasswordPolicy's defaults."""
    out: dict[str, Any] = {column: False for column in _PASSWORD_BOOLS.values()}
    out.update(max_password_age=None, password_reuse_prevention=None)
    out.update(values)
    return out


# -- clear --------------------------------------------------------------------------------

# What clearing an account stands for, authorized once each (path-wide).
_CLEAR_ACTIONS = (
    ("iam:DeleteUser", "user/*"),
    ("iam:DeleteLoginProfile", "user/*"),
    ("iam:DeleteAccessKey", "user/*"),
    ("iam:DeactivateMFADevice", "user/*"),
    ("iam:DeleteUserPolicy", "user/*"),
    ("iam:DetachUserPolicy", "user/*"),
    ("iam:DeleteGroup", "group/*"),
    ("iam:RemoveUserFromGroup", "group/*"),
    ("iam:DeleteGroupPolicy", "group/*"),
    ("iam:DetachGroupPolicy", "group/*"),
    ("iam:DeleteRole", "role/*"),
    ("iam:RemoveRoleFromInstanceProfile", "instance-profile/*"),
    ("iam:DeleteInstanceProfile", "instance-profile/*"),
    ("iam:DeleteRolePolicy", "role/*"),
    ("iam:DetachRolePolicy", "role/*"),
    ("iam:DeletePolicy", "policy/*"),
    ("iam:DeletePolicyVersion", "policy/*"),
    ("iam:DeleteVirtualMFADevice", "mfa/*"),
    ("iam:DeleteAccessKey", "root"),
    ("iam:DeleteSSHPublicKey", "user/*"),
    ("iam:DeleteSigningCertificate", "user/*"),
    ("iam:DeleteServiceSpecificCredential", "user/*"),
    ("iam:DeleteServerCertificate", "server-certificate/*"),
    ("iam:DeleteOpenIDConnectProvider", "oidc-provider/*"),
    ("iam:DeleteSAMLProvider", "saml-provider/*"),
)


@operation("ClearAccountState")  # this project's event: not an AWS action
def clear_account_state(*, actor: Principal) -> None:
    """Remove every IAM user (and its console identity), group, role, customer-managed
    policy, inline policy, attachment, access key (root's too), MFA device except
    root's, temporary credential, SSH key, signing and server certificate,
    service-specific credential, OIDC and SAML provider, instance profile, the
    password policy and the credential report.
    Kept: the account, its alias, the root user and root's MFA device.

    A training seat's reset is this and then an import. Bulk deletes (a fixed number
    of queries); trust policies of other accounts that named a removed user or role
    now show its unique id, as after DeleteUser / DeleteRole.
    """
    account_id = actor.account_id
    for action, resource in _CLEAR_ACTIONS:
        authorize(actor, action, f"arn:aws:iam::{account_id}:{resource}")
    authorize(actor, "iam:DeleteAccountPasswordPolicy", "*")
    Account.objects.select_for_update().filter(pk=account_id).first()

    in_account = (
        Q(user__account_id=account_id)
        | Q(group__account_id=account_id)
        | Q(role__account_id=account_id)
    )
    principals = list(IamUser.objects.filter(account_id=account_id).values_list("arn", "unique_id"))
    principals += list(Role.objects.filter(account_id=account_id).values_list("arn", "unique_id"))
    _retire_principals(account_id, principals)

    root_console = ConsoleUser.objects.filter(account_id=account_id, is_root=True).first()
    roots_mfa = Q(iam_user__isnull=True, user=root_console) & (
        # enabled for root, or root's own enrollment under way (a reserved name)
        Q(enabled__isnull=False) | Q(name__startswith=ROOT_MFA_DEVICE_NAME)
    )
    TemporaryCredential.objects.filter(account_id=account_id).delete()
    AccessKey.objects.filter(account_id=account_id).delete()
    MfaDevice.objects.filter(account_id=account_id).exclude(roots_mfa).delete()
    PolicyAttachment.objects.filter(account_id=account_id).delete()
    InlinePolicy.objects.filter(in_account).delete()
    GroupMembership.objects.filter(group__account_id=account_id).delete()
    InstanceProfile.objects.filter(account_id=account_id).delete()  # before its PROTECTed roles
    ServiceLinkedRoleDeletion.objects.filter(account_id=account_id).delete()
    AccessAdvisorJob.objects.filter(account_id=account_id).delete()
    # Users' other credentials and the account's certificates and identity providers:
    # what a trainee made must be gone after a reset.
    for model in (
        SshPublicKey,
        SigningCertificate,
        ServiceSpecificCredential,
        ServerCertificate,
        OpenIdConnectProvider,
        SamlProvider,
    ):
        model.objects.filter(account_id=account_id).delete()
    IamUser.objects.filter(account_id=account_id).delete()  # before its PROTECTed console
    ConsoleUser.objects.filter(account_id=account_id, is_root=False).delete()
    Group.objects.filter(account_id=account_id).delete()
    Role.objects.filter(account_id=account_id).delete()
    PolicyVersion.objects.filter(policy__account_id=account_id).delete()
    ManagedPolicy.objects.filter(account_id=account_id).delete()
    PasswordPolicy.objects.filter(account_id=account_id).delete()
    # The report lists the removed users: it describes a state that is gone.
    CredentialReport.objects.filter(account_id=account_id).delete()
    invalidate(account_id)
    record_event(actor, "ClearAccountState", "*")


def _retire_principals(account_id: str, principals: list[tuple[str, str]]) -> None:
    """Trust policies of other accounts naming a removed user or role get its unique id
    (replace_principal, as DeleteUser / DeleteRole do). One query finds the candidates:
    such a policy holds ``::ACCOUNT:``; the rewrite runs only for principals named."""
    if not principals:
        return
    texts = [
        t.lower()
        for t in Role.objects.exclude(account_id=account_id)
        .filter(trust_policy__contains=f"::{account_id}:")
        .values_list("trust_policy", flat=True)
    ]
    for arn, uid in principals:
        if any(arn.lower() in text for text in texts):
            replace_principal(arn, uid)


# -- export -------------------------------------------------------------------------------

_DOCUMENT_KEYS = {"PolicyDocument", "Document", "AssumeRolePolicyDocument"}


def _jsonable(value: Any, key: str = "") -> Any:
    """Documents as JSON objects, dates as ISO-8601 text: what the AWS CLI prints."""
    if isinstance(value, dict):
        return {k: _jsonable(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if key in _DOCUMENT_KEYS and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:  # stored before documents were checked: kept as text
            return value
    return value


def export_authorization_details(*, actor: Principal) -> dict[str, Any]:
    """Every page of GetAccountAuthorizationDetails (authorized as that action), merged
    into one document: ``UserDetailList``, ``GroupDetailList``, ``RoleDetailList``,
    ``Policies``, as ``aws iam get-account-authorization-details --output json`` prints
    it. What :func:`import_authorization_details` reads back."""
    merged: dict[str, list[Any]] = {key: [] for key in LISTS}
    marker = None
    while True:
        page = get_account_authorization_details(actor=actor, marker=marker, max_items=1000)
        for key in LISTS:
            merged[key] += page[key]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    return _jsonable(merged)


# -- a new account for an import ----------------------------------------------------------


def create_account_for_import(
    *, email: str | None = None, password: str | None = None, source_ip: str | None = None
) -> NewAccount:
    """A new account to import into: ``sign_up`` with the password when one is given;
    else a root identity with an unusable password (no sign-in until one is set).
    The email defaults to ``import+<account id>@example.invalid`` (a reserved domain).

    Not an IAM action (like sign_up, there is no actor yet); audited as CreateAccount.
    """
    for _ in range(20):
        new_id = random_account_id()
        if not Account.objects.filter(pk=new_id).exists():
            break
    else:  # pragma: no cover - twenty taken random ids in a row
        raise EntityAlreadyExists("Could not allocate an account id.")
    address = (email or f"import+{new_id}@example.invalid").strip()
    if password:
        return sign_up(email=address, password=password, account_id=new_id, source_ip=source_ip)
    if "@" not in address or len(address) > 254:
        raise ValidationError("Enter a valid email address.")  # check_sign_up's text
    with transaction.atomic():
        username = f"root:{address.lower()}"
        if ConsoleUser.objects.filter(username=username).exists():
            raise EntityAlreadyExists("An account with this email address already exists.")
        account = Account.objects.create(id=new_id)
        root = ConsoleUser(username=username, account=account, is_root=True, email=address)
        root.set_unusable_password()
        root.save(force_insert=True)
        record_event(
            root_principal(account.id, source_ip=source_ip),
            "CreateAccount",
            account.root_arn,
            event_source="signin.amazonaws.com",
        )
    return NewAccount(account=account, root=root)
