"""Load the Query API with boto3 from several client threads; print requests/s and
p50/p99 latency per operation.

    python manage.py create_account --email b@example.com --password bench-pass-1 \\
        --admin-user bench --json          # prints the admin user's access key
    AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… \\
        python bench/api.py --endpoint-url http://127.0.0.1:8000 --threads 8 --seconds 20

The keys must belong to an IAM user allowed iam:* and sts:AssumeRole (the
``--admin-user`` of create_account is). Each iteration of a worker: CreateUser,
GetUser, AttachUserPolicy, CreateAccessKey (for the new user), ListUsers (every
page, 100 per page), AssumeRole (a role trusting the benchmark user).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
import uuid
from collections import defaultdict
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def _client(session: Any, service: str, args: argparse.Namespace) -> Any:
    return session.client(
        service,
        endpoint_url=args.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=args.access_key,
        aws_secret_access_key=args.secret_key,
        config=Config(retries={"max_attempts": 1}, max_pool_connections=4),
    )


def _setup(args: argparse.Namespace, run: str) -> tuple[str, str]:
    session = boto3.session.Session()
    iam = _client(session, "iam", args)
    sts = _client(session, "sts", args)
    me = sts.get_caller_identity()["Arn"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": me}, "Action": "sts:AssumeRole"}],
    }
    role = iam.create_role(RoleName=f"bench-{run}", AssumeRolePolicyDocument=json.dumps(trust))
    policy = iam.create_policy(
        PolicyName=f"bench-{run}",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
            }
        ),
    )
    return role["Role"]["Arn"], policy["Policy"]["Arn"]


def _worker(
    args: argparse.Namespace,
    run: str,
    index: int,
    role_arn: str,
    policy_arn: str,
    deadline: float,
    results: dict[str, list[float]],
    errors: dict[str, int],
    lock: threading.Lock,
) -> None:
    session = boto3.session.Session()
    iam = _client(session, "iam", args)
    sts = _client(session, "sts", args)
    local: dict[str, list[float]] = defaultdict(list)
    local_errors: dict[str, int] = defaultdict(int)

    def timed(name: str, fn: Any, **kw: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(**kw)
        except ClientError as exc:
            local_errors[f"{name}:{exc.response['Error']['Code']}"] += 1
            return None
        finally:
            local[name].append(time.perf_counter() - start)

    n = 0
    while time.monotonic() < deadline:
        name = f"b-{run}-{index}-{n}"
        n += 1
        timed("CreateUser", iam.create_user, UserName=name)
        timed("GetUser", iam.get_user, UserName=name)
        timed("AttachUserPolicy", iam.attach_user_policy, UserName=name, PolicyArn=policy_arn)
        timed("CreateAccessKey", iam.create_access_key, UserName=name)

        def list_all() -> int:
            count = 0
            for page in iam.get_paginator("list_users").paginate(
                PaginationConfig={"PageSize": 100}
            ):
                count += len(page["Users"])
            return count

        timed("ListUsers(all pages)", list_all)
        timed("AssumeRole", sts.assume_role, RoleArn=role_arn, RoleSessionName=f"s{index}-{n}")
    with lock:
        for key, values in local.items():
            results[key].extend(values)
        for key, count in local_errors.items():
            errors[key] += count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint-url", required=True)
    parser.add_argument("--access-key", default=os.environ.get("AWS_ACCESS_KEY_ID"))
    parser.add_argument("--secret-key", default=os.environ.get("AWS_SECRET_ACCESS_KEY"))
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    if not args.access_key or not args.secret_key:
        parser.error("give --access-key/--secret-key or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")

    run = uuid.uuid4().hex[:6]
    role_arn, policy_arn = _setup(args, run)
    results: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + args.seconds
    threads = [
        threading.Thread(
            target=_worker,
            args=(args, run, i, role_arn, policy_arn, deadline, results, errors, lock),
        )
        for i in range(args.threads)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    total = sum(len(v) for v in results.values())
    print(f"{args.threads} threads, {elapsed:.1f}s, {total} calls, {total / elapsed:.1f} calls/s")
    print(f"{'operation':<22} {'calls':>7} {'calls/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for name, values in sorted(results.items()):
        values.sort()
        p50 = statistics.median(values) * 1000
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))] * 1000
        print(f"{name:<22} {len(values):>7} {len(values) / elapsed:>8.1f} {p50:>8.1f} {p99:>8.1f}")
    if errors:
        print("errors:", dict(errors))


if __name__ == "__main__":
    main()
