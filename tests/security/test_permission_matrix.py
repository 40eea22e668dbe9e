"""Enforcement across the whole console.

An IAM user with no permissions opens every console URL: each refuses (403) or
sends them elsewhere (redirect), and every POST changes nothing. A user with
IAMReadOnlyAccess can open the pages, but every write is refused and changes
nothing.

The positive control: for every URL, the request the refused user sends is one that
root's session really changes data with (found among a few candidate forms, each
tried as root and rolled back). The figure counts the refused user's changes over
the URLs root really writes through ("root changed N/N, refused user changed 0/N")
and names how many URLs still lack such a control (their POSTs are still checked to
change nothing, as before; the figure does not claim them).

The sweep runs as one test case per group of URLs (``GROUPS``: every URL of the matrix
in exactly one group, each group with its own fresh ``world``) so that pytest-xdist
spreads it over its workers; each group's positive control must work too.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tests.security.test_console_auth import _db_fingerprint, all_patterns, fill

pytestmark = pytest.mark.django_db

# Public or self-service URLs every signed-in identity may open, with the reason.
SELF_SERVICE = {
    "accounts:signup": "public sign-up form",
    "accounts:signup-sent": "public sign-up step (the same page for every email)",
    "accounts:signup-confirm": "public sign-up step (the emailed link and its password)",
    "accounts:signin": "public sign-in form",
    "accounts:signin-password": "public sign-in step",
    "accounts:signin-mfa": "public sign-in step",
    "accounts:signin-mfa-enroll": "root's own MFA enrollment step",
    "accounts:signout": "anyone may sign out",
    "accounts:user-signin": "public IAM-user sign-in form",
    "accounts:user-signin-mfa": "the user's own sign-in step",
    "accounts:user-signin-change-password": "the user's own password (AWS lets users change it at sign-in)",
    "accounts:switch-role": "AWS shows Switch role to every IAM user; AssumeRole decides",
    "accounts:switch-role-back": "returns to the user's own identity",
    "accounts:signin-forgot-password": "public: root's Forgot password? (one answer for every email)",
    "accounts:signin-forgot-password-sent": "public: the same page for every email",
    "accounts:signin-reset-password": "public: the emailed reset link (the token decides)",
    "accounts:search": "top bar search: each kind is its list operation, authorized on its own",
    "accounts:list-preferences": "the identity's own list columns and page size (no IAM data)",
    "iamconsole:dashboard": "the console home; each widget is authorized on its own",
    "labs:instructor-signin": "public instructor sign-in form (instructors are no IAM identity)",
    # The built-in test identity provider's page (accounts/pages/testidp.py): any signed-in
    # identity of the account mints from the account's own test issuers; a token grants
    # nothing by itself (the role's trust policy decides). Registering one as a provider
    # (accounts:testidp-register) is an operation and stays in the matrix.
    "accounts:testidp": "lab tool: the account's test issuers and their forms",
    "accounts:testidp-issuer-create": "lab tool: makes a test issuer's keys (no IAM data)",
    "accounts:testidp-mint-token": "lab tool: mints a token; the trust policy decides",
    "accounts:testidp-mint-saml": "lab tool: mints a SAML response; the trust policy decides",
    "accounts:testidp-try": "AssumeRoleWithWebIdentity is unsigned in AWS: the token decides",
    "accounts:testidp-try-saml": "AssumeRoleWithSAML is unsigned in AWS: the assertion decides",
}
# Endpoints that only check a document the caller typed (no data read or written).
DOCUMENT_CHECKS = {
    "policies:policy-validate",
    "accounts:user-inline-validate",
    "accounts:group-inline-validate",
    "accounts:role-trust-validate",
    "accounts:role-inline-validate",
    "accounts:role-trust-preview",
    "policies:simulator-actions",  # the public AWS action catalog, no account data
    "policies:catalog-services",  # the visual editor's catalog: AWS's, no account data
    "policies:catalog-service",
}
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
# POSTs that change no data by design, with the reason (still POSTed: nothing may change).
READ_ONLY = {
    "accounts:user-password-csv": "downloads the password .csv shown once; writes nothing",
    "accounts:user-access-key-csv": "downloads the new key's .csv shown once; writes nothing",
    "policies:simulator": "runs the policy simulator over the account; writes nothing",
}
# Writes IAMReadOnlyAccess itself allows (its document grants iam:GenerateCredentialReport
# and iam:GenerateServiceLastAccessedDetails beside Get*/List*): the read-only user may
# make them; the user without permissions is still refused.
READ_ONLY_USER_MAY = {
    "iamconsole:credential-report": "generates the credential report (iam:GenerateCredentialReport)",
}
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
# The exact fields a URL needs beyond the shared form (tried first, over the shared form).
FIELDS = {
    "accounts:user-console-access": {"action": "enable", "password_mode": "custom"},
    "accounts:user-assign-mfa": {"device_name": "matrix-device"},
    "accounts:user-remove-from-group": {"group": "developers"},
    "accounts:user-boundary": {"boundary": ADMIN},
    "accounts:role-boundary": {"boundary": ADMIN},
    "accounts:user-tags": {"tag-key-0": "k", "tag-value-0": "v"},
    "accounts:role-tags": {"tag-key-0": "k", "tag-value-0": "v"},
    "accounts:role-trust-edit": {"document": "TRUST2"},  # not the role's current trust
    "accounts:role-revoke-sessions": {"confirm": "on"},
    "accounts:account-alias-delete": {"alias": "matrix-alias-old"},
    "accounts:user-access-key-delete": {"confirm": "ACCESS_KEY_ID"},
    "accounts:user-remove-mfa": {"serial_number": "TARGET_MFA"},
    # Root's own MFA devices (accounts/pages/root_credentials.py). Removal takes root's
    # spare device: removing the session's own device would end the MFA step of root's
    # session (by design), and the rolled-back POST would leave root's client signed out.
    "accounts:root-assign-mfa": {"device_name": "matrix-root-device"},
    "accounts:root-confirm-mfa": {"code1": "CODE_NOW", "code2": "CODE_NEXT"},
    "accounts:root-remove-mfa": {"serial_number": "ROOT_SPARE_MFA", "confirm": "on"},
    # Two consecutive codes of the device, computed when the request is sent.
    "accounts:user-confirm-mfa": {"code1": "CODE_NOW", "code2": "CODE_NEXT"},
    "accounts:account-root-mfa-resync": {
        "serial_number": "ROOT_MFA",
        "code1": "CODE_NOW",
        "code2": "CODE_NEXT",
    },
    # The wizards' last step (the users wizard keeps the earlier steps in the session).
    "accounts:user-create": {"step": "review"},
    "accounts:role-create": {
        "step": "review",
        "go": "create",
        "entity_type": "service",
        "service": "ec2",
        "max_session_duration": "3600",
    },
}
# Which MFA device a URL's codes are for (its seed gives them).
CODES_FOR = {
    "accounts:user-confirm-mfa": "PENDING_MFA",
    "accounts:account-root-mfa-resync": "ROOT_MFA",
    "accounts:root-confirm-mfa": "PENDING_MFA",
}
POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


@pytest.fixture
def world(root, account, group, totp_device):
    from accounts.operations.credentials import (
        create_access_key,
        create_login_profile,
        create_virtual_mfa_device,
    )
    from accounts.operations.roles import create_role
    from accounts.operations.users import create_user
    from policies.operations import create_policy
    from tests.conftest import virtual_mfa_device

    target = create_user(actor=root, name="target")
    key = create_access_key(actor=root, user_name="target").key
    create_role(actor=root, name="app", trust_policy=TRUST)
    policy = create_policy(actor=root, name="Mine", document=POLICY)
    # Its own policy for the delete URL: "Mine" keeps v2 for the version-delete URL.
    spare = create_policy(actor=root, name="Spare", document=POLICY)
    for name in ("nobody", "reader"):
        create_user(actor=root, name=name)
        create_login_profile(actor=root, user_name=name, password="Long-password-123")
    from policies.operations import attach_user_policy

    attach_user_policy(
        actor=root, user_name="reader", policy_arn="arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    )
    # Something for every detach, delete and remove to remove (the positive control).
    from accounts.operations.account import create_account_alias, update_account_password_policy
    from accounts.operations.groups import add_user_to_group
    from policies import operations as ops

    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    attach_user_policy(actor=root, user_name="target", policy_arn=admin)
    ops.attach_group_policy(actor=root, group_name=group.name, policy_arn=admin)
    ops.attach_role_policy(actor=root, role_name="app", policy_arn=admin)
    ops.put_user_policy(actor=root, user_name="target", policy_name="x", document=POLICY)
    ops.put_group_policy(actor=root, group_name=group.name, policy_name="x", document=POLICY)
    ops.put_role_policy(actor=root, role_name="app", policy_name="x", document=POLICY)
    add_user_to_group(actor=root, group_name=group.name, user_name="target")
    ops.create_policy_version(actor=root, arn=policy.arn, document=POLICY)  # v2, not default
    create_account_alias(actor=root, alias="matrix-alias-old")
    from accounts.models import IamUser

    target = IamUser.objects.get(name="target", account_id=account.id)
    target_mfa = virtual_mfa_device(target.console, iam_user=target, name="target")
    pending = create_virtual_mfa_device(actor=root, name="matrix-pending").device
    root_spare = virtual_mfa_device(totp_device.user, name="matrix-root-spare", seed=b"s" * 20)
    update_account_password_policy(actor=root, minimum_password_length=10)
    values = {
        "user_name": "target",
        "group_name": group.name,
        "role_name": "app",
        "policy_id": policy.policy_id,
        "access_key_id": key.access_key_id,
        "version_id": "v2",
        "account": account.id,
        "tab": "permissions",
        "spare_policy_id": spare.policy_id,
        "TARGET_MFA": target_mfa.serial_number,
        "ROOT_MFA": totp_device.serial_number,
        "PENDING_MFA": pending.serial_number,
        "ROOT_SPARE_MFA": root_spare.serial_number,
    }
    body = {
        "name": "created-by-matrix",
        "user_name": "target",
        "group_name": group.name,
        "role_name": "app",
        "confirm": "target",
        "alias": "matrix-alias",
        "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess",
        "policy_arns": "arn:aws:iam::aws:policy/AdministratorAccess",
        "policy_name": "x",
        "document": POLICY,
        "policy_document": POLICY,
        "key": "k",
        "value": "v",
        "tags": "k=v",
        "status": "Inactive",
        "minimum_password_length": "12",
        "description": "d",
        "max_session_duration": "7200",
        "password": "Long-password-123",
        "users": "target",
        "groups": group.name,
        "trust_policy": TRUST,
        "version_id": "v2",
        "set_as_default": "on",
        "policies": "arn:aws:iam::aws:policy/AdministratorAccess",
        "user": "target",
    }
    return values, body


def _urls(values):
    for name, _route, args in all_patterns():
        own = values
        if name == "policies:policy-delete":
            own = dict(values, policy_id=values["spare_policy_id"])
        yield name, reverse(name, kwargs=fill(args, own))


def _reauth(values, *clients) -> None:
    """A fresh MFA re-authentication in each session (the same key for every client, so
    the refused user's request stays identical to root's), with the MFA assignment and
    the users wizard's earlier steps under way."""
    import time

    from accounts.pages.root_credentials import PENDING_ROOT_MFA_SESSION
    from accounts.pages.users_credentials import PENDING_MFA_SESSION, REAUTH_SESSION
    from accounts.pages.users_wizard import WIZARD_SESSION

    for client in clients:
        session = client.session
        session[REAUTH_SESSION] = time.time()
        session[PENDING_MFA_SESSION] = {"user": "target", "serial": values["PENDING_MFA"]}
        session[PENDING_ROOT_MFA_SESSION] = values["PENDING_MFA"]
        session[WIZARD_SESSION] = {"name": "created-by-matrix"}
        session.save()


def _codes(values, name: str) -> dict[str, str]:
    """The device's codes at the current and the next time step."""
    from accounts import totp
    from accounts.models import MfaDevice

    if name not in CODES_FOR:
        return {}
    seed = MfaDevice.objects.get(serial_number=values[CODES_FOR[name]]).seed()
    step = totp.current_step()
    return {"CODE_NOW": totp.code_at(seed, step), "CODE_NEXT": totp.code_at(seed, step + 1)}


def _candidates(
    body: dict[str, str], values: dict[str, str], name: str = ""
) -> list[dict[str, str]]:
    """The URL's own fields (if any), the shared form, then the same with each entity's
    name as the confirmation."""
    swap = {
        "TRUST2": TRUST.replace("ec2", "lambda"),
        "ACCESS_KEY_ID": values["access_key_id"],
        "TARGET_MFA": values["TARGET_MFA"],
        "ROOT_MFA": values["ROOT_MFA"],
        "ROOT_SPARE_MFA": values["ROOT_SPARE_MFA"],
        **_codes(values, name),
    }
    own = {k: swap.get(v, v) for k, v in FIELDS.get(name, {}).items()}
    if name == "accounts:user-remove-from-group":
        own["group"] = values["group_name"]
    names = [
        values["user_name"],
        values["group_name"],
        values["role_name"],
        "Mine",
        "Spare",
        "permanently delete",
    ]
    other = "arn:aws:iam::aws:policy/ReadOnlyAccess"  # not attached yet: attach writes
    return (
        ([dict(body, **own)] if own else [])
        + [body]
        + [dict(body, confirm=n) for n in names[1:]]
        + [dict(body, policies=other, policy_arn=other, policy_arns=other)]
    )


def _changes(client, url: str, data: dict[str, str], before: str) -> tuple[bool, int]:
    """Does ``client``'s POST change data? Measured against ``before`` (the state every
    POST starts from: each one is rolled back), then rolled back."""
    from django.db import transaction

    from policies import cache

    sid = transaction.savepoint()
    try:
        status = client.post(url, data).status_code
        return _db_fingerprint() != before, status
    finally:
        transaction.savepoint_rollback(sid)
        cache.clear()  # nothing of the rolled-back write may linger in the policy cache


def _controlled(refused, root_client, values, body, names):
    """Per URL of ``names``: (url, status for the refused client, it changed data, root
    changed data, root's status). The refused client goes first on the same state root
    then sees."""
    rows = []
    before = _db_fingerprint()
    for name, url in _urls(values):
        if name not in names:
            continue
        for data in _candidates(body, values, name):
            changed, status = _changes(refused, url, data, before)
            root_changed, root_status = _changes(root_client, url, data, before)
            if root_changed or changed or root_status == 405:
                break
        rows.append((name, url, status, changed, root_changed, root_status))
    # Every POST was rolled back: the reference state must still be the state.
    assert _db_fingerprint() == before
    return rows


def _verdict(rows):
    writes = [r for r in rows if r[4]]
    no_write = [
        r[0]
        for r in rows
        if not r[4] and r[5] != 405 and r[0] not in DOCUMENT_CHECKS | READ_ONLY.keys()
    ]
    changed = [r[1] for r in rows if r[3]]
    return writes, no_write, changed


# One test case per group of URLs, so that pytest-xdist spreads the sweep over its
# workers; together the groups are every named console URL but the self-service ones
# (a URL added to iamconsole/urls.py joins a group by itself). Round-robin, so that each
# group mixes URLs of every part of the console (neighbours in urls.py share a view
# module, and some modules, the instructor's pages, have no positive control).
GROUP_COUNT = 12
MATRIX = [name for name, _route, _args in all_patterns() if name not in SELF_SERVICE]
GROUPS = [MATRIX[i::GROUP_COUNT] for i in range(GROUP_COUNT)]
GROUP_IDS = [f"group-{i:02d}" for i in range(GROUP_COUNT)]
# The positive control must work in every group, as it did for the whole sweep (which
# asserted at least 20 URLs really written through by root): at least 2 per group.
CONTROLS_PER_GROUP = 2


def _assert_controlled(writes, rows):
    assert len(writes) >= CONTROLS_PER_GROUP, [r[0] for r in rows]


def test_the_groups_cover_every_console_url():
    """The parametrization is every named URL: none dropped, none twice."""
    names = [name for name, _route, _args in all_patterns()]
    grouped = [name for group in GROUPS for name in group]
    assert sorted(grouped + [n for n in names if n in SELF_SERVICE]) == sorted(names)
    assert len(set(grouped)) == len(grouped) and len(grouped) >= 100


@pytest.mark.parametrize("names", GROUPS, ids=GROUP_IDS)
def test_a_user_without_permissions_is_refused_everywhere(
    names, user_console, console, world, figure
):
    from accounts.models import IamUser

    values, body = world
    client = user_console(IamUser.objects.get(name="nobody"))
    opened = []
    statuses: dict[int, int] = {}
    for name, url in _urls(values):
        if name not in names:
            continue
        response = client.get(url)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if response.status_code == 200 and name not in DOCUMENT_CHECKS:
            opened.append(url)
    _reauth(values, client, console)
    rows = _controlled(client, console, values, body, names)
    writes, no_write, changed = _verdict(rows)
    figure(
        f"GET statuses {dict(sorted(statuses.items()))}; {len(opened)} pages opened; "
        f"POSTs: root changed {len(writes)}/{len(writes)}, refused user changed "
        f"{sum(r[3] for r in writes)}/{len(writes)}; {len(changed)} changed of all "
        f"{len(rows)} POSTed; no positive control yet for {len(no_write)}: {no_write}"
    )
    assert len(rows) == len(names)  # every URL of the group was checked
    assert not opened, "\n".join(opened)
    assert not changed, changed
    _assert_controlled(writes, rows)  # the control itself works


def test_a_read_only_user_can_browse(user_console, world, figure):
    """The read-only user opens the pages (GETs of every URL of the matrix)."""
    from accounts.models import IamUser

    values, _body = world
    client = user_console(IamUser.objects.get(name="reader"))
    pages = sum(client.get(url).status_code == 200 for name, url in _urls(values) if name in MATRIX)
    figure(f"{pages} pages open to IAMReadOnlyAccess")
    assert pages >= 10


@pytest.mark.parametrize("names", GROUPS, ids=GROUP_IDS)
def test_a_read_only_user_can_browse_but_every_write_is_refused(
    names, user_console, console, world, figure
):
    from accounts.models import IamUser

    values, body = world
    client = user_console(IamUser.objects.get(name="reader"))
    pages = sum(client.get(url).status_code == 200 for name, url in _urls(values) if name in names)
    _reauth(values, client, console)
    rows = _controlled(client, console, values, body, names)
    writes, no_write, changed = _verdict(rows)
    refused = sum(r[2] == 403 for r in writes)
    figure(
        f"{pages} pages open to IAMReadOnlyAccess; POSTs: root changed {len(writes)}/"
        f"{len(writes)}, read-only user changed {sum(r[3] for r in writes)}/{len(writes)} "
        f"({refused} refused 403); {len(changed)} changed of all {len(rows)} POSTed; "
        f"no positive control yet for {len(no_write)} URLs"
    )
    assert len(rows) == len(names)  # every URL of the group was checked
    allowed = {r[1] for r in rows if r[0] in READ_ONLY_USER_MAY}
    assert not [url for url in changed if url not in allowed], changed
    _assert_controlled(writes, rows)  # the control itself works
