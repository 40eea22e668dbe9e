"""The IAM data model: accounts, root and IAM users, groups, roles, keys, MFA.

Formats and limits follow "IAM and AWS STS quotas, name requirements, and
character limits":
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin, VerifyNotAllowed

from accounts.totp import check_code, device_wait_after
from iamconsole.crypto import seal, unseal


def new_generation() -> int:
    import secrets

    return secrets.randbits(62)


class Account(models.Model):
    """An AWS account: 12-digit id, optional alias (the sign-in URL)."""

    id = models.CharField(primary_key=True, max_length=12)
    # Account alias: 3-63 chars, lower-case letters, digits and hyphens, unique
    # across AWS (here: across the installation).
    alias = models.CharField(max_length=63, unique=True, null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    # Set to a new random value whenever a policy, version, attachment, membership or boundary in the
    # account changes: every process's cached compiled policies for the account's
    # principals become stale at once (see policies/cache.py).
    authz_generation = models.PositiveBigIntegerField(default=new_generation)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.alias or self.id

    @property
    def root_arn(self) -> str:
        return f"arn:aws:iam::{self.id}:root"


class PasswordPolicy(models.Model):
    """The account password policy (UpdateAccountPasswordPolicy).

    No row means AWS's default policy: 8 characters minimum, no other rule.
    """

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="password_policy"
    )
    minimum_password_length = models.PositiveSmallIntegerField(default=8)  # 6..128
    require_symbols = models.BooleanField(default=False)
    require_numbers = models.BooleanField(default=False)
    require_uppercase_characters = models.BooleanField(default=False)
    require_lowercase_characters = models.BooleanField(default=False)
    allow_users_to_change_password = models.BooleanField(default=False)
    max_password_age = models.PositiveSmallIntegerField(null=True, blank=True)  # 1..1095 days
    password_reuse_prevention = models.PositiveSmallIntegerField(null=True, blank=True)  # 1..24
    hard_expiry = models.BooleanField(default=False)


class ConsoleUserManager(BaseUserManager["ConsoleUser"]):
    def get_by_natural_key(self, username: str) -> ConsoleUser:
        return self.get(username=username)


class ConsoleUser(AbstractBaseUser):
    """Who can sign in to the console and own MFA devices: a root user or an IAM user.

    Root: ``username`` is ``root:<email>``. IAM user: ``iam:<account>:<lower name>``,
    with a usable password only while the user has a login profile.
    """

    username = models.CharField(max_length=200, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="console_users")
    is_root = models.BooleanField(default=False)
    email = models.EmailField(blank=True)
    login_profile_created = models.DateTimeField(null=True, blank=True)
    password_reset_required = models.BooleanField(default=False)
    password_changed = models.DateTimeField(null=True, blank=True)
    # Sessions signed in before this moment are ended (sign-out everywhere, disable).
    sessions_valid_after = models.DateTimeField(null=True, blank=True)

    USERNAME_FIELD = "username"
    objects = ConsoleUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=models.Q(is_root=True), name="one_root_per_account"
            )
        ]

    @property
    def is_staff(self) -> bool:  # no Django admin
        return False

    @property
    def has_login_profile(self) -> bool:
        return self.is_root or self.login_profile_created is not None


class Taggable(models.Model):
    """Tags as AWS stores them: an ordered list of {"Key", "Value"}; 50 per resource."""

    tags = models.JSONField(default=list, blank=True)

    class Meta:
        abstract = True

    @property
    def tag_dict(self) -> dict[str, str]:
        return {t["Key"]: t["Value"] for t in self.tags}


class IamUser(Taggable):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="users")
    name = models.CharField(max_length=64)
    path = models.CharField(max_length=512, default="/")
    unique_id = models.CharField(max_length=32, unique=True)
    arn = models.CharField(max_length=1200, db_index=True)
    created = models.DateTimeField(auto_now_add=True)
    password_last_used = models.DateTimeField(null=True, blank=True)
    console = models.OneToOneField(ConsoleUser, on_delete=models.PROTECT, related_name="iam_user")
    permissions_boundary = models.ForeignKey(
        "policies.ManagedPolicy", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            # User names are unique case-insensitively within an account.
            models.UniqueConstraint("account", Lower("name"), name="iamuser_name_ci_unique"),
        ]
        # The lists' order (numbered pages: LIMIT/OFFSET over it, iamconsole.ops).
        indexes = [models.Index(fields=["account", "name"], name="iamuser_account_name")]

    def __str__(self) -> str:
        return self.name


class Group(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=128)
    path = models.CharField(max_length=512, default="/")
    unique_id = models.CharField(max_length=32, unique=True)
    arn = models.CharField(max_length=1200, db_index=True)
    created = models.DateTimeField(auto_now_add=True)
    users = models.ManyToManyField(IamUser, through="GroupMembership", related_name="groups")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("account", Lower("name"), name="group_name_ci_unique"),
        ]
        # The lists' order (numbered pages: LIMIT/OFFSET over it, iamconsole.ops).
        indexes = [models.Index(fields=["account", "name"], name="group_account_name")]

    def __str__(self) -> str:
        return self.name


class GroupMembership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE)
    user = models.ForeignKey(IamUser, on_delete=models.CASCADE)
    added = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="membership_unique")]


class Role(Taggable):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="roles")
    name = models.CharField(max_length=64)
    path = models.CharField(max_length=512, default="/")
    unique_id = models.CharField(max_length=32, unique=True)
    arn = models.CharField(max_length=1200, db_index=True)
    created = models.DateTimeField(auto_now_add=True)
    trust_policy = models.TextField()
    description = models.CharField(max_length=1000, blank=True)
    # MaxSessionDuration: 3600..43200 seconds (1 to 12 hours).
    max_session_duration = models.PositiveIntegerField(default=3600)
    permissions_boundary = models.ForeignKey(
        "policies.ManagedPolicy", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_used = models.DateTimeField(null=True, blank=True)
    last_used_region = models.CharField(max_length=32, blank=True)
    # "Revoke active sessions": sessions issued before this instant are denied
    # (AWS attaches a Deny on aws:TokenIssueTime; see operations.revoke_role_sessions).
    sessions_revoked_before = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("account", Lower("name"), name="role_name_ci_unique"),
        ]
        # The lists' order (numbered pages: LIMIT/OFFSET over it, iamconsole.ops).
        indexes = [models.Index(fields=["account", "name"], name="role_account_name")]

    def __str__(self) -> str:
        return self.name


class AccessKey(models.Model):
    """A long-term access key of an IAM user (or of root, which AWS allows but discourages)."""

    access_key_id = models.CharField(max_length=32, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="access_keys")
    user = models.ForeignKey(
        IamUser, null=True, blank=True, on_delete=models.CASCADE, related_name="access_keys"
    )
    secret_sealed = models.BinaryField()
    status = models.CharField(max_length=8, default="Active")  # Active | Inactive
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    last_used_service = models.CharField(max_length=64, blank=True)
    last_used_region = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["created", "access_key_id"]

    @staticmethod
    def seal_context(access_key_id: str) -> str:
        return f"access-key:{access_key_id}"

    def set_secret(self, secret: str) -> None:
        self.secret_sealed = seal(secret, context=self.seal_context(self.access_key_id))

    def secret(self) -> str:
        return unseal(self.secret_sealed, context=self.seal_context(self.access_key_id))

    @property
    def is_root_key(self) -> bool:
        return self.user_id is None


class TemporaryCredential(models.Model):
    """STS credentials (``ASIA…``): a role session or a GetSessionToken session."""

    access_key_id = models.CharField(max_length=32, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    secret_sealed = models.BinaryField()
    session_token_hash = models.CharField(max_length=64)
    issued = models.DateTimeField()
    expires = models.DateTimeField(db_index=True)
    # Role session: role + session name; GetSessionToken: the user (or root) it came from.
    role = models.ForeignKey(
        Role, null=True, blank=True, on_delete=models.CASCADE, related_name="sessions"
    )
    session_name = models.CharField(max_length=64, blank=True)
    user = models.ForeignKey(
        IamUser, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    is_root = models.BooleanField(default=False)
    session_policies = models.JSONField(default=list, blank=True)  # documents (text)
    session_tags = models.JSONField(default=list, blank=True)
    source_identity = models.CharField(max_length=64, blank=True)
    mfa_authenticated = models.BooleanField(default=False)
    source_arn = models.CharField(max_length=1200, blank=True)  # who assumed it

    def set_secret(self, secret: str) -> None:
        self.secret_sealed = seal(secret, context=f"temp-key:{self.access_key_id}")

    def secret(self) -> str:
        return unseal(self.secret_sealed, context=f"temp-key:{self.access_key_id}")


class MfaDevice(ThrottlingMixin, Device):
    """A virtual MFA device (TOTP, RFC 6238, 30-second steps, 6 digits, SHA-1).

    ``Device.user`` is the owner's console identity (root or IAM user). A virtual
    device created but not yet enabled (CreateVirtualMFADevice) belongs to the
    account's root identity with ``confirmed=False`` and no ``iam_user``.
    The seed is sealed at rest; ``last_t`` stops any code from being accepted twice.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="mfa_devices")
    iam_user = models.ForeignKey(
        IamUser, null=True, blank=True, on_delete=models.CASCADE, related_name="mfa_devices"
    )
    serial_number = models.CharField(max_length=1200, unique=True)
    path = models.CharField(max_length=512, default="/")
    seed_sealed = models.BinaryField()
    last_t = models.BigIntegerField(default=-1)
    enabled = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    tags = models.JSONField(default=list, blank=True)

    class Meta(Device.Meta):
        verbose_name = "virtual MFA device"

    def seal_context(self) -> str:
        return f"mfa-seed:{self.serial_number}"

    def set_seed(self, seed: bytes) -> None:
        self.seed_sealed = seal(seed.hex(), context=self.seal_context())

    def seed(self) -> bytes:
        return bytes.fromhex(unseal(self.seed_sealed, context=self.seal_context()))

    def get_throttle_factor(self) -> int:
        return 1

    def verify_is_allowed(self) -> tuple[bool, dict[str, object] | None]:
        """django-otp's doubling waits, capped at 15 minutes (its own cap is 100 years).

        No permanent lock-out: whoever holds the password could otherwise lock the
        owner out of their MFA device for good by failing codes on purpose.
        """
        count, last = self.throttling_failure_count, self.throttling_failure_timestamp
        now = timezone.now()
        wait = device_wait_after(count, last, now)
        if wait:
            return False, {
                "reason": VerifyNotAllowed.N_FAILED_ATTEMPTS,
                "failure_count": count,
                "locked_until": now + timedelta(seconds=wait),
            }
        return True, None

    def verify_token(self, token: object) -> bool:
        """django-otp entry point: accept a code once, within one step of now.

        The attempt is counted atomically before the check (``accounts.totp``);
        no whole-row save, which would write back a stale ``last_t``.
        """
        return check_code(self, str(token)).ok

    # django-otp's own versions save the whole row (stale ``last_t`` and a lost
    # count under concurrency): both become single UPDATE statements here.
    def throttle_increment(self, commit: bool = True) -> None:
        now = timezone.now()
        MfaDevice.objects.filter(pk=self.pk).update(
            throttling_failure_count=F("throttling_failure_count") + 1,
            throttling_failure_timestamp=now,
        )
        self.throttling_failure_count += 1
        self.throttling_failure_timestamp = now

    def throttle_reset(self, commit: bool = True) -> None:
        MfaDevice.objects.filter(pk=self.pk).update(
            throttling_failure_count=0, throttling_failure_timestamp=None
        )
        self.throttling_failure_count = 0
        self.throttling_failure_timestamp = None


class SignInThrottle(models.Model):
    """Failed console sign-ins per identity key, for growing waits.

    Keyed by a hash of the account and identity so unknown and known users are
    throttled alike and nothing reveals which names exist.
    """

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField()
    window_failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    # Failures older than a day are forgotten, so no wait ever becomes permanent.
    last_failure = models.DateTimeField(null=True, blank=True)


class PasswordHistory(models.Model):
    """An IAM user's earlier console passwords (hashes only), newest last.

    PasswordReusePrevention (1..24) refuses the current password and the N-1 before
    it (IAM User Guide, "Set an account password policy for IAM users": "Prevent
    password reuse ... the number of previous passwords"). At most 24 are kept.
    """

    console = models.ForeignKey(
        ConsoleUser, on_delete=models.CASCADE, related_name="password_history"
    )
    password = models.CharField(max_length=128)
    replaced = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-replaced", "-pk"]


class PendingSignUp(models.Model):
    """A sign-up waiting for its emailed link: the account exists only once it is followed.

    /signup/ answers every email alike (taken ones get a notice by email instead),
    so the page reveals no root email. Only the token's SHA-256 is stored.
    """

    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField(max_length=254)
    alias = models.CharField(max_length=63, blank=True)
    password = models.CharField(max_length=128)  # a hash, checked at the link
    created = models.DateTimeField(default=timezone.now)


class CredentialReport(models.Model):
    """The account's latest credential report (GenerateCredentialReport): AWS's CSV, kept
    until a newer one replaces it; GetCredentialReport refuses it once 4 hours old."""

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="credential_report"
    )
    generated = models.DateTimeField()
    content = models.TextField()


class InstanceProfile(Taggable):
    """An instance profile: the container that passes one role to an EC2 instance.

    At most one role (AWS quota InstanceSessionsPerInstanceProfile: 1), so the role is a
    column. PROTECT: DeleteRole refuses a role still in a profile, as AWS does.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="instance_profiles")
    name = models.CharField(max_length=128)
    path = models.CharField(max_length=512, default="/")
    unique_id = models.CharField(max_length=32, unique=True)  # AIPA…
    arn = models.CharField(max_length=1200, db_index=True)
    created = models.DateTimeField(auto_now_add=True)
    role = models.ForeignKey(
        Role, null=True, blank=True, on_delete=models.PROTECT, related_name="instance_profiles"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "account", Lower("name"), name="instanceprofile_name_ci_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ServiceLinkedRoleDeletion(models.Model):
    """A DeleteServiceLinkedRole task (GetServiceLinkedRoleDeletionStatus reads it).

    The deletion completes within the request here, so a task is SUCCEEDED once
    recorded; the row stays so the status call keeps answering.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    task_id = models.CharField(max_length=1200, unique=True)
    role_name = models.CharField(max_length=64)
    status = models.CharField(max_length=16, default="SUCCEEDED")
    created = models.DateTimeField(auto_now_add=True)


class AccessAdvisorJob(models.Model):
    """A GenerateServiceLastAccessedDetails job: what it reports on, computed when read.

    The report is built from the audit trail up to ``completed`` (the job completes at
    once), so GetServiceLastAccessedDetails answers the same for the same job.
    """

    job_id = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    arn = models.CharField(max_length=1200)
    granularity = models.CharField(max_length=16, default="SERVICE_LEVEL")
    created = models.DateTimeField()
    completed = models.DateTimeField()


class SshPublicKey(models.Model):
    """An IAM user's SSH public key for CodeCommit (UploadSSHPublicKey), ``APKA…``.

    A public key is no secret: the body is kept as uploaded. ``blob_sha256`` is the
    SHA-256 of the key's OpenSSH wire blob, whatever encoding it came in (ssh-rsa or
    PEM): the same key uploaded twice for a user is DuplicateSSHPublicKey.
    """

    key_id = models.CharField(max_length=32, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(IamUser, on_delete=models.CASCADE, related_name="ssh_public_keys")
    body = models.TextField()
    fingerprint = models.CharField(max_length=64)
    blob_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=8, default="Active")  # Active | Inactive
    uploaded = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded", "key_id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "blob_sha256"], name="sshkey_unique_per_user")
        ]


class SigningCertificate(models.Model):
    """An X.509 signing certificate of an IAM user, or of root (``user`` empty).

    ``der_sha256`` (the certificate's DER) is unique in the account: AWS's
    DuplicateCertificate is "the same certificate is associated with an IAM user in the
    account" (botocore's iam model).
    """

    certificate_id = models.CharField(max_length=32, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        IamUser,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="signing_certificates",
    )
    body = models.TextField()
    der_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=8, default="Active")  # Active | Inactive
    uploaded = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded", "certificate_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "der_sha256"], name="signingcert_unique_in_account"
            )
        ]


class ServerCertificate(Taggable):
    """A server certificate (UploadServerCertificate), ``ASCA…``: the certificate, its
    chain and its private key. The private key is sealed at rest and never returned."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=128)
    path = models.CharField(max_length=512, default="/")
    server_certificate_id = models.CharField(max_length=32, unique=True)
    arn = models.CharField(max_length=1200, db_index=True)
    body = models.TextField()
    chain = models.TextField(blank=True)
    private_key_sealed = models.BinaryField()
    expiration = models.DateTimeField()
    uploaded = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("account", Lower("name"), name="servercert_name_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def seal_context(self) -> str:
        # The id, not the name: UpdateServerCertificate renames, the id stays.
        return f"server-certificate-key:{self.server_certificate_id}"

    def set_private_key(self, pem: str) -> None:
        self.private_key_sealed = seal(pem, context=self.seal_context())

    def private_key(self) -> str:
        return unseal(self.private_key_sealed, context=self.seal_context())


class ServiceSpecificCredential(models.Model):
    """A service-specific credential of an IAM user (CodeCommit Git credentials,
    Keyspaces, Bedrock and CloudWatch Logs API keys), ``ACCA…``.

    The password (or API-key secret) is shown once, at creation or reset; only its hash
    is kept (Django's password hasher: Argon2).
    """

    credential_id = models.CharField(max_length=32, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        IamUser, on_delete=models.CASCADE, related_name="service_specific_credentials"
    )
    service_name = models.CharField(max_length=128)
    service_user_name = models.CharField(max_length=200, blank=True)
    alias = models.CharField(max_length=200, blank=True)  # Bedrock / CloudWatch Logs keys
    secret_hash = models.CharField(max_length=256)
    status = models.CharField(max_length=8, default="Active")  # Active | Inactive
    created = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created", "credential_id"]

    @property
    def current_status(self) -> str:
        """Expired once past ``expires`` (an API key's CredentialAgeDays), else the status."""
        if self.expires is not None and self.expires <= timezone.now():
            return "Expired"
        return self.status


class OpenIdConnectProvider(Taggable):
    """An IAM OIDC identity provider (CreateOpenIDConnectProvider).

    ``url`` is kept as registered (``https://host/path``: the tokens' ``iss`` must equal
    it); the ARN and GetOpenIDConnectProvider's ``Url`` are the URL without its scheme.
    Client ids (audiences): at most 100; server certificate thumbprints: at most 5.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="oidc_providers")
    url = models.CharField(max_length=255)
    arn = models.CharField(max_length=1200, unique=True)
    client_ids = models.JSONField(default=list, blank=True)
    thumbprints = models.JSONField(default=list, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["arn"]

    def __str__(self) -> str:
        return self.url

    @property
    def host_path(self) -> str:
        """The URL without its scheme: the ARN's resource part and the condition key prefix
        (``token.actions.githubusercontent.com:sub``)."""
        return self.url.split("://", 1)[-1]


class SamlProvider(Taggable):
    """An IAM SAML identity provider (CreateSAMLProvider): the IdP's metadata document,
    whose signing certificates verify the assertions AssumeRoleWithSAML receives."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="saml_providers")
    name = models.CharField(max_length=128)
    arn = models.CharField(max_length=1200, unique=True)
    uuid = models.CharField(max_length=64, unique=True)  # SAMLProviderUUID
    metadata = models.TextField()
    created = models.DateTimeField(auto_now_add=True)
    valid_until = models.DateTimeField()

    class Meta:
        ordering = ["arn"]
        constraints = [
            models.UniqueConstraint("account", Lower("name"), name="samlprovider_name_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class BuiltinIdpIssuer(models.Model):
    """One issuer of the built-in test identity provider (accounts/testidp.py): its
    signing keys, sealed at rest (an RSA key for RS256 tokens and SAML assertions, a
    P-256 key for ES256 tokens; PEMs in one sealed JSON object), and the self-signed
    X.509 certificate of the RSA key that its SAML metadata publishes. Issuers are
    named, not owned by an account: a lab registers one in whichever account it uses."""

    name = models.CharField(max_length=64, unique=True)
    keys_sealed = models.BinaryField()
    certificate = models.TextField()  # PEM
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def seal_context(self) -> str:
        return f"testidp-keys:{self.name}"

    def set_private_keys(self, pems: dict[str, str]) -> None:
        import json  # deferred: the one model that stores JSON text sealed

        self.keys_sealed = seal(json.dumps(pems), context=self.seal_context())

    def private_keys(self) -> dict[str, str]:
        import json  # deferred: see set_private_keys

        return dict(json.loads(unseal(self.keys_sealed, context=self.seal_context())))


class ListPreference(models.Model):
    """A console user's Preferences for one list (AWS's gear dialog): the optional
    columns shown and the page size. AWS keeps these in the browser; here they follow
    the signed-in identity (root or IAM user) across browsers. No IAM data: any
    signed-in identity sets its own (accounts/preferences.py)."""

    user = models.ForeignKey(ConsoleUser, on_delete=models.CASCADE, related_name="list_preferences")
    list_name = models.CharField(max_length=32)
    columns = models.JSONField(default=list)  # keys of the optional columns shown
    page_size = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "list_name"], name="list_preference_unique")
        ]
