"""Offline policies the cloud sets per sales channel or per site.

Adapter room: SQL on `realtime_policy_overrides`. Blocking.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ameide_core_proto.process.commerce.v1 import options_pb2, realtime_pb2
from cloud.adapters.store._db import Database
from cloud.store.realtime_tables import realtime_policy_overrides
from shared.errors import InvalidInput

SCOPES = ("channel", "site")


class RealtimePolicies:
    """Set, remove and read the overrides; `overrides_for` is what a site's config carries."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def set(
        self, scope: str, scope_id: str, override: realtime_pb2.OfflinePolicyOverride, now: datetime
    ) -> None:
        if scope not in SCOPES:
            raise InvalidInput(f"scope {scope!r}: use channel or site")
        t = realtime_policy_overrides.c
        values = {
            "policy": override.policy,
            "per_subject": override.limits.per_subject,
            "per_store_per_day": override.limits.per_store_per_day,
            "updated_at": now,
        }

        def work(conn: sa.Connection) -> None:
            key = (t.scope == scope, t.scope_id == scope_id, t.kind == override.kind)
            if conn.execute(sa.select(t.kind).where(*key)).first() is None:
                conn.execute(
                    realtime_policy_overrides.insert().values(
                        scope=scope, scope_id=scope_id, kind=override.kind, **values
                    )
                )
            else:
                conn.execute(realtime_policy_overrides.update().where(*key).values(**values))

        self._db.write(work)

    def remove(self, scope: str, scope_id: str, kind: int) -> bool:
        t = realtime_policy_overrides.c

        def work(conn: sa.Connection) -> bool:
            done = conn.execute(
                realtime_policy_overrides.delete().where(
                    t.scope == scope, t.scope_id == scope_id, t.kind == kind
                )
            )
            return bool(done.rowcount)

        return self._db.write(work)

    def listed(self) -> list[tuple[str, str, realtime_pb2.OfflinePolicyOverride]]:
        """(scope, scope id, override) of every override, channels first."""
        t = realtime_policy_overrides.c
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(realtime_policy_overrides).order_by(t.scope, t.scope_id, t.kind)
            ).all()
        return [(row.scope, row.scope_id, _override(row)) for row in rows]

    def overrides_for(
        self, channel_id: str, site_id: str
    ) -> list[realtime_pb2.OfflinePolicyOverride]:
        """The channel's overrides, then the site's (the agent applies them in this order)."""
        t = realtime_policy_overrides.c
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(realtime_policy_overrides)
                .where(
                    sa.or_(
                        sa.and_(t.scope == "channel", t.scope_id == channel_id),
                        sa.and_(t.scope == "site", t.scope_id == site_id),
                    )
                )
                .order_by(t.scope, t.kind)  # "channel" sorts before "site"
            ).all()
        return [_override(row) for row in rows]


def _override(row: sa.Row[tuple[object, ...]]) -> realtime_pb2.OfflinePolicyOverride:
    m = row._mapping
    return realtime_pb2.OfflinePolicyOverride(
        kind=m["kind"],
        policy=m["policy"],
        limits=options_pb2.OfflineLimits(
            per_subject=m["per_subject"], per_store_per_day=m["per_store_per_day"]
        ),
    )
