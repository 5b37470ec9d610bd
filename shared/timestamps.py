"""Conversions between aware UTC datetimes and protobuf Timestamps, for both sides.

Shared room: pure functions over `google.protobuf`; no I/O, no clock (callers pass the time),
so workflow code may use them too.
"""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

__all__ = ["from_timestamp", "to_timestamp"]


def to_timestamp(value: datetime) -> Timestamp:
    """`value` as a Timestamp; a naive datetime is taken to be UTC (as protobuf does)."""
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def from_timestamp(stamp: Timestamp) -> datetime:
    """The aware UTC datetime of `stamp`."""
    return stamp.ToDatetime(tzinfo=UTC)
