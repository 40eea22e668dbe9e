#!/usr/bin/env python
"""Run the security battery (tests/security) and print one line per row.

    make security-report            # or: .venv/bin/python scripts/security_report.py [pytest args]

Each line: the test, the figure it measured, PASS or FAIL. Exit status is pytest's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    with tempfile.NamedTemporaryFile("w+", suffix=".jsonl", delete=False) as fh:
        report = fh.name
    env = dict(os.environ, IAM_SECURITY_REPORT=report)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/security", *argv]
    status = subprocess.run(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=False
    ).returncode
    rows = [json.loads(line) for line in Path(report).read_text().splitlines() if line.strip()]
    os.unlink(report)
    width = max((len(r["test"].split("::", 1)[-1]) for r in rows), default=10)
    passed = sum(r["outcome"] == "passed" for r in rows)
    for row in rows:
        name = row["test"].split("::", 1)[-1]
        verdict = {"passed": "PASS", "skipped": "SKIP"}.get(row["outcome"], "FAIL")
        print(f"{name:<{width}}  {verdict:<4}  {row['figure'] or '-'}")
    print(
        f"\nsecurity report: {passed} passed, {len(rows) - passed} failed or skipped of {len(rows)} rows"
    )
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
