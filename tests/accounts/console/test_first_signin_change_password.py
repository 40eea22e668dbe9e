"""Issue 16, item 1: a new user who must choose a new password can do it.

The create-user wizard (and "Manage console access") attach the AWS-managed
IAMUserChangePassword when "must create a new password at next sign-in" is ticked, in
the same batch as the user; the account password policy's AllowUsersToChangePassword
grants every IAM user iam:ChangePassword on their own ARN and
iam:GetAccountPasswordPolicy, with no policy attached, while an explicit Deny still
refuses."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.errors import AccessDenied
from accounts.models import IamUser
from accounts.operations.account import (
    get_account_password_policy,
    update_account_password_policy,
)
from accounts.operations.credentials import change_password, create_login_profile
from accounts.operations.users import create_user
from accounts.principal import user_principal
from policies.models import PolicyAttachment
from policies.operations import put_user_policy
from tests.conftest import USER_PASSWORD, allow_policy

URL = "/users/create/"
CHANGE = "arn:aws:iam::aws:policy/IAMUserChangePassword"
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
NEW = "Brand-new-password-2"


def wizard(client, *, require_reset: bool, policies=(), password="Carol-first-Passw0rd!"):
    details = {"step": "details", "name": "carol", "console_access": "1"}
    details |= {"password_mode": "custom", "password": password}
    if require_reset:
        details["require_reset"] = "1"
    assert client.post(URL, details).status_code == 302
    mode = {"mode": "attach", "policies": list(policies)} if policies else {"mode": "groups"}
    assert client.post(URL, {"step": "permissions", **mode}).status_code == 302
    assert client.post(URL, {"step": "tags"}).status_code == 302
    review = client.get(URL + "?step=review").content.decode()
    return review, client.post(URL, {"step": "review"})


def attached(name: str) -> set[str]:
    return {a.policy.arn for a in PolicyAttachment.objects.filter(user__name=name)}


def first_signin_change(client: Client, password: str):
    r = client.post(
        reverse("accounts:user-signin", args=["111122223333"]),
        {"account": "111122223333", "username": "carol", "password": password},
    )
    assert r.status_code == 302 and r.url == reverse("accounts:user-signin-change-password")
    return client.post(
        r.url, {"old_password": password, "new_password1": NEW, "new_password2": NEW}
    )


def test_wizard_attaches_iam_user_change_password_when_a_new_password_is_required(console):
    review, r = wizard(console, require_reset=True)
    assert r.status_code == 200
    assert CHANGE in review  # the review says so before anything is created
    assert attached("carol") == {CHANGE}


def test_the_new_user_changes_the_password_at_first_signin_with_no_other_policy(console):
    wizard(console, require_reset=True)
    r = first_signin_change(Client(), "Carol-first-Passw0rd!")
    assert r.status_code == 302 and r.url == reverse("iamconsole:dashboard")
    carol = IamUser.objects.get(name="carol")
    assert carol.console.check_password(NEW) and not carol.console.password_reset_required


def test_no_change_password_policy_without_a_required_reset(console):
    wizard(console, require_reset=False)
    assert attached("carol") == set()


def test_a_policy_picked_by_hand_is_not_attached_twice(console):
    review, r = wizard(console, require_reset=True, policies=[CHANGE, READ_ONLY])
    assert r.status_code == 200 and review.count(CHANGE) == 1
    assert attached("carol") == {CHANGE, READ_ONLY}


def test_a_refused_attachment_leaves_no_user(user_console, root, iam_user):
    """alice may create users and login profiles but not attach policies: the batch
    fails at AttachUserPolicy and nothing of carol is left."""
    create_login_profile(actor=root, user_name="alice", password=USER_PASSWORD)
    put_user_policy(
        actor=root,
        user_name="alice",
        policy_name="make-users",
        document=allow_policy(["iam:CreateUser", "iam:CreateLoginProfile", "iam:GetUser"]),
    )
    client = user_console(iam_user)
    _, r = wizard(client, require_reset=True)
    assert r.status_code == 403 and "iam:AttachUserPolicy" in r.content.decode()
    assert not IamUser.objects.filter(name="carol").exists()


def test_manage_console_access_with_a_required_reset_attaches_the_policy(console, root):
    create_user(actor=root, name="dave")
    url = reverse("accounts:user-console-access", args=["dave"])
    r = console.post(url, {"action": "enable", "password_mode": "auto", "require_reset": "on"})
    assert r.status_code == 200
    assert attached("dave") == {CHANGE}
    r = console.post(url, {"action": "reset", "password_mode": "auto"})
    assert r.status_code == 200 and attached("dave") == {CHANGE}  # nothing removed or doubled


# -- AllowUsersToChangePassword -------------------------------------------------------------


@pytest.fixture
def erin(root):
    user = create_user(actor=root, name="erin")
    create_login_profile(actor=root, user_name="erin", password=USER_PASSWORD)
    user.refresh_from_db()
    return user


def test_without_the_setting_a_user_without_policies_cannot_change_the_password(erin, root):
    update_account_password_policy(actor=root, allow_users_to_change_password=False)
    with pytest.raises(AccessDenied, match="iam:ChangePassword"):
        change_password(actor=user_principal(erin), old_password=USER_PASSWORD, new_password=NEW)
    with pytest.raises(AccessDenied, match="iam:GetAccountPasswordPolicy"):
        get_account_password_policy(actor=user_principal(erin))


def test_the_setting_grants_change_password_and_get_account_password_policy(erin, root):
    update_account_password_policy(
        actor=root, allow_users_to_change_password=True, minimum_password_length=12
    )
    actor = user_principal(erin)
    assert get_account_password_policy(actor=actor).minimum_password_length == 12
    change_password(actor=actor, old_password=USER_PASSWORD, new_password=NEW)
    erin.refresh_from_db()
    assert erin.console.check_password(NEW)


def test_the_setting_does_not_override_an_explicit_deny(erin, root):
    update_account_password_policy(actor=root, allow_users_to_change_password=True)
    deny = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", '
        '"Action": "iam:ChangePassword", "Resource": "*"}]}'
    )
    put_user_policy(actor=root, user_name="erin", policy_name="no", document=deny)
    with pytest.raises(AccessDenied, match="explicit deny"):
        change_password(actor=user_principal(erin), old_password=USER_PASSWORD, new_password=NEW)


def test_the_setting_grants_nothing_else(erin, root):
    from policies.authorization import authorize_with_password_policy_grant

    update_account_password_policy(actor=root, allow_users_to_change_password=True)
    actor = user_principal(erin)
    other = "arn:aws:iam::111122223333:user/alice"
    with pytest.raises(AccessDenied):  # not another user's password
        authorize_with_password_policy_grant(actor, "iam:ChangePassword", other)
    with pytest.raises(AccessDenied):
        authorize_with_password_policy_grant(actor, "iam:ListUsers", "*")


def test_first_signin_works_through_the_setting_alone(root, console):
    """A user created with a required reset by the API (no policy attached) gets in once
    the account allows users to change their own password."""
    create_user(actor=root, name="carol")
    create_login_profile(
        actor=root, user_name="carol", password=USER_PASSWORD, password_reset_required=True
    )
    client = Client()
    r = first_signin_change(client, USER_PASSWORD)
    assert r.status_code == 403  # refused: no policy, no setting
    update_account_password_policy(actor=root, allow_users_to_change_password=True)
    r = client.post(
        reverse("accounts:user-signin-change-password"),
        {"old_password": USER_PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert r.status_code == 302
