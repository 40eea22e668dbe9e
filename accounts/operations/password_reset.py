"""The root user's "Forgot password?": an emailed, single-use, expiring reset link.

As AWS's root password recovery ("Reset a lost or forgotten root user password",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reset-root-password.html): the
root user enters the account's email address, AWS emails a link, the link opens
a form for a new password; the next sign-in still asks for the MFA code (a reset
never removes or skips MFA). Not IAM actions (nobody is signed in), so not
``@operation``s: each runs its own transaction and audits what it did, as
``sign_up`` does.

The token is Django's ``PasswordResetTokenGenerator`` (an HMAC of the user's
primary key, password hash, last sign-in and email, keyed by ``SECRET_KEY``):
changing the password, or signing in, invalidates every earlier link, so a link
works once. It also expires after ``RESET_LINK_SECONDS``.

CloudTrail records the request as ``PasswordRecoveryRequested`` (event source
``signin.amazonaws.com``; only the root user's flow makes it) and the change of
the root password as ``PasswordUpdated`` (the event AWS records for a root
password change; whether a recovery also records a separate
``PasswordRecoveryCompleted`` could not be established from AWS's docs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts.errors import ValidationError
from accounts.models import ConsoleUser
from accounts.principal import root_principal
from accounts.validation import default_password_problems
from audit.trail import record_event

__all__ = [
    "BAD_RESET_LINK",
    "RESET_LINK_SECONDS",
    "ResetRequested",
    "check_root_password",
    "request_root_password_reset",
    "reset_root_password",
    "reset_target",
]

# AWS does not document how long its recovery link works (not established from the
# docs); one hour keeps a leaked mail short-lived.
RESET_LINK_SECONDS = 3600
BAD_RESET_LINK = (
    "This password reset link is not valid or has expired. Request a new one from the sign-in page."
)
SIGNIN_EVENT_SOURCE = "signin.amazonaws.com"


class _RootResetTokens(PasswordResetTokenGenerator):
    """Django's reset tokens with this module's lifetime and Django's (patchable) clock."""

    key_salt = "accounts.operations.password_reset.RootResetTokens"

    def _now(self) -> datetime:
        return timezone.now().replace(tzinfo=None)  # naive UTC, as the generator expects

    def _make_hash_value(self, user: ConsoleUser, timestamp: int) -> str:  # type: ignore[override]
        # Django's value plus password_changed: a change of any kind voids old links.
        changed = "" if user.password_changed is None else user.password_changed.isoformat()
        return super()._make_hash_value(user, timestamp) + changed

    def check_token(self, user: ConsoleUser | None, token: str | None) -> bool:  # type: ignore[override]
        if not super().check_token(user, token):
            return False
        try:
            issued = int(str(token).split("-")[0], 36)
        except ValueError:
            return False
        return 0 <= self._num_seconds(self._now()) - issued <= RESET_LINK_SECONDS


tokens = _RootResetTokens()


@dataclass(frozen=True)
class ResetRequested:
    """For the email only, never for the page (which answers the same either way)."""

    email: str
    uidb64: str | None  # None: no root user has this email (send nothing)
    token: str | None


def _root_by_email(email: str) -> ConsoleUser | None:
    return ConsoleUser.objects.filter(
        username=f"root:{email.strip().lower()}", is_root=True
    ).first()


def request_root_password_reset(
    *, email: str, source_ip: str | None = None, user_agent: str = ""
) -> ResetRequested:
    """A reset link for the root user with this email, if there is one (audited there)."""
    email = email.strip()
    root = _root_by_email(email)
    if root is None:
        # Django's own PasswordResetForm sends nothing either; the page cannot tell.
        tokens.make_token(ConsoleUser(pk=0, password="", email=email))  # the same HMAC work
        return ResetRequested(email=email, uidb64=None, token=None)
    token = tokens.make_token(root)
    actor = root_principal(root.account_id, source_ip=source_ip, user_agent=user_agent)
    record_event(
        actor,
        "PasswordRecoveryRequested",
        actor.arn,
        event_source=SIGNIN_EVENT_SOURCE,
    )
    return ResetRequested(
        email=root.email, uidb64=urlsafe_base64_encode(force_bytes(root.pk)), token=token
    )


def reset_target(uidb64: str, token: str) -> ConsoleUser | None:
    """The root user a link names, when its token is (still) valid."""
    if not uidb64 or not token or len(uidb64) > 40 or len(token) > 80:
        return None
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, OverflowError):
        return None
    user = ConsoleUser.objects.filter(pk=pk, is_root=True).first()
    if user is None or not tokens.check_token(user, token):
        return None
    return user


def check_root_password(password: str, user: ConsoleUser) -> None:
    """The rules sign-up applies (``check_sign_up``): AWS's default password policy,
    not the account's id, alias or email."""
    if len(password) < 8:
        raise ValidationError("The root password must have at least 8 characters.")
    account = user.account
    problems = default_password_problems(
        password, names=(user.email, account.alias or "", account.id)
    )
    if problems:
        raise ValidationError(" ".join(problems))


def reset_root_password(
    *,
    uidb64: str,
    token: str,
    new_password: str,
    source_ip: str | None = None,
    user_agent: str = "",
) -> ConsoleUser:
    """Set a new root password from a valid link; the link and every session end.

    The token is checked again under the row lock, so two submissions of one link
    cannot both succeed. MFA stays as it is: the next sign-in asks for the code.
    """
    with transaction.atomic():
        found = reset_target(uidb64, token)
        if found is None:
            raise ValidationError(BAD_RESET_LINK)
        user = ConsoleUser.objects.select_for_update().get(pk=found.pk)
        if not tokens.check_token(user, token):
            raise ValidationError(BAD_RESET_LINK)
        check_root_password(new_password, user)
        now = timezone.now()
        user.password = make_password(new_password)  # Argon2 (PASSWORD_HASHERS)
        user.password_changed = now
        user.sessions_valid_after = now  # a recovered password ends every open session
        user.save(update_fields=["password", "password_changed", "sessions_valid_after"])
        actor = root_principal(user.account_id, source_ip=source_ip, user_agent=user_agent)
        record_event(
            actor,
            "PasswordUpdated",
            actor.arn,
            request={"PasswordRecovery": "Yes"},
            event_source=SIGNIN_EVENT_SOURCE,
        )
    return user
