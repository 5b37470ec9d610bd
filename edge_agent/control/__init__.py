"""The control path: the mTLS stream to the cloud gateway and the commands it carries."""

from __future__ import annotations

from edge_agent.control.commands import CommandDispatcher
from edge_agent.control.stream import ControlClient, IdentityRejected, StreamFailure

__all__ = ["CommandDispatcher", "ControlClient", "IdentityRejected", "StreamFailure"]
