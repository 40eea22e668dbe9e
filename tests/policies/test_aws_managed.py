"""The AWS-managed policy catalog: shipped data, loader, and build script (no DB)."""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # bare `pytest -p no:django` does not add the root
    sys.path.insert(0, str(REPO_ROOT))

from policies.aws_managed import (  # noqa: E402
    DATA_FILE,
    AwsManagedCatalog,
    AwsManagedPolicy,
    catalog_from_bytes,
    load_catalog,
    render_document,
)

SCRIPT = REPO_ROOT / "scripts" / "build_aws_managed_policies.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("build_aws_managed_policies", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


build = _load_script()


@pytest.fixture(scope="module")
def catalog() -> AwsManagedCatalog:
    return load_catalog()


# --------------------------------------------------------------------- the catalog


def test_catalog_is_large_and_cached(catalog):
    assert len(catalog) > 1000
    assert load_catalog() is catalog


def test_iteration_is_in_name_order(catalog):
    names = [p.name for p in catalog]
    assert names == sorted(names)
    assert list(catalog.policies) == list(catalog)


def test_lookup_by_arn_and_name(catalog):
    policy = catalog.get_by_name("ReadOnlyAccess")
    assert isinstance(policy, AwsManagedPolicy)
    assert catalog.get_by_arn("arn:aws:iam::aws:policy/ReadOnlyAccess") is policy
    assert catalog["arn:aws:iam::aws:policy/ReadOnlyAccess"] is policy
    assert "arn:aws:iam::aws:policy/ReadOnlyAccess" in catalog
    assert policy in catalog
    assert catalog.get_by_name("NoSuchPolicyHere") is None
    assert catalog.get_by_arn("arn:aws:iam::123456789012:policy/ReadOnlyAccess") is None
    with pytest.raises(KeyError):
        catalog["arn:aws:iam::aws:policy/NoSuchPolicyHere"]


def test_administrator_access_is_allow_everything(catalog):
    policy = catalog.get_by_name("AdministratorAccess")
    assert policy.arn == "arn:aws:iam::aws:policy/AdministratorAccess"
    assert policy.path == "/"
    assert policy.is_attachable
    assert policy.document == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    # Rendered the way AWS shows it: Version first, Effect before Action.
    assert policy.document_json.index('"Version"') < policy.document_json.index('"Statement"')
    assert policy.document_json.index('"Effect"') < policy.document_json.index('"Action"')


def test_iam_read_only_access(catalog):
    policy = catalog.get_by_name("IAMReadOnlyAccess")
    assert policy.arn == "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    assert policy.document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "iam:GenerateCredentialReport",
                    "iam:GenerateServiceLastAccessedDetails",
                    "iam:Get*",
                    "iam:List*",
                    "iam:SimulateCustomPolicy",
                    "iam:SimulatePrincipalPolicy",
                ],
                "Resource": "*",
            }
        ],
    }


def test_iam_user_change_password(catalog):
    policy = catalog.get_by_name("IAMUserChangePassword")
    assert policy.arn == "arn:aws:iam::aws:policy/IAMUserChangePassword"
    assert policy.document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["iam:ChangePassword"],
                "Resource": [
                    "arn:aws:iam::*:user/${aws:username}",
                    "arn:aws:iam::*:user/*/${aws:username}",
                ],
            },
            {
                "Effect": "Allow",
                "Action": ["iam:GetAccountPasswordPolicy"],
                "Resource": "*",
            },
        ],
    }


def test_read_only_access_only_allows_on_everything(catalog):
    policy = catalog.get_by_name("ReadOnlyAccess")
    statements = policy.document["Statement"]
    assert statements
    actions = set()
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert statement["Resource"] == "*"
        listed = statement["Action"]
        actions.update([listed] if isinstance(listed, str) else listed)
    assert {"iam:Get*", "iam:List*", "s3:Get*", "ec2:Describe*"} <= actions
    assert not any(a == "*" or a.endswith(":*") for a in actions)


def test_well_known_paths(catalog):
    assert (
        catalog.get_by_name("AWSSupportServiceRolePolicy").arn
        == "arn:aws:iam::aws:policy/aws-service-role/AWSSupportServiceRolePolicy"
    )
    assert catalog.get_by_name("AWSSupportServiceRolePolicy").is_service_linked_role_policy
    assert catalog.get_by_name("ViewOnlyAccess").path == "/job-function/"
    assert not catalog.get_by_name("AdministratorAccess").is_service_linked_role_policy


def test_every_entry_is_well_formed(catalog):
    policy_id = re.compile(r"^ANPA[A-Z0-9]{17}$")
    version_id = re.compile(r"^v[1-9][0-9]*$")
    for policy in catalog:
        assert policy.path.startswith("/") and policy.path.endswith("/"), policy.name
        assert policy.arn == f"arn:aws:iam::aws:policy{policy.path}{policy.name}"
        assert re.fullmatch(r"[\w+=,.@-]{1,128}", policy.name), policy.name
        assert policy_id.match(policy.policy_id), policy.policy_id
        assert policy.create_date <= policy.update_date, policy.name
        assert policy.create_date.utcoffset().total_seconds() == 0
        assert policy.versions, policy.name
        defaults = [v for v in policy.versions if v.is_default_version]
        assert len(defaults) == 1, policy.name
        assert defaults[0].version_id == policy.default_version_id
        for version in policy.versions:
            assert version_id.match(version.version_id), (policy.name, version.version_id)
            document = json.loads(version.document_json)
            assert document == version.document
            assert isinstance(document, dict)
            assert document["Version"] in ("2012-10-17", "2008-10-17"), policy.name
            statements = document["Statement"]
            if isinstance(statements, dict):
                statements = [statements]
            assert statements, policy.name
            for statement in statements:
                assert statement["Effect"] in ("Allow", "Deny"), policy.name
                assert ("Action" in statement) != ("NotAction" in statement), policy.name


def test_ids_arns_and_names_are_unique(catalog):
    policies = list(catalog)
    assert len({p.policy_id for p in policies}) == len(policies)
    assert len({p.arn for p in policies}) == len(policies)
    assert len({p.name for p in policies}) == len(policies)


def test_documents_are_copies(catalog):
    policy = catalog.get_by_name("AdministratorAccess")
    document = policy.document
    document["Statement"].clear()
    assert policy.document["Statement"]


def test_policies_are_frozen_and_hashable(catalog):
    policy = catalog.get_by_name("AdministratorAccess")
    with pytest.raises(AttributeError):
        policy.name = "Other"  # type: ignore[misc]
    assert {policy: 1}[policy] == 1


def test_metadata_names_source_package_and_license(catalog):
    source = catalog.source
    assert source["package"] == "moto"
    assert source["version"] == build.MOTO_VERSION
    assert source["license"] == "Apache-2.0"
    assert source["wheel_sha256"] == build.MOTO_WHEEL_SHA256
    assert catalog.metadata["policy_count"] == len(catalog)
    assert catalog.metadata["version_count"] == sum(len(p.versions) for p in catalog)


def test_data_file_is_small_and_parses_whole():
    # Load time is measured by bench/, not asserted here (timed tests are flaky).
    assert DATA_FILE.stat().st_size < 4 * 1024 * 1024
    assert len(catalog_from_bytes(DATA_FILE.read_bytes())) > 1000


def test_loader_does_not_import_django():
    code = (
        "import sys; import policies.aws_managed as m; m.load_catalog(); "
        "sys.exit(1 if any(k == 'django' or k.startswith('django.') for k in sys.modules) else 0)"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)


# ------------------------------------------------------------------- build script

SAMPLE = {
    "ZetaPolicy": {
        "CreateDate": "2019-05-01T10:00:00+00:00",
        "DefaultVersionId": "v3",
        "Document": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["s3:Get*"], "Resource": "*"}],
        },
        "Path": "/service-role/",
        "PermissionsBoundaryUsageCount": 0,
        "UpdateDate": "2021-07-02T11:12:13+00:00",
    },
    "AdministratorAccess": {
        "CreateDate": "2015-02-06T18:39:46+00:00",
        "DefaultVersionId": "v1",
        "Document": {
            "Statement": [{"Action": "*", "Effect": "Allow", "Resource": "*"}],
            "Version": "2012-10-17",
        },
        "Path": "/",
        "PermissionsBoundaryUsageCount": 0,
        "UpdateDate": "2015-02-06T18:39:46+00:00",
    },
}
SAMPLE_SOURCE = {"package": "moto", "version": "0.0.0", "license": "Apache-2.0"}


def test_transform_is_reproducible():
    first = build.transform(SAMPLE, SAMPLE_SOURCE)
    second = build.transform(json.loads(json.dumps(SAMPLE)), dict(SAMPLE_SOURCE))
    reordered = build.transform(dict(reversed(list(SAMPLE.items()))), SAMPLE_SOURCE)
    assert first == second == reordered
    assert first[:2] == b"\x1f\x8b"
    assert first[4:8] == b"\x00\x00\x00\x00"  # gzip mtime=0
    text = gzip.decompress(first).decode()
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))


def test_transform_output_shape():
    payload = json.loads(gzip.decompress(build.transform(SAMPLE, SAMPLE_SOURCE)))
    assert payload["metadata"]["source"] == SAMPLE_SOURCE
    assert payload["metadata"]["policy_count"] == 2
    assert payload["metadata"]["version_count"] == 2
    zeta = payload["policies"][1]
    assert [p["PolicyName"] for p in payload["policies"]] == ["AdministratorAccess", "ZetaPolicy"]
    assert zeta == {
        "PolicyName": "ZetaPolicy",
        "Arn": "arn:aws:iam::aws:policy/service-role/ZetaPolicy",
        "Path": "/service-role/",
        "PolicyId": build.synthetic_policy_id("arn:aws:iam::aws:policy/service-role/ZetaPolicy"),
        "DefaultVersionId": "v3",
        "CreateDate": "2019-05-01T10:00:00Z",
        "UpdateDate": "2021-07-02T11:12:13Z",
        "IsAttachable": True,
        "Versions": [
            {
                "VersionId": "v3",
                "Document": SAMPLE["ZetaPolicy"]["Document"],
                "IsDefaultVersion": True,
                "CreateDate": "2021-07-02T11:12:13Z",
            }
        ],
    }
    assert re.fullmatch(r"ANPA[A-Z2-7]{17}", zeta["PolicyId"])


def test_transform_output_loads_as_catalog():
    catalog = catalog_from_bytes(build.transform(SAMPLE, SAMPLE_SOURCE))
    assert [p.name for p in catalog] == ["AdministratorAccess", "ZetaPolicy"]
    zeta = catalog.get_by_arn("arn:aws:iam::aws:policy/service-role/ZetaPolicy")
    assert zeta.document == SAMPLE["ZetaPolicy"]["Document"]
    assert zeta.get_version("v3") is zeta.default_version
    assert zeta.get_version("v1") is None


def test_parse_moto_source_reads_the_string_without_executing():
    source = (
        "# Imported via `make aws_managed_policies`\n"
        "import os\n"
        "os.system('false')\n"
        'aws_managed_policies_data = """\n' + json.dumps(SAMPLE, indent=1) + '\n"""\n'
    )
    assert build.parse_moto_source(source) == SAMPLE
    with pytest.raises(ValueError):
        build.parse_moto_source("other = 1\n")


def test_render_document_orders_keys_like_aws():
    text = render_document(
        {
            "Statement": {"Resource": "*", "Action": "s3:*", "Effect": "Deny", "Sid": "X"},
            "Version": "2012-10-17",
        }
    )
    assert list(json.loads(text)) == ["Version", "Statement"]
    assert list(json.loads(text)["Statement"]) == ["Sid", "Effect", "Action", "Resource"]
