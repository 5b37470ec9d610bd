"""Sales channels as ops manage them: create (validated, audited) and list.

Service room: works through the store ports it is given; synchronous (call from a thread in
async code).
"""

from __future__ import annotations

from collections.abc import Sequence

from cloud.adapters.store.records import ChannelRecord
from cloud.ports import AuditPort, ChannelsPort
from cloud.validation import validate_channel

__all__ = ["ChannelService"]


class ChannelService:
    """Creates and lists sales channels."""

    def __init__(self, channels: ChannelsPort, audit: AuditPort, *, actor: str = "ops") -> None:
        self._channels = channels
        self._audit = audit
        self._actor = actor

    def create(self, channel_id: str, name: str, streams: Sequence[str]) -> ChannelRecord:
        """Create a channel (idempotent for the same values); `InvalidInput` on bad values."""
        validate_channel(channel_id, name)
        record = self._channels.create(channel_id, name or channel_id, list(streams))
        self._audit.record(self._actor, "channel.created", f"channel/{channel_id}", {"name": name})
        return record

    def list(self) -> list[ChannelRecord]:
        return self._channels.list()
