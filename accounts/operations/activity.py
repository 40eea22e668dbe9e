"""Last-used bookkeeping: when a credential, a role or a password was last used.

Not IAM actions (nothing to authorize, nothing to audit: the request that used
the credential is audited by its own operation), but writes, so they live here
rather than in the API view or a sign-in page. Each is one conditional UPDATE, so
concurrent requests never lose or reorder a newer value, and a credential used
many times a second costs at most one write per resolution.

AWS reports last use with minute-level granularity ("Viewing last accessed
information", GetAccessKeyLastUsed); one second here is finer than that.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from accounts.models import AccessKey, ConsoleUser, IamUser, Role

__all__ = [
    "LAST_USED_RESOLUTION",
    "record_access_key_use",
    "record_password_use",
    "record_role_use",
    "require_password_change",
]

LAST_USED_RESOLUTION = timedelta(seconds=1)


def record_access_key_use(
    key: AccessKey, *, service: str, region: str, now: datetime | None = None
) -> bool:
    """An access key signed a request for ``service`` in ``region``.

    Writes only when the service or region changed or the last recorded use is older
    than the resolution; returns whether a row was written.
    """
    now = now or timezone.now()
    # Skip the round trip when the row already says so (the common case under load).
    if (
        key.last_used is not None
        and now - key.last_used <= LAST_USED_RESOLUTION
        and key.last_used_service == service
        and key.last_used_region == region
    ):
        return False
    stale = (
        Q(last_used__isnull=True)
        | Q(last_used__lt=now - LAST_USED_RESOLUTION)
        | ~Q(last_used_service=service)
        | ~Q(last_used_region=region)
    )
    written = (
        AccessKey.objects.filter(pk=key.pk)
        .filter(stale)
        .update(last_used=now, last_used_service=service, last_used_region=region)
    )
    return bool(written)


def record_role_use(role: Role, *, region: str, now: datetime | None = None) -> bool:
    """A session of ``role`` made a request in ``region`` (RoleLastUsed)."""
    now = now or timezone.now()
    if role.last_used is not None and now - role.last_used <= LAST_USED_RESOLUTION:
        return False
    stale = Q(last_used__isnull=True) | Q(last_used__lt=now - LAST_USED_RESOLUTION)
    written = (
        Role.objects.filter(pk=role.pk).filter(stale).update(last_used=now, last_used_region=region)
    )
    return bool(written)


def record_password_use(user: IamUser, *, now: datetime | None = None) -> None:
    """The user signed in to the console with their password (PasswordLastUsed)."""
    IamUser.objects.filter(pk=user.pk).update(password_last_used=now or timezone.now())


def require_password_change(console: ConsoleUser) -> None:
    """The password outlived the account's MaxPasswordAge: the next sign-in step is the
    forced change, as with a reset an administrator required (PasswordResetRequired)."""
    ConsoleUser.objects.filter(pk=console.pk).update(password_reset_required=True)
    console.password_reset_required = True
