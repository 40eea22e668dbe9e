"""Account-level operations: sign-up, alias, password policy, account summary."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.errors import AccessDenied, EntityAlreadyExists, NoSuchEntity, ValidationError
from accounts.ids import account_id as random_account_id
from accounts.models import (
    AccessKey,
    Account,
    ConsoleUser,
    Group,
    IamUser,
    InstanceProfile,
    MfaDevice,
    PasswordPolicy,
    PendingSignUp,
    Role,
    ServerCertificate,
    SigningCertificate,
)
from accounts.operations import common as q
from accounts.operations.instance_profiles import INSTANCE_PROFILES_PER_ACCOUNT
from accounts.operations.providers import provider_count
from accounts.operations.server_certificates import SERVER_CERTIFICATES_PER_ACCOUNT
from accounts.operations.user_credentials import SIGNING_CERTIFICATES_PER_USER
from accounts.principal import Principal, root_principal
from accounts.validation import check_alias, default_password_problems
from audit.trail import record_event
from iamconsole.ops import operation
from policies.authorization import authorize, authorize_with_password_policy_grant
from policies.models import ManagedPolicy

__all__ = [
    "NewAccount",
    "SignUpStarted",
    "check_sign_up",
    "complete_sign_up",
    "pending_sign_up",
    "start_sign_up",
    "create_account_alias",
    "delete_account_alias",
    "delete_account_password_policy",
    "get_account_password_policy",
    "account_summary",
    "get_account_summary",
    "list_account_aliases",
    "sign_up",
    "update_account_password_policy",
]


@dataclass(frozen=True)
class NewAccount:
    account: Account
    root: ConsoleUser


def check_sign_up(
    *, email: str, password: str, alias: str | None = None, account_id: str | None = None
) -> str:
    """Refuse a sign-up the rules do not allow; the normalized email otherwise.

    Says nothing about whether the email already has an account (see ``start_sign_up``).
    """
    email = email.strip()
    if not email or "@" not in email or len(email) > 254:
        raise ValidationError("Enter a valid email address.")
    if len(password) < 8:
        raise ValidationError("The root password must have at least 8 characters.")
    # AWS's default password policy applies to the root password too (IAM User Guide,
    # "Set an account password policy for IAM users": not the account name or email).
    problems = default_password_problems(password, names=(email, alias or "", account_id or ""))
    if problems:
        raise ValidationError(" ".join(problems))
    if account_id is not None and (
        len(account_id) != 12 or not (account_id.isascii() and account_id.isdigit())
    ):
        raise ValidationError("An account id is 12 digits.")
    if alias:
        check_alias(alias)
    return email


def sign_up(
    *,
    email: str,
    password: str,
    account_id: str | None = None,
    alias: str | None = None,
    source_ip: str | None = None,
) -> NewAccount:
    """Create an account and its root user (Argon2-hashed password).

    Not an IAM action (there is no actor yet, and AWS signs up outside IAM), so not
    an ``@operation``: it runs its own transaction per attempt and audits the
    ``CreateAccount`` it makes.

    Root emails are unique across the installation (they are the sign-in name).
    """
    email = check_sign_up(email=email, password=password, alias=alias, account_id=account_id)
    username = f"root:{email.lower()}"
    for _ in range(20):
        new_id = account_id or random_account_id()
        try:
            with transaction.atomic():
                if ConsoleUser.objects.filter(username=username).exists():
                    raise EntityAlreadyExists("An account with this email address already exists.")
                if Account.objects.filter(pk=new_id).exists():
                    if account_id:
                        raise EntityAlreadyExists(f"Account {account_id} already exists.")
                    continue
                if alias and Account.objects.filter(alias=alias).exists():
                    raise EntityAlreadyExists(f"The account alias {alias} already exists.")
                account = Account.objects.create(id=new_id, alias=alias or None)
                root = ConsoleUser.objects.create(
                    username=username,
                    account=account,
                    is_root=True,
                    email=email,
                    password=make_password(password),
                )
                record_event(
                    root_principal(account.id, source_ip=source_ip),
                    "CreateAccount",
                    account.root_arn,
                    event_source="signin.amazonaws.com",
                )
                return NewAccount(account=account, root=root)
        except IntegrityError as exc:
            if account_id:
                raise EntityAlreadyExists(
                    "An account with this email, id or alias already exists."
                ) from exc
    raise EntityAlreadyExists("Could not allocate an account id.")


# A sign-up link works for a day (AWS's own sign-up asks for the emailed code at once).
SIGN_UP_LINK_AGE = timedelta(days=1)
BAD_SIGN_UP_LINK = "This sign-up link is not valid or has expired. Sign up again."


@dataclass(frozen=True)
class SignUpStarted:
    """``start_sign_up``'s answer, for the email only: never for the page."""

    email: str
    token: str | None  # None: the email already has an account (send the notice)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_sign_up(*, email: str, password: str, alias: str | None = None) -> SignUpStarted:
    """The console's sign-up form: the same work whether the email is taken or free.

    A free email gets a pending sign-up and a link (the account is made when it is
    followed); a taken one gets nothing but a notice by email. Both hash the
    password once, so neither the page nor its timing tells them apart.
    """
    email = check_sign_up(email=email, password=password, alias=alias)
    if alias and Account.objects.filter(alias=alias).exists():  # aliases are public
        raise EntityAlreadyExists(f"The account alias {alias} already exists.")
    hashed = make_password(password)  # on both paths: the same Argon2 work
    if ConsoleUser.objects.filter(username=f"root:{email.lower()}").exists():
        return SignUpStarted(email=email, token=None)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        stale = timezone.now() - SIGN_UP_LINK_AGE
        PendingSignUp.objects.filter(created__lt=stale).delete()
        PendingSignUp.objects.filter(email__iexact=email).delete()  # the newest link wins
        PendingSignUp.objects.create(
            token_hash=_token_hash(token),
            email=email,
            alias=alias or "",
            password=hashed,
            created=timezone.now(),
        )
    return SignUpStarted(email=email, token=token)


def pending_sign_up(token: str) -> PendingSignUp | None:
    """The unexpired pending sign-up a link's token names."""
    if not token or len(token) > 100:
        return None
    stale = timezone.now() - SIGN_UP_LINK_AGE
    return PendingSignUp.objects.filter(token_hash=_token_hash(token), created__gte=stale).first()


def complete_sign_up(*, token: str, password: str, source_ip: str | None = None) -> NewAccount:
    """Follow the emailed link: the password chosen at sign-up again, then the account.

    The link alone is no credential (a mail scanner or a leaked log line cannot
    use it): the password typed at sign-up must come with it.
    """
    pending = pending_sign_up(token)
    if pending is None:
        raise ValidationError(BAD_SIGN_UP_LINK)
    if not check_password(password, pending.password):
        raise AccessDenied("Your authentication information is incorrect. Please try again.")
    new = sign_up(
        email=pending.email, password=password, alias=pending.alias or None, source_ip=source_ip
    )
    PendingSignUp.objects.filter(pk=pending.pk).delete()
    return new


@operation("CreateAccountAlias")
def create_account_alias(*, actor: Principal, alias: str) -> None:
    check_alias(alias)
    authorize(actor, "iam:CreateAccountAlias", "*")
    account = Account.objects.select_for_update().get(pk=actor.account_id)
    if Account.objects.filter(alias=alias).exclude(pk=account.pk).exists():
        raise EntityAlreadyExists(f"The account alias {alias} already exists.")
    account.alias = alias  # an account has at most one alias: a new one replaces it
    try:
        with transaction.atomic():
            account.save(update_fields=["alias"])
    except IntegrityError as exc:
        raise EntityAlreadyExists(f"The account alias {alias} already exists.") from exc
    record_event(actor, "CreateAccountAlias", "*", request={"AccountAlias": alias})


@operation("DeleteAccountAlias")
def delete_account_alias(*, actor: Principal, alias: str) -> None:
    authorize(actor, "iam:DeleteAccountAlias", "*")
    account = Account.objects.get(pk=actor.account_id)
    if account.alias != alias:
        raise NoSuchEntity(f"The account alias {alias} cannot be found.")
    account.alias = None
    account.save(update_fields=["alias"])
    record_event(actor, "DeleteAccountAlias", "*", request={"AccountAlias": alias})


@operation("ListAccountAliases", read_only=True)
def list_account_aliases(*, actor: Principal) -> list[str]:
    authorize(actor, "iam:ListAccountAliases", "*")
    alias = Account.objects.filter(pk=actor.account_id).values_list("alias", flat=True).first()
    return [alias] if alias else []


@operation("GetAccountPasswordPolicy", read_only=True)
def get_account_password_policy(*, actor: Principal) -> PasswordPolicy:
    # AllowUsersToChangePassword also grants every IAM user iam:GetAccountPasswordPolicy.
    authorize_with_password_policy_grant(actor, "iam:GetAccountPasswordPolicy", "*")
    policy = PasswordPolicy.objects.filter(account_id=actor.account_id).first()
    if policy is None:
        raise NoSuchEntity(
            f"The Password Policy with domain name {actor.account_id} cannot be found."
        )
    return policy


def _range(value: int | None, member: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    if not low <= int(value) <= high:
        raise ValidationError(  # IAM no longer quotes the value (2026 recordings)
            f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
            f"Member must have value {'greater than or equal to ' + str(low) if high > 10**6 else f'between {low} and {high}'}"
        )
    return int(value)


@operation("UpdateAccountPasswordPolicy")
def update_account_password_policy(
    *,
    actor: Principal,
    minimum_password_length: int | None = None,
    require_symbols: bool = False,
    require_numbers: bool = False,
    require_uppercase_characters: bool = False,
    require_lowercase_characters: bool = False,
    allow_users_to_change_password: bool = False,
    max_password_age: int | None = None,
    password_reuse_prevention: int | None = None,
    hard_expiry: bool = False,
) -> PasswordPolicy:
    """UpdateAccountPasswordPolicy: parameters left out take AWS's defaults."""
    authorize(actor, "iam:UpdateAccountPasswordPolicy", "*")
    values = dict(
        minimum_password_length=_range(minimum_password_length, "minimumPasswordLength", 6, 128)
        or 6,
        require_symbols=bool(require_symbols),
        require_numbers=bool(require_numbers),
        require_uppercase_characters=bool(require_uppercase_characters),
        require_lowercase_characters=bool(require_lowercase_characters),
        allow_users_to_change_password=bool(allow_users_to_change_password),
        max_password_age=_range(max_password_age, "maxPasswordAge", 1, 1095),
        password_reuse_prevention=_range(
            password_reuse_prevention, "passwordReusePrevention", 1, 24
        ),
        hard_expiry=bool(hard_expiry),
    )
    policy, _ = PasswordPolicy.objects.update_or_create(
        account_id=actor.account_id, defaults=values
    )
    record_event(actor, "UpdateAccountPasswordPolicy", "*")
    return policy


@operation("DeleteAccountPasswordPolicy")
def delete_account_password_policy(*, actor: Principal) -> None:
    authorize(actor, "iam:DeleteAccountPasswordPolicy", "*")
    deleted, _ = PasswordPolicy.objects.filter(account_id=actor.account_id).delete()
    if not deleted:
        # Not GetAccountPasswordPolicy's text (localstack's AWS recording, 2026-02-13).
        raise NoSuchEntity("The account policy with name PasswordPolicy cannot be found.")
    record_event(actor, "DeleteAccountPasswordPolicy", "*")


@operation("GetAccountSummary", read_only=True)
def get_account_summary(*, actor: Principal) -> dict[str, int]:
    """GetAccountSummary: usage and quotas, with the keys AWS's SummaryMap uses."""
    authorize(actor, "iam:GetAccountSummary", "*")
    return account_summary(actor.account_id)


def account_summary(account_id: str) -> dict[str, int]:
    """GetAccountSummary's map for ``account_id``, unauthorized and outside any
    transaction: for readers that already decided access (a lab's grader)."""
    root_console = ConsoleUser.objects.filter(account_id=account_id, is_root=True).first()
    summary = {
        "Users": IamUser.objects.filter(account_id=account_id).count(),
        "UsersQuota": q.USERS_PER_ACCOUNT,
        "Groups": Group.objects.filter(account_id=account_id).count(),
        "GroupsQuota": q.GROUPS_PER_ACCOUNT,
        "Roles": Role.objects.filter(account_id=account_id).count(),
        "RolesQuota": q.ROLES_PER_ACCOUNT,
        "Policies": ManagedPolicy.objects.filter(account_id=account_id).count(),
        "PoliciesQuota": q.CUSTOMER_POLICIES_PER_ACCOUNT,
        "PolicyVersionsInUse": ManagedPolicy.objects.filter(account_id=account_id).count(),
        "PolicyVersionsInUseQuota": 10000,
        "GroupsPerUserQuota": q.GROUPS_PER_USER,
        "AttachedPoliciesPerUserQuota": q.MANAGED_POLICIES_PER_ENTITY,
        "AttachedPoliciesPerGroupQuota": q.MANAGED_POLICIES_PER_ENTITY,
        "AttachedPoliciesPerRoleQuota": q.MANAGED_POLICIES_PER_ENTITY,
        "AccessKeysPerUserQuota": q.ACCESS_KEYS_PER_USER,
        "UserPolicySizeQuota": q.INLINE_LIMITS["user"],
        "GroupPolicySizeQuota": q.INLINE_LIMITS["group"],
        "RolePolicySizeQuota": q.INLINE_LIMITS["role"],
        "PolicySizeQuota": q.MANAGED_POLICY_LIMIT,
        "AssumeRolePolicySizeQuota": q.TRUST_POLICY_LIMIT,
        "VersionsPerPolicyQuota": q.VERSIONS_PER_POLICY,
        "MFADevices": MfaDevice.objects.filter(account_id=account_id).count(),
        "MFADevicesInUse": MfaDevice.objects.filter(
            account_id=account_id, enabled__isnull=False
        ).count(),
        "AccountMFAEnabled": int(
            bool(
                root_console
                and MfaDevice.objects.filter(
                    user=root_console, confirmed=True, iam_user__isnull=True
                ).exists()
            )
        ),
        "AccountAccessKeysPresent": int(
            AccessKey.objects.filter(account_id=account_id, user__isnull=True).exists()
        ),
        "AccountSigningCertificatesPresent": int(
            SigningCertificate.objects.filter(account_id=account_id, user__isnull=True).exists()
        ),
        "SigningCertificatesPerUserQuota": SIGNING_CERTIFICATES_PER_USER,
        "ServerCertificates": ServerCertificate.objects.filter(account_id=account_id).count(),
        "ServerCertificatesQuota": SERVER_CERTIFICATES_PER_ACCOUNT,
        "Providers": provider_count(account_id),  # OIDC and SAML providers
        "InstanceProfiles": InstanceProfile.objects.filter(account_id=account_id).count(),
        "InstanceProfilesQuota": INSTANCE_PROFILES_PER_ACCOUNT,
        "GlobalEndpointTokenVersion": 1,
    }
    # AWS lists AccountPasswordPresent (1) when the root user has a password
    # (localstack's AWS recording of GetAccountSummary, 2026-02-17).
    if root_console is not None and root_console.has_usable_password():
        summary["AccountPasswordPresent"] = 1
    return summary
