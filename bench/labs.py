"""Training labs at class size (issue 12): start, grade, reset.

    .venv/bin/python bench/labs.py [--seats 30] [--users 20] [--roles 10] [--policies 30]
        [--objectives 10] [--rounds 3]
    scripts/with-postgres.sh .venv/bin/python bench/labs.py     # the same on PostgreSQL

Builds a lab whose start state has ``--users`` users, ``--roles`` roles and
``--policies`` customer policies (attached across them, users in groups), and
``--objectives`` objectives of every check kind, in a fresh database (a temporary
IAM_VAR_DIR, migrated here; DATABASE_URL when set). Then it measures, with the
operations the CLI and the console call:

* ``lab start`` of ``--seats`` seats (goal: at most 30 s for 30 seats, 1 s a seat);
* grading the whole class afresh (goal: at most 2 s; the instructor's dashboard polls
  it), ``--rounds`` times, best and worst; and the poll when no seat changed (cached);
* reset of one seat (goal: at most 2 s), ``--rounds`` times.

Prints the figures and the goals; exits 0 whatever they are (a benchmark, not a test).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def build_lab(users: int, roles: int, policies: int, objectives: int) -> str:
    """The lab file's text: a start state of the given size and mixed objectives."""
    docs = []
    for n in range(policies):
        docs.append(
            {
                "PolicyName": f"policy-{n}",
                "DefaultVersionId": "v1",
                "PolicyVersionList": [
                    {
                        "VersionId": "v1",
                        "IsDefaultVersion": True,
                        "Document": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": ["s3:GetObject", "s3:ListBucket"],
                                    "Resource": [
                                        f"arn:aws:s3:::bucket-{n}",
                                        f"arn:aws:s3:::bucket-{n}/*",
                                    ],
                                }
                            ],
                        },
                    }
                ],
            }
        )

    def attached(i: int) -> list[dict[str, str]]:
        return [
            {"PolicyName": f"policy-{(i + k) % policies}", "PolicyArn": ""}
            for k in range(2)
            if policies
        ]

    def arn_fix(items: list[dict[str, str]]) -> list[dict[str, str]]:
        return [
            {
                "PolicyName": a["PolicyName"],
                "PolicyArn": f"arn:aws:iam::${{SeatAccountId}}:policy/{a['PolicyName']}",
            }
            for a in items
        ]

    groups = [
        {"GroupName": f"team-{g}", "AttachedManagedPolicies": arn_fix(attached(g))}
        for g in range(4)
    ]
    user_list = [
        {
            "UserName": f"user-{u}",
            "GroupList": [f"team-{u % 4}"],
            "AttachedManagedPolicies": arn_fix(attached(u)),
            "Tags": [{"Key": "team", "Value": f"team-{u % 4}"}],
        }
        for u in range(users)
    ]
    user_list.append(
        {
            "UserName": "trainee",
            "AttachedManagedPolicies": [
                {
                    "PolicyName": "IAMFullAccess",
                    "PolicyArn": "arn:aws:iam::aws:policy/IAMFullAccess",
                }
            ],
        }
    )
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "lab"}},
            }
        ],
    }
    role_list = [
        {
            "RoleName": f"role-{r}",
            "AssumeRolePolicyDocument": trust,
            "AttachedManagedPolicies": arn_fix(attached(r)),
        }
        for r in range(roles)
    ]
    details = {
        "UserDetailList": user_list,
        "GroupDetailList": groups,
        "RoleDetailList": role_list,
        "Policies": docs,
    }
    kinds = [
        {
            "allowed": {
                "principal": "user/user-0",
                "action": "s3:GetObject",
                "resource": "arn:aws:s3:::bucket-0/key",
            }
        },
        {"denied": {"principal": "user/user-1", "action": "iam:CreateUser"}},
        {"query": "length(AuthorizationDetails.UserDetailList) > `5`"},
        {"query": "PasswordPolicy == null"},
        {"event": {"name": "CreateGroup", "principal": "user/trainee"}},
        {
            "allowed": {
                "principal": "arn:aws:iam::999988887777:root",
                "action": "sts:AssumeRole",
                "resource": "arn:aws:iam::${SeatAccountId}:role/role-0",
                "context": {"sts:ExternalId": "lab"},
            }
        },
        {
            "denied": {
                "principal": "role/role-1",
                "action": "s3:DeleteBucket",
                "resource": "arn:aws:s3:::bucket-1",
            }
        },
        {"query": "length(CredentialReport) > `1`"},
    ]
    objectives = [
        {"id": f"objective-{n}", "title": f"Objective {n}", "check": kinds[n % len(kinds)]}
        for n in range(objectives)
    ]
    lab = {
        "id": "bench-lab",
        "title": "Benchmark lab",
        "summary": "A lab of class size.",
        "instructions": "Nothing to do.",
        "start": {"authorization_details": details},
        "seat": {"user": "trainee", "access_key": True},
        "objectives": objectives,
    }
    return json.dumps(lab, indent=1)  # JSON is YAML


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seats", type=int, default=30)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--roles", type=int, default=10)
    parser.add_argument("--policies", type=int, default=30)
    parser.add_argument("--objectives", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    var = tempfile.mkdtemp(prefix="bench-labs-")
    os.environ["IAM_VAR_DIR"] = var
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iamconsole.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from labs import operations as ops
    from labs.format import load_lab

    call_command("migrate", verbosity=0)
    backend = connection.vendor
    lab = load_lab(build_lab(args.users, args.roles, args.policies, args.objectives))
    print(
        f"labs bench on {backend} ({settings.DATABASES['default']['NAME']}): "
        f"{args.seats} seats, start state {args.users + 1} users, {args.roles} roles, "
        f"{args.policies} policies; {args.objectives} objectives"
    )

    t0 = time.perf_counter()
    started = ops.start_class(lab=lab, seats=args.seats, name="bench")
    start_s = time.perf_counter() - t0
    print(
        f"  lab start, {args.seats} seats: {start_s:.2f} s "
        f"({start_s / args.seats:.2f} s a seat; goal <= 30 s, 1 s a seat)"
    )

    from django.core.cache import cache

    grade_times = []
    for _ in range(args.rounds):
        cache.clear()  # every seat graded afresh, as after each seat changed
        t0 = time.perf_counter()
        grades = ops.grade_class(lab_class=started.lab_class)
        grade_times.append(time.perf_counter() - t0)
    sample: Any = grades[0]
    print(
        f"  grade the class, every seat afresh: best {min(grade_times):.3f} s, "
        f"worst {max(grade_times):.3f} s (goal <= 2 s); seat 1 scores "
        f"{sample.score}/{sample.max_score}"
    )
    poll_times = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        ops.grade_class(lab_class=started.lab_class)
        poll_times.append(time.perf_counter() - t0)
    print(
        f"  the dashboard's poll when no seat changed: best {min(poll_times) * 1000:.1f} ms, "
        f"worst {max(poll_times) * 1000:.1f} ms"
    )

    seat = started.lab_class.seats.get(number=1)
    reset_times = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        ops.reset_seat(seat=seat)
        reset_times.append(time.perf_counter() - t0)
    print(
        f"  reset one seat: best {min(reset_times):.3f} s, worst {max(reset_times):.3f} s "
        "(goal <= 2 s)"
    )
    t0 = time.perf_counter()
    ops.end_class(lab_class=started.lab_class)
    print(f"  end the class: {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
