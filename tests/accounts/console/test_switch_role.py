"""Switch role in the console: same account, across accounts, refusals, switch back, history."""

from __future__ import annotations

import json
from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import TemporaryCredential
from accounts.operations.account import create_account_alias
from accounts.operations.credentials import create_login_profile
from accounts.operations.roles import create_role
from accounts.operations.users import create_user
from audit.models import AuditEvent
from iamconsole.console import IDENTITY_KEY
from policies.operations import attach_role_policy, put_user_policy
from tests.conftest import HTMX, USER_PASSWORD, allow_policy

ACCOUNT = "111122223333"
OTHER = "444455556666"
IAM_READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
SWITCH_FAILED = "Invalid information in one or more fields."


def trust(principal_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": principal_arn}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def switch(client: Client, account: str, role: str, display_name: str = ""):
    return client.post(
        reverse("accounts:switch-role"),
        {"account": account, "role": role, "display_name": display_name},
    )


def test_switch_role_form_is_prefilled_from_aws_style_link(user_console, alice_login):
    c = user_console(alice_login)
    r = c.get(
        reverse("accounts:switch-role"),
        {"account": OTHER, "roleName": "Auditor", "displayName": "audit"},
    )
    html = r.content.decode()
    assert r.status_code == 200
    assert f'value="{OTHER}"' in html and 'value="Auditor"' in html and 'value="audit"' in html
    assert c.session[IDENTITY_KEY]["kind"] == "user"  # a GET never switches


def test_switch_to_a_role_in_the_same_account_uses_its_permissions(user_console, root, alice_login):
    create_role(actor=root, name="Reader", trust_policy=trust(alice_login.arn))
    attach_role_policy(actor=root, role_name="Reader", policy_arn=IAM_READ_ONLY)
    c = user_console(alice_login)
    # alice herself may not list users …
    assert c.get("/users/").status_code in (403, 404)

    before = c.session.session_key
    r = switch(c, ACCOUNT, "Reader", "Read only")
    assert r.status_code == 302 and r.url == reverse("iamconsole:dashboard")
    assert c.session.session_key != before
    r = c.get("/")
    assert r.status_code == 200  # the role may read the account summary
    principal = r.wsgi_request.principal
    assert principal.kind == "assumed-role"
    assert principal.arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/Reader/alice"
    assert principal.account_id == ACCOUNT and principal.session_issued is not None
    html = r.content.decode()
    assert "Read only" in html and "Switch back" in html and "signed in as alice" in html
    # … and the role's IAMReadOnlyAccess shows on the events page's neighbour: list users.
    from accounts.operations.users import list_users

    assert list_users(actor=principal, path_prefix=None, marker=None, max_items=10)
    assert AuditEvent.objects.filter(event_name="AssumeRole", allowed=True).exists()


def test_switch_back_restores_the_original_identity(user_console, root, alice_login):
    create_role(actor=root, name="Reader", trust_policy=trust(alice_login.arn))
    c = user_console(alice_login)
    switch(c, ACCOUNT, "Reader")
    assert c.session[IDENTITY_KEY]["kind"] == "assumed-role"
    before = c.session.session_key
    r = c.post(reverse("accounts:switch-role-back"))
    assert r.status_code == 302
    assert c.session[IDENTITY_KEY]["kind"] == "user"
    assert c.session.session_key != before
    r = c.get("/")
    assert r.wsgi_request.principal.arn == alice_login.arn
    assert "Switch back" not in r.content.decode()


def test_switch_back_needs_post(user_console, root, alice_login):
    create_role(actor=root, name="Reader", trust_policy=trust(alice_login.arn))
    c = user_console(alice_login)
    switch(c, ACCOUNT, "Reader")
    assert c.get(reverse("accounts:switch-role-back")).status_code == 405
    assert c.session[IDENTITY_KEY]["kind"] == "assumed-role"


def test_switch_across_accounts_needs_trust_and_the_users_permission(
    user_console, root, alice_login, other_account, outsider
):
    create_account_alias(actor=outsider, alias="partner-lab")
    create_role(actor=outsider, name="Auditor", trust_policy=trust(alice_login.arn))
    attach_role_policy(actor=outsider, role_name="Auditor", policy_arn=IAM_READ_ONLY)
    c = user_console(alice_login)

    # Trusted by the other account, but alice's own policies do not allow sts:AssumeRole.
    r = switch(c, "partner-lab", "Auditor")
    assert r.status_code == 403 and SWITCH_FAILED in r.content.decode()
    assert c.session[IDENTITY_KEY]["kind"] == "user"

    put_user_policy(
        actor=root,
        user_name="alice",
        policy_name="assume-auditor",
        document=allow_policy("sts:AssumeRole", f"arn:aws:iam::{OTHER}:role/Auditor"),
    )
    r = switch(c, "partner-lab", "Auditor", "Partner audit")
    assert r.status_code == 302
    r = c.get("/")
    principal = r.wsgi_request.principal
    assert principal.account_id == OTHER  # the console now shows the role's account
    assert principal.arn == f"arn:aws:sts::{OTHER}:assumed-role/Auditor/alice"
    html = r.content.decode()
    assert OTHER in html and "partner-lab" in html and "Partner audit" in html
    # The role's owner sees the AssumeRole in its own trail.
    assert AuditEvent.objects.filter(
        account_id=OTHER, event_name="AssumeRole", allowed=True
    ).exists()

    c.post(reverse("accounts:switch-role-back"))
    assert c.get("/").wsgi_request.principal.account_id == ACCOUNT


def test_switch_refused_when_the_trust_policy_does_not_name_the_user(
    user_console, root, alice_login
):
    bob = create_user(actor=root, name="bob")
    create_role(actor=root, name="BobsRole", trust_policy=trust(bob.arn))
    c = user_console(alice_login)
    r = switch(c, ACCOUNT, "BobsRole")
    assert r.status_code == 403 and SWITCH_FAILED in r.content.decode()
    assert c.session[IDENTITY_KEY]["kind"] == "user"
    denied = AuditEvent.objects.get(event_name="AssumeRole")
    assert denied.allowed is False and denied.error_code == "AccessDenied"


def test_unknown_role_and_unknown_account_look_like_any_refusal(user_console, alice_login):
    c = user_console(alice_login)
    a = switch(c, ACCOUNT, "NoSuchRole")
    b = switch(c, "no-such-alias", "Reader")
    assert a.status_code == b.status_code == 403
    assert SWITCH_FAILED in a.content.decode() and SWITCH_FAILED in b.content.decode()


def test_root_cannot_switch_roles(console, root):
    create_role(actor=root, name="Reader", trust_policy=trust(f"arn:aws:iam::{ACCOUNT}:root"))
    r = switch(console, ACCOUNT, "Reader")
    assert r.status_code == 403
    assert "cannot switch roles while signed in as the root user" in r.content.decode()
    assert console.session[IDENTITY_KEY] == {"kind": "root"}


def test_role_history_keeps_the_last_roles_newest_first(user_console, root, alice_login):
    for name in ("R1", "R2", "R3", "R4", "R5", "R6"):
        create_role(actor=root, name=name, trust_policy=trust(alice_login.arn))
    c = user_console(alice_login)
    for name in ("R1", "R2", "R3", "R4", "R5", "R6", "R2"):
        assert switch(c, ACCOUNT, name).status_code == 302
    history = c.session["iam_role_history"]
    assert [h["role"] for h in history] == ["R2", "R6", "R5", "R4", "R3"]
    html = c.get(reverse("accounts:switch-role")).content.decode()
    assert "R2 @ 111122223333" in html and "R1 @" not in html


def test_switching_from_a_role_uses_the_original_credentials(user_console, root, alice_login):
    create_role(actor=root, name="First", trust_policy=trust(alice_login.arn))
    create_role(actor=root, name="Second", trust_policy=trust(alice_login.arn))
    c = user_console(alice_login)
    switch(c, ACCOUNT, "First")
    assert switch(c, ACCOUNT, "Second").status_code == 302
    identity = c.session[IDENTITY_KEY]
    assert identity["role_name"] == "Second" and identity["original"]["kind"] == "user"
    second = AuditEvent.objects.filter(event_name="AssumeRole").order_by("-id").first()
    assert second.actor_arn == alice_login.arn  # not the First role's session


def test_an_expired_role_session_falls_back_to_the_user(user_console, root, alice_login):
    create_role(actor=root, name="Reader", trust_policy=trust(alice_login.arn))
    c = user_console(alice_login)
    switch(c, ACCOUNT, "Reader")
    TemporaryCredential.objects.update(expires=timezone.now() - timedelta(seconds=1))
    r = c.get(reverse("accounts:switch-role"))
    assert r.status_code == 200
    assert r.wsgi_request.principal.arn == alice_login.arn
    assert "Your role session has expired" in r.content.decode()
    assert c.session[IDENTITY_KEY]["kind"] == "user"


def test_role_session_with_mfa_user_is_mfa_authenticated(user_console, root, user_totp_device):
    alice = user_totp_device.iam_user
    create_role(actor=root, name="Reader", trust_policy=trust(alice.arn))
    c = user_console(alice)
    switch(c, ACCOUNT, "Reader")
    principal = c.get(reverse("accounts:switch-role")).wsgi_request.principal
    assert principal.kind == "assumed-role" and principal.mfa_authenticated


def test_switch_role_form_errors_are_shown_in_place(user_console, alice_login):
    c = user_console(alice_login)
    r = c.post(
        reverse("accounts:switch-role"),
        {"account": "", "role": "bad role!"},
        headers=HTMX,
    )
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html
    assert "Role names use letters" in html


def test_switch_role_requires_csrf(user_console, alice_login, root):
    """alice, really signed in (a CSRF-enforcing client), is refused without a token and
    stays herself; the same request with the token switches (the positive control)."""
    import re

    create_role(actor=root, name="Reader", trust_policy=trust(alice_login.arn))
    c = user_console(alice_login, client=Client(enforce_csrf_checks=True))
    page = c.get(reverse("accounts:switch-role"))
    assert page.status_code == 200 and page.wsgi_request.principal.arn == alice_login.arn
    assert switch(c, ACCOUNT, "Reader").status_code == 403
    assert c.session[IDENTITY_KEY]["kind"] == "user"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    r = c.post(
        reverse("accounts:switch-role"),
        {"account": ACCOUNT, "role": "Reader", "csrfmiddlewaretoken": token.group(1)},
    )
    assert r.status_code == 302 and c.session[IDENTITY_KEY]["kind"] == "assumed-role"


def test_signin_then_switch_role_end_to_end(client, root):
    create_user(actor=root, name="carol")
    create_login_profile(actor=root, user_name="carol", password=USER_PASSWORD)
    from accounts.models import IamUser

    carol = IamUser.objects.get(name="carol")
    create_role(actor=root, name="Reader", trust_policy=trust(carol.arn))
    client.post(
        reverse("accounts:user-signin", args=[ACCOUNT]),
        {"account": ACCOUNT, "username": "carol", "password": USER_PASSWORD},
    )
    assert switch(client, ACCOUNT, "Reader").status_code == 302
    assert client.session[IDENTITY_KEY]["kind"] == "assumed-role"


def test_htmx_switch_loads_a_full_page_and_a_refusal_swaps_in_place(
    user_console, root, alice_login
):
    create_role(actor=root, name="Reader", trust_policy=trust(alice_login.arn))
    c = user_console(alice_login)
    url = reverse("accounts:switch-role")
    r = c.post(url, {"account": ACCOUNT, "role": "Nope"}, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 403 and "<html" not in html and SWITCH_FAILED in html
    r = c.post(url, {"account": ACCOUNT, "role": "Reader"}, headers=HTMX)
    assert r.status_code == 200 and r["HX-Redirect"] == reverse("iamconsole:dashboard")
    assert c.session[IDENTITY_KEY]["kind"] == "assumed-role"
