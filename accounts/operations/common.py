"""ARNs, quotas and lookups shared by the operations.

Everything here sits below the operations modules (users, groups, roles,
credentials, account, ``policies.operations``): they import it, it imports none
of them.

Quotas: "IAM object quotas" (default values):
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entities
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import Substr

from accounts.errors import InvalidInput, LimitExceeded, NoSuchEntity, ValidationError
from accounts.models import Account, Group, IamUser, Role
from accounts.principal import Principal
from accounts.validation import DUPLICATE_POLICY_TAGS, check_path_prefix, check_tags
from audit.trail import record_event
from iamconsole.ops import (
    Page,
    PreparedQuery,
    decode_marker,
    encode_marker,
    from_row,
    model_fields,
    page_size,
    paginate,
    paginate_numbered,
)
from policies.authorization import authorize
from policies.cache import invalidate
from policies.models import ManagedPolicy, PolicyAttachment

__all__ = [
    "ACCESS_KEYS_PER_USER",
    "CUSTOMER_POLICIES_PER_ACCOUNT",
    "GROUPS_PER_ACCOUNT",
    "GROUPS_PER_USER",
    "INLINE_LIMITS",
    "MANAGED_POLICIES_PER_ENTITY",
    "MANAGED_POLICY_LIMIT",
    "MFA_DEVICES_PER_USER",
    "NAME_MAX",
    "ROLES_PER_ACCOUNT",
    "TRUST_POLICY_LIMIT",
    "USERS_PER_ACCOUNT",
    "VERSIONS_PER_POLICY",
    "account_of",
    "acting_user",
    "attached_in_account",
    "attachment_counts",
    "authorize_missing",
    "boundary_policy",
    "change_tags",
    "check_lookup_name",
    "check_new_entity",
    "find_boundary_policy",
    "find_group",
    "find_policy",
    "find_role",
    "find_user",
    "iam_arn",
    "list_in_account",
    "path_startswith",
    "replace_principal",
    "tag_context",
    "tags_out",
    "user_resource",
]

USERS_PER_ACCOUNT = 5000
GROUPS_PER_ACCOUNT = 300
ROLES_PER_ACCOUNT = 1000
CUSTOMER_POLICIES_PER_ACCOUNT = 1500
GROUPS_PER_USER = 10
MANAGED_POLICIES_PER_ENTITY = 10
ACCESS_KEYS_PER_USER = 2
VERSIONS_PER_POLICY = 5
MFA_DEVICES_PER_USER = 8
# Inline policy sizes: the aggregate of all inline policies of one identity,
# whitespace not counted ("IAM and AWS STS character limits").
INLINE_LIMITS = {"user": 2048, "group": 5120, "role": 10240}
MANAGED_POLICY_LIMIT = 6144
TRUST_POLICY_LIMIT = 2048


def iam_arn(account_id: str, kind: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:{kind}{path}{name}"


def account_of(actor: Principal) -> Account:
    return Account.objects.get(pk=actor.account_id)


# The longest names IAM accepts: users and roles 64, groups and policies 128 ("IAM and AWS
# STS quotas", name lengths). A longer name names nothing.
NAME_MAX = {"user": 64, "group": 128, "role": 64, "policy": 128}


def check_lookup_name(kind: str, name: str) -> None:
    """Refuse a name longer than IAM allows before any query: nothing can have it, and
    on SQLite a case-insensitive lookup (LIKE) of over 50,000 bytes fails ("LIKE or GLOB
    pattern too complex"). ValidationError in AWS's shape (the value not quoted), as
    AWS's input validation answers such a name before authorization."""
    if isinstance(name, str) and len(name) > NAME_MAX[kind]:
        raise ValidationError(
            f"1 validation error detected: Value at '{kind}Name' failed to satisfy "
            f"constraint: Member must have length less than or equal to {NAME_MAX[kind]}"
        )


def authorize_missing(
    actor: Principal | None, action: str, arn: str, context: dict[str, object] | None = None
) -> None:
    """Before NoSuchEntity: AWS authorizes on the ARN built from the name before it looks
    the entity up (``arn:aws:iam::ACCOUNT:user/NAME``, no path: the path of what does
    not exist is unknown), so a caller not allowed ``action`` gets AccessDenied for a
    missing name as for an existing one, and cannot probe which names exist (issue 10).
    An allowed caller still gets NoSuchEntity."""
    if actor is not None and action:
        authorize(actor, action, arn, context=context)


def find_user(
    account_id: str,
    name: str,
    *,
    for_update: bool = False,
    actor: Principal | None = None,
    action: str = "",
    context: dict[str, object] | None = None,
) -> IamUser:
    """The user ``name`` of the account; when missing, ``actor`` is first authorized for
    ``action`` on the ARN the name would have (see :func:`authorize_missing`)."""
    check_lookup_name("user", name)
    if for_update:
        user = (
            IamUser.objects.filter(account_id=account_id, name__iexact=name)
            .select_for_update()
            .first()
        )
    else:
        # GetUser's hot path (and every action naming a user): the ORM's query, compiled
        # once per connection.
        rows = _USER_BY_NAME.rows(account_id, name)
        user = from_row(IamUser, rows[0]) if rows else None
    if user is None:
        authorize_missing(actor, action, iam_arn(account_id, "user", "/", name), context)
        raise NoSuchEntity(f"The user with name {name} cannot be found.")
    return user


_USER_BY_NAME = PreparedQuery(
    "user_by_name",
    lambda account_id, name: IamUser.objects.filter(account_id=account_id, name__iexact=name)
    .order_by("pk")
    .values_list(*model_fields(IamUser))[:1],
    ("exact", "iexact"),
)


def find_group(
    account_id: str,
    name: str,
    *,
    actor: Principal | None = None,
    action: str = "",
    context: dict[str, object] | None = None,
) -> Group:
    check_lookup_name("group", name)
    group = Group.objects.filter(account_id=account_id, name__iexact=name).first()
    if group is None:
        authorize_missing(actor, action, iam_arn(account_id, "group", "/", name), context)
        raise NoSuchEntity(f"The group with name {name} cannot be found.")
    return group


def find_role(
    account_id: str,
    name: str,
    *,
    actor: Principal | None = None,
    action: str = "",
    context: dict[str, object] | None = None,
) -> Role:
    check_lookup_name("role", name)
    role = Role.objects.filter(account_id=account_id, name__iexact=name).first()
    if role is None:
        authorize_missing(actor, action, iam_arn(account_id, "role", "/", name), context)
        raise NoSuchEntity(f"The role with name {name} cannot be found.")
    return role


def acting_user(actor: Principal, user_name: str | None, *, action: str = "") -> IamUser | None:
    """The user an action names, or the caller itself when no name is given.

    Returns None when the caller is root and no name is given (root's own keys
    and MFA). Role sessions must name a user.
    """
    if user_name:
        return find_user(actor.account_id, user_name, actor=actor, action=action)
    if actor.kind == "user":
        return find_user(actor.account_id, actor.user_name)
    if actor.kind == "root":
        return None
    raise ValidationError("Must specify userName when calling with non-User credentials")


def user_resource(actor: Principal, user: IamUser | None) -> str:
    return user.arn if user is not None else f"arn:aws:iam::{actor.account_id}:root"


def tags_out(tags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"Key": t["Key"], "Value": t["Value"]} for t in tags]


def path_startswith(queryset: Any, prefix: str) -> Any:
    """Filter by path prefix, case-sensitively and literally on every database.

    (SQLite's LIKE ignores case, and ``%``/``_`` must never act as wildcards.)
    """
    if prefix == "/":
        return queryset
    return queryset.annotate(_path_head=Substr("path", 1, len(prefix))).filter(_path_head=prefix)


def list_in_account(
    actor: Principal,
    model: Any,
    kind: str,
    *,
    path_prefix: str | None,
    marker: str | None,
    max_items: int | None,
    name_contains: str | None = None,
    page_number: int | None = None,
) -> Page:
    """ListUsers / ListGroups / ListRoles: authorized on ``arn:…:KIND/PREFIX``.

    ``PathPrefix`` is matched literally and case-sensitively. ``page_number`` (the
    console's numbered pages, no IAM parameter): that page and the count of matches
    instead of a Marker's continuation.
    """
    prefix = check_path_prefix(path_prefix)
    authorize(
        actor, f"iam:List{kind.capitalize()}s", f"arn:aws:iam::{actor.account_id}:{kind}{prefix}"
    )
    qs = path_startswith(model.objects.filter(account_id=actor.account_id), prefix)
    if name_contains and len(name_contains) > NAME_MAX[kind]:
        qs = qs.none()  # no name is that long (and SQLite's LIKE refuses 50,000 bytes)
    elif name_contains:
        qs = qs.filter(name__icontains=name_contains)
    if page_number is not None:
        return paginate_numbered(qs, key="name", number=page_number, max_items=max_items)
    if prefix == "/" and not name_contains:
        return _whole_account_page(model, actor.account_id, marker, max_items)
    return paginate(qs, key="name", marker=marker, max_items=max_items)


_LIST_PAGES: dict[tuple[Any, int, bool], PreparedQuery] = {}


def _whole_account_page(model: Any, account_id: str, marker: str | None, max_items: int | None):
    """``paginate`` over all of the account's ``model`` rows by name (a full ListUsers,
    ListGroups, ListRoles: bench/api.py's listings), its query compiled once per
    connection, page size and whether a marker continues it."""
    limit = page_size(max_items, 100)
    after = decode_marker(marker)
    key = (model, limit, after is not None)
    prepared = _LIST_PAGES.get(key)
    if prepared is None:

        def build(account: str, *rest: str) -> Any:
            qs = model.objects.filter(account_id=account)
            if rest:
                qs = qs.filter(name__gt=rest[0])
            return qs.order_by("name").values_list(*model_fields(model))[: limit + 1]

        label = f"page_{model._meta.label_lower}_{limit}_{int(after is not None)}"
        lookups = ("exact", "exact") if after is not None else ("exact",)
        prepared = _LIST_PAGES[key] = PreparedQuery(label, build, lookups)
    values = (account_id, after) if after is not None else (account_id,)
    rows = [from_row(model, row) for row in prepared.rows(*values)]
    truncated = len(rows) > limit
    rows = rows[:limit]
    next_marker = encode_marker(rows[-1].name) if truncated and rows else None
    return Page(items=rows, is_truncated=truncated, marker=next_marker)


def tag_context(tags: list[dict[str, str]]) -> dict[str, object]:
    """aws:RequestTag/KEY and aws:TagKeys for a request that carries tags."""
    ctx: dict[str, object] = {f"aws:RequestTag/{t['Key']}": t["Value"] for t in tags}
    if tags:
        ctx["aws:TagKeys"] = [t["Key"] for t in tags]
    return ctx


def change_tags(
    actor: Principal,
    obj: Any,
    *,
    event: str,
    add: list[dict[str, str]] | None = None,
    remove: list[str] | None = None,
    request: dict[str, Any],
) -> None:
    """TagX / UntagX on a user, role or policy: authorize, merge, save, audit.

    Principal tags feed aws:PrincipalTag, so cached decisions are invalidated.
    """
    if add is not None:
        if isinstance(obj, ManagedPolicy):
            merged = check_tags(add, obj.tags, duplicate_message=DUPLICATE_POLICY_TAGS)
        else:
            merged = check_tags(add, obj.tags)
        authorize(actor, f"iam:{event}", obj.arn, context=tag_context(add))
        request = {**request, "TagKeys": [t["Key"] for t in add]}
    else:
        keys = list(remove or [])
        authorize(actor, f"iam:{event}", obj.arn, context={"aws:TagKeys": keys})
        lowered = {k.lower() for k in keys}
        merged = [t for t in obj.tags if t["Key"].lower() not in lowered]
        request = {**request, "TagKeys": keys}
    obj.tags = merged
    obj.save(update_fields=["tags"])
    invalidate(actor.account_id)
    record_event(actor, event, obj.arn, request=request)


_NEW_ENTITY_CHECKS: dict[Any, PreparedQuery] = {}


def check_new_entity(
    actor: Principal, model: Any, name: str, *, exists: Exception, quota: int, quota_name: str
) -> None:
    """Create*: refuse a name already taken in the account (case-insensitively) with
    ``exists`` (EntityAlreadyExists), and the account's quota with LimitExceeded."""
    # One query for both (CreateUser's hot path, bench/api.py): the account's count and
    # whether the name is among them, compiled once per connection and model.
    prepared = _NEW_ENTITY_CHECKS.get(model)
    if prepared is None:
        prepared = _NEW_ENTITY_CHECKS[model] = PreparedQuery(
            f"new_{model._meta.label_lower}",
            lambda account_id, name: model.objects.filter(account_id=account_id)
            .order_by()
            .values("account_id")
            .annotate(total=Count("pk"), taken=Count("pk", filter=Q(name__iexact=name)))
            .values_list("total", "taken"),
            ("exact", "iexact"),
        )
    rows = prepared.rows(actor.account_id, name)
    total, taken = rows[0] if rows else (0, 0)  # grouped by account: no row, no entity
    if taken:
        raise exists
    if total >= quota:
        raise LimitExceeded(f"Cannot exceed quota for {quota_name}: {quota}.")


# Policy attachments within one account: each attachment row carries its entity's
# account, so both questions below read one range of the (account, policy) index, only
# this account's rows, whatever the size of the account or the number of accounts. (A
# join from the account's users to their attachments reads every user of the account;
# filtering on ``user__account_id | …`` reads every account's attachments of an
# AWS-managed policy, attached in every account of a class: bench/console.py,
# bench/scale.py.)


def attached_in_account(account_id: str) -> Q:
    """A ManagedPolicy filter: attached to a user, group or role of the account."""
    return Q(pk__in=PolicyAttachment.objects.filter(account_id=account_id).values("policy_id"))


def attachment_counts(account_id: str, policy_ids: list[int]) -> dict[int, int]:
    """policy pk -> how many of the account's users, groups and roles attach it (policies
    attached nowhere in the account are left out)."""
    if not policy_ids:
        return {}
    rows = (
        PolicyAttachment.objects.filter(account_id=account_id, policy_id__in=policy_ids)
        .values_list("policy_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return dict(rows)


_POLICY_ARN_PREFIX = "arn:aws:iam::"


def find_policy(
    actor: Principal, arn: str, *, action: str = "", context: dict[str, object] | None = None
) -> ManagedPolicy:
    """A customer-managed policy of the caller's account, or an AWS-managed one.

    What is not an ARN at all is a ValidationError, an ARN that is not a policy's an
    InvalidInput, both "ARN … is not valid." (localstack's AWS recordings, test_iam_roles:
    AttachRolePolicy with "longpolicynamebutnoarn", PutRolePermissionsBoundary with
    ``arn:aws:iam::…:not_a_policy/invalid``)."""
    if not isinstance(arn, str) or not arn.startswith("arn:") or arn.count(":") < 5:
        raise ValidationError(f"ARN {arn} is not valid.")
    if not arn.startswith(_POLICY_ARN_PREFIX) or ":policy/" not in arn:
        raise InvalidInput(f"ARN {arn} is not valid.")
    policy = (
        ManagedPolicy.objects.filter(arn=arn)
        .filter(Q(account_id=actor.account_id) | Q(account__isnull=True))
        .first()
    )
    if policy is None:
        authorize_missing(actor, action, arn, context)
        raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
    return policy


def find_boundary_policy(actor: Principal, arn: str) -> ManagedPolicy:
    try:
        return find_policy(actor, arn)
    except NoSuchEntity as exc:
        raise NoSuchEntity(f"Scope ARN: {arn} does not exist or is not attachable.") from exc


def boundary_policy(actor: Principal, arn: str | None) -> ManagedPolicy | None:
    """The managed policy a Create* names as permissions boundary, if any."""
    if not arn:
        return None
    return find_boundary_policy(actor, arn)


def _swap_principal(value: Any, old: str, new: str) -> tuple[Any, bool]:
    """``value`` (a Principal's AWS entry: a string or a list of them) with ``old``
    replaced by ``new``; ARNs compared case-insensitively (names are unique that way, so a
    differently spelled ARN can only have meant this principal: fail closed)."""
    if isinstance(value, str):
        return (new, True) if value.lower() == old.lower() else (value, False)
    if isinstance(value, list):
        swapped = [_swap_principal(v, old, new) for v in value]
        return [v for v, _ in swapped], any(changed for _, changed in swapped)
    return value, False


def replace_principal(old_arn: str, new: str) -> None:
    """Rewrite ``old_arn`` to ``new`` wherever a stored resource-based policy names it as
    principal (``Principal`` / ``NotPrincipal`` ``AWS``), in every account.

    AWS stores the principal's unique id, not its ARN, when a resource-based policy is
    saved; delete the user or role and the policy shows the old unique id, and a user or
    role re-created with the same name does not match it (IAM User Guide, "AWS JSON
    policy elements: Principal", IAM roles / IAM users; wording paraphrased, AWS's
    exact sentence not verified here).
    DeleteUser / DeleteRole call this with the deleted principal's unique id
    (``AIDA…`` / ``AROA…``), so a new user or role of the same name is not trusted and
    GetRole shows the id, as in AWS. The only resource-based policies stored here are
    role trust policies. Other elements (Resource, Condition) are left as written: AWS
    translates only the Principal element.
    """
    changed_accounts: set[str] = set()
    candidates = Role.objects.select_for_update().filter(trust_policy__icontains=old_arn)
    for role in candidates:
        try:
            doc = json.loads(role.trust_policy)
        except ValueError:
            continue
        statements = doc.get("Statement") if isinstance(doc, dict) else None
        if isinstance(statements, dict):
            statements = [statements]
        if not isinstance(statements, list):
            continue
        changed = False
        for st in statements:
            for key in ("Principal", "NotPrincipal"):
                spec = st.get(key) if isinstance(st, dict) else None
                if isinstance(spec, dict) and "AWS" in spec:
                    spec["AWS"], did = _swap_principal(spec["AWS"], old_arn, new)
                    changed = changed or did
        if changed:
            role.trust_policy = json.dumps(doc, indent=4)
            role.save(update_fields=["trust_policy"])
            changed_accounts.add(role.account_id)
    for account_id in changed_accounts:
        invalidate(account_id)
