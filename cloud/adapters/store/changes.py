"""The change log of the down streams: ordered appends, reads up to the visible head,
compaction with the live-record table, snapshots and checksums.

Adapter room: reads and writes `change_streams`, `changes`, `current_records` and
`change_publishes`. Seqs are per stream. An append takes the stream's `change_streams` row
lock (an UPDATE, held to commit), so appends to one stream commit in seq order on
PostgreSQL as on SQLite: whatever a reader sees of a stream is a gap-free prefix, and a
reader that reads the head first and then changes up to it never skips a late commit.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from google.protobuf.timestamp_pb2 import Timestamp

from ameide_core_proto.process.commerce.v1 import records_pb2
from cloud.adapters.store._bulk import bound, insert_rows
from cloud.adapters.store._db import Database, aware, utcnow
from cloud.adapters.store._wire import ChangeListEncoder, as_utc
from cloud.change_rules import RECORD_FIELD, check_change, check_scope, record_bytes
from cloud.store.tables import change_publishes, change_streams, changes, current_records
from shared.checksums import TableDigest
from shared.errors import InvalidInput

logger = logging.getLogger(__name__)

MAX_READ_LIMIT = 10_000


class BehindCompactionFloor(InvalidInput):
    """A read started before the stream's compaction floor; take a snapshot instead.
    Retrying the same read cannot help."""

    def __init__(self, stream: str, after_seq: int, floor_seq: int) -> None:
        super().__init__(
            f"stream {stream!r} is compacted through seq {floor_seq}; a read after seq "
            f"{after_seq} would miss changes: rebuild from a snapshot, then read after "
            "the snapshot's seq"
        )
        self.stream = stream
        self.after_seq = after_seq
        self.floor_seq = floor_seq


class PublishConflict(InvalidInput):
    """A publish id already appended other changes; retrying cannot help."""

    def __init__(self, publish_id: str) -> None:
        super().__init__(
            f"publish_id {publish_id!r} was already used for other changes; a replay must "
            "carry the same changes, new changes need a new publish_id"
        )
        self.publish_id = publish_id


@dataclass(frozen=True)
class AppendResult:
    """What an append did: changes appended (0 for a replayed publish id) and heads."""

    appended: int
    heads: dict[str, int]


@dataclass(frozen=True)
class ChangeBatch:
    """Changes of one stream with after_seq < seq <= through_seq, in seq order.

    `through_seq` is where a reader may checkpoint: the last change returned when the
    limit cut the batch, else the head (changes of other scopes in between are not
    theirs). `head_seq` is the stream's visible head when the batch was read.
    """

    stream: str
    after_seq: int
    through_seq: int
    head_seq: int
    changes: list[records_pb2.Change]


@dataclass(frozen=True)
class EncodedBatch:
    """Like `ChangeBatch`, with the changes as one serialized `ChangeList` (`payload`)."""

    stream: str
    after_seq: int
    through_seq: int
    head_seq: int
    count: int
    payload: bytes


@dataclass(frozen=True)
class SnapshotPage:
    """Live entities of a stream, ordered by (scope, key), one page of a snapshot.

    `as_of_seq` is the stream head when the page was read; each row is its entity's state
    at or after the first page's `as_of_seq`. Apply every page, then the tail after the
    FIRST page's `as_of_seq`: replaying a change older than a row's state is harmless
    because the tail ends with each entity's latest change. `next_after` is None on the
    last page, else the (scope, key) to pass on for the next page.
    """

    stream: str
    as_of_seq: int
    changes: list[records_pb2.Change]
    next_after: tuple[str, str] | None


@dataclass(frozen=True)
class EncodedSnapshotPage:
    """Like `SnapshotPage`, with the rows as one serialized `ChangeList` (`payload`);
    `head_seq` is the stream's head when this page was read."""

    stream: str
    head_seq: int
    count: int
    payload: bytes
    next_after: tuple[str, str] | None


def _check_stream(stream: str) -> None:
    if stream not in RECORD_FIELD:
        raise InvalidInput(f"unknown stream {stream!r}; use one of {', '.join(RECORD_FIELD)}")


def _check_scopes(stream: str, scopes: Sequence[str]) -> list[str]:
    _check_stream(stream)
    if not scopes:
        raise InvalidInput(f"name at least one scope to read stream {stream!r}")
    for scope in scopes:
        check_scope(stream, scope)
    return sorted(set(scopes))


def _timestamp(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _change(
    stream: str, seq: int, key: str, scope: str, record: bytes | None, changed_at: datetime | None
) -> records_pb2.Change:
    change = records_pb2.Change(stream=stream, seq=seq, key=key, scope=scope)
    if changed_at is not None:
        change.changed_at.CopyFrom(_timestamp(changed_at))
    if record is None:
        change.deleted = True
    else:
        getattr(change, RECORD_FIELD[stream]).MergeFromString(record)
    return change


def _bump_head(conn: sa.Connection, stream: str, count: int) -> int:
    """Reserve `count` seqs of `stream` under its row lock; the last one reserved."""
    bumped = conn.execute(
        change_streams.update()
        .where(change_streams.c.stream == stream)
        .values(head_seq=change_streams.c.head_seq + count)
        .returning(change_streams.c.head_seq)
    ).scalar()
    if bumped is None:
        # First append to the stream; a concurrent first append makes this insert fail
        # with an IntegrityError, and `Database.write` runs the whole append again.
        conn.execute(change_streams.insert().values(stream=stream, head_seq=count, floor_seq=0))
        return count
    return int(bumped)


_LOG_COLUMNS = (
    "stream",
    "seq",
    "key",
    "scope",
    "deleted",
    "record",
    "changed_at",
    "publish_id",
)
_CURRENT_COLUMNS = ("stream", "scope", "key", "seq", "record")
_CURRENT_KEY = ("stream", "scope", "key")


class ChangeLog:
    """Append changes to per-stream logs and read them back in order."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def append(
        self,
        changes_in: Sequence[records_pb2.Change],
        publish_id: str | None = None,
        at: datetime | None = None,
    ) -> AppendResult:
        """Append `changes_in` in one transaction (their `seq` is ignored; the log assigns
        it). Every change is checked first: one bad change refuses the whole batch with
        `InvalidChange` naming its index and field. A replayed `publish_id` appends
        nothing and returns the current heads."""
        for index, change in enumerate(changes_in):
            check_change(index, change)
        if publish_id is not None and not 0 < len(publish_id) <= 256:
            raise InvalidInput("publish_id must be 1 to 256 characters (or left out)")
        changed_at = aware(at, "at") if at is not None else utcnow()
        by_stream: dict[str, list[tuple[records_pb2.Change, bytes | None]]] = {}
        digest = hashlib.sha256()
        for change in changes_in:
            record = record_bytes(change)
            by_stream.setdefault(change.stream, []).append((change, record))
            if publish_id is not None:
                digest.update(f"{change.stream}\0{change.scope}\0{change.key}\0".encode())
                digest.update(b"\1" if record is None else b"\2" + record)
        changes_sha256 = digest.hexdigest()

        def work(conn: sa.Connection) -> AppendResult:
            if publish_id is not None:
                seen = conn.execute(
                    sa.select(change_publishes.c.changes_sha256).where(
                        change_publishes.c.publish_id == publish_id
                    )
                ).first()
                if seen is not None:
                    if seen.changes_sha256 != changes_sha256:
                        raise PublishConflict(publish_id)
                    return AppendResult(0, self._heads(conn, sorted(by_stream)))
                conn.execute(
                    change_publishes.insert().values(
                        publish_id=publish_id,
                        appended=len(changes_in),
                        changes_sha256=changes_sha256,
                        published_at=changed_at,
                    )
                )
            heads: dict[str, int] = {}
            # Streams in a fixed order, so two multi-stream appends cannot deadlock.
            for stream in sorted(by_stream):
                heads[stream] = self._append_stream(
                    conn, stream, by_stream[stream], publish_id, changed_at
                )
            return AppendResult(len(changes_in), heads)

        result = self._db.write(work)
        if result.appended:
            logger.debug("appended %d changes, heads %s", result.appended, result.heads)
        return result

    def _append_stream(
        self,
        conn: sa.Connection,
        stream: str,
        entries: list[tuple[records_pb2.Change, bytes | None]],
        publish_id: str | None,
        changed_at: datetime,
    ) -> int:
        head = _bump_head(conn, stream, len(entries))
        first = head - len(entries) + 1
        at = bound(conn, changes.c.changed_at, changed_at)
        log_rows: list[tuple[Any, ...]] = []
        latest: dict[tuple[str, str], tuple[int, bytes | None]] = {}
        for offset, (change, record) in enumerate(entries):
            seq = first + offset
            log_rows.append(
                (stream, seq, change.key, change.scope, record is None, record, at, publish_id)
            )
            latest[(change.scope, change.key)] = (seq, record)
        insert_rows(conn, changes, _LOG_COLUMNS, log_rows)
        live = [
            (stream, scope, key, seq, record)
            for (scope, key), (seq, record) in latest.items()
            if record is not None
        ]
        insert_rows(conn, current_records, _CURRENT_COLUMNS, live, upsert_on=_CURRENT_KEY)
        gone = [
            {"b_stream": stream, "b_scope": scope, "b_key": key}
            for (scope, key), (_seq, record) in latest.items()
            if record is None
        ]
        if gone:
            conn.execute(
                current_records.delete().where(
                    current_records.c.stream == sa.bindparam("b_stream"),
                    current_records.c.scope == sa.bindparam("b_scope"),
                    current_records.c.key == sa.bindparam("b_key"),
                ),
                gone,
            )
        return head

    @staticmethod
    def _heads(conn: sa.Connection, streams: Iterable[str]) -> dict[str, int]:
        wanted = list(streams)
        rows = conn.execute(
            sa.select(change_streams.c.stream, change_streams.c.head_seq).where(
                change_streams.c.stream.in_(wanted)
            )
        )
        found = {row.stream: int(row.head_seq) for row in rows}
        return {stream: found.get(stream, 0) for stream in wanted}

    @staticmethod
    def _position(conn: sa.Connection, stream: str) -> tuple[int, int]:
        row = conn.execute(
            sa.select(change_streams.c.head_seq, change_streams.c.floor_seq).where(
                change_streams.c.stream == stream
            )
        ).first()
        return (0, 0) if row is None else (int(row.head_seq), int(row.floor_seq))

    def head(self, stream: str, scopes: Sequence[str] | None = None) -> int:
        """The newest visible seq of `stream` (seqs are per stream, so every scope of it
        shares this head; `scopes` are checked for shape only)."""
        if scopes is not None:
            _check_scopes(stream, scopes)
        _check_stream(stream)
        with self._db.read() as conn:
            return self._position(conn, stream)[0]

    def floor(self, stream: str) -> int:
        """The lowest `after_seq` a read of `stream` accepts (0 before any compaction)."""
        _check_stream(stream)
        with self._db.read() as conn:
            return self._position(conn, stream)[1]

    def oldest_after(self, stream: str, scopes: Sequence[str], after_seq: int) -> datetime | None:
        """When the oldest visible change of `stream` in `scopes` after `after_seq` was
        appended; None when there is none (a reader at `after_seq` is caught up)."""
        wanted = _check_scopes(stream, scopes)
        with self._db.read() as conn:
            head = self._position(conn, stream)[0]
            row = conn.execute(
                sa.select(changes.c.changed_at)
                .where(
                    changes.c.stream == stream,
                    changes.c.scope.in_(wanted),
                    changes.c.seq > after_seq,
                    changes.c.seq <= head,
                )
                .order_by(changes.c.seq)
                .limit(1)
            ).first()
        return None if row is None else row.changed_at

    def read(
        self, stream: str, scopes: Sequence[str], after_seq: int, limit: int = 1000
    ) -> ChangeBatch:
        """Changes of `stream` in `scopes` after `after_seq`, oldest first, at most `limit`,
        never past the visible head read first (see the module docstring)."""
        head, rows = self._read_rows(stream, scopes, after_seq, limit)
        found = [
            _change(stream, int(r.seq), r.key, r.scope, r.record, as_utc(r.changed_at))
            for r in rows
        ]
        through = found[-1].seq if len(found) == limit else max(head, after_seq)
        return ChangeBatch(stream, after_seq, through, head, found)

    def read_encoded(
        self, stream: str, scopes: Sequence[str], after_seq: int, limit: int = 1000
    ) -> EncodedBatch:
        """What `read` returns, as one serialized `ChangeList` built from the stored
        record bytes without parsing them (the pull path's hot loop)."""
        head, rows = self._read_rows(stream, scopes, after_seq, limit)
        encoder = ChangeListEncoder(stream, RECORD_FIELD[stream])
        add = encoder.add
        for seq, key, scope, record, changed_at in rows:
            add(seq, key, scope, record, changed_at)
        through = int(rows[-1].seq) if len(rows) == limit else max(head, after_seq)
        return EncodedBatch(stream, after_seq, through, head, len(rows), encoder.payload())

    def _read_rows(
        self, stream: str, scopes: Sequence[str], after_seq: int, limit: int
    ) -> tuple[int, Sequence[Any]]:
        wanted = _check_scopes(stream, scopes)
        if after_seq < 0:
            raise InvalidInput(f"after_seq {after_seq} is negative; start at 0")
        if not 0 < limit <= MAX_READ_LIMIT:
            raise InvalidInput(f"limit {limit} is out of range; use 1 to {MAX_READ_LIMIT}")
        with self._db.read() as conn:
            head, floor_seq = self._position(conn, stream)
            if after_seq < floor_seq:
                raise BehindCompactionFloor(stream, after_seq, floor_seq)
            rows = conn.execute(
                sa.select(
                    changes.c.seq,
                    changes.c.key,
                    changes.c.scope,
                    changes.c.record,
                    # As the driver returns it (no per-row conversion to a datetime): the
                    # encoder converts each distinct time once (`_wire.as_utc`).
                    sa.type_coerce(changes.c.changed_at, sa.types.NullType()).label("changed_at"),
                )
                .where(
                    changes.c.stream == stream,
                    changes.c.scope.in_(wanted),
                    changes.c.seq > after_seq,
                    changes.c.seq <= head,
                )
                .order_by(changes.c.seq)
                .limit(limit)
            ).all()
        return head, rows

    def compact(self, stream: str, before_seq: int) -> int:
        """Remove the log entries of `stream` with seq < `before_seq` (at most up to the
        head); the live-record table keeps every live entity. Returns the new floor."""
        _check_stream(stream)

        def work(conn: sa.Connection) -> int:
            head, floor_seq = self._position(conn, stream)
            new_floor = max(floor_seq, min(before_seq - 1, head))
            if new_floor > floor_seq:
                conn.execute(
                    change_streams.update()
                    .where(change_streams.c.stream == stream)
                    .values(floor_seq=new_floor)
                )
                conn.execute(
                    changes.delete().where(changes.c.stream == stream, changes.c.seq <= new_floor)
                )
            return new_floor

        floor_seq = self._db.write(work)
        logger.info("stream %s compacted through seq %d", stream, floor_seq)
        return floor_seq

    def snapshot(
        self,
        stream: str,
        scopes: Sequence[str],
        after: tuple[str, str] | None = None,
        limit: int = 1000,
    ) -> SnapshotPage:
        """One page of the live entities of `stream` in `scopes`, after (scope, key)
        `after` (None for the first page). See `SnapshotPage` for how to apply it."""
        wanted = _check_scopes(stream, scopes)
        if not 0 < limit <= MAX_READ_LIMIT:
            raise InvalidInput(f"limit {limit} is out of range; use 1 to {MAX_READ_LIMIT}")
        query = (
            sa.select(
                current_records.c.scope,
                current_records.c.key,
                current_records.c.seq,
                current_records.c.record,
            )
            .where(current_records.c.stream == stream, current_records.c.scope.in_(wanted))
            .order_by(current_records.c.scope, current_records.c.key)
            .limit(limit)
        )
        if after is not None:
            query = query.where(sa.tuple_(current_records.c.scope, current_records.c.key) > after)
        with self._db.read() as conn:
            head = self._position(conn, stream)[0]
            rows = conn.execute(query).all()
        found = [_change(stream, int(r.seq), r.key, r.scope, r.record, None) for r in rows]
        next_after = (rows[-1].scope, rows[-1].key) if len(rows) == limit else None
        return SnapshotPage(stream, head, found, next_after)

    def snapshot_encoded(
        self,
        stream: str,
        scopes: Sequence[str],
        after: tuple[str, str] | None = None,
        limit: int = 1000,
    ) -> EncodedSnapshotPage:
        """What `snapshot` returns, as one serialized `ChangeList` built from the stored
        record bytes without parsing them (the pull path of a site taking a snapshot)."""
        wanted = _check_scopes(stream, scopes)
        if not 0 < limit <= MAX_READ_LIMIT:
            raise InvalidInput(f"limit {limit} is out of range; use 1 to {MAX_READ_LIMIT}")
        query = (
            sa.select(
                current_records.c.scope,
                current_records.c.key,
                current_records.c.seq,
                current_records.c.record,
            )
            .where(current_records.c.stream == stream, current_records.c.scope.in_(wanted))
            .order_by(current_records.c.scope, current_records.c.key)
            .limit(limit)
        )
        if after is not None:
            query = query.where(sa.tuple_(current_records.c.scope, current_records.c.key) > after)
        with self._db.read() as conn:
            head = self._position(conn, stream)[0]
            rows = conn.execute(query).all()
        encoder = ChangeListEncoder(stream, RECORD_FIELD[stream])
        for r in rows:
            encoder.add(int(r.seq), r.key, r.scope, r.record, None)
        next_after = (rows[-1].scope, rows[-1].key) if len(rows) == limit else None
        return EncodedSnapshotPage(stream, head, len(rows), encoder.payload(), next_after)

    def checksum(self, stream: str, scopes: Sequence[str]) -> TableDigest:
        """Digest of the live entities of `stream` in `scopes` (key, record bytes)."""
        wanted = _check_scopes(stream, scopes)
        with self._db.read() as conn:
            # Streamed in chunks: a stream may hold millions of live rows.
            rows = conn.execution_options(yield_per=10_000).execute(
                sa.select(current_records.c.key, current_records.c.record).where(
                    current_records.c.stream == stream, current_records.c.scope.in_(wanted)
                )
            )
            return TableDigest.of((r.key, r.record) for r in rows)
