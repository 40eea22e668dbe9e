"""AWS identifier formats.

Unique ids: a four-letter prefix naming the kind (AIDA user, AGPA group, AROA role,
ANPA managed policy, AKIA access key, ASIA temporary key) and upper-case letters
and digits. See "IAM identifiers", unique identifiers:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-prefixes
"""

from __future__ import annotations

import secrets
import string

# AWS unique ids use upper-case letters and digits; access-key ids in practice use
# base32 (A-Z, 2-7).
_UNIQUE_ALPHABET = string.ascii_uppercase + string.digits
_KEY_ALPHABET = string.ascii_uppercase + "234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "/+"


def unique_id(prefix: str) -> str:
    """A 21-character unique id such as ``AIDA`` + 17 characters."""
    return prefix + "".join(secrets.choice(_UNIQUE_ALPHABET) for _ in range(17))


def access_key_id(prefix: str = "AKIA") -> str:
    """A 20-character access key id: ``AKIA`` (or ``ASIA``) + 16 characters."""
    return prefix + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))


def secret_access_key() -> str:
    """A 40-character secret access key."""
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))


def account_id() -> str:
    """A random 12-digit account id."""
    return "".join(secrets.choice(string.digits) for _ in range(12))
