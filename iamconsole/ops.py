"""What every operation shares: the wrapper, pagination, arguments.

An operation is a plain keyword-only function taking ``actor=``. ``@operation``
runs it in one transaction; if it fails (``AccessDenied`` included) the work is
rolled back and the failure is audited after the rollback, so denied attempts
show in the event history while nothing half-done survives. The audit trail
itself (model, writer, reader) lives in the ``audit`` app.
"""

from __future__ import annotations

import base64
import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.models import QuerySet

from accounts.errors import IamError, ValidationError
from accounts.principal import Principal
from audit.trail import insert_row, record_event, record_failure
from policies.cache import operation_generations

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


def operation(
    event_name: str, *, event_source: str = "iam.amazonaws.com", read_only: bool = False
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run an operation atomically and audit its failures after rolling back.

    ``read_only``: the operation only reads (Get*/List* that record nothing on
    success); on SQLite its transaction is a snapshot that does not queue behind the
    writers (iamconsole/sqlite/base.py), and any write in it fails.
    """

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            actor = kwargs.get("actor")
            try:
                with (
                    read_only_transaction() if read_only else transaction.atomic(),
                    operation_generations(),
                ):
                    result = fn(*args, **kwargs)
            except IamError as exc:
                if isinstance(actor, Principal):
                    record_failure(actor, event_name, exc, event_source=event_source)
                raise
            if read_only and isinstance(actor, Principal):
                record_read(actor, event_name, result, event_source=event_source)
            return result

        # What run_batch (and anyone auditing on an operation's behalf) records.
        wrapper.event_name = event_name  # type: ignore[attr-defined]
        wrapper.event_source = event_source  # type: ignore[attr-defined]
        return wrapper

    return decorate


def record_read(actor: Principal, event_name: str, result: Any, *, event_source: str) -> None:
    """A successful read is an event too, marked read-only (CloudTrail's ``readOnly``),
    written after the read's own transaction, through the writers' queue. Its resource
    is the one read when the result names one (GetUser's user); lists name none. A
    failure to audit a read is logged, never turned into a failed read."""
    arn = getattr(result, "arn", "") or ""
    try:
        with transaction.atomic():
            record_event(
                actor,
                event_name,
                arn if isinstance(arn, str) else "",
                event_source=event_source,
                read_only=True,
            )
    except Exception:  # noqa: BLE001 - the read itself succeeded
        log.exception("could not audit read %s", event_name)


@contextmanager
def read_only_transaction() -> Iterator[None]:
    """``transaction.atomic()`` for work that only reads: on SQLite (the project's
    backend, iamconsole.sqlite) a deferred, query-only transaction outside the writers'
    queue; elsewhere, and nested in another transaction, a plain atomic block."""
    connection = transaction.get_connection()
    outermost = not connection.in_atomic_block and hasattr(connection, "read_only_next")
    if outermost:
        connection.read_only_next = True
    try:
        with transaction.atomic():
            yield
    finally:
        if outermost:
            connection.read_only_next = False


def save_unique(obj: Any, error: IamError) -> None:
    """Insert ``obj``; a unique-constraint race becomes ``error`` (EntityAlreadyExists)."""
    try:
        with transaction.atomic():
            obj.save(force_insert=True)
    except IntegrityError as exc:
        raise error from exc


# ---------------------------------------------------------------------------
# Hot-path queries compiled once per connection (bench/api.py, issue 15): an ORM
# ``.first()``, ``.aggregate()`` or ``.save()`` costs more to compile than SQLite takes
# to run it. The SQL is Django's own for the backend in use, compiled on the first
# call in each connection; only the parameter values change between calls. Nothing
# is remembered but SQL text: every call runs its query.


class PreparedQuery:
    """A queryset compiled once per database connection, run with new values.

    ``build`` makes the queryset from placeholders (one per entry of ``lookups``, each
    ``"exact"`` or ``"iexact"``: how the value reaches the SQL), and must select with
    ``values_list``. ``rows(*values)`` runs it: the rows, converted as Django would.
    """

    def __init__(self, name: str, build: Callable[..., QuerySet[Any]], lookups: Sequence[str]):
        self.key = f"_iamconsole_prepared_{name}"
        self.build = build
        self.lookups = tuple(lookups)

    def _compiled(self, conn: Any) -> tuple[str, list[Any], list[tuple[list[int], str]], Any, Any]:
        prepared = conn.__dict__.get(self.key)
        if prepared is None:
            holders = [f"\x00placeholder-{i}\x00" for i in range(len(self.lookups))]
            compiler = self.build(*holders).query.get_compiler(connection=conn)
            text, params = compiler.as_sql()
            params = list(params)
            slots = []
            for holder, lookup in zip(holders, self.lookups, strict=True):
                sent = conn.ops.prep_for_iexact_query(holder) if lookup == "iexact" else holder
                where = [i for i, p in enumerate(params) if p == sent]
                if not where:
                    raise AssertionError(f"{self.key}: placeholder not found in the SQL")
                slots.append((where, lookup))
            converters = compiler.get_converters([col for col, _, _ in compiler.select])
            prepared = (text, params, slots, compiler, converters)
            conn.__dict__[self.key] = prepared
        return prepared

    def rows(self, *values: Any) -> list[tuple[Any, ...]]:
        conn = connections[DEFAULT_DB_ALIAS]
        text, params, slots, compiler, converters = self._compiled(conn)
        params = list(params)
        for (where, lookup), value in zip(slots, values, strict=True):
            if lookup == "iexact":
                value = conn.ops.prep_for_iexact_query(value)
            for i in where:
                params[i] = value
        with conn.cursor() as cursor:
            cursor.execute(text, params)
            rows = cursor.fetchall()
        if converters and rows:
            rows = list(compiler.apply_converters(rows, converters))
        return rows


@functools.cache
def model_fields(model: Any) -> tuple[str, ...]:
    """The attribute names of ``model``'s concrete fields, in ``from_db`` order."""
    return tuple(f.attname for f in model._meta.concrete_fields)


def from_row(model: Any, row: Sequence[Any]) -> Any:
    """A model instance from a row of :func:`model_fields` (Django's ``from_db``)."""
    return model.from_db(DEFAULT_DB_ALIAS, model_fields(model), row)


def insert_unique(obj: Any, error: IamError) -> None:
    """:func:`save_unique` in an operation's own transaction, without a savepoint: a
    unique-constraint race becomes ``error``, which ends the operation, and the
    operation's transaction (or its savepoint, nested) rolls back everything."""
    conn = connections[DEFAULT_DB_ALIAS]
    if not conn.in_atomic_block:
        raise AssertionError("insert_unique runs inside an operation's transaction")
    try:
        insert_row(obj)
    except IntegrityError as exc:
        raise error from exc


@dataclass(frozen=True)
class Page:
    """One page of a list operation, with AWS's Marker/IsTruncated."""

    items: Sequence[Any]
    is_truncated: bool
    marker: str | None


def encode_marker(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode()


def decode_marker(marker: str | None) -> str | None:
    if not marker:
        return None
    try:
        return base64.urlsafe_b64decode(marker.encode()).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError("Invalid Marker.") from exc


def page_size(max_items: int | None, default: int) -> int:
    """MaxItems, 1..1000 (IAM's documented range), or the list's default."""
    limit = default if max_items is None else max_items
    if not 1 <= limit <= 1000:
        raise ValidationError(
            f"1 validation error detected: Value '{limit}' at 'maxItems' failed to satisfy "
            "constraint: Member must have value between 1 and 1000"
        )
    return limit


def paginate(
    queryset: Any, *, key: str, marker: str | None, max_items: int | None, default: int = 100
) -> Page:
    """Keyset pagination over ``queryset`` ordered by ``key`` (a unique text column).

    MaxItems is 1..1000 (IAM's documented range); the marker is opaque to clients.
    """
    limit = page_size(max_items, default)
    qs = queryset.order_by(key)
    after = decode_marker(marker)
    if after is not None:
        qs = qs.filter(**{f"{key}__gt": after})
    rows = list(qs[: limit + 1])
    truncated = len(rows) > limit
    rows = rows[:limit]
    next_marker = encode_marker(str(getattr(rows[-1], key))) if truncated and rows else None
    return Page(items=rows, is_truncated=truncated, marker=next_marker)


@dataclass(frozen=True)
class NumberedPage(Page):
    """A page of a list by number (the console's ``< 1 2 3 … 9 >``): ``total`` rows
    match, ``number`` is this page (1-based, clamped to the pages there are), ``size``
    rows a page. ``marker`` still continues the list after this page (keyset)."""

    total: int = 0
    number: int = 1
    size: int = 1

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.size))


def paginate_numbered(
    queryset: Any, *, key: str, number: int, max_items: int | None, default: int = 100
) -> NumberedPage:
    """Page ``number`` of ``queryset`` ordered by ``key``: one COUNT of the filtered rows,
    then LIMIT/OFFSET. A number below 1 is page 1, one past the end the last page."""
    limit = page_size(max_items, default)
    qs = queryset.order_by(key)
    total = qs.count()
    pages = max(1, -(-total // limit))
    number = min(max(number, 1), pages)
    rows = list(qs[(number - 1) * limit : number * limit])
    truncated = number < pages
    next_marker = encode_marker(str(getattr(rows[-1], key))) if truncated and rows else None
    return NumberedPage(rows, truncated, next_marker, total=total, number=number, size=limit)


def page_list(
    items: Sequence[Any], *, marker: str | None, max_items: int | None, default: int = 100
) -> Page:
    """One page of an in-memory sequence (tags, a policy's entities, simulation results,
    authorization details): the same MaxItems range and opaque marker as ``paginate``,
    the marker being the offset of the next item."""
    limit = page_size(max_items, default)
    start = 0
    raw = decode_marker(marker)
    if raw is not None:
        if not (raw.isascii() and raw.isdigit()) or int(raw) > len(items):
            raise ValidationError("Invalid Marker.")
        start = int(raw)
    end = start + limit
    truncated = end < len(items)
    return Page(list(items[start:end]), truncated, encode_marker(str(end)) if truncated else None)


Step = tuple[Callable[..., Any], dict[str, Any]]


def run_batch(actor: Principal, steps: Sequence[Step]) -> list[Any]:
    """Run several operations (``(operation, kwargs)``, each called with ``actor=``) in one
    transaction: all of them happen, or none.

    One rule for what a failure records, wherever it came from (the API, one console
    click, a batch): the failing operation's event, exactly as ``@operation`` records it
    for a single call. Inside the batch's transaction that record is rolled back with
    the rest, so it is written again here, after the rollback; the steps that had
    succeeded are not recorded, since their work was rolled back too.
    """
    current: Callable[..., Any] | None = None
    try:
        with transaction.atomic():
            results = []
            for fn, kwargs in steps:
                current = fn
                results.append(fn(actor=actor, **kwargs))
            return results
    except IamError as exc:
        event_name = getattr(current, "event_name", "")
        if event_name:
            source = getattr(current, "event_source", "iam.amazonaws.com")
            record_failure(actor, event_name, exc, event_source=source)
        raise
