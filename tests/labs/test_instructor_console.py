"""The instructor console: create_instructor, sign-in with mandatory MFA, throttling,
sessions kept apart from the console's, isolation between instructors, and the class
pages (start, grid, credentials .csv, handout, reset, end)."""

from __future__ import annotations

import base64
import csv
import io
import re
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts import throttle
from accounts.models import Account, Group, IamUser
from accounts.operations.credentials import change_password
from accounts.operations.groups import create_group
from accounts.principal import user_principal
from accounts.totp import code_at, current_step
from audit.models import AuditEvent
from labs import operations as ops
from labs.format import load_lab
from labs.instructors import create_instructor, instructor_key
from labs.models import Instructor, LabClass, Seat
from labs.pages.session import INSTRUCTOR_KEY
from tests.conftest import HTMX, TOTP_SEED, signed_in

EMAIL = "teach@example.com"
PASSWORD = "Instructor-pass-1!"
OTHER_EMAIL = "other-teacher@example.org"
BAD_CREDENTIALS = "Your authentication information is incorrect. Please try again."

LAB_YAML = """\
id: grid-lab
title: Make the auditors group
summary: A small lab for the console tests.
instructions: |
  Create a group **auditors**.
start:
  authorization_details:
    UserDetailList:
      - UserName: {user}
        AttachedManagedPolicies:
          - PolicyArn: arn:aws:iam::aws:policy/IAMFullAccess
            PolicyName: IAMFullAccess
seat:
  user: "{user}"
  access_key: {key}
objectives:
  - id: auditors-group
    title: The auditors group exists
    hint: aws iam create-group --group-name auditors
    points: 2
    check:
      query: "length(AuthorizationDetails.GroupDetailList[?GroupName=='auditors']) == `1`"
  - id: trainee-made-group
    title: You created the group yourself
    points: 3
    check:
      event: {{name: CreateGroup, result: allowed}}
"""

BROKEN_YAML = """\
id: Broken Lab!
title: ""
start:
  authorization_details: {}
seat:
  user: trainee
objectives:
  - id: one
    title: One
    check:
      query: "length(["
"""


def a_lab(user: str = "trainee", key: bool = True):
    return load_lab(LAB_YAML.format(user=user, key="true" if key else "false"))


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def instructor(db):
    return create_instructor(email=EMAIL, password=PASSWORD)


def enroll(instructor: Instructor, seed: bytes = TOTP_SEED) -> Instructor:
    """The instructor with an enabled virtual MFA device seeded with ``seed``."""
    instructor.set_seed(seed)
    instructor.mfa_enabled = timezone.now()
    instructor.save()
    return instructor


@pytest.fixture
def enrolled(instructor):
    return enroll(instructor)


def as_instructor(client: Client, instructor: Instructor) -> Client:
    """``client`` with a completed instructor sign-in (what the MFA step leaves)."""
    session = client.session
    session[INSTRUCTOR_KEY] = {"id": instructor.pk, "verified": True, "started": time.time()}
    session.save()
    return client


@pytest.fixture
def teacher(client, enrolled):
    return as_instructor(client, enrolled)


@pytest.fixture
def other_teacher(db):
    other = enroll(create_instructor(email=OTHER_EMAIL, password=PASSWORD))
    return as_instructor(Client(), other)


@pytest.fixture
def started(enrolled):
    return ops.start_class(
        lab=a_lab(), seats=2, name="grid", instructor=enrolled, base_url="http://testserver"
    )


def sign_in(client: Client, email: str = EMAIL, password: str = PASSWORD, **extra):
    return client.post(
        reverse("labs:instructor-signin"), {"email": email, "password": password, **extra}
    )


def next_code(instructor: Instructor, seed: bytes = TOTP_SEED) -> str:
    instructor.refresh_from_db()
    return code_at(seed, max(current_step(), instructor.last_t + 1))


# -- create_instructor ---------------------------------------------------------------------


def test_create_instructor_command_makes_an_instructor_with_an_argon2_hash(db):
    out = io.StringIO()
    call_command(
        "create_instructor", "--email", "New@Example.com", "--password", PASSWORD, stdout=out
    )
    made = Instructor.objects.get(email="new@example.com")
    assert made.password.startswith("argon2") and PASSWORD not in made.password
    assert made.mfa_enabled is None and "/instructor/signin/" in out.getvalue()


def test_create_instructor_refuses_a_taken_email_clearly(instructor):
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_instructor", "--email", EMAIL.upper(), "--password", PASSWORD)
    assert Instructor.objects.count() == 1


@pytest.mark.parametrize(
    "password", ["short1!", "alllowercase", "teach@example.com", "NoDigitsOrSymbols"]
)
def test_create_instructor_applies_roots_password_rules(db, password):
    with pytest.raises(CommandError):
        call_command("create_instructor", "--email", EMAIL, "--password", password)
    assert not Instructor.objects.exists()


# -- sign-in -------------------------------------------------------------------------------


def test_first_sign_in_enrolls_a_virtual_mfa_device_with_two_consecutive_codes(client, instructor):
    client.get(reverse("labs:instructor-signin"))
    before = client.session.session_key
    r = sign_in(client)
    assert r.status_code == 302 and r.url == reverse("labs:instructor-signin-enroll")
    after_password = client.session.session_key
    assert after_password != before
    assert client.session[INSTRUCTOR_KEY]["verified"] is False

    # Not signed in yet: the instructor pages send the browser to the step still owed.
    r = client.get(reverse("labs:class-list"))
    assert r.status_code == 302 and r.url.startswith(reverse("labs:instructor-signin-enroll"))

    r = client.get(reverse("labs:instructor-signin-enroll"))
    html = r.content.decode()
    assert r.status_code == 200 and "<svg" in html
    secret = re.search(r'<p class="secret mono">([A-Z2-7]+)</p>', html).group(1)
    seed = base64.b32decode(secret + "=" * (-len(secret) % 8))
    # Reloading the page in the same session shows the same secret.
    assert secret in client.get(reverse("labs:instructor-signin-enroll")).content.decode()

    t = current_step()
    r = client.post(
        reverse("labs:instructor-signin-enroll"),
        {"code1": code_at(seed, t - 1), "code2": code_at(seed, t)},
    )
    assert r.status_code == 302 and r.url == reverse("labs:class-list")
    assert client.session.session_key != after_password
    assert client.session[INSTRUCTOR_KEY]["verified"] is True
    instructor.refresh_from_db()
    assert instructor.mfa_enabled is not None and instructor.seed() == seed
    assert instructor.last_t == t  # neither enrollment code signs in again

    r = client.get(reverse("labs:class-list"))
    assert r.status_code == 200 and EMAIL in r.content.decode()
    assert not r.wsgi_request.user.is_authenticated  # no console identity
    event = AuditEvent.objects.filter(event_name="InstructorConsoleLogin").latest("time")
    assert event.allowed and event.account_id is None and event.actor_arn == f"instructor/{EMAIL}"
    assert event.event_source == "labs" and event.request["MFAUsed"] == "Yes"


def test_enrollment_refuses_codes_that_are_not_consecutive(client, instructor):
    sign_in(client)
    html = client.get(reverse("labs:instructor-signin-enroll")).content.decode()
    secret = re.search(r'<p class="secret mono">([A-Z2-7]+)</p>', html).group(1)
    seed = base64.b32decode(secret + "=" * (-len(secret) % 8))
    t = current_step()
    r = client.post(
        reverse("labs:instructor-signin-enroll"),
        {"code1": code_at(seed, t), "code2": code_at(seed, t - 1)},
    )
    assert r.status_code == 200 and "two consecutive codes" in r.content.decode()
    instructor.refresh_from_db()
    assert instructor.mfa_enabled is None


def test_enrollment_post_without_the_page_shown_in_this_session_is_refused(client, instructor):
    sign_in(client)
    r = client.post(
        reverse("labs:instructor-signin-enroll"), {"code1": "123456", "code2": "654321"}
    )
    assert r.status_code == 302 and r.url == reverse("labs:instructor-signin-enroll")
    instructor.refresh_from_db()
    assert instructor.mfa_enabled is None


def test_later_sign_ins_ask_one_code_and_a_code_works_once(enrolled):
    first, second = Client(), Client()
    for c in (first, second):
        r = sign_in(c)
        assert r.status_code == 302 and r.url == reverse("labs:instructor-signin-mfa")
    code = next_code(enrolled)
    r = first.post(reverse("labs:instructor-signin-mfa"), {"code": code})
    assert r.status_code == 302 and r.url == reverse("labs:class-list")
    assert first.get(reverse("labs:class-list")).status_code == 200

    # The same code again, from another browser that passed the password: refused.
    r = second.post(reverse("labs:instructor-signin-mfa"), {"code": code})
    assert r.status_code == 200 and BAD_CREDENTIALS in r.content.decode()
    assert second.get(reverse("labs:class-list")).status_code == 302
    failure = AuditEvent.objects.filter(event_name="InstructorConsoleLogin", allowed=False).get()
    assert failure.request == {"InstructorConsoleLogin": "Failure", "MFAUsed": "Yes"}


@pytest.mark.django_db(transaction=True)
def test_parallel_sign_ins_with_one_code_let_exactly_one_in():
    from django.db import connection

    instructor = enroll(create_instructor(email=EMAIL, password=PASSWORD))
    clients = [Client() for _ in range(6)]
    for c in clients:
        assert sign_in(c).url == reverse("labs:instructor-signin-mfa")
    code = next_code(instructor)
    barrier = threading.Barrier(len(clients))
    answers: list[int] = []

    def post(c: Client) -> None:
        try:
            barrier.wait()
            r = c.post(reverse("labs:instructor-signin-mfa"), {"code": code})
            answers.append(r.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # One sign-in; the others are refused (200 with the message) or, once the device's
    # growing wait after the replays begins, not even checked (429).
    assert answers.count(302) == 1 and set(answers) <= {200, 302, 429}
    assert sum(c.get(reverse("labs:class-list")).status_code == 200 for c in clients) == 1


def test_the_mfa_step_is_not_reachable_without_the_password(client, enrolled):
    r = client.get(reverse("labs:instructor-signin-mfa"))
    assert r.status_code == 302 and r.url == reverse("labs:instructor-signin")
    r = client.post(reverse("labs:instructor-signin-mfa"), {"code": next_code(enrolled)})
    assert r.status_code == 302 and r.url == reverse("labs:instructor-signin")


def test_wrong_password_and_unknown_email_get_the_same_answer(client, enrolled):
    wrong = sign_in(client, password="Wrong-password-1!")
    unknown = sign_in(client, email="nobody@example.com")
    assert wrong.status_code == unknown.status_code == 200
    for r in (wrong, unknown):
        assert BAD_CREDENTIALS in r.content.decode()
    assert INSTRUCTOR_KEY not in client.session
    arns = set(
        AuditEvent.objects.filter(event_name="InstructorConsoleLogin", allowed=False).values_list(
            "actor_arn", flat=True
        )
    )
    # An unknown email is not written to the trail (it may be a mistyped password).
    assert arns == {f"instructor/{EMAIL}", "instructor/HIDDEN_DUE_TO_SECURITY_REASONS"}


def test_failed_passwords_are_throttled_with_retry_after(client, enrolled, clock):
    for _ in range(throttle.FREE_FAILURES):
        assert sign_in(client, password="Wrong-password-1!").status_code == 200
    r = sign_in(client)  # the right password alone, but too soon
    assert r.status_code == 429 and int(r["Retry-After"]) >= 1
    assert "Too many failed sign-in attempts" in r.content.decode()
    assert INSTRUCTOR_KEY not in client.session


def test_unknown_emails_are_throttled_alike(client, db, clock):
    for _ in range(throttle.FREE_FAILURES):
        sign_in(client, email="ghost@example.com", password="x")
    r = sign_in(client, email="ghost@example.com", password="x")
    assert r.status_code == 429 and r["Retry-After"]


def test_a_locked_instructor_still_signs_in_with_password_and_code(client, enrolled, clock):
    for _ in range(throttle.FREE_FAILURES):
        sign_in(client, password="Wrong-password-1!")
    r = sign_in(client, password="Wrong-password-1!", code=next_code(enrolled))
    assert r.status_code == 429  # a wrong password with a right code: the same page
    r = sign_in(client, code=next_code(enrolled))
    assert r.status_code == 302 and r.url == reverse("labs:class-list")
    assert client.get(reverse("labs:class-list")).status_code == 200
    assert not throttle.SignInThrottle.objects.filter(key=instructor_key(EMAIL)).exists()


def test_wrong_codes_are_throttled(client, enrolled, clock):
    sign_in(client)
    for _ in range(throttle.FREE_FAILURES):
        r = client.post(reverse("labs:instructor-signin-mfa"), {"code": "000000"})
        assert r.status_code in (200, 429)
    r = client.post(reverse("labs:instructor-signin-mfa"), {"code": next_code(enrolled)})
    assert r.status_code == 429 and int(r["Retry-After"]) >= 1


def test_signing_out_ends_the_instructor_session(teacher):
    assert teacher.get(reverse("labs:class-list")).status_code == 200
    r = teacher.post(reverse("labs:instructor-signout"))
    assert r.status_code == 302
    assert teacher.get(reverse("labs:class-list")).status_code == 302


def test_an_instructor_session_opens_no_console_page(teacher):
    for url in ["/", "/users/", "/account/", "/lab/"]:
        r = teacher.get(url)
        assert r.status_code == 302 and r.url.startswith(reverse("accounts:signin")), url


def test_a_root_console_session_opens_no_instructor_page(client, root, enrolled):
    signed_in(client, root)
    # Even with an instructor's (stale) state in the same session.
    session = client.session
    session[INSTRUCTOR_KEY] = {"id": enrolled.pk, "verified": True, "started": time.time()}
    session.save()
    r = client.get(reverse("labs:class-list"))
    assert r.status_code == 302 and r.url.startswith(reverse("labs:instructor-signin"))


def test_an_instructor_signing_in_ends_the_browsers_console_session(client, root, enrolled):
    signed_in(client, root)
    assert client.get("/").status_code == 200
    sign_in(client)
    client.post(reverse("labs:instructor-signin-mfa"), {"code": next_code(enrolled)})
    assert client.get(reverse("labs:class-list")).status_code == 200
    assert client.get("/").status_code == 302


def test_htmx_requests_without_an_instructor_get_hx_redirect(client, db):
    r = client.get(reverse("labs:class-list"), headers=HTMX)
    assert r.status_code == 200 and r["HX-Redirect"] == reverse("labs:instructor-signin")


def test_an_instructor_session_older_than_the_absolute_lifetime_is_over(client, enrolled, settings):
    as_instructor(client, enrolled)
    session = client.session
    session[INSTRUCTOR_KEY] = {**session[INSTRUCTOR_KEY], "started": time.time() - 13 * 3600}
    session.save()
    assert client.get(reverse("labs:class-list")).status_code == 302


# -- classes list and isolation ------------------------------------------------------------


def test_the_class_list_shows_only_the_instructors_own_classes(teacher, other_teacher, started):
    ops.start_class(
        lab=a_lab(),
        seats=1,
        name="theirs",
        instructor=Instructor.objects.get(email=OTHER_EMAIL),
        base_url="http://testserver",
    )
    html = teacher.get(reverse("labs:class-list")).content.decode()
    assert "grid" in html and "Make the auditors group" in html and "theirs" not in html
    assert re.search(r'<td class="num">2</td>', html)  # seats
    other = other_teacher.get(reverse("labs:class-list")).content.decode()
    assert "theirs" in other and 'href="/instructor/classes/grid/"' not in other


def test_another_instructors_class_is_a_404_like_a_missing_one(other_teacher, started):
    urls = [
        reverse("labs:class-detail", args=["grid"]),
        reverse("labs:class-grid", args=["grid"]),
        reverse("labs:class-credentials", args=["grid"]),
        reverse("labs:class-handout", args=["grid"]),
        reverse("labs:class-reset", args=["grid"]),
        reverse("labs:seat-reset", args=["grid", 1]),
        reverse("labs:class-end", args=["grid"]),
    ]
    for url in urls:
        theirs = other_teacher.get(url)
        missing = other_teacher.get(url.replace("/grid/", "/nope/", 1))
        assert theirs.status_code == missing.status_code == 404, url
        assert "cannot be found" in theirs.content.decode()
    for url in [
        reverse("labs:class-end", args=["grid"]),
        reverse("labs:seat-reset", args=["grid", 1]),
    ]:
        assert other_teacher.post(url, {"confirm": "grid"}).status_code == 404
    assert LabClass.objects.filter(name="grid").exists()
    assert not AuditEvent.objects.filter(event_name="DownloadSeatCredentials").exists()


# -- start a class -------------------------------------------------------------------------


def test_the_start_page_lists_the_shipped_labs(teacher):
    r = teacher.get(reverse("labs:class-start"))
    html = r.content.decode()
    assert r.status_code == 200 and 'enctype="multipart/form-data"' in html
    assert 'value="account-hygiene"' in html and "csrfmiddlewaretoken" in html


def test_start_a_class_from_a_shipped_lab(teacher, enrolled):
    r = teacher.post(
        reverse("labs:class-start"),
        {"source": "catalog", "lab": "account-hygiene", "name": "hygiene", "seats": "2"},
    )
    assert r.status_code == 302 and r.url == reverse("labs:class-detail", args=["hygiene"])
    lab_class = LabClass.objects.get(name="hygiene")
    assert lab_class.instructor == enrolled and lab_class.lab_id == "account-hygiene"
    assert lab_class.seats.count() == 2
    assert Account.objects.filter(alias="hygiene-2").exists()
    page = teacher.get(r.url).content.decode()
    assert "Class hygiene started with 2 seats." in page


def test_the_class_name_defaults_to_the_lab_id(teacher):
    r = teacher.post(
        reverse("labs:class-start"), {"source": "catalog", "lab": "account-hygiene", "seats": "1"}
    )
    assert r.status_code == 302 and LabClass.objects.filter(name="account-hygiene").exists()


def test_start_a_class_from_an_uploaded_lab(teacher, enrolled):
    upload = SimpleUploadedFile("mine.yaml", LAB_YAML.format(user="trainee", key="false").encode())
    r = teacher.post(
        reverse("labs:class-start"),
        {"source": "upload", "lab_file": upload, "name": "mine", "seats": "1"},
    )
    assert r.status_code == 302
    assert LabClass.objects.get(name="mine").lab_id == "grid-lab"


def test_an_uploaded_lab_with_errors_shows_every_issue_with_its_line(teacher):
    upload = SimpleUploadedFile("broken.yaml", BROKEN_YAML.encode())
    r = teacher.post(
        reverse("labs:class-start"), {"source": "upload", "lab_file": upload, "seats": "1"}
    )
    html = r.content.decode()
    assert r.status_code == 200 and 'id="lab-issues"' in html
    issues = re.findall(r"<li>.*?</li>", html.split('id="lab-issues"')[1].split("</ul>")[0], re.S)
    assert len(issues) >= 2
    assert re.search(r"<strong>Line 1</strong>", html)  # the id
    assert not LabClass.objects.exists()


def test_an_upload_that_is_not_yaml_text_is_a_form_error(teacher):
    upload = SimpleUploadedFile("x.yaml", b"\xff\xfe\x00garbage")
    r = teacher.post(
        reverse("labs:class-start"), {"source": "upload", "lab_file": upload, "seats": "1"}
    )
    assert r.status_code == 200 and "not UTF-8" in r.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"seats": "0"}, "from 1 to 100"),
        ({"seats": "101"}, "from 1 to 100"),
        ({"name": "Bad_Name"}, "lower-case letters"),
        ({"name": "two--hyphens"}, "single hyphens"),
        ({"name": "-edge"}, "single hyphens"),
        ({"lab": "../../etc/passwd"}, "Select a valid choice"),
    ],
)
def test_start_form_errors_are_shown_in_the_form(teacher, data, message):
    form = {"source": "catalog", "lab": "account-hygiene", "seats": "1", **data}
    r = teacher.post(reverse("labs:class-start"), form)
    assert r.status_code == 200 and message in r.content.decode()
    assert not LabClass.objects.exists()


def test_a_taken_class_name_is_a_form_error_not_a_500(teacher, started):
    r = teacher.post(
        reverse("labs:class-start"),
        {"source": "catalog", "lab": "account-hygiene", "name": "grid", "seats": "1"},
    )
    assert r.status_code == 409 and "already exists" in r.content.decode()
    assert LabClass.objects.filter(name="grid").count() == 1


# -- the class page and its grid -----------------------------------------------------------


def test_the_class_page_polls_its_grid(teacher, started):
    r = teacher.get(reverse("labs:class-detail", args=["grid"]))
    html = r.content.decode()
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    grid = reverse("labs:class-grid", args=["grid"])
    assert f'hx-get="{grid}" hx-trigger="every 3s"' in html
    assert "The auditors group exists" in html and "(2 pts)" in html
    assert html.count('class="grid-cell cell-pending"') == 4  # 2 seats x 2 objectives


def test_the_grid_partial_shows_each_seats_progress(teacher, started):
    seat = Seat.objects.get(lab_class__name="grid", number=2)
    trainee = IamUser.objects.get(account_id=seat.account_id, name="trainee")
    create_group(actor=user_principal(trainee, source_ip="127.0.0.1"), name="auditors")

    r = teacher.get(reverse("labs:class-grid", args=["grid"]), headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and html.lstrip().startswith("<div")
    row1 = html.split('id="seat-1"')[1].split("</tr>")[0]
    row2 = html.split('id="seat-2"')[1].split("</tr>")[0]
    assert "cell-passed" not in row1 and "0 / 5" in row1 and "None yet" in row1
    assert row2.count("cell-passed") == 2 and "5 / 5" in row2 and "ago</time>" in row2
    assert "grid-2" in row2  # the seat's alias


def test_the_grid_of_an_ended_class_is_a_404_fragment(teacher, started, enrolled):
    ops.end_class(lab_class=started.lab_class, instructor=enrolled)
    r = teacher.get(reverse("labs:class-grid", args=["grid"]), headers=HTMX)
    assert r.status_code == 404 and "<html" not in r.content.decode()


# -- credentials ---------------------------------------------------------------------------


def test_the_credentials_csv_holds_every_seat_and_is_never_cached(teacher, started, enrolled):
    r = teacher.get(reverse("labs:class-credentials", args=["grid"]))
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert r["Cache-Control"] == "no-store"
    assert (
        "attachment" in r["Content-Disposition"]
        and "grid-credentials.csv" in r["Content-Disposition"]
    )
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    assert rows[0] == [
        "Seat",
        "Account ID",
        "Account alias",
        "Console sign-in URL",
        "User name",
        "Password",
        "Access key ID",
        "Secret access key",
    ]
    assert len(rows) == 3
    by_seat = {c.seat: c for c in started.seats}
    for row in rows[1:]:
        c = by_seat[int(row[0])]
        assert row[1:] == [
            c.account_id,
            c.alias,
            f"http://testserver/signin/{c.alias}/",
            "trainee",
            c.password,
            c.access_key_id,
            c.secret_access_key,
        ]
    event = AuditEvent.objects.get(event_name="DownloadSeatCredentials")
    assert event.actor_arn == f"instructor/{EMAIL}" and event.account_id is None
    assert event.request == {"className": "grid", "format": "csv", "seats": 2}
    assert started.seats[0].password not in str(event.request)


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_quoted(teacher, enrolled):
    ops.start_class(
        lab=a_lab(user="=cmd", key=False),
        seats=1,
        name="formula",
        instructor=enrolled,
        base_url="http://testserver",
    )
    r = teacher.get(reverse("labs:class-credentials", args=["formula"]))
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    assert rows[1][4] == "'=cmd"
    assert rows[1][6:] == ["", ""]  # no access key in this lab


def test_a_password_the_trainee_changed_is_no_longer_in_the_csv(teacher, started):
    seat = Seat.objects.get(lab_class__name="grid", number=1)
    trainee = IamUser.objects.get(account_id=seat.account_id, name="trainee")
    change_password(
        actor=user_principal(trainee, source_ip="127.0.0.1"),
        old_password=seat.initial_password(),
        new_password="Trainee-own-Passw0rd!",
    )
    r = teacher.get(reverse("labs:class-credentials", args=["grid"]))
    rows = {row[0]: row for row in csv.reader(io.StringIO(r.content.decode()))}
    assert rows["1"][5] == "" and rows["2"][5] == started.seats[1].password
    handout = teacher.get(reverse("labs:class-handout", args=["grid"])).content.decode()
    assert "Already changed by the trainee" in handout


def test_the_handout_prints_one_seat_per_page(teacher, started, client):
    r = teacher.get(reverse("labs:class-handout", args=["grid"]))
    html = r.content.decode()
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    assert html.count('<section class="handout-seat"') == 2
    for c in started.seats:
        assert escape(c.password) in html
        assert c.signin_url in html and c.access_key_id in html
    css_url = static("css/labs.css")
    assert f'href="{css_url}"' in html
    css = (Path(settings.BASE_DIR) / "static" / "css" / "labs.css").read_text()
    assert "break-after: page" in css
    event = AuditEvent.objects.get(event_name="DownloadSeatCredentials")
    assert event.request["format"] == "handout"


# -- reset and end -------------------------------------------------------------------------


def test_reset_one_seat_after_confirming(teacher, started):
    seat = Seat.objects.get(lab_class__name="grid", number=1)
    trainee = IamUser.objects.get(account_id=seat.account_id, name="trainee")
    create_group(actor=user_principal(trainee, source_ip="127.0.0.1"), name="auditors")
    url = reverse("labs:seat-reset", args=["grid", 1])
    confirm = teacher.get(url)
    assert confirm.status_code == 200 and "Reset seat 1 of grid?" in confirm.content.decode()
    assert Group.objects.filter(account_id=seat.account_id).exists()  # GET changes nothing

    r = teacher.post(url)
    assert r.status_code == 302 and r.url == reverse("labs:class-detail", args=["grid"])
    assert not Group.objects.filter(account_id=seat.account_id).exists()
    seat.refresh_from_db()
    assert seat.initial_password() != started.seats[0].password
    assert AuditEvent.objects.filter(
        event_name="ResetSeat", actor_arn=f"instructor/{EMAIL}"
    ).exists()
    assert "Seat 1 was reset" in teacher.get(r.url).content.decode()


@pytest.mark.parametrize("number", ["9", "0", "x", "²", "99999999999999999999"])
def test_reset_a_missing_seat_is_a_404(teacher, started, number):
    assert teacher.post(reverse("labs:seat-reset", args=["grid", number])).status_code == 404


def test_reset_all_seats(teacher, started):
    before = {s.number: s.initial_password() for s in Seat.objects.filter(lab_class__name="grid")}
    assert teacher.get(reverse("labs:class-reset", args=["grid"])).status_code == 200
    r = teacher.post(reverse("labs:class-reset", args=["grid"]))
    assert r.status_code == 302
    after = {s.number: s.initial_password() for s in Seat.objects.filter(lab_class__name="grid")}
    assert all(after[n] != before[n] for n in before)
    assert AuditEvent.objects.filter(event_name="ResetSeat").count() == 2


def test_end_a_class_after_typing_its_name(teacher, started):
    accounts = [c.account_id for c in started.seats]
    url = reverse("labs:class-end", args=["grid"])
    assert "End class grid?" in teacher.get(url).content.decode()
    r = teacher.post(url, {"confirm": "gird"})
    assert r.status_code == 200 and "Enter grid exactly" in r.content.decode()
    assert LabClass.objects.filter(name="grid").exists()

    r = teacher.post(url, {"confirm": "grid"})
    assert r.status_code == 302 and r.url == reverse("labs:class-list")
    assert not LabClass.objects.filter(name="grid").exists()
    assert not Account.objects.filter(pk__in=accounts).exists()
    assert AuditEvent.objects.filter(
        event_name="EndClass", actor_arn=f"instructor/{EMAIL}"
    ).exists()
    assert teacher.get(reverse("labs:class-detail", args=["grid"])).status_code == 404


def test_every_form_carries_a_csrf_token_and_posts_need_it(enrolled, started):
    strict = as_instructor(Client(enforce_csrf_checks=True), enrolled)
    for url in [
        reverse("labs:class-start"),
        reverse("labs:class-end", args=["grid"]),
        reverse("labs:class-reset", args=["grid"]),
        reverse("labs:seat-reset", args=["grid", 1]),
    ]:
        assert "csrfmiddlewaretoken" in strict.get(url).content.decode(), url
        assert strict.post(url, {"confirm": "grid"}).status_code == 403, url
    assert LabClass.objects.filter(name="grid").exists()


def test_lab_text_is_escaped_on_the_instructor_pages(teacher, enrolled):
    lab = load_lab(
        LAB_YAML.format(user="trainee", key="false").replace(
            "title: Make the auditors group", 'title: "<script>alert(1)</script>"'
        )
    )
    ops.start_class(lab=lab, seats=1, name="xss", instructor=enrolled, base_url="http://testserver")
    for url in [reverse("labs:class-list"), reverse("labs:class-detail", args=["xss"])]:
        html = teacher.get(url).content.decode()
        assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
