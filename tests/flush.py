"""Emptying the database between transactional tests, except the AWS-managed catalog.

After every transactional test (``live_server``, ``transactional_db``) Django empties
every table, and tests/conftest.py then puts the AWS-managed catalog back (1,500
policies and their versions, megabytes of documents): about 0.1 s on SQLite and 0.3 s
on PostgreSQL a test. The catalog is read-only (no operation writes it, no test edits
it), so the flush here leaves its rows in place and deletes everything else; the
catalog sync that runs after a flush (post_migrate) then finds it current. On
PostgreSQL the flush is one DELETE per table rather than Django's TRUNCATE of all of
them, which costs a fixed few hundred milliseconds however empty the tables are. The
foreign keys Django makes are deferred: the deletes' order does not matter, the flush's
one transaction is checked at its commit. A flush that must reset sequences keeps
Django's own SQL.
"""

from __future__ import annotations

from typing import Any

CATALOG_KEPT = {
    # table: the rows deleted (everything but the catalog's)
    "policies_policyversion": (
        "policy_id IN (SELECT id FROM policies_managedpolicy WHERE account_id IS NOT NULL)"
    ),
    "policies_managedpolicy": "account_id IS NOT NULL",
    "policies_catalogstate": "key <> 'aws-managed'",
}


def flush_sql(ops: Any, style: Any, tables: Any) -> list[str]:
    kept = [t for t in CATALOG_KEPT if t in tables]  # versions before their policies
    others = [t for t in tables if t not in CATALOG_KEPT]
    statements = [
        f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(ops.quote_name(t))} "
        f"WHERE {CATALOG_KEPT[t]};"
        for t in kept
    ]
    statements += [
        f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(ops.quote_name(t))};" for t in others
    ]
    return statements
