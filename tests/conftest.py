"""Shared fixtures and personas: ``root`` (an account's root), ``alice`` (an IAM user
of the same account) and ``outsider`` (root of another account)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")  # cheap Argon2


# The longest tests first (measured; scripts/run-tests.sh prints the slowest 30): a long
# test that starts last keeps one worker busy while the other has nothing left to do.
SLOW_FIRST = (
    "tests/security/test_crash.py",
    "tests/tools/test_ansible.py",
    "tests/security/test_api_auth.py::test_aws_sigv4_test_suite_vectors_all_pass",
    "tests/security/test_static_analysis.py",
    "tests/security/test_privesc_console.py",
    "tests/security/test_console_auth.py",
    "tests/security/test_permission_matrix.py",
    "tests/e2e/",
    "tests/security/test_mfa_codes.py",
    "tests/accounts/console/test_users_list.py",
)


def pytest_collection_modifyitems(config, items):
    """Run ``SLOW_FIRST`` first, in its order; every other test keeps its place. The
    order is the same in every xdist worker (they must agree)."""

    def rank(item) -> int:
        for i, prefix in enumerate(SLOW_FIRST):
            if item.nodeid.startswith(prefix):
                return i
        return len(SLOW_FIRST)

    items.sort(key=rank)  # stable


# -- the AWS managed policy catalog after a flush ---------------------------------------
#
# After each transactional test (``transactional_db``, ``live_server``: most of
# tests/api) Django flushes every table and emits ``post_migrate``, whose receiver
# (policies.catalog_sync.sync_after_migrate) builds the AWS managed policy catalog
# again through the ORM: 1,500+ policies and their versions, 1-2 s each time. The same
# rows, taken once from the freshly migrated test database, go back with one
# ``executemany`` per table instead. Only into an empty catalog: anything else (a test
# that runs ``migrate`` over a database holding the catalog) goes to the real receiver.


def _catalog_tables():
    from policies.models import CatalogState, ManagedPolicy, PolicyVersion

    mp, pv, cs = (m._meta.db_table for m in (ManagedPolicy, PolicyVersion, CatalogState))
    return [  # (model, SELECT of the catalog's rows), parents first
        (ManagedPolicy, f'SELECT * FROM "{mp}" WHERE account_id IS NULL'),
        (
            PolicyVersion,
            f'SELECT * FROM "{pv}" WHERE policy_id IN '
            f'(SELECT id FROM "{mp}" WHERE account_id IS NULL)',
        ),
        (CatalogState, f"SELECT * FROM \"{cs}\" WHERE key = 'aws-managed'"),
    ]


def _catalog_snapshot(connection):
    snapshot = []
    with connection.cursor() as cursor:
        for model, select in _catalog_tables():
            cursor.execute(select)
            columns = [d[0] for d in cursor.description]
            snapshot.append((model, columns, cursor.fetchall()))
    return snapshot


def _catalog_restore(connection, snapshot) -> bool:
    """Put the snapshot's rows back into an empty catalog; False if it is not empty."""
    import json

    from django.db import transaction

    with connection.cursor() as cursor:
        for model, select in _catalog_tables():
            cursor.execute(f"SELECT COUNT(*) FROM ({select}) AS catalog")
            if cursor.fetchone()[0]:
                return False
    json_columns = {
        f.column
        for model, _columns, _rows in snapshot
        for f in model._meta.concrete_fields
        if f.get_internal_type() == "JSONField"
    }
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for model, columns, rows in snapshot:
            if not rows:
                continue
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            marks = ", ".join(f"%s{cast}" if c in json_columns else "%s" for c in columns)
            at = [i for i, c in enumerate(columns) if c in json_columns]
            if at:  # a driver may hand JSON back decoded: send it as text
                rows = [
                    tuple(
                        json.dumps(v) if i in at and not isinstance(v, str) else v
                        for i, v in enumerate(row)
                    )
                    for row in rows
                ]
            cursor.executemany(
                f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({quoted}) "
                f"VALUES ({marks})",
                rows,
            )
    return True


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.apps import apps
    from django.db import connections
    from django.db.models.signals import post_migrate

    from policies.catalog_sync import sync_after_migrate

    with django_db_blocker.unblock():
        snapshots = {"default": _catalog_snapshot(connections["default"])}
    config = apps.get_app_config("policies")

    def restore_catalog(sender, using="default", **kwargs):
        if using not in snapshots or not _catalog_restore(connections[using], snapshots[using]):
            sync_after_migrate(sender, using=using, **kwargs)

    post_migrate.disconnect(sync_after_migrate, sender=config)
    post_migrate.connect(restore_catalog, sender=config, weak=False)
    try:
        yield
    finally:
        post_migrate.disconnect(restore_catalog, sender=config)
        post_migrate.connect(sync_after_migrate, sender=config)


@pytest.fixture
def account(db):
    from accounts.operations.account import sign_up

    return sign_up(
        email="root@example.com", password="root-password-1", account_id="111122223333"
    ).account


@pytest.fixture
def root_user(account):
    return account.console_users.get(is_root=True)


@pytest.fixture
def root(account):
    from accounts.principal import root_principal

    return root_principal(account.id, source_ip="127.0.0.1")


@pytest.fixture
def other_account(db):
    from accounts.operations.account import sign_up

    return sign_up(
        email="other@example.org", password="other-password-1", account_id="444455556666"
    ).account


@pytest.fixture
def outsider(other_account):
    from accounts.principal import root_principal

    return root_principal(other_account.id, source_ip="127.0.0.2")


@pytest.fixture
def iam_user(root):
    from accounts.operations.users import create_user

    return create_user(actor=root, name="alice")


@pytest.fixture
def alice(iam_user):
    from accounts.principal import user_principal

    return user_principal(iam_user, source_ip="127.0.0.1")


@pytest.fixture
def group(root):
    from accounts.operations.groups import create_group

    return create_group(actor=root, name="developers")


def allow_policy(action: str | list[str] = "*", resource: str | list[str] = "*") -> str:
    import json

    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}],
        }
    )


@pytest.fixture(autouse=True)
def _fresh_policy_cache():
    """Each test starts with an empty per-process policy cache."""
    from policies import cache

    cache.clear()
    yield


# -- console sign-in ----------------------------------------------------------------------

TOTP_SEED = bytes(range(1, 21))  # a fixed 20-byte seed: tests compute real codes from it
HTMX = {"HX-Request": "true"}  # the header htmx sends with each of its requests
USER_PASSWORD = "Alice-password-1!"
READER_PASSWORD = "Reader-password-1!"
IAM_READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"


def virtual_mfa_device(console_user, *, iam_user=None, name: str = "", seed: bytes = TOTP_SEED):
    """An enabled virtual MFA device of a root (``iam_user=None``) or of an IAM user."""
    from django.utils import timezone

    from accounts.models import MfaDevice

    name = name or (iam_user.name if iam_user is not None else "root-account-mfa-device")
    device = MfaDevice(
        account_id=console_user.account_id,
        user=console_user,
        iam_user=iam_user,
        name=name,
        serial_number=f"arn:aws:iam::{console_user.account_id}:mfa/{name}",
        confirmed=True,
        enabled=timezone.now(),
    )
    device.set_seed(seed)
    device.save()
    return device


def _enabled_device(**owner):
    from accounts.models import MfaDevice

    return (
        MfaDevice.objects.filter(confirmed=True, enabled__isnull=False, **owner)
        .order_by("enabled", "pk")
        .first()
    )


def signed_in(client, identity, *, device=None, mfa: bool = True):
    """``client`` signed in to the console as ``identity`` (returned, for chaining).

    ``identity`` is a root or IAM-user principal (``root``, ``alice``, ``outsider``) or
    an ``IamUser``. The session holds exactly what the sign-in views leave in it:

    - Root (accounts/views.py): Django login of the account's root ConsoleUser,
      ``SESSION_STARTED_KEY`` and ``IDENTITY_KEY = {"kind": "root"}``; then the MFA
      step: django-otp's ``DEVICE_ID_SESSION_KEY`` and ``MFA_AUTH_TIME_KEY``. The
      device is ``device``, else the root's enabled one, else a new one seeded with
      ``TOTP_SEED`` (every root has one: sign-up goes straight to enrollment).
    - IAM user (accounts/pages/user_signin.py): Django login of the user's ConsoleUser,
      ``SESSION_STARTED_KEY`` and ``IDENTITY_KEY = {"kind": "user", "user_id",
      "user_name", "account_id", "mfa_required"}``; then the MFA step when the user
      has an enabled device (or ``device=`` names one). A user without a device signs
      in with the password alone, as in AWS. The user must have a login profile: the
      sign-in refuses anyone else, and so does this helper (``ValueError``).
      ``password_reset_required`` is kept: such a client reaches only the
      change-password step until it changes the password.
    - ``mfa=False`` stops after the password step: the MFA step is still owed, and
      every console page redirects to it.
    """

    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.models import ConsoleUser, IamUser
    from iamconsole.console import IDENTITY_KEY, MFA_AUTH_TIME_KEY
    from iamconsole.middleware import SESSION_STARTED_KEY, session_now

    if isinstance(identity, IamUser):
        user = identity
        user.refresh_from_db()
    elif identity.kind == "user":
        user = IamUser.objects.get(pk=identity.user_id)
    elif identity.kind == "root":
        user = None
    else:
        raise ValueError(f"No console sign-in for a {identity.kind} principal.")

    if user is None:
        console_user = ConsoleUser.objects.get(account_id=identity.account_id, is_root=True)
        if device is None and mfa:
            device = _enabled_device(user=console_user) or virtual_mfa_device(console_user)
        identity_data = {"kind": "root"}
    else:
        console_user = user.console
        console_user.refresh_from_db()
        if not console_user.has_login_profile:
            raise ValueError(f"IAM user {user.name} has no login profile: no console sign-in.")
        if device is None:
            device = _enabled_device(iam_user=user)
        identity_data = {
            "kind": "user",
            "user_id": user.pk,
            "user_name": user.name,
            "account_id": user.account_id,
            "mfa_required": device is not None,
        }

    client.force_login(console_user, backend="accounts.auth.ConsoleBackend")
    session = client.session
    session[SESSION_STARTED_KEY] = session_now()
    session[IDENTITY_KEY] = identity_data
    if device is not None and mfa:
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session[MFA_AUTH_TIME_KEY] = session_now()
    session.save()
    return client


@pytest.fixture
def totp_device(account, root_user):
    """The root user's enabled virtual MFA device, seeded with ``TOTP_SEED``."""
    return virtual_mfa_device(root_user)


@pytest.fixture
def console(client, root, totp_device):
    """A browser signed in as root and MFA-verified."""
    return signed_in(client, root, device=totp_device)


@pytest.fixture
def outsider_console(outsider):
    """Another browser, signed in as ``outsider`` (the root of another account) and
    MFA-verified: every page about this account's entities must be a 404 to it."""
    from django.test import Client

    return signed_in(Client(), outsider)


class Clock:
    """A controllable clock for Django's ``timezone.now`` and the TOTP steps."""

    def __init__(self, start: float) -> None:
        self.t = start

    def time(self) -> float:
        return self.t

    def now(self):
        from datetime import UTC, datetime

        return datetime.fromtimestamp(self.t, tz=UTC)

    def advance(self, seconds: float) -> None:
        self.t += seconds

    @property
    def step(self) -> int:
        return int(self.t // 30)


@pytest.fixture
def clock(monkeypatch):
    """Freeze time (mid-step, so codes stay valid) and move it by hand: no sleeping."""
    import time
    import types

    from django.utils import timezone

    import accounts.totp

    start = (int(time.time()) // 30) * 30 + 5
    c = Clock(float(start))
    monkeypatch.setattr(timezone, "now", c.now)
    monkeypatch.setattr(accounts.totp, "time", types.SimpleNamespace(time=c.time))
    return c


# -- IAM users in the console -------------------------------------------------------------


@pytest.fixture
def user_console(db):
    """Factory: ``user_console(iam_user, *, device=None, mfa=True, client=None)`` -> a Django
    test client signed in to the console as that IAM user (``signed_in``: a login profile
    is required; the MFA step is passed when the user has an enabled device).

    ``client``: sign in an existing client instead of a new ``django.test.Client``
    (e.g. ``Client(enforce_csrf_checks=True)``).

    Example::

        def test_alice_lists_users(user_console, iam_user, root):
            create_login_profile(actor=root, user_name="alice", password="Passw0rd-long!")
            c = user_console(iam_user)
            assert c.get("/users/").status_code == 200
    """
    from django.test import Client

    def make(user, *, device=None, mfa: bool = True, client: Client | None = None) -> Client:
        return signed_in(client or Client(), user, device=device, mfa=mfa)

    return make


@pytest.fixture
def alice_login(root, iam_user):
    """alice with a console password (``USER_PASSWORD``), no reset required."""
    from accounts.operations.credentials import create_login_profile

    create_login_profile(actor=root, user_name=iam_user.name, password=USER_PASSWORD)
    iam_user.refresh_from_db()
    return iam_user


@pytest.fixture
def user_totp_device(alice_login):
    """alice's enabled virtual MFA device, seeded with ``TOTP_SEED``."""
    return virtual_mfa_device(alice_login.console, iam_user=alice_login)


@pytest.fixture
def readonly_user(root):
    """``reader``: an IAM user of the account with a console password
    (``READER_PASSWORD``), no MFA device, and only the AWS managed IAMReadOnlyAccess."""
    from accounts.operations.credentials import create_login_profile
    from accounts.operations.users import create_user
    from policies.operations import attach_user_policy

    user = create_user(actor=root, name="reader")
    create_login_profile(actor=root, user_name="reader", password=READER_PASSWORD)
    attach_user_policy(actor=root, user_name="reader", policy_arn=IAM_READ_ONLY)
    user.refresh_from_db()
    return user


@pytest.fixture
def readonly_console(readonly_user):
    """Another browser, signed in as ``readonly_user`` (password only: no MFA device)."""
    from django.test import Client

    return signed_in(Client(), readonly_user)
