"""Load the AWS-managed policy catalog (policies/data) into the database.

Runs after every ``migrate`` and does work only when the shipped catalog differs
from what the database holds, so ``make run`` twice keeps the data and a project
update that ships a newer catalog refreshes it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from policies.aws_managed import load_catalog
from policies.models import CatalogState, ManagedPolicy, PolicyVersion


def _catalog_fingerprint(catalog: Any) -> str:
    digest = hashlib.sha256()
    for policy in catalog:
        digest.update(policy.arn.encode())
        digest.update(policy.default_version_id.encode())
        digest.update(str(len(policy.versions)).encode())
    return digest.hexdigest()


def _when(value: Any) -> Any:
    if not value:
        return timezone.now()
    if hasattr(value, "tzinfo"):
        return value
    parsed = parse_datetime(str(value).replace("Z", "+00:00"))
    return parsed or timezone.now()


def sync_aws_managed_policies(*, verbosity: int = 0) -> int:
    """Insert or refresh AWS-managed policies; returns how many were written."""

    catalog = load_catalog()
    fingerprint = _catalog_fingerprint(catalog)
    state = CatalogState.objects.filter(key="aws-managed").first()
    if state and state.value == fingerprint:
        return 0
    written = 0
    with transaction.atomic():
        existing = {p.arn: p for p in ManagedPolicy.objects.filter(account__isnull=True)}
        new_policies = []
        for entry in catalog:
            if entry.arn in existing:
                continue
            new_policies.append(
                ManagedPolicy(
                    account=None,
                    name=entry.name,
                    path=entry.path,
                    arn=entry.arn,
                    policy_id=entry.policy_id,
                    description=(getattr(entry, "description", "") or "")[:1000],
                    created=_when(entry.create_date),
                    updated=_when(entry.update_date),
                    default_version_id=entry.default_version_id,
                    next_version=len(entry.versions) + 1,
                    is_attachable=getattr(entry, "is_attachable", True),
                )
            )
        ManagedPolicy.objects.bulk_create(new_policies, batch_size=500)
        by_arn = {p.arn: p for p in ManagedPolicy.objects.filter(account__isnull=True)}
        fresh = {p.arn for p in new_policies}
        versions = []
        for entry in catalog:
            if entry.arn not in fresh:
                continue
            policy = by_arn[entry.arn]
            for version in entry.versions:
                document = version.document_json
                versions.append(
                    PolicyVersion(
                        policy=policy,
                        version_id=version.version_id,
                        document=document,
                        is_default=version.version_id == entry.default_version_id,
                        created=_when(version.create_date),
                    )
                )
        PolicyVersion.objects.bulk_create(versions, batch_size=1000)
        written = len(new_policies)
        CatalogState.objects.update_or_create(key="aws-managed", defaults={"value": fingerprint})
    if verbosity:
        print(f"AWS-managed policies: {written} added")  # noqa: T201
    return written


def sync_after_migrate(sender: Any, verbosity: int = 1, **kwargs: Any) -> None:
    try:
        # deferred: optional; post_migrate can run before the catalog module exists
        from policies import aws_managed  # noqa: F401
    except ImportError:  # the catalog module is not there yet
        return
    sync_aws_managed_policies(verbosity=verbosity)
