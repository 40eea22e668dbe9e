"""Access keys, login profiles, virtual MFA devices."""

from __future__ import annotations

import pytest

from accounts.errors import (
    AccessDenied,
    EntityAlreadyExists,
    InvalidAuthenticationCode,
    LimitExceeded,
    NoSuchEntity,
    PasswordPolicyViolation,
    ValidationError,
)
from accounts.models import AccessKey
from accounts.operations import credentials as creds
from accounts.operations.account import update_account_password_policy
from accounts.totp import code_at, current_step
from iamconsole.crypto import SealError


def test_access_key_has_aws_format_and_secret_is_encrypted_at_rest(root, iam_user):
    new = creds.create_access_key(actor=root, user_name="alice")
    assert new.key.access_key_id.startswith("AKIA") and len(new.key.access_key_id) == 20
    assert len(new.secret) == 40
    stored = AccessKey.objects.get(pk=new.key.pk)
    assert new.secret.encode() not in bytes(stored.secret_sealed)
    assert stored.secret() == new.secret


def test_swapping_sealed_secrets_between_keys_fails_closed(root, iam_user):
    a = creds.create_access_key(actor=root, user_name="alice").key
    b = creds.create_access_key(actor=root, user_name="alice").key
    a.secret_sealed, b.secret_sealed = b.secret_sealed, a.secret_sealed
    with pytest.raises(SealError):
        a.secret()


def test_at_most_two_access_keys(root, iam_user):
    creds.create_access_key(actor=root, user_name="alice")
    creds.create_access_key(actor=root, user_name="alice")
    with pytest.raises(LimitExceeded):
        creds.create_access_key(actor=root, user_name="alice")
    assert AccessKey.objects.filter(user=iam_user).count() == 2


def test_root_can_have_its_own_keys(root):
    new = creds.create_access_key(actor=root)
    assert new.key.user is None and new.user_name == "root"


def test_update_and_delete_access_key(root, iam_user):
    key = creds.create_access_key(actor=root, user_name="alice").key
    creds.update_access_key(
        actor=root, user_name="alice", access_key_id=key.access_key_id, status="Inactive"
    )
    key.refresh_from_db()
    assert key.status == "Inactive"
    with pytest.raises(ValidationError):
        creds.update_access_key(
            actor=root, user_name="alice", access_key_id=key.access_key_id, status="Off"
        )
    creds.delete_access_key(actor=root, user_name="alice", access_key_id=key.access_key_id)
    with pytest.raises(NoSuchEntity):
        creds.delete_access_key(actor=root, user_name="alice", access_key_id=key.access_key_id)


def test_outsider_cannot_see_another_accounts_key(root, iam_user, outsider):
    key = creds.create_access_key(actor=root, user_name="alice").key
    with pytest.raises(AccessDenied):
        creds.get_access_key_last_used(actor=outsider, access_key_id=key.access_key_id)


def test_login_profile_lifecycle(root, iam_user):
    console = creds.create_login_profile(
        actor=root, user_name="alice", password="Long-enough-1", password_reset_required=True
    )
    assert console.has_login_profile and console.password.startswith("argon2")
    with pytest.raises(EntityAlreadyExists):
        creds.create_login_profile(actor=root, user_name="alice", password="Long-enough-1")
    creds.update_login_profile(actor=root, user_name="alice", password_reset_required=False)
    creds.delete_login_profile(actor=root, user_name="alice")
    with pytest.raises(NoSuchEntity):
        creds.get_login_profile(actor=root, user_name="alice")


def test_password_policy_is_enforced(root, iam_user):
    update_account_password_policy(
        actor=root, minimum_password_length=12, require_numbers=True, require_symbols=True
    )
    with pytest.raises(PasswordPolicyViolation):
        creds.create_login_profile(actor=root, user_name="alice", password="short1!")
    with pytest.raises(PasswordPolicyViolation):
        creds.create_login_profile(actor=root, user_name="alice", password="longbutnonumbers!")
    creds.create_login_profile(actor=root, user_name="alice", password="long-with-1-number")


def _enable(root, name: str, user_name: str | None):
    new = creds.create_virtual_mfa_device(actor=root, name=name)
    t = current_step()
    creds.enable_mfa_device(
        actor=root,
        user_name=user_name,
        serial_number=new.device.serial_number,
        code1=code_at(new.seed, t - 1),
        code2=code_at(new.seed, t),
    )
    return new


def test_virtual_mfa_device_enabled_with_two_consecutive_codes(root, iam_user):
    new = _enable(root, "alice-phone", "alice")
    devices = creds.list_mfa_devices(actor=root, user_name="alice").items
    assert [d.serial_number for d in devices] == [new.device.serial_number]
    assert new.device.serial_number.endswith(":mfa/alice-phone")


def test_mfa_enable_with_non_consecutive_codes_is_refused(root, iam_user):
    new = creds.create_virtual_mfa_device(actor=root, name="phone")
    t = current_step()
    with pytest.raises(InvalidAuthenticationCode):
        creds.enable_mfa_device(
            actor=root,
            user_name="alice",
            serial_number=new.device.serial_number,
            code1=code_at(new.seed, t),
            code2=code_at(new.seed, t),
        )


def test_mfa_code_is_never_accepted_twice(root, iam_user):
    from accounts.models import MfaDevice
    from accounts.totp import verify_and_consume

    new = _enable(root, "phone", "alice")
    device = MfaDevice.objects.get(pk=new.device.pk)
    # Both enrollment codes are already used; the next step's code works once.
    later = current_step() + 1
    code = code_at(new.seed, later)
    assert verify_and_consume(device, code, now=later * 30)
    assert not verify_and_consume(device, code, now=later * 30)
    assert not verify_and_consume(device, code_at(new.seed, current_step()), now=later * 30)


def test_mfa_seed_is_encrypted_at_rest(root, iam_user):
    from accounts.models import MfaDevice

    new = creds.create_virtual_mfa_device(actor=root, name="phone")
    stored = bytes(MfaDevice.objects.get(pk=new.device.pk).seed_sealed)
    assert new.seed not in stored and new.seed.hex().encode() not in stored


def test_deactivate_and_delete_virtual_mfa_device(root, iam_user):
    new = _enable(root, "phone", "alice")
    serial = new.device.serial_number
    creds.deactivate_mfa_device(actor=root, user_name="alice", serial_number=serial)
    assert creds.list_mfa_devices(actor=root, user_name="alice").items == []
    creds.delete_virtual_mfa_device(actor=root, serial_number=serial)
    assert creds.list_virtual_mfa_devices(actor=root).items == []


def test_change_password_needs_permission_unless_the_password_policy_allows_it(
    root, iam_user, alice
):
    from accounts.operations.account import update_account_password_policy

    creds.create_login_profile(actor=root, user_name="alice", password="First-password-1")
    with pytest.raises(AccessDenied):
        creds.change_password(
            actor=alice, old_password="First-password-1", new_password="Second-password-2"
        )
    update_account_password_policy(actor=root, allow_users_to_change_password=True)
    creds.change_password(
        actor=alice, old_password="First-password-1", new_password="Second-password-2"
    )
    with pytest.raises(AccessDenied, match="old password"):
        creds.change_password(actor=alice, old_password="wrong", new_password="Third-password-3")
