"""SQLite with its writers queued on an OS lock rather than on SQLite's busy handler.

SQLite admits one writer at a time. With ``BEGIN IMMEDIATE`` (settings.py) a second
writer waits in SQLite's busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25 … 100 ms
between retries (sqlite3.c, ``sqliteDefaultBusyCallback``): under concurrent writes
most of a request's time went to those sleeps, long after the lock was free
(bench/api.py, CreateUser). Here every write transaction first takes an exclusive
``flock`` on a file beside the database, one open file per connection, so writers
of every thread and worker process queue on the kernel's lock and the next one
starts as soon as the last commits. SQLite's own locking still guards the database;
this only orders who asks. Reads never take it (WAL readers do not block writers).

A writer that cannot get the lock within the connection's ``timeout`` fails as
SQLite would, with "database is locked".

A read-only operation (``iamconsole.ops.operation(..., read_only=True)``) needs
neither: its transaction is a plain deferred ``BEGIN`` (a WAL snapshot, so its
queries agree with each other) with ``PRAGMA query_only`` on, so a write there fails
at once instead of taking the lock behind the queue's back.
"""

from __future__ import annotations

import fcntl
import os
import time

from django.db import OperationalError
from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_fd: int | None = None
    _writer_held = False
    # Set by iamconsole.ops.read_only_transaction for the next BEGIN only.
    read_only_next = False
    _reading = False

    def _writer_lock_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        if self.is_in_memory_db() or not name:
            return None
        return f"{name}.writers"

    def _acquire_writer(self) -> None:
        path = self._writer_lock_path()
        if path is None or self._writer_held:
            return
        if self._writer_fd is None:
            self._writer_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        deadline = time.monotonic() + timeout
        pause = 0.0002
        while True:
            try:
                fcntl.flock(self._writer_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OperationalError("database is locked") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.002)
        self._writer_held = True

    def _release_writer(self) -> None:
        if self._writer_held and self._writer_fd is not None:
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)
        self._writer_held = False
        if self._reading and self.connection is not None:
            self._reading = False
            self.connection.execute("PRAGMA query_only = OFF")

    def _start_transaction_under_autocommit(self) -> None:
        if self.read_only_next:
            self.read_only_next = False
            cursor = self.cursor()
            cursor.execute("BEGIN DEFERRED")
            cursor.execute("PRAGMA query_only = ON")
            self._reading = True
            return
        self._acquire_writer()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            self._release_writer()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self._release_writer()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self._release_writer()
            if self._writer_fd is not None:
                os.close(self._writer_fd)
                self._writer_fd = None

    def _set_autocommit(self, autocommit: bool) -> None:
        super()._set_autocommit(autocommit)
        if autocommit:
            self._release_writer()
