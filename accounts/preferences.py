"""The lists' Preferences store: per console identity (root or IAM user), which
optional columns a list shows and its page size (``ListPreference``).

No IAM data and no IAM action: AWS keeps these in the browser, so neither
authorization nor the audit trail applies, and these are no ``@operation``. Each
identity reads and writes only its own (the caller passes ``request.user.pk``).

Column labels are the lists' own headings. AWS's Preferences lists more columns than
these (for users, "Access key ID", for example): only columns a page can fill are
offered. AWS's wording of the dialog itself is not established here: "Page size",
"Select visible columns", "Confirm" and "Cancel" are this project's labels.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from accounts.models import ListPreference

PREFERENCE_PAGE_SIZES = (10, 25, 50)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    default: bool = True  # shown until the user chooses otherwise


@dataclass(frozen=True)
class ListSpec:
    url_name: str  # the list's page, where the form comes back to
    default_size: int
    columns: tuple[Column, ...]  # the optional ones (the name column always shows)


LISTS: dict[str, ListSpec] = {
    "users": ListSpec(
        "accounts:user-list",
        25,
        (
            Column("path", "Path", default=False),
            Column("groups", "Groups"),
            Column("last_activity", "Last activity"),
            Column("mfa", "MFA"),
            Column("password_age", "Password age"),
            Column("console_last_signin", "Console last sign-in", default=False),
            Column("key_age", "Active access key age"),
            Column("arn", "ARN", default=False),
            Column("created", "Creation time", default=False),
        ),
    ),
    "groups": ListSpec(
        "accounts:group-list",
        50,
        (
            Column("path", "Path", default=False),
            Column("users", "Users"),
            Column("permissions", "Permissions"),
            Column("arn", "ARN", default=False),
            Column("created", "Creation time"),
        ),
    ),
    "roles": ListSpec(
        "accounts:role-list",
        50,
        (
            Column("path", "Path", default=False),
            Column("trusted", "Trusted entities"),
            Column("last_activity", "Last activity"),
            Column("arn", "ARN", default=False),
            Column("created", "Creation time"),
        ),
    ),
    "policies": ListSpec(
        "policies:policy-list",
        50,
        (
            Column("type", "Type"),
            Column("used_as", "Used as"),
            Column("path", "Path", default=False),
            Column("description", "Description"),
            Column("created", "Creation time", default=False),
        ),
    ),
}


@dataclass(frozen=True)
class Preferences:
    """One list's preferences as a page uses them: ``columns`` (keys shown; a template
    asks ``{% if "mfa" in prefs.columns %}``), ``size`` (None: the list's default)."""

    list_name: str
    spec: ListSpec
    columns: frozenset[str]
    size: int | None

    @property
    def colspan(self) -> int:
        """Columns of a row: the selection box, the name and the optional ones shown."""
        return 2 + len(self.columns)

    @property
    def choices(self) -> list[tuple[Column, bool]]:
        return [(c, c.key in self.columns) for c in self.spec.columns]

    @property
    def sizes(self) -> list[tuple[int, bool]]:
        current = self.size or self.spec.default_size
        return [(n, n == current) for n in PREFERENCE_PAGE_SIZES]


def load_preferences(user_id: int, list_name: str) -> Preferences:
    """``user_id``'s preferences for ``list_name`` (one query), or the list's defaults.
    Saved keys a list no longer offers, and a size no longer offered, are ignored."""
    spec = LISTS[list_name]
    saved = ListPreference.objects.filter(user_id=user_id, list_name=list_name).first()
    if saved is None:
        return Preferences(
            list_name, spec, frozenset(c.key for c in spec.columns if c.default), None
        )
    offered = {c.key for c in spec.columns}
    columns = frozenset(k for k in saved.columns if isinstance(k, str) and k in offered)
    size = saved.page_size if saved.page_size in PREFERENCE_PAGE_SIZES else None
    return Preferences(list_name, spec, columns, size)


def save_preferences(
    user_id: int, list_name: str, *, columns: Iterable[str], page_size: int
) -> None:
    """Replace ``user_id``'s preferences for ``list_name``: the offered ``columns``
    among those given (in the list's order), and ``page_size`` (one of the offered)."""
    spec = LISTS[list_name]
    if page_size not in PREFERENCE_PAGE_SIZES:
        raise ValueError(f"page size {page_size} is not offered")
    chosen = set(columns)
    ListPreference.objects.update_or_create(
        user_id=user_id,
        list_name=list_name,
        defaults={
            "columns": [c.key for c in spec.columns if c.key in chosen],
            "page_size": page_size,
        },
    )
