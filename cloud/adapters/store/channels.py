"""Sales channels of the cloud store: which replication streams a channel publishes.

Adapter room: reads and writes the `sales_channels` table.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cloud.adapters.store._db import Database, utcnow
from cloud.adapters.store.errors import ChannelConflict
from cloud.adapters.store.records import ChannelRecord
from cloud.store.tables import sales_channels
from shared.errors import InvalidInput

logger = logging.getLogger(__name__)


def _record(row: sa.Row[Any]) -> ChannelRecord:
    values = dict(row._mapping)
    values["streams"] = tuple(values["streams"])
    return ChannelRecord(**values)


def _validate(channel_id: str, name: str, streams: Sequence[str]) -> tuple[str, ...]:
    if not channel_id or len(channel_id) > 128 or channel_id.strip() != channel_id:
        raise InvalidInput(
            f"invalid sales channel id {channel_id!r}: use 1 to 128 characters without "
            "surrounding spaces (e.g. 'retail-eu')"
        )
    if not name.strip():
        raise InvalidInput(f"sales channel {channel_id}: give it a non-empty name")
    if isinstance(streams, str) or not all(isinstance(s, str) and s for s in streams):
        raise InvalidInput(
            f"sales channel {channel_id}: streams must be a list of non-empty stream names, "
            f"got {streams!r}"
        )
    return tuple(streams)


class ChannelRepository:
    """Create and read sales channels."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(
        self, channel_id: str, name: str, streams: Sequence[str], at: datetime | None = None
    ) -> ChannelRecord:
        """Create a channel; the same values again return the existing one.

        Raises `ChannelConflict` when the id exists with another name or streams.
        """
        wanted = _validate(channel_id, name, streams)

        def work(conn: sa.Connection) -> ChannelRecord:
            row = conn.execute(
                sa.select(sales_channels).where(sales_channels.c.channel_id == channel_id)
            ).first()
            if row is None:
                conn.execute(
                    sales_channels.insert().values(
                        channel_id=channel_id,
                        name=name,
                        streams=list(wanted),
                        created_at=at or utcnow(),
                    )
                )
                row = conn.execute(
                    sa.select(sales_channels).where(sales_channels.c.channel_id == channel_id)
                ).one()
                logger.info("created sales channel %s with streams %s", channel_id, wanted)
                return _record(row)
            existing = _record(row)
            differing = [
                f"{field} ({old!r} != {new!r})"
                for field, old, new in (
                    ("name", existing.name, name),
                    ("streams", list(existing.streams), list(wanted)),
                )
                if old != new
            ]
            if differing:
                raise ChannelConflict(
                    f"sales channel {channel_id} already exists with different "
                    f"{', '.join(differing)}; use the existing values or a new channel id"
                )
            return existing

        return self._db.write(work)

    def get(self, channel_id: str) -> ChannelRecord | None:
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(sales_channels).where(sales_channels.c.channel_id == channel_id)
            ).first()
        return None if row is None else _record(row)

    def list(self) -> builtins.list[ChannelRecord]:
        """Every channel, by id."""
        with self._db.read() as conn:
            rows = conn.execute(sa.select(sales_channels).order_by(sales_channels.c.channel_id))
            return [_record(row) for row in rows]
