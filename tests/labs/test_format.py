"""The lab file format (labs/format.py, labs/README.md): what loads, what is refused, and
the line of each problem.

Most tests replace the importer's checker of the start state with one that finds
nothing (``quiet_importer``), so they are about this format alone and need no
database; the tests marked ``django_db`` run the real one (and skip until it exists).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from labs.format import (
    MAX_FILE_BYTES,
    SEAT_ACCOUNT,
    DecisionCheck,
    EventCheck,
    Lab,
    LabFileError,
    LabIssue,
    Objective,
    QueryCheck,
    SeatSpec,
    StartState,
    load_lab,
    load_lab_file,
)

ROOT = Path(__file__).resolve().parents[2]
IMPORTER = "accounts.operations.importer"


def fake_importer(monkeypatch, check):
    module = types.ModuleType(IMPORTER)
    module.check_authorization_details = check
    monkeypatch.setitem(sys.modules, IMPORTER, module)
    return module


@pytest.fixture(autouse=True)
def quiet_importer(request, monkeypatch):
    if request.node.get_closest_marker("django_db") is None:
        fake_importer(monkeypatch, lambda details: [])


def problems(text: str, **kw) -> list[tuple[int | None, str]]:
    with pytest.raises(LabFileError) as caught:
        load_lab(text, **kw)
    return [(i.line, i.message) for i in caught.value.issues]


def has(found: list[tuple[int | None, str]], line: int | None, fragment: str) -> bool:
    return any(n == line and fragment in message for n, message in found)


def assert_problems(found, *expected: tuple[int | None, str]) -> None:
    missing = [e for e in expected if not has(found, *e)]
    assert not missing, f"missing {missing} in {found}"


# Nine lines; objectives start on line 10.
HEAD = """\
id: demo
title: Demo
summary: A demo.
instructions: Do it.
start:
  authorization_details: {}
seat:
  user: trainee
objectives:
"""
QUERY_OBJECTIVE = """\
  - id: q
    title: Q
    check: {query: "`true`"}
"""
MINIMAL = HEAD + QUERY_OBJECTIVE


def with_objective(body: str) -> str:
    """HEAD and one objective whose ``check:`` is on line 12 and its body from line 13."""
    return HEAD + "  - id: o\n    title: O\n    check:\n" + body


FULL = """\
id: require-mfa-for-admins
title: Require MFA for the admins group
summary: One line for lists.
instructions: |
  Make **bob** use MFA.
start:
  authorization_details:
    UserDetailList:
      - UserName: bob
        GroupList: [admins]
      - UserName: alice
    GroupDetailList:
      - GroupName: admins
        AttachedManagedPolicies:
          - PolicyName: AdministratorAccess
            PolicyArn: arn:aws:iam::aws:policy/AdministratorAccess
  password_policy:
    MinimumPasswordLength: 14
    RequireSymbols: true
    RequireNumbers: false
    RequireUppercaseCharacters: true
    RequireLowercaseCharacters: true
    AllowUsersToChangePassword: true
    MaxPasswordAge: 90
    PasswordReusePrevention: 24
    HardExpiry: false
    ExpirePasswords: true
  access_keys: [alice, bob]
seat:
  user: trainee
  access_key: true
objectives:
  - id: bob-denied-without-mfa
    title: Without MFA, bob cannot manage IAM
    hint: Use aws:MultiFactorAuthPresent.
    points: 10
    check:
      denied: {principal: user/bob, action: iam:CreateUser, resource: "*",
               context: {"aws:MultiFactorAuthPresent": "false", "aws:SourceIp": ["10.0.0.1", "10.0.0.2"]}}
  - id: bob-allowed-with-mfa
    title: With MFA, bob can
    check:
      allowed:
        principal: "arn:aws:iam::${SeatAccountId}:user/bob"
        action: iam:createuser
        resource: "arn:aws:iam::${SeatAccountId}:user/new"
  - id: admins-exist
    title: The group is there
    points: 2
    check:
      query: "length(AuthorizationDetails.GroupDetailList[?GroupName=='admins']) == `1`"
  - id: alice-assumed
    title: Alice assumed the role
    check:
      event: {name: AssumeRole, principal: user/alice, result: denied, resource: "arn:aws:iam::*:role/admin"}
  - id: any-sign-in
    title: Someone signed in
    check:
      event: {name: ConsoleLogin}
"""


# ---------------------------------------------------------------- what loads


def test_a_lab_with_every_field_loads_into_the_dataclasses():
    lab = load_lab(FULL)
    assert (lab.id, lab.title, lab.summary) == (
        "require-mfa-for-admins",
        "Require MFA for the admins group",
        "One line for lists.",
    )
    assert lab.instructions == "Make **bob** use MFA.\n"
    assert lab.start.authorization_details["UserDetailList"][0] == {
        "UserName": "bob",
        "GroupList": ["admins"],
    }
    # ExpirePasswords is output only: accepted and dropped.
    assert lab.start.password_policy == {
        "MinimumPasswordLength": 14,
        "RequireSymbols": True,
        "RequireNumbers": False,
        "RequireUppercaseCharacters": True,
        "RequireLowercaseCharacters": True,
        "AllowUsersToChangePassword": True,
        "MaxPasswordAge": 90,
        "PasswordReusePrevention": 24,
        "HardExpiry": False,
    }
    assert lab.start.access_keys == ("alice", "bob")
    assert lab.seat == SeatSpec(user="trainee", access_key=True)
    first, second, third, fourth, fifth = lab.objectives
    assert first == Objective(
        id="bob-denied-without-mfa",
        title="Without MFA, bob cannot manage IAM",
        hint="Use aws:MultiFactorAuthPresent.",
        points=10,
        check=DecisionCheck(
            expect="denied",
            principal="user/bob",
            action="iam:CreateUser",
            resource="*",
            context={
                "aws:MultiFactorAuthPresent": "false",
                "aws:SourceIp": ["10.0.0.1", "10.0.0.2"],
            },
        ),
    )
    assert second.check == DecisionCheck(
        expect="allowed",
        principal=f"arn:aws:iam::{SEAT_ACCOUNT}:user/bob",
        action="iam:createuser",  # as written: actions ignore case
        resource=f"arn:aws:iam::{SEAT_ACCOUNT}:user/new",
    )
    assert third.check == QueryCheck(
        "length(AuthorizationDetails.GroupDetailList[?GroupName=='admins']) == `1`"
    )
    assert fourth.check == EventCheck(
        name="AssumeRole",
        principal="user/alice",
        result="denied",
        resource="arn:aws:iam::*:role/admin",
    )
    assert fifth.check == EventCheck(name="ConsoleLogin")
    assert lab.max_score == 10 + 1 + 2 + 1 + 1


def test_left_out_optional_fields_take_their_defaults():
    lab = load_lab(with_objective("      denied: {principal: role/admin, action: iam:ListUsers}\n"))
    assert lab.start == StartState(authorization_details={}, password_policy=None, access_keys=())
    assert lab.seat == SeatSpec(user="trainee", access_key=False)
    (objective,) = lab.objectives
    assert (objective.hint, objective.points) == ("", 1)
    assert objective.check == DecisionCheck(
        expect="denied", principal="role/admin", action="iam:ListUsers", resource="*", context={}
    )


def test_an_optional_key_given_as_null_counts_as_left_out():
    text = MINIMAL.replace("  user: trainee\n", "  user: trainee\n  access_key:\n")
    text = text.replace(
        "  authorization_details: {}\n",
        "  authorization_details: {}\n  password_policy:\n  access_keys: ~\n",
    )
    lab = load_lab(text + "    hint:\n    points: null\n")
    assert lab.seat.access_key is False
    assert lab.start.password_policy is None and lab.start.access_keys == ()
    assert (lab.objectives[0].hint, lab.objectives[0].points) == ("", 1)


def test_title_and_summary_are_stripped():
    lab = load_lab(MINIMAL.replace("title: Demo", "title: '  Demo  '"))
    assert lab.title == "Demo"


def test_anchors_and_merge_keys_work_and_own_keys_win():
    text = with_objective(
        "      denied:\n"
        "        <<: &bob {principal: user/bob, action: iam:CreateUser, resource: 'arn:aws:s3:::x'}\n"
        "        resource: '*'\n"
    )
    text += "  - id: p\n    title: P\n    check:\n      allowed: *bob\n"
    lab = load_lab(text)
    assert lab.objectives[0].check == DecisionCheck("denied", "user/bob", "iam:CreateUser", "*")
    assert lab.objectives[1].check == DecisionCheck(
        "allowed", "user/bob", "iam:CreateUser", "arn:aws:s3:::x"
    )


def test_a_date_stays_the_text_that_was_written():
    text = MINIMAL.replace(
        "authorization_details: {}",
        "authorization_details: {UserDetailList: [{UserName: bob, CreateDate: 2024-01-02T03:04:05Z}]}",
    )
    details = load_lab(text).start.authorization_details
    assert details["UserDetailList"][0]["CreateDate"] == "2024-01-02T03:04:05Z"


# ---------------------------------------------------------------- to_dict / from_dict


def test_to_dict_is_json_and_from_dict_gives_the_same_lab(tmp_path):
    (tmp_path / "start.json").write_text(json.dumps({"UserDetailList": [{"UserName": "alice"}]}))
    (tmp_path / "lab.yaml").write_text(
        FULL.replace(
            FULL[FULL.index("  authorization_details:") : FULL.index("  password_policy:")],
            "  authorization_details: start.json\n",
        ).replace("access_keys: [alice, bob]", "access_keys: [alice]")
    )
    for lab in (load_lab(FULL), load_lab_file(tmp_path / "lab.yaml")):
        document = lab.to_dict()
        text = json.dumps(document)  # JSON-serializable
        assert Lab.from_dict(json.loads(text)) == lab
        assert load_lab(text) == lab  # the stored document is itself a valid lab file
    assert document["start"]["authorization_details"] == {"UserDetailList": [{"UserName": "alice"}]}


def test_to_dict_is_a_copy():
    lab = load_lab(FULL)
    document = lab.to_dict()
    document["start"]["authorization_details"]["UserDetailList"].clear()
    document["objectives"][0]["check"]["denied"]["context"].clear()
    assert lab.start.authorization_details["UserDetailList"]
    assert lab.objectives[0].check.context


def test_minimal_lab_round_trips():
    lab = load_lab(MINIMAL)
    assert Lab.from_dict(lab.to_dict()) == lab


# ---------------------------------------------------------------- many problems at once


BROKEN = """\
id: Bad_Id
title: 12
summary: ok
summary: again
instructions: [x]
objectves: []
start:
  authorization_details: {UserDetailList: [{UserName: bob}]}
  password_policy: {MinimumPasswordLength: 3, RequireSymbols: "yes", Foo: 1}
  access_keys: [carol, bob, bob, "bad name"]
seat:
  user: trainee
  acess_key: true
objectives:
  - id: a
    title: A
    points: 0
    check: {}
  - id: a
    title: B
    check:
      allowed: {principal: usr/bob, action: "iam:*"}
  - id: c
    title: C
    check:
      denied: {principal: role/admin, action: iam:CreateUsr, context: {"aws:MultiFactorAuthPresent": false}}
  - id: d
    title: D
    check: {query: "foo[?"}
  - id: e
    title: E
    check: {event: {name: createuser, result: maybe}}
"""


def test_every_problem_is_reported_at_once_with_its_line():
    found = problems(BROKEN)
    assert_problems(
        found,
        (1, "id: 'Bad_Id' is not an id"),
        (2, "title: must be a string, not a number"),
        (4, "duplicate key 'summary' (first at line 3)"),
        (5, "instructions: must be a string (Markdown), not a list"),
        (6, "unknown key 'objectves' (did you mean 'objectives'?)"),
        (9, "start.password_policy.MinimumPasswordLength: must be from 6 to 128"),
        (9, "start.password_policy.RequireSymbols: must be true or false, not a string"),
        (9, "start.password_policy: unknown key 'Foo'"),
        (10, "start.access_keys[0]: 'carol' is not a user in"),
        (10, "start.access_keys[2]: 'bob' is listed twice"),
        (10, "start.access_keys[3]: 'bad name' is not a valid IAM user name"),
        (13, "seat: unknown key 'acess_key' (did you mean 'access_key'?)"),
        (17, "objectives[0].points: must be a whole number from 1 to 1000, not 0"),
        (18, "objectives[0].check: needs one of allowed, denied, query or event"),
        (19, "objectives[1].id: duplicate objective id 'a' (first at line 15)"),
        (22, "objectives[1].check.allowed.principal: 'usr/bob' is not a principal"),
        (22, "objectives[1].check.allowed.action: wildcards are not allowed"),
        (26, "'CreateUsr' is not an action of iam (did you mean 'CreateUser'?)"),
        (26, "context.aws:MultiFactorAuthPresent: context values are strings"),
        (29, "objectives[3].check.query: not a JMESPath expression"),
        (32, "objectives[4].check.event.name: event names are case-sensitive: write 'CreateUser'"),
        (32, "objectives[4].check.event.result: must be allowed or denied"),
    )
    assert len(found) == 22
    assert [line for line, _ in found] == sorted(line for line, _ in found)  # in file order


def test_the_error_lists_every_issue_in_its_message():
    with pytest.raises(LabFileError) as caught:
        load_lab(BROKEN)
    assert "line 6: unknown key 'objectves'" in str(caught.value)
    assert all(isinstance(i, LabIssue) for i in caught.value.issues)


# ---------------------------------------------------------------- YAML level


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("id: x\ntitle: [a\n", 3, "YAML syntax error: while parsing a flow sequence"),
        ("id: x\n  title: y\n", 2, "YAML syntax error: mapping values are not allowed here"),
        ("id: x\n\ttitle: y\n", 2, "found character '\\t'"),
        ("id: x\n---\nid: y\n", 2, "expected a single document in the stream"),
        ("id: x\ntitle: \x07\n", 2, "the character #x0007 is not allowed"),
    ],
)
def test_a_yaml_syntax_error_is_reported_with_its_line(text, line, fragment):
    assert_problems(problems(text), (line, fragment))


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("- a\n- b\n", 1, "a lab file is a mapping (id: ..., title: ...), not a list"),
        ("\n\njust text\n", 3, "not a string"),
        ("", None, "the lab file is empty"),
        ("# only a comment\n", None, "the lab file is empty"),
    ],
)
def test_a_file_that_is_not_a_mapping_is_refused(text, line, fragment):
    [(found_line, message)] = problems(text)
    assert found_line == line and fragment in message


def test_duplicate_keys_are_errors_at_every_level():
    text = MINIMAL.replace("  user: trainee\n", "  user: trainee\n  user: other\n")
    text = text.replace("title: Demo\n", "title: Demo\ntitle: Again\n")
    text += "    title: Twice\n"
    found = problems(text)
    assert_problems(
        found,
        (3, "duplicate key 'title' (first at line 2)"),
        (10, "seat: duplicate key 'user' (first at line 9)"),
        (15, "objectives[0]: duplicate key 'title' (first at line 13)"),
    )
    assert len(found) == 3


def test_duplicate_keys_inside_the_authorization_details_are_errors_too():
    text = MINIMAL.replace(
        "  authorization_details: {}\n",
        "  authorization_details:\n    UserDetailList: []\n    UserDetailList: []\n",
    )
    assert problems(text) == [
        (8, "start.authorization_details: duplicate key 'UserDetailList' (first at line 7)")
    ]


def test_unknown_keys_are_errors_with_a_suggestion():
    text = MINIMAL.replace(
        "  user: trainee\n", "  user: trainee\n  acess_key: true\n  colour: red\n"
    )
    text += "    hnit: x\n"
    assert_problems(
        problems(text.replace("summary:", "sumary:")),
        (3, "unknown key 'sumary' (did you mean 'summary'?)"),
        (None, "missing required key 'summary'"),
        (9, "seat: unknown key 'acess_key' (did you mean 'access_key'?)"),
        (10, "seat: unknown key 'colour'"),
        (15, "objectives[0]: unknown key 'hnit' (did you mean 'hint'?)"),
    )


def test_missing_required_keys_point_at_the_mapping_that_lacks_them():
    text = (
        "id: x\nstart:\n  password_policy: {}\nseat: {access_key: true}\nobjectives:\n  - {id: a}\n"
    )
    assert_problems(
        problems(text),
        (None, "missing required key 'title'"),
        (None, "missing required key 'summary'"),
        (None, "missing required key 'instructions'"),
        (2, "start: missing required key 'authorization_details'"),
        (4, "seat: missing required key 'user'"),
        (6, "objectives[0]: missing required key 'title'"),
        (6, "objectives[0]: missing required key 'check'"),
    )


def test_keys_must_be_strings():
    found = problems("id: x\n1: a\non: b\n? [c]\n: d\n")
    assert_problems(
        found,
        (2, "the key '1' is not a string (YAML reads it as a number): quote it"),
        (3, "the key 'on' is not a string (YAML reads it as a boolean): quote it"),
        (4, "a key must be a string"),
    )


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("!!binary aGk=", "the tag tag:yaml.org,2002:binary is not allowed (JSON values only)"),
        (
            "!!python/object/apply:os.system [ls]",
            "tag:yaml.org,2002:python/object/apply:os.system is not allowed",
        ),
        ("!!set {a, b}", "the tag tag:yaml.org,2002:set is not allowed"),
        ("!custom x", "could not determine a constructor for the tag '!custom'"),
        (".nan", ".nan is not a JSON number"),
        ("-.inf", "-.inf is not a JSON number"),
    ],
)
def test_values_that_are_not_json_are_refused_once(value, fragment):
    found = problems(MINIMAL.replace("title: Demo", f"title: {value}"))
    assert found == [(2, f"title: {fragment}")] or has(found, 2, fragment)
    assert len([f for f in found if f[0] == 2]) == 1  # not also "must be a string"


def test_an_alias_inside_itself_is_refused():
    assert_problems(
        problems(MINIMAL.replace("title: Demo", "title: &t [*t]")),
        (2, "title[0]: an alias refers to the value that contains it"),
    )


def test_an_alias_bomb_stops():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for n in range(1, 8):
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 10) + "]")
    assert problems("\n".join(lines) + "\n") == [
        (None, "the file expands to too many values (aliases repeated too often)")
    ]


def test_deep_nesting_is_refused():
    assert_problems(problems("a: " + "[" * 3000 + "]" * 3000 + "\n"), (None, "nested too deeply"))


def test_a_file_over_1_mib_is_refused(tmp_path):
    big = MINIMAL + "# " + "x" * MAX_FILE_BYTES + "\n"
    assert problems(big) == [
        (None, f"the lab file is {len(big)} bytes; at most {MAX_FILE_BYTES} (1 MiB)")
    ]
    path = tmp_path / "big.yaml"
    path.write_text(big)
    with pytest.raises(LabFileError, match="at most 1048576"):
        load_lab_file(path)


def test_a_file_that_is_not_utf8_or_not_there_is_an_issue(tmp_path):
    path = tmp_path / "lab.yaml"
    path.write_bytes(b"id: \xff\n")
    with pytest.raises(LabFileError, match="not UTF-8"):
        load_lab_file(path)
    with pytest.raises(LabFileError, match="cannot read the lab file"):
        load_lab_file(tmp_path / "missing.yaml")


def test_a_utf8_byte_order_mark_is_fine(tmp_path):
    path = tmp_path / "lab.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_lab_file(path).id == "demo"


# ---------------------------------------------------------------- top-level fields


@pytest.mark.parametrize("good", ["a", "a-b", "0", "x" * 64, "require-mfa-for-admins", "a1-2b"])
def test_good_ids(good):
    assert load_lab(MINIMAL.replace("id: demo", f"id: '{good}'")).id == good


@pytest.mark.parametrize("bad", ["A", "a_b", "-a", "a-", "x" * 65, "a b", "'é'", "''"])
def test_bad_ids(bad):
    found = problems(MINIMAL.replace("id: demo", f"id: {bad}"))
    assert len(found) == 1 and found[0][0] == 1 and found[0][1].startswith("id: ")


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("title: " + "t" * 201, "title: is 201 characters; at most 200"),
        ("title: ''", "title: must not be empty"),
        ('title: "two\\nlines"', "title: must be one line"),
        ("title: true", "title: must be a string, not a boolean (quote it)"),
        ("title:", "title: missing value"),
    ],
)
def test_title_rules(line, fragment):
    assert problems(MINIMAL.replace("title: Demo", line)) == [(2, fragment)]


def test_title_of_200_characters_and_summary_of_300_are_fine():
    text = MINIMAL.replace("title: Demo", "title: " + "t" * 200)
    lab = load_lab(text.replace("summary: A demo.", "summary: " + "s" * 300))
    assert (len(lab.title), len(lab.summary)) == (200, 300)


def test_summary_rules():
    assert problems(MINIMAL.replace("summary: A demo.", "summary: " + "s" * 301)) == [
        (3, "summary: is 301 characters; at most 300")
    ]
    assert problems(MINIMAL.replace("summary: A demo.", "summary: |\n  one\n  two")) == [
        (3, "summary: must be one line")
    ]


def test_instructions_are_markdown_text_and_may_be_empty():
    assert load_lab(MINIMAL.replace("instructions: Do it.", "instructions: ''")).instructions == ""
    assert problems(MINIMAL.replace("instructions: Do it.", "instructions: {a: 1}")) == [
        (4, "instructions: must be a string (Markdown), not a mapping")
    ]


def test_section_types():
    assert problems(HEAD.replace("objectives:\n", "objectives: []\n")) == [
        (9, "objectives: a lab needs at least one objective")
    ]
    assert problems(HEAD.replace("objectives:\n", "objectives: {a: 1}\n")) == [
        (9, "objectives: must be a list of objectives, not a mapping")
    ]
    assert problems(HEAD) == [(9, "objectives: must be a list of objectives, not null")]
    assert problems(MINIMAL.replace("start:\n  authorization_details: {}\n", "start: []\n")) == [
        (5, "start: must be a mapping, not a list")
    ]
    assert problems(MINIMAL.replace("seat:\n  user: trainee\n", "seat: trainee\n")) == [
        (7, "seat: must be a mapping, not a string")
    ]


# ---------------------------------------------------------------- objectives


@pytest.mark.parametrize(
    ("points", "ok"),
    [
        ("1", True),
        ("1000", True),
        ("0", False),
        ("-1", False),
        ("1001", False),
        ("1.5", False),
        ("'3'", False),
        ("true", False),
    ],
)
def test_points_are_whole_numbers_from_1_to_1000(points, ok):
    text = MINIMAL + f"    points: {points}\n"
    if ok:
        assert load_lab(text).objectives[0].points == int(points)
    else:
        assert problems(text) == [
            (
                13,
                f"objectives[0].points: must be a whole number from 1 to 1000, not {load_value(points)!r}",
            )
        ]


def load_value(text):
    import yaml

    return yaml.safe_load(text)


def test_objective_ids_are_unique_and_well_formed():
    text = MINIMAL + QUERY_OBJECTIVE + QUERY_OBJECTIVE.replace("id: q", "id: Q!")
    assert problems(text) == [
        (13, "objectives[1].id: duplicate objective id 'q' (first at line 10)"),
        (
            16,
            "objectives[2].id: 'Q!' is not an id: 1 to 64 of a-z, 0-9 and '-', not starting or ending with '-'",
        ),
    ]


def test_hint_must_be_text():
    assert problems(MINIMAL + "    hint: [a]\n") == [
        (13, "objectives[0].hint: must be a string, not a list (quote it)")
    ]


@pytest.mark.parametrize(
    ("check", "line", "fragment"),
    [
        ("      {}\n", 12, "objectives[0].check: needs one of allowed, denied, query or event"),
        (
            "      query: '`true`'\n      event: {name: CreateUser}\n",
            12,
            "objectives[0].check: has query and event: a check is exactly one of them",
        ),
        (
            "      allowed: {principal: user/a, action: iam:ListUsers}\n      denied: {principal: user/a, action: iam:ListUsers}\n",
            12,
            "has allowed and denied",
        ),
        (
            "      allow: {principal: user/a, action: iam:ListUsers}\n",
            13,
            "objectives[0].check: unknown key 'allow' (did you mean 'allowed'?)",
        ),
        ("      - query: x\n", 12, "objectives[0].check: must be a mapping, not a list"),
    ],
)
def test_a_check_is_exactly_one_kind(check, line, fragment):
    found = problems(with_objective(check))
    assert_problems(found, (line, fragment))
    assert len(found) == 1  # an unknown kind is not also "needs one of"


def test_a_check_with_no_value():
    assert problems(HEAD + "  - id: o\n    title: O\n    check:\n") == [
        (12, "objectives[0].check: must be a mapping, not null")
    ]


# ---------------------------------------------------------------- decision checks


def decision(body: str) -> list[tuple[int | None, str]]:
    return problems(with_objective("      denied:\n" + body))


@pytest.mark.parametrize(
    "principal",
    [
        "user/bob",
        "role/Admin_Role+=,.@-",
        "user/" + "a" * 64,
        "arn:aws:iam::123456789012:user/bob",
        "arn:aws:iam::123456789012:user/division/team/bob",
        "arn:aws:iam::123456789012:role/admin",
        "arn:aws:iam::123456789012:root",
        "arn:aws:iam::${SeatAccountId}:root",
        "arn:aws:sts::123456789012:assumed-role/admin/session-1",
        "arn:aws:sts::${SeatAccountId}:assumed-role/admin/bob@example.com",
    ],
)
def test_good_principals(principal):
    lab = load_lab(
        with_objective(f"      denied: {{principal: '{principal}', action: iam:ListUsers}}\n")
    )
    assert lab.objectives[0].check.principal == principal


@pytest.mark.parametrize(
    ("principal", "fragment"),
    [
        ("bob", "'bob' is not a principal: write user/NAME, role/NAME or an ARN"),
        ("usr/bob", "'usr/bob' is not a principal"),
        ("user/", "'' is not a valid IAM user name"),
        ("user/b ob", "'b ob' is not a valid IAM user name"),
        ("user/" + "a" * 65, "is not a valid IAM user name"),
        ("role/a/b", "'a/b' is not a valid IAM role name"),
        ("group/admins", "'group/admins' is not a principal"),
        ("arn:aws:iam::12345:user/bob", "is not a principal"),
        ("arn:aws-cn:iam::123456789012:root", "is not a principal"),
        ("arn:aws:iam::123456789012:group/admins", "is not a principal"),
        ("arn:aws:iam::123456789012:user/", "is not a principal"),
        ("arn:aws:sts::123456789012:assumed-role/admin", "is not a principal"),
        ("arn:aws:sts::123456789012:assumed-role/admin/s", "'s' is not a valid role session name"),
        ("*", "'*' is not a principal"),
    ],
)
def test_bad_principals(principal, fragment):
    found = decision(f"        principal: '{principal}'\n        action: iam:ListUsers\n")
    assert found == [(14, f"objectives[0].check.denied.principal: {fragment}")] or has(
        found, 14, fragment
    )
    assert len(found) == 1


@pytest.mark.parametrize(
    ("action", "fragment"),
    [
        ("iam:*", "wildcards are not allowed in a check's action: a request names one action"),
        ("iam:Create*", "wildcards are not allowed"),
        ("iam:CreateUse?", "wildcards are not allowed"),
        ("'*'", "wildcards are not allowed"),
        ("CreateUser", "'CreateUser' is not service:Action (e.g. iam:CreateUser)"),
        ("'iam:'", "is not service:Action"),
        ("nosuchservice:DoIt", "unknown service prefix 'nosuchservice'"),
        ("iamm:CreateUser", "unknown service prefix 'iamm' (did you mean 'iam'?)"),
        ("iam:CreateUsr", "'CreateUsr' is not an action of iam (did you mean 'CreateUser'?)"),
        ("s3:GetObjekt", "'GetObjekt' is not an action of s3"),
        ("5", "action: must be a string, not a number"),
    ],
)
def test_an_action_is_one_catalog_action(action, fragment):
    found = decision(f"        principal: user/bob\n        action: {action}\n")
    assert len(found) == 1 and found[0][0] == 15 and fragment in found[0][1], found


@pytest.mark.parametrize(
    "action", ["iam:CreateUser", "iam:createuser", "s3:GetObject", "sts:AssumeRole"]
)
def test_catalog_actions_are_accepted_in_any_case(action):
    lab = load_lab(with_objective(f"      allowed: {{principal: user/bob, action: '{action}'}}\n"))
    assert lab.objectives[0].check.action == action


@pytest.mark.parametrize(
    ("resource", "ok"),
    [
        ("'*'", True),
        ("arn:aws:iam::123456789012:user/bob", True),
        ("'arn:aws:iam::${SeatAccountId}:role/admin'", True),
        ("arn:aws:s3:::bucket/*", True),
        ("bob", False),
        ("arn:aws:iam", False),
        ("''", False),
        ("12", False),
    ],
)
def test_resource_is_an_arn_or_star(resource, ok):
    text = with_objective(
        f"      allowed: {{principal: user/bob, action: iam:GetUser, resource: {resource}}}\n"
    )
    if ok:
        assert load_lab(text).objectives[0].check.resource == load_value(resource)
    else:
        found = problems(text)
        assert len(found) == 1 and found[0][0] == 13 and "resource" in found[0][1]


def test_context_values_are_strings_or_lists_of_strings():
    found = decision(
        "        principal: user/bob\n"
        "        action: iam:CreateUser\n"
        "        context:\n"
        "          aws:MultiFactorAuthPresent: false\n"  # 17
        "          aws:MultiFactorAuthAge: 300\n"  # 18
        "          aws:SourceIp: ['10.0.0.1', 3.5]\n"  # 19
        "          aws:RequestTag/team: {a: b}\n"  # 20
        "          aws:TagKeys:\n"  # 21
        "          nocolon: x\n"  # 22
        "          aws:username: 'bob'\n"
        "          aws:PrincipalTag/x: ['a', 'b']\n"
    )
    assert found == [
        (
            17,
            'objectives[0].check.denied.context.aws:MultiFactorAuthPresent: context values are strings, as in AWS\'s request context: quote it ("false")',
        ),
        (
            18,
            'objectives[0].check.denied.context.aws:MultiFactorAuthAge: context values are strings, as in AWS\'s request context: quote it ("300")',
        ),
        (
            19,
            'objectives[0].check.denied.context.aws:SourceIp[1]: context values are strings, as in AWS\'s request context: quote it ("3.5")',
        ),
        (
            20,
            "objectives[0].check.denied.context.aws:RequestTag/team: must be a string or a list of strings, not a mapping",
        ),
        (
            21,
            "objectives[0].check.denied.context.aws:TagKeys: must be a string or a list of strings, not null",
        ),
        (
            22,
            "objectives[0].check.denied.context.nocolon: is not a condition key (service:name, e.g. aws:SourceIp)",
        ),
    ]


def test_context_must_be_a_mapping():
    found = decision(
        "        principal: user/bob\n        action: iam:CreateUser\n        context: [a]\n"
    )
    assert found == [
        (
            16,
            "objectives[0].check.denied.context: must be a mapping of condition keys to strings, not a list",
        )
    ]


def test_decision_check_fields():
    found = decision("        action: iam:CreateUser\n        extra: 1\n")
    assert found == [
        (13, "objectives[0].check.denied: missing required key 'principal'"),
        (15, "objectives[0].check.denied: unknown key 'extra'"),
    ]


# ---------------------------------------------------------------- query checks


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("'foo[?'", "not a JMESPath expression: Incomplete expression at column 5"),
        ("'foo bar'", "not a JMESPath expression: Unexpected token: bar"),
        ("'a.$'", "not a JMESPath expression: Unknown token $ at column 2"),
        ("''", "must not be empty"),
        ("true", "must be a string, not a boolean"),
    ],
)
def test_a_query_must_compile(query, fragment):
    found = problems(with_objective(f"      query: {query}\n"))
    assert len(found) == 1 and found[0][0] == 13, found
    assert found[0][1].startswith("objectives[0].check.query: ") and fragment in found[0][1]


def test_a_multi_line_query_is_fine():
    lab = load_lab(
        with_objective("      query: >-\n        length(CredentialReport)\n        > `0`\n")
    )
    assert lab.objectives[0].check.expression == "length(CredentialReport) > `0`"


# ---------------------------------------------------------------- event checks


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("{name: CreateUser}", EventCheck("CreateUser")),
        (
            "{name: GetSessionToken, result: allowed}",
            EventCheck("GetSessionToken", result="allowed"),
        ),
        ("{name: LookupEvents}", EventCheck("LookupEvents")),
        (
            "{name: ConsoleLogin, principal: user/trainee}",
            EventCheck("ConsoleLogin", principal="user/trainee"),
        ),
        (
            "{name: AssumeRole, principal: 'arn:aws:sts::*:assumed-role/admin/*'}",
            EventCheck("AssumeRole", principal="arn:aws:sts::*:assumed-role/admin/*"),
        ),
        (
            "{name: DeleteRole, resource: 'arn:aws:iam::*:role/?dmin', result: denied}",
            EventCheck("DeleteRole", result="denied", resource="arn:aws:iam::*:role/?dmin"),
        ),
        (
            "{name: DeleteUser, principal: null, result: null, resource: null}",
            EventCheck("DeleteUser"),
        ),
    ],
)
def test_good_event_checks(body, expected):
    assert load_lab(with_objective(f"      event: {body}\n")).objectives[0].check == expected


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("{name: createUser}", "event.name: event names are case-sensitive: write 'CreateUser'"),
        (
            "{name: CreateUsr}",
            "event.name: 'CreateUsr' is not an event the console or API records (did you mean 'CreateUser'?)",
        ),
        ("{name: 'iam:CreateUser'}", "event.name: 'iam:CreateUser' is not an event name"),
        (
            "{name: CreateUser, result: maybe}",
            "event.result: must be allowed or denied (or left out for either), not 'maybe'",
        ),
        (
            "{name: CreateUser, result: true}",
            "event.result: must be allowed or denied (or left out for either), not True",
        ),
        ("{name: CreateUser, principal: bob}", "event.principal: 'bob' is not a principal"),
        ("{name: CreateUser, resource: ''}", "event.resource: must not be empty"),
        ("{result: allowed}", "event: missing required key 'name'"),
        ("{name: CreateUser, who: x}", "event: unknown key 'who'"),
    ],
)
def test_bad_event_checks(body, fragment):
    found = problems(with_objective(f"      event: {body}\n"))
    assert len(found) == 1 and found[0][0] == 13, found
    assert fragment in found[0][1]


# ---------------------------------------------------------------- start


def start(body: str) -> str:
    """MINIMAL with ``start:`` on line 5 and ``body`` from line 6."""
    return MINIMAL.replace("  authorization_details: {}\n", body)


def test_start_needs_its_authorization_details():
    assert problems(start("  access_keys: []\n")) == [
        (5, "start: missing required key 'authorization_details'")
    ]
    assert problems(start("  authorization_details: 5\n")) == [
        (
            6,
            "start.authorization_details: must be a mapping (GetAccountAuthorizationDetails output) or the path of a JSON file holding one, not a number",
        )
    ]


def test_password_policy_members_types_and_ranges():
    found = problems(
        start(
            "  authorization_details: {}\n"
            "  password_policy:\n"
            "    MinimumPasswordLength: 5\n"  # 8
            "    MaxPasswordAge: 1096\n"  # 9
            "    PasswordReusePrevention: 0\n"  # 10
            "    RequireSymbols: 'true'\n"  # 11
            "    HardExpiry: 1\n"  # 12
            "    MinimumPasswordLength2: 8\n"  # 13
            "    RequireNumbers: yes\n"  # fine: a YAML boolean
            "    AllowUsersToChangePassword: null\n"  # fine: not set
            "    ExpirePasswords: 'no'\n"  # 16
            "    PasswordReusePrevention2: true\n"  # 17
        )
    )
    assert found == [
        (
            8,
            "start.password_policy.MinimumPasswordLength: must be from 6 to 128 (AWS's range), not 5",
        ),
        (9, "start.password_policy.MaxPasswordAge: must be from 1 to 1095 (AWS's range), not 1096"),
        (
            10,
            "start.password_policy.PasswordReusePrevention: must be from 1 to 24 (AWS's range), not 0",
        ),
        (11, "start.password_policy.RequireSymbols: must be true or false, not a string"),
        (12, "start.password_policy.HardExpiry: must be true or false, not a number"),
        (
            13,
            "start.password_policy: unknown key 'MinimumPasswordLength2' (did you mean 'MinimumPasswordLength'?)",
        ),
        (16, "start.password_policy.ExpirePasswords: must be true or false, not a string"),
        (
            17,
            "start.password_policy: unknown key 'PasswordReusePrevention2' (did you mean 'PasswordReusePrevention'?)",
        ),
    ]


@pytest.mark.parametrize(
    ("member", "low", "high"),
    [
        ("MinimumPasswordLength", 6, 128),
        ("MaxPasswordAge", 1, 1095),
        ("PasswordReusePrevention", 1, 24),
    ],
)
def test_password_policy_range_ends_are_accepted(member, low, high):
    for value in (low, high):
        text = start(f"  authorization_details: {{}}\n  password_policy: {{{member}: {value}}}\n")
        assert load_lab(text).start.password_policy == {member: value}
    text = start(f"  authorization_details: {{}}\n  password_policy: {{{member}: 10.0}}\n")
    assert problems(text) == [
        (7, f"start.password_policy.{member}: must be an integer, not a number")
    ]


def test_an_empty_password_policy_is_a_policy_with_aws_defaults():
    text = start("  authorization_details: {}\n  password_policy: {}\n")
    assert load_lab(text).start.password_policy == {}


def test_password_policy_members_match_botocore():
    botocore_session = pytest.importorskip("botocore.session")
    model = botocore_session.get_session().get_service_model("iam")
    members = set(model.shape_for("PasswordPolicy").members)
    from labs import format as fmt

    assert members == {*fmt._POLICY_INTS, *fmt._POLICY_BOOLS, *fmt._POLICY_OUTPUT_ONLY}
    request = model.shape_for("UpdateAccountPasswordPolicyRequest").members
    for name, (low, high) in fmt._POLICY_INTS.items():
        meta = request[name].metadata
        assert (meta["min"], meta["max"]) == (low, high), name
    for name in fmt._POLICY_BOOLS:
        assert model.shape_for("PasswordPolicy").members[name].type_name == "boolean"


def test_access_keys_are_users_of_the_start():
    found = problems(
        start(
            "  authorization_details:\n"
            "    UserDetailList: [{UserName: alice}, {UserName: Bob}]\n"
            "  access_keys:\n"
            "    - alice\n"  # 9: fine
            "    - carol\n"  # 10
            "    - bob\n"  # 11: fine, IAM names ignore case
            "    - ALICE\n"  # 12
            "    - 'no spaces'\n"  # 13
            "    - 7\n"  # 14
        )
    )
    not_there = "is not a user in start.authorization_details' UserDetailList"
    assert found == [
        (10, f"start.access_keys[1]: 'carol' {not_there}"),
        (12, "start.access_keys[3]: 'ALICE' is listed twice (first at line 9)"),
        (
            13,
            "start.access_keys[4]: 'no spaces' is not a valid IAM user name (1 to 64 of letters, digits and +=,.@_-)",
        ),
        (14, "start.access_keys[5]: must be a string, not a number (quote it)"),
    ]


def test_access_keys_keep_the_names_as_written():
    text = start(
        "  authorization_details: {UserDetailList: [{UserName: Bob}]}\n  access_keys: [bob]\n"
    )
    assert load_lab(text).start.access_keys == ("bob",)


def test_access_keys_must_be_a_list():
    assert problems(start("  authorization_details: {}\n  access_keys: alice\n")) == [
        (7, "start.access_keys: must be a list of user names, not a string")
    ]


@pytest.mark.parametrize(
    ("user", "fragment"),
    [
        ("'bad name'", "seat.user: 'bad name' is not a valid IAM user name"),
        ("u" * 65, "is not a valid IAM user name"),
        ("''", "seat.user: must not be empty"),
        ("123", "seat.user: must be a string, not a number (quote it)"),
    ],
)
def test_seat_user_is_an_iam_user_name(user, fragment):
    found = problems(MINIMAL.replace("user: trainee", f"user: {user}"))
    assert len(found) == 1 and found[0][0] == 8 and fragment in found[0][1]


def test_seat_access_key_is_a_boolean():
    assert problems(MINIMAL.replace("user: trainee", "user: trainee\n  access_key: 'yes'")) == [
        (9, "seat.access_key: must be true or false, not a string")
    ]


# ---------------------------------------------------------------- the start file


def lab_in(folder: Path, ref: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "lab.yaml"
    path.write_text(start(f"  authorization_details: {ref}\n"))
    return path


DETAILS = {"UserDetailList": [{"UserName": "alice", "GroupList": []}]}


def test_a_start_path_is_read_relative_to_the_lab_file(tmp_path):
    (tmp_path / "lab" / "data").mkdir(parents=True)
    (tmp_path / "lab" / "data" / "start.json").write_text(json.dumps(DETAILS))
    lab = load_lab_file(lab_in(tmp_path / "lab", "data/start.json"))
    assert lab.start.authorization_details == DETAILS
    text = (tmp_path / "lab" / "lab.yaml").read_text()
    assert load_lab(text, base_dir=tmp_path / "lab").start.authorization_details == DETAILS


def test_a_start_path_works_from_a_relative_lab_path(tmp_path, monkeypatch):
    (tmp_path / "start.json").write_text(json.dumps(DETAILS))
    lab_in(tmp_path, "start.json")
    monkeypatch.chdir(tmp_path)
    assert load_lab_file("lab.yaml").start.authorization_details == DETAILS


def test_an_uploaded_lab_cannot_reference_a_file():
    assert problems(start("  authorization_details: start.json\n"), base_dir=None) == [
        (
            6,
            "start.authorization_details: this lab has no folder (an upload), so it cannot reference a file: inline the authorization details",
        )
    ]


@pytest.mark.parametrize(
    ("ref", "fragment"),
    [
        ("/etc/passwd", "'/etc/passwd' is absolute: give a path relative to the lab file's folder"),
        ("'C:\\x.json'", "is absolute"),
        (
            "../start.json",
            "'../start.json' goes up with '..': the file must be in the lab's folder",
        ),
        ("data/../start.json", "goes up with '..'"),
        ("'data\\..\\start.json'", "goes up with '..'"),
        ("''", "the path is empty"),
        ("nothere.json", "no such file: "),
        ("data", "no such file: "),  # a folder
    ],
)
def test_start_path_rules(tmp_path, ref, fragment):
    (tmp_path / "lab" / "data").mkdir(parents=True)
    (tmp_path / "start.json").write_text(json.dumps(DETAILS))
    (tmp_path / "lab" / "start.json").write_text(json.dumps(DETAILS))
    with pytest.raises(LabFileError) as caught:
        load_lab_file(lab_in(tmp_path / "lab", ref))
    [issue] = caught.value.issues
    assert issue.line == 6 and issue.file == ""
    assert issue.message.startswith("start.authorization_details: ") and fragment in issue.message


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_a_symbolic_link_out_of_the_lab_folder_is_refused(tmp_path):
    (tmp_path / "secret.json").write_text(json.dumps(DETAILS))
    (tmp_path / "lab").mkdir()
    (tmp_path / "lab" / "start.json").symlink_to(tmp_path / "secret.json")
    with pytest.raises(LabFileError) as caught:
        load_lab_file(lab_in(tmp_path / "lab", "start.json"))
    assert [(i.line, i.message) for i in caught.value.issues] == [
        (
            6,
            "start.authorization_details: 'start.json' leads outside the lab's folder (a symbolic link)",
        )
    ]


def test_a_start_file_that_is_not_json_is_reported_with_its_name_and_line(tmp_path):
    folder = tmp_path / "lab"
    folder.mkdir()
    (folder / "start.json").write_text('{\n  "UserDetailList": [\n    {"UserName": "a",}\n  ]\n}\n')
    with pytest.raises(LabFileError) as caught:
        load_lab_file(lab_in(folder, "start.json"))
    [issue] = caught.value.issues
    assert issue.file == str(folder / "start.json") and issue.line == 3
    assert issue.message.startswith("not valid JSON: Expecting property name")
    assert str(issue).startswith(f"{folder / 'start.json'}:line 3: not valid JSON")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("[1, 2]", "must hold a JSON object (GetAccountAuthorizationDetails output), not a list"),
        ('{"a": NaN}', "not valid JSON: NaN is not a JSON number"),
    ],
)
def test_a_start_file_must_hold_a_json_object(tmp_path, content, fragment):
    (tmp_path / "start.json").write_text(content)
    with pytest.raises(LabFileError) as caught:
        load_lab_file(lab_in(tmp_path, "start.json"))
    [issue] = caught.value.issues
    assert issue.file == str(tmp_path / "start.json") and issue.line is None
    assert fragment in issue.message


def test_a_start_file_that_is_not_utf8(tmp_path):
    (tmp_path / "start.json").write_bytes(b'{"a": "\xff"}')
    with pytest.raises(LabFileError) as caught:
        load_lab_file(lab_in(tmp_path, "start.json"))
    [issue] = caught.value.issues
    assert issue.file == str(tmp_path / "start.json") and "not UTF-8" in issue.message


# ---------------------------------------------------------------- the importer's checker


def test_the_importers_problems_get_the_line_of_their_node(monkeypatch):
    seen = []

    def check(details):
        seen.append(details)
        return [
            ("UserDetailList[1].GroupList[0]", "no group nobody in GroupDetailList"),
            ("UserDetailList[0]", "UserName: missing"),
            ("UserDetailList[1].UserPolicyList[0].PolicyDocument.Statement[0]", "bad statement"),
            ("", "the document is odd"),
            ("Nothing[5].Here", "a path the YAML does not have"),
        ]

    fake_importer(monkeypatch, check)
    text = start(
        "  authorization_details:\n"  # 6
        "    UserDetailList:\n"  # 7
        "      - Path: /\n"  # 8
        "      - UserName: bob\n"  # 9
        "        GroupList:\n"  # 10
        "          - nobody\n"  # 11
        "        UserPolicyList:\n"  # 12
        "          - PolicyName: p\n"  # 13
        "            PolicyDocument: '{\"Statement\": [1]}'\n"  # 14
        "    Marker: ${SeatAccountId}\n"  # 15
    )
    assert problems(text) == [
        (6, "start.authorization_details: the document is odd"),
        (6, "start.authorization_details.Nothing[5].Here: a path the YAML does not have"),
        (8, "start.authorization_details.UserDetailList[0]: UserName: missing"),
        (
            11,
            "start.authorization_details.UserDetailList[1].GroupList[0]: no group nobody in GroupDetailList",
        ),
        (
            14,
            "start.authorization_details.UserDetailList[1].UserPolicyList[0].PolicyDocument.Statement[0]: bad statement",
        ),
    ]
    # The checker sees the document as a seat would: a sample account for the placeholder.
    assert seen[0]["Marker"] == "123456789012"


def test_the_importers_problems_in_a_start_file_name_the_file_and_the_path(tmp_path, monkeypatch):
    fake_importer(
        monkeypatch, lambda details: [("UserDetailList[0].GroupList[0]", "no such group")]
    )
    (tmp_path / "start.json").write_text(json.dumps(DETAILS))
    with pytest.raises(LabFileError) as caught:
        load_lab_file(lab_in(tmp_path, "start.json"))
    assert caught.value.issues == [
        LabIssue(
            None, "UserDetailList[0].GroupList[0]: no such group", file=str(tmp_path / "start.json")
        )
    ]


def test_without_the_importer_the_start_state_is_not_checked(monkeypatch):
    monkeypatch.setitem(sys.modules, IMPORTER, None)  # import fails: ModuleNotFoundError
    assert load_lab(MINIMAL).start.authorization_details == {}
    monkeypatch.setitem(sys.modules, IMPORTER, types.ModuleType(IMPORTER))  # no checker yet
    assert load_lab(MINIMAL).id == "demo"


def test_a_broken_importer_is_not_mistaken_for_a_missing_one(monkeypatch):
    def check(details):
        raise ImportError("No module named 'foo'", name="foo")

    fake_importer(monkeypatch, check)
    with pytest.raises(ImportError):
        load_lab(MINIMAL)


def test_access_keys_use_the_start_file_users(tmp_path):
    (tmp_path / "start.json").write_text(json.dumps(DETAILS))
    (tmp_path / "lab.yaml").write_text(
        start("  authorization_details: start.json\n  access_keys: [alice, bob]\n")
    )
    with pytest.raises(LabFileError) as caught:
        load_lab_file(tmp_path / "lab.yaml")
    assert [(i.line, i.message) for i in caught.value.issues] == [
        (
            7,
            "start.access_keys[1]: 'bob' is not a user in start.authorization_details' UserDetailList",
        )
    ]


def real_checker():
    try:
        from accounts.operations.importer import check_authorization_details  # noqa: F401
    except ImportError:
        pytest.skip("accounts.operations.importer.check_authorization_details is not there yet")


@pytest.mark.django_db
def test_the_full_lab_passes_the_real_importer_check():
    real_checker()
    assert load_lab(FULL).id == "require-mfa-for-admins"


@pytest.mark.django_db
def test_the_real_importer_reports_a_missing_group_at_its_line():
    real_checker()
    text = start(
        "  authorization_details:\n"
        "    UserDetailList:\n"
        "      - UserName: bob\n"
        "        GroupList: [nobody]\n"  # 9
    )
    found = problems(text)
    assert found and all(line == 9 for line, _ in found), found
    assert all(
        m.startswith("start.authorization_details.UserDetailList[0].GroupList") for _, m in found
    )


# ---------------------------------------------------------------- the README's example


def readme_example() -> str:
    readme = (ROOT / "labs" / "README.md").read_text()
    section = readme.split("## An example lab", 1)[1]
    return re.search(r"```yaml\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_is_a_valid_lab():
    lab = load_lab(readme_example())
    assert lab.id == "require-mfa-for-admins" and len(lab.objectives) == 4
    assert {o.check.kind for o in lab.objectives} == {"decision", "query", "event"}


@pytest.mark.django_db
def test_the_readme_example_passes_the_real_importer_check():
    real_checker()
    assert load_lab(readme_example()).max_score == 12


# ---------------------------------------------------------------- manage.py lab validate


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lab.yaml"
    path.write_text(text)
    return path


def test_validate_prints_ok_with_the_counts(tmp_path, capsys):
    call_command("lab", "validate", str(write(tmp_path, FULL)))
    assert capsys.readouterr().out == "OK: require-mfa-for-admins (5 objectives, 15 points)\n"


def test_validate_says_one_objective_and_one_point(tmp_path, capsys):
    call_command("lab", "validate", str(write(tmp_path, MINIMAL)))
    assert capsys.readouterr().out == "OK: demo (1 objective, 1 point)\n"


def test_validate_lists_each_problem_as_file_line_message_and_fails(tmp_path, capsys):
    path = write(tmp_path, BROKEN)
    with pytest.raises(CommandError) as caught:
        call_command("lab", "validate", str(path))
    assert caught.value.returncode == 1
    assert str(caught.value) == f"{path}: 22 problems"
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert captured.out == ""
    assert len(lines) == 22
    assert (
        lines[0]
        == f"{path}:1: id: 'Bad_Id' is not an id: 1 to 64 of a-z, 0-9 and '-', not starting or ending with '-'"
    )
    assert f"{path}:6: unknown key 'objectves' (did you mean 'objectives'?)" in lines
    assert all(line.startswith(f"{path}:") for line in lines)


def test_validate_names_the_start_file_for_its_problems(tmp_path, capsys):
    (tmp_path / "start.json").write_text("{oops")
    path = write(
        tmp_path, start("  authorization_details: start.json\n").replace("title: Demo", "title:")
    )
    with pytest.raises(CommandError):
        call_command("lab", "validate", str(path))
    assert capsys.readouterr().err.splitlines() == [
        f"{path}:2: title: missing value",
        f"{tmp_path / 'start.json'}:1: not valid JSON: Expecting property name enclosed in double quotes (column 2)",
    ]


def test_validate_a_problem_without_a_line(tmp_path, capsys):
    path = write(tmp_path, MINIMAL.replace("summary: A demo.\n", ""))
    with pytest.raises(CommandError) as caught:
        call_command("lab", "validate", str(path))
    assert str(caught.value) == f"{path}: 1 problem"
    assert capsys.readouterr().err == f"{path}: missing required key 'summary'\n"


def test_validate_a_file_that_is_not_there(tmp_path, capsys):
    with pytest.raises(CommandError):
        call_command("lab", "validate", str(tmp_path / "nope.yaml"))
    assert (
        capsys.readouterr().err
        == f"{tmp_path / 'nope.yaml'}: cannot read the lab file: No such file or directory\n"
    )


def run_manage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_validate_from_the_shell_exits_1_without_a_traceback(tmp_path):
    # Nothing here reaches the importer's checker (which would need a migrated database).
    path = write(
        tmp_path,
        MINIMAL.replace("authorization_details: {}", "authorization_details: 5").replace(
            "id: demo", "id: Demo"
        ),
    )
    done = run_manage("lab", "validate", str(path))
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines()[:2] == [
        f"{path}:1: id: 'Demo' is not an id: 1 to 64 of a-z, 0-9 and '-', not starting or ending with '-'",
        f"{path}:6: start.authorization_details: must be a mapping (GetAccountAuthorizationDetails output) or the path of a JSON file holding one, not a number",
    ]
    assert done.stderr.splitlines()[-1] == f"CommandError: {path}: 2 problems"
    syntax = run_manage("lab", "validate", str(write(tmp_path, "id: [\n")))
    assert syntax.returncode == 1 and "Traceback" not in syntax.stderr
    assert f"{path}:2: YAML syntax error" in syntax.stderr


def test_a_misspelt_list_of_the_authorization_details_is_an_unknown_key(tmp_path):
    text = start(
        "  authorization_details:\n"
        "    UserDetailLists: [{UserName: bob}]\n"  # 7
        "    IsTruncated: false\n"  # what an export has: fine
        "    Marker: x\n"
        "    ResponseMetadata: {}\n"
    )
    assert problems(text) == [
        (
            7,
            "start.authorization_details: unknown key 'UserDetailLists' (did you mean 'UserDetailList'?)",
        )
    ]
    (tmp_path / "start.json").write_text(json.dumps({"Policy": [], "IsTruncated": False}))
    with pytest.raises(LabFileError) as caught:
        load_lab_file(lab_in(tmp_path, "start.json"))
    assert caught.value.issues == [
        LabIssue(
            None,
            "Policy: unknown key (did you mean 'Policies'?)",
            file=str(tmp_path / "start.json"),
        )
    ]
