"""SQLite for the test process: the project's backend (iamconsole/sqlite) with the
catalog-keeping flush (tests/flush.py)."""

from __future__ import annotations

from typing import Any

from iamconsole.sqlite import base
from tests.flush import flush_sql

# Django's SQLite operations, reached through its backend (importing the operations
# module on its own, before the backend, is a circular import).
_SQLiteOperations = base.base.DatabaseWrapper.ops_class


class DatabaseOperations(_SQLiteOperations):  # type: ignore[misc,valid-type]
    def sql_flush(
        self, style: Any, tables: Any, *, reset_sequences: bool = False, allow_cascade: bool = False
    ) -> list[str]:
        if reset_sequences or not tables:
            return super().sql_flush(
                style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        return flush_sql(self, style, tables)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
