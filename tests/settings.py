"""The test process's settings: production settings (``iamconsole.settings``) with one
change, a cheap Argon2.

Fixtures set and check hundreds of passwords; at Django's Argon2 defaults each hash
costs about 0.14 s (far more with every core busy). The hashes stay Argon2 (the same
``argon2`` algorithm name, so ``identify_hasher`` and the tests that check the stored
format see Argon2, and the production hasher verifies them: the cost parameters are in
the hash), computed at the lowest cost. Servers the tests start in subprocesses inherit
``DJANGO_SETTINGS_MODULE`` and use these settings too; tests that check production
behaviour set ``DJANGO_SETTINGS_MODULE=iamconsole.settings`` themselves.
``tests/security/test_console_auth.py::test_production_settings_hash_with_strong_argon2``
checks that production settings still hash at strong parameters.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher

from iamconsole.settings import *  # noqa: F403
from iamconsole.settings import PASSWORD_HASHERS as _PRODUCTION_HASHERS


class CheapArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id at the minimum cost (one pass over 8 KiB): for tests only."""

    time_cost = 1
    memory_cost = 8
    parallelism = 1


# In production's place: two hashers of one algorithm name would let ``identify_hasher``
# pick the production one, whose ``must_update`` would rehash (and save) at every sign-in.
PASSWORD_HASHERS = [
    "tests.settings.CheapArgon2PasswordHasher" if h.endswith(".Argon2PasswordHasher") else h
    for h in _PRODUCTION_HASHERS
]

# Between transactional tests, everything but the AWS-managed catalog is deleted
# (tests/flush.py), on both backends.
_ENGINE = DATABASES["default"]["ENGINE"]  # noqa: F405
DATABASES["default"]["ENGINE"] = {  # noqa: F405
    "django.db.backends.postgresql": "tests.postgres",
    "iamconsole.sqlite": "tests.sqlite",
}.get(_ENGINE, _ENGINE)
