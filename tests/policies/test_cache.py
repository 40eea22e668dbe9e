"""The per-account policy cache (policies/cache.py): bounded, generation-checked, and an
account's stale entries never crowd out other accounts' (bench/scale.py measures it)."""

from __future__ import annotations

from policies import cache


def test_an_entry_is_used_only_under_its_generation():
    cache.put("111111111111", "user:1", 7, "policies")
    assert cache.get("111111111111", "user:1", 7) == "policies"
    assert cache.get("111111111111", "user:1", 8) is None
    assert cache.get("222222222222", "user:1", 7) is None


def test_a_new_generation_drops_the_accounts_older_entries_only():
    for n in range(5):
        cache.put("111111111111", f"user:{n}", 1, n)
        cache.put("222222222222", f"user:{n}", 1, n)
    cache.put("111111111111", "user:9", 2, "fresh")
    assert cache.get("111111111111", "user:9", 2) == "fresh"
    # The older generation's entries are gone from the cache, not merely unused ...
    assert [k for k in cache._entries if k[0] == "111111111111"] == [("111111111111", "user:9")]
    assert all(cache.get("111111111111", f"user:{n}", 1) is None for n in range(5))
    # ... and the other account's are untouched.
    assert [cache.get("222222222222", f"user:{n}", 1) for n in range(5)] == list(range(5))


def test_a_class_of_accounts_deciding_in_turn_stays_cached():
    """100 accounts of 61 entries (50 users, 10 roles, guardrails), each used in turn: all
    of them fit, so the second round is all hits (a cyclic LRU smaller than the round
    would miss every time)."""
    accounts = [f"{n:012d}" for n in range(100)]
    keys = [f"user:{n}" for n in range(50)] + [f"role:{n}" for n in range(10)] + ["guard"]
    for account in accounts:
        for key in keys:
            cache.put(account, key, 3, (account, key))
    hits = sum(cache.get(account, key, 3) == (account, key) for account in accounts for key in keys)
    assert hits == len(accounts) * len(keys)


def test_the_cache_is_bounded_and_forgets_the_least_recently_used(monkeypatch):
    monkeypatch.setattr(cache, "_MAX", 4)
    for n in range(4):
        cache.put(f"{n:012d}", "k", 1, n)
    assert cache.get("000000000000", "k", 1) == 0  # now the most recently used
    cache.put("000000000009", "k", 1, 9)
    assert len(cache._entries) == 4
    assert cache.get("000000000001", "k", 1) is None  # the least recently used went
    assert cache.get("000000000000", "k", 1) == 0
    assert "000000000001" not in cache._keys  # its bookkeeping went with it
    cache.clear()
    assert not cache._entries and not cache._keys and not cache._stored_generation
