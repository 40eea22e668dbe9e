"""Authentication backend: console sign-in for root (email) and IAM users.

The views do the checking (throttling, login profile, MFA); the backend only
maps a session back to its ConsoleUser and ends sessions that were invalidated.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

from accounts.models import ConsoleUser


class ConsoleBackend(BaseBackend):
    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> ConsoleUser | None:
        if not username or password is None:
            return None
        user = ConsoleUser.objects.filter(username=username).first()
        if user is None:
            # Hash anyway so unknown names take as long as wrong passwords.
            ConsoleUser().set_password(password)
            return None
        if not user.has_login_profile:
            # No console password: refuse, after the same hashing work as a wrong one.
            ConsoleUser().set_password(password)
            return None
        if not user.check_password(password):
            return None
        return user

    def get_user(self, user_id: Any) -> ConsoleUser | None:
        return ConsoleUser.objects.filter(pk=user_id).first()
