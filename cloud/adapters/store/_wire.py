"""A minimal protobuf wire encoder for `ChangeList` pages, so the hot read path sends the
log's stored record bytes as they are instead of parsing and re-serializing each record.

Adapter room: pure byte building; no I/O. A test checks the bytes parse to what
`ChangeLog.read` returns.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ameide_core_proto.process.commerce.v1 import records_pb2

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Field numbers of `Change` and the record field of each stream.
_RECORD_TAG: dict[str, bytes] = {}
for _field in records_pb2.Change.DESCRIPTOR.oneofs_by_name["record"].fields:
    _RECORD_TAG[_field.name] = bytes([(_field.number << 3) | 2])


_SMALL_VARINTS = [
    bytes([v]) if v < 0x80 else bytes([(v & 0x7F) | 0x80, v >> 7]) for v in range(1 << 14)
]
"""Encoded varints below 16,384 (lengths and most seqs): a lookup instead of a loop."""


def varint(value: int) -> bytes:
    if value < 16_384:
        return _SMALL_VARINTS[value]
    out = bytearray()
    while True:
        bits = value & 0x7F
        value >>= 7
        if value:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def _text(tag: int, value: str) -> bytes:
    data = value.encode()
    return bytes([tag]) + varint(len(data)) + data


def _timestamp(value: datetime) -> bytes:
    delta = value - _EPOCH
    seconds = delta.days * 86_400 + delta.seconds
    body = b""
    if seconds:
        body += b"\x08" + varint(seconds)
    if delta.microseconds:
        body += b"\x10" + varint(delta.microseconds * 1000)
    return b"\x2a" + varint(len(body)) + body


def as_utc(value: datetime | str) -> datetime:
    """A stored change time as an aware UTC datetime: PostgreSQL hands over an aware
    datetime, SQLite the naive UTC text SQLAlchemy wrote (`YYYY-MM-DD HH:MM:SS.ffffff`)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class ChangeListEncoder:
    """Builds a serialized `ChangeList` of one stream, one change at a time.

    The hot loop of a pull: scopes and change times repeat from row to row (an append
    stamps all its changes with one time), so their encodings are kept and reused.
    """

    def __init__(self, stream: str, record_field: str) -> None:
        self._stream = _text(0x0A, stream) + b"\x10"
        self._record_tag = _RECORD_TAG[record_field]
        self._parts: list[bytes] = []
        self._scopes: dict[str, bytes] = {}
        self._last_at: object = None
        self._last_stamp = b""

    def add(
        self,
        seq: int,
        key: str,
        scope: str,
        record: bytes | None,
        changed_at: datetime | str | None,
    ) -> None:
        """One change; `changed_at` as `as_utc` takes it (None: a snapshot row, no time)."""
        scoped = self._scopes.get(scope)
        if scoped is None:
            scoped = self._scopes[scope] = _text(0x22, scope)
        if changed_at is None:
            stamp = b""
        elif changed_at is self._last_at or changed_at == self._last_at:
            stamp = self._last_stamp
        else:
            stamp = _timestamp(as_utc(changed_at))
            self._last_at, self._last_stamp = changed_at, stamp
        data = key.encode()
        tail = b"\x30\x01" if record is None else self._record_tag + varint(len(record)) + record
        body = b"".join(
            (self._stream, varint(seq), b"\x1a", varint(len(data)), data, scoped, stamp, tail)
        )
        self._parts.append(b"\x0a" + varint(len(body)) + body)

    def payload(self) -> bytes:
        return b"".join(self._parts)
