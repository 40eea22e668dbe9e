"""Console URLs with names longer than SQLite's LIKE pattern limit (issue 10, item 10).

SQLite refuses a LIKE pattern over 50,000 bytes ("LIKE or GLOB pattern too complex"),
and name lookups are case-insensitive (LIKE on SQLite). Every console URL that takes a
name or id, and every list filter ``?q=``, is requested (GET and POST) with 60,000
characters: the answer is a clear 4xx (or the page with a form error), never a 500, and
nothing changes.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

LONG = "a" * 60_000
# Public sign-in and sign-up steps are not console pages about names.
SKIP = ("signin", "signup", "signout")


def _named_routes() -> list[tuple[str, list[str]]]:
    """(namespaced URL name, its converter names) for every console route."""
    found: list[tuple[str, list[str]]] = []

    def walk(patterns, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name and namespace in ("accounts:", "policies:"):
                if not p.name.startswith(SKIP):
                    found.append((namespace + p.name, list(p.pattern.converters)))

    walk(get_resolver().url_patterns, "")
    return found


def _list_routes() -> list[str]:
    return [
        reverse(n)
        for n in (
            "accounts:user-list",
            "accounts:group-list",
            "accounts:role-list",
            "policies:policy-list",
            "accounts:events",
        )
    ]


# Every filter or name a console page reads from its query string or form.
FIELDS = ("q", "name", "user", "group", "users", "identity", "action", "resource", "path")


def _counts() -> dict[str, int]:
    from accounts.models import Group, IamUser, Role
    from policies.models import InlinePolicy, ManagedPolicy, PolicyAttachment

    models = (IamUser, Group, Role, ManagedPolicy, InlinePolicy, PolicyAttachment)
    return {m.__name__: m.objects.count() for m in models}


def test_sixty_thousand_character_names_never_give_a_500_and_change_nothing(console, root, figure):
    from accounts.operations.users import create_user

    create_user(actor=root, name="alice")  # lists have something to filter
    console.raise_request_exception = False  # a 500 is counted, not raised
    routes = _named_routes()
    before = _counts()
    statuses: dict[int, int] = {}
    failures: list[str] = []
    form = dict.fromkeys(FIELDS, LONG)
    for name, converters in routes:
        url = reverse(name, kwargs=dict.fromkeys(converters, LONG))
        for method in ("get", "post"):
            r = getattr(console, method)(url, form)
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
            if r.status_code >= 500:
                failures.append(f"{method.upper()} {name} {r.status_code}")
    for url in _list_routes():
        for headers in ({}, {"HX-Request": "true"}):
            r = console.get(url, form, headers=headers)
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
            if r.status_code >= 500:
                failures.append(f"GET {url}?q=… {r.status_code}")
    after = _counts()
    figure(
        f"{len(routes)} named routes x GET/POST + {len(_list_routes())} lists with filters "
        f"(every name, filter and field 60,000 chars): statuses {dict(sorted(statuses.items()))}; 5xx: "
        f"{', '.join(failures) or 'none'}; changed: "
        f"{ {k: (before[k], after[k]) for k in before if before[k] != after[k]} or 'nothing' }"
    )
    assert failures == []
    assert before == after
