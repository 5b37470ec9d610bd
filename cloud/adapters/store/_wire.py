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


def varint(value: int) -> bytes:
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


class ChangeListEncoder:
    """Builds a serialized `ChangeList` of one stream, one change at a time."""

    def __init__(self, stream: str, record_field: str) -> None:
        self._stream = _text(0x0A, stream)
        self._record_tag = _RECORD_TAG[record_field]
        self._parts: list[bytes] = []

    def add(
        self, seq: int, key: str, scope: str, record: bytes | None, changed_at: datetime | None
    ) -> None:
        body = self._stream + b"\x10" + varint(seq) + _text(0x1A, key) + _text(0x22, scope)
        if changed_at is not None:  # snapshot rows carry no change time
            body += _timestamp(changed_at)
        if record is None:
            body += b"\x30\x01"
        else:
            body += self._record_tag + varint(len(record)) + record
        self._parts.append(b"\x0a" + varint(len(body)) + body)

    def payload(self) -> bytes:
        return b"".join(self._parts)
