"""Bulk inserts that hand rows straight to the driver's executemany, for the change log's
hot path (SQLAlchemy's per-row parameter processing costs more than the insert itself).

Adapter room: builds one INSERT per table and dialect; callers pass values the driver takes
as they are (str, int, bool, bytes, None) and bind a column's type-processed value
(`bound`) for anything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa


def bound(conn: sa.Connection, column: sa.Column[Any], value: Any) -> Any:
    """`value` as `column`'s type sends it to this connection's driver."""
    processor = column.type.bind_processor(conn.dialect)
    return processor(value) if processor is not None else value


def insert_rows(
    conn: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    upsert_on: Sequence[str] = (),
) -> None:
    """INSERT `rows` (tuples in `columns` order) in one executemany; with `upsert_on`, a
    row whose key exists replaces the other columns (ON CONFLICT ... DO UPDATE)."""
    if not rows:
        return
    quote = conn.dialect.identifier_preparer.quote
    placeholder = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(quote(c) for c in columns)
    values = ", ".join(placeholder for _ in columns)
    statement = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({values})"
    if upsert_on:
        updates = ", ".join(
            f"{quote(c)} = excluded.{quote(c)}" for c in columns if c not in upsert_on
        )
        keys = ", ".join(quote(c) for c in upsert_on)
        statement += f" ON CONFLICT ({keys}) DO UPDATE SET {updates}"
    conn.exec_driver_sql(statement, list(rows))
