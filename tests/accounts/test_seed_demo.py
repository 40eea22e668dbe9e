"""``manage.py seed_demo``: a lived-in demo account, idempotent, with a reset."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from accounts.models import AccessKey, Account, Group, IamUser, Role
from accounts.operations.users import create_user
from accounts.principal import root_principal
from audit.models import AuditEvent
from policies.models import ManagedPolicy

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def demo() -> Account:
    return Account.objects.get(console_users__username="root:demo@example.com")


def test_the_demo_account_is_lived_in():
    out = seed("--port", "8101")
    account = demo()
    assert "demo account (created)" in out
    assert "http://127.0.0.1:8101/signin/" in out
    assert f"http://127.0.0.1:8101/signin/{account.alias}/" in out
    assert IamUser.objects.filter(account=account).count() >= 12
    assert Group.objects.filter(account=account).count() >= 4
    roles = Role.objects.filter(account=account)
    assert roles.count() >= 3 and all(r.trust_policy for r in roles)
    policies = ManagedPolicy.objects.filter(account_id=account.id)
    assert policies.count() >= 3
    assert max(p.versions.count() for p in policies) >= 2
    assert AccessKey.objects.filter(account=account).count() == 2
    for key in AccessKey.objects.filter(account=account):
        assert re.search(rf"{key.access_key_id} \S{{40}}", out)
    events = AuditEvent.objects.filter(account_id=account.id)
    assert events.filter(read_only=True).exists()
    assert events.filter(allowed=False, error_code="AccessDenied").exists()
    assert events.filter(event_name="CreatePolicyVersion").exists()


def test_alice_has_the_printed_console_password():
    out = seed()
    password = re.search(r"IAM user alice \(read-only\) password: (\S+)", out).group(1)
    alice = IamUser.objects.select_related("console").get(account=demo(), name="alice")
    assert alice.console.login_profile_created is not None
    assert alice.console.check_password(password)


def test_running_it_again_changes_nothing():
    seed()
    account = demo()
    users = IamUser.objects.filter(account=account).count()
    events = AuditEvent.objects.filter(account_id=account.id).count()
    out = seed()
    assert "demo account (kept)" in out
    assert Account.objects.count() == 1
    assert IamUser.objects.filter(account=account).count() == users
    assert AuditEvent.objects.filter(account_id=account.id).count() == events
    assert "Access key of" not in out


def test_reset_puts_the_seeded_state_back():
    seed()
    account = demo()
    root = root_principal(account.id)
    create_user(actor=root, name="made-in-the-demo")
    IamUser.objects.get(account=account, name="judy")
    out = seed("--reset")
    assert "demo account (reset)" in out
    names = set(IamUser.objects.filter(account=account).values_list("name", flat=True))
    assert "made-in-the-demo" not in names and {"alice", "bob", "judy"} <= names
    assert AccessKey.objects.filter(account=account).count() == 2
    assert demo().pk == account.pk and demo().alias == account.alias
