"""Who is asking: request principals and the Principal / NotPrincipal element.

AWS docs: "AWS JSON policy elements: Principal" (account ids equal
arn:aws:iam::ID:root, role ARNs cover the role's sessions, "*" covers everyone
including anonymous callers) and "NotPrincipal".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .document import PrincipalSpec

ACCOUNT_RE = re.compile(r"^\d{12}$")

# How a Principal element matched, strongest first. AWS ("Policy evaluation for requests
# within a single account"): a resource-based policy naming the user or the role
# session itself grants on its own; naming the role (for its sessions) is limited by
# permissions boundaries and session policies; naming the account delegates to the
# account's identity-based policies.
DIRECT = "direct"
ROLE = "role"
ACCOUNT = "account"


@dataclass(frozen=True, slots=True)
class PrincipalInfo:
    arn: str | None
    kind: str  # anonymous, user, role, assumed-role, root, federated-user, service, other
    account: str | None
    partition: str
    name: str | None  # user name, role name (roles and sessions), or service name
    session: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.kind == "anonymous"


@lru_cache(maxsize=4096)
def principal_info(arn: str | None) -> PrincipalInfo:
    """Classify a request principal ARN (None: anonymous)."""
    if arn is None or arn == "":
        return PrincipalInfo(None, "anonymous", None, "aws", None)
    if ACCOUNT_RE.match(arn):
        return PrincipalInfo(f"arn:aws:iam::{arn}:root", "root", arn, "aws", None)
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        if "." in arn:  # e.g. lambda.amazonaws.com
            return PrincipalInfo(arn, "service", None, "aws", arn)
        return PrincipalInfo(arn, "other", None, "aws", None)
    _, partition, service, _region, account, resource = parts
    if service == "iam" and resource == "root":
        return PrincipalInfo(arn, "root", account, partition, None)
    if service == "iam" and resource.startswith("user/"):
        return PrincipalInfo(arn, "user", account, partition, resource.rsplit("/", 1)[-1])
    if service == "iam" and resource.startswith("role/"):
        return PrincipalInfo(arn, "role", account, partition, resource.rsplit("/", 1)[-1])
    if service == "sts" and resource.startswith("assumed-role/"):
        bits = resource.split("/")
        role = bits[1] if len(bits) > 1 else None
        session = bits[2] if len(bits) > 2 else None
        return PrincipalInfo(arn, "assumed-role", account, partition, role, session)
    if service == "sts" and resource.startswith("federated-user/"):
        return PrincipalInfo(arn, "federated-user", account, partition, resource[15:])
    return PrincipalInfo(arn, "other", account or None, partition, None)


def _account_of_value(value: str) -> str | None:
    if ACCOUNT_RE.match(value):
        return value
    parts = value.split(":")
    if len(parts) == 6 and parts[0] == "arn" and parts[2] == "iam" and parts[5] == "root":
        return parts[4]
    return None


def _role_covers_session(value: str, p: PrincipalInfo) -> bool:
    # arn:aws:iam::ACCOUNT:role/optional/path/NAME covers sessions of role NAME.
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        return False
    return parts[4] == p.account and parts[5].rsplit("/", 1)[-1] == p.name


def match_principal(spec: PrincipalSpec, p: PrincipalInfo) -> str | None:
    """Return DIRECT, ROLE, ACCOUNT or None for one Principal element."""
    if spec.wildcard:
        return DIRECT
    best: str | None = None
    for kind, values in spec.entries:
        if kind == "AWS":
            if p.anonymous or p.kind == "service":
                continue
            for v in values:
                if v == p.arn:
                    if p.kind == "role":
                        best = best or ROLE
                        continue
                    return DIRECT
                acct = _account_of_value(v)
                if acct is not None:
                    if acct == p.account:
                        if p.kind == "root":
                            return DIRECT
                        if best is None:
                            best = ACCOUNT
                    continue
                if p.kind == "assumed-role" and _role_covers_session(v, p):
                    best = ROLE
        elif kind == "Service":
            if p.kind == "service" and p.arn is not None:
                low = p.arn.lower()
                if any(v.lower() == low for v in values):
                    return DIRECT
        elif p.arn is not None and p.arn in values:  # Federated, CanonicalUser
            return DIRECT
    return best


def excluded_by_not_principal(spec: PrincipalSpec, p: PrincipalInfo) -> bool:
    """NotPrincipal excludes only the principals it names exactly.

    AWS ("NotPrincipal"): naming a role does not exclude its sessions (list the
    assumed-role ARN too), and naming the account excludes the account principal, not
    every user in it. "*" excludes everyone.
    """
    if spec.wildcard:
        return True
    m = match_principal(spec, p)
    if m == DIRECT:
        return True
    return m == ROLE and p.kind == "role"
