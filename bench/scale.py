#!/usr/bin/env python
"""Scale: authorization, the API and console pages at 1 account and at 100 (issue 15).

    .venv/bin/python bench/scale.py [--accounts 100] [--users 50] [--roles 10]
        [--policies 30] [--repeat 30] [--explain] [--postgres]

A big training class: ``--accounts`` accounts of ``--users`` users (in five groups),
``--roles`` roles and ``--policies`` customer-managed policies each (two attached to
every user, group and role; AWS-managed ones to half the users and every role), built
with the importer (``import_authorization_details``, a fixed number of queries per
account) in a fresh
database: a throwaway SQLite file in a temporary IAM_VAR_DIR, or with ``--postgres`` a
throwaway PostgreSQL started here as scripts/with-postgres.sh starts one (bench/api.py's
``postgres()``; trust auth, its own port and directory, removed after).

Everything is measured on the first account, first when it is the only one, then
when all ``--accounts`` exist; in-process (no network, Django's test client through
the whole middleware stack):

* (a) ``policies.authorization.authorize`` for an IAM user with a group and attached
  policies: warm (the compiled policies cached), cold (right after
  ``policies.cache.invalidate`` of its account), and the class round (every user of
  every account decides once in turn: what a class working at once does to the cache);
* (b) a SigV4-signed GetUser, ListUsers and ListPolicies (botocore's SigV4Auth, as
  boto3 signs), by that user (IAMReadOnlyAccess through its group);
* (c) console pages signed in as the account's root (MFA-verified session, as
  tests/conftest.py ``signed_in`` makes it): users list, user detail, role detail,
  policies list (all, customer, attached), policy detail, dashboard, groups list, group
  detail and its "Add users" page, roles list, the create-user wizard's permissions step
  (groups and policies tables).

Prints, per figure, the median wall time (time.perf_counter), the median CPU time of
this process (time.process_time: steadier on a loaded machine, but without the
PostgreSQL server's own CPU), the median time spent in SQL (perf_counter around each
query, through Django's execute_wrapper: what grows when a query reads other accounts'
rows) and the query count, at 1 and at N accounts, and the ratios N/1. ``--explain`` also prints the plan (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on
PostgreSQL) of every query the pages and API calls run that scans a whole table.
A benchmark, not a test: exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GROUPS = 5
ANY_ACCOUNT = "123456789012"  # the importer maps a customer policy's ARN into its account
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
# AWS-managed policies attached in every account (half the users, every role): their
# attachments across all accounts are what a per-account count must not scan.
S3_READ = {
    "PolicyName": "AmazonS3ReadOnlyAccess",
    "PolicyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
}
READ_ALL = {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}


def class_details(users: int, roles: int, policies: int) -> dict[str, Any]:
    """One seat of the class, as GetAccountAuthorizationDetails would list it."""

    def doc(n: int) -> dict[str, Any]:
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:ListBucket"],
                    "Resource": [f"arn:aws:s3:::bucket-{n}", f"arn:aws:s3:::bucket-{n}/*"],
                },
                {
                    "Effect": "Deny",
                    "Action": "s3:DeleteObject",
                    "Resource": f"arn:aws:s3:::bucket-{n}/locked/*",
                },
            ],
        }

    def attached(i: int) -> list[dict[str, str]]:
        return [
            {
                "PolicyName": f"policy-{(i + k) % policies:02d}",
                "PolicyArn": f"arn:aws:iam::{ANY_ACCOUNT}:policy/policy-{(i + k) % policies:02d}",
            }
            for k in range(2)
        ]

    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    groups = []
    for g in range(GROUPS):
        managed = attached(g + 7)
        if g == 0:
            managed.append({"PolicyName": "IAMReadOnlyAccess", "PolicyArn": READ_ONLY})
        groups.append({"GroupName": f"team-{g}", "AttachedManagedPolicies": managed})
    return {
        "Policies": [
            {
                "PolicyName": f"policy-{n:02d}",
                "Description": f"class policy {n}",
                "DefaultVersionId": "v1",
                "PolicyVersionList": [
                    {"VersionId": "v1", "IsDefaultVersion": True, "Document": doc(n)}
                ],
            }
            for n in range(policies)
        ],
        "GroupDetailList": groups,
        "UserDetailList": [
            {
                "UserName": f"user-{u:02d}",
                "GroupList": [f"team-{u % GROUPS}"],
                "AttachedManagedPolicies": attached(u) + ([S3_READ] if u % 2 else []),
                "Tags": [{"Key": "team", "Value": f"team-{u % GROUPS}"}],
            }
            for u in range(users)
        ],
        "RoleDetailList": [
            {
                "RoleName": f"role-{r:02d}",
                "AssumeRolePolicyDocument": trust,
                "AttachedManagedPolicies": [*attached(r + 3), READ_ALL],
                "Tags": [{"Key": "kind", "Value": "service"}],
            }
            for r in range(roles)
        ],
    }


def _load_bench_api() -> Any:
    """bench/api.py by path (its module name would be the project's ``api`` package)."""
    spec = importlib.util.spec_from_file_location("bench_api", ROOT / "bench" / "api.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def setup_django(var_dir: str, database_url: str | None) -> None:
    os.environ["IAM_VAR_DIR"] = var_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "iamconsole.settings"
    os.environ["DJANGO_LOG_LEVEL"] = "ERROR"
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_account(n: int, details: dict[str, Any]) -> tuple[str, tuple[str, str]]:
    """A new account holding ``details``; its id and user-00's access key."""
    from accounts.operations.importer import create_account_for_import, import_authorization_details
    from accounts.principal import root_principal

    new = create_account_for_import(email=f"seat-{n:03d}@example.com")
    result = import_authorization_details(
        actor=root_principal(new.account.id, via="cli"), details=details, access_keys=["user-00"]
    )
    _name, key_id, secret = result.access_keys[0]
    return new.account.id, (key_id, secret)


def console_client(account_id: str) -> Any:
    """A browser signed in as the account's root, MFA-verified (conftest ``signed_in``)."""
    from django.test import Client
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.models import ConsoleUser, MfaDevice
    from iamconsole.console import IDENTITY_KEY, MFA_AUTH_TIME_KEY
    from iamconsole.middleware import SESSION_STARTED_KEY

    root_user = ConsoleUser.objects.get(account_id=account_id, is_root=True)
    device = MfaDevice(
        account_id=account_id,
        user=root_user,
        name="root-account-mfa-device",
        serial_number=f"arn:aws:iam::{account_id}:mfa/root-account-mfa-device",
        confirmed=True,
        enabled=timezone.now(),
    )
    device.set_seed(os.urandom(20))
    device.save()
    client = Client()
    client.force_login(root_user, backend="accounts.auth.ConsoleBackend")
    session = client.session
    session.update(
        {
            SESSION_STARTED_KEY: time.time(),
            IDENTITY_KEY: {"kind": "root"},
            DEVICE_ID_SESSION_KEY: device.persistent_id,
            MFA_AUTH_TIME_KEY: time.time(),
        }
    )
    session.save()
    return client


def signed_call(client: Any, key: tuple[str, str], params: dict[str, str]) -> Any:
    """One SigV4-signed Query API call through the test client (what boto3 sends)."""
    from urllib.parse import urlencode

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = urlencode({**params, "Version": "2010-05-08"})
    request = AWSRequest(
        method="POST",
        url="http://localhost/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(Credentials(*key), "iam", "us-east-1").add_auth(request)
    meta = {"HTTP_HOST": "localhost"}  # real clients always send Host; the test client not
    for name, value in request.headers.items():
        if name.lower() not in ("content-type", "host"):
            meta["HTTP_" + name.upper().replace("-", "_")] = value
    return client.generic(
        "POST", "/", body, content_type="application/x-www-form-urlencoded; charset=utf-8", **meta
    )


class Recorder:
    """Medians of repeated calls, per label and size: wall ms, CPU ms, ms spent in SQL
    (from sending a query to its last row) and the number of queries."""

    def __init__(self, explain: bool) -> None:
        self.rows: dict[str, dict[int, tuple[float, float, float, float, str]]] = {}
        self.explain = explain
        self.plans: dict[str, tuple[str, str]] = {}  # table scans: sql -> (label, plan)

    def measure(
        self,
        label: str,
        size: int,
        fn: Callable[[], Any],
        repeat: int,
        before: Callable[[], Any] | None = None,
        check: Callable[[Any], str] | None = None,
        plan: bool = True,
        per: int = 1,
    ) -> None:
        """``per``: the calls one ``fn()`` makes (the figures are divided by it)."""
        from django.db import connection

        seen: dict[str, Any] = {}
        run = {"queries": 0, "sql": 0.0}

        def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                run["sql"] += time.perf_counter() - started
                run["queries"] += 1
                if plan and self.explain and size > 1 and not many:
                    seen.setdefault(sql, params)

        walls, cpus, sqls, counts, status = [], [], [], [], ""
        for _ in range(repeat):
            if before is not None:
                before()
            run.update(queries=0, sql=0.0)
            with connection.execute_wrapper(wrapper):
                wall, cpu = time.perf_counter(), time.process_time()
                out = fn()
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            walls.append(wall)
            cpus.append(cpu)
            sqls.append(run["sql"])
            counts.append(run["queries"])
            status = check(out) if check else ""
        for sql, params in seen.items():
            self._plan(label, sql, params)
        self.rows.setdefault(label, {})[size] = (
            statistics.median(walls) * 1000 / per,
            statistics.median(cpus) * 1000 / per,
            statistics.median(sqls) * 1000 / per,
            statistics.median(counts) / per,
            status,
        )

    def _plan(self, label: str, sql: str, params: Any) -> None:
        from django.db import connection

        head = sql.lstrip().split(None, 1)[0].upper()
        if head not in ("SELECT", "UPDATE", "DELETE") or sql in self.plans:
            return
        sqlite = connection.vendor == "sqlite"
        with connection.cursor() as cursor:
            try:
                cursor.execute(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + sql, params)
            except Exception:  # noqa: BLE001 - a statement EXPLAIN does not take
                return
            rows = cursor.fetchall()
        lines = [str(r[-1] if sqlite else r[0]) for r in rows]
        if sqlite:
            # "SCAN t" is a full scan; "SCAN t USING [COVERING] INDEX" reads an index in order.
            scans = [ln for ln in lines if ln.startswith("SCAN ") and " INDEX " not in ln]
        else:
            scans = [ln for ln in lines if "Seq Scan" in ln]
        if scans:
            self.plans[sql] = (label, "\n      ".join(lines))

    def report(self, sizes: tuple[int, int]) -> None:
        small, big = sizes
        print(
            f"\n{'':<38} {'--- at ' + str(small) + ' account ---':^30}"
            f" {'--- at ' + str(big) + ' accounts ---':^30} {'--- ratio ---':^20}"
        )
        cols = f"{'ms':>7} {'cpu ms':>7} {'sql ms':>7} {'q':>6}"
        print(f"{'figure':<38} {cols} {cols} {'ms':>6} {'cpu':>6} {'sql':>6}  status")
        for label, by_size in self.rows.items():
            if small not in by_size or big not in by_size:
                continue
            (w1, c1, s1, q1, st1), (w2, c2, s2, q2, st2) = by_size[small], by_size[big]
            flag = "  <-- more queries" if q2 > q1 + 1e-9 else ""
            print(
                f"{label:<38} {w1:7.2f} {c1:7.2f} {s1:7.2f} {q1:6.4g}"
                f" {w2:7.2f} {c2:7.2f} {s2:7.2f} {q2:6.4g}"
                f" {w2 / w1 if w1 else 0:6.2f} {c2 / c1 if c1 else 0:6.2f}"
                f" {s2 / s1 if s1 else 0:6.2f}  {st1}/{st2}{flag}"
            )
        if self.explain:
            print(f"\nqueries that scan a whole table at {big} accounts: {len(self.plans)}")
            for sql, (label, plan) in self.plans.items():
                print(f"  [{label}] {sql[:400]}\n      {plan}")


def run(args: argparse.Namespace, database_url: str | None) -> None:
    var_dir = tempfile.mkdtemp(prefix="bench-scale-")
    setup_django(var_dir, database_url)
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from accounts.models import IamUser, Role
    from accounts.principal import user_principal
    from policies import cache
    from policies.authorization import authorize
    from policies.models import ManagedPolicy

    details = class_details(args.users, args.roles, args.policies)
    print(
        f"scale bench on {connection.vendor} ({settings.DATABASES['default']['NAME']}): "
        f"{args.accounts} accounts of {args.users} users ({GROUPS} groups), {args.roles} roles, "
        f"{args.policies} customer-managed policies; median of {args.repeat} "
        "(ms: wall, perf_counter; cpu ms: process_time, this process only; sql ms: wall, "
        "in queries)"
    )
    started = time.perf_counter()
    first, key = build_account(0, details)
    print(f"  account 1 built in {time.perf_counter() - started:.2f} s")

    browser = console_client(first)
    api = Client()
    actor = user_principal(IamUser.objects.get(account_id=first, name="user-00"), via="api")
    role = Role.objects.get(account_id=first, name="role-03")
    policy = ManagedPolicy.objects.get(account_id=first, name="policy-05")
    wizard = reverse("accounts:user-create")
    pages = [
        ("console: users list", reverse("accounts:user-list")),
        ("console: user detail", reverse("accounts:user-detail", args=["user-07"])),
        ("console: role detail", reverse("accounts:role-detail", args=[role.name])),
        ("console: policies list", reverse("policies:policy-list")),
        ("console: policies list (customer)", reverse("policies:policy-list") + "?scope=Local"),
        ("console: policies list (attached)", reverse("policies:policy-list") + "?usage=attached"),
        ("console: policy detail", reverse("policies:policy-detail", args=[policy.policy_id])),
        ("console: dashboard", reverse("iamconsole:dashboard")),
        ("console: groups list", reverse("accounts:group-list")),
        ("console: group detail", reverse("accounts:group-detail", args=["team-1"])),
        ("console: group add users", reverse("accounts:group-add-users", args=["team-1"])),
        ("console: roles list", reverse("accounts:role-list")),
        ("console: create user (groups)", f"{wizard}?step=permissions&mode=groups"),
        ("console: create user (policies)", f"{wizard}?step=permissions&mode=attach"),
    ]
    # Step 1 of the create-user wizard, so that its permissions step can be shown.
    assert browser.post(wizard, {"step": "details", "name": "new-user"}).status_code == 302
    rec = Recorder(args.explain)
    resource = "arn:aws:s3:::bucket-1/key"  # allowed by user-00's own attached policy-01

    def decide() -> str:
        authorize(actor, "s3:GetObject", resource)
        return "Allow"

    everyone: list[Any] = []

    def class_round() -> str:
        for principal in everyone:
            authorize(principal, "s3:GetObject", resource_of(principal))
        return f"{len(everyone)} decisions"

    def resource_of(principal: Any) -> str:
        n = int(principal.user_name.split("-")[1])
        return f"arn:aws:s3:::bucket-{n % args.policies}/key"

    def http(expect: bytes) -> Callable[[Any], str]:
        def check(response: Any) -> str:
            ok = response.status_code == 200 and expect in response.content
            return str(response.status_code) if ok else f"{response.status_code}!"

        return check

    def measure_all(size: int) -> None:
        nonlocal everyone
        everyone = [
            user_principal(u, via="api") for u in IamUser.objects.order_by("account_id", "name")
        ]
        cache.clear()
        decide()
        rec.measure("authorize: warm", size, decide, args.repeat * 10)
        rec.measure(
            "authorize: after invalidate",
            size,
            decide,
            args.repeat,
            before=lambda: cache.invalidate(first),
        )
        cache.clear()
        class_round()  # the first round fills the cache
        rec.measure(
            "authorize: class round (per decision)",
            size,
            class_round,
            3,
            plan=False,
            per=len(everyone),
        )
        for action, params, expect in (
            ("GetUser", {"Action": "GetUser", "UserName": "user-07"}, b"<GetUserResponse"),
            ("ListUsers", {"Action": "ListUsers"}, b"<ListUsersResponse"),
            ("ListPolicies", {"Action": "ListPolicies"}, b"<ListPoliciesResponse"),
        ):
            signed_call(api, key, params)  # warm
            rec.measure(
                f"api: {action}",
                size,
                lambda p=params: signed_call(api, key, p),
                args.repeat,
                check=http(expect),
            )
        for label, url in pages:
            browser.get(url)  # warm
            rec.measure(
                label, size, lambda u=url: browser.get(u), args.repeat, check=http(b"</html>")
            )

    measure_all(1)
    started = time.perf_counter()
    for n in range(1, args.accounts):
        build_account(n, details)
    print(
        f"  accounts 2..{args.accounts} built in {time.perf_counter() - started:.1f} s "
        f"({IamUser.objects.count()} users, {Role.objects.count()} roles, "
        f"{ManagedPolicy.objects.filter(account__isnull=False).count()} customer policies)"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would soon after such a load
    measure_all(args.accounts)
    rec.report((1, args.accounts))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--roles", type=int, default=10)
    parser.add_argument("--policies", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=30, help="calls per figure (x10 warm)")
    parser.add_argument("--explain", action="store_true", help="plans of full-table scans")
    parser.add_argument("--postgres", action="store_true", help="on a throwaway PostgreSQL")
    args = parser.parse_args()
    if args.users < 8 or args.roles < 4 or args.policies < 12:
        parser.error("at least 8 users, 4 roles and 12 policies (the pages measured name them)")
    with ExitStack() as stack:
        url = None
        if args.postgres:
            url = stack.enter_context(_load_bench_api().postgres(Path(tempfile.gettempdir())))
        run(args, url)


if __name__ == "__main__":
    main()
