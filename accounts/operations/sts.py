"""STS operations: AssumeRole, GetSessionToken, GetCallerIdentity, GetAccessKeyInfo,
DecodeAuthorizationMessage.

AWS docs followed: "AssumeRole" and "GetSessionToken" (STS API Reference),
"Comparing the AWS STS API operations", "Session policies", "Passing session
tags in AWS STS", "Role chaining" and "How IAM roles differ from resource-based
policies" (a trust policy is a resource-based policy: in the same account naming
the caller suffices; naming the account root delegates to the caller's identity
policies; across accounts both sides must allow; the engine applies these rules).

Temporary credentials: ``ASIA…`` key id, a 40-character secret (sealed at rest),
a random session token of which only the SHA-256 is stored, an expiry.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from accounts import throttle
from accounts.errors import AccessDenied, IamError, MalformedPolicyDocument, ValidationError
from accounts.ids import access_key_id, secret_access_key
from accounts.models import AccessKey, IamUser, MfaDevice, Role, TemporaryCredential
from accounts.principal import Principal, role_session_arn
from accounts.totp import verify_and_consume
from audit.trail import record_event
from iamconsole.ops import operation
from policies.authorization import authorize
from policies.documents import check_policy_document, policy_size
from policies.models import ManagedPolicy

__all__ = [
    "STS",
    "InvalidAuthorizationMessage",
    "InvalidParameterValue",
    "NewCredentials",
    "PackedPolicyTooLarge",
    "assume_role",
    "decode_authorization_message",
    "get_access_key_info",
    "get_caller_identity",
    "get_session_token",
    "token_hash",
]

STS = "sts.amazonaws.com"
MIN_DURATION = 900
DEFAULT_ROLE_DURATION = 3600
CHAINED_MAX = 3600  # "Role chaining limits your session to a maximum of one hour."
SESSION_TOKEN_DEFAULT = 43200
SESSION_TOKEN_MAX = 129600
ROOT_SESSION_MAX = 3600
# Session policies and tags are packed into the session token; AWS reports the packed
# size as a percentage of the allowed space. Plain-text session policies are limited to
# 2,048 characters ("IAM and AWS STS character limits"); we count the non-whitespace
# characters of the inline policy, the managed policy ARNs and the session tags.
PACKED_LIMIT = 2048
SESSION_TAGS_MAX = 50
MFA_FAILED = "MultiFactorAuthentication failed with invalid MFA one time pass code. "

_ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role(/(?:[^/]+/)*)([\w+=,.@-]+)", re.ASCII)


class PackedPolicyTooLarge(IamError):
    code, status = "PackedPolicyTooLarge", 400


class InvalidAuthorizationMessage(IamError):
    code, status = "InvalidAuthorizationMessageException", 400


class InvalidParameterValue(IamError):
    code, status = "InvalidParameterValue", 400


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewCredentials:
    """Temporary credentials, shown once."""

    credential: TemporaryCredential
    secret: str
    session_token: str
    assumed_role_arn: str = ""
    assumed_role_id: str = ""
    packed_policy_size: int | None = None

    @property
    def expiration(self) -> datetime:
        return self.credential.expires


def _issue(*, account_id: str, issued: datetime, seconds: int, **fields: Any) -> NewCredentials:
    secret = secret_access_key()
    token = secrets.token_urlsafe(144)
    cred = TemporaryCredential(
        access_key_id=access_key_id("ASIA"),
        account_id=account_id,
        session_token_hash=token_hash(token),
        issued=issued,
        expires=issued + timedelta(seconds=seconds),
        **fields,
    )
    cred.set_secret(secret)
    cred.save(force_insert=True)
    return NewCredentials(credential=cred, secret=secret, session_token=token)


def _caller_mfa_device(actor: Principal, serial_number: str) -> MfaDevice | None:
    qs = MfaDevice.objects.filter(account_id=actor.account_id, serial_number=serial_number)
    if actor.kind == "user":
        return qs.filter(iam_user_id=actor.user_id, enabled__isnull=False).first()
    if actor.kind == "root":
        return qs.filter(iam_user__isnull=True, user__is_root=True, confirmed=True).first()
    return None


# The TokenCode attempt counted on the caller's device before the operation's
# transaction opened (``_counts_mfa_attempt``): {"key", "wait", "checked"}.
_MFA_ATTEMPT: ContextVar[dict[str, Any] | None] = ContextVar("mfa_attempt", default=None)


def _counts_mfa_attempt(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Count a ``TokenCode`` against the caller's device outside the operation's transaction.

    The console's throttle (``accounts.throttle``: 5 free failures, then waits
    doubling from 1 s to 15 minutes, at most 100 attempts an hour), keyed per MFA
    device. A wrong code makes the operation raise AccessDenied and roll back:
    counted inside, the failure would vanish with the rollback and codes could be
    guessed without limit (1,000 wrong codes at 88/s, then the right one at once).
    Counted here first, under the throttle's row lock, it stays; once the wait
    starts even the right code is refused until it passes. An attempt the
    operation never got to check (a bad DurationSeconds) is given back.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        actor, serial, code = (
            kwargs.get("actor"),
            kwargs.get("serial_number"),
            kwargs.get("token_code"),
        )
        device = None
        if isinstance(actor, Principal) and serial and code:
            device = _caller_mfa_device(actor, serial)
        if device is None:
            return fn(*args, **kwargs)
        key = throttle.device_key(device.pk)
        attempt = {"key": key, "wait": throttle.begin_attempt(key), "checked": False}
        token = _MFA_ATTEMPT.set(attempt)
        try:
            return fn(*args, **kwargs)
        except Exception:
            if not attempt["checked"] and not attempt["wait"]:
                throttle.refund_attempt(key)
            raise
        finally:
            _MFA_ATTEMPT.reset(token)

    return wrapper


def _verify_mfa(actor: Principal, serial_number: str | None, token_code: str | None) -> bool:
    """SerialNumber + TokenCode: the code must come from the caller's own device.

    Throttled per device (``_counts_mfa_attempt``); a throttled attempt gets the
    same AccessDenied as a wrong code: AWS's "MultiFactorAuthentication failed with
    invalid MFA one time pass code.".
    """
    if not serial_number and not token_code:
        return False
    if not serial_number or not token_code:
        raise ValidationError("Both SerialNumber and TokenCode are required for MFA.")

    device = _caller_mfa_device(actor, serial_number)
    if device is None:
        raise AccessDenied(MFA_FAILED)
    key = throttle.device_key(device.pk)
    attempt = _MFA_ATTEMPT.get()
    if attempt is not None and attempt["key"] == key:
        attempt["checked"] = True
        wait = attempt["wait"]
    else:  # not called through ``_counts_mfa_attempt``: count here (rolled back on failure)
        wait = throttle.begin_attempt(key)
    if wait or not verify_and_consume(device, token_code):
        raise AccessDenied(MFA_FAILED)
    throttle.forget(key)
    return True


def _transitive_tags_of(actor: Principal) -> list[dict[str, Any]]:
    """The transitive session tags of the calling role session (none for others)."""
    if actor.kind != "assumed-role" or not actor.access_key_id:
        return []
    credential = TemporaryCredential.objects.filter(access_key_id=actor.access_key_id).first()
    if credential is None:
        return []
    return [dict(t) for t in credential.session_tags or () if t.get("Transitive")]


def _now() -> datetime:
    return timezone.now().replace(microsecond=0)


@_counts_mfa_attempt  # outermost: the count must survive the rollback
@operation("AssumeRole", event_source=STS)
def assume_role(
    *,
    actor: Principal,
    role_arn: str,
    session_name: str,
    duration_seconds: int | None = None,
    external_id: str | None = None,
    serial_number: str | None = None,
    token_code: str | None = None,
    policy: str | None = None,
    policy_arns: list[str] | None = None,
    tags: list[dict[str, str]] | None = None,
    source_identity: str | None = None,
    transitive_tag_keys: list[str] | None = None,
) -> NewCredentials:
    """AssumeRole: the trust policy (a resource-based policy) and, where AWS asks for
    it, the caller's identity policies must allow sts:AssumeRole on the role.

    Session tags named in TransitiveTagKeys pass on to sessions chained from this one
    ("Chaining roles with session tags"), which may not set those keys again."""
    if actor.is_root:
        raise AccessDenied("Roles may not be assumed by root accounts.")
    match = _ROLE_ARN.fullmatch(role_arn or "")
    not_authorized = AccessDenied(
        f"User: {actor.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
        action="sts:AssumeRole",
        resource=role_arn,
    )
    if match is None:
        raise ValidationError(f"{role_arn} is invalid")
    role = Role.objects.filter(account_id=match.group(1), name__iexact=match.group(3)).first()
    if role is None or role.arn != role_arn:
        # AWS does not reveal whether a role exists: an unknown role is a denial.
        raise not_authorized

    # Duration: 900 s up to the role's maximum; one hour when chaining roles.
    duration = DEFAULT_ROLE_DURATION if duration_seconds is None else int(duration_seconds)
    if duration < MIN_DURATION:
        raise ValidationError(
            f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to "
            f"satisfy constraint: Member must have value greater than or equal to {MIN_DURATION}"
        )
    if actor.kind == "assumed-role" and duration > CHAINED_MAX:
        raise ValidationError(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed "
            "by role chaining."
        )
    if duration > role.max_session_duration:
        raise ValidationError(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        )

    mfa = _verify_mfa(actor, serial_number, token_code)
    if not mfa and actor.kind != "assumed-role" and actor.mfa_authenticated:
        mfa = True  # GetSessionToken-with-MFA credentials carry MFA into AssumeRole

    # Session policies (inline + managed ARNs of the role's account or AWS's).
    session_docs: list[str] = []
    packed = 0
    if policy is not None:
        try:
            session_docs.append(check_policy_document(policy))
        except MalformedPolicyDocument:
            raise
        packed += policy_size(policy)
    for arn in policy_arns or []:
        managed = (
            ManagedPolicy.objects.filter(arn=arn)
            .filter(Q(account_id=role.account_id) | Q(account__isnull=True))
            .first()
        )
        if managed is None:
            raise ValidationError(f"Policy {arn} does not exist or is not attachable.")
        session_docs.append(managed.default_version().document)
        packed += len(arn)
    tags = list(tags or [])
    if len(tags) > SESSION_TAGS_MAX:
        raise ValidationError(f"Cannot exceed quota for SessionTags: {SESSION_TAGS_MAX}")
    lowered = [t["Key"].lower() for t in tags]
    if len(set(lowered)) != len(lowered):
        # InvalidParameterValue, not ValidationError (localstack's AWS recording,
        # test_sts "duplicate-tag-keys-different-casing").
        raise InvalidParameterValue(
            "Duplicate tag keys found. Please note that Tag keys are case insensitive."
        )
    transitive = {k.lower() for k in transitive_tag_keys or []}
    if not transitive <= set(lowered):
        raise InvalidParameterValue(  # localstack's AWS recording "invalid-transitive-tag-keys"
            "The specified transitive tag key must be included in the requested tags."
        )
    inherited = _transitive_tags_of(actor)
    if {t["Key"].lower() for t in inherited} & set(lowered):
        raise InvalidParameterValue(  # "override-transitive-tag-error" (case ignored)
            "One of the specified transitive tag keys can't be set because it conflicts "
            "with a transitive tag key from the calling session."
        )
    packed += sum(len(t["Key"]) + len(t.get("Value", "")) for t in tags)
    percent = (packed * 100 + PACKED_LIMIT - 1) // PACKED_LIMIT if packed else 0
    if percent > 100:
        raise PackedPolicyTooLarge(
            f"Packed policy consumes {percent}% of allotted space, please use smaller policy."
        )

    context: dict[str, Any] = {"sts:RoleSessionName": session_name}
    if external_id is not None:
        context["sts:ExternalId"] = external_id
    if mfa:
        context["aws:MultiFactorAuthPresent"] = "true"
        context["aws:MultiFactorAuthAge"] = "0"
    if source_identity:
        context["sts:SourceIdentity"] = source_identity
    if tags:
        context.update({f"aws:RequestTag/{t['Key']}": t.get("Value", "") for t in tags})
        context["aws:TagKeys"] = [t["Key"] for t in tags]
    kw = {
        "resource_account": role.account_id,
        "context": context,
        "resource_policy": role.trust_policy,
    }
    authorize(actor, "sts:AssumeRole", role.arn, **kw)
    # Passing session tags and a source identity are separate permissions, asked of
    # the trust policy too ("Permissions required to tag sessions").
    if tags:
        authorize(actor, "sts:TagSession", role.arn, **kw)
    if source_identity:
        authorize(actor, "sts:SetSourceIdentity", role.arn, **kw)

    issued = _now()
    new = _issue(
        account_id=role.account_id,
        issued=issued,
        seconds=duration,
        role=role,
        session_name=session_name,
        session_policies=session_docs,
        session_tags=[
            {"Key": t["Key"], "Value": t.get("Value", "")}
            | ({"Transitive": True} if t["Key"].lower() in transitive else {})
            for t in tags
        ]
        + inherited,
        source_identity=source_identity or "",
        mfa_authenticated=mfa,
        source_arn=actor.arn,
    )
    assumed_arn = role_session_arn(role.account_id, role.name, session_name)
    request = {
        "RoleArn": role_arn,
        "RoleSessionName": session_name,
        "DurationSeconds": duration,
        "AccessKeyId": new.credential.access_key_id,
    }
    record_event(actor, "AssumeRole", role.arn, request=request, event_source=STS)
    if role.account_id != actor.account_id:  # the role's owner sees it too, as in CloudTrail
        record_event(
            actor,
            "AssumeRole",
            role.arn,
            request=request,
            event_source=STS,
            account_id=role.account_id,
        )
    return NewCredentials(
        credential=new.credential,
        secret=new.secret,
        session_token=new.session_token,
        assumed_role_arn=assumed_arn,
        assumed_role_id=f"{role.unique_id}:{session_name}",
        packed_policy_size=percent if (session_docs or tags) else None,
    )


@_counts_mfa_attempt  # outermost: the count must survive the rollback
@operation("GetSessionToken", event_source=STS)
def get_session_token(
    *,
    actor: Principal,
    duration_seconds: int | None = None,
    serial_number: str | None = None,
    token_code: str | None = None,
) -> NewCredentials:
    """GetSessionToken: temporary credentials for an IAM user (or root), optionally
    MFA-authenticated. No permission is needed; session credentials cannot call it."""
    if actor.kind == "assumed-role" or actor.access_key_id.startswith("ASIA"):
        raise AccessDenied("Cannot call GetSessionToken with session credentials")
    if actor.kind == "root":
        default, maximum = ROOT_SESSION_MAX, ROOT_SESSION_MAX
    else:
        default, maximum = SESSION_TOKEN_DEFAULT, SESSION_TOKEN_MAX
    duration = default if duration_seconds is None else int(duration_seconds)
    if not MIN_DURATION <= duration <= SESSION_TOKEN_MAX:
        raise ValidationError(
            f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to "
            f"satisfy constraint: Member must have value between {MIN_DURATION} and {SESSION_TOKEN_MAX}"
        )
    # Root sessions longer than an hour default to one hour (AWS docs).
    duration = min(duration, maximum)
    mfa = _verify_mfa(actor, serial_number, token_code)
    user = IamUser.objects.get(pk=actor.user_id) if actor.kind == "user" else None
    new = _issue(
        account_id=actor.account_id,
        issued=_now(),
        seconds=duration,
        user=user,
        is_root=actor.kind == "root",
        mfa_authenticated=mfa,
        source_arn=actor.arn,
    )
    record_event(
        actor,
        "GetSessionToken",
        actor.arn,
        request={"DurationSeconds": duration, "MFA": mfa},
        event_source=STS,
    )
    return new


def get_caller_identity(*, actor: Principal) -> dict[str, str]:
    """GetCallerIdentity: needs no permission and cannot be denied."""
    return {"UserId": actor.unique_id, "Account": actor.account_id, "Arn": actor.arn}


@operation("GetAccessKeyInfo", event_source=STS, read_only=True)
def get_access_key_info(*, actor: Principal, access_key_id: str) -> str:
    """GetAccessKeyInfo: the account that owns an access key id (long-term or temporary)."""
    authorize(actor, "sts:GetAccessKeyInfo", "*")
    account = (
        AccessKey.objects.filter(access_key_id=access_key_id)
        .values_list("account_id", flat=True)
        .first()
        or TemporaryCredential.objects.filter(access_key_id=access_key_id)
        .values_list("account_id", flat=True)
        .first()
    )
    if account is None:
        raise InvalidParameterValue("The access key ID is not valid.")
    return account


@operation("DecodeAuthorizationMessage", event_source=STS)
def decode_authorization_message(*, actor: Principal, encoded_message: str) -> str:
    """DecodeAuthorizationMessage. This service's AccessDenied messages are plain text
    (never encoded), so there is never a message to decode."""
    authorize(actor, "sts:DecodeAuthorizationMessage", "*")
    raise InvalidAuthorizationMessage("The encoded authorization message is invalid.")
