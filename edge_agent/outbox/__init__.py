"""The agent's durable outbox of records going up to the cloud (`state/outbox.db`).

Disk work runs off the event loop (its own writer thread, reader threads); see `store.Outbox`.
"""

from __future__ import annotations

from edge_agent.outbox._records import OutboxBatch, Recorded, RefusedRecord, idempotency_key
from edge_agent.outbox._schema import outbox_path
from edge_agent.outbox.store import (
    DEFAULT_BATCH_LIMIT,
    DEFAULT_BATCH_MAX_BYTES,
    Outbox,
    read_outbox_pending,
    read_outbox_refused,
)

__all__ = [
    "DEFAULT_BATCH_LIMIT",
    "DEFAULT_BATCH_MAX_BYTES",
    "Outbox",
    "OutboxBatch",
    "Recorded",
    "RefusedRecord",
    "idempotency_key",
    "outbox_path",
    "read_outbox_pending",
    "read_outbox_refused",
]
