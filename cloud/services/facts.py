"""The process-fact log as ops read it.

Service room: reads through the fact port it is given; synchronous.
"""

from __future__ import annotations

from cloud.adapters.store.records import FactRecord
from cloud.ports import FactsPort

__all__ = ["FactService"]


class FactService:
    """Reads process facts in append order."""

    def __init__(self, facts: FactsPort) -> None:
        self._facts = facts

    def tail(
        self, after_seq: int = 0, limit: int = 50, subject: str | None = None
    ) -> list[FactRecord]:
        """Facts after `after_seq`, oldest first (about `subject` when given)."""
        return self._facts.tail(after_seq, limit, subject)
