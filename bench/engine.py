"""Policy engine benchmark: decisions per second and median µs per decision.

Principals with 1 and 10 policies of 1, 10 and 50 statements (wildcards, Deny,
NotAction/NotResource and conditions mixed), cold (documents parsed on every call) and
warm (compiled policies, cached policy set). Run: .venv/bin/python bench/engine.py
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policies.engine import Request, clear_cache, compile_policy, evaluate, policy_set  # noqa: E402

SERVICES = ["s3", "ec2", "iam", "dynamodb", "sqs", "kms", "lambda", "sns"]
VERBS = ["Get", "Put", "List", "Describe", "Delete", "Create", "Update", "Tag"]


def statement(rng: random.Random, i: int) -> dict[str, object]:
    svc = rng.choice(SERVICES)
    kind = i % 6
    st: dict[str, object] = {"Sid": f"S{i}", "Effect": "Allow"}
    if kind == 0:
        st["Action"] = [f"{svc}:{rng.choice(VERBS)}*", f"{svc}:{rng.choice(VERBS)}Thing{i}"]
        st["Resource"] = f"arn:aws:{svc}:*:111122223333:thing/{i}/*"
    elif kind == 1:
        st["Effect"] = "Deny"
        st["Action"] = f"{svc}:Delete*"
        st["Resource"] = "*"
        st["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "false"}}
    elif kind == 2:
        st["NotAction"] = [f"{svc}:*", "iam:*"]
        st["Resource"] = "*"
        st["Condition"] = {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}}
    elif kind == 3:
        st["Action"] = f"{svc}:Get{i}"
        st["NotResource"] = f"arn:aws:{svc}:::secret-{i}/*"
    elif kind == 4:
        st["Action"] = "s3:GetObject"
        st["Resource"] = "arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*"
        st["Condition"] = {"StringEquals": {"aws:PrincipalTag/team": ["red", "blue"]}}
    else:
        st["Action"] = f"{svc}:{rng.choice(VERBS)}Item"
        st["Resource"] = f"arn:aws:{svc}:us-east-1:111122223333:table/t{i}"
        st["Condition"] = {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}
    return st


def make_policies(n_policies: int, n_statements: int, seed: int = 7) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [
        {
            "Version": "2012-10-17",
            "Statement": [statement(rng, p * 100 + i) for i in range(n_statements)],
        }
        for p in range(n_policies)
    ]


REQUESTS = [
    Request(
        principal="arn:aws:iam::111122223333:user/alice",
        action=action,
        resource=resource,
        context={
            "aws:SourceIp": "203.0.113.7",
            "aws:PrincipalTag/team": "red",
            "aws:MultiFactorAuthPresent": "true",
            "aws:CurrentTime": "2025-06-01T12:00:00Z",
            "aws:username": "alice",
        },
        resource_account="111122223333",
    )
    for action, resource in [
        ("s3:GetObject", "arn:aws:s3:::bucket/red/report.csv"),
        ("ec2:DescribeInstances", "*"),
        ("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:111122223333:table/t5"),
        ("sqs:DeleteQueue", "arn:aws:sqs:us-east-1:111122223333:q"),
    ]
]


def measure(fn, rounds: int) -> tuple[float, float]:
    samples = []
    for i in range(rounds):
        req = REQUESTS[i % len(REQUESTS)]
        t0 = time.perf_counter_ns()
        fn(req)
        samples.append(time.perf_counter_ns() - t0)
    total = sum(samples) / 1e9
    return statistics.median(samples) / 1000.0, rounds / total


def main() -> None:
    print(f"{'policies x statements':24s} {'mode':5s} {'median µs':>10s} {'decisions/s':>12s}")
    for n_pol in (1, 10):
        for n_st in (1, 10, 50):
            docs = make_policies(n_pol, n_st)
            texts = [json.dumps(d) for d in docs]

            def cold(req: Request, texts: list[str] = texts) -> None:
                clear_cache()
                evaluate(req, identity_policies=texts)

            compiled = [compile_policy(d) for d in docs]
            ps = policy_set(compiled)

            def warm(req: Request, ps=ps) -> None:
                evaluate(req, identity_policies=ps)

            for _ in range(200):
                warm(REQUESTS[0])
            rounds_cold = 300 if n_st * n_pol >= 100 else 2000
            med_c, rate_c = measure(cold, rounds_cold)
            med_w, rate_w = measure(warm, 20000)
            label = f"{n_pol} x {n_st}"
            print(f"{label:24s} {'cold':5s} {med_c:10.1f} {rate_c:12,.0f}")
            print(f"{label:24s} {'warm':5s} {med_w:10.1f} {rate_w:12,.0f}")


if __name__ == "__main__":
    main()
