"""AWS's SigV4 test suite (``aws4_testsuite``), fetched from botocore's sdist.

The suite (originally published as ``aws-sig-v4-test-suite``) ships in
botocore's source distribution under ``tests/unit/auth/aws4_testsuite/``. The
sdist of the botocore version this project pins (1.44.8) contains it, so it is
downloaded once with ``pip download --no-binary :all: --no-deps`` and cached in
pytest's cache directory (``.pytest_cache/d/``); later runs reuse it.

Each case is a folder holding ``NAME.req`` (raw HTTP request), ``.creq``
(canonical request), ``.sts`` (string to sign), ``.authz`` (Authorization
header) and ``.sreq`` (signed request).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

BOTOCORE_VERSION = "1.44.8"
SUITE_PREFIX = f"botocore-{BOTOCORE_VERSION}/tests/unit/auth/aws4_testsuite/"

# The constants the suite's files were produced with.
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
SERVICE = "service"
AMZ_DATE = "20150830T123600Z"

# Every case the 1.44.8 sdist holds; the fixture checks the download matches,
# so a vector added or dropped upstream is noticed rather than silently run.
CASES: tuple[str, ...] = (
    "get-header-key-duplicate",
    "get-header-value-multiline",
    "get-header-value-order",
    "get-header-value-trim",
    "get-unreserved",
    "get-utf8",
    "get-vanilla",
    "get-vanilla-empty-query-key",
    "get-vanilla-query",
    "get-vanilla-query-order-encoded",
    "get-vanilla-query-order-key",
    "get-vanilla-query-order-key-case",
    "get-vanilla-query-order-value",
    "get-vanilla-query-unreserved",
    "get-vanilla-utf8-query",
    "get-vanilla-with-session-token",
    "normalize-path/get-relative",
    "normalize-path/get-relative-relative",
    "normalize-path/get-slash",
    "normalize-path/get-slash-dot-slash",
    "normalize-path/get-slash-pointless-dot",
    "normalize-path/get-slashes",
    "normalize-path/get-space",
    "normalize-path/get-special-character",
    "post-header-key-case",
    "post-header-key-sort",
    "post-header-value-case",
    "post-sts-token/post-sts-header-after",
    "post-sts-token/post-sts-header-before",
    "post-vanilla",
    "post-vanilla-empty-query-value",
    "post-vanilla-query",
    "post-x-www-form-urlencoded",
    "post-x-www-form-urlencoded-parameters",
)


@dataclass(frozen=True)
class RawRequest:
    """A request parsed from a ``.req``/``.sreq`` file."""

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True)
class Vector:
    name: str
    request: RawRequest
    signed_request: RawRequest
    canonical_request: str
    string_to_sign: str
    authorization: str


def parse_raw_request(text: str) -> RawRequest:
    """Parse the suite's raw HTTP text.

    Not ``http.server``: the ``get-space`` case has a space inside the request
    target (``GET /example space/ HTTP/1.1``), which the standard parser
    refuses, so the target is everything between the first and last spaces.
    Continuation lines (obs-fold, ``get-header-value-multiline``) are joined
    to the previous header value with a newline; SigV4's Trimall folds them.
    """
    head, sep, body = text.replace("\r\n", "\n").partition("\n\n")
    lines = head.split("\n")
    request_line = lines[0]
    method, _, rest = request_line.partition(" ")
    target, _, _version = rest.rpartition(" ")
    path, _, query = target.partition("?")
    headers: list[list[str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            headers[-1][1] += "\n" + line
            continue
        if not line:
            continue
        name, _, value = line.partition(":")
        headers.append([name, value])
    return RawRequest(
        method=method,
        path=path,
        query=query,
        headers=tuple((n, v) for n, v in headers),
        body=body.encode("utf-8") if sep else b"",
    )


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8").replace("\r", "")


def load_vector(suite_dir: Path, name: str) -> Vector:
    base = suite_dir / name / name.rsplit("/", 1)[-1]
    return Vector(
        name=name,
        request=parse_raw_request(_read(base.with_suffix(".req"))),
        signed_request=parse_raw_request(_read(base.with_suffix(".sreq"))),
        canonical_request=_read(base.with_suffix(".creq")),
        string_to_sign=_read(base.with_suffix(".sts")),
        authorization=_read(base.with_suffix(".authz")),
    )


def list_cases(suite_dir: Path) -> list[str]:
    return sorted(p.parent.relative_to(suite_dir).as_posix() for p in suite_dir.rglob("*.req"))


def fetch_suite(cache_dir: Path) -> Path:
    """Download botocore's sdist (once) and extract ``aws4_testsuite`` into ``cache_dir``.

    Safe under pytest-xdist: each worker extracts into a temporary folder and
    renames it into place; whoever loses the race uses the winner's copy.
    """
    target = cache_dir / f"botocore-{BOTOCORE_VERSION}" / "aws4_testsuite"
    if (target / "get-vanilla" / "get-vanilla.req").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-binary",
                ":all:",
                "--no-deps",
                "--disable-pip-version-check",
                "--quiet",
                f"botocore=={BOTOCORE_VERSION}",
                "-d",
                tmp,
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
        (sdist,) = Path(tmp).glob("botocore-*.tar.gz")
        extract_to = Path(tmp) / "suite"
        with tarfile.open(sdist) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith(SUITE_PREFIX)]
            if not members:
                raise RuntimeError(f"{sdist.name} has no {SUITE_PREFIX}")
            tar.extractall(extract_to, members=members, filter="data")
        try:
            os.replace(extract_to / SUITE_PREFIX.rstrip("/"), target)
        except OSError:
            if not target.exists():
                raise
        shutil.rmtree(extract_to, ignore_errors=True)
    return target
