"""Adding and removing group members in place (the STYLE.md example)."""

from __future__ import annotations

from django.urls import reverse

from accounts.operations.groups import add_user_to_group, create_group
from accounts.operations.users import create_user
from audit.models import AuditEvent
from tests.conftest import HTMX


def test_add_member_returns_members_fragment(console, group, iam_user):
    url = reverse("accounts:group-add-member", args=[group.name])
    r = console.post(url, {"user": iam_user.name}, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html
    assert 'id="group-members"' in html and iam_user.name in html
    assert group.users.filter(pk=iam_user.pk).exists()


def test_add_several_members_at_once(console, root, group, iam_user):
    create_user(actor=root, name="bob")
    url = reverse("accounts:group-add-member", args=[group.name])
    r = console.post(url, {"user": ["alice", "bob"]}, headers=HTMX)
    assert r.status_code == 200
    assert sorted(group.users.values_list("name", flat=True)) == ["alice", "bob"]


def test_add_member_without_javascript_redirects_to_the_users_tab(console, group, iam_user):
    url = reverse("accounts:group-add-member", args=[group.name])
    r = console.post(url, {"user": iam_user.name})
    assert r.status_code == 302 and r["Location"] == "/groups/developers/"
    assert group.users.filter(pk=iam_user.pk).exists()


def test_members_select_offers_only_users_not_yet_in_the_group(console, root, group, iam_user):
    create_user(actor=root, name="bob")
    add_user_to_group(actor=root, group_name=group.name, user_name="alice")
    # The Users tab links to the "Add users" page, whose table lists only non-members.
    r = console.get(reverse("accounts:group-detail", args=[group.name]))
    assert reverse("accounts:group-add-users", args=[group.name]) in r.content.decode()
    html = console.get(reverse("accounts:group-add-users", args=[group.name])).content.decode()
    assert 'name="user" value="bob"' in html and 'value="alice"' not in html


def test_remove_member_in_place(console, root, group, iam_user):
    add_user_to_group(actor=root, group_name=group.name, user_name=iam_user.name)
    url = reverse("accounts:group-remove-member", args=[group.name])
    r = console.post(url, {"user": iam_user.name}, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and "No users in this group yet." in html
    assert not group.users.exists()
    assert AuditEvent.objects.filter(event_name="RemoveUserFromGroup", allowed=True).exists()


def test_removing_a_non_member_succeeds_and_changes_nothing(console, group, iam_user):
    # RemoveUserFromGroup for an existing user who is not a member succeeds in AWS.
    url = reverse("accounts:group-remove-member", args=[group.name])
    r = console.post(url, {"user": iam_user.name}, headers=HTMX)
    assert r.status_code == 200 and "<html" not in r.content.decode()
    assert "cannot be found" not in r.content.decode()
    assert not group.users.exists()


def test_adding_an_unknown_user_is_a_404_and_adds_nobody(console, group, iam_user):
    url = reverse("accounts:group-add-member", args=[group.name])
    r = console.post(url, {"user": ["alice", "ghost"]}, headers=HTMX)
    assert r.status_code == 404 and "The user with name ghost cannot be found." in (
        r.content.decode()
    )
    assert not group.users.exists()  # all or nothing


def test_adding_nobody_is_a_400(console, group):
    r = console.post(reverse("accounts:group-add-member", args=[group.name]), {}, headers=HTMX)
    assert r.status_code == 400 and "Choose at least one user" in r.content.decode()


def test_eleventh_group_is_refused_with_limit_exceeded(console, root, iam_user):
    for n in range(10):
        create_group(actor=root, name=f"g{n}")
        add_user_to_group(actor=root, group_name=f"g{n}", user_name="alice")
    create_group(actor=root, name="g10")
    r = console.post(
        reverse("accounts:group-add-member", args=["g10"]), {"user": "alice"}, headers=HTMX
    )
    assert r.status_code == 409 and "Cannot exceed quota for GroupsPerUser: 10." in (
        r.content.decode()
    )


def test_members_fragment_needs_a_signed_in_console(client, group, iam_user):
    url = reverse("accounts:group-add-member", args=[group.name])
    r = client.post(url, {"user": iam_user.name}, headers=HTMX)
    assert r.status_code == 200 and r["HX-Redirect"].startswith("/signin/")
    assert not group.users.exists()
