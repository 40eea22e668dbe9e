"""Tenant isolation through the API: for every IAM action served, a principal of
account A naming account B's users, groups, roles, policies, keys and MFA devices
gets NoSuchEntity / AccessDenied / a validation error, never B's data.

Two probes per action. *B only*: every name and identifier is B's (names that do not
exist in A). *Paired*: names are of entities that exist in both accounts (A's own
"shared" user, group, role, inline policy), identifiers that are global (policy
ARNs, access key ids, MFA serials, user ARNs) are B's: a lookup that forgets the
account filter pairs A's entity with B's and answers 200, or links them. After both,
B's rows are unchanged and no row links an entity of one account to another's."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from botocore.model import ListShape, StringShape, StructureShape

from api.handlers import HANDLERS
from api.protocol import load_service_model
from tests.security.test_api_auth import code_of, send, signed_headers

pytestmark = pytest.mark.django_db

SECRET_TAG = "b-private-tag-value"
CREATES_OWN = {"CreateUser", "CreateGroup", "CreateRole", "CreatePolicy", "CreateVirtualMFADevice"}


SHARED = "shared"  # an entity of this name exists in both accounts
GLOBAL_IDS = {"PolicyArn", "AccessKeyId", "SerialNumber", "RoleArn", "PolicySourceArn"}


def make_shared(actor) -> None:
    """A user, group, role, customer-managed policy and inline policy named "shared"."""
    from accounts.operations.groups import add_user_to_group, create_group
    from accounts.operations.roles import create_role
    from accounts.operations.users import create_user
    from policies import operations as ops
    from tests.conftest import allow_policy

    create_user(actor=actor, name=SHARED)
    create_group(actor=actor, name=SHARED)
    add_user_to_group(actor=actor, group_name=SHARED, user_name=SHARED)
    create_role(actor=actor, name=SHARED, trust_policy=TRUST)
    ops.create_policy(actor=actor, name=SHARED, document=allow_policy("s3:*"))
    ops.put_user_policy(
        actor=actor, user_name=SHARED, policy_name=SHARED, document=allow_policy("sqs:*")
    )


TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def account_rows(account_id: str) -> str:
    """A digest of every row that carries ``account_id`` (the audit trail aside)."""
    import hashlib

    from django.db import connection

    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            if "audit" in table:
                continue
            columns = [
                c.name for c in connection.introspection.get_table_description(cursor, table)
            ]
            if "account_id" not in columns:
                continue
            cursor.execute(f'SELECT * FROM "{table}" WHERE account_id = %s', [account_id])  # noqa: S608
            digest.update(table.encode() + repr(sorted(map(repr, cursor.fetchall()))).encode())
    return digest.hexdigest()


def cross_account_links() -> list[str]:
    """Rows that tie an entity of one account to an entity of another."""
    from accounts.models import AccessKey, GroupMembership, IamUser, Role
    from policies.models import PolicyAttachment

    links = []
    for a in PolicyAttachment.objects.filter(policy__account__isnull=False).select_related(
        "policy", "user", "group", "role"
    ):
        owner = a.user or a.group or a.role
        if owner.account_id != a.policy.account_id:
            links.append(f"attachment {a.policy.arn} -> {owner.arn}")
    for m in GroupMembership.objects.select_related("group", "user"):
        if m.group.account_id != m.user.account_id:
            links.append(f"membership {m.user.arn} in {m.group.arn}")
    for model in (IamUser, Role):
        for e in model.objects.filter(permissions_boundary__account__isnull=False).select_related(
            "permissions_boundary"
        ):
            if e.permissions_boundary.account_id != e.account_id:
                links.append(f"boundary {e.permissions_boundary.arn} on {e.arn}")
    for k in AccessKey.objects.filter(user__isnull=False).select_related("user"):
        if k.user.account_id != k.account_id:
            links.append(f"key {k.access_key_id} of {k.user.arn}")
    return links


@pytest.fixture
def account_b(other_account, outsider):
    """Account B with one of everything, carrying a tag value that must never leak."""
    from accounts.operations.credentials import create_access_key, create_virtual_mfa_device
    from accounts.operations.groups import add_user_to_group, create_group
    from accounts.operations.roles import create_role
    from accounts.operations.users import create_user
    from policies import operations as ops
    from tests.conftest import allow_policy

    tags = [{"Key": "secret", "Value": SECRET_TAG}]
    user = create_user(actor=outsider, name="b-user", tags=tags)
    group = create_group(actor=outsider, name="b-group")
    add_user_to_group(actor=outsider, group_name="b-group", user_name="b-user")
    role = create_role(actor=outsider, name="b-role", trust_policy=TRUST, tags=tags)
    policy = ops.create_policy(
        actor=outsider, name="b-policy", document=allow_policy("s3:*"), tags=tags
    )
    ops.attach_user_policy(actor=outsider, user_name="b-user", policy_arn=policy.arn)
    ops.put_user_policy(
        actor=outsider, user_name="b-user", policy_name="b-inline", document=allow_policy("sqs:*")
    )
    key = create_access_key(actor=outsider, user_name="b-user").key
    mfa = create_virtual_mfa_device(actor=outsider, name="b-mfa").device
    make_shared(outsider)
    secrets = {
        user.unique_id,
        group.unique_id,
        role.unique_id,
        policy.policy_id,
        key.access_key_id,
        SECRET_TAG,
    }
    values = {
        "UserName": "b-user",
        "GroupName": "b-group",
        "RoleName": "b-role",
        "PolicyName": "b-inline",
        "PolicyArn": policy.arn,
        "AccessKeyId": key.access_key_id,
        "SerialNumber": mfa.serial_number,
        "VersionId": "v1",
        "RoleArn": role.arn,
        "PolicySourceArn": user.arn,
        "NewUserName": "b-user2",
    }
    return values, secrets


@pytest.fixture
def a_key(root):
    from accounts.operations.credentials import create_access_key

    new = create_access_key(actor=root)
    return new.key.access_key_id, new.secret


def _params(operation, values) -> dict[str, str] | None:
    """Fill the operation's required members from B's identifiers (or sensible filler)."""
    shape: StructureShape | None = operation.input_shape
    params: dict[str, str] = {}
    if shape is None:
        return params
    for name in shape.required_members:
        member = shape.members[name]
        if name in values:
            params[name] = values[name]
        elif name in ("PolicyDocument", "AssumeRolePolicyDocument"):
            params[name] = json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
                }
            )
        elif name in ("Password", "NewPassword", "OldPassword"):
            params[name] = "Some-password-123"
        elif name in ("AuthenticationCode1", "AuthenticationCode2"):
            params[name] = "123456"
        elif name == "Status":
            params[name] = "Inactive"
        elif isinstance(member, ListShape) and name == "TagKeys":
            params[f"{name}.member.1"] = "secret"
        elif isinstance(member, ListShape) and name == "Tags":
            params[f"{name}.member.1.Key"] = "k"
            params[f"{name}.member.1.Value"] = "v"
        elif isinstance(member, StringShape):
            params[name] = "b-user"
        else:
            return None  # a shape this probe does not fill
    return params


def test_no_api_action_reaches_another_accounts_data(client, root, a_key, account_b, figure):
    values, secrets = account_b
    make_shared(root)  # A's own entities, named as B's "shared" ones
    paired = {
        **{k: v for k, v in values.items() if k in GLOBAL_IDS},
        "UserName": SHARED,
        "GroupName": SHARED,
        "RoleName": SHARED,
        "PolicyName": SHARED,
        "VersionId": "v1",
        "NewUserName": "shared2",
    }
    b_account = values["PolicyArn"].split(":")[4]
    b_before = account_rows(b_account)
    model = load_service_model("iam")
    outcomes: dict[str, int] = {}
    leaks = []
    probed = paired_probes = 0
    links: list[tuple[str, str]] = []
    seen: set[str] = set()
    for action in sorted(HANDLERS["iam"]):
        operation = model.operation_model(action)
        required = set(operation.input_shape.required_members) if operation.input_shape else set()
        if not required & set(values) or action in CREATES_OWN:
            # Acts on the caller's own account only: ListUsers names nothing of B, and
            # CreateGroup "b-group" makes A's own group from a bare name.
            continue
        probes = [values]
        # Paired: A's entity by name with B's by global identifier (a 200 with names
        # alone is A acting on its own entity, not a probe).
        if required & GLOBAL_IDS:
            probes.append(paired)
        for probe in probes:
            params = _params(operation, probe)
            if params is None:
                continue
            probed += 1
            paired_probes += probe is paired
            body = urlencode({"Action": action, "Version": "2010-05-08", **params})
            response = send(client, signed_headers(a_key, body=body), body)
            text = response.content.decode()
            code = code_of(response) or f"HTTP {response.status_code}"
            outcomes[code] = outcomes.get(code, 0) + 1
            # (an identifier the request itself carried may be echoed back in the error)
            if any(s in text and s not in body for s in secrets) or response.status_code == 200:
                leaks.append((action, params, response.status_code, text[:300]))
            # (a later probe may undo a link: look after each)
            links += [(action, link) for link in cross_account_links() if link not in seen]
            seen.update(link for _, link in links)
    b_changed = account_rows(b_account) != b_before
    figure(
        f"{probed} probes ({paired_probes} pairing A's entities with B's identifiers): "
        + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        + f"; {len(leaks)} leaks, {len(links)} cross-account links, B changed: {b_changed}"
    )
    assert not leaks, leaks
    assert not links and not b_changed, links
    assert probed > 40 and paired_probes > 15
