"""Cache of each principal's gathered policies, invalidated per account.

Any change to a policy, version, attachment, membership or boundary sets the
account's ``authz_generation`` to a fresh random value in the database (in the
same transaction as the change). Random rather than +1: a transaction that is
rolled back after caching under its uncommitted value must never have that value
come back for different data. A cached entry is used only while its generation is current, so every
app server process sees a change as soon as it commits: one cheap query per
decision instead of loading every document.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from accounts.models import Account, new_generation

_lock = threading.Lock()
_entries: OrderedDict[tuple[str, str], tuple[int, Any]] = OrderedDict()
_MAX = 4096


# The generation a request already read (the API reads it in the same query as the
# signing key, api/views.py): {account id: generation}, for this request only.
_request_generations: ContextVar[dict[str, int] | None] = ContextVar(
    "request_generations", default=None
)


@contextmanager
def request_generation(account_id: str, gen: int) -> Iterator[None]:
    """Within the block, :func:`generation` answers ``gen`` for ``account_id`` without a
    query: the value was read from the database for this very request, after anything
    committed before the request arrived. :func:`invalidate` in the block forgets it."""
    token = _request_generations.set({account_id: gen})
    try:
        yield
    finally:
        _request_generations.reset(token)


@contextmanager
def operation_generations() -> Iterator[None]:
    """Within one operation, each account's generation is read once (the first decision
    that needs it) and then remembered, as the API remembers the signer's for its
    request; :func:`invalidate` forgets it, so the operation's own changes are seen.
    Inside a request's or an outer operation's scope, that scope is used."""
    if _request_generations.get() is not None:
        yield
        return
    token = _request_generations.set({})
    try:
        yield
    finally:
        _request_generations.reset(token)


def invalidate(account_id: str) -> None:
    Account.objects.filter(pk=account_id).update(authz_generation=new_generation())
    known = _request_generations.get()
    if known is not None:
        known.pop(account_id, None)


def generation(account_id: str) -> int:
    known = _request_generations.get()
    if known is not None and account_id in known:
        return known[account_id]
    value = Account.objects.filter(pk=account_id).values_list("authz_generation", flat=True).first()
    gen = int(value or 0)
    if known is not None:
        known[account_id] = gen
    return gen


def get(account_id: str, key: str, gen: int) -> Any | None:
    with _lock:
        hit = _entries.get((account_id, key))
        if hit is None or hit[0] != gen:
            return None
        _entries.move_to_end((account_id, key))
        return hit[1]


def put(account_id: str, key: str, gen: int, value: Any) -> None:
    with _lock:
        _entries[(account_id, key)] = (gen, value)
        _entries.move_to_end((account_id, key))
        while len(_entries) > _MAX:
            _entries.popitem(last=False)


def clear() -> None:
    with _lock:
        _entries.clear()
