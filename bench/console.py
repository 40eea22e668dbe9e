#!/usr/bin/env python
"""Console pages at AWS's default quotas: median server time and SQL queries per page.

    .venv/bin/python bench/console.py [--scale 1.0] [--repeat 5]

Fills a fresh account (in a throwaway SQLite database) to 5,000 users, 300 groups,
1,000 roles and 1,500 customer-managed policies (times --scale), first at a tenth
of that, and prints for every list and detail page the median server time and the
SQL query count at both sizes: the count must not grow with the number of rows.
Server time is measured in-process through Django's test client (the whole
middleware stack and template rendering, no network).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUOTAS = {"users": 5000, "groups": 300, "roles": 1000, "policies": 1500}
TRUST = json.dumps(
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


def setup_django(var_dir: str) -> None:
    os.environ["IAM_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iamconsole.settings")
    os.environ["DJANGO_LOG_LEVEL"] = "ERROR"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(root, target: dict[str, int], have: dict[str, int]) -> None:
    """Grow the account to ``target`` through the operations layer."""
    from accounts.operations.credentials import create_access_key
    from accounts.operations.groups import add_user_to_group, create_group
    from accounts.operations.roles import create_role
    from accounts.operations.users import create_user
    from policies.operations import attach_role_policy, attach_user_policy, create_policy

    doc = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
        }
    )
    for i in range(have["groups"], target["groups"]):
        create_group(actor=root, name=f"group-{i:04d}")
    for i in range(have["policies"], target["policies"]):
        create_policy(
            actor=root, name=f"policy-{i:04d}", document=doc, description=f"benchmark policy {i}"
        )
    for i in range(have["users"], target["users"]):
        name = f"user-{i:05d}"
        create_user(actor=root, name=name, tags=[{"Key": "team", "Value": f"t{i % 7}"}])
        add_user_to_group(
            actor=root, group_name=f"group-{i % target['groups']:04d}", user_name=name
        )
        if i % 3 == 0:
            create_access_key(actor=root, user_name=name)
        if i % 5 == 0:
            attach_user_policy(
                actor=root,
                user_name=name,
                policy_arn=f"arn:aws:iam::{root.account_id}:policy/policy-{i % target['policies']:04d}",
            )
    for i in range(have["roles"], target["roles"]):
        create_role(actor=root, name=f"role-{i:04d}", trust_policy=TRUST)
        if i % 4 == 0:
            attach_role_policy(
                actor=root,
                role_name=f"role-{i:04d}",
                policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess",
            )
    have.update(target)


def console_client(account):
    from django.test import Client
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.models import MfaDevice
    from iamconsole.console import IDENTITY_KEY, MFA_AUTH_TIME_KEY
    from iamconsole.middleware import SESSION_STARTED_KEY

    root_user = account.console_users.get(is_root=True)
    device = MfaDevice.objects.filter(user=root_user, confirmed=True).first()
    if device is None:
        device = MfaDevice(
            account=account,
            user=root_user,
            name="root-account-mfa-device",
            serial_number=f"arn:aws:iam::{account.id}:mfa/root-account-mfa-device",
            confirmed=True,
            enabled=timezone.now(),
        )
        device.set_seed(os.urandom(20))
        device.save()
    client = Client()
    client.force_login(root_user)
    session = client.session
    session.update(
        {
            DEVICE_ID_SESSION_KEY: device.persistent_id,
            SESSION_STARTED_KEY: time.time(),
            IDENTITY_KEY: {"kind": "root"},
            MFA_AUTH_TIME_KEY: time.time(),
        }
    )
    session.save()
    return client


def pages(account_id: str) -> list[tuple[str, str]]:
    """(label, URL) for every list and detail page that exists in this build."""
    from django.urls import NoReverseMatch, reverse

    from policies.models import ManagedPolicy

    policy = ManagedPolicy.objects.filter(account_id=account_id).order_by("name").first()
    wanted = [
        ("Dashboard", "iamconsole:dashboard", {}),
        ("Users list", "accounts:user-list", {}),
        ("User detail", "accounts:user-detail", {"user_name": "user-00003"}),
        ("Groups list", "accounts:group-list", {}),
        ("Group detail", "accounts:group-detail", {"group_name": "group-0001"}),
        ("Group: add users", "accounts:group-add-users", {"group_name": "group-0001"}),
        ("Group: add users (q)", "accounts:group-add-users", {"group_name": "group-0001"}),
        ("Roles list", "accounts:role-list", {}),
        ("Role detail", "accounts:role-detail", {"role_name": "role-0004"}),
        ("Policies list", "policies:policy-list", {}),
        ("Policies list (customer)", "policies:policy-list", {}),
        (
            "Policy detail",
            "policies:policy-detail",
            {"policy_id": policy.policy_id if policy else "x"},
        ),
        ("Event history", "accounts:events", {}),
        # The create-user wizard's permissions step (the session holds step 1: wizard()).
        ("Create user: groups", "accounts:user-create", {}),
        ("Create user: copy", "accounts:user-create", {}),
        ("Create user: policies", "accounts:user-create", {}),
    ]
    found = []
    for label, name, kwargs in wanted:
        try:
            url = reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            try:  # the page may name its argument differently
                url = reverse(name, args=list(kwargs.values()))
            except NoReverseMatch:
                continue
        if label.endswith("(customer)"):
            url += "?type=customer"
        if label.endswith("(q)"):
            url += "?q=user-04&page=2"
        if label.startswith("Create user: "):
            mode = {"groups": "groups", "copy": "copy", "policies": "attach"}[label.split()[-1]]
            url += f"?step=permissions&mode={mode}"
        found.append((label, url))
    return found


def wizard(client) -> None:
    """Step 1 of the create-user wizard, so its permissions step can be shown."""
    from django.urls import reverse

    response = client.post(reverse("accounts:user-create"), {"step": "details", "name": "new"})
    assert response.status_code == 302, response.status_code


def measure(
    client, url: str, repeat: int, seen: dict[str, Any] | None = None
) -> tuple[float, float, float, int, int]:
    """Median wall and CPU milliseconds (CPU: this process, SQLite's work included; steadier
    than wall time on a shared machine), milliseconds in SQL (from sending each query to
    its last row), the query count and the status. ``seen``: gets
    each statement the page ran (SQL -> parameters), for ``--explain``."""
    from django.db import connection

    run = {"queries": 0, "sql": 0.0}

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        run["queries"] += 1
        if seen is not None and not many:
            seen.setdefault(sql, params)
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            run["sql"] += time.perf_counter() - started

    times, cpu, sql, queries, status = [], [], [], 0, 0
    for _ in range(repeat):
        run.update(queries=0, sql=0.0)
        with connection.execute_wrapper(wrapper):
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        queries, status = int(run["queries"]), response.status_code
        sql.append(run["sql"])
    return (
        statistics.median(times) * 1000,
        statistics.median(cpu) * 1000,
        statistics.median(sql) * 1000,
        queries,
        status,
    )


def scans(sql: str, params: Any) -> list[str]:
    """The plan of ``sql`` (EXPLAIN QUERY PLAN) when it reads a whole table, else []."""
    from django.db import connection

    if sql.lstrip().split(None, 1)[0].upper() not in ("SELECT", "UPDATE", "DELETE"):
        return []
    with connection.cursor() as cursor:
        try:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        except Exception:  # noqa: BLE001 - a statement EXPLAIN does not take
            return []
        lines = [str(r[-1]) for r in cursor.fetchall()]
    # "SCAN t" reads the whole table; "SCAN t USING [COVERING] INDEX" an index in order;
    # "USE TEMP B-TREE FOR ORDER BY" sorts every matching row before the page is cut.
    bad = [ln for ln in lines if ln.startswith("SCAN ") and " INDEX " not in ln]
    bad += [ln for ln in lines if "TEMP B-TREE" in ln]
    return lines if bad else []


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of AWS's default quotas")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print the plan of every query at full size that scans a table or sorts",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="iam-bench-") as var_dir:
        setup_django(var_dir)
        from accounts.operations.account import sign_up
        from accounts.principal import root_principal

        account = sign_up(email="bench@example.com", password="bench-password-1").account
        root = root_principal(account.id, via="cli")
        client = console_client(account)
        have = dict.fromkeys(QUOTAS, 0)
        wizard(client)
        results: dict[str, list[tuple[float, float, float, int, int]]] = {}
        sizes = []
        seen: dict[str, dict[str, Any]] = {}
        for fraction in (0.1 * args.scale, args.scale):
            full = fraction == args.scale
            target = {k: max(2, int(v * fraction)) for k, v in QUOTAS.items()}
            started = time.perf_counter()
            fill(root, target, have)
            sizes.append((target, time.perf_counter() - started))
            for label, url in pages(account.id):
                queries = seen.setdefault(label, {}) if args.explain and full else None
                results.setdefault(f"{label:<26} {url}", []).append(
                    measure(client, url, args.repeat, queries)
                )
        for target, seconds in sizes:
            print(f"filled to {target} in {seconds:.0f} s")
        print()
        print("(ms: median wall time; cpu: this process's CPU ms; sql: ms inside queries;")
        print(" q: queries; x: full / tenth, wall and cpu)")
        cols = f"{'ms':>6} {'cpu':>6} {'sql':>5} {'q':>3}"
        print(f"{'page':<72} {cols} | {cols} | {'x ms':>5} {'x cpu':>5}  status")
        grew = []
        for key, runs in results.items():
            (ms_s, cpu_s, sql_s, q_s, st_s), (ms_f, cpu_f, sql_f, q_f, st_f) = runs[0], runs[-1]
            flag = "" if q_f <= q_s else "  <-- grows"
            if flag:
                grew.append(key)
            print(
                f"{key:<72} {ms_s:6.1f} {cpu_s:6.1f} {sql_s:5.1f} {q_s:3d} | "
                f"{ms_f:6.1f} {cpu_f:6.1f} {sql_f:5.1f} {q_f:3d} | "
                f"{ms_f / ms_s if ms_s else 0:5.2f} {cpu_f / cpu_s if cpu_s else 0:5.2f}"
                f"  {st_s}/{st_f}{flag}"
            )
        if args.explain:
            print("\nqueries that scan a table or sort at full size:")
            for label, queries in seen.items():
                for sql, params in queries.items():
                    plan = scans(sql, params)
                    if plan:
                        print(f"  [{label}] {sql[:300]}\n      " + "\n      ".join(plan))
        print()
        print(
            "query count constant in the number of rows"
            if not grew
            else f"query count grows on {len(grew)} pages"
        )
        return 1 if grew else 0


if __name__ == "__main__":
    sys.exit(main())
