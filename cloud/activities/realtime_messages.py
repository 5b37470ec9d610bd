"""Inputs and outputs of the real-time activities (one dataclass each, new fields defaulted).

Pure data, imported by workflows; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RecordRealtimeFact:
    # Serialized `ProcessFact` proto with its deterministic fact id.
    fact: bytes


@dataclass(frozen=True)
class CloseCompensationCase:
    exception_id: str
    resolution: str
    resolved_by: str


@dataclass(frozen=True)
class ClosedCompensationCase:
    exception_id: str
    resolution: str
    resolved_by: str
