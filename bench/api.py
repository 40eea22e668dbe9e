"""Query API throughput, ours beside moto_server, in one run (issue 15).

    make bench-deps                 # bench/.venv with moto[server] (bench/requirements.txt)
    .venv/bin/python bench/api.py [--seconds 10] [--clients 4] [--users 600] [--postgres]

Starts moto_server from bench/.venv and our server exactly as ``make serve`` runs it
(gunicorn -c gunicorn.conf.py; WORKERS/THREADS from the environment, as make's) over a
fresh, migrated SQLite database (``--postgres``: also over a throwaway PostgreSQL,
started here like scripts/with-postgres.sh, on its own port and directory), with the
admin user of ``manage.py create_account --json --admin-user bench`` signing.

The same boto3 closed loop hits each server: ``--clients`` client processes (retries
off), each sending its next request as soon as the last one answered. Phases, each
run against the servers in turn, alternating (moto, ours, ours, moto…) so the
machine's load falls on both alike:

* CreateUser: ``--users`` users created (in two halves, alternating);
* GetUser: random users of those, for ``--seconds``, twice per server;
* ListUsers: full listings (every page, 100 a page) for ``--seconds``, twice per server.

Prints requests/s (listings/s for ListUsers) per server and the ratio ours/moto.
Throughput figures are only comparable within one run on one machine.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH_VENV = ROOT / "bench" / ".venv"
PY = sys.executable


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{what} exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{what}: nothing on port {port}:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def ensure_bench_venv() -> Path:
    """bench/.venv with bench/requirements.txt (what ``make bench-deps`` makes)."""
    moto = BENCH_VENV / "bin" / "moto_server"
    stamp = BENCH_VENV / ".installed"
    reqs = ROOT / "bench" / "requirements.txt"
    if moto.exists() and stamp.exists() and stamp.stat().st_mtime >= reqs.stat().st_mtime:
        return moto
    if not (BENCH_VENV / "bin" / "python").exists():
        subprocess.run([PY, "-m", "venv", str(BENCH_VENV)], check=True)
    pip = [str(BENCH_VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "-r", str(reqs)], check=True)
    stamp.touch()
    return moto


@contextmanager
def moto_server(tmp: Path):
    tmp.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log = tmp / "moto.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(ensure_bench_venv()), "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, proc, "moto_server", log)
        yield {
            "url": f"http://127.0.0.1:{port}",
            "access_key": "AKIAIOSFODNN7EXAMPLE",
            "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        }
    finally:
        _stop(proc)


def _server_env(tmp: Path, port: int, database_url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "IAM_")) and k != "DATABASE_URL"
    }
    env.update(
        IAM_VAR_DIR=str(tmp / "var"),
        DATABASE_URL=database_url,
        HOST="127.0.0.1",
        PORT=str(port),
        GUNICORN_LOG_LEVEL="warning",
    )
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if out.returncode:
        sys.exit(f"manage.py {args[0]} failed:\n{out.stdout[-2000:]}{out.stderr[-3000:]}")
    return out.stdout


@contextmanager
def our_server(tmp: Path, database_url: str):
    """``make serve``'s command (Makefile SERVE) over a freshly migrated database."""
    tmp.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = _server_env(tmp, port, database_url)
    _manage(env, "migrate", "--noinput", "-v", "0")
    creds = json.loads(
        _manage(
            env,
            "create_account",
            "--email",
            f"bench-{port}@example.com",
            "--password",
            "bench-pass-1-long",
            "--admin-user",
            "bench",
            "--json",
        )
        .strip()
        .splitlines()[-1]
    )
    log = tmp / f"serve-{port}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [PY, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, proc, "gunicorn", log)
        yield {
            "url": f"http://127.0.0.1:{port}",
            "access_key": creds["admin_access_key_id"],
            "secret_key": creds["admin_secret_access_key"],
        }
    finally:
        _stop(proc)


@contextmanager
def postgres(tmp: Path):
    """A throwaway PostgreSQL (as scripts/with-postgres.sh starts one): its own port
    and directory, trust auth, stopped and removed after."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
    if not bins:
        sys.exit("PostgreSQL is not installed (make system-deps)")
    pgbin = bins[-1]
    pgdir = Path(tempfile.mkdtemp(prefix="bench-pg.", dir="/tmp"))
    port = _free_port()
    root = os.geteuid() == 0

    def as_pg(*cmd: str) -> None:
        full = ["runuser", "-u", "postgres", "--", *cmd] if root else list(cmd)
        subprocess.run(full, check=True, stdout=subprocess.DEVNULL)

    if root:
        shutil.chown(pgdir, "postgres")
    try:
        as_pg(str(pgbin / "initdb"), "-D", f"{pgdir}/data", "-U", "iamconsole", "--auth=trust")
        as_pg(
            str(pgbin / "pg_ctl"),
            "-D",
            f"{pgdir}/data",
            "-l",
            f"{pgdir}/log",
            "-w",
            "-o",
            f"-p {port} -k {pgdir} -c listen_addresses=127.0.0.1 -c max_connections=200",
            "start",
        )
        yield f"postgres://iamconsole@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            (["runuser", "-u", "postgres", "--"] if root else [])
            + [str(pgbin / "pg_ctl"), "-D", f"{pgdir}/data", "-m", "fast", "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(pgdir, ignore_errors=True)


# ---------------------------------------------------------------------------
# The closed loop


def _client(target: dict[str, str]) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "iam",
        endpoint_url=target["url"],
        region_name="us-east-1",
        aws_access_key_id=target["access_key"],
        aws_secret_access_key=target["secret_key"],
        config=Config(retries={"total_max_attempts": 1}, max_pool_connections=2),
    )


def _client_main(target, phase, names, seconds, start_at, queue) -> None:
    iam = _client(target)
    if phase != "CreateUser":
        iam.get_user(UserName=names[0])  # connected (and the client warm) before the start
    errors: dict[str, int] = {}
    done = 0

    def call(fn: Any, **kw: Any) -> None:
        nonlocal done
        try:
            fn(**kw)
            done += 1
        except Exception as exc:  # noqa: BLE001 — counted, not fatal
            code = getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__
            errors[code] = errors.get(code, 0) + 1

    def list_all() -> None:
        for _ in iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 100}):
            pass

    while time.time() < start_at:
        time.sleep(0.001)
    began = time.perf_counter()
    if phase == "CreateUser":
        for name in names:
            call(iam.create_user, UserName=name)
    else:
        deadline = began + seconds
        rng = random.Random(os.getpid())
        while time.perf_counter() < deadline:
            if phase == "GetUser":
                call(iam.get_user, UserName=rng.choice(names))
            else:
                call(list_all)
    queue.put((done, time.perf_counter() - began, errors))


def run_phase(target, phase, names_per_client, seconds) -> tuple[float, dict[str, int]]:
    """Rate (requests or listings per second) of ``len(names_per_client)`` clients."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    start_at = time.time() + 3.0  # every client process up and connected first
    procs = [
        ctx.Process(target=_client_main, args=(target, phase, names, seconds, start_at, queue))
        for names in names_per_client
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=seconds + 600) for _ in procs]
    for p in procs:
        p.join()
    done = sum(r[0] for r in results)
    elapsed = max(r[1] for r in results)
    errors: dict[str, int] = {}
    for r in results:
        for k, v in r[2].items():
            errors[k] = errors.get(k, 0) + v
    return done / elapsed, errors


def bench(targets: dict[str, dict[str, str]], args: argparse.Namespace) -> dict[str, dict]:
    """Every phase against every target, alternating the order between rounds."""
    clients = args.clients
    names = [f"bench-u{i:04d}" for i in range(args.users)]
    per_client = [names[i::clients] for i in range(clients)]
    rates: dict[str, dict[str, list[float]]] = {t: {} for t in targets}
    errors: dict[str, dict[str, int]] = {t: {} for t in targets}
    order = list(targets)

    def record(target: str, phase: str, rate: float, errs: dict[str, int]) -> None:
        rates[target].setdefault(phase, []).append(rate)
        for k, v in errs.items():
            errors[target][f"{phase}:{k}"] = errors[target].get(f"{phase}:{k}", 0) + v

    # CreateUser: two halves of the users, alternating; the rate is the mean of both.
    for half in range(2):
        for target in order if half == 0 else order[::-1]:
            chunk = [c[half::2] for c in per_client]
            record(target, "CreateUser", *run_phase(targets[target], "CreateUser", chunk, 0))
    for phase in ("GetUser", "ListUsers"):
        for rnd in range(2):
            for target in order if rnd == 0 else order[::-1]:
                record(target, phase, *run_phase(targets[target], phase, per_client, args.seconds))
    return {
        t: {"rates": {p: sum(v) / len(v) for p, v in rates[t].items()}, "errors": errors[t]}
        for t in targets
    }


def report(title: str, results: dict[str, dict], args: argparse.Namespace) -> None:
    ours = [t for t in results if t != "moto"]
    print(f"\n== {title}: {args.clients} client processes, {args.users} users, retries off ==")
    header = f"{'call':<26}" + "".join(f"{t:>14}" for t in results)
    header += "".join(f"{t + '/moto':>16}" for t in ours)
    print(header)
    for phase, unit in (("CreateUser", "req/s"), ("GetUser", "req/s"), ("ListUsers", "listings/s")):
        row = f"{phase + ' (' + unit + ')':<26}"
        row += "".join(f"{results[t]['rates'][phase]:>14.1f}" for t in results)
        for t in ours:
            ratio = results[t]["rates"][phase] / results["moto"]["rates"][phase]
            row += f"{ratio:>15.2f}x"
        print(row)
    for t, r in results.items():
        if r["errors"]:
            print(f"errors ({t}):", r["errors"])


def _exit_on_term(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # runs the context managers' finally: servers stopped


def main() -> None:
    signal.signal(signal.SIGTERM, _exit_on_term)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per GetUser/ListUsers round")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--users", type=int, default=600)
    parser.add_argument("--postgres", action="store_true", help="also ours on PostgreSQL")
    args = parser.parse_args()
    os.chdir(ROOT)
    tmp = Path(tempfile.mkdtemp(prefix="bench-api."))
    print(
        f"our server: {PY} -m gunicorn -c gunicorn.conf.py "
        f"(WORKERS={os.environ.get('WORKERS') or 'per CPU'}, "
        f"THREADS={os.environ.get('THREADS') or 'default'}); moto_server from bench/.venv"
    )
    try:
        with moto_server(tmp) as moto:
            with our_server(tmp / "sqlite", f"sqlite:///{tmp / 'bench.sqlite3'}") as ours:
                report("SQLite", bench({"moto": moto, "ours": ours}, args), args)
        if args.postgres:
            # A fresh moto beside it, so both start with no users.
            with moto_server(tmp / "m2") as moto, postgres(tmp) as url:
                with our_server(tmp / "pg", url) as ours:
                    report("PostgreSQL", bench({"moto": moto, "ours": ours}, args), args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
