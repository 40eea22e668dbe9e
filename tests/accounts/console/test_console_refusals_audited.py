"""Issue 16, item 5: every refusal the console shows is an event, like the API's.

A page's own up-front check (the create wizards' gate, the settings page's password
policy panel) records the refused action as ``@operation`` does; an operation's refusal
is recorded once, not twice; hiding a button is not a refusal."""

from __future__ import annotations

from django.urls import reverse

from accounts.operations.credentials import create_login_profile
from accounts.operations.users import create_user
from audit.models import AuditEvent
from tests.conftest import HTMX, USER_PASSWORD


def refusals(event_name: str):
    return AuditEvent.objects.filter(event_name=event_name, allowed=False)


def test_opening_the_create_user_wizard_without_permission_is_recorded(readonly_console):
    r = readonly_console.get("/users/create/")
    assert r.status_code == 403 and "iam:CreateUser" in r.content.decode()
    (event,) = refusals("CreateUser")
    assert event.error_code == "AccessDenied" and event.event_source == "iam.amazonaws.com"
    assert event.actor_arn.endswith(":user/reader") and event.via == "console"
    assert event.resource_arn == "arn:aws:iam::111122223333:user/*"
    assert "not authorized to perform: iam:CreateUser" in event.error_message


def test_the_refusal_shows_in_the_event_history(readonly_console, console):
    readonly_console.get("/users/create/", headers=HTMX)
    html = console.get(reverse("accounts:events") + "?event_name=CreateUser").content.decode()
    assert "CreateUser" in html and "Denied" in html


def test_other_create_pages_are_recorded_too(readonly_console):
    assert readonly_console.get(reverse("policies:policy-create")).status_code == 403
    assert refusals("CreatePolicy").count() == 1


def test_an_operation_refusal_is_recorded_once(readonly_console):
    """The wizard's review POST reaches CreateUser itself: one event, not two."""
    for step in ({"step": "details", "name": "zed"}, {"step": "permissions", "mode": "groups"}):
        assert readonly_console.post("/users/create/", step).status_code == 302
    assert readonly_console.post("/users/create/", {"step": "tags"}).status_code == 302
    assert not refusals("CreateUser").exists()
    r = readonly_console.post("/users/create/", {"step": "review"})
    assert r.status_code == 403
    assert refusals("CreateUser").count() == 1


def test_a_refused_operation_shown_on_a_page_is_not_written_twice(user_console, root):
    user = create_user(actor=root, name="nobody")
    create_login_profile(actor=root, user_name="nobody", password=USER_PASSWORD)
    client = user_console(user)
    r = client.get(reverse("accounts:user-detail", args=["nobody"]))
    assert r.status_code == 403
    assert refusals("GetUser").count() == 1


def test_the_settings_page_records_its_password_policy_refusal(user_console, root):
    user = create_user(actor=root, name="nobody")
    create_login_profile(actor=root, user_name="nobody", password=USER_PASSWORD)
    user_console(user).get(reverse("accounts:account-settings"))
    assert refusals("GetAccountPasswordPolicy").count() == 1


def test_hiding_a_button_is_not_a_refusal(readonly_console):
    """The users list hides what the reader may not do: nothing is recorded as refused."""
    assert readonly_console.get(reverse("accounts:user-list")).status_code == 200
    assert not AuditEvent.objects.filter(allowed=False).exists()
