"""Sealed secrets survive a key rotation: earlier keys open old values, new ones
are sealed with the current key, and a key never configured opens nothing."""

from __future__ import annotations

import pytest

from iamconsole.crypto import SealError, seal, unseal


def test_a_value_sealed_with_a_previous_key_still_opens(settings):
    settings.IAM_SECRETS_KEY = "old-key-" + "x" * 40
    blob = seal("wJalrXUtnFEMI", context="access-key:AKIAOLD")
    settings.IAM_SECRETS_KEY = "new-key-" + "y" * 40
    with pytest.raises(SealError):
        unseal(blob, context="access-key:AKIAOLD")
    settings.IAM_SECRETS_PREVIOUS_KEYS = ["old-key-" + "x" * 40]
    assert unseal(blob, context="access-key:AKIAOLD") == "wJalrXUtnFEMI"
    # New values are sealed with the current key alone.
    fresh = seal("s3cr3t", context="access-key:AKIANEW")
    settings.IAM_SECRETS_PREVIOUS_KEYS = []
    assert unseal(fresh, context="access-key:AKIANEW") == "s3cr3t"


def test_a_previous_key_does_not_open_a_value_bound_to_another_row(settings):
    settings.IAM_SECRETS_KEY = "old-key-" + "x" * 40
    blob = seal("wJalrXUtnFEMI", context="access-key:AKIAOLD")
    settings.IAM_SECRETS_KEY = "new-key-" + "y" * 40
    settings.IAM_SECRETS_PREVIOUS_KEYS = ["old-key-" + "x" * 40]
    with pytest.raises(SealError):
        unseal(blob, context="access-key:AKIAOTHER")
