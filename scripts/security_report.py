#!/usr/bin/env python
"""Run the security battery (tests/security) on SQLite and on PostgreSQL; print one
line per row and backend.

    make security-report            # or: .venv/bin/python scripts/security_report.py [pytest args]

Some rows can only fail on one backend (a missing row lock is invisible on SQLite,
where every write already queues behind one database lock), so every row runs on
both: SQLite first, then a throwaway PostgreSQL server that scripts/with-postgres.sh
starts and stops (the same one `make test` uses). ``--sqlite-only`` or
``--postgres-only`` runs one. Each line: the test, the backend, PASS/FAIL/SKIP, the
figure it measured. Exit status: 0 only if both runs passed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def run(backend: str, argv: list[str]) -> tuple[int, list[dict]]:
    with tempfile.NamedTemporaryFile("w+", suffix=".jsonl", delete=False) as fh:
        report = fh.name
    env = dict(os.environ, IAM_SECURITY_REPORT=report)
    env.pop("DATABASE_URL", None)  # SQLite, or the throwaway server's (with-postgres.sh)
    paths = [] if any(a.startswith("tests") for a in argv) else ["tests/security"]
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *paths, *argv]
    if backend == "postgresql":
        cmd = ["scripts/with-postgres.sh", *cmd]
    status = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=False)
    rows = [json.loads(line) for line in Path(report).read_text().splitlines() if line.strip()]
    os.unlink(report)
    return status.returncode, rows


def main(argv: list[str]) -> int:
    backends = list(BACKENDS)
    if "--sqlite-only" in argv:
        backends = ["sqlite"]
    elif "--postgres-only" in argv:
        backends = ["postgresql"]
    argv = [a for a in argv if a not in ("--sqlite-only", "--postgres-only")]
    results = {b: run(b, argv) for b in backends}
    names: list[str] = []
    by_backend: dict[str, dict[str, dict]] = {}
    for backend, (_status, rows) in results.items():
        by_backend[backend] = {}
        for row in rows:
            name = row["test"].split("::", 1)[-1]
            if name not in names:
                names.append(name)
            by_backend[backend][name] = row
    width = max((len(n) for n in names), default=10)
    label = max(len(BACKENDS[b]) for b in backends)
    for name in names:
        for backend in backends:
            row = by_backend[backend].get(name)
            if row is None:
                verdict, fig = "FAIL", "(no result: the run stopped before this row)"
            else:
                verdict = {"passed": "PASS", "skipped": "SKIP"}.get(row["outcome"], "FAIL")
                fig = row["figure"] or "-"
            print(f"{name:<{width}}  {BACKENDS[backend]:<{label}}  {verdict:<4}  {fig}")
    print()
    status = 0
    for backend in backends:
        code, rows = results[backend]
        passed = sum(r["outcome"] == "passed" for r in rows)
        skipped = sum(r["outcome"] == "skipped" for r in rows)
        failed = len(rows) - passed - skipped
        print(
            f"security report, {BACKENDS[backend]}: {passed} passed, {failed} failed, "
            f"{skipped} skipped of {len(rows)} rows (pytest exit {code})"
        )
        status = status or code
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
