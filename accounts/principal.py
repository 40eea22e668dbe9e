"""Who is acting: the principal every operation takes as ``actor=``.

Built by the console from the signed-in session and by the API from the SigV4
credentials. Plain data: the policy engine sees only its ARN and context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Kind = Literal["root", "user", "assumed-role"]


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


def user_principal(user: object, **kw: object) -> Principal:
    from accounts.models import IamUser

    assert isinstance(user, IamUser)
    return Principal(
        account_id=user.account_id,
        kind="user",
        arn=user.arn,
        user_id=user.pk,
        user_name=user.name,
        unique_id=user.unique_id,
        **kw,
    )  # type: ignore[arg-type]
