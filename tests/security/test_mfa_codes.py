"""MFA codes under attack: parallel sessions replaying one code, parallel wrong codes,
STS ``TokenCode`` guessing, and a user squatting the root's MFA device name.

Each test makes the attack the way the attack run made it (separate sessions
against the real views, or signed API calls) and records what got through.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.conftest import HTMX, TOTP_SEED
from tests.conftest import signed_in as console_session  # this module has its own signed_in

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL, PASSWORD = "root@example.com", "root-password-1"
JOIN_TIMEOUT = 120  # a racer stuck longer than this fails the test instead of hanging it


def race(fns):
    """Run each ``fn()`` in its own thread, released together; results or exceptions."""
    barrier = threading.Barrier(len(fns))
    results: list[object] = [None] * len(fns)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=JOIN_TIMEOUT)
            results[i] = fns[i]()
        except Exception as exc:  # noqa: BLE001
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(fns))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    stuck = [i for i, t in enumerate(threads) if t.is_alive()]
    assert not stuck, f"racers {stuck} still running after {JOIN_TIMEOUT}s"
    return results


def root_session_at_mfa_step() -> Client:
    c = Client()
    c.post(reverse("accounts:signin"), {"email": EMAIL})
    r = c.post(reverse("accounts:signin-password"), {"password": PASSWORD})
    assert r.status_code == 302 and r.url == reverse("accounts:signin-mfa"), r
    return c


def signed_in(response) -> bool:
    return response.status_code == 302 and response.url == reverse("iamconsole:dashboard")


def wrong_code(good: str, i: int) -> str:
    code = f"{(int(good) + 1 + i) % 1_000_000:06d}"
    return code if code != good else f"{(int(good) + 500_000) % 1_000_000:06d}"


def test_ten_parallel_root_sessions_with_one_code_sign_in_once(totp_device, clock, figure):
    """10 sessions post the same valid code to the root MFA step at the same instant."""
    from accounts.totp import code_at

    rounds, successes = 3, []
    for n in range(rounds):
        clock.advance(30)  # a fresh step each round
        good = code_at(TOTP_SEED, clock.step)
        sessions = [root_session_at_mfa_step() for _ in range(10)]
        url = reverse("accounts:signin-mfa")
        results = race([lambda c=c: c.post(url, {"code": good}) for c in sessions])
        errors = [r for r in results if isinstance(r, Exception)]
        assert not errors, errors
        successes.append(sum(signed_in(r) for r in results))
        assert all(r.status_code in (200, 302, 429) for r in results)
    figure(f"10 parallel root sessions, 1 code, {rounds} rounds: {successes} sign-ins")
    assert successes == [1] * rounds


def test_parallel_root_sessions_mixing_right_and_wrong_codes_sign_in_at_most_once(
    totp_device, clock, figure
):
    """7 sessions post the valid code, 3 post wrong ones, all at once: a failed code's
    bookkeeping must not re-open the used step (it did: django-otp saved a stale row)."""
    from accounts.models import MfaDevice
    from accounts.totp import code_at

    rounds, successes, checked_failures, counted = 3, [], [], []
    for n in range(rounds):
        clock.advance(15 * 60 + 30)  # past any device wait and onto a fresh step
        MfaDevice.objects.filter(pk=totp_device.pk).update(
            throttling_failure_count=0, throttling_failure_timestamp=None
        )
        good = code_at(TOTP_SEED, clock.step)
        codes = [good] * 7 + [wrong_code(good, i) for i in range(3)]
        sessions = [root_session_at_mfa_step() for _ in codes]
        url = reverse("accounts:signin-mfa")
        results = race(
            [lambda c=c, code=code: c.post(url, {"code": code}) for c, code in zip(sessions, codes)]
        )
        assert not [r for r in results if isinstance(r, Exception)], results
        wins = sum(signed_in(r) for r in results)
        refused_checked = sum(
            r.status_code == 200 and "authentication information is incorrect" in r.content.decode()
            for r in results
        )
        successes.append(wins)
        checked_failures.append(refused_checked)
        counted.append(MfaDevice.objects.get(pk=totp_device.pk).throttling_failure_count)
        # The winner's UPDATE resets the count, so failures checked before it are
        # wiped; "none lost" is the wrong-codes-only rows below.
        assert counted[-1] <= refused_checked
    figure(
        f"7 right + 3 wrong codes in parallel sessions, {rounds} rounds: sign-ins {successes}, "
        f"checked failures {checked_failures}, failure counter {counted}"
    )
    # At most one sign-in per step. None is a correct outcome too: on PostgreSQL a
    # wrong code checked first starts the device's wait, and every right code that
    # arrives during it is refused unchecked (on SQLite the winner usually goes first).
    assert all(w <= 1 for w in successes)


def test_parallel_iam_user_sessions_with_one_code_sign_in_once(
    user_totp_device, alice_login, clock, figure
):
    from accounts.totp import code_at
    from tests.conftest import USER_PASSWORD

    def session() -> Client:
        c = Client()
        r = c.post(
            reverse("accounts:user-signin", args=[alice_login.account_id]),
            {"account": alice_login.account_id, "username": "alice", "password": USER_PASSWORD},
        )
        assert r.status_code == 302 and r.url == reverse("accounts:user-signin-mfa"), r
        return c

    rounds, successes = 2, []
    for _ in range(rounds):
        clock.advance(15 * 60 + 30)
        good = code_at(TOTP_SEED, clock.step)
        sessions = [session() for _ in range(10)]
        url = reverse("accounts:user-signin-mfa")
        results = race([lambda c=c: c.post(url, {"code": good}) for c in sessions])
        assert not [r for r in results if isinstance(r, Exception)], results
        successes.append(sum(r.status_code == 302 and "signin" not in r.url for r in results))
    figure(f"10 parallel IAM-user sessions, 1 code, {rounds} rounds: {successes} sign-ins")
    assert successes == [1] * rounds


def test_parallel_wrong_codes_on_the_reauth_step_are_all_counted(
    console, root, iam_user, totp_device, clock, figure, monkeypatch
):
    """30 signed-in sessions post wrong codes to the re-auth step (create access key) at
    once: every code that was checked raises the failure counter by exactly one."""
    import accounts.totp
    from accounts.models import MfaDevice
    from accounts.totp import code_at

    checks: list[bool] = []
    real = accounts.totp.verify_and_consume

    def counted(*args, **kwargs):  # every code actually checked against the seed
        ok = real(*args, **kwargs)
        checks.append(ok)
        return ok

    monkeypatch.setattr(accounts.totp, "verify_and_consume", counted)
    good = code_at(TOTP_SEED, clock.step)
    sessions = []
    for _ in range(30):
        sessions.append(console_session(Client(), root, device=totp_device))  # same root
    url = reverse("accounts:user-create-access-key", args=[iam_user.name])
    results = race(
        [
            lambda c=c, i=i: c.post(url, {"mfa_code": wrong_code(good, i)}, headers=HTMX)
            for i, c in enumerate(sessions)
        ]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    refused = sum(r.status_code == 403 for r in results)
    checked = len(checks)
    count = MfaDevice.objects.get(pk=totp_device.pk).throttling_failure_count
    figure(
        f"30 parallel wrong re-auth codes: {refused} refused, {checked} checked, "
        f"failure counter 0 -> {count}"
    )
    assert refused == 30 and not any(checks) and checked >= 1
    assert count == checked  # none lost


def test_parallel_wrong_codes_checked_on_stale_device_copies_are_all_counted(totp_device, figure):
    """N threads, each with its own (stale) copy of the device, send one wrong code each."""
    from accounts.models import MfaDevice
    from accounts.totp import check_code

    n = 12
    copies = [MfaDevice.objects.get(pk=totp_device.pk) for _ in range(n)]
    results = race([lambda d=d: check_code(d, "000000") for d in copies])
    assert not [r for r in results if isinstance(r, Exception)], results
    checked = sum(not r.ok and not r.wait for r in results)
    count = MfaDevice.objects.get(pk=totp_device.pk).throttling_failure_count
    figure(f"{n} parallel wrong codes on stale copies: {checked} checked, counter 0 -> {count}")
    assert checked >= 1 and count == checked
    assert MfaDevice.objects.get(pk=totp_device.pk).last_t == totp_device.last_t


# -- STS TokenCode (item 2) ------------------------------------------------------------------


@pytest.mark.parametrize("action", ["GetSessionToken", "AssumeRole"])
def test_sts_token_code_guessing_is_throttled_per_device(
    action, root, alice, user_totp_device, clock, figure
):
    """1,000 wrong codes once went through at 88/s and the right one then worked at once."""
    import json

    from accounts.errors import AccessDenied
    from accounts.models import MfaDevice
    from accounts.operations.roles import create_role
    from accounts.operations.sts import MFA_FAILED, assume_role, get_session_token
    from accounts.totp import code_at, matching_step

    if action == "AssumeRole":
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": alice.arn}, "Action": "sts:AssumeRole"}
            ],
        }
        role = create_role(actor=root, name="guarded", trust_policy=json.dumps(trust))

    def call(code: str):
        kw = {"actor": alice, "serial_number": user_totp_device.serial_number, "token_code": code}
        if action == "AssumeRole":
            return assume_role(role_arn=role.arn, session_name="s", **kw)
        return get_session_token(**kw)

    good = code_at(TOTP_SEED, clock.step)
    denied = checked_before_wait = 0
    for i in range(200):
        code = wrong_code(good, i)
        assert matching_step(TOTP_SEED, code, now=clock.t) is None
        with pytest.raises(AccessDenied) as exc:
            call(code)
        assert exc.value.message == MFA_FAILED
        denied += 1
        clock.advance(0.05)  # 20 guesses a second
    from accounts import throttle
    from accounts.models import SignInThrottle

    row = SignInThrottle.objects.get(key=throttle.device_key(user_totp_device.pk))
    checked_before_wait = row.failures
    with pytest.raises(AccessDenied) as exc:  # the right code, during the wait
        call(code_at(TOTP_SEED, clock.step))
    assert exc.value.message == MFA_FAILED
    assert MfaDevice.objects.get(pk=user_totp_device.pk).last_t < clock.step  # not consumed
    clock.advance(15 * 60 + 1)
    new = call(code_at(TOTP_SEED, clock.step))
    assert new.credential.mfa_authenticated
    figure(
        f"{action}: {denied} wrong codes in 10 s, {checked_before_wait} checked, the right code "
        f"refused during the wait, accepted after it"
    )
    assert checked_before_wait <= 10


# -- root's MFA device name (item 4) -----------------------------------------------------------


def test_a_user_cannot_squat_the_root_mfa_device_name(root, alice, client, figure):
    from accounts.errors import InvalidInput
    from accounts.operations.credentials import create_virtual_mfa_device
    from policies.operations import put_user_policy
    from tests.conftest import allow_policy

    put_user_policy(
        actor=root, user_name="alice", policy_name="mfa", document=allow_policy("iam:*MFADevice")
    )
    squats = []
    for name in ("root-account-mfa-device", "Root-Account-MFA-Device", "root-account-mfa-device-x"):
        with pytest.raises(InvalidInput):
            create_virtual_mfa_device(actor=alice, name=name)
        squats.append(name)
    # Root's first sign-in then enrolls as usual.
    client.post(reverse("accounts:signin"), {"email": EMAIL})
    client.post(reverse("accounts:signin-password"), {"password": PASSWORD})
    r = client.get(reverse("accounts:signin-mfa-enroll"))
    figure(f"{len(squats)} squatting names refused; root's enrollment page: {r.status_code}")
    assert r.status_code == 200 and "root-account-mfa-device" in r.content.decode()


def test_root_enrollment_survives_a_squatted_serial_from_old_data(root, iam_user, client, figure):
    """Data from before the name was reserved: a user's *enabled* device holds root's serial."""
    from django.utils import timezone

    from accounts.models import MfaDevice
    from accounts.totp import code_at, current_step

    squatter = MfaDevice(
        account_id=iam_user.account_id,
        user=iam_user.console,
        iam_user=iam_user,
        name="root-account-mfa-device",
        serial_number=f"arn:aws:iam::{iam_user.account_id}:mfa/root-account-mfa-device",
        confirmed=True,
        enabled=timezone.now(),
    )
    squatter.set_seed(TOTP_SEED)
    squatter.save()
    client.post(reverse("accounts:signin"), {"email": EMAIL})
    client.post(reverse("accounts:signin-password"), {"password": PASSWORD})
    statuses = [client.get(reverse("accounts:signin-mfa-enroll")).status_code for _ in range(3)]
    device = MfaDevice.objects.get(
        account_id=iam_user.account_id, iam_user__isnull=True, enabled__isnull=True
    )
    seed, t = device.seed(), current_step()
    r = client.post(
        reverse("accounts:signin-mfa-enroll"),
        {"code1": code_at(seed, t - 1), "code2": code_at(seed, t)},
    )
    figure(f"squatted serial: enrollment pages {statuses}, enrollment -> {r.status_code}")
    assert statuses == [200, 200, 200]
    assert r.status_code == 302 and r.url == reverse("iamconsole:dashboard")
    assert MfaDevice.objects.filter(pk=squatter.pk, iam_user=iam_user).exists()
