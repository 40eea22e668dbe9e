"""The read-only catalog of AWS-managed policies (pure Python, no Django).

Data: ``policies/data/aws_managed_policies.json.gz``, built by
``scripts/build_aws_managed_policies.py`` (see ``policies/data/README.md`` for
the source, its version and license).

    >>> from policies.aws_managed import load_catalog
    >>> catalog = load_catalog()                       # cached: parsed once per process
    >>> admin = catalog.get_by_name("AdministratorAccess")
    >>> admin.arn
    'arn:aws:iam::aws:policy/AdministratorAccess'
    >>> catalog.get_by_arn(admin.arn) is admin
    True
    >>> admin.document["Statement"][0]["Action"]
    '*'

Policies and versions are frozen dataclasses. A document is kept as JSON text
(``document_json``: pretty-printed, ``Version`` first and statement keys in the
order AWS writes them) and handed out as a fresh ``dict`` on every access of
``document``, so callers may mutate what they get without touching the cache.
"""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

DATA_FILE = Path(__file__).resolve().parent / "data" / "aws_managed_policies.json.gz"

AWS_MANAGED_ARN_PREFIX = "arn:aws:iam::aws:policy/"
SERVICE_LINKED_ROLE_PATH = "/aws-service-role/"

# Key order used when rendering documents, as AWS writes them (the data file
# stores sorted keys). Keys not listed keep their relative order after these.
_DOCUMENT_KEY_ORDER = ("Version", "Id", "Statement")
_STATEMENT_KEY_ORDER = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)


def _ordered(obj: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    out = {key: obj[key] for key in order if key in obj}
    out.update((key, value) for key, value in obj.items() if key not in out)
    return out


def render_document(document: Mapping[str, Any]) -> str:
    """Policy document -> JSON text with AWS's key order, 4-space indent."""
    doc = _ordered(dict(document), _DOCUMENT_KEY_ORDER)
    statements = doc.get("Statement")
    if isinstance(statements, list):
        doc["Statement"] = [
            _ordered(s, _STATEMENT_KEY_ORDER) if isinstance(s, dict) else s for s in statements
        ]
    elif isinstance(statements, dict):
        doc["Statement"] = _ordered(statements, _STATEMENT_KEY_ORDER)
    return json.dumps(doc, indent=4, ensure_ascii=False)


def _parse_time(value: str) -> datetime:
    # Stored as '2015-02-06T18:39:46Z' (UTC).
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True, slots=True)
class AwsManagedPolicyVersion:
    version_id: str
    document_json: str
    is_default_version: bool
    create_date: datetime

    @property
    def document(self) -> dict[str, Any]:
        """The document as a new dict (a copy: safe to mutate)."""
        return json.loads(self.document_json)


@dataclass(frozen=True, slots=True)
class AwsManagedPolicy:
    name: str
    arn: str
    path: str
    policy_id: str
    default_version_id: str
    create_date: datetime
    update_date: datetime
    is_attachable: bool
    description: str
    versions: tuple[AwsManagedPolicyVersion, ...]

    @property
    def default_version(self) -> AwsManagedPolicyVersion:
        for version in self.versions:
            if version.is_default_version:
                return version
        raise LookupError(f"{self.arn}: no default version")  # excluded by the data tests

    @property
    def document_json(self) -> str:
        """The default version's document as JSON text."""
        return self.default_version.document_json

    @property
    def document(self) -> dict[str, Any]:
        """The default version's document as a new dict."""
        return self.default_version.document

    def get_version(self, version_id: str) -> AwsManagedPolicyVersion | None:
        for version in self.versions:
            if version.version_id == version_id:
                return version
        return None

    @property
    def is_service_linked_role_policy(self) -> bool:
        """Policies under /aws-service-role/ attach only to service-linked roles."""
        return self.path == SERVICE_LINKED_ROLE_PATH


class AwsManagedCatalog:
    """All AWS-managed policies, iterated in name order; lookups by ARN or name."""

    __slots__ = ("_by_arn", "_by_name", "_policies", "metadata")

    def __init__(
        self, policies: list[AwsManagedPolicy], metadata: Mapping[str, Any] | None = None
    ) -> None:
        ordered = tuple(sorted(policies, key=lambda p: p.name))
        self._policies = ordered
        self._by_arn = {p.arn: p for p in ordered}
        self._by_name = {p.name: p for p in ordered}
        if len(self._by_arn) != len(ordered) or len(self._by_name) != len(ordered):
            raise ValueError("duplicate AWS-managed policy ARN or name")
        self.metadata: Mapping[str, Any] = MappingProxyType(dict(metadata or {}))

    def __len__(self) -> int:
        return len(self._policies)

    def __iter__(self) -> Iterator[AwsManagedPolicy]:
        return iter(self._policies)

    def __contains__(self, arn_or_policy: object) -> bool:
        if isinstance(arn_or_policy, AwsManagedPolicy):
            return self._by_arn.get(arn_or_policy.arn) == arn_or_policy
        return arn_or_policy in self._by_arn

    @property
    def policies(self) -> tuple[AwsManagedPolicy, ...]:
        """All policies in name order."""
        return self._policies

    def get_by_arn(self, arn: str) -> AwsManagedPolicy | None:
        return self._by_arn.get(arn)

    def get_by_name(self, name: str) -> AwsManagedPolicy | None:
        return self._by_name.get(name)

    def __getitem__(self, arn: str) -> AwsManagedPolicy:
        """Policy by ARN; KeyError if unknown."""
        return self._by_arn[arn]

    @property
    def source(self) -> Mapping[str, Any]:
        """Where the data came from: package, version, license, wheel sha256."""
        return self.metadata.get("source", {})


def _policy_from_entry(entry: Mapping[str, Any]) -> AwsManagedPolicy:
    versions = tuple(
        AwsManagedPolicyVersion(
            version_id=v["VersionId"],
            document_json=render_document(v["Document"]),
            is_default_version=bool(v["IsDefaultVersion"]),
            create_date=_parse_time(v["CreateDate"]),
        )
        for v in entry["Versions"]
    )
    return AwsManagedPolicy(
        name=entry["PolicyName"],
        arn=entry["Arn"],
        path=entry["Path"],
        policy_id=entry["PolicyId"],
        default_version_id=entry["DefaultVersionId"],
        create_date=_parse_time(entry["CreateDate"]),
        update_date=_parse_time(entry["UpdateDate"]),
        is_attachable=bool(entry.get("IsAttachable", True)),
        description=entry.get("Description", ""),
        versions=versions,
    )


def catalog_from_bytes(data: bytes) -> AwsManagedCatalog:
    """Parse the gzip data file's bytes (what the build script writes)."""
    payload = json.loads(gzip.decompress(data))
    policies = [_policy_from_entry(entry) for entry in payload["policies"]]
    return AwsManagedCatalog(policies, payload.get("metadata", {}))


@functools.cache
def load_catalog(path: str | Path | None = None) -> AwsManagedCatalog:
    """The catalog from the shipped data file (or ``path``), parsed once and cached."""
    return catalog_from_bytes(Path(path or DATA_FILE).read_bytes())
