"""Who is acting: the principal every operation takes as ``actor=``.

Built by the console from the signed-in session and by the API from the SigV4
credentials. Plain data: the policy engine sees only its ARN and context. This
module imports no Django (the models appear only as type hints).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from accounts.models import IamUser, Role, TemporaryCredential

# "federated-user": a GetFederationToken session (arn:aws:sts::ACCOUNT:federated-user/NAME).
# "anonymous": an unsigned caller (AssumeRoleWithWebIdentity, AssumeRoleWithSAML), nobody
# until its token is verified; for the trust policy it then stands as the identity
# provider's ARN (accounts/operations/federation.py).
Kind = Literal["root", "user", "assumed-role", "federated-user", "anonymous"]


@dataclass(frozen=True)
class Principal:
    account_id: str
    kind: Kind
    arn: str
    user_id: int | None = None  # IamUser pk (kind "user")
    user_name: str = ""
    unique_id: str = ""  # aws:userid
    role_id: int | None = None  # Role pk (kind "assumed-role")
    session_name: str = ""
    session_issued: datetime | None = None
    session_policies: tuple[str, ...] = ()
    session_tags: tuple[tuple[str, str], ...] = ()
    source_identity: str = ""
    mfa_authenticated: bool = False
    mfa_auth_time: datetime | None = None
    access_key_id: str = ""
    source_ip: str | None = None
    user_agent: str = ""
    via: str = "console"  # console | api
    region: str = "us-east-1"
    extra_context: tuple[tuple[str, str], ...] = field(default=())

    @property
    def is_root(self) -> bool:
        return self.kind == "root"

    @property
    def display_name(self) -> str:
        if self.kind == "root":
            return "root"
        if self.kind == "user":
            return self.user_name
        if self.kind in ("federated-user", "anonymous"):
            return self.arn.rsplit(":", 1)[-1] or "anonymous"
        return f"{self.arn.rsplit('/', 2)[-2]}/{self.session_name}"

    def with_request(
        self, *, source_ip: str | None, user_agent: str = "", via: str | None = None
    ) -> Principal:
        from dataclasses import replace

        return replace(self, source_ip=source_ip, user_agent=user_agent[:512], via=via or self.via)


def root_principal(account_id: str, **kw: object) -> Principal:
    return Principal(
        account_id=account_id,
        kind="root",
        arn=f"arn:aws:iam::{account_id}:root",
        unique_id=account_id,
        **kw,
    )  # type: ignore[arg-type]


def user_principal(user: IamUser, **kw: object) -> Principal:
    return Principal(
        account_id=user.account_id,
        kind="user",
        arn=user.arn,
        user_id=user.pk,
        user_name=user.name,
        unique_id=user.unique_id,
        **kw,
    )  # type: ignore[arg-type]


def role_session_arn(account_id: str, role_name: str, session_name: str) -> str:
    """The ARN of a role session: ``arn:aws:sts::<account>:assumed-role/<role>/<session>``
    (IAM identifiers, "Role session ARNs")."""
    return f"arn:aws:sts::{account_id}:assumed-role/{role_name}/{session_name}"


def role_session_principal(role: Role, session_name: str, **kw: Any) -> Principal:
    """A session of ``role`` named ``session_name``.

    The one place a role session's principal is built: from STS credentials (the API),
    from a console "Switch role" session, or for a simulation. ``aws:userid`` is
    ``<role unique id>:<session name>``, as AWS documents for assumed roles.
    """
    return Principal(
        account_id=role.account_id,
        kind="assumed-role",
        arn=role_session_arn(role.account_id, role.name, session_name),
        unique_id=f"{role.unique_id}:{session_name}",
        role_id=role.pk,
        session_name=session_name,
        **kw,
    )


def temporary_credential_principal(credential: TemporaryCredential, **kw: Any) -> Principal:
    """The role session a role's temporary credential stands for: its session policies,
    tags, source identity and MFA state. ``kw`` adds the request's details (source IP,
    user agent, via, region, MFA time)."""
    role = credential.role
    assert role is not None, "only a role's temporary credential is a role session"
    fields: dict[str, Any] = {
        "session_issued": credential.issued,
        "session_policies": tuple(credential.session_policies or ()),
        "session_tags": tuple((t["Key"], t["Value"]) for t in credential.session_tags or ()),
        "source_identity": credential.source_identity,
        "mfa_authenticated": credential.mfa_authenticated,
        "access_key_id": credential.access_key_id,
    }
    fields.update(kw)
    return role_session_principal(role, credential.session_name, **fields)


def federated_user_arn(account_id: str, name: str) -> str:
    """``arn:aws:sts::<account>:federated-user/<name>`` (IAM identifiers, GetFederationToken)."""
    return f"arn:aws:sts::{account_id}:federated-user/{name}"


def federated_user_principal(credential: TemporaryCredential, **kw: Any) -> Principal:
    """The federated user a GetFederationToken credential stands for: the IAM user (or
    root) who asked for it, limited by the session policies passed (none passed: no
    permissions). ``aws:userid`` is ``<account>:<name>``, as AWS documents for federated
    users; principal tags are the user's tags and the session tags."""
    name = credential.session_name
    user = credential.user
    fields: dict[str, Any] = {
        "user_id": user.pk if user is not None else None,
        "user_name": user.name if user is not None else "",
        "session_name": name,
        "session_issued": credential.issued,
        "session_policies": tuple(credential.session_policies or ()),
        "session_tags": tuple((t["Key"], t["Value"]) for t in credential.session_tags or ()),
        "mfa_authenticated": credential.mfa_authenticated,
        "access_key_id": credential.access_key_id,
    }
    fields.update(kw)
    return Principal(
        account_id=credential.account_id,
        kind="federated-user",
        arn=federated_user_arn(credential.account_id, name),
        unique_id=f"{credential.account_id}:{name}",
        **fields,
    )


def anonymous_principal(**kw: Any) -> Principal:
    """An unsigned caller: no account, no ARN (the two STS actions AWS serves unsigned)."""
    return Principal(account_id="", kind="anonymous", arn="", **kw)
