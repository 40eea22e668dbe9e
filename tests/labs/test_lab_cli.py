"""The labs' command line end to end: start a class, act in one seat with boto3 as
the trainee, grade, reset, end; and the operations' rules behind it."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.errors import EntityAlreadyExists, NoSuchEntity, ValidationError
from accounts.models import Account, ConsoleUser, IamUser
from audit.models import AuditEvent
from labs import operations as ops
from labs.format import load_lab_file
from labs.models import Instructor, LabClass, Seat

LAB = Path(__file__).resolve().parent / "data" / "cli-lab.yaml"


def lab_cmd(*args: str) -> str:
    out = io.StringIO()
    call_command("lab", *args, stdout=out)
    return out.getvalue()


def lab_json(*args: str) -> dict[str, Any]:
    return json.loads(lab_cmd(*args, "--json"))


def iam_client(url: str, seat: dict[str, Any]) -> Any:
    return boto3.session.Session().client(
        "iam",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=seat["access_key_id"],
        aws_secret_access_key=seat["secret_access_key"],
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def passed(grade: dict[str, Any], seat: int) -> dict[str, bool]:
    row = next(s for s in grade["seats"] if s["seat"] == seat)
    return {o["id"]: o["passed"] for o in row["objectives"]}


@pytest.mark.django_db(transaction=True)
def test_start_act_grade_reset_end(live_server: Any) -> None:
    started = lab_json("start", str(LAB), "--seats", "2", "--name", "cli", "--base-url", "http://x")
    assert started["class"] == "cli" and started["lab"] == "cli-test-lab"
    seats = started["seats"]
    assert [s["seat"] for s in seats] == [1, 2]
    assert [s["alias"] for s in seats] == ["cli-1", "cli-2"]
    assert seats[0]["signin_url"] == "http://x/signin/cli-1/"
    assert seats[0]["user_name"] == "trainee" and seats[0]["password"]
    assert seats[0]["access_key_id"].startswith("AKIA") and len(seats[0]["secret_access_key"]) == 40
    assert seats[0]["account_id"] != seats[1]["account_id"]

    grade = lab_json("grade", "cli")
    assert grade["class"] == "cli" and grade["lab"] == "cli-test-lab"
    for seat in (1, 2):
        assert passed(grade, seat) == {
            "auditors-group": False,
            "carol-reads": False,
            "carol-cannot-write": True,
            "trainee-made-group": False,
        }
    row = grade["seats"][0]
    assert row["score"] == 1 and row["max_score"] == 7
    details = {o["id"]: o["detail"] for o in row["objectives"]}
    assert details["trainee-made-group"] == "no matching event"
    assert "false" in details["auditors-group"].lower()

    # The trainee works in seat 1 through the API.
    iam = iam_client(live_server.url, seats[0])
    iam.create_group(GroupName="auditors")
    iam.attach_group_policy(
        GroupName="auditors", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"
    )
    iam.add_user_to_group(GroupName="auditors", UserName="carol")
    # Seat 1's trainee sees seat 1's users only, and cannot act in seat 2.
    assert sorted(u["UserName"] for u in iam.list_users()["Users"]) == ["carol", "trainee"]
    with pytest.raises(ClientError) as denied:
        iam.get_role(RoleName="x")
    assert denied.value.response["Error"]["Code"] == "NoSuchEntity"

    grade = lab_json("grade", "cli")
    assert all(passed(grade, 1).values())
    assert grade["seats"][0]["score"] == 7
    assert not passed(grade, 2)["auditors-group"]
    one = lab_json("grade", "cli", "--seat", "2")
    assert [s["seat"] for s in one["seats"]] == [2]

    # Reset seat 1: back to the start, with new credentials; the old key is gone.
    reset = lab_json("reset", "cli", "--seat", "1")
    (fresh,) = reset["seats"]
    assert fresh["seat"] == 1 and fresh["account_id"] == seats[0]["account_id"]
    assert fresh["access_key_id"] != seats[0]["access_key_id"]
    assert fresh["password"] != seats[0]["password"]
    assert not passed(lab_json("grade", "cli"), 1)["auditors-group"]
    assert not passed(lab_json("grade", "cli"), 1)["trainee-made-group"]  # events since reset
    with pytest.raises(ClientError) as gone:
        iam.list_groups()
    assert gone.value.response["Error"]["Code"] == "InvalidClientTokenId"
    assert iam_client(live_server.url, fresh).list_groups()["Groups"] == []

    out = lab_cmd("end", "cli")
    assert "2 seat account(s) deleted" in out
    ids = [s["account_id"] for s in seats]
    assert not Account.objects.filter(pk__in=ids).exists()
    assert not LabClass.objects.filter(name="cli").exists()
    assert not ConsoleUser.objects.filter(account_id__in=ids).exists()


@pytest.mark.django_db
def test_start_is_all_or_nothing() -> None:
    # Seat 2's alias is taken by an ordinary account: nothing of the class survives.
    Account.objects.create(id="123412341234", alias="busy-2")
    lab = load_lab_file(LAB)
    before = (Account.objects.count(), IamUser.objects.count(), LabClass.objects.count())
    with pytest.raises(EntityAlreadyExists):
        ops.start_class(lab=lab, seats=3, name="busy")
    after = (Account.objects.count(), IamUser.objects.count(), LabClass.objects.count())
    assert after == before
    assert AuditEvent.objects.filter(event_name="StartClass", allowed=False).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "seats"), [("Bad_Name", 1), ("-x", 1), ("x" * 57, 1), ("ok", 0), ("ok", 101)]
)
def test_start_refuses_bad_names_and_sizes(name: str, seats: int) -> None:
    with pytest.raises(ValidationError):
        ops.start_class(lab=load_lab_file(LAB), seats=seats, name=name)
    assert not LabClass.objects.exists() and not Account.objects.exists()


@pytest.mark.django_db
def test_taken_class_name_and_cli_errors() -> None:
    lab = load_lab_file(LAB)
    ops.start_class(lab=lab, seats=1, name="dup")
    with pytest.raises(EntityAlreadyExists):
        ops.start_class(lab=lab, seats=1, name="dup")
    with pytest.raises(CommandError, match="already exists"):
        lab_cmd("start", str(LAB), "--seats", "1", "--name", "dup")
    with pytest.raises(CommandError, match="cannot be found"):
        lab_cmd("grade", "nope")
    with pytest.raises(CommandError, match="no seat 9"):
        lab_cmd("reset", "dup", "--seat", "9")
    with pytest.raises(CommandError, match="No instructor"):
        lab_cmd("start", str(LAB), "--seats", "1", "--name", "x2", "--instructor", "a@b.c")
    assert LabClass.objects.count() == 1


@pytest.mark.django_db
def test_instructors_see_only_their_classes() -> None:
    lab = load_lab_file(LAB)
    ann = Instructor.objects.create(email="ann@example.com", password="!")
    ben = Instructor.objects.create(email="ben@example.com", password="!")
    mine = ops.start_class(lab=lab, seats=1, name="anns", instructor=ann).lab_class
    assert list(ops.classes_of(ann)) == [mine] and not ops.classes_of(ben).exists()
    assert ops.find_class("anns", instructor=ann) == mine
    with pytest.raises(NoSuchEntity):
        ops.find_class("anns", instructor=ben)
    seat = Seat.objects.get(lab_class=mine)
    with pytest.raises(NoSuchEntity):
        ops.reset_seat(seat=seat, instructor=ben)
    with pytest.raises(NoSuchEntity):
        ops.end_class(lab_class=mine, instructor=ben)
    assert LabClass.objects.filter(pk=mine.pk).exists()
    ops.end_class(lab_class=mine, instructor=ann)
    assert not LabClass.objects.exists()


@pytest.mark.django_db
def test_seat_accounts_are_ordinary_and_credentials_follow_the_trainee() -> None:
    lab = load_lab_file(LAB)
    started = ops.start_class(lab=lab, seats=2, name="iso")
    a, b = started.seats
    assert ops.seat_of_account(a.account_id).number == 1
    assert ops.seat_of_account("000000000000") is None
    root = ConsoleUser.objects.get(account_id=a.account_id, is_root=True)
    assert not root.has_usable_password()
    handout = ops.seat_credentials(started.lab_class, base_url="http://h")
    assert [h.password for h in handout] == [a.password, b.password]
    assert handout[0].secret_access_key == a.secret_access_key
    # Once the trainee changes the initial password, the handout no longer has it.
    from accounts.operations.credentials import change_password
    from accounts.principal import user_principal

    trainee = IamUser.objects.get(account_id=a.account_id, name="trainee")
    change_password(
        actor=user_principal(trainee), old_password=a.password, new_password="N3w-pass-word!!"
    )
    handout = ops.seat_credentials(started.lab_class, base_url="http://h")
    assert handout[0].password is None and handout[1].password == b.password


@pytest.mark.django_db
def test_a_poll_with_no_change_reuses_the_grades_and_any_change_regrades() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.operations.groups import create_group
    from accounts.principal import root_principal

    started = ops.start_class(lab=load_lab_file(LAB), seats=3, name="poll")
    first = ops.grade_class(lab_class=started.lab_class)
    with CaptureQueriesContext(connection) as fresh:
        again = ops.grade_class(lab_class=started.lab_class)
    assert again == first
    assert len(fresh.captured_queries) <= 3  # the lab class's seats and their activity
    seat1 = started.seats[0].account_id
    create_group(actor=root_principal(seat1), name="auditors")
    after = ops.grade_class(lab_class=started.lab_class)
    assert {o.id: o.passed for o in after[0].objectives}["auditors-group"] is True
    assert after[1:] == first[1:]


@pytest.mark.django_db
def test_the_demo_instructor_is_seeded_once_and_can_sign_in() -> None:
    from labs.instructors import authenticate

    first = io.StringIO()
    call_command("seed_demo_instructor", "--port", "8101", stdout=first)
    assert "demo instructor (created)" in first.getvalue()
    assert "http://127.0.0.1:8101/instructor/" in first.getvalue()
    again = io.StringIO()
    call_command("seed_demo_instructor", stdout=again)
    assert "demo instructor (kept)" in again.getvalue()
    assert Instructor.objects.count() == 1
    assert authenticate("instructor@example.com", "instructor-password-1") is not None
