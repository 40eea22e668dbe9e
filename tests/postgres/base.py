"""PostgreSQL for the test process: Django's backend with the catalog-keeping flush
(tests/flush.py)."""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base, operations

from tests.flush import flush_sql


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(
        self, style: Any, tables: Any, *, reset_sequences: bool = False, allow_cascade: bool = False
    ) -> list[str]:
        if reset_sequences or not tables:
            return super().sql_flush(
                style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        return ["SET CONSTRAINTS ALL DEFERRED;", *flush_sql(self, style, tables)]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
