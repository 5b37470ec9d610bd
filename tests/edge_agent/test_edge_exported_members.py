"""The public surface of the agent's projection and health packages is deliberate: pin it."""

from __future__ import annotations

import edge_agent.health
import edge_agent.projection


def test_projection_exports() -> None:
    assert sorted(edge_agent.projection.__all__) == [
        "ConnectionState",
        "DEFAULT_BUSY_TIMEOUT_SECONDS",
        "Projection",
        "StoredSiteConfig",
        "database_path",
        "read_connection_state",
    ]
    assert all(hasattr(edge_agent.projection, name) for name in edge_agent.projection.__all__)


def test_health_exports() -> None:
    assert sorted(edge_agent.health.__all__) == [
        "HealthServer",
        "IdentitySummary",
        "LiveStatus",
        "StatusReport",
        "build_report",
        "gather_status",
        "render_html",
    ]
    assert all(hasattr(edge_agent.health, name) for name in edge_agent.health.__all__)
