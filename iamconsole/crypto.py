"""Encryption at rest for access-key secrets and TOTP seeds.

SigV4 needs the plaintext secret to verify a signature, so secrets cannot be
hashed; they are sealed with AES-256-GCM. The associated data binds each
ciphertext to its purpose and row (for example ``access-key:AKIA...``), so a
ciphertext copied onto another row fails to open instead of yielding a secret.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_VERSION = b"\x01"


class SealError(Exception):
    """A sealed value could not be opened (wrong key, wrong row, tampered)."""


@cache
def _key(material: str) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"iamconsole-secrets-v1", info=b"aes-gcm"
    )
    return hkdf.derive(material.encode())


def _current_key() -> bytes:
    return _key(settings.IAM_SECRETS_KEY or settings.SECRET_KEY)


def seal(plaintext: str, *, context: str) -> bytes:
    """Encrypt ``plaintext`` bound to ``context`` (purpose and row identity)."""
    nonce = os.urandom(12)
    sealed = AESGCM(_current_key()).encrypt(nonce, plaintext.encode(), context.encode())
    return _VERSION + nonce + sealed


def unseal(blob: bytes, *, context: str) -> str:
    """Decrypt a value sealed with the same ``context``; fail closed otherwise."""
    blob = bytes(blob)
    if len(blob) < 1 + 12 + 16 or blob[:1] != _VERSION:
        raise SealError("unknown sealed format")
    keys = [_current_key(), *(_key(k) for k in settings.IAM_SECRETS_PREVIOUS_KEYS if k)]
    for key in keys:
        try:
            plain = AESGCM(key).decrypt(blob[1:13], blob[13:], context.encode())
        except InvalidTag:
            continue
        return plain.decode()
    raise SealError("sealed value does not open in this context")


# Opened secrets, for the signing-key lookup of every API request. Keyed by the sealed
# blob's SHA-256 with its context and the keys in force: a rotated, replaced or deleted
# secret is a different blob (or no row at all: the caller looks the row up first, on
# every request), so it can never be answered from here; this only saves the AES-GCM.
_opened_lock = threading.Lock()
_opened: OrderedDict[tuple[str, bytes, str, tuple[str, ...]], str] = OrderedDict()
_OPENED_MAX = 4096


def unseal_cached(blob: bytes, *, context: str) -> str:
    """:func:`unseal`, remembering the plaintext per (context, sealed blob, keys)."""
    blob = bytes(blob)
    key = (
        context,
        hashlib.sha256(blob).digest(),
        settings.IAM_SECRETS_KEY or settings.SECRET_KEY,
        tuple(settings.IAM_SECRETS_PREVIOUS_KEYS),
    )
    with _opened_lock:
        hit = _opened.get(key)
        if hit is not None:
            _opened.move_to_end(key)
            return hit
    plain = unseal(blob, context=context)  # SealError propagates, nothing is cached
    with _opened_lock:
        _opened[key] = plain
        while len(_opened) > _OPENED_MAX:
            _opened.popitem(last=False)
    return plain
