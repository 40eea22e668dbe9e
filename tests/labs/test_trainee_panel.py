"""The trainee's lab panel: the "Lab" link on every console page of a seat's account,
/lab/ (instructions as safe Markdown, objectives, score, hints), "Check my progress",
and what it never shows (the checks, a failed check's detail)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import ConsoleUser, IamUser
from accounts.operations.groups import create_group
from accounts.principal import root_principal, user_principal
from labs import operations as ops
from labs.format import load_lab
from labs.markdown import render_markdown
from labs.models import Seat
from tests.conftest import HTMX, signed_in

LAB_YAML = """\
id: panel-lab
title: Give the auditors a group
summary: The trainee panel's tests.
instructions: |
  ## Your task

  Create a group **auditors**. <script>alert("instructions")</script>

  - [the IAM guide](https://docs.aws.amazon.com/IAM/latest/UserGuide/)
  - [x](javascript:alert(1))
  - ![diagram](https://example.com/diagram.png)
start:
  authorization_details:
    UserDetailList:
      - UserName: trainee
        AttachedManagedPolicies:
          - PolicyArn: arn:aws:iam::aws:policy/IAMFullAccess
            PolicyName: IAMFullAccess
seat:
  user: trainee
objectives:
  - id: auditors-group
    title: The auditors group exists
    hint: "Use **Create group**. <img src=x onerror=alert(2)>"
    points: 2
    check:
      query: "length(AuthorizationDetails.GroupDetailList[?GroupName=='auditors']) == `1`"
  - id: secret-check
    title: The hidden objective
    points: 3
    check:
      query: "length(AuthorizationDetails.GroupDetailList[?GroupName=='sekrit-answer-group']) == `1`"
"""


@pytest.fixture
def lab_class(db):
    return ops.start_class(
        lab=load_lab(LAB_YAML), seats=1, name="panel", base_url="http://testserver"
    ).lab_class


@pytest.fixture
def seat(lab_class):
    return Seat.objects.get(lab_class=lab_class, number=1)


@pytest.fixture
def trainee(seat):
    """The seat's IAM user, past the first sign-in's password change."""
    user = IamUser.objects.get(account_id=seat.account_id, name="trainee")
    ConsoleUser.objects.filter(pk=user.console_id).update(password_reset_required=False)
    return user


@pytest.fixture
def trainee_console(trainee):
    return signed_in(Client(), trainee)


def as_trainee(trainee: IamUser):
    return user_principal(trainee, source_ip="127.0.0.1")


# -- the navigation link -----------------------------------------------------------------


def test_every_console_page_of_a_seat_links_to_its_lab(trainee_console):
    for url in ["/", "/users/", "/groups/", "/account/"]:
        html = trainee_console.get(url).content.decode()
        assert 'href="/lab/"' in html and "Lab: Give the auditors a group" in html, url


def test_an_ordinary_account_has_no_lab(console, lab_class):
    html = console.get("/").content.decode()
    assert 'href="/lab/"' not in html
    r = console.get(reverse("labs:lab"))
    assert r.status_code == 404 and "not a seat" in r.content.decode()
    assert console.post(reverse("labs:lab-check"), headers=HTMX).status_code == 404


def test_the_link_costs_one_query_per_page(trainee_console):
    with CaptureQueriesContext(connection) as queries:
        r = trainee_console.get("/users/")
    assert r.status_code == 200
    seat_queries = [q["sql"] for q in queries.captured_queries if '"labs_seat"' in q["sql"]]
    assert len(seat_queries) == 1
    assert not [
        q for q in queries.captured_queries if 'FROM "labs_labclass"' in q["sql"]
    ]  # joined into the seat's query


def test_the_lab_needs_a_console_sign_in(client, lab_class):
    r = client.get(reverse("labs:lab"))
    assert r.status_code == 302 and r.url.startswith(reverse("accounts:signin"))


def test_any_identity_of_the_seats_account_sees_the_lab(seat):
    # The seat's root (nobody signs in as it in practice, but it is the account's).
    c = signed_in(Client(), root_principal(seat.account_id))
    assert c.get(reverse("labs:lab")).status_code == 200


# -- the panel -----------------------------------------------------------------------------


def test_the_panel_shows_the_lab_objectives_and_score(trainee_console):
    r = trainee_console.get(reverse("labs:lab"))
    html = r.content.decode()
    assert r.status_code == 200
    assert "<h1>Give the auditors a group</h1>" in html
    assert "<h2>Your task</h2>" in html and "<strong>auditors</strong>" in html
    assert "The auditors group exists" in html and "2 points" in html
    assert "The hidden objective" in html and "3 points" in html
    assert re.search(r"Score: <strong>0</strong> / 5", html)
    assert html.count("Not yet") == 2
    assert 'aria-current="page"' in html.split('href="/lab/"')[1][:80]


def test_instructions_and_hints_are_rendered_safely(trainee_console):
    html = trainee_console.get(reverse("labs:lab")).content.decode()
    main = html.split('<main id="main"')[1]
    assert "<script" not in main
    assert "&lt;script&gt;alert(&quot;instructions&quot;)&lt;/script&gt;" in main
    assert "<img" not in main and "&lt;img src=x onerror=alert(2)&gt;" in main
    assert 'href="javascript:' not in main.lower() and "[x](javascript:alert(1))" in main
    assert (
        '<a href="https://docs.aws.amazon.com/IAM/latest/UserGuide/" '
        'rel="nofollow noopener noreferrer">the IAM guide</a>'
    ) in main
    # An image is a link to it (the CSP would block it, and it would tell its host who reads).
    assert (
        '<a href="https://example.com/diagram.png" rel="nofollow noopener noreferrer">diagram</a>'
        in main
    )


def test_hints_are_shown_on_demand(trainee_console):
    html = trainee_console.get(reverse("labs:lab")).content.decode()
    item = html.split('id="objective-auditors-group"')[1].split("</li>")[0]
    assert "<details" in item and "<summary>Show hint</summary>" in item
    assert "<strong>Create group</strong>" in item
    hidden = html.split('id="objective-secret-check"')[1].split("</li>")[0]
    assert "<details" not in hidden  # no hint given


def test_the_panel_never_shows_the_checks_nor_why_they_failed(trainee_console, seat):
    grade = ops.grade_seat(seat)
    details = [o.detail for o in grade.objectives if o.detail]
    assert details  # the failed checks do carry a detail (for the instructor)
    for url, kwargs in [
        (reverse("labs:lab"), {}),
    ]:
        html = trainee_console.get(url, **kwargs).content.decode()
        for detail in details:
            assert detail not in html
        assert "sekrit-answer-group" not in html and "GroupDetailList" not in html
    html = trainee_console.post(reverse("labs:lab-check"), headers=HTMX).content.decode()
    assert "sekrit-answer-group" not in html and not any(d in html for d in details)


def test_check_my_progress_regrades_in_place(trainee_console, trainee):
    html = trainee_console.get(reverse("labs:lab")).content.decode()
    assert 'hx-post="/lab/check/"' in html and 'hx-target="#lab-progress"' in html
    create_group(actor=as_trainee(trainee), name="auditors")
    r = trainee_console.post(reverse("labs:lab-check"), headers=HTMX)
    fragment = r.content.decode()
    assert r.status_code == 200 and "<html" not in fragment
    assert fragment.lstrip().startswith('<section class="card lab-progress" id="lab-progress"')
    item = fragment.split('id="objective-auditors-group"')[1].split("</li>")[0]
    assert "objective-passed" in fragment and "Passed" in item
    assert re.search(r"Score: <strong>2</strong> / 5", fragment)
    assert "Checked just now." in fragment


def test_check_my_progress_without_htmx_reloads_the_panel(trainee_console):
    r = trainee_console.post(reverse("labs:lab-check"))
    assert r.status_code == 302 and r.url == reverse("labs:lab")


def test_check_my_progress_needs_csrf(trainee):
    strict = signed_in(Client(enforce_csrf_checks=True), trainee)
    html = strict.get(reverse("labs:lab")).content.decode()
    assert "csrfmiddlewaretoken" in html
    assert strict.post(reverse("labs:lab-check"), headers=HTMX).status_code == 403


def test_a_trainee_who_must_change_the_password_sees_only_that_step(seat):
    user = IamUser.objects.get(account_id=seat.account_id, name="trainee")
    c = signed_in(Client(), user)  # the login profile requires a new password
    r = c.get(reverse("labs:lab"))
    assert r.status_code == 302 and r.url.startswith(
        reverse("accounts:user-signin-change-password")
    )


def test_the_lab_is_gone_once_the_class_ends(trainee_console, lab_class):
    ops.end_class(lab_class=lab_class)
    r = trainee_console.get(reverse("labs:lab"))
    assert r.status_code == 302  # the account, and its users, are gone


# -- the Markdown renderer ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;", "<script"),
        ("[x](javascript:alert(1))", "[x](javascript:alert(1))", "<a"),
        ("[x](JaVaScRiPt:alert(1))", "[x](JaVaScRiPt:alert(1))", "<a"),
        ("[x](data:text/html;base64,PHNjcmlwdD4=)", "[x](data:text/html", "<a"),
        ("[x](vbscript:msgbox)", "[x](vbscript:msgbox)", "<a"),
        ('<a href="https://x">raw</a>', "&lt;a href=&quot;https://x&quot;&gt;raw&lt;/a&gt;", "<a "),
        ("[ok](https://example.com/)", 'rel="nofollow noopener noreferrer"', "<script"),
        ("![pic](data:image/png;base64,AAAA)", "pic", "<img"),
        ("`<b>code</b>`", "<code>&lt;b&gt;code&lt;/b&gt;</code>", "<b>"),
        (
            '[t](https://e.com "a\\" onmouseover=\\"x")',
            'title="a&quot; onmouseover=&quot;x"',
            '" onmouseover',
        ),
    ],
)
def test_markdown_is_rendered_safely(text, present, absent):
    html = str(render_markdown(text))
    assert present in html
    assert absent not in html


def test_markdown_renders_commonmark():
    html = str(render_markdown("# Title\n\n1. **one**\n2. `two`\n\n```\naws iam list-users\n```"))
    assert "<h1>Title</h1>" in html and "<strong>one</strong>" in html
    assert "<pre><code>aws iam list-users\n</code></pre>" in html
