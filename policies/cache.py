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
# The keys held per account, and the generation they were last stored under: when an
# account's generation changes, its entries of older generations (never to be used
# again: generations are random) are dropped at once instead of crowding out the
# entries of other accounts until the LRU reaches them.
_keys: dict[str, set[str]] = {}
_stored_generation: dict[str, int] = {}
# Entries are small (the compiled documents are shared through the engine's caches):
# room for every principal and the guardrails of a class of 100 accounts of 60
# principals, or of one account at AWS's quotas (5,000 users and 1,000 roles). A
# smaller bound would evict in a cycle when they all decide in turn (every decision a
# miss: bench/scale.py's class round).
_MAX = 16384


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
        keys = _keys.setdefault(account_id, set())
        if _stored_generation.get(account_id) != gen:
            _stored_generation[account_id] = gen
            for stale in [k for k in keys if _entries[(account_id, k)][0] != gen]:
                del _entries[(account_id, stale)]
                keys.discard(stale)
        _entries[(account_id, key)] = (gen, value)
        _entries.move_to_end((account_id, key))
        keys.add(key)
        while len(_entries) > _MAX:
            (old_account, old_key), _ = _entries.popitem(last=False)
            left = _keys.get(old_account)
            if left is not None:
                left.discard(old_key)
                if not left:
                    del _keys[old_account]
                    _stored_generation.pop(old_account, None)


def clear() -> None:
    with _lock:
        _entries.clear()
        _keys.clear()
        _stored_generation.clear()
