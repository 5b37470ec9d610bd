"""The agent's real-time operation router: POS software asks, the cloud decides when it can,
the store's offline policy when it cannot, and the settler reconciles on reconnect.

Realtime room: `router` (decisions and settling), `policy` (pure), `journal` (the
`state/realtime.db` file), `calls` (RealtimeService over mTLS).
"""

from edge_agent.realtime.calls import CloudDidNotAnswer, RealtimeChannel
from edge_agent.realtime.journal import Journal, JournalSummary
from edge_agent.realtime.router import RealtimeRouter, Settler

__all__ = [
    "CloudDidNotAnswer",
    "Journal",
    "JournalSummary",
    "RealtimeChannel",
    "RealtimeRouter",
    "Settler",
]
