"""Local health: the status facts and the loopback page that shows them to store staff."""

from __future__ import annotations

from edge_agent.health.live import LiveStatus
from edge_agent.health.report import IdentitySummary, StatusReport, build_report, gather_status
from edge_agent.health.server import HealthServer, render_html

__all__ = [
    "HealthServer",
    "IdentitySummary",
    "LiveStatus",
    "StatusReport",
    "build_report",
    "gather_status",
    "render_html",
]
