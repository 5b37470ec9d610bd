"""Transaction helpers shared by the store repositories; the one place that maps
SQLAlchemy exceptions to the store's errors.

Adapter room: opens connections on the engine it is given; no schema knowledge.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from cloud.adapters.store.errors import StoreError, StoreUnavailable
from cloud.store.engine import READ_ONLY_OPTION, SQLITE_BUSY_TIMEOUT_MS, writer_lock
from shared.errors import InvalidInput

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Keys of the PostgreSQL advisory locks that make append order equal commit order.
APPEND_LOCK_COMMANDS = 523_101
APPEND_LOCK_FACTS = 523_102
APPEND_LOCK_AUDIT = 523_103


class Retry(Exception):
    """Raised inside a write to re-run it once in a fresh transaction (lost a race)."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime, name: str) -> datetime:
    """`value` in UTC, or `InvalidInput` when it carries no timezone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{name} {value!r} has no timezone; pass an aware UTC datetime")
    return value.astimezone(UTC)


def _json_default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    raise InvalidInput(
        f"cannot store {type(value).__name__} value {value!r} as JSON; "
        "pass strings, numbers, booleans, lists, dicts or datetimes"
    )


def jsonable(value: Any) -> Any:
    """`value` as plain JSON types (datetimes become ISO-8601 text)."""
    return json.loads(json.dumps(value, default=_json_default))


def lock_appends(conn: sa.Connection, key: int) -> None:
    """Serialize appends to an ordered log so readers never skip a late-committing row.

    SQLite already serializes writers (BEGIN IMMEDIATE). On PostgreSQL a sequence value
    taken by a transaction that commits later than a bigger one would be passed over by a
    reader following `seq`; the lock is held until commit, so call it just before the
    insert that ends the transaction.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


class Database:
    """Read and write transactions on one engine, with errors translated."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
            raise StoreUnavailable(
                f"cloud store {self.engine.url.render_as_string()} is unreachable or locked "
                f"({exc.orig}); check database_url and that the database is up, then retry"
            ) from exc
        except sa_exc.DBAPIError as exc:
            raise StoreError(f"cloud store refused the operation: {exc.orig}") from exc

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A connection for reads only (a snapshot; never takes the SQLite write lock)."""
        with self._translated(), self.engine.connect() as conn:
            conn.execution_options(**{READ_ONLY_OPTION: True})
            yield conn

    def write(self, work: Callable[[sa.Connection], T]) -> T:
        """Run `work` in one write transaction; commit when it returns.

        When it loses a race (an `IntegrityError` from a unique key, or `Retry`), run it
        once more in a fresh transaction, where the winner's row is visible and `work`
        decides again; a second loss is a `StoreError`.
        """
        lock = writer_lock(self.engine)
        if lock is None:
            return self._write(work)
        if not lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise StoreUnavailable(
                f"cloud store {self.engine.url.render_as_string()} is locked: other writes of "
                f"this process held it for {SQLITE_BUSY_TIMEOUT_MS / 1000:.0f} s; retry"
            )
        try:
            return self._write(work)
        finally:
            lock.release()

    def _write(self, work: Callable[[sa.Connection], T]) -> T:
        with self._translated():
            for attempt in (1, 2):
                try:
                    with self.engine.begin() as conn:
                        return work(conn)
                except (sa_exc.IntegrityError, Retry) as exc:
                    if attempt == 2:
                        detail = exc.orig if isinstance(exc, sa_exc.IntegrityError) else exc
                        raise StoreError(
                            f"cloud store write kept conflicting with a concurrent one ({detail}); "
                            "retry the operation"
                        ) from exc
                    logger.debug("write lost a race, retrying once: %s", exc)
        raise AssertionError("unreachable")
