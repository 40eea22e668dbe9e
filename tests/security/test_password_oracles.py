"""ChangePassword as a password oracle (item 3): the old password is checked under
the sign-in throttle, before the permission check."""

from __future__ import annotations

import pytest

from tests.conftest import USER_PASSWORD

pytestmark = pytest.mark.django_db


def test_change_password_guessing_is_throttled_like_sign_in(
    root, alice, alice_login, clock, figure
):
    from accounts import throttle
    from accounts.errors import AccessDenied, PasswordPolicyViolation
    from accounts.operations.credentials import change_password
    from policies.operations import put_user_policy
    from tests.conftest import allow_policy

    put_user_policy(
        actor=root, user_name="alice", policy_name="pw", document=allow_policy("iam:ChangePassword")
    )
    answers: dict[str, int] = {}
    for i in range(60):  # one guess a second, as fast as the attack run went
        try:
            change_password(actor=alice, old_password=f"guess-{i}", new_password="short")
        except AccessDenied as exc:
            kind = "throttled" if "Too many failed" in exc.message else exc.message
            answers[kind] = answers.get(kind, 0) + 1
        clock.advance(1)
    checked = answers.get("The old password was incorrect.", 0)
    # The right old password with a bad new one, during the wait: no oracle answer.
    with pytest.raises(AccessDenied) as exc:
        change_password(actor=alice, old_password=USER_PASSWORD, new_password="short")
    during_wait = exc.value.message
    clock.advance(15 * 60)
    with pytest.raises(PasswordPolicyViolation):
        change_password(actor=alice, old_password=USER_PASSWORD, new_password="short")
    figure(
        f"60 guesses in 60 s: {checked} old passwords checked, {answers.get('throttled', 0)} throttled; "
        f"right password during the wait -> AccessDenied"
    )
    assert checked <= throttle.FREE_FAILURES + 6  # 5 free, then 1+2+4+8+16+32 s waits
    assert "Too many failed" in during_wait
