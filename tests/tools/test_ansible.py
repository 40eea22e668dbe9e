"""Ansible's amazon.aws collection, unmodified, against the live server.

``ansible-playbook`` from the venv runs ``ansible/create.yml`` (a managed policy, a
user in a group with it and an access key, an EC2 role with the policy and its default
instance profile, an extra instance profile holding the role), runs it again (no task
may report a change), then ``ansible/delete.yml`` (everything goes, the account is
empty again) and that once more (no change either).

Nothing leaves this machine: the modules talk only to ``endpoint_url`` (the live
server), and every other HTTP(S) request would go through a proxy on a closed loopback
port and fail. The collection is the one the ``ansible`` package bundles
(``ANSIBLE_COLLECTIONS_PATH`` unset, ``ANSIBLE_HOME`` in the test's temp dir).

Without ansible in the venv the test is skipped, except under CI (``CI`` set), where a
missing ansible is a failure (requirements-dev.txt installs it).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# acct, api, boto_session: the live-server fixtures, shared with tests/api.
from tests.api.conftest import ACCOUNT_A, Api, Creds, acct, api, boto_session  # noqa: F401

HERE = Path(__file__).resolve().parent / "ansible"
PLAYBOOK_BIN = Path(sys.executable).parent / "ansible-playbook"
# A proxy nobody listens on: any request that is not for the live server fails at once.
NOWHERE = "http://127.0.0.1:9"


def _ansible_missing() -> str | None:
    if not PLAYBOOK_BIN.exists():
        return f"{PLAYBOOK_BIN} not found: the Ansible test needs ansible (requirements-dev.txt)"
    if importlib.util.find_spec("ansible_collections.amazon.aws") is None:
        return "the amazon.aws collection is missing: install the ansible package (requirements-dev.txt)"
    return None


MISSING = _ansible_missing()
pytestmark = pytest.mark.skipif(
    MISSING is not None and not os.environ.get("CI"), reason=MISSING or ""
)


@dataclass
class PlaybookRun:
    returncode: int
    tasks: list[tuple[str, dict[str, Any]]]  # (task name, localhost's result)
    stats: dict[str, int]
    stderr: str

    def changed(self) -> dict[str, bool]:
        return {name: bool(result.get("changed")) for name, result in self.tasks}

    def result(self, name: str) -> dict[str, Any]:
        return next(result for task, result in self.tasks if task == name)

    def failures(self) -> str:
        failed = [
            {
                "task": name,
                **{k: result.get(k) for k in ("msg", "error", "boto3_version", "results")},
            }
            for name, result in self.tasks
            if result.get("failed") or result.get("unreachable")
        ]
        return json.dumps(failed, indent=2, default=str) + "\n" + self.stderr[-3000:]


def _run_playbook(playbook: str, *, url: str, creds: Creds, tmp_path: Path) -> PlaybookRun:
    home = tmp_path / "ansible-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_"))} | {
        "ANSIBLE_CONFIG": str(HERE / "ansible.cfg"),
        "ANSIBLE_HOME": str(home),
        "ANSIBLE_LOCAL_TEMP": str(home / "tmp"),
        "ANSIBLE_REMOTE_TEMP": str(home / "remote-tmp"),
        # The venv's python runs the modules, so they find boto3.
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_NOCOLOR": "1",
        "AWS_ACCESS_KEY_ID": creds.access_key_id,
        "AWS_SECRET_ACCESS_KEY": creds.secret_access_key,
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "HTTP_PROXY": NOWHERE,
        "HTTPS_PROXY": NOWHERE,
        "http_proxy": NOWHERE,
        "https_proxy": NOWHERE,
        "NO_PROXY": "localhost,127.0.0.1",
        "no_proxy": "localhost,127.0.0.1",
    }
    proc = subprocess.run(
        [str(PLAYBOOK_BIN), str(HERE / playbook), "-e", f"iam_endpoint={url}"],
        cwd=HERE,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # a hang guard, not a performance figure
    )
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise AssertionError(
            f"ansible-playbook {playbook} gave no JSON report (exit {proc.returncode}):\n"
            f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        ) from None
    tasks = [
        (task["task"]["name"], task["hosts"].get("localhost", {}))
        for play in report["plays"]
        for task in play["tasks"]
    ]
    return PlaybookRun(proc.returncode, tasks, report["stats"]["localhost"], proc.stderr)


def _inventory(iam: Any) -> dict[str, list[str]]:
    """The account's customer-made entities, by kind."""
    return {
        "users": [u["UserName"] for u in iam.list_users()["Users"]],
        "groups": [g["GroupName"] for g in iam.list_groups()["Groups"]],
        "roles": [r["RoleName"] for r in iam.list_roles()["Roles"]],
        "policies": [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]],
        "instance_profiles": [
            p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]
        ],
    }


def _last_event() -> int:
    from audit.models import AuditEvent

    last = AuditEvent.objects.order_by("-pk").first()
    return last.pk if last else 0


def _writes_since(event: int) -> list[str]:
    """Actions the server carried out after ``event``: the trail records every write
    (and every error, such as the NoSuchEntity of a Get that probes for a resource; and
    every successful read, marked read-only, which changed nothing)."""
    from audit.models import AuditEvent

    done = AuditEvent.objects.filter(pk__gt=event, error_code="", read_only=False).order_by("pk")
    return list(done.values_list("event_name", flat=True))


def _document(name: str) -> dict[str, Any]:
    return json.loads((HERE / "files" / name).read_text())


def _tags(tags: list[dict[str, str]]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags}


def _assert_created(iam: Any, clients: Api, key_id: str, secret: str) -> None:
    policy_arn = f"arn:aws:iam::{ACCOUNT_A}:policy/ansible-deploy"
    policy = iam.get_policy(PolicyArn=policy_arn)["Policy"]
    assert policy["Description"] == "Read IAM identities"
    assert _tags(policy["Tags"]) == {"team": "platform"}
    version = iam.get_policy_version(PolicyArn=policy_arn, VersionId=policy["DefaultVersionId"])
    assert version["PolicyVersion"]["Document"] == _document("deploy-policy.json")

    user = iam.get_user(UserName="ansible-deployer")["User"]
    assert user["Path"] == "/ansible/" and _tags(user["Tags"]) == {"team": "platform"}
    group = iam.get_group(GroupName="ansible-deployers")
    assert [u["UserName"] for u in group["Users"]] == ["ansible-deployer"]
    attached = iam.list_attached_group_policies(GroupName="ansible-deployers")
    assert [p["PolicyArn"] for p in attached["AttachedPolicies"]] == [policy_arn]

    keys = iam.list_access_keys(UserName="ansible-deployer")["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in keys] == [(key_id, "Active")]
    # The key Ansible made works, and the group's managed policy lets it read its user.
    own = clients.iam(Creds(key_id, secret)).get_user()["User"]
    assert own["Arn"] == f"arn:aws:iam::{ACCOUNT_A}:user/ansible/ansible-deployer"

    role = iam.get_role(RoleName="ansible-web")["Role"]
    assert role["AssumeRolePolicyDocument"] == _document("ec2-trust.json")
    assert role["Description"] == "Web servers" and role["MaxSessionDuration"] == 7200
    assert _tags(role["Tags"]) == {"tier": "web"}
    attached = iam.list_attached_role_policies(RoleName="ansible-web")
    assert [p["PolicyArn"] for p in attached["AttachedPolicies"]] == [policy_arn]
    profiles = iam.list_instance_profiles_for_role(RoleName="ansible-web")["InstanceProfiles"]
    assert sorted(p["InstanceProfileName"] for p in profiles) == [
        "ansible-web",
        "ansible-web-extra",
    ]
    extra = iam.get_instance_profile(InstanceProfileName="ansible-web-extra")["InstanceProfile"]
    assert extra["Path"] == "/ansible/" and _tags(extra["Tags"]) == {"tier": "web"}
    assert [r["RoleName"] for r in extra["Roles"]] == ["ansible-web"]


def test_ansible_creates_keeps_and_deletes_iam_resources(
    live_server,
    api,  # noqa: F811 (the fixture imported above)
    acct,  # noqa: F811
    tmp_path,
):
    if MISSING:  # only under CI: elsewhere the test is skipped
        pytest.fail(MISSING)
    iam = api.iam(acct.root_creds)
    empty = _inventory(iam)
    assert empty == {k: [] for k in empty}

    def run(playbook: str) -> PlaybookRun:
        return _run_playbook(
            playbook, url=live_server.url, creds=acct.root_creds, tmp_path=tmp_path
        )

    # 1. Create: every task but the read-only one changes something.
    created = run("create.yml")
    assert created.returncode == 0 and created.stats["failures"] == 0, created.failures()
    assert created.changed() == {
        "Managed policy": True,
        "User": True,
        "Group with the managed policy (by name) and the user": True,
        "Access keys of the user": False,
        "Access key": True,
        "Role for EC2 with the managed policy": True,
        "Extra instance profile holding the role": True,
    }
    key = created.result("Access key")
    _assert_created(iam, api, key["access_key_id"], key["secret_access_key"])

    # 2. The same playbook again: nothing to do, and the server agrees nothing was done.
    before = _last_event()
    again = run("create.yml")
    assert again.returncode == 0 and again.stats["failures"] == 0, again.failures()
    assert again.stats["changed"] == 0, again.changed()
    assert not any(again.changed().values()), again.changed()
    assert again.result("Access key")["access_key"]["access_key_id"] == key["access_key_id"]
    assert _writes_since(before) == []

    # 3. Delete everything: the account is as empty as it started.
    deleted = run("delete.yml")
    assert deleted.returncode == 0 and deleted.stats["failures"] == 0, deleted.failures()
    assert deleted.changed() == {
        "Access keys of the user": False,
        "Access key": True,
        "User": True,
        "Group": True,
        "Extra instance profile": True,
        "Role with its instance profile": True,
        "Managed policy": True,
    }
    assert _inventory(iam) == empty

    # ... and deleting again finds nothing to delete.
    before = _last_event()
    gone = run("delete.yml")
    assert gone.returncode == 0 and gone.stats["failures"] == 0, gone.failures()
    assert gone.stats["changed"] == 0 and not any(gone.changed().values()), gone.changed()
    assert _writes_since(before) == []
