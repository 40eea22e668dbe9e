"""The security battery: every test here is a row of ``make security-report``.

A test states its measured figure with the ``figure`` fixture; the report prints
one line per test: name, figure, PASS or FAIL.
"""

from __future__ import annotations

import json
import os

import pytest

_REPORT = os.environ.get("IAM_SECURITY_REPORT")


@pytest.fixture
def figure(request):
    """Call ``figure("20 racers: 1 success, 19 EntityAlreadyExists")`` to report a measurement."""
    notes: list[str] = []
    request.node.user_properties.append(("figure", notes))
    return notes.append


def pytest_runtest_logreport(report):
    if not _REPORT or report.when != "call" and not (report.when == "setup" and not report.passed):
        return
    notes = dict(report.user_properties).get("figure", [])
    row = {"test": report.nodeid, "figure": "; ".join(notes), "outcome": report.outcome}
    with open(_REPORT, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")
