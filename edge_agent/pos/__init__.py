"""The agent's loopback API for point-of-sale software (PosService): reads the projection,
records into the outbox; validation rules in `validation`."""

from __future__ import annotations

from edge_agent.pos.server import PosServer
from edge_agent.pos.service import OutboxWrites, PosServicer, ProjectionReads

__all__ = ["OutboxWrites", "PosServer", "PosServicer", "ProjectionReads"]
