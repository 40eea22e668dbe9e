"""Access key creation's use-case step and description tag (issue 16).

AWS's console asks for a use case (each with its recommended alternative and a box to
tick) and an optional description, which it stores as a tag on the user: key = the
access key id, value = the description; both in one transaction with the key."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AccessKey, IamUser
from accounts.operations.credentials import create_login_profile
from accounts.pages.access_keys import USE_CASES
from policies.operations import put_user_policy
from tests.conftest import HTMX, USER_PASSWORD, allow_policy

URL = reverse("accounts:user-create-access-key", args=["alice"])


@pytest.fixture
def reauthed(console, clock):
    from accounts.pages.users_credentials import REAUTH_SESSION

    session = console.session
    session[REAUTH_SESSION] = clock.time()
    session.save()
    return console


def test_the_first_step_lists_aws_use_cases_and_their_alternatives(console, iam_user):
    html = console.get(URL, headers=HTMX).content.decode()
    labels = [
        "Command Line Interface (CLI)",
        "Local code",
        "Application running on an AWS compute service",
        "Third-party service",
        "Application running outside AWS",
        "Other",
    ]
    assert [u.label for u in USE_CASES] == labels
    for label in labels:
        assert label in html
    assert "AWS CloudShell" in html and "IAM Roles Anywhere" in html
    assert "Description tag value" in html and "attached to this user as a tag" in html
    assert not AccessKey.objects.exists()


def test_a_use_case_with_an_alternative_needs_the_acknowledgement(reauthed, iam_user):
    r = reauthed.post(URL, {"use_case": "cli"}, headers=HTMX)
    assert r.status_code == 400 and "Confirm that you understand" in r.content.decode()
    r = reauthed.post(URL, {"use_case": ""}, headers=HTMX)
    assert r.status_code == 400 and "Choose a use case." in r.content.decode()
    assert not AccessKey.objects.exists()
    assert reauthed.post(URL, {"use_case": "other"}, headers=HTMX).status_code == 200
    assert AccessKey.objects.filter(user=iam_user).count() == 1


def test_the_mfa_step_keeps_the_answers(console, iam_user, clock):
    from accounts.totp import code_at
    from tests.conftest import TOTP_SEED

    data = {"use_case": "local-code", "confirm": "on", "description": "laptop"}
    html = console.post(URL, data, headers=HTMX).content.decode()
    assert 'name="mfa_code"' in html and 'value="laptop"' in html and 'value="local-code"' in html
    r = console.post(URL, {**data, "mfa_code": code_at(TOTP_SEED, clock.step)}, headers=HTMX)
    key = AccessKey.objects.get(user=iam_user)
    iam_user.refresh_from_db()
    assert r.status_code == 200 and {"Key": key.access_key_id, "Value": "laptop"} in iam_user.tags


def test_the_description_becomes_a_tag_named_after_the_key(reauthed, iam_user):
    data = {"use_case": "cli", "confirm": "on", "description": "CI deploys: build server"}
    html = reauthed.post(URL, data, headers=HTMX).content.decode()
    key = AccessKey.objects.get(user=iam_user)
    user = IamUser.objects.get(pk=iam_user.pk)
    assert user.tags == [{"Key": key.access_key_id, "Value": "CI deploys: build server"}]
    assert "CI deploys: build server" in html  # on the retrieve panel
    tab = reverse("accounts:user-detail-tab", args=["alice", "security-credentials"])
    listed = reauthed.get(tab).content.decode()
    assert "CI deploys: build server" in listed and key.secret() not in listed


def test_a_bad_description_is_refused_in_place_and_creates_nothing(reauthed, iam_user):
    data = {"use_case": "other", "description": "no <angle> brackets"}
    r = reauthed.post(URL, data, headers=HTMX)
    assert r.status_code == 400 and "&lt;angle&gt;" in r.content.decode()
    r = reauthed.post(URL, {"use_case": "other", "description": "x" * 257}, headers=HTMX)
    assert r.status_code == 400
    assert not AccessKey.objects.exists()


def test_a_refused_tag_leaves_no_key(user_console, root, iam_user):
    """May create keys but not tag users: the batch fails at TagUser, no key is left."""
    create_login_profile(actor=root, user_name="alice", password=USER_PASSWORD)
    put_user_policy(
        actor=root,
        user_name="alice",
        policy_name="keys",
        document=allow_policy(["iam:CreateAccessKey", "iam:GetUser", "iam:ListAccessKeys"]),
    )
    client = user_console(iam_user)
    r = client.post(URL, {"use_case": "other", "description": "mine"}, headers=HTMX)
    assert r.status_code == 403 and "iam:TagUser" in r.content.decode()
    assert not AccessKey.objects.exists()
    # Without a description the key is made.
    assert client.post(URL, {"use_case": "other"}, headers=HTMX).status_code == 200
    assert AccessKey.objects.filter(user=iam_user).count() == 1


def test_the_secret_sits_behind_show(reauthed, iam_user):
    html = reauthed.post(URL, {"use_case": "other"}, headers=HTMX).content.decode()
    key = AccessKey.objects.get(user=iam_user)
    before, after = html.split('<details class="secret-reveal">', 1)
    assert key.secret() not in before  # only inside the toggle
    assert "Show" in after.split("</summary>", 1)[0]
    assert key.secret() in after.split("</details>", 1)[0]
