"""Bulk delete from the users list: AWS's "enter delete" confirmation, all or nothing."""

from __future__ import annotations

import pytest

from accounts.models import IamUser
from accounts.operations.users import create_user
from audit.models import AuditEvent
from policies.operations import put_user_policy
from tests.conftest import HTMX, allow_policy

URL = "/delete-users/"


def names_left(account_id: str = "111122223333") -> set[str]:
    return set(IamUser.objects.filter(account_id=account_id).values_list("name", flat=True))


def test_the_list_has_a_checkbox_per_user_and_a_delete_button(console, root):
    create_user(actor=root, name="ann")
    html = console.get("/users/").content.decode()
    assert '<input type="checkbox" name="names" value="ann" form="user-bulk"' in html
    assert 'id="user-bulk"' in html and 'formaction="/delete-users/"' in html


def test_selecting_users_asks_for_delete_before_anything_goes(console, root):
    for name in ("ann", "ben", "cat"):
        create_user(actor=root, name=name)
    r = console.post(URL, {"names": ["ann", "ben"]})
    html = r.content.decode()
    assert r.status_code == 200
    assert "Delete 2 users?" in html and "ann" in html and "ben" in html
    assert 'enter <span class="mono">delete</span>' in html
    assert names_left() == {"ann", "ben", "cat"}


def test_a_wrong_confirmation_deletes_nothing(console, root):
    for name in ("ann", "ben"):
        create_user(actor=root, name=name)
    r = console.post(URL, {"names": ["ann", "ben"], "confirmed": "1", "confirm": "ann"})
    assert r.status_code == 400 and "Enter delete to confirm." in r.content.decode()
    assert names_left() == {"ann", "ben"}


def test_one_user_is_confirmed_by_its_name_as_aws_asks(console, root):
    create_user(actor=root, name="ann")
    r = console.post(URL, {"names": "ann"})
    assert 'enter the name <span class="mono">ann</span>' in r.content.decode()
    r = console.post(URL, {"names": "ann", "confirmed": "1", "confirm": "delete"})
    assert r.status_code == 400 and "Enter ann to confirm." in r.content.decode()
    assert names_left() == {"ann"}


def test_confirmed_users_are_deleted_with_their_policies(console, root):
    for name in ("ann", "ben", "cat"):
        create_user(actor=root, name=name)
    put_user_policy(actor=root, user_name="ann", policy_name="p", document=allow_policy())
    r = console.post(URL, {"names": ["ann", "ben"], "confirmed": "1", "confirm": "delete"})
    assert r.status_code == 302 and r["Location"] == "/users/"
    assert names_left() == {"cat"}
    assert AuditEvent.objects.filter(event_name="DeleteUser", allowed=True).count() == 2
    html = console.get("/users/").content.decode()
    assert "2 users deleted: ann, ben." in html


def test_htmx_confirmation_redirects_the_client(console, root):
    create_user(actor=root, name="ann")
    r = console.post(URL, {"names": "ann", "confirmed": "1", "confirm": "ann"}, headers=HTMX)
    assert r.status_code == 200 and r["HX-Redirect"] == "/users/"
    assert names_left() == set()


def test_one_refusal_deletes_none_and_shows_awss_error(user_console, root, alice_login):
    """alice may delete bob but not carol: the batch is all or nothing."""
    import json

    for name in ("bob", "carol"):
        create_user(actor=root, name=name)
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "iam:DeleteUser",
                "Resource": "arn:aws:iam::111122223333:user/carol",
            },
        ],
    }
    put_user_policy(actor=root, user_name="alice", policy_name="admin", document=json.dumps(doc))
    client = user_console(alice_login)
    r = client.post(URL, {"names": ["bob", "carol"], "confirmed": "1", "confirm": "delete"})
    html = r.content.decode()
    assert r.status_code == 403
    assert "is not authorized to perform: iam:DeleteUser" in html and "user/carol" in html
    assert {"bob", "carol"} <= names_left()
    denied = AuditEvent.objects.filter(event_name="DeleteUser", allowed=False)
    assert denied.count() == 1 and "carol" in denied.get().resource_arn
    assert not AuditEvent.objects.filter(event_name="DeleteUser", allowed=True).exists()


def test_another_accounts_users_cannot_be_named(outsider_console, root):
    create_user(actor=root, name="ann")
    r = outsider_console.post(URL, {"names": "ann", "confirmed": "1", "confirm": "ann"})
    assert r.status_code == 404
    assert names_left() == {"ann"}
    assert "111122223333" not in r.content.decode()


def test_nothing_selected_is_a_message_not_an_error(console):
    r = console.post(URL, {})
    assert r.status_code == 302 and r["Location"] == "/users/"


@pytest.mark.parametrize("method", ["get"])
def test_only_post_is_accepted(console, method):
    assert getattr(console, method)(URL).status_code == 405


# -- policies ---------------------------------------------------------------------------------


def test_customer_policies_have_checkboxes_aws_managed_do_not(console, root):
    from policies.operations import create_policy

    mine = create_policy(actor=root, name="mine", document=allow_policy("s3:GetObject"))
    html = console.get("/policies/", {"scope": "Local"}).content.decode()
    assert f'<input type="checkbox" name="arns" value="{mine.arn}"' in html
    aws = console.get("/policies/", {"scope": "AWS"}).content.decode()
    assert aws.count("<td>AWS managed</td>") > 0
    assert 'type="checkbox" name="arns"' not in aws


def test_an_attached_policy_stops_the_batch_with_delete_conflict(console, root, iam_user):
    from policies.models import ManagedPolicy
    from policies.operations import attach_user_policy, create_policy

    free = create_policy(actor=root, name="free", document=allow_policy("s3:GetObject"))
    used = create_policy(actor=root, name="used", document=allow_policy("s3:PutObject"))
    attach_user_policy(actor=root, user_name="alice", policy_arn=used.arn)
    data = {"arns": [free.arn, used.arn], "confirmed": "1", "confirm": "delete"}
    r = console.post("/policies/delete/", data)
    html = r.content.decode()
    assert r.status_code == 409 and "DeleteConflict" in html
    assert "Cannot delete a policy attached to entities." in html
    assert ManagedPolicy.objects.filter(pk__in=[free.pk, used.pk]).count() == 2

    r = console.post("/policies/delete/", {**data, "arns": [free.arn], "confirm": "free"})
    assert r.status_code == 302
    assert not ManagedPolicy.objects.filter(pk=free.pk).exists()


def test_policies_ask_for_delete_first(console, root):
    from policies.models import ManagedPolicy
    from policies.operations import create_policy

    p = create_policy(actor=root, name="p", document=allow_policy("s3:GetObject"))
    r = console.post("/policies/delete/", {"arns": p.arn})
    assert r.status_code == 200 and "Delete 1 policy?" in r.content.decode()
    r = console.post("/policies/delete/", {"arns": p.arn, "confirmed": "1", "confirm": "delete"})
    assert r.status_code == 400 and "Enter p to confirm." in r.content.decode()
    assert ManagedPolicy.objects.filter(pk=p.pk).exists()
    r = console.post("/policies/delete/", {"arns": p.arn, "confirmed": "1", "confirm": "p"})
    assert r.status_code == 302 and not ManagedPolicy.objects.filter(pk=p.pk).exists()


# -- groups and roles -------------------------------------------------------------------------


def test_groups_are_deleted_together_with_their_members_removed(console, root, iam_user):
    from accounts.models import Group
    from accounts.operations.groups import add_user_to_group, create_group

    create_group(actor=root, name="g1")
    create_group(actor=root, name="g2")
    add_user_to_group(actor=root, group_name="g1", user_name="alice")
    html = console.get("/groups/").content.decode()
    assert 'value="g1" form="group-bulk"' in html
    r = console.post("/delete-groups/", {"names": ["g1", "g2"]})
    assert r.status_code == 200 and "Delete 2 groups?" in r.content.decode()
    r = console.post(
        "/delete-groups/", {"names": ["g1", "g2"], "confirmed": "1", "confirm": "delete"}
    )
    assert r.status_code == 302 and r["Location"] == "/groups/"
    assert not Group.objects.filter(name__in=["g1", "g2"]).exists()
    assert IamUser.objects.filter(name="alice").exists()


def test_roles_batch_is_all_or_nothing(console, root):
    import json

    from accounts.models import Role
    from accounts.operations.roles import create_role

    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    create_role(actor=root, name="r1", trust_policy=trust)
    html = console.get("/roles/").content.decode()
    assert 'value="r1" form="role-bulk"' in html
    data = {"names": ["r1", "missing"], "confirmed": "1", "confirm": "delete"}
    r = console.post("/delete-roles/", data)
    assert r.status_code == 404 and "missing" in r.content.decode()
    assert Role.objects.filter(name="r1").exists()  # the batch rolled back
    r = console.post("/delete-roles/", {**data, "names": ["r1"], "confirm": "r1"})
    assert r.status_code == 302 and not Role.objects.filter(name="r1").exists()
