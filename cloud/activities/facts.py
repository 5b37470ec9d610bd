"""Appending a serialized process fact to the fact log, as every activity that records one does.

Activity room, helper: takes the facts port and the fact's bytes; no other I/O.
"""

from __future__ import annotations

from ameide_core_proto.process.commerce.v1 import facts_pb2
from cloud.activities.messages import RecordedFact
from cloud.ports import FactsPort
from shared.timestamps import from_timestamp


def append_fact(facts: FactsPort, serialized: bytes) -> RecordedFact:
    """Append the `ProcessFact` in `serialized` once (its id is deterministic)."""
    fact = facts_pb2.ProcessFact.FromString(serialized)
    added = facts.append(
        fact.fact_id,
        fact.type,
        fact.subject,
        from_timestamp(fact.occurred_at),
        fact.workflow_id,
        fact.run_id,
        serialized,
    )
    return RecordedFact(fact_id=fact.fact_id, newly_recorded=added)
