"""IAM's MalformedPolicyDocument messages, checked in the order IAM reports them.

IAM's Create*/Put* APIs answer a bad document with one message. The messages and their
precedence follow what IAM returns (as recorded by moto's IAM tests, which mirror AWS):
syntax errors first, then the version, then the "legacy parser" checks (Effect case,
Date condition values, resource ARN shapes), SID uniqueness, missing actions, missing
resources, resource ARN format, and last the action prefixes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

from . import catalog
from .conditions import parse_operator
from .document import STATEMENT_KEYS, VERSION_2012, VERSIONS
from .jsonsafe import JsonError, loads

SYNTAX = "Syntax errors in policy."
VERSION = "Policy document must be version 2012-10-17 or greater."
LEGACY = "The policy failed legacy parsing"
SID = "Statement IDs (SID) in a single policy must be unique."
NO_ACTIONS = "Policy statement must contain actions."
NO_RESOURCES = "Policy statement must contain resources."
NO_VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
ONE_COLON = "Actions/Condition can contain only one colon."

IDENTITY_TYPES = frozenset(
    {"IDENTITY_POLICY", "USER_INLINE", "GROUP_INLINE", "ROLE_INLINE", "MANAGED", "BOUNDARY"}
)
TRUST_TYPES = frozenset({"TRUST_POLICY"})
RESOURCE_TYPES = frozenset({"RESOURCE_POLICY", "TRUST_POLICY"})

# AWS IAM quotas ("IAM and AWS STS quotas"): characters, whitespace not counted.
SIZE_LIMITS: Mapping[str, int] = {
    "USER_INLINE": 2048,
    "GROUP_INLINE": 5120,
    "ROLE_INLINE": 10240,
    "MANAGED": 6144,
    "IDENTITY_POLICY": 6144,
    "BOUNDARY": 6144,
    "TRUST_POLICY": 2048,
    "SERVICE_CONTROL_POLICY": 5120,
    "RESOURCE_CONTROL_POLICY": 5120,
    "SESSION_POLICY": 2048,
}

PARTITIONS = frozenset(
    {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}
)

_REGION_MESSAGES = {
    "iam": "IAM resource {resource} cannot contain region information.",
    "s3": "Resource {resource} can not contain region information.",
}
_IAM_PATHS = (
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
)
_IAM_PATH_MESSAGE = (
    # AWS's text (localstack's AWS recordings, test_iam_policies) names "root" too.
    'IAM resource path must either be "*", root, or start with ' + ", ".join(_IAM_PATHS) + "."
)
_VENDOR_RE = re.compile(r"[^a-zA-Z0-9\-.]")


class MalformedPolicyDocument(ValueError):
    """Raised by ensure_well_formed with IAM's exact message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Fail(Exception):
    pass


def _need(cond: bool) -> None:
    if not cond:
        raise _Fail


def _strs(value: object, nulls: bool = False) -> bool:
    return isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(v, str) or (nulls and v is None) for v in value)
    )


def _syntax(doc: object, policy_type: str) -> list[Mapping[str, object]]:
    _need(isinstance(doc, dict))
    assert isinstance(doc, dict)
    _need(all(k in ("Version", "Id", "Statement") for k in doc))
    if "Version" in doc:
        _need(doc["Version"] in VERSIONS)
    if "Id" in doc:
        _need(isinstance(doc["Id"], str))
    _need("Statement" in doc)
    raw = doc["Statement"]
    _need(isinstance(raw, dict | list))
    stmts = [raw] if isinstance(raw, dict) else list(raw)
    _need(bool(stmts))
    allowed = STATEMENT_KEYS
    for st in stmts:
        _need(isinstance(st, dict))
        _need(all(k in allowed for k in st))
        _need(not ("Resource" in st and "NotResource" in st))
        _need(not ("Action" in st and "NotAction" in st))
        _need(not ("Principal" in st and "NotPrincipal" in st))
        _need(isinstance(st.get("Effect"), str) and st["Effect"].lower() in ("allow", "deny"))
        for key in ("Action", "NotAction", "Resource", "NotResource"):
            if key in st:
                # IAM ignores null entries in a Resource list.
                _need(_strs(st[key], nulls=key.endswith("Resource")))
        if "Sid" in st:
            _need(isinstance(st["Sid"], str))
        for key in ("Principal", "NotPrincipal"):
            if key in st:
                p = st[key]
                _need(p == "*" or isinstance(p, dict) or isinstance(p, str))
                if isinstance(p, dict):
                    _need(all(_strs(v) for v in p.values()))
        if "Condition" in st:
            cond = st["Condition"]
            _need(isinstance(cond, dict))
            for op, block in cond.items():
                _need(isinstance(block, dict))
                for v in block.values():
                    _need(isinstance(v, list | str | bool | int | float))
                    if isinstance(v, list):
                        _need(all(isinstance(x, str | bool | int | float) for x in v))
                if parse_operator(op) is None:
                    _need(not block)  # an unknown operator is tolerated only when empty
    return stmts  # type: ignore[return-value]


# --------------------------------------------------------------- legacy parser


def _legacy_date(value: str) -> None:
    low = value.lower()
    if "t" in low or "-" in value:
        _legacy_iso(low)
    else:
        _need(0 <= int(value) <= 9223372036854775807)


def _legacy_iso(text: str) -> None:
    date_part, _, time_part = text.partition("t")
    negative = date_part.startswith("-")
    bits = (date_part[1:] if negative else date_part).split("-")
    year = int(("-" if negative else "") + bits[0])
    _need(-292275054 <= year <= 292278993)
    if len(bits) > 1:
        _need(1 <= int(bits[1]) <= 12)
    if len(bits) > 2:
        _need(1 <= int(bits[2]) <= 31)
    _need(len(bits) < 4)
    tparts = time_part.split(":")
    if tparts[0] != "":
        _need(0 <= int(tparts[0]) <= 23)
    if len(tparts) > 1:
        _need(0 <= int(tparts[1]) <= 59)
    if len(tparts) > 2:
        sec = tparts[2]
        if "z" in sec:
            seconds, _, tail = sec.partition("z")
            _need(tail == "")
        elif "+" in sec:
            seconds, _, zone = sec.partition("+")
            zh, colon, zm = zone.partition(":")
            _need(len(zh) == 2 and 0 <= int(zh) <= 23)
            if colon:
                _need(len(zm) == 2 and 0 <= int(zm) <= 59)
        else:
            seconds = sec
        whole, dot, frac = seconds.partition(".")
        _need(0 <= int(whole) <= 59)
        if dot:
            _need(0 <= int(frac) <= 999999999)


def _legacy_statement(st: Mapping[str, object]) -> None:
    _need(st["Effect"] in ("Allow", "Deny"))  # the legacy parser is case-sensitive
    cond = st.get("Condition")
    if isinstance(cond, dict):
        for op, block in cond.items():
            parsed = parse_operator(op)
            base = parsed.base if parsed else op.lower()
            if not base.startswith("date"):
                continue
            for v in block.values():
                for item in v if isinstance(v, list) else [v]:
                    _legacy_date(str(item))


def _resource_format_error(resource: str) -> str | None:
    if resource == "*":
        return None
    _head, sep, rest = resource.partition(":")
    if not sep:
        return f'Resource {resource} must be in ARN format or "*".'
    partition, sep2, rest2 = rest.partition(":")
    if partition not in PARTITIONS:
        rem = rest2.split(":")
        a1 = rem[0] if rem[0] != "" or len(rem) > 1 else "*"
        a2 = rem[1] if len(rem) > 1 else "*"
        a3 = rem[2] if len(rem) > 2 else "*"
        a4 = ":".join(rem[3:]) if len(rem) > 3 else "*"
        return f'Partition "{partition}" is not valid for resource "arn:{partition}:{a1}:{a2}:{a3}:{a4}".'
    if not sep2:
        return "Resource vendor must be fully qualified and cannot contain regexes."
    service, _, rest3 = rest2.partition(":")
    path = rest3.partition(":")[2].partition(":")[2]
    if service in _REGION_MESSAGES and not rest3.startswith(":"):
        if not (service == "s3" and path.startswith(_s3_regional_prefixes())):
            return _REGION_MESSAGES[service].format(resource=resource)
    if service == "iam" and not path.startswith(_IAM_PATHS):
        return _IAM_PATH_MESSAGE
    return None


@cache
def _s3_regional_prefixes() -> tuple[str, ...]:
    """Resource-part prefixes of S3 resource types whose ARN has a region (access points,
    batch jobs, Storage Lens, ...), from the catalog."""
    out = set()
    for info in catalog.resource_types("s3").values():
        arn = str(info.get("arn", ""))
        parts = arn.split(":", 5)
        if len(parts) == 6 and "${Region}" in parts[3]:
            prefix = parts[5].split("${", 1)[0]
            if prefix:
                out.add(prefix)
    return tuple(sorted(out))


def _legacy_resources(value: object) -> None:
    if isinstance(value, str):
        if value != "*":
            _need(value.count(":") >= 5 or "::" not in value)
            _need(value.split(":")[2] != "")
    else:
        for r in value:  # type: ignore[union-attr]
            if r is not None and r != "*":
                _need(r.count(":") >= 5 or "::" not in r)
                _need(len(r) > 2 and r[2] != "")


def _action_error(action: str) -> str | None:
    parts = action.split(":")
    if len(parts) == 1 and parts[0] != "*":
        return NO_VENDOR
    if len(parts) > 2:
        return ONE_COLON
    if parts[0] != "*" and _VENDOR_RE.search(parts[0]):
        return f"Vendor {parts[0]} is not valid"
    return None


def _listify(value: object) -> list[str]:
    return [value] if isinstance(value, str) else list(value)  # type: ignore[arg-type]


def check_malformed(
    document_text: str | Mapping[str, object], policy_type: str = "IDENTITY_POLICY"
) -> str | None:
    """IAM's MalformedPolicyDocument message for this document, or None when accepted.

    policy_type: IDENTITY_POLICY (also USER_INLINE, GROUP_INLINE, ROLE_INLINE, MANAGED,
    BOUNDARY), TRUST_POLICY, RESOURCE_POLICY, SERVICE_CONTROL_POLICY. Size quotas are a
    separate error in IAM (LimitExceeded): see check_size.
    """
    policy_type = policy_type.upper()
    identity = policy_type in IDENTITY_TYPES
    # 1. Syntax.
    try:
        if isinstance(document_text, str | bytes):
            text = document_text.decode() if isinstance(document_text, bytes) else document_text
            doc = loads(text, allow_duplicates=False)
        else:
            doc = document_text
        stmts = _syntax(doc, policy_type)
    except (_Fail, JsonError, ValueError, TypeError, AttributeError, KeyError, IndexError):
        return SYNTAX
    assert isinstance(doc, dict)
    # Principal belongs to resource-based policies only (AWS: "Has prohibited field").
    for st in stmts:
        for key in ("Principal", "NotPrincipal"):
            if key in st and identity:
                return f"Has prohibited field {key}"
        if policy_type in TRUST_TYPES:
            for key in ("Resource", "NotResource"):
                if key in st:
                    return f"Has prohibited field {key}"
    # 2. Version. Identity policies need 2012-10-17; resource policies accept 2008-10-17.
    if identity and doc.get("Version") != VERSION_2012:
        return VERSION
    # 3. Legacy parsing, resources last (a format error found first suppresses it).
    resource_error = ""
    try:
        for st in stmts:
            _legacy_statement(st)
        for key in ("Resource", "NotResource"):
            for st in stmts:
                if key not in st:
                    continue
                value = st[key]
                items = (
                    [value]
                    if isinstance(value, str)
                    else sorted((v for v in value if v is not None), reverse=True)
                )  # type: ignore[arg-type]
                for r in items:
                    if r is None:
                        continue
                    err = _resource_format_error(r)
                    if err:
                        resource_error = err  # IAM reports the last one found
                if not resource_error:
                    _legacy_resources(value)
    except (_Fail, ValueError, IndexError, TypeError):
        return LEGACY
    # 4. SIDs. Identity-based policies take only ASCII letters and digits ("The Sid
    # element supports ASCII uppercase letters (A-Z), lowercase letters (a-z), and
    # numbers (0-9)", IAM JSON policy elements: Sid); IAM's message as CreatePolicy
    # returns it (quoted in aws-cloudformation/cfn-lint#1376 and Wolox/carthage_cache#22;
    # not in our recorded conformance cases). Resource-based policies of other services
    # accept more (S3 and KMS allow spaces), so they are left alone.
    if identity:
        for st in stmts:
            sid = st.get("Sid")
            if isinstance(sid, str) and not _SID_CHARS.fullmatch(sid):
                return SID_CHARACTERS
    sids: set[str] = set()
    for st in stmts:
        sid = st.get("Sid")
        if sid:
            if sid in sids:
                return SID
            sids.add(sid)  # type: ignore[arg-type]
    # 5. Actions must be present.
    for st in stmts:
        key = "Action" if "Action" in st else "NotAction" if "NotAction" in st else None
        if key is None or st[key] == []:
            return NO_ACTIONS
    if resource_error:
        return resource_error
    # 6. Action prefixes, then resources (IAM reports a bad action before a missing
    # Resource).
    for key in ("Action", "NotAction"):
        for st in stmts:
            if key in st:
                for action in _listify(st[key]):
                    err = _action_error(action)
                    if err:
                        return err
    if policy_type not in TRUST_TYPES:
        for st in stmts:
            key = "Resource" if "Resource" in st else "NotResource" if "NotResource" in st else None
            if key is None or st[key] == []:
                return NO_RESOURCES
    else:
        for st in stmts:
            for action in _listify(st.get("Action", [])):
                if not _is_assume_role_action(action):
                    return ASSUME_ROLE_ACTIONS_ONLY
        for st in stmts:
            if "Principal" not in st and "NotPrincipal" not in st:
                return "Missing required field Principal"
    return None


ASSUME_ROLE_ACTIONS_ONLY = "AssumeRole policy may only specify STS AssumeRole actions."
SID_CHARACTERS = (
    "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the "
    "regular expression [0-9A-Za-z]*"
)
_SID_CHARS = re.compile(r"[0-9A-Za-z]*")
# The actions a trust policy may name (IAM User Guide, "Role trust policies" and "Passing
# session tags"; localstack's AWS recordings refuse s3:/iam: actions and even
# sts:InvalidAction with ASSUME_ROLE_ACTIONS_ONLY).
TRUST_POLICY_ACTIONS = (
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:tagsession",
    "sts:setsourceidentity",
    "sts:setcontext",
)


def _is_assume_role_action(action: str) -> bool:
    """Whether a trust policy's action is (or, with wildcards, covers) an STS AssumeRole
    action. How AWS treats wildcards here is not recorded: a pattern is accepted when it
    matches one of TRUST_POLICY_ACTIONS (so ``*`` and ``sts:AssumeRole*`` are)."""
    pattern = action.lower()
    if "*" not in pattern and "?" not in pattern:
        return pattern in TRUST_POLICY_ACTIONS
    regex = re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    )
    return any(regex.fullmatch(a) for a in TRUST_POLICY_ACTIONS)


def ensure_well_formed(document_text: str, policy_type: str = "IDENTITY_POLICY") -> None:
    """Raise MalformedPolicyDocument(message) when check_malformed finds a problem."""
    message = check_malformed(document_text, policy_type)
    if message is not None:
        raise MalformedPolicyDocument(message)


def policy_size(document_text: str) -> int:
    """Characters counted against IAM quotas: AWS does not count whitespace."""
    return sum(1 for ch in document_text if not ch.isspace())


def check_size(document_text: str, policy_type: str) -> str | None:
    """IAM's LimitExceeded message when the document is over its quota, else None."""
    limit = SIZE_LIMITS.get(policy_type.upper())
    if limit is None:
        return None
    if policy_size(document_text) > limit:
        return f"Cannot exceed quota for PolicySize: {limit}"
    return None
